"""What a session takes away from its latest answer: the answer as Markdown to copy, and
its cited papers as a BibTeX file to download, whatever format they were ingested from.

The file is written into Gradio's own cache, in a folder of its own with a random name: the
page serves it from there, only the session it was made for is told its address, and
Gradio sweeps it away with the rest of its cache (`CACHE_SWEEP` in app.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from assistant.answer.result import Answer

BIBTEX_FILE = "cited-papers.bib"


def export(answers: list[tuple[str, Answer]]) -> tuple[str, gr.DownloadButton]:
    """The latest answer as Markdown, and the download of its cited papers (none to
    download before an answer, or after a refusal)."""
    if not answers:
        return "", gr.DownloadButton(value=None, interactive=False)
    answer = answers[-1][1]
    if not answer.citations:
        return answer.to_markdown(), gr.DownloadButton(value=None, interactive=False)
    cache = Path(get_upload_folder())
    cache.mkdir(parents=True, exist_ok=True)
    file = Path(tempfile.mkdtemp(dir=cache)) / BIBTEX_FILE
    file.write_text(answer.to_bibtex(), encoding="utf-8")
    return answer.to_markdown(), gr.DownloadButton(value=str(file), interactive=True)
