import subprocess
import sys
from pathlib import Path

import pytest

from ingest.errors import MalformedFile
from ingest.parse_bibtex import parse_bibtex
from ingest.parsed import Skipped
from ingest.records import Source

FORMATS = Path(__file__).parent / "fixtures" / "formats"
CORPUS_PAGE = Path(__file__).parent.parent / "ingest" / "corpus" / "000_e6a613b87b86a861.txt"
DUQ_TITLE = "Uncertainty Estimation Using a Single Deep Deterministic Neural Network"


def parse_fixture(name: str):
    return parse_bibtex((FORMATS / name).read_text(encoding="utf-8"), name)


def by_title(name: str):
    return {record.title: record for record in parse_fixture(name).records}


def test_sample_reads_every_entry_with_an_abstract_in_file_order():
    parsed = parse_fixture("sample.bib")

    assert [r.title for r in parsed.records] == [
        r"Sparse Transformers with $\mathcal{O}(n \log n)$ Attention for Long Documents",
        DUQ_TITLE,
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    ]
    assert all(r.sources == (Source(file="sample.bib", kind="bibtex"),) for r in parsed.records)


def test_arxiv_misc_entry_matches_the_corpus_paper():
    lines = CORPUS_PAGE.read_text(encoding="utf-8").splitlines()
    corpus_abstract = lines[lines.index(DUQ_TITLE) + 2]

    record = by_title("sample.bib")[DUQ_TITLE]

    assert record.abstract == corpus_abstract
    assert record.authors == ("Joost van Amersfoort", "Lewis Smith", "Yee Whye Teh", "Yarin Gal")
    assert record.year == 2020
    assert record.arxiv_id == "2003.02037"
    assert record.id == "arxiv:2003.02037"
    assert record.venue is None
    assert record.doi is None


def test_latex_is_kept_while_braces_and_line_breaks_go():
    record = parse_fixture("sample.bib").records[0]

    assert record.abstract == (
        r"Self-attention costs $\mathcal{O}(n^2)$ time and memory in the sequence length $n$. "
        r"We replace it with a sparse pattern whose cost is $\mathcal{O}(n \log n)$ and bound "
        r"the approximation error in the $\ell_2$ norm."
    )
    assert record.authors == ("Chidi Okafor", "Maja Lindqvist", "Pieter van der Berg Jr")
    assert record.venue == "Transactions on Machine Learning Research"
    assert record.doi == "10.5555/TMLR.2021.0042"
    assert record.id == "doi:10.5555/tmlr.2021.0042"
    assert record.arxiv_id is None


def test_booktitle_bare_year_url_and_doi():
    record = by_title("sample.bib")[
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    ]

    assert record.venue == (
        "Proceedings of the 2019 Conference of the North American Chapter of the "
        "Association for Computational Linguistics"
    )
    assert record.year == 2019
    assert record.url == "https://aclanthology.org/N19-1423"
    assert record.id == "doi:10.18653/v1/n19-1423"
    assert record.authors[1] == "Ming-Wei Chang"


def test_entry_without_abstract_is_skipped_at_its_line():
    assert parse_fixture("sample.bib").skipped == [
        Skipped(
            "sample.bib",
            26,
            "'Adam: A Method for Stochastic Optimization' has a title but no abstract"
            " - add an abstract, or remove the entry",
        )
    ]


def test_unbalanced_entry_is_skipped_and_the_good_one_kept():
    parsed = parse_fixture("broken.bib")

    assert [r.id for r in parsed.records] == ["doi:10.1038/nature14539"]
    assert parsed.records[0].authors == ("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton")
    [skipped] = parsed.skipped
    assert (skipped.file, skipped.line) == ("broken.bib", 12)
    assert skipped.reason.startswith("The @article entry 'broken2020' could not be parsed")
    assert "braces and quotes are balanced" in skipped.reason


def test_text_with_only_broken_entries_is_malformed_at_the_first_one():
    text = "% my papers\n\n@article{a,\n  title = {Never closed,\n  abstract = {x}\n"

    with pytest.raises(MalformedFile) as caught:
        parse_bibtex(text, "mine.bib")

    message = str(caught.value)
    assert message.startswith("mine.bib: line 3: no BibTeX entry could be read.")
    assert "'a'" in message
    assert "braces and quotes are balanced" in message


