"""Scoring a calibration sweep: every design point against every target.

**Method: rejection sampling from a Latin hypercube of the prior** (approximate Bayesian
computation by rejection, Pritchard et al. 1999; pattern-oriented calibration, Grimm et al.
2005 and Hartig et al. 2011, *Ecol Lett* 14:816). A design point is *accepted* when each
target's statistic, estimated from the point's replications, lies within the target's range;
the accepted points are a sample of the posterior under uniform priors and a uniform kernel.
Why rejection and not ABC-SMC: the whole prior sample is one sweep (parallel, resumable,
Dask-capable like any other), and it is kept, so (1) the share of points meeting each target
and each pair of targets, which shows which targets conflict, is measured over the prior rather
than over populations already concentrated by the other targets, and (2) tightening a
tolerance or adding a target re-scores the same runs (ABC-SMC would re-run its sequence). The
price is efficiency in many dimensions: with more than about ten uncertain parameters or very
tight tolerances few points are accepted, and a second calibration over the accepted region
(narrower ranges) is the remedy.

The **best-supported set** is the accepted point closest to the targets: smallest root mean
square of the targets' distances (each in half-widths of its range, so every target counts
alike; :meth:`~sim.calibration.config.Target.distance`). With noise in each point's
statistics the closest point is partly luck, which is why ``confirm`` re-runs it beside the
defaults with many replications.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.load import Results
from sim.calibration.config import Calibration, Target
from sim.calibration.statistics import Values, evaluate
from sim.params import PARAMETERS


@dataclass(frozen=True, slots=True)
class Scores:
    """Every design point with its parameter values and, per target, the statistic's value
    and interval, whether it meets the target and its distance; ``accepted`` = all met."""

    points: pd.DataFrame
    targets: tuple[Target, ...]
    parameters: tuple[str, ...]
    scale: float

    @property
    def accepted(self) -> pd.DataFrame:
        return self.points[self.points["accepted"]]

    def best(self) -> pd.Series:
        """The accepted point of smallest distance; without any accepted point, the point
        meeting most targets, closest among those (``accepted`` says which it is)."""
        frame = self.points.assign(_unmet=-self.points["targets_met"])
        pool = frame[frame["accepted"]] if frame["accepted"].any() else frame
        order = pool.sort_values(["_unmet", "distance", "point_id"], kind="stable")
        return order.iloc[0].drop("_unmet")


def values_at_points(results: Results, calibration: Calibration) -> dict[str, Values]:
    """Each target's statistic at every design point (finished runs only)."""
    return {t.id: evaluate(t.statistic, results, seed=i) for i, t in enumerate(calibration.targets)}


def score(results: Results, calibration: Calibration, scale: float = 1.0,
          values: dict[str, Values] | None = None) -> Scores:
    """Score every point of a calibration sweep; ``scale`` multiplies every tolerance."""
    values = values if values is not None else values_at_points(results, calibration)
    params = calibration.parameters
    frame = (results.runs.groupby("point_id", sort=True)[list(params)].first().reset_index())
    met_all = np.ones(len(frame), dtype=bool)
    count = np.zeros(len(frame), dtype=int)
    squares = np.zeros(len(frame))
    for t in calibration.targets:
        v = values[t.id]
        at = pd.DataFrame({"point_id": v.point_id, t.id: v.value, f"{t.id}_low": v.low,
                           f"{t.id}_high": v.high})
        frame = frame.merge(at, on="point_id", how="left")
        met = t.met(frame[t.id].to_numpy(), scale)
        frame[f"{t.id}_met"] = met
        met_all &= met
        count += met
        distance = t.distance(frame[t.id].to_numpy(), scale)
        squares += np.where(np.isfinite(distance), distance, np.inf) ** 2
    frame["targets_met"] = count
    frame["accepted"] = met_all
    frame["distance"] = np.sqrt(squares / len(calibration.targets))
    return Scores(frame, calibration.targets, params, scale)


def target_table(scores: Scores) -> pd.DataFrame:
    """Per target: its range, the share of points meeting it, and the share meeting it among
    the points that meet all the others (how much this target alone rejects)."""
    p = scores.points
    n = len(p)
    rows = []
    for t in scores.targets:
        others = np.ones(n, dtype=bool)
        for u in scores.targets:
            if u.id != t.id:
                others &= p[f"{u.id}_met"].to_numpy()
        met = p[f"{t.id}_met"].to_numpy()
        shown = t.describe()
        if scores.scale != 1 and t.value is not None and t.tolerance is not None:
            shown = f"{t.value:g} +- {scores.scale * t.tolerance:g}"
        rows.append({
            "target": t.id, "measure": t.statistic.name, "accepted_range": shown,
            "share_met": float(met.mean()) if n else math.nan,
            "share_met_given_others": float(met[others].mean()) if others.any() else math.nan,
            "points_undefined": int(np.isnan(p[t.id].to_numpy(float)).sum()),
            "median_value": float(np.nanmedian(p[t.id])) if p[t.id].notna().any() else math.nan,
            "source": t.source,
        })
    return pd.DataFrame(rows)


def conflict_table(scores: Scores) -> pd.DataFrame:
    """Every pair of targets: shares meeting each and both, and the lift P(both) / (P(a)
    P(b)): below 1 the targets pull the parameters apart (tension), 0 with both shares
    positive means no point meets both (conflict)."""
    p = scores.points
    rows = []
    for a, b in itertools.combinations(scores.targets, 2):
        ma, mb = p[f"{a.id}_met"].to_numpy(), p[f"{b.id}_met"].to_numpy()
        sa, sb, both = ma.mean(), mb.mean(), (ma & mb).mean()
        lift = both / (sa * sb) if sa > 0 and sb > 0 else math.nan
        verdict = ("conflict" if sa > 0 and sb > 0 and both == 0 else
                   "tension" if lift < 0.8 else "compatible" if math.isfinite(lift) else
                   "undetermined")
        rows.append({"target_a": a.id, "target_b": b.id, "share_a": sa, "share_b": sb,
                     "share_both": both, "lift": lift, "verdict": verdict})
    # one target has no pair: an empty table that still has its columns
    return pd.DataFrame(rows, columns=["target_a", "target_b", "share_a", "share_b",
                                       "share_both", "lift", "verdict"])


def posterior_table(scores: Scores, ranges: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Per parameter: prior range, default, the accepted points' median and 5-95% range
    (and how much narrower than the prior that range is), and the best-supported value."""
    best = scores.best()
    acc = scores.accepted
    rows = []
    for name in scores.parameters:
        low, high = ranges[name]
        values = acc[name].to_numpy(float)
        q05, q50, q95 = (np.quantile(values, [0.05, 0.5, 0.95]) if len(values)
                         else (math.nan,) * 3)
        rows.append({
            "parameter": name, "prior_low": low, "prior_high": high,
            "default": PARAMETERS[name].default, "posterior_median": q50,
            "posterior_q05": q05, "posterior_q95": q95,
            "width_share": (q95 - q05) / (high - low) if len(values) else math.nan,
            "best": best[name],
        })
    return pd.DataFrame(rows)
