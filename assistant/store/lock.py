"""One writer at a time per data folder, and a record of who it is.

Chroma's embedded store and the side index take one writer: two ingests at once, or a
reader repairing what a live writer is doing, leave a broken index. The lock is an
OS file lock (`filelock`, flock on Unix), so the kernel frees it when its holder dies,
even by kill -9: a dead writer never keeps the index locked. Beside it, the ingest's pid
is written down while it runs: a waiting ingest can name it, and one that finds it left
behind knows the last ingest stopped midway and is resuming it.

It covers one machine's data folder; writers on other machines sharing a Chroma server
are not seen.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import IndexBusy

Waiting = Callable[[int | None], None]  # told the writer's pid (None: unknown) while it waits


class WriteLock:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.lock = FileLock(folder / f"{name}.lock")
        self.marker = folder / f"{name}.ingest.json"

    def writer(self) -> int | None:
        """The pid of the ingest now writing, or of the last one if it died midway."""
        try:
            return json.loads(self.marker.read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return None

    @contextmanager
    def ingesting(self, waiting: Waiting | None) -> Iterator[bool]:
        """Hold the lock for an ingest; yields True when the last ingest stopped midway.
        With `waiting`, wait for another writer (telling `waiting` its pid once); without,
        raise IndexBusy at once. The pid record is removed only when the ingest completes."""
        if not self._try():
            if waiting is None:
                raise IndexBusy(self.writer())
            waiting(self.writer())
            self.lock.acquire()
        try:
            interrupted = self.marker.exists()
            staging = self.marker.with_suffix(".tmp")
            staging.write_text(json.dumps({"pid": os.getpid()}))
            os.replace(staging, self.marker)
            yield interrupted
            self.marker.unlink()
        finally:
            self.lock.release()

    @contextmanager
    def repairing(self) -> Iterator[bool]:
        """Hold the lock if no one else does; yields whether it is held. For a reader that
        finds a dead writer's work to finish: with a live writer, it must touch nothing."""
        held = self._try()
        try:
            yield held
        finally:
            if held:
                self.lock.release()

    def _try(self) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self.lock.acquire(blocking=False)
        except Timeout:
            return False
        return True
