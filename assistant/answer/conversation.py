"""Turning a follow-up ("what datasets did they use?", "and the second one?") into a
question that can be searched on its own, without an LLM.

Answers end with their sources ("[1] Title"), and other assistants' answers quote or
embolden titles, so the papers a conversation is about can be read back from its
last answer; ordinals ("the second one") pick among them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.errors import AssistantError
from assistant.search.intent import Intent, read_intent
from assistant.search.question import read_titles
from assistant.store.catalog import Catalog
from ingest.text import excerpt, well_formed

_ORDINALS = {"first": 0, "former": 0, "second": 1, "latter": -1, "third": 2, "last": -1}
_MENTION = re.compile(
    r"^\[\d+\]\s+\**([^\[\]\n*]{12,}?)\**\s*(?:\(\d{4}\))?\s*$"  # Sources block: [1] Title
    r"|\*\*([^*\n]{12,})\*\*"  # **Title**
    r"|[\"“]([^\"”\n]{12,})[\"”]",  # "Title"
    re.M,
)


def checked_history(history: Sequence[Mapping]) -> list[dict[str, str]]:
    """The conversation as role/content dicts of text, or an error naming the entry that is
    not one: a bad entry would otherwise surface as a TypeError deep in the chain."""
    if isinstance(history, str) or not isinstance(history, Sequence):
        raise AssistantError(
            "history must be a list of {'role', 'content'} dicts - pass [] for no conversation"
        )
    turns: list[dict[str, str]] = []
    for n, turn in enumerate(history):
        role = turn.get("role") if isinstance(turn, Mapping) else None
        content = turn.get("content") if isinstance(turn, Mapping) else None
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise AssistantError(
                f"history[{n}] is {excerpt(repr(turn))} - each entry must be "
                "{'role': 'user' or 'assistant', 'content': the message text}"
            )
        turns.append({"role": role, "content": well_formed(content)})
    return turns


def mentioned_titles(answer: str) -> list[str]:
    """Titles an answer names, in order of first mention."""
    found = (next(g for g in m.groups() if g) for m in _MENTION.finditer(answer))
    return list(dict.fromkeys(t.strip().rstrip(".") for t in found))


def standalone_question(
    question: str, history: Sequence[dict], catalog: Catalog | None = None
) -> str:
    """The question itself when it stands alone; otherwise the papers the conversation
    was about (or the previous question) put in front of it. The titles it names from
    `catalog` are names, not references back: "its" in "... and Its Application to Scene
    Text Recognition" asks about that paper, not the last answer's."""
    unnamed = read_titles(question, catalog)[1] if catalog else question
    if read_intent(unnamed, conversation=bool(history)) is not Intent.FOLLOW_UP:
        return question
    answers = [t["content"] for t in history if t.get("role") == "assistant"]
    asked = [t["content"] for t in history if t.get("role") == "user"]
    titles = mentioned_titles(answers[-1]) if answers else []
    ordinal = re.search(r"\b(first|second|third|last|former|latter)\b", question, re.I)
    if titles and ordinal:
        index = _ORDINALS[ordinal.group(1).lower()]
        if -len(titles) <= index < len(titles):
            titles = [titles[index]]
    about = "; ".join(titles) if titles else (asked[-1] if asked else "")
    return f"{about} - {question}" if about else question
