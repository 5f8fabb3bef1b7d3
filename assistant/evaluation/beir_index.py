"""A BEIR corpus's own index, in a folder of its own, built once per corpus content.

It lives in `<data dir>/beir/<folder name>-<hash of corpus.jsonl>`, never in the user's
index, and is reused as long as corpus.jsonl is byte for byte the same (a new corpus gets
a new folder). An interrupted build resumes through the ingest journal on the next run.

Papers are identified by DOI, arXiv id or normalised title (`ingest/records.py`), and the
store takes one paper per title, but BEIR titles are often empty or repeated. So each
document keeps its title where that is unique and non-empty, and is otherwise titled after
its `_id` ('Document 123', 'Aspirin (document 123)'); the map from `_id` to paper id is
kept beside the index, and results are scored by `_id`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.api import Assistant
from assistant.evaluation.beir_format import BeirSet, Document
from assistant.settings import Settings
from assistant.store.index import Progress
from assistant.store.lock import Waiting
from ingest.records import PaperRecord, Source, normalise_title
from ingest.text import clean_text

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

# Part of the folder's hash: bump it when documents are turned into papers differently, so
# an index built the old way is not reused.
PAPERS_FORMAT = "1"
ID_MAP = "beir-ids.json"  # written last: its presence says the index is complete
HASH_CHARS = 12


@dataclass(frozen=True)
class BeirIndex:
    assistant: Assistant  # searches this index only
    folder: Path
    paper_ids: dict[str, str]  # BEIR _id -> paper id
    reused: bool
    seconds: float  # spent building it (or finding it built)

    @cached_property
    def beir_ids(self) -> dict[str, str]:
        return {paper: doc for doc, paper in self.paper_ids.items()}


def index_folder(data_dir: Path, beir: BeirSet) -> Path:
    """Where this corpus's index lives: named after the BEIR folder and corpus.jsonl's hash."""
    digest = hashlib.sha256(PAPERS_FORMAT.encode())
    with (beir.folder / "corpus.jsonl").open("rb") as corpus:
        for chunk in iter(lambda: corpus.read(1 << 20), b""):
            digest.update(chunk)
    name = re.sub(r"[^\w.-]+", "_", beir.name).strip("._") or "beir"
    return data_dir / "beir" / f"{name}-{digest.hexdigest()[:HASH_CHARS]}"


def open_index(
    beir: BeirSet,
    settings: Settings,
    *,
    embeddings: Embeddings | None = None,
    progress: Progress | None = None,
    waiting: Waiting | None = None,
) -> BeirIndex:
    """The corpus's index, built first when needed (`progress` is told as documents are
    embedded). Embedded Chroma in its own folder, even when the settings name a server."""
    start = time.perf_counter()
    folder = index_folder(settings.data_dir, beir)
    own = settings.model_copy(update={"data_dir": folder, "chroma_host": None})
    assistant = Assistant(own, embeddings=embeddings)
    id_map = folder / ID_MAP
    reused = id_map.is_file()
    if reused:
        paper_ids = json.loads(id_map.read_text(encoding="utf-8"))
    else:
        records, paper_ids = papers(beir.documents, beir.name)
        assistant.index.upsert(records, progress, waiting)
        written = id_map.with_suffix(".tmp")
        written.write_text(json.dumps(paper_ids, ensure_ascii=False), encoding="utf-8")
        written.replace(id_map)
    return BeirIndex(assistant, folder, paper_ids, reused, time.perf_counter() - start)


def papers(documents: Sequence[Document], name: str) -> tuple[list[PaperRecord], dict[str, str]]:
    """A paper per document, each with a title of its own, and the map _id -> paper id."""
    titles = unique_titles(documents)
    source = Source(file="corpus.jsonl", kind="beir", label=f"BEIR {name}")
    records = [
        PaperRecord(title=title, abstract=clean_text(doc.text) or title, sources=(source,))
        for doc, title in zip(documents, titles, strict=True)
    ]
    return records, {doc.id: record.id for doc, record in zip(documents, records, strict=True)}


def unique_titles(documents: Sequence[Document]) -> list[str]:
    """Each document's title, or, when it is empty or another document has it too (as the
    index compares titles: case and punctuation ignored), one made from its _id."""
    given = [clean_text(doc.title) for doc in documents]
    counts = Counter(normalise_title(title) for title in given)
    taken: set[str] = set()
    titles = []
    for doc, title in zip(documents, given, strict=True):
        key = normalise_title(title)
        if not key or counts[key] > 1:
            base = f"{title} (document {doc.id})" if key else f"Document {doc.id}"
            title, n = base, 1
            # an _id can match another's once punctuation is ignored ('a-1', 'a_1'), or
            # make a title some other document has
            while normalise_title(title) in taken or counts[normalise_title(title)]:
                n += 1
                title = f"{base} #{n}"
        taken.add(normalise_title(title))
        titles.append(title)
    return titles
