from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.index import PaperIndex
from assistant.settings import Settings

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
    return PaperIndex(settings, embeddings.embed_documents)
