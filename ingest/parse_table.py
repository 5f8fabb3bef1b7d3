"""Read CSV and JSON Lines tables, the shapes spreadsheets and scripts keep paper lists in."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import clean_text, collect, to_record

# Each field and the column names (or JSON keys, in any case) accepted for it, preferred first.
ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "abstract": ("abstract", "summary"),
    "authors": ("authors", "author"),
    "year": ("year",),
    "venue": ("venue", "journal", "booktitle"),
    "doi": ("doi",),
    "url": ("url",),
    "arxiv_id": ("arxiv_id", "arxiv", "eprint"),
}
_AUTHOR_SEPARATORS = re.compile(r"\s*;\s*|\s+·\s+|\s+and\s+")
# csv.Sniffer is quadratic in what it reads (60 KB of ",'a" took 11 s); a header's first
# 2,000 characters show its separator.
_SNIFFED_CHARS = 2000


def parse_csv(text: str, file: str) -> Parsed:
    """Comma-, tab- or semicolon-separated, with a header row naming at least title and abstract."""
    text = text.removeprefix("\ufeff")
    try:
        sample = header_line(text)[:_SNIFFED_CHARS]
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    # A field may be as long as the file (whose size ingest bounds), not csv's 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    return collect(_csv_rows(text, delimiter, file))


def header_line(text: str) -> str:
    """The first line that is not blank: a table's header, even after blank lines."""
    return text.removeprefix("\ufeff").lstrip().partition("\n")[0]


def parse_jsonl(text: str, file: str) -> Parsed:
    """One JSON object per line; a line that is not one is skipped, fatal only if every one is."""
    return collect(_jsonl_lines(text.removeprefix("\ufeff"), file))


def split_authors(authors: object) -> list[str]:
    """A JSON list (of names or {"name": ...}) as is; a string split on ';', ' · ' or ' and ',
    or, when it has none of those, on ','."""
    if isinstance(authors, list):
        names = (a.get("name") if isinstance(a, dict) else a for a in authors)
        return [clean_text(name) for name in names]
    text = str(authors or "")
    parts = _AUTHOR_SEPARATORS.split(text)
    return [part.strip() for part in (parts if len(parts) > 1 else text.split(","))]


def _csv_rows(text: str, delimiter: str, file: str) -> Iterator[PaperRecord | Skipped]:
    source = Source(file=file, kind="csv")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header: list[str] = []
    start = 1  # the physical line the next row starts on
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if not header:
                header = [name.strip().lower() for name in cells]
                _require_columns(header, line, file)
            elif any(cell.strip() for cell in cells[len(header) :]):
                raise MalformedFile(
                    f"{file}: line {line}: this row has {len(cells)} fields but the header has "
                    f"{len(header)} - quote fields that contain the separator '{delimiter}', "
                    "or name the extra column"
                )
            else:
                row = dict(zip(header, cells, strict=False))
                yield _record(row, source, line, f"The row at line {line}")
    except csv.Error as error:
        raise MalformedFile(
            f"{file}: line {start}: the row starting here is not valid CSV ({error}) - close every "
            'quoted field with a double quote, and write a quote inside a field as ""'
        ) from error


def _require_columns(header: list[str], line: int, file: str) -> None:
    missing = [name for name in ("title", "abstract") if not set(ALIASES[name]) & set(header)]
    if missing:
        accepted = "; ".join(f"{name}: {' or '.join(ALIASES[name])}" for name in ALIASES)
        raise MalformedFile(
            f"{file}: line {line}: the header has no {' and no '.join(missing)} column "
            f"(columns found: {', '.join(header)}) - rename the columns; the names read, "
            f"in any case, are {accepted}"
        )


def json_object(content: str) -> dict:
    """The JSON object on one line, or a ValueError saying why the line is not one.
    Numbers stay as written (every field is read as text): int() refuses over 4,300 digits."""
    try:
        value = json.loads(content, parse_int=str)
    except json.JSONDecodeError as error:
        reason = f"is not valid JSON ({error.msg} at column {error.colno}) - fix or remove it"
        raise ValueError(reason) from None
    except RecursionError:
        reason = "nests objects or lists too deeply to be read - a paper is one flat object"
        raise ValueError(reason) from None
    if not isinstance(value, dict):
        raise ValueError("is valid JSON but not an object - write each paper as one {...} per line")
    return value


def _jsonl_lines(text: str, file: str) -> Iterator[PaperRecord | Skipped]:
    source = Source(file=file, kind="jsonl")
    first_problem: tuple[int, ValueError] | None = None
    objects = 0
    for line, content in enumerate(text.split("\n"), start=1):
        if not content.strip():
            continue
        try:
            value = json_object(content)
        except ValueError as error:
            first_problem = first_problem or (line, error)
            yield Skipped(file, line, f"Line {line} {error}")
            continue
        objects += 1
        yield _record(value, source, line, f"Line {line}")
    if first_problem and not objects:
        line, error = first_problem
        raise MalformedFile(f"{file}: line {line}: no line is a JSON object; line {line} {error}")


def _record(
    fields: Mapping[str, object], source: Source, line: int, label: str
) -> PaperRecord | Skipped:
    """Map one row or object onto a record, matching keys case-insensitively via ALIASES."""
    lowered = {str(key).strip().lower(): value for key, value in fields.items()}
    found = {
        name: next((lowered[a] for a in aliases if lowered.get(a) not in (None, "")), None)
        for name, aliases in ALIASES.items()
    }
    authors = split_authors(found.pop("authors"))
    return to_record(source, line, label, authors=authors, **found)
