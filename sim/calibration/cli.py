"""The ``warnsim calibrate`` subcommand (registered by :mod:`sim.cli`)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from sim.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from sim.sweep.cli import positive_int, trust_option

    p = subparsers.add_parser(
        "calibrate", help="pattern-oriented calibration: which parameter values reproduce the targets",
        description="Run the calibration file's prior sample (a Latin hypercube over the "
        "uncertain parameters) through the sweep engine (resumable), score every design point "
        "against every target and write the accepted sets, the posterior tables and figures, "
        "the share of points meeting each target and each pair, and tables/best_params.toml (the "
        "best-supported set, for `warnsim run --params`). Changing targets re-scores the same "
        "runs. See experiments/calibration.toml.")
    p.add_argument("file", type=Path, help="calibration file, e.g. experiments/calibration.toml")
    p.epilog = ("Exit status 1 when some runs failed: the points are scored on the runs that "
                "finished.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local worker processes (default: all cores; 1 = in this process)")
    where.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://scheduler:8786")
    p.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<name>/)")
    p.add_argument("--force", action="store_true", help="discard earlier runs in the folder and start over")
    p.add_argument("--tolerance-scale", type=float, default=1.0, metavar="X",
                   help="multiply every target's tolerance by X (e.g. 0.5 to tighten; default 1)")
    p.add_argument("--confirm", type=_non_negative, metavar="N",
                   help="replications of the confirmation runs of the defaults and the best set "
                   "(default: the file's [calibration] confirm; 0: none)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    trust_option(p)
    p.set_defaults(func=handler)


def _non_negative(text: str) -> int:
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: an integer of at least 0")
    return int(stripped)


def handler(args: argparse.Namespace) -> int:
    import math

    from sim.analysis.tables import to_markdown
    from sim.calibration.api import calibrate
    from sim.calibration.config import load_calibration

    if not (math.isfinite(args.tolerance_scale) and args.tolerance_scale > 0):
        raise UserError(f"--tolerance-scale: got {args.tolerance_scale}; allowed: a number > 0")
    calibration = load_calibration(args.file)
    if args.trust_code:
        calibration = dataclasses.replace(calibration,
                                          experiment=calibration.experiment.trusting())
    found = calibrate(calibration, out=args.out, workers=args.workers, dask=args.dask,
                      force=args.force, progress=not args.quiet, scale=args.tolerance_scale,
                      confirm=args.confirm)
    n, k = len(found.scores.points), len(found.scores.accepted)
    targets = found.tables["calibration_targets"].frame
    print(f"{calibration.experiment.name}: {k} of {n} design points accepted "
          f"(every target met){'' if found.failed_runs == 0 else f'; {found.failed_runs} runs failed'}")
    print()
    print(to_markdown(targets[["target", "accepted_range", "share_met", "share_met_given_others"]]))
    conflicts = found.tables["calibration_conflicts"].frame
    clash = conflicts[conflicts["verdict"].isin(["conflict", "tension"])] if len(conflicts) else conflicts
    for _, row in clash.iterrows():
        print(f"{row['verdict']}: {row['target_a']} and {row['target_b']} "
              f"(both met by {row['share_both']:.1%} of points; lift {row['lift']:.2f})")
    state = "best-supported set" if found.accepted_best else "closest set (NOT accepted)"
    print(f"\n{state}: " + ", ".join(f"{p} = {v:.4g}" for p, v in found.best.items()))
    print(f"wrote {found.report}, {found.params_file}, {found.out / 'tables'}/calibration_*, "
          f"{found.out / 'figures'}/posterior_{{marginals,pairs}}.{{pdf,png}}")
    # As for `warnsim sweep`: 1 when runs failed (scored without them; --force runs them again).
    return 1 if found.failed_runs else 0
