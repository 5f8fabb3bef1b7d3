"""The `assistant` command. User errors print one clear line and exit 1, never a stack trace."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.errors import AssistantError, another_ingest
from ingest.errors import IngestError

app = typer.Typer(
    no_args_is_help=True,
    help="Ask questions of a collection of research papers.",
    pretty_exceptions_show_locals=False,
)
# Markup off: titles, file names, BibTeX keys and questions are printed as written, so a
# "[/red]" in them is text, not a broken tag that would stop the command midway.
out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


def _labelled(label: str, style: str, text: object) -> Text:
    """A coloured label, then user text as it is."""
    return Text.assemble((label, style), " ", str(text))


@contextmanager
def user_errors():
    try:
        yield
    except (AssistantError, IngestError) as error:
        err.print(_labelled("Error:", "red", error), highlight=False)
        raise typer.Exit(1) from None


def _assistant():
    from assistant.api import Assistant

    return Assistant()


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; none = the bundled corpus.")
    ] = None,
) -> None:
    """Add papers to the index. Unchanged papers are skipped, changed ones updated."""
    with user_errors():
        report = _ingest_with_progress(_assistant(), paths)
    out.print(report.summary())
    for skipped in report.skipped:
        err.print(_labelled("Skipped", "yellow", skipped), highlight=False)
    for failure in report.failed_files:
        err.print(_labelled("Failed", "red", failure), highlight=False)
    if not report.ok:
        err.print(f"{len(report.failed_files)} file(s) could not be ingested; fix them and re-run.")
        raise typer.Exit(1)


def _year_range(text: str | None) -> list[int | None] | None:
    """'2021' is that year; '2021:2026', '2021:' and ':2020' are ranges."""
    if text is None:
        return None
    low, _, high = text.replace("-", ":").partition(":")
    try:
        years = [int(low) if low else None, int(high) if high else None]
    except ValueError:
        message = f"{text!r} is not a year like 2021 or a range like 2021:2026"
        raise typer.BadParameter(message) from None
    return years if ":" in text.replace("-", ":") else [years[0], years[0]]


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words.")],
    k: Annotated[int, typer.Option("-k", help="How many papers (more for 'which papers').")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    retrieval: Annotated[
        str, typer.Option(help="hybrid (dense + BM25), dense or bm25.")
    ] = "hybrid",
    year: Annotated[
        str | None, typer.Option(help="2021, or a range 2021:2026, 2021:, :2020.")
    ] = None,
    author: Annotated[
        list[str] | None, typer.Option(help="Author name; repeat for any of several.")
    ] = None,
    venue: Annotated[str | None, typer.Option(help="Venue, e.g. arXiv.")] = None,
    source: Annotated[
        list[str] | None, typer.Option(help="poster, trending, publications, or a file name.")
    ] = None,
    listed_on: Annotated[str | None, typer.Option(help="Listing date, e.g. 'Mar 21'.")] = None,
) -> None:
    """Find the papers a question is about, best first, with the filters that applied."""
    filters = {
        "year": _year_range(year),
        "author": author,
        "venue": venue,
        "source": source,
        "listed_on": listed_on,
    }
    with user_errors():
        hits = _assistant().search(query, k=k, filters=filters, mode=retrieval)
    if as_json:
        print(json.dumps(hits.to_json(), indent=2, ensure_ascii=False))
        return
    # The title gets the room: the rest of what is known of a paper is one short line
    # under it, so a title wraps over one or two lines even in 80 columns.
    table = Table("#", "score", "paper", box=box.SIMPLE_HEAD)
    for rank, hit in enumerate(hits, 1):
        paper = hit.paper
        known = [
            _first_author(paper.authors),
            str(paper.year or ""),
            ", ".join(dict.fromkeys(_short_source(s.kind) for s in paper.sources)),
            "found by " + "+".join(hit.found_by),
        ]
        line = Text(paper.title, style="bold")
        line.append("\n" + " · ".join(part for part in known if part), style="dim")
        table.add_row(str(rank), f"{hit.score:.3f}", line)
    out.print(table)
    for name, applied in hits.filters.describe().items():
        out.print(f"filter: {name} = {applied['value']} (from '{applied['from']}')")
    if not hits:
        out.print("No paper matched.")


SOURCE_LABELS = {"poster_session": "poster", "trending_listing": "trending",
                 "publication_list": "publications", "csl_json": "CSL-JSON", "ris": "RIS",
                 "bibtex": "BibTeX"}  # fmt: skip


def _short_source(kind: str) -> str:
    return SOURCE_LABELS.get(kind, kind)


def _first_author(authors: tuple[str, ...]) -> str:
    """'Forré et al.': the first author's last name, for a table that has to fit."""
    if not authors:
        return ""
    last = authors[0].split()[-1]
    return last if len(authors) == 1 else f"{last} et al."


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question about the papers.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    bibtex: Annotated[
        Path | None, typer.Option("--bibtex", help="Write the cited papers to this .bib file.")
    ] = None,
) -> None:
    """Answer a question from the indexed papers, with numbered citations."""
    with user_errors(), err.status("Searching the papers…"):  # a spinner, on terminals only
        answer = _assistant().ask(question)
    if bibtex is not None:
        _write_bibtex(answer, bibtex)
    if as_json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
        return
    _print_answer_extras(answer)
    out.print(answer.text, highlight=False)


