"""CSL-JSON as Zotero and citeproc write it: fields, names, dates, skips and broken files."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.errors import MalformedFile
from ingest.parse_csl import parse_csl
from ingest.parse_ris import parse_ris
from ingest.parsed import Skipped
from ingest.records import Source

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def parse_fixture(name: str):
    return parse_csl((FORMATS / name).read_text(encoding="utf-8"), name)


def test_zotero_export_reads_the_same_papers_as_its_ris_export():
    """The library's two Zotero exports, read by two parsers, give the same records."""
    bert, wavenet, gpt4, alphafold = parse_fixture("zotero.json").records
    from_ris = parse_ris((FORMATS / "zotero.ris").read_text(encoding="utf-8"), "zotero.ris")

    assert [replace(r, sources=()) for r in (bert, wavenet, alphafold)] == [
        replace(r, sources=()) for r in from_ris.records
    ]
    assert bert.sources == (Source(file="zotero.json", kind="csl_json"),)
    assert wavenet.authors[0] == "Aaron van den Oord"  # the particle kept in place
    assert (wavenet.arxiv_id, wavenet.venue) == ("1609.03499", "arXiv")
    assert gpt4.authors == ("OpenAI",)  # a literal name
    assert (gpt4.year, gpt4.id) == (2023, "doi:10.48550/arxiv.2303.08774")
    assert (alphafold.year, alphafold.venue) == (2021, "Nature")  # date-parts as numbers


def test_item_without_abstract_is_skipped_at_the_line_it_starts_on():
    assert parse_fixture("zotero.json").skipped == [
        Skipped(
            "zotero.json",
            118,
            "'Dropout: A Simple Way to Prevent Neural Networks from Overfitting' has a title "
            "but no abstract - add an abstract, or remove the entry",
        )
    ]


def test_citeproc_items_on_one_line_with_string_and_raw_dates():
    items = [
        {"id": "a", "type": "book", "title": "T1", "abstract": "A.", "issued": "2020-04-01"},
        {"id": "b", "type": "report", "title": "T2", "abstract": "B.", "issued": {"raw": "1999"}},
        {"id": "c", "type": "article", "title": "T3", "abstract": "C."},
    ]

    parsed = parse_csl(json.dumps(items), "refs.json")

    assert [(r.title, r.year) for r in parsed.records] == [("T1", 2020), ("T2", 1999), ("T3", None)]
    assert parsed.skipped == []


def test_items_that_are_not_papers_are_skipped_with_index_id_and_line():
    text = '[\n  "just a string",\n  {"id": "x1", "type": "book", "abstract": "A."},\n'
    text += '  {"title": "T", "abstract": "A.", "issued": {"date-parts": [["21st c."]]}}\n]'

    skipped = [str(s) for s in parse_csl(text, "x.json").skipped]

    assert skipped == [
        "x.json:2: Item 1 is not an object - write each paper as one {...} in the array",
        "x.json:3: Item 2 ('x1') has no title - add a title, or remove it",
        "x.json:4: 'T' has the year '21st c.', which is not a number like 2021 - fix the year",
    ]


def test_missing_comma_is_malformed_at_its_line_and_column():
    with pytest.raises(MalformedFile) as caught:
        parse_fixture("broken_csl.json")

    message = str(caught.value)
    assert message.startswith(
        "broken_csl.json: line 30: not valid JSON (Expecting ',' delimiter at column 2)"
    )
    assert "re-export it as CSL JSON" in message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[{"title": "T", "abstract": "A."}', "Expecting ',' delimiter"),  # cut short
        ('[{"title": "T"},]', "Expecting value"),
        ('[{"title": "T"}] trailing', "Extra data"),
        ('{"title": "T"}', "Expecting '['"),
    ],
)
def test_json_that_cannot_be_read_is_malformed_naming_why(text, why):
    with pytest.raises(MalformedFile, match=re.escape(why)):
        parse_csl(text, "x.json")


def test_deep_nesting_is_malformed_not_a_recursion_error():
    with pytest.raises(MalformedFile, match="nests lists or objects too deeply"):
        parse_csl('[{"title": ' + "[" * 100_000, "deep.json")


def test_empty_export_has_no_records_and_no_skips():
    parsed = parse_csl("[]\n", "empty.json")

    assert (parsed.records, parsed.skipped) == ([], [])
