"""Comparisons of a pooled rate (the heed rate) across ordered levels, and its regression.

All three analyses treat the **run as the cluster**: warnings of one run share its trust
history, so counting them as independent would make every interval falsely narrow.

* :func:`trend_test` -- the slope of the rate on the level (e.g. rivalry), i.e. the risk
  difference per unit, from weighted least squares of each cell's rate on its level with
  weights = trials. Without clustering this is the Cochran-Armitage test for trend
  (Cochran 1954, *Biometrics* 10:417; Armitage 1955, *Biometrics* 11:375), which is the score
  test of exactly this linear-probability slope. Its variance here is the cluster-robust
  sandwich (Liang & Zeger 1986, *Biometrika* 73:13; Cameron & Miller 2015, *J Hum Resour*
  50:317) with a t reference on G - 1 degrees of freedom.
* :func:`pairwise` -- all pairwise differences between levels: risk differences and odds
  ratios with intervals from the cluster linearisation (delta-method) variance, and p-values
  adjusted for multiple comparisons with Holm's step-down method (Holm 1979, *Scand J Stat*
  6:65), which controls the family-wise error rate without Bonferroni's loss of power.
* :func:`heed_regression` -- a warning-level logistic regression of heeded on the dyad's
  rivalry and the other swept parameters, with run-clustered standard errors. It uses
  statsmodels (``GLM(..., Binomial()).fit(cov_type="cluster")``): scipy has no generalised
  linear model, let alone cluster-robust covariances, and statsmodels is the maintained,
  tested implementation of both.

Design points share random-number streams by replication (common random numbers), which
correlates runs of different points positively; treating them as independent, as here, makes
intervals for differences between points conservative, never anti-conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.intervals import CONFIDENCE, pooled_interval
from sim.analysis.load import Results
from sim.errors import UserError
from sim.outcomes import BANDS, BY_NAME, Kind

CELL_COLUMNS = ("cluster", "level", "successes", "trials")
"""A *cells* frame: one row per (run, level) with the numerator and denominator of a rate."""


@dataclass(frozen=True, slots=True)
class Trend:
    """Linear trend of a pooled rate across ordered levels (risk difference per unit level)."""

    slope: float
    low: float
    high: float
    statistic: float
    p_value: float
    clusters: int
    trials: int


def rate_columns(outcome: str) -> tuple[str, str]:
    """The numerator and denominator columns of a RATE outcome."""
    spec = BY_NAME.get(outcome)
    if spec is None or spec.kind is not Kind.RATE:
        raise UserError(f"{outcome!r} is not a rate outcome")
    assert spec.numerator is not None and spec.denominator is not None
    return spec.numerator, spec.denominator


def cells_by_parameter(runs: pd.DataFrame, parameter: str, outcome: str = "heed_rate") -> pd.DataFrame:
    """One cell per run: the run's value of ``parameter`` and its rate counts."""
    num, den = rate_columns(outcome)
    cells = pd.DataFrame({
        "cluster": runs["run_id"].to_numpy(),
        "level": runs[parameter].astype(float).to_numpy(),
        "successes": runs[num].astype(float).to_numpy(),
        "trials": runs[den].astype(float).to_numpy(),
    })
    return cells[cells["trials"] > 0].reset_index(drop=True)


def cells_by_band(runs: pd.DataFrame) -> pd.DataFrame:
    """Three cells per run, one per rivalry band (level 0 = low, 1 = mid, 2 = high)."""
    parts = [
        pd.DataFrame({
            "cluster": runs["run_id"].to_numpy(),
            "level": float(i),
            "successes": runs[f"heeded_{band}_rivalry"].astype(float).to_numpy(),
            "trials": runs[f"delivered_{band}_rivalry"].astype(float).to_numpy(),
        })
        for i, band in enumerate(BANDS)
    ]
    cells = pd.concat(parts, ignore_index=True)
    return cells[cells["trials"] > 0].reset_index(drop=True)


