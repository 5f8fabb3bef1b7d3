"""Real processes on free loopback ports, run as a user runs them (`chroma run`, `assistant
serve`), and the page driven as a person drives it: for the Chroma server, browser, MCP and
instance tests, and bench/serve.py. One copy of how to start them and know they are up."""

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

STARTUP_S = 90  # generous: a loaded CI machine; bench/serve.py measures the real figure
ANSWER_MS = 30_000
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, what: str, log: Path | None = None) -> None:
    """Until `url` answers 200; fails, with the process's log, if it exits or takes longer
    than STARTUP_S."""
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as page:
                if page.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                said = log.read_text() if log else ""
                pytest.fail(f"{what} did not start:\n{said}")
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A `chroma run` on loopback over the folder `path`, once it answers its heartbeat."""
    command = [BIN / "chroma", "run", "--path", path, "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, "chroma run")
    return server


@contextmanager
def serving_index(data_dir: Path, log: Path, *options: str, **settings: str) -> Iterator[str]:
    """`assistant serve` with these options over the index in `data_dir`, with these
    environment variables and its output in `log`; yields its URL once it answers."""
    port = free_port()
    command = [BIN / "assistant", "serve", "--port", str(port), *options]
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir), **settings}
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_until_up(url, process, "assistant serve", log)
    try:
        yield url
    finally:
        stop(process)


@contextmanager
def serving(bundled_index, folder: Path, *options: str, **settings: str) -> Iterator[str]:
    """`assistant serve` over a copy of the bundled index in `folder` (see serving_index)."""
    source, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    shutil.copytree(source, folder / "data")
    with serving_index(folder / "data", folder / "serve.log", *options, **settings) as url:
        yield url


def chromium() -> dict:
    """Playwright's launch options for Debian's chromium (sync or async API)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is missing: the README's test command installs it")
    # root in a container has no user namespace for chromium's sandbox
    return {"executable_path": path, "args": ["--no-sandbox"]}


# The page, driven as a person drives it.


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
