"""Reading files: every bad input gets a message naming the file (and line) and the fix."""

import os
import shutil
from pathlib import Path

import pytest

from ingest.detect import detect_format
from ingest.errors import MalformedFile, UnknownFormat, UnreadableFile
from ingest.load import BUNDLED_CORPUS, load_paths, parse_file, read_text

FORMATS = Path(__file__).parent / "fixtures" / "formats"
LIMIT = 20_000_000


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_not_utf8_names_file_line_and_fix(tmp_path):
    path = write(
        tmp_path, "latin.bib", "@article{a,\n title={x},\n abstract={caf\xe9}}".encode("latin-1")
    )
    with pytest.raises(
        UnreadableFile, match=r"latin\.bib:3: not UTF-8 .*re-save the file as UTF-8"
    ):
        read_text(path, LIMIT)


def test_empty_file(tmp_path):
    with pytest.raises(UnreadableFile, match=r"empty\.csv: the file is empty"):
        read_text(write(tmp_path, "empty.csv", "  \n\n"), LIMIT)


def test_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100)
    with pytest.raises(UnreadableFile, match=r"image\.png: looks like a binary file.*export"):
        read_text(write(tmp_path, "image.png", png), LIMIT)


def test_fifty_megabyte_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as f:
        f.truncate(50_000_000)
    with pytest.raises(
        UnreadableFile,
        match=r"huge\.jsonl: 50\.0 MB is over the 20 MB limit.*ASSISTANT_MAX_FILE_MB",
    ):
        read_text(path, LIMIT)


def test_unknown_format_lists_what_is_accepted(tmp_path):
    path = write(tmp_path, "notes.txt", "Buy milk.\nCall Bob about the grant.\n")
    with pytest.raises(
        UnknownFormat, match=r"notes\.txt: format not recognised - expected .*BibTeX"
    ):
        parse_file(path, LIMIT)


def test_missing_path(tmp_path):
    with pytest.raises(UnreadableFile, match="no such file or folder"):
        load_paths([tmp_path / "nope.bib"], LIMIT)


def test_format_is_detected_from_content_not_the_file_name(tmp_path):
    bib = write(tmp_path, "export.txt", (FORMATS / "sample.bib").read_text())
    csv = write(tmp_path, "table.dat", (FORMATS / "papers.csv").read_text())
    atom = write(tmp_path, "feed", (FORMATS / "arxiv.xml").read_text())
    kinds = {
        p.sources[0].kind for path in (bib, csv, atom) for p in parse_file(path, LIMIT).records
    }
    assert kinds == {"bibtex", "csv", "arxiv_atom"}


