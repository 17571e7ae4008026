"""Benchmark of one model run: time for the default scenario and growth with the number of agencies.

Run with ``python benchmarks/bench_model.py`` (or ``make bench``). It prints, in one run and on
the same machine state, the median wall time of a 365-day run of the default scenario (per-day
series off and on, warning log on and off) and of scenarios with 12, 50 and 200 agencies built by
repeating the default scenario's agencies in three blocs, each as a ratio to the 12-agency time.
Timings are never asserted in tests; this script is where they are measured.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from sim.params import ModelParams
from sim.run import RunSpec, release
from sim.scenarios import AgencyProfile, Scenario, load_scenario


def scaled_scenario(n: int) -> Scenario:
    """The default scenario's agencies repeated to ``n``, split into three blocs."""
    base = load_scenario("default")
    agencies: list[AgencyProfile] = []
    for i in range(n):
        template = base.agencies[i % base.size]
        agencies.append(replace(template, name=f"{template.name}-{i}", bloc="ABC"[i * 3 // n]))
    return replace(base, name=f"scaled-{n}", agencies=tuple(agencies), no_liaison=frozenset(), shifts=())


def time_run(scenario: Scenario, spec: RunSpec, repeats: int) -> float:
    from sim.model import WarningModel

    times = []
    for k in range(repeats):
        start = time.perf_counter()
        model = WarningModel(scenario, spec.params, days=spec.days, rng=spec.seed + k,
                             record_series=spec.record_series)
        model.run()
        model.outcomes()
        if spec.record_warnings:
            model.log.columns()
        times.append(time.perf_counter() - start)
        release(model)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
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


if __name__ == "__main__":
    main()
