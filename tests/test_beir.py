"""`assistant eval --beir DIR`: reading BEIR folders, their own index, the scores, the command."""

import json
import math
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import DatasetError
from assistant.evaluation.beir import evaluate, graded_ndcg, scores
from assistant.evaluation.beir_format import Document, load_beir
from assistant.evaluation.beir_index import index_folder, open_index, unique_titles
from ingest.records import normalise_title

MINI = Path(__file__).parent / "fixtures" / "beir-mini"
runner = CliRunner()


@pytest.fixture
def beir(tmp_path) -> Path:
    """A copy of the fixture that a test may break."""
    return Path(shutil.copytree(MINI, tmp_path / "mini"))


def write_lines(path: Path, lines: list) -> None:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines))  # fmt: skip


# The scores, against hand computation


def test_graded_ndcg_by_hand():
    grades = {"a": 2, "b": 1, "c": 1, "z": 0}
    # DCG: 2/log2(2) + 0 + 1/log2(4) = 2.5; ideal 2, 1, 1: 2 + 1/log2(3) + 1/log2(4)
    ideal = 2 + 1 / math.log2(3) + 0.5
    assert graded_ndcg(["a", "z", "b"], grades) == pytest.approx(2.5 / ideal)
    assert graded_ndcg(["a", "b", "c", "x"], grades) == pytest.approx(1.0)
    assert graded_ndcg(["x", "a", "a"], grades) == pytest.approx((2 / math.log2(3)) / ideal)
    assert graded_ndcg(["b"] + ["x"] * 9 + ["a"], grades) == pytest.approx(1 / ideal)  # a at 11
    assert graded_ndcg(["a"], {"z": 0}) is None


def test_scores_of_one_ranking_by_hand():
    found = scores(["x", "b", "y", "a", "c", "q"], {"a": 2, "b": 1, "c": 1})
    assert found["recall@1"] == 0
    assert found["recall@5"] == pytest.approx(1.0)
    assert found["recall@10"] == pytest.approx(1.0)
    assert found["mrr@10"] == pytest.approx(1 / 2)
    dcg = 1 / math.log2(3) + 2 / math.log2(5) + 1 / math.log2(6)
    assert found["ndcg@10"] == pytest.approx(dcg / (2 + 1 / math.log2(3) + 0.5))


def test_ids_equal_once_punctuation_is_dropped_stay_apart():
    """metrics.py matches titles loosely; two BEIR ids are never one document."""
    found = scores(["a_1", "b"], {"a-1": 1})
    assert found["recall@10"] == 0 and found["mrr@10"] == 0 and found["ndcg@10"] == 0


def test_a_relevant_document_below_10_does_not_count():
    found = scores([f"x{n}" for n in range(10)] + ["a"], {"a": 1})
    assert found == {"ndcg@10": 0, "recall@1": 0, "recall@5": 0, "recall@10": 0, "mrr@10": 0}


# Titles: every document a paper of its own


def test_empty_and_repeated_titles_are_made_from_the_id():
    docs = [
        Document("1", "Soil erosion", "rain"),
        Document("2", "", "photosynthesis"),
        Document("3", "SOIL EROSION!", "wind"),
        Document("4", "Document 2", "a real title that a made one would match"),
        Document("5", "Unique", "x"),
        Document("a-1", "", "y"),
        Document("a_1", "", "z"),
    ]
    titles = unique_titles(docs)
    assert titles[:3] == [
        "Soil erosion (document 1)",
        "Document 2 #2",
        "SOIL EROSION! (document 3)",
    ]
    assert titles[3:5] == ["Document 2", "Unique"]
    assert titles[5:] == ["Document a-1", "Document a_1 #2"]
    assert len({normalise_title(title) for title in titles}) == len(docs)


# Reading the folder and its errors


def test_the_fixture_reads_whole():
    data = load_beir(MINI)
    assert len(data.documents) == 30 and len(data.queries) == 10
    assert data.qrels_path.name == "test.tsv" and not data.warnings
    assert data.relevant["q08"] == {"d27": 2, "d28": 1}
    assert data.relevant["q02"] == {"d02": 2}  # d17 is judged 0: not relevant


def test_qrels_test_first_else_the_only_file_else_the_user_picks(beir):
    qrels = beir / "qrels"
    (qrels / "test.tsv").rename(qrels / "dev.tsv")
    assert load_beir(beir).qrels_path.name == "dev.tsv"
    shutil.copy(qrels / "dev.tsv", qrels / "train.tsv")
    with pytest.raises(DatasetError, match=r"holds dev.tsv, train.tsv and no test.tsv - pick "
                                           r"the judgements to score with --qrels"):  # fmt: skip
        load_beir(beir)
    assert load_beir(beir, "train").qrels_path.name == "train.tsv"
    assert load_beir(beir, str(qrels / "dev.tsv")).qrels_path.name == "dev.tsv"
    with pytest.raises(DatasetError, match="--qrels takes one of dev, train"):
        load_beir(beir, "test")


