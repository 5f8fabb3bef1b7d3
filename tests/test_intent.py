"""One reading of what a question wants, shared by retrieval, the follow-up rewriter, the
offline answerer and the mock LLM."""

import pytest

from assistant.search.intent import Intent, asks_for_a_number, read_intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Who wrote the DUQ paper?", Intent.AUTHORS),
        ("who are the authors of Deep Deterministic Uncertainty?", Intent.AUTHORS),
        ("Authors of the Muon optimizer paper?", Intent.AUTHORS),
        ("What do the authors of DUQ propose?", Intent.DETAIL),
        ("authors of the mixup paper: what did they find?", Intent.DETAIL),
        ("Which papers study calibration?", Intent.LIST),
        ("are there papers about satellite images", Intent.LIST),
        ("find me papers on graph oversmoothing", Intent.LIST),
        ("What has Juho Lee worked on?", Intent.LIST),
        ("Papers with Rong Ge as a co-author?", Intent.LIST),
        ("Show me the 2021 papers from the publication list.", Intent.LIST),
        ("Which paper pretrains transformers with masked key/value slots?", Intent.DETAIL),
        ("a catalogue of galaxies from a deeper imaging survey", Intent.DETAIL),
        ("What are the main approaches to detecting out-of-distribution inputs?", Intent.BROAD),
        ("Give me an overview of work on federated learning", Intent.BROAD),
        ("summarise what these papers say about uncertainty", Intent.BROAD),
        ("Summarise how DUQ estimates uncertainty.", Intent.DETAIL),
        ("How does DUQ differ from DDU?", Intent.COMPARE),
        ("mixup versus label smoothing", Intent.COMPARE),
        ("How is SimCLR different from MoCo?", Intent.COMPARE),
        ("contrasting dropout and ensembles", Intent.COMPARE),
        ("How does contrastive learning avoid collapse?", Intent.DETAIL),
        ("a differentiable simulator for cloth and rope", Intent.DETAIL),
        ("neural solvers for partial differential equations", Intent.DETAIL),
        ("Which papers compare transformers and CNNs?", Intent.LIST),
        ("What accuracy did the MLP scaling paper reach on CIFAR10?", Intent.DETAIL),
        ("What datasets did they use?", Intent.DETAIL),  # no conversation: nothing to refer to
    ],
)
def test_each_intent_from_its_phrase(text, intent):
    assert read_intent(text) is intent


def test_a_follow_up_needs_a_conversation():
    assert read_intent("What datasets did they use?", conversation=True) is Intent.FOLLOW_UP
    assert read_intent("and the second one?", conversation=True) is Intent.FOLLOW_UP
    assert read_intent("Which papers study calibration?", conversation=True) is Intent.LIST


def test_lists_and_overviews_want_every_paper():
    assert {i for i in Intent if i.wants_all} == {Intent.LIST, Intent.BROAD}


def test_asks_for_a_number():
    assert asks_for_a_number("How many GPUs did they train on?")
    assert asks_for_a_number("what accuracy on ImageNet")
    assert not asks_for_a_number("What dataset did they use?")
