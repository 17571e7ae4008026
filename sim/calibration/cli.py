"""The ``warnsim calibrate`` subcommand (registered by :mod:`sim.cli`)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import UserError

if TYPE_CHECKING:
    from sim.calibration.smc import AbcOutcome


def register(subparsers: argparse._SubParsersAction) -> None:
    from sim.sweep.cli import non_negative_int, positive_int, trust_option

    p = subparsers.add_parser(
        "calibrate", help="calibration: which parameter values reproduce the targets",
        description="Calibrate the uncertain parameters (uniform priors over [sample.ranges]) "
        "against the targets by the file's [calibration] method. rejection: run the prior "
        "sample (a Latin hypercube) through the sweep engine (resumable), score every design "
        "point against every target and write the accepted sets, the posterior tables and "
        "figures, the share of points meeting each target and each pair, and "
        "tables/best_params.toml (changing targets re-scores the same runs). abc-smc: "
        "sequential Monte Carlo from that hypercube until the tolerance schedule or the budget "
        "stops (continues an interrupted run), then write the weighted posterior particles, "
        "each generation's tolerance and acceptance, the posterior marginals, which parameters "
        "the targets pin, posterior predictive checks and tables/posterior_median.toml. See "
        "experiments/calibration.toml and docs/guide/calibration.md.")
    p.add_argument("file", type=Path, help="calibration file, e.g. experiments/calibration.toml")
    p.epilog = ("Exit status 1 when some runs failed: rejection scores the points on the runs "
                "that finished; abc-smc never accepts a particle with a failed run.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local worker processes (default: all cores; 1 = in this process)")
    where.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://scheduler:8786")
    p.add_argument("--out", type=Path, metavar="DIR", help="results folder (default: results/<name>/)")
    p.add_argument("--force", action="store_true",
                   help="discard earlier results in the folder (another calibration's "
                   "included) and start over")
    p.add_argument("--tolerance-scale", type=float, default=1.0, metavar="X",
                   help="rejection: multiply every target's tolerance by X (e.g. 0.5 to "
                   "tighten; default 1); the tables and figures then go to DIR/tolerance-xX/, "
                   "beside the file's own")
    p.add_argument("--confirm", type=non_negative_int, metavar="N",
                   help="rejection: replications of the confirmation runs of the defaults and "
                   "the best set (default: the file's [calibration] confirm; 0: none); another "
                   "number than the file's writes the tables and figures to DIR/confirm-N/")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    trust_option(p)
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    import math

    from sim.analysis.tables import to_markdown
    from sim.calibration.api import calibrate
    from sim.calibration.config import load_calibration
    from sim.calibration.smc import AbcOutcome

    if not (math.isfinite(args.tolerance_scale) and args.tolerance_scale > 0):
        raise UserError(f"--tolerance-scale: got {args.tolerance_scale}; allowed: a number > 0")
    calibration = load_calibration(args.file)
    if args.trust_code:
        calibration = dataclasses.replace(calibration,
                                          experiment=calibration.experiment.trusting())
    found = calibrate(calibration, out=args.out, workers=args.workers, dask=args.dask,
                      force=args.force, progress=not args.quiet, scale=args.tolerance_scale,
                      confirm=args.confirm)
    if isinstance(found, AbcOutcome):
        return _print_abc(calibration.experiment.name, found)
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
    print(f"wrote {found.report}, {found.params_file}, {found.written / 'tables'}/calibration_*, "
          f"{found.written / 'figures'}/posterior_{{marginals,pairs}}.{{pdf,png}}")
    # As for `warnsim sweep`: 1 when runs failed (scored without them; --force runs them again).
    return 1 if found.failed_runs else 0


def _print_abc(name: str, found: AbcOutcome) -> int:
    from sim.analysis.tables import to_markdown

    r = found.result
    resumed = f" ({found.resumed} generations from the folder)" if found.resumed else ""
    failed = f"; {found.failed_runs} runs failed" if found.failed_runs else ""
    print(f"{name}: abc-smc stopped by {r.stop.value} after generation {r.final.generation}"
          f"{resumed}: {r.simulations:,} simulations, final tolerance {r.final.epsilon:.4g}, "
          f"ESS {r.final.ess:.0f}{failed}")
    print()
    post = found.tables["abc_posterior"].frame.merge(
        found.tables["abc_identifiability"].frame[["parameter", "sd_ratio", "verdict"]])
    print(to_markdown(post[["parameter", "prior", "default", "posterior_mean", "posterior_sd",
                            "q025", "q975", "sd_ratio", "verdict"]]))
    if "abc_predictive" in found.tables:
        print()
        pred = found.tables["abc_predictive"].frame
        print(to_markdown(pred[["target", "accepted_range", "q025", "median", "q975",
                                "share_met", "covered"]]))
    print(f"\nwrote {found.report}, {found.params_file}, {found.out / 'tables'}/abc_*, "
          f"{found.out / 'figures'}/abc_{{marginals,tolerance}}.{{pdf,png}}")
    return 1 if found.failed_runs else 0
