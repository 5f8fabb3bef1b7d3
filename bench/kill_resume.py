"""What a kill -9 at 90% of a big ingest costs: how many embedded papers the rerun keeps.

An ingest of 3,000 papers (cheap fake embeddings, 1 ms a paper, so it takes seconds) is
killed with SIGKILL once 90% are embedded, then run again to the end. The rerun's
embedding count says how much work the kill lost. `--code DIR` measures another checkout
(for example the code before batch commits: `git archive <rev> | tar -x -C DIR`), with
this environment's packages.

    uv run python bench/kill_resume.py [--papers 3000] [--at 0.9] [--code DIR]

It always exits 0: a benchmark reports, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

INGEST = """
import sys, time
from pathlib import Path
from langchain_core.embeddings import DeterministicFakeEmbedding
from assistant import Assistant
from assistant.settings import Settings

class Fake(DeterministicFakeEmbedding):
    def embed_documents(self, texts):
        time.sleep(0.001 * len(texts))
        return super().embed_documents(texts)

assistant = Assistant(Settings(data_dir=Path(sys.argv[1])), embeddings=Fake(size=384))
told = lambda done, total: print("embedded", done, flush=True)
report = assistant.ingest([sys.argv[2]], progress=told)
print(report.summary(), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=3000)
    parser.add_argument("--at", type=float, default=0.9, help="share embedded when killed")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    papers = folder / "papers.jsonl"
    with papers.open("w") as out:
        for n in range(args.papers):
            abstract = f"We study the calibration of model {n} and its error."
            out.write(json.dumps({"title": f"A paper numbered {n}", "abstract": abstract}) + "\n")
    command = [sys.executable, "-c", INGEST, str(folder / "data"), str(papers)]
    env = os.environ | {"PYTHONPATH": str(args.code)}
    run = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=args.code)
    killed_at = 0
    for line in run.stdout:
        if line.startswith("embedded") and int(line.split()[1]) >= args.at * args.papers:
            killed_at = int(line.split()[1])
            run.send_signal(signal.SIGKILL)
            break
    run.wait()
    rerun = subprocess.run(command, capture_output=True, text=True, env=env, cwd=args.code)
    counts = [int(n) for n in re.findall(r"^embedded (\d+)", rerun.stdout, re.M)]
    kept = args.papers - max(counts, default=0)
    print(f"code: {args.code}")
    print(f"killed with {killed_at:,} of {args.papers:,} papers embedded")
    print(f"the rerun kept {kept:,} and embedded {args.papers - kept:,} again")
    print(f"embedded papers lost to the kill: {killed_at - kept:,}")
    print(rerun.stdout.strip().splitlines()[-1] if rerun.stdout.strip() else rerun.stderr)


if __name__ == "__main__":
    main()
