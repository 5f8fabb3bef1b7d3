"""End to end in a real browser: Playwright drives Debian's headless chromium against
`assistant serve` (offline backend, the bundled corpus) on a loopback port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import ANSWER_MS, ask, choose_file, serving, upload, wait_for_answer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
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


@pytest.fixture(scope="module")
def server(bundled_index, tmp_path_factory) -> Iterator[str]:
    """The offline app the tests share (they add papers to its copy of the index)."""
    folder = tmp_path_factory.mktemp("served")
    offline = {"ASSISTANT_LLM": "offline", "ASSISTANT_MAX_FILE_MB": str(MAX_UPLOAD_MB)}
    with serving(bundled_index, folder, **offline) as url:
        yield url


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


def open_in_library(page, query: str, title_words: str) -> None:
    page.get_by_role("tab", name="Library").click()
    page.fill("#library-search textarea", query)
    page.keyboard.press("Enter")
    page.locator("#library .virtual-row").get_by_text(title_words).first.click()
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


def test_an_upload_over_the_size_limit_is_refused_in_one_unit_and_old_results_go(page, tmp_path):
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    choose_file(page, empty)
    page.wait_for_selector("#added :text('Failed empty.bib')")
    big = tmp_path / "big.bib"
    big.write_text("% padding\n" * 150_000)  # 1.5 MB, over the 1 MB this server allows
    with page.expect_file_chooser() as chooser:
        page.click("#upload")
    page.wait_for_function("!document.querySelector('#added').innerText.includes('empty.bib')")
    chooser.value.set_files(str(big))
    page.wait_for_selector("#added :text('1.5 MB is over the 1 MB limit')")
    body = page.inner_text("body")
    assert "up to 1 MB a file" in body and "Kb" not in body and "empty.bib" not in body
    assert "Ingested 0 entries" in page.inner_text("#added")


def test_a_failed_upload_names_the_file_never_a_server_path(page, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    choose_file(page, photo)
    page.wait_for_selector("#added :text('Failed photo.png')")
    shown = page.inner_text("#added")
    assert "/" not in shown and "gradio" not in shown.lower() and str(tmp_path) not in shown


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


def example_questions(page) -> list[str]:
    return [t for t in page.locator("#examples button").all_inner_texts() if t.endswith("?")]


def test_every_example_the_page_offers_is_answered(page):
    examples = example_questions(page)
    assert len(examples) == 4
    for turn, example in enumerate(examples, start=1):
        page.locator("#examples button", has_text=example).click()
        filled = f"document.querySelector('#question textarea').value == {json.dumps(example)}"
        page.wait_for_function(filled)
        page.click("button#ask")
        wait_for_answer(page, turn)
        assert "could not find" not in page.inner_text(f"#turn-{turn}"), example


def test_every_card_highlights_the_sentence_the_answer_quotes(page):
    ask(page, "Which papers study uncertainty?")
    wait_for_answer(page)
    cards = page.locator('#turn-1 article[id^="source-1-"]')
    assert cards.count() >= 5
    unmarked = [
        cards.nth(i).locator("h4").inner_text()
        for i in range(cards.count())
        if cards.nth(i).locator(".pa-abstract mark").count() == 0
    ]
    assert unmarked == []


def test_a_new_tab_after_an_upload_shows_the_index_as_it_is(page, tmp_path):
    bib = (
        "@article{aardvark, title={AAVNet: Aardvark Burrows as Cool Refuges},"
        " author={Ann Example}, year={2024},"
        " abstract={AAVNet maps aardvark burrows. Burrows stay cool refuges for many animals.}}"
    )
    upload(page, tmp_path, "aardvark.bib", bib)
    fresh = page.context.new_page()
    fresh.goto(page.url)
    fresh.wait_for_selector("#question textarea")
    fresh.get_by_role("tab", name="Library").click()
    fresh.wait_for_selector("#library .virtual-row")
    total = int(fresh.inner_text("body").split(" papers, by title")[0].split(" of ")[-1])
    assert f"{total} papers indexed" in fresh.inner_text("body")
    fresh.get_by_role("tab", name="Chat").click()
    assert "How does AAVNet work?" in example_questions(fresh)
    fresh.get_by_text("Filters").click()
    fresh.locator("#sources-filter input").click()
    fresh.get_by_role("option", name="aardvark.bib").wait_for()


def test_links_in_abstracts_stay_text_and_known_links_are_nofollow(page, tmp_path):
    bib = (
        "@article{lynx, title={Lynx Tracks in Fresh Snow}, author={Ann Example}, year={2022},"
        " doi={10.1234/lynx.5}, url={https://example.org/lynx},"
        " abstract={Lynx tracks in fresh snow ![x](http://127.0.0.1:9/x.png) are counted."
        " Lynx tracks are listed at http://127.0.0.1:9/tracks and www.lynx-tracks.org"
        " by lynx@tracks.org.}}"
    )
    upload(page, tmp_path, "lynx.bib", bib)
    open_in_library(page, "lynx tracks snow", "Lynx Tracks in Fresh Snow")
    page.click("#ask-about")
    page.click("button#ask")
    wait_for_answer(page)
    assert "http://127.0.0.1:9/tracks" in page.inner_text("#chat")  # shown, as text
    known = ("https://doi.org/10.1234/lynx.5", "https://example.org/lynx")
    for area in ("#chat", "#sources", "#paper"):
        hrefs = page.locator(f"{area} a[href]").evaluate_all("els => els.map(a => a.href)")
        assert all(h.startswith(known) or "#source-" in h for h in hrefs), hrefs
    live = page.locator(f'#sources a[href="{known[0]}"]')
    assert live.get_attribute("rel") == "noopener noreferrer nofollow"
    assert page.locator("#chat img, #sources img").count() == 0


LONG_TITLE = "Quokka Lantern Gardens " + "under glowing southern skies " * 180  # 5,000+
UNBROKEN = "q" * 5_000


def test_ask_about_a_long_titled_paper_builds_a_question_that_fits(page, tmp_path):
    bib = (
        f"@article{{quokka, title={{{LONG_TITLE}}}, author={{Ann Example}}, year={{2021}},"
        " abstract={Quokka lantern gardens glow at night. Quokkas visit the lantern gardens.}}"
    )
    upload(page, tmp_path, "quokka.bib", bib)
    open_in_library(page, "quokka lantern gardens", "Quokka Lantern Gardens")
    page.click("#ask-about")
    assert len(page.input_value("#question textarea")) <= 2000
    page.click("button#ask")
    wait_for_answer(page)
    assert "Quokka Lantern Gardens" in page.inner_text("#source-1-1 h4")


def test_long_unbroken_words_stay_inside_their_panels(page, tmp_path):
    bib = (
        f"@article{{wombat, title={{Wombat {UNBROKEN}}}, author={{Ann Example}}, year={{2021}},"
        f" abstract={{Wombat cubes mark burrows {UNBROKEN}. Wombats leave cubes on rocks.}}}}"
    )
    upload(page, tmp_path, "wombat.bib", bib)
    page.get_by_role("tab", name="Chat").click()
    ask(page, "Why do wombats leave cubes on rocks?")
    wait_for_answer(page)
    for area in ("#sources", "#chat"):
        width = page.evaluate(f"document.querySelector('{area}').scrollWidth")
        assert width <= page.evaluate(f"document.querySelector('{area}').clientWidth") + 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    page.get_by_role("tab", name="Library").click()
    page.fill("#library-search textarea", "wombat cubes")
    page.keyboard.press("Enter")
    row = page.locator("#library .virtual-row", has_text="Wombat").first
    assert row.bounding_box()["height"] < 300
    row.click()
    page.wait_for_selector("#paper :text('Full title')")


def test_the_chat_trash_icon_starts_a_new_chat(page):
    ask(page, "How does ContraNorm deal with oversmoothing?")
    wait_for_answer(page, 1)
    page.locator('#chat button[aria-label^="Clear"]').click()
    page.wait_for_selector("#sources :text('Sources of the answers appear here')")
    ask(page, "Who wrote it?")
    page.wait_for_selector("#applied :text('filters')", timeout=ANSWER_MS)
    assert "Xiaojun Guo" not in page.inner_text("#chat") + page.inner_text("#sources")


def test_the_year_filter_says_what_it_left_out_and_a_new_chat_clears_it(page):
    page.get_by_text("Filters").click()
    assert page.input_value("#year-from textarea") == ""
    assert page.input_value("#year-to textarea") == ""
    page.fill("#year-from textarea", "2023")
    ask(page, "Which papers study calibration?")
    page.wait_for_selector("#applied :text('without a year')", timeout=ANSWER_MS)
    assert "The filters you set leave" in page.inner_text("#applied")
    page.click("#new-chat")
    page.wait_for_selector("#sources :text('Sources of the answers appear here')")
    assert page.input_value("#year-from textarea") == ""
