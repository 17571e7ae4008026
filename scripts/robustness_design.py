"""Write the robustness map's experiments from the Morris screen.

Step 1 (skipped with --from-screen): compute the Morris indices of the outcomes the map's results
rest on from the Morris sweep (results/morris, from `warnsim sweep experiments/morris.toml`;
another folder with --morris) and write them to experiments/robustness_screen.csv.
Step 2: apply the rule of sim/analysis/robustness.py to that file and write
experiments/robustness.toml, robustness_points.csv and robustness_gradient.toml.
Deterministic; a test checks the committed experiments are what step 2 gives from the
committed screen. Run it after re-running the Morris screen.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from sim.analysis.load import load_results
    from sim.analysis.robustness_design import SCREEN_FILE, design_files, screen_csv, screen_table
    from sim.errors import UserError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--morris", type=Path, default=ROOT / "results" / "morris",
                        help="the Morris sweep's results folder (default results/morris)")
    parser.add_argument("--from-screen", action="store_true",
                        help=f"skip step 1: use the committed experiments/{SCREEN_FILE}")
    args = parser.parse_args()
    try:
        if not args.from_screen:
            text = screen_csv(screen_table(load_results(args.morris)))
            (EXPERIMENTS / SCREEN_FILE).write_text(text, encoding="utf-8")
            print(f"wrote experiments/{SCREEN_FILE} from {args.morris}")
        screen = pd.read_csv(EXPERIMENTS / SCREEN_FILE)
        ranges = tomllib.loads((EXPERIMENTS / "morris.toml").read_text())["sample"]["ranges"]
        files = design_files(screen, ranges)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, text in files.items():
        (EXPERIMENTS / name).write_text(text, encoding="utf-8")
        print(f"wrote experiments/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
