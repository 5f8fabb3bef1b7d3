"""The MCP server end to end: the official `mcp` client, over streamable HTTP on loopback,
against `assistant serve --mcp` (offline backend, the bundled corpus)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from serving import serving

from assistant.cli import MCP_PATH

pytestmark = pytest.mark.slow

TOOLS = {"search_papers", "ask", "get_paper", "similar_papers"}


@pytest.fixture(scope="module")
def mcp_url(bundled_index, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("mcp")
    with serving(bundled_index, folder, "--mcp", ASSISTANT_LLM="offline") as url:
        yield url.rstrip("/") + MCP_PATH


def session(url: str, work):
    """Run `work(session)` in one initialised MCP client session, and return its result."""

    async def run():
        async with (
            streamable_http_client(url) as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            return await work(client)

    return asyncio.run(run())


def call(url: str, tool: str, **arguments) -> CallToolResult:
    return session(url, lambda client: client.call_tool(tool, arguments))


def result(called: CallToolResult):
    """The JSON a tool returned; a failed call fails the test with its message."""
    assert not called.isError, called.content
    (content,) = called.content
    return json.loads(content.text)


def error(called: CallToolResult) -> str:
    assert called.isError, called.content
    return " ".join(c.text for c in called.content)


def test_only_the_four_tools_are_listed_with_their_parameters(mcp_url):
    listed = session(mcp_url, lambda client: client.list_tools())
    tools = {tool.name: tool for tool in listed.tools}
    assert set(tools) == TOOLS  # none of the page's event handlers
    search = tools["search_papers"]
    assert search.description.startswith("Find indexed research papers")
    assert "Returns: JSON" in search.description
    schema = search.inputSchema
    assert set(schema["properties"]) == {"query", "k", "year_from", "year_to", "author", "source"}
    assert schema["required"] == ["query"]
    assert schema["properties"]["k"]["type"] == "integer"
    assert schema["properties"]["k"]["default"] == 10
    assert schema["properties"]["author"]["description"].startswith("Only papers with this")
    assert tools["ask"].inputSchema["required"] == ["question"]
    assert "checked" in tools["ask"].description and "refusal" in tools["ask"].description
    assert "partial" in tools["ask"].description and "lacks" in tools["ask"].description
    for name in ("get_paper", "similar_papers"):
        paper_id = tools[name].inputSchema["properties"]["paper_id"]
        assert paper_id["type"] == "string" and "search_papers" in paper_id["description"]


def test_search_then_open_a_paper_and_its_neighbours(mcp_url):
    found = result(call(mcp_url, "search_papers", query="uncertainty estimation", k=3))
    assert found["query"] == "uncertainty estimation" and len(found["hits"]) == 3
    best = found["hits"][0]
    assert {"id", "title", "authors", "year", "sources", "score"} <= set(best)
    assert "uncertainty" in best["title"].lower() or best["score"] > 0

    paper = result(call(mcp_url, "get_paper", paper_id=best["id"]))
    assert paper["id"] == best["id"] and paper["title"] == best["title"]
    assert len(paper["abstract"]) > 100

    near = result(call(mcp_url, "similar_papers", paper_id=best["id"], k=4))
    assert len(near) == 4 and best["id"] not in {p["id"] for p in near}
    assert all(-1 <= p["similarity"] <= 1 for p in near)


def test_search_filters_are_applied(mcp_url):
    every = result(call(mcp_url, "search_papers", query="neural networks", k=50))["hits"]
    year = next(hit["year"] for hit in every if hit["year"])
    written = next(hit for hit in every if hit["authors"])
    author = written["authors"][0]
    query = {"query": "neural networks", "k": 50}
    dated = result(call(mcp_url, "search_papers", **query, year_from=year, year_to=year))
    assert dated["hits"] and {hit["year"] for hit in dated["hits"]} == {year}
    assert str(year) in dated["filters"]["year"]["value"]
    by = result(call(mcp_url, "search_papers", **query, author=author))
    assert written["id"] in {hit["id"] for hit in by["hits"]}
    assert all(author in hit["authors"] for hit in by["hits"])


def test_ask_gives_a_checked_answer_with_numbered_citations(mcp_url):
    question = "Which papers study uncertainty estimation?"
    answer = result(call(mcp_url, "ask", question=question))
    assert answer["refused"] is False and answer["citations"]
    assert [c["n"] for c in answer["citations"]] == list(range(1, len(answer["citations"]) + 1))
    assert "[1]" in answer["answer"] and answer["citations"][0]["id"]
    refused = result(call(mcp_url, "ask", question="What is the best pizza topping in Naples?"))
    assert refused["refused"] is True and refused["citations"] == []
    assert refused["grounding"] == "none"


def test_ask_says_how_much_of_the_question_the_papers_answer(mcp_url):
    question = "Is there a paper on protein folding with diffusion models?"
    answer = result(call(mcp_url, "ask", question=question))
    assert answer["grounding"] in {"full", "partial", "none"}
    assert answer["refused"] is (answer["grounding"] == "none")
    assert answer["facets"] == ["protein folding", "diffusion models"]
    for citation in answer["citations"]:  # each facet covered or lacked, never both
        assert sorted(citation["covers"] + citation["lacks"]) == sorted(answer["facets"])
    # no indexed paper is on both: none is said to cover them all
    assert all(citation["lacks"] for citation in answer["citations"])


def test_user_errors_come_back_as_clear_tool_errors(mcp_url):
    assert "The question is empty" in error(call(mcp_url, "search_papers", query="   "))
    assert "The question is empty" in error(call(mcp_url, "ask", question=""))
    unknown = "no indexed paper has the id 'no-such-paper'"
    assert unknown in error(call(mcp_url, "get_paper", paper_id="no-such-paper"))
    assert unknown in error(call(mcp_url, "similar_papers", paper_id="no-such-paper"))
