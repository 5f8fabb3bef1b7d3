"""Eval metrics on hand-made cases whose answers are worked out by hand."""

import math

import pytest

from assistant.evaluation.metrics import (
    citation_precision,
    citation_recall,
    citations_outside,
    mean,
    mentions_all,
    ndcg_at_k,
    percentile,
    recall_at_k,
    reciprocal_rank,
    refusal_curve,
    refusal_scores,
    summarise,
)

A, B, C = "Layer Normalization", "Pointer Networks", "Attention Is All You Need"
X, Y = "Unrelated Paper One", "Unrelated Paper Two"


# recall@k


def test_recall_counts_expected_titles_in_the_top_k():
    assert recall_at_k([A, X, B, C], [A, B, C], k=3) == pytest.approx(2 / 3)
    assert recall_at_k([A, X, B, C], [A, B, C], k=4) == 1.0


def test_recall_is_undefined_without_expected_titles():
    assert recall_at_k([A, B], [], k=5) is None


def test_recall_misses_a_title_that_only_appears_after_k():
    assert recall_at_k([X, Y, A], [A], k=2) == 0.0


def test_recall_counts_a_duplicated_title_once():
    assert recall_at_k([A, A, A], [A, B], k=3) == 0.5


def test_recall_matches_titles_differing_only_in_case_and_punctuation():
    assert recall_at_k(["layer normalization."], [A], k=1) == 1.0
    assert recall_at_k(["LAYER-NORMALIZATION"], [A], k=1) == 1.0


def test_recall_with_k_larger_than_the_ranking():
    assert recall_at_k([A], [A, B], k=50) == 0.5
    assert recall_at_k([], [A], k=5) == 0.0


def test_recall_all_wrong_is_zero():
    assert recall_at_k([X, Y], [A, B], k=2) == 0.0


def test_k_below_one_is_an_error():
    with pytest.raises(ValueError, match="k must be at least 1"):
        recall_at_k([A], [A], k=0)
    with pytest.raises(ValueError, match="k must be at least 1"):
        ndcg_at_k([A], [A], k=0)


# reciprocal rank


def test_reciprocal_rank_of_the_first_expected_title():
    assert reciprocal_rank([A, B], [A]) == 1.0
    assert reciprocal_rank([X, Y, B, A], [A, B]) == pytest.approx(1 / 3)


def test_reciprocal_rank_counts_a_duplicate_of_a_wrong_title_as_a_position():
    assert reciprocal_rank([X, X, A], [A]) == pytest.approx(1 / 3)


def test_reciprocal_rank_is_zero_when_nothing_expected_is_found():
    assert reciprocal_rank([X, Y], [A]) == 0.0
    assert reciprocal_rank([], [A]) == 0.0


def test_reciprocal_rank_is_undefined_without_expected_titles():
    assert reciprocal_rank([A], []) is None


def test_reciprocal_rank_normalises_titles():
    assert reciprocal_rank([X, "pointer networks!"], [B]) == 0.5


# nDCG@k


def test_ndcg_of_a_perfect_ranking_is_one():
    assert ndcg_at_k([A, B, C, X], [A, B, C]) == pytest.approx(1.0)
    assert ndcg_at_k([C, A, B], [A, B, C], k=3) == pytest.approx(1.0)


def test_ndcg_known_value():
    # ranked A, X, B against expected {A, B, C}, k=3:
    # DCG  = 1/log2(2) + 0/log2(3) + 1/log2(4) = 1 + 0 + 0.5 = 1.5
    # IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.6309298 + 0.5 = 2.1309298
    # nDCG = 1.5 / 2.1309298 = 0.7039180
    assert ndcg_at_k([A, X, B], [A, B, C], k=3) == pytest.approx(0.7039180, abs=1e-6)


def test_ndcg_ideal_is_capped_at_k():
    # two expected but k=1: the ideal is one relevant title at rank 1, so a top hit scores 1
    assert ndcg_at_k([A, B], [A, B], k=1) == pytest.approx(1.0)
    assert ndcg_at_k([B, A], [A, B], k=1) == pytest.approx(1.0)


