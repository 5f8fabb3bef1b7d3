"""Read an arXiv API response (Atom XML), the form arXiv search results are saved in."""

from __future__ import annotations

import lxml.etree

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import clean_text, collect, to_record

KIND = "arxiv_atom"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def parse_atom(text: str, file: str) -> Parsed:
    """Each <entry> of an Atom <feed>; broken XML, another root or an arXiv error is fatal."""
    try:  # bytes, as lxml refuses a str whose XML declaration names an encoding
        root = lxml.etree.fromstring(text.encode("utf-8"), _parser())
    except lxml.etree.XMLSyntaxError as error:
        line, column = error.position
        reason = error.msg.removesuffix(f", line {line}, column {column}")
        raise MalformedFile(
            f"{file}: line {line}, column {column}: the XML is not well-formed ({reason}) - "
            "the download may have been cut short; fetch it again or repair the markup"
        ) from error
    if root.tag != f"{ATOM}feed":
        raise MalformedFile(
            f"{file}: line {root.sourceline}: the root element is "
            f"<{root.tag.rpartition('}')[2]}>, not an Atom <feed> - save the response of the "
            "arXiv API (export.arxiv.org/api/query) as it comes, or convert the file to CSV"
        )
    entries = root.findall(f"{ATOM}entry")
    if len(entries) == 1 and clean_text(entries[0].findtext(f"{ATOM}title")) == "Error":
        raise MalformedFile(
            f"{file}: line {entries[0].sourceline}: this is an arXiv API error response, not "
            f"search results: {clean_text(entries[0].findtext(f'{ATOM}summary'))} - correct the "
            "query and download the results again"
        )
    return collect(_entry(entry, file, number) for number, entry in enumerate(entries, start=1))


def _parser() -> lxml.etree.XMLParser:
    """A fresh parser per file, as a parser keeps its error log. It never expands entities nor
    fetches anything, so a crafted DTD ("billion laughs", external entities) stays harmless.
    UTF-8 is forced because the text is already decoded: a declared encoding no longer applies.
    Comments and processing instructions are dropped so the text around them reads as one."""
    return lxml.etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _entry(entry: lxml.etree._Element, file: str, number: int) -> PaperRecord | Skipped:
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
        entry.sourceline,
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
