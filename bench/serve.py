"""Web UI: how soon `assistant serve` is usable, and how it answers many people at once.

Start-up (the default). Target: a usable page in < 10 s. Over an index of the bundled
corpus, each round starts the installed console script on a free loopback port and times
(1) until `/` answers 200, (2) until headless chromium (Debian's, driven by Playwright;
launched before the clock starts) shows the question box and the example questions, and
(3) one question typed there until its sources appear. Baselines from the same run: a bare
`python -c pass` and `python -c "import gradio"` (what any Gradio app pays first).

Concurrent chats (--chats N ...). Each chat is a person at a real browser page, in a
browser context of its own, so a Gradio session of its own: the chat's handler has no API
endpoint (the page's events are private) and the API's `ask` (`serve --mcp`) keeps no
conversation, so a follow-up can only be asked as a person asks it, and the page times
what they see: from Enter to the answer's sources shown. Each chat asks about a different
poster-session paper by its title, then "Who wrote it?", which only its own conversation
can resolve. A level asks every chat, in rounds of N chats at once, each round on freshly
opened pages, so every level answers the same questions; N = 1, the single-user baseline,
runs first. Every answer is checked: lost (none within ANSWER_LIMIT_S, or an error),
crossed (it or its sources name another chat's paper), wrong (its first source is not its
own paper, or the follow-up misses that paper's first author). The papers are those whose
conversation a single user gets right, asked in-process first, so a wrong answer is the
load's doing.

--instances 2: one `chroma run` with the bundled corpus ingested into it once, and two
`assistant serve` processes with data folders of their own; each level runs on the first
instance alone, then spread over both (chat i on instance i mod 2).

    uv run python bench/serve.py [--rounds 3] [--data-dir DIR]
    uv run python bench/serve.py --chats 1 4 12 30 [--data-dir DIR]
    uv run python bench/serve.py --chats 1 4 12 30 --instances 2

Without --data-dir it indexes the bundled corpus into a temporary folder first (~45 s).
It always exits 0; a missed target prints FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

from assistant.api import Assistant
from assistant.settings import Settings
from tests.serving import chromium, free_port, serving_index, start_chroma, stop, wait_until_up

TARGET_S = 10.0
QUESTION = "How does DUQ estimate uncertainty?"
FOLLOW_UP = "Who wrote it?"
ANSWER_LIMIT_S = 120  # an answer not shown by then is lost
KEY_CHARS = 40  # a title's first characters: what names its paper in an answer
OPENING = 4  # pages loading at once before a round starts
SETTLE_S = 1.0  # then the last pages' load events (~80 ms of server time each) finish
# Gradio 6's status tracker runs a timer on every frame (60 a second) in each open tab, idle
# or not: about 7% of a core a tab here, and the tabs share the 2 cores with the server. So
# a tab's frame callbacks run 4 times a second instead (0.02 of a core a tab); what the page
# shows, and when an answer lands (the queue's events, not frames), stay as they are.
FOUR_FRAMES_A_SECOND = """(() => {
  const timers = new Map();
  let last = 0;
  window.requestAnimationFrame = (callback) => {
    const id = ++last;
    timers.set(id, setTimeout(() => (timers.delete(id), callback(performance.now())), 250));
    return id;
  };
  window.cancelAnimationFrame = (id) => (clearTimeout(timers.get(id)), timers.delete(id));
})()"""
BIN = Path(sys.executable).parent
# Resolves once the page shows the turn's answer whole: its sources, or an error in its place.
SHOWN = """(turn) => new Promise((resolve) => {
  const shown = () => document.querySelector(`#sources #turn-${turn}`) !== null
    || (document.querySelectorAll('#chat [data-testid="bot"]')[turn - 1]?.innerText ?? "")
         .startsWith("⚠️");
  if (shown()) return resolve();
  const watching = new MutationObserver(() => shown() && (watching.disconnect(), resolve()));
  watching.observe(document.body, { subtree: true, childList: true, characterData: true });
})"""


def seconds_to_run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def index_bundled(data_dir: Path, env: dict[str, str]) -> Path:
    print(f"indexing the bundled corpus into {data_dir} (about 45 s)", flush=True)
    env = os.environ | env | {"ASSISTANT_DATA_DIR": str(data_dir)}
    subprocess.run([str(BIN / "assistant"), "ingest"], env=env, check=True)
    return data_dir


def load() -> float:
    return os.getloadavg()[0]


def cpu_seconds() -> dict[str, float]:
    """CPU time so far of this run's processes, with their reaped children's: the servers
    (`assistant serve`, `chroma run`) and the browser (Playwright's driver, chromium)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent, name, used = {}, {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        pid = int(stat.parent.name)
        name[pid] = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        parent[pid] = int(fields[1])
        used[pid] = sum(int(f) for f in fields[11:15]) / ticks
    mine, found = {os.getpid()}, True
    while found:
        found = {pid for pid, up in parent.items() if up in mine and pid not in mine}
        mine |= found
    mine.discard(os.getpid())
    servers = {pid for pid in mine if name[pid] in ("assistant", "chroma")}
    return {
        "servers": sum(used[pid] for pid in servers),
        "browser": sum(used[pid] for pid in mine - servers),
    }


# --- start-up -----------------------------------------------------------------------


async def one_round(browser, data_dir: Path, log: Path) -> dict[str, float]:
    """One cold start of `assistant serve`, its output in `log` (shown if it fails)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_LLM": "offline"}
    command = [str(BIN / "assistant"), "serve", "--port", str(port)]
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        await asyncio.to_thread(wait_until_up, url, process, "assistant serve", log)
        http = time.perf_counter() - start
        page = await browser.new_page()
        await page.goto(url)
        await page.wait_for_selector("#question textarea")
        await page.get_by_text("Try").first.wait_for()
        usable = time.perf_counter() - start
        first = await asyncio.wait_for(answer(page, 1, QUESTION), ANSWER_LIMIT_S)
        await page.close()
    finally:
        stop(process)
    return {"http_200_s": http, "usable_page_s": usable, "first_answer_s": first.seconds}


async def start_up(browser, args, folder: Path) -> None:
    data_dir = args.data_dir or index_bundled(folder / "data", {})
    at_start = load()
    rounds = []
    for number in range(1, args.rounds + 1):
        rounds.append(await one_round(browser, data_dir, folder / f"serve-{number}.log"))
        timings = ", ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items())
        print(f"round {number}: {timings}", flush=True)
    bare = statistics.median(seconds_to_run("pass") for _ in range(3))
    gradio = statistics.median(seconds_to_run("import gradio") for _ in range(3))

    print(f"\nload average at start {at_start:.2f}; medians of {args.rounds} rounds, s")
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    usable = median["usable_page_s"]
    verdict = f"   < {TARGET_S:g}  {'PASS' if usable < TARGET_S else 'FAIL'}"
    for label, value, note in [
        ("python -c pass (baseline)", bare, ""),
        ("python -c 'import gradio' (baseline)", gradio, ""),
        ("serve: / answers 200", median["http_200_s"], ""),
        ("serve: page usable in chromium", usable, verdict),
        ("then one question until its sources show", median["first_answer_s"], ""),
    ]:
        print(f"{label:<44}{value:>7.2f}{note}")


# --- concurrent chats ---------------------------------------------------------------


@dataclass(frozen=True)
class Chat:
    title: str
    author: str  # the first

    @property
    def questions(self) -> tuple[str, str]:
        return f'What does "{self.title}" propose?', FOLLOW_UP

    @property
    def key(self) -> str:
        return self.title[:KEY_CHARS]


@dataclass(frozen=True)
class Shown:
    """One answer as its page showed it; `seconds` None when it never came."""

    seconds: float | None
    text: str = ""
    sources: tuple[str, ...] = ()  # the cited cards' headings, "[1] Title"


def pick_chats(settings: Settings, count: int) -> list[Chat]:
    """Poster-session papers (the pages that name authors), by title, whose conversation
    one user gets right: each answer cites that paper alone, the follow-up names its first
    author. Today all 145 are (intent is read around the titles a question names)."""
    assistant = Assistant(settings)
    chats: list[Chat] = []
    for paper in assistant.library(limit=10_000):
        chat = Chat(paper.title, paper.authors[0]) if paper.authors else None
        if chat is None or any(chat.key == other.key for other in chats):
            continue
        first = assistant.ask(chat.questions[0])
        history = [
            {"role": "user", "content": chat.questions[0]},
            {"role": "assistant", "content": first.text},
        ]
        then = assistant.ask(chat.questions[1], history=history)
        cited = [[c.paper.id for c in answer.citations] for answer in (first, then)]
        if cited == [[paper.id]] * 2 and chat.author in then.text:
            chats.append(chat)
            if len(chats) == count:
                break
    return chats


def verdict(chat: Chat, turn: int, shown: Shown, chats: list[Chat]) -> str:
    if shown.seconds is None or shown.text.startswith("⚠️"):
        return "lost"
    seen = "\n".join([shown.text, *shown.sources])
    if any(other.key in seen for other in chats if other != chat):
        return "crossed"
    own = bool(shown.sources) and chat.key in shown.sources[0]
    return "right" if own and (turn == 1 or chat.author in shown.text) else "wrong"


async def open_page(browser, url: str, opening: asyncio.Semaphore):
    """A page in a fresh browser context (its own session), ready for a question; None
    when it never got there (its chat's answers are lost)."""
    async with opening:
        context = await browser.new_context()
        await context.add_init_script(FOUR_FRAMES_A_SECOND)
        context.set_default_timeout(ANSWER_LIMIT_S * 1000)
        page = await context.new_page()
        try:
            await page.goto(url)
            await page.wait_for_selector("#question textarea")
        except PlaywrightError:
            await context.close()
            return None
        return page


async def answer(page, turn: int, question: str) -> Shown:
    """The question typed and sent, and its answer once the page shows it whole."""
    await page.fill("#question textarea", question)
    asked = time.perf_counter()
    await page.keyboard.press("Enter")
    await page.evaluate(SHOWN, turn)
    seconds = time.perf_counter() - asked
    text = await page.locator('#chat [data-testid="bot"]').nth(turn - 1).inner_text()
    cards = page.locator(f'#turn-{turn} [id^="source-{turn}-"] h4')
    return Shown(seconds, text, tuple(await cards.all_inner_texts()))


async def converse(page, chat: Chat) -> list[Shown]:
    """The chat's questions in turn, as a person asks them; it stops at a lost answer (an
    error, none within ANSWER_LIMIT_S, or the page failing). No page: all are lost."""
    answers: list[Shown] = []
    if page is None:
        return answers
    for turn, question in enumerate(chat.questions, 1):
        try:
            answers.append(await asyncio.wait_for(answer(page, turn, question), ANSWER_LIMIT_S))
        except (TimeoutError, PlaywrightError):
            return [*answers, Shown(None)]
        if answers[-1].text.startswith("⚠️"):
            break
    return answers


async def level(browser, urls: list[str], chats: list[Chat], people: int) -> dict:
    """The chats in rounds of `people` at once, chat i on instance i mod len(urls). Each
    round opens a fresh page per chat before its clock starts, so no page loads while
    answers are timed, and no more tabs are open than people asking."""
    opening = asyncio.Semaphore(OPENING)
    results: list[list[Shown]] = []
    used = dict.fromkeys(("servers", "browser"), 0.0)  # while answers are timed
    at_start = load()
    for first in range(0, len(chats), people):
        batch = range(first, min(first + people, len(chats)))
        opened = (open_page(browser, urls[i % len(urls)], opening) for i in batch)
        pages = await asyncio.gather(*opened)
        await asyncio.sleep(SETTLE_S)
        before = cpu_seconds()
        results += await asyncio.gather(
            *(converse(page, chats[i]) for page, i in zip(pages, batch, strict=True))
        )
        for kind, seconds in cpu_seconds().items():
            used[kind] += seconds - before[kind]
        for page in filter(None, pages):
            await page.context.close()
    at_end = load()
    counts = dict.fromkeys(("right", "lost", "crossed", "wrong"), 0)
    for chat, shown in zip(chats, results, strict=True):
        for turn, answer in enumerate(shown, 1):
            counts[verdict(chat, turn, answer, chats)] += 1
        counts["lost"] += len(chat.questions) - len(shown)  # never asked after a lost one
    seconds = [a.seconds for shown in results for a in shown if a.seconds is not None]
    return {
        "people": people,
        "instances": len(urls),
        "answers": len(seconds),
        "p50": float(np.percentile(seconds, 50)) if seconds else float("nan"),
        "p95": float(np.percentile(seconds, 95)) if seconds else float("nan"),
        "load": (at_start, at_end),
        "cpu": used,
        **counts,
    }


def levels(people: list[int], urls: list[str]) -> list[tuple[int, list[str]]]:
    """The single-user baseline first, then each N on one instance and, given two, on
    both."""
    plan = [(1, urls[:1])]
    for n in sorted(set(people) - {1}):
        plan += [(n, urls[:1])] + ([(n, urls)] if len(urls) > 1 else [])
    return plan


async def warm_up(browser, url: str) -> None:
    """One question first, so no level pays a process's first answer (the model loading)."""
    page = await open_page(browser, url, asyncio.Semaphore(1))
    await asyncio.wait_for(answer(page, 1, QUESTION), ANSWER_LIMIT_S)
    await page.context.close()


async def concurrent_chats(browser, args, folder: Path) -> None:
    with ExitStack() as running:
        server: dict = {}
        if args.instances == 1:
            folders = [args.data_dir or index_bundled(folder / "data", {})]
        else:
            port = free_port()
            running.callback(stop, start_chroma(folder / "chroma", port))
            server = {"chroma_host": "127.0.0.1", "chroma_port": port}
            folders = [folder / f"instance-{n}" for n in range(1, args.instances + 1)]
        env = {f"ASSISTANT_{key.upper()}": str(value) for key, value in server.items()}
        if server:
            index_bundled(folders[0], env)
        chats = pick_chats(Settings(data_dir=folders[0], llm="offline", **server), max(args.chats))
        urls = [
            running.enter_context(
                serving_index(data, folder / f"serve-{n}.log", ASSISTANT_LLM="offline", **env)
            )
            for n, data in enumerate(folders, 1)
        ]
        for url in urls:
            await warm_up(browser, url)
        print(f"{len(chats)} chats, two answers each; load average {load():.2f}", flush=True)
        rows = []
        for people, on in levels(args.chats, urls):
            rows.append(await level(browser, on, chats, people))
            print(row_line(rows[-1], rows[0]), flush=True)
    where = f"{args.instances} instances on one chroma run" if server else "one instance"
    print(f"\n{where}; seconds per answer, from Enter to its sources shown; the servers'")
    print("CPU per answer and the browser's share of the run's CPU, while answers were timed")
    print(HEADER)
    for row in rows:
        print(row_line(row, rows[0]))


HEADER = (
    f"{'at once':>7} {'instances':>9} {'answers':>7} {'p50':>6} {'p95':>6} {'p95/1 user':>10}"
    f" {'lost':>4} {'crossed':>7} {'wrong':>5} {'server cpu/answer':>17} {'browser cpu':>11}"
    "  load avg"
)


def row_line(row: dict, baseline: dict) -> str:
    ratio = row["p95"] / baseline["p95"]
    cpu = row["cpu"]
    per_answer = cpu["servers"] / max(row["answers"], 1)
    browser = cpu["browser"] / max(cpu["servers"] + cpu["browser"], 1e-9)
    start, end = row["load"]
    return (
        f"{row['people']:>7} {row['instances']:>9} {row['answers']:>7} {row['p50']:>6.2f}"
        f" {row['p95']:>6.2f} {ratio:>9.2f}x {row['lost']:>4} {row['crossed']:>7}"
        f" {row['wrong']:>5} {per_answer:>16.2f}s {browser:>10.0%}  {start:.2f}-{end:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="start-up rounds")
    parser.add_argument("--data-dir", type=Path, help="an existing index; default: a temp one")
    parser.add_argument("--chats", type=int, nargs="+", help="people at once, e.g. 1 4 12 30")
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    args = parser.parse_args()
    if args.instances > 1 and (args.data_dir or not args.chats):
        parser.error("--instances 2 needs --chats, and indexes into its own chroma run")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**chromium())
            if args.chats:
                await concurrent_chats(browser, args, Path(tmp))
            else:
                await start_up(browser, args, Path(tmp))
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
