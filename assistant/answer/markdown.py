"""An answer as Markdown, to paste into notes or an issue: the question, the answer with its
[n] citations and flagged claims, and its numbered sources with what finds each paper.

Titles, abstracts and answers are other people's text, so each is escaped to read as
written (`markdown_text`): no HTML, link, image or autolink comes from them, only from the
index's own links for a paper. The web UI shows its answers by the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from assistant.answer.check import claim_of
from assistant.answer.render import authors_text, sources_block
from assistant.text import sentence_pieces

if TYPE_CHECKING:
    from assistant.answer.result import Answer, Citation

UNSUPPORTED_MARK = "⚠️ *(not supported by the cited abstract)*"
URL_KEPT = "/:?#[]@!$&'()*+,;=%~"  # what a link keeps as written; the rest is %-encoded


def to_markdown(answer: Answer) -> str:
    """The question as a heading, the answer, and its sources listed in full."""
    body = answer.text.removesuffix(sources_block(answer.citations))  # its short Sources
    parts = [f"## {markdown_text(answer.question)}"] if answer.question else []
    if answer.grounding == "partial":
        parts.append(f"*Partial answer: {markdown_text(partial_notice(answer))}*")
    parts.append(markdown_text(flagged(body.strip(), answer.unsupported)))
    if answer.notice:
        parts.append(f"*{markdown_text(answer.notice)}*")
    if answer.citations:
        parts.append("Sources:\n\n" + "\n".join(_source(c) for c in answer.citations))
    return "\n\n".join(parts) + "\n"


def partial_notice(answer: Answer) -> str:
    """What a partial answer is marked with on the page and in the export."""
    return f"the papers cover only part of the question. {answer.shortfall}".strip()


def flagged(text: str, unsupported: Sequence[str]) -> str:
    """The text with each sentence the cited abstract does not support marked."""
    claims = set(unsupported)
    if not claims:
        return text
    pieces = sentence_pieces(text)
    for i, piece in enumerate(pieces):
        if claim_of(piece) in claims:
            body = piece.rstrip()
            pieces[i] = f"{body} {UNSUPPORTED_MARK}{piece[len(body) :]}"
    return "".join(pieces)


def markdown_text(text: str) -> str:
    """Text for Markdown, shown as written: HTML escaped, and no Markdown link, image or
    autolink (`http://`, `www.`, `a@b.c` stay text, as a backslash escape breaks them)."""
    shown = escape(text, quote=False).replace("[", "\\[").replace("]", "\\]")
    shown = re.sub(r"(?i)\b(https?|ftp)://", r"\1\\://", shown)
    return re.sub(r"(?i)\b(www)\.", r"\1\\.", shown).replace("@", "\\@")


def _source(citation: Citation) -> str:
    """'- [1] Title (2021). Ann Lee, Bo Kim. ICLR. DOI <https://doi.org/...>.'"""
    paper = citation.paper
    facts = [markdown_text(paper.title) + (f" ({paper.year})" if paper.year else "")]
    facts += [markdown_text(text) for text in (authors_text(paper.authors), paper.venue) if text]
    if paper.links:  # an autolink ends at a space or '>': such characters are %-encoded
        facts.append(
            ", ".join(f"{name} <{quote(url, safe=URL_KEPT)}>" for name, url in paper.links)
        )
    return f"- \\[{citation.n}\\] " + " ".join(f if f[-1] in ".?!" else f"{f}." for f in facts)
