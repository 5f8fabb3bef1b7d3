"""Data flows one way (ingest -> store -> search -> answer -> surfaces), and the imports
must say so: no module imports from a room that comes after its own."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each part of the tree and what it may not import. The shared modules (settings, errors,
# text, resources) may be imported by every room.
SURFACES = ("assistant.api", "assistant.cli", "assistant.web", "assistant.evaluation")
FORBIDDEN = {
    "ingest": ("assistant",),
    "assistant/settings.py": ("assistant.store", "assistant.search", "assistant.answer", *SURFACES),
    "assistant/errors.py": ("assistant.store", "assistant.search", "assistant.answer", *SURFACES),
    "assistant/text.py": ("assistant.store", "assistant.search", "assistant.answer", *SURFACES),
    "assistant/resources.py": (
        "assistant.store",
        "assistant.search",
        "assistant.answer",
        *SURFACES,
    ),
    "assistant/store": ("assistant.search", "assistant.answer", *SURFACES),
    "assistant/search": ("assistant.answer", *SURFACES),
    "assistant/answer": SURFACES,
    "assistant/api.py": ("assistant.cli", "assistant.web", "assistant.evaluation"),
    "assistant/retriever.py": ("assistant.cli", "assistant.web", "assistant.evaluation"),
    "assistant/web": ("assistant.cli", "assistant.evaluation"),
    "assistant/evaluation": ("assistant.cli", "assistant.web"),
}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top, inside functions or for type checking."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", FORBIDDEN)
def test_no_import_points_back_up_the_flow(part):
    files = [ROOT / part] if part.endswith(".py") else sorted((ROOT / part).rglob("*.py"))
    assert files
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported(path))
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[part])
    ]
    assert not wrong, "\n".join(wrong)


def test_every_room_says_what_it_holds():
    for room in ("store", "search", "answer", "web", "evaluation"):
        docstring = ast.get_docstring(
            ast.parse((ROOT / "assistant" / room / "__init__.py").read_text())
        )
        assert docstring and "Imports:" in docstring, room
