"""The grading decision (full, partial, none): its evidence signals, its fitted models, and
what a refusal and a partial answer show."""

import json
from dataclasses import fields
from importlib.resources import files

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings

from assistant import Assistant
from assistant.answer.coverage import Reader
from assistant.answer.evidence import Evidence, gather_evidence, names
from assistant.answer.fitted import Logistic, logistic
from assistant.answer.grading import Grounding, coverage_features, grade
from assistant.answer.result import REFUSAL


@pytest.fixture
def assistant(settings) -> Assistant:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    return assistant


def evidence(assistant: Assistant, question: str) -> Evidence:
    return gather_evidence(assistant.search(question), assistant.retriever.local)


def test_what_reads_as_a_name():
    found = names("Is DUQ better than AlphaFold, YOLOv8 or the Diplomacy agent by James?")
    assert found == ["DUQ", "AlphaFold", "YOLOv8"]  # 'Diplomacy', 'James': English words
    assert names("Summarise how DUQ estimates uncertainty.") == ["DUQ"]  # first word: never
    assert names("It works. Mamba does too") == []  # a sentence's first word, again
    assert names("which papers use mamba layers?") == []  # lower case, no digit: a word


def test_names_no_indexed_paper_holds_are_unseen(assistant):
    assert evidence(assistant, "Is DUQ better than AlphaFold or YOLOv8?").unseen == (
        "AlphaFold",
        "YOLOv8",
    )
    # A name's part the papers hold is not enough: every part must be held.
    assert evidence(assistant, "Which agents solve SWE-uncertainty tasks?").unseen == (
        "SWE-uncertainty",
    )
    # An author's name counts as held, misspelt too.
    assert evidence(assistant, "What did Forre and Amersfort find on calibration?").unseen == ()


def test_words_no_paper_holds_weigh_in_unknown_but_misspellings_do_not(assistant):
    assert evidence(assistant, "temperature calibration").unknown == 0.0
    assert evidence(assistant, "temprature calibraton").unknown == 0.0  # misspelt, still held
    assert evidence(assistant, "tokamak plasma calibration").unknown > 0.5
    # An acronym is taken as written: one edit from a held word is still another word.
    assert evidence(assistant, "DUQ with PQR calibration").unknown > 0.0


def reader(assistant: Assistant) -> Reader:
    return Reader(assistant.retriever.local)


def test_the_grading_model_reads_exactly_the_signals_it_is_given(assistant):
    model = logistic("grading")
    hits = assistant.search("How does DUQ estimate uncertainty?")
    graded, _ = grade(hits, reader(assistant))
    read = reader(assistant).read(hits.question.facets, hits)
    features = gather_evidence(hits, assistant.retriever.local).features()
    features |= coverage_features(hits.question.facets, read)
    assert set(model.weights) == set(features)
    assert 0 < model.threshold < 1 and model.threshold <= _fitted()["grading"]["certain"] <= 1
    assert graded.score == model.probability(features)


def test_more_evidence_means_a_lower_score():
    model = logistic("grading")
    weak = Evidence(0.2, 0.02, 0.1, 0.2, 0.6, ("AlphaFold",)).features()
    strong = Evidence(0.7, 0.3, 0.8, 0.9, 0.0, ()).features()
    weak |= {"weakest": 0.05, "uncovered": 0.5}
    strong |= {"weakest": 0.95, "uncovered": 0.0}
    assert model.probability(weak) > model.threshold > model.probability(strong)


def test_the_model_file_is_the_fitted_one():
    data = _fitted()
    assert data["fitted_by"] == "evals/fit.py"
    assert all(not name.endswith("heldout.jsonl") for name in data["fitted_on"])
    for name in ("coverage", "grading"):
        model = data[name]
        assert logistic(name) == Logistic(model["weights"], model["bias"], model["threshold"])


def test_listings_and_named_papers_carry_their_own_evidence(assistant):
    listing = assistant.search("What has Juho Lee worked on?")
    named = assistant.search("What does Temperature Scaling find?")
    for hits in (listing, named):
        graded, _ = grade(hits, reader(assistant))
        assert graded.grounding is Grounding.FULL and graded.score is None


def _fitted() -> dict:
    return json.loads((files("assistant.answer") / "fitted.json").read_text())


def test_a_refusal_says_what_is_missing_and_shows_its_numbers(assistant):
    answer = assistant.ask("What protein structures did AlphaFold predict?")
    assert answer.refused and answer.citations == []
    assert answer.text == f"{REFUSAL} No indexed paper mentions 'AlphaFold'."
    shown = answer.to_json()
    assert shown["grounding"] == "none" and shown["refused"] is True
    evidence = shown["evidence"]
    assert evidence["refused"] is True and evidence["score"] >= evidence["threshold"]
    assert set(evidence["signals"]) == {f.name for f in fields(Evidence)}
    assert evidence["signals"]["unseen"] == ["AlphaFold"]


def test_an_answer_shows_the_numbers_it_was_not_refused_on(assistant):
    answer = assistant.ask("How does DUQ estimate uncertainty?")
    assert not answer.refused and answer.grounding == "full"
    shown = answer.to_json()["evidence"]
    assert shown["refused"] is False and shown["score"] < shown["threshold"]


@pytest.fixture
def below_full(monkeypatch):
    """Every question graded below full, facets covered when their words are held: what a
    partial answer says is then the offline answerer's doing, not the fitted numbers'."""
    from assistant.answer import coverage, grading

    monkeypatch.setattr(grading, "logistic", lambda name: Logistic({}, 10.0, 0.5))
    monkeypatch.setattr(coverage, "logistic", lambda name: Logistic({"lexical": 10.0}, -5.0, 0.5))


def test_a_partial_answer_says_what_no_paper_covers_then_the_closest_papers(assistant, below_full):
    answer = assistant.ask("How does mixup help protein folding?")
    assert answer.grounding == "partial" and not answer.refused
    lead, partial, first, *_ = answer.text.split("\n")
    assert lead == "No indexed abstract mentions protein folding."
    assert partial == "The closest papers, as partial matches:"
    assert first == (
        "- **Mixing Samples for Confidence** [1] covers mixup: "
        "Mixup improves calibration of networks."
    )
    assert [c.paper.title for c in answer.citations] == ["Mixing Samples for Confidence"]
    shown = answer.to_json()
    assert shown["facets"] == ["mixup", "protein folding"]
    assert shown["citations"][0]["covers"] == ["mixup"]
    assert shown["citations"][0]["lacks"] == ["protein folding"]
    assert shown["evidence"]["missing"] == ["protein folding"]


def test_a_figure_the_abstract_does_not_report_is_said_so(assistant, below_full):
    answer = assistant.ask("How large is the calibration set for quantization?")
    assert answer.grounding == "partial"  # no abstract here holds a number
    assert answer.text.startswith("None of the closest abstracts reports the figure asked for.\n")
    assert answer.citations[0].paper.title == "Four-bit Transformers"


def test_nothing_covered_is_refused_with_what_is_missing(assistant, below_full):
    answer = assistant.ask("protein folding")
    assert answer.refused and answer.grounding == "none" and answer.citations == []
    assert answer.text == f"{REFUSAL} No indexed abstract mentions protein folding."
