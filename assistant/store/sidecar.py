"""The local side of the index, kept exactly in step with Chroma: BM25 over the papers'
text, the catalog of their filter fields, and a copy of their vectors (exact, masked dense
search where Chroma's filtered search is slow: 130-650 ms at 100k papers, against a few
ms here).

It is stored as segments, one per ingest, so adding papers writes only those papers: a
segment holds its papers' ids, catalog rows, vectors and BM25 term counts, and a paper
in a later segment replaces its copy in an earlier one. Segments merge as a binary
counter does (the newest into the one before it, while that one is no bigger), so a
paper is rewritten at most log2(papers) times and a side index has at most that many
segments. Loading joins them into one `SideIndex`, papers in id order: the same papers
give the same side index, whatever ingests brought them. A process that loads again after
papers were added (here or by another instance) loads only the segments written since.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.store.bm25 import Bm25, TermCounts
from assistant.store.catalog import Catalog
from assistant.store.metadata import WRITTEN_NS

FORMAT = 6  # bump when what the folder holds changes, so old folders are rebuilt
_HASH_SPACE = 2**256


def _digest(paper_id: str, record_hash: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{paper_id}\n{record_hash}".encode()).digest())


def _written(total: int) -> str:
    return f"{FORMAT}:{total % _HASH_SPACE:064x}"


def fingerprint(versions: dict[str, str]) -> str:
    """Names the exact set of (paper id, record hash) pairs an index was built from, and
    the format it was built in. It is a sum of one hash per paper (a multiset hash), so
    `refingerprint` can follow a change from the changed papers alone."""
    return _written(sum(_digest(i, h) for i, h in versions.items()))


def refingerprint(version: str, before: dict[str, str], after: dict[str, str]) -> str:
    """The fingerprint once the papers in `before` (id -> record hash) are replaced by
    those in `after`: what `fingerprint` of the whole new set gives."""
    total = int(version.split(":")[1], 16)
    total += sum(_digest(i, h) for i, h in after.items())
    total -= sum(_digest(i, h) for i, h in before.items())
    return _written(total)


@dataclass(frozen=True)
class SideIndex:
    """Everything a search reads locally, one row per paper, rows in the same order."""

    bm25: Bm25
    catalog: Catalog
    vectors: np.ndarray  # unit-length, one per row: in memory, 150 MB at 100k papers
    build: str  # the manifest it was loaded from: another one means other papers


@dataclass(frozen=True)
class Segment:
    """Papers written together, in one folder, in id order."""

    ids: list[str]
    rows: list[dict]
    vectors: np.ndarray
    counts: TermCounts

    @classmethod
    def of(cls, ids: list[str], texts: list[str], rows: list[dict], vectors) -> Segment:
        order = sorted(range(len(ids)), key=ids.__getitem__)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1 if ids else 0)
        return cls(
            [ids[n] for n in order],
            [rows[n] for n in order],
            matrix[order],
            TermCounts.of([texts[n] for n in order]),
        )

    @property
    def versions(self) -> dict[str, str]:
        """Paper id -> the record hash each was built from."""
        return {i: row["record_hash"] for i, row in zip(self.ids, self.rows, strict=True)}

    @property
    def written_ns(self) -> int:
        """When the newest paper here was written (0: none says)."""
        return max((row.get(WRITTEN_NS, 0) for row in self.rows), default=0)

    @classmethod
    def joined(cls, segments: list[Segment]) -> Segment:
        """The papers of all, a later copy of a paper replacing an earlier one, by id."""
        if len(segments) == 1:
            return segments[0]
        ids = [paper_id for segment in segments for paper_id in segment.ids]
        latest = {paper_id: n for n, paper_id in enumerate(ids)}
        keep = np.array(sorted(latest.values(), key=ids.__getitem__), dtype=np.int64)
        rows = [row for segment in segments for row in segment.rows]
        held = [segment for segment in segments if segment.ids] or segments[:1]
        vectors = np.concatenate([segment.vectors for segment in held])
        counts = TermCounts.joined([segment.counts for segment in segments])
        return cls(
            [ids[n] for n in keep.tolist()],
            [rows[n] for n in keep.tolist()],
            vectors[keep],
            counts.rows(keep),
        )

    def save(self, folder: Path) -> None:
        (folder / "ids.json").write_text(json.dumps(self.ids))
        (folder / "rows.json").write_text(json.dumps(self.rows))
        np.save(folder / "vectors.npy", self.vectors)
        self.counts.save(folder)

    @classmethod
    def load(cls, folder: Path) -> Segment:
        return cls(
            json.loads((folder / "ids.json").read_text()),
            json.loads((folder / "rows.json").read_text()),
            np.load(folder / "vectors.npy"),
            TermCounts.load(folder),
        )


class Sidecar:
    """The folder the segments are saved in. The file `current` (the manifest) names the
    live segments and the fingerprint of the papers they hold; replacing it (os.replace)
    is atomic, so a reader in another process loads one set of segments whole, never half
    of a write. The segments of the manifest before the live one are kept, for a reader
    that started loading them just before the swap."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pointer = folder / "current"
        # The manifest last joined here, and its papers: at 100k papers, 150 MB of rows and
        # 54 MB of term counts beyond what the loaded SideIndex holds anyway, so that
        # loading again after an add takes 2.5-4.3 s, not 4.5-7 (bench/add_papers.py).
        self._held: tuple[dict, Segment] | None = None

    def live_build(self) -> str | None:
        """The live manifest's text: one small file read, cheap enough for every search."""
        try:
            return self.pointer.read_text()
        except FileNotFoundError:
            return None

    def stored_fingerprint(self) -> str | None:
        manifest = _manifest(self.live_build())
        return manifest["fingerprint"] if manifest else None

    def rebuild(
        self, ids: list[str], texts: list[str], rows: list[dict], vectors, version: str
    ) -> None:
        """Replace every segment with one of these papers: a new lineage."""
        segment = self._write(Segment.of(ids, texts, rows, vectors))
        self._publish([segment], version, lineage=uuid.uuid4().hex)

    def add(
        self, ids: list[str], texts: list[str], rows: list[dict], vectors, version: str
    ) -> None:
        """Add these papers (or newer versions of papers held) as a segment of their own,
        merging it into the segments before it while they are no bigger."""
        manifest = _manifest(self.live_build())
        if manifest is None:
            raise FileNotFoundError(f"no side index in {self.folder} to add papers to")
        names = [*manifest["segments"], self._write(Segment.of(ids, texts, rows, vectors))]
        sizes = [self._size(name) for name in names]
        while len(names) > 1 and sizes[-2] <= sizes[-1]:
            merged = Segment.joined(self._load(names[-2:]))
            names[-2:], sizes[-2:] = [self._write(merged)], [len(merged.ids)]
        self._publish(names, version, manifest["lineage"])

    def load(self) -> SideIndex:
        text = self.live_build()
        papers = self._papers(text)
        catalog = Catalog.from_rows(papers.ids, papers.rows)
        return SideIndex(Bm25(papers.counts), catalog, papers.vectors, text)

    def papers(self) -> Segment:
        """Every paper the live segments hold, as one segment."""
        return self._papers(self.live_build())

    def _papers(self, text: str | None) -> Segment:
        manifest = _manifest(text)
        if manifest is None:
            raise FileNotFoundError(f"no side index in {self.folder}")
        papers = self._joined(manifest)
        self._held = (manifest, papers)
        return papers

    def _joined(self, manifest: dict) -> Segment:
        """The papers of the manifest's segments. After adds alone (the same lineage: no
        rebuild, which may drop papers, in between), the papers joined here last are laid
        under the segments written since, and only those are loaded: an add keeps the
        segments before the ones it merges, and writes what it merges into a new one."""
        names = manifest["segments"]
        held_manifest, held = self._held or ({}, None)
        if held is None or manifest["lineage"] != held_manifest["lineage"]:
            return Segment.joined(self._load(names))
        if names == held_manifest["segments"]:
            return held
        held_names, kept = held_manifest["segments"], 0
        while kept < min(len(names), len(held_names)) and names[kept] == held_names[kept]:
            kept += 1
        return Segment.joined([held, *self._load(names[kept:])])

    def _load(self, names: list[str]) -> list[Segment]:
        return [Segment.load(self.folder / name) for name in names]

    def _size(self, name: str) -> int:
        """Papers in a segment, from its vectors' header alone: not a parse of its ids."""
        return np.load(self.folder / name / "vectors.npy", mmap_mode="r").shape[0]

    def _write(self, segment: Segment) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="segment-", dir=self.folder))
        segment.save(folder)
        return folder.name

    def _publish(self, names: list[str], version: str, lineage: str) -> None:
        """Make these segments the live ones, then delete what neither they nor the
        manifest before them use (older segments, and files of older layouts)."""
        previous = _manifest(self.live_build())
        manifest = {"format": FORMAT, "fingerprint": version, "segments": names, "lineage": lineage}
        staging = self.pointer.with_name(f"{names[-1]}.pointer")
        staging.write_text(json.dumps(manifest))
        os.replace(staging, self.pointer)
        kept = {*names, *(previous["segments"] if previous else []), self.pointer.name}
        for entry in self.folder.iterdir():
            if entry.name in kept:
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def _manifest(text: str | None) -> dict | None:
    """The manifest, or None when there is none of this format (an older layout)."""
    try:
        manifest = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None
