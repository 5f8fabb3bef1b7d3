"""The reader: which facets of the question (search/facets.py) each candidate paper covers,
and with which sentence.

For each facet and paper it measures two things:

    lexical   the idf-weighted share of the facet's words that the paper's title or
              abstract holds: compared on their stems ('calibrate' ~ 'calibration'), a
              misspelling read as the indexed word it misspells, and an acronym met by its
              expansion either way ('LLMs' ~ 'large language models')
    sentence  the same share for the paper's best single sentence (its title is one):
              the facet's words meeting in one place, not scattered

A logistic model fitted by evals/fit.py (fitted.json, "coverage") turns them into the
probability that the paper covers the facet. A facet asking for a figure is covered only
by a sentence holding a number. A pass over the candidates' sentences: about 4 ms a
question. Meaning was measured too and left out: the cosine of a facet's MiniLM vector
and the paper's changed no out-of-fold figure of the grading (evals/README.md) and cost
26 ms a question in embeddings; the vectors of every abstract sentence of ten candidates
cost 0.76 s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from assistant.answer.fitted import Logistic, logistic
from assistant.search.facets import Facet
from assistant.search.retrieval import Hit
from assistant.store.sidecar import SideIndex
from assistant.text import STEM, STOPWORDS, english_words, split_sentences, tokens

_DIGIT = re.compile(r"\d")
FEATURES = ("lexical", "sentence")


@dataclass(frozen=True)
class Support:
    """How one paper stands to one facet."""

    facet: Facet
    probability: float  # that the paper covers the facet
    covered: bool
    sentence: str  # the paper's sentence that best supports it ('' when none holds a word)
    signals: dict[str, float]

    def to_json(self) -> dict:
        return {
            "facet": self.facet.text,
            "covered": self.covered,
            "probability": round(self.probability, 4),
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class PaperCoverage:
    """One candidate paper against every facet of the question."""

    hit: Hit
    supports: tuple[Support, ...]

    @property
    def covers_all(self) -> bool:
        return all(s.covered for s in self.supports)

    @property
    def weakest(self) -> float:
        """The lowest probability over the facets: a paper answers only what all it covers."""
        return min((s.probability for s in self.supports), default=1.0)

    @property
    def covered(self) -> list[Facet]:
        return [s.facet for s in self.supports if s.covered]

    @property
    def lacking(self) -> list[Facet]:
        return [s.facet for s in self.supports if not s.covered]

    def to_json(self) -> dict:
        return {
            "covers": [f.text for f in self.covered],
            "lacks": [f.text for f in self.lacking],
            "facets": [s.to_json() for s in self.supports],
        }


class Reader:
    """Reads candidate papers against a question's facets, with the side index's words."""

    def __init__(self, local: SideIndex) -> None:
        self.local = local

    def read(
        self, facets: Sequence[Facet], hits: Sequence[Hit], model: Logistic | None = None
    ) -> list[PaperCoverage]:
        """Every hit against every facet, in the hits' order."""
        model = model or logistic("coverage")
        read = []
        for hit in hits:
            sentences = [_Sentence.of(s) for s in [hit.paper.title, *_sentences(hit)]]
            supports = (judged(facet, *self._signals(facet, sentences), model) for facet in facets)
            read.append(PaperCoverage(hit, tuple(supports)))
        return read

    def mentioned(self, facet: Facet) -> bool:
        """Whether some indexed paper holds every word of the facet (on their stems) or its
        acronym: "No indexed abstract mentions X" is said only when none does."""
        bm25 = self.local.bm25
        acronym = facet.initials
        if len(facet.words) >= 2 and any(
            bm25.document_frequency(a) for a in (acronym, acronym + "s")
        ):
            return True
        holding: set[int] | None = None
        for word in facet.words:
            stem = _stem(_read(bm25, word))
            rows = {int(r) for term in self._by_stem.get(stem, ()) for r in bm25.rows_holding(term)}
            holding = rows if holding is None else holding & rows
            if not holding:
                return False
        return True

    @cached_property
    def _by_stem(self) -> dict[str, list[str]]:
        """The indexed terms by their stem."""
        found: dict[str, list[str]] = {}
        for term in self.local.bm25.vocabulary:
            found.setdefault(_stem(term), []).append(term)
        return found

    def _signals(self, facet: Facet, sentences: list[_Sentence]) -> tuple[dict[str, float], str]:
        bm25 = self.local.bm25
        wanted = [(_read(bm25, w), w) for w in facet.words]
        weights = [bm25.idf(term) for term, _ in wanted]
        total = sum(weights) or 1.0
        held_anywhere: set[int] = set()
        best, best_sentence = 0.0, ""
        for sentence in sentences:
            held = sentence.holding(facet, wanted)
            held_anywhere |= held
            share = sum(weights[i] for i in held) / total
            if share > best or (share == best and facet.figure and _DIGIT.search(sentence.text)):
                best, best_sentence = share, sentence.text
        if facet.figure and not facet.words:  # "how many": the sentence must hold a number
            numbered = [s.text for s in sentences if _DIGIT.search(s.text)]
            best_sentence = numbered[0] if numbered else ""
            best = float(bool(numbered))
        lexical = sum(weights[i] for i in held_anywhere) / total if facet.words else best
        return {"lexical": lexical, "sentence": best}, best_sentence if best else ""


