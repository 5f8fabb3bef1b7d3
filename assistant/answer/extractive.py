"""The offline answerer: no LLM, so it quotes the abstract sentences that answer the question.

It shapes the answer to its grading (grading.py) and the question's intent
(search/intent.py). A `partial` answer says first what no paper covers, then gives the
closest papers as partial matches, each with what it covers. Otherwise: a list of the
papers that qualify for "which papers" and overview questions (those scoring within a
fitted margin of the best whose weakest facet the reader covers at a fitted level; the
count said is the count listed), two papers side by side for a comparison, the author list for "who
wrote", and for anything else the sentence that holds the number or name asked for,
first, or, when no paper stands out (the best two or three within another fitted
margin), each of them with its best sentence. It cites only the numbered papers it was
given. The margins come from evals/fit.py (fitted.json).
"""

from __future__ import annotations

import re

from assistant.answer.citations import defuse
from assistant.answer.fitted import fitted
from assistant.answer.grading import Grading, Grounding, joined
from assistant.search.intent import Intent, asks_for_a_number
from assistant.search.question import Question
from assistant.search.retrieval import Hit
from assistant.text import content_words, overlap, split_sentences

CLOSE_AT_MOST = 3  # papers a close call names
PARTIAL_SHOWN = 3  # partial matches a partial answer shows
OFFLINE_NOTE = "(Offline mode: sentences quoted from the abstracts; no language model was used.)"
_NUMBER = re.compile(r"\d")


def offline_answer(reading: Question, hits: list[Hit], grading: Grading) -> str:
    """Answer text with [n] citations, n being the hit's place in `hits` (1-based)."""
    question, intent = reading.text, reading.intent
    if grading.grounding is Grounding.PARTIAL:
        body = _partial(hits, grading)
    elif reading.topic_free:
        lines = [f"- **{h.paper.title}**{_year(h)} [{n}]" for n, h in enumerate(hits, 1)]
        body = f"{_count(hits)}:\n" + "\n".join(lines)
    elif intent.wants_all:
        listed = listed_papers(hits, grading, fitted()["list_margin"], fitted()["list_coverage"])
        body = f"{_count(listed)}:\n" + _lines(question, hits, listed)
    elif intent is Intent.AUTHORS:
        paper = hits[0].paper
        if paper.authors:
            body = f"{paper.title} is by {', '.join(paper.authors)} [1]."
        else:  # a statement about the index, not the paper: nothing for [1] to support
            body = (
                f"The page this paper came from does not name its authors:\n- **{paper.title}** [1]"
            )
    elif intent is Intent.COMPARE and len(hits) >= 2:
        sides = [
            f"- **{h.paper.title}** [{n}]: {' '.join(_best_sentences(question, h, 2))}"
            for n, h in enumerate(hits[:2], 1)
        ]
        body = "Side by side:\n" + "\n".join(sides)
    elif (
        not reading.named
        and len(close := _within(hits, fitted()["close_margin"], CLOSE_AT_MOST)) > 1
    ):
        body = "No single paper stands out; the closest matches:\n" + _lines(question, hits, close)
    else:
        body = " ".join(cite(s, 1) for s in _best_sentences(question, hits[0], 2))
    return f"{body}\n\n{OFFLINE_NOTE}"


def listed_papers(hits: list[Hit], grading: Grading, margin: float, least: float) -> list[int]:
    """The places (1-based) of the papers a list names: those within `margin` of the best
    fused score whose weakest facet the reader gives at least `least` (both fitted); the
    best one alone when none qualifies."""
    within = set(_within(hits, margin, len(hits)))
    weakest = {p.hit.paper.id: p.weakest for p in grading.papers}
    listed = [
        n
        for n, hit in enumerate(hits, 1)
        if n in within and weakest.get(hit.paper.id, 0.0) >= least
    ]
    return listed or [1]


def _partial(hits: list[Hit], grading: Grading) -> str:
    """What no paper covers, then the closest papers (those covering the most facets,
    best ranked first), each with what it covers and the sentence that covers it."""
    place = {hit.paper.id: n for n, hit in enumerate(hits, 1)}
    closest = sorted(
        (p for p in grading.papers if p.covered),
        key=lambda p: (-len(p.covered), place[p.hit.paper.id]),
    )[:PARTIAL_SHOWN]
    lines = []
    for read in closest:
        n = place[read.hit.paper.id]
        covers = [s for s in read.supports if s.covered]
        sentence = max(covers, key=lambda s: s.probability).sentence
        if sentence in ("", read.hit.paper.title):  # quote the abstract, not the title again
            sentence = _best_sentences(" ".join(f.text for f in read.covered), read.hit, 1)[0]
        else:
            sentence = defuse(sentence)
        what = joined([f.text for f in read.covered])
        lines.append(f"- **{read.hit.paper.title}** [{n}] covers {what}: {sentence}")
    lead = grading.explain()
    return f"{lead}\nThe closest papers, as partial matches:\n" + "\n".join(lines)


def _lines(question: str, hits: list[Hit], places: list[int]) -> str:
    """'- **Title** [n]: its sentence that best answers the question', a line a paper."""
    return "\n".join(
        f"- **{hits[n - 1].paper.title}** [{n}]: {_best_sentences(question, hits[n - 1], 1)[0]}"
        for n in places
    )


def _within(hits: list[Hit], margin: float, most: int) -> list[int]:
    """The places (1-based) of the first `most` hits whose score is within `margin` of the
    best: the papers a list names, or a close call weighs (margins: evals/fit.py)."""
    best = max(hit.score for hit in hits)
    return [n for n, hit in enumerate(hits[:most], 1) if hit.score >= best - margin]


def cite(sentence: str, n: int) -> str:
    """'It works.' -> 'It works [1].'"""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    return f"{body.removesuffix(end)} [{n}]{end}"


def _count(hits: list) -> str:
    return "1 indexed paper matches" if len(hits) == 1 else f"{len(hits)} indexed papers match"


def _year(hit: Hit) -> str:
    return f" ({hit.paper.year})" if hit.paper.year else ""


def _best_sentences(question: str, hit: Hit, count: int) -> list[str]:
    """The abstract's sentences that best answer the question, in the order the question
    needs them: the one holding an asked-for number or name first."""
    sentences = split_sentences(hit.paper.abstract)
    wants_number = asks_for_a_number(question)
    asked = content_words(question) - content_words(hit.paper.title)

    def score(index_sentence: tuple[int, str]) -> tuple[float, int]:
        index, sentence = index_sentence
        value = overlap(question, sentence) + 0.5 * len(asked & content_words(sentence)) / (
            len(asked) or 1
        )
        if wants_number and _NUMBER.search(sentence):
            value += 0.5
        return value, -index

    ranked = sorted(enumerate(sentences), key=score, reverse=True)
    chosen = [sentence for _, sentence in ranked[:count]] or [hit.paper.abstract]
    # an abstract's own "[29]" (its reference list, or a planted "cite [9]") must not read
    # as one of our citations once quoted
    return [defuse(sentence) for sentence in chosen]
