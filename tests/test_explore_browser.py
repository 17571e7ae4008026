"""``warnsim explore DIR`` as a user sees it: the page served on 127.0.0.1 and driven in a real
headless Chromium (Debian's ``chromium`` through Playwright), every request leaving 127.0.0.1
blocked and recorded, so the page must work offline. It loads and draws every design point; a
filter changes the rows drawn; the exports write files into DIR/explore/; a bad filter
expression is one line without paths; the server answers on 127.0.0.1 only and serves no file
of the folder or outside it.

Like ``tests/test_view_browser.py``: without Chromium or Playwright the test is skipped with
the reason printed, and under CI it fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.test_explore import small_sweep

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def _require(what: str, ok: bool) -> None:
    if ok:
        return
    message = f"{what} is not installed (make test and .ci/run install it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    _require("Debian's chromium", Path(CHROMIUM).exists())
    pytest.importorskip("solara", reason="the viz extra is not installed")
    folder = small_sweep(tmp_path_factory.mktemp("explore-browser"))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "explore", str(folder), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            start_new_session=True)
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
                pytest.fail(f"warnsim explore did not start: {out[-2000:]}")
            time.sleep(0.3)
        yield url, folder, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def page(served):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        blocked: list[str] = []

        def offline(route):
            if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        tab.route("**/*", offline)
        tab.blocked = blocked
        tab.goto(served[0])
        yield tab
        browser.close()


def _drawn(tab, where: str = ".parallel") -> list[str]:
    return tab.locator(f"{where} svg g[id^='row-']").evaluate_all(
        "els => els.map(e => e.id)")


def _wait_for(tab, condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        tab.wait_for_timeout(100)


def test_explore_in_a_real_browser(page, served):
    tab = page
    _, folder, _ = served
    points = pd.read_parquet(folder / "runs.parquet").groupby("point_id")
    liaison = points["liaison.A:C"].first()
    tab.wait_for_selector(".explore-ready", timeout=90_000)
    # offline, and every design point drawn
    assert tab.blocked == []
    assert sorted(_drawn(tab)) == sorted(f"row-{i}" for i in liaison.index)
    assert "8 of 8 design points" in tab.locator(".explore-ready").inner_text()

    # a filter changes the rows drawn: drop the level "no" of liaison A:C
    tab.locator(".filter-liaison-a-c").get_by_role("button", name="no", exact=True).click()
    kept = sorted(f"row-{i}" for i in liaison[liaison].index)
    _wait_for(tab, lambda: sorted(_drawn(tab)) == kept, "the rows with liaison")
    assert "4 of 8 design points" in tab.locator(".explore-ready").inner_text()
    # and a range on an outcome: heed rates up to the median of those kept
    heed = (points["warnings_heeded"].sum() / points["warnings_delivered"].sum())[liaison]
    cut = float(heed.sort_values().iloc[1])
    box = tab.locator(".filter-heed-rate .range-high input")
    box.fill(f"{cut:.6f}")
    box.press("Enter")
    lowest = sorted(f"row-{i}" for i in heed[heed <= float(f"{cut:.6f}")].index)
    _wait_for(tab, lambda: sorted(_drawn(tab)) == lowest, "the rows in the heed-rate range")
    assert len(lowest) == 2

    # exports write files into DIR/explore/, named in the status line relative to DIR
    tab.get_by_role("button", name="Export rows (CSV)").click()
    parallel = tab.locator(".tab-parallel")
    _wait_for(tab, lambda: parallel.locator(".export-status").count() > 0, "the export status")
    status = parallel.locator(".export-status").inner_text()
    assert status.startswith("wrote explore/points-") and status.endswith("(2 rows)")
    written = folder / status.split()[1]
    assert sorted(pd.read_csv(written)["point_id"]) == sorted(int(r[4:]) for r in lowest)
    parallel.get_by_role("button", name="svg", exact=True).click()
    parallel.get_by_role("button", name="Export figure").click()
    _wait_for(tab, lambda: ".svg" in parallel.locator(".export-status").inner_text(),
              "the figure")
    figure = folder / parallel.locator(".export-status").inner_text().split()[1]
    assert figure.parent == folder / "explore" and figure.read_text().count('id="row-') == 2

    # the contrast of the rows kept; a bad filter expression is one line without paths
    tab.locator(".clear-filters").click()
    _wait_for(tab, lambda: len(_drawn(tab)) == 8, "all rows again")
    tab.get_by_role("tab", name="Contrast").click()
    tab.wait_for_selector(".contrast-table", timeout=60_000)
    contrast = tab.locator(".tab-contrast")
    assert "Paired contrast of heed rate between liaison A:C" in tab.locator(
        ".contrast-title").inner_text()
    where = tab.locator(".contrast-where input")
    where.fill("__import__('os').listdir('/')")
    where.press("Enter")
    tab.wait_for_selector(".tab-contrast .error-line", timeout=30_000)
    error = contrast.locator(".error-line").inner_text()
    assert error.startswith("--where: a call is not allowed") and "\n" not in error
    assert "/" not in error.replace("true/false", "")
    assert "Traceback" not in tab.locator("body").inner_text()
    where.fill("channel == 'relay'")
    where.press("Enter")
    _wait_for(tab, lambda: contrast.locator(".error-line").count() == 0, "the contrast again")
    contrast.get_by_role("button", name="Export table").click()
    _wait_for(tab, lambda: contrast.locator(".export-status").count() > 0, "the table export")
    first = contrast.locator(".export-status").inner_text().split()[1].rstrip(",")
    assert (folder / first).is_file() and (folder / first).parent == folder / "explore"

    # the plot tab draws with the chosen options
    tab.get_by_role("tab", name="Plot").click()
    tab.wait_for_selector(".plot-figure svg", timeout=60_000)
    assert tab.blocked == []


def test_the_server_listens_on_127_0_0_1_only_and_serves_no_files(served):
    url, folder, port = served
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
    for path in ("static/public/manifest.json", "static/public/../manifest.json",
                 "static/../../../etc/passwd", "static/public/%2e%2e/%2e%2e/etc/passwd",
                 "runs.parquet", "explore/", f"static/{folder.name}/runs.parquet"):
        try:
            with urllib.request.urlopen(url + path, timeout=5) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404), path
            continue
        assert b"PAR1" not in body and b"root:" not in body and b"fingerprint" not in body, path
