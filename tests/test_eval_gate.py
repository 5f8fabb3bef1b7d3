"""The regression gate as CI runs it: `assistant eval` on the dev set over the bundled corpus,
with the thresholds in evals/thresholds.toml. A failure lists each metric that fell."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("llm", ["mock", "offline"])
def test_dev_set_meets_the_thresholds(bundled_index, llm):
    data_dir, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    command = [
        str(Path(sys.executable).parent / "assistant"),
        "eval",
        "--llm",
        llm,
        "--thresholds",
        str(ROOT / "evals" / "thresholds.toml"),
    ]
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "thresholds met" in done.stdout
