"""The same ingestion against a real `chroma run` server on loopback, through HttpClient."""

import time

import pytest
from serving import free_port, start_chroma, stop

from assistant import Assistant
from assistant.errors import StoreUnavailable
from assistant.settings import Settings


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    server = start_chroma(tmp_path / "server", port)
    yield port
    stop(server)


@pytest.mark.slow
def test_ingest_into_a_chroma_server(chroma_server, tmp_path, embeddings):
    settings = Settings(
        data_dir=tmp_path / "local", chroma_host="127.0.0.1", chroma_port=chroma_server
    )
    report = Assistant(settings, embeddings=embeddings).ingest()
    assert (report.added, report.entries) == (352, 368)

    again = Assistant(settings, embeddings=embeddings).ingest()
    assert (again.added, again.unchanged) == (0, 352)
    assert embeddings.embedded == 352

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    collection = client.get_collection("papers")
    assert collection.count() == 352
    assert len(collection.get(where={"year": 2020})["ids"]) == 10
    assert Assistant(settings, embeddings=embeddings).stats()["papers"] == 352


def test_unreachable_server_is_a_clear_error(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(
        StoreUnavailable, match=r"Cannot reach the Chroma server at 127\.0\.0\.1:\d+"
    ):
        Assistant(settings, embeddings=embeddings).ingest()


@pytest.mark.slow
def test_a_running_instance_finds_what_another_instance_wrote(chroma_server, tmp_path, monkeypatch):
    """Two instances on one server, each with its own data folder (the side index): B's
    next search after A's write finds the new paper, in both legs, without a restart."""
    from keyword_corpus import PAPERS, KeywordEmbeddings, paper

    import assistant.search.retrieval as retrieval

    monkeypatch.setattr(retrieval, "SERVER_CHECK_S", 0.0)  # check on every search
    server = {"chroma_host": "127.0.0.1", "chroma_port": chroma_server}
    a = Assistant(Settings(data_dir=tmp_path / "a", **server), embeddings=KeywordEmbeddings())
    b = Assistant(Settings(data_dir=tmp_path / "b", **server), embeddings=KeywordEmbeddings())
    a.index.upsert(PAPERS)
    assert [h.paper.title for h in b.search("radiance fields", k=1)] == ["Scenes as Fields"]
    a.index.upsert([paper("Radiance of Zebrafish", "Zebrafish radiance, measured in vivo.")])
    written = time.monotonic()
    hits = b.search("zebrafish radiance", k=3)
    found_after = time.monotonic() - written
    assert hits[0].paper.title == "Radiance of Zebrafish"
    assert set(hits[0].found_by) == {"dense", "bm25"}
    assert b.stats()["papers"] == len(PAPERS) + 1
    assert found_after < 5, found_after
    checks = 20
    started = time.monotonic()
    for _ in range(checks):
        assert not b.retriever.outdated()
    per_check_ms = (time.monotonic() - started) / checks * 1000
    print(f"found {found_after * 1000:.0f} ms after the write; a check costs {per_check_ms:.1f} ms")


@pytest.mark.slow
def test_a_live_process_outlives_a_server_outage(tmp_path, monkeypatch):
    """The server stops under a running Assistant and a running `assistant chat`: each call
    is a clean StoreUnavailable naming host and port; once the server is back, the same
    process answers again, with no restart."""
    from keyword_corpus import PAPERS, KeywordEmbeddings
    from typer.testing import CliRunner

    import assistant.search.retrieval as retrieval
    from assistant.cli import app

    monkeypatch.setattr(retrieval, "SERVER_CHECK_S", 0.0)
    port = free_port()
    server = start_chroma(tmp_path / "server", port)
    settings = Settings(data_dir=tmp_path / "local", chroma_host="127.0.0.1", chroma_port=port)
    live = Assistant(settings, embeddings=KeywordEmbeddings())
    live.index.upsert(PAPERS)
    assert live.search("radiance", k=1)[0].paper.title == "Scenes as Fields"
    stop(server)
    calls = [
        lambda: live.search("radiance", k=1),
        lambda: live.ask("how are scenes rendered?"),
        live.stats,
        lambda: live.paper(PAPERS[0].id),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}.*is 'chroma run' up"):
            call()
    monkeypatch.setattr("assistant.cli._assistant", lambda: live)
    chat = CliRunner().invoke(app, ["chat"], input="how are scenes rendered?\n\n")
    assert chat.exit_code == 0 and "is 'chroma run' up" in chat.stderr
    assert "Traceback" not in chat.output
    server = start_chroma(tmp_path / "server", port)
    try:
        assert live.search("radiance", k=1)[0].paper.title == "Scenes as Fields"
        assert live.ask("how are scenes rendered?").citations
    finally:
        stop(server)
