"""`assistant eval` end to end on small corpora: the mock LLM (recorded and scripted), the
offline answerer, the report files, the --fail-under gate and the command's errors."""

import json
from pathlib import Path

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings
from openai_stub import Error, Reply
from typer.testing import CliRunner

from assistant import Assistant
from assistant.answer.result import REFUSAL
from assistant.cli import app
from assistant.errors import AssistantError
from assistant.evaluation import gate, report
from assistant.evaluation.mock import CURRENT_CASE, MockChatModel, scripted_answer
from assistant.evaluation.run import eval_assistant, load_cases, run_eval

FORMATS = Path(__file__).parent / "fixtures" / "formats"
DUQ = "How does DUQ estimate uncertainty?"
CASES = [
    ("detail-1", "detail", DUQ, [], ["DUQ"], ["single forward pass"], True),
    ("topic-1", "topic", "Which papers study calibration?", [],
     ["Temperature Scaling", "Mixing Samples for Confidence", "Four-bit Transformers"], [], True),
    ("paraphrase-1", "paraphrase", "rendering scenes with neural radiance fields", [],
     ["Scenes as Fields"], [], True),
    ("follow-1", "follow_up", "Which forward pass does it need?",
     [{"role": "user", "content": DUQ},
      {"role": "assistant", "content": "A single pass [1].\n\nSources:\n[1] DUQ (2020)"}],
     ["DUQ"], [], True),
    ("none-1", "out_of_corpus", "What protein structures did AlphaFold predict?", [], [], [],
     False),
]  # fmt: skip
KEYS = ("id", "type", "question", "history", "expected_titles", "must_mention", "answerable")


def write_dataset(path: Path, cases) -> Path:
    lines = (json.dumps(dict(zip(KEYS, case, strict=True))) for case in cases)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A dataset file outside the project, as any user's would be."""
    return write_dataset(tmp_path / "mini.jsonl", CASES)


@pytest.fixture
def responses(tmp_path) -> Path:
    folder = tmp_path / "responses"
    folder.mkdir()
    (folder / "detail-1.txt").write_text(
        "DUQ finds out-of-distribution points with a single forward pass [ 1 ][^9][2]. "
        "See also 【9】."
    )
    return folder


def evaluate(settings, dataset, llm=None):
    assistant = Assistant(settings, embeddings=KeywordEmbeddings(), llm=llm)
    assistant.index.upsert(PAPERS)
    return run_eval(assistant, load_cases(assistant, dataset), config={"dataset": str(dataset)})


def test_mock_eval_replays_recordings_and_scripts_the_rest(settings, dataset, responses):
    result = evaluate(settings, dataset, MockChatModel.from_folder(responses))
    rows = {row["id"]: row for row in result.rows}
    recorded = rows["detail-1"]
    assert recorded["answer"].startswith("DUQ finds out-of-distribution points")
    assert recorded["answer"].startswith(
        "DUQ finds out-of-distribution points with a single forward pass [1]. See also.\n\nSources:"
    )
    assert recorded["citations_dropped"] == 2  # [^9] and 【9】: outside the context
    assert recorded["citations_unsupported_dropped"] == 1  # [2]: [1] backs the sentence
    assert recorded["metrics"]["must_mention"] is True
    assert recorded["metrics"]["citation_precision"] == 1.0
    assert rows["paraphrase-1"]["cited"] == ["Scenes as Fields"]  # scripted from the context
    assert rows["follow-1"]["standalone"] == f"{DUQ} - Which forward pass does it need?"
    assert rows["follow-1"]["cited"] == ["DUQ"]
    assert rows["none-1"]["refused"] and rows["none-1"]["failures"] == []
    assert rows["topic-1"]["metrics"]["citation_precision"] is not None  # lists are scored
    summary = result.summary
    assert summary["overall"]["retrieval_recall@5"] == 1.0
    assert summary["checks"] == {
        "citations_outside": 0,
        "citations_dropped": 2,
        "citations_unsupported_dropped": 1,
        "unsupported_sentences": 1,  # "See also 【9】." lost its only citation: flagged
        "llm_fallbacks": 0,
        "errors": 0,
        "failing_cases": 1,
        "answerable_refused_rate": 0.0,
    }
    assert summary["refusal"]["recall"] == 1.0 and summary["refusal"]["precision"] == 1.0
    assert set(summary["retrieval"]) == {"hybrid", "dense", "bm25"}
    assert len(summary["retrieval"]["bm25"]["recall_at_k"]) == 10
    assert result.config["backend"] == settings.llm_model


