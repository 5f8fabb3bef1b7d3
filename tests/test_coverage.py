"""The reader: which facets each candidate paper covers, by its words and its vector."""

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings, paper

from assistant import Assistant
from assistant.answer.coverage import Reader
from assistant.answer.fitted import Logistic
from assistant.search.facets import read_facets

# covered when the paper holds the facet's words anywhere: the fitted weights aside, so
# what is tested is the reader's signals
BY_WORDS = Logistic({"lexical": 10.0}, -5.0, 0.5)
EXTRA = [
    paper("Prompted Agents", "We study LLMs that plan. Accuracy reaches 91.2% on ALFWorld."),
    paper("Message Passing", "Graph neural networks pass messages. Their accuracy improves."),
]


@pytest.fixture
def assistant(settings) -> Assistant:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS + EXTRA)
    return assistant


def read(assistant: Assistant, question: str, title: str):
    """The reading of one paper, found by its title, against the question's facets."""
    reader = Reader(assistant.retriever.local)
    hits = assistant.search(title, k=1)
    assert hits[0].paper.title == title
    [coverage] = reader.read(read_facets(question), hits, BY_WORDS)
    return coverage


def test_a_facet_is_met_by_stems_and_by_misspellings(assistant):
    coverage = read(assistant, "calibrate networks", "Mixing Samples for Confidence")
    assert coverage.covers_all  # 'calibrate' ~ 'calibration', 'networks' held
    misspelt = read(assistant, "calibraton", "Mixing Samples for Confidence")
    assert misspelt.supports[0].signals["lexical"] == 1.0


def test_an_acronym_meets_its_expansion_either_way(assistant):
    assert read(assistant, "large language models", "Prompted Agents").covers_all
    assert read(assistant, "GNNs", "Message Passing").covers_all
    assert not read(assistant, "GNNs", "Prompted Agents").covers_all


def test_what_a_paper_covers_and_lacks_with_the_sentence_that_covers_it(assistant):
    coverage = read(assistant, "mixup for protein folding", "Mixing Samples for Confidence")
    assert [f.text for f in coverage.covered] == ["mixup"]
    assert [f.text for f in coverage.lacking] == ["protein folding"]
    assert coverage.supports[0].sentence == "Mixup improves calibration of networks."
    assert coverage.supports[1].sentence == ""  # no sentence holds a word of it
    assert coverage.to_json()["lacks"] == ["protein folding"]


def test_a_figure_is_covered_only_by_a_sentence_with_a_number(assistant):
    reported = read(assistant, "what accuracy do LLM agents reach", "Prompted Agents")
    assert reported.supports[0].facet.figure and reported.supports[0].covered
    assert "91.2%" in reported.supports[0].sentence
    unreported = read(assistant, "what accuracy do graph neural networks reach", "Message Passing")
    figure = unreported.supports[0]  # its words are there, but no number with them
    assert figure.facet.figure and figure.signals["lexical"] == 1.0
    assert not figure.covered and figure.probability == 0.0


def test_no_abstract_mentions_is_said_only_of_a_combination_no_paper_holds(assistant):
    reader = Reader(assistant.retriever.local)

    def mentioned(text):
        [facet] = read_facets(text)
        return reader.mentioned(facet)

    assert mentioned("calibration") and mentioned("quantization calibration")
    assert not mentioned("radiance calibration")  # both words are indexed, never together
    assert not mentioned("protein folding")
    assert mentioned("large language models")  # 'LLMs' spells it
