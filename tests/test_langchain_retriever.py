"""The index as a LangChain retriever, in an LCEL chain with LangChain's fake chat model."""

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnablePassthrough

from assistant import Assistant
from assistant.errors import AssistantError
from assistant.settings import Settings


@pytest.fixture
def assistant(tmp_path) -> Assistant:
    assistant = Assistant(Settings(data_dir=tmp_path), embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    return assistant


def test_the_retriever_returns_papers_as_documents(assistant):
    retriever = assistant.as_retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke("deterministic uncertainty in one forward pass")
    assert len(documents) == 2
    best = documents[0]
    assert isinstance(best, Document)
    assert best.metadata["title"] == "DUQ"
    assert best.page_content.startswith("Deterministic uncertainty quantification")
    assert best.id == best.metadata["id"] == assistant.search("DUQ", k=1)[0].paper.id
    assert best.metadata["authors"] == ["Joost van Amersfoort"]
    assert best.metadata["year"] == 2020
    assert best.metadata["sources"] == ["f"]
    assert {"doi", "arxiv_id", "venue"} <= set(best.metadata)
    assert best.metadata["score"] > documents[1].metadata["score"]
    assert set(best.metadata["found_by"]) <= {"dense", "bm25"}


def test_filters_and_mode_reach_the_search(assistant):
    by_lee = assistant.as_retriever(filters={"author": "Juho Lee"}).invoke("calibration")
    assert {d.metadata["title"] for d in by_lee} == {
        "Mixing Samples for Confidence",
        "Four-bit Transformers",
    }
    words_only = assistant.as_retriever(mode="bm25").invoke("oversmoothing")
    assert [d.metadata["title"] for d in words_only] == ["Deep GNNs"]
    assert words_only[0].metadata["found_by"] == ["bm25"]


def test_it_answers_in_a_two_line_lcel_chain(assistant):
    prompt = ChatPromptTemplate.from_template("Papers:\n{context}\n\nQuestion: {question}")
    seen = []

    def titles(documents: list[Document]) -> str:
        seen.extend(d.metadata["title"] for d in documents)
        return "\n".join(f"- {d.metadata['title']}: {d.page_content}" for d in documents)

    model = FakeListChatModel(responses=["Temperature scaling calibrates networks."])
    retriever = assistant.as_retriever(k=3)
    chain = {"context": retriever | titles, "question": RunnablePassthrough()} | prompt | model
    answer = (chain | StrOutputParser()).invoke("which papers study temperature scaling?")
    assert answer == "Temperature scaling calibrates networks."
    assert seen[0] == "Temperature Scaling"


def test_a_bad_k_is_a_clear_error(assistant):
    with pytest.raises(AssistantError, match="k = 0"):
        assistant.as_retriever(k=0).invoke("calibration")