def test_offline_eval_and_two_runs_agree(settings, dataset, wide_lists):
    first, second = evaluate(settings, dataset), evaluate(settings, dataset)
    assert first.config["backend"] == "offline"
    assert first.summary["overall"]["citation_recall"] == 1.0
    for result in (first, second):
        result.summary.pop("latency_ms")
        for row in result.rows:
            row.pop("latency_ms")
    assert first.summary == second.summary and first.rows == second.rows


def test_a_failing_case_says_why_and_shows_its_metadata(settings, tmp_path):
    wrong = [("wrong-1", "detail", DUQ, [], ["Deep GNNs"], ["ensembles of ten"], True)]
    path = write_dataset(tmp_path / "wrong.jsonl", wrong)
    case = json.loads(path.read_text()) | {"note": "written to fail", "source": "a test"}
    path.write_text(json.dumps(case) + "\n")
    result = evaluate(settings, path)
    (row,) = result.failing
    assert "not cited: Deep GNNs" in row["failures"]
    assert "cited unexpected papers: DUQ" in row["failures"]
    assert "does not mention all of: ensembles of ten" in row["failures"]
    assert row["metadata"] == {"note": "written to fail", "source": "a test"}
    report.write_report(result, tmp_path / "report")
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "**note:** written to fail" in markdown and "**source:** a test" in markdown


def test_cases_are_grouped_by_how_hard_they_are_for_keyword_lookup(settings, tmp_path):
    cases = [
        ("easy", "paraphrase", "neural radiance fields render scenes", [], ["Scenes as Fields"],
         [], True),
        ("hard", "paraphrase", "pictures of places drawn by a net", [], ["Scenes as Fields"], [],
         True),
        ("none", "out_of_corpus", "AlphaFold on CASP14", [], [], [], False),
    ]  # fmt: skip
    result = evaluate(settings, write_dataset(tmp_path / "hardness.jsonl", cases))
    ranks = {row["id"]: row["bm25_rank"] for row in result.rows}
    assert ranks == {"easy": 1, "hard": None, "none": None}
    summary = result.summary
    assert {k: v["cases"] for k, v in summary["by_bm25_rank"].items()} == {"1": 1, "11+": 1}
    assert set(summary["by_type_bm25_rank"]) == {"paraphrase 1", "paraphrase 11+"}
    assert set(summary["retrieval"]["bm25"]["by_bm25_rank"]) == {"1", "11+"}
    titles = [table.title for table in report.tables(result)]
    assert "By type and BM25 rank" in titles


def test_scripted_mock_refuses_when_no_paper_shares_the_question_words():
    context = "[1] DUQ (2020)\nDeterministic uncertainty in a single forward pass."
    assert scripted_answer(context, "recipes for sourdough bread") == REFUSAL
    assert scripted_answer(context, "uncertainty in one forward pass?").endswith("[1].")


def test_mock_streams_in_pieces(responses):
    from langchain_core.messages import HumanMessage

    mock = MockChatModel.from_folder(responses)
    prompt = HumanMessage("Papers:\n[1] DUQ\nA single forward pass.\n\nQuestion: DUQ?")
    token = CURRENT_CASE.set("detail-1")
    try:
        pieces = [chunk.text for chunk in mock.stream([prompt])]
    finally:
        CURRENT_CASE.reset(token)
    assert len(pieces) > 3 and "".join(pieces).startswith("DUQ finds")
    with pytest.raises(ValueError, match="neither"):
        mock.invoke("an unknown prompt")


