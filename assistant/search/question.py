"""Reading a question without an LLM: the filters it implies and what kind of answer it wants.

"papers by Juho Lee", "2026 preprints", "from the poster session", "listed on Mar 21",
"since 2021" become filters; "which papers ..." asks for every qualifying paper; what is
left is the text searched for and the facets it asks about (facets.py); and a question
with nothing left to search for once its filters are read ("what has Juho Lee worked
on?") lists everything that passes them.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, replace

from assistant.search.facets import Facet, read_facets
from assistant.search.filters import SOURCE_KINDS, Filters, Origin, same_person
from assistant.search.intent import Intent, comparison_words, list_phrase, read_intent
from assistant.store.catalog import Catalog
from assistant.text import content_words, tokens
from ingest.records import normalise_name, normalise_title

YEAR = r"((?:19|20)\d\d)"
MONTHS = {m.lower(): m for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun")}
MONTHS |= {m.lower(): m for m in ("Jul", "Aug", "Sep", "Oct", "Nov", "Dec")}
_YEAR_PHRASES = (
    (re.compile(rf"\b(?:between|from)\s+{YEAR}\s+(?:and|to|-)\s+{YEAR}\b", re.I), "range"),
    (re.compile(rf"\b{YEAR}\s*[-\u2013]\s*{YEAR}\b"), "range"),
    (re.compile(rf"\bsince\s+{YEAR}\b", re.I), "since"),
    (re.compile(rf"\bafter\s+{YEAR}\b", re.I), "after"),
    (re.compile(rf"\bbefore\s+{YEAR}\b", re.I), "before"),
    (re.compile(rf"\b(?:until|up to)\s+{YEAR}\b", re.I), "until"),
    (re.compile(rf"\b(?:in|of|from|during)\s+{YEAR}\b", re.I), "in"),
    (re.compile(rf"\b{YEAR}(?=\s+(?:papers|preprints|publications|articles|works)\b)"), "in"),
)
_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b", re.I
)
_SOURCE_PHRASES = {
    "poster_session": r"\bposter[- ]?sessions?\b|\bposters?\b",
    "trending_listing": r"\btrending(?:[- ]papers?)?(?:[- ]listings?)?\b|\blistings?\b",
    "publication_list": r"\bpublication[- ]lists?\b|\bresearcher'?s?\s+(?:page|profile|list)\b",
}


@dataclass(frozen=True)
class Question:
    text: str
    query: str  # the text to search with: filter phrases taken out
    filters: Filters
    intent: Intent
    topic_free: bool  # nothing to search for beyond the filters
    named: tuple[int, ...] = ()  # catalog rows of the papers it names by their full title
    facets: tuple[Facet, ...] = ()  # what it asks about (facets.py)

    @property
    def facets_together(self) -> bool:
        """One paper must cover every facet: not for a comparison, whose sides are
        different papers."""
        return self.intent is not Intent.COMPARE

    @property
    def wants_all(self) -> bool:
        """Every qualifying paper, not a top few."""
        return self.intent.wants_all or self.topic_free


def read_question(text: str, catalog: Catalog) -> Question:
    """A standalone question (follow-ups are rewritten first): its filters, what is left to
    search for, and its intent, read around the titles it names: a title is a name, so
    "Backstepping Temporal Difference Learning" or "A Survey of ..." asks no comparison
    and no overview."""
    named, rest = read_titles(text, catalog)
    intent = read_intent(rest)
    filters = Filters()
    for read in (_read_authors, _read_dates, _read_sources, _read_years):
        filters, rest = read(filters, rest, catalog)
    topic_free = bool(filters) and not named and not content_words(rest)
    framing = list_phrase(rest)
    if framing:  # "which papers" says nothing about the topic; it only blurs the vector
        rest = _cut(rest, framing)
    if named and not content_words(rest):  # nothing asked beyond the titles: search them
        rest = text
    query = " ".join(rest.split()) or text
    facets = () if topic_free else read_facets(_framing_cut(query))
    return Question(text, query, filters, intent, topic_free, named, facets)


def read_titles(text: str, catalog: Catalog) -> tuple[tuple[int, ...], str]:
    """Indexed papers the text names by their whole title (of two words or more), in order,
    and the text without those titles: a follow-up rewritten as "<titles> - which of those
    is about safety?" searches its own words among exactly those papers."""
    found = tokens(text)
    keys = [normalise_title(token.group()) for token in found]
    named: list[int] = []
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(found):
        longest = min(catalog.longest_title, len(found) - start)
        for length in range(longest, 1, -1):
            row = catalog.row_titled.get(" ".join(keys[start : start + length]))
            if row is not None:
                named.append(row)
                spans.append((found[start].start(), found[start + length - 1].end()))
                start += length
                break
        else:
            start += 1
    for begin, end in reversed(spans):
        text = text[:begin] + " " + text[end:]
    return tuple(dict.fromkeys(named)), text


def _add(filters: Filters, origin: Origin, catalog: Catalog, **values) -> Filters:
    """The filter added, unless it would leave no paper at all: then the words were
    probably not meant as a filter ('ICLR 2023' when no paper has a year)."""
    added = replace(filters, **values, origins=(*filters.origins, origin))
    return added if added.mask(catalog).any() else filters


