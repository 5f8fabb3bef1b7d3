"""What kind of answer a question wants, read once and used by every stage: retrieval (how
deep to search), the follow-up rewriter, the offline answerer and the mock LLM.

    follow_up  refers back to the conversation ("what data did they use?", "the second one")
    authors    who wrote a paper ("who wrote the DUQ paper?"); not "what do the authors of
               X propose?", which asks about the paper
    broad      an overview across papers ("what approaches exist for ...", "give me an
               overview of ...", "summarise what these papers say about ...")
    list       every paper that qualifies ("which papers study calibration?", "what has
               Juho Lee worked on?")
    compare    two or more named things side by side ("how does DUQ differ from DDU?")
    detail     anything else: one paper's method, result, data or number

The phrases are patterns over the question's words, not a model: they are few, each reads
as what it catches, and tests/test_intent.py holds examples of each.
"""

from __future__ import annotations

import re
from enum import StrEnum

PAPERS = r"(?:papers|works|preprints|articles|publications|studies)"  # plural: "which paper" is one
_FOLLOW_UP = re.compile(
    r"\b(they|them|their|theirs|it|its|this|that|these|those|the (paper|papers|method|model|"
    r"approach|authors?|first|second|third|last|former|latter|other|same)|both|either|"
    r"one|ones|above|previous|mentioned)\b",
    re.I,
)
_AUTHORS = re.compile(
    r"\bwho\b[^?.]*\b(wrote|writes|write|authored|authors?|behind)\b"
    r"|^\W*(?:(?:what|which) (?:are|were) )?(?:the )?(?:names of the )?authors? (?:of|for)\b"
    r"(?![^?.]*\b(?:propose|find|found|show|use|used|claim|report|do|did|study|introduce)\w*\b)"
    r"|\b(?:list|name|give me) the authors\b",
    re.I,
)
_LIST = re.compile(
    rf"\b(which|what|list|all|any|every|show|find)\s+(?:of\s+the\s+)?(?:\S+\s+){{0,3}}?{PAPERS}\b"
    rf"|\b{PAPERS}\s+(?:that|which|on|about|studying|using|by|with|from)\b"
    rf"|\bare there (?:any )?{PAPERS}\b"
    r"|\bworked on\b|\bpublish(?:ed)?\b|\bco-?author(?:ed)?\b",  # someone's works
    re.I,
)
_BROAD = re.compile(
    r"\b(?:overview|survey|summary|review|landscape) of\b|\bstate of the art\b"
    r"|\bliterature (?:on|about)\b"
    r"|\bwhat (?:are )?(?:the )?(?:main |different |common |key |various |existing )?"
    r"(approaches|methods|techniques|ways|strategies|ideas|trends|themes|directions)\b"
    r"|\b(?:summar\w+|tell me|what do) (?:what )?(?:these|the) papers\b",
    re.I,
)
# "differ" and "contrast" by their inflections only: "differentiable", "differential" and
# "contrastive" name techniques, not a comparison.
_COMPARE = re.compile(
    r"\b(compare[sd]?|comparison|comparing|differ(?:s|ed|ing|ences?|ent|ently)?|versus|vs\.?"
    r"|contrast(?:s|ed|ing)?)\b",
    re.I,
)
# "how many", "how large": asks for a figure and names no topic itself
HOW_MUCH = re.compile(r"\bhow (many|much|fast|large|big|long|often|well)\b", re.I)
_NUMBER = re.compile(
    rf"{HOW_MUCH.pattern}|\bwhat (accuracy|percentage|score|"
    r"speed-?up|rate|error|size|number)\b|\bby how much\b|\b(accuracy|percent|%|speed-?up)\b",
    re.I,
)


class Intent(StrEnum):
    FOLLOW_UP = "follow_up"
    AUTHORS = "authors"
    LIST = "list"
    BROAD = "broad"
    COMPARE = "compare"
    DETAIL = "detail"

    @property
    def wants_all(self) -> bool:
        """Every qualifying paper, not the best few."""
        return self in (Intent.LIST, Intent.BROAD)


def read_intent(text: str, conversation: bool = False) -> Intent:
    """The first intent whose phrase the question carries, in the order of the module's
    docstring; a follow-up only when there is a conversation to refer back to."""
    if conversation and _FOLLOW_UP.search(text):
        return Intent.FOLLOW_UP
    if _AUTHORS.search(text):
        return Intent.AUTHORS
    if _BROAD.search(text):
        return Intent.BROAD
    if _LIST.search(text):
        return Intent.LIST
    if _COMPARE.search(text):
        return Intent.COMPARE
    return Intent.DETAIL


def comparison_words(text: str) -> list[re.Match]:
    """Where a question asks for a comparison ("compare", "versus"): framing, not a topic."""
    return list(_COMPARE.finditer(text))


def list_phrase(text: str) -> re.Match | None:
    """Where a "which papers ..." question says so: it frames, it names no topic."""
    return _LIST.search(text)


def asks_for_a_number(text: str) -> bool:
    """'how many', 'what accuracy', 'by how much': the answer should lead with a figure."""
    return number_phrase(text) is not None


def number_phrase(text: str) -> re.Match | None:
    """Where the question asks for a figure, if it does."""
    return _NUMBER.search(text)
