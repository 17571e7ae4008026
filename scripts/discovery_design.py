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
    "action_cost": (0.0, 0.5),
    "stake_cost": (0.05, 0.5),
    "face_cost": (0.0, 2.0),
    "false_lead_rate": (0.0, 4.0),
    "fabrication_rate": (0.0, 0.005),
    "rivalry_gain": (0.5, 6.0),
    "reputation_weight": (0.05, 1.0),
    "suspicion_bias": (0.0, 5.0),
    "burn_risk": (0.0, 1.0),
    "interdiction_effect": (0.1, 0.8),
    "opportunism": (0.0, 0.6),
    "rival_action_cost": (0.0, 6.0),
}
"""The conditions and their ranges. Recipients' suspicion of rivals is derived from senders'
incentives (sim.inference.rational_suspicion), so what drives it is sampled: the gain from a
rival's losses (rivalry_gain), the weight of reputation (reputation_weight) and the price of
protective action per death at stake (stake_cost), the three unsourced values the rivalry
gradient is steepest in (docs/ODD.md 4.2), over the ranges of experiments/morris.toml; a
declared bias beyond the derived suspicion (suspicion_bias) runs from none to the validation's
unfounded-suspicion world (5). The face cost and the political cost of acting on a rival's
warning (rival_action_cost), 0 at the defaults, keep the ranges they had when their defaults
were 0.5 and 3; the fixed part of the action's cost (action_cost) runs from its default 0 to
0.5, as in experiments/morris.toml."""
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
