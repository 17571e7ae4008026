"""Protective action priced by its stakes (docs/ODD.md 7.15): the cost of one more protective
action is ``C = action_cost x (1 + load / attention_capacity) + stake_cost x D_r(scale)``
(:func:`sim.consequences.action_cost`), ``D_r(scale)`` the deaths a real plot of the indicated
scale is expected to cause if ``r`` dismisses the warning (its own table, ``dismissed_deaths``):
a protective action covers the people at risk, so its cost grows with the scale of what it
protects (Lindell & Perry 2012: the action's cost is part of the protective-action decision),
while warning overload acts on the fixed part only.

Scripted worlds (:mod:`sim.scripted`); ``D_r`` is read from the run's arrays, every other
expected number is written out from the formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scenarios import Scenario
from sim.scripted import Plot, Sighting, build_world
from sim.world import Scale, U
from tests.conftest import R, S

QUIET = {"source_value": 0.0}
"""Sources worth nothing: the scripted sender passes every detail it knows."""
HEED = {U.RESPOND: 0.0}
DISMISS = {U.RESPOND: 1.0}
LOCATION_UNKNOWN = (True, False, True)
"""Without the location the warning indicates no scale (unspecified)."""


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def run(scenario: Scenario, params: ModelParams, plots, sightings, days: int = 40) -> WarningModel:
    world = build_world(params, scenario.size, plots, sightings=sightings)
    model = WarningModel(scenario=scenario, params=params, days=days, rng=0, world=world)
    model.run()
    release(model)
    return model


def stakes(model: WarningModel, r: int) -> np.ndarray:
    """``D_r[scale]`` (:class:`sim.world.Scale` order: unspecified, small, mass)."""
    return np.array(model.arrays.agencies.dismissed_deaths[r], dtype=float)


def warning(scale: Scale, *, real: bool = False, day: int = 1, attack_day: int = 30,
            uniforms=None) -> tuple[Plot, dict]:
    """A plot against R that S's warning will indicate at ``scale``, and the sighting's
    arguments (the threat's index is filled in by the caller)."""
    lethality = 2 if scale is Scale.SMALL else 100  # mass_threshold 10
    known = LOCATION_UNKNOWN if scale is Scale.UNSPECIFIED else (True, True, True)
    plot = Plot(target=R, emerge=0, attack_day=attack_day, lethality=lethality, real=real)
    return plot, {"agency": S, "day": day, "known": known, "uniforms": uniforms or {}}


def scripted(scales, **kwargs) -> tuple[list[Plot], list[Sighting]]:
    """One warning from S to R per scale, on consecutive days from day 1."""
    plots, sightings = [], []
    for i, scale in enumerate(scales):
        plot, seen = warning(scale, day=1 + i, **kwargs)
        plots.append(plot)
        sightings.append(Sighting(i, **seen))
    return plots, sightings


SCALES = (Scale.MASS, Scale.SMALL, Scale.UNSPECIFIED)
NAMES = {Scale.MASS: "mass", Scale.SMALL: "small", Scale.UNSPECIFIED: "unspecified"}


def test_the_cost_is_the_fixed_part_under_load_plus_the_stake_of_the_scale(trio):
    """Six heeded false alarms, two of each scale, with 0 to 5 actions in force (protection
    lasts longer than the run's warnings): each costs ``a (1 + k / cap) + s D_R(scale_k)``; the
    stake part ``s D_R(scale)`` is the same at every load (the difference with ``stake_cost`` 0
    at the same load), the fixed part alone grows."""
    scales = SCALES * 2
    plots, sightings = scripted(scales)
    base = dict(response_policy="heed_all", attention_capacity=2.0, protection_days=60,
                action_cost=0.3, **QUIET)
    model = run(trio, ModelParams(stake_cost=0.25, **base), plots, sightings)
    fixed = run(trio, ModelParams(stake_cost=0.0, **base), plots, sightings)
    d = stakes(model, R)
    assert d[Scale.MASS] > d[Scale.UNSPECIFIED] > d[Scale.SMALL] > 0  # distinct: a wrong index shows
    assert [c.scale for c in model.log] == [NAMES[x] for x in scales]
    costs = [c.heed_cost for c in model.log]
    assert costs == pytest.approx([0.3 * (1 + k / 2.0) + 0.25 * d[x] for k, x in enumerate(scales)])
    stake_part = [c.heed_cost - f.heed_cost for c, f in zip(model.log, fixed.log, strict=True)]
    assert stake_part == pytest.approx([0.25 * d[x] for x in scales])
    assert model.outcomes()["protective_cost"] == pytest.approx(sum(costs))


def test_without_a_fixed_part_load_does_not_raise_the_cost(trio):
    """``action_cost`` 0 (the default): the cost is ``s D_R(scale)`` however many actions are in
    force (Mumbai 2008 and Bangkok 2012, load 10, stay heeded)."""
    scales = (Scale.MASS,) * 4
    plots, sightings = scripted(scales)
    params = ModelParams(response_policy="heed_all", attention_capacity=0.5, protection_days=60,
                         action_cost=0.0, stake_cost=0.2, **QUIET)
    model = run(trio, params, plots, sightings)
    assert [c.heed_cost for c in model.log] == pytest.approx([0.2 * stakes(model, R)[Scale.MASS]] * 4)


@pytest.mark.parametrize("scale", SCALES, ids=lambda x: NAMES[x])
def test_a_heeded_warning_costs_what_the_recipient_weighed(trio, scale):
    """The recipient chooses to heed (its choice, against a uniform of 0) a warning of ``scale``
    with one action already in force: the protective cost it weighed is
    ``a (1 + 1 / cap) + s D_R(scale)``, and the run's ``protective_cost`` (a component of
    ``net_harm``) is the first action's cost plus exactly that."""
    first, seen_first = warning(Scale.MASS, day=1, uniforms=HEED)
    second, seen_second = warning(scale, day=2, uniforms=HEED)
    params = ModelParams(action_cost=0.3, stake_cost=0.25, attention_capacity=2.0,
                         protection_days=60, **QUIET)
    model = run(trio, params, [first, second], [Sighting(0, **seen_first), Sighting(1, **seen_second)])
    one, two = model.log.cables
    assert one.heeded and two.heeded and two.scale == NAMES[scale]
    d = stakes(model, R)
    assert one.heed_cost == pytest.approx(0.3 + 0.25 * d[Scale.MASS])
    assert two.heed_cost == pytest.approx(0.3 * (1 + 1 / 2.0) + 0.25 * d[scale])
    assert model.outcomes()["protective_cost"] == pytest.approx(one.heed_cost + two.heed_cost)


# --- the threshold of heeding ---------------------------------------------------------------------
# With investigation out of reach (it takes longer than the days left) the recipient weighs heeding
# against dismissing: p_heed = logistic((kappa V - C - political - diversion) / tau)
# (sim.inference.expected_harm, choose). Diversion 0, no political or face cost, action_cost 0:
# heeding pays iff kappa V / D > stake_cost. V / D, the share of the deaths acting averts, is the
# same for every scale (both are the scale's expected deaths times a share that does not depend on
# the scale: sim.inference.Inference), so the credibility needed does not depend on the scale.
# rivalry_gain 0 keeps the prior (and so the credibility) independent of stake_cost.
THRESHOLD = dict(action_cost=0.0, diversion=0.0, rival_action_cost=0.0, face_cost=0.0,
                 investigation_days=30, rivalry_gain=0.0, **QUIET)


def judged(trio, params: ModelParams, scale: Scale):
    """S's real-plot warning of ``scale`` to R, judged on day 1 and dismissed (to read p_heed)."""
    plot, seen = warning(scale, real=True, attack_day=20, uniforms=DISMISS)
    model = run(trio, params, [plot], [Sighting(0, **seen)], days=2)
    (cable,) = model.log.cables
    assert cable.p_investigate == 0.0 and cable.scale == NAMES[scale]
    return cable, stakes(model, R)


def test_heeding_is_the_logit_of_credibility_times_value_against_the_stake(trio):
    tau = 0.02
    params = ModelParams(stake_cost=0.2, choice_temperature=tau, **THRESHOLD)
    for scale in (Scale.MASS, Scale.SMALL):
        cable, d = judged(trio, params, scale)
        assert cable.heed_cost == pytest.approx(0.2 * d[scale]) and cable.diversion_deaths == 0.0
        kappa, value = cable.perceived_credibility, cable.harm_averted
        assert cable.p_heed == pytest.approx(logistic((kappa * value - 0.2 * d[scale]) / tau),
                                             rel=1e-9, abs=1e-12)


def test_the_credibility_needed_to_heed_does_not_depend_on_the_scale(trio):
    """At the same credibility, a mass-casualty and a small-scale warning are both heeded with a
    stake_cost below ``kappa V / D`` and both dismissed above it; with a fixed cost instead
    (stake_cost 0) between ``kappa V_small`` and ``kappa V_mass`` the mass warning is heeded and
    the small one dismissed (the model before the stake part)."""
    probe = ModelParams(stake_cost=0.2, **THRESHOLD)
    (mass, d), (small, _) = (judged(trio, probe, x) for x in (Scale.MASS, Scale.SMALL))
    kappa = mass.perceived_credibility
    assert small.perceived_credibility == pytest.approx(kappa, rel=1e-12)
    share = mass.harm_averted / d[Scale.MASS]
    assert small.harm_averted / d[Scale.SMALL] == pytest.approx(share, rel=1e-9)
    needed = kappa * share  # the stake_cost at which heeding and dismissing are worth the same
    assert 0.05 < needed < 2.5  # within stake_cost's range, with room on both sides
    for stake, heeded in ((needed / 2, True), (needed * 2, False)):
        params = ModelParams(stake_cost=stake, **THRESHOLD)
        cables = [judged(trio, params, x)[0] for x in (Scale.MASS, Scale.SMALL)]
        assert [c.perceived_credibility for c in cables] == pytest.approx([kappa, kappa], rel=1e-12)
        assert [c.p_heed > 0.5 for c in cables] == [heeded, heeded], stake
    fixed = kappa * (mass.harm_averted + small.harm_averted) / 2
    params = ModelParams(**(THRESHOLD | {"action_cost": fixed, "stake_cost": 0.0}))
    mass_fixed, small_fixed = (judged(trio, params, x)[0] for x in (Scale.MASS, Scale.SMALL))
    assert mass_fixed.p_heed > 0.5 > small_fixed.p_heed
