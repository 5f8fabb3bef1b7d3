"""The eval dataset: one JSON case a line, checked whole so every mistake is reported at once.

`assistant eval` accepts any file in this format, not only the project's own, so a bad file
must say where it is wrong and how to fix it instead of failing midway through a run. The
`EvalCase` model holds the rules; this module turns pydantic's errors into 'problem - fix'.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from assistant.errors import DatasetError
from assistant.evaluation.jsonl import json_type, objects
from ingest.records import normalise_title

KEYS = ("id", "type", "question", "history", "expected_titles", "must_mention", "answerable")
# Scored when present: how much of the question the papers answer (full: all of it, with
# expected_titles; partial: part, expected_titles the closest partial matches; none), the
# facets it asks about and those no indexed paper covers. Without grounding, a case is
# full when answerable and none when not.
OPTIONAL = ("grounding", "facets", "missing_facets")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "empty")
    return value


def _known_title(title: str, info: ValidationInfo) -> str:
    """With the indexed titles in the context, a typo is caught here rather than scored as a
    retrieval miss. Case, accents and punctuation are ignored."""
    titles: dict[str, str] | None = (info.context or {}).get("titles")
    if titles is None or normalise_title(title) in titles:
        return title
    close = difflib.get_close_matches(normalise_title(title), titles, n=1)
    fix = f"did you mean {titles[close[0]]!r}?" if close else "copy the title from the corpus"
    raise PydanticCustomError("unknown_title", "not in the corpus", {"fix": fix})


Text = Annotated[StrictStr, AfterValidator(_not_blank)]


class Turn(BaseModel):
    """One earlier message of the conversation a follow-up question depends on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["user", "assistant"]
    content: StrictStr


class EvalCase(BaseModel):
    """A question, the papers a correct answer cites, and what it must say. `metadata` keeps
    a dataset's own keys (a note, a source) for the report; nothing scores them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Text
    type: Text
    question: Text
    history: tuple[Turn, ...]
    expected_titles: tuple[Annotated[Text, AfterValidator(_known_title)], ...]
    must_mention: tuple[Text, ...]
    answerable: StrictBool
    grounding: Literal["full", "partial", "none"] | None = None
    facets: tuple[Text, ...] = ()
    missing_facets: tuple[Text, ...] = ()
    metadata: dict[str, Any] = {}

    @field_validator("answerable")
    @classmethod
    def _matches_expected_titles(cls, answerable: bool, info: ValidationInfo) -> bool:
        """Checked on answerable, so it is reported with the other fields' problems;
        skipped when expected_titles is itself invalid. A partial case is checked on its
        grounding."""
        expected = info.data.get("expected_titles")
        partial = (info.context or {}).get("partial")
        if expected is not None and answerable != bool(expected) and not partial:
            raise PydanticCustomError("unanswerable_with_titles" if expected else "no_titles", "")
        return answerable

    @field_validator("grounding")
    @classmethod
    def _matches_answerable(cls, grounding: str | None, info: ValidationInfo) -> str | None:
        answerable = info.data.get("answerable")
        if grounding is None or answerable is None:
            return grounding
        if (grounding == "full") != answerable:
            raise PydanticCustomError("grounding_answerable", "", {"grounding": grounding})
        return grounding

    @property
    def expected_grounding(self) -> str:
        return self.grounding or ("full" if self.answerable else "none")


def load_dataset(path: Path, known_titles: Iterable[str] | None = None) -> list[EvalCase]:
    """Every case in `path`. With `known_titles` (the indexed papers), expected titles must
    name one of them."""
    text = _read(path)
    context = {
        "titles": None if known_titles is None else {normalise_title(t): t for t in known_titles}
    }
    cases: list[EvalCase] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, data in objects(path, enumerate(text.split("\n"), 1), problems):
        case, found = _case(data, context)
        case_id = data.get("id")
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
            cases.append(case)
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


def _case(data: dict[str, Any], context: dict) -> tuple[EvalCase | None, list[str]]:
    """The case on one line, or None and what is wrong with it, each as 'problem - fix'.
    A key other than the required ones is metadata, unless it looks like a misspelling of
    one that is missing."""
    fields = {key: value for key, value in data.items() if key in KEYS + OPTIONAL}
    metadata = {key: value for key, value in data.items() if key not in KEYS + OPTIONAL}
    context = context | {"partial": data.get("grounding") == "partial"}
    try:
        return EvalCase.model_validate(fields | {"metadata": metadata}, context=context), []
    except ValidationError as invalid:
        errors = invalid.errors()
    missing = [key for key in KEYS if key not in data]
    names = ", ".join(map(repr, missing))
    found = [f"missing {names} - every case needs {', '.join(KEYS)}"] if missing else []
    for key in metadata:
        if close := difflib.get_close_matches(key.casefold(), missing, n=1):
            found.append(f"unknown key {key!r} - did you mean {close[0]!r}?")
    found += [_problem(e) for e in errors if not (e["type"] == "missing" and len(e["loc"]) == 1)]
    return None, found


_FIXES = {
    "id": "give the case an id such as 'detail-001'",
    "type": "name the kind of question, e.g. 'detail' or 'topic'",
    "question": "write the question to ask",
}


def _problem(error: ErrorDetails) -> str:
    """One pydantic error as this module's 'problem - fix' sentence for that field."""
    key, *inner = error["loc"]
    value = error["input"]
    if key in _FIXES:
        if error["type"] == "blank":
            return f"empty {key} - {_FIXES[key]}"
        return f"{key} must be a string, got {json_type(value)} - {_FIXES[key]}"
    if key in ("expected_titles", "must_mention"):
        if not inner:
            return f"{key} must be a list of strings, got {json_type(value)} - use [] for none"
        if error["type"] == "unknown_title":
            return f"expected title {value!r} is not in the corpus - {error['ctx']['fix']}"
        return (
            f"{key}[{inner[0]}] must be a non-empty string, got {json.dumps(value)} - "
            "fix or remove it"
        )
    if key == "history":
        return _history_problem(inner, error)
    if error["type"] == "unanswerable_with_titles":
        return (
            "answerable is false but expected_titles is not empty - "
            "empty the list, or set answerable to true"
        )
    if key == "grounding":
        if error["type"] == "grounding_answerable":
            wanted = "true" if error["ctx"]["grounding"] == "full" else "false"
            return (
                f"grounding is {error['ctx']['grounding']!r} but answerable is not {wanted} - "
                f"set answerable to {wanted}, or fix the grounding"
            )
        return f"grounding must be 'full', 'partial' or 'none', got {json.dumps(value)}"
    if key in ("facets", "missing_facets"):
        return f"{key} must be a list of non-empty strings - use [] for none"
    if error["type"] == "no_titles":
        return (
            "answerable is true but expected_titles is empty - list the papers a "
            "correct answer cites, or set answerable to false"
        )
    return f"answerable must be true or false, got {json.dumps(value)} - use a JSON boolean"


def _history_problem(inner: list, error: ErrorDetails) -> str:
    if not inner:
        return (
            f"history must be a list of {{role, content}} objects, got "
            f"{json_type(error['input'])} - use [] for a single-turn question"
        )
    n, *field = inner
    if not field:
        return f"history[{n}] must be an object with role and content"
    if field[0] == "role":
        role = None if error["type"] == "missing" else error["input"]
        return f"history[{n}] has role {role!r} - use 'user' or 'assistant'"
    if field[0] == "content":
        return f"history[{n}] content must be a string - write the message text"
    return f"history[{n}] has unknown key {field[0]!r} - only role and content are read"
