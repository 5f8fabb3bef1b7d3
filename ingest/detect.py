"""Which parser a text needs, decided from its content (a file name can lie or be missing)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ingest.paragraphs import looks_like_abstract, paragraphs
from ingest.parse_atom import parse_atom
from ingest.parse_bibtex import parse_bibtex
from ingest.parse_listing import DATE_LINE, parse_listing
from ingest.parse_poster_session import AUTHOR_SEPARATOR, parse_poster_session
from ingest.parse_publication_list import TYPE_LINE, parse_publication_list
from ingest.parse_table import parse_csv, parse_jsonl
from ingest.parsed import Parsed

Parser = Callable[[str, str], Parsed]

FORMATS = (
    "arXiv Atom XML, BibTeX (.bib), CSV or JSONL with title and abstract columns, "
    "or a publication-list, trending-listing or poster-session page saved as text"
)


def _is_bibtex(text: str) -> bool:
    return re.search(r"^\s*@[A-Za-z]+\s*[{(]", text, re.M) is not None


def _is_jsonl(text: str) -> bool:
    return text.lstrip().startswith("{")


def _is_csv(text: str) -> bool:
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return re.search(r"(^|[,;\t])\s*\"?title\"?\s*($|[,;\t])", header) is not None


def _is_publication_list(text: str) -> bool:
    return any(TYPE_LINE.match(para) for _, para in paragraphs(text))


def _is_poster_session(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return any(
        AUTHOR_SEPARATOR in lines[i] and looks_like_abstract(lines[i + 1])
        for i in range(len(lines) - 1)
    )


def _is_listing(text: str) -> bool:
    return any(DATE_LINE.match(para) for _, para in paragraphs(text))


_DETECTORS: tuple[tuple[str, Callable[[str], bool], Parser], ...] = (
    ("arXiv Atom XML", lambda text: text.lstrip("\ufeff \n").startswith("<"), parse_atom),
    ("BibTeX", _is_bibtex, parse_bibtex),
    ("JSONL", _is_jsonl, parse_jsonl),
    ("CSV", _is_csv, parse_csv),
    ("publication list", _is_publication_list, parse_publication_list),
    ("poster session", _is_poster_session, parse_poster_session),
    ("trending listing", _is_listing, parse_listing),
)


def detect_format(text: str) -> tuple[str, Parser] | None:
    """The name and parser of the first format whose signature the text carries."""
    for name, matches, parser in _DETECTORS:
        if matches(text):
            return name, parser
    return None
