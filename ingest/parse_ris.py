"""Read RIS, the tagged format Zotero, Mendeley and EndNote export (`TY  - JOUR` ... `ER  -`)."""

from __future__ import annotations

from collections.abc import Iterator

from rispy import RisParser

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import collect, excerpt, find_arxiv_id, to_record

KIND = "ris"
_RIS = RisParser()
# rispy's names for the tags, preferred first: TI/T1, AB/N2, AU/A1, PY/Y1/DA, T2/JF/JO/J2/PB.
_TITLE = ("title", "primary_title")
_ABSTRACT = ("abstract", "notes_abstract")
_AUTHORS = ("authors", "first_authors")
_YEAR = ("year", "publication_year", "date")
_VENUE = ("secondary_title", "alternate_title3", "journal_name", "alternate_title1", "publisher")
_ARXIV_FIELDS = ("urls", "doi", "notes", "note", "accession_number", "publisher")
_UNCLOSED = "has no 'ER  -' line closing it - end each record with 'ER  -' (is the file cut short?)"


def parse_ris(text: str, file: str) -> Parsed:
    """Each record from TY to ER; an unclosed one is skipped, fatal only if no record is closed."""
    records = list(_records(text.removeprefix("\ufeff")))
    if records and not any(closed for _, _, closed in records):
        line, lines, _ = records[0]
        reason = f"no RIS record could be read. {_what(lines)} {_UNCLOSED}"
        raise MalformedFile(f"{file}: line {line}: {reason}")
    source = Source(file=file, kind=KIND)
    return collect(_read(lines, line, closed, source) for line, lines, closed in records)


def _records(text: str) -> Iterator[tuple[int, list[str], bool]]:
    """Each record's lines, the line number of its TY, and whether an ER closed it. rispy reads
    a whole file without line numbers and silently drops a record that is not closed, so the
    file is cut at rispy's own tag lines and rispy reads one record at a time. A wrapped line
    is joined to its tag line here, once: rispy re-joins the value at every line, quadratic in
    a long one (60,000 wrapped lines took a third of a second, a 20 MB file hours)."""
    start, lines = 0, []
    for number, line in enumerate(text.split("\n"), start=1):
        tag, content = _RIS.parse_line(line)
        if tag == "TY":
            if lines:
                yield start, _joined(lines), False
            start, lines = number, [[line.rstrip()]]
        elif lines and tag is None:
            lines[-1] += [content] if content else []
        elif lines:
            lines.append([line.rstrip()])
            if tag == "ER":
                yield start, _joined(lines), True
                lines = []
    if lines:
        yield start, _joined(lines), False


def _joined(lines: list[list[str]]) -> list[str]:
    return [" ".join(pieces) for pieces in lines]


def _read(lines: list[str], line: int, closed: bool, source: Source) -> PaperRecord | Skipped:
    if not closed:
        return Skipped(source.file, line, f"{_what(lines)} {_UNCLOSED}")
    [fields] = _RIS.parse_lines(iter(lines))
    return to_record(
        source,
        line,
        _what(lines),
        title=_first(fields, _TITLE),
        abstract=_first(fields, _ABSTRACT),
        authors=[_first_name_first(name) for name in _all(fields, _AUTHORS)],
        year=_first(fields, _YEAR),
        venue=_first(fields, _VENUE),
        url=next(iter(_all(fields, ("urls",))), None),
        doi=_first(fields, ("doi",)),
        arxiv_id=find_arxiv_id(*_all(fields, _ARXIV_FIELDS)),
    )


def _what(lines: list[str]) -> str:
    """How a message names a record: by its TY line, as the file shows it."""
    return f"The record '{excerpt(lines[0].strip())}'"


def _first(fields: dict, names: tuple[str, ...]) -> str | None:
    """The first non-empty value, trying the tags in order (a repeated tag keeps its first)."""
    return next(iter(_all(fields, names)), None)


def _all(fields: dict, names: tuple[str, ...]) -> list[str]:
    values: list[str] = []
    for name in names:
        value = fields.get(name)
        values += [v for v in (value if isinstance(value, list) else [value]) if v]
    return values


def _first_name_first(name: str) -> str:
    """RIS writes 'Last, First, Suffix'; the other formats store 'First Last Suffix'."""
    family, _, rest = name.partition(",")
    given, _, suffix = rest.partition(",")
    return " ".join(part for part in (given.strip(), family.strip(), suffix.strip()) if part)
