"""One-at-a-time screen: every declared parameter moves at least one outcome detectably.

Each parameter is set to the ends of its declared range (both values of a boolean, every value of
a categorical) with the others at their defaults, over the same seeds (paired: common random
numbers). A parameter passes when some outcome differs between two of its settings with a paired
t-test or sign test below ``ALPHA`` after a Bonferroni correction over the outcomes compared. A
parameter that changes nothing gives bit-identical runs, so this test fails for it; the
project's rule is that such a parameter is removed or its range fixed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from sim.outcomes import OUTCOMES
from sim.params import PARAMETERS, ModelParams, Param
from sim.run import RunSpec, simulate

SEEDS = range(16)
STAGES = (range(16, 80), range(80, 400))
"""Seeds added, stage by stage, for a parameter not yet decided (most are decided at once; a
parameter whose mechanism acts rarely, such as attackers moving after public alerts, needs more)."""
ALPHA = 1e-3
CONTEXT: dict[str, dict[str, object]] = {
    "attention_capacity": {"action_cost": 0.1},
}
"""Parameters screened away from the defaults, each in a world where its mechanism can act.
Warning overload raises only the fixed part of a protective action's cost,
``action_cost x (1 + load / attention_capacity)`` (sim.consequences.action_cost), and that part
is 0 at the defaults (the cost is the stake part, ``stake_cost`` per death at stake), so
attention_capacity moves nothing there: it gives bit-identical runs, as it must. It is screened
with a fixed part of 0.1 (the ``action_cost 0.1`` world of docs/ODD.md 7.15, where recipients
still heed most warnings, so protective actions accumulate): decided on the first 16 seeds
(p 4.9e-6; with the earlier default 0.28 it takes 80 seeds, p 1.0e-6).
(fabrication_detail_rate was screened in a world of frequent fabrications without the
political cost, which was 3 at the earlier defaults; with the cost priced by the stake a
fabrication's claimed location sets the scale it claims, and it moves an outcome at the
defaults on the first 16 seeds, p 2.8e-5.)"""
NAMES = [o.name for o in OUTCOMES]

pytestmark = pytest.mark.slow


def settings(p: Param) -> list[object]:
    if p.choices is not None:
        return list(p.choices)
    if p.kind is bool:
        return [False, True]
    return [p.low, p.high]


def outcomes(seeds: range, context: dict[str, object] | None = None,
             **changes: object) -> np.ndarray:
    params = ModelParams().replace(**(context or {})).replace(**changes)
    rows = [simulate(RunSpec(params=params, seed=s, record_warnings=False)).outcomes for s in seeds]
    return np.array([[float(r[n]) for n in NAMES] for r in rows])


def smallest_p(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest paired p-value over outcomes (t-test and sign test), Bonferroni-corrected."""
    best, tests = 1.0, 0
    for j in range(a.shape[1]):
        diff = a[:, j] - b[:, j]
        diff = diff[np.isfinite(diff)]
        if diff.size < 5:
            continue
        tests += 1
        nonzero = diff[diff != 0]
        if nonzero.size == 0:
            continue
        if np.ptp(diff) > 0:
            best = min(best, float(stats.ttest_1samp(diff, 0.0).pvalue))
        positive = int((nonzero > 0).sum())
        best = min(best, float(stats.binomtest(positive, nonzero.size).pvalue))
    return min(1.0, best * max(tests, 1))


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_parameter_moves_an_outcome(name: str):
    spec = PARAMETERS[name]
    context = CONTEXT.get(name)
    results = [outcomes(SEEDS, context, **{name: value}) for value in settings(spec)]
    p = min(smallest_p(a, b) for a, b in itertools.combinations(results, 2))
    for seeds in STAGES:
        if p < ALPHA:
            break
        results = [np.vstack([r, outcomes(seeds, context, **{name: value})])
                   for r, value in zip(results, settings(spec), strict=True)]
        p = min(smallest_p(a, b) for a, b in itertools.combinations(results, 2))
    assert p < ALPHA, f"{name}: no outcome moves between {settings(spec)} (best p = {p:.3g})"
    assert not math.isnan(p)
