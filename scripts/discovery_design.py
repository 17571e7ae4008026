"""Write experiments/discovery_points.csv: a Latin hypercube of conditions, each under two doctrines.

The scenario-discovery experiment asks under which conditions warning rivals lowers net harm
(deaths plus the costs of acting on warnings). Every sampled condition appears twice, once with
every agency warning everyone (`warn_all`) and once warning only non-rivals (`non_rivals`), so
`warnsim discover --contrast doctrine=non_rivals:warn_all` compares the two on the same random
histories. Run `python scripts/discovery_design.py` to regenerate the file (deterministic).
"""

from __future__ import annotations

import csv
from pathlib import Path

from scipy.stats import qmc

RANGES = {
    "rivalry": (0.5, 1.0),
    "action_cost": (0.05, 1.0),
    "face_cost": (0.0, 2.0),
    "false_lead_rate": (0.0, 4.0),
    "fabrication_rate": (0.0, 0.005),
    "believed_manipulative_rival": (0.05, 0.9),
    "burn_risk": (0.0, 1.0),
    "interdiction_effect": (0.1, 0.8),
    "opportunism": (0.0, 0.6),
    "rival_action_cost": (0.0, 6.0),
}
SAMPLES = 256
DOCTRINES = ("warn_all", "non_rivals")
SEED = 2031


def main() -> None:
    unit = qmc.LatinHypercube(d=len(RANGES), rng=SEED).random(SAMPLES)
    path = Path(__file__).resolve().parents[1] / "experiments" / "discovery_points.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*RANGES, "doctrine"])
        for row in unit:
            values = [f"{lo + u * (hi - lo):.6g}" for u, (lo, hi) in zip(row, RANGES.values(), strict=True)]
            for doctrine in DOCTRINES:
                writer.writerow([*values, doctrine])
    print(f"wrote {path} ({SAMPLES} conditions x {len(DOCTRINES)} doctrines)")


if __name__ == "__main__":
    main()
