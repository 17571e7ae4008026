"""Why a sender would warn (docs/ODD.md 7.11): a recipient that knows the law of senders'
preferences reads a warning from a sender no duty binds (doctrine ``discretion``) through the
reason that sender would have to send it. A hostile sender counts the recipient's deaths among
its gains (``deaths_as_gain``: ``g = rivalry_gain x opportunism x rivalry`` per death), so it
withholds warnings that would save many lives; under the manipulative type of the recipient's
model a warning it would have withheld is mostly fabricated (Kydd 2005; Crawford & Sobel 1982:
with diverging interests a receiver reads a message through the sender's incentive to send it).

:func:`sim.inference.send_shares` gives, per ability level ``k``, the chance a sender drawn from
the law sends a triggered genuine warning, at the dyad's start (expected response ``e = 1/2``,
credibility the hit rate ``a_k``)::

    send_j = logistic(((concern - g_j) e a_k V + g_j e C + reputation - at_risk) / tau)

averaged over the law's quantiles ``o_j`` weighted by the chance ``f_j`` each takes a
fabrication opportunity (the manipulative type) or ``1 - f_j`` (the benevolent type);
:func:`sim.inference.why_warn` then makes the type's genuine rate ``w_k sigma_T`` (arrival
``log(w_k sigma_B)`` and ``log(w_k sigma_M + f)``, fabricated share ``f / (f + w_k sigma_M)``).
Scripted worlds; the recipient's tables (``D``, ``V``, hit rates, rates) are read from the run's
arrays, the rest is written out here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import beta as beta_dist

from sim.inference import (
    ABILITY_LEVELS,
    START_RESPONSE,
    SUSPICION_GRID,
    posterior,
    send_shares,
)
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scenarios import Scenario
from sim.scripted import Plot, Sighting, build_world
from sim.world import Scale, U
from tests.conftest import R, S

K = ABILITY_LEVELS
DISMISS = {U.RESPOND: 1.0}
HOSTILE = dict(rivalry=0.8, source_value=0.0)
"""S and R in rival blocs (0.8); sources worth nothing (no sources at risk, ``at_risk`` 0)."""


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def first_warning(scenario: Scenario, params: ModelParams) -> tuple[object, WarningModel]:
    """S warns R on day 0 of a mass-casualty plot, passing its three details; R dismisses."""
    plot = Plot(target=R, emerge=0, attack_day=20, lethality=100)
    world = build_world(params, scenario.size, [plot],
                        sightings=[Sighting(0, S, day=0, uniforms=DISMISS)])
    model = WarningModel(scenario=scenario, params=params, days=1, rng=0, world=world)
    model.run()
    release(model)
    (cable,) = model.log.cables
    assert cable.sent and cable.scale == "mass" and cable.details_passed == 3
    return cable, model


def shares(model: WarningModel, scale: Scale, details: int) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's send shares of S's warnings to R (benevolent, manipulative type)."""
    send_b, send_m = np.empty(K), np.empty(K)
    send_shares(model.run_state.ref, S, R, int(scale), details, send_b, send_m)
    return send_b, send_m


def averted(model: WarningModel, details: int, scale: Scale) -> float:
    """``V``: R's deaths averted by acting on a real plot (its own table)."""
    agency = model.arrays.agencies[R]
    return float(agency.dismissed_deaths[scale] - agency.heeded_deaths[details * 3 + scale])


def indicated_mass(p: ModelParams) -> float:
    """Share of genuine warnings indicating mass casualties (as in tests/test_claims.py)."""
    share = (1.0 + p.mass_threshold / p.lethality_scale) ** -(p.lethality_alpha - 1.0)
    return p.scale_accuracy * share + (1.0 - p.scale_accuracy) * (1.0 - share)


def grid(p: ModelParams) -> np.ndarray:
    """The mid-quantiles of the senders' opportunism law, Beta(o nu, (1 - o) nu)."""
    q = (np.arange(SUSPICION_GRID) + 0.5) / SUSPICION_GRID
    return beta_dist.ppf(q, p.opportunism * p.preference_spread,
                         (1.0 - p.opportunism) * p.preference_spread)


