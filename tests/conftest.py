from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.settings import Settings
from assistant.store.embeddings import embed_with_progress
from assistant.store.index import PaperIndex

FIXTURES = Path(__file__).parent / "fixtures"


class CountingEmbeddings(DeterministicFakeEmbedding):
    """Fast fake vectors that remember how many texts were embedded."""

    embedded: int = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def embeddings() -> CountingEmbeddings:
    return CountingEmbeddings(size=384)


@pytest.fixture
def index(settings: Settings, embeddings: CountingEmbeddings) -> PaperIndex:
    return PaperIndex(settings, partial(embed_with_progress, embeddings))


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The bundled corpus ingested once, by the installed command with the real model
    (about 30 s): the data folder and what the command printed."""
    data_dir = tmp_path_factory.mktemp("bundled") / "data"
    command = [str(Path(sys.executable).parent / "assistant"), "ingest"]
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir)}
    return data_dir, subprocess.run(command, env=env, capture_output=True, text=True)


@pytest.fixture
def wide_lists(monkeypatch):
    """List answers name every retrieved paper that covers every facet: the fitted list
    margin is on MiniLM's scale, and the keyword corpus's 'embedding' spreads its cosines
    far wider."""
    from assistant.answer.fitted import fitted

    monkeypatch.setitem(fitted(), "list_margin", 10.0)
    monkeypatch.setitem(fitted(), "list_coverage", 0.5)


@pytest.fixture(scope="module")
def browser():
    """Headless chromium, driven by Playwright, for a module's tests."""
    from playwright.sync_api import sync_playwright
    from serving import chromium

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium())
        yield browser
        browser.close()


@pytest.fixture
def openai_stub():
    """A local OpenAI-compatible server (tests/openai_stub.py), stopped after the test."""
    from openai_stub import OpenAIStub

    with OpenAIStub() as stub:
        yield stub
