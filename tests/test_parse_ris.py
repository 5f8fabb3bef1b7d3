"""RIS as Zotero, Mendeley and EndNote export it: fields, names, skips and broken files."""

from pathlib import Path

import pytest

from ingest.errors import MalformedFile
from ingest.parse_ris import parse_ris
from ingest.parsed import Skipped
from ingest.records import Source

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def parse_fixture(name: str):
    return parse_ris((FORMATS / name).read_text(encoding="utf-8"), name)


def test_zotero_export_reads_every_record_with_an_abstract():
    parsed = parse_fixture("zotero.ris")

    bert, wavenet, alphafold = parsed.records
    assert bert.title == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    )
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    assert (bert.year, bert.doi, bert.url) == (
        2019,
        "10.18653/v1/N19-1423",
        "https://aclanthology.org/N19-1423",
    )
    assert bert.venue.startswith("Proceedings of the 2019 Conference of the North American")
    assert bert.abstract.endswith("left and right context in all layers.")
    assert bert.sources == (Source(file="zotero.ris", kind="ris"),)
    assert wavenet.authors[0] == "Aaron van den Oord"
    assert (wavenet.arxiv_id, wavenet.venue, wavenet.year) == ("1609.03499", "arXiv", 2016)
    assert (alphafold.venue, alphafold.year) == ("Nature", 2021)
    assert alphafold.id == "doi:10.1038/s41586-021-03819-2"


def test_windows_line_ends_leave_no_carriage_returns():
    text = (FORMATS / "zotero.ris").read_bytes().decode()
    assert "\r\n" in text  # Zotero writes RIS with CRLF

    for record in parse_ris(text, "z.ris").records:
        assert "\r" not in record.title + record.abstract + "".join(record.authors)


def test_record_without_abstract_is_skipped_at_its_ty_line():
    assert parse_fixture("zotero.ris").skipped == [
        Skipped(
            "zotero.ris",
            64,
            "'Dropout: A Simple Way to Prevent Neural Networks from Overfitting' has a title "
            "but no abstract - add an abstract, or remove the entry",
        )
    ]


def test_mendeley_and_endnote_tags_and_wrapped_lines():
    """T1/A1/Y1/JF/N2 instead of TI/AU/PY/T2/AB, and an abstract wrapped over two lines."""
    text = (
        "TY  - JOUR\nT1  - Deep learning\nA1  - LeCun, Yann\nA1  - Bengio, Yoshua\n"
        "Y1  - 2015/05/28\nJF  - Nature\nN2  - Deep learning allows computational models\n"
        "that are composed of multiple processing layers to learn representations.\n"
        "ER  - \n"
    )

    [record] = parse_ris(text, "endnote.txt").records

    assert record.title == "Deep learning"
    assert record.authors == ("Yann LeCun", "Yoshua Bengio")
    assert (record.year, record.venue) == (2015, "Nature")
    assert record.abstract == (
        "Deep learning allows computational models that are composed of multiple processing "
        "layers to learn representations."
    )


def test_record_without_title_and_a_bad_year_are_skipped_naming_why():
    text = (
        "TY  - JOUR\nAB  - An abstract.\nER  - \n\n"
        "TY  - JOUR\nTI  - A title\nAB  - An abstract.\nPY  - Spring\nER  - \n"
    )

    skipped = [str(s) for s in parse_ris(text, "x.ris").skipped]

    assert skipped == [
        "x.ris:1: The record 'TY  - JOUR' has no title - add a title, or remove it",
        "x.ris:5: 'A title' has the year 'Spring', which is not a number like 2021 - fix the year",
    ]


def test_a_cut_short_export_keeps_the_closed_record_and_skips_the_open_one():
    parsed = parse_fixture("broken.ris")

    [record] = parsed.records
    assert (record.title, record.arxiv_id) == ("Layer Normalization", "1607.06450")
    [skipped] = parsed.skipped
    assert (skipped.file, skipped.line) == ("broken.ris", 12)
    assert "has no 'ER  -' line closing it - end each record with 'ER  -'" in skipped.reason


def test_a_record_missing_its_er_before_the_next_ty_is_skipped_not_merged():
    text = "TY  - JOUR\nTI  - First\nAB  - One.\nTY  - JOUR\nTI  - Second\nAB  - Two.\nER  -\n"

    parsed = parse_ris(text, "x.ris")

    assert [r.title for r in parsed.records] == ["Second"]
    assert [s.line for s in parsed.skipped] == [1]


def test_no_closed_record_at_all_is_malformed():
    with pytest.raises(MalformedFile) as caught:
        parse_ris("TY  - JOUR\nTI  - Cut\nAB  - Cut short", "cut.ris")

    message = str(caught.value)
    assert message.startswith("cut.ris: line 1: no RIS record could be read.")
    assert "end each record with 'ER  -'" in message
