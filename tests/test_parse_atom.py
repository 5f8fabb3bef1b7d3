import time
from pathlib import Path

import pytest

from ingest.errors import MalformedFile
from ingest.parse_atom import parse_atom
from ingest.parsed import Skipped
from ingest.records import Source

FORMATS = Path(__file__).parent / "fixtures" / "formats"
FEED_START = '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'


def parse_fixture(name: str):
    return parse_atom((FORMATS / name).read_text(encoding="utf-8"), name)


def entry(title: str, summary: str = "An abstract.") -> str:
    return f"  <entry>\n    <title>{title}</title>\n    <summary>{summary}</summary>\n  </entry>\n"


def feed(*entries: str) -> str:
    """A minimal feed; the first entry starts on line 3."""
    return FEED_START + "".join(entries) + "</feed>\n"


def test_arxiv_response_fields():
    duq, dropout = parse_fixture("arxiv.xml").records

    assert duq.title == "Uncertainty Estimation Using a Single Deep Deterministic Neural Network"
    assert duq.authors == ("Joost van Amersfoort", "Lewis Smith", "Yee Whye Teh", "Yarin Gal")
    assert duq.year == 2020
    assert duq.arxiv_id == "http://arxiv.org/abs/2003.02037v2"
    assert duq.id == "arxiv:2003.02037"
    assert duq.url == "http://arxiv.org/abs/2003.02037v2"
    assert (duq.venue, duq.doi) == (None, None)
    assert duq.sources == (Source(file="arxiv.xml", kind="arxiv_atom"),)
    assert dropout.id == "arxiv:1506.02142"
    assert dropout.year == 2015
    assert dropout.authors == ("Yarin Gal", "Zoubin Ghahramani")
    assert dropout.venue == (
        "Proceedings of The 33rd International Conference on Machine Learning, "
        "PMLR 48:1050-1059, 2016"
    )


def test_multiline_titles_and_summaries_are_collapsed():
    duq, dropout = parse_fixture("arxiv.xml").records

    assert dropout.title == (
        "Dropout as a Bayesian Approximation: Representing Model Uncertainty in Deep Learning"
    )
    assert duq.abstract == (
        "We propose a method for training a deterministic deep model that can find and reject "
        "out of distribution data points at test time with a single forward pass. Our approach, "
        "deterministic uncertainty quantification (DUQ), builds upon ideas of RBF networks."
    )
    assert parse_fixture("arxiv.xml").skipped == []


def test_truncated_xml_is_malformed_with_line_and_column():
    with pytest.raises(MalformedFile) as caught:
        parse_fixture("broken.xml")

    message = str(caught.value)
    assert message.startswith("broken.xml: line 25, column 1: the XML is not well-formed")
    assert "fetch it again" in message


def test_well_formed_xml_that_is_not_atom_is_malformed_at_its_root():
    with pytest.raises(MalformedFile) as caught:
        parse_fixture("not_atom.xml")

    message = str(caught.value)
    assert message.startswith("not_atom.xml: line 3: the root element is <rss>, not an Atom <feed>")


def test_arxiv_error_feed_is_malformed_with_the_error_text():
    text = feed(
        "  <entry>\n"
        "    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.1234</id>\n"
        "    <title>Error</title>\n"
        "    <summary>incorrect id format for 1234.1234</summary>\n"
        "    <author><name>arXiv api core</name></author>\n"
        "  </entry>\n"
    )

    with pytest.raises(MalformedFile) as caught:
        parse_atom(text, "query.xml")

    assert str(caught.value) == (
        "query.xml: line 3: this is an arXiv API error response, not search results: "
        "incorrect id format for 1234.1234 - correct the query and download the results again"
    )


def test_entries_without_abstract_or_title_are_skipped_at_their_lines():
    text = feed(
        "  <!-- an <entry> inside a comment must not shift the line numbers -->\n"
        "  <entry>\n"
        "    <id>http://arxiv.org/abs/2101.00001v1</id>\n"
        "    <title>Only a Title</title>\n"
        "  </entry>\n"
        "  <entry>\n"
        "    <id>http://arxiv.org/abs/2101.00002v1</id>\n"
        "    <summary>Only a summary.</summary>\n"
        "  </entry>\n"
        "  <entry>\n"
        "    <id>http://arxiv.org/abs/2101.00003v1</id>\n"
        "    <published>2021-01-04T00:00:00Z</published>\n"
        "    <title>Kept</title>\n"
        "    <summary>Has both.</summary>\n"
        "    <arxiv:doi xmlns:arxiv='http://arxiv.org/schemas/atom'>10.1000/XYZ.1</arxiv:doi>\n"
        "  </entry>\n"
    )

    parsed = parse_atom(text, "q.xml")

    assert [(r.title, r.year, r.doi, r.id) for r in parsed.records] == [
        ("Kept", 2021, "10.1000/XYZ.1", "doi:10.1000/xyz.1")
    ]
    assert parsed.skipped == [
        Skipped(
            "q.xml",
            4,
            "'Only a Title' has a title but no abstract - add an abstract, or remove the entry",
        ),
        Skipped(
            "q.xml",
            8,
            "Entry 2 (http://arxiv.org/abs/2101.00002v1) has no title - add a title, or remove it",
        ),
    ]


def test_prefixed_atom_and_non_arxiv_ids_use_the_alternate_link():
    text = (
        '<atom:feed xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "  <atom:entry>\n"
        "    <atom:id>tag:example.org,2024:paper-7</atom:id>\n"
        "    <atom:title>A Paper</atom:title>\n"
        "    <atom:summary>Its abstract.</atom:summary>\n"
        '    <atom:link rel="alternate" href="https://example.org/paper-7"/>\n'
        "  </atom:entry>\n"
        "</atom:feed>\n"
    )

    [record] = parse_atom(text, "x.xml").records

    assert record.arxiv_id is None
    assert record.url == "https://example.org/paper-7"
    assert record.id == "title:a-paper"


def test_empty_feed_has_no_records():
    parsed = parse_atom(feed(), "empty.xml")

    assert (parsed.records, parsed.skipped) == ([], [])


def test_encoding_declaration_of_decoded_text_is_ignored():
    text = feed(entry("Caf\u00e9 Networks")).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')

    [record] = parse_atom(text, "latin.xml").records

    assert record.title == "Caf\u00e9 Networks"


def test_entry_lines_past_65535_are_exact():
    text = feed("\n" * 70_000, "  <entry><title>Far Down</title></entry>\n")

    [skipped] = parse_atom(text, "long.xml").skipped

    assert skipped.line == 70_003


def with_dtd(declarations: str, *entries: str) -> str:
    """A feed whose internal DTD declares these entities."""
    declaration, rest = feed(*entries).split("\n", 1)
    return f"{declaration}\n<!DOCTYPE feed [\n{declarations}\n]>\n{rest}"


def test_entity_expansion_bomb_is_never_expanded():
    lols = "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))
    text = with_dtd(f' <!ENTITY lol0 "lol">\n{lols}', entry("Laughs &lol9;", "&lol9;"))
    started = time.perf_counter()

    try:
        parsed = parse_atom(text, "lol.xml")
    except MalformedFile as error:  # libxml2 2.11+ refuses the amplification outright
        assert "the XML is not well-formed" in str(error)
    else:  # older ones leave the references unexpanded
        assert [record.title for record in parsed.records] == ["Laughs"]
    assert time.perf_counter() - started < 1


def test_external_entities_are_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    text = with_dtd(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">', entry("Leak &leak;"))

    parsed = parse_atom(text, "xxe.xml")

    assert "SECRET" not in repr(parsed)
