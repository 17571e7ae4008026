"""Morris elementary effects: which of many parameters matter at all (screening).

A Morris design (``[sample] method = "morris"``) is ``r`` trajectories of ``d + 1`` points; each
step of a trajectory moves one parameter by ``delta`` (a share of its range) and keeps the
others. The **elementary effect** of that parameter at that step is the change in the
expected outcome per unit of the parameter's *normalised* range,
``EE = (y(step) - y(step - 1)) / ((x(step) - x(step - 1)) / (high - low))``, so effects of
parameters with different units are comparable: an EE is roughly the change across the whole
sampled range. Over the ``r`` trajectories each parameter gets ``r`` effects, summarised by
(Morris 1991, *Technometrics* 33:161; Campolongo, Cariboni & Saltelli 2007, *Environ Model
Softw* 22:1509):

* ``mu_star``: mean absolute effect, the measure of overall influence used for ranking
  (effects of opposite signs do not cancel);
* ``mu``: mean effect (its sign is the direction when the effect is monotone);
* ``sigma``: standard deviation of the effects: interactions or non-linearity.

Intervals are percentile bootstraps over trajectories (the independent units of the design),
drawn with a seeded generator. The point estimates use the same conventions as SALib's
``morris.analyze`` (a test checks they agree).

**Replication noise.** The outcome at a design point is the mean (rates: pooled) over its
replications, which share seeds across points (common random numbers), so a step's change has
a noise part. Its standard error is estimated from the replications (for a pooled rate by the
delta method), and ``noise`` is the mean absolute elementary effect that noise alone would
give, ``sqrt(2 / pi) x SE / |delta|`` averaged over the parameter's steps (the mean of
``|N(0, SE^2)|``). A parameter whose ``mu_star`` interval lies above its ``noise`` has an
effect that the replications resolve. **Screening rule** (:func:`screen`): a parameter is
*influential* for an outcome when the lower end of its ``mu_star`` interval exceeds its noise
and its ``mu_star`` is at least :data:`RELATIVE_CUT` of the outcome's largest; it is *kept* when
it is influential for any outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.intervals import CONFIDENCE
from sim.analysis.load import DesignKind, Results
from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind

RELATIVE_CUT = 0.1
"""Smallest ``mu_star``, as a share of the outcome's largest, for a parameter to count as
influential (with an interval clear of noise): one tenth, a common screening cut."""

RESAMPLES = 2000
"""Bootstrap resamples of the trajectories."""


@dataclass(frozen=True, slots=True)
class Effects:
    """The elementary effects of one outcome: ``ee[t, i]`` is parameter ``i``'s effect in
    trajectory ``t`` (NaN where the outcome is undefined at either point), ``se[t, i]`` the
    standard error of that step's change from replication noise (NaN with one replication)
    and ``delta[t, i]`` the step in normalised units."""

    parameters: tuple[str, ...]
    ee: np.ndarray
    se: np.ndarray
    delta: np.ndarray


def elementary_effects(x: np.ndarray, y: np.ndarray, ranges: np.ndarray,
                       se: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementary effects from a Morris design's points ``x`` (``r (d + 1)`` rows, in
    trajectory order, in the parameters' own units), outcomes ``y`` and ``ranges``
    (``d`` rows of low, high). ``se`` (optional, one per row pair: the SE of ``y[s] - y[s-1]``,
    indexed by the later row) carries the noise along.

    Returns ``(ee, se, delta)``, each ``r x d``. Raises :class:`UserError` when two
    consecutive points do not differ in exactly one parameter (not a Morris design).
    """
    rows, d = x.shape
    if rows % (d + 1):
        raise UserError(f"{rows} points is not a whole number of trajectories of {d + 1} points")
    r = rows // (d + 1)
    width = ranges[:, 1] - ranges[:, 0]
    xt = ((x - ranges[:, 0]) / width).reshape(r, d + 1, d)
    yt = np.asarray(y, dtype=float).reshape(r, d + 1)
    st = None if se is None else np.asarray(se, dtype=float).reshape(r, d + 1)
    ee = np.full((r, d), math.nan)
    noise = np.full((r, d), math.nan)
    delta = np.full((r, d), math.nan)
    for t in range(r):
        steps = np.diff(xt[t], axis=0)  # d x d: row s is step s + 1
        moved = np.abs(steps) > 1e-12
        if not np.all(moved.sum(axis=1) == 1) or not np.all(moved.sum(axis=0) == 1):
            raise UserError(f"trajectory {t}: consecutive points must differ in exactly one "
                            "parameter, each parameter once (not a Morris design)")
        which = moved.argmax(axis=1)
        step = steps[np.arange(d), which]
        delta[t, which] = step
        ee[t, which] = np.diff(yt[t]) / step
        if st is not None:
            noise[t, which] = st[t, 1:]
    return ee, noise, delta


