"""End to end in a real browser: Playwright drives Debian's headless chromium against
`assistant serve` (offline backend, the bundled corpus) on a loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
STARTUP_S = 90  # generous: a loaded CI machine; bench/serve.py measures the real figure
ANSWER_MS = 30_000
MAX_UPLOAD_MB = 1
HOSTILE_BIB = """@article{hostile2024,
  title = {Zebra Widgets <script>window.__xss = 1</script> Calibrated},
  author = {Mallory, Eve},
  year = {2024},
  abstract = {We calibrate zebra widgets with striped temperature scaling.
    <img src=x onerror="window.__xss = 2"> Striped scaling lowers zebra widget error by 40 percent.}
}
"""


# Every state of the chat's text: a streamed answer goes through many.
RECORD_CHAT = """() => {
  window.chatTexts = [];
  const chat = document.querySelector("#chat");
  new MutationObserver(() => window.chatTexts.push(chat.innerText))
    .observe(chat, { subtree: true, childList: true, characterData: true });
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(bundled_index, folder: Path, **settings: str) -> Iterator[str]:
    """`assistant serve` over a copy of the bundled index in `folder`, with these
    environment variables; yields its URL once it answers."""
    source, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    shutil.copytree(source, folder / "data")
    port = free_port()
    command = [str(Path(sys.executable).parent / "assistant"), "serve", "--port", str(port)]
    env = os.environ | {"ASSISTANT_DATA_DIR": str(folder / "data"), **settings}
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as page:
                if page.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"assistant serve did not start:\n{log.read_text()}")
            time.sleep(0.5)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(bundled_index, tmp_path_factory) -> Iterator[str]:
    """The offline app the tests share (they add papers to its copy of the index)."""
    folder = tmp_path_factory.mktemp("served")
    offline = {"ASSISTANT_LLM": "offline", "ASSISTANT_MAX_FILE_MB": str(MAX_UPLOAD_MB)}
    with serving(bundled_index, folder, **offline) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is missing: the README's test command installs it")
    with sync_playwright() as playwright:
        # root in a container has no user namespace for chromium's sandbox
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")


def wait_for_answer(page, turn: int = 1) -> None:
    page.wait_for_selector(f'#sources [id^="source-{turn}-"]', timeout=ANSWER_MS)


def choose_file(page, file: Path) -> None:
    page.get_by_role("tab", name="Add papers").click()
    with page.expect_file_chooser() as chooser:
        page.click("#upload")
    chooser.value.set_files(str(file))


def upload(page, tmp_path: Path, name: str, text: str) -> str:
    file = tmp_path / name
    file.write_text(text)
    choose_file(page, file)
    page.wait_for_selector("#added :text('Ingested')", timeout=60_000)
    return page.inner_text("#added")


def open_in_library(page, query: str, title_words: str) -> None:
    page.get_by_role("tab", name="Library").click()
    page.fill("#library-search textarea", query)
    page.keyboard.press("Enter")
    page.locator("#library").get_by_text(title_words).first.click()
    page.wait_for_selector(f"#paper :text('{title_words}')")


def test_ask_see_the_streamed_answer_and_the_highlighted_source(page):
    page.evaluate(RECORD_CHAT)
    ask(page, "How does DUQ estimate uncertainty?")
    wait_for_answer(page)
    # streamed: the chat grew piece by piece, not in one step
    assert len({len(text) for text in page.evaluate("window.chatTexts")}) > 10
    citation = page.locator('#chat a[href="#source-1-1"]').first
    assert citation.inner_text() == "[1]"
    citation.click()
    card = page.locator("#source-1-1")
    page.wait_for_selector("#source-1-1.pa-active")
    assert "Deep Deterministic Uncertainty" in card.locator("h4").inner_text()
    assert "DUQ" in card.locator("mark").first.inner_text()  # the supporting sentence
    assert card.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat-answered.png")


def test_a_follow_up_and_a_new_chat(page):
    ask(page, "How does ContraNorm deal with oversmoothing?")
    wait_for_answer(page, 1)
    ask(page, "Who wrote it?")
    wait_for_answer(page, 2)
    assert "is by Xiaojun Guo, Yifei Wang" in page.locator("#chat").inner_text()
    page.click("#new-chat")
    page.wait_for_selector("#sources :text('Sources of the answers appear here')")
    assert "ContraNorm" not in page.locator("#chat").inner_text()