def test_ndcg_gives_a_repeated_title_nothing_the_second_time():
    # A, A, B: A at rank 1 gains 1, the repeat at rank 2 gains 0, B at rank 3 gains 1/log2(4)
    expected = (1 + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([A, A, B], [A, B], k=3) == pytest.approx(expected)
    assert ndcg_at_k([A, "layer normalization"], [A, B], k=2) == pytest.approx(
        1 / (1 + 1 / math.log2(3))
    )


def test_ndcg_ignores_a_title_after_k():
    assert ndcg_at_k([X, Y, A], [A], k=2) == 0.0


def test_ndcg_with_k_larger_than_the_ranking():
    # the one hit sits at rank 2: 1/log2(3); ideal for one expected title is 1/log2(2) = 1
    assert ndcg_at_k([X, A], [A], k=10) == pytest.approx(1 / math.log2(3))


def test_ndcg_all_wrong_and_undefined():
    assert ndcg_at_k([X, Y], [A, B]) == 0.0
    assert ndcg_at_k([A], []) is None


def test_ndcg_normalises_titles():
    assert ndcg_at_k(["POINTER networks", "layer normalization?"], [A, B]) == pytest.approx(1.0)


# citations


def test_citation_recall():
    assert citation_recall([A], [A, B]) == 0.5
    assert citation_recall([A, B, X], [A, B]) == 1.0
    assert citation_recall([], [A]) == 0.0
    assert citation_recall([X, Y], [A]) == 0.0


def test_citation_recall_is_undefined_without_expected_titles():
    assert citation_recall([A], []) is None
    assert citation_recall([], []) is None


def test_citation_precision():
    assert citation_precision([A, X], [A, B]) == 0.5
    assert citation_precision([A, B], [A, B, C]) == 1.0
    assert citation_precision([X, Y], [A]) == 0.0


def test_citation_precision_is_undefined_when_nothing_was_cited():
    assert citation_precision([], [A]) is None
    assert citation_precision([], []) is None


def test_citing_on_a_question_with_no_expected_papers_has_zero_precision():
    assert citation_precision([X], []) == 0.0


def test_duplicate_citations_count_once():
    # [1] and [3] both name A: one distinct expected paper, one distinct wrong one
    assert citation_precision([A, X, A], [A]) == 0.5
    assert citation_precision([A, "layer normalization."], [A]) == 1.0
    assert citation_recall([A, A], [A, B]) == 0.5


def test_citations_match_titles_differing_only_in_case_and_punctuation():
    assert citation_recall(["pointer NETWORKS."], [B]) == 1.0
    assert citation_precision(["pointer NETWORKS."], [B]) == 1.0


@pytest.mark.parametrize(
    ("shown", "outside"),
    [
        (["A single pass [1][2]. Sources:\n[1] A"], 0),
        (["A single pass [11]."], 1),
        (["Kept [ 42 ], [^12], 【99】 and [9-12]."], 4),  # every spelling; a range once
        (["Cited [42].", "Cited [42]."], 1),  # the stream and the answer alike: once
        (["Streamed [42].", "Answered [1]."], 1),
        (["Prose (1) we propose, (2021), Eq. (12) and [0, 1]."], 0),
    ],
)
def test_citations_outside_the_context_are_counted_in_what_was_shown(shown, outside):
    assert citations_outside(shown, size=10) == outside


# must mention


def test_mentions_all_is_case_insensitive():
    assert mentions_all("It reaches 93.2% on ImageNet.", ["imagenet", "93.2%"]) is True
    assert mentions_all("It reaches 93.2% on ImageNet.", ["imagenet", "CIFAR"]) is False


def test_mentions_all_ignores_whitespace_differences():
    assert mentions_all("trained on\n  ImageNet  1k", ["imagenet 1k"]) is True
    assert mentions_all("top-1 accuracy", ["  top-1\taccuracy "]) is True


def test_mentions_all_ignores_latex_escapes():
    assert mentions_all("an error rate of 4.5%", [r"4.5\%"]) is True
    assert mentions_all(r"an error rate of 4.5\% and R\&D", ["4.5%", "r&d"]) is True
    assert mentions_all("snake_case_name", [r"snake\_case\_name"]) is True


def test_mentions_all_is_undefined_without_required_strings():
    assert mentions_all("anything", []) is None


def test_mentions_all_with_an_empty_answer():
    assert mentions_all("", ["ImageNet"]) is False


# refusals


def test_refusal_scores_count_each_outcome():
    pairs = [
        (True, True),  # tp
        (True, True),  # tp
        (True, False),  # fn
        (False, True),  # fp
        (False, False),  # tn
        (False, False),  # tn
        (False, False),  # tn
    ]
    scores = refusal_scores(pairs)
    assert scores == {
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(2 / 3),
        "tp": 2,
        "fp": 1,
        "fn": 1,
        "tn": 3,
    }


def test_refusal_precision_is_undefined_when_nothing_was_refused():
    scores = refusal_scores([(True, False), (False, False)])
    assert scores == {"precision": None, "recall": 0.0, "tp": 0, "fp": 0, "fn": 1, "tn": 1}


def test_refusal_recall_is_undefined_when_nothing_should_be_refused():
    scores = refusal_scores([(False, True), (False, False)])
    assert scores == {"precision": 0.0, "recall": None, "tp": 0, "fp": 1, "fn": 0, "tn": 1}


def test_refusal_curve_refuses_what_scores_at_or_above_each_threshold():
    scored = [(True, 0.9), (True, 0.4), (False, 0.6), (False, 0.1)]
    curve = refusal_curve(scored, [0.3, 0.5, 0.95])
    assert curve["threshold"] == [0.3, 0.5, 0.95]
    assert curve["recall"] == [1.0, 0.5, 0.0]
    assert curve["precision"] == [pytest.approx(2 / 3), 0.5, None]  # none refused: undefined


def test_refusal_scores_with_no_cases():
    scores = refusal_scores(iter([]))
    assert scores == {"precision": None, "recall": None, "tp": 0, "fp": 0, "fn": 0, "tn": 0}


def test_refusal_scores_perfect():
    scores = refusal_scores([(True, True), (False, False)])
    assert (scores["precision"], scores["recall"]) == (1.0, 1.0)


# percentile


def test_percentile_of_one_value():
    assert percentile([0.42], 50) == 0.42
    assert percentile([0.42], 95) == 0.42


def test_percentile_of_no_values_is_undefined():
    assert percentile([], 50) is None


@pytest.mark.parametrize(
    ("q", "expected"),
    # 1..20 sorted: the q-th percentile sits at position 19 * q / 100, interpolated linearly
    [(0, 1.0), (25, 5.75), (50, 10.5), (90, 18.1), (95, 19.05), (99, 19.81), (100, 20.0)],
)
def test_percentile_interpolates_linearly_between_ranks(q, expected):
    assert percentile(list(range(20, 0, -1)), q) == pytest.approx(expected)


def test_percentile_is_a_plain_float_for_the_json_report():
    assert type(percentile([1, 2, 3], 50)) is float


def test_percentile_known_values():
    # [1, 2, 3, 4]: p50 sits at position 1.5 -> 2.5; p95 at position 2.85 -> 3 + 0.85 = 3.85
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    assert percentile([4.0, 1.0, 3.0, 2.0], 95) == pytest.approx(3.85)


def test_percentile_outside_0_to_100_is_an_error():
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], -1)


