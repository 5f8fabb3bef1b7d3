"""BM25 over the papers' text, kept as term counts so that adding papers costs in
proportion to them.

BM25's weights depend on every paper (idf on how many hold a term, length normalisation
on the mean length), so an index that stores weights, as bm25s does, must be rebuilt
whole when one paper is added; bm25s has no way to add documents (bm25s issues #5, #98).
Term counts do not change when other papers come, so the side index stores those, one
segment per ingest (sidecar.py), and the weights are computed from them when an index
is loaded. The weights are bm25s's Lucene variant at its defaults (k1 1.5, b 0.75),
computed in the same order of operations, so every score is bm25s's to the bit
(tests/test_side_index.py checks it against bm25s itself).

Documents and questions are cut into terms alike, by `text.terms` (the project's one
tokenizer and stopword list), or a word indexed one way would be searched for another.
A question's word that no paper holds but that misspells one that some paper does
('uncertanty') is read as that word (text.closest); acronyms and code names ('SWE',
'WaveMix', 'YOLOv8') are taken as written, since one or two edits turn one into another.
"""

from __future__ import annotations

import json
import math
from array import array
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
    """How often each term occurs in each paper, grouped by term, as BM25 reads them: the
    papers holding term t (rows of the segment) are `papers[bounds[t]:bounds[t + 1]]`,
    with their `counts`. Terms go alphabetically, so segments join without re-sorting
    more than the runs they bring."""

    vocabulary: list[str]
    bounds: np.ndarray
    papers: np.ndarray
    counts: np.ndarray
    size: int  # papers, those holding no term included

    @classmethod
    def of(cls, texts: list[str]) -> TermCounts:
        """Counted a paper at a time into 4-byte arrays: a Counter per paper kept until the
        end, or a list of Python ints, took 1.3 GB more at 100k papers."""
        first_seen: dict[str, int] = {}
        columns, counts, held = array("i"), array("i"), array("i")
        for text in texts:
            counted = Counter(term for term, _ in terms(text))
            columns.extend(first_seen.setdefault(term, len(first_seen)) for term in counted)
            counts.extend(counted.values())
            held.append(len(counted))
        vocabulary = sorted(first_seen)
        column = np.empty(len(vocabulary), dtype=np.int32)  # first seen -> alphabetical
        column[[first_seen[term] for term in vocabulary]] = np.arange(len(vocabulary))
        papers = np.repeat(np.arange(len(texts), dtype=np.int32), np.frombuffer(held, np.int32))
        columns = column[np.frombuffer(columns, np.int32)]
        return cls._grouped(
            vocabulary, columns, papers, np.frombuffer(counts, np.int32), len(texts)
        )

    @classmethod
    def joined(cls, parts: list[TermCounts]) -> TermCounts:
        """The papers of every part, numbered on in order, over one vocabulary."""
        vocabulary = sorted(set().union(*(part.vocabulary for part in parts)))
        column = {term: n for n, term in enumerate(vocabulary)}
        columns, papers, offset = [], [], 0
        for part in parts:
            renumbered = np.array([column[term] for term in part.vocabulary], dtype=np.int32)
            columns.append(np.repeat(renumbered, np.diff(part.bounds)))
            papers.append(part.papers + offset)
            offset += part.size
        counts = _joined([part.counts for part in parts])
        return cls._grouped(vocabulary, _joined(columns), _joined(papers), counts, offset)

    @classmethod
    def _grouped(cls, vocabulary, columns, papers, counts, size: int) -> TermCounts:
        """Entries grouped by term; a stable sort, which for runs already in term order
        (one per joined part) only merges them."""
        order = np.argsort(columns, kind="stable")
        held = np.bincount(columns, minlength=len(vocabulary))
        bounds = np.concatenate([[0], np.cumsum(held)]).astype(np.int64)
        counts = np.asarray(counts, dtype=np.int32)
        return cls(vocabulary, bounds, papers[order], counts[order], size)

    def rows(self, rows: np.ndarray) -> TermCounts:
        """These papers only, renumbered in this order, and only the terms they hold: a
        term only a replaced copy of a paper held must not be read as indexed."""
        renumbered = np.full(self.size, -1, dtype=np.int32)
        renumbered[rows] = np.arange(len(rows), dtype=np.int32)
        papers = renumbered[self.papers]
        live = papers >= 0
        columns = np.repeat(np.arange(len(self.vocabulary)), np.diff(self.bounds))[live]
        held = np.bincount(columns, minlength=len(self.vocabulary))
        vocabulary = [term for term, n in zip(self.vocabulary, held.tolist(), strict=True) if n]
        bounds = np.concatenate([[0], np.cumsum(held[held > 0])]).astype(np.int64)
        return TermCounts(vocabulary, bounds, papers[live], self.counts[live], len(rows))

    def save(self, folder: Path) -> None:
        (folder / "vocabulary.json").write_text(json.dumps(self.vocabulary))
        arrays = {"bounds": self.bounds, "papers": self.papers, "counts": self.counts}
        np.savez(folder / "term_counts.npz", size=self.size, **arrays)

    @classmethod
    def load(cls, folder: Path) -> TermCounts:
        vocabulary = json.loads((folder / "vocabulary.json").read_text())
        with np.load(folder / "term_counts.npz") as saved:
            arrays = (saved["bounds"], saved["papers"], saved["counts"])
            return cls(vocabulary, *arrays, int(saved["size"]))


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
        self.size = counts.size
        self.vocabulary = {term: column for column, term in enumerate(counts.vocabulary)}
        self.papers, self.bounds = counts.papers, counts.bounds
        held = np.diff(counts.bounds)
        columns = np.repeat(np.arange(len(counts.vocabulary)), held)
        lengths = np.bincount(counts.papers, weights=counts.counts, minlength=self.size)
        idf = np.array([_idf(self.size, n) for n in held.tolist()], dtype=np.float32)
        normaliser = K1 * ((1 - B) + B * lengths / lengths.mean()) if self.size else lengths
        tf = counts.counts.astype(np.float32)
        self.weights = (idf[columns] * (tf / (tf + normaliser[counts.papers]))).astype(np.float32)
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

    def rows_holding(self, term: str) -> np.ndarray:
        """The papers (rows) that hold a term."""
        column = self.vocabulary.get(term)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        return self.papers[self.bounds[column] : self.bounds[column + 1]]

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
