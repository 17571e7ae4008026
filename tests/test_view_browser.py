"""The view as a user sees it: ``warnsim view`` driven in a real headless Chromium (Debian's
``chromium`` through Playwright), with every request that leaves 127.0.0.1 blocked and
recorded, so the page must work offline.

* the page as a user drives it: the page-ready marker, Step, the controls (a slider, its value
  typed as a number, a refused value as one line), Reset, a run that stops at its length, names
  readable inside their circles; the screenshot shown in the README (``make screenshot``);
* the bounds of a session: several tabs opened, each building a large run, then closed (some
  with the page's close beacon, some just dropped, to be culled after the ``idle`` limit): the
  server's memory returns near where it started; Ctrl-C with a tab playing ends the server with
  status 130 and no traceback.

``make test`` and ``.ci/run`` install Chromium and Playwright; without them these tests are
skipped with the reason printed, and under CI they fail instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from sim.params import PARAMETERS
from sim.scenarios import load_scenario

SCREENSHOT_ENV = "WARNSIM_SCREENSHOT"
"""Where to save the screenshot the README shows (``make screenshot``: results/view/view.png);
unset, it goes to the test's temporary folder, so running the tests changes no committed file."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READY = "#warnsim-ready"


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


class Server:
    """A ``warnsim view`` process, its output in a file (read after it stops)."""

    def __init__(self, tmp: Path, *args: str) -> None:
        _require("Debian's chromium", Path(CHROMIUM).exists())
        pytest.importorskip("solara", reason="the viz extra is not installed")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = tmp / f"view-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "view", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"), text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"warnsim view did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)

    def memory_mb(self) -> float:
        """Proportional set size (Linux ``smaps_rollup``) of the server and its processes (the
        fork server and each session's), summed: what the view costs the machine."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) != self.proc.pid:  # process group: the server's session
                    continue
                rollup = (stat.parent / "smaps_rollup").read_text()
            except (OSError, IndexError, ValueError):
                continue  # a process that ended meanwhile
            total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, flags=re.M).group(1))
        return total / 1024

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signum)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode, self.log.read_text()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    _require("Debian's chromium", Path(CHROMIUM).exists())
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _offline_tab(context):
    tab = context.new_page()
    blocked: list[str] = []

    def offline(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    tab.route("**/*", offline)
    tab.blocked = blocked
    return tab


def _day(tab) -> int:
    return int(tab.locator(READY).get_attribute("data-day"))


def _plots(tab) -> list[str]:
    return tab.locator("svg#plots polyline").evaluate_all("els => els.map(e => e.getAttribute('points'))")


def _wait_for(tab, condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        tab.wait_for_timeout(100)


def _type(tab, label: str, text: str) -> None:
    """Type ``text`` into the number field of the control labelled ``label``; Enter applies."""
    field = tab.get_by_role("textbox", name=f"{label}: value", exact=True)
    field.fill(text)
    field.press("Enter")


def _step_until(tab, day: int) -> None:
    before = _day(tab)
    tab.get_by_role("button", name="Step").click()
    _wait_for(tab, lambda: _day(tab) != before, f"a step from day {before}")
    assert _day(tab) == day


def _error(tab) -> str:
    """The error line's text, or "" without one: read in one call, since Solara may replace
    the element between a count and a read (a read of a vanished element waits 30 s)."""
    texts = tab.locator(".view-error").evaluate_all("els => els.map(e => e.innerText)")
    return "\n".join(texts)


def test_view_in_a_real_browser(browser, tmp_path):
    server = Server(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = _offline_tab(context)
        tab.goto(server.url)
        tab.wait_for_selector(READY, timeout=120_000)  # the page-ready marker: day 0 drawn
        assert tab.blocked == []  # offline: nothing fetched from outside this machine
        assert _day(tab) == 0
        names = tab.locator("svg#network circle.agency").evaluate_all(
            "els => els.map(e => e.getAttribute('data-name'))")
        assert sorted(names) == sorted(a.name for a in load_scenario("default").agencies)

        # resetting without touching a control rebuilds the default model: the controls,
        # generated from the declarations, hold exactly the declared defaults
        tab.get_by_role("button", name="Reset").click()
        _wait_for(tab, lambda: tab.locator(".changed").inner_text().endswith("defaults: none"),
                  "the rebuilt default model")

        before = _plots(tab)
        for day in range(1, 6):
            _step_until(tab, day)
        after = _plots(tab)
        assert after != before and any(after)
        assert "After day 5" in tab.locator("svg#network .day-title").text_content()

        # every value is visible as a number and can be typed; a bad one is one line
        spec = PARAMETERS["rivalry"]
        label = f"{spec.label} ({spec.unit})"
        field = tab.get_by_role("textbox", name=f"{label}: value", exact=True)
        assert float(field.input_value()) == spec.default
        _type(tab, label, "abc")
        _wait_for(tab, lambda: _error(tab) != "", "the error line")
        assert _error(tab) == "rivalry: 'abc' is not a number in [0, 1]"
        assert float(field.input_value()) == spec.default  # back to the last good value
        assert "Traceback" not in tab.locator("body").inner_text()
        _type(tab, label, "0.25")
        _wait_for(tab, lambda: tab.locator(".pending").count() == 1 and _error(tab) == "",
                  "the pending change, the error line gone")
        assert tab.locator(".pending").inner_text() == "1 change applies at Reset"

        # the slider, moved to its maximum, shows its value in the field; Reset applies it
        slider = tab.get_by_role("slider", name=label, exact=True)
        slider.focus()
        slider.press("End")
        _wait_for(tab, lambda: field.input_value() == f"{spec.high:g}", "the field to follow")
        assert tab.locator(".changed").inner_text().endswith("none")  # not before the reset
        tab.get_by_role("button", name="Reset").click()
        _wait_for(tab, lambda: tab.locator(".changed").inner_text().endswith(
            f"changed from the defaults: rivalry = {spec.high:g}"), "the rebuilt model's rivalry")
        assert _day(tab) == 0 and tab.locator(".pending").count() == 0

        # a few months in large steps for the screenshot shown in the README
        _type(tab, "Step (days)", "60")
        for k in range(1, 5):
            _step_until(tab, 60 * k)
        assert tab.blocked == []
        screenshot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "view.png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        tab.set_viewport_size({"width": 1280, "height": 1720})  # the page scrolls inside
        tab.wait_for_timeout(800)
        tab.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 20_000

        # a run never goes past its length, however large the step
        _type(tab, "Run length (days)", "100")
        tab.get_by_role("button", name="Reset").click()
        _wait_for(tab, lambda: _day(tab) == 0, "the 100-day model")
        _step_until(tab, 60)
        _step_until(tab, 100)
        tab.get_by_role("button", name="Step").click()
        tab.wait_for_timeout(500)
        assert _day(tab) == 100
        assert tab.locator(".day-counter").inner_text() == "Day 100"

        # long names fit in their circles, in black or white on the bloc colour
        tab.locator(".v-select", has_text="Scenario").click()
        tab.get_by_role("option", name="world-2024").click()
        tab.get_by_role("button", name="Reset").click()
        _wait_for(tab, lambda: "scenario world-2024" in tab.locator(".summary").inner_text(),
                  "the world-2024 model")
        boxes = tab.locator("svg#network circle.agency").evaluate_all("""cs => cs.map(c => {
            const t = c.nextElementSibling, b = t.getBBox();
            return [t.textContent, b.x + b.width / 2 - c.getAttribute('cx'), b.width, b.height,
                    2 * c.getAttribute('r')];
        })""")
        assert {"Mossad", "SEBIN"} <= {name for name, *_ in boxes}
        for name, off_centre, width, height, diameter in boxes:
            assert abs(off_centre) < 1 and width <= diameter - 4 and height < diameter, name
        assert tab.blocked == []
    finally:
        context.close()
        _, log = server.stop()
    assert "Traceback" not in log


def _open_heavy_tab(context, url: str, plot_rate: str):
    """A tab whose session builds a large run (a high plot rate draws a large world)."""
    tab = context.new_page()
    tab.goto(url)
    tab.wait_for_selector(READY, timeout=120_000)
    tab.get_by_role("button", name="Threats").click()
    _type(tab, "Plot rate (per country-day)", plot_rate)
    tab.get_by_role("button", name="Reset").click()
    _wait_for(tab, lambda: f"plot_rate = {plot_rate}" in tab.locator(".changed").inner_text(),
              "the large run", timeout=60)
    assert _error(tab) == ""
    _type(tab, "Step (days)", "30")
    _step_until(tab, 30)
    return tab


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads Linux /proc")
def test_sessions_are_bounded_and_freed(browser, tmp_path):
    """Four tabs each build a large run (a high plot rate: about 20 MB); closed (two with the
    page's close beacon, two dropped and culled after ``idle``), the memory of the server and
    its processes returns near its start."""
    server = Server(tmp_path, "--limit", "idle=3")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        # one tab doing the same work first: what the server loads once is in the baseline
        _open_heavy_tab(context, server.url, "0.2").close(run_before_unload=True)
        time.sleep(6)
        start = server.memory_mb()
        tabs = [_open_heavy_tab(context, server.url, rate)
                for rate in ("0.2", "0.19", "0.18", "0.17")]
        opened = server.memory_mb()
        assert opened - start > 80, (start, opened)  # the sessions really held memory
        for k, tab in enumerate(tabs):
            tab.close(run_before_unload=k % 2 == 0)  # beacon; or a dropped connection
        near = min(20.0, 0.2 * (opened - start))  # near the start: within 20 MB and 20%
        deadline = time.monotonic() + 60
        while (after := server.memory_mb()) > start + near and time.monotonic() < deadline:
            time.sleep(1)
        print(f"view memory: {start:.0f} MB at start, {opened:.0f} MB with 4 tabs, "
              f"{after:.0f} MB after they closed")
        assert after <= start + near, (start, opened, after)

        # Ctrl-C with a tab playing: status 130, one line, no traceback
        tab = context.new_page()
        tab.goto(server.url)
        tab.wait_for_selector(READY, timeout=120_000)
        tab.get_by_role("button", name="Play").click()
        _wait_for(tab, lambda: _day(tab) > 3, "play")
    finally:
        context.close()
        status, log = server.stop(signal.SIGINT)
    assert status == 130
    assert "Traceback" not in log
    assert re.findall(r"^warnsim: .*$", log, flags=re.M) == ["warnsim: view stopped (SIGINT)"]