def test_uploaded_bibtex_is_found_in_the_library(page, tmp_path):
    bib = (
        "@article{okapi, title={Okapi Stripes as Camouflage in Rainforest Light},"
        " author={Ann Example}, year={2023},"
        " abstract={We measure how okapi stripes hide the animal in dappled rainforest light.}}"
    )
    assert upload(page, tmp_path, "okapi.bib", bib).startswith("Ingested 1 entries: 1 added")
    open_in_library(page, "okapi stripes", "Okapi Stripes as Camouflage")
    assert "okapi.bib (bibtex)" in page.inner_text("#paper")
    page.wait_for_function("document.querySelectorAll('#similar .virtual-row').length === 5")
    nearest = page.locator("#similar [role=gridcell]").first
    title = nearest.inner_text()
    nearest.click()  # walk on to the nearest paper
    page.wait_for_selector(f"#paper h4:has-text({title[:40]!r})")


def test_an_upload_over_the_size_limit_is_refused(page, tmp_path):
    big = tmp_path / "big.bib"
    big.write_text("% padding\n" * 200_000)  # 2 MB, over the 1 MB this server allows
    choose_file(page, big)
    page.get_by_text("exceed the maximum allowed size", exact=False).first.wait_for()
    assert "Ingested" not in page.inner_text("#added")


def test_hostile_titles_and_abstracts_stay_text(page, tmp_path):
    upload(page, tmp_path, "hostile.bib", HOSTILE_BIB)
    open_in_library(page, "zebra widgets", "Calibrated")
    assert "<script>window.__xss = 1</script>" in page.inner_text("#library")
    assert '<img src=x onerror="window.__xss = 2">' in page.inner_text("#paper")
    page.click("#ask-about")
    page.click("button#ask")
    wait_for_answer(page)
    assert "<script>" in page.inner_text("#sources")
    assert page.locator("#sources img, #chat img, #paper img").count() == 0
    assert page.evaluate("window.__xss") is None and page.dialogs == []


def test_two_users_have_their_own_conversations(browser, server):
    pages = []
    for question in ("How does DUQ estimate uncertainty?", "Which papers study neural collapse?"):
        context = browser.new_context()
        page = context.new_page()
        page.goto(server)
        page.wait_for_selector("#question textarea")
        ask(page, question)
        pages.append((page, question))
    for page, question in pages:
        wait_for_answer(page)
        chat = page.locator("#chat").inner_text()
        assert question in chat
        others = [q for _, q in pages if q != question]
        assert all(other not in chat for other in others)
        page.context.close()


def test_with_an_llm_endpoint_the_page_names_the_model_and_shows_only_checked_citations(
    browser, bundled_index, openai_stub, tmp_path
):
    from openai_stub import Reply

    openai_stub.push(
        Reply(
            "DUQ estimates uncertainty in a single forward pass [1]. It also cures colds [1]. "
            "The answer is 42 [42]. Also see paper [ 77 ] and [^77] and 【42】 and [42-42]."
        )
    )
    endpoint = {"OPENAI_BASE_URL": openai_stub.url, "OPENAI_API_KEY": "test-key",
                "ASSISTANT_LLM": "openai", "ASSISTANT_LLM_RETRIES": "0"}  # fmt: skip
    with serving(bundled_index, tmp_path, **endpoint) as url:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea")
        assert f"model gpt-4o-mini at {openai_stub.url}" in page.inner_text("body")
        page.evaluate(RECORD_CHAT)
        ask(page, "How does DUQ estimate uncertainty?")
        wait_for_answer(page)
        chat = page.inner_text("#chat")
        assert "single forward pass [1]" in chat and "Offline mode" not in chat
        assert "It also cures colds [1]. ⚠️" in chat and "Sources:" in chat
        assert "Not supported by the cited abstracts" in page.inner_text("#sources")
        # not while it streamed either: the citations the check removes are never shown
        states = page.evaluate("window.chatTexts")
        assert len(states) > 3
        for state in [*states, chat]:
            assert not any(spelling in state for spelling in ("42]", "77", "【", "[^")), state
        page.close()
    assert "ONLY the numbered paper abstracts" in openai_stub.completions[-1].messages[0]["content"]
