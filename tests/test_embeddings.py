"""Our numpy forward pass must give the vectors sentence-transformers gives for the same
weights (reference vectors recorded once with sentence-transformers and torch)."""

import json
from pathlib import Path

import numpy as np

from assistant.store.embeddings import MiniLMEmbeddings

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text())


def test_vectors_match_sentence_transformers():
    ours = MiniLMEmbeddings(batch_size=2).embed(REFERENCE["texts"])
    cosine = (ours * np.array(REFERENCE["vectors"])).sum(axis=1)
    assert ours.shape == (4, 384)
    assert cosine.min() > 0.9999, cosine


def test_vectors_are_unit_length_and_batching_does_not_change_them():
    texts = REFERENCE["texts"]
    one_by_one = np.vstack([MiniLMEmbeddings().embed([t]) for t in texts])
    batched = MiniLMEmbeddings(batch_size=4, threads=1).embed(texts)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert np.allclose(one_by_one, batched, atol=1e-5)


def test_langchain_interface_and_empty_input():
    model = MiniLMEmbeddings()
    assert len(model.embed_query("calibration of neural networks")) == 384
    assert model.embed_documents([]) == []
