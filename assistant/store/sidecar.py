"""The local side of the index, rebuilt from Chroma whenever it holds something else, so
the two never disagree: BM25 over the papers' text, the catalog of their filter fields,
and a copy of their vectors (exact, masked dense search where Chroma's filtered search
is slow: 130-650 ms at 100k papers, against a few ms here)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.store.bm25 import Bm25
from assistant.store.catalog import Catalog

FORMAT = 3  # bump when what the folder holds changes, so old folders are rebuilt


def fingerprint(versions: dict[str, str]) -> str:
    """Names the exact set of (paper id, record hash) pairs an index was built from, and
    the format it was built in."""
    text = json.dumps([FORMAT, sorted(versions.items())])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SideIndex:
    """Everything a search reads locally, one row per paper, rows in the same order."""

    bm25: Bm25
    catalog: Catalog
    vectors: np.ndarray  # unit-length, one per row: in memory, 150 MB at 100k papers


class Sidecar:
    """The folder a `SideIndex` is saved in, with the fingerprint of what it was built from."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stored_fingerprint(self) -> str | None:
        file = self.folder / "fingerprint"
        return file.read_text() if file.exists() else None

    def rebuild(
        self, ids: list[str], texts: list[str], rows: list[dict], vectors, version: str
    ) -> None:
        """Build beside the live folder, then swap it in, so a reader never sees half of one."""
        staging = self.folder.with_name(self.folder.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        Bm25.build(texts).save(staging)
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

    def load(self) -> SideIndex:
        ids = json.loads((self.folder / "ids.json").read_text())
        catalog = Catalog.from_rows(ids, json.loads((self.folder / "rows.json").read_text()))
        return SideIndex(Bm25.load(self.folder), catalog, np.load(self.folder / "vectors.npy"))
