"""Checking an answer's citations against the numbered context it was written from, one
sentence at a time, so a streamed answer is checked as it arrives.

Every citation, in any spelling (citations.py), is mapped to the context or removed and
counted, and the kept ones are written [n]. Each sentence that cites is then checked for
support in the abstracts it cites: a cited paper that does not support it is removed (and
counted) when another cited paper does; when none does, the sentence keeps its citations
but is reported as unsupported and its papers are not listed as sources. A paper does not
back a sentence that names a facet of the question the reader found it lacks and whose
words its abstract does not hold (coverage.py): "Blurring Diffusion Models folds proteins
[1]" is flagged. So neither a confused model nor a planted abstract ("cite [9]") can make
an answer list a paper that was not retrieved, or one that does not back what cites it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from assistant.answer.citations import CitationMark, find_citations, write_citations
from assistant.answer.result import Citation
from assistant.search.retrieval import Hit
from assistant.text import best_sentence, content_words, sentence_pieces

if TYPE_CHECKING:
    from assistant.answer.grading import Grading

SUPPORTED = 0.5  # share of a claim's content words its cited abstract must contain


class Sentence(NamedTuple):
    text: str  # checked: citations written [n], the removed ones gone
    backed: bool  # it cites a paper whose abstract supports it


class CitationCheck:
    """Feed it the answer as it is written; it gives back each sentence checked, once the
    sentence is complete, and keeps what it found: the papers that support what cites
    them (the Sources), the unsupported sentences and the removed citations."""

    def __init__(self, hits: list[Hit], grading: Grading | None = None) -> None:
        self.hits = hits
        # n -> the content words of each facet the reader found paper n lacks
        self.lacking: dict[int, list[set[str]]] = {}
        for n, hit in enumerate(hits, 1):
            read = grading.coverage_of(hit.paper.id) if grading else None
            # a figure is lacked for want of a number, not of its words; and words the
            # abstract itself holds are not a claim it lacks (a quote of it names them)
            lacks = read.lacking if read else []
            wanted = [content_words(f.text) for f in lacks if f.words and not f.figure]
            if wanted:
                held = content_words(_evidence(hit))
                self.lacking[n] = [words for words in wanted if not words <= held]
        self.support: dict[int, list[str]] = {}  # n -> its abstract's sentences that back it
        self.unsupported: list[str] = []  # cited sentences no cited abstract supports
        self.dropped_outside = 0  # numbers (or ranges) outside the context, removed
        self.dropped_unsupported = 0  # removed: another cited paper backs their sentence
        self.pending = ""  # the sentence being written, unchecked

    def feed(self, piece: str) -> list[Sentence]:
        """The sentences this piece completes, checked."""
        *done, self.pending = sentence_pieces(self.pending + piece)
        return [self._check(sentence) for sentence in done]

    def finish(self) -> list[Sentence]:
        """The last sentence, checked: the text has ended."""
        rest, self.pending = self.pending, ""
        return [self._check(rest)] if rest else []

    @property
    def citations(self) -> list[Citation]:
        return [
            Citation(n, self.hits[n - 1].paper, tuple(self.support[n]))
            for n in sorted(self.support)
        ]

    def _check(self, sentence: str) -> Sentence:
        marks = find_citations(sentence)
        if not marks:
            return Sentence(sentence, backed=False)
        count = len(self.hits)
        self.dropped_outside += sum(mark.outside(count) for mark in marks)
        cited = sorted({n for mark in marks for n in mark.numbers(count)})
        claim = claim_of(sentence, marks)
        found = {n: best_sentence(claim, _evidence(self.hits[n - 1])) for n in cited}
        backing = [
            n for n in cited if found[n][1] >= SUPPORTED and not self._names_lacking(claim, n)
        ]
        if backing:
            self.dropped_unsupported += len(cited) - len(backing)
            for n in backing:
                if found[n][0] not in self.support.setdefault(n, []):
                    self.support[n].append(found[n][0])
            return Sentence(_rewritten(sentence, marks, set(backing), count), backed=True)
        if content_words(claim):  # a line holding only citations claims nothing
            self.unsupported.append(claim)
        return Sentence(_rewritten(sentence, marks, set(cited), count), backed=False)

    def _names_lacking(self, claim: str, n: int) -> bool:
        """The claim names a facet paper n lacks: all of the facet's words are in it."""
        said = content_words(claim)
        return any(words and words <= said for words in self.lacking.get(n, []))


def claim_of(sentence: str, marks: list[CitationMark] | None = None) -> str:
    """What a sentence claims: its text without the citations, as `unsupported` lists it."""
    marks = find_citations(sentence) if marks is None else marks
    return _rewritten(sentence, marks, set(), 0).strip()


def _rewritten(sentence: str, marks: list[CitationMark], keep: set[int], count: int) -> str:
    """Each citation written [n] for the numbers kept; one left with none is removed with
    the space before it, so 'a pass [42].' reads 'a pass.'."""
    out, last = "", 0
    for mark in marks:
        out += sentence[last : mark.start]
        numbers = [n for n in mark.numbers(count) if n in keep]
        if numbers:
            out += (" " if out[-1:].isalnum() else "") + write_citations(numbers)
        else:
            out = out.rstrip(" \t")
        last = mark.end
    out += sentence[last:]
    return out if sentence[:1] in " \t" else out.lstrip(" \t")  # '[42] The' -> 'The'


def _evidence(hit: Hit) -> str:
    """Everything the index knows about the paper that a claim may rest on."""
    paper = hit.paper
    by = f", by {', '.join(paper.authors)}" if paper.authors else ""
    year = f" ({paper.year})" if paper.year else ""
    return f"{paper.title}{by}{year}. {paper.abstract}"
