"""Confidence intervals for run-level means and for proportions pooled over warnings.

Two kinds of outcome need two kinds of interval:

* **Means over runs** (casualties, attacks, end-of-run trust): runs are independent
  replications, so the bias-corrected and accelerated (BCa) bootstrap (Efron 1987, *JASA*
  82:171) of the mean over runs is used, through :func:`scipy.stats.bootstrap`. It needs no
  normality, which matters for casualties: attack lethality is power-law distributed and the
  run means are skewed.
* **Proportions pooled over warnings** (heed rate = heeded / delivered): the estimate is the
  ratio of sums over runs, so a run with 200 warnings weighs 100 times one with 2, as it
  should. Warnings of one run are *not* independent (they share the run's evolving trust and
  rivalry), so a plain Wilson interval on the pooled counts is falsely narrow. We use the
  **Wilson interval on the Korn-Graubard effective sample size**: as in Korn & Graubard (1998,
  *Survey Methodology* 24:193) the ratio-estimator (linearisation) variance with the run as
  the cluster gives a design effect ``deff`` = clustered variance / binomial variance (floored
  at 1, so clustering never makes an interval narrower than Wilson's) and an effective sample
  size ``N / deff``, itself scaled by ``(z / t_{G-1})^2`` so that few clusters widen the
  interval as a t reference would. Korn & Graubard put a Clopper-Pearson (beta) interval on
  that effective size; we put the Wilson score interval (Wilson 1927, *JASA* 22:209) on it,
  which is less conservative and still covers at the nominal rate. Unlike a cluster bootstrap
  it is deterministic, instant for hundreds of design points, and stays inside [0, 1] with a
  sensible width when no warning (or every warning) was heeded. Its coverage is checked by
  simulation in ``tests/test_analysis_intervals.py``.

  With fewer than two clusters (one run: a ``replications = 1`` sweep) the between-run
  variance cannot be estimated at all, so the bounds are NaN (tables print them empty, or
  ``n/a`` in the ``mean [low, high]`` cells) rather than a binomial interval that would treat
  the run's correlated warnings as independent and be falsely narrow.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

CONFIDENCE = 0.95
_BATCH_CELLS = 4_000_000
"""Resampled values held at once by a bootstrap (32 MB), whatever the number of runs."""


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with a two-sided interval; ``n`` is the number of runs (clusters) behind it."""

    estimate: float
    low: float
    high: float
    n: int

    @classmethod
    def empty(cls, n: int = 0) -> Interval:
        return cls(math.nan, math.nan, math.nan, n)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Pooled:
    """A proportion pooled over clusters and its cluster-robust (linearisation) variance."""

    estimate: float
    variance: float
    trials: int
    clusters: int


def mean_interval(
    values: ArrayLike,
    confidence: float = CONFIDENCE,
    *,
    resamples: int = 1999,
    rng: np.random.Generator | int | None = 0,
) -> Interval:
    """BCa bootstrap interval for the mean of independent run values (NaNs dropped).

    One value gives no interval; identical values give a zero-width one (the bootstrap
    distribution is degenerate). If BCa is undefined (its jackknife acceleration can be for
    extremely skewed small samples) the percentile interval is used instead.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval.empty()
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    if np.ptp(x) == 0:
        return Interval(mean, mean, mean, n)
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap(
                (x,), np.mean, confidence_level=confidence, n_resamples=resamples,
                method=method, rng=rng, vectorized=True, batch=max(1, _BATCH_CELLS // n),
            )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return Interval(mean, low, high, n)
    return Interval(mean, math.nan, math.nan, n)


def wilson_interval(successes: float, trials: float, confidence: float = CONFIDENCE) -> Interval:
    """Wilson score interval for a binomial proportion (``trials`` may be an effective size)."""
    if trials <= 0:
        return Interval.empty()
    p = successes / trials
    low, high = _wilson_bounds(p, trials, _z(confidence))
    return Interval(p, low, high, 1)


def pool(successes: ArrayLike, trials: ArrayLike) -> Pooled:
    """Pooled proportion ``sum(y) / sum(n)`` and its ratio-estimator variance over clusters.

    The variance is the linearisation (sandwich) estimator for a ratio of totals,
    ``G / (G - 1) * sum_i (y_i - p n_i)^2 / N^2`` (Cochran 1977, *Sampling Techniques*, 6.9),
    with clusters (runs) that had no trials dropped. It is NaN with fewer than two clusters.
    """
    y, n = _clean_counts(successes, trials)
    g, total = y.size, float(n.sum())
    if total <= 0:
        return Pooled(math.nan, math.nan, 0, g)
    p = float(y.sum()) / total
    variance = math.nan
    if g >= 2:
        variance = g / (g - 1) * float(np.sum((y - p * n) ** 2)) / total**2
    return Pooled(p, variance, int(total), g)


def pooled_interval(
    successes: ArrayLike, trials: ArrayLike, confidence: float = CONFIDENCE
) -> Interval:
    """Wilson interval on the Korn-Graubard effective sample size, for a proportion pooled
    over runs.

    ``successes[i]`` and ``trials[i]`` are run i's numerator and denominator (heeded and
    delivered warnings). See the module docstring for why this interval. With fewer than two
    clusters the estimate is returned with NaN bounds (no clustered variance exists).
    """
    pooled = pool(successes, trials)
    if pooled.trials == 0:
        return Interval.empty(pooled.clusters)
    p, total, g = pooled.estimate, pooled.trials, pooled.clusters
    z = _z(confidence)
    if g < 2:
        return Interval(p, math.nan, math.nan, g)
    binomial = p * (1 - p) / total
    deff = max(1.0, pooled.variance / binomial) if binomial > 0 else 1.0
    t = stats.t.ppf(0.5 + confidence / 2, df=g - 1)
    effective = total / deff * (z / t) ** 2
    low, high = _wilson_bounds(p, effective, z)
    return Interval(p, low, high, g)


def _wilson_bounds(p: float, n: float, z: float) -> tuple[float, float]:
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _clean_counts(successes: ArrayLike, trials: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    keep = np.isfinite(y) & np.isfinite(n) & (n > 0)
    return y[keep], n[keep]
