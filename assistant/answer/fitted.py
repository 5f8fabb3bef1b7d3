"""The offline answer's fitted decisions, read from fitted.json beside this module: the
refusal model and the margins that shape lists and close calls. evals/fit.py writes the
file from the tune halves of the eval sets; nothing here is set by hand."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files


@cache
def fitted() -> dict:
    return json.loads((files("assistant.answer") / "fitted.json").read_text(encoding="utf-8"))
