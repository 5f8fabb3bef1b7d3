"""How to fuse the dense and BM25 legs: every candidate rule on every set, and the choice
made by cross-validation on the tune cases alone.

For every answerable case of every set (follow-ups made standalone as the offline chain
does; questions answered by filters alone, or naming papers by their title, which come
first whatever the fusion, have nothing to fuse) it scores each leg once, takes each
leg's top 50 as the candidates, and ranks them by each rule:

    dense, bm25         one leg alone (the baselines)
    best w              w * cosine + (1 - w) * BM25 / the question's best BM25
    coverage w          w * cosine + (1 - w) * BM25 / the BM25 of a paper holding every
                        question term at its best weight: how much of the question's term
                        mass the paper matches, so a long question that no paper matches
                        well gets little from its best lexical match
    coverage^2 w        the same share, squared
    matched w           coverage w, its lexical part scaled again by how much of the
                        question the best lexical match covers: a question whose words
                        no paper shares well leans on meaning alone
    minmax w            w and 1 - w of both legs min-max scaled over the candidates
    rrf k               the sum of 1 / (k + rank) over the legs

It prints recall@5 per set and type, then picks the rule and parameter by 5-fold
cross-validation over the tune cases (dev.jsonl and the *-tune halves): each fold is
scored by the rule that wins on the other four, first by whether every (set, type) group
stays within MAX_LOSS of the better single leg (the target), then by the macro average
of recall@5 over the groups. Held-out halves are printed, never used to choose.

    uv run python bench/fusion.py [--data-dir DIR]

Without --data-dir it ingests the bundled corpus into a temporary folder (~30 s).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answer.conversation import standalone_question
from assistant.api import Assistant
from assistant.evaluation.dataset import load_dataset
from assistant.evaluation.metrics import mean, recall_at_k
from assistant.search.question import read_question
from assistant.settings import Settings

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
DEPTH = 50
FOLDS = 5
MAX_LOSS = 0.02  # the target: hybrid never this much below the better leg on a group


@dataclass(frozen=True)
class Legs:
    """One case's candidates and both legs' scores for them."""

    set_name: str
    case_type: str
    case_id: str
    expected: tuple[str, ...]
    titles: list[str]  # of the candidates
    cosine: np.ndarray
    bm25: np.ndarray  # raw BM25 (0 where the paper matches no term)
    best_possible: float  # BM25 of a paper holding every question term at its best weight


Rule = Callable[[Legs], np.ndarray]  # scores of the candidates, higher first


def _minmax(values: np.ndarray) -> np.ndarray:
    spread = values.max() - values.min()
    return (values - values.min()) / spread if spread > 0 else np.zeros_like(values)


RULES: dict[str, Rule] = {
    "dense": lambda legs: legs.cosine,
    "bm25": lambda legs: legs.bm25 + 1e-6 * legs.cosine,  # ties (no match): by meaning
}
for w in (0.5, 0.6, 0.7, 0.8, 0.9):
    RULES[f"best w={w}"] = lambda legs, w=w: (
        w * legs.cosine + (1 - w) * legs.bm25 / max(legs.bm25.max(), 1e-9)
    )
    RULES[f"coverage w={w}"] = lambda legs, w=w: (
        w * legs.cosine + (1 - w) * legs.bm25 / max(legs.best_possible, 1e-9)
    )
    RULES[f"coverage^2 w={w}"] = lambda legs, w=w: (
        w * legs.cosine + (1 - w) * (legs.bm25 / max(legs.best_possible, 1e-9)) ** 2
    )
    RULES[f"matched w={w}"] = lambda legs, w=w: (
        w * legs.cosine + (1 - w) * legs.bm25 * legs.bm25.max() / max(legs.best_possible, 1e-9) ** 2
    )
    RULES[f"minmax w={w}"] = lambda legs, w=w: (
        w * _minmax(legs.cosine) + (1 - w) * _minmax(legs.bm25)
    )
for k in (5, 20, 60):
    RULES[f"rrf k={k}"] = lambda legs, k=k: sum(
        1 / (k + np.argsort(np.argsort(-scores)) + 1) for scores in (legs.cosine, legs.bm25)
    )


def collect(assistant: Assistant, set_name: str, path: Path) -> list[Legs]:
    retriever = assistant.retriever
    local, catalog = retriever.local, retriever.catalog
    found = []
    for case in load_dataset(path):
        if not case.answerable:
            continue
        history = [{"role": t.role, "content": t.content} for t in case.history]
        question = read_question(standalone_question(case.question, history), catalog)
        if question.topic_free or question.named:  # answered by filters, or by titles first
            continue
        vector = np.asarray(retriever.embed_query(question.query), dtype=np.float32)
        cosine = local.vectors @ vector
        lexical = local.bm25.match(question.query)  # the product's own BM25 reading
        bm25 = lexical.scores
        allowed = question.filters.mask(catalog) if question.filters else np.ones(len(cosine), bool)
        dense_top = np.argsort(-np.where(allowed, cosine, -np.inf))[:DEPTH]
        bm25_top = np.argsort(-np.where(allowed, bm25, -np.inf))[:DEPTH]
        rows = np.array(sorted(set(dense_top) | {r for r in bm25_top if bm25[r] > 0}))
        found.append(
            Legs(set_name, case.type, case.id, case.expected_titles,
                 [catalog.titles[r] for r in rows], cosine[rows], bm25[rows],
                 lexical.best_possible)
        )  # fmt: skip
    return found


def recall5(rule: Rule, legs: Legs) -> float:
    order = np.argsort(-rule(legs), kind="stable")
    return recall_at_k([legs.titles[i] for i in order[:5]], legs.expected, 5)


def macro(table: dict[tuple[str, str], list[float]]) -> float:
    return mean(mean(values) for values in table.values())


def objective(name: str, cases: list[Legs]) -> tuple[bool, float]:
    """What a rule is chosen by: first that no (set, type) group loses more than MAX_LOSS
    recall@5 to the better single leg (the target), then the macro average of recall@5."""
    table = grouped(RULES[name], cases)
    legs = [grouped(RULES[leg], cases) for leg in ("dense", "bm25")]
    worst = min(mean(table[g]) - max(mean(leg[g]) for leg in legs) for g in table)
    return worst >= -MAX_LOSS, macro(table)


def grouped(rule: Rule, cases: list[Legs]) -> dict[tuple[str, str], list[float]]:
    table: dict[tuple[str, str], list[float]] = defaultdict(list)
    for legs in cases:
        table[(legs.set_name, legs.case_type)].append(recall5(rule, legs))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index of the bundled corpus")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-fusion-"))
    assistant = Assistant(Settings(data_dir=data_dir))
    if args.data_dir is None:
        assistant.ingest()
    sets = {path.stem: path for path in sorted(DATASETS.glob("*.jsonl"))}
    cases = {name: collect(assistant, name, path) for name, path in sets.items()}
    tune = [legs for name, found in cases.items() if not name.endswith("heldout")
            for legs in found]  # fmt: skip

    groups = sorted({(legs.set_name, legs.case_type) for found in cases.values() for legs in found})
    every_case = [legs for found in cases.values() for legs in found]
    tables = {name: grouped(rule, every_case) for name, rule in RULES.items()}
    for set_name in sets:  # a markdown table a set: rules down, types across
        types = [t for s, t in groups if s == set_name]
        counts = [len(tables["dense"][(set_name, t)]) for t in types]
        print(f"\nrecall@5, {set_name} (cases per type in brackets)\n")
        header = " | ".join(f"{t} ({n})" for t, n in zip(types, counts, strict=True))
        print(f"| rule | {header} |")
        print("|---|" + "---|" * len(types))
        for name, table in tables.items():
            cells = " | ".join(f"{mean(table[(set_name, t)]):.2f}" for t in types)
            print(f"| {name} | {cells} |")

    by_fold: list[list[Legs]] = [[] for _ in range(FOLDS)]
    for n, legs in enumerate(sorted(tune, key=lambda legs: (legs.set_name, legs.case_id))):
        by_fold[n % FOLDS].append(legs)
    print(f"\n{FOLDS}-fold cross-validation over {len(tune)} tune cases (macro recall@5):")
    held_scores = []
    for fold in range(FOLDS):
        rest = [legs for f, part in enumerate(by_fold) if f != fold for legs in part]
        chosen = max(RULES, key=lambda name: objective(name, rest))
        held = macro(grouped(RULES[chosen], by_fold[fold]))
        held_scores.append(held)
        print(f"  fold {fold + 1}: chose {chosen:<16} scores {held:.3f} on the fold")
    print(f"  cross-validated macro recall@5 of the procedure: {mean(held_scores):.3f}")
    for name in ("dense", "bm25"):
        alone = mean(macro(grouped(RULES[name], part)) for part in by_fold)
        print(f"  {name} alone, same folds: {alone:.3f}")
    final = max(RULES, key=lambda name: objective(name, tune))
    print(f"\nchosen on all tune cases: {final}")
    worst = []
    for group in groups:
        legs_best = max(mean(tables["dense"][group]), mean(tables["bm25"][group]))
        worst.append((mean(tables[final][group]) - legs_best, group))
    gap, group = min(worst)
    print(f"its worst gap to the better single leg: {gap:+.3f} on {group[0]}/{group[1]}")


if __name__ == "__main__":
    main()
