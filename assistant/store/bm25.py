"""BM25 over the papers' text (bm25s).

Documents and questions are cut into terms alike, by `text.terms` (the project's one
tokenizer and stopword list), or a word indexed one way would be searched for another.
A question's word that no paper
holds but that misspells one that some paper does ('uncertanty') is read as that word
(text.closest); acronyms and code names ('SWE', 'WaveMix', 'YOLOv8') are taken as
written, since one or two edits turn one into another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.text import closest, terms

if TYPE_CHECKING:
    import bm25s


def plain_word(word: str) -> bool:
    """Letters only, no capital after the first: a word a misspelling can be read into."""
    return word.isalpha() and (len(word) < 2 or word[1:].islower())


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
        self._spellings: dict[tuple[str, str], str] = {}  # a question is read several times

    @classmethod
    def build(cls, texts: list[str]) -> Bm25:
        if not texts:
            return cls(None)
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([[term for term, _ in terms(text)] for text in texts], show_progress=False)
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

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Indexed term -> column (bm25s's own '' placeholder left out)."""
        if self.retriever is None:
            return {}
        return {term: column for term, column in self.retriever.vocab_dict.items() if term}

    def match(self, text: str) -> LexicalMatch:
        """Every paper's BM25 for the text, and the most any paper could score."""
        read = (self.spelled(term, word) for term, word in terms(text))
        known = [term for term in read if term in self.vocabulary]
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

    def spelled(self, term: str, written: str) -> str:
        """The term, or the indexed term it misspells (the most common of the closest)."""
        if term in self.vocabulary or not plain_word(written):
            return term
        if (term, written) not in self._spellings:
            self._spellings[term, written] = closest(term, self._by_frequency) or term
        return self._spellings[term, written]

    def idf(self, term: str) -> float:
        """BM25's idf (Lucene's form); a term no paper holds gets the highest there is."""
        papers = self.retriever.scores["num_docs"] if self.retriever else 0
        holding = self.document_frequency(term)
        return math.log(1 + (papers - holding + 0.5) / (holding + 0.5))

    @cached_property
    def _by_frequency(self) -> list[str]:
        """Indexed terms, the ones most papers hold first: a tie goes to the common word.
        Terms held by as many papers go alphabetically, not in bm25s's vocabulary order,
        which differs from one build of the same papers to the next: 'arrives' must read
        as the same word whichever build answers."""
        return sorted(self.vocabulary, key=lambda t: (-self.document_frequency(t), t))
