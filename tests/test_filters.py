"""Filters: explicit ones checked against the catalog, and the row mask both legs apply."""

import numpy as np
import pytest

from assistant.errors import FilterError
from assistant.search.filters import Filters, Origin, explicit_filters, match_author
from assistant.store.catalog import Catalog

ROWS = [
    {"year": 2021, "author_keys": ["jose forre", "ann lee"], "source_kinds": ["poster_session"]},
    {"year": 2022, "author_keys": ["juho lee"], "listed_on": ["Mar 21", "Mar 12"], "venue": "ICLR"},
    {"author_keys": ["jin lee"], "sources": ["mine.bib"], "source_kinds": ["bibtex"]},
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_rows(["a", "b", "c"], ROWS)


def test_mask_keeps_rows_that_pass_every_field(catalog):
    filters = Filters(year_from=2021, authors=("juho lee", "ann lee"), listed_on=("Mar 21",))
    assert filters.mask(catalog).tolist() == [False, True, False]
    assert Filters(authors=("juho lee", "ann lee")).mask(catalog).tolist() == [True, True, False]
    assert not Filters()
    assert np.all(Filters().mask(catalog))


def test_every_listing_date_named_must_hold(catalog):
    assert Filters(listed_on=("Mar 21", "Mar 12")).mask(catalog).tolist() == [False, True, False]
    assert Filters(listed_on=("Mar 21", "Mar 13")).mask(catalog).tolist() == [False, False, False]


def test_year_upper_bound_excludes_papers_without_a_year(catalog):
    assert Filters(year_to=2030).mask(catalog).tolist() == [True, True, False]


def test_explicit_filters_resolve_names_sources_and_years(catalog):
    filters = explicit_filters(
        {"year": [2021, None], "author": "J. Lee", "source": ["poster", "mine.bib"]}, catalog
    )
    assert (filters.year_from, filters.year_to) == (2021, None)
    assert set(filters.authors) == {"juho lee", "jin lee"}
    assert filters.source_kinds == ("poster_session",) and filters.sources == ("mine.bib",)
    assert filters.describe()["year"] == {"value": "2021-", "from": "explicit"}
    assert explicit_filters({"year": 2022}, catalog).year_to == 2022
    assert match_author("JOSÉ FORRÉ", catalog) == ("jose forre",)


def test_a_source_file_filters_by_its_name_and_reads_back_by_its_label():
    rows = [*ROWS, {"sources": ["003.txt"], "labels": {"003.txt": "Poster session"}}]
    catalog = Catalog.from_rows(["a", "b", "c", "d"], rows)
    filters = explicit_filters({"source": ["003.txt", "mine.bib"]}, catalog)
    assert filters.mask(catalog).tolist() == [False, False, True, True]
    assert filters.describe()["source"]["value"] == "Poster session, mine.bib"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"yeer": 2020}, "unknown filter 'yeer' - use one of year, author"),
        ({"year": "recent"}, "year filter 'recent' is not a year"),
        ({"year": [3000, 1000]}, r"year filter \[3000, 1000\] runs from 3000 back to 1000"),
        ({"author": "Nobody Here"}, "no indexed paper has an author matching 'Nobody Here'"),
        ({"source": "twitter"}, "source 'twitter' is neither a kind of page"),
    ],
)
def test_bad_explicit_filters_say_what_to_do(given, message, catalog):
    with pytest.raises(FilterError, match=message):
        explicit_filters(given, catalog)


def test_explicit_filters_win_over_ones_read_from_the_question():
    explicit = Filters(year_from=2020, year_to=2020, origins=(Origin("year", "2020", "explicit"),))
    read = Filters(
        year_from=2026, year_to=2026, authors=("juho lee",),
        origins=(Origin("year", "2026", "2026"), Origin("author", "Juho Lee", "Juho Lee")),
    )  # fmt: skip
    combined = explicit.combined_with(read)
    assert (combined.year_from, combined.year_to, combined.authors) == (2020, 2020, ("juho lee",))
    assert [o.text for o in combined.origins] == ["explicit", "Juho Lee"]