def rate_by_level(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Pooled rate and its clustered interval at each level."""
    rows = []
    for level, group in cells.groupby("level", sort=True):
        iv = pooled_interval(group["successes"], group["trials"], confidence)
        rows.append({
            "level": level, "rate": iv.estimate, "low": iv.low, "high": iv.high,
            "runs": iv.n, "trials": int(group["trials"].sum()),
        })
    return pd.DataFrame(rows)


def trend_test(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> Trend:
    """Cluster-robust linear trend of the pooled rate in ``level`` (see the module docstring)."""
    from statsmodels.regression.linear_model import WLS

    clusters = pd.factorize(cells["cluster"])[0]
    g = int(clusters.max()) + 1 if len(cells) else 0
    if g < 3 or cells["level"].nunique() < 2:
        raise UserError("a trend test needs at least two levels and three runs with trials")
    rate = cells["successes"].to_numpy(float) / cells["trials"].to_numpy(float)
    x = np.column_stack([np.ones(len(cells)), cells["level"].to_numpy(float)])
    fit = WLS(rate, x, weights=cells["trials"].to_numpy(float)).fit(
        cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True
    )
    low, high = fit.conf_int(alpha=1 - confidence)[1]
    return Trend(
        slope=float(fit.params[1]), low=float(low), high=float(high),
        statistic=float(fit.tvalues[1]), p_value=float(fit.pvalues[1]), clusters=g,
        trials=int(cells["trials"].sum()),
    )


def pairwise(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Every pair of levels: risk difference and odds ratio with intervals, Holm-adjusted p.

    For a pair (a, b) each cluster i contributes the linearised residual
    ``u_i = (y_ai - p_a n_ai) / N_a - (y_bi - p_b n_bi) / N_b`` to the variance of
    ``p_a - p_b`` (``G / (G - 1) * sum u_i^2``), which stays right when one run contributes to
    both levels (rivalry bands); for the log odds ratio each term is divided by ``p (1 - p)``.
    """
    levels = sorted(cells["level"].unique())
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows = [_pair(cells, a, b, z) for a, b in combinations(levels, 2)]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (NaNs are kept and not counted)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        out[idx] = running
    return out


def _pair(cells: pd.DataFrame, a: float, b: float, z: float) -> dict[str, float]:
    sub = cells[cells["level"].isin([a, b])]
    totals = sub.groupby("level")[["successes", "trials"]].sum()
    p_a = totals.at[a, "successes"] / totals.at[a, "trials"]
    p_b = totals.at[b, "successes"] / totals.at[b, "trials"]
    resid = (sub["successes"] - np.where(sub["level"] == a, p_a, p_b) * sub["trials"]) / np.where(
        sub["level"] == a, totals.at[a, "trials"], -totals.at[b, "trials"]
    )
    scale = np.where(sub["level"] == a, p_a * (1 - p_a), p_b * (1 - p_b))
    per_cluster = resid.groupby(sub["cluster"].to_numpy()).sum()
    per_cluster_or = (resid / scale).groupby(sub["cluster"].to_numpy()).sum()
    g = per_cluster.size
    se = math.sqrt(g / (g - 1) * float((per_cluster**2).sum())) if g > 1 else math.nan
    diff = p_b - p_a
    row = {
        "level_a": a, "level_b": b, "rate_a": p_a, "rate_b": p_b,
        "difference": diff, "diff_low": diff - z * se, "diff_high": diff + z * se,
        "p_value": 2 * stats.norm.sf(abs(diff) / se) if se > 0 else math.nan,
    }
    if 0 < p_a < 1 and 0 < p_b < 1 and g > 1:
        log_or = math.log(p_b / (1 - p_b)) - math.log(p_a / (1 - p_a))
        se_or = math.sqrt(g / (g - 1) * float((per_cluster_or**2).sum()))
        row |= {
            "odds_ratio": math.exp(log_or), "or_low": math.exp(log_or - z * se_or),
            "or_high": math.exp(log_or + z * se_or),
        }
    else:
        row |= {"odds_ratio": math.nan, "or_low": math.nan, "or_high": math.nan}
    return row


def delivered_warnings(results: Results) -> pd.DataFrame:
    """Delivered, decided warnings joined with their run's swept parameters."""
    log = results.warnings
    if log is None or log.empty:
        raise UserError(f"{results.directory}: no warnings.parquet (the warning log)")
    decided = log[(log["delivered_day"] >= 0) & log["heeded"].notna()]
    swept = [p for p in results.design.parameters if p != "rivalry"]
    runs = results.ok[["run_id", *swept]]
    return decided.merge(runs, on="run_id", how="inner")


def heed_regression(results: Results, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Logistic regression of heeded on dyad rivalry and the swept parameters, run-clustered.

    Rows: one per regressor, with the coefficient (log odds per unit), odds ratio and its
    interval, z statistic and p-value. Enum parameters enter as indicators against their
    first level; swept parameters that do not vary among delivered warnings are dropped.
    """
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    data = delivered_warnings(results)
    if len(data) < 20 or data["heeded"].astype(bool).nunique() < 2:
        raise UserError("the regression needs at least 20 delivered warnings, heeded and not")
    x = _design_matrix(data, results.design.parameters)
    y = data["heeded"].astype(float).to_numpy()
    groups = pd.factorize(data["run_id"])[0]
    try:
        fit = GLM(y, x, family=Binomial()).fit(cov_type="cluster", cov_kwds={"groups": groups})
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise UserError(f"the heed regression could not be fitted ({exc})") from None
    ci = np.asarray(fit.conf_int(alpha=1 - confidence))
    return pd.DataFrame({
        "term": x.columns,
        "coefficient": np.asarray(fit.params),
        "std_error": np.asarray(fit.bse),
        "odds_ratio": np.exp(np.asarray(fit.params)),
        "or_low": np.exp(ci[:, 0]),
        "or_high": np.exp(ci[:, 1]),
        "z": np.asarray(fit.tvalues),
        "p_value": np.asarray(fit.pvalues),
        "warnings": len(data),
        "runs": int(groups.max()) + 1,
    })


def _design_matrix(data: pd.DataFrame, swept: tuple[str, ...]) -> pd.DataFrame:
    columns: dict[str, np.ndarray] = {
        "intercept": np.ones(len(data)),
        "dyad_rivalry": data["rivalry"].astype(float).to_numpy(),
    }
    for name in swept:
        if name == "rivalry" or data[name].nunique() < 2:
            continue
        if pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(data[name]):
            columns[name] = data[name].astype(float).to_numpy()
            continue
        levels = sorted(data[name].astype(str).unique())
        for level in levels[1:]:
            columns[f"{name}={level}"] = (data[name].astype(str) == level).to_numpy(float)
    return pd.DataFrame(columns)
