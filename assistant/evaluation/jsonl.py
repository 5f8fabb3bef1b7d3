"""Reading a JSON Lines file an object a line, every problem named by file and line, so a
bad eval or BEIR file is reported whole instead of failing at its first bad line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path


def objects(
    path: Path, lines: Iterable[tuple[int, str]], problems: list[str]
) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object
    is added to `problems` as 'file:line: what - fix'."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(
                f"{path}:{number}: not valid JSON ({error.msg}, column {error.colno}) - "
                "write one JSON object a line"
            )
            continue
        if isinstance(data, dict):
            yield number, data
        else:
            problems.append(
                f"{path}:{number}: expected a JSON object, got {json_type(data)} - "
                "write one {...} a line"
            )


def json_type(value: object) -> str:
    """How a person names a JSON value's type: 'an array', 'null', 'a number'."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
