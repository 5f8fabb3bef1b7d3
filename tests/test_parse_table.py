from pathlib import Path

import pytest

from ingest.errors import MalformedFile
from ingest.parse_table import parse_csv, parse_jsonl, split_authors
from ingest.parsed import Skipped
from ingest.records import Source

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def read(name: str) -> str:
    return (FORMATS / name).read_text(encoding="utf-8")


# --- CSV ---------------------------------------------------------------------------------


def test_csv_fixture_fields():
    parsed = parse_csv(read("papers.csv"), "papers.csv")

    attention, resnet = parsed.records
    assert attention.title == "Attention Is All You Need"
    assert attention.authors == (
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
    )
    assert (attention.year, attention.venue, attention.doi) == (2017, "NeurIPS", None)
    assert attention.id == "arxiv:1706.03762"
    assert attention.sources == (Source(file="papers.csv", kind="csv"),)
    assert resnet.authors == ("Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun")
    assert resnet.year == 2016
    assert resnet.venue == (
        "Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2016"
    )
    assert (resnet.doi, resnet.arxiv_id) == ("10.1109/CVPR.2016.90", "1512.03385")
    assert resnet.id == "doi:10.1109/cvpr.2016.90"


def test_csv_quoted_commas_and_multiline_abstract_are_one_field_with_collapsed_space():
    resnet = parse_csv(read("papers.csv"), "papers.csv").records[1]

    assert resnet.abstract == (
        "Deeper neural networks are more difficult to train. We present a residual learning "
        "framework to ease the training of networks that are substantially deeper than those "
        "used previously."
    )


def test_csv_row_without_abstract_is_skipped_at_its_physical_line():
    # The row above it spans lines 3-4, so the Adam row is on line 5, not row 4.
    assert parse_csv(read("papers.csv"), "papers.csv").skipped == [
        Skipped(
            "papers.csv",
            5,
            "'Adam: A Method for Stochastic Optimization' has a title but no abstract"
            " - add an abstract, or remove the entry",
        )
    ]


def test_csv_without_title_column_names_the_columns_found_and_accepted():
    with pytest.raises(MalformedFile) as caught:
        parse_csv(read("no_title.csv"), "no_title.csv")

    message = str(caught.value)
    assert message.startswith("no_title.csv: line 1: the header has no title column")
    assert "(columns found: name, summary, authors, year)" in message
    assert "title: title; abstract: abstract or summary" in message


def test_csv_without_title_or_abstract_column_says_both():
    with pytest.raises(MalformedFile, match=r"^x\.csv: line 2: the header has no title and no"):
        parse_csv("\nname,notes\nA,B\n", "x.csv")


@pytest.mark.parametrize("separator", ["\t", ";"])
def test_csv_sniffs_tab_and_semicolon_and_reads_aliases_in_any_case(separator):
    rows = [
        ["Title", "Summary", "Author", "Year", "Journal", "EPRINT"],
        ["Deep Learning", "Models, with layers.", "LeCun and Bengio", "2015", "Nature", "x/1"],
    ]
    text = "\n".join(separator.join(row) for row in rows) + "\n"

    [record] = parse_csv(text, "x.csv").records

    assert record.abstract == "Models, with layers."
    assert record.authors == ("LeCun", "Bengio")
    assert (record.year, record.venue, record.arxiv_id) == (2015, "Nature", "x/1")


def test_csv_unterminated_quote_is_malformed_at_the_line_the_row_starts():
    text = 'title,abstract\nFine,Also fine\n"Open quote,never closed\nmore text\n'

    with pytest.raises(MalformedFile) as caught:
        parse_csv(text, "bad.csv")

    message = str(caught.value)
    assert message.startswith("bad.csv: line 3: the row starting here is not valid CSV")
    assert "close every quoted field" in message


def test_csv_row_with_more_fields_than_the_header_is_malformed():
    text = "title,abstract\nA,B\nC,an abstract, with an unquoted comma\n"

    with pytest.raises(MalformedFile) as caught:
        parse_csv(text, "wide.csv")

    assert str(caught.value).startswith(
        "wide.csv: line 3: this row has 3 fields but the header has 2"
    )


def test_csv_trailing_empty_fields_blank_lines_and_bom_are_tolerated():
    text = "\ufefftitle,abstract\n\nA,B,,\n\n,orphan abstract\nC,D\n"

    parsed = parse_csv(text, "x.csv")

    assert [r.title for r in parsed.records] == ["A", "C"]
    assert parsed.skipped == [
        Skipped("x.csv", 5, "The row at line 5 has no title - add a title, or remove it")
    ]


