"""Read an arXiv API response (Atom XML), the form arXiv search results are saved in."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import clean_text, collect, to_record

KIND = "arxiv_atom"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_HIDDEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)


def parse_atom(text: str, file: str) -> Parsed:
    """Each <entry> of an Atom <feed>; broken XML, another root or an arXiv error is fatal."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).rsplit(": line", 1)[0]
        raise MalformedFile(
            f"{file}: line {line}, column {column + 1}: the XML is not well-formed ({reason}) - "
            "the download may have been cut short; fetch it again or repair the markup"
        ) from error
    if root.tag != f"{ATOM}feed":
        line, column = (_start_tags(text, root.tag) or [(1, 1)])[0]
        raise MalformedFile(
            f"{file}: line {line}, column {column}: the root element is "
            f"<{root.tag.rpartition('}')[2]}>, not an Atom <feed> - save the response of the "
            "arXiv API (export.arxiv.org/api/query) as it comes, or convert the file to CSV"
        )
    entries = root.findall(f"{ATOM}entry")
    lines: list[int | None] = [line for line, _ in _start_tags(text, "entry")]
    if len(lines) != len(entries):  # an <entry> of another namespace: no reliable line numbers
        lines = [None] * len(entries)
    if len(entries) == 1 and clean_text(entries[0].findtext(f"{ATOM}title")) == "Error":
        where = f"{file}: line {lines[0]}" if lines[0] else file
        raise MalformedFile(
            f"{where}: this is an arXiv API error response, not search results: "
            f"{clean_text(entries[0].findtext(f'{ATOM}summary'))} - correct the query and "
            "download the results again"
        )
    return collect(
        _entry(entry, file, line, number)
        for number, (entry, line) in enumerate(zip(entries, lines, strict=True), start=1)
    )


def _entry(entry: ET.Element, file: str, line: int | None, number: int) -> PaperRecord | Skipped:
    entry_id = clean_text(entry.findtext(f"{ATOM}id"))
    alternate = next(
        (
            link.get("href")
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ),
        None,
    )
    return to_record(
        Source(file=file, kind=KIND),
        line,
        f"Entry {number} ({entry_id})" if entry_id else f"Entry {number}",
        title=entry.findtext(f"{ATOM}title"),
        abstract=entry.findtext(f"{ATOM}summary"),
        authors=[author.findtext(f"{ATOM}name") for author in entry.findall(f"{ATOM}author")],
        year=entry.findtext(f"{ATOM}published"),
        venue=entry.findtext(f"{ARXIV}journal_ref"),
        url=entry_id if entry_id.startswith("http") else alternate,
        doi=entry.findtext(f"{ARXIV}doi"),
        arxiv_id=entry_id if "arxiv.org/abs/" in entry_id else None,
    )


def _start_tags(text: str, tag: str) -> list[tuple[int, int]]:
    """1-based (line, column) of each start tag with this local name, outside comments and CDATA.

    ElementTree keeps no positions, so this finds them in the text; any namespace prefix matches.
    """
    visible = _HIDDEN.sub(lambda hidden: re.sub(r"[^\n]", " ", hidden.group()), text)
    name = re.escape(tag.rpartition("}")[2])
    found: list[tuple[int, int]] = []
    line, scanned = 1, 0
    for match in re.finditer(rf"<(?:[\w.-]+:)?{name}(?=[\s/>])", visible):
        line += visible.count("\n", scanned, match.start())
        line_start = visible.rfind("\n", 0, match.start()) + 1
        scanned = match.start()
        found.append((line, match.start() - line_start + 1))
    return found
