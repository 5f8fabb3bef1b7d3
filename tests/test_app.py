"""The web UI built in-process over a small known corpus: its events and what they show."""

import itertools
import os
from pathlib import Path

import bibtexparser
import gradio as gr
import pytest
from keyword_corpus import PAPERS, KeywordEmbeddings, paper
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import Assistant
from assistant.store.lock import WriteLock
from assistant.web.app import build_app
from assistant.web.export import export
from assistant.web.handlers import PaperApp
from assistant.web.views import answer_markdown, paper_html
from ingest.records import PaperRecord, Source

HOSTILE = paper(
    'Calibration <script>alert("t")</script> of Widgets',
    "Calibration of widgets. Widgets need temperature calibration "
    '<img src=x onerror="alert(1)"> [see](javascript:alert(2)) '
    "![pixel](http://tracker.example/p.png).",
    ["<b>Eve</b>"],
    2024,
)


@pytest.fixture
def ui(settings) -> PaperApp:
    assistant = Assistant(settings, embeddings=KeywordEmbeddings())
    assistant.index.upsert(PAPERS)
    return PaperApp(assistant)


def ask(ui: PaperApp, question: str, chat=(), history=(), answers=(), **filters):
    """Every update `respond` streams, for `question` with the filter inputs given."""
    inputs = [filters.get(k) for k in ("year_from", "year_to", "sources", "author")]
    return list(ui.respond(question, list(chat), list(history), list(answers), *inputs))


def test_an_answer_streams_then_shows_its_sources(ui):
    updates = ask(ui, "How does DUQ estimate uncertainty?")
    assert len(updates) > 3  # searching, several pieces of text, then the final state
    chat, history, answers, panel, applied, question = updates[-1]
    assert chat[-1]["role"] == "assistant" and "[\\[1\\]](#source-1-1)" in chat[-1]["content"]
    streamed = [u[0][-1]["content"] for u in updates[1:-1]]
    assert all(len(a) <= len(b) for a, b in itertools.pairwise(streamed))
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert answers[0][0] == "How does DUQ estimate uncertainty?"
    assert 'id="source-1-1"' in panel and "<mark>" in panel and "DUQ" in panel
    assert "Retrieved but not cited" in panel
    assert applied == "No filters applied." and question == ""


def test_follow_ups_use_the_history_and_keep_earlier_citations(ui):
    first = ask(ui, "How does DUQ estimate uncertainty?")[-1]
    chat, history, answers = first[0], first[1], first[2]
    second = ask(ui, "Who wrote it?", chat, history, answers)[-1]
    assert len(second[0]) == 4 and len(second[2]) == 2
    assert "Joost van Amersfoort" in second[0][-1]["content"]
    assert "(#source-2-1)" in second[0][-1]["content"]  # the second answer's own [1]
    assert "(#source-1-1)" in second[0][1]["content"]  # the first one's is unchanged
    assert 'id="source-1-1"' in second[3] and 'id="source-2-1"' in second[3]


def test_filters_from_the_page_combine_with_the_question(ui):
    *_, last = ask(ui, "Which papers study calibration?", year_from=2022, year_to=2023)
    answer = last[2][-1][1]
    assert {c.paper.title for c in answer.citations} == {
        "Mixing Samples for Confidence",
        "Four-bit Transformers",
    }
    assert last[4] == (
        "Filters applied: **year** = 2022-2023 (set by you)\n\n"
        "The filters you set leave 3 of 7 papers."
    )
    *_, by_author = ask(ui, "Which papers study calibration?", author="Juho Lee")
    assert "**author** = Juho Lee" in by_author[4]


def test_a_user_error_is_shown_in_the_chat_not_raised(ui):
    *_, last = ask(ui, "Which papers study calibration?", author="Nobody Atall")
    assert last[0][-1]["content"].startswith("⚠️ no indexed paper has an author")
    assert last[2] == []  # no answer recorded
    assert ask(ui, "   ")[-1][0] == []  # an empty question does nothing


