"""When to refuse: one calibrated decision over the evidence retrieval found.

The signals, measured for every question (`Evidence`):

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

A logistic regression over them gives the probability that the papers cannot answer, and
the answer is refused at or above a threshold. Both are fitted on the tune halves of the
eval sets by evals/fit.py and kept in fitted.json beside this module, so a refusal can
always be traced to its numbers (`Answer.evidence`). Two kinds of question
carry their own evidence and are never refused: a listing by filters alone ("what has
Juho Lee worked on?") and a question that names an indexed paper by its whole title.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from functools import cache

from assistant.answer.fitted import fitted
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


@dataclass(frozen=True)
class RefusalModel:
    """P(the papers cannot answer) = sigmoid(bias + sum of weight x feature)."""

    weights: dict[str, float]
    bias: float
    threshold: float
    version: int = 1

    @classmethod
    def load(cls) -> RefusalModel:
        data = fitted()
        refusal = data["refusal"]
        return cls(refusal["weights"], refusal["bias"], refusal["threshold"], data["version"])

    def probability(self, evidence: Evidence) -> float:
        features = evidence.features()
        logit = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1 / (1 + math.exp(-logit))


@dataclass(frozen=True)
class Decision:
    refuse: bool
    score: float | None  # the model's probability; None when the question carries evidence
    evidence: Evidence | None

    def explain(self) -> str:
        """What the refusal rests on, when a name says it best."""
        if self.refuse and self.evidence and self.evidence.unseen:
            return f"No indexed paper mentions {', '.join(map(repr, self.evidence.unseen))}."
        return ""

    def to_json(self, model: RefusalModel) -> dict:
        signals = asdict(self.evidence) if self.evidence else None
        if signals:
            signals["unseen"] = list(signals["unseen"])
        return {
            "refused": self.refuse,
            "score": None if self.score is None else round(self.score, 4),
            "threshold": model.threshold,
            "signals": signals,
        }


@cache
def refusal_model() -> RefusalModel:
    return RefusalModel.load()


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


def decide(hits: Hits, local: SideIndex) -> Decision:
    if hits.question.topic_free or hits.question.named:
        return Decision(refuse=not hits, score=None, evidence=None)
    if not hits:
        return Decision(refuse=True, score=None, evidence=None)
    evidence = gather_evidence(hits, local)
    model = refusal_model()
    score = model.probability(evidence)
    return Decision(score >= model.threshold, score, evidence)


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