@pytest.mark.parametrize("missing", ["corpus.jsonl", "queries.jsonl"])
def test_a_missing_file_is_named(beir, missing):
    (beir / missing).unlink()
    with pytest.raises(DatasetError, match=f"{missing}: no such file - a BEIR folder holds"):
        load_beir(beir)


def test_missing_folder_and_qrels(tmp_path, beir):
    with pytest.raises(DatasetError, match="nowhere: no such folder"):
        load_beir(tmp_path / "nowhere")
    shutil.rmtree(beir / "qrels")
    with pytest.raises(DatasetError, match=r"qrels: no \.tsv file"):
        load_beir(beir)


def test_bad_lines_are_named_by_file_and_line_all_at_once(beir):
    corpus = beir / "corpus.jsonl"
    lines = corpus.read_text().splitlines()
    lines[2] = '{"_id": "d03", "title": "Sourdough", "text": "yeast",}'
    lines[4] = '["not", "an", "object"]'
    lines[6] = json.dumps({"title": "no id", "text": "x"})
    lines[8] = json.dumps({"_id": "d01", "title": "again", "text": "x"})
    write_lines(corpus, lines)
    with pytest.raises(DatasetError) as raised:
        load_beir(beir)
    assert raised.value.problems == [
        f"{corpus}:3: not valid JSON (Expecting property name enclosed in double quotes, "
        "column 54) - write one JSON object a line",
        f"{corpus}:5: expected a JSON object, got an array - write one {{...}} a line",
        f'{corpus}:7: no "_id" - give every line a string "_id"',
        f"{corpus}:9: duplicate _id 'd01' (first on line 1) - give every document its own _id",
    ]


def test_bad_qrels_and_queries(beir):
    qrels = beir / "qrels" / "test.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq01 0 d01 1\nq02\td02\thigh\n")
    with pytest.raises(DatasetError) as raised:
        load_beir(beir)
    assert raised.value.problems == [
        f"{qrels}:2: 1 tab-separated fields - write 'query-id<TAB>corpus-id<TAB>score' "
        "(TREC's 4-column qrels: drop the second)",
        f"{qrels}:3: score 'high' is not a whole number - use 1 for relevant (2, 3 ... for "
        "more), 0 for not",
    ]
    write_lines(beir / "queries.jsonl", [{"_id": "q01", "text": " "}])
    with pytest.raises(DatasetError, match=r"queries.jsonl:1: no query text"):
        load_beir(beir)


def test_unknown_ids_in_qrels_are_counted_warned_and_skipped(beir):
    qrels = beir / "qrels" / "test.tsv"
    extra = "q01\tgone-1\t1\nq01\tgone-2\t1\nq02\tgone-1\t1\nq99\td01\t1\nq42\td02\t1\n"
    qrels.write_text(qrels.read_text() + extra)
    data = load_beir(beir)
    assert data.warnings == [
        f"{qrels}: 3 judgement(s) name 2 documents not in corpus.jsonl ('gone-1', 'gone-2'); "
        "skipped",
        f"{qrels}: 2 judgement(s) name 2 queries not in queries.jsonl ('q99', 'q42'); skipped",
    ]
    assert data.relevant["q01"] == {"d01": 1} and len(data.queries) == 10


def test_documents_with_nothing_to_index_are_skipped_with_a_warning(beir):
    corpus = beir / "corpus.jsonl"
    write_lines(corpus, [*corpus.read_text().splitlines(), {"_id": "blank", "title": ""}])
    assert (
        "1 document(s) with no title and no text ('blank'); skipped" in load_beir(beir).warnings[0]
    )


