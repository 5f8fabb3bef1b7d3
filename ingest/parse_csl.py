"""Read CSL-JSON, citeproc's native format and Zotero's "CSL JSON" export: an array of items."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import clean_text, collect, excerpt, find_arxiv_id, to_record

KIND = "csl_json"
# Numbers stay as written, as in JSONL: int() refuses a 5,000-digit year.
_DECODER = json.JSONDecoder(parse_int=str)
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace
# The keys that make an object a CSL item rather than any JSON (CSL's own names).
CSL_KEYS = ("title", "author", "issued", "container-title", "DOI", "abstract")
_NAME_PARTS = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")
_VENUE = ("container-title", "event-title", "publisher")
_ARXIV_FIELDS = ("number", "URL", "DOI", "note", "archive_location", "container-title")
_FIX = "re-export it as CSL JSON (in Zotero: Export Library, format CSL JSON), or fix it there"


def parse_csl(text: str, file: str) -> Parsed:
    """Each item; one that is not an object, or lacks a title or abstract, is skipped at its
    line. JSON that cannot be read is fatal: past the error there is no telling where items are."""
    source = Source(file=file, kind=KIND)
    try:
        return collect(_read(item, n, line, source) for n, (line, item) in enumerate(_items(text)))
    except json.JSONDecodeError as error:
        where = f"{file}: line {error.lineno}"
        reason = f"not valid JSON ({error.msg} at column {error.colno})"
        raise MalformedFile(f"{where}: {reason} - {_FIX}") from None
    except RecursionError:
        reason = "nests lists or objects too deeply to be read - a CSL item is a shallow object"
        raise MalformedFile(f"{file}: {reason}") from None


def _items(text: str) -> Iterator[tuple[int, object]]:
    """The top-level array's items and the line each starts on. json reads each item, one at a
    time, so that a skipped item's line is known (json.loads would give only its index)."""
    text = text.removeprefix("\ufeff")
    pos = _SPACE.match(text).end()
    if not text.startswith("[", pos):
        raise json.JSONDecodeError("Expecting '[': CSL-JSON is an array of items", text, pos)
    pos = _SPACE.match(text, pos + 1).end()
    line, counted, first = 1, 0, True
    while not text.startswith("]", pos):
        if not first:
            if not text.startswith(",", pos):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = _SPACE.match(text, pos + 1).end()
        line, counted = line + text.count("\n", counted, pos), pos
        item, pos = _DECODER.raw_decode(text, pos)  # after a trailing comma: "Expecting value"
        yield line, item
        pos, first = _SPACE.match(text, pos).end(), False
    end = _SPACE.match(text, pos + 1).end()
    if end < len(text):
        raise json.JSONDecodeError("Extra data", text, end)


def _read(item: object, n: int, line: int, source: Source) -> PaperRecord | Skipped:
    label = f"Item {n + 1}"
    if not isinstance(item, dict):
        reason = f"{label} is not an object - write each paper as one {{...}} in the array"
        return Skipped(source.file, line, reason)
    if _text(item, "id"):
        label += f" ('{excerpt(clean_text(item['id']))}')"
    return to_record(
        source,
        line,
        label,
        title=_text(item, "title"),
        abstract=_text(item, "abstract"),
        authors=_authors(item.get("author")),
        year=_year(item.get("issued")),
        venue=next(filter(None, (_text(item, key) for key in _VENUE)), None),
        url=_text(item, "URL"),
        doi=_text(item, "DOI"),
        arxiv_id=find_arxiv_id(*(_text(item, key) for key in _ARXIV_FIELDS)),
    )


def _text(item: dict, key: str) -> str | None:
    """A field's text; a list or object where text belongs is treated as missing."""
    value = item.get(key)
    return value if isinstance(value, str) else None


def _authors(authors: object) -> list[str]:
    """CSL names: {"family", "given", ...} parts, or one {"literal"} (an institution)."""
    if not isinstance(authors, list):
        return []
    names = []
    for author in authors:
        if isinstance(author, dict):
            literal = _text(author, "literal")
            parts = [literal] if literal else [_text(author, part) for part in _NAME_PARTS]
            names.append(" ".join(filter(None, parts)))
    return names


def _year(issued: object) -> object:
    """The first date-part ({"date-parts": [[2021, 5]]}), else the raw or literal date; CSL
    1.0.2 also allows the date as a plain string."""
    if not isinstance(issued, dict):
        return issued if isinstance(issued, str) else None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return parts[0][0]
    return _text(issued, "raw") or _text(issued, "literal")
