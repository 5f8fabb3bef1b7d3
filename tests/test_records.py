from ingest.records import (
    PaperRecord,
    Source,
    merge,
    merge_duplicates,
    normalise_arxiv_id,
    normalise_title,
    paper_id,
)


def test_title_normalisation_ignores_case_accents_latex_and_punctuation():
    assert normalise_title("Über {BERT}: $x$-Robust  Models!") == "uber bert x robust models"


def test_ids_prefer_doi_then_arxiv_then_title():
    assert paper_id("T", doi="https://doi.org/10.1000/ABC") == "doi:10.1000/abc"
    assert paper_id("T", arxiv_id="http://arxiv.org/abs/2003.02037v2") == "arxiv:2003.02037"
    assert paper_id("Scaling MLPs: A Tale") == "title:scaling-mlps-a-tale"
    assert normalise_arxiv_id("arXiv:2101.00001v3") == "2101.00001"


def test_same_paper_from_two_pages_is_one_record_with_both_sources_and_dates():
    a = PaperRecord(
        "Deep Probability Estimation",
        "Abs.",
        sources=(Source("a.txt", "trending_listing", "Mar 21"),),
    )
    b = PaperRecord(
        "Deep probability estimation",
        "Abs.",
        sources=(Source("b.txt", "trending_listing", "Mar 12"),),
    )
    c = PaperRecord(
        "Another Paper", "Other.", sources=(Source("b.txt", "trending_listing", "Mar 12"),)
    )
    merged = merge_duplicates([a, c, b])
    assert [p.title for p in merged] == ["Deep Probability Estimation", "Another Paper"]
    assert merged[0].listed_on == ("Mar 21", "Mar 12")
    assert [s.file for s in merged[0].sources] == ["a.txt", "b.txt"]


def test_a_place_seen_again_is_one_source_with_its_newer_label():
    """An index from before sources had labels, re-ingested: each page once, labelled."""
    old = PaperRecord("T", "A.", sources=(Source("001.txt", "trending_listing", "Mar 21"),))
    labelled = Source("001.txt", "trending_listing", "Mar 21", "Trending listing, Mar 21")
    merged = merge(old, PaperRecord("T", "A.", sources=(labelled,)))
    assert merged.sources == (labelled,)
    assert [s.name for s in merged.sources] == ["Trending listing, Mar 21"]
    assert Source("mine.bib", "bibtex").name == "mine.bib"  # no label: the file's name


def test_a_record_with_a_doi_merges_with_the_same_title_without_one():
    page = PaperRecord(
        "Weighted Conditional Flow Matching", "Abs.", sources=(Source("p.txt", "publication_list"),)
    )
    bib = PaperRecord(
        "Weighted conditional flow matching",
        "Abs.",
        doi="10.1/x",
        sources=(Source("r.bib", "bibtex"),),
    )
    (merged,) = merge_duplicates([page, bib])
    assert merged.id == page.id and merged.doi == "10.1/x"


def test_record_round_trips_through_json_and_hashes_track_changes():
    record = PaperRecord(
        "T", "A.", ("Ann Lee",), 2022, "arXiv", (Source("f", "bibtex"),), doi="10.1/x"
    )
    assert PaperRecord.from_json(record.to_json()) == record
    moved = PaperRecord(
        "T", "A.", ("Ann Lee",), 2023, "arXiv", (Source("f", "bibtex"),), doi="10.1/x"
    )
    assert moved.text_hash == record.text_hash and moved.record_hash != record.record_hash