def test_the_library_lists_searches_and_opens_papers(ui):
    table, ids, shown = ui.browse(None)  # an empty search box
    assert list(table.columns) == ["Title", "Authors", "Year", "Sources"]
    assert len(table) == len(PAPERS) and table.iloc[0]["Title"] == "Deep GNNs"  # by title
    assert shown == f"{len(PAPERS)} of {len(PAPERS)} papers, by title; click one to open it."
    table, ids, _ = ui.browse("radiance fields")
    assert table.iloc[0]["Title"] == "Scenes as Fields"
    first_row = gr.SelectData(None, {"index": [0, 0], "value": ""})
    detail, similar, similar_ids, title = ui.open_paper(ids, first_row)
    assert "Neural radiance fields render scenes." in detail and title == "Scenes as Fields"
    assert len(similar) == 5 and "Scenes as Fields" not in set(similar["Similar papers"])
    assert list(similar["Similarity"]) == sorted(similar["Similarity"], reverse=True)
    # a similar paper opens in turn, with its own neighbours
    detail, similar, _, other = ui.open_paper(similar_ids, first_row)
    assert other in detail and "Scenes as Fields" in set(similar["Similar papers"])
    question, tabs = ui.ask_about(title)
    assert question == 'What does "Scenes as Fields" propose, and what did it find?'
    assert tabs.selected == "chat"


def test_uploaded_papers_are_searchable_at_once_and_the_upload_is_deleted(ui, tmp_path):
    upload = tmp_path / "new.bib"
    upload.write_text(
        "@article{z, title={Zebra Stripes Confuse Flies}, author={Ann Example}, year={2021},"
        " abstract={Stripes on zebras confuse biting flies.}}\n@article{broken, title={No "
        "abstract here}}\n"
    )
    report, table, _ids, _shown, sources = ui.add_papers(
        [str(upload)], progress=lambda *a, **k: None
    )
    assert report.startswith("Ingested 1 entries: 1 added")
    assert "- Skipped new.bib:2" in report  # the same file:line message as the CLI
    assert "Zebra Stripes Confuse Flies" in set(table["Title"])
    assert ("new.bib", "new.bib") in sources.constructor_args["choices"]  # (shown, value)
    assert not upload.exists()
    table, _, _ = ui.browse("zebra stripes")
    assert table.iloc[0]["Title"] == "Zebra Stripes Confuse Flies"
    answer = ask(ui, "What do zebra stripes do to flies?")[-1][2][-1][1]
    assert answer.citations[0].paper.title == "Zebra Stripes Confuse Flies"


def test_a_labelled_source_is_shown_by_its_label_and_filtered_by_its_file(ui):
    posters = Source("003_3995438c63dfe527.txt", "poster_session", label="Poster session")
    stripes = PaperRecord("Zebra Stripes", "Zebra stripes confuse flies.", sources=(posters,))
    ui.assistant.index.upsert([stripes])
    assert ("Poster session", posters.file) in ui.source_choices()
    assert ui.browse("zebra stripes")[0].iloc[0]["Sources"] == "Poster session"
    *_, last = ask(ui, "Which papers study zebra stripes?", sources=[posters.file])
    assert last[2][-1][1].citations[0].paper.title == "Zebra Stripes"
    assert "<dd>Poster session</dd>" in last[3] and posters.file not in last[3]
    assert "**source** = Poster session (set by you)" in last[4]


