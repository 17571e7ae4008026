"""Per-design-point summaries of every outcome: n, mean, SD over runs and a 95% interval.

Counts, amounts and means get a bootstrap interval of the mean over runs; rates get the
pooled estimate (sum of numerators over sum of denominators) with the run-clustered Wilson
interval (see :mod:`sim.analysis.intervals`). The ``sd_per_run`` column is the SD of the
per-run values over runs; for a rate these are the unweighted per-run rates, so it describes
run-to-run spread and is *not* the standard error of the pooled ``mean`` next to it. With
fewer than two runs ``low`` and ``high`` are empty (no interval can be estimated). For sampled designs (LHS, Sobol) every point is
distinct and has only a few replications, so one row per outcome summarises the whole design.
The experiment's own ``[metrics]`` (recorded in the manifest) are summarised after the
declared outcomes, as means with a bootstrap interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.intervals import CONFIDENCE, mean_interval, pooled_interval
from sim.analysis.load import Results
from sim.outcomes import OUTCOMES, Kind, Outcome

KEY_OUTCOMES: tuple[str, ...] = (
    "heed_rate", "warnings_sent", "false_alarm_share", "casualties", "net_harm", "foiled_share",
    "trust_in_benevolent",
)
"""The outcomes of the short printed table (the full summary has every outcome)."""


def point_frame(results: Results) -> pd.DataFrame:
    """One row per design point: ``point_id`` and the swept parameter values."""
    params = list(results.design.parameters)
    return results.runs.groupby("point_id", sort=True)[params].first().reset_index()


def summarise(results: Results, confidence: float = CONFIDENCE, *, pooled: bool = False) -> pd.DataFrame:
    """Long table: one row per (design point, outcome) with n, mean, sd, low, high; with
    ``pooled`` (always for a sampled design) one row per outcome over all points."""
    runs = results.ok
    outcomes = [o for o in OUTCOMES if o.name in runs.columns] + metric_outcomes(results)
    if pooled or results.design.kind.is_sample:
        groups = [({"point_id": "all"}, runs)]
    else:
        points = point_frame(results).set_index("point_id")
        groups = [
            ({"point_id": pid, **points.loc[pid].to_dict()}, group)
            for pid, group in runs.groupby("point_id", sort=True)
        ]
    rows = [
        {**labels, **describe(group, outcome, confidence)}
        for labels, group in groups
        for outcome in outcomes
    ]
    return pd.DataFrame(rows)


def metric_outcomes(results: Results) -> list[Outcome]:
    """The experiment's ``[metrics]`` columns, as outcomes to summarise (means over runs)."""
    metrics = results.manifest.get("experiment", {}).get("metrics") or {}
    return [Outcome(name, Kind.AMOUNT, name, f"your metric: {text}")
            for name, text in metrics.items() if name in results.runs.columns]


def describe(runs: pd.DataFrame, outcome: Outcome, confidence: float = CONFIDENCE) -> dict:
    """n, mean, SD over runs and interval of one outcome over ``runs`` (pooled for rates)."""
    values = runs[outcome.name].astype(float)
    if outcome.kind is Kind.RATE:
        assert outcome.numerator is not None and outcome.denominator is not None
        iv = pooled_interval(runs[outcome.numerator], runs[outcome.denominator], confidence)
        method = "clustered Wilson"
    else:
        iv = mean_interval(values, confidence)
        method = "BCa bootstrap"
    finite = values[np.isfinite(values)]
    return {
        "outcome": outcome.name, "unit": outcome.unit, "n": iv.n, "mean": iv.estimate,
        "sd_per_run": float(finite.std(ddof=1)) if finite.size > 1 else np.nan,
        "low": iv.low, "high": iv.high, "interval": method,
    }


def key_table(summary: pd.DataFrame, outcomes: tuple[str, ...] = KEY_OUTCOMES) -> pd.DataFrame:
    """Wide table: one row per point, and for each key outcome its estimate and interval
    bounds (columns ``O``, ``O_low``, ``O_high``; the printed tables put each interval in
    brackets beside its estimate)."""
    present = [o for o in outcomes if o in set(summary["outcome"])]
    labels = [c for c in summary.columns if c not in _DESCRIBE_COLUMNS]
    sub = summary[summary["outcome"].isin(present)]
    firsts = sub.groupby(labels[0], sort=True)[labels[1:]].first()
    columns = {}
    for outcome in present:
        rows = sub[sub["outcome"] == outcome].set_index(labels[0])
        columns[outcome] = rows["mean"].astype(float)
        columns[f"{outcome}_low"] = rows["low"].astype(float)
        columns[f"{outcome}_high"] = rows["high"].astype(float)
    return firsts.join(pd.DataFrame(columns)).reset_index()


_DESCRIBE_COLUMNS = {"outcome", "unit", "n", "mean", "sd_per_run", "low", "high", "interval"}
