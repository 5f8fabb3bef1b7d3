"""Which parser a text needs, decided from its content (a file name can lie or be missing)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from itertools import islice

from ingest.paragraphs import looks_like_abstract, paragraphs
from ingest.parse_atom import parse_atom
from ingest.parse_bibtex import parse_bibtex
from ingest.parse_csl import CSL_KEYS, parse_csl
from ingest.parse_listing import DATE_LINE, parse_listing
from ingest.parse_poster_session import AUTHOR_SEPARATOR, parse_poster_session
from ingest.parse_publication_list import TYPE_LINE, parse_publication_list
from ingest.parse_ris import parse_ris
from ingest.parse_table import header_line, json_object, parse_csv, parse_jsonl
from ingest.parsed import Parsed

Parser = Callable[[str, str], Parsed]
_JSONL_PROBE_LINES = 20  # lines read to tell JSONL from a page that happens to start with '{'
_ARRAY_START = re.compile(r"\ufeff?\s*\[\s*([{\]])")
_RIS_START = re.compile(r"\ufeff?\s*TY  -")  # rispy's tag line: two letters, two spaces, '-'

FORMATS = (
    "arXiv Atom XML, BibTeX (.bib), CSL-JSON, RIS, CSV or JSONL with title and abstract columns, "
    "or a publication-list, trending-listing or poster-session page saved as text"
)


def _is_bibtex(text: str) -> bool:
    # [ \t]*, not \s*: from every line start, \s* ran over all the blank lines after it,
    # quadratic in a run of them (300k blank lines took minutes).
    return re.search(r"^[ \t]*@[A-Za-z]+\s*[{(]", text, re.M) is not None


def _is_csl_json(text: str) -> bool:
    """A JSON array whose first item is an object with CSL's keys; an array that cannot be read
    is CSL too, so that its parser says where it breaks. Any other JSON array is not."""
    start = _ARRAY_START.match(text)
    if start is None:
        return False
    if start.group(1) == "]":
        return True  # an empty export
    try:
        item, _ = json.JSONDecoder(parse_int=str).raw_decode(text, start.start(1))
    except (ValueError, RecursionError):
        return True
    return any(key in item for key in CSL_KEYS)


def _is_jsonl(text: str) -> bool:
    """Starts with '{', and one of the first lines is a JSON object (a page can start with '{')."""
    if not text.lstrip().startswith("{"):
        return False
    lines = (line for line in io.StringIO(text) if line.strip())
    return any(_decodes(line) for line in islice(lines, _JSONL_PROBE_LINES))


def _decodes(line: str) -> bool:
    try:
        json_object(line)
    except ValueError:
        return False
    return True


def _is_csv(text: str) -> bool:
    header = header_line(text).lower()
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
    ("CSL-JSON", _is_csl_json, parse_csl),
    ("RIS", lambda text: _RIS_START.match(text) is not None, parse_ris),
    ("BibTeX", _is_bibtex, parse_bibtex),
    ("JSONL", _is_jsonl, parse_jsonl),
    ("CSV", _is_csv, parse_csv),
    ("publication list", _is_publication_list, parse_publication_list),
    ("poster session", _is_poster_session, parse_poster_session),
    ("trending listing", _is_listing, parse_listing),
    # Last: a file of broken JSON lines, told apart from a page only by its first '{'. If
    # no line is an object, the parser says why rather than skipping every line.
    ("JSONL", lambda text: text.lstrip().startswith("{"), parse_jsonl),
)


def detect_format(text: str) -> tuple[str, Parser] | None:
    """The name and parser of the first format whose signature the text carries."""
    for name, matches, parser in _DETECTORS:
        if matches(text):
            return name, parser
    return None
