"""evals/scifact.py turns SciFact's claims into eval cases (read from ../shared, which is not
in every checkout: skipped without it)."""

import importlib.util
import json
from itertools import islice
from pathlib import Path

import pytest

from assistant.evaluation.dataset import load_dataset

SCRIPT = Path(__file__).resolve().parent.parent / "evals" / "scifact.py"
spec = importlib.util.spec_from_file_location("scifact", SCRIPT)
scifact = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scifact)

pytestmark = pytest.mark.skipif(
    not (scifact.SCIFACT / "papers.jsonl").is_file(), reason="no ../shared/external/scifact"
)


def first(name: str, n: int = 3) -> list[dict]:
    with (scifact.SCIFACT / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in islice(lines, n)]


def test_claims_and_near_misses_become_cases_in_the_eval_format(tmp_path):
    claims, near = first("tune-answerable.jsonl"), first("tune-nearmiss.jsonl")
    made = [scifact.case(c, "claim", True) for c in claims]
    made += [scifact.case(c, "near_miss", False) for c in near]
    first_claim = made[0]
    assert first_claim["id"] == f"scifact-claim-{claims[0]['id']}"
    assert first_claim["question"] == claims[0]["question"]
    assert first_claim["claim"] == claims[0]["claim"] and first_claim["grounding"] == "full"
    assert first_claim["expected_titles"] == [
        f"SciFact abstract {doc}" for doc in claims[0]["relevant"]
    ]
    miss = made[len(claims)]
    assert miss["type"] == "near_miss" and miss["grounding"] == "none"
    assert miss["answerable"] is False and miss["expected_titles"] == []

    # the eval reads them, the expected titles among papers.jsonl's
    with (scifact.SCIFACT / "papers.jsonl").open(encoding="utf-8") as lines:
        titles = [json.loads(line)["title"] for line in lines]
    path = tmp_path / "scifact-tune.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in made))
    loaded = load_dataset(path, titles)
    assert [c.type for c in loaded] == ["claim"] * 3 + ["near_miss"] * 3
    assert loaded[0].metadata == {"claim": claims[0]["claim"]}
    assert [c.expected_grounding for c in loaded] == ["full"] * 3 + ["none"] * 3


def test_every_claim_is_a_case_with_a_distinct_id():
    made = list(scifact.cases())
    assert [sum(c["type"] == kind for c in made) for kind in ("claim", "near_miss")] == [188, 150]
    assert len({c["id"] for c in made}) == len(made)