def test_folder_with_good_and_bad_files_loads_the_good_and_reports_the_bad(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(FORMATS / "papers.csv", folder)
    shutil.copy(FORMATS / "sample.bib", folder)
    shutil.copy(FORMATS / "broken.xml", folder)
    write(folder, "empty.jsonl", "")
    write(folder, "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    write(folder, ".hidden.csv", "garbage")
    loaded = load_paths([folder], LIMIT)
    failed = " | ".join(str(e) for e in loaded.failed)
    assert len(loaded.failed) == 3
    assert "broken.xml:" in failed and "empty.jsonl: the file is empty" in failed
    assert "photo.jpg: looks like a binary file" in failed
    assert {p.sources[0].kind for p in loaded.papers} == {"csv", "bibtex"}
    reasons = " ".join(str(s) for s in loaded.skipped)
    assert "papers.csv:" in reasons and "no abstract" in reasons
    assert loaded.entries == len(loaded.papers)


POSTER = (
    "Session 3\n\nA Paper About Posters\nAnn Lee · Bob Ray\n"
    + "We study posters and find that they can be read as papers. " * 4
    + "\n"
)


def test_a_page_that_starts_with_a_brace_is_read_as_the_page_it_is(tmp_path):
    parsed = parse_file(write(tmp_path, "page.txt", "{\n\n" + POSTER), LIMIT)

    assert [r.title for r in parsed.records] == ["A Paper About Posters"]
    assert parsed.records[0].sources[0].kind == "poster_session"


def test_a_jsonl_file_with_a_broken_first_line_is_still_jsonl(tmp_path):
    text = '{"title": "T", \n{"title": "T2", "abstract": "A."}\n'

    parsed = parse_file(write(tmp_path, "x.jsonl", text), LIMIT)

    assert [r.title for r in parsed.records] == ["T2"] and parsed.skipped[0].line == 1


def test_a_brace_file_without_one_json_object_fails_naming_why(tmp_path):
    with pytest.raises(MalformedFile, match=r"deep\.jsonl: line 1: no line is a JSON object.*deep"):
        parse_file(write(tmp_path, "deep.jsonl", '{"a":' * 100_000), LIMIT)


def test_a_csv_after_a_blank_line_is_recognised(tmp_path):
    parsed = parse_file(write(tmp_path, "lead.csv", "\n \ntitle,abstract\nT,An abstract.\n"), LIMIT)

    assert [(r.title, r.sources[0].kind) for r in parsed.records] == [("T", "csv")]
    assert parsed.skipped == []


def test_a_file_name_that_is_not_utf8_is_stored_with_a_replacement_character(tmp_path):
    """Linux hands such a name over with a lone surrogate, which no hash or store takes."""
    path = tmp_path / os.fsdecode(b"caf\xe9.csv")
    path.write_text("title,abstract\nT,An abstract.\n")

    [record] = parse_file(path, LIMIT).records

    assert record.sources[0].file == "caf\ufffd.csv" and record.record_hash


def test_reference_manager_exports_are_detected_from_content(tmp_path):
    csl = write(tmp_path, "library.txt", (FORMATS / "zotero.json").read_text())
    ris = write(tmp_path, "export.txt", (FORMATS / "zotero.ris").read_text())

    assert {r.sources[0].kind for r in parse_file(csl, LIMIT).records} == {"csl_json"}
    assert {r.sources[0].kind for r in parse_file(ris, LIMIT).records} == {"ris"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('\ufeff\n  [\n {"id": "a", "type": "book", "title": "T"}]', "CSL-JSON"),
        ("[]", "CSL-JSON"),
        ('[{"title": "T", "abstract": "A."', "CSL-JSON"),  # broken: its parser says where
        ('{"title": "T", "abstract": "A."}\n', "JSONL"),
        ("\ufeff\r\nTY  - JOUR\r\nTI  - T\r\nER  - \r\n", "RIS"),
    ],
)
def test_csl_json_is_told_from_jsonl_and_ris_from_a_page(text, name):
    assert detect_format(text)[0] == name


def test_a_json_array_that_is_not_csl_is_not_read_as_papers(tmp_path):
    path = write(tmp_path, "events.json", '[{"event": "push", "repo": "x"}]')

    with pytest.raises(UnknownFormat, match=r"events\.json: format not recognised.*CSL-JSON, RIS"):
        parse_file(path, LIMIT)


def test_the_same_paper_from_bibtex_ris_and_csl_json_is_one_record_with_every_source():
    loaded = load_paths(
        [FORMATS / name for name in ("sample.bib", "zotero.ris", "zotero.json")], LIMIT
    )

    [bert] = [p for p in loaded.papers if p.id == "doi:10.18653/v1/n19-1423"]
    assert [(s.file, s.kind) for s in bert.sources] == [
        ("sample.bib", "bibtex"),
        ("zotero.ris", "ris"),
        ("zotero.json", "csl_json"),
    ]
    wavenet = [p for p in loaded.papers if p.title.startswith("WaveNet")]
    assert len(wavenet) == 1 and len(wavenet[0].sources) == 2
    assert loaded.entries == 3 + 3 + 4 and len(loaded.papers) == 3 + 3 + 4 - 4


def test_broken_reference_manager_exports_are_reported_and_the_rest_loads(tmp_path):
    loaded = load_paths([FORMATS / "broken_csl.json", FORMATS / "broken.ris"], LIMIT)

    [failed] = loaded.failed
    assert str(failed).startswith("broken_csl.json: line 30: not valid JSON")
    assert [p.title for p in loaded.papers] == ["Layer Normalization"]
    assert [str(s).split(": ")[0] for s in loaded.skipped] == ["broken.ris:12"]


def test_the_bundled_pages_are_labelled_by_kind_and_date_and_a_copy_is_not(tmp_path):
    loaded = load_paths([BUNDLED_CORPUS], LIMIT)
    labels = {s.file: s.label for paper in loaded.papers for s in paper.sources}
    assert labels == {
        "000_e6a613b87b86a861.txt": "Publication list",
        "001_4d3bc31c18c31208.txt": "Trending listing, Mar 21",
        "002_0e3b8f3a0da38401.txt": "Trending listing, Mar 13",
        "003_3995438c63dfe527.txt": "Poster session",
        "004_ab8070f07cd1056b.txt": "Trending listing, Mar 12",
    }
    upload = shutil.copy(BUNDLED_CORPUS / "003_3995438c63dfe527.txt", tmp_path / "posters.txt")
    (copied,) = {s for p in parse_file(Path(upload), LIMIT).records for s in p.sources}
    assert (copied.label, copied.name) == (None, "posters.txt")  # your own file, by its name
