"""Rational suspicion (docs/ODD.md 7.12): the recipient's prior that a sender is manipulative is derived
from the sender's incentives, on scripted worlds, with the expected numbers from the formula of
:func:`sim.inference.fabrication_chance` and :func:`sim.inference.rational_suspicion`."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.inference import ABILITY_LEVELS, PRIOR_FLOOR, START_RESPONSE, posterior, prior_vector
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scripted import Plot, Sighting, build_world
from sim.world import Scale, U
from tests.conftest import R, S

DISMISS = {U.RESPOND: 1.0}
# Every sender has opportunism 1 (a Beta law of mean 1 is 1 itself), nothing is public
# (face cost 0), sources are worth nothing: the fabrication rule is one logit. The claimed
# scale is not read (claim_evidence off: tests/test_claims.py checks it), so the recorded
# benevolence is the prior's posterior after the arrival alone. The cost of acting is the
# fixed part alone (action_cost 0.28, stake_cost 0), so the expected numbers are written out;
# test_the_stake_of_the_claimed_scale_is_part_of_what_a_rival_gains adds the stake part.
BASE = dict(opportunism=1.0, face_cost=0.0, source_value=0.0, choice_temperature=0.1,
            rivalry=0.8, rival_action_cost=0.0, action_cost=0.28, stake_cost=0.0,
            claim_evidence=False)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def first_warning(trio, params: ModelParams):
    """S warns R on day 0 (R dismisses); the cable and the model."""
    plot = Plot(target=R, emerge=0, attack_day=20)
    world = build_world(params, trio.size, [plot], sightings=[Sighting(0, S, day=0, uniforms=DISMISS)])
    model = WarningModel(scenario=trio, params=params, days=1, rng=0, world=world)
    model.run()
    release(model)
    (cable,) = model.log.cables
    return cable, model


def benevolence_after(model: WarningModel, manipulative: float) -> float:
    """R's belief that S is benevolent from the prior ``manipulative``, a quiet day 0 and the
    arrival (the recorded perceived benevolence of a first warning)."""
    dyad = model.dyad(S, R)
    weights = prior_vector(manipulative) + dyad.silence + dyad.arrival
    return float(posterior(weights)[:ABILITY_LEVELS].sum())


def test_without_reputation_the_prior_is_the_fabrication_rule(trio):
    """reputation_weight 0: the fixed point is the rule itself, m = logistic((g C - f) / tau),
    g = rivalry_gain x 1 x rivalry x 1/2 (no record: Laplace's rule), C the action cost."""
    params = ModelParams(reputation_weight=0.0, rivalry_gain=1.0, fabrication_cost=0.1, **BASE)
    cable, model = first_warning(trio, params)
    gain = 1.0 * 1.0 * 0.8 * START_RESPONSE * 0.28
    expected = logistic((gain - 0.1) / 0.1)
    assert 0.4 < expected < 0.7  # interior: the test can tell a wrong formula
    assert cable.perceived_benevolence == pytest.approx(benevolence_after(model, expected))


def test_the_stake_of_the_claimed_scale_is_part_of_what_a_rival_gains(trio):
    """With ``stake_cost`` the cost a fabrication imposes is ``action_cost + stake_cost x
    D_R(mass)`` (a fabricator claims the mass scale, sim.inference.claimed_scale; ``D_R`` is R's
    own table of the deaths a real plot of that scale causes if dismissed, read from the run's
    arrays): the prior is the rule at that cost, and it is above the prior without the stake."""
    params = ModelParams(reputation_weight=0.0, rivalry_gain=1.0, fabrication_cost=0.1,
                         **(BASE | {"action_cost": 0.05, "stake_cost": 0.05}))
    cable, model = first_warning(trio, params)
    stake = float(model.arrays.agencies.dismissed_deaths[R, Scale.MASS])
    assert stake > 1.0  # a mass-casualty plot kills more than one person if dismissed
    gain = 1.0 * 1.0 * 0.8 * START_RESPONSE * (0.05 + 0.05 * stake)
    expected = logistic((gain - 0.1) / 0.1)
    assert 0.05 < expected < 0.95  # interior: a missing or doubled stake term shows
    assert cable.perceived_benevolence == pytest.approx(benevolence_after(model, expected))
    fixed_only, model_fixed = first_warning(trio, params.replace(stake_cost=0.0))
    without = logistic((1.0 * 0.8 * START_RESPONSE * 0.05 - 0.1) / 0.1)
    assert fixed_only.perceived_benevolence == pytest.approx(benevolence_after(model_fixed, without))
    assert cable.perceived_benevolence < fixed_only.perceived_benevolence


def test_political_cost_is_part_of_what_a_rival_gains(trio):
    """A rival's political cost of acting (rivalry 0.8, threshold 0.5: 0.6 x rival_action_cost)
    is a loss the opportunist imposes too, so it raises the derived suspicion."""
    params = ModelParams(reputation_weight=0.0, rivalry_gain=1.0, fabrication_cost=0.1,
                         **(BASE | {"rival_action_cost": 0.5}))
    cable, model = first_warning(trio, params)
    gain = 0.8 * START_RESPONSE * (0.28 + 0.5 * (0.8 - 0.5) / 0.5)
    expected = logistic((gain - 0.1) / 0.1)
    assert cable.perceived_benevolence == pytest.approx(benevolence_after(model, expected))


def test_without_gain_from_rivals_suspicion_vanishes(trio):
    """rivalry_gain 0: nobody gains from fabricating, m = logistic(-f / tau) at the floor."""
    params = ModelParams(reputation_weight=0.0, rivalry_gain=0.0, fabrication_cost=1.0, **BASE)
    cable, model = first_warning(trio, params)
    expected = max(PRIOR_FLOOR, logistic(-1.0 / 0.1))
    assert cable.perceived_benevolence == pytest.approx(benevolence_after(model, expected))


def test_the_prior_is_a_fixed_point_of_the_reputation_it_puts_at_stake(trio):
    """reputation_weight > 0: m = logistic((g C - w (B_now - B_false) - f) / tau), B_now = 1 - m
    and B_false R's belief after one arrival and a false alarm, from the prior m itself."""
    params = ModelParams(reputation_weight=0.3, rivalry_gain=2.0, fabrication_cost=0.05, **BASE)
    cable, model = first_warning(trio, params)
    dyad = model.dyad(S, R)

    def rule(m: float) -> float:
        weights = prior_vector(m) + dyad.arrival + dyad.outcome(False, 1.0)
        after = float(posterior(weights)[:ABILITY_LEVELS].sum())
        gain = 2.0 * 0.8 * START_RESPONSE * 0.28
        return logistic((gain - 0.3 * ((1.0 - m) - after) - 0.05) / 0.1)

    grid = np.linspace(PRIOR_FLOOR, 1 - PRIOR_FLOOR, 2001)
    gaps = np.array([m - rule(m) for m in grid])
    roots = grid[:-1][np.sign(gaps[:-1]) != np.sign(gaps[1:])]
    assert len(roots) >= 1
    matches = [m for m in np.linspace(roots[0] - 1e-3, roots[0] + 1e-3, 2001)
               if cable.perceived_benevolence == pytest.approx(benevolence_after(model, m),
                                                               abs=1e-6)]
    assert matches, (roots, cable.perceived_benevolence)
    m = float(np.mean(matches))
    assert m == pytest.approx(rule(m), abs=1e-4)
    assert PRIOR_FLOOR < m < 1 - PRIOR_FLOOR


def test_declared_bias_shifts_the_log_odds_toward_rivals_only(trio):
    params = ModelParams(reputation_weight=0.0, rivalry_gain=1.0, fabrication_cost=0.1,
                         suspicion_bias=2.0, **BASE)
    cable, model = first_warning(trio, params)
    derived = logistic((0.8 * START_RESPONSE * 0.28 - 0.1) / 0.1)
    expected = logistic(math.log(derived / (1 - derived)) + 2.0)
    assert cable.perceived_benevolence == pytest.approx(benevolence_after(model, expected))


def test_a_mean_opportunism_below_the_smallest_normal_float_is_a_point_mass_at_zero():
    """Hypothesis found opportunism 2.2e-311 (a valid value): Beta(a, b) with a denormal a has no
    quantiles scipy can compute, and its law is the point mass at 0 to within a denormal."""
    from sim.inference import SUSPICION_GRID, opportunism_grid
    from sim.run import RunSpec, simulate

    p = ModelParams(opportunism=2.225073858507e-311)
    assert np.array_equal(opportunism_grid(p), np.zeros(SUSPICION_GRID))
    assert np.array_equal(opportunism_grid(ModelParams(opportunism=1.0)), np.ones(SUSPICION_GRID))
    grid = opportunism_grid(ModelParams(opportunism=1e-300))
    assert np.all((grid >= 0.0) & (grid < 1e-200))
    assert simulate(RunSpec(params=p, days=30, seed=0)).outcomes["warnings_sent"] >= 0
