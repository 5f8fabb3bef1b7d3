"""The index: incremental upserts, filterable metadata, BM25 in step, and writes that are
all-or-nothing even when they fail or the process dies midway."""

import json
import re
import signal
import subprocess
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest

from assistant.errors import IndexWriteFailed
from assistant.store.embeddings import embed_with_progress
from assistant.store.index import VERSION_KEY, WRITE_BATCH, WRITING, PaperIndex
from assistant.store.ingestion import ingest_paths
from assistant.store.metadata import CHROMA_MAX_LIST_VALUES, LIST_CAP, LIST_FIELDS
from ingest.load import BUNDLED_CORPUS

ABSTRACT = (
    "We study {topic} in depth. Our method improves accuracy by 3% on two benchmarks, and "
    "we release code. The analysis explains why it works and when it fails in practice, "
    "and experiments on real data confirm the theory."
)


def listing(folder: Path, name: str, date: str, papers: dict[str, str]) -> Path:
    body = "\n\n".join(f"{t}\n\n{ABSTRACT.format(topic=a)}" for t, a in papers.items())
    path = folder / name
    path.write_text(f"Subscribe\n\n{date}\n\n{body}\n")
    return path


def snapshot(index: PaperIndex) -> dict:
    stored = index.collection.get(include=["metadatas", "documents", "embeddings"])
    return {
        i: (m["record_hash"], d, tuple(round(float(x), 6) for x in e[:8]))
        for i, m, d, e in zip(
            stored["ids"],
            stored["metadatas"],
            stored["documents"],
            stored["embeddings"],
            strict=True,
        )
    }


def test_reingesting_the_unchanged_corpus_adds_and_embeds_nothing(index, embeddings):
    first = ingest_paths(index, None)
    assert (first.added, first.updated, first.unchanged, first.entries) == (352, 0, 0, 368)
    embedded = embeddings.embedded
    again = ingest_paths(index, None)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 352)
    assert embeddings.embedded == embedded == 352
    assert index.count() == 352


def test_changed_abstract_updates_the_record_and_re_embeds_only_it(index, embeddings, tmp_path):
    page = listing(
        tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration", "Paper Two": "pruning"}
    )
    ingest_paths(index, [page])
    listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration", "Paper Two": "sparsity"})
    report = ingest_paths(index, [page])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert embeddings.embedded == 3
    two = next(p for p in index.papers() if p.title == "Paper Two")
    assert "sparsity" in two.abstract


