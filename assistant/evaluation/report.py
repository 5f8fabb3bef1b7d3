"""The eval report: report.json for machines; report.md with tables, plots and every failing
case (expected vs retrieved vs cited vs the answer) so a person can see why it failed.

The summary tables are built once here and rendered both by the CLI (rich) and into the
markdown. matplotlib is imported only when plots are drawn, since most runs never do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.metrics import refusal_scores
from assistant.evaluation.run import EvalResult
from assistant.evaluation.summary import K
from ingest.records import normalise_title

EXCERPT = 400  # characters of a failing case's answer shown in the report
# Which table (by its place in `tables`) each plot follows in report.md.
PLOT_AFTER = {"recall_at_k": 0, "by_type": 1, "grading_pr": 4, "latency": 4}
SHOWN_RETRIEVED = 5
BAR_METRICS = {
    "retrieval_recall@5": "retrieval recall@5",
    "mrr": "MRR",
    "citation_recall": "citation recall",
    "citation_precision": "citation precision",
    "must_mention": "must-mention",
    "refused": "refused",
}


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def tables(result: EvalResult) -> list[Table]:
    """Retrieval per mode, metrics per question type and per how hard the question is for
    keyword lookup, and the refusal and safety checks."""
    summary = result.summary
    by_rank = _group_table(summary, "bm25_rank", "By the target's BM25 rank (11+: keyword "
                           "lookup misses it)", "BM25 rank")  # fmt: skip
    by_type_rank = _group_table(summary, "type_bm25_rank", "By type and BM25 rank", "type, rank")
    return [
        _retrieval_table(summary),
        _group_table(summary, "type", "By question type", "type"),
        by_rank,
        by_type_rank,
        _checks_table(result),
    ]


def _retrieval_table(summary: dict) -> Table:
    keys = ("retrieval_recall@1", "retrieval_recall@5", "retrieval_recall@10", "mrr", "ndcg@10")
    rows = [
        (_label(n, mode), *(_fmt(scores["overall"][key]) for key in keys))
        for n, (mode, scores) in enumerate(summary["retrieval"].items())
    ]
    header = ("mode", "recall@1", "recall@5", "recall@10", "MRR", "nDCG@10")
    return Table(f"Retrieval: the top {K} papers for each standalone question", header, rows)


def _group_table(summary: dict, group: str, title: str, label: str) -> Table:
    """Per value of a grouping key and overall; recall@5 for every retrieval mode, so the
    baselines sit beside."""
    modes = list(summary["retrieval"])  # the configured mode first
    keys = ("mrr", "citation_recall", "citation_precision", "must_mention", "refused")
    keys += ("graded_full",)
    rows = []
    for name, values in {**summary[f"by_{group}"], "overall": summary["overall"]}.items():
        scores = [summary["retrieval"][mode] for mode in modes]
        recalls = [
            (s["overall"] if name == "overall" else s[f"by_{group}"][name])["retrieval_recall@5"]
            for s in scores
        ]
        cells = [*recalls, *(values[key] for key in keys)]
        rows.append((name, str(values["cases"]), *map(_fmt, cells)))
    header = (label, "cases", *(f"R@5 {mode}" for mode in modes), "MRR", "cite recall",
              "cite prec", "mention", "refused", "full")  # fmt: skip
    return Table(title, header, rows)


def _checks_table(result: EvalResult) -> Table:
    summary = result.summary
    refusal, checks, latency = summary["refusal"], summary["checks"], summary["latency_ms"]
    grounding = summary["grounding"]
    confusion = grounding["confusion"]
    rows = [
        ("not fully answerable, given a full answer", _fmt(grounding["not_answerable_given_full"])),
        ("answerable, not given a full answer", _fmt(grounding["answerable_not_full"])),
        ("partly answerable, graded partial", _fmt(grounding["partial_graded_partial"])),
        *(
            (f"expected {want}: graded full / partial / none",
             " / ".join(str(confusion[want][got]) for got in ("full", "partial", "none")))
            for want in ("full", "partial", "none")
        ),
        ("refusal precision", _fmt(refusal["precision"])),
        ("refusal recall", _fmt(refusal["recall"])),
        ("refused rightly / wrongly / missed",
         f"{refusal['tp']} / {refusal['fp']} / {refusal['fn']}"),
        ("citations outside the context, kept (must be 0)", str(checks["citations_outside"])),
        ("citations outside the context, removed by the check", str(checks["citations_dropped"])),
        ("citations of a paper not backing the sentence, removed",
         str(checks["citations_unsupported_dropped"])),
        ("sentences the cited abstract does not support", str(checks["unsupported_sentences"])),
        ("LLM failures answered offline instead", str(checks["llm_fallbacks"])),
        ("cases that raised an error", str(checks["errors"])),
        ("failing cases", f"{checks['failing_cases']} of {result.config['cases']}"),
        ("latency p50 / p95 (ms)", f"{latency['p50']:.0f} / {latency['p95']:.0f}"),
    ]  # fmt: skip
    return Table("Grading, refusals and checks", ("check", "value"), rows)


def write_json(result: EvalResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n", "utf-8")


def write_report(result: EvalResult, folder: Path) -> list[Path]:
    """report.json, report.md and the plots it shows, in `folder`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(result, folder / "report.json")
    plots = _plot(result, folder)
    (folder / "report.md").write_text(_markdown(result, plots), encoding="utf-8")
    return [folder / "report.json", folder / "report.md", *plots]