def _write_bibtex(answer, path: Path) -> None:
    """The cited papers to `path`, written whole or not at all; said on stderr, so stdout
    stays the answer (or its JSON)."""
    if not answer.citations:
        err.print(f"No paper was cited, so {path} was not written.", highlight=False)
        return
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(answer.to_bibtex(), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        problem = f"cannot write {path} ({error.strerror}) - check the path"
        err.print(_labelled("Error:", "red", problem), highlight=False)
        raise typer.Exit(1) from None
    err.print(f"Wrote {len(answer.citations)} cited paper(s) to {path} as BibTeX.", highlight=False)


@app.command()
def chat() -> None:
    """A conversation in the terminal: follow-up questions use what was said before.
    An empty line or Ctrl-D ends it."""
    history: list[dict[str, str]] = []
    with user_errors():
        assistant = _assistant()
        while True:
            try:
                question = input("\nyou> ").strip()
            except EOFError:
                break
            if not question:
                break
            out.print("assistant> ", end="")
            answer = None
            try:
                for piece in assistant.stream(question, history):
                    if isinstance(piece, str):
                        out.print(piece, end="", highlight=False)
                    else:
                        answer = piece
            except AssistantError as error:  # a bad question should not end the conversation
                err.print(_labelled("Error:", "red", error), highlight=False)
                continue
            out.print()
            _print_answer_extras(answer)
            history += [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer.text},
            ]


def _print_answer_extras(answer) -> None:
    """What the answer text itself does not say: the notice, flagged claims, filters."""
    if answer.notice:
        err.print(answer.notice, style="yellow", highlight=False)
    for claim in answer.unsupported:
        unsupported = _labelled("Not supported by the cited abstract:", "yellow", claim)
        err.print(unsupported, highlight=False)
    for name, applied in answer.filters.items():
        err.print(
            f"filter: {name} = {applied['value']} (from '{applied['from']}')", highlight=False
        )


MCP_PATH = "/gradio_api/mcp/"  # Gradio's, streamable HTTP (SSE at .../mcp/sse)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; loopback by default.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    mcp: Annotated[
        bool, typer.Option(help="Also serve search, ask and paper tools to MCP clients.")
    ] = False,
) -> None:
    """Start the web UI. An empty index is filled with the bundled corpus first."""
    with user_errors():
        assistant = _assistant()
        if assistant.index.count() == 0:
            err.print("The index is empty: ingesting the bundled corpus first.")
            err.print(_ingest_with_progress(assistant, None).summary())
        with err.status("Starting the web UI (Gradio takes a few seconds to load)…"):
            from assistant.web.app import LAUNCH_OPTIONS, build_app, upload_limit

            web = build_app(assistant, mcp=mcp)
    out.print(f"Paper assistant on http://{host}:{port} (Ctrl+C stops it)")
    if mcp:
        out.print(f"MCP server on http://{host}:{port}{MCP_PATH}")
    web.launch(
        server_name=host,
        server_port=port,
        max_file_size=upload_limit(assistant.settings),
        quiet=True,
        footer_links=[],
        mcp_server=mcp,
        **LAUNCH_OPTIONS,
    )


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """How many papers are indexed, by source, year and venue."""
    with user_errors():
        numbers = _assistant().stats()
    if as_json:
        print(json.dumps(numbers, indent=2))
        return
    out.print(f"{numbers['papers']} papers from {numbers['entries']} entries")
    for key in ("by_source", "by_kind", "by_year", "by_venue"):
        table = Table(key.removeprefix("by_"), "papers")
        for name, count in numbers[key].items():
            table.add_row(name, str(count))
        out.print(table)


