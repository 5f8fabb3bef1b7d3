"""A researcher's publication-list page: a `preprint2022arXiv` line, the title, the abstract."""

from __future__ import annotations

import re

from ingest.paragraphs import looks_like_abstract, paragraphs
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import excerpt

KIND = "publication_list"
TYPE_LINE = re.compile(r"^(?P<type>[a-z]+)(?P<year>(?:19|20)\d\d)(?P<venue>\S.*)?$")


def parse_publication_list(text: str, file: str) -> Parsed:
    """Everything before the first type line is page chrome; each entry runs to the next one."""
    entries: list[tuple[int, re.Match[str], list[str]]] = []
    for line, para in paragraphs(text):
        match = TYPE_LINE.match(para)
        if match:
            entries.append((line, match, []))
        elif entries:
            entries[-1][2].append(para)

    parsed = Parsed()
    for line, match, body in entries:
        if not body or looks_like_abstract(body[0]):
            reason = (
                f"'{excerpt(match[0])}' is not followed by a title - add the title and abstract"
            )
            parsed.skipped.append(Skipped(file, line, reason))
        elif len(body) == 1:
            reason = (
                f"'{excerpt(body[0])}' has a title but no abstract - "
                "add the abstract below the title"
            )
            parsed.skipped.append(Skipped(file, line, reason))
        else:
            record = PaperRecord(
                title=body[0],
                abstract=" ".join(body[1:]),
                year=int(match["year"]),
                venue=match["venue"],
                sources=(Source(file, KIND),),
            )
            parsed.records.append(record)
    return parsed