def judged(facet: Facet, signals: dict[str, float], sentence: str, model: Logistic) -> Support:
    """How a paper stands to a facet, by `model`, from its signals and best sentence."""
    probability = model.probability(signals)
    if facet.figure and not _DIGIT.search(sentence):
        probability = 0.0  # asked for a number; no sentence that holds one
    return Support(facet, probability, probability >= model.threshold, sentence, signals)


def rescored(read: Sequence[PaperCoverage], model: Logistic) -> list[PaperCoverage]:
    """A reading judged again by another model, its signals kept: what evals/fit.py fits
    on, without reading every sentence again for each fold."""
    return [
        PaperCoverage(
            p.hit, tuple(judged(s.facet, s.signals, s.sentence, model) for s in p.supports)
        )
        for p in read
    ]


def _sentences(hit: Hit) -> list[str]:
    return split_sentences(hit.paper.abstract)


@dataclass(frozen=True)
class _Sentence:
    """A sentence's words, ready to be matched: stems, and the acronyms its runs spell."""

    text: str
    stems: frozenset[str]
    words: frozenset[str]
    initials: tuple[str, str]  # the first letters of every word, and of its non-stopwords

    @classmethod
    def of(cls, text: str) -> _Sentence:
        found = [m.group().lower() for m in tokens(text)]
        plain = [w for w in found if w not in STOPWORDS]
        return cls(
            text,
            frozenset(map(_stem, found)),
            frozenset(found),
            ("".join(w[0] for w in found), "".join(w[0] for w in plain)),
        )

    def holding(self, facet: Facet, wanted: list[tuple[str, str]]) -> set[int]:
        """Which of the facet's words this sentence holds (their places in `wanted`)."""
        acronym = facet.initials
        if len(acronym) >= 2 and len(facet.words) >= 2 and self.words & {acronym, acronym + "s"}:
            return set(range(len(wanted)))  # 'large language models' meets 'LLMs'
        held = set()
        for place, (term, written) in enumerate(wanted):
            if _stem(term) in self.stems or self._spells(written):
                held.add(place)
        return held

    def _spells(self, written: str) -> bool:
        """An acronym in the question met by its expansion: 'GNNs' ~ 'graph neural networks'."""
        letters = written.removesuffix("s")
        if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()):
            return False
        letters = letters.lower()
        return any(letters in initials for initials in self.initials)


def _read(bm25, word: str) -> str:
    """The indexed term a question's word means: itself, or the term it misspells; an
    English word is never a misspelling ('Naples' is not 'samples')."""
    lowered = word.lower()
    return lowered if lowered in english_words() else bm25.spelled(lowered, word)


def _stem(word: str) -> str:
    return word if word[:1].isdigit() else word[:STEM]
