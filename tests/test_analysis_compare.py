"""Trend test, pairwise comparisons and the heed regression on data with a planted answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import compare
from sim.analysis.intervals import pool
from sim.analysis.load import load_results
from sim.errors import UserError
from tests.analysis_fixtures import grid_results

LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)


def make_cells(rng: np.random.Generator, slope: float, runs_per_level: int = 20) -> pd.DataFrame:
    """Runs at five rivalry levels, heed probability 0.7 + slope * level, run-level noise."""
    rows = []
    for level in LEVELS:
        for _ in range(runs_per_level):
            trials = 1 + rng.poisson(20)
            p = np.clip(0.7 + slope * level + rng.normal(0, 0.08), 0.01, 0.99)
            rows.append({"level": level, "successes": rng.binomial(trials, p), "trials": trials})
    cells = pd.DataFrame(rows)
    cells.insert(0, "cluster", np.arange(len(cells)))
    cells.insert(1, "run", np.arange(len(cells)))
    return cells


def test_trend_test_detects_a_planted_trend_and_estimates_its_slope():
    trend = compare.trend_test(make_cells(np.random.default_rng(3), slope=-0.3))
    assert trend.p_value < 1e-6
    assert trend.low < -0.3 < trend.high
    assert trend.clusters == 100


def test_trend_test_holds_its_size_on_flat_data():
    rng = np.random.default_rng(5)
    p_values = np.array([compare.trend_test(make_cells(rng, slope=0.0)).p_value for _ in range(300)])
    rejected = float(np.mean(p_values < 0.05))
    assert 0.02 <= rejected <= 0.09  # nominal 5%; binomial SD over 300 tests is 1.3 points


def test_trend_test_needs_levels():
    cells = make_cells(np.random.default_rng(1), 0.0)
    with pytest.raises(UserError):
        compare.trend_test(cells[cells["level"] == 0.0])


def test_pairwise_differences_find_the_planted_gap_and_adjust_p_values():
    table = compare.pairwise(make_cells(np.random.default_rng(9), slope=-0.4))
    assert len(table) == 10  # 5 levels, all pairs
    extreme = table[(table["level_a"] == 0.0) & (table["level_b"] == 1.0)].iloc[0]
    assert extreme["diff_low"] < -0.4 < extreme["diff_high"]
    assert extreme["odds_ratio"] < 1 and extreme["or_high"] < 1
    assert (table["p_holm"] >= table["p_value"]).all()


def test_pairwise_interval_matches_the_independent_formula_for_separate_runs():
    """With one run per cluster the linearised variance is the sum of the two ratio variances."""
    cells = make_cells(np.random.default_rng(2), slope=0.0)
    row = compare.pairwise(cells[cells["level"].isin([0.0, 1.0])]).iloc[0]
    a = pool(*cells.loc[cells["level"] == 0.0, ["successes", "trials"]].T.to_numpy())
    b = pool(*cells.loc[cells["level"] == 1.0, ["successes", "trials"]].T.to_numpy())
    se = (row["diff_high"] - row["diff_low"]) / (2 * stats.t.ppf(0.975, row["clusters"] - 1))
    assert row["clusters"] == 40
    # G/(G-1) corrections differ slightly: 40 clusters jointly vs 20 per level.
    assert se == pytest.approx(np.sqrt(a.variance + b.variance), rel=0.03)


def test_holm_matches_hand_computation():
    adjusted = compare.holm(np.array([0.01, 0.04, 0.03, np.nan]))
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(adjusted[3])


def test_heed_regression_finds_the_rivalry_effect_with_clustered_errors(tmp_path):
    results = load_results(grid_results(tmp_path / "grid", replications=8))
    table = compare.heed_regression(results).set_index("term")
    rivalry = table.loc["dyad_rivalry"]
    assert rivalry["odds_ratio"] < 1 and rivalry["or_high"] < 1
    assert {"intercept", "dyad_rivalry", "specificity_threshold"} == set(table.index)
    assert table["runs"].iloc[0] == 48
    # A grid shares seeds by replication (common random numbers): 8 clusters, not 48 runs.
    assert table["clusters"].iloc[0] == 8


def test_band_cells_count_each_delivered_warning_once(tmp_path):
    results = load_results(grid_results(tmp_path / "grid"))
    cells = compare.cells_by_band(results.ok)
    assert cells["trials"].sum() == results.ok["warnings_delivered"].sum()
    assert set(cells["level"]) <= {0.0, 1.0, 2.0}


def crn_cells(rng: np.random.Generator, replications: int = 30, shared_sd: float = 0.15) -> pd.DataFrame:
    """Two design points whose runs of the same replication share a strong random effect
    (common random numbers): heed probability 0.5 + u_k and 0.55 + u_k, u_k ~ N(0, shared_sd).
    The true difference of the pooled rates is 0.05."""
    rows = []
    for rep in range(replications):
        shared = rng.normal(0, shared_sd)
        for j, (level, p) in enumerate(((0.0, 0.5), (1.0, 0.55))):
            rows.append({
                "cluster": rep, "run": 2 * rep + j, "level": level, "trials": 200,
                "successes": rng.binomial(200, np.clip(p + shared, 0.01, 0.99)),
            })
    return pd.DataFrame(rows)


def half_width(cells: pd.DataFrame) -> float:
    row = compare.pairwise(cells).iloc[0]
    return float(row["diff_high"] - row["diff_low"]) / 2


def test_clustering_by_replication_pairs_common_random_numbers():
    """Same-seed runs at two points are paired by clustering on the replication: the noise they
    share cancels, so the interval of the difference is several times narrower than when each
    run is its own cluster, and it still covers the truth at about the nominal rate."""
    rng = np.random.default_rng(42)
    cells = crn_cells(rng)
    by_replication = half_width(cells)
    by_run = half_width(cells.assign(cluster=cells["run"]))
    assert by_replication < 0.35 * by_run

    hits, simulations = 0, 400
    for _ in range(simulations):
        row = compare.pairwise(crn_cells(rng)).iloc[0]
        assert row["clusters"] == 30
        hits += row["diff_low"] <= 0.05 <= row["diff_high"]
    # Binomial SD of the coverage over 400 intervals is 1.1 points.
    assert 0.92 <= hits / simulations <= 0.98


def test_cells_from_a_grid_are_clustered_by_replication(tmp_path):
    results = load_results(grid_results(tmp_path / "grid", replications=4))
    cells = compare.cells_by_parameter(results.ok, "rivalry")
    assert set(cells["cluster"]) == {0, 1, 2, 3} and cells["run"].nunique() == 24
    assert compare.cluster_column(results.design.kind) == "replication"
    by_run = compare.cells_by_parameter(results.ok, "rivalry", cluster="run_id")
    assert by_run["cluster"].nunique() == 24
    levels = compare.rate_by_level(cells)
    assert (levels["clusters"] == 4).all() and (levels["runs"] == 8).all()


def test_pairwise_uses_t_on_clusters_minus_one_degrees_of_freedom():
    """Three clusters, hand-computed: se = sqrt(3/2 * 2/900), difference 0.2. A normal reference
    would give [0.087, 0.313] and p = 0.0005; t on 2 degrees of freedom gives p = 0.074."""
    cells = pd.DataFrame({
        "cluster": [0, 0, 1, 1, 2, 2], "level": [0.0, 1.0] * 3,
        "successes": [5, 7, 4, 5, 6, 9], "trials": [10] * 6,
    })
    row = compare.pairwise(cells).iloc[0]
    se = np.sqrt(3 / 2 * 2 / 900)
    t = stats.t.ppf(0.975, 2)
    assert row["difference"] == pytest.approx(0.2)
    assert (row["diff_low"], row["diff_high"]) == pytest.approx((0.2 - t * se, 0.2 + t * se))
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(0.2 / se, 2))
    assert row["p_value"] > 0.05 and row["clusters"] == 3
