"""The graded answer (answer/grading.py) on the LLM path: what the model is told each paper
covers, the check holding it to that, which refusals are left to the model, and the
grounding its answer gets. A scripted chat model, or the real openai client against the
local stub server, over the keyword corpus."""

from __future__ import annotations

import json

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from openai_stub import Error, OpenAIStub, Reply
from typer.testing import CliRunner

from assistant import Assistant
from assistant.answer.check import SUPPORTED
from assistant.answer.fitted import Logistic, fitted
from assistant.answer.result import REFUSAL
from assistant.settings import Settings
from assistant.text import best_sentence

# Facets 'calibration' and 'protein folding': three papers cover the first, none the second.
PARTIAL = "How is calibration used in protein folding?"
# One facet no paper covers, graded none on the keyword corpus, under the fitted
# "certain" level ...
BORDERLINE = "protein folding calibration"
# ... and over it: refused before any model is asked.
CLEAR_CUT = "What protein structures did AlphaFold predict?"
NOT_COVERED = "No indexed abstract mentions protein folding."


# The decision pinned, so these tests are about the chain, not about the fitted numbers:
# a facet is covered when the paper holds its words; below full when no paper among the
# first five covers every facet, and sure enough to refuse unasked only with a name no
# paper holds besides.
BY_WORDS = Logistic({"lexical": 10.0}, -5.0, 0.5)
PINNED = Logistic({"weakest": -6.0, "unseen": 3.0}, 3.0, 0.5)


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    from assistant.answer import coverage, grading

    monkeypatch.setattr(coverage, "logistic", lambda name: BY_WORDS)
    monkeypatch.setattr(
        grading, "logistic", lambda name: BY_WORDS if name == "coverage" else PINNED
    )
    monkeypatch.setitem(fitted()["grading"], "certain", 0.99)


def make(settings: Settings, llm=None) -> Assistant:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings(), llm=llm)
    assistant.index.upsert(PAPERS)
    return assistant


def scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(AIMessage(r) for r in replies))


def on_stub(settings: Settings, stub: OpenAIStub) -> Assistant:
    """The real openai client, pointed at the stub."""
    update = {"openai_base_url": stub.url, "llm_model": "stub-model", "llm_retries": 0}
    return make(settings.model_copy(update=update))


def read_back(context: str) -> list[tuple[str, str, str]]:
    """Each paper of the context as (title, its Covers line, its Does not cover line)."""
    papers = []
    for block in context.removeprefix("Papers:\n").split("\n\n["):
        title, *lines = block.split("\n")
        said = dict(line.split(": ", 1) for line in lines if ": " in line)
        papers.append((title.split("] ", 1)[1], said.get("Covers", ""), said["Does not cover"]))
    return papers


def test_the_model_is_told_what_each_paper_covers_and_what_it_does_not(settings, openai_stub):
    answer = on_stub(settings, openai_stub).ask(PARTIAL)
    assert answer.facets == ["calibration", "protein folding"]
    (request,) = openai_stub.completions
    rules = request.messages[0]["content"]  # what the citation check holds the model to
    assert "say so in a first sentence of its own, without a citation" in rules
    assert "never cite a paper in a sentence that names a part it does not cover" in rules
    context = request.messages[1]["content"]
    assert context.startswith(
        "Papers:\n[1] Temperature Scaling\nAuthors: José Forré, Ann Lee\nYear: 2021\n"
        "Source: poster session\nCovers: calibration\nDoes not cover: protein folding\n"
        "Abstract: We study calibration"
    )
    papers = read_back(context.split("\n\nQuestion: ")[0])
    assert [title for title, *_ in papers] == [h.paper.title for h in answer.retrieved]
    # every paper read against both facets; no paper covers protein folding
    assert {(covers, lacks) for _, covers, lacks in papers} == {
        ("calibration", "protein folding"),
        ("", "calibration; protein folding"),
    }
    assert sum(covers == "calibration" for _, covers, _ in papers) == 3


def test_a_sentence_naming_a_facet_its_paper_lacks_is_flagged(settings):
    """The reader found that [1] does not cover protein folding, so [1] backs no sentence
    that names it; the second claim shares enough words with [1]'s abstract to pass the
    word check, so only that reading stops it."""
    claims = [
        "Temperature scaling improves protein folding",
        "Temperature scaling calibrates protein folding",
    ]
    temperature = next(p for p in PAPERS if p.title == "Temperature Scaling")
    assert best_sentence(claims[1], temperature.abstract)[1] >= SUPPORTED
    reply = "Mixup improves calibration of networks [2]. " + " ".join(f"{c} [1]." for c in claims)
    answer = make(settings, scripted(reply)).ask(PARTIAL)
    assert [h.paper.title for h in answer.retrieved[:2]] == [
        "Temperature Scaling",
        "Mixing Samples for Confidence",
    ]
    assert answer.unsupported == [f"{c}." for c in claims]
    assert [c.paper.title for c in answer.citations] == ["Mixing Samples for Confidence"]
    assert answer.grounding == "partial" and not answer.refused
    assert f"{claims[1]} [1]." in answer.text and "Sources:\n[2] Mixing" in answer.text


