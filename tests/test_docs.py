"""The README cannot drift: CI's command and every setting must be in it as they are."""

from pathlib import Path

from assistant.settings import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_test_command():
    command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert command.endswith("pytest")
    assert f"\n{command}\n" in README


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`ASSISTANT_{name.upper()}`" in README
