"""What a parser hands back: the records it read and the ones it had to skip, with why."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import PaperRecord


@dataclass(frozen=True)
class Skipped:
    """A record left out, located precisely enough for a person to find and fix it."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass
class Parsed:
    records: list[PaperRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
