"""Offline answers over the dev set meet their targets, and never cite outside the
context. The real model over the bundled corpus (slow)."""

from collections import defaultdict
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.evaluation.dataset import load_dataset
from assistant.evaluation.metrics import citation_recall, mean, mentions_all, refusal_scores
from assistant.settings import Settings

DEV = Path(__file__).parent.parent / "evals" / "datasets" / "dev.jsonl"


@pytest.fixture(scope="module")
def answers(bundled_index):
    data_dir, ingest = bundled_index
    assert ingest.returncode == 0, ingest.stderr
    assistant = Assistant(Settings(data_dir=data_dir, llm="offline"))
    results = []
    for case in load_dataset(DEV):
        history = [{"role": t.role, "content": t.content} for t in case.history]
        results.append((case, assistant.ask(case.question, history)))
    return results


@pytest.mark.slow
def test_no_citation_ever_points_outside_the_retrieved_context(answers):
    for case, answer in answers:
        assert answer.dropped_citations == 0, case.id
        assert all(1 <= c.n <= len(answer.retrieved) for c in answer.citations), case.id


@pytest.mark.slow
def test_offline_answers_cite_the_right_papers(answers):
    recall = defaultdict(list)
    for case, answer in answers:
        if case.answerable:
            cited = [c.paper.title for c in answer.citations]
            recall[case.type].append(citation_recall(cited, case.expected_titles))
    single = [r for t in ("paraphrase", "detail", "comparison", "follow_up") for r in recall[t]]
    assert mean(single) >= 0.90
    assert mean(recall["topic"]) >= 0.80


@pytest.mark.slow
def test_detail_answers_state_the_detail(answers):
    mentioned = [mentions_all(a.text, c.must_mention) for c, a in answers if c.type == "detail"]
    assert mean(m for m in mentioned if m is not None) >= 0.80


@pytest.mark.slow
def test_answerable_questions_are_answered(answers):
    scores = refusal_scores((not c.answerable, a.refused) for c, a in answers)
    answered = scores["tn"] / (scores["tn"] + scores["fp"])
    assert answered >= 0.95
    # Refusal recall is 0.78 on the dev set today, short of the 0.90 target: see the
    # answering issue's note. This floor keeps it from sliding back.
    assert scores["recall"] >= 0.75
