"""What a paper's Chroma metadata holds, kept within what one Chroma record can take.

Chroma 1.5 writes a record's list values in one SQLite statement of 6 variables a value,
under SQLite's 32,766: a record with more than 5,461 list values (a 3,000-author
collaboration has 6,000: names and keys) fails compaction, and so does every later read
or write of the collection, rollback included. So each list keeps its first LIST_CAP
values for Chroma's `where` filters, and the record beside them (a string, which Chroma
takes at any size) keeps them all; the catalog reads a cut record's full lists from it.
"""

from __future__ import annotations

from typing import Any

from ingest.records import PaperRecord, normalise_name

CHROMA_MAX_LIST_VALUES = 5461  # measured: 5,461 list values in one record work, 5,462 fail
LIST_FIELDS = ("authors", "author_keys", "sources", "source_kinds", "listed_on")
LIST_CAP = 1000  # per list field: all five at their cap stay under Chroma's limit
CUT = "lists_cut"  # set in the metadata of a record whose lists were cut to LIST_CAP
WRITTEN_NS = "written_ns"  # when a record was last written (time.time_ns of the writer)


def list_fields(record: PaperRecord) -> dict[str, list[str]]:
    """Every list value the filters use, whole."""
    return {
        "authors": list(record.authors),
        "author_keys": [normalise_name(a) for a in record.authors],
        "sources": list(dict.fromkeys(s.file for s in record.sources)),
        "source_kinds": list(dict.fromkeys(s.kind for s in record.sources)),
        "listed_on": list(record.listed_on),
    }


def to_metadata(record: PaperRecord) -> dict[str, Any]:
    """Flat metadata for Chroma `where` filters, plus the whole record to rebuild it from."""
    lists = list_fields(record)
    cut = any(len(values) > LIST_CAP for values in lists.values())
    meta: dict[str, Any] = {
        "record": record.to_json(),
        "text_hash": record.text_hash,
        "record_hash": record.record_hash,
        "title": record.title,
        "title_key": record.title_key,
        "year": record.year,
        "venue": record.venue,
        "doi": record.doi,
        "arxiv_id": record.arxiv_id,
        **{field: values[:LIST_CAP] for field, values in lists.items()},
        CUT: cut or None,
    }
    return {key: value for key, value in meta.items() if value not in (None, [])}


def whole_lists(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata with every list whole again: read from the record where they were cut."""
    if not metadata.get(CUT):
        return metadata
    return metadata | list_fields(PaperRecord.from_json(metadata["record"]))
