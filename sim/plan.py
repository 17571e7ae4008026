"""``warnsim plan FILE --outcome NAME --width W``: replications needed, from a pilot sweep.

The pilot runs the first ``--pilot`` replications of up to ``--points`` design points of the
experiment (all of them if there are that few, else points spread evenly over the design)
through the sweep engine, in a temporary folder; with common random numbers these are the same
runs the real sweep will make first. :mod:`sim.analysis.planning` turns them into the
replications each point needs for a ``--confidence`` interval of full width ``--width`` on
``--outcome``; the plan is the largest over the pilot points (so that every point reaches the
width), with the range the pilot's own uncertainty allows, and the time the sweep would take at
the pilot's speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

from sim.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from sim.sweep.cli import positive_int, trust_option

    p = subparsers.add_parser(
        "plan", help="replications needed for a chosen interval width, from a small pilot",
        description="Run a pilot (the first --pilot replications of up to --points design "
        "points, through the sweep engine, in a temporary folder) and estimate how many "
        "replications give a --confidence interval of full width --width on --outcome at "
        "every pilot point. Writes nothing.")
    p.add_argument("file", type=Path, help="experiment TOML file")
    p.add_argument("--outcome", required=True, help="an outcome column, e.g. heed_rate")
    p.add_argument("--width", required=True, type=float,
                   help="full width of the interval, in the outcome's unit (e.g. 0.05)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    p.add_argument("--pilot", type=positive_int, default=20, metavar="N",
                   help="replications per pilot point (default 20; at least 2)")
    p.add_argument("--points", type=positive_int, default=8, metavar="K",
                   help="pilot design points, spread over the design (default 8)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local worker processes (default: all cores)")
    where.add_argument("--dask", metavar="ADDRESS", help="run the pilot on a Dask cluster")
    trust_option(p)
    p.set_defaults(func=handler)


def pilot_experiment(experiment: Any, replications: int, points: int) -> tuple[Any, list[int]]:
    """The pilot as an experiment of explicit points (the chosen design points' values) with
    ``replications``, and the chosen points' ids in the full design."""
    import numpy as np

    from sim.sweep import build_design
    from sim.sweep.experiment import DesignKind, DesignSpec, plain

    design = build_design(experiment)
    if design.size <= points:
        chosen = list(range(design.size))
    else:
        chosen = sorted({int(np.rint(x)) for x in np.linspace(0, design.size - 1, points)})
    params = design.parameters
    rows = tuple(tuple(design.point(i)[p] for p in params) for i in chosen)
    if params:
        text = ",".join(params) + "\n" + "\n".join(
            ",".join(str(plain(v)) for v in row) for row in rows) + "\n"
        spec = DesignSpec(kind=DesignKind.POINTS, rows=rows, columns=params,
                          file=f"(pilot of {experiment.origin})",
                          file_sha256=hashlib.sha256(text.encode()).hexdigest(), file_text=text)
    else:
        spec = experiment.design
    pilot = dataclasses.replace(experiment, name=f"{experiment.name}_pilot",
                                replications=replications, design=spec)
    return pilot, chosen


def run_pilot(experiment: Any, *, replications: int, points: int, workers: int | None = None,
              dask: Any = None, run_fn: Any = None) -> tuple[Any, list[int], float]:
    """Run the pilot in a temporary folder; returns its runs, the chosen point ids and the
    seconds per run (wall clock over all workers)."""
    import pandas as pd

    from sim.sweep import run_experiment

    if replications < 2:
        raise UserError(f"--pilot: got {replications}; allowed: an integer of at least 2 (a "
                        "spread needs two replications)")
    pilot, chosen = pilot_experiment(experiment, replications, points)
    with tempfile.TemporaryDirectory(prefix="warnsim-pilot-") as tmp:
        started = time.perf_counter()
        summary = run_experiment(pilot, out=Path(tmp) / "pilot", workers=workers, dask=dask,
                                 progress=False, run_fn=run_fn)
        seconds = (time.perf_counter() - started) / max(summary.total, 1)
        runs = pd.read_parquet(Path(tmp) / "pilot" / "runs.parquet")
    runs = runs[runs["status"] == "ok"]
    if runs.empty:
        raise UserError(f"{experiment.origin}: every pilot run failed; run the sweep to see why")
    return runs, chosen, seconds


def handler(args: argparse.Namespace) -> int:
    from sim.analysis.planning import plan_replications
    from sim.analysis.tables import to_markdown
    from sim.sweep import load_experiment
    from sim.sweep.api import _duration

    experiment = load_experiment(args.file)
    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence: got {args.confidence}; allowed: a number in (0, 1)")
    if not args.width > 0:
        raise UserError(f"--width: got {args.width}; allowed: a number > 0 (the full width of "
                        "the interval, in the outcome's unit)")
    if args.trust_code:
        experiment = experiment.trusting()
    runs, chosen, per_run = run_pilot(experiment, replications=args.pilot, points=args.points,
                                      workers=args.workers, dask=args.dask)
    plan = plan_replications(runs, args.outcome, args.width, args.confidence)
    table = plan.table.copy()
    table["point_id"] = [chosen[i] for i in table["point_id"]]
    from sim.sweep import plan as sweep_plan

    points = sweep_plan(experiment).points
    conf = f"{args.confidence:.0%}"
    print(f"{experiment.name}: pilot of {args.pilot} replications at {len(chosen)} of {points} "
          f"design points ({per_run * 1000:.0f} ms a run here)\n")
    print(to_markdown(table))
    needed, high = plan.needed, plan.needed_high
    print(f"\nFor a {conf} interval of full width {args.width:g} on {args.outcome} at every pilot "
          f"point: {needed} replications (the pilot's uncertainty allows up to {high}); the "
          f"experiment has {experiment.replications}.")
    print(f"With {high} replications the sweep makes {points * high:,} runs: about "
          f"{_duration(per_run * points * high)} at the pilot's speed.")
    return 0
