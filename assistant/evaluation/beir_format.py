"""Reading a BEIR-format folder: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`.

BEIR is the common shape of public retrieval benchmarks (SciFact, NFCorpus, FiQA, ...) and
of many people's own judged query sets, so `assistant eval --beir DIR` reads any folder in
it. A file that is wrong is reported whole, every problem as 'FILE:LINE: problem - fix',
before anything is indexed. Judgements that name a document or query the folder does not
hold are common in real exports (corpora trimmed after judging), so they are counted and
skipped with a warning rather than refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DatasetError
from assistant.evaluation.jsonl import objects

LAYOUT = "a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv"
QRELS_HEADER = ("query-id", "corpus-id", "score")
SHOWN_IDS = 3  # unknown ids named in a warning


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str


@dataclass
class BeirSet:
    """A BEIR folder as read: documents in file order, the queries that have judgements,
    and their graded relevance (grade > 0 only), plus what was skipped and why."""

    folder: Path
    qrels_path: Path
    documents: list[Document]
    queries: dict[str, str]  # id -> text, judged queries only, in qrels order
    relevant: dict[str, dict[str, int]]  # query id -> {document id: grade > 0}
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.folder.resolve().name


def load_beir(folder: Path, qrels: str | None = None) -> BeirSet:
    """The folder's documents, judged queries and relevance. `qrels` picks the judgements:
    a split name ('dev') or a file; default qrels/test.tsv, else the only file there."""
    if not folder.is_dir():
        raise DatasetError([f"{folder}: no such folder - {LAYOUT}"])
    qrels_path = _qrels_file(folder, qrels)
    documents, warnings = _documents(folder / "corpus.jsonl")
    queries = _queries(folder / "queries.jsonl")
    judged = _qrels(qrels_path)
    relevant, unknown = _known_judgements(judged, {d.id for d in documents}, queries, qrels_path)
    warnings += unknown
    if not relevant:
        raise DatasetError(
            [
                f"{qrels_path}: no query has a relevant document (score > 0) in corpus.jsonl "
                "and a text in queries.jsonl - check that the three files come from the "
                "same dataset and split"
            ]
        )
    judged_queries = {query_id: queries[query_id] for query_id in relevant}
    return BeirSet(folder, qrels_path, documents, judged_queries, relevant, warnings)


def _qrels_file(folder: Path, qrels: str | None) -> Path:
    found = sorted((folder / "qrels").glob("*.tsv"))
    if qrels is not None:
        path = Path(qrels)
        path = path if path.suffix == ".tsv" else folder / "qrels" / f"{qrels}.tsv"
        if path.is_file():
            return path
        raise DatasetError([f"{path}: no such file - {_choices(found, folder)}"])
    if (folder / "qrels" / "test.tsv").is_file():
        return folder / "qrels" / "test.tsv"
    if len(found) == 1:
        return found[0]
    if not found:
        raise DatasetError([f"{folder / 'qrels'}: no .tsv file - {LAYOUT}"])
    raise DatasetError(
        [
            f"{folder / 'qrels'} holds {', '.join(p.name for p in found)} and no test.tsv - "
            f"pick the judgements to score with --qrels, e.g. --qrels {found[0].stem}"
        ]
    )


def _choices(found: list[Path], folder: Path) -> str:
    if not found:
        return f"{folder / 'qrels'} holds no .tsv file; {LAYOUT}"
    return f"--qrels takes one of {', '.join(p.stem for p in found)}, or a .tsv file's path"


def _documents(path: Path) -> tuple[list[Document], list[str]]:
    """The documents, and a warning for those with nothing to index (no title, no text)."""
    documents: list[Document] = []
    blank: list[str] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, data in objects(path, _lines(path), problems):
        doc_id = _id(data, path, number, problems)
        title, text = data.get("title") or "", data.get("text") or ""
        if not isinstance(title, str) or not isinstance(text, str):
            problems.append(f"{path}:{number}: title and text must be strings - fix the line")
            continue
        if doc_id is None:
            continue
        if doc_id in first_line:
            problems.append(
                f"{path}:{number}: duplicate _id {doc_id!r} (first on line "
                f"{first_line[doc_id]}) - give every document its own _id"
            )
            continue
        first_line[doc_id] = number
        if title.strip() or text.strip():
            documents.append(Document(doc_id, title.strip(), text.strip()))
        else:
            blank.append(doc_id)
    _check(path, problems, documents, "documents")
    warnings = []
    if blank:
        warnings.append(
            f"{path}: {len(blank)} document(s) with no title and no text ({_some(blank)}); "
            "skipped, so judgements naming them are too"
        )
    return documents, warnings


def _queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    problems: list[str] = []
    for number, data in objects(path, _lines(path), problems):
        query_id = _id(data, path, number, problems)
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f'{path}:{number}: no query text - give the query a "text"')
        elif query_id is not None:
            queries[query_id] = text.strip()
    _check(path, problems, queries, "queries")
    return queries


def _id(data: dict, path: Path, number: int, problems: list[str]) -> str | None:
    value = data.get("_id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # some exports write numeric ids unquoted
    if isinstance(value, str) and value.strip():
        return value.strip()
    problems.append(f'{path}:{number}: no "_id" - give every line a string "_id"')
    return None


def _qrels(path: Path) -> list[tuple[int, str, str, int]]:
    """(line, query id, document id, grade) of every judgement, zero grades included."""
    judgements: list[tuple[int, str, str, int]] = []
    problems: list[str] = []
    for number, line in _lines(path):
        cells = [cell.strip() for cell in line.split("\t")]
        if number == 1 and tuple(c.lower() for c in cells) == QRELS_HEADER:
            continue
        if len(cells) != 3:
            problems.append(
                f"{path}:{number}: {len(cells)} tab-separated fields - write "
                "'query-id<TAB>corpus-id<TAB>score' (TREC's 4-column qrels: drop the second)"
            )
            continue
        try:
            grade = int(cells[2])
        except ValueError:
            problems.append(f"{path}:{number}: score {cells[2]!r} is not a whole number - "
                            "use 1 for relevant (2, 3 ... for more), 0 for not")  # fmt: skip
            continue
        judgements.append((number, cells[0], cells[1], grade))
    _check(path, problems, judgements, "judgements")
    return judgements


def _known_judgements(
    judged: list[tuple[int, str, str, int]],
    documents: set[str],
    queries: dict[str, str],
    path: Path,
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Relevant documents (grade > 0) per query, leaving out judgements whose document or
    query is not in the folder; a warning for each kind left out, with a few of the ids."""
    relevant: dict[str, dict[str, int]] = {}
    unknown_docs: dict[str, int] = {}
    unknown_queries: dict[str, int] = {}
    for _, query_id, doc_id, grade in judged:
        if query_id not in queries:
            unknown_queries[query_id] = unknown_queries.get(query_id, 0) + 1
        elif doc_id not in documents:
            unknown_docs[doc_id] = unknown_docs.get(doc_id, 0) + 1
        elif grade > 0:
            relevant.setdefault(query_id, {})[doc_id] = grade
    warnings = []
    for unknown, where in ((unknown_docs, "documents not in corpus.jsonl"),
                           (unknown_queries, "queries not in queries.jsonl")):  # fmt: skip
        if unknown:
            warnings.append(
                f"{path}: {sum(unknown.values())} judgement(s) name {len(unknown)} {where} "
                f"({_some(list(unknown))}); skipped"
            )
    return relevant, warnings


def _some(ids: list[str]) -> str:
    """A few of the ids, quoted, for a warning: 'd1', 'd7', 'd9', ..."""
    return ", ".join(map(repr, ids[:SHOWN_IDS])) + (", ..." if len(ids) > SHOWN_IDS else "")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise DatasetError([f"{path}: no such file - {LAYOUT}"])
    try:
        with path.open(encoding="utf-8-sig") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield number, line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise DatasetError([f"{path}: not UTF-8 - re-save the file as UTF-8"]) from None


def _check(path: Path, problems: list[str], found: object, what: str) -> None:
    if problems:
        raise DatasetError(problems)
    if not found:
        raise DatasetError([f"{path}: no {what} - the file is empty; {LAYOUT}"])
