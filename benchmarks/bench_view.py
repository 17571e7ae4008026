"""Benchmark of one rendered day in the view (``warnsim view``): is it under 200 ms?

Run with ``python benchmarks/bench_view.py`` (or ``make bench``). It measures, in one run and
on the same machine state, for the default scenario:

1. **server side**: one ``model.step()`` plus everything the page builds from the model for that
   day (the summary, the network SVG, the plots SVG, the warning-log table), at three stages of
   a run (first weeks, after one year, after five years: the plotted series grow), median and
   90th percentile over many days;
2. **in the browser** (when Debian's ``chromium`` and Playwright are installed): a real
   ``warnsim view`` server and headless Chromium; the time from clicking Step to the day
   counter showing the next day, which includes the websocket round trip, Solara's
   re-render and the browser's layout and drawing of the new SVGs.

Each is printed in ms and as a ratio to the 200 ms budget. Timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

BUDGET_MS = 200.0


def server_side(days_per_stage: int) -> list[tuple[str, list[float]]]:
    from sim.run import release
    from sim.viz.server import quiet_solara

    quiet_solara()
    from sim.viz.app import summary_html, table_html
    from sim.viz.figures import network_svg, plots_svg
    from sim.viz.viewmodel import ViewModel

    model = ViewModel(seed=1, days=2000)
    network_svg(model)  # first use loads the colour map
    out = []
    for label, start in (("days 1-", 0), ("after 1 year", 365), ("after 5 years", 1825)):
        while model.day < start:
            model.step()
        times = []
        for _ in range(days_per_stage):
            t = time.perf_counter()
            model.step()
            summary_html(model)
            network_svg(model)
            plots_svg(model)
            table_html(model)
            times.append((time.perf_counter() - t) * 1000)
        out.append((f"{label}{days_per_stage}" if start == 0 else label, times))
    release(model)
    return out


def in_browser(clicks: int) -> list[float] | str:
    chromium = shutil.which("chromium")
    if chromium is None:
        return "skipped: Debian's chromium is not installed"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright is not installed"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim", "view", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1700})
            page.goto(url)
            page.wait_for_selector(".day-counter", timeout=60_000)
            step = page.get_by_role("button", name="Step")
            times = []
            for day in range(1, clicks + 1):
                t = time.perf_counter()
                step.click()
                page.wait_for_function(
                    f"document.querySelector('.day-counter')?.textContent.trim() === 'Day {day}'",
                    polling="raf", timeout=30_000)
                times.append((time.perf_counter() - t) * 1000)
            browser.close()
        return times
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _row(label: str, times: list[float]) -> str:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
    return (f"{label:<34} {median:8.1f} {p90:8.1f} {median / BUDGET_MS:9.2f}x  (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=100, help="days timed per stage (default 100)")
    parser.add_argument("--clicks", type=int, default=40, help="Step clicks in the browser (default 40)")
    args = parser.parse_args()
    print(f"One rendered day of the default scenario, budget {BUDGET_MS:.0f} ms "
          f"({os.cpu_count()} cores)")
    print(f"{'':<34} {'median':>8} {'p90':>8} {'/budget':>10}")
    for label, times in server_side(args.days):
        print(_row(f"server: step + page, {label}", times))
    browser = in_browser(args.clicks)
    if isinstance(browser, str):
        print(f"browser: {browser}")
    else:
        print(_row("browser: click Step -> new day shown", browser))


if __name__ == "__main__":
    main()
