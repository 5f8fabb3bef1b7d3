"""The LLM for `assistant eval --llm mock`: a LangChain chat model that runs offline and
answers the same way every time, so the whole LLM path (prompt files, streaming, citation
parsing and checking, refusals, the condense step) is exercised as with a real model.

For the case being asked (`CURRENT_CASE`) it replays a recorded response when one exists:
`<case-id>.txt` is the answer, written against that case's numbered context, and
`<case-id>.condense.txt` the standalone question for a follow-up. Without a recording it
writes a scripted answer from the numbered context in the prompt: the abstract sentences
that share most words with the question, each cited, or the refusal sentence when no paper
shares enough; like a careful model it reads what the context says each paper does not
cover, lists only papers that cover everything, and says first what no paper covers.
Recordings are how a real model's slips (a number outside the context, a
claim no abstract supports) stay in the eval.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from assistant.answer.citations import defuse
from assistant.answer.conversation import standalone_question
from assistant.answer.extractive import cite
from assistant.answer.result import REFUSAL
from assistant.search.intent import Intent, read_intent
from assistant.text import overlap, split_sentences

CURRENT_CASE: ContextVar[str | None] = ContextVar("eval_case", default=None)
# Answer only when some paper holds at least this share of the question's content words;
# a model told to use only the abstracts refuses when they barely touch the question.
ANSWER_FLOOR = 0.25
LIST_SHARE = 0.6  # a "which papers" answer lists papers scoring this share of the best one

_ANSWER_PROMPT = re.compile(r"^Papers:\n(?P<context>.*)\n\nQuestion: (?P<question>.*)$", re.S)
_CONDENSE_PROMPT = re.compile(
    r"^Conversation so far:\n(?P<history>.*)\n\nFollow-up question: (?P<question>.*)$", re.S
)
_PAPER = re.compile(r"(?:\A|\n\n)\[(\d+)\] ")  # how chain.number_context starts a paper
_TURN = re.compile(r"^(user|assistant): ", re.M)
_LACKS = re.compile(r"^Does not cover: (.*)$", re.M)  # render.number_context's lines
_COVERAGE = re.compile(r"^(?:Covers|Does not cover): .*\n", re.M)


class MockChatModel(BaseChatModel):
    """Recorded responses by case id (`answers`, `condensed`), else scripted ones."""

    answers: dict[str, str] = Field(default_factory=dict)
    condensed: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: Path | None) -> MockChatModel:
        """Recordings from `folder` (missing or None: every answer is scripted)."""
        files = sorted(folder.glob("*.txt")) if folder and folder.is_dir() else []
        texts = {path.name: path.read_text(encoding="utf-8").strip() for path in files}
        condensed = {n.removesuffix(".condense.txt"): t for n, t in texts.items()
                     if n.endswith(".condense.txt")}  # fmt: skip
        answers = {n.removesuffix(".txt"): t for n, t in texts.items()
                   if not n.endswith(".condense.txt")}  # fmt: skip
        return cls(answers=answers, condensed=condensed)

    @property
    def _llm_type(self) -> str:
        return "mock"

    def respond(self, messages: list[BaseMessage]) -> str:
        prompt = messages[-1].text
        case = CURRENT_CASE.get()
        if found := _ANSWER_PROMPT.match(prompt):
            recorded = self.answers.get(case) if case else None
            return recorded or scripted_answer(found["context"], found["question"])
        if found := _CONDENSE_PROMPT.match(prompt):
            recorded = self.condensed.get(case) if case else None
            return recorded or scripted_condense(found["history"], found["question"])
        raise ValueError("the mock LLM got a prompt that is neither prompts/answer nor condense")

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.respond(messages)))])

    def _stream(
        self, messages, stop=None, run_manager=None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*", self.respond(messages)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def scripted_answer(context: str, question: str) -> str:
    """What a careful model would write from the numbered context: every qualifying paper
    for "which papers", two side by side for a comparison, else the best paper's best
    sentences; the refusal sentence when no paper shares enough words with the question."""
    read = _papers(context)
    lacking = {n: _lacks(text) for n, text in read.items()}
    papers = {n: _COVERAGE.sub("", text) for n, text in read.items()}  # the paper's own words
    scored = sorted(((overlap(question, text), n) for n, text in papers.items()),
                    key=lambda pair: (-pair[0], pair[1]))  # fmt: skip
    if not scored or scored[0][0] < ANSWER_FLOOR:
        return REFUSAL
    missing = set.intersection(*lacking.values())  # what no paper covers
    lead = f"No indexed abstract mentions {', '.join(sorted(missing))}.\n" if missing else ""
    intent = read_intent(question)
    if intent.wants_all:
        best = scored[0][0]
        chosen = sorted(n for score, n in scored if score >= LIST_SHARE * best)
        complete = [n for n in chosen if not lacking[n]] or chosen
        return lead + "\n".join(_line(question, papers[n], n, 1) for n in complete)
    if intent is Intent.COMPARE and len(scored) > 1:
        return "\n".join(_line(question, papers[n], n, 2) for _, n in scored[:2])
    n = scored[0][1]
    return lead + _quote(question, papers[n], n, 2)


def scripted_condense(transcript: str, question: str) -> str:
    """The follow-up made standalone from the transcript in the prompt, as the offline
    rewrite does it (the chain only asks when that rewrite changed the question)."""
    parts = _TURN.split(transcript)[1:]  # role, text, role, text, ...
    history = [
        {"role": role, "content": text.strip()}
        for role, text in zip(parts[::2], parts[1::2], strict=True)
    ]
    return standalone_question(question, history)


def _papers(context: str) -> dict[int, str]:
    """{n: "Title\\nAuthors: ...\\nAbstract: ..."} from the '[n] Title' blocks of the context,
    what they cover and lack included."""
    starts = list(_PAPER.finditer(context))
    ends = [m.start() for m in starts[1:]] + [len(context)]
    return {int(m[1]): context[m.end() : end].strip() for m, end in zip(starts, ends, strict=True)}


def _lacks(paper: str) -> set[str]:
    """The parts of the question the context says this paper does not cover."""
    found = _LACKS.search(paper)
    return set(found[1].split("; ")) if found else set()


def _line(question: str, paper: str, n: int, count: int) -> str:
    title = paper.partition("\n")[0]
    return f"- **{title}**: {_quote(question, paper, n, count)}"


def _quote(question: str, paper: str, n: int, count: int) -> str:
    """The `count` abstract sentences sharing most words with the question, in the
    abstract's order, each cited [n]."""
    title, _, about = paper.partition("\n")
    abstract = about.partition("Abstract: ")[2] or about  # after the Authors/Year/... lines
    sentences = split_sentences(abstract) or [title]
    ranked = sorted(range(len(sentences)), key=lambda i: (-overlap(question, sentences[i]), i))
    return " ".join(cite(defuse(sentences[i]), n) for i in sorted(ranked[:count]))
