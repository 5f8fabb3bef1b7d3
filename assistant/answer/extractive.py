"""The offline answerer: no LLM, so it quotes the abstract sentences that answer the question.

It shapes the answer to the question's intent (search/intent.py): a list of the papers
that qualify for "which papers" and overview questions (those scoring within a fitted
margin of the best whose title or one sentence holds a fitted share of the topic's
words), two papers side by side for a comparison, the author list for "who
wrote", and for anything else the sentence that holds the number or name asked for,
first, or, when no paper stands out (the best two or three within another fitted
margin), each of them with its best sentence. It cites only the numbered papers it was
given. The margins come from evals/fit.py (fitted.json).
"""

from __future__ import annotations

import re

from assistant.answer.citations import defuse
from assistant.answer.fitted import fitted
from assistant.search.intent import Intent, asks_for_a_number
from assistant.search.question import Question
from assistant.search.retrieval import Hit
from assistant.text import best_sentence, content_words, overlap, split_sentences

CLOSE_AT_MOST = 3  # papers a close call names
OFFLINE_NOTE = "(Offline mode: sentences quoted from the abstracts; no language model was used.)"
_NUMBER = re.compile(r"\d")


def offline_answer(reading: Question, hits: list[Hit]) -> str:
    """Answer text with [n] citations, n being the hit's place in `hits` (1-based)."""
    question, intent = reading.text, reading.intent
    if reading.topic_free:
        lines = [f"- **{h.paper.title}**{_year(h)} [{n}]" for n, h in enumerate(hits, 1)]
        body = f"{_count(hits)}:\n" + "\n".join(lines)
    elif intent.wants_all:
        within = _within(hits, fitted()["list_margin"], len(hits))
        listed = [
            n for n in within if support(reading.query, hits[n - 1]) >= fitted()["list_support"]
        ]
        body = f"{_count(listed)}:\n" + _lines(question, hits, listed or within[:1])
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


def support(topic: str, hit: Hit) -> float:
    """How well the paper's own words back the topic: the share of the topic's content
    words its title or its best abstract sentence holds."""
    return max(overlap(topic, hit.paper.title), best_sentence(topic, hit.paper.abstract)[1])


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
