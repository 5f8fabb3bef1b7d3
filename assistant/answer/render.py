"""Papers and answers written out as text: the numbered context a writer answers from, the
Sources block every answer ends with (which follow-ups read their papers back from), and
how a long author list reads where people read about a paper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.answer.result import Citation

if TYPE_CHECKING:
    from assistant.answer.grading import Grading

AUTHORS_SHOWN = 12


def authors_text(authors: Sequence[str]) -> str:
    """'Ann Lee, Bo Kim', or the first AUTHORS_SHOWN and how many more."""
    shown = ", ".join(authors[:AUTHORS_SHOWN])
    more = len(authors) - AUTHORS_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def number_context(hits: Sequence, grading: Grading | None = None) -> str:
    """[n] Title, what the index knows about the paper, which parts of the question the
    reader found it covers, and its abstract: a model can only ground author, year or
    listing questions in what it is shown, and say what no paper holds when told."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        paper = hit.paper
        read = grading.coverage_of(paper.id) if grading else None
        kinds = ", ".join(dict.fromkeys(s.kind.replace("_", " ") for s in paper.sources))
        facts = [
            ("Authors", ", ".join(paper.authors)),
            ("Year", str(paper.year or "")),
            ("Venue", paper.venue or ""),
            ("Listed on", ", ".join(paper.listed_on)),
            ("Source", kinds),
            ("Covers", "; ".join(f.text for f in read.covered) if read else ""),
            ("Does not cover", "; ".join(f.text for f in read.lacking) if read else ""),
        ]
        about = "\n".join(f"{name}: {value}" for name, value in facts if value)
        blocks.append(f"[{n}] {paper.title}\n{about}\nAbstract: {paper.abstract}")
    return "\n\n".join(blocks)


def sources_block(citations: Sequence[Citation]) -> str:
    """What every answer ends with: 'Sources:' and one '[n] Title (year)' line per cited
    paper."""
    sources = "\n".join(
        f"[{c.n}] {c.paper.title}" + (f" ({c.paper.year})" if c.paper.year else "")
        for c in citations
    )
    return f"\n\nSources:\n{sources}"
