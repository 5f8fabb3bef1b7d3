"""What a question asks about, read once: its facets.

A facet is one thing an answer must be about: a run of the question's content words
("protein folding", "diffusion models"; "hallucination", "large language models"), or a
figure it asks for ("what accuracy ...", "how many parameters ..."). Runs are cut at
words that name no topic (text.TOPICLESS: 'on', 'with', 'which', 'paper') and at
punctuation, so "a paper on protein folding with diffusion models" asks about two things.

The answer's reader (answer/coverage.py) checks every candidate paper against every
facet; the grading, the offline answer, the LLM's context and the UI all use this one
reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from assistant.search.intent import HOW_MUCH, number_phrase
from assistant.text import TOPICLESS, tokens

# Generic nouns that name no topic alone but finish a facet's name when they follow one:
# "diffusion models", "retrieval methods", "kernel approach".
_TAIL = frozenset("model models method methods approach approaches".split())
_TAIL_WORD = re.compile(r"[\s/-]+([^\W_]+)")
MAX_FACETS = 6  # a question describing a paper at length: its six heaviest runs


@dataclass(frozen=True)
class Facet:
    text: str  # as the question words it: "protein folding"
    words: tuple[str, ...]  # its content words as written: what support is sought for
    figure: bool = False  # it asks for a number: only a sentence with one answers it

    @cached_property  # read for every sentence of every candidate
    def initials(self) -> str:
        """What an acronym of its name would be: 'large language models' -> 'llm'."""
        return "".join(m.group()[0] for m in tokens(self.text)).lower()


def read_facets(query: str) -> tuple[Facet, ...]:
    """The facets of a question's search text (its filters and "which papers" framing
    already taken out, search/question.py), in the order the question names them."""
    figure = number_phrase(query)
    found: list[Facet] = []
    run: list[re.Match] = []
    previous_end = 0

    def close() -> None:
        if run:
            start, end = run[0].start(), run[-1].end()
            end = _tail_end(query, end)
            words = tuple(m.group() for m in run)
            # "what accuracy ...", "how many | parameters": the run in or just after it
            asks = figure is not None and figure.start() <= start <= figure.end() + 1
            found.append(Facet(query[start:end], words, asks))
            run.clear()

    framing = [m.span() for m in HOW_MUCH.finditer(query)]
    for match in tokens(query):
        word = match.group().lower()
        gap = query[previous_end : match.start()]
        previous_end = match.end()
        topical = word not in TOPICLESS and word not in _TAIL and (len(word) > 1 or word.isdigit())
        topical = topical and not any(a <= match.start() < b for a, b in framing)
        if not topical or not _joins(gap):
            close()
        if topical:
            run.append(match)
    close()
    if figure is not None and not any(f.figure for f in found):
        found.append(Facet(figure.group(), (), figure=True))
    return _heaviest(found)


def _joins(gap: str) -> bool:
    """Words stay in one run across spaces, hyphens and slashes, not across , ; ? ( ..."""
    return all(c.isspace() or c in "-/'\u2019" for c in gap)


def _tail_end(text: str, end: int) -> int:
    """Where a facet's name ends once generic nouns that follow it are taken in."""
    while (tail := _TAIL_WORD.match(text, end)) and tail.group(1).lower() in _TAIL:
        end = tail.end()
    return end


def _heaviest(facets: list[Facet]) -> tuple[Facet, ...]:
    """At most MAX_FACETS, the ones with the most content words kept, in question order."""
    if len(facets) <= MAX_FACETS:
        return tuple(facets)
    ranked = sorted(range(len(facets)), key=lambda i: (-facets[i].figure, -len(facets[i].words)))
    keep = sorted(ranked[:MAX_FACETS])
    return tuple(facets[i] for i in keep)
