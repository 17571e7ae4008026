"""``warnsim explore DIR`` as a user sees it: the page served on 127.0.0.1 and driven in a real
headless Chromium (Debian's ``chromium`` through Playwright), every request leaving 127.0.0.1
blocked and recorded, so the page must work offline. It loads and draws every design point; a
filter changes the rows drawn; the exports write files into DIR/explore/; a bad filter
expression is one line without paths; the server answers on 127.0.0.1 only and serves no file
of the folder or outside it.

The browser, the server and the offline routing are those of :mod:`tests.browser`.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pandas as pd
import pytest

from tests.browser import free_port, offline_page, serving, wait_for
from tests.test_explore import small_sweep


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = small_sweep(tmp_path_factory.mktemp("explore-browser"))
    port = free_port()
    with serving(["explore", str(folder), "--port", str(port)], port, "warnsim explore") as url:
        yield url, folder, port


@pytest.fixture(scope="module")
def page(served):
    with offline_page(served[0], width=1400, height=1000) as tab:
        yield tab


def _text(scope, selector: str) -> str:
    found = scope.locator(selector)
    return found.first.inner_text() if found.count() else ""


def _ready(tab) -> str:
    return _text(tab, ".explore-ready")


def _status(scope) -> str:
    return _text(scope, ".export-status")


def _drawn(tab, where: str = ".parallel") -> list[str]:
    return tab.locator(f"{where} svg g[id^='row-']").evaluate_all(
        "els => els.map(e => e.id)")


def test_explore_in_a_real_browser(page, served):
    tab = page
    _, folder, _ = served
    points = pd.read_parquet(folder / "runs.parquet").groupby("point_id")
    liaison = points["liaison.A:C"].first()
    tab.wait_for_selector(".explore-ready", timeout=90_000)
    # offline, and every design point drawn
    # (Solara sends each part of a render as its own message: wait for each, never assume)
    every = sorted(f"row-{i}" for i in liaison.index)
    wait_for(tab, lambda: sorted(_drawn(tab)) == every, "every design point drawn")
    wait_for(tab, lambda: "8 of 8 design points" in _ready(tab), "the count of the rows")
    assert tab.blocked == []

    # a filter changes the rows drawn: drop the level "no" of liaison A:C
    tab.locator(".filter-liaison-a-c").get_by_role("button", name="no", exact=True).click()
    kept = sorted(f"row-{i}" for i in liaison[liaison].index)
    wait_for(tab, lambda: sorted(_drawn(tab)) == kept, "the rows with liaison")
    wait_for(tab, lambda: "4 of 8 design points" in _ready(tab), "the count of the rows kept")
    # and a range on an outcome: heed rates up to the median of those kept
    heed = (points["warnings_heeded"].sum() / points["warnings_delivered"].sum())[liaison]
    cut = float(heed.sort_values().iloc[1])
    box = tab.locator(".filter-heed-rate .range-high input")
    box.fill(f"{cut:.6f}")
    box.press("Enter")
    lowest = sorted(f"row-{i}" for i in heed[heed <= float(f"{cut:.6f}")].index)
    wait_for(tab, lambda: sorted(_drawn(tab)) == lowest, "the rows in the heed-rate range")
    assert len(lowest) == 2

    # exports write files into DIR/explore/, named in the status line relative to DIR
    tab.get_by_role("button", name="Export rows (CSV)").click()
    parallel = tab.locator(".tab-parallel")
    wait_for(tab, lambda: "(2 rows)" in _status(parallel), "the rows' export")
    status = _status(parallel)
    assert status.startswith("wrote explore/points-"), status
    written = folder / status.split()[1]
    assert sorted(pd.read_csv(written)["point_id"]) == sorted(int(r[4:]) for r in lowest)
    parallel.get_by_role("button", name="svg", exact=True).click()
    parallel.get_by_role("button", name="Export figure").click()
    wait_for(tab, lambda: ".svg" in _status(parallel), "the figure's export")
    figure = folder / _status(parallel).split()[1]
    assert figure.parent == folder / "explore" and figure.read_text().count('id="row-') == 2

    # the contrast of the rows kept; a bad filter expression is one line without paths
    tab.locator(".clear-filters").click()
    wait_for(tab, lambda: len(_drawn(tab)) == 8, "all rows again")
    tab.get_by_role("tab", name="Contrast").click()
    contrast = tab.locator(".tab-contrast")
    wait_for(tab, lambda: "Paired contrast of heed rate between liaison A:C" in _text(
        contrast, ".contrast-title"), "the contrast", timeout=60)
    where = tab.locator(".contrast-where input")
    where.fill("__import__('os').listdir('/')")
    where.press("Enter")
    wait_for(tab, lambda: _text(contrast, ".error-line").startswith(
        "--where: a call is not allowed"), "the filter's error")
    error = _text(contrast, ".error-line")
    assert "\n" not in error, error
    assert "/" not in error.replace("true/false", "")
    assert "Traceback" not in tab.locator("body").inner_text()
    where.fill("channel == 'relay'")
    where.press("Enter")
    wait_for(tab, lambda: contrast.locator(".error-line").count() == 0, "the contrast again")
    contrast.get_by_role("button", name="Export table").click()
    wait_for(tab, lambda: "contrast_" in _status(contrast), "the table's export")
    first = _status(contrast).split()[1].rstrip(",")
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
