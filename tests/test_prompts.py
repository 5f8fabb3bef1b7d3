"""Prompt files declare their variables; any mismatch fails when the prompt is loaded."""

import pytest

from assistant.answer.prompts import load_prompt
from assistant.errors import PromptError


def test_the_shipped_prompts_load_with_their_variables():
    assert set(load_prompt("answer").input_variables) == {"context", "question"}
    assert set(load_prompt("condense").input_variables) == {"history", "question"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--- system ---\nhi\n--- user ---\n{q}", "first line must be 'variables: a, b'"),
        ("variables: q\n--- user ---\n{q}", "needs a '--- system ---' and a '--- user ---'"),
        (
            "variables: q\n--- system ---\nx\n--- user ---\n{q} {extra}",
            r"used, undeclared: \['extra'\]",
        ),
        (
            "variables: q, unused\n--- system ---\nx\n--- user ---\n{q}",
            r"declared, unused: \['unused'\]",
        ),
    ],
)
def test_a_bad_prompt_file_fails_loudly_naming_the_file(tmp_path, text, message):
    (tmp_path / "bad.txt").write_text(text)
    with pytest.raises(PromptError, match=message) as error:
        load_prompt("bad", tmp_path)
    assert "bad.txt" in str(error.value)


def test_a_missing_prompt_file(tmp_path):
    with pytest.raises(PromptError, match="prompt file not found"):
        load_prompt("nope", tmp_path)
