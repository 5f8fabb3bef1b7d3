"""How an answer's citations are spelled: the one grammar every check, count and quote uses.

Models cite in many spellings; each is read as the context numbers it names:

    [1]  [ 1 ]  [1, 2]  [1; 2]  [1-3]  [1][2]  [^1]  【1】  【1†source】
    [Source 1]  [Sources 1 and 2]  [doc1]  [Document 2]  [paper 3]  (Source 1)  (doc1)

A range (with a hyphen or a dash) names every number from its low end to its high end
(`[42-42]` is 42). Not citations: a list or range starting at 0 (`[0, 1]` is an
interval), decimals (`[0.5]`), and "(ref. 29)", the form `defuse` gives an abstract's
own reference marks.

A bare number in parentheses is a citation only where a model puts one: after a word
and a space, closing its clause (before `.,;:!?` or the end of the line), 1 to 3
digits, and not after a word that numbers things in the text itself (Eq., Figure,
Table, Section, Step ...). So "forward pass (1)." and "(1, 2)." cite, while "(1) we
propose", "steps (1) and (2) are", "Eq. (1).", "f(1).", "x = (1)." and "(2021)."
are prose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex  # the re module cannot tell whether an unfinished text may still be a citation

_LABEL = r"(?:source|doc(?:ument)?|paper|passage|context|abstract)s?\s*#?\s*"
_ITEM = rf"(?:{_LABEL})?\d{{1,4}}(?:\s*[-\u2013\u2014]\s*\d{{1,4}})?"
_SEPARATOR = r"\s*(?:[,;&]\s*(?:and\s+)?|and\s+)"
_LIST = rf"{_ITEM}(?:{_SEPARATOR}{_ITEM})*"
_BARE_ITEM = r"\d{1,3}(?:\s*[-\u2013\u2014]\s*\d{1,3})?"
# Words that number things in the text itself: "Eq. (1)" is an equation, not a citation.
_NUMBERING_WORD = (
    r"\b(?:eqs?|equations?|figs?|figures?|tables?|sections?|sec|steps?|stages?|phases?"
    r"|theorems?|lemmas?|algorithms?|appendix|chapters?|lines?|items?|cases?|rules?"
    r"|examples?|parts?)\.?\s*"
)
_MARK = regex.compile(
    rf"\[\s*\^?\s*(?P<square>{_LIST})\s*(?:†[^\]\n]*)?\]"
    rf"|【\s*(?P<lenticular>{_LIST})\s*(?:†[^】\n]*)?】"
    rf"|\(\s*(?P<labelled>{_LABEL}{_LIST})\s*\)"
    rf"|(?<=[\w)\]*\"'\u2019%,] )(?<!{_NUMBERING_WORD})"
    rf"\((?P<bare>{_BARE_ITEM}(?:\s*,\s*{_BARE_ITEM})*)\)(?=[.,;:!?]|[ \t]*(?:\n|$))",
    regex.I,
)
_ITEM_NUMBERS = regex.compile(r"(\d+)(?:\s*[-\u2013\u2014]\s*(\d+))?")
_OPENER = regex.compile(r"[\[【(]")
DEFUSED = "(ref. {})"  # how a quoted abstract's own "[29]" is shown: never a citation


@dataclass(frozen=True)
class CitationMark:
    """One citation as written: where it is in the text and the numbers (low, high) it
    names, one pair per number or range."""

    start: int
    end: int
    items: tuple[tuple[int, int], ...]

    def numbers(self, count: int) -> list[int]:
        """The numbers it names that are in a context of `count` papers, in order."""
        found = (n for low, high in self.items for n in range(max(low, 1), min(high, count) + 1))
        return list(dict.fromkeys(found))

    def outside(self, count: int) -> int:
        """How many of its numbers or ranges reach outside 1..count (a range counts once)."""
        return sum(low < 1 or high > count for low, high in self.items)

    def written(self) -> str:
        """Its numbers and ranges as '3' and '4-6', for quoting."""
        return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in self.items)


def find_citations(text: str) -> list[CitationMark]:
    """Every citation in the text, in any spelling above, in order."""
    marks = []
    for match in _MARK.finditer(text):
        inner = next(group for group in match.groups() if group is not None)
        items = tuple(
            (min(low, high), max(low, high))
            for low, high in ((int(a), int(b or a)) for a, b in _ITEM_NUMBERS.findall(inner))
        )
        if items[0][0] == 0 and (match["bare"] or len(items) > 1 or items[0][1] > 0):
            continue  # [0, 1] is an interval; a lone [0] is a citation outside the context
        marks.append(CitationMark(match.start(), match.end(), items))
    return marks


def settled(unfinished: str) -> str:
    """The start of an unfinished sentence that no citation check can change: the text
    before the first citation, or the first place where one may be starting."""
    for opener in _OPENER.finditer(unfinished):
        if _MARK.match(unfinished, opener.start(), partial=True):
            return unfinished[: opener.start()]
    return unfinished


def write_citations(numbers: Sequence[int]) -> str:
    """The one spelling answers are shown in: [1][2]."""
    return "".join(f"[{n}]" for n in numbers)


def defuse(quoted: str) -> str:
    """A quoted abstract with its own citation marks ("[29]", or a planted "cite [9]")
    rewritten as "(ref. 29)", so no check ever reads them as citing the context."""
    parts, last = [], 0
    for mark in find_citations(quoted):
        parts += [quoted[last : mark.start], DEFUSED.format(mark.written())]
        last = mark.end
    return "".join(parts) + quoted[last:]
