"""Checking an answer's [n] citations against the numbered context it was written from.

A number outside the context is removed (and counted); every sentence that cites
is checked for support in the abstracts it cites, and the unsupported ones are
reported, so neither a confused model nor a planted abstract can make the answer
cite what was not retrieved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.result import Citation
from assistant.search.retrieval import Hit
from assistant.text import best_sentence, split_sentences

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
SUPPORTED = 0.5  # share of a claim's content words its cited abstract must contain
_ORPHAN = "\x00"  # stands in, during the check, for a citation that was removed


@dataclass(frozen=True)
class Checked:
    text: str
    citations: list[Citation]
    unsupported: list[str]
    dropped: int


def check_citations(text: str, hits: list[Hit]) -> Checked:
    valid = range(1, len(hits) + 1)
    dropped = 0

    def keep_valid(match: re.Match) -> str:
        nonlocal dropped
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        kept = [n for n in numbers if n in valid]
        dropped += len(numbers) - len(kept)
        # a claim whose only citation was invalid keeps a marker, so it is checked (and
        # flagged) below instead of passing as uncited text
        return "".join(f"[{n}]" for n in kept) or _ORPHAN

    text = _CITATION.sub(keep_valid, text)
    text = re.sub(r"[ \t]+([.,;:])", r"\1", text)
    support: dict[int, list[str]] = {}
    unsupported: list[str] = []
    for sentence in _claims(text):
        cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", sentence)})
        claim = re.sub(r"\s+([.,;:!?])", r"\1", _CITATION.sub("", sentence).replace(_ORPHAN, ""))
        found = [best_sentence(claim, _evidence(hits[n - 1])) for n in cited]
        if max((score for _, score in found), default=0.0) < SUPPORTED:
            unsupported.append(claim.strip())
        for n, (evidence, score) in zip(cited, found, strict=True):
            if score >= SUPPORTED and evidence not in support.setdefault(n, []):
                support[n].append(evidence)
    citations = [
        Citation(n, hits[n - 1].paper, tuple(support.get(n, ())))
        for n in sorted({int(n) for n in re.findall(r"\[(\d+)\]", text)})
    ]
    text = re.sub(r"[ \t]+([.,;:])", r"\1", text.replace(_ORPHAN, ""))
    return Checked(text, citations, unsupported, dropped)


def _claims(text: str) -> list[str]:
    """The sentences (and list items) of the answer that cite something."""
    pieces = (s for line in text.splitlines() for s in split_sentences(line))
    return [s for s in pieces if _CITATION.search(s) or _ORPHAN in s]


def _evidence(hit: Hit) -> str:
    """Everything the index knows about the paper that a claim may rest on."""
    paper = hit.paper
    by = f", by {', '.join(paper.authors)}" if paper.authors else ""
    year = f" ({paper.year})" if paper.year else ""
    return f"{paper.title}{by}{year}. {paper.abstract}"
