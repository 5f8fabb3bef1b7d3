"""Several processes on one data folder: one writer at a time, readers that see the index
from before an ingest or after it and never repair a live writer's work, and a big
ingest killed with kill -9 that resumes where it stopped. The slow tests run real
processes (store_worker.py, with cheap fake embeddings)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import IndexBusy
from assistant.settings import Settings
from assistant.store.index import WRITE_BATCH, PaperIndex
from assistant.store.ingestion import ingest_paths
from assistant.store.lock import WriteLock

WORKER = Path(__file__).parent / "store_worker.py"


def papers_file(path: Path, count: int, name: str = "paper") -> Path:
    with path.open("w") as out:
        for n in range(count):
            record = {
                "title": f"A {name} numbered {n} on calibration",
                "abstract": f"We study the calibration of model {n} and its error.",
                "authors": [f"Author {n % 50}"],
            }
            out.write(json.dumps(record) + "\n")
    return path


def worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def progress(process: subprocess.Popen) -> Iterator[int]:
    """How many papers an ingesting worker has embedded, as it says so."""
    for line in process.stdout:
        if line.startswith("embedded "):
            yield int(line.split()[1])


def test_a_second_writer_is_told_who_is_writing(index, settings, tmp_path):
    other = PaperIndex(settings, index.embed, client=index.client)
    busy = rf"another ingest \(pid {os.getpid()}\) is writing"
    with index.lock.ingesting(None), pytest.raises(IndexBusy, match=busy):
        ingest_paths(other, [papers_file(tmp_path / "a.jsonl", 3)])
    assert ingest_paths(other, [tmp_path / "a.jsonl"]).added == 3


def test_a_reader_leaves_a_live_writers_journal_alone(index, settings, tmp_path):
    ingest_paths(index, [papers_file(tmp_path / "a.jsonl", 3)])
    journal = {"added": ["title:being-written"], "ids": [], "embeddings": []}
    with index.lock.ingesting(None):  # a writer at work, mid-batch
        index.journal.write_text(json.dumps(journal | {"documents": [], "metadatas": []}))
        index.collection.modify(metadata={"contents_fingerprint": "writing"})
        reader = PaperIndex(settings, index.embed, client=index.client)
        assert len(reader.side_index().catalog.ids) == 3  # the index from before
        assert index.journal.exists()
    reader = PaperIndex(settings, index.embed, client=index.client)
    assert len(reader.side_index().catalog.ids) == 3  # the writer died: a reader undoes it
    assert not index.journal.exists()


def test_a_reader_during_the_first_ingest_is_told_to_wait(index, settings):
    writer = WriteLock(settings.data_dir, settings.collection)
    busy = "is writing to this index - wait for it"
    with writer.ingesting(None), pytest.raises(IndexBusy, match=busy):
        index.side_index()


def counts_seen(output: str) -> list[tuple[int, int]]:
    """(papers the search saw, papers stats counted) for each read a reader printed."""
    return [(int(a), int(b or a)) for a, b in re.findall(r"^read (\d+)(?: (\d+))?", output, re.M)]


@pytest.mark.slow
def test_readers_during_an_ingest_see_the_index_before_or_after_it(settings, index, tmp_path):
    ingest_paths(index, [papers_file(tmp_path / "old.jsonl", 300, "old paper")])
    data = str(settings.data_dir)
    writer = worker("ingest", data, str(papers_file(tmp_path / "new.jsonl", 1500)), "0.005")
    next(progress(writer))  # the ingest is under way
    readers = [worker("read", data, "8") for _ in range(2)]
    seen = [reader.communicate(timeout=120)[0] for reader in readers]
    written, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0, written
    assert "1500 added" in written
    counts = [count for output in seen for count in counts_seen(output)]
    assert all(reader.returncode == 0 for reader in readers), seen
    assert {searched for searched, _ in counts} <= {300, 1800}
    assert any(searched == 300 for searched, _ in counts), seen  # read while it ran
    assert all(300 <= counted <= 1800 for _, counted in counts)  # whole batches only
    assert PaperIndex(settings, index.embed).count() == 1800


@pytest.mark.slow
def test_two_writers_at_once_take_turns(settings, tmp_path):
    data = str(settings.data_dir)
    first = worker("ingest", data, str(papers_file(tmp_path / "a.jsonl", 600, "first")), "0.01")
    next(progress(first))
    second = worker("ingest", data, str(papers_file(tmp_path / "b.jsonl", 400, "second")))
    waited, _ = second.communicate(timeout=120)
    wrote, _ = first.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0), wrote + waited
    assert f"waiting for pid {first.pid}" in waited
    assert "600 added" in wrote and "400 added" in waited
    settled = worker("read", data, "0.1")
    assert counts_seen(settled.communicate(timeout=60)[0])[0] == (1000, 1000)


@pytest.mark.slow
def test_a_big_ingest_killed_at_90_percent_resumes_where_it_stopped(settings, tmp_path):
    data, big = str(settings.data_dir), str(papers_file(tmp_path / "big.jsonl", 3000))
    writer = worker("ingest", data, big, "0.001")
    next(done for done in progress(writer) if done >= 2700)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    rerun = worker("ingest", data, big)
    output, _ = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, output
    resumed = re.search(r"stopped midway: ([\d,]+) of 3,000 papers were already indexed", output)
    assert resumed, output
    kept = int(resumed[1].replace(",", ""))  # the batches committed before the kill
    assert kept % WRITE_BATCH == 0 and kept >= 2700 // WRITE_BATCH * WRITE_BATCH
    assert f"{3000 - kept} added" in output
    embedded = [int(n) for n in re.findall(r"^embedded (\d+) of", output, re.M)]
    assert max(embedded) == 3000 - kept  # only the papers the kill lost are embedded again
    index = PaperIndex(Settings(data_dir=settings.data_dir), lambda texts, progress: [])
    assert index.count() == 3000
    assert len({p.title for p in index.papers()}) == 3000


@pytest.mark.slow
def test_a_long_running_process_writes_after_another_process_has(settings, index, tmp_path):
    """As `serve` does after a command-line ingest: its Chroma was opened before the other
    process's papers existed, and it updates them (their old vectors go in the journal)."""
    ingest_paths(index, [papers_file(tmp_path / "old.jsonl", 5, "old paper")])
    new = papers_file(tmp_path / "new.jsonl", 300)
    other = worker("ingest", str(settings.data_dir), str(new))
    assert "300 added" in other.communicate(timeout=120)[0]
    changed = new.read_text().replace("and its error", "and its bias")
    (tmp_path / "changed.jsonl").write_text(changed)
    report = ingest_paths(index, [tmp_path / "changed.jsonl"])
    assert (report.added, report.updated) == (0, 300)
    assert len(index.side_index().catalog.ids) == 305


@pytest.mark.slow
def test_a_running_assistant_finds_what_another_process_just_ingested(tmp_path):
    """As `serve` or `chat` after a command-line ingest: the running process searches the
    new papers on its next question, in both legs, without a restart."""
    sys.path.insert(0, str(WORKER.parent))
    from store_worker import assistant

    running = assistant(str(tmp_path / "data"))
    running.ingest([papers_file(tmp_path / "old.jsonl", 5, "old paper")])
    assert len(running.search("calibration", k=50)) == 5
    new = tmp_path / "new.jsonl"
    record = {"title": "Zebrafish fin regrowth", "abstract": "We watch zebrafish fins regrow."}
    new.write_text(json.dumps(record) + "\n")
    other = worker("ingest", str(tmp_path / "data"), str(new))
    assert "1 added" in other.communicate(timeout=120)[0]
    hits = running.search("zebrafish fin regrowth", k=3)
    assert hits[0].paper.title == "Zebrafish fin regrowth"
    assert "bm25" in hits[0].found_by
    answer = running.ask("zebrafish fin regrowth")  # the chain, too, reads the new build
    assert answer.citations[0].paper.title == record["title"]
    assert running.stats()["papers"] == 6
