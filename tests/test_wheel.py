"""The built wheel works on its own: installed into a fresh virtual environment and run from
a folder outside the repository, it ingests its bundled corpus, answers offline and through
an OpenAI-compatible endpoint (so the prompt files shipped inside it), and evaluates its own
dev set. Everything is installed from uv's cache (`--offline`), from the versions uv.lock
pins, so the test needs no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openai_stub import OpenAIStub, Reply

REPO = Path(__file__).resolve().parent.parent
QUESTION = "How does DUQ estimate uncertainty?"

pytestmark = pytest.mark.slow


def run(command: list, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The venv's bin folder, and an environment that runs its `assistant` from outside the
    repository with an empty data folder and no LLM endpoint."""
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the wheel - the README's test command installs it"
    root = tmp_path_factory.mktemp("wheel")
    run([uv, "build", "--wheel", "--offline", "--out-dir", root / "dist", REPO])
    (wheel,) = (root / "dist").glob("paper_assistant-*.whl")
    # The locked dependencies by `uv sync` (it finds them in the cache by the lock's URLs;
    # `uv pip install -r` would need index pages that a fresh cache does not hold), then
    # the wheel itself, alone.
    venv = root / "venv"
    run([uv, "venv", "--offline", "--python", sys.executable, venv])
    locked = [uv, "sync", "--frozen", "--offline", "--no-dev", "--no-install-project"]
    run(locked, cwd=REPO, env=os.environ | {"UV_PROJECT_ENVIRONMENT": str(venv)})
    python = venv / "bin" / "python"
    run([uv, "pip", "install", "--offline", "--no-deps", "--python", python, wheel])
    away = root / "elsewhere"
    away.mkdir()
    hidden = ("OPENAI_", "ASSISTANT_", "PYTHONPATH", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(hidden)}
    env |= {"ASSISTANT_DATA_DIR": str(away / "index"), "PWD": str(away)}
    return python.parent, env


def assistant(installed, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    bin_folder, base = installed
    where = base["PWD"]
    return run([bin_folder / "assistant", *args], cwd=where, env=base | (env or {}))


def test_the_package_comes_from_the_wheel_not_the_repository(installed):
    bin_folder, env = installed
    code = "import assistant, ingest; print(assistant.__file__, ingest.__file__)"
    found = run([bin_folder / "python", "-c", code], cwd=env["PWD"], env=env).stdout.split()
    assert all(str(REPO) not in path and "site-packages" in path for path in found)


def test_ingest_ask_offline_and_through_an_endpoint_then_eval(installed):
    ingested = assistant(installed, "ingest")
    assert "Ingested 368 entries: 352 added" in ingested.stdout

    offline = json.loads(assistant(installed, "ask", QUESTION, "--json").stdout)
    assert offline["backend"] == "offline" and not offline["refused"]
    assert "Uncertainty" in offline["citations"][0]["title"]

    with OpenAIStub() as stub:
        stub.push(Reply("DUQ estimates uncertainty in a single forward pass [1]."))
        endpoint = {"OPENAI_BASE_URL": stub.url, "ASSISTANT_LLM_MODEL": "stub-model"}
        answered = json.loads(assistant(installed, "ask", QUESTION, "--json", env=endpoint).stdout)
        (request,) = stub.completions
    assert answered["backend"] == "stub-model" and answered["notice"] is None
    assert answered["answer"].startswith("DUQ estimates uncertainty in a single forward pass [1].")
    # The shipped prompts/answer.txt wrote the system message.
    assert "ONLY the numbered paper abstracts" in request.messages[0]["content"]

    report = Path(installed[1]["PWD"]) / "eval.json"
    assistant(installed, "eval", "--llm", "offline", "--json", str(report))
    config = json.loads(report.read_text())["config"]
    assert config["dataset"].endswith("site-packages/assistant/evals/datasets/dev.jsonl")
    assert config["cases"] == 152
