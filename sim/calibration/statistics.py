"""Run-level statistics that calibration targets are scored on, one value per design point.

Each statistic is a ratio or difference of **sums over a design point's replications** of a
few per-run quantities (heeded and delivered warnings in a band, deaths and attacks, the heed
probabilities on first warnings). Pooling sums rather than averaging per-run ratios weighs a
run with 200 warnings more than one with 2, as the analysis does everywhere. The interval of
a point's value is a percentile bootstrap over its replications (:func:`evaluate`).

The built-in statistics are the pattern and anchor quantities that can be computed from one
parameter set's own runs (the ``defaults`` study of the validation suite): the share of plots
foiled, deaths per attack, the heed gradient between rivalry bands and the Breznitz cut.
Besides them any declared outcome is a statistic by its name (pooled for rates, the mean over
runs otherwise). Checks of the validation suite (``sim/validation``) plug in the same way once
they are available: a :class:`Statistic` is a name, the per-run quantities it sums and the
function of their totals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind

Totals = Mapping[str, np.ndarray]
"""Sums of each per-run quantity over a point's (resampled) replications; arrays of one shape."""


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic: what it measures, the per-run quantities it sums (``quantities(runs,
    warnings)`` returns one row per run, indexed by ``run_id``) and ``combine(totals)``."""

    name: str
    description: str
    quantities: Callable[[pd.DataFrame, pd.DataFrame | None], pd.DataFrame]
    combine: Callable[[Totals], np.ndarray]
    needs_warnings: bool = False


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, math.nan), where=b != 0)


def _columns(**columns: str) -> Callable[[pd.DataFrame, pd.DataFrame | None], pd.DataFrame]:
    """Per-run quantities that are columns of runs.parquet (new name = column)."""
    def quantities(runs: pd.DataFrame, warnings: pd.DataFrame | None) -> pd.DataFrame:
        return pd.DataFrame({new: runs[old].to_numpy(float) for new, old in columns.items()},
                            index=runs["run_id"].to_numpy())
    return quantities


def _first_warnings(runs: pd.DataFrame, warnings: pd.DataFrame | None) -> pd.DataFrame:
    """Per run: sums of p_heed and of p_heed_after_false_alarm over every dyad's first
    delivered warning (the rows where the warning log's probe column is filled)."""
    assert warnings is not None
    w = warnings[(warnings["delivered_day"] >= 0) & warnings["p_heed"].notna()
                 & warnings["p_heed_after_false_alarm"].notna()]
    sums = w.groupby("run_id")[["p_heed", "p_heed_after_false_alarm"]].sum()
    sums = sums.reindex(runs["run_id"].to_numpy(), fill_value=0.0)
    return sums.rename(columns={"p_heed": "p", "p_heed_after_false_alarm": "fa"})


BUILTIN: dict[str, Statistic] = {s.name: s for s in (
    Statistic("deaths_per_attack", "deaths per attack: sum of casualties / sum of attacks",
              _columns(deaths="casualties", attacks="attacks"),
              lambda t: ratio(t["deaths"], t["attacks"])),
    Statistic("rivalry_gradient",
              "heed rate of low-rivalry dyads (< 1/3) minus that of high-rivalry dyads (>= 2/3), "
              "pooled over warnings",
              _columns(hl="heeded_low_rivalry", dl="delivered_low_rivalry",
                       hh="heeded_high_rivalry", dh="delivered_high_rivalry"),
              lambda t: ratio(t["hl"], t["dl"]) - ratio(t["hh"], t["dh"])),
    Statistic("breznitz",
              "cut in the heed probability after one false alarm (Breznitz 1984): 1 - sum of "
              "p_heed_after_false_alarm / sum of p_heed over every dyad's first delivered warning",
              _first_warnings, lambda t: 1 - ratio(t["fa"], t["p"]), needs_warnings=True),
)}
"""Statistics beyond the outcomes (whose names are statistics too, see :func:`statistic`)."""


def outcome_statistic(name: str) -> Statistic:
    """A declared outcome as a statistic: a pooled rate, or the mean over runs."""
    spec = BY_NAME[name]
    if spec.kind is Kind.RATE:
        assert spec.numerator is not None and spec.denominator is not None
        return Statistic(name, f"{spec.doc} (pooled: sum of {spec.numerator} / sum of "
                         f"{spec.denominator})", _columns(num=spec.numerator, den=spec.denominator),
                         lambda t: ratio(t["num"], t["den"]))

    def quantities(runs: pd.DataFrame, warnings: pd.DataFrame | None) -> pd.DataFrame:
        values = runs[name].to_numpy(float)
        finite = np.isfinite(values)
        return pd.DataFrame({"sum": np.where(finite, values, 0.0), "n": finite.astype(float)},
                            index=runs["run_id"].to_numpy())

    return Statistic(name, f"{spec.doc} (mean over runs)", quantities,
                     lambda t: ratio(t["sum"], t["n"]))


def statistic(name: str, *, origin: str) -> Statistic:
    """The statistic called ``name``: a built-in one or a declared outcome."""
    if name in BUILTIN:
        return BUILTIN[name]
    if name in BY_NAME:
        return outcome_statistic(name)
    raise UserError(f"{origin}: statistic: got {name!r}; allowed: {', '.join(BUILTIN)} or an "
                    "outcome name (see `warnsim run --json`)")


@dataclass(frozen=True, slots=True)
class Values:
    """One statistic at every design point: ``value``, and its bootstrap ``low``/``high``."""

    point_id: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


def evaluate(stat: Statistic, runs: pd.DataFrame, warnings: pd.DataFrame | None, *,
             confidence: float = 0.95, draws: int = 400, seed: int = 0) -> Values:
    """``stat`` at each design point of ``runs`` (finished runs only), with a percentile
    bootstrap interval over the point's replications (``draws`` resamples; NaN draws, where a
    denominator is zero, are left out)."""
    per_run = stat.quantities(runs, warnings)
    names = list(per_run.columns)
    frame = per_run.assign(point_id=runs["point_id"].to_numpy(),
                           replication=runs["replication"].to_numpy())
    points = np.sort(frame["point_id"].unique())
    totals = frame.groupby("point_id", sort=True)[names].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.asarray(stat.combine({n: totals[n].to_numpy() for n in names}), dtype=float)
    low = np.full(len(points), math.nan)
    high = np.full(len(points), math.nan)
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2
    for i, (_, group) in enumerate(frame.groupby("point_id", sort=True)):
        x = group[names].to_numpy(float)
        k = len(x)
        if k < 2:
            continue
        weights = rng.multinomial(k, np.full(k, 1.0 / k), size=draws)
        sums = weights @ x
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = np.asarray(stat.combine({n: sums[:, j] for j, n in enumerate(names)}), float)
        boot = boot[np.isfinite(boot)]
        if boot.size:
            low[i], high[i] = np.quantile(boot, [tail, 1 - tail])
    return Values(points, value, low, high)
