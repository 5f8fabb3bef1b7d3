"""The local side of the index, rebuilt from Chroma whenever it holds something else, so
the two never disagree: BM25 over the papers' text, the catalog of their filter fields,
and a copy of their vectors (exact, masked dense search where Chroma's filtered search
is slow: 130-650 ms at 100k papers, against a few ms here)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
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
    build: str  # the build it was loaded from: a newer one means newer papers


class Sidecar:
    """The folder `SideIndex` builds are saved in, each with the fingerprint of what it was
    built from. Each build has its own subfolder and the file `current` names the live
    one: swapping that name (os.replace) is atomic, so a reader in another process loads
    one build whole, never half of one or files of two. The build before the live one is
    kept, for a reader that started loading it just before the swap."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pointer = folder / "current"

    def live_build(self) -> str | None:
        """The name of the live build: one small file read, cheap enough for every search."""
        try:
            return self.pointer.read_text()
        except FileNotFoundError:
            return None

    def _live(self) -> Path | None:
        build = self.live_build()
        return None if build is None else self.folder / build

    def stored_fingerprint(self) -> str | None:
        live = self._live()
        file = live / "fingerprint" if live else None
        return file.read_text() if file and file.exists() else None

    def rebuild(
        self, ids: list[str], texts: list[str], rows: list[dict], vectors, version: str
    ) -> None:
        """Build in a new subfolder, then make it the live one."""
        self.folder.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix="build-", dir=self.folder))
        Bm25.build(texts).save(build)
        (build / "ids.json").write_text(json.dumps(ids))
        (build / "rows.json").write_text(json.dumps(rows))
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1 if ids else 0)
        np.save(build / "vectors.npy", matrix)
        (build / "fingerprint").write_text(version)
        previous = self._live()
        staging = self.pointer.with_name(f"{build.name}.pointer")
        staging.write_text(build.name)
        os.replace(staging, self.pointer)
        for entry in self.folder.iterdir():  # older builds, and files of the old layout
            if entry in (build, previous, self.pointer):
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def load(self) -> SideIndex:
        live = self._live()
        if live is None:
            raise FileNotFoundError(f"no side index in {self.folder}")
        ids = json.loads((live / "ids.json").read_text())
        catalog = Catalog.from_rows(ids, json.loads((live / "rows.json").read_text()))
        return SideIndex(Bm25.load(live), catalog, np.load(live / "vectors.npy"), live.name)
