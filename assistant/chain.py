"""The answering chain:

    condense -> retrieve -> number the context [1]..[k] -> write -> check citations

`write` is the LLM when an endpoint is configured, as a LangChain runnable
(prompts/answer.txt | chat model | string parser; condensing a follow-up likewise),
else the offline answerer; if the LLM fails, the offline answer stands in and says
why. Weak evidence is refused before anything is written. The steps around the LLM are
plain functions: wrapping them in runnables bought nothing and cost every offline
answer 0.7 s of imports (LangChain's runnables load its tracing, and langsmith).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.answer import REFUSAL, Answer
from assistant.citations import check_citations
from assistant.conversation import standalone_question
from assistant.errors import AssistantError
from assistant.evidence import overlap
from assistant.extractive import offline_answer
from assistant.gaps import Gaps, find_gaps
from assistant.retrieval import EmptyQuery, Hits, Retriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

# Refuse rather than cite weak matches: when the question's best paper has a cosine below
# REFUSE_BELOW and shares few of its words, when it hardly stands out from the other
# candidates, or when the question names what the papers lack (assistant/gaps.py): below
# REFUSE_UNSEEN_BELOW something no indexed paper mentions ('AlphaFold', 'Llama 3'), below
# REFUSE_ABSENT_BELOW something none of the papers found mentions ('Stable Diffusion',
# 'deepfake' in "which papers detect deepfake videos?"). Calibrated on evals/datasets/dev.jsonl.
REFUSE_BELOW = 0.25
REFUSE_WORDS_BELOW = 0.5
REFUSE_UNSEEN_BELOW = 0.62
REFUSE_ABSENT_BELOW = 0.5
REFUSE_PEAK_BELOW = 0.05  # the best paper hardly stands out from the rest: a flat field
MAX_QUESTION_CHARS = 2000


class QuestionTooLong(AssistantError):
    def __init__(self, length: int) -> None:
        super().__init__(
            f"The question is {length} characters long; the limit is {MAX_QUESTION_CHARS} - "
            "ask about one thing at a time"
        )


def number_context(hits: Sequence) -> str:
    """[n] Title, what the index knows about the paper, and its abstract: a model can only
    ground author, year or listing questions in what it is shown."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        paper = hit.paper
        kinds = ", ".join(dict.fromkeys(s.kind.replace("_", " ") for s in paper.sources))
        facts = [
            ("Authors", ", ".join(paper.authors)),
            ("Year", str(paper.year or "")),
            ("Venue", paper.venue or ""),
            ("Listed on", ", ".join(paper.listed_on)),
            ("Source", kinds),
        ]
        about = "\n".join(f"{name}: {value}" for name, value in facts if value)
        blocks.append(f"[{n}] {paper.title}\n{about}\nAbstract: {paper.abstract}")
    return "\n\n".join(blocks)


def weak_evidence(hits: Hits, gaps: Gaps) -> bool:
    """Neither the meaning (cosine) nor the words (share of the question's content words
    in the best papers) point at an answer, or the question names what the papers lack."""
    if not hits:
        return True
    if hits.question.topic_free:  # a listing by filters: the filter is the evidence
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

            from assistant.prompts import load_prompt

            self.llm_writer = load_prompt("answer") | llm | StrOutputParser()
            self.condenser = load_prompt("condense") | llm | StrOutputParser()

    def ask(self, question: str, history=(), **search: Any) -> Answer:
        *_, answer = self.stream(question, history, **search)
        return answer

    def stream(self, question: str, history=(), **search: Any) -> Iterator[str | Answer]:
        """Text pieces as they are written, then the checked `Answer` as the last item."""
        state = self._retrieve(
            self._condense({"question": question, "history": list(history), **search})
        )
        hits: Hits = state["hits"]
        gaps = find_gaps(hits, self.retriever.document_frequency)
        if weak_evidence(hits, gaps):
            text = f"{REFUSAL} {gaps.explain()}".strip()
            yield text
            yield self._answer(state, text, self.llm_name)
            return
        inputs = {**state, "context": number_context(hits), "question": state["standalone"]}
        notice = None
        if self.llm_writer is not None:
            pieces: list[str] = []
            try:
                for piece in self.llm_writer.stream(inputs):
                    pieces.append(piece)
                    yield piece
                text = "".join(pieces)
                if not text.strip():
                    raise ValueError("the LLM returned an empty answer")
                yield self._answer(state, text, self.llm_name)
                return
            except Exception as error:  # any failure of the endpoint: answer offline instead
                from assistant.llm import explain_llm_error

                reason = explain_llm_error(error, self.settings)
                notice = f"The language model could not answer ({reason}); offline answer below"
                yield f"\n\n[{notice}]\n\n"
        text = offline_answer(state["standalone"], hits.question, hits)
        yield from re.findall(r"\S+\s*", text)
        yield self._answer(state, text, "offline", notice)

    def _condense(self, state: dict) -> dict:
        question = state["question"].strip()
        if not question:
            raise EmptyQuery()
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionTooLong(len(question))
        history = state["history"]
        standalone = standalone_question(question, history)
        if self.condenser is not None and standalone != question:
            transcript = "\n".join(f"{t['role']}: {t['content']}" for t in history[-6:])
            # If the LLM fails here, the offline rewrite stands in; the answer step reports it.
            with contextlib.suppress(Exception):
                standalone = self.condenser.invoke({"history": transcript, "question": question})
        return {**state, "standalone": standalone.strip() or question}

    def _retrieve(self, state: dict) -> dict:
        search = {k: state[k] for k in ("k", "filters", "mode") if state.get(k) is not None}
        return {**state, "hits": self.retriever.search(state["standalone"], **search)}

    def _answer(self, state: dict, text: str, backend: str, notice: str | None = None) -> Answer:
        hits: Hits = state["hits"]
        refused = REFUSAL.lower().rstrip(".") in text.lower()
        checked = check_citations("" if refused else text, list(hits))
        if refused or not checked.citations:
            body = text if refused and text.startswith(REFUSAL) else REFUSAL
            citations, refused = [], True
        else:
            sources = "\n".join(
                f"[{c.n}] {c.paper.title}" + (f" ({c.paper.year})" if c.paper.year else "")
                for c in checked.citations
            )
            body, citations = f"{checked.text.strip()}\n\nSources:\n{sources}", checked.citations
        return Answer(
            text=body,
            citations=citations,
            refused=refused,
            retrieved=list(hits),
            filters=hits.filters.describe(),
            backend=backend,
            unsupported=[] if refused else checked.unsupported,
            dropped_citations=checked.dropped,
            notice=notice,
            question=state["standalone"],
        )
