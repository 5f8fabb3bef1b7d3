"""What every way in (API, CLI, UI, evals) gets back for a question: one `Answer`."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.search.retrieval import Hit
from ingest.records import PaperRecord

REFUSAL = "I could not find this in the indexed papers."


@dataclass(frozen=True)
class Citation:
    """[n] in the answer text, and the retrieved paper it points to."""

    n: int
    paper: PaperRecord
    sentences: tuple[str, ...] = ()  # the abstract sentences that support what cites it


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation]
    refused: bool
    retrieved: list[Hit]
    filters: dict[str, dict[str, str]]  # each applied filter and the words it came from
    backend: str  # "offline", or the model's name
    unsupported: list[str] = field(default_factory=list)  # cited sentences the abstract lacks
    dropped_citations: int = 0  # citations that pointed outside the context, removed
    dropped_unsupported: int = 0  # removed: their abstract does not back a sentence another does
    notice: str | None = None  # e.g. why the offline answer stands in for the model's
    question: str = ""  # the standalone question that was searched for
    evidence: dict | None = None  # the grading decision's signals, score and threshold
    grounding: str = "full"  # "full", "partial" or "none" (answer/grading.py); none: refused
    facets: list[str] = field(default_factory=list)  # what the question asks about
    coverage: dict[str, dict] = field(default_factory=dict)  # paper id -> {covers, lacks}
    shortfall: str = ""  # what the papers do not hold, in one sentence ("" when full)

    def to_bibtex(self) -> str:
        """The cited papers as BibTeX entries, in citation order (answer/bibtex.py)."""
        from assistant.answer.bibtex import to_bibtex

        return to_bibtex(c.paper for c in self.citations)

    def to_markdown(self) -> str:
        """The question, the answer and its numbered sources as Markdown (answer/markdown.py)."""
        from assistant.answer.markdown import to_markdown

        return to_markdown(self)

    def to_json(self) -> dict:
        """The `assistant ask --json` shape (README, Asking questions) and what the checks found."""
        return {
            "answer": self.text,
            "refused": self.refused,
            "grounding": self.grounding,
            "facets": self.facets,
            "shortfall": self.shortfall,
            "citations": [
                {
                    "n": c.n,
                    "id": c.paper.id,
                    "title": c.paper.title,
                    "authors": list(c.paper.authors),
                    "year": c.paper.year,
                    "source": ", ".join(dict.fromkeys(s.file for s in c.paper.sources)),
                    "doi": c.paper.doi,
                    "arxiv_id": c.paper.arxiv_id,
                    "covers": self.coverage.get(c.paper.id, {}).get("covers", []),
                    "lacks": self.coverage.get(c.paper.id, {}).get("lacks", []),
                }
                for c in self.citations
            ],
            "retrieved": [
                {"id": h.paper.id, "title": h.paper.title, "score": round(h.score, 4)}
                for h in self.retrieved
            ],
            "filters": self.filters,
            "backend": self.backend,
            "unsupported": self.unsupported,
            "dropped_citations": self.dropped_citations,
            "dropped_unsupported": self.dropped_unsupported,
            "notice": self.notice,
            "question": self.question,
            "evidence": self.evidence,
        }