def expected_shares(model: WarningModel, p: ModelParams, scale: Scale, details: int):
    """The send shares from the formula, with ``reputation_weight`` 0 (no reputation term, and
    a fabricator's loss is ``fabrication_cost`` alone), no political or face cost and nothing
    at risk: ``f_j = logistic((g_j e C_mass - fabrication_cost) / tau)`` (a fabricator claims
    the mass scale), ``send_jk`` as in the module docstring."""
    assert p.reputation_weight == 0.0 and p.rival_action_cost == 0.0 and p.source_value == 0.0
    d = model.arrays.agencies.dismissed_deaths[R]
    rho = float(model.arrays.rivalry[S, R])
    g = p.rivalry_gain * grid(p) * rho
    e, tau = START_RESPONSE, p.choice_temperature
    f = np.array([logistic((gj * e * (p.action_cost + p.stake_cost * d[Scale.MASS])
                            - p.fabrication_cost) / tau) for gj in g])
    cost = p.action_cost + p.stake_cost * d[scale]
    mu = indicated_mass(p)
    claims = ([(1.0, averted(model, details, scale))] if scale != Scale.UNSPECIFIED else
              [(mu, averted(model, details, Scale.MASS)),
               (1.0 - mu, averted(model, details, Scale.SMALL))])
    send_b, send_m = np.empty(K), np.empty(K)
    for k in range(K):
        a = float(model.arrays.hit_rate[S, R, k])
        send = np.array([sum(w * logistic(((p.concern - gj) * e * a * v + gj * e * cost) / tau)
                             for w, v in claims) for gj in g])
        send_b[k] = float(np.sum((1.0 - f) * send) / np.sum(1.0 - f))
        send_m[k] = float(np.sum(f * send) / np.sum(f))
    return send_b, send_m


SPECIFIED = [(Scale.MASS, 3), (Scale.SMALL, 3), (Scale.UNSPECIFIED, 0)]


@pytest.mark.parametrize(("scale", "details"), SPECIFIED, ids=["mass", "small", "bare"])
def test_send_shares_are_the_discretionary_rule_averaged_over_the_law(trio, scale, details):
    params = ModelParams(doctrine="discretion", reputation_weight=0.0, **HOSTILE)
    _, model = first_warning(trio, params)
    send_b, send_m = shares(model, scale, details)
    want_b, want_m = expected_shares(model, params, scale, details)
    assert send_b == pytest.approx(want_b, rel=1e-9)
    assert send_m == pytest.approx(want_m, rel=1e-9)


def test_without_a_gain_from_rivals_losses_every_triggered_warning_is_sent(trio):
    """rivalry_gain 0: no sender is hostile (``g_j = 0``), so every quantile sends alike and the
    two types' shares are equal, ``logistic(concern e a_k V / tau)``: nearly 1 for a
    mass-casualty warning. why_warn then changes nothing: a discretionary sender's warning is
    read as a bound one's (same credibility, benevolence, fabricated share, quiet days)."""
    base = dict(reputation_weight=0.0, rivalry_gain=0.0, **HOSTILE)
    discretionary = ModelParams(doctrine="discretion", **base)
    cable, model = first_warning(trio, discretionary)
    send_b, send_m = shares(model, Scale.MASS, 3)
    assert send_m == pytest.approx(send_b, rel=1e-12)
    v, tau = averted(model, 3, Scale.MASS), discretionary.choice_temperature
    rule = [logistic(discretionary.concern * START_RESPONSE * float(model.arrays.hit_rate[S, R, k])
                     * v / tau) for k in range(K)]
    assert send_b == pytest.approx(rule, rel=1e-9)
    assert np.all(send_b > 0.99)
    bound_cable, bound = first_warning(trio, ModelParams(doctrine="warn_all", **base))
    for name in ("perceived_credibility", "perceived_benevolence", "p_fabricated"):
        assert getattr(cable, name) == pytest.approx(getattr(bound_cable, name), rel=1e-12), name
    assert model.arrays.silence[R, S] == pytest.approx(bound.arrays.silence[R, S], rel=1e-12)


def test_a_hostile_manipulative_type_withholds_more_mass_casualty_warnings(trio):
    """With a gain from the rival's losses, ``send_j`` falls with ``g_j`` wherever ``a_k V > C``
    (its derivative in ``g_j`` is ``e (C - a_k V)``), and ``f_j`` rises with ``g_j``: the
    ``f``-weighted mean of ``send_j`` (the manipulative type) is below the ``(1 - f)``-weighted
    one (the benevolent type; Chebyshev's sum inequality). Mass-casualty warning, defaults."""
    params = ModelParams(doctrine="discretion", **HOSTILE)
    _, model = first_warning(trio, params)
    cost = params.action_cost + params.stake_cost * model.arrays.agencies.dismissed_deaths[R, Scale.MASS]
    v = averted(model, 3, Scale.MASS)
    hits = np.array(model.arrays.hit_rate[S, R])
    assert np.all(hits * v > cost)  # the derivation's premise
    send_b, send_m = shares(model, Scale.MASS, 3)
    assert np.all(send_m < send_b - 0.05), (send_b, send_m)


