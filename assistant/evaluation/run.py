"""Running an eval dataset through the `Assistant` the UI uses, and scoring every case.

Each case is asked through `Assistant.stream`, the UI's path (condense, retrieve, write,
check citations), and timed. The standalone question the answer was searched with is then
searched again with the other retrieval modes, so the baselines come from the same run and
the same queries, follow-ups included. Cases run in dataset order and nothing is sampled,
so two runs give the same numbers, latency aside.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.result import Answer
from assistant.api import Assistant
from assistant.errors import AssistantError, NotIndexed
from assistant.evaluation.dataset import EvalCase, load_dataset
from assistant.evaluation.metrics import (
    citation_precision,
    citation_recall,
    citations_outside,
    mentions_all,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from assistant.evaluation.mock import CURRENT_CASE, MockChatModel
from assistant.evaluation.summary import K, summary_of
from assistant.resources import data_folder
from assistant.search.filters import Filters
from assistant.search.retrieval import MODES, Mode
from assistant.settings import Settings
from ingest.records import normalise_title

EVALS = data_folder("evals")
DEV_SET = EVALS / "datasets" / "dev.jsonl"
LLM_MODES = ("mock", "offline", "openai")
# Types whose expected_titles may not list every paper that qualifies, so citing an
# unlisted paper is not an error: citation precision is None for them. Topic and theme
# lists were found by reading every abstract, so their precision is scored.
OPEN_SET_TYPES = frozenset({"metadata"})
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EvalResult:
    config: dict  # dataset, llm, retrieval, backend
    rows: list[dict]  # one per case: what was asked, expected, retrieved, cited, scores
    summary: dict  # averages overall and per type, baselines, refusals, checks, latency

    def to_json(self) -> dict:
        return {"config": self.config, "summary": self.summary, "cases": self.rows}

    @property
    def failing(self) -> list[dict]:
        return [row for row in self.rows if row["failures"]]


def responses_for(dataset: Path) -> Path:
    """Where the mock's recorded responses for a dataset live: evals/responses/<name>/."""
    return EVALS / "responses" / dataset.stem


def eval_assistant(llm: str, settings: Settings, responses: Path | None = None) -> Assistant:
    """The Assistant for `--llm`: the mock model, the offline answerer, or the endpoint."""
    if llm == "mock":
        mock = MockChatModel.from_folder(responses)
        return Assistant(settings.model_copy(update={"llm_model": "mock"}), llm=mock)
    if llm == "offline":
        return Assistant(settings.model_copy(update={"llm": "offline"}))
    if llm == "openai":
        if not (settings.openai_base_url or settings.openai_api_key):
            raise AssistantError(
                "--llm openai needs an OpenAI-compatible endpoint - set OPENAI_BASE_URL "
                "(and OPENAI_API_KEY if it wants one), or use --llm mock"
            )
        return Assistant(settings.model_copy(update={"llm": "openai"}))
    raise AssistantError(f"unknown --llm {llm!r} - use one of {', '.join(LLM_MODES)}")


def load_cases(assistant: Assistant, path: Path) -> list[EvalCase]:
    """The dataset's cases, with expected titles checked against the indexed papers."""
    papers = assistant.index.papers()
    if not papers:
        raise NotIndexed()
    return load_dataset(path, [paper.title for paper in papers])


def run_eval(
    assistant: Assistant,
    cases: Sequence[EvalCase],
    *,
    retrieval: Mode = "hybrid",
    progress: Progress | None = None,
    config: dict | None = None,
) -> EvalResult:
    """Every case asked and scored; `config` (dataset, llm) is kept for the report."""
    if retrieval not in MODES:
        raise AssistantError(f"unknown --retrieval {retrieval!r} - use one of {', '.join(MODES)}")
    modes = (retrieval, *(mode for mode in MODES if mode != retrieval))
    rows = []
    for done, case in enumerate(cases, 1):
        rows.append(_run_case(assistant, case, modes))
        if progress:
            progress(done, len(cases))
    backends = sorted({row["backend"] for row in rows if row["backend"]})
    config = {**(config or {}), "cases": len(rows), "retrieval": retrieval}
    config["backend"] = ", ".join(backends)
    return EvalResult(config, rows, summary_of(rows, modes))


def _run_case(assistant: Assistant, case: EvalCase, modes: Sequence[Mode]) -> dict:
    history = [{"role": turn.role, "content": turn.content} for turn in case.history]
    token = CURRENT_CASE.set(case.id)
    start = time.perf_counter()
    try:
        *pieces, answer = assistant.stream(case.question, history, mode=modes[0])
        streamed, error = "".join(pieces), None
    except Exception as failure:  # one broken case is reported, not the end of the run
        answer, streamed, error = None, "", f"{type(failure).__name__}: {failure}"
    finally:
        CURRENT_CASE.reset(token)
    latency = (time.perf_counter() - start) * 1000
    ranked = {mode: [] for mode in modes}
    if answer is not None:
        ranked[modes[0]] = [hit.paper.title for hit in answer.retrieved][:K]
        for mode in modes[1:]:
            hits = assistant.search(answer.question, k=K, mode=mode)
            ranked[mode] = [hit.paper.title for hit in hits][:K]
    row = _describe(case, answer, streamed, error, ranked, latency)
    row["bm25_rank"] = _bm25_rank(assistant, row["standalone"], case) if case.answerable else None
    row["metrics"] = _retrieval_metrics(ranked[modes[0]], case) | _answer_metrics(case, row)
    row["retrieval"] = {mode: _retrieval_metrics(ranked[mode], case) for mode in modes}
    row["failures"] = _failures(case, row, ranked[modes[0]])
    return row


