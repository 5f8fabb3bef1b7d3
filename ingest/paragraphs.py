"""The shapes the web pages are made of: blank-line paragraphs, titles and abstracts."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[.!?](\s|$)")


def paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """Blank-line separated blocks, each with its 1-based first line, whitespace collapsed."""
    line_no = 1
    for block in re.split(r"(\n\s*\n)", text):
        if block.strip() and not block.isspace():
            lead = len(block) - len(block.lstrip("\n"))
            yield line_no + block[:lead].count("\n"), " ".join(block.split())
        line_no += block.count("\n")


def looks_like_abstract(text: str) -> bool:
    """Abstracts are prose: long and made of sentences. Titles and page chrome are not."""
    return len(text) >= 200 and bool(_SENTENCE_END.search(text))
