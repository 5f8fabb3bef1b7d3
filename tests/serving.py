"""Servers run as a user runs them, on free loopback ports: `assistant serve`, for the browser
and MCP tests, and `chroma run`, for the tests of a shared Chroma server."""

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
CHROMA_STARTUP_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(name: str) -> str:
    """A command this environment installed (`assistant`, `chroma`)."""
    return str(Path(sys.executable).parent / name)


@contextmanager
def serving(bundled_index, folder: Path, *options: str, **settings: str) -> Iterator[str]:
    """`assistant serve` over a copy of the bundled index in `folder`."""
    source, ingested = bundled_index
    assert ingested.returncode == 0, ingested.stderr
    shutil.copytree(source, folder / "data")
    with serve(folder, *options, **settings) as url:
        yield url


@contextmanager
def serve(folder: Path, *options: str, **settings: str) -> Iterator[str]:
    """`assistant serve` with these options and environment variables, its data folder
    `folder`/data; yields its URL once it answers."""
    port = free_port()
    env = os.environ | {"ASSISTANT_DATA_DIR": str(folder / "data"), **settings}
    log = folder / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [command("assistant"), "serve", "--port", str(port), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
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


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    """A `chroma run` on loopback, once it answers its heartbeat."""
    server = subprocess.Popen(
        [command("chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + CHROMA_STARTUP_S
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"chroma run did not start within {CHROMA_STARTUP_S} s")
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)
