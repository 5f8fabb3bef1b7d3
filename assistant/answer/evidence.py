"""How well the best papers match the question as a whole: the evidence signals.

    best_cosine  the best paper's cosine to the question
    margin       how far it stands out: its cosine minus the mean of candidates 5-15
    coverage     the largest share of the question's term mass one of the top papers holds
    sentence     the largest share of the question's content words that one abstract
                 sentence of the top papers holds
    unknown      the share of the question's term weight (idf) in words that no indexed
                 paper holds, in its text or its authors, misspellings aside ('tokamak')
    unseen       names in the question that no indexed paper contains, in its text or
                 its authors ('AlphaFold', 'YOLOv8'); a sentence's first word, or a word
                 the embedding model's English vocabulary holds whole, is never a name

They describe the best match; the reader (coverage.py) says which parts of the question
each paper covers, and the grading (grading.py) weighs both.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from assistant.search.retrieval import Hits
from assistant.store.bm25 import plain_word
from assistant.store.sidecar import SideIndex
from assistant.text import TOPICLESS, best_sentence, closest, english_words, terms, tokens

TOP = 3  # papers whose words and sentences count as the evidence
_SENTENCE_START = re.compile(r"(^|[.?!:;]\s*|\n)\W*$")


@dataclass(frozen=True)
class Evidence:
    best_cosine: float
    margin: float
    coverage: float
    sentence: float
    unknown: float
    unseen: tuple[str, ...]

    def to_json(self) -> dict:
        signals = asdict(self)
        signals["unseen"] = list(self.unseen)
        return signals

    def features(self) -> dict[str, float]:
        """The model's inputs, by name."""
        return {
            "best_cosine": self.best_cosine,
            "margin": self.margin,
            "coverage": self.coverage,
            "sentence": self.sentence,
            "unknown": self.unknown,
            "unseen": float(len(self.unseen) > 0),
        }


def gather_evidence(hits: Hits, local: SideIndex) -> Evidence:
    """The signals of the module docstring, for these hits of a question."""
    query = hits.question.query
    top = list(hits)[:TOP]
    held = _Holdings(local)
    return Evidence(
        best_cosine=max((h.similarity for h in hits), default=0.0),
        margin=hits.peak,
        coverage=max((h.lexical for h in top), default=0.0),
        sentence=max((best_sentence(query, h.paper.abstract)[1] for h in top), default=0.0),
        unknown=held.unknown_share(query),
        unseen=tuple(name for name in names(hits.question.text) if not held.holds_name(name)),
    )


def names(text: str) -> list[str]:
    """Words that read as names: with a digit, a capital inside ('AlphaFold', 'DPO'), or
    capitalised and not a whole English word; never the first word of a sentence. Words
    joined by hyphens are one name ('SWE-bench', 'GPT-4')."""
    found = []
    for start, end in _hyphen_runs(text):
        word = text[start:end]
        if not word[0].isalpha() or _SENTENCE_START.search(text[:start]):
            continue
        inner_capital = any(c.isupper() for c in word[1:])
        digit = any(c.isdigit() for c in word)
        capitalised = word[0].isupper() and word.lower() not in english_words()
        if inner_capital or digit or capitalised:
            found.append(word)
    return list(dict.fromkeys(found))


def _hyphen_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of words joined by single hyphens."""
    runs: list[tuple[int, int]] = []
    for match in tokens(text):
        if runs and text[runs[-1][1] : match.start()] == "-":
            runs[-1] = (runs[-1][0], match.end())
        else:
            runs.append((match.start(), match.end()))
    return runs


class _Holdings:
    """What the indexed papers hold: the words of their text (BM25's terms) and their
    authors' last names, each allowing for a misspelling of a plain word."""

    def __init__(self, local: SideIndex) -> None:
        self.bm25, self.catalog = local.bm25, local.catalog

    def holds(self, term: str, written: str) -> bool:
        if self.bm25.spelled(term, written) in self.bm25.vocabulary:
            return True
        if self.catalog.authors_named(term):
            return True
        return plain_word(written) and closest(term, self.catalog.last_names) is not None

    def holds_name(self, name: str) -> bool:
        """A name is held when every part of it (of three letters or more) is."""
        return all(
            self.holds(term, word)
            for term, word in terms(name)
            if len(term) >= 3 and not term.isdigit()
        )

    def unknown_share(self, text: str) -> float:
        weighed = [(term, word) for term, word in terms(text) if term not in TOPICLESS]
        weights = [self.bm25.idf(self.bm25.spelled(term, word)) for term, word in weighed]
        total = sum(weights)
        unknown = sum(
            w for w, (t, word) in zip(weights, weighed, strict=True) if not self.holds(t, word)
        )
        return unknown / total if total else 0.0
