"""`assistant eval --beir DIR`: retrieval scored on any BEIR-format dataset.

Public benchmarks and people's own judged queries come in BEIR's shape (beir_format.py),
and retrieval there is the thing to compare against published figures, so this runs
retrieval alone: no answers, no LLM. The corpus gets an index of its own (beir_index.py),
and each judged query is searched with every mode (hybrid, dense, bm25) through
`Assistant.search`, the search the chat uses, in the same run. Scores are BEIR's usual
ones at depth 10: nDCG@10 with graded relevance (trec_eval's linear gain, as BEIR reports
it), recall@1/5/10 and MRR@10.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.errors import AssistantError
from assistant.evaluation.beir_format import BeirSet
from assistant.evaluation.beir_index import BeirIndex
from assistant.evaluation.metrics import mean, recall_at_k, reciprocal_rank
from assistant.evaluation.report import Table
from assistant.search.retrieval import MODES, Mode

K = 10
METRICS = ("ndcg@10", "recall@1", "recall@5", "recall@10", "mrr@10")
HEADER = ("mode", "nDCG@10", "R@1", "R@5", "R@10", "MRR@10")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BeirResult:
    config: dict  # the folder, qrels file, index folder, sizes, timings
    rows: list[dict]  # per query: id, text, relevant grades, ranked _ids and scores per mode
    summary: dict  # {"retrieval": {mode: {metric: mean}}, "queries": n}

    def to_json(self) -> dict:
        return {"config": self.config, "summary": self.summary, "queries": self.rows}


def graded_ndcg(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float | None:
    """nDCG@k with graded relevance: each document gains its grade / log2(rank + 1), against
    the best possible order of the judged documents. `metrics.ndcg_at_k` is binary, and
    BEIR's sets grade (2 = highly relevant). None when nothing is relevant."""
    ideal = sorted((grade for grade in grades.values() if grade > 0), reverse=True)[:k]
    if not ideal:
        return None
    seen: set[str] = set()
    gain = 0.0
    for rank, doc in enumerate(ranked[:k], 1):
        if doc not in seen:
            gain += max(grades.get(doc, 0), 0) / math.log2(rank + 1)
        seen.add(doc)
    return gain / sum(grade / math.log2(rank + 1) for rank, grade in enumerate(ideal, 1))


def scores(ranked: Sequence[str], grades: Mapping[str, int]) -> dict[str, float | None]:
    """Every metric for one query's ranking of BEIR _ids. metrics.py compares titles with
    `normalise_title` ('a-1' and 'a_1' are one key there), so _ids go in as their place
    in a list of distinct ids, which that key leaves apart."""
    keys = {doc: str(n) for n, doc in enumerate(dict.fromkeys([*grades, *ranked]))}
    keyed = [keys[doc] for doc in ranked[:K]]
    relevant = [keys[doc] for doc, grade in grades.items() if grade > 0]
    return {
        "ndcg@10": graded_ndcg(ranked, grades, K),
        "recall@1": recall_at_k(keyed, relevant, 1),
        "recall@5": recall_at_k(keyed, relevant, 5),
        "recall@10": recall_at_k(keyed, relevant, 10),
        "mrr@10": reciprocal_rank(keyed, relevant),
    }


def evaluate(
    index: BeirIndex,
    beir: BeirSet,
    retrieval: Mode = "hybrid",
    progress: Progress | None = None,
) -> BeirResult:
    """Every judged query searched with every mode, `retrieval` first, and scored."""
    if retrieval not in MODES:
        raise AssistantError(f"unknown --retrieval {retrieval!r} - use one of {', '.join(MODES)}")
    modes = (retrieval, *(mode for mode in MODES if mode != retrieval))
    start = time.perf_counter()
    rows = []
    for done, (query_id, text) in enumerate(beir.queries.items(), 1):
        grades = beir.relevant[query_id]
        ranked = {mode: _search(index, text, mode) for mode in modes}
        rows.append(
            {
                "id": query_id,
                "query": text,
                "relevant": grades,
                "retrieved": ranked,
                "scores": {mode: scores(ranked[mode], grades) for mode in modes},
            }
        )
        if progress:
            progress(done, len(beir.queries))
    summary = {
        "retrieval": {
            mode: {key: _round(mean(row["scores"][mode][key] for row in rows)) for key in METRICS}
            for mode in modes
        },
        "queries": len(rows),
    }
    config = {
        "beir": str(beir.folder),
        "qrels": str(beir.qrels_path),
        "index": str(index.folder),
        "documents": len(beir.documents),
        "queries": len(rows),
        "retrieval": retrieval,
        "index_reused": index.reused,
        "index_s": round(index.seconds, 1),
        "eval_s": round(time.perf_counter() - start, 1),
        "warnings": list(beir.warnings),
    }
    return BeirResult(config, rows, summary)


def table(result: BeirResult) -> Table:
    """One row per mode, the configured one first, as the other eval tables show them."""
    config, retrieval = result.config, result.summary["retrieval"]
    rows = [
        (f"{mode} (configured)" if n == 0 else mode,
         *(f"{values[key]:.3f}" for key in METRICS))
        for n, (mode, values) in enumerate(retrieval.items())
    ]  # fmt: skip
    title = (
        f"Retrieval on {config['beir']}: {config['queries']} queries, "
        f"{config['documents']} documents, top {K}"
    )
    return Table(title, HEADER, rows)


def timing(result: BeirResult) -> str:
    """How long the index and the searches took, for the line under the table."""
    config = result.config
    index = (
        f"Reused the index in {config['index']}"
        if config["index_reused"]
        else f"Indexed {config['documents']} documents in {config['index_s']:.1f} s "
        f"({config['index']})"
    )
    searched = f"{config['queries']} queries x {len(result.summary['retrieval'])} modes"
    return f"{index}; searched {searched} in {config['eval_s']:.1f} s."


def _search(index: BeirIndex, text: str, mode: Mode) -> list[str]:
    hits = index.assistant.search(text, k=K, mode=mode)
    return [index.beir_ids[hit.paper.id] for hit in hits][:K]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
