"""Scored cases in, the run's summary out: averages overall, per question type and per
how hard a question is for keyword lookup, each retrieval mode beside the configured one,
refusals, the grading (full, partial, none) against what each case expects and its
precision-recall curve, the checks and latency.

Pure: rows (dicts from run.py) in, a JSON-ready dict out, so the gate and the report read
one shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.fitted import logistic
from assistant.evaluation.metrics import (
    mean,
    percentile,
    recall_at_k,
    refusal_curve,
    refusal_scores,
    summarise,
)
from assistant.search.retrieval import Mode

K = 10  # retrieval is scored on the top 10, as the answer's context holds 10 papers
RETRIEVAL_KEYS = (
    "retrieval_recall@1",
    "retrieval_recall@5",
    "retrieval_recall@10",
    "mrr",
    "ndcg@10",
)
ANSWER_KEYS = ("citation_recall", "citation_precision", "must_mention", "refused", "graded_full")
GROUNDINGS = ("full", "partial", "none")
# Cases are also grouped by how hard they are for keyword lookup: the rank of the best-placed
# expected paper when the standalone question is searched by BM25 alone over every paper.
HARDNESS = ((1, "1"), (10, "2-10"))  # anything lower, or no shared term at all: "11+"
GROUPS = ("type", "bm25_rank", "type_bm25_rank")


def hardness(rank: int | None) -> str:
    """'1', '2-10' or '11+' (which takes a target that shares no term with the question)."""
    return next((label for top, label in HARDNESS if rank is not None and rank <= top), "11+")


def _groups(row: dict) -> dict:
    """What a row is grouped by in the summary: type, and for answerable cases how hard it
    is for keyword lookup, alone and within its type."""
    if not row["answerable"]:
        return {"type": row["type"]}
    level = hardness(row["bm25_rank"])
    return {"type": row["type"], "bm25_rank": level, "type_bm25_rank": f"{row['type']} {level}"}


def summary_of(rows: list[dict], modes: Sequence[Mode]) -> dict:
    scored = [_groups(row) | row["metrics"] for row in rows]
    latencies = [row["latency_ms"] for row in rows]
    retrieval = {mode: _retrieval_summary(rows, mode) for mode in modes}
    refusal = refusal_scores((not r["answerable"], r["refused"]) for r in rows)
    answered = refusal["tn"] + refusal["fp"]
    return {
        **_rounded(summarise(scored, RETRIEVAL_KEYS + ANSWER_KEYS, GROUPS)),
        "retrieval": retrieval,
        "retrieval_gap": _rounded(_gap_to_best_baseline(retrieval, modes)),
        "refusal": _rounded(refusal),
        "grounding": _rounded(grounding_summary(rows)),
        "grading_curve": _rounded(_grading_curve(rows)),
        "checks": {
            "citations_outside": sum(row["citations_outside"] for row in rows),
            "citations_dropped": sum(row["citations_dropped"] for row in rows),
            "citations_unsupported_dropped": sum(
                row["citations_unsupported_dropped"] for row in rows
            ),
            "unsupported_sentences": sum(len(row["unsupported"]) for row in rows),
            "llm_fallbacks": sum(row["notice"] is not None for row in rows),
            "errors": sum(row["error"] is not None for row in rows),
            "failing_cases": sum(bool(row["failures"]) for row in rows),
            "answerable_refused_rate": _rounded(refusal["fp"] / answered if answered else None),
        },
        "latency_ms": {
            "p50": _rounded(percentile(latencies, 50), 1),
            "p95": _rounded(percentile(latencies, 95), 1),
        },
    }


def _gap_to_best_baseline(retrieval: dict, modes: Sequence[Mode]) -> dict:
    """Per type, the configured mode's recall@5 minus the better of the other modes' (the
    baselines), and the worst of these: a fused ranking should never fall far below the
    better single leg."""
    configured, *baselines = modes
    by_type = {}
    for kind, scores in retrieval[configured]["by_type"].items():
        own = scores["retrieval_recall@5"]
        best = max(
            (retrieval[m]["by_type"][kind]["retrieval_recall@5"] for m in baselines),
            key=lambda value: -1.0 if value is None else value,
        )
        if own is not None and best is not None:
            by_type[kind] = own - best
    return {"worst": min(by_type.values(), default=None), "by_type": by_type}


def grounding_summary(rows: list[dict]) -> dict:
    """How the answers were graded against what each case expects: the two rates the
    targets name, and every (expected, graded) count."""
    expected_full = [r for r in rows if r["expected_grounding"] == "full"]
    others = [r for r in rows if r["expected_grounding"] != "full"]
    partial = [r for r in rows if r["expected_grounding"] == "partial"]
    return {
        "not_answerable_given_full": mean(r["grounding"] == "full" for r in others),
        "answerable_not_full": mean(r["grounding"] != "full" for r in expected_full),
        "partial_graded_partial": mean(r["grounding"] == "partial" for r in partial),
        "confusion": {
            want: {
                got: sum(r["expected_grounding"] == want and r["grounding"] == got for r in rows)
                for got in GROUNDINGS
            }
            for want in GROUNDINGS
        },
    }


def _grading_curve(rows: list[dict]) -> dict:
    """The grading decision's precision-recall curve for "below full" over these cases, and
    the threshold it runs at. A case the decision never scores (a filter listing, a named
    title) counts as a score of 0."""
    scored = [(r["expected_grounding"] != "full", r["grading_score"] or 0.0) for r in rows]
    thresholds = [round(0.05 * step, 2) for step in range(1, 20)]
    return refusal_curve(scored, thresholds) | {"operating_point": logistic("grading").threshold}


def _retrieval_summary(rows: list[dict], mode: Mode) -> dict:
    """One retrieval mode's metrics overall and per group, and its recall@k for k = 1..10."""
    scored = [_groups(row) | row["retrieval"][mode] for row in rows]
    curve = [
        mean(recall_at_k(row["retrieved"][mode], row["expected"], k) for row in rows)
        for k in range(1, K + 1)
    ]
    summary = summarise(scored, RETRIEVAL_KEYS, GROUPS)
    return _rounded(summary) | {"recall_at_k": _rounded(curve)}


def _rounded(value, places: int = 4):
    """Floats rounded for the report, inside dicts and lists too; everything else as is."""
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, dict):
        return {key: _rounded(item, places) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item, places) for item in value]
    return value