def test_the_latest_answer_exports_as_markdown_and_as_bibtex(ui):
    assert export([])[0] == "" and export([])[1].constructor_args["interactive"] is False
    first = ask(ui, "How does DUQ estimate uncertainty?")[-1]
    *_, last = ask(ui, "Which papers study calibration?", *first[:3])
    answer = last[2][-1][1]
    markdown, download = export(last[2])
    assert markdown == answer.to_markdown() and "Which papers study calibration?" in markdown
    file = Path(download.constructor_args["value"])
    assert file.name == "cited-papers.bib" and download.constructor_args["interactive"]
    entries = bibtexparser.parse_string(file.read_text()).entries
    assert [e["title"] for e in entries] == [c.paper.title for c in answer.citations]
    refused = ask(ui, "Who won the 1930 football world cup?")[-1][2]
    assert export(refused)[1].constructor_args["interactive"] is False  # nothing cited


def test_a_file_ingest_cannot_read_is_reported_in_the_page(ui, tmp_path):
    upload = tmp_path / "photo.png"
    upload.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    report, *_ = ui.add_papers([str(upload)], progress=lambda *a, **k: None)
    assert "Failed" in report and "photo.png" in report and not upload.exists()
    assert ui.add_papers(None)[0] == "Choose one or more files first."


def test_an_upload_while_another_ingest_writes_says_so_and_keeps_nothing(ui, settings, tmp_path):
    upload = tmp_path / "new.bib"
    upload.write_text("@article{z, title={Zebra Stripes}, abstract={Stripes confuse flies.}}\n")
    with WriteLock(settings.data_dir, settings.collection).ingesting(None):  # another ingest
        report, table, *_ = ui.add_papers([str(upload)], progress=lambda *a, **k: None)
    assert f"another ingest (pid {os.getpid()}) is writing to this index" in report
    assert "Zebra Stripes" not in set(table["Title"]) and not upload.exists()


def test_titles_abstracts_and_answers_are_shown_as_text():
    card = paper_html(HOSTILE, highlight=["Calibration of widgets."])
    assert "<script>" not in card and "<img" not in card and "<b>" not in card
    assert "&lt;script&gt;" in card and "&lt;img src=x onerror=" in card
    assert "<mark>Calibration of widgets.</mark>" in card
    shown = answer_markdown(f"{HOSTILE.abstract} [1]", turn=3)
    assert "<img" not in shown and "[see](" not in shown and "![pixel](" not in shown
    assert shown.endswith("[\\[1\\]](#source-3-1)")


def test_unsupported_sentences_are_marked(settings):
    reply = "Temperature scaling improves calibration [1]. It also cures the common cold [1]."
    llm = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
    assistant = Assistant(settings, embeddings=KeywordEmbeddings(), llm=llm)
    assistant.index.upsert(PAPERS)
    *_, last = ask(PaperApp(assistant), "calibration with temperature?")
    shown = last[0][-1]["content"]
    assert "It also cures the common cold [\\[1\\]](#source-1-1). ⚠️ *(not supported" in shown
    assert "Not supported by the cited abstracts" in last[3]


def test_the_app_wires_every_event(ui):
    app = build_app(ui.assistant)
    assert isinstance(app, gr.Blocks) and app.analytics_enabled is False
    wired = {fn.name for fn in app.fns.values()}
    handlers = "respond export header reset refresh browse open_paper ask_about add_papers"
    handlers = set(handlers.split())
    assert handlers <= wired
    assert app._queue.default_concurrency_limit == 4
    assert app.get_api_info()["named_endpoints"] == {}  # the page's handlers are no API
    assert "offline mode" in ui.header() and f"{len(PAPERS)} papers indexed" in ui.header()
    assert ui.examples() == [  # every pair once here: a tie goes alphabetically
        "Which papers study bit transformers?",  # titles cut as search cuts them
        "Which papers study deep gnns?",
    ]


