"""What each event of the page does: `PaperApp`'s methods, plain methods over one
`Assistant`, so tests call them directly. Each browser session's conversation arrives as
its own `gr.State` values; the index is shared.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.answer.chain import MAX_QUESTION_CHARS
from assistant.answer.markdown import markdown_text
from assistant.answer.result import Answer
from assistant.api import LIBRARY_LIMIT, Assistant
from assistant.errors import AssistantError
from assistant.text import TOPICLESS, words
from assistant.web.views import (
    answer_markdown,
    filters_markdown,
    paper_html,
    reply_markdown,
    scope_markdown,
    shortened,
    sources_html,
)
from ingest.errors import IngestError

TITLE = "## Paper assistant"
LIBRARY_HEADERS = ["Title", "Authors", "Year", "Sources"]
LIBRARY_MATCHES = 20  # papers a library search shows
SIMILAR_HEADERS = ["Similar papers", "Similarity"]
SIMILAR_SHOWN = 5
EXAMPLE_COMMON_WORDS = 10  # title words too common to make a topic of
ASK_ABOUT = 'What does "{title}" propose, and what did it find?'


class PaperApp:
    """The page's event handlers, over one `Assistant`."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.writing = threading.Lock()  # one upload at a time

    # --- chat -----------------------------------------------------------------------

    def respond(
        self,
        message: str,
        chat: list[dict],
        history: list[dict],
        answers: list[tuple[str, Answer]],
        year_from: str | None,
        year_to: str | None,
        sources: list[str] | None,
        author: str | None,
    ) -> Iterator[tuple]:
        """Stream the answer into the chat; then its sources and the filters it applied."""
        if not message.strip():
            yield chat, history, answers, gr.skip(), gr.skip(), message
            return
        turn = len(answers) + 1
        chat = [*chat, {"role": "user", "content": answer_markdown(message, turn)}]
        reply = {"role": "assistant", "content": "…"}
        chat.append(reply)
        yield chat, history, answers, gr.skip(), "Searching the papers…", ""
        years = [_year(year_from), _year(year_to)]
        filters = {
            "year": years if any(years) else None,
            "source": sources or None,
            "author": author or None,
        }
        try:
            written = ""
            for piece in self.assistant.stream(message, history, filters=filters):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                written += piece
                reply["content"] = answer_markdown(written, turn)
                yield chat, history, answers, gr.skip(), "Writing the answer…", ""
        except AssistantError as error:
            reply["content"] = f"⚠️ {answer_markdown(str(error), turn)}"
            yield chat, history, answers, gr.skip(), "", ""
            return
        reply["content"] = reply_markdown(answer, turn)
        history = [
            *history,
            {"role": "user", "content": message},
            {"role": "assistant", "content": answer.text},
        ]
        answers = [*answers, (message, answer)]
        applied = filters_markdown(answer.filters) + self._scope(filters)
        yield chat, history, answers, sources_html(answers), applied, ""

    def _scope(self, filters: dict[str, Any]) -> str:
        """How many papers the filters set on the page leave, and, with a year filter,
        that papers without a year are among those left out."""
        if not any(filters.values()):
            return ""
        catalog = self.assistant.retriever.catalog
        undated = int((catalog.years == 0).sum()) if filters["year"] else 0
        return scope_markdown(self.assistant.count(filters), len(catalog.ids), undated)

    @staticmethod
    def reset() -> tuple:
        """A new chat: no conversation, no sources, no filters (they would apply unseen,
        folded away in their panel)."""
        return [], [], [], sources_html([]), "", "", "", "", [], ""

    # --- library --------------------------------------------------------------------

    def browse(self, query: str | None) -> tuple[pd.DataFrame, list[str], str]:
        """The table, the paper id of each row, and a line on what is shown."""
        query = (query or "").strip()
        try:
            papers = self.assistant.library(
                query, limit=LIBRARY_MATCHES if query else LIBRARY_LIMIT
            )
        except AssistantError as error:
            return pd.DataFrame(columns=LIBRARY_HEADERS), [], f"⚠️ {escape(str(error))}"
        rows = [
            [
                shortened(p.title),
                shortened(", ".join(p.authors)),
                p.year or "",
                ", ".join(dict.fromkeys(s.name for s in p.sources)),
            ]
            for p in papers
        ]
        if query:
            shown = f"The {len(papers)} papers that best match; click one to open it."
        else:
            total = self.assistant.index.count()
            shown = f"{len(papers)} of {total} papers, by title; click one to open it."
        return pd.DataFrame(rows, columns=LIBRARY_HEADERS), [p.id for p in papers], shown

    def open_paper(
        self, ids: list[str], event: gr.SelectData
    ) -> tuple[str, pd.DataFrame, list[str], str | None]:
        """The selected row's paper in full, the papers nearest to it (a table whose rows
        open in turn, to walk from paper to paper), and its title, to ask about it."""
        row = event.index[0] if isinstance(event.index, list | tuple) else event.index
        none = pd.DataFrame(columns=SIMILAR_HEADERS), [], None
        if row is None or row >= len(ids):
            return "", *none
        try:
            paper = self.assistant.paper(ids[row])
            similar = self.assistant.similar(paper.id, k=SIMILAR_SHOWN)
        except AssistantError as error:  # a Chroma server gone away, say
            return f'<p class="pa-empty">⚠️ {escape(str(error))}</p>', *none
        table = pd.DataFrame(
            [[shortened(hit.paper.title), round(hit.similarity, 2)] for hit in similar],
            columns=SIMILAR_HEADERS,
        )
        return paper_html(paper), table, [hit.paper.id for hit in similar], paper.title

    @staticmethod
    def ask_about(title: str | None) -> tuple[str, gr.Tabs]:
        """A question on the open paper, naming it by its whole title when that fits the
        question limit, else by the title's first words. The title comes from the page, so
        the question is written even with a Chroma server gone away (asking it says so)."""
        if not title:
            return "", gr.Tabs()
        question = ASK_ABOUT.format(title=title)
        if len(question) > MAX_QUESTION_CHARS:
            question = ASK_ABOUT.format(title=shortened(title))
        return question, gr.Tabs(selected="chat")

    # --- adding papers --------------------------------------------------------------

    def add_papers(
        self,
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> tuple[str, pd.DataFrame, list[str], str, gr.Dropdown]:
        """Parse and index uploaded files with the same code and messages as `assistant
        ingest`; the upload is deleted afterwards, never kept or shown as a file."""
        if not files:
            return ("Choose one or more files first.", *self.browse(""), self._sources_choice())
        paths = [Path(f) for f in files]
        try:
            with self.writing:
                report = self.assistant.ingest(paths, _progress_callback(progress))
        except (AssistantError, IngestError) as error:
            text = f"⚠️ {markdown_text(_named(str(error), paths))}"
        else:
            lines = [escape(report.summary())]
            lines += [f"- Skipped {markdown_text(_named(str(s), paths))}" for s in report.skipped]
            lines += [f"- ⚠️ Failed {markdown_text(_named(f, paths))}" for f in report.failed_files]
            text = "\n".join(lines)
        finally:
            for path in paths:
                path.unlink(missing_ok=True)
        return (text, *self.browse(""), self._sources_choice())

    # --- what the page shows around the chat -----------------------------------------

    def header(self) -> str:
        """The title, how many papers are indexed and who writes the answers; or that the
        index cannot be read (a Chroma server gone away)."""
        try:
            count = self.assistant.index.count()
        except AssistantError as error:
            return f"{TITLE}\n⚠️ {markdown_text(str(error))}"
        settings = self.assistant.settings
        if self.assistant.chain.llm is None:
            backend = "offline mode: answers quote the abstracts, no language model"
        else:
            where = f" at {settings.openai_base_url}" if settings.openai_base_url else ""
            backend = f"model {escape(settings.llm_model)}{escape(where)}"
        return f"{TITLE}\n{count} papers indexed · {backend}"

    def examples(self) -> list[str]:
        """Questions this collection can answer, made from its own titles: two frequent
        topics (word pairs without the commonest words, 'neural', 'learning') and two
        papers known by a short name ('DAVA: Disentangling ...')."""
        titles = self.assistant.retriever.catalog.titles
        cut = [words(t) for t in titles]  # as search reads them: 'Physics-Informed', two words
        counts = Counter(w for title in cut for w in title if w not in TOPICLESS)
        common = {w for w in _most_common(counts, EXAMPLE_COMMON_WORDS) if counts[w] > 1}
        pairs = Counter(
            f"{a} {b}"
            for title in cut
            for a, b in itertools.pairwise(title)
            if not {a, b} & (TOPICLESS | common)
        )
        named = sorted(t.split(":")[0] for t in titles if re.match(r"^[A-Z]\w*[A-Z][\w-]*: ", t))
        return [f"Which papers study {pair}?" for pair in _most_common(pairs, 2)] + [
            f"How does {name} work?" for name in named[:2]
        ]

    def refresh(self) -> tuple[str, gr.Dropdown, gr.Dataset]:
        """What the page shows of the index, as it is now: the paper count, the source
        list and the examples (on each page load and after an upload). An index it cannot
        read (a Chroma server gone away) is said in the header, the rest left as it was."""
        header = self.header()
        try:
            examples = gr.Dataset(samples=[[q] for q in self.examples()])
            return header, self._sources_choice(), examples
        except AssistantError:
            return header, gr.skip(), gr.skip()

    def source_choices(self) -> list[tuple[str, str]]:
        """The source filter's choices: each file shown by its label, its value the file."""
        catalog = self.assistant.retriever.catalog
        return [(catalog.label(file), file) for file in catalog.values("sources")]

    def _sources_choice(self) -> gr.Dropdown:
        return gr.Dropdown(choices=self.source_choices())


def _named(message: str, paths: list[Path]) -> str:
    """The message with each upload named by its file name, not its server path."""
    for path in paths:
        message = message.replace(str(path), path.name)
    return message


def _year(value: str | int | None) -> str | None:
    """A year field as typed; the filter itself says when it is not a year."""
    text = "" if value is None else str(value).strip()
    return text or None


def _progress_callback(progress: gr.Progress):
    return lambda done, total: progress((done, total), desc="Embedding papers", unit="papers")


def _most_common(counts: Counter, n: int) -> list[str]:
    """The n most counted, a tie going alphabetically: not by the order the papers are
    stored in, which is no property of the collection."""
    return sorted(counts, key=lambda key: (-counts[key], key))[:n]
