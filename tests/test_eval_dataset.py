"""The eval dataset: the project's dev set is valid, and every bad line is named with its fix."""

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.errors import AssistantError, DatasetError
from assistant.evaluation.dataset import EvalCase, Turn, load_dataset
from ingest.load import BUNDLED_CORPUS, load_paths

DEV_SET = Path(__file__).parents[1] / "evals" / "datasets" / "dev.jsonl"
MINIMUM_PER_TYPE = {
    "paraphrase": 25,
    "detail": 20,
    "topic": 12,
    "metadata": 15,
    "comparison": 10,
    "follow_up": 10,
    "out_of_corpus": 15,
}
TITLES = ["Layer Normalization", "Pointer Networks"]


def case(**changes) -> dict:
    base = {
        "id": "detail-001",
        "type": "detail",
        "question": "What does layer normalization normalise over?",
        "history": [],
        "expected_titles": ["Layer Normalization"],
        "must_mention": ["layer"],
        "answerable": True,
    }
    return base | changes


def write(tmp_path: Path, *lines: dict | str) -> Path:
    path = tmp_path / "cases.jsonl"
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def problems(path: Path, known_titles: list[str] | None = None) -> list[str]:
    with pytest.raises(DatasetError) as raised:
        load_dataset(path, known_titles)
    return raised.value.problems


@pytest.fixture(scope="module")
def corpus_titles() -> list[str]:
    return [paper.title for paper in load_paths([BUNDLED_CORPUS], 10**8).papers]


@pytest.fixture(scope="module")
def dev_cases(corpus_titles) -> list[EvalCase]:
    return load_dataset(DEV_SET, corpus_titles)


def test_dev_set_validates_against_the_bundled_corpus(dev_cases):
    assert len(dev_cases) >= 110
    counts = Counter(c.type for c in dev_cases)
    for kind, minimum in MINIMUM_PER_TYPE.items():
        assert counts[kind] >= minimum, f"{kind}: {counts[kind]} < {minimum}"
    assert set(counts) == set(MINIMUM_PER_TYPE)


def test_dev_set_ids_are_unique_and_name_their_type(dev_cases):
    ids = [c.id for c in dev_cases]
    assert len(ids) == len(set(ids))
    assert all(c.id.startswith(f"{c.type}-") for c in dev_cases)


def test_dev_set_titles_are_exact_corpus_titles(dev_cases, corpus_titles):
    known = set(corpus_titles)
    assert {t for c in dev_cases for t in c.expected_titles} <= known


def test_dev_set_answerability_matches_type(dev_cases):
    for c in dev_cases:
        assert c.answerable == (c.type != "out_of_corpus"), c.id
        assert bool(c.history) == (c.type == "follow_up"), c.id


def test_valid_file_loads_with_history_turns_and_skips_blank_lines(tmp_path):
    history = [
        {"role": "user", "content": "Any RNN normalisation?"},
        {"role": "assistant", "content": "Yes [1]."},
    ]
    path = write(tmp_path, case(), "", "   ", case(id="f-1", history=history))
    first, second = load_dataset(path, TITLES)
    assert first == EvalCase(
        id="detail-001",
        type="detail",
        question="What does layer normalization normalise over?",
        history=(),
        expected_titles=("Layer Normalization",),
        must_mention=("layer",),
        answerable=True,
    )
    assert second.history == (
        Turn(role="user", content="Any RNN normalisation?"),
        Turn(role="assistant", content="Yes [1]."),
    )


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DatasetError, match=r"nope\.jsonl: no such file - check"):
        load_dataset(missing)


def test_dataset_error_is_an_assistant_error():
    assert issubclass(DatasetError, AssistantError)


def test_empty_file_says_to_add_cases(tmp_path):
    path = write(tmp_path, "")
    assert problems(path) == [f"{path}: no cases - add one JSON object per line"]


def test_invalid_json_gives_the_line_number(tmp_path):
    path = write(tmp_path, case(), '{"id": "x",', case(id="detail-002"))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: not valid JSON (")
    assert problem.endswith("- write one JSON object a line")


def test_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path, '["a", "list"]')
    assert problems(path) == [
        f"{path}:1: expected a JSON object, got an array - write one {{...}} a line"
    ]


def test_missing_keys_and_a_misspelling_of_one(tmp_path):
    data = case(questoin="typo")
    del data["question"], data["must_mention"]
    path = write(tmp_path, data)
    missing, unknown = problems(path)
    assert missing.startswith(f"{path}:1: missing 'question', 'must_mention' - every case needs")
    assert unknown == f"{path}:1: unknown key 'questoin' - did you mean 'question'?"


def test_a_misspelling_may_differ_in_case(tmp_path):
    data = case(ID="detail-001")
    del data["id"]
    path = write(tmp_path, data)
    assert problems(path)[1:] == [f"{path}:1: unknown key 'ID' - did you mean 'id'?"]


