"""The ``validate`` subcommand (registered by ``sim/cli.py``)."""

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
    v.add_argument("--quiet", action="store_true", help="no progress on stderr")
    v.set_defaults(func=validate_handler)


def validate_handler(args: argparse.Namespace) -> int:
    from sim.params import parse_assignments
    from sim.validation.api import ValidationOptions, print_summary, validate

    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers: got {args.workers}; allowed: an integer of at least 1")
    only = tuple(i.strip() for i in args.only.split(",") if i.strip()) if args.only else ()
    if args.only is not None and not only:
        raise UserError("--only: got no check id; allowed: comma-separated check ids")
    options = ValidationOptions(
        out=args.out, quick=args.quick, workers=args.workers, dask=args.dask,
        overrides=parse_assignments(args.assignments), only=only,
        replications=args.replications, progress=not args.quiet, force=args.force)
    result = validate(options)
    print_summary(result)
    return 1 if result.failed_runs else 0
