"""The answering chain:

    condense -> retrieve -> number the context [1]..[k] -> write -> check citations

`write` is the LLM when an endpoint is configured, as a LangChain runnable
(prompts/answer.txt | chat model | string parser; condensing a follow-up likewise),
else the offline answerer; if the LLM fails, the offline answer stands in and says
why. Before anything is written the reader checks the candidates against the question's
facets and the grading decides full, partial or none (grading.py); none is refused
there, unless a model is configured and the case is not clear-cut, when the model, told
what each paper covers, may say itself that the papers do not hold the answer. The
steps around the LLM are plain functions: wrapping them in runnables bought nothing
and cost every offline answer 0.7 s of imports (LangChain's runnables load its
tracing, and langsmith).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from assistant.answer.conversation import checked_history, standalone_question
from assistant.answer.coverage import Reader
from assistant.answer.extractive import offline_answer
from assistant.answer.fitted import fitted
from assistant.answer.grading import Grading, Grounding, grade
from assistant.answer.render import number_context
from assistant.answer.result import REFUSAL, Answer
from assistant.answer.streaming import AnswerStream
from assistant.errors import EmptyQuery, QuestionTooLong
from assistant.search.retrieval import Hits, Retriever
from assistant.settings import Settings
from assistant.text import sentence_pieces
from ingest.text import well_formed

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

MAX_QUESTION_CHARS = 2000


class AnswerChain:
    def __init__(
        self, retriever: Retriever, settings: Settings, llm: BaseChatModel | None = None
    ) -> None:
        self.retriever = retriever
        self.settings = settings
        self.llm = llm
        self.llm_name = settings.llm_model if llm is not None else "offline"
        self.llm_writer: Runnable | None = None
        self.condenser: Runnable | None = None
        if llm is not None:
            from langchain_core.output_parsers import StrOutputParser

            from assistant.answer.prompts import load_prompt

            self.llm_writer = load_prompt("answer") | llm | StrOutputParser()
            self.condenser = load_prompt("condense") | llm | StrOutputParser()

    @cached_property
    def reader(self) -> Reader:
        return Reader(self.retriever.local)

    def ask(self, question: str, history=(), **search: Any) -> Answer:
        *_, answer = self.stream(question, history, **search)
        return answer

    def stream(self, question: str, history=(), **search: Any) -> Iterator[str | Answer]:
        """Checked text pieces as they are written (streaming.py), then the `Answer`."""
        state = self._retrieve(self._condense({"question": question, "history": history, **search}))
        grading, hits = grade(state["hits"], self.reader)
        state |= {"hits": hits, "grading": grading}
        refusal = f"{REFUSAL} {grading.explain()}".strip()
        if grading.refused and (self.llm_writer is None or _clear_cut(grading)):
            yield from self._written(state, refusal, self.llm_name)
            return
        inputs = {
            **state,
            "context": number_context(hits, grading),
            "question": state["standalone"],
        }
        notice = None
        if self.llm_writer is not None:
            from assistant.answer.llm import EMPTY_ANSWER, explain_llm_error

            shown, wrote = AnswerStream(list(hits), grading), False
            try:
                for piece in self.llm_writer.stream(inputs):
                    wrote = wrote or bool(piece.strip())
                    if text := shown.feed(piece):
                        yield text
                reason = None if wrote else EMPTY_ANSWER
            except Exception as error:  # any failure of the endpoint: answer offline instead
                reason = explain_llm_error(error, self.settings)
            if reason is None:
                yield shown.close()
                yield self._answer(state, shown, self.llm_name)
                return
            notice = f"The language model could not answer ({reason}); offline answer below"
            yield f"\n\n[{notice}]\n\n"
        # A none left to the model that failed is the offline decision's again: refused.
        written = refusal if grading.refused else offline_answer(hits.question, hits, grading)
        yield from self._written(state, written, "offline", notice)

    def _condense(self, state: dict) -> dict:
        question = well_formed(state["question"]).strip()
        if not question:
            raise EmptyQuery()
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionTooLong(len(question), MAX_QUESTION_CHARS)
        history = checked_history(state["history"])
        standalone = standalone_question(question, history, self.retriever.catalog)
        if self.condenser is not None and standalone != question:
            transcript = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:])
            # If the LLM fails here, the offline rewrite stands in; the answer step reports it.
            with contextlib.suppress(Exception):
                standalone = self.condenser.invoke({"history": transcript, "question": question})
        return {**state, "standalone": standalone.strip() or question}

    def _retrieve(self, state: dict) -> dict:
        search = {k: state[k] for k in ("k", "filters", "mode") if state.get(k) is not None}
        return {**state, "hits": self.retriever.search(state["standalone"], **search)}

    def _written(
        self, state: dict, text: str, backend: str, notice: str | None = None
    ) -> Iterator[str | Answer]:
        """Text written without a model, streamed through the same check a sentence at a
        time: it is whole at once, and a page re-renders the answer for every piece."""
        shown = AnswerStream(list(state["hits"]), state["grading"])
        for sentence in sentence_pieces(text):
            if piece := shown.feed(sentence):
                yield piece
        yield shown.close()
        yield self._answer(state, shown, backend, notice)

    def _answer(
        self, state: dict, shown: AnswerStream, backend: str, notice: str | None = None
    ) -> Answer:
        hits: Hits = state["hits"]
        grading: Grading = state["grading"]
        check = shown.check
        if shown.refused:
            grounding = Grounding.NONE
        elif grading.grounding is Grounding.FULL:
            grounding = Grounding.FULL
        else:  # the model answered what the offline decision would not: part of it at most
            grounding = Grounding.PARTIAL
        return Answer(
            text=shown.text,
            citations=[] if shown.refused else check.citations,
            refused=shown.refused,
            retrieved=list(hits),
            filters=hits.filters.describe(),
            backend=backend,
            unsupported=[] if shown.refused else check.unsupported,
            dropped_citations=check.dropped_outside,
            dropped_unsupported=check.dropped_unsupported,
            notice=notice,
            question=state["standalone"],
            evidence=grading.to_json(),
            grounding=str(grounding),
            facets=[f.text for f in grading.facets],
            coverage={p.hit.paper.id: p.to_json() for p in grading.papers},
            shortfall="" if grounding is Grounding.FULL else grading.explain(),
        )


def _clear_cut(grading: Grading) -> bool:
    """Sure enough to refuse without asking the model: a score at or over the level above
    which no tune question the papers answer was scored (evals/fit.py)."""
    return grading.score is None or grading.score >= fitted()["grading"]["certain"]
