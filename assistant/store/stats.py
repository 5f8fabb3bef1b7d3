"""Counts over the indexed papers: what the collection holds, by source, year and venue."""

from __future__ import annotations

from collections import Counter

from ingest.records import PaperRecord


def collection_stats(papers: list[PaperRecord]) -> dict:
    """The `assistant stats --json` shape: papers, entries, by_source, by_year, by_venue."""
    by_source = Counter(s.file for p in papers for s in p.sources)
    by_year = Counter(str(p.year) if p.year else "unknown" for p in papers)
    by_venue = Counter(p.venue or "unknown" for p in papers)
    return {
        "papers": len(papers),
        "entries": sum(len(p.sources) for p in papers),
        "by_source": dict(sorted(by_source.items())),
        "by_year": dict(sorted(by_year.items())),
        "by_venue": dict(sorted(by_venue.items())),
        "by_kind": dict(sorted(Counter(s.kind for p in papers for s in p.sources).items())),
    }
