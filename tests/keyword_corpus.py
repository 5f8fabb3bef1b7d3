"""A small corpus whose rankings are known: a keyword 'embedding' makes the dense leg
predictable, while BM25 and everything after it are the real thing."""

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.records import PaperRecord, Source

TOPICS = ("calibration", "temperature", "mixup", "quantization", "radiance", "uncertainty",
          "oversmoothing", "equivariant")  # fmt: skip


class KeywordEmbeddings(Embeddings):
    """One dimension per topic word (plus one shared), so cosine = topic overlap."""

    def _vector(self, text: str) -> list[float]:
        lowered = text.lower()
        vector = np.array([lowered.count(t) for t in TOPICS] + [0.2], dtype=float)
        return (vector / np.linalg.norm(vector)).tolist()

    def embed_documents(self, texts):
        return [self._vector(t) for t in texts]

    def embed_query(self, text):
        return self._vector(text)


def paper(title, abstract, authors=(), year=None, kind="bibtex", listed_on=None):
    return PaperRecord(
        title, abstract, tuple(authors), year, sources=(Source("f", kind, listed_on),)
    )


PAPERS = [
    paper("Temperature Scaling", "We study calibration with temperature scaling. Calibration "
          "matters.", ["José Forré", "Ann Lee"], 2021, "poster_session"),
    paper("Mixing Samples for Confidence", "Mixup improves calibration of networks.",
          ["Juho Lee"], 2022, "trending_listing", "Mar 21"),
    paper("Four-bit Transformers", "Quantization of transformers; the calibration set is small.",
          ["Juho Lee"], 2023),
    paper("Scenes as Fields", "Neural radiance fields render scenes.", ["Jin Lee"], 2020),
    paper("DUQ", "Deterministic uncertainty quantification (DUQ) in a single forward pass: "
          "uncertainty without ensembles.", ["Joost van Amersfoort"], 2020),
    paper("Deep GNNs", "Oversmoothing in graph networks, measured with $\\mathcal{O}(n)$ cost.",
          ["Yisen Wang"], 2023),
    paper("Equivariant Maps", "Learning a map $f: (x, y) \\mapsto z$ that is equivariant; über "
          "robust.", ["Zoë Müller"], 2019),
]  # fmt: skip
