"""The eval dataset: one JSON case a line, checked whole so every mistake is reported at once.

`assistant eval` accepts any file in this format, not only the project's own, so a bad file
must say where it is wrong and how to fix it instead of failing midway through a run.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from ingest.records import normalise_title

KEYS = ("id", "type", "question", "history", "expected_titles", "must_mention", "answerable")
ROLES = ("user", "assistant")
MAX_SHOWN = 20


class DatasetError(AssistantError):
    """The dataset cannot be used. `problems` holds every 'FILE:LINE: problem - fix' found;
    the message shows the first MAX_SHOWN so a long list stays readable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_SHOWN]
        if len(problems) > MAX_SHOWN:
            shown.append(f"... and {len(problems) - MAX_SHOWN} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation a follow-up question depends on."""

    role: str
    content: str


@dataclass(frozen=True)
class EvalCase:
    """A question, the papers a correct answer cites, and what it must say."""

    id: str
    type: str
    question: str
    history: tuple[Turn, ...]
    expected_titles: tuple[str, ...]
    must_mention: tuple[str, ...]
    answerable: bool


def load_dataset(path: Path, known_titles: Iterable[str] | None = None) -> list[EvalCase]:
    """Every case in `path`. With `known_titles` (the indexed papers), expected titles must
    name one of them, so a typo is caught here rather than scored as a retrieval miss."""
    text = _read(path)
    titles = None if known_titles is None else {normalise_title(t): t for t in known_titles}
    cases: list[EvalCase] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(
                f"{path}:{number}: invalid JSON ({error.msg}, column {error.colno}) - "
                "write exactly one JSON object per line"
            )
            continue
        found = _problems(data, titles)
        case_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(case_id, str) and case_id:
            if case_id in first_line:
                found.append(
                    f"duplicate id {case_id!r} (first used on line {first_line[case_id]}) - "
                    "give every case its own id"
                )
            else:
                first_line[case_id] = number
        problems += [f"{path}:{number}: {problem}" for problem in found]
        if not found:
            cases.append(_case(data))
    if not cases and not problems:
        problems.append(f"{path}: no cases - add one JSON object per line")
    if problems:
        raise DatasetError(problems)
    return cases


def _read(path: Path) -> str:
    if not path.is_file():
        raise DatasetError([f"{path}: no such file - check the dataset path"])
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError([f"{path}: not UTF-8 - re-save the file as UTF-8"]) from None


def _case(data: dict) -> EvalCase:
    return EvalCase(
        id=data["id"],
        type=data["type"],
        question=data["question"],
        history=tuple(Turn(t["role"], t["content"]) for t in data["history"]),
        expected_titles=tuple(data["expected_titles"]),
        must_mention=tuple(data["must_mention"]),
        answerable=data["answerable"],
    )


def _problems(data: object, titles: dict[str, str] | None) -> list[str]:
    """What is wrong with one parsed line, each as 'problem - fix'."""
    if not isinstance(data, dict):
        return [f"expected a JSON object, got {_json_type(data)} - write one {{...}} case a line"]
    found = []
    missing = [key for key in KEYS if key not in data]
    if missing:
        names = ", ".join(map(repr, missing))
        found.append(f"missing {names} - every case needs {', '.join(KEYS)}")
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the keys are {', '.join(KEYS)}"
            found.append(f"unknown key {key!r} - {hint}")
    for key, check in _CHECKS.items():
        if key in data:
            found += check(data[key])
    answerable, expected = data.get("answerable"), data.get("expected_titles")
    if isinstance(expected, list):
        if answerable is False and expected:
            found.append(
                "answerable is false but expected_titles is not empty - "
                "empty the list, or set answerable to true"
            )
        if answerable is True and not expected:
            found.append(
                "answerable is true but expected_titles is empty - list the papers a "
                "correct answer cites, or set answerable to false"
            )
        if titles is not None:
            found += [p for t in expected if isinstance(t, str) and (p := _unknown(t, titles))]
    return found


def _unknown(title: str, titles: dict[str, str]) -> str | None:
    """None when the title is known (case, accents and punctuation aside), else the problem."""
    key = normalise_title(title)
    if key in titles:
        return None
    close = difflib.get_close_matches(key, titles, n=1)
    fix = f"did you mean {titles[close[0]]!r}?" if close else "copy the title from the corpus"
    return f"expected title {title!r} is not in the corpus - {fix}"


def _text(key: str, fix: str) -> Callable[[object], list[str]]:
    def check(value: object) -> list[str]:
        if not isinstance(value, str):
            return [f"{key} must be a string, got {_json_type(value)} - {fix}"]
        return [] if value.strip() else [f"empty {key} - {fix}"]

    return check


def _texts(key: str) -> Callable[[object], list[str]]:
    def check(value: object) -> list[str]:
        if not isinstance(value, list):
            return [f"{key} must be a list of strings, got {_json_type(value)} - use [] for none"]
        return [
            f"{key}[{n}] must be a non-empty string, got {json.dumps(item)} - fix or remove it"
            for n, item in enumerate(value)
            if not (isinstance(item, str) and item.strip())
        ]

    return check


def _history(value: object) -> list[str]:
    if not isinstance(value, list):
        return [
            f"history must be a list of {{role, content}} objects, got {_json_type(value)} - "
            "use [] for a single-turn question"
        ]
    found = []
    for n, turn in enumerate(value):
        if not isinstance(turn, dict):
            found.append(f"history[{n}] must be an object with role and content")
            continue
        if turn.get("role") not in ROLES:
            found.append(f"history[{n}] has role {turn.get('role')!r} - use 'user' or 'assistant'")
        if not isinstance(turn.get("content"), str):
            found.append(f"history[{n}] content must be a string - write the message text")
        found += [
            f"history[{n}] has unknown key {key!r} - only role and content are read"
            for key in turn
            if key not in ("role", "content")
        ]
    return found


def _answerable(value: object) -> list[str]:
    if isinstance(value, bool):
        return []
    return [f"answerable must be true or false, got {json.dumps(value)} - use a JSON boolean"]


_CHECKS: dict[str, Callable[[object], list[str]]] = {
    "id": _text("id", "give the case an id such as 'detail-001'"),
    "type": _text("type", "name the kind of question, e.g. 'detail' or 'topic'"),
    "question": _text("question", "write the question to ask"),
    "history": _history,
    "expected_titles": _texts("expected_titles"),
    "must_mention": _texts("must_mention"),
    "answerable": _answerable,
}


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
