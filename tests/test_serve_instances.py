"""A lab's setup, end to end: one `chroma run` and two live `assistant serve` processes, A
and B, each with a data folder of its own (issue 16, parts 1 and 2 for the web UI). A paper
added through A's page is found by B's next searches, in both legs, with no restart; a
server outage is a clear message on B's page, and B answers again once the server is back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import ask, free_port, serving_index, start_chroma, stop, upload, wait_for_answer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TITLE = "Striped Hindquarters Hide Okapis in Dappled Rainforest Light"
NEW_PAPER = f"""@article{{okapi2024,
  title = {{{TITLE}}},
  author = {{Mbuyi, Grace}},
  year = {{2024}},
  abstract = {{We photograph wild okapis in the Ituri rainforest and measure how their striped
    hindquarters break up their outline under dappled light. In field trials the stripes
    cut detection by leopards by 40 percent.}}
}}
"""
KEYWORDS = "okapis ituri"
PARAPHRASE = "Which animal's markings conceal it from big cats in jungle shade?"
FOUND_WITHIN_S = 10  # B asks the server at most every 2 s, then rebuilds its side index


@dataclass
class Lab:
    port: int
    path: Path  # the server's folder
    server: subprocess.Popen  # the chroma run, replaced when a test restarts it
    a: str = ""  # A's URL
    b: str = ""  # B's URL; B also serves the API (--mcp), whose search says which leg found what


@pytest.fixture(scope="module")
def lab(bundled_index, tmp_path_factory):
    """The server starts over the bundled corpus as the embedded index wrote it (the same
    folder format `chroma run` keeps); A and B build their side indexes from it."""
    source, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    folder = tmp_path_factory.mktemp("lab")
    shutil.copytree(source / "chroma", folder / "chroma")
    port = free_port()
    lab = Lab(port, folder / "chroma", start_chroma(folder / "chroma", port))
    env = {
        "ASSISTANT_LLM": "offline",
        "ASSISTANT_CHROMA_HOST": "127.0.0.1",
        "ASSISTANT_CHROMA_PORT": str(port),
    }
    try:
        with (
            serving_index(folder / "a", folder / "a.log", **env) as lab.a,
            serving_index(folder / "b", folder / "b.log", "--mcp", **env) as lab.b,
        ):
            yield lab
    finally:
        stop(lab.server)


@pytest.fixture
def pages(browser, lab):
    """A page on A and one on B, each in a browser context of its own."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in "ab"]
    opened = []
    for context, url in zip(contexts, (lab.a, lab.b), strict=True):
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea")
        opened.append(page)
    yield opened
    for context in contexts:
        context.close()


def search(url: str, query: str) -> list[dict]:
    """B's search, through its API: each hit's title and the legs that found it."""
    from gradio_client import Client

    found = Client(url, verbose=False).predict(query, 5, api_name="/search_papers")
    return json.loads(found)["hits"]


def test_a_paper_added_through_a_is_found_by_b_without_a_restart(lab, pages, tmp_path):
    page_a, page_b = pages
    ask(page_b, "How does DUQ estimate uncertainty?")  # B is live, its side index loaded
    wait_for_answer(page_b)
    assert search(lab.b, KEYWORDS)[0]["title"] != TITLE

    assert upload(page_a, tmp_path, "okapi.bib", NEW_PAPER).startswith("Ingested 1 entries")
    written = time.monotonic()
    while (hits := search(lab.b, KEYWORDS))[0]["title"] != TITLE:
        assert time.monotonic() - written < FOUND_WITHIN_S, hits[0]
        time.sleep(0.1)
    found_after = time.monotonic() - written
    assert set(hits[0]["found_by"]) == {"dense", "bm25"}
    by_meaning = search(lab.b, PARAPHRASE)[0]
    assert (by_meaning["title"], by_meaning["found_by"]) == (TITLE, ["dense"])  # no word shared

    ask(page_b, "How do okapis hide from leopards?")
    wait_for_answer(page_b, 2)
    assert TITLE in page_b.inner_text("#source-2-1 h4")
    print(f"B found the paper {found_after:.2f} s after A's page said it was added")


def test_b_says_the_server_is_unreachable_and_answers_once_it_is_back(lab, pages):
    _, page_b = pages
    stop(lab.server)
    ask(page_b, "How does DUQ estimate uncertainty?")
    unreachable = f"Cannot reach the Chroma server at 127.0.0.1:{lab.port}"
    page_b.wait_for_selector(f"#chat :text('{unreachable}')", timeout=30_000)
    assert "Traceback" not in page_b.inner_text("#chat")

    lab.server = start_chroma(lab.path, lab.port)  # the same folder and port
    ask(page_b, "How does DUQ estimate uncertainty?")
    wait_for_answer(page_b)  # the first answer this chat got
    assert "Deep Deterministic Uncertainty" in page_b.inner_text("#source-1-1 h4")
    assert "Traceback" not in page_b.inner_text("#chat")