def _bm25_rank(assistant: Assistant, question: str, case: EvalCase) -> int | None:
    """The best rank of an expected paper under BM25 over all papers, no filters; None when
    none of them shares a term with the question."""
    retriever = assistant.retriever
    catalog = retriever.catalog
    lexical = retriever.local.bm25.match(question)
    ranking = retriever.bm25_leg(lexical, Filters(), len(catalog.ids))
    wanted = {normalise_title(title) for title in case.expected_titles}
    titles = (catalog.titles[catalog.row_of[paper_id]] for paper_id, _ in ranking)
    return next((n for n, t in enumerate(titles, 1) if normalise_title(t) in wanted), None)


def _describe(
    case: EvalCase,
    answer: Answer | None,
    streamed: str,
    error: str | None,
    ranked: dict,
    latency: float,
) -> dict:
    """What was asked and expected, and what came back (streamed, and as the answer)."""
    outside = citations_outside([streamed, answer.text], len(answer.retrieved)) if answer else 0
    return {
        "id": case.id,
        "type": case.type,
        "question": case.question,
        "metadata": dict(case.metadata),  # the dataset's own extra keys: note, source, ...
        "standalone": answer.question if answer else case.question,
        "answerable": case.answerable,
        "expected": list(case.expected_titles),
        "must_mention": list(case.must_mention),
        "retrieved": ranked,
        "cited": [c.paper.title for c in answer.citations] if answer else [],
        "answer": answer.text if answer else "",
        "refused": bool(answer and answer.refused),
        "grounding": answer.grounding if answer else None,
        "expected_grounding": case.expected_grounding,
        "grading_score": (answer.evidence or {}).get("score") if answer else None,
        "backend": answer.backend if answer else None,
        "notice": answer.notice if answer else None,
        "unsupported": list(answer.unsupported) if answer else [],
        "citations_dropped": answer.dropped_citations if answer else 0,
        "citations_unsupported_dropped": answer.dropped_unsupported if answer else 0,
        "citations_outside": outside,
        "error": error,
        "latency_ms": round(latency, 1),
    }


def _retrieval_metrics(ranked: list[str], case: EvalCase) -> dict:
    expected = case.expected_titles
    return {
        "retrieval_recall@1": recall_at_k(ranked, expected, 1),
        "retrieval_recall@5": recall_at_k(ranked, expected, 5),
        "retrieval_recall@10": recall_at_k(ranked, expected, 10),
        "mrr": reciprocal_rank(ranked, expected),
        "ndcg@10": ndcg_at_k(ranked, expected, 10),
    }


def _answer_metrics(case: EvalCase, row: dict) -> dict:
    precise = case.answerable and case.type not in OPEN_SET_TYPES
    return {
        "citation_recall": citation_recall(row["cited"], case.expected_titles),
        "citation_precision": (
            citation_precision(row["cited"], case.expected_titles) if precise else None
        ),
        "must_mention": mentions_all(row["answer"], case.must_mention),
        "refused": row["refused"],
        "graded_full": row["grounding"] == "full",
    }


def _failures(case: EvalCase, row: dict, ranked: list[str]) -> list[str]:
    """Why the case counts as failing, in words a person can check against the row."""
    metrics, expected = row["metrics"], set(case.expected_titles)
    found = []
    if row["error"]:
        found.append(f"error: {row['error']}")
    if case.answerable and row["refused"]:
        found.append("refused an answerable question")
    elif case.answerable and row["grounding"] != "full":
        found.append(f"graded {row['grounding']}: the papers answer all of it")
    if row["expected_grounding"] != "full" and row["grounding"] == "full":
        held = "in part" if row["expected_grounding"] == "partial" else "not at all"
        found.append(f"a full answer to a question the papers answer {held}")
    if _below_one(metrics["retrieval_recall@10"]):
        found.append(f"not retrieved in the top {K}: {_missing(expected, ranked)}")
    if not row["refused"] and _below_one(metrics["citation_recall"]):
        found.append(f"not cited: {_missing(expected, row['cited'])}")
    if _below_one(metrics["citation_precision"]):
        wanted = {normalise_title(title) for title in expected}
        extra = sorted(t for t in row["cited"] if normalise_title(t) not in wanted)
        found.append(f"cited unexpected papers: {'; '.join(extra)}")
    if metrics["must_mention"] is False:
        found.append(f"does not mention all of: {'; '.join(case.must_mention)}")
    if row["citations_outside"]:
        found.append(f"{row['citations_outside']} citations outside the context, kept")
    if row["citations_dropped"]:
        found.append(f"{row['citations_dropped']} citations outside the context, removed")
    if row["citations_unsupported_dropped"]:
        found.append(
            f"{row['citations_unsupported_dropped']} citations of a paper that does not back "
            "the sentence, removed"
        )
    found += [f"not supported by the cited abstract: {claim}" for claim in row["unsupported"]]
    return found


def _below_one(value: float | None) -> bool:
    return value is not None and value < 1


def _missing(expected: set[str], found: list[str]) -> str:
    have = {normalise_title(title) for title in found}
    return "; ".join(sorted(t for t in expected if normalise_title(t) not in have))
