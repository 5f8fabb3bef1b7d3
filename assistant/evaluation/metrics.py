"""Eval metrics as pure functions: lists of titles and answers in, numbers out.

No I/O and no model calls, so each metric can be tested on hand-made cases whose answers are
worked out by hand. Titles are compared through `normalise_title`, the key the index and the
dataset loader match on, so case and punctuation never turn a hit into a miss. A metric that
is undefined for a case (nothing expected, nothing cited) is None, and averages skip it rather
than count it as 0 or 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.answer.citations import find_citations
from ingest.records import normalise_title


def recall_at_k(ranked: Sequence[str], expected: Sequence[str], k: int) -> float | None:
    """Share of the expected papers among the first k retrieved: did retrieval find them?"""
    wanted = _keys(expected)
    if not wanted:
        return None
    return len(wanted & _keys(ranked[: _check_k(k)])) / len(wanted)


def reciprocal_rank(ranked: Sequence[str], expected: Sequence[str]) -> float | None:
    """1/rank of the first expected paper: how far down the first useful hit sits."""
    wanted = _keys(expected)
    if not wanted:
        return None
    rank = next((n for n, title in enumerate(ranked, 1) if normalise_title(title) in wanted), None)
    return 0.0 if rank is None else 1 / rank


def ndcg_at_k(ranked: Sequence[str], expected: Sequence[str], k: int = 10) -> float | None:
    """Binary-relevance nDCG: rewards expected papers near the top, not just anywhere in k.
    A repeated title still takes its place in the ranking but gains nothing the second time."""
    wanted = _keys(expected)
    if not wanted:
        return None
    seen: set[str] = set()
    gain = 0.0
    for position, title in enumerate(ranked[: _check_k(k)], 1):
        key = normalise_title(title)
        if key in wanted and key not in seen:
            gain += 1 / math.log2(position + 1)
        seen.add(key)
    ideal = sum(1 / math.log2(position + 1) for position in range(1, min(len(wanted), k) + 1))
    return gain / ideal


def citation_recall(cited: Sequence[str], expected: Sequence[str]) -> float | None:
    """Share of the expected papers the answer cited: did it ground itself in the right ones?"""
    wanted = _keys(expected)
    if not wanted:
        return None
    return len(wanted & _keys(cited)) / len(wanted)


def citation_precision(cited: Sequence[str], expected: Sequence[str]) -> float | None:
    """Share of the distinct cited papers that were expected: did it cite anything off-topic?"""
    given = _keys(cited)
    if not given:
        return None
    return len(given & _keys(expected)) / len(given)


def mentions_all(answer: str, must_mention: Sequence[str]) -> bool | None:
    """Whether the answer states every required fact. Case, spacing and LaTeX escapes are
    ignored, because the answer may quote an abstract's `93.2\\%` as `93.2%` or wrap lines."""
    if not must_mention:
        return None
    text = _plain(answer)
    return all(_plain(phrase) in text for phrase in must_mention)


def citations_outside(shown: Iterable[str], size: int) -> int:
    """Citations, in any spelling, that point outside a context of `size` papers in what
    was shown (the streamed text and the answer, each counted once): the check removes
    them, so anything above 0 is a citation it let through."""
    return sum(mark.outside(size) for text in set(shown) for mark in find_citations(text))


def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | int | None]:
    """Precision and recall of refusing, from (should_refuse, did_refuse) per case: refusing
    everything and refusing nothing must both score badly. None where a ratio has no cases."""
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for should, did in pairs:  # true/false by agreement, positive/negative by what it did
        counts[("t" if should == did else "f") + ("p" if did else "n")] += 1
    refused, should_refuse = counts["tp"] + counts["fp"], counts["tp"] + counts["fn"]
    return {
        "precision": counts["tp"] / refused if refused else None,
        "recall": counts["tp"] / should_refuse if should_refuse else None,
        **counts,
    }


def refusal_curve(
    scored: Sequence[tuple[bool, float]], thresholds: Sequence[float]
) -> dict[str, list]:
    """Refusal precision and recall had the decision refused at each threshold, from
    (should_refuse, score) per case: the trade-off a threshold chooses between."""
    points = [refusal_scores((should, score >= t) for should, score in scored) for t in thresholds]
    return {
        "threshold": list(thresholds),
        "precision": [point["precision"] for point in points],
        "recall": [point["recall"] for point in points],
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) of latencies, for p50/p95: numpy's default "linear" method
    (interpolating between the two nearest ranks). None when no case was timed."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be between 0 and 100, got {q}")
    if not values:
        return None
    return float(np.percentile(values, q))


def mean(values: Iterable[float | None]) -> float | None:
    """Average of the defined values: a None (undefined for that case) is left out, not 0."""
    kept = [value for value in values if value is not None]
    return sum(kept) / len(kept) if kept else None


def summarise(rows: Sequence[dict], keys: Sequence[str], groups: Sequence[str] = ("type",)) -> dict:
    """Per-case metric rows averaged overall and per value of each grouping key ('type':
    `by_type`), with case counts, so a report shows which kind of question fails. Booleans
    average as 0/1; None (or a missing key) is left out of that metric's average; a row
    without a grouping key's value is in no group of it."""

    def averages(group: Sequence[dict]) -> dict:
        return {key: mean(row.get(key) for row in group) for key in keys} | {"cases": len(group)}

    summary = {"overall": averages(rows)}
    for name in groups:
        values = sorted({row[name] for row in rows if row.get(name) is not None}, key=_natural)
        summary[f"by_{name}"] = {
            value: averages([row for row in rows if row.get(name) == value]) for value in values
        }
    return summary


def _natural(value: str) -> tuple[float, str]:
    """'2-10' before '11+': values that start with a number sort by it."""
    number = re.match(r"\d+", value)
    return (int(number.group()) if number else math.inf, value)


def _keys(titles: Iterable[str]) -> set[str]:
    return {normalise_title(title) for title in titles}


def _check_k(k: int) -> int:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return k


def _plain(text: str) -> str:
    """Casefolded, LaTeX escapes such as `\\%` unescaped, whitespace runs made one space."""
    text = re.sub(r"\\([^A-Za-z\s])", r"\1", text.casefold())
    return " ".join(text.split())