# mean and summarise


def test_mean_ignores_none():
    assert mean([1.0, None, 0.0, None]) == 0.5
    assert mean(iter([0.25])) == 0.25


def test_mean_of_nothing_defined_is_none():
    assert mean([]) is None
    assert mean([None, None]) is None


def test_mean_averages_booleans_as_zero_and_one():
    assert mean([True, False, True, None]) == pytest.approx(2 / 3)


def test_summarise_overall_and_by_type():
    rows = [
        {"type": "detail", "recall": 1.0, "mentions": True, "refused": False},
        {"type": "detail", "recall": 0.5, "mentions": False, "refused": False},
        {"type": "detail", "recall": None, "mentions": None, "refused": True},
        {"type": "out_of_corpus", "recall": None, "mentions": None, "refused": True},
        {"type": "out_of_corpus", "recall": None, "mentions": None, "refused": False},
    ]
    summary = summarise(rows, ["recall", "mentions", "refused"])
    assert summary == {
        "overall": {
            "recall": pytest.approx(0.75),  # (1.0 + 0.5) / 2, three None left out
            "mentions": pytest.approx(0.5),  # True, False
            "refused": pytest.approx(0.4),  # 2 of 5
            "cases": 5,
        },
        "by_type": {
            "detail": {
                "recall": pytest.approx(0.75),
                "mentions": pytest.approx(0.5),
                "refused": pytest.approx(1 / 3),
                "cases": 3,
            },
            "out_of_corpus": {"recall": None, "mentions": None, "refused": 0.5, "cases": 2},
        },
    }


def test_summarise_leaves_out_keys_not_asked_for_and_treats_missing_ones_as_none():
    rows = [{"type": "topic", "ndcg": 0.5, "latency": 3.0}, {"type": "topic"}]
    assert summarise(rows, ["ndcg"]) == {
        "overall": {"ndcg": 0.5, "cases": 2},
        "by_type": {"topic": {"ndcg": 0.5, "cases": 2}},
    }


def test_summarise_no_rows():
    assert summarise([], ["recall"]) == {"overall": {"recall": None, "cases": 0}, "by_type": {}}
