"""BM25 over the papers' text (bm25s), and the one way its text is cut into terms.

Documents and questions must be cut into terms alike, or a word indexed one way is
searched for another; `terms` is that one way, for both.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import bm25s


def terms(text: str) -> list[str]:
    """bm25s's terms of a text (lower-cased words, English stopwords out)."""
    import bm25s

    return bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)[0]


class Bm25:
    """A bm25s index over every paper's text, rows in the catalog's order. An index of no
    papers has no bm25s retriever (bm25s cannot build one) and matches nothing."""

    def __init__(self, retriever: bm25s.BM25 | None) -> None:
        self.retriever = retriever

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        if not texts:
            return cls(None)
        import bm25s

        retriever = bm25s.BM25()
        tokens = bm25s.tokenize(texts, stopwords="en", show_progress=False)
        retriever.index(tokens, show_progress=False)
        return cls(retriever)

    @classmethod
    def load(cls, folder: Path) -> Bm25:
        if not (folder / "params.index.json").exists():
            return cls(None)
        import bm25s

        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    def save(self, folder: Path) -> None:
        if self.retriever is not None:
            self.retriever.save(str(folder), show_progress=False)

    @property
    def vocabulary(self) -> dict[str, int]:
        return self.retriever.vocab_dict if self.retriever else {}

    def top(self, text: str, depth: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """(row, score) of the `depth` best-scoring papers with a score above 0; `mask`
        (a bool per row) keeps the rows that may be returned."""
        known = [term for term in terms(text) if term in self.vocabulary]
        if not known:
            return []
        weights = None if mask is None else mask.astype(np.float32)
        size = self.retriever.scores["num_docs"]
        rows, scores = self.retriever.retrieve(
            [known], k=min(depth, size), weight_mask=weights, show_progress=False
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]

    @cached_property
    def _papers_per_term(self) -> np.ndarray:
        if self.retriever is None:
            return np.zeros(0, dtype=int)
        return np.diff(self.retriever.scores["indptr"])

    def document_frequency(self, term: str) -> int:
        """How many papers hold a term (0: none; the word is unseen)."""
        column = self.vocabulary.get(term)
        return 0 if column is None else int(self._papers_per_term[column])