def test_a_singular_key_for_a_missing_plural_one_is_a_misspelling(tmp_path):
    data = case(expected_title=["Layer Normalization"])
    del data["expected_titles"]
    path = write(tmp_path, data)
    assert problems(path)[1:] == [
        f"{path}:1: unknown key 'expected_title' - did you mean 'expected_titles'?"
    ]


def test_other_keys_are_kept_as_metadata(tmp_path):
    extra = {"note": "from the v2 review", "source": {"url": "x", "rank": 3}, "tags": [1, None]}
    path = write(tmp_path, case(**extra), case(id="detail-002"))
    first, second = load_dataset(path)
    assert first.metadata == extra
    assert second.metadata == {}


def test_a_key_close_to_a_present_one_is_metadata(tmp_path):
    path = write(tmp_path, case(expected_title="see expected_titles"))
    [loaded] = load_dataset(path)
    assert loaded.metadata == {"expected_title": "see expected_titles"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"history": "none"}, "history must be a list of {role, content} objects, got a string"),
        ({"history": [{"role": "bot", "content": "hi"}]}, "history[0] has role 'bot' - use"),
        ({"history": [{"role": "user"}]}, "history[0] content must be a string"),
        ({"history": [{"content": "hi"}]}, "history[0] has role None - use"),
        ({"history": [{"role": "user", "content": "hi", "at": 1}]}, "history[0] has unknown key"),
        ({"history": ["hi"]}, "history[0] must be an object with role and content"),
        ({"answerable": "yes"}, 'answerable must be true or false, got "yes"'),
        ({"expected_titles": "Layer Normalization"}, "expected_titles must be a list of strings"),
        ({"must_mention": ["ok", 3]}, "must_mention[1] must be a non-empty string, got 3"),
        ({"id": 7}, "id must be a string, got a number"),
        ({"answerable": 1}, "answerable must be true or false, got 1"),
        ({"expected_titles": {"a": 1}}, "expected_titles must be a list of strings, got an object"),
        ({"must_mention": [" "]}, 'must_mention[0] must be a non-empty string, got " "'),
        ({"question": "  "}, "empty question - write the question to ask"),
    ],
)
def test_wrong_types_and_empty_values(tmp_path, changes, message):
    path = write(tmp_path, case(**changes))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:1: {message}")


def test_every_problem_on_a_line_is_reported_in_field_order(tmp_path):
    path = write(
        tmp_path, case(id=7, history=[["user", "hi"]], must_mention=[""], answerable=False)
    )
    assert [problem.split(" - ")[0] for problem in problems(path)] == [
        f"{path}:1: id must be a string, got a number",
        f"{path}:1: history[0] must be an object with role and content",
        f'{path}:1: must_mention[0] must be a non-empty string, got ""',
        f"{path}:1: answerable is false but expected_titles is not empty",
    ]


def test_duplicate_id_names_the_first_line(tmp_path):
    path = write(tmp_path, case(), case(), case(id="other"), case())
    assert problems(path) == [
        f"{path}:{n}: duplicate id 'detail-001' (first used on line 1) - give every case its own id"
        for n in (2, 4)
    ]


def test_unanswerable_case_must_not_expect_titles(tmp_path):
    path = write(tmp_path, case(answerable=False))
    assert problems(path) == [
        f"{path}:1: answerable is false but expected_titles is not empty - "
        "empty the list, or set answerable to true"
    ]


def test_answerable_case_must_expect_titles(tmp_path):
    path = write(tmp_path, case(expected_titles=[]))
    [problem] = problems(path)
    assert problem.startswith(f"{path}:1: answerable is true but expected_titles is empty")


def test_unknown_title_suggests_the_closest_known_one(tmp_path):
    path = write(tmp_path, case(expected_titles=["Layer Normalisation"]))
    assert problems(path, TITLES) == [
        f"{path}:1: expected title 'Layer Normalisation' is not in the corpus - "
        "did you mean 'Layer Normalization'?"
    ]


def test_title_match_ignores_case_and_punctuation(tmp_path):
    path = write(tmp_path, case(expected_titles=["layer  normalization."]))
    assert load_dataset(path, TITLES)[0].expected_titles == ("layer  normalization.",)


def test_titles_are_not_checked_without_known_titles(tmp_path):
    path = write(tmp_path, case(expected_titles=["Some Paper Not Indexed"]))
    assert len(load_dataset(path)) == 1


def test_every_problem_is_reported_but_the_message_is_capped(tmp_path):
    path = write(tmp_path, *["not json"] * (DatasetError.MAX_SHOWN + 5), case())
    error_problems = problems(path)
    assert len(error_problems) == DatasetError.MAX_SHOWN + 5
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    lines = str(raised.value).splitlines()
    assert len(lines) == DatasetError.MAX_SHOWN + 1
    assert lines[0].startswith(f"{path}:1: not valid JSON")
    assert lines[-1] == "... and 5 more problems"