def test_report_files(settings, dataset, tmp_path):
    result = evaluate(settings, dataset, MockChatModel.from_folder(None))
    written = report.write_report(result, tmp_path / "report")
    names = sorted(path.name for path in written)
    assert names == [
        "by_type.png",
        "grading_pr.png",
        "latency.png",
        "recall_at_k.png",
        "report.json",
        "report.md",
    ]
    assert all(path.stat().st_size > 0 for path in written)
    pngs = [path for path in written if path.suffix == ".png"]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in pngs)
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "| hybrid (configured) |" in markdown and "![recall_at_k](recall_at_k.png)" in markdown
    checks = markdown.index("## Grading, refusals and checks")
    assert checks < markdown.index("![grading_pr](grading_pr.png)")
    assert "| not fully answerable, given a full answer |" in markdown
    curve = result.summary["grading_curve"]
    assert len(curve["threshold"]) == len(curve["recall"]) == 19
    assert 0 < curve["operating_point"] < 1
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert set(data) == {"config", "summary", "cases"} and len(data["cases"]) == len(CASES)


def test_gate_thresholds_and_ceilings():
    summary = {"overall": {"mrr": 0.9, "citation_precision": None}, "checks": {"errors": 2}}
    assert gate.check(summary, {"overall.mrr": 0.85, "checks.errors": 2}) == []
    under = gate.check(summary, {"overall.mrr": 0.95})
    assert under == ["overall.mrr = 0.9, under the threshold 0.95"]
    assert gate.check(summary, {"checks.errors": 0}) == ["checks.errors = 2, over the allowed 0"]
    graded = {"grounding": {"not_answerable_given_full": 0.4, "partial_graded_partial": 0.5}}
    assert gate.check(graded, {"grounding.not_answerable_given_full": 0.5}) == []  # a ceiling
    assert gate.check(graded, {"grounding.partial_graded_partial": 0.6}) == [
        "grounding.partial_graded_partial = 0.5, under the threshold 0.6"
    ]
    assert "undefined" in gate.check(summary, {"overall.citation_precision": 0.5})[0]
    with pytest.raises(gate.ThresholdError, match=r"did you mean 'overall\.mrr'"):
        gate.check(summary, {"overall.mmr": 0.5})


@pytest.mark.parametrize(
    ("spec", "message"),
    [("overall.mrr", "is not METRIC=VALUE"), ("=0.5", "is not METRIC=VALUE"),
     ("overall.mrr=high", "'high' is not a number")],
)  # fmt: skip
def test_bad_fail_under_specs(spec, message):
    with pytest.raises(gate.ThresholdError, match=message):
        gate.parse_limit(spec)


