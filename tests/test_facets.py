"""Reading what a question asks about: its facets, once, where the question is read."""

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings

from assistant import Assistant
from assistant.search.facets import MAX_FACETS, read_facets


def texts(question: str) -> list[str]:
    return [facet.text for facet in read_facets(question)]


def test_runs_of_topic_words_are_the_facets():
    assert texts("Is there a paper on protein folding with diffusion models?") == [
        "protein folding",
        "diffusion models",  # a generic noun finishes the name it follows
    ]
    assert texts("What approaches reduce hallucination in large language models?") == [
        "reduce hallucination",
        "large language models",
    ]


def test_punctuation_and_framing_words_cut_facets():
    assert texts("fair synthetic data with GANs, for hiring decisions") == [
        "fair synthetic data",
        "GANs",
        "hiring decisions",
    ]
    assert texts("has anyone tried something like self-supervised learning for speech") == [
        "self-supervised learning",
        "speech",
    ]


def test_a_figure_asked_for_is_a_facet_of_its_own_kind():
    facets = read_facets("what accuracy did DUQ report on CIFAR-10")
    assert [(f.text, f.figure) for f in facets] == [
        ("accuracy", True),
        ("DUQ", False),
        ("CIFAR-10", False),
    ]
    [parameters] = read_facets("how many parameters does it have")
    assert parameters.text == "parameters" and parameters.figure
    [count] = read_facets("how many are there?")
    assert count.text == "how many" and count.figure and count.words == ()  # any number


def test_acronym_initials_and_the_heaviest_facets_of_a_long_description():
    [llm] = read_facets("large language models")
    assert llm.initials == "llm"
    long = (
        "a theory paper on noisy small-batch training of linear regressors which finds that "
        "the fastest speed can come from setting the heavy-ball coefficient below zero, "
        "with proofs, plots, tables and code"
    )
    facets = read_facets(long)
    assert len(facets) == MAX_FACETS
    assert "noisy small-batch training" in [f.text for f in facets]


@pytest.fixture
def assistant(settings) -> Assistant:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    return assistant


def test_the_question_carries_its_facets_read_around_filters_titles_and_framing(assistant):
    def facets(question):
        return [f.text for f in assistant.search(question).question.facets]

    assert facets("2022 papers by Juho Lee on calibration") == ["calibration"]
    assert facets("How does quantization compare with mixup for calibration?") == [
        "quantization",
        "mixup",
        "calibration",
    ]
    # the named title is the evidence; what the question asks beyond it is the facet
    assert facets("How does Temperature Scaling help protein folding?") == ["protein folding"]
    assert facets("What has Juho Lee worked on?") == []  # a listing: nothing to cover
