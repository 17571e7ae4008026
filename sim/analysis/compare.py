"""Comparisons of a pooled rate (the heed rate) across ordered levels, and its regression.

**Clusters and common random numbers.** A sweep gives replication k of *every* design point
the same seed (common random numbers, CRN; see :mod:`sim.sweep.seeds`), so runs of different
points with the same ``replication`` share their random draws and their outcomes are
positively correlated (on ``results/rivalry_heed`` the per-run residuals of rivalry 0 and 0.1
correlate at 0.87). For grid and points designs every comparison *across* design points
therefore uses the **replication as the cluster**: a cluster holds one run per design point,
so a difference is computed within each replication (a paired difference) and the CRN noise
common to both points cancels. Clustering by replication is valid because replications are
independent of each other (independent seed streams), which is all the cluster-robust
variance needs, whatever the dependence inside a cluster; it is sharper because the shared
noise drops out of the within-cluster difference (on ``rivalry_heed`` the standard error of
rivalry 0 vs 0.1 falls from 0.00207 clustered by run to 0.00078 clustered by replication).
Clustering by run would treat same-seed runs as independent: valid-looking but conservative
for differences, and anti-conservative for sums over points. Pooled rates *within* one design
point are clustered by run, which is the same thing there (one run per replication). For
sampled designs (LHS, Sobol), with one or two replications, the run is the cluster.
:func:`cluster_column` picks the cluster for a design.

Warnings of one run share its trust history, so they are never counted as independent either:
the cluster always contains whole runs.

* :func:`trend_test` -- the slope of the rate on the level (e.g. rivalry), i.e. the risk
  difference per unit, from weighted least squares of each cell's rate on its level with
  weights = trials. Without clustering this is the Cochran-Armitage test for trend
  (Cochran 1954, *Biometrics* 10:417; Armitage 1955, *Biometrics* 11:375), which is the score
  test of exactly this linear-probability slope. Its variance here is the cluster-robust
  sandwich (Liang & Zeger 1986, *Biometrika* 73:13; Cameron & Miller 2015, *J Hum Resour*
  50:317) with a t reference on G - 1 degrees of freedom (G clusters).
* :func:`pairwise` -- all pairwise differences between levels: risk differences and odds
  ratios with intervals from the cluster linearisation (delta-method) variance and a t
  reference on G - 1 degrees of freedom, as for the trend, and p-values adjusted for multiple
  comparisons with Holm's step-down method (Holm 1979, *Scand J Stat* 6:65), which controls
  the family-wise error rate without Bonferroni's loss of power.
* :func:`heed_regression` -- a warning-level logistic regression of heeded on the dyad's
  rivalry and the other swept parameters, with cluster-robust standard errors (clustered by
  replication for grid and points designs, by run otherwise) and a t reference on G - 1
  degrees of freedom. It uses statsmodels (``GLM(..., Binomial()).fit(cov_type="cluster")``):
  scipy has no generalised linear model, let alone cluster-robust covariances, and
  statsmodels is the maintained, tested implementation of both.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.intervals import CONFIDENCE, pooled_interval
from sim.analysis.load import DesignKind, Results
from sim.errors import UserError
from sim.outcomes import BANDS, BY_NAME, Kind

# A *cells* frame: one row per (run, level) with the numerator and denominator of a rate
# (columns cluster, run, level, successes, trials), the cluster being the run's replication
# or the run itself.

REPLICATION, RUN = "replication", "run_id"
"""The two cluster columns of ``runs.parquet`` (see the module docstring)."""


def cluster_column(kind: DesignKind) -> str:
    """The cluster for comparisons across points: replication (grid, points) or run (samples)."""
    return RUN if kind.is_sample else REPLICATION


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


def cells_by_parameter(
    runs: pd.DataFrame, parameter: str, outcome: str = "heed_rate", cluster: str = REPLICATION
) -> pd.DataFrame:
    """One cell per run: the run's value of ``parameter`` and its rate counts, clustered by
    the ``cluster`` column of ``runs`` (default: replication, for common random numbers)."""
    num, den = rate_columns(outcome)
    cells = pd.DataFrame({
        "cluster": runs[cluster].to_numpy(),
        "run": runs["run_id"].to_numpy(),
        "level": runs[parameter].astype(float).to_numpy(),
        "successes": runs[num].astype(float).to_numpy(),
        "trials": runs[den].astype(float).to_numpy(),
    })
    return cells[cells["trials"] > 0].reset_index(drop=True)


def cells_by_band(runs: pd.DataFrame, cluster: str = REPLICATION) -> pd.DataFrame:
    """Three cells per run, one per rivalry band (level 0 = low, 1 = mid, 2 = high)."""
    parts = [
        pd.DataFrame({
            "cluster": runs[cluster].to_numpy(),
            "run": runs["run_id"].to_numpy(),
            "level": float(i),
            "successes": runs[f"heeded_{band}_rivalry"].astype(float).to_numpy(),
            "trials": runs[f"delivered_{band}_rivalry"].astype(float).to_numpy(),
        })
        for i, band in enumerate(BANDS)
    ]
    cells = pd.concat(parts, ignore_index=True)
    return cells[cells["trials"] > 0].reset_index(drop=True)


def rate_by_level(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Pooled rate and its clustered interval at each level.

    Counts are summed within each cluster first: at a single design point that is one run per
    cluster (the run-clustered interval); a level that pools several points (another swept
    parameter) then keeps same-seed runs together, as common random numbers require.
    """
    rows = []
    for level, group in cells.groupby("level", sort=True):
        sums = group.groupby("cluster", sort=False)[["successes", "trials"]].sum()
        iv = pooled_interval(sums["successes"], sums["trials"], confidence)
        runs = group["run"].nunique() if "run" in group else iv.n
        rows.append({
            "level": level, "rate": iv.estimate, "low": iv.low, "high": iv.high,
            "runs": int(runs), "clusters": iv.n, "trials": int(group["trials"].sum()),
        })
    return pd.DataFrame(rows)


