"""Write experiments/sensitivity.toml: Sobol indices over the parameters the Morris screen kept.

Reads the screen of the committed Morris experiment (results/morris/tables/morris_screen.csv,
written by `warnsim analyze results/morris`) and the ranges of experiments/morris.toml, and
writes a Saltelli design over the kept parameters with the same ranges, so the two stages of
the global sensitivity analysis (screen, then variance decomposition) use one set of ranges.
Run `python scripts/sensitivity_design.py` after re-running the screen (deterministic).
`--screen FILE` reads another screen (a Morris sweep analysed into another folder), to see the
design a new screen would give before it replaces the committed results. A screen that keeps a
parameter experiments/morris.toml no longer ranges over (a screen of an earlier model) is
refused in one line, exit status 2, with nothing written: re-run the screen first.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_N = 128
REPLICATIONS = 4
SEED = 2030

HEAD = """\
# Global sensitivity, stage 2 (written by scripts/sensitivity_design.py; do not edit by hand):
# Sobol indices (Saltelli design) over the {k} parameters that the Morris screen
# (experiments/morris.toml -> results/morris/tables/morris_screen) kept as influential for at
# least one of heed rate, deaths, net harm and trust in benevolent senders, over the same
# ranges. (d + 2) x n = {d2} x {n} = {points:,} design points, {reps} replications each
# (averaged, rates pooled, before the indices are computed): {runs:,} one-year runs.
# The parameters the screen did not keep stay at their defaults.
name = "sensitivity"
question = "How much of the variance of heed rates, deaths, net harm and trust does each influential parameter explain, alone (S1) and with its interactions (ST)?"
scenario = "default"
days = 365
replications = {reps}
seed = {seed}
record_warnings = false

[sample]
method = "sobol"
n = {n}

[sample.ranges]
"""


def kept_parameters(screen: Path) -> list[str]:
    with screen.open(encoding="utf-8") as f:
        return [row["parameter"] for row in csv.DictReader(f) if row["kept"] == "True"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", type=Path,
                        default=ROOT / "results" / "morris" / "tables" / "morris_screen.csv",
                        help="the Morris screen to read (default: the committed one)")
    args = parser.parse_args(argv)
    ranges = tomllib.loads((ROOT / "experiments" / "morris.toml").read_text())["sample"]["ranges"]
    kept = kept_parameters(args.screen)
    stale = [name for name in kept if name not in ranges]
    if stale:
        print(f"sensitivity_design: error: {args.screen}: keeps {', '.join(stale)}, which "
              "experiments/morris.toml does not range over (a screen of an earlier model); "
              "re-run the screen: warnsim sweep experiments/morris.toml && warnsim analyze "
              "results/morris", file=sys.stderr)
        return 2
    k = len(kept)
    text = HEAD.format(k=k, d2=k + 2, n=BASE_N, points=(k + 2) * BASE_N, reps=REPLICATIONS,
                       runs=(k + 2) * BASE_N * REPLICATIONS, seed=SEED)
    text += "".join(f"{name} = [{ranges[name][0]}, {ranges[name][1]}]\n" for name in kept)
    (ROOT / "experiments" / "sensitivity.toml").write_text(text, encoding="utf-8")
    print(f"wrote experiments/sensitivity.toml: {k} parameters, {(k + 2) * BASE_N} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
