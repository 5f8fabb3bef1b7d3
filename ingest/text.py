"""The clean-up and checks every format parser applies, so all formats make records alike."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source

_SURROGATE = re.compile("[\ud800-\udfff]")
# An arXiv identifier, new style (2003.02037v2) or old (hep-th/9901001).
ARXIV_ID = r"(\d{4}\.\d{4,5}|[a-z-]+(\.[a-z]{2})?/\d{7})(v\d+)?"
# Where reference managers write one: arXiv:2003.02037, arxiv.org/abs/..., arXiv's DOI.
_ARXIV_MENTION = re.compile(rf"(arxiv\.org/(abs|pdf)/|arxiv[:.]\s*)(?P<id>{ARXIV_ID})", re.I)


def well_formed(text: str) -> str:
    """Lone surrogates (a JSON "\\ud800", an argument that is not UTF-8) become U+FFFD:
    they cannot be encoded, so no tokenizer, hash or store takes them."""
    return _SURROGATE.sub("\ufffd", text)


def clean_text(text: object) -> str:
    """Runs of whitespace (newlines included) become one space; None becomes ''."""
    return well_formed(" ".join(str(text).split())) if text is not None else ""


def excerpt(text: str, limit: int = 80) -> str:
    """Text short enough to quote in a message, which must not echo a 5,000-digit year."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def find_arxiv_id(*texts: object) -> str | None:
    """The first arXiv id mentioned in the texts: reference managers keep it in a URL, a note,
    a report number or the DOI (10.48550/arXiv.2003.02037), not in a field of its own."""
    for text in texts:
        match = _ARXIV_MENTION.search(text) if isinstance(text, str) else None
        if match:
            return match["id"]
    return None


def parse_year(value: object) -> int | None:
    """2021, '2021' and '2021-05-01' are 2021; empty is None; anything else is a ValueError."""
    text = clean_text(value)
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})([-/T].*)?", text)
    if match is None:
        raise ValueError(text)
    return int(match.group(1))


def to_record(
    source: Source,
    line: int | None,
    label: str,
    *,
    title: object,
    abstract: object,
    authors: Iterable[object] = (),
    year: object = None,
    venue: object = None,
    url: object = None,
    doi: object = None,
    arxiv_id: object = None,
) -> PaperRecord | Skipped:
    """The record, or why it is skipped; `label` names a record that has no title ('row 4')."""
    title, abstract = clean_text(title), clean_text(abstract)
    if not title:
        return Skipped(source.file, line, f"{label} has no title - add a title, or remove it")
    if not abstract:
        reason = (
            f"'{excerpt(title)}' has a title but no abstract - add an abstract, or remove the entry"
        )
        return Skipped(source.file, line, reason)
    try:
        parsed_year = parse_year(year)
    except ValueError as error:
        reason = (
            f"'{excerpt(title)}' has the year '{excerpt(str(error))}', which is not a number "
            "like 2021 - fix the year"
        )
        return Skipped(source.file, line, reason)
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=tuple(name for name in map(clean_text, authors) if name),
        year=parsed_year,
        venue=clean_text(venue) or None,
        sources=(source,),
        url=clean_text(url) or None,
        doi=clean_text(doi) or None,
        arxiv_id=clean_text(arxiv_id) or None,
    )


def collect(items: Iterable[PaperRecord | Skipped]) -> Parsed:
    """Sort a parser's output into the records read and the records skipped, in order."""
    parsed = Parsed()
    for item in items:
        if isinstance(item, Skipped):
            parsed.skipped.append(item)
        else:
            parsed.records.append(item)
    return parsed
