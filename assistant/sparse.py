"""The BM25 side of the index, rebuilt from Chroma's documents so the two never disagree."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path


def fingerprint(versions: dict[str, str]) -> str:
    """Names the exact set of (paper id, text hash) pairs an index was built from."""
    text = json.dumps(sorted(versions.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", show_progress=False)


class SparseIndex:
    """A bm25s index saved in `folder`, with the paper ids in index order and a fingerprint."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stored_fingerprint(self) -> str | None:
        file = self.folder / "fingerprint"
        return file.read_text() if file.exists() else None

    def rebuild(self, ids: list[str], texts: list[str], version: str) -> None:
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
        (staging / "fingerprint").write_text(version)
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        staging.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def load(self):
        """The bm25s retriever (None when empty) and the paper id of each of its rows."""
        import bm25s

        ids = json.loads((self.folder / "ids.json").read_text())
        if not ids:
            return None, ids
        return bm25s.BM25.load(str(self.folder), show_progress=False), ids
