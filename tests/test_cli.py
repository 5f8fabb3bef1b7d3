"""The `assistant` command as a user runs it: exit codes, messages, JSON shape."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app

FORMATS = Path(__file__).parent / "fixtures" / "formats"
runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))


def test_stats_before_ingest_tells_you_what_to_run():
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1
    assert "No papers indexed yet - run 'assistant ingest'" in result.stderr
    assert "Traceback" not in result.output


def test_ingest_files_then_stats_json():
    result = runner.invoke(app, ["ingest", str(FORMATS / "papers.csv"), str(FORMATS / "arxiv.xml")])
    assert result.exit_code == 0, result.output
    assert "added" in result.stdout and "1 skipped" in result.stdout
    assert (
        "papers.csv:5: 'Adam: A Method for Stochastic Optimization' has a title but no abstract"
        in result.stderr
    )
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert set(stats) >= {"papers", "entries", "by_source", "by_year"}
    assert stats["by_source"] == {"papers.csv": 2, "arxiv.xml": 2}
    assert stats["papers"] == 4 and stats["by_year"]["2016"] == 1
    again = runner.invoke(app, ["ingest", str(FORMATS / "papers.csv"), str(FORMATS / "arxiv.xml")])
    assert "0 added, 0 updated, 4 unchanged" in again.stdout


def test_ingest_reference_manager_exports_merges_them_with_bibtex():
    files = [str(FORMATS / name) for name in ("zotero.ris", "zotero.json", "sample.bib")]
    result = runner.invoke(app, ["ingest", *files])
    assert result.exit_code == 0, result.output
    assert "zotero.ris:64: 'Dropout: A Simple Way" in result.stderr
    assert "zotero.json:118: 'Dropout: A Simple Way" in result.stderr
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["by_source"] == {"zotero.ris": 3, "zotero.json": 4, "sample.bib": 3}
    assert stats["papers"] == 6  # BERT in all three, WaveNet and AlphaFold in two
    found = runner.invoke(app, ["search", "raw audio waveforms", "-k", "1", "--json"])
    [hit] = json.loads(found.stdout)["hits"]
    assert hit["title"] == "WaveNet: A Generative Model for Raw Audio"


def test_broken_reference_manager_exports_exit_non_zero_naming_the_fix():
    result = runner.invoke(
        app, ["ingest", str(FORMATS / "broken_csl.json"), str(FORMATS / "broken.ris")]
    )
    assert result.exit_code == 1
    assert "broken_csl.json: line 30: not valid JSON" in result.stderr
    assert "re-export it as CSL JSON" in result.stderr
    assert "broken.ris:12: The record 'TY  - JOUR' has no 'ER  -' line closing it" in result.stderr
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["papers"] == 1


def test_folder_with_a_bad_file_ingests_the_rest_and_exits_non_zero(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FORMATS / "papers.jsonl", folder)
    shutil.copy(FORMATS / "broken.bib", folder)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7\n\x00\x01\x02binary")
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert "scan.pdf: looks like a binary file" in result.stderr
    assert "1 file(s) could not be ingested" in result.stderr
    assert "papers.jsonl:" in result.stderr and "broken.bib:" in result.stderr
    assert json.loads(runner.invoke(app, ["stats", "--json"]).stdout)["papers"] >= 2


def test_missing_path_is_a_clear_error():
    result = runner.invoke(app, ["ingest", "no/such/file.bib"])
    assert result.exit_code == 1
    assert "no/such/file.bib: no such file or folder - check the path" in result.stderr


def test_stats_table_is_readable():
    runner.invoke(app, ["ingest", str(FORMATS / "sample.bib")])
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0
    assert "papers from" in result.stdout and "sample.bib" in result.stdout


def test_search_prints_a_table_and_json(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    runner.invoke(app, ["ingest", str(FORMATS / "papers.csv"), str(FORMATS / "arxiv.xml")])
    table = runner.invoke(app, ["search", "training much deeper networks", "-k", "2"])
    assert table.exit_code == 0, table.output
    assert "Deep Residual Learning" in table.stdout
    result = runner.invoke(app, ["search", "attention transformer", "--json", "--year", "2017"])
    found = json.loads(result.stdout)
    assert found["hits"][0]["title"] == "Attention Is All You Need"
    assert found["filters"] == {"year": {"value": "2017", "from": "explicit"}}
    assert set(found["hits"][0]) >= {"id", "title", "authors", "year", "score", "found_by"}
    assert found["mode"] == "hybrid" and not found["wants_all"]


def test_search_errors_are_clear():
    runner.invoke(app, ["ingest", str(FORMATS / "papers.csv")])
    bad_year = runner.invoke(app, ["search", "x", "--year", "recent"])
    assert bad_year.exit_code == 2 and "is not a year like 2021" in bad_year.output
    empty = runner.invoke(app, ["search", " "])
    assert empty.exit_code == 1 and "The question is empty" in empty.stderr
    mode = runner.invoke(app, ["search", "x", "--retrieval", "magic"])
    assert mode.exit_code == 1 and "unknown retrieval mode 'magic'" in mode.stderr


@pytest.mark.slow
def test_bundled_corpus_end_to_end_with_real_embeddings(bundled_index):
    """The README's main job: the installed command, the real model, the whole corpus."""
    import os
    import subprocess
    import sys

    data_dir, first = bundled_index
    assert first.returncode == 0, first.stderr
    assert "Ingested 368 entries: 352 added, 0 updated, 0 unchanged, 0 skipped." in first.stdout
    command = str(Path(sys.executable).parent / "assistant")
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir)}
    again = subprocess.run([command, "ingest"], env=env, capture_output=True, text=True)
    assert "0 added, 0 updated, 352 unchanged" in again.stdout
    stats = subprocess.run([command, "stats", "--json"], env=env, capture_output=True, text=True)
    numbers = json.loads(stats.stdout)
    assert (numbers["papers"], numbers["entries"]) == (352, 368)
    assert numbers["by_kind"] == {
        "poster_session": 145,
        "publication_list": 38,
        "trending_listing": 185,
    }