def test_text_without_entries_or_errors_is_empty_not_malformed():
    parsed = parse_bibtex("% nothing here yet\n@comment{todo}\n", "empty.bib")

    assert parsed.records == []
    assert parsed.skipped == []


ENTRY = "@article{{k,\n  title = {{{title}}},\n  abstract = {{An abstract.}},\n{extra}}}\n"


@pytest.mark.parametrize(
    ("extra", "arxiv_id"),
    [
        ("  eprint = {1706.03762v5},\n", "1706.03762v5"),
        ("  eprint = {hep-th/9901001},\n", "hep-th/9901001"),
        ("  eprint = {quantum paper 7},\n  eprinttype = {ArXiv},\n", "quantum paper 7"),
        ("  eprint = {PMC1234567},\n  eprinttype = {pubmed},\n", None),
        ("  eprint = {PMC1234567},\n", None),
    ],
)
def test_eprint_is_an_arxiv_id_when_declared_or_shaped_like_one(extra, arxiv_id):
    [record] = parse_bibtex(ENTRY.format(title="T", extra=extra), "x.bib").records

    assert record.arxiv_id == arxiv_id


@pytest.mark.parametrize(
    ("extra", "venue"),
    [
        ("  publisher = {{MIT} Press},\n", "MIT Press"),
        ("  howpublished = {Blog post},\n", "Blog post"),
        ("  journal = {JMLR},\n  publisher = {MIT Press},\n", "JMLR"),
        ("", None),
    ],
)
def test_venue_falls_back_to_publisher_then_howpublished(extra, venue):
    [record] = parse_bibtex(ENTRY.format(title="T", extra=extra), "x.bib").records

    assert record.venue == venue


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("{BERT} and {{GPT}}", "BERT and GPT"),
        (r"\emph{Deep} Nets with $x^{2}$", r"\emph{Deep} Nets with $x^{2}$"),
        (r"Sets \{a\} of {N}odes", r"Sets \{a\} of Nodes"),
    ],
)
def test_only_protective_braces_are_removed_from_titles(title, expected):
    [record] = parse_bibtex(ENTRY.format(title=title, extra=""), "x.bib").records

    assert record.title == expected


def test_others_is_not_an_author_and_field_names_ignore_case():
    text = (
        "@Article{k,\n  TITLE = {T},\n  Abstract = {A.},\n"
        "  Author = {Hinton, Geoffrey and others},\n  YEAR = {2006}\n}\n"
    )

    [record] = parse_bibtex(text, "x.bib").records

    assert record.authors == ("Geoffrey Hinton",)
    assert record.year == 2006


def test_bad_year_missing_title_and_duplicate_key_are_skipped_with_reasons():
    text = (
        "@article{a,\n  title = {Odd Year},\n  abstract = {A.},\n  year = {20x1}\n}\n"
        "@article{b,\n  abstract = {No title here.}\n}\n"
        "@article{a,\n  title = {Same Key},\n  abstract = {A.}\n}\n"
    )

    parsed = parse_bibtex(text, "x.bib")

    assert parsed.records == []
    assert [(s.line, s.reason) for s in parsed.skipped] == [
        (1, "'Odd Year' has the year '20x1', which is not a number like 2021 - fix the year"),
        (6, "The @article entry 'b' has no title - add a title, or remove it"),
        (
            9,
            "The @article entry 'a' could not be parsed: Duplicate entry key 'a'"
            " - fix it, or remove it",
        ),
    ]


def test_bibtexparser_logs_nothing_to_the_terminal():
    """Its own warnings, with 0-based line numbers, repeated each Skipped line on stderr."""
    script = (
        "from ingest.parse_bibtex import parse_bibtex\n"
        "text = '@article{a, title={T}, abstract={A}}\\n@article{b, title={'\n"
        "parsed = parse_bibtex(text, 'x.bib')\n"
        "print(len(parsed.records), len(parsed.skipped))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1 1\n", "")
