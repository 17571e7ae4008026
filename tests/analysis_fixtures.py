"""Small synthetic results folders in the sweep's documented format, for the analysis tests.

The values come from a toy generator (not the model), with a planted dependence of the heed
probability on rivalry, so tests know what the analysis should find. Written exactly as the
sweep engine writes them: runs.parquet, warnings.parquet, timeseries.parquet, manifest.json.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outcomes import BANDS, OUTCOMES, Kind
from sim.params import ModelParams
from sim.run import WARNING_COLUMNS


def heed_probability(rivalry: float) -> float:
    """The planted truth: heed probability falls linearly from 0.85 to 0.25 with rivalry."""
    return 0.85 - 0.6 * rivalry


def write_results(
    directory: Path,
    points: list[dict],
    *,
    kind: str = "grid",
    replications: int = 6,
    days: int = 30,
    n: int | None = None,
    ranges: dict | None = None,
    seed: int = 1,
) -> Path:
    """Write a results folder for ``points`` (dicts of swept values) and return its path."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    parameters = list(points[0])
    base = ModelParams().to_dict()
    runs, logs, series = [], [], []
    for run_id, (point_id, rep) in enumerate(itertools.product(range(len(points)), range(replications))):
        values = {**base, **points[point_id]}
        outcomes, log = _outcomes(values, rng)
        runs.append({
            "run_id": run_id, "point_id": point_id, "replication": rep, "seed": 1000 + rep,
            "days": days, "scenario": "default", **values, **outcomes, "status": "ok", "error": "",
        })
        logs.append(log.assign(run_id=run_id))
        series.append(_series(run_id, values, days, rng))
    frame = pd.DataFrame(runs)
    frame.to_parquet(directory / "runs.parquet")
    log = pd.concat(logs, ignore_index=True)
    # Columns the toy generator does not model are empty, as the sweep writes them when unused.
    log = log.reindex(columns=["run_id", *WARNING_COLUMNS], fill_value="")
    log.to_parquet(directory / "warnings.parquet")
    pd.concat(series, ignore_index=True).to_parquet(directory / "timeseries.parquet")
    design = {"kind": kind, "parameters": parameters}
    if ranges is not None:
        design |= {"ranges": ranges, "n": n}
    manifest = {
        "experiment": {"name": directory.name, "question": "synthetic", "scenario": "default",
                       "days": days, "replications": replications, "seed": seed, "fixed": {}},
        "design": design,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def grid_results(directory: Path, replications: int = 6) -> Path:
    """A 3 x 2 grid over rivalry and specificity_threshold."""
    points = [
        {"rivalry": r, "specificity_threshold": s}
        for r, s in itertools.product([0.0, 0.5, 1.0], [0.0, 0.67])
    ]
    return write_results(directory, points, replications=replications)


def _outcomes(values: dict, rng: np.random.Generator) -> tuple[dict, pd.DataFrame]:
    rivalry = float(values["rivalry"])
    out: dict[str, float] = {o.name: float(rng.poisson(3)) for o in OUTCOMES if o.kind is Kind.COUNT}
    out |= {o.name: float(rng.pareto(2.4) * 50) for o in OUTCOMES if o.kind is Kind.AMOUNT}
    out |= {o.name: float(rng.beta(4, 4)) for o in OUTCOMES if o.kind is Kind.MEAN}
    out["mean_trust"] = float(np.clip(0.8 - 0.5 * rivalry + rng.normal(0, 0.03), 0, 1))
    out["trust_in_benevolent"] = float(np.clip(out["mean_trust"] + 0.05, 0, 1))
    delivered = int(rng.poisson(25)) + 1
    dyad = np.clip(rivalry + rng.normal(0, 0.1, delivered), 0, 1)
    run_p = np.clip(heed_probability(rivalry) + rng.normal(0, 0.05), 0.01, 0.99)
    heeded = rng.random(delivered) < np.clip(run_p + 0.6 * (rivalry - dyad), 0, 1)
    out |= {"warnings_delivered": delivered, "warnings_heeded": int(heeded.sum())}
    out["warnings_sent"] = delivered + int(rng.poisson(2))
    for band in BANDS:
        mask = np.array([_band(x) == band for x in dyad])
        out[f"delivered_{band}_rivalry"] = int(mask.sum())
        out[f"heeded_{band}_rivalry"] = int(heeded[mask].sum())
    for o in OUTCOMES:
        if o.kind is Kind.RATE:
            den = out[o.denominator]
            out[o.numerator] = min(out[o.numerator], den)
            out[o.name] = out[o.numerator] / den if den > 0 else np.nan
    waived = 3
    log = pd.DataFrame({
        "warning_id": np.arange(delivered + waived),
        "day": rng.integers(0, 30, delivered + waived),
        "sender": "A1", "recipient": "B1", "plot_id": -1, "is_real": True, "fabricated": False,
        "credibility": 0.7, "details_known": 2, "details_passed": 1, "timing": True,
        "location": False, "perpetrators": False,
        "channel": ["private"] * delivered + [""] * waived,
        "waiver_reason": [""] * delivered + ["sources_at_risk"] * waived,
        "rivalry": np.concatenate([dyad, np.full(waived, rivalry)]),
        "delivered_day": np.concatenate([np.full(delivered, 3), np.full(waived, -1)]),
        "perceived_intent": 0.6, "perceived_credibility": 0.6, "corroborated": False,
        "heed_probability": 0.5,
        "heeded": pd.array(list(heeded) + [None] * waived, dtype="object"),
        "confirmed": None,
    })
    return out, log


def _band(rivalry: float) -> str:
    return BANDS[min(int(rivalry * 3), 2)]


def _series(run_id: int, values: dict, days: int, rng: np.random.Generator) -> pd.DataFrame:
    day = np.arange(days)
    trust = np.clip(0.8 - 0.5 * float(values["rivalry"]) + np.cumsum(rng.normal(0, 0.01, days)), 0, 1)
    counts = np.cumsum(rng.poisson(0.5, days))
    return pd.DataFrame({
        "run_id": run_id, "day": day, "mean_trust": trust, "mean_trust_low_rivalry": trust,
        "mean_trust_mid_rivalry": trust, "mean_trust_high_rivalry": trust,
        "trust_in_benevolent": trust, "trust_in_manipulators": trust / 2,
        "mean_rivalry": float(values["rivalry"]), "warnings_sent": counts,
        "warnings_heeded": counts // 2, "attacks": counts // 3, "casualties": counts * 2,
        "interdicted": counts // 4, "deterred": counts // 5,
    })
