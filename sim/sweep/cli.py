"""The ``warnsim sweep`` subcommand (registered by :mod:`sim.cli`).

Kept free of heavy imports: the engine is imported only when the subcommand runs, so
``warnsim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``sweep`` to the CLI's subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep from an experiment file (resumable)",
        description=(
            "Run every design point of an experiment file for its replications and write "
            "runs.parquet, warnings.parquet and manifest.json to results/<name>/. Running the "
            "same command again resumes an interrupted sweep."
        ),
    )
    p.add_argument("file", type=Path, help="experiment TOML file, e.g. experiments/rivalry_heed.toml")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local worker processes (default: all cores; 1 = in this process)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://scheduler:8786 (warnsim[dask])")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write into DIR itself (default: results/<name>/)")
    p.add_argument("--force", action="store_true",
                   help="discard earlier results in the folder and start over")
    p.add_argument("--retry-failed", action="store_true",
                   help="run the failed runs of an earlier sweep into this folder again")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    trust_option(p)
    p.add_argument("--dry-run", action="store_true",
                   help="print the number of design points and runs and a time estimate; run nothing")
    p.set_defaults(func=handler)
    return p


def trust_option(parser: argparse.ArgumentParser) -> None:
    """``--trust-code``: the opt-in for metrics that run Python code."""
    parser.add_argument("--trust-code", action="store_true",
                        help="let the file's { function = \"module.name\" } metrics import and "
                        "run that Python code (refused without it; README: Trust and security)")


def non_negative_int(text: str) -> int:
    """An integer of at least 0 in ASCII digits (a seed, a count that may be none)."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: an integer of at least 0")
    return int(stripped)


def port(text: str) -> int:
    """A TCP port in ASCII digits, 0 for any free one (``warnsim view`` and ``explore``)."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; allowed: an integer in [0, 65535]")
    return value


def positive_int(text: str) -> int:
    """An integer of at least 1 in ASCII digits (``int`` alone also takes "\uff12")."""
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit()) or int(stripped) < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: an integer of at least 1")
    return int(stripped)


def handler(args: argparse.Namespace) -> int:
    """Exit status 0 if every run succeeded, 1 if any failed; the other statuses come from
    the exceptions (see :mod:`sim.errors`)."""
    from sim.sweep import api

    experiment = api.load_experiment(args.file)
    if args.dry_run:
        print(api.estimate(experiment, workers=args.workers, out=args.out, dask=args.dask,
                           trust_code=args.trust_code).text())
        return 0
    summary = api.run_experiment(experiment, out=args.out, workers=args.workers,
                                 dask=args.dask, force=args.force, progress=not args.quiet,
                                 retry_failed=args.retry_failed, trust_code=args.trust_code)
    if (not args.quiet or not summary.ok) and sys.stderr is not None:
        print(summary.line(experiment.name), file=sys.stderr)
    return 0 if summary.ok else 1
