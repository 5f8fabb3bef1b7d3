"""The index as a LangChain retriever, for people who build their own chains on it.

`Assistant.as_retriever()` returns one: a `BaseRetriever` whose documents are the papers a
search finds, the abstract as `page_content` and the record as metadata, so the index drops
into any LCEL chain (`{"context": retriever, "question": RunnablePassthrough()} | prompt |
model`). It lives apart from api.py because LangChain's runnables cost an offline `ask` 0.7 s
of imports it does not need.
"""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.search.retrieval import Hit, Mode


class PaperRetriever(BaseRetriever):
    """Searches the index the way `Assistant.search` does (hybrid by default, filters read
    from the question as well as given), and returns the top `k` papers."""

    assistant: Any  # the Assistant it searches (api.py imports this module, not the reverse)
    k: int = 10
    filters: dict[str, Any] | None = None
    mode: Mode = "hybrid"

    def _get_relevant_documents(self, query: str, **_: Any) -> list[Document]:
        hits = self.assistant.search(query, k=self.k, filters=self.filters, mode=self.mode)
        return [paper_document(hit) for hit in hits]


def paper_document(hit: Hit) -> Document:
    """One found paper: its abstract, and what a chain may want to cite it by."""
    paper = hit.paper
    return Document(
        id=paper.id,
        page_content=paper.abstract,
        metadata={
            "id": paper.id,
            "title": paper.title,
            "authors": list(paper.authors),
            "year": paper.year,
            "venue": paper.venue,
            "sources": list(dict.fromkeys(source.file for source in paper.sources)),
            "doi": paper.doi,
            "arxiv_id": paper.arxiv_id,
            "score": hit.score,
            "found_by": list(hit.found_by),
        },
    )
