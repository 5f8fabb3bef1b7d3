"""What a question names that the papers lack, the evidence refusals rest on."""

import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings

from assistant import Assistant
from assistant.answer.refusal import Gaps, find_gaps
from assistant.answer.result import REFUSAL


@pytest.fixture
def assistant(settings) -> Assistant:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    return assistant


def gaps(assistant: Assistant, question: str) -> Gaps:
    return find_gaps(assistant.search(question), assistant.retriever.document_frequency)


def test_document_frequency_counts_the_papers_holding_a_word(assistant):
    frequency = assistant.retriever.document_frequency
    assert frequency("calibration") == 3  # Temperature Scaling, Mixing Samples, Four-bit
    assert frequency("oversmoothing") == 1
    assert frequency("alphafold") == 0


def test_a_name_no_indexed_paper_has_is_unseen(assistant):
    assert gaps(assistant, "Is DUQ better than AlphaFold or YOLOv8?").unseen == [
        "AlphaFold",
        "YOLOv8",
    ]
    # one unknown part is enough: 'swe' is in no paper, though 'bench'-like words may be
    assert gaps(assistant, "Which agents solve SWE-uncertainty tasks?").unseen == [
        "SWE-uncertainty"
    ]
    assert gaps(assistant, "How does Deep GNNs handle Oversmoothing?").unseen == []


def test_a_title_case_name_none_of_the_papers_found_has_is_absent(assistant):
    # both words are indexed, but no paper found says 'Mixup Calibration'
    found = gaps(assistant, "How does Temperature Scaling compare with Mixup Calibration?")
    assert found.unseen == [] and found.absent == ["Mixup Calibration"]
    # the sentence's own first word is no part of a name
    assert gaps(assistant, "Mixing Samples for calibration?").absent == []
    assert found.explain() == "None of the papers found mentions 'Mixup Calibration'."


def test_which_papers_needs_its_most_specific_word_in_a_paper_listed(assistant):
    assert gaps(assistant, "Which papers study calibration?").absent == []
    missing = gaps(assistant, "Which papers study calibration for deepfake?")
    assert missing.absent == ["deepfake"]


def test_the_refusal_says_what_is_missing(assistant):
    answer = assistant.ask("Which papers detect deepfake videos?")
    assert answer.refused
    assert answer.text == f"{REFUSAL} None of the papers found mentions 'deepfake'."