def test_ask_prints_the_answer_and_json(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    runner.invoke(app, ["ingest", str(FORMATS / "papers.csv"), str(FORMATS / "arxiv.xml")])
    shown = runner.invoke(app, ["ask", "How do residual networks make deeper networks trainable?"])
    assert shown.exit_code == 0, shown.output
    assert "[1]" in shown.stdout and "Deep Residual Learning for Image Recognition" in shown.stdout
    data = json.loads(runner.invoke(app, ["ask", "What is the Transformer?", "--json"]).stdout)
    assert set(data) >= {"answer", "refused", "citations", "retrieved", "filters", "backend"}
    assert data["backend"] == "offline" and data["citations"][0]["n"] == 1
    assert data["citations"][0]["title"] == "Attention Is All You Need"
    refused = json.loads(
        runner.invoke(app, ["ask", "Which AlphaFold version won CASP?", "--json"]).stdout
    )
    assert refused["refused"] and refused["citations"] == []


def test_ask_before_ingest_and_chat_session():
    result = runner.invoke(app, ["ask", "anything?"])
    assert result.exit_code == 1 and "No papers indexed yet" in result.stderr
    runner.invoke(app, ["ingest", str(FORMATS / "papers.csv")])
    session = runner.invoke(
        app,
        ["chat"],
        input="How do residual networks help very deep models?\nWho are the authors?\n\n",
    )
    assert session.exit_code == 0, session.output
    assert "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun" in session.stdout


def test_an_offline_answer_loads_no_llm_ui_or_tracing_library(tmp_path):
    """Imports are most of a cold `assistant ask`: an offline answer must not pay for
    LangChain's tracing (langsmith, 0.7 s), the OpenAI client, or the web UI."""
    script = f"""
import sys
from langchain_core.embeddings import DeterministicFakeEmbedding
from assistant.api import Assistant
from assistant.settings import Settings
assistant = Assistant(Settings(data_dir={str(tmp_path)!r}, llm="offline"),
                      embeddings=DeterministicFakeEmbedding(size=16))
assistant.ingest([{str(FORMATS / "sample.bib")!r}])
assert not assistant.ask("How is calibration measured?").notice
heavy = ("langsmith", "openai", "langchain_openai", "gradio", "pandas", "torch")
print(sorted(name for name in heavy if name in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_user_text_is_printed_as_text_not_markup(tmp_path, monkeypatch):
    """A '[/red]' in a title, a BibTeX key or an option is text: every Skipped and Failed
    line after it is still printed."""
    monkeypatch.setenv("COLUMNS", "200")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text(
        'title,abstract\n"Tags [/red] in [bold]a title",An abstract about tags.\n"No [/red]",\n'
    )
    (folder / "b.bib").write_text("@article{[/red]key,\n title={Keyed [/red]}\n}\n")
    (folder / "c.txt").write_text("Not a [/red] paper page.\n")
    result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1 and "MarkupError" not in result.output
    assert "Skipped " in result.stderr
    assert "'No [/red]' has a title but no abstract" in result.stderr
    assert "'Keyed [/red]' has a title but no abstract" in result.stderr
    assert "Failed " in result.stderr and "c.txt: format not recognised" in result.stderr
    table = runner.invoke(app, ["search", "tags in a title"])
    assert table.exit_code == 0 and "Tags [/red] in [bold]a title" in table.stdout
    author = runner.invoke(app, ["search", "tags", "--author", "[/red]"])
    assert author.exit_code == 1
    assert "Error: no indexed paper has an author matching '[/red]'" in author.stderr


def test_negative_k_and_a_backwards_year_range_are_errors():
    runner.invoke(app, ["ingest", str(FORMATS / "papers.csv")])
    negative = runner.invoke(app, ["search", "networks", "-k", "-5"])
    assert negative.exit_code == 1 and "k = -5 is not a number of papers" in negative.stderr
    backwards = runner.invoke(app, ["search", "networks", "--year", "3000:1000"])
    assert backwards.exit_code == 1
    assert "runs from 3000 back to 1000 - put the earlier year first" in backwards.stderr
    assert "1000:3000 on the command line" in backwards.stderr


def test_search_table_gives_the_title_the_room_in_80_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    title = "A Very Long Title About Calibrating Deep Networks Under Distribution Shift At Scale"
    record = {
        "title": title,
        "abstract": "We calibrate deep networks under distribution shift, at scale.",
        "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        "year": 2024,
        "doi": "10.1000/xyz123",
        "arxiv_id": "2401.00001",
    }
    papers = tmp_path / "long.jsonl"
    papers.write_text(json.dumps(record) + "\n")
    runner.invoke(app, ["ingest", str(papers)])
    table = runner.invoke(app, ["search", "calibrating networks under shift", "-k", "1"])
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "Lovelace et al." in table.stdout and "Turing" not in table.stdout
    title_lines = [line for line in lines if any(w in line for w in ("Very", "Scale"))]
    assert len(title_lines) <= 3, table.stdout  # 84 characters: two lines, three at most
    hit = json.loads(runner.invoke(app, ["search", "calibrating", "--json"]).stdout)["hits"][0]
    assert (hit["doi"], hit["arxiv_id"]) == ("10.1000/xyz123", "2401.00001")
    asked = json.loads(
        runner.invoke(app, ["ask", "calibrating networks under shift", "--json"]).stdout
    )
    assert asked["citations"][0]["doi"] == "10.1000/xyz123"
    assert asked["citations"][0]["arxiv_id"] == "2401.00001"
