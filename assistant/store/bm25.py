"""BM25 over the papers' text, kept as term counts so that adding papers costs in
proportion to them.

BM25's weights depend on every paper (idf on how many hold a term, length normalisation
on the mean length), so an index that stores weights, as bm25s does, must be rebuilt
whole when one paper is added; bm25s has no way to add documents (bm25s issues #5, #98).
Term counts do not change when other papers come, so the side index stores those, one
segment per ingest (sidecar.py), and the weights are computed from them when an index
is loaded. The weights are bm25s's Lucene variant at its defaults (k1 1.5, b 0.75),
computed in the same order of operations, so every score is bm25s's to the bit
(tests/test_bm25.py checks it against bm25s itself).

Documents and questions are cut into terms alike, by `text.terms` (the project's one
tokenizer and stopword list), or a word indexed one way would be searched for another.
A question's word that no paper holds but that misspells one that some paper does
('uncertanty') is read as that word (text.closest); acronyms and code names ('SWE',
'WaveMix', 'YOLOv8') are taken as written, since one or two edits turn one into another.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant.text import closest, terms

K1, B = 1.5, 0.75  # bm25s's defaults, which every figure in evals/ was measured with


def plain_word(word: str) -> bool:
    """Letters only, no capital after the first: a word a misspelling can be read into."""
    return word.isalpha() and (len(word) < 2 or word[1:].islower())


@dataclass(frozen=True)
class TermCounts:
    """How often each term occurs in each paper, papers as rows: paper i's entries are
    `columns[starts[i]:starts[i + 1]]` (into `vocabulary`) with their `counts`."""

    vocabulary: list[str]
    starts: np.ndarray
    columns: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, texts: list[str]) -> TermCounts:
        column: dict[str, int] = {}
        per_paper = [Counter(term for term, _ in terms(text)) for text in texts]
        entries = [
            (column.setdefault(term, len(column)), count)
            for counted in per_paper
            for term, count in counted.items()
        ]
        starts = np.cumsum([0] + [len(counted) for counted in per_paper])
        found = np.array(entries, dtype=np.int64).reshape(-1, 2)
        return cls(list(column), starts, found[:, 0].astype(np.int32), found[:, 1].astype(np.int32))

    @classmethod
    def joined(cls, parts: list[TermCounts]) -> TermCounts:
        """The papers of every part, in order, over one vocabulary (sorted: the same papers
        give the same columns whatever order they came in)."""
        vocabulary = sorted(set().union(*(part.vocabulary for part in parts)))
        column = {term: n for n, term in enumerate(vocabulary)}
        columns, counts, starts, offset = [], [], [np.zeros(1, dtype=np.int64)], 0
        for part in parts:
            remap = np.array([column[term] for term in part.vocabulary], dtype=np.int32)
            columns.append(remap[part.columns])
            counts.append(part.counts)
            starts.append(part.starts[1:] + offset)
            offset += int(part.starts[-1])
        return cls(vocabulary, np.concatenate(starts), _joined(columns), _joined(counts))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def rows(self, rows: np.ndarray) -> TermCounts:
        """These papers only, in this order, and only the terms they hold: a term only a
        replaced copy of a paper held must not be read as indexed."""
        first, lengths = self.starts[rows], np.diff(self.starts)[rows]
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        entries = np.repeat(first - starts[:-1], lengths) + np.arange(starts[-1])
        held, columns = np.unique(self.columns[entries], return_inverse=True)
        vocabulary = [self.vocabulary[column] for column in held.tolist()]
        return TermCounts(vocabulary, starts, columns.astype(np.int32), self.counts[entries])

    def save(self, folder: Path) -> None:
        (folder / "vocabulary.json").write_text(json.dumps(self.vocabulary))
        arrays = {"starts": self.starts, "columns": self.columns, "counts": self.counts}
        np.savez(folder / "term_counts.npz", **arrays)

    @classmethod
    def load(cls, folder: Path) -> TermCounts:
        vocabulary = json.loads((folder / "vocabulary.json").read_text())
        with np.load(folder / "term_counts.npz") as arrays:
            return cls(vocabulary, arrays["starts"], arrays["columns"], arrays["counts"])


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)


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
    """The BM25 weight of every (paper, term) pair, grouped by term: the papers holding
    term t are `papers[bounds[t]:bounds[t + 1]]`, with those `weights`."""

    def __init__(self, counts: TermCounts) -> None:
        self.size = len(counts)
        self.vocabulary = {term: column for column, term in enumerate(counts.vocabulary)}
        paper = np.repeat(np.arange(self.size, dtype=np.int32), np.diff(counts.starts))
        lengths = np.bincount(paper, weights=counts.counts, minlength=self.size)
        held = np.bincount(counts.columns, minlength=len(counts.vocabulary))
        idf = np.array([_idf(self.size, n) for n in held.tolist()], dtype=np.float32)
        normaliser = K1 * ((1 - B) + B * lengths / lengths.mean()) if self.size else lengths
        tf = counts.counts.astype(np.float32)
        weights = (idf[counts.columns] * (tf / (tf + normaliser[paper]))).astype(np.float32)
        by_term = np.argsort(counts.columns, kind="stable")
        self.papers, self.weights = paper[by_term], weights[by_term]
        self.bounds = np.concatenate([[0], np.cumsum(held)])
        self._papers_per_term = held
        self._spellings: dict[tuple[str, str], str] = {}  # a question is read several times

    @classmethod
    def of(cls, texts: list[str]) -> Bm25:
        return cls(TermCounts.of(texts))

    def match(self, text: str) -> LexicalMatch:
        """Every paper's BM25 for the text, and the most any paper could score. Terms are
        added one after another in float32, as bm25s adds them."""
        read = (self.spelled(term, word) for term, word in terms(text))
        columns = [self.vocabulary[term] for term in read if term in self.vocabulary]
        scores = np.zeros(self.size, dtype=np.float32)
        for column in columns:
            held = slice(self.bounds[column], self.bounds[column + 1])
            scores[self.papers[held]] += self.weights[held]
        best = float(self._best_per_term[columns].sum()) if columns else 0.0
        return LexicalMatch(scores, best)

    @cached_property
    def _best_per_term(self) -> np.ndarray:
        """The highest weight each term has in any paper (every indexed term is in one)."""
        if not self.vocabulary:
            return np.zeros(0, dtype=np.float32)
        return np.maximum.reduceat(self.weights, self.bounds[:-1])

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
        return _idf(self.size, self.document_frequency(term))

    @cached_property
    def _by_frequency(self) -> list[str]:
        """Indexed terms, the ones most papers hold first: a tie goes to the common word.
        Terms held by as many papers go alphabetically, so 'arrives' reads as the same
        word whichever build of the same papers answers."""
        return sorted(self.vocabulary, key=lambda t: (-self.document_frequency(t), t))


def _idf(papers: int, holding: int) -> float:
    """Lucene's idf, as bm25s computes it (math.log of a float64)."""
    return math.log(1 + (papers - holding + 0.5) / (holding + 0.5))
