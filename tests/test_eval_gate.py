"""The regression gate as CI runs it: `assistant eval` on every eval set over the bundled
corpus, with the thresholds in evals/thresholds.toml. A failure lists each metric that fell."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
THRESHOLDS = ROOT / "evals" / "thresholds.toml"
GATED = [
    (dataset, llm)
    for dataset, table in tomllib.loads(THRESHOLDS.read_text()).items()
    for llm in (("mock", "offline") if set(table["fail_under"]) & {"mock"} else ("offline",))
]


def test_every_eval_set_is_gated():
    sets = {path.stem for path in (ROOT / "evals" / "datasets").glob("*.jsonl")}
    assert sets == {dataset for dataset, _ in GATED}


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "llm"), GATED)
def test_the_set_meets_its_thresholds(bundled_index, dataset, llm):
    data_dir, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    command = [
        str(Path(sys.executable).parent / "assistant"),
        "eval",
        "--llm",
        llm,
        "--dataset",
        str(ROOT / "evals" / "datasets" / f"{dataset}.jsonl"),
        "--thresholds",
        str(THRESHOLDS),
    ]
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "thresholds met" in done.stdout
