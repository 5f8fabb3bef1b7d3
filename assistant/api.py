"""The Python question API: one `Assistant` that the CLI, the UI and the evals all go through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.chain import AnswerChain
from assistant.answer.result import Answer
from assistant.errors import NotIndexed, UnknownPaper
from assistant.search.filters import explicit_filters
from assistant.search.retrieval import Hit, Hits, Mode, Retriever
from assistant.settings import Settings
from assistant.store.index import PaperIndex, Progress
from assistant.store.ingestion import IngestReport, ingest_paths
from assistant.store.lock import Waiting
from assistant.store.stats import collection_stats
from ingest.records import PaperRecord

LIBRARY_LIMIT = 500  # papers a library listing shows at once
QUERY_VECTORS_KEPT = 1024

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from assistant.retriever import PaperRetriever


class Assistant:
    """Built from settings; pass `embeddings`, a Chroma `client` or a LangChain chat model
    `llm` to replace the real ones (tests pass fakes)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embeddings | None = None,
        client=None,
        llm: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._embeddings = embeddings
        self._client = client
        self._llm = llm

    @cached_property
    def embeddings(self) -> Embeddings:
        if self._embeddings is not None:
            return self._embeddings
        from assistant.store.embeddings import MiniLMEmbeddings

        return MiniLMEmbeddings(self.settings.embed_batch_size, self.settings.embed_threads)

    @cached_property
    def index(self) -> PaperIndex:
        return PaperIndex(self.settings, self._embed, self._client)

    def _embed(self, texts: list[str], progress: Progress | None) -> list[list[float]]:
        from assistant.store.embeddings import embed_with_progress

        return embed_with_progress(self.embeddings, texts, progress)

    def ingest(
        self,
        paths: list[str | Path] | None = None,
        progress: Progress | None = None,
        waiting: Waiting | None = None,
    ) -> IngestReport:
        """Index files or folders; none means the bundled corpus. Re-running is cheap.
        While another process writes to the index, raises IndexBusy, or with `waiting`
        waits for it (`waiting` is told its pid)."""
        try:
            paths = [Path(p) for p in paths or []]
            return ingest_paths(self.index, paths, progress, waiting)
        finally:  # the next search sees the new papers
            self.__dict__.pop("_retriever", None)

    @cached_property
    def _embed_query(self):
        # The same question is often searched again (the UI's examples, retrieval modes
        # compared in evals): its vector is remembered, 15-20 ms saved each time.
        return lru_cache(maxsize=QUERY_VECTORS_KEPT)(
            lambda text: tuple(self.embeddings.embed_query(text))
        )

    @property
    def retriever(self) -> Retriever:
        """Searches over the side index as it is now: made anew when an ingest, this
        process's or another's (`assistant ingest` beside a running `serve`), has swapped
        in a newer build, which one small file read tells."""
        current = self.__dict__.get("_retriever")
        if current is None or current.outdated():
            current = self.__dict__["_retriever"] = Retriever(self.index, self._embed_query)
        return current

    def search(
        self,
        query: str,
        k: int = 10,
        filters: dict[str, Any] | None = None,
        mode: Mode = "hybrid",
    ) -> Hits:
        """Papers for a question, best first. Filters are explicit (`filters={"year":
        [2022, 2026], "author": "Juho Lee"}`) and read from the question itself."""
        return self.retriever.search(query, k, filters, mode)

    def as_retriever(
        self, k: int = 10, filters: dict[str, Any] | None = None, mode: Mode = "hybrid"
    ) -> PaperRetriever:
        """This index as a LangChain `BaseRetriever`: each paper found is a `Document`
        (the abstract, with id, title, authors, year, venue, sources, DOI, arXiv id, score
        and found_by as metadata), for chains of your own."""
        from assistant.retriever import PaperRetriever  # LangChain's runnables: loaded on use

        return PaperRetriever(assistant=self, k=k, filters=filters, mode=mode)

    @property
    def chain(self) -> AnswerChain:
        """The answer chain over the current retriever (see `retriever`)."""
        retriever = self.retriever
        chain = self.__dict__.get("_chain")
        if chain is None or chain.retriever is not retriever:
            chain = AnswerChain(retriever, self.settings, self._chat_model)
            self.__dict__["_chain"] = chain
        return chain

    @cached_property
    def _chat_model(self) -> BaseChatModel | None:
        if self._llm is None and self.settings.uses_llm:
            from assistant.answer.llm import chat_model

            return chat_model(self.settings)
        return self._llm

    def ask(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        *,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        mode: Mode | None = None,
    ) -> Answer:
        """An answer grounded in the indexed papers, with checked [n] citations, or an
        honest refusal. `history` is the conversation so far, as role/content dicts."""
        return self.chain.ask(question, history, k=k, filters=filters, mode=mode)

    def stream(
        self,
        question: str,
        history: Sequence[dict[str, str]] = (),
        *,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        mode: Mode | None = None,
    ) -> Iterator[str | Answer]:
        """The answer text piece by piece as it is written, checked: a piece never holds a
        citation the check removes, and the pieces join into `Answer.text` (Sources
        included), which is the last item. Only when the LLM fails part-way do its
        checked words, a notice and the offline answer follow one another."""
        return self.chain.stream(question, history, k=k, filters=filters, mode=mode)

    def library(self, query: str = "", limit: int = LIBRARY_LIMIT) -> list[PaperRecord]:
        """Indexed papers to browse: by title, or the best matches for `query` (words,
        authors, years, as in `search`)."""
        if query.strip():
            return [hit.paper for hit in self.search(query, k=limit)]
        catalog = self.retriever.catalog
        if not catalog.ids:
            raise NotIndexed()
        rows = sorted(range(len(catalog.ids)), key=lambda r: catalog.titles[r].lower())
        return self.index.records([catalog.ids[r] for r in rows[:limit]])

    def count(self, filters: dict[str, Any] | None = None) -> int:
        """How many indexed papers pass these filters (the `search` kind); all without."""
        catalog = self.retriever.catalog
        return int(explicit_filters(filters, catalog).mask(catalog).sum())

    def paper(self, paper_id: str) -> PaperRecord:
        found = self.index.records([paper_id])
        if not found:
            raise UnknownPaper(paper_id)
        return found[0]

    def similar(self, paper_id: str, k: int = 5) -> list[Hit]:
        """The k indexed papers closest in meaning to this one."""
        return self.retriever.similar(paper_id, k)

    def stats(self) -> dict:
        papers = self.index.papers()
        if not papers:
            raise NotIndexed()
        return collection_stats(papers)
