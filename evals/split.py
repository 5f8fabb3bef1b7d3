"""Split an eval dataset into a tune half and a held-out half, once, before any tuning.

    uv run python evals/split.py evals/datasets/people.jsonl
    # -> evals/datasets/people-tune.jsonl and evals/datasets/people-heldout.jsonl

Within each question type the cases are shuffled with a fixed seed and dealt to the two
halves in turn, so both halves hold every type in (nearly) equal numbers and the split
can be made again exactly. The held-out halves are scored and reported, but never used
to choose a weight, a threshold or a word list: once they have been, they are dev sets.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

SEED = 20261129


def split(lines: list[str], seed: int = SEED) -> tuple[list[str], list[str]]:
    """(tune, held-out) lines, each in the order of the original file."""
    by_type: dict[str, list[int]] = defaultdict(list)
    for number, line in enumerate(lines):
        by_type[json.loads(line)["type"]].append(number)
    rng = random.Random(seed)
    tune: set[int] = set()
    for case_type in sorted(by_type):
        numbers = by_type[case_type]
        rng.shuffle(numbers)
        tune.update(numbers[::2])
    kept = range(len(lines))
    return [lines[n] for n in kept if n in tune], [lines[n] for n in kept if n not in tune]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    path = parser.parse_args().dataset
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for half, chosen in zip(("tune", "heldout"), split(lines), strict=True):
        out = path.with_name(f"{path.stem}-{half}.jsonl")
        out.write_text("".join(line + "\n" for line in chosen), encoding="utf-8")
        print(f"{out}: {len(chosen)} cases")


if __name__ == "__main__":
    main()
