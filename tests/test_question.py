"""Reading filters and intent from a question, with no LLM."""

import pytest

from assistant.search.filters import match_author
from assistant.search.intent import Intent
from assistant.search.question import read_question
from assistant.store.catalog import Catalog
from ingest.records import normalise_title

ROWS = [
    {"year": 2021, "author_keys": ["jose forre", "ann lee"], "source_kinds": ["poster_session"]},
    {"year": 2022, "author_keys": ["juho lee", "bo chen"], "listed_on": ["Mar 21", "Mar 12"]},
    {"year": 2026, "author_keys": ["juho lee"], "source_kinds": ["publication_list"]},
    {"year": 2020, "author_keys": ["jin lee", "yisen wang"], "listed_on": ["Mar 12"]},
    {"author_keys": ["andrej risteski"], "source_kinds": ["trending_listing"]},
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_rows([f"p{i}" for i in range(len(ROWS))], ROWS)


def read(text, catalog):
    question = read_question(text, catalog)
    return question, {(o.field, o.value) for o in question.filters.origins}


@pytest.mark.parametrize(
    ("text", "authors"),
    [
        ("What has Juho Lee worked on?", ("juho lee",)),
        ("papers by juho lee", ("juho lee",)),
        ("anything from J. Lee on calibration", ("juho lee", "jin lee")),
        ("work by Jose Forre", ("jose forre",)),
        ("work by José Forré", ("jose forre",)),
        ("Which papers did Risteski write?", ("andrej risteski",)),
        ("List the papers by Yisen Wnag.", ("yisen wang",)),
    ],
)
def test_author_names_match_forgivingly(text, authors, catalog):
    question = read_question(text, catalog)
    assert set(question.filters.authors) == set(authors)
    assert question.filters.origins[0].field == "author"


def test_question_reading_and_explicit_filters_share_one_author_matcher():
    """'J. Lee' and 'Juho Lee' both mean 'Juho H. Lee', read from a question or passed in."""
    catalog = Catalog.from_rows(["a", "b"], [{"author_keys": ["juho h lee"]}, {"year": 2020}])
    for name in ("J. Lee", "Juho Lee", "juho h. lee"):
        assert read_question(f"papers by {name}", catalog).filters.authors == ("juho h lee",)
        assert match_author(name, catalog) == ("juho h lee",)
    assert match_author("H. Lee", catalog) == ()


def test_ambiguous_or_lowercase_last_names_alone_are_not_authors(catalog):
    assert not read_question("What did Lee find about calibration?", catalog).filters
    assert not read_question("the forre of the matter", catalog).filters


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Which 2026 preprints are here?", 2026, 2026),
        ("calibration papers since 2021", 2021, None),
        ("calibration after 2020", 2021, None),
        ("calibration before 2022", None, 2021),
        ("papers between 2020 and 2022 on uncertainty", 2020, 2022),
        ("uncertainty 2020-2022", 2020, 2022),
        ("a paper from 2021 about calibration", 2021, 2021),
    ],
)
def test_years(text, low, high, catalog):
    question = read_question(text, catalog)
    assert (question.filters.year_from, question.filters.year_to) == (low, high)
    assert "20" not in question.query.replace("2 0", "")


def test_a_year_that_would_leave_no_paper_is_not_taken_as_a_filter(catalog):
    assert not read_question("results reported in 2012 on ImageNet", catalog).filters
    assert not read_question("a model with 2048 hidden units", catalog).filters


def test_listing_dates_and_sources(catalog):
    question, read_filters = read("Which papers listed on March 21 are about mixup?", catalog)
    assert read_filters == {("listed_on", "Mar 21")}
    assert question.query == "are about mixup?"
    _, read_filters = read("papers on both Mar 21 and Mar 12", catalog)
    assert read_filters == {("listed_on", "Mar 21"), ("listed_on", "Mar 12")}
    _, read_filters = read("Which poster-session papers study calibration?", catalog)
    assert read_filters == {("source", "poster_session")}
    _, read_filters = read("2026 papers from the publication list", catalog)
    assert read_filters == {("source", "publication_list"), ("year", "2026")}
    _, read_filters = read("anything on the trending listings about PDEs", catalog)
    assert read_filters == {("source", "trending_listing")}


@pytest.mark.parametrize(
    ("text", "wants_all", "topic_free"),
    [
        ("Which papers study calibration?", True, False),
        ("List all papers about NeRF", True, False),
        ("What has Juho Lee worked on?", True, True),
        ("Which 2026 preprints are in the collection?", True, True),
        ("What accuracy did the MLP paper reach on CIFAR10?", False, False),
        ("How does DUQ differ from SNGP?", False, False),
        ("Who wrote the second one?", False, False),
    ],
)
def test_what_kind_of_answer_is_wanted(text, wants_all, topic_free, catalog):
    question = read_question(text, catalog)
    assert (question.wants_all, question.topic_free) == (wants_all, topic_free)


def test_search_text_drops_the_framing_but_keeps_the_topic(catalog):
    question = read_question("Which papers by Juho Lee study quantization?", catalog)
    assert question.query == "study quantization?"
    assert read_question("DUQ", catalog).query == "DUQ"


def test_a_named_title_is_a_name_not_the_question_s_framing():
    titles = ["Backstepping Temporal Difference Learning", "A Survey of Calibration", "DUQ"]
    rows = [{"title": t, "title_key": normalise_title(t)} for t in titles]
    catalog = Catalog.from_rows(["td", "survey", "duq"], rows)
    one = read_question("What does Backstepping Temporal Difference Learning propose?", catalog)
    assert (one.intent, one.named) == (Intent.DETAIL, (0,))
    survey = read_question('What did "A Survey of Calibration" find?', catalog)
    assert (survey.intent, survey.named) == (Intent.DETAIL, (1,))
    both = read_question(
        "How does Backstepping Temporal Difference Learning differ from A Survey of Calibration?",
        catalog,
    )
    assert (both.intent, both.named) == (Intent.COMPARE, (0, 1))
