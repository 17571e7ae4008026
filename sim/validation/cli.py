"""The ``validate`` and ``attainability`` subcommands (registered by ``sim/cli.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    v = subparsers.add_parser(
        "validate", help="validation report: patterns, published anchors and documented cases",
        description="Run the declared validation suite (sim/validation/suite.py) through the sweep "
        "engine and write DIR/report.md, DIR/report.html (self-contained), DIR/validation.json "
        "and DIR/figures/: for each pattern and anchor the claim, its source, the published value "
        "or range, the model's value with a 95% interval and a verdict (within / outside); the "
        "decomposition of the rivalry gradient; the documented cases with Brier score, log-loss "
        "and sensitivity to their coding. A rerun resumes the studies' sweeps.")
    v.add_argument("--quick", action="store_true",
                   help="fewer replications (under 2 minutes on 2 cores; wider intervals)")
    v.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default results/validation, the committed full report; "
                   "results/validation-quick with --quick)")
    v.add_argument("--force", action="store_true",
                   help="allow a report other than the full one for the defaults (--quick, --set, "
                   "--only, --replications) to replace committed results in --out")
    v.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all usable cores; 1 runs in-process)")
    v.add_argument("--dask", metavar="ADDRESS", help="run the studies on a Dask scheduler, "
                   "e.g. tcp://scheduler:8786")
    v.add_argument("--set", dest="assignments", action="append", default=[], metavar="KEY=VALUE",
                   help="validate this parameter set instead of the defaults (repeatable)")
    v.add_argument("--only", metavar="IDS",
                   help="comma-separated check ids to run (default: all; see the report)")
    v.add_argument("--replications", type=int, metavar="N",
                   help="replications per design point for every study (overrides --quick's "
                   "and the full report's; at least 2)")
    v.add_argument("--calibration", type=Path, default=Path("results/calibration"), metavar="DIR",
                   help="the calibration whose posterior the report's calibration section shows "
                   "(default results/calibration; the section is left out when DIR holds no "
                   "tables/calibration.json)")
    v.add_argument("--attainability", type=Path, default=Path("results/attainability"),
                   metavar="DIR", help="the attainability study that section reads (default "
                   "results/attainability, what `warnsim attainability` writes)")
    v.add_argument("--quiet", action="store_true", help="no progress on stderr")
    v.set_defaults(func=validate_handler)
    _register_attainability(subparsers)


def _register_attainability(subparsers: argparse._SubParsersAction) -> None:
    from sim.sweep.cli import non_negative_int, positive_int
    from sim.validation import attainability as A

    a = subparsers.add_parser(
        "attainability", help="which validation checks the model meets somewhere in the "
        "calibration's prior box, and which at none of the points evaluated",
        description="Evaluate every registered check of `warnsim validate` (the same studies, "
        "statistics and verdicts) at a Latin hypercube of points over the calibration file's "
        "[sample.ranges] (its prior box), at the defaults and at the calibration's posterior "
        "medians, with each study's --quick replications unless --replications is given. "
        "Writes DIR/tables/attainability.{csv,md,tex} (per check: its range, the least and "
        "greatest value over the points, the points where it is within, the verdicts at the "
        "defaults and at the posterior medians), attainability_points.csv, "
        "attainability_design.csv and attainability.json; the validation report's calibration "
        "section reads them. A rerun resumes point by point.")
    a.add_argument("file", type=Path, help="calibration file, e.g. experiments/calibration.toml")
    a.add_argument("--points", type=positive_int, default=A.DEFAULT_POINTS, metavar="N",
                   help=f"Latin-hypercube points over the box (default {A.DEFAULT_POINTS}; the "
                   "defaults and the posterior medians come on top)")
    a.add_argument("--seed", type=non_negative_int, default=A.DEFAULT_SEED, metavar="S",
                   help=f"root of the design's SeedSequence (default {A.DEFAULT_SEED})")
    a.add_argument("--replications", type=positive_int, metavar="N",
                   help="replications per design point in every study (default: each "
                   "study's --quick replications; at least 2, some studies need 10)")
    a.add_argument("--references", choices=[r.value for r in A.References],
                   default=A.References.FULL.value,
                   help="replications of the defaults and the posterior medians: full (the "
                   "full report's, default: the report compares their verdicts) or same (the "
                   "sampled points')")
    a.add_argument("--posterior", type=Path, metavar="FILE", help="parameter file of the "
                   "posterior medians (default: results/<name>/tables/posterior_median.toml, "
                   "what `warnsim calibrate FILE` writes)")
    a.add_argument("--only", metavar="IDS", help="comma-separated check ids to evaluate "
                   "(default: every check; see `warnsim validate`'s report)")
    a.add_argument("--out", type=Path, default=A.DEFAULT_OUT, metavar="DIR",
                   help=f"output folder (default {A.DEFAULT_OUT})")
    a.add_argument("--workers", type=positive_int, metavar="N",
                   help="local worker processes (default: all usable cores; 1 runs in-process)")
    a.add_argument("--force", action="store_true", help="replace committed tables made with "
                   "another design")
    a.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a.set_defaults(func=attainability_handler)


def _ids(text: str | None) -> tuple[str, ...]:
    """``--only``'s check ids (None: every check)."""
    only = tuple(i.strip() for i in text.split(",") if i.strip()) if text else ()
    if text is not None and not only:
        raise UserError("--only: got no check id; allowed: comma-separated check ids")
    return only


def attainability_handler(args: argparse.Namespace) -> int:
    from sim.validation import attainability as A

    options = A.Options(calibration=args.file, out=args.out, points=args.points,
                        seed=args.seed, replications=args.replications,
                        references=A.References(args.references), posterior=args.posterior, workers=args.workers,
                        progress=not args.quiet, force=args.force, only=_ids(args.only))
    found = A.run(options, command=A.command_line(options))
    s = found.summary
    validation = s[s["role"] == "validation"]
    nowhere = validation[validation["within"] == 0]
    n = int(s["points"].iloc[0]) if len(s) else 0
    print(f"attainability: {len(validation) - len(nowhere)} of {len(validation)} validation "
          f"checks within somewhere in the box; {len(nowhere)} within at none of the {n} "
          f"points evaluated" + (f": {', '.join(nowhere['check'])}" if len(nowhere) else ""))
    print(f"wrote {found.out}/tables/attainability.md (and .csv, .tex), "
          f"attainability_points.csv, attainability_design.csv, attainability.json; "
          f"{found.ran} points measured, {found.resumed} resumed, in {found.seconds:.0f} s")
    return 1 if found.failed_runs else 0


def validate_handler(args: argparse.Namespace) -> int:
    from sim.params import parse_assignments
    from sim.validation.api import ValidationOptions, print_summary, validate

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: got {args.workers}; allowed: an integer of at least 1")
    only = _ids(args.only)
    options = ValidationOptions(
        out=args.out, quick=args.quick, workers=args.workers, dask=args.dask,
        overrides=parse_assignments(args.assignments), only=only,
        replications=args.replications, progress=not args.quiet, force=args.force,
        calibration=args.calibration, attainability=args.attainability)
    result = validate(options)
    print_summary(result)
    return 1 if result.failed_runs else 0
