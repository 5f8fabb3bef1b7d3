"""Cited papers out as BibTeX: a real writer's output that this project (and BibTeX) read
back as the same papers."""

import json

import pytest
import typer
from keyword_corpus import KeywordEmbeddings, paper
from typer.testing import CliRunner

from assistant import Assistant
from assistant.answer.bibtex import citation_key, to_bibtex
from assistant.answer.result import Answer, Citation
from assistant.cli import _write_bibtex, app
from assistant.settings import Settings
from ingest.parse_bibtex import parse_bibtex
from ingest.records import PaperRecord

ODD = PaperRecord(
    "Costs in $\\mathcal{O}(n)$ time, with a stray } brace",
    "We show a {braced} claim and a lone { brace, 50% off.",
    ("José Forré", "Ann Lee"),
    2021,
    venue="Journal of Tests",
    doi="10.1000/ODD.1",
    arxiv_id="2101.00001",
    url="https://example.org/odd",
)


def test_papers_come_back_the_same_through_the_bibtex_reader():
    plain = paper("Deep GNNs", "Oversmoothing in graph networks.", ["Yisen Wang"], 2023)
    text = to_bibtex([ODD, plain])
    parsed = parse_bibtex(text, "cited.bib")
    assert not parsed.skipped
    back = {record.id: record for record in parsed.records}
    assert set(back) == {ODD.id, plain.id}
    odd = back[ODD.id]  # the same paper: its id comes from its DOI
    assert odd.title == ODD.title.replace("} brace", "\\} brace")  # the stray brace, as LaTeX
    assert odd.abstract == ODD.abstract.replace("{ brace", "\\{ brace")
    assert odd.authors == ODD.authors and odd.year == 2021 and odd.venue == "Journal of Tests"
    assert (odd.doi, odd.arxiv_id, odd.url) == (ODD.doi, ODD.arxiv_id, ODD.url)
    assert back[plain.id].title == "Deep GNNs"
    assert back[plain.id].abstract == plain.abstract and back[plain.id].authors == plain.authors


def test_keys_are_stable_and_distinct():
    assert citation_key(ODD) == "forre2021costs"
    twin = PaperRecord("Costs of Other Things", "Other.", ("Jo Forré",), 2021)
    text = to_bibtex([ODD, twin])
    assert "@article{forre2021costs," in text and "@misc{forre2021costsb," in text
    assert to_bibtex([ODD, twin]) == text


def test_the_stray_brace_is_escaped_and_the_latex_kept():
    text = to_bibtex([ODD])
    assert "$\\mathcal{O}(n)$" in text
    assert "stray \\} brace" in text and "lone \\{ brace" in text and "{braced}" in text


def test_ask_bibtex_writes_the_cited_papers_and_they_re_ingest_as_the_same(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert([ODD, paper("Mixup Calibrates", "Mixup improves calibration.")])
    monkeypatch.setattr("assistant.cli._assistant", lambda: assistant)
    out = tmp_path / "cited.bib"
    done = CliRunner().invoke(
        app, ["ask", "how are costs in O(n) time bounded?", "--bibtex", str(out), "--json"]
    )
    assert done.exit_code == 0, done.output
    cited = json.loads(done.stdout)["citations"]
    assert cited and f"Wrote {len(cited)} cited paper(s) to {out}" in done.stderr
    again = Assistant(Settings(data_dir=tmp_path / "again"), embeddings=KeywordEmbeddings())
    report = again.ingest([out])
    assert report.added == len(cited) and not report.skipped
    assert {p.id for p in again.library()} == {c["id"] for c in cited}


def test_a_refusal_writes_no_file(tmp_path, capsys):
    refused = Answer("I could not find this in the indexed papers.", [], True, [], {}, "offline")
    out = tmp_path / "none.bib"
    _write_bibtex(refused, out)
    assert not out.exists()
    assert f"No paper was cited, so {out} was not written." in capsys.readouterr().err


def test_an_unwritable_path_is_a_clear_error_and_leaves_nothing(tmp_path):
    cited = Answer("x [1].", [Citation(1, ODD)], False, [], {}, "offline")
    with pytest.raises(typer.Exit):
        _write_bibtex(cited, tmp_path / "no" / "such" / "dir" / "cited.bib")
    assert not list(tmp_path.rglob("*.partial"))
