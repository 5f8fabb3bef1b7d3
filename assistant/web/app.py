"""The web UI: a Gradio app over one `Assistant`, the same object the API and CLI use.

`build_app` lays the page out and wires its events to `PaperApp` (handlers.py) and
`export`; `assistant serve` launches it with `LAUNCH_OPTIONS`. The page's event handlers
are private (no API endpoint, so no MCP tool); with `mcp` the app also offers the tools of
`mcp_tools` as its API.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.api import Assistant
from assistant.settings import Settings
from assistant.web.export import export
from assistant.web.handlers import LIBRARY_HEADERS, SIMILAR_HEADERS, PaperApp
from assistant.web.mcp_tools import PaperTools
from assistant.web.views import sources_html

CHAT_CONCURRENCY = 4  # answers written at once; more wait in Gradio's queue
QUEUE_MAX = 64
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
.pa-partial { border-left: 4px solid #d97706; background: #fef3c7; color: #111;
  padding: 4px 8px; border-radius: 4px; }
.pa-coverage { margin: 2px 0 4px 0; font-size: 0.9em; }
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
    // as little as shows the whole card; one taller than the window, from its title down
    const tall = card.getBoundingClientRect().height > window.innerHeight;
    card.scrollIntoView({ behavior: "smooth", block: tall ? "start" : "nearest" });
  }, true);
}
"""

LAUNCH_OPTIONS: dict[str, Any] = {"css": CSS, "js": JS, "theme": gr.themes.Soft()}
UI_ONLY = "private"  # the api_visibility of every event the page wires


def upload_limit(settings: Settings) -> int:
    """The bytes Gradio accepts in one upload. Above the ingest limit, so a file a little
    too big is refused by ingest, in the page's own words and unit (MB), not by the
    browser in binary kilobytes; far bigger ones are refused before they are sent."""
    return UPLOAD_CEILING * settings.max_file_bytes


def build_app(assistant: Assistant, mcp: bool = False) -> gr.Blocks:
    ui = PaperApp(assistant)
    sources = ui.source_choices()  # also opens the index now
    # Gradio's cache holds uploads until add_papers deletes them (a sweep takes any left
    # over) and the BibTeX exports, which stay a day for a page left open to download.
    # No analytics: the app makes no network call of its own.
    with gr.Blocks(
        title="Paper assistant", delete_cache=CACHE_SWEEP, analytics_enabled=False
    ) as app:
        header = gr.Markdown(ui.header(), elem_id="header")
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
        # After each answer the header says the index as it is now: papers added elsewhere,
        # a Chroma server gone away or back.
        for trigger in (question.submit, send.click):
            trigger(
                ui.respond, ask_inputs, ask_outputs, concurrency_limit=CHAT_CONCURRENCY,
                api_visibility=UI_ONLY,
            ).then(export, answers, exported, api_visibility=UI_ONLY).then(
                ui.header, None, header, queue=False, api_visibility=UI_ONLY,
            )  # fmt: skip
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
