"""Fit the offline answer's decisions on the tune halves; write assistant/answer/fitted.json.

    uv run python evals/fit.py [--data-dir DIR]   # DIR: an index of the bundled corpus

For every case of the tune sets (dev.jsonl and every *-tune.jsonl; never a *-heldout
half) it makes the question standalone as the offline chain does and searches it. Then:

    refusal       a logistic regression (scikit-learn, features standardised, classes
                  balanced, L2 strength C) of P(the papers cannot answer) on the evidence
                  signals (assistant/answer/refusal.py). C and the threshold are chosen on
                  out-of-fold probabilities of 5-fold cross-validation: the threshold is the
                  lowest that refuses at most MAX_WRONGLY_REFUSED of each set's answerable
                  questions (the target), C the one that then refuses the most of the
                  questions the papers cannot answer. The model is fitted on every case.
    list_margin,  a "which papers" or overview answer lists the papers whose fused score is
    list_support  within list_margin of the best one's and whose title or best abstract
                  sentence holds at least list_support of the topic's content words: the
                  pair with the best mean F1 of listed against expected papers.
    close_margin  a single-paper answer names the best two or three papers as the closest
                  matches when their fused scores are within this of the best one's: the
                  margin with the best mean F1 of cited against expected papers.

The margins are picked from a grid, and kept only when picking one beats the decision it
replaces under 5-fold cross-validation (both F1s are printed), so a margin is judged on
cases it was not picked on.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from assistant.answer.conversation import standalone_question
from assistant.answer.extractive import CLOSE_AT_MOST, support
from assistant.answer.refusal import gather_evidence
from assistant.api import Assistant
from assistant.evaluation.dataset import load_dataset
from assistant.search.intent import Intent
from assistant.settings import Settings
from ingest.records import normalise_title

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "evals" / "datasets"
FITTED = ROOT / "assistant" / "answer" / "fitted.json"
MAX_WRONGLY_REFUSED = 0.05  # the target: answerable questions refused
FOLDS = 5
SEED = 20261129
STRENGTHS = (1.0, 0.3, 0.1, 0.03)  # C: the inverse strength of the L2 penalty
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3)
SUPPORTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)  # shares of the topic's words


def tune_sets() -> list[Path]:
    return [p for p in sorted(DATASETS.glob("*.jsonl")) if not p.stem.endswith("heldout")]


def collect(assistant: Assistant, paths: list[Path]) -> dict:
    """Per case: the refusal signals and label, and the ranking's fused scores with
    whether each paper is expected, by what the answer does with them."""
    found: dict = {"names": [], "x": [], "y": [], "sets": [], "lists": [], "singles": []}
    for path in paths:
        for case in load_dataset(path):
            history = [{"role": t.role, "content": t.content} for t in case.history]
            hits = assistant.search(standalone_question(case.question, history))
            question = hits.question
            if question.topic_free or question.named or not hits:
                continue
            features = gather_evidence(hits, assistant.retriever.local).features()
            found["names"] = list(features)
            found["x"].append(list(features.values()))
            found["y"].append(not case.answerable)
            found["sets"].append(path.stem)
            if not case.answerable:
                continue
            expected = {normalise_title(t) for t in case.expected_titles}
            ranked = [(h.score, normalise_title(h.paper.title) in expected) for h in hits]
            if question.wants_all:
                backed = [support(question.query, h) for h in hits]
                listed = [(s, b, hit) for (s, hit), b in zip(ranked, backed, strict=True)]
                found["lists"].append((listed, len(expected)))
            elif question.intent is Intent.DETAIL:
                found["singles"].append((ranked, len(expected)))
    return found


def f1(chosen: list[bool], expected: int) -> float:
    right = sum(chosen)
    return 2 * right / (len(chosen) + expected) if chosen else 0.0


def list_f1(cases: list, rule: tuple[float, float]) -> float:
    margin, least = rule
    scores = []
    for listed, expected in cases:
        best = max(score for score, _, _ in listed)
        within = [(backed, hit) for score, backed, hit in listed if score >= best - margin]
        kept = [hit for backed, hit in within if backed >= least] or [within[0][1]]
        scores.append(f1(kept, expected))
    return float(np.mean(scores))


def close_f1(cases: list, rule: tuple[float]) -> float:
    (margin,) = rule
    scores = []
    for ranked, expected in cases:
        best = ranked[0][0]
        named = [hit for score, hit in ranked[:CLOSE_AT_MOST] if score >= best - margin]
        scores.append(f1(named if len(named) > 1 else [ranked[0][1]], expected))
    return float(np.mean(scores))


def fit_rule(name: str, cases: list, score, grid: list[tuple], before: tuple) -> tuple:
    """The grid's best rule on all cases, if picking it beats the decision before under
    cross-validation; else the rule that keeps the decision before."""
    held, kept = [], []
    for train, test in KFold(FOLDS, shuffle=True, random_state=SEED).split(cases):
        picked = max(grid, key=lambda rule: score([cases[i] for i in train], rule))
        held.append(score([cases[i] for i in test], picked))
        kept.append(score([cases[i] for i in test], before))
    better = np.mean(held) > np.mean(kept)
    final = max(grid, key=lambda rule: score(cases, rule)) if better else before
    print(f"{name}: {len(cases)} tune cases; cross-validated F1 {np.mean(held):.3f} against "
          f"{np.mean(kept):.3f} for the decision before; chosen {final}")  # fmt: skip
    return final


def fit_logistic(x: np.ndarray, y: np.ndarray, strength: float) -> tuple[np.ndarray, float]:
    """Weights and bias on the raw features (the standardisation folded in)."""
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(class_weight="balanced", C=strength)
    model.fit(scaler.transform(x), y)
    weights = model.coef_[0] / scaler.scale_
    return weights, float(model.intercept_[0] - weights @ scaler.mean_)


def probabilities(weights: np.ndarray, bias: float, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ weights + bias)))


def out_of_fold(x: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    found = np.zeros(len(y))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, y):
        weights, bias = fit_logistic(x[train], y[train], strength)
        found[test] = probabilities(weights, bias, x[test])
    return found


def rates(scores: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """(precision, recall of refusals, share of answerable questions refused)."""
    refused = scores >= threshold
    right = (refused & y).sum()
    precision = right / refused.sum() if refused.any() else 1.0
    return precision, right / y.sum(), (refused & ~y).sum() / (~y).sum()


def operating_point(scores: np.ndarray, y: np.ndarray, sets: np.ndarray) -> float:
    """The lowest threshold that refuses at most MAX_WRONGLY_REFUSED of the answerable
    questions of every set (the easy dev set must not hide the people set's refusals)."""
    allowed = (
        t
        for t in sorted({*np.round(scores, 4), 1.0})
        if all(
            rates(scores[sets == s], y[sets == s], t)[2] <= MAX_WRONGLY_REFUSED for s in set(sets)
        )
    )
    return float(min(allowed))


def fit_refusal(names: list[str], x: np.ndarray, y: np.ndarray, sets: np.ndarray) -> dict:
    print(f"refusal: {len(y)} tune cases, {y.sum()} of them ones the papers cannot answer")
    recall = {}
    for strength in STRENGTHS:
        held = out_of_fold(x, y, strength)
        recall[strength] = rates(held, y, operating_point(held, y, sets))[1]
        print(f"  C={strength}: out-of-fold recall {recall[strength]:.3f} at the target")
    strength = max(STRENGTHS, key=lambda s: (recall[s], -s))  # ties: the stronger penalty
    held = out_of_fold(x, y, strength)
    threshold = operating_point(held, y, sets)
    print(f"  C={strength}; out-of-fold precision / recall / answerable refused, by threshold:")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, threshold):
        mark = "  <- chosen" if t == threshold else ""
        print(f"    {t:.4f}: " + " / ".join(f"{v:.3f}" for v in rates(held, y, t)) + mark)
    weights, bias = fit_logistic(x, y, strength)
    return {
        "weights": {name: round(float(w), 6) for name, w in zip(names, weights, strict=True)},
        "bias": round(bias, 6),
        "threshold": round(threshold, 4),
        "C": strength,
        "cases": len(y),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index of the bundled corpus")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="fit-"))
    assistant = Assistant(Settings(data_dir=data_dir, llm="offline"))
    if args.data_dir is None:
        assistant.ingest()
    paths = tune_sets()
    print(f"tune sets: {', '.join(p.name for p in paths)}\n")
    found = collect(assistant, paths)
    x, y, sets = np.array(found["x"]), np.array(found["y"]), np.array(found["sets"])
    fitted = {
        "version": 2,
        "fitted_by": "evals/fit.py",
        "fitted_on": [p.name for p in paths],
        "date": date.today().isoformat(),
        "refusal": fit_refusal(found["names"], x, y, sets),
    }
    lists = [(margin, least) for margin in MARGINS for least in SUPPORTS]
    margin, least = fit_rule(
        "list_margin, list_support", found["lists"], list_f1, lists, (1.0, 0.0)
    )
    (close,) = fit_rule("close_margin", found["singles"], close_f1, [(m,) for m in MARGINS], (0.0,))
    fitted |= {"list_margin": margin, "list_support": least, "close_margin": close}
    FITTED.write_text(json.dumps(fitted, indent=2) + "\n")
    print(f"\nwrote {FITTED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