@pytest.mark.parametrize("emptied", ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
def test_an_empty_file_is_refused(beir, emptied):
    (beir / emptied).write_text(
        "\n" if emptied != "qrels/test.tsv" else "query-id\tcorpus-id\tscore\n"
    )
    with pytest.raises(DatasetError, match="the file is empty"):
        load_beir(beir)


def test_nothing_left_to_score_is_refused(beir):
    (beir / "qrels" / "test.tsv").write_text("q01\td01\t0\nq99\td01\t1\n")
    with pytest.raises(DatasetError, match="no query has a relevant document"):
        load_beir(beir)


# The index: its own folder, reused while the corpus is unchanged


def test_the_index_is_built_once_and_reused(beir, settings, embeddings):
    data = load_beir(beir)
    # a server for the user's papers (nothing listens on port 9): this index stays local
    served = settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": 9})
    first = open_index(data, served, embeddings=embeddings)
    assert not first.reused and embeddings.embedded == 30
    assert first.folder.parent == settings.data_dir / "beir"
    assert first.folder.name.startswith("mini-")
    assert len(set(first.paper_ids.values())) == 30
    result = evaluate(first, data)
    assert set(result.summary["retrieval"]) == {"hybrid", "dense", "bm25"}
    assert result.summary["queries"] == 10 and result.rows[0]["id"] == "q01"

    again = open_index(load_beir(beir), settings, embeddings=embeddings)
    assert again.reused and embeddings.embedded == 30 and again.folder == first.folder
    assert again.paper_ids == first.paper_ids
    assert [p.name for p in settings.data_dir.iterdir()] == ["beir"]  # the user's: untouched

    corpus = beir / "corpus.jsonl"
    corpus.write_text(corpus.read_text().replace("figure-eight", "figure of eight"))
    assert index_folder(settings.data_dir, load_beir(beir)) != first.folder


# The command


class TestCommand:
    @pytest.fixture(autouse=True)
    def data_dir(self, tmp_path, monkeypatch):
        monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))

    def test_end_to_end_with_the_real_model_then_reused(self, tmp_path):
        out = tmp_path / "beir.json"
        result = runner.invoke(app, ["eval", "--beir", str(MINI), "--json", str(out)])
        assert result.exit_code == 0, result.output
        assert "10 queries, 30 documents, top 10" in result.stdout
        assert "hybrid (configured)" in result.stdout and "MRR@10" in result.stdout
        assert "Indexed 30 documents in" in result.stderr
        data = json.loads(out.read_text())
        retrieval = data["summary"]["retrieval"]
        assert list(retrieval) == ["hybrid", "dense", "bm25"]
        assert set(retrieval["hybrid"]) == {"ndcg@10", "recall@1", "recall@5", "recall@10",
                                            "mrr@10"}  # fmt: skip
        # 30 documents on distinct topics: meaning finds them all
        assert retrieval["hybrid"]["recall@10"] == 1.0 and retrieval["dense"]["ndcg@10"] > 0.9
        assert retrieval["bm25"]["ndcg@10"] < retrieval["hybrid"]["ndcg@10"]
        q08 = next(row for row in data["queries"] if row["id"] == "q08")
        assert q08["relevant"] == {"d27": 2, "d28": 1}
        assert set(q08["retrieved"]["dense"][:2]) == {"d27", "d28"}  # the two "Soil erosion"

        again = runner.invoke(
            app, ["eval", "--beir", str(MINI), "--retrieval", "bm25",
                  "--fail-under", "retrieval.hybrid.ndcg@10=0.8"],
        )  # fmt: skip
        assert again.exit_code == 0, again.output
        assert "Reused the index in" in again.stderr and "All 1 thresholds met." in again.stdout
        assert again.stdout.index("bm25 (configured)") < again.stdout.index("hybrid")
        stats = runner.invoke(app, ["stats"])  # nothing went into the user's own index
        assert "No papers indexed yet" in stats.stderr

    @pytest.mark.parametrize(
        ("args", "message"),
        [(["--dataset", "x.jsonl"], "--beir scores retrieval on its own corpus - leave out"),
         (["--qrels", "dev"], "qrels/dev.tsv: no such file - --qrels takes one of test"),
         (["--fail-under", "retrieval.hybrid.ndcg=0.5"],
          "unknown metric 'retrieval.hybrid.ndcg' - did you mean 'retrieval.hybrid.ndcg@10'?")],
    )  # fmt: skip
    def test_user_errors_are_one_clear_line(self, args, message, monkeypatch):
        from assistant.evaluation import beir

        fake = {mode: dict.fromkeys(beir.METRICS, 0.5) for mode in ("hybrid", "dense", "bm25")}
        monkeypatch.setattr(beir, "evaluate", lambda *_: beir.BeirResult(
            {"beir": "x", "queries": 0, "documents": 0, "index": "x", "index_reused": True,
             "eval_s": 0}, [], {"retrieval": fake, "queries": 0}))  # fmt: skip
        monkeypatch.setattr("assistant.evaluation.beir_index.open_index", lambda *_, **__: None)
        result = runner.invoke(app, ["eval", "--beir", str(MINI), *args])
        assert result.exit_code == 1
        assert message in result.stderr and "Traceback" not in result.output

    def test_a_broken_folder_names_file_and_line(self, beir):
        (beir / "queries.jsonl").write_text('{"_id": "q01", "text": "bees"}\n{"_id": \n')
        result = runner.invoke(app, ["eval", "--beir", str(beir)])
        assert result.exit_code == 1
        assert f"{beir / 'queries.jsonl'}:2: not valid JSON" in result.stderr