def read_as(model: WarningModel, send_b: np.ndarray, send_m: np.ndarray, llr: float):
    """R's credibility of S's first warning, its belief that S is benevolent and the warning's
    fabricated share, when the two types send shares ``send_b``, ``send_m`` of their genuine
    warnings: prior, the quiet day 0, the arrival ``log(w_k sigma)`` or ``log(w_k sigma_M +
    f)``, real shares ``a_k`` and ``(1 - phi_k) a_k`` with ``phi_k = f / (f + w_k sigma_M)``,
    then the details' evidence ``llr`` in odds form."""
    a = model.arrays
    fab = float(a.params[0].fabrication_rate)
    w = np.array(a.genuine_base[S, R]) * float(a.genuine[S, R])
    hits = np.array(a.hit_rate[S, R])
    phi = fab / (fab + w * send_m)
    arrival = np.concatenate([np.log(w * send_b), np.log(w * send_m + fab)])
    real = np.concatenate([hits, (1.0 - phi) * hits])
    probs = posterior(a.priors[R, S] + a.silence[R, S] + arrival)
    kappa = logistic(logit(float(probs @ real)) + llr)
    return kappa, float(probs[:K].sum()), float(probs[K:] @ phi)


def quiet_day(model: WarningModel, send_b: np.ndarray, send_m: np.ndarray) -> np.ndarray:
    """The log-likelihood of a day without a warning: ``-w_k sigma_B``, ``-(w_k sigma_M + f)``."""
    a = model.arrays
    fab = float(a.params[0].fabrication_rate)
    w = np.array(a.genuine_base[S, R]) * float(a.genuine[S, R])
    return np.concatenate([-w * send_b, -(w * send_m + fab)])


def test_a_discretionary_hostile_senders_warning_is_read_through_why_it_would_send_it(trio):
    """Defaults, S a discretionary rival: R reads the mass-casualty warning with the send shares
    of a mass claim with three details, and its quiet days with those of a bare warning (no
    scale, no detail). Bound by a duty to warn (warn_all) the same sender's warning is read
    with every share 1, and is more credible: its genuine warnings reach R whatever its type."""
    free_cable, free = first_warning(trio, ModelParams(doctrine="discretion", **HOSTILE))
    bound_cable, bound = first_warning(trio, ModelParams(doctrine="warn_all", **HOSTILE))
    assert np.all(free.arrays.priors[R, S] == bound.arrays.priors[R, S])  # same prior
    ones = np.ones(K)
    assert free.arrays.silence[R, S] == pytest.approx(
        quiet_day(free, *shares(free, Scale.UNSPECIFIED, 0)), rel=1e-12)
    assert bound.arrays.silence[R, S] == pytest.approx(quiet_day(bound, ones, ones), rel=1e-12)
    for cable, model, sent in ((free_cable, free, shares(free, Scale.MASS, 3)),
                               (bound_cable, bound, (ones, ones))):
        kappa, benevolent, fabricated = read_as(model, *sent, cable.evidence_llr)
        assert cable.perceived_credibility == pytest.approx(kappa, rel=1e-9)
        assert cable.perceived_benevolence == pytest.approx(benevolent, rel=1e-9)
        assert cable.p_fabricated == pytest.approx(fabricated, rel=1e-9)
    assert free_cable.evidence_llr == pytest.approx(bound_cable.evidence_llr)
    assert free_cable.perceived_credibility < bound_cable.perceived_credibility - 0.01


def test_why_warn_needs_a_rivals_deaths_to_count_as_gain(trio):
    """deaths_as_gain off: no sender has a reason to withhold a genuine warning, so a
    discretionary sender's warning and quiet days are read as a bound one's."""
    base = dict(deaths_as_gain=False, **HOSTILE)
    free_cable, free = first_warning(trio, ModelParams(doctrine="discretion", **base))
    bound_cable, bound = first_warning(trio, ModelParams(doctrine="warn_all", **base))
    for name in ("perceived_credibility", "perceived_benevolence", "p_fabricated"):
        assert getattr(free_cable, name) == pytest.approx(getattr(bound_cable, name), rel=1e-12)
    assert free.arrays.silence[R, S] == pytest.approx(bound.arrays.silence[R, S], rel=1e-12)
