"""Data that ships with the package: the prompt files, the eval datasets, the mock's
recorded responses and the gate's thresholds.

In an installed wheel they lie inside the package (`assistant/prompts`, `assistant/evals`:
pyproject's force-include puts them there) and are found through importlib.resources; in
a checkout they are the repository's top-level `prompts/` and `evals/`, where people
edit them.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def data_folder(name: str) -> Path:
    """The folder of shipped data called `name` ('prompts' or 'evals')."""
    packaged = Path(str(files("assistant") / name))
    return packaged if packaged.is_dir() else CHECKOUT / name
