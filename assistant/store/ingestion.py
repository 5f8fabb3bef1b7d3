"""From paths to an up-to-date index, with a report of what changed and what was left out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.store.index import PaperIndex, Progress
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

    @property
    def ok(self) -> bool:
        """False when a whole file could not be read: the caller should exit non-zero."""
        return not self.failed_files

    def summary(self) -> str:
        return (
            f"Ingested {self.entries} entries: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped."
        )


def ingest_paths(
    index: PaperIndex, paths: list[Path] | None, progress: Progress | None = None
) -> IngestReport:
    """Parse everything first (pure, no writes), then upsert the good records in one go."""
    loaded = load_paths(paths or [BUNDLED_CORPUS], index.settings.max_file_bytes)
    changes = index.upsert(loaded.papers, progress)
    return IngestReport(
        added=changes.added,
        updated=changes.updated,
        unchanged=changes.unchanged,
        skipped=loaded.skipped,
        failed_files=[str(error) for error in loaded.failed],
        entries=loaded.entries,
    )
