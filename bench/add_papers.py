"""Adding a file to a big index: does it cost what the file holds, or what the index holds?

On a copy of the 100k synthetic index that `bench/query.py` builds, it adds bundled papers
(new to that index, embedded with the real MiniLM) as `assistant ingest FILE` does, and
times each stage: reading the stored versions of those papers (the plan), embedding,
the Chroma writes, and bringing the side index (BM25, catalog, vectors) along. In the same
run, and on the same copy, the next batch goes through the whole rebuild instead, which
is what every ingest did before the side index was kept in segments (and is still the
repair path): every record read back from Chroma, every text tokenized, every vector
saved. After each add, a reader that had the index open (a live `serve` on the same data
folder) searches again, and another live instance (a data folder of its own, as on a
shared Chroma server) brings its side index up to date: what catching up costs each. Both
load only the segments written since they last loaded; next to them, in the same run, a
new process loads every segment, which is what each of them did before.

    uv run python bench/query.py --data-dir DIR          # once: builds DIR/synthetic (~15 min)
    uv run python bench/add_papers.py --data-dir DIR     # ~3 min at 100k

It always exits 0; a missed target prints FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from query import StageClock  # bench/ is on the path: these run as plain files

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.store.embeddings import MiniLMEmbeddings, embed_with_progress
from assistant.store.index import PaperIndex
from assistant.store.sidecar import Sidecar
from ingest.load import BUNDLED_CORPUS, load_paths

BATCHES = (10, 100)  # papers per added file, followed incrementally
TARGET_S = 1.0  # the side index's share of adding 100 papers, at any index size
QUESTION = "uncertainty estimation with a single forward pass"
STAGES = ("_reopen", "_plan", "embed", "_write", "_follow", "sync_sidecar")


class Timed:
    """Wraps an index's stages with bench/query.py's clock, until `undo`."""

    def __init__(self, index: PaperIndex) -> None:
        self.index, self.clock = index, StageClock()
        self.originals = {name: index.__dict__.get(name) for name in (*STAGES, "in_step")}
        for name in STAGES:
            setattr(index, name, self.clock.wrap(name, getattr(index, name)))

    @property
    def seconds(self) -> dict[str, float]:
        return {name: self.clock.spent[name] for name in STAGES}

    def undo(self) -> None:
        for name, original in self.originals.items():
            if original is None:
                self.index.__dict__.pop(name, None)  # a method: the class's own again
            else:
                setattr(self.index, name, original)  # an attribute, such as `embed`


def add(index: PaperIndex, papers, whole_rebuild: bool) -> dict[str, float]:
    """One `upsert` of these papers, timed by stage; `whole_rebuild` takes the old path."""
    stages = Timed(index)
    if whole_rebuild:
        index.in_step = lambda: False  # the side index is rebuilt from Chroma, as before
    start = time.perf_counter()
    changes = index.upsert(papers)
    total = time.perf_counter() - start
    stages.undo()
    if changes.added != len(papers):
        sys.exit(f"bench/add_papers.py: added {changes.added} papers, expected {len(papers)}")
    side = stages.seconds["_follow"] + stages.seconds["sync_sidecar"]
    return {"total_s": total, "side_index_s": side, **stages.seconds}


def timed_search(reader: Assistant) -> float:
    start = time.perf_counter()
    reader.search(QUESTION)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="the folder bench/query.py built; its synthetic/ is copied "
                        "and the copy changed")  # fmt: skip
    args = parser.parse_args()
    source = args.data_dir / "synthetic"
    if not (source / "chroma").exists():
        sys.exit(f"no index in {source}: run 'uv run python bench/query.py --data-dir "
                 f"{args.data_dir}' first")  # fmt: skip
    load_at_start = os.getloadavg()[0]
    emb = MiniLMEmbeddings()
    emb.embed(["warm up: load the weights and tokenizer"])
    bundled = load_paths([BUNDLED_CORPUS], 10**12).papers
    print(f"bringing the side index of {source} up to date (once)", flush=True)
    PaperIndex(Settings(data_dir=source), partial(embed_with_progress, emb)).side_index()
    with tempfile.TemporaryDirectory(prefix="bench-add-", dir=args.data_dir) as tmp:
        settings = Settings(data_dir=Path(tmp) / "index")
        print(f"copying {source} ({folder_gb(source):.1f} GB)", flush=True)
        shutil.copytree(source, settings.data_dir)
        reader = Assistant(settings, embeddings=emb)
        opened = timed_search(reader)  # brings an older side index up to date, and loads it
        steady = min(timed_search(reader) for _ in range(5))
        papers = reader.index.count()
        print(f"{papers} papers; first search {opened:.1f} s, then {steady * 1000:.0f} ms")
        embed = partial(embed_with_progress, emb)
        # One embedded Chroma in one process: the writer and the other instance use the
        # reader's client, each with a side index (a Sidecar) of its own.
        index = PaperIndex(settings, embed, client=reader.index.client)
        other = settings.model_copy(update={"data_dir": Path(tmp) / "other"})
        shutil.copytree(settings.data_dir / "bm25", other.data_dir / "bm25")  # in step, as A
        other_index = PaperIndex(other, embed, client=index.client)
        other_index.side_index()
        rows, taken = [], 0
        for size, whole in [*((n, False) for n in BATCHES), (BATCHES[-1], True)]:
            batch = bundled[taken : taken + size]
            taken += size
            row = add(index, batch, whole_rebuild=whole)
            row |= {"papers": size, "whole": whole, "reader_s": timed_search(reader) - steady}
            start = time.perf_counter()
            other_index.side_index()
            row["other_s"] = time.perf_counter() - start
            start = time.perf_counter()
            Sidecar(index.sidecar.folder).load()
            row["new_process_s"] = time.perf_counter() - start
            rows.append(row)
            segments = len(json.loads(index.sidecar.pointer.read_text())["segments"])
            print(f"added {size} papers ({'whole rebuild' if whole else 'followed'}): "
                  f"{row['total_s']:.1f} s; {segments} segments now", flush=True)  # fmt: skip
    report(rows, papers, load_at_start)


def folder_gb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e9


def report(rows: list[dict], papers: int, load_at_start: float) -> None:
    print(f"\nadding a file to an index of {papers} papers; load average at start "
          f"{load_at_start:.2f}, at end {os.getloadavg()[0]:.2f}; seconds")  # fmt: skip
    header = ["stage", *(f"{r['papers']} {'rebuilt' if r['whole'] else 'followed'}" for r in rows)]
    print("  ".join(f"{h:>15}" for h in header))
    labels = {
        "_reopen": "reopen Chroma",
        "_plan": "plan (reads)",
        "embed": "embed (MiniLM)",
        "_write": "Chroma writes",
        "side_index_s": "side index",
        "total_s": "total",
        "reader_s": "reader catch-up",
        "other_s": "other instance",
        "new_process_s": "all segments",  # the baseline: a new process, or either before
    }
    for key, label in labels.items():
        print("  ".join([f"{label:>15}", *(f"{r[key]:>15.2f}" for r in rows)]))
    print("(reader catch-up: its next search, less a steady one; all segments: loading the "
          "side index whole, as a new process does)")  # fmt: skip
    followed = next(r for r in rows if r["papers"] == BATCHES[-1] and not r["whole"])
    rebuilt = next(r for r in rows if r["whole"])
    per_paper = [r["side_index_s"] / r["papers"] * 1000 for r in rows if not r["whole"]]
    print(f"side index per added paper, followed: "
          f"{', '.join(f'{ms:.1f} ms' for ms in per_paper)} (for {BATCHES} papers)")  # fmt: skip
    share = followed["side_index_s"]
    verdict = "PASS" if share < TARGET_S else "FAIL"
    print(f"side index for {BATCHES[-1]} papers: {share:.2f} s followed vs "
          f"{rebuilt['side_index_s']:.2f} s rebuilt (x{rebuilt['side_index_s'] / share:.0f}); "
          f"target < {TARGET_S:g} s: {verdict}")  # fmt: skip
    if verdict == "FAIL":
        print(f"FAIL: following {BATCHES[-1]} papers took {share:.2f} s")


if __name__ == "__main__":
    main()
