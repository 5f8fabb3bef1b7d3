"""What each indexed paper can be filtered on, held in memory as arrays.

The BM25 side masks its rows with it, and question reading looks author names up
in it, without asking Chroma for every paper's metadata on each question.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from assistant.store.metadata import WRITTEN_NS, whole_lists
from ingest.records import PaperRecord, normalise_title

SET_FIELDS = ("author_keys", "source_kinds", "sources", "listed_on", "venue")


def catalog_row(metadata: dict) -> dict:
    """The filterable part of a paper's Chroma metadata (every list whole), its title and
    title key, what the side index follows changes by (its record hash and when it was
    written), and the labels of its sources (read from the record: Chroma's metadata has
    no room for another list)."""
    metadata = whole_lists(metadata)
    row = {field: metadata.get(field) for field in SET_FIELDS if metadata.get(field)}
    row["title"], row["title_key"] = metadata["title"], metadata["title_key"]
    row["record_hash"] = metadata["record_hash"]
    for field in ("year", WRITTEN_NS):
        if metadata.get(field):
            row[field] = metadata[field]
    sources = PaperRecord.from_json(metadata["record"]).sources
    labels = {s.file: s.label for s in sources if s.label}
    if labels:
        row["labels"] = labels
    return row


@dataclass
class Catalog:
    ids: list[str]
    titles: list[str]
    title_keys: list[str]  # normalised titles (records.normalise_title)
    years: np.ndarray  # 0 where the year is unknown
    rows_with: dict[str, dict[str, np.ndarray]]  # field -> value -> row numbers
    labels: dict[str, str]  # source file -> its label, for the files that have one

    @classmethod
    def from_rows(cls, ids: list[str], rows: list[dict]) -> Catalog:
        years = np.array([row.get("year", 0) for row in rows], dtype=np.int32)
        rows_with: dict[str, dict[str, list[int]]] = {f: defaultdict(list) for f in SET_FIELDS}
        for number, row in enumerate(rows):
            for field in SET_FIELDS:
                values = row.get(field, [])
                for value in [values] if isinstance(values, str) else values:
                    rows_with[field][value].append(number)
        arrays = {
            field: {value: np.array(numbers) for value, numbers in by_value.items()}
            for field, by_value in rows_with.items()
        }
        labels = {file: label for row in rows for file, label in row.get("labels", {}).items()}
        titles = [row.get("title", "") for row in rows]
        # catalog_row stores the key: normalising 100k titles again on every load took 4 s.
        keys = [
            row["title_key"] if "title_key" in row else normalise_title(t)
            for row, t in zip(rows, titles, strict=True)
        ]
        return cls(ids, titles, keys, years, arrays, labels)

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {paper_id: row for row, paper_id in enumerate(self.ids)}

    @cached_property
    def row_titled(self) -> dict[str, int]:
        """Rows by normalised title (case, accents and punctuation aside)."""
        return {key: row for row, key in enumerate(self.title_keys)}

    @cached_property
    def longest_title(self) -> int:
        """Words in the longest title: how far a search for a named title must look."""
        return max((len(key.split()) for key in self.row_titled), default=0)

    @cached_property
    def _by_last_name(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for key in self.rows_with["author_keys"]:
            found[key.rsplit(" ", 1)[-1]].append(key)
        return found

    @cached_property
    def _by_first_name(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for key in self.rows_with["author_keys"]:
            found[key.split(" ", 1)[0]].append(key)
        return found

    @cached_property
    def last_names(self) -> list[str]:
        """Every indexed author's (normalised) last name, the most prolific first."""
        return sorted(self._by_last_name, key=lambda name: -len(self._by_last_name[name]))

    def authors_named(self, last_name: str) -> list[str]:
        """Every indexed author key with this (normalised) last name."""
        return self._by_last_name.get(last_name, [])

    def authors_first_named(self, first_name: str) -> list[str]:
        return self._by_first_name.get(first_name, [])

    def values(self, field: str) -> list[str]:
        return list(self.rows_with[field])

    def label(self, source: str) -> str:
        """A source file as a page shows it: its label, else its name."""
        return self.labels.get(source, source)

    def mask_any(self, field: str, values: tuple[str, ...]) -> np.ndarray:
        """Rows that have at least one of `values` in `field`."""
        mask = np.zeros(len(self.ids), dtype=bool)
        for value in values:
            mask[self.rows_with[field].get(value, [])] = True
        return mask
