"""Ingest benchmark: is the pipeline around the embedder cheap, and is re-ingesting free?

Embedding is the one cost ingest cannot avoid, so this script measures everything
else against it. It times (1) the raw MiniLM forward pass over the bundled corpus,
(2) a full `Assistant.ingest()` into a fresh data folder with the same, already
warm, embedder (parse + merge + embed + Chroma write + BM25), and (3) an unchanged
re-ingest, in process and through the `assistant ingest` command a user runs.

    uv run python bench/ingest_speed.py [--repeat 3] [--json bench/results/ingest.json]

It always exits 0: a benchmark reports, it does not gate. Missed targets print FAIL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.store.embeddings import MiniLMEmbeddings
from ingest.load import BUNDLED_CORPUS, load_paths
from ingest.records import embedding_text

MAX_OVERHEAD = 0.15  # pipeline time over raw embedding time, minus one
MAX_REINGEST_S = 2.0


class CountingEmbeddings:
    """Passes calls to the real embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: MiniLMEmbeddings) -> None:
        self.inner = inner
        self.texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.texts += 1
        return self.inner.embed_query(text)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"bench/ingest_speed.py: {message}")


def assistant_command() -> str:
    found = shutil.which("assistant") or Path(sys.executable).parent / "assistant"
    check(Path(found).exists(), "no 'assistant' command found - run 'uv sync' first")
    return str(found)


def pipeline_run(emb: MiniLMEmbeddings, n: int) -> dict:
    """Ingest into a fresh folder, then re-ingest unchanged in process and via the CLI."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        seconds, report = timed(lambda: Assistant(settings, embeddings=emb).ingest())
        check(report.added == n, f"first ingest added {report.added} papers, expected {n}")

        counting = CountingEmbeddings(emb)
        again_s, again = timed(lambda: Assistant(settings, embeddings=counting).ingest())
        check(
            again.unchanged == n and again.added == again.updated == 0 and counting.texts == 0,
            f"re-ingest was not a no-op: {again} with {counting.texts} texts embedded",
        )

        env = os.environ | {"ASSISTANT_DATA_DIR": tmp}
        command = [assistant_command(), "ingest"]
        cli_s, done = timed(
            lambda: subprocess.run(command, env=env, capture_output=True, text=True)
        )
        check(
            done.returncode == 0 and re.search(rf"\b{n} unchanged\b", done.stdout) is not None,
            f"'assistant ingest' re-run failed (exit {done.returncode}): "
            f"{done.stdout.strip()} {done.stderr.strip()}",
        )
    return {"pipeline_s": seconds, "reingest_s": again_s, "reingest_cli_s": cli_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; medians reported")
    parser.add_argument("--json", type=Path, default=Path("bench/results/ingest.json"))
    args = parser.parse_args()

    papers = load_paths([BUNDLED_CORPUS], 10**12).papers
    texts = [embedding_text(p) for p in papers]
    n = len(texts)
    emb = MiniLMEmbeddings()  # defaults: batch 16, 2 threads, same as Settings
    emb.embed(["warm up: load the weights and tokenizer"])

    raw_runs, pipeline_runs = [], []
    for i in range(args.repeat):  # alternate, so drift (heat, other load) hits both alike
        raw_runs.append(timed(lambda: emb.embed(texts))[0])
        pipeline_runs.append(pipeline_run(emb, n))
        run = pipeline_runs[-1]
        print(
            f"run {i + 1}/{args.repeat}: raw embed {raw_runs[-1]:.2f} s, ingest "
            f"{run['pipeline_s']:.2f} s, re-ingest {run['reingest_s']:.2f} s "
            f"(CLI {run['reingest_cli_s']:.2f} s); this pair's overhead "
            f"{run['pipeline_s'] / raw_runs[-1] - 1:+.1%}",
            flush=True,
        )

    raw_s = statistics.median(raw_runs)
    median = {k: statistics.median(r[k] for r in pipeline_runs) for k in pipeline_runs[0]}
    overhead = median["pipeline_s"] / raw_s - 1
    rows = [
        ("raw embedding", f"{n / raw_s:.1f} papers/s ({raw_s:.2f} s)", "-", None),
        ("full ingest", f"{n / median['pipeline_s']:.1f} papers/s ({median['pipeline_s']:.2f} s)",
         "-", None),
        ("pipeline overhead", f"{overhead:+.1%}", f"<= {MAX_OVERHEAD:.0%}",
         overhead <= MAX_OVERHEAD),
        ("re-ingest, in process", f"{median['reingest_s']:.2f} s", f"< {MAX_REINGEST_S:g} s",
         median["reingest_s"] < MAX_REINGEST_S),
        ("re-ingest, assistant CLI", f"{median['reingest_cli_s']:.2f} s",
         f"< {MAX_REINGEST_S:g} s", median["reingest_cli_s"] < MAX_REINGEST_S),
    ]  # fmt: skip

    machine = {"cpu_count": os.cpu_count(), "platform": platform.platform(),
               "python": platform.python_version()}  # fmt: skip
    print(f"\n{n} papers, median of {args.repeat} run(s); {machine}\n")
    print(f"{'metric':<26}{'value':<30}{'target':<10}result")
    for name, value, target, passed in rows:
        verdict = "" if passed is None else "PASS" if passed else "FAIL"
        print(f"{name:<26}{value:<30}{target:<10}{verdict}")
    for name, value, target, passed in rows:
        if passed is False:
            print(f"FAIL: {name} is {value}, target {target}")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "papers": n,
        "repeat": args.repeat,
        "machine": machine,
        "raw_embed_s": raw_s,
        "raw_papers_per_s": n / raw_s,
        **median,
        "pipeline_papers_per_s": n / median["pipeline_s"],
        "overhead": overhead,
        "targets": {"max_overhead": MAX_OVERHEAD, "max_reingest_s": MAX_REINGEST_S},
        "passed": {name: passed for name, _, _, passed in rows if passed is not None},
        "runs": {
            "raw_embed_s": raw_runs,
            "pipeline": pipeline_runs,
            "overhead_per_pair": [
                p["pipeline_s"] / raw - 1 for p, raw in zip(pipeline_runs, raw_runs, strict=True)
            ],
        },
    }
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
