"""Benchmark of one model run: the default scenario, its variants, growth with agencies, and the
same run at an earlier commit, side by side.

Run with ``python benchmarks/bench_model.py`` (or ``make bench``). In one process and machine
state it prints the median wall time of a 365-day run of the default scenario (warning log off
and on, per-day series on), of scenarios with 12, 50 and 200 agencies built by repeating the
default scenario's agencies in three blocs, each as a ratio to the default run.

``--baseline REF`` (e.g. ``--baseline 021b567``, the last commit of the first model) also times
the default run of that commit: it checks ``REF`` out into a temporary git worktree and times
``sim.run.simulate`` there and here in alternation, in separate interpreters, so both see the
same machine load; the ratio is printed. Timings are never asserted in tests; this script is
where they are measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sim.params import ModelParams
from sim.run import RunSpec, release
from sim.scenarios import AgencyProfile, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]

_TIMER = """
import json, statistics, sys, time
from sim.run import RunSpec, simulate
spec = dict(days={days}, record_warnings=False)
simulate(RunSpec(seed=0, **spec))
times = []
for k in range({repeats}):
    start = time.perf_counter()
    simulate(RunSpec(seed=1000 + k, **spec))
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def scaled_scenario(n: int) -> Scenario:
    """The default scenario's agencies repeated to ``n``, split into three blocs."""
    base = load_scenario("default")
    agencies: list[AgencyProfile] = []
    for i in range(n):
        template = base.agencies[i % base.size]
        agencies.append(replace(template, name=f"{template.name}-{i}", bloc="ABC"[i * 3 // n]))
    return replace(base, name=f"scaled-{n}", agencies=tuple(agencies), no_liaison=frozenset(),
                   shifts=(), bloc_factors={})


def time_run(scenario: Scenario, spec: RunSpec, repeats: int) -> float:
    from sim.model import WarningModel

    times = []
    for k in range(repeats):
        start = time.perf_counter()
        model = WarningModel(scenario=scenario, params=spec.params, days=spec.days,
                             rng=spec.seed + k, record_series=spec.record_series)
        model.run()
        model.outcomes()
        if spec.record_warnings:
            model.warning_log()
        times.append(time.perf_counter() - start)
        release(model)
    return statistics.median(times)


def side_by_side(ref: str, days: int, repeats: int, rounds: int) -> tuple[float, float]:
    """Median seconds per default run at ``ref`` and here, timed in alternating interpreters."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
                       check=True, capture_output=True)
        try:
            code = _TIMER.format(days=days, repeats=repeats)
            samples: dict[str, list[float]] = {"baseline": [], "here": []}
            for _ in range(rounds):
                for label, path in (("baseline", tree), ("here", ROOT)):
                    done = subprocess.run([sys.executable, "-c", code], cwd=path, check=True,
                                          capture_output=True, text=True,
                                          env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"})
                    samples[label] += json.loads(done.stdout)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    return statistics.median(samples["baseline"]), statistics.median(samples["here"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--baseline", metavar="REF", help="also time the default run at this commit")
    args = parser.parse_args()

    default = load_scenario("default")
    plain = RunSpec(params=ModelParams(), days=args.days, record_warnings=False)
    rows = [
        ("default, series off, log off", default, plain, args.repeats),
        ("default, series off, log on", default, replace(plain, record_warnings=True), args.repeats),
        ("default, series on, log on", default,
         replace(plain, record_series=True, record_warnings=True), args.repeats),
    ]
    for n in (12, 50, 200):
        repeats = max(3, args.repeats * 12 // n)
        rows.append((f"{n} agencies, series off, log off", scaled_scenario(n), plain, repeats))
    time_run(default, plain, 3)  # warm-up: imports, caches

    results = [(label, time_run(scenario, spec, repeats)) for label, scenario, spec, repeats in rows]
    reference = results[0][1]
    print(f"{'run (' + str(args.days) + ' days, median)':40s} {'seconds':>10s} {'ratio':>8s}")
    for label, seconds in results:
        print(f"{label:40s} {seconds:10.4f} {seconds / reference:8.2f}")
    if args.baseline:
        before, now = side_by_side(args.baseline, args.days, args.repeats, rounds=5)
        print(f"\ndefault run at {args.baseline}: {before * 1000:.2f} ms; here: {now * 1000:.2f} ms; "
              f"ratio {now / before:.2f} (alternating interpreters, {5 * args.repeats} runs each)")


if __name__ == "__main__":
    main()
