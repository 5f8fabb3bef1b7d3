"""What a paper is, once parsed: the record every format turns into, and its identity."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Source:
    """One place a paper was seen: a file, the kind of page it is, the listing date, and
    what a person calls the place when its file name says nothing (the bundled pages' names
    are hashes: 'Trending listing, Mar 21')."""

    file: str
    kind: str
    listed_on: str | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        """The source as a page shows it: its label, else its file name."""
        return self.label or self.file


@dataclass(frozen=True)
class PaperRecord:
    """A paper as the index stores it. Text is kept as written; only matching normalises."""

    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    sources: tuple[Source, ...] = ()
    url: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", paper_id(self.title, self.doi, self.arxiv_id))

    @property
    def listed_on(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.listed_on for s in self.sources if s.listed_on))

    @property
    def links(self) -> list[tuple[str, str]]:
        """Where to read the paper, as (name, URL): its page, DOI and arXiv; web links
        only, never a javascript: or data: one a file slipped in."""
        links = [("page", self.url)]
        if self.doi:
            links.append(("DOI", f"https://doi.org/{self.doi}"))
        if self.arxiv_id:
            links.append(("arXiv", f"https://arxiv.org/abs/{self.arxiv_id}"))
        return [(name, url) for name, url in links if url and re.match(r"https?://", url)]

    @property
    def title_key(self) -> str:
        return normalise_title(self.title)

    @property
    def text_hash(self) -> str:
        """Changes exactly when the embedded text changes, so only then do we re-embed."""
        return _sha(embedding_text(self))

    @property
    def record_hash(self) -> str:
        """Changes when anything stored about the paper changes."""
        return _sha(self.to_json())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> PaperRecord:
        data = json.loads(text)
        data["authors"] = tuple(data["authors"])
        data["sources"] = tuple(Source(**s) for s in data["sources"])
        return cls(**data)


def embedding_text(record: PaperRecord) -> str:
    return f"{record.title}. {record.abstract}"


def _folded(text: str) -> str:
    """Accents dropped and case folded: 'Forré' and 'FORRE' both become 'forre'."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def normalise_title(title: str) -> str:
    """Case, accents, LaTeX braces and punctuation removed: the key titles are matched on."""
    return " ".join(re.findall(r"[^\W_]+", _folded(title)))


def normalise_name(name: str) -> str:
    """Author names match whatever the case or accents: 'José Forré' -> 'jose forre'."""
    return " ".join(re.findall(r"[^\W_]+(?:['-][^\W_]+)*", _folded(name.replace(".", ". "))))


def normalise_doi(doi: str) -> str:
    doi = doi.strip().lower()
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi)


def normalise_arxiv_id(arxiv_id: str) -> str:
    """'http://arxiv.org/abs/2101.00001v2' and 'arXiv:2101.00001' are both '2101.00001'."""
    arxiv_id = re.sub(r"^.*?(arxiv\.org/(abs|pdf)/|arxiv:)", "", arxiv_id.strip(), flags=re.I)
    return re.sub(r"v\d+$", "", arxiv_id.removesuffix(".pdf"))


def paper_id(title: str, doi: str | None = None, arxiv_id: str | None = None) -> str:
    """Stable id: the DOI or arXiv id when known, else the normalised title."""
    if doi:
        return f"doi:{normalise_doi(doi)}"
    if arxiv_id:
        return f"arxiv:{normalise_arxiv_id(arxiv_id)}"
    return "title:" + normalise_title(title).replace(" ", "-")


def merge(old: PaperRecord, new: PaperRecord) -> PaperRecord:
    """One paper seen twice: keep every source and the first title; for the other fields
    the newer non-empty value wins, so a corrected abstract replaces the old one (and a
    source's newer label its old one)."""
    places = {(s.file, s.kind, s.listed_on): s for s in old.sources + new.sources}
    sources = tuple(places.values())
    return replace(
        old,
        abstract=new.abstract or old.abstract,
        authors=new.authors or old.authors,
        year=new.year or old.year,
        venue=new.venue or old.venue,
        sources=sources,
        url=new.url or old.url,
        doi=old.doi or new.doi,
        arxiv_id=old.arxiv_id or new.arxiv_id,
    )


def merge_duplicates(records: list[PaperRecord]) -> list[PaperRecord]:
    """Fold records of the same paper (same id or same normalised title) into one, in order."""
    merged: dict[str, PaperRecord] = {}
    alias: dict[str, str] = {}
    for record in records:
        keys = [record.id, "title-key:" + record.title_key]
        known = next((alias[k] for k in keys if k in alias), None)
        if known is None:
            merged[record.id] = record
            known = record.id
        else:
            merged[known] = merge(merged[known], record)
        for key in keys:
            alias.setdefault(key, known)
    return list(merged.values())


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