def test_serve_fills_an_empty_index_first_and_listens_on_loopback(settings, monkeypatch):
    from typer.testing import CliRunner

    import assistant.cli
    import assistant.web.app

    launched = {}

    class Launcher:
        def launch(self, **options):
            launched.update(options)

    def build(given, mcp):
        launched["tools"] = mcp
        return Launcher()

    empty = Assistant(settings, embeddings=KeywordEmbeddings())
    monkeypatch.setattr(assistant.cli, "_assistant", lambda: empty)
    monkeypatch.setattr(assistant.web.app, "build_app", build)
    result = CliRunner().invoke(assistant.cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert "The index is empty: ingesting the bundled corpus first." in result.output
    assert "Ingested 368 entries: 352 added" in result.output
    assert empty.index.count() == 352
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7860
    assert launched["max_file_size"] == 10 * settings.max_file_bytes and "css" in launched
    assert launched["mcp_server"] is False and launched["tools"] is False
    result = CliRunner().invoke(assistant.cli.app, ["serve", "--mcp", "--port", "7861"])
    assert result.exit_code == 0, result.output
    assert "MCP server on http://127.0.0.1:7861/gradio_api/mcp/" in result.output
    assert launched["mcp_server"] is True and launched["tools"] is True


def test_links_are_only_web_links_and_refusals_list_no_sources():
    from dataclasses import replace

    from assistant.answer.result import REFUSAL, Answer
    from assistant.web.views import filters_markdown, sources_html

    sneaky = replace(HOSTILE, url="javascript:alert(3)", doi="10.1/x", arxiv_id="2101.00001")
    card = paper_html(sneaky)
    assert 'href="javascript:' not in card and ">page</a>" not in card
    assert 'href="https://doi.org/10.1/x"' in card and "arxiv.org/abs/2101.00001" in card
    refused = Answer(REFUSAL, [], True, [], {}, "offline")
    assert "No paper cited" in sources_html([("q", refused)])
    shown = filters_markdown({"year": {"value": "2022", "from": "2022 papers"}})
    assert shown == 'Filters applied: **year** = 2022 (from "2022 papers")'


def test_the_header_names_the_model_when_one_writes_the_answers(settings):
    llm = GenericFakeChatModel(messages=iter([AIMessage("unused")]))
    configured = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1"})
    assistant = Assistant(configured, embeddings=KeywordEmbeddings(), llm=llm)
    assistant.index.upsert(PAPERS)
    header = PaperApp(assistant).header()
    assert f"model {settings.llm_model} at http://127.0.0.1:9/v1" in header


def test_similar_papers_and_unknown_ids(ui):
    from assistant.errors import AssistantError

    duq = next(p for p in ui.assistant.library() if p.title == "DUQ")
    similar = ui.assistant.similar(duq.id, k=3)
    assert len(similar) == 3 and duq.id not in {h.paper.id for h in similar}
    assert [h.similarity for h in similar] == sorted((h.similarity for h in similar), reverse=True)
    assert ui.assistant.paper(duq.id).title == "DUQ"
    with pytest.raises(AssistantError, match="no indexed paper has the id 'nope'"):
        ui.assistant.similar("nope")
    with pytest.raises(AssistantError, match="no indexed paper has the id 'nope'"):
        ui.assistant.paper("nope")


def test_text_never_becomes_a_link_and_long_titles_are_shortened(ui):
    from assistant.answer.markdown import markdown_text
    from assistant.web.views import shortened

    shown = markdown_text("see http://127.0.0.1:9/x, WWW.example.org or eve@example.org")
    assert shown == "see http\\://127.0.0.1:9/x, WWW\\.example.org or eve\\@example.org"
    assert shortened("word " * 100, 20) == "word word word word…" and shortened("ok") == "ok"
    long = paper("Deep GNNs " + "and more words " * 300, "Deep GNNs oversmooth.")
    ui.assistant.index.upsert([long])
    question, _ = ui.ask_about(long.title)
    assert len(question) < 300 and question.startswith('What does "Deep GNNs and more')
    card = paper_html(long)
    assert f"<h4>{shortened(long.title)}</h4>" in card
    assert f"<summary>Full title</summary>{long.title}</details>" in card


FOLDING, DIFFUSION = "protein <b>folding</b>", "diffusion models"  # facets, as the question said
BLURRING = paper("Blurring Diffusion Models", "Diffusion models generate images by blurring.")
FITNESS = paper("Protein Fitness", "We model protein <b>folding</b> landscapes.")
BOTH = paper("Folded Diffusion", "Diffusion models for protein <b>folding</b>.")


def graded(grounding: str, *cited: tuple[PaperRecord, list[str]], facets=(FOLDING, DIFFUSION)):
    """An answer citing each paper, the reader having found it to cover those facets."""
    from assistant.answer.result import Answer, Citation
    from assistant.search.retrieval import Hit

    papers = [p for p, _ in cited]
    coverage = {
        p.id: {"covers": covers, "lacks": [f for f in facets if f not in covers]}
        for p, covers in cited
    }
    shortfall = "" if grounding == "full" else f"No indexed abstract mentions {facets[0]}."
    return Answer(
        text=" ".join(f"{p.abstract} [{n}]" for n, p in enumerate(papers, 1)),
        citations=[Citation(n, p) for n, p in enumerate(papers, 1)],
        refused=grounding == "none",
        retrieved=[Hit(p, 1.0, 1.0, ("dense",)) for p in [*papers, PAPERS[0]]],
        filters={},
        backend="offline",
        grounding=grounding,
        facets=list(facets),
        coverage=coverage,
        shortfall=shortfall,
    )


def test_cited_cards_say_which_facets_of_the_question_they_cover_and_lack():
    from assistant.web.views import sources_html

    answer = graded("partial", (BLURRING, [DIFFUSION]), (BOTH, [FOLDING, DIFFUSION]))
    panel = sources_html([("Protein folding with diffusion models?", answer)])
    first, second, retrieved = (
        panel.split('id="source-1-1"')[1].split('id="source-1-2"')[0],
        panel.split('id="source-1-2"')[1].split("pa-retrieved")[0],
        panel.split("pa-retrieved")[1],
    )
    assert (
        '<p class="pa-coverage"><span class="pa-covers"><strong>Covers:</strong> '
        'diffusion models</span> · <span class="pa-lacks"><strong>Lacks:</strong> '
        "protein &lt;b&gt;folding&lt;/b&gt;</span></p>"
    ) in first  # a facet is the user's words: escaped like everything else
    assert "Covers:</strong> protein &lt;b&gt;folding&lt;/b&gt;, diffusion models" in second
    assert "Lacks:" not in second and "<b>" not in panel
    assert "pa-coverage" not in retrieved  # the reader's verdict is on what is cited
    unfaceted = graded("full", (BLURRING, []), facets=())
    assert "pa-coverage" not in sources_html([("q", unfaceted)])


def test_a_partial_answer_is_marked_before_it_and_a_full_or_refused_one_is_not(ui, monkeypatch):
    from assistant.answer.result import REFUSAL, Answer
    from assistant.web.views import reply_markdown

    partial = graded("partial", (BLURRING, [DIFFUSION]))
    mark = (
        '<p class="pa-partial" role="note"><strong>Partial answer:</strong> the papers cover '
        "only part of the question. No indexed abstract mentions "
        "protein &lt;b&gt;folding&lt;/b&gt;.</p>\n\n"
    )  # the grading's own sentence, escaped like the user's words it holds
    assert reply_markdown(partial, 1) == mark + answer_markdown(partial.text, 1, listed={1})
    full = graded("full", (BOTH, [FOLDING, DIFFUSION]))
    refused = Answer(REFUSAL, [], True, [], {}, "offline", grounding="none", facets=[FOLDING])
    assert "pa-partial" not in reply_markdown(full, 1) + reply_markdown(refused, 1)
    # the chat shows the mark the answer it receives calls for
    monkeypatch.setattr(ui.assistant, "stream", lambda *args, **kwargs: iter([partial]))
    *_, last = ask(ui, "Is there a paper on protein folding with diffusion models?")
    assert last[0][-1]["content"].startswith(mark) and last[2][-1][1] is partial
