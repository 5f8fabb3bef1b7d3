"""The paper index: a Chroma collection (vectors + filterable metadata) and the local side
index beside it (BM25, catalog, vectors; see sidecar.py).

Chroma has no transactions, so writes go through a journal, a batch at a time: before a
batch touches the collection we save the previous version of every record it changes.
If the write fails, or the process dies mid-batch, the journal puts that batch's previous
state back (at once, or when the next writer takes the lock); the batches before it stay,
so a big ingest that was killed resumes where it stopped. Only the writer holding the
lock (lock.py) replays the journal or rebuilds the side index: a reader sees the side
index from before an ingest or after it, and never repairs a live writer's work.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.errors import IndexBusy, IndexWriteFailed, StoreUnavailable
from assistant.settings import Settings
from assistant.store.catalog import catalog_row
from assistant.store.lock import Waiting, WriteLock
from assistant.store.metadata import WRITTEN_NS, to_metadata
from assistant.store.sidecar import Sidecar, SideIndex, fingerprint, refingerprint
from ingest.records import PaperRecord, embedding_text, merge

Progress = Callable[[int, int], None]
Embed = Callable[[list[str], Progress | None], list[list[float]]]
WRITE_BATCH = 256  # papers embedded and committed together: what a crash can cost
GET_PAGE = 10_000
LOOKUP_BATCH = 5_000  # ids or title keys asked for in one get (SQLite caps its variables)
# In the collection's metadata: the fingerprint of what it holds, or WRITING while a write
# is under way (or died), so an unchanged index is known without reading every record.
VERSION_KEY = "contents_fingerprint"
WRITING = "writing"
# How far apart the clocks of machines writing to one server may be (NTP keeps them within
# milliseconds): a record written by a clock further behind is missed by catching up, which
# then fails its fingerprint check and rebuilds the side index whole: slower, never wrong.
CLOCK_SKEW_NS = 60 * 10**9


@dataclass(frozen=True)
class Changes:
    added: int
    updated: int
    unchanged: int
    resumed: bool = False  # the last ingest stopped midway; this one finished its work


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
        raise unreachable(settings, error) from None


def unreachable(settings: Settings, error: Exception) -> StoreUnavailable:
    return StoreUnavailable(
        f"Cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
        f"({error}) - is 'chroma run' up? Start it with 'chroma run --port "
        f"{settings.chroma_port}', or unset ASSISTANT_CHROMA_HOST to use the embedded index"
    )


def reaching_chroma(method):
    """A server that goes away while a process runs is StoreUnavailable, as it is at start,
    not a bare connection error; the same process carries on once the server is back (the
    HTTP client connects afresh for every request)."""

    @functools.wraps(method)
    def guarded(self: PaperIndex, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            import httpx

            if self.shared and isinstance(error, httpx.TransportError):
                raise unreachable(self.settings, error) from None
            raise

    return guarded


class PaperIndex:
    """Chroma and the side index kept in step. `embed` is only called for new or changed text, so an
    unchanged re-ingest never loads the embedding model."""

    def __init__(self, settings: Settings, embed: Embed, client=None) -> None:
        self.settings = settings
        self.embed = embed
        self._own_client = client is None
        self.client = client if client is not None else chroma_client(settings)
        folder = settings.data_dir
        self.journal = folder / f"{settings.collection}.journal.json"
        self.sidecar = Sidecar(folder / "bm25" / settings.collection)
        self.lock = WriteLock(folder, settings.collection)
        self.collection = self._open()

    def _open(self):
        try:
            return self.client.get_or_create_collection(
                self.settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        except Exception as error:
            raise StoreUnavailable(
                f"Cannot open the Chroma collection '{self.settings.collection}' ({error}) - "
                "check ASSISTANT_CHROMA_HOST/PORT, or that the data folder is readable"
            ) from None

    def _reopen(self) -> None:
        """Under the lock: open embedded Chroma afresh, as the disk now holds it. A
        process's embedded Chroma keeps the vectors it first read in memory, and fails
        ('Error finding id') on those another process has written since: a long-running
        `serve` after a command-line ingest, say. Chroma shares one instance per path in a
        process, so the cached one is dropped first (its other holders keep it). A client
        passed in is kept as it is."""
        if not self._own_client or self.shared:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(self.client._identifier, None)
        self.client = chroma_client(self.settings)
        self.collection = self._open()

    @reaching_chroma
    def count(self) -> int:
        return self.collection.count()

    @property
    def shared(self) -> bool:
        """A `chroma run` server, which other instances (with data folders of their own)
        may write to."""
        return self.settings.chroma_host is not None

    @reaching_chroma
    def version(self) -> str | None:
        """The fingerprint the collection carries now (WRITING during a write), asked of
        Chroma afresh: the collection object keeps the metadata it was opened with, and
        another instance may have written since."""
        current = self.client.get_collection(self.settings.collection).metadata or {}
        return current.get(VERSION_KEY)

    def in_step(self) -> bool:
        """Whether the side index was built from exactly what Chroma holds now."""
        stamp = self.version()
        return stamp not in (None, WRITING) and stamp == self.sidecar.stored_fingerprint()

    @reaching_chroma
    def side_index(self) -> SideIndex:
        """The local side index as the last finished write left it. If it is stale
        (another instance wrote to a shared server, a writer died, it was deleted), it is
        brought up to date first, from the papers written lately when that provably gives
        what Chroma holds, else whole; but only when no writer is at work: during an
        ingest, readers get the one from before it."""
        if not self.in_step():
            with self.lock.repairing() as held:
                if held:
                    self._reopen()
                    self._roll_back()
                    if not self._catch_up():
                        self.sync_sidecar()
                elif self.sidecar.stored_fingerprint() is None:
                    raise IndexBusy(self.lock.writer())
        return self.sidecar.load()

    @reaching_chroma
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

    @reaching_chroma
    def records(self, ids: list[str]) -> list[PaperRecord]:
        """The stored records of these papers, in the order asked (unknown ids left out)."""
        if not ids:
            return []
        stored = self.collection.get(ids=ids, include=["metadatas"])
        found = dict(zip(stored["ids"], stored["metadatas"], strict=True))
        return [PaperRecord.from_json(found[i]["record"]) for i in ids if i in found]

    @reaching_chroma
    def get_all(self, include: list[str], where: dict | None = None) -> dict[str, list]:
        """The whole collection (or what `where` picks of it), read in pages: Chroma fails
        a single `get` of more than 32,766 records with metadata (SQLite's variable limit)."""
        found: dict[str, list] = {"ids": [], **{field: [] for field in include}}
        while True:
            offset = len(found["ids"])
            page = self.collection.get(where=where, include=include, limit=GET_PAGE, offset=offset)
            for field in found:
                found[field].extend(page[field])
            if len(page["ids"]) < GET_PAGE:
                return found

    @reaching_chroma
    def upsert(
        self,
        papers: list[PaperRecord],
        progress: Progress | None = None,
        waiting: Waiting | None = None,
    ) -> Changes:
        """Add new papers, update changed ones, re-embed only those whose text changed;
        embedded and committed WRITE_BATCH at a time. Holds the write lock throughout:
        with `waiting`, waits for another writer, else raises IndexBusy."""
        with self.lock.ingesting(waiting) as resumed:
            self._reopen()
            self._roll_back()  # a dead writer's unfinished batch; the side index follows
            in_step = self.in_step()
            to_embed, meta_only, added, unchanged, before = self._plan(papers)
            to_embed.sort(key=lambda p: len(embedding_text(p)))  # similar lengths batch together
            for start in range(0, len(to_embed), WRITE_BATCH):
                batch = to_embed[start : start + WRITE_BATCH]
                done = _offset(progress, start, len(to_embed))
                vectors = self.embed([embedding_text(p) for p in batch], done)
                self._write(batch, vectors, [], added)
            for start in range(0, len(meta_only), WRITE_BATCH):
                self._write([], [], meta_only[start : start + WRITE_BATCH], added)
            if in_step:
                after = {p.id: p.record_hash for p in to_embed + meta_only}
                self._follow(after, refingerprint(self.sidecar.stored_fingerprint(), before, after))
            else:
                self.sync_sidecar()
        updated = len(to_embed) - len(added) + len(meta_only)
        return Changes(len(added), updated, unchanged, resumed)

    def _plan(self, papers: list[PaperRecord]):
        """What each paper needs: (to embed, metadata only, the ids of new papers, how many
        are unchanged, the record hash each changed paper had before)."""
        existing = self._existing(papers)
        to_embed: list[PaperRecord] = []
        meta_only: list[PaperRecord] = []
        added: set[str] = set()
        unchanged = 0
        before: dict[str, str] = {}
        for paper in papers:
            old = existing.get(paper.id) or existing.get(paper.title_key)
            if old is None:
                to_embed.append(paper)
                added.add(paper.id)
                continue
            new = merge(old, paper)
            if new.record_hash == old.record_hash:
                unchanged += 1
                continue
            before[old.id] = old.record_hash
            if new.text_hash == old.text_hash:
                meta_only.append(new)
            else:
                to_embed.append(new)
        return to_embed, meta_only, added, unchanged, before

    def sync_sidecar(self) -> None:
        """Under the lock: rebuild the side index if it was not built from exactly what
        Chroma holds. The collection's own fingerprint says so at once; only when it is
        missing or differs are all records read (15 s at 100k papers) and the fingerprint
        recomputed. Every write clears it first, so a write that died cannot leave a stale
        one."""
        if self.in_step():
            return
        stored = self.get_all(["metadatas"])
        ids, metadatas = stored["ids"], stored["metadatas"]
        version = fingerprint({i: m["record_hash"] for i, m in zip(ids, metadatas, strict=True)})
        if self.sidecar.stored_fingerprint() != version:
            rows = [catalog_row(m) for m in metadatas]
            del stored, metadatas  # the records' JSON, most of the memory, is done with
            stored = self.get_all(["documents", "embeddings"])
            position = {paper_id: n for n, paper_id in enumerate(stored["ids"])}
            order = [position[i] for i in ids]
            documents = [stored["documents"][n] for n in order]
            vectors = [stored["embeddings"][n] for n in order]
            self.sidecar.rebuild(ids, documents, rows, vectors, version)
        self._stamp(version)

    def _follow(self, changed, version: str) -> None:
        """Add these papers alone to the side index (their text, vectors and metadata read
        back as Chroma holds them now), as the index of `version`, and stamp it: adding a
        file to a big index costs what the file holds."""
        if changed:
            stored = self._get(list(changed), ["documents", "embeddings", "metadatas"])
            ids, rows = stored["ids"], [catalog_row(m) for m in stored["metadatas"]]
            self.sidecar.add(ids, stored["documents"], rows, stored["embeddings"], version)
        self._stamp(version)

    def _catch_up(self) -> bool:
        """Under the lock: follow what another instance wrote to a shared server from the
        papers written lately alone (every write stamps its records with the time). It
        works only when the result is provably what Chroma holds: the followed fingerprint
        must be the one the collection carries. Otherwise (a dead writer, writers' clocks
        further apart than CLOCK_SKEW_NS) the caller rebuilds the side index whole."""
        stamp, held = self.version(), self.sidecar.stored_fingerprint()
        if stamp in (None, WRITING) or held is None:
            return False
        held_papers = self.sidecar.papers()
        since = {WRITTEN_NS: {"$gte": held_papers.written_ns - CLOCK_SKEW_NS}}
        recent = self.get_all(["metadatas"], where=since)
        now = {i: m["record_hash"] for i, m in zip(recent["ids"], recent["metadatas"], strict=True)}
        versions = held_papers.versions
        after = {i: h for i, h in now.items() if versions.get(i) != h}
        before = {i: versions[i] for i in after if i in versions}
        if refingerprint(held, before, after) != stamp:
            return False
        self._follow(after, stamp)
        return True

    def _get(self, ids: list[str], include: list[str]) -> dict[str, list]:
        """These records, asked for LOOKUP_BATCH at a time (SQLite caps its variables)."""
        found: dict[str, list] = {"ids": [], **{field: [] for field in include}}
        for start in range(0, len(ids), LOOKUP_BATCH):
            page = self.collection.get(ids=ids[start : start + LOOKUP_BATCH], include=include)
            for field in found:
                found[field].extend(page[field])
        return found

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
        """One batch, all or nothing: journalled first, undone if it fails."""
        changed = [p.id for p in embedded + meta_only if p.id not in added_ids]
        include = ["embeddings", "documents", "metadatas"]
        previous = self.collection.get(ids=changed, include=include) if changed else None
        self._save_journal(sorted(p.id for p in embedded if p.id in added_ids), previous)
        self._stamp(WRITING)
        written = {WRITTEN_NS: time.time_ns()}
        try:
            if embedded:
                self.collection.upsert(
                    ids=[p.id for p in embedded],
                    embeddings=vectors,
                    documents=[embedding_text(p) for p in embedded],
                    metadatas=[to_metadata(p) | written for p in embedded],
                )
            if meta_only:
                self.collection.update(
                    ids=[p.id for p in meta_only],
                    metadatas=[to_metadata(p) | written for p in meta_only],
                )
        except Exception as error:
            batch = _described(embedded + meta_only)
            try:
                self._roll_back()
            except Exception as undo_error:
                raise IndexWriteFailed(
                    f"Writing {batch} to the index failed ({error}), and undoing it failed too "
                    f"({undo_error}); {self.journal} is kept for the next 'assistant ingest' "
                    "to undo"
                ) from error
            raise IndexWriteFailed(
                f"Writing {batch} to the index failed ({error}); that batch was undone and "
                "the batches before it are kept - run the same 'assistant ingest' again to "
                "finish"
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
        """Under the lock: put back what the journal saved, if there is one: remove the
        papers the unfinished batch added, restore the previous version of those it
        changed."""
        if not self.journal.exists():
            return
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


def _offset(progress: Progress | None, start: int, total: int) -> Progress | None:
    """Progress over one batch, reported as progress over the whole ingest."""
    if progress is None:
        return None
    return lambda done, _: progress(start + done, total)


def _described(batch: list[PaperRecord]) -> str:
    """A batch as an error names it: its first paper, where that came from, and its size."""
    first = batch[0]
    files = ", ".join(dict.fromkeys(s.file for s in first.sources)) or "no file"
    others = f" and {len(batch) - 1} other papers" if len(batch) > 1 else ""
    return f"'{first.title[:80]}' (from {files}){others}"