def indices(ee: np.ndarray) -> dict[str, np.ndarray]:
    """``mu``, ``mu_star``, ``sigma`` (sample SD, ddof 1) and ``effects`` per parameter,
    ignoring undefined effects."""
    ok = np.isfinite(ee)
    count = ok.sum(axis=0)
    e = np.where(ok, ee, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = e.sum(axis=0) / count
        mu_star = np.abs(e).sum(axis=0) / count
        sigma = np.sqrt(np.where(ok, (ee - mu) ** 2, 0.0).sum(axis=0) / (count - 1))
    return {"mu": mu, "mu_star": mu_star, "sigma": sigma, "effects": count}


def bootstrap(ee: np.ndarray, confidence: float = CONFIDENCE, *, resamples: int = RESAMPLES,
              rng: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Percentile intervals of ``mu``, ``mu_star`` and ``sigma``, resampling trajectories."""
    r, _ = ee.shape
    ok = np.isfinite(ee)
    e = np.where(ok, ee, 0.0)
    w = np.random.default_rng(rng).multinomial(r, np.full(r, 1.0 / r), size=resamples)
    with np.errstate(invalid="ignore", divide="ignore"):
        count = w @ ok
        mu = (w @ e) / count
        mu_star = (w @ np.abs(e)) / count
        centred = np.where(ok, ee, np.nan)[None] - mu[:, None, :]
        var = np.einsum("br,brd->bd", w, np.nan_to_num(centred) ** 2) / (count - 1)
        sigma = np.sqrt(var)
    tail = (1 - confidence) / 2
    out = {}
    for name, draws in (("mu", mu), ("mu_star", mu_star), ("sigma", sigma)):
        out[name] = (np.nanquantile(draws, tail, axis=0), np.nanquantile(draws, 1 - tail, axis=0))
    return out


def effects(results: Results, outcome: str) -> Effects:
    """The elementary effects of ``outcome`` in a Morris results folder."""
    design = results.design
    if design.kind is not DesignKind.MORRIS:
        raise UserError(f"{results.directory}: elementary effects need a Morris design "
                        "([sample] method = \"morris\")")
    params = design.parameters
    d = len(params)
    assert design.n is not None
    size = design.n * (d + 1)
    x = (results.runs.groupby("point_id", sort=True)[list(params)].first()
         .reindex(range(size)).to_numpy(float))
    if np.isnan(x).any():
        raise UserError(f"{results.directory}: runs.parquet lacks some of the {size} design "
                        "points of the Morris design")
    y, se = point_change_noise(results.ok, outcome, size)
    ranges = np.array([design.ranges[p] for p in params], dtype=float)
    ee, noise, delta = elementary_effects(x, y, ranges, se)
    return Effects(params, ee, noise, delta)


def point_change_noise(runs: pd.DataFrame, outcome: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Each design point's expected outcome (mean over replications, pooled for rates) and
    the standard error of its change from the previous point (paired by replication).

    For a pooled rate ``R = sum N_k / sum D_k`` the change's replication terms are the
    influence values ``(N_k - R D_k) / mean(D)`` (the delta method); for a mean, the
    replication's values. With one replication the SE is NaN.
    """
    spec = BY_NAME.get(outcome)
    if outcome not in runs.columns:
        raise UserError(f"{outcome}: not a column of runs.parquet")
    if spec is not None and spec.kind is Kind.RATE:
        assert spec.numerator is not None and spec.denominator is not None
        num = _grid(runs, spec.numerator, size)
        den = _grid(runs, spec.denominator, size)
        total = np.nansum(den, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(total > 0, np.nansum(num, axis=1) / total, math.nan)
            terms = (num - y[:, None] * den) / (total / np.isfinite(den).sum(axis=1))[:, None]
    else:
        values = _grid(runs, outcome, size)
        with np.errstate(invalid="ignore"):
            y = np.nanmean(values, axis=1) if values.size else np.full(size, math.nan)
        terms = values - y[:, None]
    diff = np.diff(terms, axis=0, prepend=np.nan)
    k = np.isfinite(diff).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.nansum(diff**2, axis=1) / (k * (k - 1)))
    se[k < 2] = math.nan
    return y, se


def _grid(runs: pd.DataFrame, column: str, size: int) -> np.ndarray:
    """``column`` as a points x replications array (NaN where a run failed or is missing)."""
    table = runs.pivot_table(index="point_id", columns="replication", values=column,
                             aggfunc="first", dropna=False)
    return table.reindex(range(size)).to_numpy(float)


def morris_table(results: Results, outcome: str, confidence: float = CONFIDENCE, *,
                 resamples: int = RESAMPLES, rng: int = 0) -> pd.DataFrame:
    """``mu_star``, ``mu`` and ``sigma`` with bootstrap intervals, the noise level and the
    screening verdict of every parameter for ``outcome``, ranked by ``mu_star``."""
    eff = effects(results, outcome)
    if not np.isfinite(eff.ee).any():
        raise UserError(f"{outcome}: undefined at every design point; no elementary effects")
    point = indices(eff.ee)
    boot = bootstrap(eff.ee, confidence, resamples=resamples, rng=rng)
    per_step = eff.se / np.abs(eff.delta)
    known = np.isfinite(per_step)
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN: one replication, no estimate
        noise = np.sqrt(2 / math.pi) * np.where(known, per_step, 0).sum(axis=0) / known.sum(axis=0)
    frame = pd.DataFrame({
        "parameter": list(eff.parameters),
        "mu_star": point["mu_star"], "mu_star_low": boot["mu_star"][0],
        "mu_star_high": boot["mu_star"][1],
        "mu": point["mu"], "mu_low": boot["mu"][0], "mu_high": boot["mu"][1],
        "sigma": point["sigma"], "sigma_low": boot["sigma"][0], "sigma_high": boot["sigma"][1],
        "noise": noise, "effects": point["effects"],
    })
    return screen(frame).sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)


def screen(frame: pd.DataFrame, cut: float = RELATIVE_CUT) -> pd.DataFrame:
    """Add ``relative`` (mu_star over the largest) and ``influential`` (see the module)."""
    top = frame["mu_star"].max()
    out = frame.copy()
    out["relative"] = frame["mu_star"] / top if top > 0 else 0.0
    clear = ~(frame["mu_star_low"] <= frame["noise"])  # no noise estimate: the cut alone
    out["influential"] = clear & (out["relative"] >= cut)
    return out


def kept(table: pd.DataFrame) -> list[str]:
    """Parameters influential for at least one outcome of a Morris table (long, with
    ``outcome``), ordered by their largest relative ``mu_star``."""
    best = table.groupby("parameter")["relative"].max()
    chosen = table.loc[table["influential"], "parameter"].unique()
    return sorted(chosen, key=lambda p: -best[p])


def screen_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per parameter: kept or not, for which outcomes, and its largest relative mu*."""
    rows = []
    for parameter, group in table.groupby("parameter", sort=False):
        best = group.loc[group["relative"].idxmax()]
        rows.append({
            "parameter": parameter,
            "kept": bool(group["influential"].any()),
            "influential_for": ", ".join(group.loc[group["influential"], "outcome"]),
            "relative": float(best["relative"]),
            "most_for": best["outcome"],
        })
    frame = pd.DataFrame(rows)
    return frame.sort_values(["kept", "relative"], ascending=False, kind="stable").reset_index(drop=True)