@app.command("eval")
def evaluate(
    dataset: Annotated[
        Path | None,
        typer.Option(help="JSONL eval dataset, any file in the format; default the dev set."),
    ] = None,
    llm: Annotated[
        str,
        typer.Option(
            help="mock: recorded responses, else scripted ones, through the LLM path; "
            "offline: the extractive answerer; openai: the configured endpoint."
        ),
    ] = "mock",
    retrieval: Annotated[
        str, typer.Option(help="hybrid, dense or bm25; the other two run as baselines.")
    ] = "hybrid",
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write every case and the summary as JSON.")
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", help="Write report.md, report.json and plots to this folder."),
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="METRIC=VALUE, repeatable: exit 1 when the metric is under VALUE "
            "(over it for checks.* and latency_ms.*)."
        ),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option(
            help="TOML file of --fail-under thresholds, a table per dataset, e.g. "
            "evals/thresholds.toml."
        ),
    ] = None,
    responses: Annotated[
        Path | None,
        typer.Option(help="Recorded responses for --llm mock; default evals/responses/<name>/."),
    ] = None,
    beir_dir: Annotated[
        Path | None,
        typer.Option(
            "--beir",
            help="Score retrieval alone on a BEIR-format folder (corpus.jsonl, queries.jsonl, "
            "qrels/*.tsv), indexed on its own.",
        ),
    ] = None,
    qrels: Annotated[
        str | None,
        typer.Option(help="With --beir: the qrels split (dev) or file; default qrels/test.tsv."),
    ] = None,
) -> None:
    """Score retrieval, citations and refusals on an eval dataset, baselines beside; or,
    with --beir, retrieval alone on a BEIR-format folder."""
    from assistant.evaluation import gate, report, run
    from assistant.settings import Settings

    if beir_dir is not None:  # retrieval alone, on a BEIR corpus in an index of its own
        from assistant.evaluation import beir, beir_format, beir_index

        with user_errors():
            if dataset or report_dir or thresholds:
                raise AssistantError(
                    "--beir scores retrieval on its own corpus - leave out --dataset, "
                    "--report and --thresholds (use --json and --fail-under)"
                )
            limits = dict(gate.parse_limit(spec) for spec in fail_under or [])
            data = beir_format.load_beir(beir_dir, qrels)
            for warning in data.warnings:
                err.print(_labelled("Warning:", "yellow", warning), highlight=False)
            with _progress_bar() as bar:
                task = bar.add_task(f"Embedding {data.name}", total=len(data.documents))
                index = beir_index.open_index(
                    data,
                    Settings(),
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                    waiting=_tell_waiting,
                )
            with _progress_bar() as bar:
                task = bar.add_task(f"Searching {data.name}", total=len(data.queries))
                result = beir.evaluate(
                    index, data, retrieval, lambda done, _: bar.update(task, completed=done)
                )
            out.print(_rich_table(beir.table(result)), "")
            err.print(beir.timing(result), highlight=False)
            if json_path:
                report.write_json(result, json_path)
                err.print(f"Wrote {json_path}", highlight=False)
            failures = gate.check(result.summary, limits)
        _fail_on(failures, limits)
        return
    with user_errors():
        path = dataset or run.DEV_SET
        limits = gate.load_limits(thresholds, llm, path.stem) if thresholds else {}
        limits |= dict(gate.parse_limit(spec) for spec in fail_under or [])
        assistant = run.eval_assistant(llm, Settings(), responses or run.responses_for(path))
        cases = run.load_cases(assistant, path)
        with _progress_bar() as bar:
            task = bar.add_task(f"Evaluating {path.name}", total=len(cases))
            result = run.run_eval(
                assistant,
                cases,
                retrieval=retrieval,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                config={"dataset": str(path), "llm": llm},
            )
        for table in report.tables(result):
            out.print(_rich_table(table), "")
        _warn_about_fallbacks(result)
        if json_path:
            report.write_json(result, json_path)
            err.print(f"Wrote {json_path}", highlight=False)
        if report_dir:
            report.write_report(result, report_dir)
            err.print(f"Wrote the report to {report_dir / 'report.md'}", highlight=False)
        failures = gate.check(result.summary, limits)
    _fail_on(failures, limits)


def _fail_on(failures: list[str], limits: dict[str, float]) -> None:
    """Each threshold missed, and exit 1; or that every one was met."""
    for failure in failures:
        err.print(_labelled("Failed:", "red", failure), highlight=False)
    if failures:
        raise typer.Exit(1)
    if limits:
        out.print(f"All {len(limits)} thresholds met.")


def _ingest_with_progress(assistant, paths: list[Path] | None):
    """`Assistant.ingest` with a progress bar while papers are embedded."""
    with _progress_bar() as bar:
        task = bar.add_task("Embedding papers", total=None)
        return assistant.ingest(
            paths,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            waiting=_tell_waiting,
        )


def _tell_waiting(pid: int | None) -> None:
    err.print(f"Waiting for {another_ingest(pid)} to finish writing to this index...")


def _progress_bar():
    """A bar with count and ETA on stderr, gone when done: for anything that takes a while."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (  # the description may hold a file name: text, not markup
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        "ETA",
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=err, transient=True)


def _rich_table(table) -> Table:
    first, *rest = table.header  # headers stack their words, so the tables fit 80 columns
    rendered = Table(
        first,
        *(name.replace(" ", "\n") for name in rest),
        title=table.title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=0,
        pad_edge=False,
        show_edge=False,
    )
    rendered.columns[0].no_wrap = True
    for row in table.rows:
        rendered.add_row(*row)
    return rendered


def _warn_about_fallbacks(result) -> None:
    """With --llm openai, answers the endpoint failed on were written offline instead."""
    notices = [row["notice"] for row in result.rows if row["notice"]]
    if notices:
        err.print(
            f"{len(notices)} answers came from the offline answerer because the "
            f"LLM failed, e.g.: {notices[0]}",
            style="yellow",
            highlight=False,
        )
