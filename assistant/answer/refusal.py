"""When to refuse: weak evidence, and what a question names that the papers lack.

A cosine of 0.4 cannot tell papers *near* a topic from papers *on* it ('deepfake videos'
finds video papers; 'RL for chip placement' finds RL papers). Words can: a name no indexed
paper contains, a Title-Case name none of the papers found contains, or the most specific
word of a "which papers" question that none of the papers listed has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.search.retrieval import Hits
from assistant.store.bm25 import terms
from assistant.text import STOPWORDS, overlap

# Refuse rather than cite weak matches: when the question's best paper has a cosine below
# REFUSE_BELOW and shares few of its words, when it hardly stands out from the other
# candidates, or when the question names what the papers lack (find_gaps below): below
# REFUSE_UNSEEN_BELOW something no indexed paper mentions ('AlphaFold', 'Llama 3'), below
# REFUSE_ABSENT_BELOW something none of the papers found mentions ('Stable Diffusion',
# 'deepfake' in "which papers detect deepfake videos?"). Calibrated on evals/datasets/dev.jsonl.
REFUSE_BELOW = 0.25
REFUSE_WORDS_BELOW = 0.5
REFUSE_UNSEEN_BELOW = 0.62
REFUSE_ABSENT_BELOW = 0.5
REFUSE_PEAK_BELOW = 0.05  # the best paper hardly stands out from the rest: a flat field
_WORD = re.compile(r"[A-Za-z][\w-]*")
_TITLE_CASE_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")  # 'Stable Diffusion'
MIN_NAME_CHARS = 4  # short acronyms and units ('GRU', 'MB') are too often a paraphrase's own


@dataclass(frozen=True)
class Gaps:
    unseen: list[str]  # names no indexed paper contains: 'AlphaFold', 'YOLOv8'
    absent: list[str]  # in the index maybe, but in none of the papers found

    def explain(self) -> str:
        if self.unseen:
            return f"No indexed paper mentions {_quoted(self.unseen)}."
        if self.absent:
            return f"None of the papers found mentions {_quoted(self.absent)}."
        return ""


def _quoted(words: list[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def find_gaps(hits: Hits, document_frequency: Callable[[str], int]) -> Gaps:
    """`document_frequency(token)`: how many indexed papers hold a bm25s token."""
    query = hits.question.query
    found = _normalised(" ".join(f"{h.paper.title} {h.paper.abstract}" for h in hits))
    absent = [name for name in _title_case_names(query) if _normalised(name) not in found]
    if hits.question.wants_all and not hits.question.topic_free:
        absent += _missing_topic_word(query, hits, document_frequency)
    return Gaps(_unseen_names(query, document_frequency), list(dict.fromkeys(absent)))


def weak_evidence(hits: Hits, gaps: Gaps) -> bool:
    """Neither the meaning (cosine) nor the words (share of the question's content words
    in the best papers) point at an answer, or the question names what the papers lack."""
    if not hits:
        return True
    if hits.question.topic_free or hits.question.named:  # the filter or the title is evidence
        return False
    best = max(h.similarity for h in hits)
    words = max(
        overlap(hits.question.query, f"{h.paper.title} {h.paper.abstract}") for h in hits[:3]
    )
    if gaps.unseen:
        return best < REFUSE_UNSEEN_BELOW
    if gaps.absent and best < REFUSE_ABSENT_BELOW:
        return True
    flat = hits.peak < REFUSE_PEAK_BELOW and not hits.filters
    return flat or (best < REFUSE_BELOW and words < REFUSE_WORDS_BELOW)


def _unseen_names(text: str, document_frequency: Callable[[str], int]) -> list[str]:
    """Capitalised words or words with digits ('AlphaFold', 'YOLOv8', 'SWE-bench') with a
    part that no indexed paper contains."""
    names = []
    for word in _WORD.findall(text):
        named = word[0].isupper() or any(c.isdigit() for c in word)
        if word.lower() in STOPWORDS or not named or len(word) < MIN_NAME_CHARS:
            continue
        parts = [t for t in terms(word) if len(t) >= 3 and not t.isdigit()]
        if any(document_frequency(t) == 0 for t in parts):
            names.append(word)
    return list(dict.fromkeys(names))


def _title_case_names(text: str) -> list[str]:
    """Runs of two or more Title-Case words, the sentence's own first word left out."""
    names = []
    for match in _TITLE_CASE_NAME.finditer(text):
        words = re.split(r"[ -]", match.group())
        if not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".?!:":
            words = words[1:]
        if len(words) >= 2:
            names.append(" ".join(words))
    return names


def _missing_topic_word(
    query: str, hits: Hits, document_frequency: Callable[[str], int]
) -> list[str]:
    """The question's rarest word, when no paper listed has it: the listing is of papers
    next to the topic, not on it."""
    words = [t for t in dict.fromkeys(terms(query)) if t not in STOPWORDS and not t.isdigit()]
    if not words or not hits:
        return []
    rarest = min(words, key=lambda w: (document_frequency(w), -len(w)))  # ties: the longer
    listed = (set(terms(f"{h.paper.title} {h.paper.abstract}")) for h in hits)
    return [] if any(rarest in tokens for tokens in listed) else [rarest]


def _normalised(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "
