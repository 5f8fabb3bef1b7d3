"""What a question names that the papers lack: the sharpest evidence for a refusal.

A cosine of 0.4 cannot tell papers *near* a topic from papers *on* it ('deepfake videos'
finds video papers; 'RL for chip placement' finds RL papers). Words can: a name no indexed
paper contains, a Title-Case name none of the papers found contains, or the most specific
word of a "which papers" question that none of the papers listed has.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.evidence import STOPWORDS
from assistant.retrieval import Hits
from assistant.sparse import tokenize

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


def _unseen_names(text: str, document_frequency: Callable[[str], int]) -> list[str]:
    """Capitalised words or words with digits ('AlphaFold', 'YOLOv8', 'SWE-bench') with a
    part that no indexed paper contains."""
    names = []
    for word in _WORD.findall(text):
        named = word[0].isupper() or any(c.isdigit() for c in word)
        if word.lower() in STOPWORDS or not named or len(word) < MIN_NAME_CHARS:
            continue
        parts = [t for t in tokenize([word], ids=False)[0] if len(t) >= 3 and not t.isdigit()]
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
    words = [
        t
        for t in dict.fromkeys(tokenize([query], ids=False)[0])
        if t not in STOPWORDS and not t.isdigit()
    ]
    if not words or not hits:
        return []
    rarest = min(words, key=lambda w: (document_frequency(w), -len(w)))  # ties: the longer
    listed = (set(tokenize([f"{h.paper.title} {h.paper.abstract}"], ids=False)[0]) for h in hits)
    return [] if any(rarest in tokens for tokens in listed) else [rarest]


def _normalised(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "
