"""The compiled random streams: numpy's own bit streams, and draws from their distributions.

sim/rng.py reimplements numpy's SeedSequence and PCG64 so that a run draws its world inside
one compiled call; these tests hold the reimplementation to numpy bit for bit, and each
distribution to its law (fixed seeds, so every statistic below is a fixed number that either
passes or not)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim import rng

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=SEEDS, child=st.integers(min_value=0, max_value=2**32 - 1))
def test_seed_pool_is_numpys_seed_sequence(seed, child):
    assert rng.seed_pool(seed, child).tolist() == np.random.SeedSequence(
        seed, spawn_key=(child,)).pool.tolist()
    assert rng.seed_pool(seed, -1).tolist() == np.random.SeedSequence(seed).pool.tolist()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=SEEDS)
def test_streams_are_default_rngs_spawned_generators(seed):
    """State, increment and the first outputs of each of default_rng(seed).spawn(3)."""
    ours = rng.streams(seed, 3)
    for child, generator in zip(ours, np.random.default_rng(seed).spawn(3), strict=True):
        state = generator.bit_generator.state["state"]
        assert (int(child[0]) << 64 | int(child[1])) == state["state"]
        assert (int(child[2]) << 64 | int(child[3])) == state["inc"]
        copy = child.copy()
        assert [int(rng.next64(copy)) for _ in range(20)] == [
            int(x) for x in generator.bit_generator.random_raw(20)]


def test_uniform_doubles_are_numpys_random():
    state = rng.streams(2026, 1)[0].copy()
    expected = np.random.default_rng(2026).spawn(1)[0].random(1000)
    assert np.array_equal([rng.uniform(state) for _ in range(1000)], expected)


@pytest.fixture
def stream():
    return rng.streams(12345, 1)[0].copy()


def test_bounded_integers_are_uniform(stream):
    draws = np.array([rng.below(stream, 7) for _ in range(70_000)])
    assert draws.min() == 0 and draws.max() == 6
    assert stats.chisquare(np.bincount(draws)).pvalue > 0.01


def test_normal_draws_follow_the_normal_law(stream):
    x = np.array([rng.normal(stream) for _ in range(20_000)])
    assert stats.kstest(x, "norm").pvalue > 0.01
    # the quantile function itself, against scipy's, in the body and both tails
    p = np.array([1e-300, 1e-20, 1e-6, 0.01, 0.3, 0.5, 0.8, 0.999999, 1 - 1e-16])
    assert np.allclose([rng.normal_quantile(x) for x in p], stats.norm.ppf(p), rtol=1e-14,
                       atol=1e-14)


@pytest.mark.parametrize("shape", [0.6, 1.0, 2.0, 9.5])
def test_gamma_draws_follow_the_gamma_law(stream, shape):
    x = np.array([rng.gamma(stream, shape, 3.0) for _ in range(20_000)])
    assert stats.kstest(x, "gamma", args=(shape, 0, 3.0)).pvalue > 0.01


@pytest.mark.parametrize("lam", [0.0, 0.3, 4.38, 9.9, 10.0, 57.0, 2000.0])
def test_poisson_draws_have_the_poisson_mean_and_variance(stream, lam):
    x = np.array([rng.poisson(stream, lam) for _ in range(20_000)])
    if lam == 0.0:
        assert (x == 0).all()
        return
    se = np.sqrt(lam / len(x))
    assert abs(x.mean() - lam) < 4 * se
    assert abs(x.var() / lam - 1) < 4 * np.sqrt(2 / len(x)) + 0.02
    if lam < 60:
        observed = np.bincount(x)
        expected = stats.poisson.pmf(np.arange(len(observed)), lam) * len(x)
        keep = expected > 20
        assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum()
                               / expected[keep].sum()).pvalue > 0.01


def test_shuffle_is_a_uniform_permutation(stream):
    counts = np.zeros((4, 4), dtype=int)
    for _ in range(24_000):
        values = np.arange(4)
        rng.shuffle(stream, values)
        assert sorted(values.tolist()) == [0, 1, 2, 3]
        counts[np.arange(4), values] += 1
    assert stats.chisquare(counts.ravel()).pvalue > 0.01
