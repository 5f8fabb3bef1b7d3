"""The paper index: a Chroma collection (vectors + filterable metadata) and the local side
index beside it (BM25, catalog, vectors; see sidecar.py).

Chroma has no transactions, so writes go through a journal: before touching the
collection we save the previous version of every record we are about to change.
If the write fails, or the process dies mid-write, the journal puts the previous
state back (at once, or the next time the index is opened).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import IndexWriteFailed, StoreUnavailable
from assistant.settings import Settings
from assistant.store.catalog import catalog_row
from assistant.store.metadata import to_metadata
from assistant.store.sidecar import Sidecar, SideIndex, fingerprint
from ingest.records import PaperRecord, embedding_text, merge

Progress = Callable[[int, int], None]
Embed = Callable[[list[str], Progress | None], list[list[float]]]
WRITE_BATCH = 256
GET_PAGE = 10_000
LOOKUP_BATCH = 5_000  # ids or title keys asked for in one get (SQLite caps its variables)
# In the collection's metadata: the fingerprint of what it holds, or WRITING while a write
# is under way (or died), so an unchanged index is known without reading every record.
VERSION_KEY = "contents_fingerprint"
WRITING = "writing"


@dataclass(frozen=True)
class Changes:
    added: int
    updated: int
    unchanged: int


def chroma_client(settings: Settings):
    """Embedded Chroma in the data folder, or a `chroma run` server when a host is set."""
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_host is None:
        path = settings.data_dir / "chroma"
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    try:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    except Exception as error:
        raise StoreUnavailable(
            f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
            f"({error}) - start it with 'chroma run --port {settings.chroma_port}', or unset "
            "ASSISTANT_CHROMA_HOST to use the embedded index"
        ) from None


class PaperIndex:
    """Chroma and the side index kept in step. `embed` is only called for new or changed text, so an
    unchanged re-ingest never loads the embedding model."""

    def __init__(self, settings: Settings, embed: Embed, client=None) -> None:
        self.settings = settings
        self.embed = embed
        self.client = client if client is not None else chroma_client(settings)
        folder = settings.data_dir
        self.journal = folder / f"{settings.collection}.journal.json"
        self.sidecar = Sidecar(folder / "bm25" / settings.collection)
        try:
            self.collection = self.client.get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as error:
            raise StoreUnavailable(
                f"Cannot open the Chroma collection '{settings.collection}' ({error}) - check "
                "ASSISTANT_CHROMA_HOST/PORT, or that the data folder is readable"
            ) from None
        if self.journal.exists():
            self._roll_back()

    def count(self) -> int:
        return self.collection.count()

    def side_index(self) -> SideIndex:
        """The local side index, rebuilt first if Chroma holds something else."""
        self.sync_sidecar()
        return self.sidecar.load()

    def nearest(self, vector: list[float], depth: int) -> list[tuple[str, float]]:
        """(paper id, cosine) of the `depth` nearest papers by Chroma's HNSW search."""
        found = self.collection.query(
            query_embeddings=[vector], n_results=depth, include=["distances"]
        )
        ids, distances = found["ids"][0], found["distances"][0]
        return [(i, 1.0 - d) for i, d in zip(ids, distances, strict=True)]

    def papers(self) -> list[PaperRecord]:
        stored = self.get_all(["metadatas"])
        return [PaperRecord.from_json(m["record"]) for m in stored["metadatas"]]

    def records(self, ids: list[str]) -> list[PaperRecord]:
        """The stored records of these papers, in the order asked (unknown ids left out)."""
        if not ids:
            return []
        stored = self.collection.get(ids=ids, include=["metadatas"])
        found = dict(zip(stored["ids"], stored["metadatas"], strict=True))
        return [PaperRecord.from_json(found[i]["record"]) for i in ids if i in found]

    def get_all(self, include: list[str]) -> dict[str, list]:
        """The whole collection, read in pages: Chroma fails a single `get` of more than
        32,766 records with metadata (SQLite's variable limit)."""
        found: dict[str, list] = {"ids": [], **{field: [] for field in include}}
        while True:
            page = self.collection.get(include=include, limit=GET_PAGE, offset=len(found["ids"]))
            for field in found:
                found[field].extend(page[field])
            if len(page["ids"]) < GET_PAGE:
                return found

    def upsert(self, papers: list[PaperRecord], progress: Progress | None = None) -> Changes:
        """Add new papers, update changed ones, re-embed only those whose text changed."""
        existing = self._existing(papers)
        to_embed: list[PaperRecord] = []
        meta_only: list[PaperRecord] = []
        added: set[str] = set()
        unchanged = 0
        for paper in papers:
            old = existing.get(paper.id) or existing.get(paper.title_key)
            if old is None:
                to_embed.append(paper)
                added.add(paper.id)
                continue
            new = merge(old, paper)
            if new.record_hash == old.record_hash:
                unchanged += 1
            elif new.text_hash == old.text_hash:
                meta_only.append(new)
            else:
                to_embed.append(new)
        to_embed.sort(key=lambda p: len(embedding_text(p)))  # similar lengths batch together
        vectors = self.embed([embedding_text(p) for p in to_embed], progress) if to_embed else []
        if to_embed or meta_only:
            self._write(to_embed, vectors, meta_only, added)
        self.sync_sidecar()
        return Changes(len(added), len(to_embed) - len(added) + len(meta_only), unchanged)

    def sync_sidecar(self) -> None:
        """Rebuild the side index if it was not built from exactly what Chroma holds.
        The collection's own fingerprint says so at once; only when it is missing or
        differs are all records read (15 s at 100k papers) and the fingerprint recomputed.
        Every write clears it first, so a write that died cannot leave a stale one."""
        stamp = (self.collection.metadata or {}).get(VERSION_KEY)
        if stamp not in (None, WRITING) and stamp == self.sidecar.stored_fingerprint():
            return
        stored = self.get_all(["metadatas"])
        ids, metadatas = stored["ids"], stored["metadatas"]
        version = fingerprint({i: m["record_hash"] for i, m in zip(ids, metadatas, strict=True)})
        if self.sidecar.stored_fingerprint() != version:
            stored = self.get_all(["documents", "embeddings"])
            position = {paper_id: n for n, paper_id in enumerate(stored["ids"])}
            order = [position[i] for i in ids]
            documents = [stored["documents"][n] for n in order]
            vectors = [stored["embeddings"][n] for n in order]
            rows = [catalog_row(m) for m in metadatas]
            self.sidecar.rebuild(ids, documents, rows, vectors, version)
        self._stamp(version)

    def _stamp(self, version: str) -> None:
        metadata = dict(self.collection.metadata or {})
        if metadata.get(VERSION_KEY) != version:
            self.collection.modify(metadata=metadata | {VERSION_KEY: version})

    def _existing(self, papers: list[PaperRecord]) -> dict[str, PaperRecord]:
        """The stored versions of these papers, by id and by title key, so a paper seen
        again under another id (a DOI now known, say) merges into the record it has.
        Asked for by id and title key, a few thousand at a time: adding one file to a big
        index does not read the whole index."""
        found: dict[str, PaperRecord] = {}
        ids = list(dict.fromkeys(p.id for p in papers))
        keys = list(dict.fromkeys(p.title_key for p in papers))
        for start in range(0, max(len(ids), len(keys)), LOOKUP_BATCH):
            by_id = ids[start : start + LOOKUP_BATCH]
            by_key = keys[start : start + LOOKUP_BATCH]
            stored = self.collection.get(ids=by_id, include=["metadatas"]) if by_id else None
            titled = (
                self.collection.get(where={"title_key": {"$in": by_key}}, include=["metadatas"])
                if by_key
                else None
            )
            for result in (stored, titled):
                for metadata in result["metadatas"] if result else []:
                    paper = PaperRecord.from_json(metadata["record"])
                    found[paper.id] = paper
                    found.setdefault(paper.title_key, paper)
        return found

    def _write(self, embedded, vectors, meta_only, added_ids: set[str]) -> None:
        changed = [p.id for p in embedded + meta_only if p.id not in added_ids]
        include = ["embeddings", "documents", "metadatas"]
        previous = self.collection.get(ids=changed, include=include) if changed else None
        self._save_journal(sorted(added_ids), previous)
        self._stamp(WRITING)
        try:
            for start in range(0, len(embedded), WRITE_BATCH):
                batch = embedded[start : start + WRITE_BATCH]
                self.collection.upsert(
                    ids=[p.id for p in batch],
                    embeddings=vectors[start : start + WRITE_BATCH],
                    documents=[embedding_text(p) for p in batch],
                    metadatas=[to_metadata(p) for p in batch],
                )
            if meta_only:
                self.collection.update(
                    ids=[p.id for p in meta_only], metadatas=[to_metadata(p) for p in meta_only]
                )
        except Exception as error:
            self._roll_back()
            raise IndexWriteFailed(
                f"Writing to the index failed ({error}); the previous index was restored - "
                "run the same 'assistant ingest' again"
            ) from error
        self.journal.unlink()

    def _save_journal(self, added: list[str], previous: dict | None) -> None:
        entry = {"added": added, "ids": [], "embeddings": [], "documents": [], "metadatas": []}
        if previous:
            entry |= {
                "ids": previous["ids"],
                "embeddings": [list(map(float, e)) for e in previous["embeddings"]],
                "documents": previous["documents"],
                "metadatas": previous["metadatas"],
            }
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        staging = self.journal.with_suffix(".tmp")
        staging.write_text(json.dumps(entry))
        os.replace(staging, self.journal)

    def _roll_back(self) -> None:
        """Put back what the journal saved: remove papers the failed write added, restore
        the previous version of the ones it changed."""
        entry = json.loads(self.journal.read_text())
        if entry["added"]:
            self.collection.delete(ids=entry["added"])
        if entry["ids"]:
            self.collection.upsert(
                ids=entry["ids"],
                embeddings=entry["embeddings"],
                documents=entry["documents"],
                metadatas=entry["metadatas"],
            )
        self.journal.unlink()
        self.sync_sidecar()