def test_a_borderline_none_is_left_to_the_model_and_its_refusal_is_the_answer(
    settings, openai_stub
):
    certain = fitted()["grading"]["certain"]
    assistant = on_stub(settings, openai_stub)
    openai_stub.push(Reply(REFUSAL))
    answer = assistant.ask(BORDERLINE)
    assert answer.evidence["grounding"] == "none", answer.evidence
    assert answer.evidence["score"] < certain  # graded none, but not sure enough to refuse
    (request,) = openai_stub.completions
    assert "Does not cover: protein folding calibration" in request.messages[1]["content"]
    assert answer.backend == "stub-model" and answer.notice is None
    assert answer.text == REFUSAL  # the model's reply, not the offline refusal's explanation
    assert answer.refused and answer.grounding == "none" and answer.citations == []

    clear = assistant.ask(CLEAR_CUT)
    assert clear.evidence["grounding"] == "none" and clear.evidence["score"] >= certain
    assert len(openai_stub.completions) == 1  # the model was never asked
    assert clear.text == f"{REFUSAL} No indexed paper mentions 'AlphaFold'."
    assert clear.refused and clear.grounding == "none"


def test_certain_is_the_line_between_asking_the_model_and_refusing(
    settings, openai_stub, monkeypatch
):
    """The same question each side of the level: the rule is the chain's, not the fit's."""
    assistant = on_stub(settings, openai_stub)
    score = assistant.ask(BORDERLINE).evidence["score"]  # rounded to 4 places
    assert len(openai_stub.completions) == 1
    monkeypatch.setitem(fitted()["grading"], "certain", score - 0.001)
    refused = assistant.ask(BORDERLINE)
    assert len(openai_stub.completions) == 1
    assert refused.text.startswith(f"{REFUSAL} No indexed abstract mentions")
    monkeypatch.setitem(fitted()["grading"], "certain", score + 0.001)
    assistant.ask(BORDERLINE)
    assert len(openai_stub.completions) == 2


def test_a_borderline_none_the_model_fails_on_is_refused_as_offline(settings, openai_stub):
    """The offline answer stands in for a failed model; where the offline decision refuses,
    so does the stand-in, rather than quote the closest paper as an answer."""
    offline = make(settings.model_copy(update={"llm": "offline"})).ask(BORDERLINE)
    assert offline.refused and offline.text.startswith(f"{REFUSAL} No indexed abstract")
    openai_stub.push(Error(500))
    answer = on_stub(settings, openai_stub).ask(BORDERLINE)
    assert len(openai_stub.completions) == 1 and "HTTP 500" in answer.notice
    assert answer.backend == "offline" and answer.text == offline.text
    assert answer.refused and answer.grounding == "none" and answer.citations == []


def test_a_partial_answer_keeps_its_lead_and_is_graded_partial(settings, openai_stub):
    openai_stub.push(Reply(f"{NOT_COVERED} Temperature scaling calibrates networks [1]."))
    answer = on_stub(settings, openai_stub).ask(PARTIAL)
    assert answer.evidence["grounding"] == "partial"
    assert len(openai_stub.completions) == 1 and answer.backend == "stub-model"
    assert not answer.refused and answer.grounding == "partial"
    assert answer.text.startswith(f"{NOT_COVERED} Temperature scaling calibrates networks [1].")
    assert [(c.n, c.paper.title) for c in answer.citations] == [(1, "Temperature Scaling")]
    assert answer.unsupported == []


def test_a_model_answer_is_full_only_when_the_grading_is(settings, openai_stub):
    openai_stub.push(Reply("DUQ estimates uncertainty in a single forward pass [1]."))
    answer = on_stub(settings, openai_stub).ask("How does DUQ estimate uncertainty?")
    assert answer.evidence["grounding"] == "full"
    assert answer.grounding == "full" and answer.backend == "stub-model"


def test_ask_json_with_a_model_carries_grounding_facets_and_coverage(
    settings, openai_stub, monkeypatch
):
    from assistant import cli

    monkeypatch.delenv("ASSISTANT_LLM", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_stub.url)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "stub-model")
    monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    # The command's own Assistant() (settings from the environment), on the keyword corpus.
    monkeypatch.setattr(cli, "_assistant", lambda: make(Settings()))
    openai_stub.push(Reply(f"{NOT_COVERED} Temperature scaling calibrates networks [1]."))
    result = CliRunner().invoke(cli.app, ["ask", PARTIAL, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(openai_stub.completions) == 1 and data["backend"] == "stub-model"
    assert data["grounding"] == "partial" and data["refused"] is False
    assert data["facets"] == ["calibration", "protein folding"]
    assert data["answer"].startswith(NOT_COVERED)
    (cited,) = data["citations"]
    assert cited["title"] == "Temperature Scaling"
    assert (cited["covers"], cited["lacks"]) == (["calibration"], ["protein folding"])
    assert data["evidence"]["missing"] == ["protein folding"]


def test_naming_a_paper_does_not_let_a_facet_it_lacks_through(settings):
    claim = "Temperature scaling calibrates protein folding"
    answer = make(settings, scripted(f"{claim} [1]."))
    answer = answer.ask("How does temperature scaling help protein folding?")
    # graded partial (the named paper lacks protein folding), the claim flagged: with no
    # supported sentence left the answer is the refusal, and the claim is never shown
    assert answer.evidence["grounding"] == "partial"
    assert answer.refused and answer.grounding == "none" and claim not in answer.text
