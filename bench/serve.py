"""Web UI start-up: from `assistant serve` to a page a person can use. Target: < 10 s.

With the bundled corpus already indexed, each round starts the installed console script
on a free loopback port and times (1) until `/` answers 200, (2) until headless chromium
(Debian's, driven by Playwright; launched before the clock starts) shows the question box
and the example questions, and (3) one question typed there until its sources appear. The
baseline, measured in the same run: a bare `python -c pass` and `python -c "import gradio"`
(what any Gradio app pays before it does anything).

    uv run python bench/serve.py [--rounds 3] [--data-dir DIR]

Without --data-dir it indexes the bundled corpus into a temporary folder first (~30 s).
It always exits 0; a missed target prints FAIL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_S = 10.0
QUESTION = "How does DUQ estimate uncertainty?"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seconds_to_run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def wait_for_http(url: str, process: subprocess.Popen, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"assistant serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as page:
                if page.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"assistant serve did not answer within {limit_s:.0f} s")


def one_round(browser, data_dir: Path) -> dict[str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_LLM": "offline"}
    command = [str(BIN / "assistant"), "serve", "--port", str(port)]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_http(url, process)
        http = time.perf_counter() - start
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("#question textarea")
        page.get_by_text("Try").first.wait_for()
        usable = time.perf_counter() - start
        asked = time.perf_counter()
        page.fill("#question textarea", QUESTION)
        page.keyboard.press("Enter")
        page.wait_for_selector('#sources [id^="source-1-"]', timeout=60_000)
        answer = time.perf_counter() - asked
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {"http_200_s": http, "usable_page_s": usable, "first_answer_s": answer}


def index_bundled(data_dir: Path) -> None:
    print(f"indexing the bundled corpus into {data_dir} (about 30 s)", flush=True)
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir)}
    subprocess.run([str(BIN / "assistant"), "ingest"], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="an existing index; default: a temp one")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None:
            index_bundled(data_dir)
        chromium = shutil.which("chromium") or sys.exit("needs Debian's chromium")
        load = os.getloadavg()[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            rounds = []
            for number in range(1, args.rounds + 1):
                rounds.append(one_round(browser, data_dir))
                timings = ", ".join(f"{k} {v:.2f}" for k, v in rounds[-1].items())
                print(f"round {number}: {timings}", flush=True)
            browser.close()
        bare = statistics.median(seconds_to_run("pass") for _ in range(3))
        gradio = statistics.median(seconds_to_run("import gradio") for _ in range(3))

    print(f"\nload average at start {load:.2f}; medians of {args.rounds} rounds, s")
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


if __name__ == "__main__":
    main()
