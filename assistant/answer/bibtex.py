"""Cited papers out as BibTeX, for the reference manager a researcher already keeps.

Written with bibtexparser's writer, so the file is what BibTeX tools and this project's own
reader expect: one entry a paper, with a key made from the paper itself (first author's
last name, year, first title word: `forre2021temperature`), so the same paper gets the same
key in every answer. Balanced braces in a title are LaTeX (`$\\mathcal{O}(n)$`) and kept; a
stray brace is written as LaTeX's `\\}`, so it cannot end the field early (a BibTeX reader,
this project's included, then reads that LaTeX as written).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ingest.records import PaperRecord


def to_bibtex(papers: Iterable[PaperRecord]) -> str:
    import bibtexparser
    from bibtexparser.model import Entry, Field

    library = bibtexparser.Library()
    taken: set[str] = set()
    for paper in papers:
        key = _unique(citation_key(paper), taken)
        fields = {
            "title": paper.title,
            "author": " and ".join(paper.authors),
            "year": str(paper.year or ""),
            "journal": paper.venue or "",
            "doi": paper.doi or "",
            "eprint": paper.arxiv_id or "",
            "archiveprefix": "arXiv" if paper.arxiv_id else "",
            "url": paper.url or "",
            "abstract": paper.abstract,
        }
        kind = "article" if paper.venue else "misc"
        entry = [Field(name, _braces_escaped(value)) for name, value in fields.items() if value]
        library.add(Entry(kind, key, entry))
    return bibtexparser.write_string(library)


def citation_key(paper: PaperRecord) -> str:
    """'forre2021temperature': first author's last name, year, first title word of
    three letters or more, in plain ASCII."""
    last = _ascii(paper.authors[0].split()[-1]) if paper.authors else ""
    words = [w for w in map(_ascii, paper.title.split()) if len(w) >= 3]
    return f"{last}{paper.year or ''}{words[0] if words else 'paper'}"


def _unique(key: str, taken: set[str]) -> str:
    """The key, or the key with b, c, ... when two papers of one file share it."""
    found = key
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        if found not in taken:
            break
        found = key + suffix
    taken.add(found)
    return found


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _braces_escaped(value: str) -> str:
    """Braces that pair up are kept; a brace without its pair is written as \\{ or \\}."""
    unmatched: set[int] = set()
    opened: list[int] = []
    for at, char in enumerate(value):
        if value[at - 1 : at] == "\\":
            continue
        if char == "{":
            opened.append(at)
        elif char == "}":
            if opened:
                opened.pop()
            else:
                unmatched.add(at)
    unmatched.update(opened)
    return "".join(f"\\{c}" if at in unmatched else c for at, c in enumerate(value))
