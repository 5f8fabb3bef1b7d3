"""From paths to an up-to-date index, with a report of what changed and what was left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.store.index import PaperIndex, Progress
from assistant.store.lock import Waiting
from ingest.load import BUNDLED_CORPUS, load_paths
from ingest.parsed import Skipped


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)
    entries: int = 0
    resumed: bool = False  # the last ingest stopped midway, and this one finished its work

    @property
    def ok(self) -> bool:
        """False when a whole file could not be read: the caller should exit non-zero."""
        return not self.failed_files

    def summary(self) -> str:
        papers = self.added + self.updated + self.unchanged
        resumed = (
            f"Resumed the last ingest, which stopped midway: {self.unchanged:,} of "
            f"{papers:,} papers were already indexed. "
            if self.resumed
            else ""
        )
        return resumed + (
            f"Ingested {self.entries} entries: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped."
        )


def ingest_paths(
    index: PaperIndex,
    paths: list[Path] | None,
    progress: Progress | None = None,
    waiting: Waiting | None = None,
) -> IngestReport:
    """Parse everything first (pure, no writes), then upsert the good records, in
    batches each committed whole (`waiting`: see PaperIndex.upsert)."""
    loaded = load_paths(paths or [BUNDLED_CORPUS], index.settings.max_file_bytes)
    changes = index.upsert(loaded.papers, progress, waiting)
    return IngestReport(
        added=changes.added,
        updated=changes.updated,
        unchanged=changes.unchanged,
        skipped=loaded.skipped,
        failed_files=[str(error) for error in loaded.failed],
        entries=loaded.entries,
        resumed=changes.resumed,
    )
