"""Replication planning: how many replications give an interval of a chosen width.

From a pilot (a few replications at some design points), each point's outcome is summarised
by the standard deviation ``s`` of its per-replication contributions: for a mean, the
replications' values; for a pooled rate ``R = sum N_k / sum D_k``, the linearised
contributions ``(N_k - R D_k) / mean(D)`` (the delta method for a ratio estimator, with the
replication as the cluster, as the analysis's intervals have it). With ``m`` replications the
interval is ``estimate +- t(m - 1) s / sqrt(m)``, so the replications needed for a full width
``w`` are the smallest ``m >= 2`` with ``2 t(m - 1) s / sqrt(m) <= w`` (Student t at the
chosen confidence; Law 2015, *Simulation Modeling and Analysis*, 9.4.1).

The pilot's ``s`` is itself uncertain; its ``confidence`` interval from the chi-square law of
``(n - 1) s^2 / sigma^2`` turns into a range for ``m`` (``m_low`` to ``m_high``): plan on
``m_high`` to be sure. For a rate, the chi-square range assumes roughly normal
contributions, so it is approximate with a short pilot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind

MAX_REPLICATIONS = 1_000_000
"""The sweep's own limit on replications (also the cap of a plan)."""


def contributions(runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per design point and replication: the outcome's contribution (see the module);
    columns point_id, replication, value, and estimate (the point's mean or pooled rate)."""
    spec = BY_NAME.get(outcome)
    if spec is None or outcome not in runs.columns:
        raise UserError(f"--outcome: got {outcome!r}; allowed: an outcome name (see "
                        "`warnsim run --json`)")
    frame = runs[["point_id", "replication"]].copy()
    if spec.kind is Kind.RATE:
        assert spec.numerator is not None and spec.denominator is not None
        frame["n"] = runs[spec.numerator].to_numpy(float)
        frame["d"] = runs[spec.denominator].to_numpy(float)
        sums = frame.groupby("point_id")[["n", "d"]].transform("sum")
        counts = frame.groupby("point_id")["d"].transform("count")
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = sums["n"] / sums["d"].where(sums["d"] > 0)
            frame["value"] = (frame["n"] - rate * frame["d"]) / (sums["d"] / counts)
        frame["estimate"] = rate
    else:
        frame["value"] = runs[outcome].to_numpy(float)
        frame = frame[np.isfinite(frame["value"])]
        frame["estimate"] = frame.groupby("point_id")["value"].transform("mean")
    return frame[["point_id", "replication", "value", "estimate"]]


def replications_for(sd: float, width: float, confidence: float) -> int:
    """The smallest m >= 2 with 2 t(m - 1) sd / sqrt(m) <= width (capped)."""
    if not sd > 0:
        return 2
    q = 0.5 + confidence / 2
    z = stats.norm.ppf(q)
    if 2 * z * sd / width > math.sqrt(MAX_REPLICATIONS):  # beyond the cap (and squaring a
        return MAX_REPLICATIONS  # tiny width's ratio would overflow)
    m = max(2, math.ceil((2 * z * sd / width) ** 2))  # the normal answer, a lower bound
    while m < MAX_REPLICATIONS and 2 * stats.t.ppf(q, m - 1) * sd / math.sqrt(m) > width:
        m = max(m + 1, math.ceil((2 * stats.t.ppf(q, m - 1) * sd / width) ** 2))
    return min(m, MAX_REPLICATIONS)


@dataclass(frozen=True, slots=True)
class Plan:
    """Replications needed per pilot point, and for every point at once (the largest)."""

    outcome: str
    width: float
    confidence: float
    table: pd.DataFrame

    @property
    def needed(self) -> int:
        return int(self.table["replications"].max())

    @property
    def needed_high(self) -> int:
        return int(self.table["replications_high"].max())


def plan_replications(runs: pd.DataFrame, outcome: str, width: float,
                      confidence: float = 0.95) -> Plan:
    """Replications for an interval of full ``width`` on ``outcome`` at each point of the pilot
    ``runs`` (finished runs with point_id and replication)."""
    if not (math.isfinite(width) and width > 0):
        raise UserError(f"--width: got {width}; allowed: a number > 0 (the full width of the "
                        "interval, in the outcome's unit)")
    if not 0 < confidence < 1:
        raise UserError(f"--confidence: got {confidence}; allowed: a number in (0, 1)")
    parts = contributions(runs, outcome)
    rows = []
    tail = (1 - confidence) / 2
    for point_id, group in parts.groupby("point_id", sort=True):
        values = group["value"].to_numpy(float)
        values = values[np.isfinite(values)]
        n = len(values)
        if n < 2:
            continue
        sd = float(np.std(values, ddof=1))
        # The chi-square interval of sigma from n - 1 degrees of freedom.
        sd_low = sd * math.sqrt((n - 1) / stats.chi2.ppf(1 - tail, n - 1))
        sd_high = sd * math.sqrt((n - 1) / stats.chi2.ppf(tail, n - 1))
        q = 0.5 + confidence / 2
        rows.append({
            "point_id": int(point_id), "pilot": n, "estimate": float(group["estimate"].iloc[0]),
            "sd": sd, "pilot_width": 2 * stats.t.ppf(q, n - 1) * sd / math.sqrt(n),
            "replications": replications_for(sd, width, confidence),
            "replications_low": replications_for(sd_low, width, confidence),
            "replications_high": replications_for(sd_high, width, confidence),
        })
    if not rows:
        raise UserError(f"{outcome}: no pilot point has two replications with a value; "
                        "use a longer pilot (--pilot) or longer runs")
    return Plan(outcome, width, confidence, pd.DataFrame(rows))
