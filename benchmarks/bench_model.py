"""Benchmark of one model run: the default scenario, its variants, growth with agencies, and the
target cases at an earlier commit, side by side.

Run with ``python benchmarks/bench_model.py`` (or ``make bench``, which adds ``--baseline
3a2bfb7``). In one process and machine state it prints the median CPU time
(``time.process_time``) of a 365-day run of the default scenario (warning log off and on,
per-day series on), of scenarios with 12, 50 and 200 agencies built by repeating the default
scenario's agencies in three blocs, each as a ratio to the default run.

``--baseline REF`` (e.g. ``--baseline 3a2bfb7``, the commit before the compiled engine) also
times the issue's target cases at that commit, side by side: a default one-year run with
outcomes only, the same with the warning log, and a 200-agency year without the log. It checks
``REF`` out into a temporary git worktree and times each case there and here in alternating
interpreters (``rounds`` times), so both see the same machine load, and prints the median CPU
time (``time.process_time``) of each and the speed-up (baseline / here). The first run of each
interpreter (imports, compilation or loading the kernel cache) is not timed. Timings are never
asserted in tests; this script is where they are measured.
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
import json, sys, time
from dataclasses import replace
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import RunSpec, release, simulate
from sim.scenarios import load_scenario


def scaled(n):
    base = load_scenario("default")
    agencies = [replace(base.agencies[i % base.size], name=f"{{base.agencies[i % base.size].name}}-{{i}}",
                        bloc="ABC"[i * 3 // n]) for i in range(n)]
    return replace(base, name=f"scaled-{{n}}", agencies=tuple(agencies), no_liaison=frozenset(),
                   shifts=(), bloc_factors={{}})


def whole(scenario, seed):
    model = WarningModel(scenario=scenario, params=ModelParams(), days={days}, rng=seed)
    model.run()
    model.outcomes()
    release(model)


CASES = {{
    "default, outcomes only": lambda k: simulate(RunSpec(seed=k, days={days}, record_warnings=False)),
    "default, warning log": lambda k: simulate(RunSpec(seed=k, days={days}, record_warnings=True)),
    "200 agencies, outcomes only": (lambda big: lambda k: whole(big, k))(scaled(200)),
}}
out = {{}}
for name, run in CASES.items():
    run(0)  # imports, compilation or the kernel cache, scenario parsing
    repeats = {repeats} if name.startswith("default") else {big_repeats}
    times = []
    for k in range(repeats):
        start = time.process_time()
        run(1000 + k)
        times.append(time.process_time() - start)
    out[name] = times
print(json.dumps(out))
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
        start = time.process_time()
        model = WarningModel(scenario=scenario, params=spec.params, days=spec.days,
                             rng=spec.seed + k, record_series=spec.record_series)
        model.run()
        model.outcomes()
        if spec.record_warnings:
            model.warning_log()
        times.append(time.process_time() - start)
        release(model)
    return statistics.median(times)


def side_by_side(ref: str, days: int, repeats: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Median CPU seconds per run of each case at ``ref`` and here, timed in alternating
    interpreters: ``{case: (baseline, here)}``."""
    samples: dict[str, dict[str, list[float]]] = {"baseline": {}, "here": {}}
    code = _TIMER.format(days=days, repeats=repeats, big_repeats=max(1, repeats // 30))
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
                       check=True, capture_output=True)
        try:
            for _ in range(rounds):
                for label, path in (("baseline", tree), ("here", ROOT)):
                    done = subprocess.run([sys.executable, "-c", code], cwd=path, check=True,
                                          capture_output=True, text=True,
                                          env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"})
                    for case, times in json.loads(done.stdout).items():
                        samples[label].setdefault(case, []).extend(times)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    return {case: (statistics.median(samples["baseline"][case]),
                   statistics.median(samples["here"][case])) for case in samples["here"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--baseline", metavar="REF",
                        help="also time the target cases at this commit, side by side")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating interpreters per side with --baseline")
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
        print(f"\nside by side with {args.baseline} (median CPU ms a run, {args.rounds} "
              "alternating interpreters each):")
        print(f"{'case':32s} {args.baseline:>12s} {'here':>10s} {'speed-up':>9s}")
        for case, (before, now) in side_by_side(args.baseline, args.days, args.repeats,
                                                args.rounds).items():
            print(f"{case:32s} {before * 1000:12.2f} {now * 1000:10.2f} {before / now:8.1f}x")

if __name__ == "__main__":
    main()
