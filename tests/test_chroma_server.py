"""The same ingestion against a real `chroma run` server on loopback, through HttpClient."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.errors import StoreUnavailable
from assistant.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    server = subprocess.Popen(
        [
            chroma,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("chroma run did not start within 30 s")
            time.sleep(0.2)
    yield port
    server.terminate()
    server.wait(timeout=10)


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
