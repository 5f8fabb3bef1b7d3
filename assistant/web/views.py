"""What the web UI shows, as escaped HTML and Markdown.

Every title, abstract, author and answer is text from files someone else wrote, so each
is escaped here before any page shows it: an abstract holding `<script>` shows the word
`<script>`. The only markup is what these functions add themselves.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from html import escape

from assistant.answer.markdown import flagged, markdown_text, partial_notice
from assistant.answer.render import authors_text
from assistant.answer.result import Answer
from assistant.text import split_sentences
from ingest.records import PaperRecord

TITLE_SHOWN = 200  # characters of a title a card or table row shows; the rest on demand


def anchor(turn: int, n: int) -> str:
    """The id of citation [n] of the turn-th answer: citations of earlier answers keep
    pointing at their own papers."""
    return f"source-{turn}-{n}"


def answer_markdown(
    text: str, turn: int, unsupported: Sequence[str] = (), listed: Collection[int] | None = None
) -> str:
    """An answer for the chat: HTML escaped, [n] linked to its source card (only the
    `listed` ones when given: an unsupported citation has no card), and each sentence the
    cited abstract does not support marked."""
    shown = markdown_text(flagged(text, unsupported))

    def link(found: re.Match) -> str:
        n = int(found[1])
        if listed is not None and n not in listed:
            return found[0]
        return f"[\\[{n}\\]](#{anchor(turn, n)})"

    return re.sub(r"\\\[(\d+)\\\]", link, shown)


def reply_markdown(answer: Answer, turn: int) -> str:
    """The finished answer for the chat: marked first when it is partial, then the answer
    with its links and flagged sentences, then its notice."""
    listed = {citation.n for citation in answer.citations}
    shown = partial_mark(answer) + answer_markdown(answer.text, turn, answer.unsupported, listed)
    if answer.notice:
        shown += f"\n\n*{answer_markdown(answer.notice, turn)}*"
    return shown


def partial_mark(answer: Answer) -> str:
    """A partial answer's notice, in words (not colour only) and before the answer: the
    grading's own sentence on what the papers lack, as a model's answer need not say it."""
    if answer.grounding != "partial":
        return ""
    return (
        '<p class="pa-partial" role="note"><strong>Partial answer:</strong> '
        f"{escape(partial_notice(answer))}</p>\n\n"
    )


def shortened(text: str, limit: int = TITLE_SHOWN) -> str:
    """The text cut at a word before `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def filters_markdown(filters: dict[str, dict[str, str]]) -> str:
    if not filters:
        return "No filters applied."
    parts = []
    for field, applied in filters.items():
        origin = "set by you" if applied["from"] == "explicit" else f'from "{applied["from"]}"'
        parts.append(f"**{field.replace('_', ' ')}** = {escape(applied['value'])} ({origin})")
    return "Filters applied: " + "; ".join(parts)


def scope_markdown(passing: int, total: int, undated: int) -> str:
    """What the filters set on the page leave: a 'none of the papers' answer may be theirs."""
    text = f"\n\nThe filters you set leave {passing} of {total} papers"
    if undated:
        text += f"; the {undated} papers without a year are left out by the year filter"
    return text + "."


def sources_html(answers: Sequence[tuple[str, Answer]]) -> str:
    """The sources of every answer so far, newest first and open; older ones folded."""
    if not answers:
        return '<p class="pa-empty">Sources of the answers appear here.</p>'
    blocks = []
    for turn in range(len(answers), 0, -1):
        question, answer = answers[turn - 1]
        body = _answer_sources(turn, answer)
        state = " open" if turn == len(answers) else ""
        blocks.append(
            f'<details class="pa-turn" id="turn-{turn}"{state}><summary>Question {turn}: '
            f"{escape(question)}</summary>{body}</details>"
        )
    return '<div class="pa-sources">' + "".join(blocks) + "</div>"


def _answer_sources(turn: int, answer: Answer) -> str:
    if answer.refused:
        return '<p class="pa-empty">No paper cited: the indexed papers do not answer this.</p>'
    parts = []
    if answer.unsupported:
        items = "".join(f"<li>{escape(s)}</li>" for s in answer.unsupported)
        parts.append(
            '<div class="pa-unsupported"><strong>Not supported by the cited abstracts:</strong>'
            f"<ul>{items}</ul></div>"
        )
    cited = {c.paper.id for c in answer.citations}
    for citation in answer.citations:
        quoted = [s for s in split_sentences(citation.paper.abstract) if s in answer.text]
        parts.append(
            paper_html(
                citation.paper,
                label=f"[{citation.n}]",
                element_id=anchor(turn, citation.n),
                highlight=[*citation.sentences, *quoted],
                coverage=answer.coverage.get(citation.paper.id) if answer.facets else None,
            )
        )
    others = [hit.paper for hit in answer.retrieved if hit.paper.id not in cited]
    if others:
        cards = "".join(paper_html(p, folded=True) for p in others)
        parts.append(
            f'<details class="pa-retrieved"><summary>Retrieved but not cited ({len(others)})'
            f"</summary>{cards}</details>"
        )
    return "".join(parts)


def paper_html(
    paper: PaperRecord,
    label: str = "",
    element_id: str | None = None,
    highlight: Sequence[str] = (),
    folded: bool = False,
    coverage: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """A paper's card: title (a long one shortened, in full behind a click), what of the
    question it covers and lacks (`coverage`, the reader's for a cited paper), authors,
    year and venue, the pages it came from with their listing dates, links, and the
    abstract with the `highlight` sentences marked (behind a click when `folded`)."""
    marked = set(highlight)
    sentences = [
        f"<mark>{escape(s)}</mark>" if s in marked else escape(s)
        for s in split_sentences(paper.abstract)
    ]
    authors = authors_text(paper.authors)
    when = " · ".join(str(x) for x in (paper.year, paper.venue) if x)
    facts = [
        ("Authors", escape(authors)),
        ("Published", escape(when)),
        ("Found on", _sources(paper)),
        ("Links", _links(paper)),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts if value)
    id_attr = f' id="{escape(element_id)}"' if element_id else ""
    heading = f"{escape(label)} " if label else ""
    abstract = f'<p class="pa-abstract">{" ".join(sentences)}</p>'
    if folded:
        abstract = f"<details><summary>Abstract</summary>{abstract}</details>"
    title = f"<h4>{heading}{escape(shortened(paper.title))}</h4>"
    if len(paper.title) > TITLE_SHOWN:
        full = escape(paper.title)
        title += f'<details class="pa-title"><summary>Full title</summary>{full}</details>'
    covers = _coverage(coverage) if coverage else ""
    return f'<article class="pa-paper"{id_attr}>{title}{covers}<dl>{rows}</dl>{abstract}</article>'


def _coverage(coverage: Mapping[str, Sequence[str]]) -> str:
    """'Covers: a, b · Lacks: c': which facets of the question the paper answers."""
    parts = [
        f'<span class="pa-{key}"><strong>{name}:</strong> {escape(", ".join(facets))}</span>'
        for key, name in (("covers", "Covers"), ("lacks", "Lacks"))
        if (facets := coverage.get(key))
    ]
    return f'<p class="pa-coverage">{" · ".join(parts)}</p>' if parts else ""


def _sources(paper: PaperRecord) -> str:
    """Each place the paper was found: a labelled page by its label (which names its kind
    and dates), a file by its name, its kind and the dates it lists the paper on."""
    seen: dict[str, list[str]] = {}
    for source in paper.sources:
        if source.label:
            seen.setdefault(source.label, [])
            continue
        dates = seen.setdefault(f"{source.file} ({source.kind.replace('_', ' ')})", [])
        if source.listed_on and source.listed_on not in dates:
            dates.append(source.listed_on)
    return "; ".join(
        escape(page) + (f", listed on {escape(', '.join(dates))}" if dates else "")
        for page, dates in seen.items()
    )


def _links(paper: PaperRecord) -> str:
    return " · ".join(
        f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{name}</a>'
        for name, url in paper.links
    )
