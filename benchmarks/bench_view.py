"""Benchmark of the view (``warnsim view``): the cost of a day, the page's readiness, the
memory of sessions and the pace of play.

Run with ``python benchmarks/bench_view.py`` (or ``make bench``). Sections:

1. **server side**: one day stepped and drawn (the drawing the page receives: summary, network,
   warning log, plots) at three stages of a run (first weeks, after one year, after five
   years), median and 90th percentile, and the size of a frame; budget 200 ms a day;
2. **memory estimate** (``--memory``): the traced peak of whole runs (tracemalloc) beside
   :func:`sim.viz.viewmodel.memory_estimate`, which the session's memory limit relies on;
3. **in the browser** (when Debian's ``chromium`` and Playwright are installed), each with a real
   ``warnsim view`` server and headless Chromium:

   * time from opening a tab to the page-ready marker (``#warnsim-ready``; the first tab, then
     later ones) and from clicking Step to the new day shown;
   * memory of the server and its processes (proportional set size, summed over its process
     group) at start, with ``--tabs`` tabs each stepping about 500 days, and after they close
     (half with the page's close beacon, half dropped and culled after ``idle``);
   * play at the speed limit: days a second reached and the share of a core used by each of the
     server's processes.

``--source DIR`` runs the browser sections against another checkout (e.g. ``git archive`` of an
older commit unpacked in DIR) to compare; there the page-ready marker is the day counter and
Step's size is set as that page allows. Timings are never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from pathlib import Path

BUDGET_MS = 200.0
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def server_side(days_per_stage: int) -> tuple[list[tuple[str, list[float]]], list[tuple[str, int]]]:
    from sim.scenarios import load_scenario
    from sim.viz.viewmodel import Session

    session = Session()
    session.build(load_scenario("default"), "default", {"seed": 1, "days": 2000})
    model = session.model
    assert model is not None
    times, sizes = [], []
    with session.lock:
        session.step(0)  # first use loads the colour map and the font metrics
        for label, start in (("days 1-", 0), ("after 1 year", 365), ("after 5 years", 1825)):
            while model.day < start:
                model.step()
            taken = []
            for _ in range(days_per_stage):
                t = time.perf_counter()
                drawing, _ = session.step(1)
                taken.append((time.perf_counter() - t) * 1000)
            times.append((f"{label}{days_per_stage}" if start == 0 else label, taken))
            sizes.append((label if start else "first weeks", len(drawing.encode())))
    session.close()
    return times, sizes


def memory_points() -> list[tuple[str, float, float]]:
    from sim.params import ModelParams
    from sim.run import release
    from sim.scenarios import load_scenario
    from sim.viz.viewmodel import ViewModel, memory_estimate

    points = [
        ("default", 3650, {}),
        ("default", 7300, {}),
        ("world-2024", 1000, {"plot_rate": 0.1, "false_lead_rate": 5.0, "detection_rate": 1.0}),
        ("default", 1000, {"fabrication_rate": 0.05, "manipulative_share_rival": 1.0,
                           "manipulative_share_ally": 1.0}),
        ("default", 1000, {"plot_rate": 0.2}),
        ("world-2024", 1000, {"false_lead_rate": 20.0}),
    ]
    out = []
    for scenario, days, changes in points:
        estimate = memory_estimate(ModelParams().replace(**changes), load_scenario(scenario), days)
        tracemalloc.start()
        model = ViewModel(scenario=scenario, days=days, seed=3, **changes)
        model.run()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        release(model)
        label = f"{scenario} {days} d " + (", ".join(f"{k}={v:g}" for k, v in changes.items())
                                             or "defaults")
        out.append((label, peak / 1e6, estimate / 1e6))
    return out


# --- the browser ---------------------------------------------------------------------------------
class Server:
    def __init__(self, source: Path | None, *args: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "view", "--port", str(self.port), *args],
            cwd=source, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        for _ in range(1000):
            try:
                urllib.request.urlopen(self.url, timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("warnsim view did not start")

    def _group(self) -> list[Path]:
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[2]) == self.proc.pid:
                    out.append(stat.parent)
            except (OSError, IndexError, ValueError):
                pass
        return out

    def memory_mb(self) -> float:
        total = 0
        for proc in self._group():
            try:
                rollup = (proc / "smaps_rollup").read_text()
            except OSError:
                continue
            total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, flags=re.M).group(1))
        return total / 1024

    def cpu_seconds(self) -> dict[str, float]:
        out = {}
        for proc in self._group():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (proc / "cmdline").read_text()
            except OSError:
                continue
            parent = int(fields[1])
            kind = ("server" if int(proc.name) == self.proc.pid else
                    "resource tracker" if "resource_tracker" in cmd else
                    "fork server" if parent == self.proc.pid else f"session {proc.name}")
            out[kind] = (int(fields[11]) + int(fields[12])) / TICK
        return out

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _ready_selector(tab) -> str:
    return "#warnsim-ready" if tab.locator("#warnsim-ready").count() else ".day-counter"


def _day(tab) -> int:
    return int(re.search(r"\d+", tab.locator(".day-counter").inner_text()).group())


def _open(context, url: str) -> tuple[object, float]:
    tab = context.new_page()
    t = time.perf_counter()
    tab.goto(url)
    tab.wait_for_function("document.querySelector('#warnsim-ready, .day-counter') !== null",
                          polling="raf", timeout=180_000)
    return tab, time.perf_counter() - t


def _set_step(tab, days: int) -> None:
    field = tab.get_by_role("textbox", name="Step (days): value", exact=True)
    if field.count():
        field.fill(str(days))
        field.press("Enter")
    else:  # Mesa's SolaraViz: its render interval slider, 1-100
        slider = tab.get_by_role("slider", name="Render Interval (steps)")
        slider.focus()
        slider.press("End")
    tab.wait_for_timeout(300)


def _step(tab) -> float:
    before = _day(tab)
    t = time.perf_counter()
    tab.get_by_role("button", name="Step").click()
    tab.wait_for_function(
        f"(document.querySelector('.day-counter')?.textContent.match(/\\d+/) || [0])[0] != {before}",
        polling="raf", timeout=60_000)
    return (time.perf_counter() - t) * 1000


def in_browser(source: Path | None, clicks: int, tabs: int) -> dict[str, object] | str:
    chromium = shutil.which("chromium")
    if chromium is None:
        return "skipped: Debian's chromium is not installed"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "skipped: playwright is not installed"
    new = source is None or (source / "sim" / "viz" / "limits.py").exists()
    server = Server(source, *(["--limit", "idle=3"] if new else []))
    out: dict[str, object] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium,
                                        args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            first, out["ready_first"] = _open(context, server.url)
            out["step_ms"] = [_step(first) for _ in range(clicks)]
            first.close(run_before_unload=True)
            time.sleep(6)
            out["memory_start"] = server.memory_mb()
            opened, ready = [], []
            for _ in range(tabs):
                tab, seconds = _open(context, server.url)
                ready.append(seconds)
                _set_step(tab, 100)
                for _ in range(5):
                    _step(tab)
                opened.append(tab)
            out["ready_later"] = ready
            time.sleep(2)
            out["memory_open"] = server.memory_mb()
            for k, tab in enumerate(opened):
                tab.close(run_before_unload=k % 2 == 0)
            closed = time.monotonic()
            while time.monotonic() - closed < 60:
                time.sleep(2)
                if server.memory_mb() <= out["memory_start"] + 20:  # type: ignore[operator]
                    break
            time.sleep(3)
            out["memory_after"] = server.memory_mb()
            out["freed_after_s"] = time.monotonic() - closed
            if new:
                tab, _ = _open(context, server.url)
                field = tab.get_by_role("textbox", name="Speed (days a second): value", exact=True)
                field.fill("100000")  # refused: over the limit
                field.press("Enter")
                tab.wait_for_selector(".view-error", timeout=30_000)
                tab.wait_for_timeout(500)
                limit = float(re.search(r"Speed: up to ([\d,]+)", tab.locator(".limits")
                                        .inner_text()).group(1).replace(",", ""))
                field.fill(f"{limit:g}")
                field.press("Enter")
                tab.wait_for_selector(".view-error", state="detached", timeout=30_000)
                before, cpu0, t0 = _day(tab), server.cpu_seconds(), time.monotonic()
                tab.get_by_role("button", name="Play").click()
                tab.wait_for_timeout(10_000)
                after, cpu1, t1 = _day(tab), server.cpu_seconds(), time.monotonic()
                tab.get_by_role("button", name="Pause").click()
                out["play"] = (limit, (after - before) / (t1 - t0),
                               {k: (cpu1[k] - cpu0.get(k, 0.0)) / (t1 - t0) for k in cpu1})
            browser.close()
    finally:
        server.stop()
    return out


def _row(label: str, times: list[float]) -> str:
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
    return (f"{label:<34} {median:8.1f} {p90:8.1f} {median / BUDGET_MS:9.2f}x  (n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=100, help="days timed per stage (default 100)")
    parser.add_argument("--clicks", type=int, default=40, help="Step clicks in the browser (default 40)")
    parser.add_argument("--tabs", type=int, default=4, help="tabs opened at once (default 4)")
    parser.add_argument("--memory", action="store_true", help="also measure the memory estimate")
    parser.add_argument("--source", type=Path, help="run the browser sections from this checkout")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"The view, default scenario ({os.cpu_count()} cores, load average {load:.1f})")
    if args.source is None:
        print(f"{'One day stepped and drawn':<34} {'median':>8} {'p90':>8} {'/budget':>10}")
        times, sizes = server_side(args.days)
        for label, taken in times:
            print(_row(f"server: {label}", taken))
        print("frame sent to the page: " + ", ".join(f"{k} {v / 1000:.0f} kB" for k, v in sizes))
    if args.memory:
        print("memory of whole runs (tracemalloc peak) and the estimate the limit relies on:")
        for label, peak, estimate in memory_points():
            print(f"  {label:<72} {peak:7.1f} MB  estimate {estimate:7.1f} MB "
                  f"({peak / estimate:.0%})")
    found = in_browser(args.source, args.clicks, args.tabs)
    if isinstance(found, str):
        print(f"browser: {found}")
        return
    print(_row("browser: click Step -> new day shown", found["step_ms"]))  # type: ignore[arg-type]
    later = found["ready_later"]
    print(f"browser: page ready {found['ready_first']:.1f} s for the first tab, "
          f"{statistics.median(later):.1f} s (median) for the next {len(later)}")  # type: ignore[arg-type]
    print(f"sessions: {found['memory_start']:.0f} MB at start, {found['memory_open']:.0f} MB "
          f"with {args.tabs} tabs, {found['memory_after']:.0f} MB after they closed "
          f"({found['freed_after_s']:.0f} s later; server and its processes, PSS)")
    if "play" in found:
        limit, speed, shares = found["play"]  # type: ignore[misc]
        print(f"play at the speed limit ({limit:g} days a second): {speed:.0f} days a second; "
              "share of a core: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()
                                                if v >= 0.005))


if __name__ == "__main__":
    main()
