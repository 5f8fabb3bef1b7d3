"""Read a BibTeX file, the format reference managers export a personal paper collection in."""

from __future__ import annotations

import logging
import re

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.middlewares import NormalizeFieldKeys, SeparateCoAuthors, SplitNameParts
from bibtexparser.model import Block, Entry, ParsingFailedBlock

from ingest.errors import MalformedFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import ARXIV_ID, clean_text, collect, to_record

KIND = "bibtex"
# bibtexparser logs each failed block with 0-based line numbers; the Skipped line says it
# better. With a handler of its own, Python's last-resort stderr handler stays silent, and
# an application that configures logging still gets the records.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
_VENUE_FIELDS = ("journal", "booktitle", "publisher", "howpublished")
_ARXIV_ID = re.compile(rf"(arxiv:)?{ARXIV_ID}", re.I)
# The braces _unbrace sees, in one left-to-right pass: a group's brace after a command or a
# sub/superscript (kept), an escaped brace (text), and a bare brace (dropped, or its match).
_BRACE = re.compile(r"(?P<group>(?:\\[A-Za-z]+|[\^_])\s*\{)|(?P<escaped>\\[{}])|(?P<bare>[{}])")


def parse_bibtex(text: str, file: str) -> Parsed:
    """Each entry; a block that cannot be parsed is skipped, fatal only if nothing else parsed."""
    library = bibtexparser.parse_string(
        text, append_middleware=[NormalizeFieldKeys(), SeparateCoAuthors(), SplitNameParts()]
    )
    failed = library.failed_blocks
    if failed and not library.entries:
        raise MalformedFile(
            f"{file}: line {_line(failed[0])}: no BibTeX entry could be read. {_failure(failed[0])}"
        )
    blocks = [b for b in library.blocks if isinstance(b, Entry | ParsingFailedBlock)]
    return collect(_read(block, file) for block in blocks)


def _read(block: Entry | ParsingFailedBlock, file: str) -> PaperRecord | Skipped:
    if isinstance(block, ParsingFailedBlock):
        return Skipped(file, _line(block), _failure(block))
    fields = {key: field.value for key, field in block.fields_dict.items()}
    eprint = clean_text(fields.get("eprint"))
    archive = clean_text(fields.get("archiveprefix") or fields.get("eprinttype")).lower()
    is_arxiv = archive == "arxiv" or _ARXIV_ID.fullmatch(eprint) is not None
    venue = next((fields[key] for key in _VENUE_FIELDS if fields.get(key)), None)
    authors = [_unbrace(name.merge_first_name_first) for name in fields.get("author", [])]
    return to_record(
        Source(file=file, kind=KIND),
        _line(block),
        _describe(block),
        title=_unbrace(fields.get("title", "")),
        abstract=fields.get("abstract"),
        authors=[name for name in authors if name != "others"],
        year=fields.get("year"),
        venue=_unbrace(venue) if venue else None,
        url=fields.get("url"),
        doi=fields.get("doi"),
        arxiv_id=eprint if is_arxiv else None,
    )


def _unbrace(text: str) -> str:
    """Drop BibTeX's protective braces ({BERT} -> BERT) but keep \\emph{x}, x^{2} and \\{.
    Linear in the text, however deep the nesting."""
    kept: list[str] = []
    opened: list[bool] = []  # for each open brace: is it kept?
    end = 0
    for match in _BRACE.finditer(text):
        kept.append(text[end : match.start()])
        end = match.end()
        token = match[0]
        if match["group"]:
            opened.append(True)
        elif match["bare"] == "{":
            opened.append(False)
            token = ""
        elif match["bare"] and opened and not opened.pop():
            token = ""  # the match of a dropped brace; an unmatched "}" is kept, as text
        kept.append(token)
    kept.append(text[end:])
    return "".join(kept)


def _line(block: Block) -> int | None:
    """bibtexparser counts lines from 0; people count from 1."""
    return block.start_line + 1 if block.start_line is not None else None


def _describe(block: Block) -> str:
    match = re.match(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s]*)", block.raw or "")
    if match is None:
        return "The block starting here"
    return f"The @{match.group(1).lower()} entry '{match.group(2)}'"


def _failure(block: ParsingFailedBlock) -> str:
    """What went wrong and what to do, without bibtexparser's 0-based line numbers and API notes."""
    what = f"{_describe(block)} could not be parsed"
    if isinstance(block.error, BlockAbortedException):
        reason = clean_text(block.error.abort_reason).rstrip(".")
        return f"{what}: {reason} - check that its braces and quotes are balanced"
    return f"{what}: {clean_text(str(block.error).split('. Note:')[0])} - fix it, or remove it"
