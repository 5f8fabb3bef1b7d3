"""The regression gate: `--fail-under METRIC=VALUE` and the thresholds file CI uses.

METRIC is a dotted path into the run's summary: `overall.retrieval_recall@5`,
`by_type.topic.citation_recall`, `refusal.recall`, `retrieval.bm25.overall.mrr`. A run fails
when a metric is under its threshold, except for counts of what must not happen, the two
wrong gradings and latencies (`checks.*`, `grounding.not_answerable_given_full`,
`grounding.answerable_not_full`, `latency_ms.*`): there the value is a ceiling, and the
run fails when it goes over. The thresholds live in one file (evals/thresholds.toml), a table per
dataset (named by its file, without .jsonl), so CI and people gate on the same numbers.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from assistant.errors import ThresholdError
from assistant.evaluation.run import LLM_MODES

CEILINGS = (
    "checks.",
    "grounding.not_answerable_given_full",
    "grounding.answerable_not_full",
    "latency_ms.",
)
EXAMPLE = "e.g. overall.retrieval_recall@5=0.9"


def parse_limit(spec: str) -> tuple[str, float]:
    """'overall.mrr=0.9' -> ('overall.mrr', 0.9)."""
    name, sep, value = spec.partition("=")
    if not sep or not name.strip():
        raise ThresholdError(f"--fail-under {spec!r} is not METRIC=VALUE - write it as {EXAMPLE}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise ThresholdError(
            f"--fail-under {spec!r}: {value.strip()!r} is not a number - write it as {EXAMPLE}"
        ) from None


def load_limits(path: Path, llm: str, dataset: str) -> dict[str, float]:
    """The `[<dataset>.fail_under]` table of a thresholds file, plus its
    `[<dataset>.fail_under.<llm>]` table (answer metrics depend on who writes the answers;
    retrieval metrics do not)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThresholdError(f"{path}: no such file - check the --thresholds path") from None
    except tomllib.TOMLDecodeError as error:
        raise ThresholdError(f"{path}: not valid TOML ({error}) - fix the file") from None
    table = data.get(dataset, {}).get("fail_under")
    if not isinstance(table, dict):
        known = ", ".join(sorted(data)) or "none"
        raise ThresholdError(
            f"{path}: no [{dataset}.fail_under] table for the dataset {dataset!r} (sets with "
            f"thresholds: {known}) - list 'METRIC = VALUE' under one"
        )
    limits: dict[str, float] = {}
    for name, value in table.items():
        if not isinstance(value, dict):
            limits[name] = _number(value, path, name)
        elif name not in LLM_MODES:
            raise ThresholdError(
                f"{path}: [{dataset}.fail_under.{name}] names no --llm mode - use one of "
                f"{', '.join(LLM_MODES)}"
            )
        elif name == llm:
            limits |= {key: _number(item, path, key) for key, item in value.items()}
    return limits


def check(summary: dict, limits: dict[str, float]) -> list[str]:
    """Each metric on the wrong side of its threshold, as a sentence; empty when all pass."""
    values = flatten(summary)
    unknown = [name for name in limits if name not in values]
    if unknown:
        raise ThresholdError("\n".join(_unknown(name, values) for name in unknown))
    failures = []
    for name, limit in sorted(limits.items()):
        value = values[name]
        if value is None:
            failures.append(f"{name} is undefined (no case measures it); threshold {limit:g}")
        elif name.startswith(CEILINGS) and value > limit:
            failures.append(f"{name} = {value:g}, over the allowed {limit:g}")
        elif not name.startswith(CEILINGS) and value < limit:
            failures.append(f"{name} = {value:g}, under the threshold {limit:g}")
    return failures


def flatten(summary: dict, prefix: str = "") -> dict[str, float | None]:
    """{'overall.mrr': 0.98, ...}: every number of the summary by its dotted path."""
    values: dict[str, float | None] = {}
    for key, value in summary.items():
        if isinstance(value, dict):
            values |= flatten(value, f"{prefix}{key}.")
        elif value is None or isinstance(value, int | float):
            values[f"{prefix}{key}"] = value
    return values


def _number(value: object, path: Path, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ThresholdError(f"{path}: {name} = {value!r} is not a number - write e.g. 0.9")
    return float(value)


def _unknown(name: str, values: dict) -> str:
    close = difflib.get_close_matches(name, values, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "--json FILE lists every metric's name"
    return f"unknown metric {name!r} - {hint}"
