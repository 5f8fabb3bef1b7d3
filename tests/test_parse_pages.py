"""The three web-page formats, on the bundled corpus and on small broken pages."""

from pathlib import Path

import pytest

from ingest.load import BUNDLED_CORPUS, load_paths
from ingest.parse_listing import parse_listing
from ingest.parse_poster_session import parse_poster_session
from ingest.parse_publication_list import parse_publication_list

PUBLICATION_LIST = "000_e6a613b87b86a861.txt"
POSTER_SESSION = "003_3995438c63dfe527.txt"
CHROME = (
    "Trust snapshot",
    "Subscribe",
    "Log in to claim",
    "Get trending papers in your email inbox!",
    "byAK and the research community",
    "Poster Session 6",
    "Published work",
    "new",
)
ABSTRACT = (
    "We study a problem that matters. Our method improves accuracy by 3% on two benchmarks, "
    "and we release code. The analysis explains why it works and when it fails in practice. "
    "Experiments on real data confirm the theory."
)


@pytest.fixture(scope="module")
def corpus():
    return load_paths([BUNDLED_CORPUS], max_bytes=10**8)


def read(name: str) -> str:
    return (BUNDLED_CORPUS / name).read_text()


def test_bundled_corpus_has_368_entries_and_352_distinct_papers(corpus):
    assert corpus.entries == 368
    assert len(corpus.papers) == 352
    assert corpus.skipped == [] and corpus.failed == []


def test_every_paper_has_a_title_and_an_abstract_and_no_chrome_became_a_paper(corpus):
    titles = {p.title for p in corpus.papers}
    assert all(p.title.strip() and len(p.abstract) > 200 for p in corpus.papers)
    assert titles.isdisjoint(CHROME)


def test_all_145_poster_session_papers_have_their_authors():
    parsed = parse_poster_session(read(POSTER_SESSION), POSTER_SESSION)
    assert len(parsed.records) == 145
    assert all(p.authors for p in parsed.records)
    first = parsed.records[0]
    assert first.title.startswith("Summarization Programs")
    assert first.authors == ("Swarnadeep Saha", "Shiyue Zhang", "Peter Hase", "Mohit Bansal")


def test_all_38_publication_list_papers_have_year_and_venue():
    parsed = parse_publication_list(read(PUBLICATION_LIST), PUBLICATION_LIST)
    assert len(parsed.records) == 38
    assert all(p.year and p.venue == "arXiv" for p in parsed.records)
    muon = parsed.records[0]
    assert muon.title.startswith("Muon is Not That Special") and muon.year == 2026


def test_papers_on_several_listings_keep_every_listing_date(corpus):
    merged = [p for p in corpus.papers if len(p.sources) > 1]
    assert len(merged) == 14
    pitfalls = next(
        p for p in merged if p.title == "The Pitfalls of Simplicity Bias in Neural Networks"
    )
    assert pitfalls.listed_on == ("Mar 21", "Mar 13", "Mar 12")


def test_listing_title_without_abstract_is_skipped_with_its_line():
    page = f"Subscribe\n\nMar 21\n\nOrphan Title\n\nGood Title\n\n{ABSTRACT}\n\nLast Title\n"
    parsed = parse_listing(page, "l.txt")
    assert [p.title for p in parsed.records] == ["Good Title"]
    assert parsed.records[0].listed_on == ("Mar 21",)
    assert [(s.line, s.reason.split("'")[1]) for s in parsed.skipped] == [
        (5, "Orphan Title"),
        (11, "Last Title"),
    ]
    assert "has a title but no abstract" in str(parsed.skipped[0])
    assert str(parsed.skipped[0]).startswith("l.txt:5: ")


def test_publication_list_entry_without_abstract_is_skipped():
    page = "Chrome\n\npreprint2021arXiv\n\nNo Abstract Here\n\n"
    page += f"article2020NeurIPS\n\nT\n\n{ABSTRACT}\n"
    parsed = parse_publication_list(page, "p.txt")
    assert [(p.title, p.year, p.venue) for p in parsed.records] == [("T", 2020, "NeurIPS")]
    assert parsed.skipped[0].line == 3 and "No Abstract Here" in parsed.skipped[0].reason


def test_poster_session_stray_line_is_skipped_and_the_rest_parsed():
    page = (
        f"Poster Session 1\nA Title\nAnn Lee · Bo Chen\n{ABSTRACT}\n"
        f"a stray line\nSecond Title\nJosé Forré\n{ABSTRACT}\n"
    )
    parsed = parse_poster_session(page, "s.txt")
    assert [(p.title, p.authors) for p in parsed.records] == [
        ("A Title", ("Ann Lee", "Bo Chen")),
        ("Second Title", ("José Forré",)),
    ]
    assert [s.line for s in parsed.skipped] == [5]


def test_latex_and_unicode_are_kept_as_written(corpus):
    texts = " ".join(p.abstract for p in corpus.papers)
    assert "$" in texts and "\\" in texts


def test_sources_name_the_page_files(corpus):
    files = {s.file for p in corpus.papers for s in p.sources}
    assert files == {p.name for p in Path(BUNDLED_CORPUS).glob("*.txt")}
