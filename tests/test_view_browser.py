"""The view as a user sees it: ``warnsim view`` driven in a real headless Chromium (Debian's
``chromium`` through Playwright), with every request that leaves 127.0.0.1 blocked and
recorded, so the page must work offline. The screenshot is written to results/view/ and shown
in the README.

``make test`` and ``.ci/run`` install Chromium and Playwright; without them this test is
skipped with the reason printed, and under CI it fails instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.params import PARAMETERS
from sim.scenarios import load_scenario
from tests.browser import free_port, offline_page, serving, wait_for

SCREENSHOT_ENV = "WARNSIM_SCREENSHOT"
"""Where to save the screenshot the README shows (``make screenshot``: results/view/view.png);
unset, it goes to the test's temporary folder, so running the tests changes no committed file."""


@pytest.fixture(scope="module")
def view_url():
    port = free_port()
    with serving(["view", "--port", str(port)], port, "warnsim view") as url:
        yield url


@pytest.fixture(scope="module")
def page(view_url):
    with offline_page(view_url) as tab:
        yield tab


def _day(tab) -> int:
    text = tab.locator(".day-counter").inner_text()
    return int(text.removeprefix("Day").strip())


def _plots(tab) -> list[str]:
    return tab.locator("svg#plots polyline").evaluate_all("els => els.map(e => e.getAttribute('points'))")


def test_view_in_a_real_browser(page, tmp_path):
    tab = page
    tab.wait_for_selector(".day-counter", timeout=60_000)
    # offline: nothing was fetched from outside this machine, and the page is complete
    assert tab.blocked == []
    assert _day(tab) == 0
    scenario = load_scenario("default")
    names = tab.locator("svg#network circle.agency").evaluate_all(
        "els => els.map(e => e.getAttribute('data-name'))")
    assert sorted(names) == sorted(a.name for a in scenario.agencies)

    # resetting without touching a control rebuilds the default model: the controls, generated
    # from the declarations, hold exactly the declared defaults
    tab.get_by_role("button", name="Reset").click()
    tab.wait_for_timeout(500)
    assert tab.locator(".changed").inner_text().endswith("changed from the defaults: none")

    before = _plots(tab)
    step = tab.get_by_role("button", name="Step")
    for expected in range(1, 6):
        step.click()
        wait_for(tab, lambda e=expected: _day(tab) == e, f"day {expected}")
    after = _plots(tab)
    assert after != before and any(after)
    assert "After day 5" in tab.locator("svg#network .day-title").text_content()

    # the rivalry control, generated from the declaration, moved to its maximum; reset
    spec = PARAMETERS["rivalry"]
    slider = tab.get_by_role("slider", name=spec.label, exact=False).first
    slider.focus()
    slider.press("End")
    assert float(slider.get_attribute("aria-valuenow")) == spec.high
    assert tab.locator(".changed").inner_text().endswith("none")  # not before the reset
    tab.get_by_role("button", name="Reset").click()
    wait_for(tab, lambda: tab.locator(".changed").inner_text().endswith(
        f"changed from the defaults: rivalry = {spec.high:g}"), "the rebuilt model's rivalry")
    assert _day(tab) == 0

    # a few months in large steps for the screenshot shown in the README
    interval = tab.get_by_role("slider", name="Render Interval (steps)")
    interval.focus()
    for _ in range(30):
        interval.press("ArrowRight")
    start = _day(tab)
    for _ in range(4):
        step.click()
        wait_for(tab, lambda s=start: _day(tab) > s, "a multi-day step")
        start = _day(tab)
    assert _day(tab) > 100
    assert tab.blocked == []
    screenshot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "view.png")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    tab.set_viewport_size({"width": 1280, "height": 1720})  # the page scrolls inside: show it all
    tab.wait_for_timeout(500)
    tab.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
