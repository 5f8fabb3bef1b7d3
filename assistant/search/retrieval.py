"""Finding the papers a question is about.

Two legs see the same filtered set of papers and are fused into one ranking of distinct
papers: dense (MiniLM vectors: Chroma's HNSW search, or an exact search of the local
copy under filters) and sparse (BM25). "Which papers ..." and overview questions search
deeper and hand on more papers; which of them the answer names is the answer's call.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from assistant.errors import AssistantError, EmptyQuery, NotIndexed, UnknownPaper
from assistant.search.filters import Filters, explicit_filters
from assistant.search.question import Question, read_question
from assistant.store.bm25 import LexicalMatch
from assistant.store.catalog import Catalog
from assistant.store.index import WRITING, PaperIndex
from assistant.store.sidecar import SideIndex
from ingest.records import PaperRecord
from ingest.text import well_formed

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
# Hybrid score = w * cosine + (1 - w) * lexical, where lexical = the paper's share of the
# question's term mass (BM25 / the BM25 of a paper holding every question term at its best
# weight) times the best such share among the candidates: a long question whose words no
# paper shares well leans on meaning, a keyword question on its words. w, and this rule
# over RRF, min-max and best-BM25 scaling, chosen by cross-validation on the tune halves
# (bench/fusion.py, table in bench/README.md).
HYBRID_DENSE_WEIGHT = 0.5
DEPTH = 50  # candidates each leg contributes
# Up to this many papers the dense leg searches every vector: exact, the same in every
# process (HNSW's approximate answers varied between runs), and cheap (an exact search
# took 13-15 ms at 100k papers, so about 3 ms here); above it, Chroma's HNSW.
EXACT_UP_TO = 20_000
SET_DEPTH = 100  # deeper for "which papers" questions
# A "which papers" or overview question searches deeper and hands on this many papers; the
# answer then names those that score close enough to the best (answer/extractive.py).
SET_MAX = 30
LIST_MAX = 200  # papers listed for a filter-only question ("what has X worked on?")
MAX_QUERY_CHARS = 4000
SERVER_CHECK_S = 2.0  # how stale a search may be of another instance's writes to a server


@dataclass(frozen=True)
class Hit:
    paper: PaperRecord
    score: float  # what the ranking is sorted by: fused, cosine or BM25 score
    similarity: float  # cosine of question and paper, comparable across questions
    found_by: tuple[str, ...]  # "dense", "bm25", "title" or "filter"
    lexical: float = 0.0  # share of the question's term mass the paper holds (0..1)

    def to_json(self) -> dict:
        """What a program is told of a paper found: `search --json`, the MCP tools."""
        paper = self.paper
        return {
            "id": paper.id,
            "title": paper.title,
            "authors": list(paper.authors),
            "year": paper.year,
            "venue": paper.venue,
            "doi": paper.doi,
            "arxiv_id": paper.arxiv_id,
            "sources": sorted({s.file for s in paper.sources}),
            "listed_on": list(paper.listed_on),
            "score": round(self.score, 4),
            "similarity": round(self.similarity, 4),
            "found_by": list(self.found_by),
        }


@dataclass(frozen=True)
class Candidate:
    """A paper while it is being ranked: only its row and scores, no record yet."""

    paper_id: str
    row: int
    score: float
    similarity: float
    found_by: tuple[str, ...]
    lexical: float = 0.0


class Hits(list[Hit]):
    """The ranking, plus how it was made: the filters applied, how the question was read,
    and how far the best paper stands out from the other candidates (`peak`: its cosine
    minus the mean cosine of candidates 5-15; a flat field means nothing really matches)."""

    def __init__(
        self, hits: list[Hit], question: Question, filters: Filters, mode: Mode, peak: float = 1.0
    ):
        super().__init__(hits)
        self.question, self.filters, self.mode, self.peak = question, filters, mode, peak

    def to_json(self) -> dict:
        """The `assistant search --json` shape (README, Searching)."""
        return {
            "query": self.question.text,
            "mode": self.mode,
            "filters": self.filters.describe(),
            "wants_all": self.question.wants_all,
            "hits": [{"rank": rank, **hit.to_json()} for rank, hit in enumerate(self, 1)],
        }


class Retriever:
    def __init__(self, index: PaperIndex, embed_query: Callable[[str], list[float]]) -> None:
        self.index = index
        self.embed_query = embed_query
        self._next_server_check = time.monotonic() + SERVER_CHECK_S

    @cached_property
    def local(self) -> SideIndex:
        return self.index.side_index()

    def outdated(self) -> bool:
        """Whether the papers have changed since the side index was loaded here: an ingest
        in this data folder swapped in a newer build (one file read), or, on a shared
        Chroma server, another instance wrote papers this one's side index lacks (the
        collection's fingerprint, asked of the server at most every SERVER_CHECK_S)."""
        loaded = self.__dict__.get("local")
        if loaded is None:
            return False
        if loaded.build != self.index.sidecar.live_build():
            return True
        if not self.index.shared or time.monotonic() < self._next_server_check:
            return False
        self._next_server_check = time.monotonic() + SERVER_CHECK_S
        stamp = self.index.version()
        return stamp not in (None, WRITING) and stamp != self.index.sidecar.stored_fingerprint()

    @property
    def catalog(self) -> Catalog:
        return self.local.catalog

    def search(
        self,
        query: str,
        k: int = 10,
        filters: dict[str, Any] | None = None,
        mode: Mode = "hybrid",
    ) -> Hits:
        if not query or not query.strip():
            raise EmptyQuery()
        if mode not in MODES:
            raise AssistantError(f"unknown retrieval mode {mode!r} - use one of {MODES}")
        k = _papers_wanted(k)
        question = read_question(well_formed(query[:MAX_QUERY_CHARS]), self.catalog)
        applied = explicit_filters(filters, self.catalog).combined_with(question.filters)
        if not self.catalog.ids:
            raise NotIndexed()
        if question.topic_free and applied:
            listed = self._list_all(applied)
            return Hits(self._hits(listed), question, applied, mode)
        depth = SET_DEPTH if question.wants_all else max(k, DEPTH)
        vector = np.asarray(self.embed_query(question.query), dtype=np.float32)
        lexical = self.local.bm25.match(question.query)
        legs = {}
        if mode in ("hybrid", "dense"):
            legs["dense"] = self.dense_leg(vector, applied, depth)
        if mode in ("hybrid", "bm25"):
            legs["bm25"] = self.bm25_leg(lexical, applied, depth)
        if question.named:  # papers named by their title: in the ranking whatever their score
            legs["title"] = [(self.catalog.ids[row], 1.0) for row in question.named]
        ranked = self._rank(legs, vector, lexical, mode)
        similarities = sorted((c.similarity for c in ranked), reverse=True)
        others = similarities[4:15]
        peak = similarities[0] - sum(others) / len(others) if others else 1.0
        named = [c for c in ranked if "title" in c.found_by]  # first, in score order
        limit = SET_MAX if question.wants_all else k
        top = [c for c in ranked[:limit] if "title" not in c.found_by]
        kept = named + (top if question.wants_all else top[: k - len(named)])
        return Hits(self._hits(kept), question, applied, mode, peak)

    def dense_leg(
        self, vector: np.ndarray, filters: Filters, depth: int
    ) -> list[tuple[str, float]]:
        """(paper id, cosine) of the nearest papers that pass the filters: an exact search
        of the local vectors, or Chroma's HNSW search for an unfiltered question over more
        than EXACT_UP_TO papers (Chroma's filtered search takes 130-650 ms at 100k papers)."""
        if not filters and len(self.catalog.ids) > EXACT_UP_TO:
            # Chroma may hold papers an ingest under way has added since the side index
            # was built: the search stays on the side index's papers.
            known = self.catalog.row_of
            return [hit for hit in self.index.nearest(vector.tolist(), depth) if hit[0] in known]
        # One matmul over every paper beats gathering the rows that pass (a copy) once the
        # filter keeps more than a few thousand papers.
        cosines = self.local.vectors @ vector
        if filters:
            cosines[~filters.mask(self.catalog)] = -np.inf
        return [(self.catalog.ids[row], cosine) for row, cosine in _nearest(cosines, depth)]

    def bm25_leg(
        self, lexical: LexicalMatch, filters: Filters, depth: int
    ) -> list[tuple[str, float]]:
        """(paper id, BM25 score) of the best lexical matches that pass the filters."""
        scores = lexical.scores.copy()
        if filters:
            scores[~filters.mask(self.catalog)] = 0.0
        scores[scores <= 0] = -np.inf
        return [(self.catalog.ids[row], score) for row, score in _nearest(scores, depth)]

    def _rank(
        self,
        legs: dict[str, list[tuple[str, float]]],
        vector: np.ndarray,
        lexical: LexicalMatch,
        mode: Mode,
    ) -> list[Candidate]:
        """Distinct papers from every leg, each with its cosine to the question, ordered by
        the mode's score (hybrid: see HYBRID_DENSE_WEIGHT)."""
        found_by: dict[str, list[str]] = {}
        for leg, ranking in legs.items():
            for paper_id, _ in ranking:
                found_by.setdefault(paper_id, []).append(leg)
        if not found_by:
            return []
        rows = np.array([self.catalog.row_of[i] for i in found_by])
        cosines = self.local.vectors[rows] @ vector
        coverage = lexical.coverage(rows)
        scores = {
            "dense": cosines,
            "bm25": lexical.scores[rows],
            "hybrid": HYBRID_DENSE_WEIGHT * cosines
            + (1 - HYBRID_DENSE_WEIGHT) * coverage * coverage.max(initial=0.0),
        }[mode]
        candidates = [
            Candidate(paper_id, int(row), float(score), float(cosine), tuple(legs), float(share))
            for (paper_id, legs), row, score, cosine, share in zip(
                found_by.items(), rows, scores, cosines, coverage, strict=True
            )
        ]
        titles = self.catalog.titles
        return sorted(candidates, key=lambda c: (-c.score, -c.similarity, titles[c.row]))

    def _list_all(self, filters: Filters) -> list[Candidate]:
        """Every paper that passes the filters, newest first (up to LIST_MAX)."""
        catalog = self.catalog
        rows = np.flatnonzero(filters.mask(catalog)).tolist()
        rows.sort(key=lambda r: (-int(catalog.years[r]), catalog.titles[r]))
        return [Candidate(catalog.ids[r], r, 1.0, 1.0, ("filter",)) for r in rows[:LIST_MAX]]

    def similar(self, paper_id: str, k: int = 5) -> list[Hit]:
        """The k papers nearest to an indexed one, by cosine of their vectors."""
        row = self.catalog.row_of.get(paper_id)
        if row is None:
            raise UnknownPaper(paper_id)
        vectors = self.local.vectors
        cosines = vectors @ vectors[row]
        cosines[row] = -np.inf
        ids = self.catalog.ids
        return self._hits(
            [Candidate(ids[r], r, c, c, ("similar",)) for r, c in _nearest(cosines, k)]
        )

    def _hits(self, candidates: list[Candidate]) -> list[Hit]:
        """The stored records of the papers that made it, in ranking order."""
        records = self.index.records([c.paper_id for c in candidates])
        return [
            Hit(record, c.score, c.similarity, c.found_by, c.lexical)
            for record, c in zip(records, candidates, strict=True)
        ]


def _papers_wanted(k: object) -> int:
    """k as an int (numpy's too), or an error: k = -5 used to return 45-52 papers."""
    try:
        wanted = operator.index(k)
    except TypeError:
        wanted = 0
    if wanted < 1:
        raise AssistantError(f"k = {k!r} is not a number of papers - use 1 or more, e.g. 10")
    return wanted


def _nearest(cosines: np.ndarray, depth: int) -> list[tuple[int, float]]:
    """(row, cosine) of the `depth` highest cosines, best first; rows masked with -inf
    are left out. A partial sort: the whole array is never sorted."""
    depth = min(depth, len(cosines))
    if depth == 0:
        return []
    best = np.argpartition(-cosines, depth - 1)[:depth]
    best = best[np.argsort(-cosines[best])]
    return [(int(b), float(cosines[b])) for b in best if cosines[b] > -np.inf]
