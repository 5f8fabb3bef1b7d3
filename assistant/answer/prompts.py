"""Prompts are files in prompts/, each declaring its variables; a mismatch fails at load time.

A prompt file starts with `variables: a, b`, then `--- system ---` and `--- user ---`
sections. Placeholders are `{name}`; a literal brace is written `{{` or `}}`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Formatter

from langchain_core.prompts import ChatPromptTemplate

from assistant.errors import PromptError
from assistant.resources import data_folder

PROMPTS = data_folder("prompts")
_SECTION = re.compile(r"^--- (system|user) ---$", re.M)


@cache
def load_prompt(name: str, folder: Path = PROMPTS) -> ChatPromptTemplate:
    path = folder / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"{path}: prompt file not found - restore it from the repository")
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    if not header.startswith("variables:"):
        raise PromptError(f"{path}:1: first line must be 'variables: a, b' naming its inputs")
    declared = {v.strip() for v in header.removeprefix("variables:").split(",") if v.strip()}
    parts = _SECTION.split(body)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    if set(sections) != {"system", "user"}:
        raise PromptError(f"{path}: needs a '--- system ---' and a '--- user ---' section")
    used = {f for s in sections.values() for _, f, _, _ in Formatter().parse(s) if f is not None}
    if used != declared:
        missing, unknown = sorted(declared - used), sorted(used - declared)
        raise PromptError(
            f"{path}: declared variables {sorted(declared)} but the text uses {sorted(used)}"
            f" (declared, unused: {missing}; used, undeclared: {unknown}) - make them agree"
        )
    return ChatPromptTemplate.from_messages(
        [("system", sections["system"]), ("human", sections["user"])]
    )
