"""Behavioural patterns the model must show, each decided by a test over seeded replications.

Comparisons are paired: replication k of both arms uses seed k (common random numbers), so the
same plots and detections occur in both and the test measures the mechanism, not the luck of
the draw. Each test needs a one-sided p-value below 0.001 (or an interval excluding zero): at
that level a model without the effect would fail the test, and with the effect the margin is
wide enough that the fixed seeds are not a lucky pick (the observed p-values are far smaller).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.params import ModelParams
from sim.run import RunSpec, simulate

SEEDS = range(60)
ALPHA = 1e-3

pytestmark = pytest.mark.slow


def outcomes(seeds=SEEDS, **changes) -> pd.DataFrame:
    params = ModelParams(**changes)
    return pd.DataFrame(
        [simulate(RunSpec(params=params, seed=s, record_warnings=False)).outcomes for s in seeds]
    )


def pooled_heed(frame: pd.DataFrame) -> float:
    return frame["warnings_heeded"].sum() / frame["warnings_delivered"].sum()


def paired_greater(a: pd.Series, b: pd.Series) -> float:
    """One-sided p-value that ``a`` exceeds ``b`` (paired t-test on per-seed differences)."""
    diff = (a - b).dropna()
    return float(stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue)


def test_heed_rate_falls_as_rivalry_rises():
    levels = [0.0, 0.25, 0.5, 0.75, 1.0]
    frames = {r: outcomes(range(30), rivalry=r) for r in levels}
    pooled = [pooled_heed(frames[r]) for r in levels]
    assert all(a > b for a, b in itertools.pairwise(pooled)), pooled
    x = np.concatenate([[r] * len(frames[r]) for r in levels])
    y = np.concatenate([frames[r]["heed_rate"].to_numpy() for r in levels])
    ok = ~np.isnan(y)
    rho, p = stats.spearmanr(x[ok], y[ok], alternative="less")
    assert rho < -0.5 and p < ALPHA


def test_heed_rate_rises_with_the_details_a_warning_carries():
    """Sanitising every known detail (same warnings, fewer details) must lower the heed rate."""
    full = outcomes(sanitisation=0.0)
    bare = outcomes(sanitisation=1.0, source_waiver_weight=0.0)
    open_ = outcomes(sanitisation=0.0, source_waiver_weight=0.0)
    assert bare["details_withheld"].sum() > 0 and open_["details_withheld"].sum() == 0
    assert paired_greater(open_["heed_rate"], bare["heed_rate"]) < ALPHA
    assert pooled_heed(full) > pooled_heed(bare)


def test_heed_rate_rises_with_corroboration():
    """Warnings the recipient's own intelligence seems to confirm are heeded more, pair by pair."""
    corroborating = outcomes(false_corroboration=1.0)
    isolated = outcomes(false_corroboration=0.0)
    assert paired_greater(corroborating["heed_rate"], isolated["heed_rate"]) < ALPHA
    logs = [simulate(RunSpec(seed=s)).warnings for s in range(30)]
    frame = pd.concat([pd.DataFrame(log) for log in logs])
    frame = frame[(frame.delivered_day >= 0) & (frame.rivalry >= 2 / 3)]
    table = pd.crosstab(frame.corroborated.astype(bool), frame.heeded.astype(bool))
    _, p = stats.fisher_exact(table.to_numpy(), alternative="greater")
    rate = frame.groupby(frame.corroborated.astype(bool)).heeded.mean()
    assert rate[True] > rate[False] and p < ALPHA


def test_more_false_leads_lower_trust_and_heed_rate():
    """The cry-wolf effect: recipients learn to discount senders whose warnings come to nothing."""
    few = outcomes(range(120), false_lead_rate=0.25)
    many = outcomes(range(120), false_lead_rate=4.0)
    assert paired_greater(few["mean_trust"], many["mean_trust"]) < ALPHA
    # Within each rivalry band: more false leads also shift warnings toward friendly dyads
    # (fabrications go to rivals only), which would mask the effect in the overall rate.
    for band in ("low", "high"):
        rate = f"heed_rate_{band}_rivalry"
        assert paired_greater(few[rate], many[rate]) < ALPHA, band


def test_never_warning_costs_at_least_as_many_lives_as_warning_everyone():
    never = outcomes(doctrine="never")
    warn_all = outcomes(doctrine="warn_all")
    assert never["warnings_sent"].sum() == never["fabricated_warnings"].sum()
    diff = never["casualties"] - warn_all["casualties"]
    assert diff.mean() > 0 and paired_greater(never["casualties"], warn_all["casualties"]) < ALPHA


def test_silent_prevention_slows_trust_growth():
    """The prevention paradox: the same protection, delivered as deterrence rather than arrests."""
    visible = outcomes(interdiction_effect=0.8, deterrence_effect=0.0)
    silent = outcomes(interdiction_effect=0.0, deterrence_effect=0.8)
    assert paired_greater(visible["mean_trust"], silent["mean_trust"]) < ALPHA
