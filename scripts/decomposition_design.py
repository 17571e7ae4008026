"""Write experiments/decomposition_points.csv from the mechanism registry (sim/mechanisms.py).

One design point with the defaults, one per mechanism switched off alone, and one with every
mechanism off; the columns are every parameter some mechanism switches. `warnsim decompose`
reads the sweep of experiments/decomposition.toml and attributes the rivalry gradient to each
mechanism. Run `python scripts/decomposition_design.py` after changing the registry (a test
checks the committed file matches it).
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sim.analysis.decomposition import design_csv

    path = Path(__file__).resolve().parents[1] / "experiments" / "decomposition_points.csv"
    path.write_text(design_csv(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
