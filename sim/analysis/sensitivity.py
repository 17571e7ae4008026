"""Global sensitivity of outcomes to the sampled parameters.

* **Sobol indices** for Saltelli designs (``[sample] method = "sobol"``). First-order index
  S1_i: the share of output variance explained by parameter i alone; total index ST_i: the
  share involving i, interactions included (Saltelli et al. 2010, *Comput Phys Commun*
  181:259). The sweep already ran the model at the design's points, so the indices are
  computed from those precomputed evaluations ``f_A``, ``f_B``, ``f_AB`` with the estimators of
  :func:`scipy.stats.sobol_indices`
  (Saltelli 2010 estimator for S1, Jansen 1999 for ST; see :func:`saltelli_estimates`).
  Intervals are BCa bootstrap intervals over the base rows (:func:`scipy.stats.bootstrap`),
  drawn with a seeded generator so that tables are reproducible.
* **PRCC** (partial rank correlation coefficients) for Latin hypercube designs: the
  correlation of the ranks of parameter i and of the outcome after removing the linear
  effect of the other parameters' ranks; it measures monotone, not only linear, influence
  (Marino et al. 2008, *J Theor Biol* 254:178). Intervals use Fisher's z transform with
  ``n - 3 - (k - 1)`` degrees of freedom for a partial correlation controlling k - 1 variables.

Replications of one design point are averaged first (rates are pooled: sum of numerators over
sum of denominators), so the indices describe the expected outcome, not run-to-run noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.intervals import CONFIDENCE
from sim.analysis.load import DesignKind, Results
from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind

SENSITIVITY_OUTCOMES: tuple[str, ...] = ("heed_rate", "casualties", "net_harm", "trust_in_benevolent")
"""The main outcomes whose sensitivity is tabulated and plotted."""


def point_values(runs: pd.DataFrame, outcome: str) -> pd.Series:
    """The expected outcome at each design point: mean over runs, or pooled for rates."""
    spec = BY_NAME.get(outcome)
    grouped = runs.groupby("point_id", sort=True)
    if spec is not None and spec.kind is Kind.RATE:
        assert spec.numerator is not None and spec.denominator is not None
        sums = grouped[[spec.numerator, spec.denominator]].sum()
        den = sums[spec.denominator].astype(float)
        return (sums[spec.numerator] / den.where(den > 0)).rename(outcome)
    return grouped[outcome].mean().rename(outcome)


def sobol_table(
    results: Results,
    outcome: str,
    confidence: float = CONFIDENCE,
    *,
    resamples: int = 999,
    rng: int = 0,
) -> pd.DataFrame:
    """First-order and total Sobol indices of ``outcome`` with bootstrap intervals."""
    design = results.design
    if design.kind is not DesignKind.SOBOL or design.n is None:
        raise UserError(f"{results.directory}: Sobol indices need a Sobol (Saltelli) design")
    d, n = len(design.parameters), design.n
    values = point_values(results.ok, outcome).reindex(range((d + 2) * n))
    blocks = values.to_numpy(float).reshape(d + 2, n)
    rows = np.all(np.isfinite(blocks), axis=0)
    if rows.sum() < 8:
        raise UserError(f"{outcome}: fewer than 8 complete Saltelli rows; cannot estimate indices")
    return sobol_indices(blocks[:, rows], design.parameters, confidence, resamples=resamples, rng=rng)


def sobol_indices(
    blocks: np.ndarray,
    parameters: tuple[str, ...],
    confidence: float = CONFIDENCE,
    *,
    resamples: int = 999,
    rng: int = 0,
) -> pd.DataFrame:
    """Indices from Saltelli blocks: row 0 = f(A), row 1 = f(B), row 2 + i = f(AB_i)."""
    n = blocks.shape[1]
    point = saltelli_estimates(blocks, np.arange(n))
    if np.ptp(blocks) == 0:
        low = high = point
    else:
        boot = stats.bootstrap(
            (np.arange(n),), lambda idx, axis=-1: saltelli_estimates(blocks, idx),
            method="BCa", confidence_level=confidence, n_resamples=resamples,
            rng=np.random.default_rng(rng), vectorized=True,
        )
        low, high = boot.confidence_interval.low, boot.confidence_interval.high
    return pd.DataFrame({
        "parameter": list(parameters),
        "S1": point[0], "S1_low": low[0], "S1_high": high[0],
        "ST": point[1], "ST_low": low[1], "ST_high": high[1],
        "rows": n,
    })


def saltelli_estimates(blocks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices of the rows ``idx``.

    The same estimators, centring and variance as :func:`scipy.stats.sobol_indices` (a test
    checks they agree), written out because scipy's function insists on a power-of-two row
    count -- which rows dropped for a missing rate, and the jackknife inside a BCa bootstrap,
    both break -- and its ``.bootstrap()`` cannot be seeded. ``idx`` may carry leading batch
    dimensions (resamples); the result has shape ``(2, d, *batch)``.
    """
    sub = blocks[:, idx]
    f_a, f_b, f_ab = sub[0], sub[1], sub[2:]
    both = np.concatenate([f_a, f_b], axis=-1)
    centre = both.mean(axis=-1, keepdims=True)
    var = both.var(axis=-1)
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_b * (f_ab - f_a), axis=-1) / var
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var
    return np.nan_to_num(np.stack([first, total]), nan=0.0, posinf=0.0, neginf=0.0)


def prcc_table(results: Results, outcome: str, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """PRCC of ``outcome`` with each sampled parameter over the design points."""
    design = results.design
    if not design.kind.is_sample:
        raise UserError(f"{results.directory}: PRCC needs a sampled (LHS or Sobol) design")
    ok = results.ok
    x = ok.groupby("point_id", sort=True)[list(design.parameters)].first()
    y = point_values(ok, outcome)
    frame = x.join(y).dropna()
    return prcc(frame[list(design.parameters)], frame[outcome], confidence)


def prcc(x: pd.DataFrame, y: pd.Series | np.ndarray, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Partial rank correlation of ``y`` with each column of ``x`` (Marino et al. 2008)."""
    n, k = x.shape
    q = k - 1  # variables controlled for
    if n < k + 4:
        raise UserError(f"PRCC needs at least {k + 4} design points, got {n}")
    ranks = x.rank().to_numpy(float)
    ry = pd.Series(np.asarray(y, dtype=float)).rank().to_numpy(float)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows = []
    for j, name in enumerate(x.columns):
        others = np.column_stack([np.ones(n), np.delete(ranks, j, axis=1)])
        r = _residual_correlation(ranks[:, j], ry, others)
        half = z / math.sqrt(n - 3 - q)
        fz = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12))
        dof = n - 2 - q
        t = r * math.sqrt(dof / max(1e-300, 1 - r * r))
        rows.append({
            "parameter": name, "prcc": r, "low": math.tanh(fz - half),
            "high": math.tanh(fz + half), "p_value": float(2 * stats.t.sf(abs(t), dof)),
            "points": n,
        })
    return pd.DataFrame(rows)


def _residual_correlation(a: np.ndarray, b: np.ndarray, controls: np.ndarray) -> float:
    coef_a, *_ = np.linalg.lstsq(controls, a, rcond=None)
    coef_b, *_ = np.linalg.lstsq(controls, b, rcond=None)
    ra, rb = a - controls @ coef_a, b - controls @ coef_b
    denom = math.sqrt(float(ra @ ra) * float(rb @ rb))
    return float(ra @ rb) / denom if denom > 0 else math.nan