def test_paper_seen_on_a_new_page_gains_the_source_without_re_embedding(
    index, embeddings, tmp_path
):
    ingest_paths(index, [listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration"})])
    second = listing(tmp_path, "b.txt", "Mar 12", {"paper one": "calibration"})
    report = ingest_paths(index, [second])
    assert (report.added, report.updated) == (0, 1)
    assert embeddings.embedded == 1
    (paper,) = index.papers()
    assert paper.title == "Paper One" and paper.listed_on == ("Mar 21", "Mar 12")
    assert [s.file for s in paper.sources] == ["a.txt", "b.txt"]


def test_a_paper_seen_again_with_a_doi_merges_without_reading_the_whole_index(index, monkeypatch):
    from ingest.records import PaperRecord, Source

    listed = PaperRecord("Paper One", "About calibration.", sources=(Source("a.txt", "bibtex"),))
    other = PaperRecord("Paper Two", "About pruning.", sources=(Source("a.txt", "bibtex"),))
    index.upsert([listed, other])
    monkeypatch.setattr(PaperIndex, "papers", lambda self: pytest.fail("read every record"))
    with_doi = PaperRecord(
        "paper one", "About calibration.", doi="10.1/one", sources=(Source("b.bib", "bibtex"),)
    )
    changes = index.upsert([with_doi])
    assert (changes.added, changes.updated) == (0, 1)
    stored = index.records([listed.id])[0]
    assert index.count() == 2 and stored.doi == "10.1/one"
    assert [s.file for s in stored.sources] == ["a.txt", "b.bib"]


def test_metadata_is_filterable_in_chroma(index):
    ingest_paths(index, None)
    year = index.collection.get(where={"year": {"$gte": 2025}})
    assert len(year["ids"]) == 6
    poster = index.collection.get(where={"source_kinds": {"$contains": "poster_session"}})
    assert len(poster["ids"]) == 145
    author = index.collection.get(where={"author_keys": {"$contains": "patrick forre"}})
    titles = [m["title"] for m in author["metadatas"]]
    assert titles == ["Equivariance-aware Architectural Optimization of Neural Networks"]
    listed = index.collection.get(where={"listed_on": {"$contains": "Mar 13"}})
    assert len(listed["ids"]) == 72


def test_bm25_index_matches_chroma_and_is_rebuilt_when_missing(index, settings):
    ingest_paths(index, None)
    local = index.side_index()
    catalog = local.catalog
    assert sorted(catalog.ids) == sorted(index.collection.get()["ids"])
    assert catalog.mask_any("author_keys", ("patrick forre",)).sum() == 1
    assert (catalog.years == 2026).sum() == 5
    assert local.vectors.shape == (352, 384)
    import shutil

    shutil.rmtree(index.sidecar.folder)
    rebuilt = PaperIndex(settings, lambda texts, progress: [], client=index.client).side_index()
    scores = rebuilt.bm25.match("Muon optimizer Schatten quasi-norms").scores
    assert rebuilt.catalog.ids[scores.argmax()].startswith("title:muon-is-not-that-special")


def test_an_unchanged_index_opens_without_reading_every_record(index, settings, monkeypatch):
    ingest_paths(index, None)
    reads, read_all = [], PaperIndex.get_all

    def counted(self, include):
        reads.append(include)
        return read_all(self, include)

    monkeypatch.setattr(PaperIndex, "get_all", counted)

    def reopen() -> PaperIndex:
        reopened = PaperIndex(settings, lambda texts, progress: [], client=index.client)
        reopened.sync_sidecar()
        return reopened

    reopen()._stamp(WRITING)  # no read: the fingerprints matched; now as a dead write leaves it
    assert reads == []
    reopened = reopen()  # the full check, once
    assert reads == [["metadatas"]]
    assert reopened.collection.metadata[VERSION_KEY] == index.sidecar.stored_fingerprint()
    reopen()
    assert reads == [["metadatas"]]


def flaky_upserts(monkeypatch, fail_on: int) -> None:
    """Chroma's n-th upsert from now lands and then fails, as a full disk would."""
    from chromadb.api.models.Collection import Collection

    real, calls = Collection.upsert, []

    def upsert(self, **kwargs):
        calls.append(1)
        real(self, **kwargs)
        if len(calls) == fail_on:
            raise OSError("No space left on device")

    monkeypatch.setattr(Collection, "upsert", upsert)


def test_a_failed_batch_is_undone_the_ones_before_it_kept_and_the_rerun_finishes(
    index, tmp_path, monkeypatch
):
    page = listing(
        tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration", "Paper Two": "pruning"}
    )
    ingest_paths(index, [page])
    before = snapshot(index)
    longest = "sparsity " * 200  # sorted last by length: in the batch that fails
    listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration", "Paper Two": longest})
    with monkeypatch.context() as patched:
        flaky_upserts(patched, fail_on=2)  # 353 writes = 2 batches
        with pytest.raises(IndexWriteFailed, match="that batch was undone") as failed:
            ingest_paths(index, [page, BUNDLED_CORPUS])
    assert re.match(r"Writing '.+' \(from .+\.txt\) and 96 other papers", str(failed.value))
    assert not index.journal.exists()
    kept = snapshot(index)
    assert {i: kept[i] for i in before} == before  # Paper Two's update was undone
    assert len(kept) == 2 + WRITE_BATCH  # the first batch stays
    report = ingest_paths(index, [page, BUNDLED_CORPUS])
    assert report.resumed and "Resumed the last ingest" in report.summary()
    assert (report.added, report.updated, report.unchanged) == (96, 1, 1 + WRITE_BATCH)
    assert index.count() == 354
    assert not ingest_paths(index, [page]).resumed


def test_failed_embedding_leaves_the_index_untouched(index, tmp_path):
    page = listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration"})
    ingest_paths(index, [page])
    before = snapshot(index)

    def dies_halfway(texts, progress):
        raise MemoryError(f"out of memory after {len(texts) // 2} of {len(texts)}")

    index.embed = dies_halfway
    with pytest.raises(MemoryError):
        ingest_paths(index, [BUNDLED_CORPUS])
    assert snapshot(index) == before


CRASH_SCRIPT = """
import os, signal, sys
from pathlib import Path
from chromadb.api.models.Collection import Collection
from assistant.settings import Settings
from assistant.store.index import PaperIndex
from assistant.store.ingestion import ingest_paths
from assistant.store.sidecar import Segment

def kill_9(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def embed(texts, progress):
    if sys.argv[2] == "embedding":
        kill_9()
    return [[0.5] * 384 for _ in texts]

def dies_mid_write(self, **kwargs):
    real_upsert(self, **kwargs)  # the first batch lands; its journal is still there
    kill_9()

index = PaperIndex(Settings(data_dir=Path(sys.argv[1])), embed)
real_upsert = Collection.upsert
if sys.argv[2] == "write":
    Collection.upsert = dies_mid_write
if sys.argv[2] == "side index":
    Segment.save = kill_9  # every batch written, the side index half built
ingest_paths(index, None)
"""


@pytest.mark.slow
@pytest.mark.parametrize("killed_during", ["embedding", "write", "side index"])
def test_an_ingest_killed_with_kill_9_leaves_an_index_the_next_run_completes(
    settings, embeddings, killed_during
):
    settings.data_dir.mkdir(parents=True)
    index = PaperIndex(settings, partial(embed_with_progress, embeddings))
    ingest_paths(index, [Path(__file__).parent / "fixtures" / "formats" / "papers.csv"])
    before = snapshot(index)
    del index
    crash = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CRASH_SCRIPT),
            str(settings.data_dir),
            killed_during,
        ],
        capture_output=True,
        text=True,
    )
    assert crash.returncode == -signal.SIGKILL, crash.stderr
    reopened = PaperIndex(settings, partial(embed_with_progress, embeddings))
    assert reopened.journal.exists() == (killed_during == "write")  # opening touches nothing
    side = reopened.side_index()  # no writer alive: this reader finishes the dead one's work
    assert not reopened.journal.exists()
    assert sorted(side.catalog.ids) == sorted(reopened.collection.get()["ids"])
    after = snapshot(reopened)
    assert {i: after[i] for i in before} == before
    assert len(after) == len(before) + (352 if killed_during == "side index" else 0)
    report = ingest_paths(reopened, None)
    assert report.resumed and report.added + report.unchanged == 352
    assert reopened.count() == len(before) + 352


