"""Which papers a search may consider: year range, authors, venue, source page, listing date.

One `Filters` value becomes one mask over the side index's rows, which both legs of
retrieval apply, so dense and sparse search always see the same papers. Each filter
remembers where it came from, so a user can see why a paper was or was not considered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from assistant.errors import FilterError
from assistant.store.catalog import Catalog
from ingest.records import normalise_name

SOURCE_KINDS = {
    "poster_session": ("poster", "poster session", "poster_session", "posters"),
    "trending_listing": ("trending", "listing", "trending listing", "trending_listing"),
    "publication_list": ("publication list", "publication_list", "publications", "profile"),
}
FILTER_KEYS = ("year", "author", "venue", "source", "listed_on")


@dataclass(frozen=True)
class Origin:
    """A filter and the words it was read from ('explicit' when passed in by the caller)."""

    field: str
    value: str
    text: str


@dataclass(frozen=True)
class Filters:
    """Different fields must all hold. Several values of one field mean any of them (the
    keys one author name resolves to, say), except listing dates: a paper must be on every
    listing named ("listed on both Mar 13 and Mar 12")."""

    year_from: int | None = None
    year_to: int | None = None
    authors: tuple[str, ...] = ()  # normalised names, see records.normalise_name
    venues: tuple[str, ...] = ()
    source_kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # file names
    listed_on: tuple[str, ...] = ()
    origins: tuple[Origin, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "origins")

    def mask(self, catalog: Catalog) -> np.ndarray:
        """Which catalog rows pass: the papers both legs of retrieval may return."""
        keep = np.ones(len(catalog.ids), dtype=bool)
        if self.year_from is not None:
            keep &= catalog.years >= self.year_from
        if self.year_to is not None:
            keep &= (catalog.years <= self.year_to) & (catalog.years > 0)
        if self.venues:
            keep &= catalog.mask_any("venue", self.venues)
        for key, values in self._array_fields():
            if values:
                keep &= catalog.mask_any(key, values)
        for date in self.listed_on:
            keep &= catalog.mask_any("listed_on", (date,))
        return keep

    def combined_with(self, other: Filters) -> Filters:
        """Fields set here win; the other's fill the gaps (explicit over read-from-question)."""
        merged = {
            f.name: getattr(self, f.name) or getattr(other, f.name)
            for f in fields(self)
            if f.name != "origins"
        }
        if self.year_from is not None or self.year_to is not None:
            merged |= {"year_from": self.year_from, "year_to": self.year_to}
        kept = {o.field for o in self.origins}
        origins = self.origins + tuple(o for o in other.origins if o.field not in kept)
        return Filters(**merged, origins=origins)

    def describe(self) -> dict[str, dict[str, str]]:
        """JSON-ready: each applied filter's value and the words it came from, by field
        ('explicit' when the caller set it); several of one field are joined."""
        described: dict[str, dict[str, str]] = {}
        for origin in self.origins:
            seen = described.setdefault(origin.field, {"value": "", "from": ""})
            for key, text in (("value", origin.value), ("from", origin.text)):
                if text not in seen[key].split("; "):
                    seen[key] = f"{seen[key]}; {text}" if seen[key] else text
        return described

    def _array_fields(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            ("author_keys", self.authors),
            ("source_kinds", self.source_kinds),
            ("sources", self.sources),
        ]


def match_author(name: str, catalog: Catalog) -> tuple[str, ...]:
    """Indexed author keys that `name` may mean: case and accents ignored, initials allowed
    ('J. Lee' is every J-something Lee)."""
    wanted = normalise_name(name).split()
    if not wanted:
        return ()
    candidates = catalog.authors_named(wanted[-1])
    return tuple(key for key in candidates if same_person(wanted, key.split()))


def same_person(wanted: list[str], known: list[str]) -> bool:
    """Normalised name words `wanted` can mean the indexed author `known`: the same last
    name, and given names matched from the first on, each in full or by its initial
    ('j lee' and 'juho lee' are 'juho h lee'; 'h lee' is not)."""
    if wanted[-1] != known[-1] or len(wanted) > len(known):
        return False
    return all(
        k == w or (len(w) == 1 and k.startswith(w))
        for w, k in zip(wanted[:-1], known[:-1], strict=False)
    )


def explicit_filters(given: dict[str, Any] | None, catalog: Catalog) -> Filters:
    """`filters=` from the API or CLI, checked against what the index holds."""
    if not given:
        return Filters()
    unknown = set(given) - set(FILTER_KEYS)
    if unknown:
        raise FilterError(
            f"unknown filter {sorted(unknown)[0]!r} - use one of {', '.join(FILTER_KEYS)}"
        )
    result = Filters()
    origins: list[Origin] = []
    for key, value in given.items():
        if value in (None, "", [], ()):
            continue
        result = replace(result, **_explicit_field(key, value, catalog))
        origins.append(Origin(key, _shown(key, value, result, catalog), "explicit"))
    return replace(result, origins=tuple(origins))


def _shown(key: str, value: Any, filters: Filters, catalog: Catalog) -> str:
    """How an explicit filter reads back to the user: '2021-2026', 'Juho Lee, J. Kim', a
    source file by its label ('Poster session')."""
    if key == "year":
        low, high = filters.year_from, filters.year_to
        return str(low) if low == high else f"{low or ''}-{high or ''}"
    values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
    return ", ".join(map(catalog.label, values) if key == "source" else values)


def _explicit_field(key: str, value: Any, catalog: Catalog) -> dict[str, Any]:
    values = [value] if isinstance(value, str | int) else list(value)
    if key == "year":
        if len(values) == 1:
            values = values * 2
        try:
            low, high = (None if v is None else int(v) for v in values)
        except (TypeError, ValueError):
            raise FilterError(
                f"year filter {value!r} is not a year or a [from, to] pair like [2021, 2026]"
            ) from None
        if low is not None and high is not None and low > high:
            raise FilterError(
                f"year filter {value!r} runs from {low} back to {high} - put the earlier year "
                f"first, like [{high}, {low}] (or {high}:{low} on the command line)"
            )
        return {"year_from": low, "year_to": high}
    if key == "author":
        keys = tuple(k for name in values for k in match_author(str(name), catalog))
        if not keys:
            raise FilterError(
                f"no indexed paper has an author matching {', '.join(map(str, values))!r} - "
                "check the spelling "
                "(authors are known for poster-session papers and files that list them)"
            )
        return {"authors": keys}
    if key == "venue":
        return {"venues": tuple(str(v) for v in values)}
    if key == "listed_on":
        return {"listed_on": tuple(str(v) for v in values)}
    return _source_field(values, catalog)


def _source_field(values: list, catalog: Catalog) -> dict[str, Any]:
    kinds: list[str] = []
    files: list[str] = []
    for value in map(str, values):
        kind = next((k for k, names in SOURCE_KINDS.items() if value.lower() in names), None)
        if kind:
            kinds.append(kind)
        elif value in catalog.values("sources"):
            files.append(value)
        else:
            raise FilterError(
                f"source {value!r} is neither a kind of page (poster, trending, publications) "
                "nor an ingested file - run 'assistant stats' to see the sources"
            )
    return {"source_kinds": tuple(kinds), "sources": tuple(files)}
