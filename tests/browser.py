"""What the browser tests share: Debian's Chromium driven by Playwright, a ``warnsim`` server
started on a free port and stopped with its process group, and a page that blocks (and
records) every request leaving 127.0.0.1, so a page must work offline.

Without Chromium or Playwright a browser test is skipped with the reason printed; under CI
(``CI`` set) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def require(what: str, ok: bool) -> None:
    """Skip (fail under CI) when ``what`` is missing."""
    if ok:
        return
    message = f"{what} is not installed (make test and .ci/run install it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(arguments: list[str], port: int, what: str) -> Iterator[str]:
    """``python -m sim ARGUMENTS`` until the page on ``port`` answers; yields its URL."""
    require("Debian's chromium", Path(CHROMIUM).exists())
    pytest.importorskip("solara", reason="the viz extra is not installed")
    proc = subprocess.Popen([sys.executable, "-m", "sim", *arguments], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"{what} did not start: {out[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def offline_page(url: str, width: int = 1280, height: int = 900) -> Iterator[object]:
    """A Chromium tab on ``url`` whose requests beyond 127.0.0.1 are aborted and listed in
    ``tab.blocked``."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": width, "height": height})
        blocked: list[str] = []

        def offline(route):
            if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        tab.route("**/*", offline)
        tab.blocked = blocked
        tab.goto(url)
        try:
            yield tab
        finally:
            browser.close()


def wait_for(tab, condition, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition`` every 0.1 s; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        tab.wait_for_timeout(100)
