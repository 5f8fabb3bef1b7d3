"""The assistant as MCP tools, for `assistant serve --mcp`: Gradio's MCP server lists the
endpoints `gr.api` adds, and an AI client shows its model each method's docstring (summary
and Args) and type hints, so those are written for that model.

Each tool returns JSON text: Gradio hands a tool's result to the client as text, and JSON
is what a model reads a record from. A user error comes back as the tool's error, in the
assistant's own words. Gradio reads one line per parameter under Args, and joins the
Returns lines with commas. No `from __future__ import annotations`: gr.api needs the
type hints as types.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr

from assistant.api import Assistant
from assistant.errors import AssistantError

# An answer's fields a client needs; the rest of `ask --json` is the checks' working.
ANSWER_FIELDS = (
    "answer", "refused", "grounding", "facets", "citations", "unsupported", "notice", "filters"
)  # fmt: skip


@contextmanager
def tool_errors() -> Iterator[None]:
    """An empty query or an unknown id as a clear tool error, not Gradio's generic one."""
    try:
        yield
    except AssistantError as error:
        raise gr.Error(str(error), print_exception=False) from None


class PaperTools:
    """The four tools over one `Assistant`, the same one the web page uses."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def expose(self) -> None:
        """Add the tools as API endpoints of the Blocks being built (call inside it)."""
        for tool in (self.search_papers, self.ask, self.get_paper, self.similar_papers):
            gr.api(tool)

    def search_papers(
        self,
        query: str,
        k: int = 10,
        year_from: int | None = None,
        year_to: int | None = None,
        author: str | None = None,
        source: str | None = None,
    ) -> str:
        """Find indexed research papers for a question or keywords, best first (hybrid
        dense + BM25 search over titles and abstracts). Years, authors and sources named
        in the query are applied as filters too.

        Args:
            query: What to look for, in plain words, e.g. "calibration of neural networks".
            k: How many papers to return.
            year_from: Only papers published in or after this year.
            year_to: Only papers published in or before this year.
            author: Only papers with this author, e.g. "Juho Lee".
            source: Only papers from this source: a file name, or poster, trending, publications.

        Returns:
            JSON: the filters applied and the hits
            each hit with rank, id, title, authors, year, venue, DOI, arXiv id, sources, score
        """
        years = [year_from, year_to]
        filters = {
            "year": years if any(y is not None for y in years) else None,
            "author": author or None,
            "source": [source] if source else None,
        }
        with tool_errors():
            hits = self.assistant.search(query, k=k, filters=filters)
        return json.dumps(hits.to_json(), ensure_ascii=False)

    def ask(self, question: str) -> str:
        """Answer a question from the indexed paper abstracts, with numbered [n] citations
        that have been checked against the cited abstracts; when the papers answer only part
        of it, says so (grounding "partial"); when they do not answer it, an honest refusal.

        Args:
            question: A question about the papers, e.g. "How does DUQ estimate uncertainty?".

        Returns:
            JSON: the answer text with its [n] markers
            grounding (full; partial when the papers answer only part of it; none: refused)
            refused (true exactly when grounding is none)
            facets (the parts of the question the papers were read for)
            citations, each with n, id, title, authors, year, source, DOI and arXiv id
            and covers and lacks (the facets the paper covers, and those it does not)
            unsupported claims, a notice, and the filters applied
        """
        with tool_errors():
            answer = self.assistant.ask(question).to_json()
        return json.dumps({key: answer[key] for key in ANSWER_FIELDS}, ensure_ascii=False)

    def get_paper(self, paper_id: str) -> str:
        """One indexed paper in full: its record and abstract.

        Args:
            paper_id: A paper id from search_papers, ask or similar_papers.

        Returns:
            JSON: id, title, abstract, authors, year, venue, url, DOI, arXiv id and sources.
        """
        with tool_errors():
            return self.assistant.paper(paper_id).to_json()

    def similar_papers(self, paper_id: str, k: int = 5) -> str:
        """The indexed papers closest in meaning to one paper, most similar first.

        Args:
            paper_id: A paper id from search_papers, ask or get_paper.
            k: How many papers to return.

        Returns:
            JSON: a list of papers, each with id, title, authors, year, sources, similarity
        """
        with tool_errors():
            hits = self.assistant.similar(paper_id, k=k)
        return json.dumps([hit.to_json() for hit in hits], ensure_ascii=False)
