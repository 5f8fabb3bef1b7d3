"""Reading files and folders into records: the only part of ingestion that touches the disk."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path

from ingest.detect import FORMATS, detect_format
from ingest.errors import IngestError, UnknownFormat, UnreadableFile
from ingest.parsed import Parsed, Skipped
from ingest.records import PaperRecord, merge_duplicates
from ingest.text import well_formed

BUNDLED_CORPUS = Path(str(files("ingest") / "corpus"))  # inside the package, wheel or not


@dataclass
class Loaded:
    """Merged papers, how many entries they came from, and everything that was left out."""

    papers: list[PaperRecord] = field(default_factory=list)
    entries: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)


def load_paths(paths: list[Path], max_bytes: int) -> Loaded:
    """Parse every file; a bad file is reported in `failed` and the others still load."""
    loaded = Loaded()
    records: list[PaperRecord] = []
    for file in expand(paths):
        try:
            parsed = parse_file(file, max_bytes)
        except IngestError as error:
            loaded.failed.append(error)
            continue
        records += parsed.records
        loaded.skipped += parsed.skipped
    loaded.entries = len(records)
    loaded.papers = merge_duplicates(records)
    return loaded


def expand(paths: list[Path]) -> list[Path]:
    """Folders become their files (recursively, sorted, hidden ones left out)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise UnreadableFile(f"{path}: no such file or folder - check the path")
    return files


def parse_file(file: Path, max_bytes: int) -> Parsed:
    text = read_text(file, max_bytes)
    detected = detect_format(text)
    if detected is None:
        raise UnknownFormat(f"{file}: format not recognised - expected {FORMATS}")
    _, parser = detected
    parsed = parser(text, well_formed(file.name))  # a name that is not UTF-8 is stored too
    return labelled(parsed) if file.resolve().parent == BUNDLED_CORPUS.resolve() else parsed


def labelled(parsed: Parsed) -> Parsed:
    """A bundled page's sources labelled with its kind and listing dates ('Trending listing,
    Mar 21'): its file name is a hash, which tells a person nothing."""
    sources = [s for record in parsed.records for s in record.sources]
    if not sources:
        return parsed
    dates = dict.fromkeys(s.listed_on for s in sources if s.listed_on)
    label = ", ".join([sources[0].kind.replace("_", " ").capitalize(), *dates])
    records = [
        replace(r, sources=tuple(replace(s, label=label) for s in r.sources))
        for r in parsed.records
    ]
    return Parsed(records, parsed.skipped)


def read_text(file: Path, max_bytes: int) -> str:
    """The file as UTF-8 text, or an error that says what is wrong with it and how to fix it."""
    size = file.stat().st_size
    if size > max_bytes:
        raise UnreadableFile(
            f"{file}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit - split the "
            "file, or raise ASSISTANT_MAX_FILE_MB"
        )
    data = file.read_bytes()
    if not data.strip():
        raise UnreadableFile(f"{file}: the file is empty - export your papers into it first")
    if b"\x00" in data[:8192]:
        raise UnreadableFile(
            f"{file}: looks like a binary file, not text - export your papers as {FORMATS}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableFile(
            f"{file}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}) - re-save the file "
            "as UTF-8"
        ) from None