def test_csv_bad_year_is_skipped():
    parsed = parse_csv("title,abstract,year\nT,A,20x1\n", "x.csv")

    assert parsed.records == []
    assert parsed.skipped == [
        Skipped(
            "x.csv", 2, "'T' has the year '20x1', which is not a number like 2021 - fix the year"
        )
    ]


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ("Ada Lovelace; Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        ("Ada Lovelace · Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        ("Ada Lovelace and Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        ("Lovelace, A.; Babbage, C.", ["Lovelace, A.", "Babbage, C."]),
        (
            "Ada Lovelace, Charles Babbage, Alan Turing",
            ["Ada Lovelace", "Charles Babbage", "Alan Turing"],
        ),
        ("Alexandra Sandersonian", ["Alexandra Sandersonian"]),
        (["Ada Lovelace", "Charles Babbage"], ["Ada Lovelace", "Charles Babbage"]),
        ([{"authorId": "1", "name": "Ada Lovelace"}, None], ["Ada Lovelace", ""]),
    ],
)
def test_split_authors(authors, expected):
    assert split_authors(authors) == expected


def test_csv_field_longer_than_csvs_default_limit_is_read():
    """csv refuses fields over 131,072 characters unless told; the file size limit bounds them."""
    abstract = "Long. " * 30_000

    [record] = parse_csv(f"title,abstract\nT,{abstract}\n", "x.csv").records

    assert len(record.abstract) == len(abstract.strip())


# --- JSON Lines ----------------------------------------------------------------------------


def test_jsonl_fixture_fields_with_keys_in_any_case():
    deep_learning, duq = parse_jsonl(read("papers.jsonl"), "papers.jsonl").records

    assert deep_learning.title == "Deep Learning"
    assert deep_learning.abstract == (
        "Deep learning allows computational models that are composed of multiple processing "
        "layers to learn representations of data with multiple levels of abstraction."
    )
    assert deep_learning.authors == ("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton")
    assert (deep_learning.year, deep_learning.venue) == (2015, "Nature")
    assert deep_learning.id == "doi:10.1038/nature14539"
    assert deep_learning.sources == (Source(file="papers.jsonl", kind="jsonl"),)
    assert duq.authors == ("Joost van Amersfoort", "Lewis Smith", "Yee Whye Teh", "Yarin Gal")
    assert duq.year == 2020
    assert duq.arxiv_id == "arXiv:2003.02037"
    assert duq.id == "arxiv:2003.02037"


def test_jsonl_invalid_line_is_skipped_with_its_number():
    assert parse_jsonl(read("papers.jsonl"), "papers.jsonl").skipped == [
        Skipped(
            "papers.jsonl",
            2,
            "Line 2 is not valid JSON (Expecting ',' delimiter at column 95) - fix or remove it",
        )
    ]


def test_jsonl_non_objects_and_missing_abstracts_are_skipped_blank_lines_counted():
    text = '[1, 2]\n\n{"title": "Only a title"}\n{"title": "T", "abstract": "A."}\n'

    parsed = parse_jsonl(text, "x.jsonl")

    assert [r.title for r in parsed.records] == ["T"]
    assert [(s.line, s.reason) for s in parsed.skipped] == [
        (1, "Line 1 is valid JSON but not an object - write each paper as one {...} per line"),
        (
            3,
            "'Only a title' has a title but no abstract - add an abstract, or remove the entry",
        ),
    ]


def test_jsonl_falls_back_to_the_next_alias_when_one_is_empty():
    text = '{"abstract": "", "summary": "From summary.", "title": "T", "venue": "", "journal": "J"}'

    [record] = parse_jsonl(text, "x.jsonl").records

    assert (record.abstract, record.venue) == ("From summary.", "J")


def test_jsonl_line_nested_too_deeply_is_skipped_and_the_rest_read():
    text = '{"a":' * 100_000 + '\n{"title": "T", "abstract": "A."}\n'

    parsed = parse_jsonl(text, "x.jsonl")

    assert [r.title for r in parsed.records] == ["T"]
    assert parsed.skipped == [
        Skipped(
            "x.jsonl",
            1,
            "Line 1 nests objects or lists too deeply to be read - a paper is one flat object",
        )
    ]


def test_jsonl_year_of_five_thousand_digits_is_skipped_with_a_short_reason():
    text = '{"title": "T", "abstract": "A.", "year": ' + "1" * 5000 + "}\n"

    [skipped] = parse_jsonl(text, "x.jsonl").skipped

    assert skipped.reason.startswith("'T' has the year '11111")
    assert skipped.reason.endswith("…', which is not a number like 2021 - fix the year")
    assert len(skipped.reason) < 200


def test_jsonl_numbers_are_read_as_written():
    [record] = parse_jsonl('{"title": 1984, "abstract": "A.", "year": 2021}', "x.jsonl").records

    assert (record.title, record.year) == ("1984", 2021)


def test_jsonl_file_without_one_object_is_malformed_naming_the_first_bad_line():
    with pytest.raises(
        MalformedFile,
        match=r"x\.jsonl: line 2: no line is a JSON object; line 2 is not valid JSON "
        r"\(Expecting property name enclosed in double quotes at column 2\) - fix or remove it",
    ):
        parse_jsonl("\n{\nnot json\n", "x.jsonl")
