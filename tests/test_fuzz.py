"""Property-based fuzzing of detection, every parser and ingestion (issue 14).

Documents are generated in each format's shape, with hostile values (markup, braces,
quotes, separators, surrogate escapes, 5,000-digit years), then cut, spliced and repeated.
For every one: nothing but the project's own IngestError escapes, each call finishes in
bounded time, and ingesting what was parsed leaves an index that counts, finds and
searches every paper. derandomize makes each run the same examples, so CI reproduces.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant import Assistant
from assistant.settings import Settings
from ingest.detect import detect_format
from ingest.errors import IngestError
from ingest.load import load_paths
from ingest.parse_atom import parse_atom
from ingest.parse_bibtex import parse_bibtex
from ingest.parse_csl import parse_csl
from ingest.parse_listing import parse_listing
from ingest.parse_poster_session import parse_poster_session
from ingest.parse_publication_list import parse_publication_list
from ingest.parse_ris import parse_ris
from ingest.parse_table import parse_csv, parse_jsonl
from ingest.parsed import Parsed

PARSERS = (
    parse_atom,
    parse_bibtex,
    parse_csl,
    parse_csv,
    parse_jsonl,
    parse_listing,
    parse_poster_session,
    parse_publication_list,
    parse_ris,
)
BOUND_S = 2.0  # per call; inputs stay under 300 KB, which linear code reads in milliseconds
LIMIT = 20_000_000
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True)

# Values that have broken something, or look like another format's syntax.
HOSTILE = (
    "[/red]", "[bold]", "{", "}", "{{x}}", "\\", "\\{", "\\emph{x}", "x^{2}", "@article{k,",
    '"', "'", ",", ";", "\t", "\n", "\r\n", " · ", "·", "<!--", "]]>", "<?x ", "&amp;", "&#0;",
    "&lt;", "{\"a\":", "Mar 21", "preprint2022arXiv", "2021", "2021-05-01", "1" * 5000, "-0",
    "\ud800", "\udcff", "\ufeff", "\x0b", "et al.", "others", "and", "é", "🦆", "", "TY  - JOUR",
    "ER  -",
)  # fmt: skip
# Pieces repeated into long runs: the shapes of the inputs that once hung the parsers.
RUNS = ("\n", "\n\n", " ", "{", "}", "[", '{"a":', "[{},", "<!--", ",'a", "@", "\\{", "^{", " · a",
        "TY  - A\n")  # fmt: skip
NUMBERS = ("1" * 5000, "-0", "1e999", "0.1", "2021", "[" * 3000 + "]" * 3000, "null", "true")
WORDS = "we show that the model learns data fast Calibration Networks".split()
FILLER = (
    "We find that this sentence makes the abstract long enough to read as prose on a page, "
    "where an abstract is told from a title by being long and made of sentences like these."
)
# What a UTF-8 text file holds: no surrogates, no NUL (a NUL makes it "binary", refused whole;
# mutations put one in now and then).
text_chars = st.characters(codec="utf-8", exclude_characters="\x00")
piece = st.sampled_from(HOSTILE) | st.text(text_chars, max_size=12)
# Mostly words, so that many records parse and reach the index; shrinks to plain words.
value = st.lists(st.sampled_from(WORDS) | piece, min_size=1, max_size=5).map(" ".join)
sentence = st.lists(value, min_size=3, max_size=8).map(lambda parts: " ".join(parts) + ".")
abstract = st.lists(sentence, min_size=1, max_size=4).map(" ".join) | value
long_abstract = abstract.map(lambda text: f"{text} {FILLER}")  # a page's abstract: 200+
# A handful of authors, or the thousands a big collaboration signs with (more than Chroma
# can hold in one record's metadata: issue 14, section 1).
big_collaboration = st.integers(2_500, 6_000).map(lambda n: [f"Author {i}" for i in range(n)])
authors = st.lists(value, max_size=6) | big_collaboration
mostly_false = st.sampled_from([False, False, False, True])
# For formats that write one line or object per author: a big collaboration now and then,
# which is enough to show it is read in bounded time, and keeps the run short.
rarely_many_authors = mostly_false.flatmap(
    lambda many: big_collaboration if many else st.lists(value, max_size=6)
)
year = st.one_of(st.integers(1900, 2030), st.none(), st.integers(-10, 3000), value)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _utf8(text: str) -> str:
    """What a file on disk can hold: surrogates (from the hostile values) replaced."""
    return text.encode("utf-8", "replace").decode("utf-8")


@st.composite
def jsonl(draw) -> str:
    paper = st.fixed_dictionaries(
        {"title": value, "abstract": abstract, "authors": authors | value, "year": year},
        optional={"doi": value, "arxiv_id": value, "venue": value, "Summary": abstract},
    )
    raw_number = st.builds(  # numbers json.dumps cannot write: 5,000 digits, deep lists
        lambda p, n: json.dumps(p)[:-1] + f', "year": {n}}}', paper, st.sampled_from(NUMBERS)
    )
    line = st.one_of(
        paper.map(json.dumps),  # ASCII: surrogates written as \ud800 escapes
        raw_number,
        st.dictionaries(value, value | st.lists(value)).map(json.dumps),
        value,
    )
    return "\n".join(draw(st.lists(line, min_size=1, max_size=6)))


@st.composite
def csv_table(draw) -> str:
    extra = st.lists(st.sampled_from(["authors", "year", "venue", "doi", "summary"]) | value)
    header = draw(st.permutations(["title", "abstract", *draw(extra.map(lambda x: x[:4]))]))
    cells = value | abstract | year.map(str)
    rows = st.lists(st.lists(cells, min_size=len(header) - 1, max_size=len(header)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from(",;\t")))
    writer.writerows([header, *draw(rows.map(lambda x: x[:5]))])
    return buffer.getvalue()


@st.composite
def bibtex(draw) -> str:
    quoted = st.tuples(value | abstract, st.sampled_from(["{}", '""', "{{}}", "{}", ""]))
    fields = st.fixed_dictionaries(
        {"title": quoted, "abstract": quoted},
        optional={name: quoted for name in ("author", "year", "journal", "doi", "eprint", "x")},
    )

    def entry(kind: str, key: str, given: dict) -> str:
        body = ",\n".join(
            f"  {n} = {q[: len(q) // 2]}{v}{q[len(q) // 2 :]}" for n, (v, q) in given.items()
        )
        return f"@{kind}{{{key},\n{body}\n}}"

    kinds = st.sampled_from(["article", "article", "inproceedings", "misc", "string", "comment"])
    keys = st.one_of(st.sampled_from(["key", "lee2021", "a:b/c"]), st.just("k"), value)
    entries = st.lists(st.builds(entry, kinds, keys, fields), min_size=1, max_size=4)
    return "\n\n".join(draw(entries))


@st.composite
def csl_json(draw) -> str:
    parts = ("family", "given", "literal", "non-dropping-particle")
    name = st.fixed_dictionaries({}, optional=dict.fromkeys(parts, value))
    names = st.lists(name | value, max_size=4) | rarely_many_authors.map(
        lambda people: [{"family": person} for person in people]
    )
    date = st.one_of(
        st.fixed_dictionaries({"date-parts": st.lists(st.lists(year, max_size=3), max_size=2)}),
        st.fixed_dictionaries({"raw": value}),
        value,
    )
    item = st.fixed_dictionaries(
        {
            "id": value,
            "type": st.sampled_from(["article-journal", "paper-conference", "article"]),
            "title": value,
            "abstract": abstract,
        },
        optional={
            "author": names,
            "issued": date,
            **dict.fromkeys(("container-title", "DOI", "URL", "number", "note"), value),
        },
    )
    items = st.lists(item | value | st.dictionaries(value, value), max_size=4)
    raw_number = st.sampled_from(NUMBERS).map(  # numbers json.dumps cannot write
        lambda n: f'[{{"title": "t", "abstract": "a", "issued": {{"date-parts": [[{n}]]}}}}]'
    )
    indent = st.sampled_from([None, 1, "\t"])
    return draw(st.builds(lambda i, n: json.dumps(i, indent=n), items, indent) | raw_number)


@st.composite
def ris(draw) -> str:
    tags = "TI T1 AB N2 AU A1 PY Y1 DA T2 JO DO UR N1 XX".split()
    fields = st.lists(st.tuples(st.sampled_from(tags), value | abstract | year.map(str)))
    people = rarely_many_authors.map(lambda names: [("AU", name) for name in names])

    title = st.tuples(st.sampled_from(["TI", "T1"]), value)
    summary = st.tuples(st.sampled_from(["AB", "N2"]), abstract)
    fields = st.builds(lambda t, a, more: [t, a, *more[:6]], title, summary, fields)

    def record(kind: str, given: list, authored: list, closed: bool) -> str:
        body = "".join(f"{tag}  - {text}\n" for tag, text in given + authored)
        return f"TY  - {kind}\n{body}" + ("ER  - \n" if closed else "")

    kinds = st.sampled_from(["JOUR", "CONF", "GEN", ""])
    records = st.lists(st.builds(record, kinds, fields, people, mostly_false.map(lambda x: not x)))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return "\n".join(draw(records.filter(bool).map(lambda x: x[:4]))).replace("\n", newline)


@st.composite
def atom(draw) -> str:
    def entry(title, summary, names, published, raw) -> str:
        def text(v: object) -> str:  # raw: markup as written, which may break the XML
            return str(v) if raw else escape(_NOT_XML.sub("", str(v)))

        people = "".join(f"<author><name>{text(n)}</name></author>" for n in names)
        return (
            f"<entry><id>http://arxiv.org/abs/{text(published)}</id>"
            f"<title>{text(title)}</title><summary>{text(summary)}</summary>{people}"
            f"<published>{text(published)}</published></entry>"
        )

    papers = st.builds(entry, value, abstract, authors, year, mostly_false)
    head = draw(st.sampled_from(['<?xml version="1.0" encoding="UTF-8"?>\n', "", "<?x <!-- ?>"]))
    body = "".join(draw(st.lists(papers, min_size=1, max_size=4)))
    return f'{head}<feed xmlns="http://www.w3.org/2005/Atom">{body}</feed>'


@st.composite
def page(draw) -> str:
    """A poster session, a trending listing or a publication list, or their lines shuffled."""
    papers = draw(st.lists(st.tuples(value, authors, long_abstract), min_size=1, max_size=4))
    header = draw(value)
    shape = draw(st.sampled_from(["poster", "listing", "publications", "lines"]))
    if shape == "poster":
        triples = (f"{t}\n{' · '.join([*a, 'Ann Lee'])}\n{b}" for t, a, b in papers)
        return header + "\n\n" + "\n".join(triples)
    if shape == "listing":
        date = draw(st.sampled_from(["Mar 21", "Dec 1, 2025", "May 3"]))
        return f"{header}\n\n{date}\n\n" + "".join(f"{t}\n\n{b}\n\n" for t, _, b in papers)
    if shape == "publications":
        kind = draw(st.sampled_from(["preprint2022arXiv", "article2019NeurIPS", "misc2020"]))
        return "".join(f"{kind}\n\n{t}\n\n{b}\n\n" for t, _, b in papers)
    line = value | long_abstract | st.sampled_from(["Mar 21", "preprint2022arXiv"])
    separators = st.sampled_from(["\n", "\n\n", "\n \n", "\n\n\n"])
    lines = draw(st.lists(st.tuples(line, separators), max_size=12))
    return "".join(text + sep for text, sep in lines)


@st.composite
def mutated(draw, document: st.SearchStrategy[str], repeats: int) -> str:
    """A document cut, spliced with noise, or with a run of one piece up to `repeats` long."""
    text = draw(document)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        choice = draw(st.sampled_from(["cut", "insert", "run"]))
        if choice == "cut":
            text = text[:at]
        elif choice == "insert":
            text = text[:at] + draw(piece | st.just("\x00")) + text[at:]
        else:
            run = draw(st.sampled_from(RUNS) | piece) * draw(st.integers(2, repeats))
            text = text[:at] + run + text[at:]
    return text


documents = st.one_of(jsonl(), csv_table(), bibtex(), atom(), page(), csl_json(), ris())


@st.composite
def with_long_run(draw, document: st.SearchStrategy[str]) -> str:
    """A document with one run of 20,000 to 50,000 pieces put in somewhere."""
    text = draw(document)
    at = draw(st.integers(0, len(text)))
    run = draw(st.sampled_from(RUNS)) * draw(st.integers(20_000, 50_000))
    return text[:at] + run + text[at:]


def timed(call, *args):
    start = time.perf_counter()
    try:
        result = call(*args)
    except IngestError:
        result = None
    elapsed = time.perf_counter() - start
    assert elapsed < BOUND_S, f"{getattr(call, '__name__', call)} took {elapsed:.1f} s"
    return result


def check_parsed(parsed: Parsed) -> None:
    for record in parsed.records:
        assert record.title.strip() and record.abstract.strip() and record.id
        record.to_json().encode("utf-8")  # storable: no lone surrogates
    for skipped in parsed.skipped:
        assert skipped.reason and skipped.file == "f"


def parse_everyway(text: str) -> None:
    """Detection and every parser (not only the detected one) on the text."""
    text = _utf8(text)
    detected = timed(detect_format, text)
    for parser in PARSERS:
        parsed = timed(parser, text, "f")
        if parsed is not None:
            check_parsed(parsed)
    if detected is not None:
        name, parser = detected
        assert parser in PARSERS, name


@settings(FUZZ, max_examples=200)
@given(mutated(documents, repeats=300))
def test_every_parser_raises_only_ingest_errors(text):
    parse_everyway(text)


@settings(FUZZ, max_examples=40)
@given(with_long_run(documents))
def test_long_runs_of_one_piece_are_read_in_bounded_time(text):
    """Under 300 KB, where quadratic code takes seconds to minutes."""
    parse_everyway(text)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    return Assistant(Settings(data_dir=data_dir), embeddings=DeterministicFakeEmbedding(size=32))


@settings(FUZZ, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents | mutated(documents, repeats=50), min_size=1, max_size=3))
def test_ingesting_whatever_parses_never_breaks_the_index(assistant, texts):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for n, text in enumerate(texts):
            path = Path(folder) / f"file{n}.txt"
            path.write_bytes(_utf8(text).encode("utf-8"))
            paths.append(path)
        papers = load_paths(paths, LIMIT).papers
        report = assistant.ingest(paths)
    assert report.added + report.updated + report.unchanged == len(papers)
    stored = assistant.index.papers()
    known = {p.id for p in stored} | {p.title_key for p in stored}  # a paper seen before
    assert all(p.id in known or p.title_key in known for p in papers)  # merges by title
    count = assistant.index.count()
    assert len(stored) == count == len(assistant.retriever.catalog.ids)
    if count:
        assert assistant.stats()["papers"] == count
        query = papers[0].title if papers else "paper"
        assert len(assistant.search(query, k=3)) <= 3