def test_whole_collection_reads_come_in_pages(index, monkeypatch, tmp_path):
    """Chroma fails one `get` of more than 32,766 records; pages keep large indexes readable."""
    ingest_paths(index, [listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration"})])
    monkeypatch.setattr("assistant.store.index.LOOKUP_BATCH", 100)
    ingest_paths(index, None)  # the side index follows the 352 papers written, 100 at a time
    assert sorted(index.side_index().catalog.ids) == sorted(index.get_all([])["ids"])
    monkeypatch.setattr("assistant.store.index.GET_PAGE", 100)
    assert len({p.id for p in index.papers()}) == 353
    everything = index.get_all(["documents"])
    assert len(everything["ids"]) == len(everything["documents"]) == 353


def test_a_3000_author_paper_is_indexed_whole_and_the_index_keeps_working(index, tmp_path):
    """Big collaborations sign with thousands of names; one such record once broke
    Chroma's compaction, and every read and write of the index after it."""
    ingest_paths(index, [listing(tmp_path, "a.txt", "Mar 21", {"Paper One": "calibration"})])
    authors = [f"A{i}" for i in range(3000)]
    big = tmp_path / "a.jsonl"
    record = {"title": "Big Collab", "abstract": "We measure a thing.", "authors": authors}
    big.write_text(json.dumps(record) + "\n")
    assert ingest_paths(index, [big]).added == 1
    assert index.count() == 2
    (stored,) = [p for p in index.papers() if p.title == "Big Collab"]
    assert list(stored.authors) == authors
    first = index.collection.get(where={"author_keys": {"$contains": "a0"}})
    assert [m["title"] for m in first["metadatas"]] == ["Big Collab"]
    catalog = index.side_index().catalog
    assert catalog.mask_any("author_keys", ("a2999",)).sum() == 1  # past Chroma's share
    assert ingest_paths(index, [big]).unchanged == 1


def test_chroma_still_fails_where_the_metadata_bound_says(tmp_path):
    """The bound in store/metadata.py is Chroma's measured limit: if a Chroma upgrade moves
    it, this says so. A record's list values count together, over all its lists."""
    import chromadb

    assert len(LIST_FIELDS) * LIST_CAP <= CHROMA_MAX_LIST_VALUES
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=chromadb.Settings(anonymized_telemetry=False)
    )

    def add(name: str, values: int) -> None:
        collection = client.create_collection(name, embedding_function=None)
        half = values // 2
        lists = {"a": list(range(half)), "b": list(range(values - half))}
        collection.add(ids=["x"], embeddings=[[1.0, 0.0]], metadatas=[lists])
        assert collection.count() == 1

    add("fits", CHROMA_MAX_LIST_VALUES)
    with pytest.raises(Exception, match="Failed to apply logs to the metadata segment"):
        add("breaks", CHROMA_MAX_LIST_VALUES + 1)
