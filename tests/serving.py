"""`assistant serve` run as a user runs it, on a free loopback port: for the browser and
MCP tests."""

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(bundled_index, folder: Path, *options: str, **settings: str) -> Iterator[str]:
    """`assistant serve` with these options over a copy of the bundled index in `folder`,
    with these environment variables; yields its URL once it answers."""
    source, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    shutil.copytree(source, folder / "data")
    port = free_port()
    assistant = str(Path(sys.executable).parent / "assistant")
    command = [assistant, "serve", "--port", str(port), *options]
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