def _read_years(filters: Filters, text: str, catalog: Catalog) -> tuple[Filters, str]:
    for pattern, kind in _YEAR_PHRASES:
        match = pattern.search(text)
        if not match:
            continue
        years = [int(y) for y in match.groups() if y]
        low, high = {
            "range": (min(years), max(years)),
            "since": (years[0], None),
            "after": (years[0] + 1, None),
            "before": (None, years[0] - 1),
            "until": (None, years[0]),
            "in": (years[0], years[0]),
        }[kind]
        value = str(low) if low == high else f"{low or ''}-{high or ''}"
        origin = Origin("year", value, match.group(0).strip())
        filters = _add(filters, origin, catalog, year_from=low, year_to=high)
        return filters, _cut(text, match)
    return filters, text


def _read_dates(filters: Filters, text: str, catalog: Catalog) -> tuple[Filters, str]:
    known = set(catalog.values("listed_on"))
    for match in _DATE.finditer(text):
        date = f"{MONTHS[match.group(1).lower()]} {int(match.group(2))}"
        if date in known:
            origin = Origin("listed_on", date, match.group(0))
            filters = _add(filters, origin, catalog, listed_on=(*filters.listed_on, date))
            text = text.replace(match.group(0), " ")
    text = re.sub(r"\blisted\s+on\b", " ", text, flags=re.I)
    return filters, text


def _read_sources(filters: Filters, text: str, catalog: Catalog) -> tuple[Filters, str]:
    known = set(catalog.values("source_kinds"))
    for kind, pattern in _SOURCE_PHRASES.items():
        match = re.search(pattern, text, re.I)
        if match and kind in known and kind in SOURCE_KINDS:
            origin = Origin("source", kind, match.group(0))
            filters = _add(filters, origin, catalog, source_kinds=(*filters.source_kinds, kind))
            text = _cut(text, match)
    return filters, text


def _read_authors(filters: Filters, text: str, catalog: Catalog) -> tuple[Filters, str]:
    """Names from the index, found as runs of 1-4 capitalised words (or initials) whose
    last word is an indexed last name; 'J. Lee', 'juho lee' and 'Forré' all count."""
    tokens = list(re.finditer(r"[^\W\d_][\w'\u2019-]*\.?", text))
    found: list[tuple[re.Match, re.Match, tuple[str, ...]]] = []
    for end, last in enumerate(tokens):
        candidates = catalog.authors_named(normalise_name(last.group(0)))
        if not candidates:
            continue
        match = _best_author_match(tokens, end, candidates)
        if match:
            words, keys = match
            found.append((tokens[end - len(words) + 1], last, keys))
    found += _misspelt_authors(tokens, {id(t) for f, last, _ in found for t in (f, last)}, catalog)
    found.sort(key=lambda item: item[0].start())
    for first, last, keys in found:
        name = text[first.start() : last.end()]
        origin = Origin("author", name, name)
        filters = _add(filters, origin, catalog, authors=(*filters.authors, *keys))
    for first, last, _ in reversed(found):
        before = re.sub(r"\b(by|from|of|with)\s*$", "", text[: first.start()], flags=re.I)
        text = before + " " + text[last.end() :]
    return filters, text


def _best_author_match(
    tokens: list[re.Match], end: int, candidates: list[str]
) -> tuple[list[str], tuple[str, ...]] | None:
    """The longest run of words ending at `end` that names indexed authors, as
    (the normalised words matched, the author keys they mean)."""
    for length in range(min(4, end + 1), 0, -1):
        words = [normalise_name(t.group(0)) for t in tokens[end - length + 1 : end + 1]]
        if any(not w for w in words):
            continue
        keys = tuple(k for k in candidates if same_person(words, k.split()))
        if not keys:
            continue
        if length == 1 and not _lone_last_name_ok(tokens[end].group(0), keys):
            return None
        return words, keys
    return None


def _misspelt_authors(
    tokens: list[re.Match], used: set[int], catalog: Catalog
) -> list[tuple[re.Match, re.Match, tuple[str, ...]]]:
    """'Yisen Wnag': a capitalised first name that is indexed, followed by a capitalised
    word one or two letters away from exactly one of that first name's last names."""
    found = []
    for first, last in itertools.pairwise(tokens):
        if id(first) in used or id(last) in used or not first.group(0)[:1].isupper():
            continue
        if not last.group(0)[:1].isupper():
            continue
        keys = catalog.authors_first_named(normalise_name(first.group(0)))
        by_last = {k.rsplit(" ", 1)[-1]: k for k in keys}
        close = difflib.get_close_matches(normalise_name(last.group(0)), by_last, n=2, cutoff=0.75)
        if len(close) == 1:
            found.append((first, last, (by_last[close[0]],)))
    return found


def _lone_last_name_ok(word: str, keys: tuple[str, ...]) -> bool:
    """A bare last name counts only when it is capitalised, not a common word, and names
    one indexed author: 'Risteski' yes, 'Long' or 'Wang' no."""
    return len(keys) == 1 and word[:1].isupper() and len(word) >= 4 and bool(content_words(word))


def _framing_cut(query: str) -> str:
    """The query without its comparison words, which frame the question and name no topic:
    "how does temperature scaling compare with mixup" asks about two things, not three."""
    for match in reversed(comparison_words(query)):
        query = _cut(query, match)
    return query


def _cut(text: str, match: re.Match) -> str:
    return text[: match.start()] + " " + text[match.end() :]
