"""The web UI: a Gradio app over one `Assistant`, the same object the API and CLI use.

`build_app` returns the `gr.Blocks`; `assistant serve` launches it with `LAUNCH_OPTIONS`.
The page's event handlers are private (no API endpoint, so no MCP tool); with `mcp` the
app also offers the tools of `mcp_tools` as its API.
Each browser session keeps its own conversation in `gr.State`; the index is shared.
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
from assistant.settings import Settings
from assistant.text import TOPICLESS, words
from assistant.web.export import export
from assistant.web.mcp_tools import PaperTools
from assistant.web.views import (
    answer_markdown,
    filters_markdown,
    paper_html,
    scope_markdown,
    shortened,
    sources_html,
)
from ingest.errors import IngestError

TITLE = "## Paper assistant"
CHAT_CONCURRENCY = 4  # answers written at once; more wait in Gradio's queue
QUEUE_MAX = 64
LIBRARY_HEADERS = ["Title", "Authors", "Year", "Sources"]
LIBRARY_MATCHES = 20  # papers a library search shows
SIMILAR_HEADERS = ["Similar papers", "Similarity"]
SIMILAR_SHOWN = 5
EXAMPLE_COMMON_WORDS = 10  # title words too common to make a topic of
ASK_ABOUT = 'What does "{title}" propose, and what did it find?'
UPLOAD_CEILING = 10  # Gradio refuses uploads this many times the ingest limit, unread
CACHE_SWEEP = (3600, 86400)  # hourly, Gradio deletes what it cached over a day ago

CSS = """
.pa-paper { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin: 8px 0; }
.pa-paper h4 { margin: 0 0 4px 0; }
.pa-paper dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px;
  margin: 4px 0; font-size: 0.9em; }
.pa-paper dt { font-weight: 600; }
.pa-paper dd { margin: 0; }
#chat a[href^="#source-"] { color: var(--link-text-color); font-weight: 600;
  text-decoration: none; }
