"""The offline answer's fitted decisions, read from fitted.json beside this module: the
reader's coverage model, the grading model, and the margins that shape lists and close
calls. evals/fit.py writes the file from the tune data; nothing here is set by hand."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@cache
def fitted() -> dict:
    return json.loads((files("assistant.answer") / "fitted.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Logistic:
    """P = sigmoid(bias + sum of weight x feature); the decision fires at or over threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, features: dict[str, float]) -> float:
        logit = self.bias + sum(w * features[name] for name, w in self.weights.items())
        return 1 / (1 + math.exp(-logit))


@cache
def logistic(name: str) -> Logistic:
    """A fitted model by its name in fitted.json: "coverage" or "grading"."""
    model = fitted()[name]
    return Logistic(model["weights"], model["bias"], model["threshold"])
