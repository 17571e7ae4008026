"""Intervals checked against known answers: coverage on synthetic data with a known truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.intervals import mean_interval, pool, pooled_interval, wilson_interval
from sim.analysis.tables import to_markdown

SIMULATIONS = 1000


def clustered_counts(rng: np.random.Generator, runs: int, rate: float, icc: float):
    """Warnings per run vary; each run has its own heed probability (beta, intra-run correlation icc)."""
    a, b = rate * (1 / icc - 1), (1 - rate) * (1 / icc - 1)
    trials = 1 + rng.poisson(15, runs)
    return rng.binomial(trials, rng.beta(a, b, runs)), trials


def test_pooled_interval_covers_a_known_rate_about_95_percent_of_the_time():
    rng = np.random.default_rng(20240301)
    hits = sum(
        pooled_interval(*clustered_counts(rng, 40, 0.3, 0.1)).contains(0.3)
        for _ in range(SIMULATIONS)
    )
    # Binomial SD of the coverage over 1,000 intervals is 0.7 points: +-2 points is decisive.
    assert 0.93 <= hits / SIMULATIONS <= 0.97


def test_plain_wilson_on_pooled_clustered_counts_is_falsely_narrow():
    """Why the cluster adjustment exists: ignoring the run as cluster under-covers badly."""
    rng = np.random.default_rng(20240301)
    hits = 0
    for _ in range(SIMULATIONS):
        y, n = clustered_counts(rng, 40, 0.3, 0.1)
        hits += wilson_interval(y.sum(), n.sum()).contains(0.3)
    assert hits / SIMULATIONS < 0.85


def test_pooled_interval_keeps_coverage_for_a_rare_event_with_few_clusters():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(SIMULATIONS):
        trials = 1 + rng.poisson(5, 12)
        hits += pooled_interval(rng.binomial(trials, 0.05), trials).contains(0.05)
    assert hits / SIMULATIONS >= 0.93


def test_bootstrap_mean_interval_covers_a_known_mean():
    rng = np.random.default_rng(11)
    hits = sum(
        mean_interval(rng.poisson(4.0, 40), resamples=999, rng=i).contains(4.0)
        for i in range(SIMULATIONS)
    )
    assert 0.925 <= hits / SIMULATIONS <= 0.97


def test_wilson_matches_published_values():
    # Newcombe (1998, Stat Med 17:857), table I: 0/10 -> [0, 0.2775]; 5/10 -> [0.2366, 0.7634].
    zero = wilson_interval(0, 10)
    assert zero.low == 0 and zero.high == pytest.approx(0.2775, abs=1e-4)
    half = wilson_interval(5, 10)
    assert (half.low, half.high) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_pooled_interval_is_wilson_when_runs_are_not_overdispersed():
    """With identical runs the design effect is floored at 1 and only the t correction widens."""
    y, n = np.full(200, 5), np.full(200, 10)
    clustered, plain = pooled_interval(y, n), wilson_interval(1000, 2000)
    assert clustered.estimate == plain.estimate == 0.5
    assert clustered.low <= plain.low and clustered.high >= plain.high
    assert clustered.high - clustered.low == pytest.approx(plain.high - plain.low, rel=0.01)


def test_pool_weights_runs_by_their_trials():
    pooled = pool([1, 90], [2, 100])  # per-run rates 0.5 and 0.9
    assert pooled.estimate == pytest.approx(91 / 102)
    assert pooled.clusters == 2 and pooled.trials == 102


def test_degenerate_inputs():
    assert math.isnan(pooled_interval([], []).estimate)
    assert math.isnan(pooled_interval([0, 0], [0, 0]).estimate)
    single = pooled_interval([3], [10])  # one run: no between-run variance, no interval
    assert single.estimate == 0.3 and single.n == 1
    assert math.isnan(single.low) and math.isnan(single.high)
    flat = mean_interval([2.0, 2.0, 2.0])
    assert (flat.low, flat.high) == (2.0, 2.0)
    one = mean_interval([1.0, np.nan])
    assert one.estimate == 1.0 and math.isnan(one.low) and one.n == 1
    with pytest.raises(ValueError):
        wilson_interval(1, 2, confidence=1.5)


def test_one_cluster_gives_no_interval_not_a_falsely_narrow_one():
    """8 heeded of 8 warnings in one run once printed ``1 [0.676, 1]``: one run says nothing
    about run-to-run variation, so the bounds are NaN and the tables say n/a."""
    iv = pooled_interval([8], [8])
    assert iv.estimate == 1.0 and math.isnan(iv.low) and math.isnan(iv.high)
    frame = pd.DataFrame({"heed_rate": [iv.estimate], "heed_rate_low": [iv.low],
                          "heed_rate_high": [iv.high]})
    assert to_markdown(frame).splitlines()[-1] == "| 1 [n/a] |"
    two = pooled_interval([8, 7], [8, 8])
    assert math.isfinite(two.low) and two.low < two.estimate
