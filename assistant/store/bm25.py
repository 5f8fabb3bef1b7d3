"""BM25 over the papers' text (bm25s), and the one way its text is cut into terms.

Documents and questions must be cut into terms alike, or a word indexed one way is
searched for another; `terms` is that one way, for both.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class LexicalMatch:
    """How every paper matches a question's terms."""

    scores: np.ndarray  # BM25 of every paper, in row order (0: no term shared)
    best_possible: float  # BM25 of a paper holding every question term at its best weight

    def coverage(self, rows) -> np.ndarray:
        """How much of the question's term mass each row matches, 0..1."""
        if not self.best_possible:
            return np.zeros(len(rows))
        return self.scores[rows] / self.best_possible


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

    def match(self, text: str) -> LexicalMatch:
        """Every paper's BM25 for the text, and the most any paper could score."""
        known = [term for term in terms(text) if term in self.vocabulary]
        if not known:
            size = self.retriever.scores["num_docs"] if self.retriever else 0
            return LexicalMatch(np.zeros(size, dtype=np.float32), 0.0)
        best = self._best_per_term[[self.vocabulary[term] for term in known]]
        return LexicalMatch(self.retriever.get_scores(known), float(best.sum()))

    @cached_property
    def _papers_per_term(self) -> np.ndarray:
        if self.retriever is None:
            return np.zeros(0, dtype=int)
        return np.diff(self.retriever.scores["indptr"])

    @cached_property
    def _best_per_term(self) -> np.ndarray:
        """The highest weight each term has in any paper (every indexed term is in one)."""
        scores = self.retriever.scores
        return np.maximum.reduceat(scores["data"], scores["indptr"][:-1])

    def document_frequency(self, term: str) -> int:
        """How many papers hold a term (0: none; the word is unseen)."""
        column = self.vocabulary.get(term)
        return 0 if column is None else int(self._papers_per_term[column])
