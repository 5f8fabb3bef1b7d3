"""A trending-papers listing: a listing date (`Mar 21`), then title and abstract paragraphs."""

from __future__ import annotations

import re

from ingest.paragraphs import looks_like_abstract, paragraphs
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import excerpt

KIND = "trending_listing"
DATE_LINE = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}(, \d{4})?$"
)


def parse_listing(text: str, file: str) -> Parsed:
    """Paragraphs before the first date are page chrome; a date applies until the next one."""
    parsed = Parsed()
    listed_on: str | None = None
    title: tuple[int, str] | None = None

    def skip_title() -> None:
        reason = (
            f"'{excerpt(title[1])}' has a title but no abstract - add the abstract below the title"
        )
        parsed.skipped.append(Skipped(file, title[0], reason))

    for line, para in paragraphs(text):
        if DATE_LINE.match(para):
            listed_on = para
        elif listed_on is None:
            continue
        elif not looks_like_abstract(para):
            if title:
                skip_title()
            title = (line, para)
        elif title is None:
            reason = "an abstract with no title before it was skipped - add its title above it"
            parsed.skipped.append(Skipped(file, line, reason))
        else:
            source = Source(file, KIND, listed_on)
            parsed.records.append(PaperRecord(title[1], para, sources=(source,)))
            title = None
    if title:
        skip_title()
    return parsed