def trend_test(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> Trend:
    """Cluster-robust linear trend of the pooled rate in ``level`` (see the module docstring)."""
    from statsmodels.regression.linear_model import WLS

    clusters = pd.factorize(cells["cluster"])[0]
    g = int(clusters.max()) + 1 if len(cells) else 0
    if g < 3 or cells["level"].nunique() < 2:
        raise UserError("a trend test needs at least two levels and three clusters with trials")
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
    ``p_a - p_b`` (``G / (G - 1) * sum u_i^2``), which stays right when one cluster contributes
    to both levels (a replication of a CRN sweep, or one run's rivalry bands): the residuals of
    the two points then largely cancel and the difference is a paired one. For the log odds
    ratio each term is divided by ``p (1 - p)``. Intervals and p-values use a t reference on
    G - 1 degrees of freedom (G = clusters with trials at either level), as the trend test does;
    the ``clusters`` column gives G.
    """
    levels = sorted(cells["level"].unique())
    rows = [pair_difference(cells, a, b, confidence)
            for a, b in itertools.combinations(levels, 2)]
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table


def adjacent_differences(cells: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Each level against the one before it: the paired differences of :func:`pairwise` for
    consecutive levels only (no multiplicity adjustment: they are drawn, not tested)."""
    levels = sorted(cells["level"].unique())
    return pd.DataFrame([pair_difference(cells, a, b, confidence)
                         for a, b in itertools.pairwise(levels)])


def cells_from_warnings(warnings: pd.DataFrame, level: pd.Series, cluster: str) -> pd.DataFrame:
    """Cells (cluster, run, level) from a warning log: heeded and delivered warnings per run
    and level, where ``level`` gives each warning's level (e.g. its binned dyad rivalry)."""
    frame = pd.DataFrame({
        "cluster": warnings[cluster].to_numpy(), "run": warnings["run_id"].to_numpy(),
        "level": level.to_numpy(float), "successes": warnings["heeded"].astype(float).to_numpy(),
    })
    cells = frame.groupby(["cluster", "run", "level"], sort=True)["successes"].agg(["sum", "size"])
    cells = cells.reset_index().rename(columns={"sum": "successes", "size": "trials"})
    cells["trials"] = cells["trials"].astype(float)
    return cells


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


def pair_difference(cells: pd.DataFrame, a: float, b: float,
                    confidence: float = CONFIDENCE) -> dict[str, float]:
    """Levels ``a`` and ``b`` of ``cells``: pooled rates, risk difference (rate at ``b`` minus
    at ``a``) and odds ratio with cluster-robust intervals (see :func:`pairwise`)."""
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
    t = float(stats.t.ppf(0.5 + confidence / 2, df=g - 1)) if g > 1 else math.nan
    diff = p_b - p_a
    row = {
        "level_a": a, "level_b": b, "rate_a": p_a, "rate_b": p_b,
        "difference": diff, "diff_low": diff - t * se, "diff_high": diff + t * se,
        "p_value": 2 * stats.t.sf(abs(diff) / se, df=g - 1) if se > 0 else math.nan,
    }
    if 0 < p_a < 1 and 0 < p_b < 1 and g > 1:
        log_or = math.log(p_b / (1 - p_b)) - math.log(p_a / (1 - p_a))
        se_or = math.sqrt(g / (g - 1) * float((per_cluster_or**2).sum()))
        row |= {
            "odds_ratio": math.exp(log_or), "or_low": math.exp(log_or - t * se_or),
            "or_high": math.exp(log_or + t * se_or),
        }
    else:
        row |= {"odds_ratio": math.nan, "or_low": math.nan, "or_high": math.nan}
    return row | {"clusters": g}


def delivered_warnings(results: Results) -> pd.DataFrame:
    """Delivered, decided warnings joined with their run's swept parameters."""
    log = results.warnings
    if log is None or log.empty:
        raise UserError(f"{results.directory}: no warnings.parquet (the warning log)")
    decided = log[(log["delivered_day"] >= 0) & log["heeded"].notna()]
    swept = [p for p in results.design.parameters if p not in ("rivalry", REPLICATION)]
    runs = results.ok[["run_id", REPLICATION, *swept]]
    return decided.merge(runs, on="run_id", how="inner")


def heed_regression(results: Results, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Logistic regression of heeded on dyad rivalry and the swept parameters, clustered.

    The cluster is the replication for grid and points designs (common random numbers: see
    the module docstring) and the run for sampled designs. Rows: one per regressor, with the
    coefficient (log odds per unit), odds ratio and its interval, t statistic (reference t on
    G - 1 degrees of freedom, G = ``clusters``) and p-value. Enum parameters enter as
    indicators against their first level; swept parameters that do not vary among delivered
    warnings are dropped.
    """
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    data = delivered_warnings(results)
    if len(data) < 20 or data["heeded"].astype(bool).nunique() < 2:
        raise UserError("the regression needs at least 20 delivered warnings, heeded and not")
    x = _design_matrix(data, results.design.parameters)
    y = data["heeded"].astype(float).to_numpy()
    groups = pd.factorize(data[cluster_column(results.design.kind)])[0]
    if int(groups.max()) + 1 < 2:
        raise UserError("the regression needs at least two clusters (replications or runs)")
    try:
        fit = GLM(y, x, family=Binomial()).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
        )
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
        "t": np.asarray(fit.tvalues),
        "p_value": np.asarray(fit.pvalues),
        "warnings": len(data),
        "runs": int(data["run_id"].nunique()),
        "clusters": int(groups.max()) + 1,
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
