"""A separate process working on one data folder with cheap fake embeddings, for the tests
that need real concurrent processes or a kill -9 (tests/test_concurrency.py).

    python store_worker.py ingest DATA_DIR FILE [SECONDS_PER_TEXT]   prints progress, then
        the report's summary; waits for another writer, saying so
    python store_worker.py read DATA_DIR SECONDS   searches and counts, each time as a
        fresh process would, until SECONDS have passed; prints what it saw
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant import Assistant
from assistant.errors import NotIndexed
from assistant.settings import Settings


class SlowEmbeddings(DeterministicFakeEmbedding):
    """Fake vectors that take a while, so that other processes act mid-ingest."""

    seconds_per_text: float = 0.0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        time.sleep(self.seconds_per_text * len(texts))
        return super().embed_documents(texts)


def assistant(data_dir: str, seconds_per_text: float = 0.0) -> Assistant:
    embeddings = SlowEmbeddings(size=384, seconds_per_text=seconds_per_text)
    return Assistant(Settings(data_dir=Path(data_dir), llm="offline"), embeddings=embeddings)


def ingest(data_dir: str, file: str, seconds_per_text: str = "0") -> None:
    report = assistant(data_dir, float(seconds_per_text)).ingest(
        [file],
        progress=lambda done, total: print(f"embedded {done} of {total}", flush=True),
        waiting=lambda pid: print(f"waiting for pid {pid}", flush=True),
    )
    print(report.summary(), flush=True)


def read(data_dir: str, seconds: str) -> None:
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        reader = assistant(data_dir)
        try:
            hits = reader.search("which papers study calibration?", k=5)
        except NotIndexed:
            print("read 0", flush=True)  # the state before the first ingest
            continue
        stats = reader.stats()
        answer = reader.ask("which papers study calibration?")
        papers = len(reader.retriever.catalog.ids)
        print(f"read {papers} {stats['papers']} {len(hits)} {answer.refused}", flush=True)


if __name__ == "__main__":
    {"ingest": ingest, "read": read}[sys.argv[1]](*sys.argv[2:])