.pa-abstract mark { background: #fde68a; color: #111; padding: 0 2px; }
.pa-paper.pa-active { outline: 3px solid #f59e0b; }
.pa-unsupported { border-left: 4px solid #dc2626; padding-left: 8px; }
.pa-turn > summary, .pa-retrieved > summary { cursor: pointer; font-weight: 600; }
#chat, #sources, #paper, #library, #similar { overflow-wrap: anywhere; }
/* The chat's label and buttons float at its top: scroll its messages below them, not under. */
#chat .bubble-wrap { margin-top: 40px; height: calc(100% - 40px); }
.pa-paper { scroll-margin-top: 8px; }
"""

# Citation links [n] in the chat point at "#source-<turn>-<n>": open that answer's
# sources, scroll the paper's card into view and outline it (the page never navigates).
JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#source-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(link.getAttribute("href").slice(1));
    if (!card) return;
    const turn = card.closest("details.pa-turn");
    if (turn) turn.open = true;
    document.querySelectorAll(".pa-active").forEach((el) => el.classList.remove("pa-active"));
    card.classList.add("pa-active");
    card.scrollIntoView({ behavior: "smooth", block: "start" });  // a tall card's title too
  }, true);
}
"""

LAUNCH_OPTIONS: dict[str, Any] = {"css": CSS, "js": JS, "theme": gr.themes.Soft()}
UI_ONLY = "private"  # the api_visibility of every event the page wires


class PaperApp:
    """The event handlers, each a plain method so tests can call them directly."""

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
        listed = {citation.n for citation in answer.citations}
        reply["content"] = answer_markdown(answer.text, turn, answer.unsupported, listed)
        if answer.notice:
            reply["content"] += f"\n\n*{answer_markdown(answer.notice, turn)}*"
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
        """The selected row's paper in full, and the papers nearest to it (a table whose
        rows open in turn, to walk from paper to paper)."""
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
        return paper_html(paper), table, [hit.paper.id for hit in similar], paper.id

    def ask_about(self, paper_id: str | None) -> tuple[str, gr.Tabs]:
        """A question on the paper, naming it by its whole title when that fits the
        question limit, else by the title's first words."""
        if not paper_id:
            return "", gr.Tabs()
        title = self.assistant.paper(paper_id).title
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
        """The title, how many papers are indexed and who writes the answers."""
        count = self.assistant.index.count()
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
        common = {w for w, _ in counts.most_common(EXAMPLE_COMMON_WORDS)}
        pairs = Counter(
            f"{a} {b}"
            for title in cut
            for a, b in itertools.pairwise(title)
            if not {a, b} & (TOPICLESS | common)
        )
        named = sorted(t.split(":")[0] for t in titles if re.match(r"^[A-Z]\w*[A-Z][\w-]*: ", t))
        return [f"Which papers study {pair}?" for pair, _ in pairs.most_common(2)] + [
            f"How does {name} work?" for name in named[:2]
        ]

    def refresh(self) -> tuple[str, gr.Dropdown, gr.Dataset]:
        """What the page shows of the index, as it is now: the paper count, the source
        list and the examples (on each page load and after an upload). An index it cannot
        read (a Chroma server gone away) is said in the header, the rest left as it was."""
        try:
            examples = gr.Dataset(samples=[[q] for q in self.examples()])
            return self.header(), self._sources_choice(), examples
        except AssistantError as error:
            return f"{TITLE}\n⚠️ {markdown_text(str(error))}", gr.skip(), gr.skip()

    def source_choices(self) -> list[tuple[str, str]]:
        """The source filter's choices: each file shown by its label, its value the file."""
        catalog = self.assistant.retriever.catalog
        return [(catalog.label(file), file) for file in catalog.values("sources")]

    def _sources_choice(self) -> gr.Dropdown:
        return gr.Dropdown(choices=self.source_choices())


def upload_limit(settings: Settings) -> int:
    """The bytes Gradio accepts in one upload. Above the ingest limit, so a file a little
    too big is refused by ingest, in the page's own words and unit (MB), not by the
    browser in binary kilobytes; far bigger ones are refused before they are sent."""
    return UPLOAD_CEILING * settings.max_file_bytes


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


def build_app(assistant: Assistant, mcp: bool = False) -> gr.Blocks:
    ui = PaperApp(assistant)
    sources = ui.source_choices()  # also opens the index now
    # Gradio's cache holds uploads until add_papers deletes them (a sweep takes any left
    # over) and the BibTeX exports, which stay a day for a page left open to download.
    # No analytics: the app makes no network call of its own.
    with gr.Blocks(
        title="Paper assistant", delete_cache=CACHE_SWEEP, analytics_enabled=False
    ) as app:
        header = gr.Markdown(ui.header())
        with gr.Tabs() as tabs:
            with gr.Tab("Chat", id="chat"), gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        label="Conversation", height=520, latex_delimiters=[],
                        elem_id="chat",
                    )  # fmt: skip
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Ask about the papers…", show_label=False,
                            scale=5, elem_id="question", autofocus=True,
                        )  # fmt: skip
                        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    applied = gr.Markdown(elem_id="applied")
                    new_chat = gr.Button("New chat", size="sm", elem_id="new-chat")
                    with gr.Accordion("Export the answer: Markdown, BibTeX", open=False):
                        markdown = gr.Textbox(
                            label="The latest answer as Markdown", lines=6, max_lines=16,
                            interactive=False, buttons=["copy"], elem_id="answer-markdown",
                        )  # fmt: skip
                        bibtex = gr.DownloadButton(
                            "Download its cited papers as BibTeX", interactive=False,
                            size="sm", elem_id="bibtex",
                        )  # fmt: skip
                    examples = gr.Examples(
                        ui.examples(), inputs=question, label="Try", elem_id="examples"
                    )
                    with gr.Accordion("Filters", open=False):
                        with gr.Row():
                            # Textboxes: a Number shows 0 when empty, which reads as a year
                            year_from = gr.Textbox(
                                label="Year from", placeholder="any", elem_id="year-from"
                            )
                            year_to = gr.Textbox(
                                label="Year to", placeholder="any", elem_id="year-to"
                            )
                        source = gr.Dropdown(
                            choices=sources,
                            multiselect=True,
                            label="Source page or file",
                            elem_id="sources-filter",
                        )
                        author = gr.Textbox(label="Author", placeholder="e.g. Juho Lee")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(sources_html([]), elem_id="sources")
            with gr.Tab("Library", id="library"):
                find = gr.Textbox(
                    label="Search the library", placeholder="words, an author, a year…",
                    elem_id="library-search",
                )  # fmt: skip
                shown = gr.Markdown()
                table = gr.Dataframe(
                    headers=LIBRARY_HEADERS, interactive=False, wrap=False,
                    max_height=420, elem_id="library", column_widths=["45%", "30%", "64px", "18%"],
                )  # fmt: skip
                with gr.Row():
                    with gr.Column(scale=3):
                        detail = gr.HTML(elem_id="paper")
                        ask_button = gr.Button("Ask about this paper", elem_id="ask-about")
                    with gr.Column(scale=2):
                        similar = gr.Dataframe(
                            headers=SIMILAR_HEADERS, interactive=False, wrap=True,
                            elem_id="similar", column_widths=["80%", "112px"],
                        )  # fmt: skip
            with gr.Tab("Add papers", id="add"):
                gr.Markdown(
                    "BibTeX, CSV, JSONL, arXiv Atom, or a saved publication list, trending "
                    f"listing or poster-session page; up to {assistant.settings.max_file_mb:g} MB "
                    "a file. Files are parsed as text and deleted once indexed."
                )
                upload = gr.UploadButton(
                    "Choose files to add", file_count="multiple", variant="primary",
                    elem_id="upload",
                )  # fmt: skip
                added = gr.Markdown(elem_id="added")

        history, answers, selected = gr.State([]), gr.State([]), gr.State()
        row_ids, similar_ids = gr.State([]), gr.State([])
        ask_inputs = [question, chat, history, answers, year_from, year_to, source, author]
        ask_outputs = [chat, history, answers, panel, applied, question]
        exported = [markdown, bibtex]
        for trigger in (question.submit, send.click):
            trigger(
                ui.respond, ask_inputs, ask_outputs, concurrency_limit=CHAT_CONCURRENCY,
                api_visibility=UI_ONLY,
            ).then(export, answers, exported, api_visibility=UI_ONLY)  # fmt: skip
        reset_outputs = [*ask_outputs, year_from, year_to, source, author]
        for trigger in (new_chat.click, chat.clear):  # the chat's trash icon
            trigger(ui.reset, None, reset_outputs, queue=False, api_visibility=UI_ONLY).then(
                export, answers, exported, queue=False, api_visibility=UI_ONLY
            )
        current = [header, source, examples.dataset]
        app.load(ui.refresh, None, current, api_visibility=UI_ONLY)
        app.load(ui.browse, find, [table, row_ids, shown], api_visibility=UI_ONLY)
        find.submit(ui.browse, find, [table, row_ids, shown], api_visibility=UI_ONLY)
        opened = [detail, similar, similar_ids, selected]
        table.select(ui.open_paper, row_ids, opened, api_visibility=UI_ONLY)
        similar.select(ui.open_paper, similar_ids, opened, api_visibility=UI_ONLY)
        ask_button.click(ui.ask_about, selected, [question, tabs], api_visibility=UI_ONLY)
        # No old results under a new upload.
        upload.click(lambda: "", None, added, queue=False, api_visibility=UI_ONLY)
        upload.upload(
            ui.add_papers, upload, [added, table, row_ids, shown, source], concurrency_limit=1,
            api_visibility=UI_ONLY,
        ).then(ui.refresh, None, current, api_visibility=UI_ONLY)  # fmt: skip
        if mcp:
            PaperTools(assistant).expose()
    app.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX)
    return app
