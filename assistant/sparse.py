"""The local side of the index, rebuilt from Chroma whenever it holds something else, so
the two never disagree: BM25 over the papers' text, the catalog of their filter fields,
and a copy of their vectors (exact, masked dense search where Chroma's filtered search
is slow: 130-650 ms at 100k papers, against a few ms here)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.catalog import Catalog

if TYPE_CHECKING:
    import bm25s


FORMAT = 2  # bump when what the folder holds changes, so old folders are rebuilt


def fingerprint(versions: dict[str, str]) -> str:
    """Names the exact set of (paper id, record hash) pairs an index was built from, and
    the format it was built in."""
    text = json.dumps([FORMAT, sorted(versions.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def tokenize(texts: list[str], ids: bool = True):
    """bm25s tokens (English stopwords out); `ids=False` gives plain words, for queries."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", return_ids=ids, show_progress=False)


class SparseIndex:
    """A bm25s index and a catalog saved in `folder`, rows in the same order, and the
    fingerprint of what they were built from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stored_fingerprint(self) -> str | None:
        file = self.folder / "fingerprint"
        return file.read_text() if file.exists() else None

    def rebuild(
        self, ids: list[str], texts: list[str], rows: list[dict], vectors, version: str
    ) -> None:
        """Build beside the live index, then swap it in, so a reader never sees half of one."""
        staging = self.folder.with_name(self.folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if ids:
            import bm25s

            retriever = bm25s.BM25()
            retriever.index(tokenize(texts), show_progress=False)
            retriever.save(str(staging), show_progress=False)
        (staging / "ids.json").write_text(json.dumps(ids))
        (staging / "rows.json").write_text(json.dumps(rows))
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1 if ids else 0)
        np.save(staging / "vectors.npy", matrix)
        (staging / "fingerprint").write_text(version)
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        staging.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def load(self) -> tuple[bm25s.BM25 | None, Catalog, np.ndarray]:
        """The bm25s retriever (None when there are no papers), the catalog, and every
        paper's vector, all in the same row order."""
        import bm25s

        ids = json.loads((self.folder / "ids.json").read_text())
        catalog = Catalog.from_rows(ids, json.loads((self.folder / "rows.json").read_text()))
        vectors = np.load(self.folder / "vectors.npy")  # in memory: 150 MB at 100k papers
        if not ids:
            return None, catalog, vectors
        return bm25s.BM25.load(str(self.folder), show_progress=False), catalog, vectors
