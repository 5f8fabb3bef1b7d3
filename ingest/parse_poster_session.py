"""A conference poster-session page: per paper a title line, an authors line, an abstract line."""

from __future__ import annotations

from ingest.paragraphs import looks_like_abstract
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, Source
from ingest.text import excerpt

KIND = "poster_session"
AUTHOR_SEPARATOR = " · "


def looks_like_authors(line: str) -> bool:
    names = line.split(AUTHOR_SEPARATOR)
    return not looks_like_abstract(line) and all(0 < len(n.split()) <= 6 for n in names)


def parse_poster_session(text: str, file: str) -> Parsed:
    """Lines before the first title/authors/abstract triple are the session header."""
    lines = [(no, " ".join(line.split())) for no, line in enumerate(text.splitlines(), 1)]
    lines = [(no, line) for no, line in lines if line]
    parsed = Parsed()
    i = 0
    while i < len(lines):
        no, line = lines[i]
        window = [text for _, text in lines[i : i + 3]]
        if len(window) == 3 and looks_like_authors(window[1]) and looks_like_abstract(window[2]):
            authors = tuple(window[1].split(AUTHOR_SEPARATOR))
            source = Source(file, KIND)
            parsed.records.append(PaperRecord(line, window[2], authors, sources=(source,)))
            i += 3
            continue
        if parsed.records or parsed.skipped:
            reason = (
                f"'{excerpt(line)}' is not part of a title / authors / abstract triple and was "
                "skipped - each paper needs its title, authors and abstract on three lines"
            )
            parsed.skipped.append(Skipped(file, no, reason))
        i += 1
    return parsed
