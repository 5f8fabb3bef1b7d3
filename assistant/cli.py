"""The `assistant` command. User errors print one clear line and exit 1, never a stack trace."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.errors import AssistantError
from ingest.errors import IngestError

app = typer.Typer(
    no_args_is_help=True,
    help="Ask questions of a collection of research papers.",
    pretty_exceptions_show_locals=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@contextmanager
def user_errors():
    try:
        yield
    except (AssistantError, IngestError) as error:
        err.print(f"[red]Error:[/red] {error}", highlight=False)
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with user_errors():
        assistant = _assistant()
        columns = (
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            "ETA",
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("Embedding papers", total=None)
            report = assistant.ingest(
                paths, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    out.print(
        f"Ingested {report.entries} entries: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped."
    )
    for skipped in report.skipped:
        err.print(f"[yellow]Skipped[/yellow] {skipped}", highlight=False)
    for failure in report.failed_files:
        err.print(f"[red]Failed[/red] {failure}", highlight=False)
    if not report.ok:
        err.print(f"{len(report.failed_files)} file(s) could not be ingested; fix them and re-run.")
        raise typer.Exit(1)


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