def test_thresholds_file(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text(
        '[dev.fail_under]\n"overall.mrr" = 0.9\n[dev.fail_under.mock]\n"overall.mrr" = 0.8\n'
        '[people.fail_under]\n"overall.mrr" = 0.5\n'
    )
    assert gate.load_limits(path, "mock", "dev") == {"overall.mrr": 0.8}
    assert gate.load_limits(path, "offline", "dev") == {"overall.mrr": 0.9}
    assert gate.load_limits(path, "offline", "people") == {"overall.mrr": 0.5}
    with pytest.raises(gate.ThresholdError, match=r"no \[mine.fail_under\] table.*dev, people"):
        gate.load_limits(path, "mock", "mine")
    path.write_text('[dev.fail_under.mokc]\n"overall.mrr" = 0.8\n')
    with pytest.raises(gate.ThresholdError, match=r"\[dev.fail_under.mokc\] names no --llm mode"):
        gate.load_limits(path, "mock", "dev")
    path.write_text('[dev.fail_under]\n"overall.mrr" = "high"\n')
    with pytest.raises(gate.ThresholdError, match="is not a number"):
        gate.load_limits(path, "mock", "dev")
    with pytest.raises(gate.ThresholdError, match="no such file"):
        gate.load_limits(tmp_path / "missing.toml", "mock", "dev")


def test_openai_mode_needs_an_endpoint(settings):
    unset = settings.model_copy(update={"openai_base_url": None, "openai_api_key": None})
    with pytest.raises(AssistantError, match="needs an OpenAI-compatible endpoint"):
        eval_assistant("openai", unset)


class TestCommand:
    """`assistant eval` as CI and users run it, on two fixture files ingested for real."""

    runner = CliRunner()

    @pytest.fixture(autouse=True)
    def indexed(self, tmp_path, monkeypatch):
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
        for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ASSISTANT_OPENAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        paths = [str(FORMATS / "papers.csv"), str(FORMATS / "arxiv.xml")]
        assert self.runner.invoke(app, ["ingest", *paths]).exit_code == 0

    @pytest.fixture
    def mini(self, tmp_path) -> Path:
        cases = [
            ("t-1", "paraphrase", "the network architecture based solely on attention", [],
             ["Attention Is All You Need"], [], True),
            ("t-2", "detail", "How does DUQ reject out of distribution data?", [],
             ["Uncertainty Estimation Using a Single Deep Deterministic Neural Network"],
             ["single forward pass"], True),
            ("t-3", "out_of_corpus", "What context length does Claude 3 support?", [], [], [],
             False),
        ]  # fmt: skip
        return write_dataset(tmp_path / "mini.jsonl", cases)

    def test_runs_any_dataset_and_writes_the_report(self, mini, tmp_path):
        result = self.runner.invoke(
            app,
            ["eval", "--dataset", str(mini), "--json", str(tmp_path / "out.json"),
             "--report", str(tmp_path / "rep"), "--fail-under", "overall.retrieval_recall@5=0.9",
             "--fail-under", "checks.citations_outside=0"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "hybrid (configured)" in result.stdout and "All 2 thresholds met." in result.stdout
        data = json.loads((tmp_path / "out.json").read_text())
        assert data["config"]["llm"] == "mock" and data["summary"]["overall"]["cases"] == 3
        assert (tmp_path / "rep" / "report.md").stat().st_size > 0

    def test_fail_under_exits_1_and_names_the_metric(self, mini):
        result = self.runner.invoke(
            app, ["eval", "--dataset", str(mini), "--llm", "offline",
                  "--fail-under", "overall.retrieval_recall@5=1.01"],
        )  # fmt: skip
        assert result.exit_code == 1
        assert "overall.retrieval_recall@5 = 1, under the threshold 1.01" in result.stderr

    def test_openai_mode_scores_the_endpoint_and_reports_fallbacks(
        self, mini, tmp_path, openai_stub, monkeypatch
    ):
        monkeypatch.setenv("OPENAI_BASE_URL", openai_stub.url)
        monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
        openai_stub.push(Reply("The Transformer is based solely on attention mechanisms [1]."))
        openai_stub.push(Error(500))
        out = tmp_path / "out.json"
        args = ["eval", "--dataset", str(mini), "--llm", "openai", "--json", str(out)]
        result = self.runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "1 answers came from the offline answerer" in result.stderr
        rows = {row["id"]: row for row in json.loads(out.read_text())["cases"]}
        assert rows["t-1"]["backend"] == "gpt-4o-mini" and rows["t-1"]["metrics"]["citation_recall"]
        assert rows["t-2"]["backend"] == "offline" and "HTTP 500" in rows["t-2"]["notice"]
        assert openai_stub.completions[0].body["stream"] is True

    @pytest.mark.parametrize(
        ("args", "message"),
        [(["--fail-under", "recall"], "'recall' is not METRIC=VALUE"),
         (["--fail-under", "overall.recal@5=0.5"], "did you mean 'overall.retrieval_recall@5'"),
         (["--llm", "openai"], "needs an OpenAI-compatible endpoint"),
         (["--llm", "gpt"], "unknown --llm 'gpt'"),
         (["--retrieval", "sparse"], "unknown --retrieval 'sparse'")],
    )  # fmt: skip
    def test_user_errors_are_one_clear_line(self, mini, args, message):
        result = self.runner.invoke(app, ["eval", "--dataset", str(mini), *args])
        assert result.exit_code == 1
        assert message in result.stderr and "Traceback" not in result.output

    def test_a_bad_dataset_names_file_and_line(self, tmp_path):
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"id": "x"}\n')
        result = self.runner.invoke(app, ["eval", "--dataset", str(bad)])
        assert result.exit_code == 1 and f"{bad}:1: missing" in result.stderr