def _markdown(result: EvalResult, plots: list[Path]) -> str:
    config = result.config
    lines = ["# Eval report", ""]
    lines += [f"- {key}: {value}" for key, value in config.items()]
    for number, table in enumerate(tables(result)):
        lines += ["", f"## {table.title}", "", *_markdown_table(table)]
        for plot in plots:
            if PLOT_AFTER[plot.stem] == number:
                lines += ["", f"![{plot.stem}]({plot.name})"]
    failing = result.failing
    lines += ["", f"## Failing cases ({len(failing)} of {config['cases']})"]
    for row in failing:
        lines += ["", *_case(row, config["retrieval"])]
    return "\n".join(lines) + "\n"


def _markdown_table(table: Table) -> list[str]:
    def line(cells) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [line(table.header), line("---" for _ in table.header), *map(line, table.rows)]


def _case(row: dict, mode: str) -> list[str]:
    """One failing case: what was asked, why it failed, what was expected and came back."""
    expected = {normalise_title(title) for title in row["expected"]}

    def mark(title: str) -> str:
        return f"{title} ✓" if normalise_title(title) in expected else title

    lines = [f"### {row['id']} ({row['type']})", "", f"**Question:** {row['question']}"]
    if row["standalone"] != row["question"]:
        lines.append(f"**Searched as:** {row['standalone']}")
    lines += [f"**{key}:** {value}" for key, value in row["metadata"].items()]
    lines += ["", "**Why:**", *(f"- {why}" for why in row["failures"])]
    lines += ["", "**Expected:** " + ("; ".join(row["expected"]) or "a refusal")]
    if row["must_mention"]:
        lines.append("**Must mention:** " + "; ".join(row["must_mention"]))
    retrieved = "; ".join(
        f"{n}. {mark(title)}" for n, title in enumerate(row["retrieved"][mode][:SHOWN_RETRIEVED], 1)
    )
    lines.append(f"**Retrieved ({mode}, top {SHOWN_RETRIEVED}):** {retrieved or 'nothing'}")
    lines.append("**Cited:** " + ("; ".join(map(mark, row["cited"])) or "nothing"))
    answer = row["answer"] if len(row["answer"]) <= EXCERPT else row["answer"][:EXCERPT] + " ..."
    lines += ["", "**Answer:**", "", *(f"> {line}" for line in answer.splitlines())]
    return lines


def _plot(result: EvalResult, folder: Path) -> list[Path]:
    """recall_at_k.png, by_type.png, grading_pr.png, latency.png, in the order the
    tables show them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    summary = result.summary
    names = ("recall_at_k.png", "by_type.png", "grading_pr.png", "latency.png")
    paths = [folder / name for name in names]
    draw = (_recall_curves, _type_bars, _grading_curve, _latency_histogram)
    for path, drawing in zip(paths, draw, strict=True):
        figure = Figure(figsize=(8, 4.5), layout="constrained")
        FigureCanvasAgg(figure)
        drawing(figure.add_subplot(), summary, result.rows)
        figure.savefig(path, dpi=100)
    return paths


def _recall_curves(axes, summary: dict, rows: list[dict]) -> None:
    for n, (mode, scores) in enumerate(summary["retrieval"].items()):
        curve = [float("nan") if v is None else v for v in scores["recall_at_k"]]
        ks = range(1, len(curve) + 1)
        axes.plot(ks, curve, marker="o", label=_label(n, mode))
    axes.set(title="Retrieval recall@k, all answerable cases", xlabel="k", ylabel="recall@k")
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    axes.legend()


def _type_bars(axes, summary: dict, rows: list[dict]) -> None:
    types = list(summary["by_type"])
    width = 0.8 / len(BAR_METRICS)
    for n, (key, name) in enumerate(BAR_METRICS.items()):
        values = [summary["by_type"][kind][key] for kind in types]
        heights = [float("nan") if value is None else value for value in values]
        axes.bar([i + n * width for i in range(len(types))], heights, width, label=name)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(types))], types, rotation=20)
    axes.set(title="By question type (no bar: undefined for that type)", ylim=(0, 1.02))
    axes.figure.legend(fontsize="small", ncols=len(BAR_METRICS), loc="outside lower center")


def _grading_curve(axes, summary: dict, rows: list[dict]) -> None:
    """Precision against recall of grading below full, one point per threshold, the one
    the decision runs at marked."""
    curve = summary["grading_curve"]
    points = [
        (r, p, t)
        for t, p, r in zip(curve["threshold"], curve["precision"], curve["recall"], strict=True)
        if p is not None and r is not None
    ]
    if points:
        axes.plot(
            [r for r, _, _ in points], [p for _, p, _ in points], marker=".", color="tab:blue"
        )
        for recall, precision, threshold in points[::3]:
            axes.annotate(f"{threshold:g}", (recall, precision), fontsize="x-small")
    below = [(r["expected_grounding"] != "full", r["grounding"] != "full") for r in rows]
    found = refusal_scores(below)
    if found["precision"] is not None and found["recall"] is not None:
        label = f"operating point (threshold {curve['operating_point']:g})"
        axes.plot(found["recall"], found["precision"], "r*", markersize=14, label=label)
        axes.legend(loc="lower left")
    axes.set(title="Below full: precision against recall by threshold", xlabel="recall",
             ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02))  # fmt: skip
    axes.grid(alpha=0.3)


def _latency_histogram(axes, summary: dict, rows: list[dict]) -> None:
    axes.hist([row["latency_ms"] for row in rows], bins=30, color="tab:gray")
    for name, style in (("p50", "-"), ("p95", "--")):
        value = summary["latency_ms"][name]
        if value is not None:
            axes.axvline(value, color="tab:red", linestyle=style, label=f"{name} {value:.0f} ms")
    axes.set(title="Latency per question (ask, streamed)", xlabel="ms", ylabel="cases")
    axes.legend()


def _label(n: int, mode: str) -> str:
    return f"{mode} (configured)" if n == 0 else mode


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
