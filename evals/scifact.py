"""SciFact as tune data: the 2,101 abstracts indexed, its claims written as eval cases.

    uv run python evals/scifact.py --data-dir DIR [--out OUTDIR]
    ASSISTANT_DATA_DIR=DIR uv run assistant eval --llm offline --dataset OUTDIR/scifact-tune.jsonl

Our own sets are questions people ask of the bundled ML papers. SciFact's claims were written
by experts in another field (biomedicine) against abstracts that hold or lack their
evidence, so the answerer can be tuned and checked on words nobody here chose: does it cite
the abstract that holds the evidence, and does it refuse a near miss whose evidence is not
indexed? The data is `../shared/external/scifact/` (see its README): CC BY-NC, so it is read
from there and the cases are written outside the repository, never into it.

This ingests papers.jsonl into DIR (incremental: a second run embeds nothing) and writes
OUTDIR/scifact-tune.jsonl (OUTDIR defaults to DIR/evals) in the eval dataset format:
type "claim" for the 188 answerable claims, expected_titles the abstracts with their
evidence; type "near_miss" for the 150 whose evidence is not among the 2,101, answerable
false. Each case's question is the claim asked as "Is it true that ...?"; its `grounding`
says what a right answer is ("full": cites the evidence, "none": refuses), and its `claim`
keeps the words as written. Retrieval alone, on the claims as queries, is
`assistant eval --beir` on a BEIR export of the same files.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable
from pathlib import Path

from assistant.cli import app

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = ROOT.parent / "shared" / "external" / "scifact"
DATASET = "scifact-tune.jsonl"
# The two sets of claims, and what each case is: type, whether the papers answer it, and
# what grounding a right answer has.
SETS = (("tune-answerable.jsonl", "claim", True), ("tune-nearmiss.jsonl", "near_miss", False))


def title(doc_id: str) -> str:
    """The title papers.jsonl gives the abstract with this SciFact doc_id."""
    return f"SciFact abstract {doc_id}"


def case(claim: dict, kind: str, answerable: bool) -> dict:
    """One SciFact claim as an eval case (extra keys are metadata the report shows)."""
    return {
        "id": f"scifact-{kind}-{claim['id']}",
        "type": kind,
        "question": claim["question"],
        "history": [],
        "expected_titles": [title(doc) for doc in claim["relevant"]] if answerable else [],
        "must_mention": [],
        "answerable": answerable,
        "grounding": "full" if answerable else "none",
        "claim": claim["claim"],
    }


def cases(folder: Path = SCIFACT) -> Iterable[dict]:
    """Every case, answerable claims first, in the files' order."""
    for name, kind, answerable in SETS:
        with (folder / name).open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield case(json.loads(line), kind, answerable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="the index to build or reuse")
    parser.add_argument("--out", type=Path, help="where scifact-tune.jsonl goes (DIR/evals)")
    parser.add_argument("--scifact", type=Path, default=SCIFACT, help="the SciFact folder")
    args = parser.parse_args()
    if not (args.scifact / "papers.jsonl").is_file():
        parser.error(f"{args.scifact}: no papers.jsonl - point --scifact at the SciFact folder")

    # `assistant ingest` itself, with its progress bar and report, into DIR
    os.environ["ASSISTANT_DATA_DIR"] = str(args.data_dir)
    ingest = ["ingest", str(args.scifact / "papers.jsonl")]
    if app(ingest, prog_name="assistant", standalone_mode=False):
        raise SystemExit(1)
    out = args.out or args.data_dir / "evals"
    out.mkdir(parents=True, exist_ok=True)
    written = list(cases(args.scifact))
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in written)
    (out / DATASET).write_text(lines, encoding="utf-8")
    kinds = {kind: sum(item["type"] == kind for item in written) for _, kind, _ in SETS}
    print(f"Wrote {out / DATASET}: {kinds['claim']} claims, {kinds['near_miss']} near misses.")
    print("Run the eval with:")
    print(
        f"ASSISTANT_DATA_DIR={args.data_dir} uv run assistant eval --llm offline "
        f"--dataset {out / DATASET}"
    )


if __name__ == "__main__":
    main()
