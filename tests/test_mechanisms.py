"""Scripted scenarios: each mechanism on a hand-built world, through the model's public API,
with the expected numbers derived from the mechanism's formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.enums import Channel, Response, WaiverReason
from sim.inference import ABILITY_LEVELS, PRIOR_FLOOR, START_RESPONSE, posterior, prior_vector
from sim.log import CableRow as Cable
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scenarios import Scenario, parse_scenario
from sim.scripted import Fabrication, Plot, Sighting, build_world
from sim.world import FateCode, Scale, U
from tests.conftest import TRIO, R, S, T

SURE_HEED = {U.RESPOND: 0.0}
SURE_DISMISS = {U.RESPOND: 1.0}
QUIET = {"source_value": 0.0}
"""Sources worth nothing to their agency: the scripted sender passes every detail it knows and
never waives to protect them, whatever the rivalry."""


def run(scenario: Scenario, params: ModelParams, plots, sightings=(), *, fabrications=(),
        opportunist=(), days: int = 60) -> WarningModel:
    world = build_world(params, scenario.size, plots, sightings=sightings,
                        fabrications=fabrications, opportunist=opportunist)
    model = WarningModel(scenario=scenario, params=params, days=days, rng=0, world=world)
    model.run()
    release(model)
    return model


def only_cable(model: WarningModel) -> Cable:
    assert len(model.log) == 1, [c.waiver_reason for c in model.log]
    return model.log.cables[0]


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def declared_prior(rival: float) -> dict:
    """Parameters under which every recipient's prior that a rival sender is manipulative is
    ``rival`` and that an ally is, ``PRIOR_FLOOR``: with ``rivalry_gain`` 0 no sender gains from
    fabricating, and at a fabrication cost of 1 (50 choice temperatures) the fabrication rule
    is below the floor, so the derived prior is the floor (sim.inference.rational_suspicion;
    tests/test_suspicion.py); ``suspicion_bias`` then adds ``logit(rival) - logit(floor)`` to
    the log-odds toward rivals only (sim.inference.derive_priors)."""
    return {"rivalry_gain": 0.0, "fabrication_cost": 1.0, "choice_temperature": 0.02,
            "suspicion_bias": logit(rival) - logit(PRIOR_FLOOR)}


def stakes(model: WarningModel, r: int) -> np.ndarray:
    """``D_r[scale]``: the deaths a real plot of each indicated scale is expected to cause if
    ``r`` dismisses the warning (its own table, read from the run's arrays)."""
    return np.array(model.arrays.agencies.dismissed_deaths[r], dtype=float)


PLOT_ON_R = Plot(target=R, emerge=0, attack_day=20, lethality=100)
FALSE_LEAD_ON_R = Plot(target=R, emerge=0, attack_day=20, real=False)
PUBLIC_ONLY = ModelParams(no_liaison_route="public", **QUIET)


# --- the protocol: trigger ---------------------------------------------------------------------
def test_trigger_needs_credibility(trio):
    model = run(trio, ModelParams(), [PLOT_ON_R], [Sighting(0, S, day=1, credibility=0.3)])
    assert len(model.log) == 0


def test_trigger_needs_specificity(trio):
    model = run(trio, ModelParams(specificity_threshold=0.5),
                [PLOT_ON_R], [Sighting(0, S, day=1, known=(True, False, False))])
    assert len(model.log) == 0


def test_trigger_waits_until_impending(trio):
    plot = Plot(target=R, emerge=0, attack_day=50)
    model = run(trio, ModelParams(impending_horizon=10), [plot], [Sighting(0, S, day=2)])
    assert only_cable(model).day == 40


# --- waivers -----------------------------------------------------------------------------------
def test_doctrine_never_waives(trio):
    cable = only_cable(run(trio, ModelParams(doctrine="never"), [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    assert cable.channel is None and cable.delivered_day == -1 and cable.details_passed == 0


def test_non_rivals_doctrine_warns_friends_only(trio):
    plot_on_s = Plot(target=S, emerge=0, attack_day=20)
    model = run(trio, ModelParams(rivalry=0.8), [PLOT_ON_R, plot_on_s],
                [Sighting(0, T, day=1), Sighting(1, T, day=1)])
    by_recipient = {c.recipient: c for c in model.log}
    assert by_recipient["R"].waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    assert by_recipient["S"].sent


def test_recipient_already_aware_waives(trio):
    plot = Plot(target=R, emerge=0, attack_day=20, aware_day=1)
    assert only_cable(run(trio, ModelParams(), [plot], [Sighting(0, S, day=3)])).waiver_reason \
        is WaiverReason.RECIPIENT_AWARE


def test_no_channel_waives_when_the_route_is_none(trio_without_liaison):
    model = run(trio_without_liaison, ModelParams(no_liaison_route="none"), [PLOT_ON_R],
                [Sighting(0, S, day=1)])
    assert only_cable(model).waiver_reason is WaiverReason.NO_CHANNEL


def test_no_liaison_relays_through_a_third_agency(trio_without_liaison):
    params = ModelParams(relay_delay=3, **QUIET)
    model = run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=1)])
    cable = only_cable(model)
    assert cable.channel is Channel.RELAY and cable.relay == "T" and not cable.public
    assert cable.delivered_day == 1 + 1 + 3


def test_public_route_sends_a_public_alert_at_once(trio_without_liaison):
    cable = only_cable(run(trio_without_liaison, PUBLIC_ONLY, [PLOT_ON_R],
                           [Sighting(0, S, day=1, delay=4)]))
    assert cable.channel is Channel.PUBLIC and cable.delivered_day == 1


def _detail_gain(params: ModelParams, trio, passed: int, credibility: float = 0.9) -> float:
    """What the scripted sender (concern 1, no record with the recipient: it expects it to act
    with 1/2) gains in lives from passing one more detail to R about PLOT_ON_R (sim.senders)."""
    from sim.engine import template
    from sim.world import Scale

    recipient = template(trio, params).agencies[R]
    averted = [recipient["dismissed_deaths"][Scale.MASS]
               - recipient["heeded_deaths"][k * 3 + Scale.MASS] for k in (passed, passed + 1)]
    return 0.5 * credibility * (averted[1] - averted[0])


@pytest.mark.parametrize("above", [True, False])
def test_a_detail_is_passed_when_the_lives_it_saves_outweigh_the_source_it_risks(trio, above):
    """Pass iff gain - source_value x burn_chance > 0 (against the sanitisation uniform 0.5):
    burn chance = burn_risk 1 x sensitivity 1 x (1 - w + w x rivalry) = rivalry 0.8 (w = 1)."""
    base = ModelParams(rivalry=0.8, burn_risk=1.0, exposure_rivalry_weight=1.0)
    threshold = _detail_gain(base, trio, 0) / 0.8  # the source value at which the first detail
    value = threshold * (0.5 if above else 2.0)  # ... stops paying
    params = base.replace(source_value=value)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.details_known == 3
    assert (cable.details_passed > 0) == above
    assert cable.details_passed in (0, 3)  # each further detail adds as much as the first


def test_a_warning_whose_details_are_withheld_still_goes_out(trio):
    """With nothing passed no source is at risk: the duty to warn holds (no sources waiver)."""
    params = ModelParams(rivalry=0.8, burn_risk=1.0, source_value=20.0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.sent and cable.details_passed == 0 and cable.scale == "unspecified"


def test_sources_waiver_when_passed_details_put_more_at_risk_than_warning_brings(trio):
    """Details the sanitisation draw let through (uniform 0) are weighed again whole: the
    warning is waived when their sources outweigh what it brings."""
    params = ModelParams(rivalry=0.8, burn_risk=1.0, source_value=1.0)
    sighting = Sighting(0, S, day=1, uniforms={U.SANITISE: 0.0})
    cable = only_cable(run(trio, params, [PLOT_ON_R], [sighting]))
    assert cable.waiver_reason is WaiverReason.SOURCES_AT_RISK and cable.details_passed == 0
    cheap = only_cable(run(trio, params.replace(source_value=0.0), [PLOT_ON_R], [sighting]))
    assert cheap.sent and cheap.details_passed == 3


def test_no_sources_waiver_without_sources_at_risk(trio):
    """Sources worth nothing: the waiver is never invoked, even by a waiver draw that would
    take any advantage (uniform 0): ICD 191's waiver protects sources, it is no general
    discretion to stay silent."""
    sighting = Sighting(0, S, day=1, uniforms={U.SANITISE: 0.0, U.WAIVER: 0.0})
    for params in (ModelParams(rivalry=0.8, burn_risk=1.0, source_value=0.0),
                   ModelParams(rivalry=0.8, burn_risk=0.0, source_value=5.0)):
        cable = only_cable(run(trio, params, [PLOT_ON_R], [sighting]))
        assert cable.sent and cable.details_passed == 3


def test_the_location_reveals_the_scale(trio):
    mass = only_cable(run(trio, ModelParams(**QUIET), [PLOT_ON_R], [Sighting(0, S, day=1)]))
    small = only_cable(run(trio, ModelParams(**QUIET), [Plot(target=R, emerge=0, attack_day=20,
                                                                lethality=2)],
                           [Sighting(0, S, day=1)]))
    hidden = only_cable(run(trio, ModelParams(**QUIET), [PLOT_ON_R],
                            [Sighting(0, S, day=1, known=(True, False, True))]))
    assert (mass.scale, small.scale, hidden.scale) == ("mass", "small", "unspecified")


def test_a_public_alert_is_added_when_it_pays(trio):
    """public_alert_value against the lives lost if plotters move their date (sim.senders)."""
    params = ModelParams(public_alert_value=5.0, **QUIET)
    assert only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)])).channel is Channel.BOTH
    params = ModelParams(public_alert_value=-5.0, **QUIET)
    assert only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)])).channel is Channel.PRIVATE


def test_the_alert_weighs_the_lives_lost_to_adaptation_once(trio):
    """The public-alert choice, ``logistic((public_alert_value - Vs sigma) / tau)`` against its
    uniform (ODD 7.8): at a uniform of one half the sender goes public exactly when
    ``public_alert_value > Vs sigma``, and ``sigma``, the chance an alert moves the attack past
    the confirmation window, is proportional to ``attacker_adaptation``. So the break-even
    ``public_alert_value`` doubles when adaptation doubles (it would quadruple were adaptation
    counted twice)."""
    sighting = Sighting(0, S, day=1, uniforms={U.PUBLIC: 0.5})

    def public(adaptation: float, value: float) -> bool:
        params = ModelParams(attacker_adaptation=adaptation, public_alert_value=value, **QUIET)
        channel = only_cable(run(trio, params, [PLOT_ON_R], [sighting])).channel
        assert channel in (Channel.BOTH, Channel.PRIVATE)
        return channel is Channel.BOTH

    def break_even(adaptation: float) -> float:
        low, high = 0.0, 5.0
        assert not public(adaptation, low) and public(adaptation, high)
        for _ in range(40):
            middle = (low + high) / 2
            low, high = (low, middle) if public(adaptation, middle) else (middle, high)
        return high

    half, whole = break_even(0.5), break_even(1.0)
    assert half > 0.01
    assert whole / half == pytest.approx(2.0, rel=1e-6)


def test_public_alert_makes_attackers_shift_their_date(trio_without_liaison):
    params = ModelParams(attacker_adaptation=1.0, no_liaison_route="public", **QUIET)
    model = run(trio_without_liaison, params, [PLOT_ON_R],
                [Sighting(0, S, day=1, shift=6, uniforms=SURE_DISMISS)])
    assert model.threats.fate[0] == FateCode.ATTACK and model.threats.fate_day[0] == 26
    assert model.outcomes()["attacks_shifted"] == 1


def test_private_warning_does_not_shift_the_attack(trio):
    params = ModelParams(attacker_adaptation=1.0, **QUIET)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert model.threats.fate_day[0] == 20


# --- the recipient's inference ------------------------------------------------------------------
def test_first_warning_is_judged_from_the_prior_and_its_arrival(trio):
    """Perceived benevolence = posterior over intent x ability from R's prior about S (here 0.4,
    :func:`declared_prior`) and the likelihood of one arrival (and the quiet days before it)."""
    params = ModelParams(rivalry=0.8, learning=True, **QUIET, **declared_prior(0.4))
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=0, uniforms=SURE_DISMISS)], days=1)
    cable = only_cable(model)
    assert model.arrays.priors[R, S] == pytest.approx(prior_vector(0.4))
    dyad = model.dyad(S, R)
    quiet = dyad.silence  # day 0's quiet day, counted before the arrival
    weights = [p + q + a for p, q, a in zip(prior_vector(0.4), quiet, dyad.arrival, strict=True)]
    expected = sum(posterior(np.array(weights))[:ABILITY_LEVELS])
    assert cable.perceived_benevolence == pytest.approx(expected)
    assert cable.perceived_benevolence < 0.6  # an arrival is evidence of manipulation (it sends more)


def test_the_prior_follows_the_senders_incentives_toward_each_recipient(trio):
    """Rational suspicion is per dyad: the same sender S is suspected by its rival R (rivalry
    0.8) and trusted by its ally T (within-bloc rivalry 0.1). With every sender an opportunist
    (opportunism 1), no reputation at stake and the fixed cost of acting alone, the prior is
    the fabrication rule ``logistic((rivalry_gain x rivalry x 1/2 x C - f) / tau)``
    (tests/test_suspicion.py): 0.94 toward R, 0.04 toward T; each first warning is judged from
    its dyad's prior, a quiet day and the arrival."""
    params = ModelParams(rivalry=0.8, within_bloc_rivalry=0.1, opportunism=1.0,
                         rivalry_gain=3.0, reputation_weight=0.0, fabrication_cost=0.2,
                         choice_temperature=0.05, action_cost=0.28, stake_cost=0.0,
                         rival_action_cost=0.0, face_cost=0.0, **QUIET)
    plot_on_t = Plot(target=T, emerge=0, attack_day=20)
    model = run(trio, params, [PLOT_ON_R, plot_on_t],
                [Sighting(0, S, day=0, uniforms=SURE_DISMISS),
                 Sighting(1, S, day=0, uniforms=SURE_DISMISS)], days=1)
    by_recipient = {c.recipient: c for c in model.log}
    for name, r, rivalry in (("R", R, 0.8), ("T", T, 0.1)):
        prior = logistic((3.0 * rivalry * START_RESPONSE * 0.28 - 0.2) / 0.05)
        assert model.arrays.priors[r, S] == pytest.approx(prior_vector(prior), rel=1e-6)
        dyad = model.dyad(S, r)
        expected = posterior(prior_vector(prior) + dyad.silence + dyad.arrival)[:ABILITY_LEVELS].sum()
        assert by_recipient[name].perceived_benevolence == pytest.approx(expected)
    # one sender, suspected by its rival and trusted by its ally
    assert by_recipient["R"].perceived_benevolence < 0.1
    assert by_recipient["T"].perceived_benevolence > 0.5


def test_credibility_is_the_hit_rate_times_the_evidence_in_odds_form(trio):
    """kappa = P(real | record, arrival) in odds form times the evidence's likelihood ratio."""
    params = ModelParams(**QUIET, **declared_prior(0.3))
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)], days=2)
    c = only_cable(model)
    assert c.evidence_llr is not None
    # R has no ally and nothing is public: its posterior is the prior plus its direct evidence,
    # which nothing has changed since the warning arrived.
    probs = posterior(prior_vector(0.3) + model.ledger.direct[R, S])
    prior = model.dyad(S, R).real_chance(probs)
    odds = prior / (1 - prior) * math.exp(c.evidence_llr)
    assert c.perceived_credibility == pytest.approx(odds / (1 + odds))
    assert c.perceived_benevolence == pytest.approx(sum(probs[:ABILITY_LEVELS]))


def test_each_detail_check_moves_the_odds_by_its_likelihood_ratio(trio):
    params = ModelParams(corroboration_rate=0.0, false_corroboration=0.0, **QUIET)
    # details are checked against uniforms: below v1 the detail checks out
    uniforms = {U.VERIFY: 0.0, U.RESPOND: 1.0}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    c = only_cable(model)
    assert c.details_verified == 3  # all three check out with uniform 0
    factor = params.capability_floor + (1 - params.capability_floor) * 0.5  # R's capability
    v1, v0 = params.verification_rate * factor, params.false_verification_rate
    assert c.evidence_llr == pytest.approx(3 * math.log(v1 / v0))
    model = run(trio, params, [PLOT_ON_R],
                [Sighting(0, S, day=1, uniforms={U.VERIFY: 1.0, U.RESPOND: 1.0})])
    c = only_cable(model)
    assert c.details_verified == 0
    assert c.evidence_llr == pytest.approx(3 * math.log((1 - v1) / (1 - v0)))


def test_fabricated_details_fail_their_checks_and_lower_credibility(trio):
    """More claimed details on a fabrication are more chances to fail: credibility falls."""
    params = ModelParams(rivalry=0.8, corroboration_rate=0.0, false_corroboration=0.0)
    creds = []
    for details in (0, 1, 2, 3):
        fab = Fabrication(S, R, day=3, details=details, uniforms={U.VERIFY: 0.9, U.RESPOND: 1.0})
        model = run(trio, params, [], fabrications=[fab], opportunist=[S])
        cable = only_cable(model)
        assert cable.fabricated and cable.details_verified == 0
        creds.append(cable.perceived_credibility)
    assert creds == sorted(creds, reverse=True) and creds[0] > creds[-1]


def test_corroboration_raises_credibility_by_its_likelihood_ratio(trio):
    params = ModelParams(**QUIET)
    llr = {}
    for u in (0.0, 1.0):
        model = run(trio, params, [PLOT_ON_R],
                    [Sighting(0, S, day=1, uniforms={U.CORROBORATE: u, U.VERIFY: 1.0, U.RESPOND: 1.0})])
        c = only_cable(model)
        llr[c.corroborated] = c.evidence_llr
    factor = params.capability_floor + (1 - params.capability_floor) * 0.5
    c1, c0 = params.corroboration_rate * factor, params.false_corroboration * factor
    assert llr[True] - llr[False] == pytest.approx(math.log(c1 / c0) - math.log((1 - c1) / (1 - c0)))


# --- learning --------------------------------------------------------------------------------------
def _ledger_after(trio, params, plots, sightings, *, days=60, fabrications=(), opportunist=()):
    world = build_world(params, trio.size, plots, sightings=sightings, fabrications=fabrications,
                        opportunist=opportunist)
    model = WarningModel(scenario=trio, params=params, days=days, rng=0, world=world)
    model.run()
    release(model)
    return model


def test_a_false_alarm_lowers_trust_more_than_a_confirmation_raises_it(trio):
    """Slovic's asymmetry: the record's likelihood (module sim.inference)."""
    params = ModelParams(learning=True, **QUIET)
    quiet = _ledger_after(trio, params, [], [])
    confirmed = _ledger_after(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    alarmed = _ledger_after(trio, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert only_cable(confirmed).confirmed is True and only_cable(alarmed).confirmed is False
    base, up, down = (m.trust_matrix()[R, S] for m in (quiet, confirmed, alarmed))
    assert down < base
    assert abs(up - base) < abs(down - base)


def test_outcome_evidence_is_the_likelihood_of_the_record(trio):
    """Direct evidence = quiet days + the arrival + the outcome, each a log-likelihood vector."""
    params = ModelParams(learning=True, evidence_half_life=36500, **QUIET)
    model = _ledger_after(trio, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)],
                          days=30)
    cable = only_cable(model)
    assert cable.confirmed is False
    through = int(model.ledger.through[R, S])
    assert through == cable.warned_day + params.confirmation_window  # the outcome's day
    quiet = _ledger_after(trio, params, [], [], days=30).ledger.evidence_at(through)[0][R, S]
    fade = 0.5 ** (1 / 36500)
    dyad = model.dyad(S, R)
    expected = (dyad.arrival * fade ** (through - cable.delivered_day) + dyad.outcome(False, 1.0))
    assert model.ledger.direct[R, S] - quiet == pytest.approx(expected, rel=1e-9)


def test_silence_is_evidence_of_benevolence(trio):
    params = ModelParams(learning=True, **QUIET, **declared_prior(0.3))
    short, long_ = (_ledger_after(trio, params, [], [], days=d).trust_matrix()[R, S] for d in (30, 720))
    prior = 1 - 0.3
    assert prior < short < long_


def test_evidence_fades_with_its_half_life(trio):
    """What a false alarm taught, compared with a quiet record, halves every half-life."""
    params = ModelParams(learning=True, evidence_half_life=100, **QUIET)
    model = _ledger_after(trio, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)],
                          days=30)
    quiet = _ledger_after(trio, params, [], [], days=30)
    day = int(model.ledger.through[R, S])
    now, later = ((model.ledger.evidence_at(d)[0] - quiet.ledger.evidence_at(d)[0])[R, S]
                  for d in (day, day + 100))
    assert np.any(now != 0) and later == pytest.approx(now * 0.5, rel=1e-9)


def test_allies_share_their_evidence(trio):
    """T (S's bloc-mate, also warned) is irrelevant; R's ally would be: give R an ally."""
    text = TRIO + ('[[agency]]\nname = "Q"\nbloc = "B"\ncapability = 0.5\nhome_security = 0.3\n'
                   'source_sensitivity = 0.5\ndoctrine = "warn_all"\n')
    quad = parse_scenario(text, origin="quad")
    q = 3
    for sharing in (0.0, 1.0):
        params = ModelParams(learning=True, ally_sharing=sharing, **QUIET)
        model = _ledger_after(quad, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
        untouched = _ledger_after(quad, params, [], [])
        moved = untouched.trust_matrix()[q, S] - model.trust_matrix()[q, S]
        assert (moved > 0.01) == (sharing == 1.0)


def test_public_warnings_teach_third_parties(trio_without_liaison):
    """R's false alarm from S, sent as a public alert, is seen by T (not R's ally)."""
    text = TRIO.replace('name = "T"\nbloc = "A"', 'name = "T"\nbloc = "C"')
    scenario = parse_scenario(text + '[liaison]\nnone = [["S", "R"]]\n', origin="trio-c")
    for weight in (0.0, 1.0):
        params = ModelParams(learning=True, public_observation=weight, no_liaison_route="public",
                             rivalry=0.8, **QUIET)
        model = _ledger_after(scenario, params, [FALSE_LEAD_ON_R],
                              [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
        assert (np.abs(model.ledger.public[T, S]).sum() > 0) == (weight == 1.0)


def test_learning_off_keeps_every_belief_at_its_prior(trio):
    params = ModelParams(learning=False, **QUIET, **declared_prior(0.3))
    model = _ledger_after(trio, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert np.all(model.ledger.direct == 0)
    assert model.trust_matrix()[R, S] == pytest.approx(1 - 0.3)


# --- responses and consequences -------------------------------------------------------------------
def test_heeded_specific_warning_can_lead_to_arrests(trio):
    """The action's cost at no load: ``action_cost + stake_cost x D_R(mass)`` (sim.consequences)."""
    params = ModelParams(action_cost=0.28, stake_cost=0.2, **QUIET)
    uniforms = {U.RESPOND: 0.0, U.INTERDICT: 0.0, U.WHEN: 0.5}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    cable = only_cable(model)
    assert cable.response is Response.HEEDED and cable.heeded and cable.confirmed
    assert cable.scale == "mass"
    out = model.outcomes()
    assert (out["interdicted"], out["attacks"], out["casualties"]) == (1, 0, 0)
    assert out["protective_cost"] == pytest.approx(0.28 + 0.2 * stakes(model, R)[Scale.MASS])


def test_heeded_warning_that_deters_leaves_nothing_to_confirm_the_sender(trio):
    """The prevention paradox: a plot silently abandoned looks like a false alarm."""
    uniforms = {U.RESPOND: 0.0, U.INTERDICT: 1.0, U.DETER: 0.0}
    model = run(trio, ModelParams(**QUIET), [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    cable = only_cable(model)
    assert cable.heeded and cable.confirmed is False and model.outcomes()["deterred"] == 1


def test_heeded_warning_mitigates_an_attack_that_still_comes(trio):
    params = ModelParams(casualty_reduction=0.5, action_cost=0.28, stake_cost=0.2,
                         rival_action_cost=3.0, rivalry=0.7, **QUIET)
    uniforms = {U.RESPOND: 0.0, U.INTERDICT: 1.0, U.DETER: 1.0}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    assert only_cable(model).heeded
    out = model.outcomes()
    assert (out["attacks"], out["casualties"], out["lives_saved"]) == (1, 50, 50)
    # R regards S with rivalry 0.7 (trio: blocs A and B): political cost 3 x (0.7 - 0.5) / 0.5
    political = 3.0 * (0.7 - params.rival_threshold) / (1 - params.rival_threshold)
    assert political == pytest.approx(1.2)
    assert out["political_cost"] == pytest.approx(political)
    protective = 0.28 + 0.2 * stakes(model, R)[Scale.MASS]
    assert out["protective_cost"] == pytest.approx(protective)
    assert out["net_harm"] == pytest.approx(50 + protective + political)


@pytest.mark.parametrize(("known", "interdicted"), [((True, True, True), True),
                                                    ((True, False, False), False)])
def test_arrests_are_likelier_the_more_specific_the_heeded_warning(trio, known, interdicted):
    # p(arrests) = 0.4 x (1 - 0.75 + 0.75 x details / 3): 0.4 with 3 details, 0.2 with 1; uniform 0.3
    params = ModelParams(interdiction_effect=0.4, deterrence_effect=0.0, **QUIET)
    uniforms = {U.RESPOND: 0.0, U.INTERDICT: 0.3}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, known=known, uniforms=uniforms)])
    assert (model.outcomes()["interdicted"] == 1) == interdicted


def test_dismissed_warning_leaves_full_casualties_but_is_confirmed(trio):
    model = run(trio, ModelParams(**QUIET), [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    cable = only_cable(model)
    assert cable.response is Response.DISMISSED and cable.heeded is False and cable.confirmed
    assert model.outcomes()["casualties"] == 100 and model.outcomes()["protective_cost"] == 0


def _investigated(trio, params, plot, probe: float, resolve: float) -> WarningModel:
    """With a very high choice temperature the three responses are near 1/3 each, so a draw of
    0.5 falls on the middle one: investigate."""
    uniforms = {U.RESPOND: 0.5, U.PROBE: probe, U.RESOLVE: resolve}
    return run(trio, params, [plot], [Sighting(0, S, day=1, uniforms=uniforms)])


def test_investigation_costs_time_and_money_and_then_decides(trio):
    params = ModelParams(choice_temperature=10.0, investigation_days=4, **QUIET)
    plot = Plot(target=R, emerge=0, attack_day=40)
    model = _investigated(trio, params, plot, probe=0.0, resolve=0.0)
    cable = only_cable(model)
    assert cable.response is Response.INVESTIGATED and cable.heeded is True
    assert cable.investigation_positive is True and cable.decided_day == cable.delivered_day + 4
    assert cable.credibility_after_investigation > cable.perceived_credibility
    assert model.outcomes()["investigative_cost"] == pytest.approx(params.investigation_cost)


def test_investigation_that_finds_nothing_lowers_credibility(trio):
    params = ModelParams(choice_temperature=10.0, **QUIET)
    plot = Plot(target=R, emerge=0, attack_day=40)
    cable = only_cable(_investigated(trio, params, plot, probe=1.0, resolve=1.0))
    assert cable.response is Response.INVESTIGATED
    assert cable.investigation_positive is False and cable.heeded is False
    assert cable.credibility_after_investigation < cable.perceived_credibility


def test_no_investigation_when_the_warned_date_comes_first(trio):
    params = ModelParams(choice_temperature=10.0, investigation_days=30, **QUIET)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.p_investigate == 0.0


@pytest.mark.parametrize(("policy", "heeded"), [("heed_all", True), ("dismiss_all", False)])
def test_response_policy_overrides_the_choice(trio, policy, heeded):
    params = ModelParams(response_policy=policy, **QUIET)
    cable = only_cable(run(trio, params, [FALSE_LEAD_ON_R], [Sighting(0, S, day=1)]))
    assert cable.heeded is heeded


def test_protective_actions_in_force_make_the_next_one_dearer(trio):
    """Warning overload: cost = action_cost x (1 + load / attention_capacity) + stake_cost x
    D_R(scale); only the fixed part grows with the actions in force."""
    params = ModelParams(attention_capacity=2.0, response_policy="heed_all", action_cost=0.28,
                         stake_cost=0.2, **QUIET)
    plots = [Plot(target=R, emerge=0, attack_day=30, real=False) for _ in range(3)]
    sightings = [Sighting(k, S, day=1 + k) for k in range(3)]
    model = run(trio, params, plots, sightings)
    assert [c.scale for c in model.log] == ["mass"] * 3
    stake = 0.2 * stakes(model, R)[Scale.MASS]
    costs = [c.heed_cost for c in model.log]
    assert costs == pytest.approx([0.28 * (1 + k / 2.0) + stake for k in range(3)])
    assert model.outcomes()["protective_cost"] == pytest.approx(sum(costs))


def test_a_second_warning_about_a_threat_already_acted_on_costs_nothing(trio):
    """Only the first heeded warning's action is paid: action_cost + stake_cost x D_R(mass)."""
    params = ModelParams(response_policy="heed_all", rivalry=0.3, action_cost=0.28,
                         stake_cost=0.2, **QUIET)  # T warns non-rivals
    sightings = [Sighting(0, S, day=1), Sighting(0, T, day=2)]
    model = run(trio, params, [FALSE_LEAD_ON_R], sightings)
    assert [c.heeded for c in model.log] == [True, True]
    assert [c.scale for c in model.log] == ["mass", "mass"]
    once = 0.28 + 0.2 * stakes(model, R)[Scale.MASS]
    assert model.outcomes()["protective_cost"] == pytest.approx(once)


@pytest.mark.parametrize(("actions", "interdicted"), [(0, True), (3, False)])
def test_protective_actions_divert_home_security(trio, actions, interdicted):
    """Home interdiction chance 0.85 x (1 - 0.2)^k against a uniform of 0.5: 0.85, then 0.435."""
    params = ModelParams(diversion=0.2, home_interdiction=0.85, response_policy="heed_all",
                         protection_days=30, **QUIET)
    home_plot = Plot(target=R, emerge=0, attack_day=40, aware_day=2, home_try_day=10, home_u=0.5)
    alarms = [Plot(target=R, emerge=0, attack_day=30, real=False) for _ in range(actions)]
    sightings = [Sighting(1 + k, S, day=1) for k in range(actions)]
    model = run(trio, params, [home_plot, *alarms], sightings)
    assert (model.threats.fate[0] == FateCode.INTERDICTED) == interdicted


def test_passing_details_to_a_rival_burns_sources_and_capability(trio):
    """burn chance = burn_risk x sensitivity x rivalry = 1 x 1 x 0.7 per detail, uniform 0."""
    params = ModelParams(burn_risk=1.0, burn_loss=0.5, **QUIET)
    plots = [PLOT_ON_R, Plot(target=R, emerge=0, attack_day=40)]
    sightings = [Sighting(0, S, day=1, uniforms={U.BURN: 0.0}),
                 Sighting(1, S, day=30, detect_u=0.25 * 0.8 * 0.5)]  # detected at capability 0.8
    model = run(trio, params, plots, sightings)
    first = model.log.cables[0]
    assert first.sources_burned == 3 and model.outcomes()["sources_burned"] == 3
    assert model.agencies[S].capability == pytest.approx(0.8 * 0.5**3)
    assert len(model.log) == 1  # the second detection needed more capability than is left


def test_home_security_alone_can_interdict(trio):
    plot = Plot(target=R, emerge=0, attack_day=20, aware_day=3, home_try_day=8, home_u=0.0)
    model = run(trio, ModelParams(), [plot])
    assert model.threats.fate[0] == FateCode.INTERDICTED and model.outcomes()["interdicted"] == 1


# --- strategic fabrication ------------------------------------------------------------------------
def test_an_opportunist_fabricates_to_a_rival_and_not_to_an_ally(trio):
    """Fabricate iff rivalry_gain x opportunism x rivalry x expected response x the recipient's
    acting cost > reputation_weight x (belief lost to a false alarm) + fabrication_cost,
    against the decision uniform 0.5 (sim.senders.fabricate). The acting cost of a claimed
    mass-casualty plot is stake_cost x D(mass) (action_cost 0, no political or face cost) and
    the belief lost lies in [0, 1], so the loss lies in [f, f + reputation_weight]: toward R
    (rivalry 0.9) the gain is above that range, toward the ally T (0.1, within bloc A), a
    ninth of it, below it."""
    params = ModelParams(rivalry=0.9, within_bloc_rivalry=0.1, rivalry_gain=10.0,
                         action_cost=0.0, stake_cost=0.2, rival_action_cost=0.0, face_cost=0.0,
                         reputation_weight=0.2, fabrication_cost=1.0)
    from sim.engine import template

    agencies = template(trio, params).agencies
    gain = {r: 10.0 * 1.0 * rivalry * START_RESPONSE * 0.2 * agencies["dismissed_deaths"][r][Scale.MASS]
            for r, rivalry in ((R, 0.9), (T, 0.1))}
    assert gain[T] < 1.0 and gain[R] > 1.0 + 0.2  # the derivation's premise
    decide = {U.WAIVER: 0.5}
    fabs = [Fabrication(S, R, day=3, uniforms=decide), Fabrication(S, T, day=3, uniforms=decide)]
    model = run(trio, params, [], fabrications=fabs, opportunist=[S])
    cable = only_cable(model)
    assert cable.fabricated and cable.recipient == "R" and cable.confirmed is False
    assert model.outcomes()["fabricated_warnings"] == 1


@pytest.mark.parametrize(("gain", "opportunist", "taken"), [
    (10.0, (S,), True), (0.0, (S,), False), (10.0, (), False)])
def test_no_gain_from_a_rivals_losses_no_fabrication(trio, gain, opportunist, taken):
    params = ModelParams(rivalry=0.9, rivalry_gain=gain)
    model = run(trio, params, [], fabrications=[Fabrication(S, R, day=3, uniforms={U.WAIVER: 0.5})],
                opportunist=opportunist)
    assert len(model.log) == int(taken)


def test_a_high_reputation_makes_fabricating_dearer(trio):
    """The reputation a false alarm costs is weighed at reputation_weight: a sender that cares
    enough about it leaves the opportunity."""
    decide = {U.WAIVER: 0.5}
    keen = run(trio, ModelParams(rivalry=0.9, rivalry_gain=2.0), [],
               fabrications=[Fabrication(S, R, day=3, uniforms=decide)], opportunist=[S])
    careful = run(trio, ModelParams(rivalry=0.9, rivalry_gain=2.0, reputation_weight=50.0), [],
                  fabrications=[Fabrication(S, R, day=3, uniforms=decide)], opportunist=[S])
    assert len(keen.log) == 1 and len(careful.log) == 0


def test_a_warning_no_benevolent_sender_could_send_is_seen_through(trio):
    """T's doctrine excludes rivals: a warning from T to a rival can only be a fabrication."""
    params = ModelParams(rivalry=0.9)
    model = run(trio, params, [], fabrications=[Fabrication(T, R, day=3)], opportunist=[T])
    cable = only_cable(model)
    assert cable.p_fabricated == pytest.approx(1.0) and cable.perceived_credibility < 1e-6


def test_fabrications_need_a_channel_too(trio_without_liaison):
    params = ModelParams(rivalry=0.9, no_liaison_route="none")
    model = run(trio_without_liaison, params, [], fabrications=[Fabrication(S, R, day=3)],
                opportunist=[S])
    assert len(model.log) == 0


# --- rivalry dynamics -------------------------------------------------------------------------------
def test_confirmed_warnings_lower_rivalry_with_intelligence_diplomacy(trio):
    params = ModelParams(rivalry=0.7, diplomacy_effect=0.2, **QUIET)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert only_cable(model).confirmed
    assert model.rivalry[R, S] == pytest.approx(0.5) and model.rivalry[S, R] == pytest.approx(0.5)


def test_scheduled_rivalry_shift_takes_effect_on_its_day():
    text = TRIO + '[[shift]]\nday = 10\nbetween = ["A", "B"]\nrivalry = 0.1\n'
    scenario = parse_scenario(text, origin="shifting")
    params = ModelParams(rivalry=0.9)
    model = WarningModel(scenario=scenario, params=params, days=20, rng=0,
                         world=build_world(params, scenario.size, []))
    for _ in range(10):
        model.step()
    assert model.rivalry[S, R] == pytest.approx(0.9) and model.rival[S, R]
    model.step()
    assert model.rivalry[S, R] == pytest.approx(0.1) and not model.rival[S, R]
    release(model)


# --- the record ----------------------------------------------------------------------------------
def test_every_triggered_warning_is_recorded_with_its_cable_fields(trio):
    params = ModelParams(doctrine="non_rivals", rivalry=0.9)
    plot_on_s = Plot(target=S, emerge=0, attack_day=20)
    model = run(trio, params, [PLOT_ON_R, plot_on_s], [Sighting(0, S, day=1), Sighting(1, T, day=2)])
    columns = model.warning_log()
    assert columns["waiver_reason"] == ["doctrine_excludes", ""]
    assert columns["sender"] == ["S", "T"] and columns["recipient"] == ["R", "S"]
    assert columns["plot_id"] == [0, 1] and columns["is_real"] == [True, True]
    assert columns["response"][0] == "" and columns["response"][1] in {"heeded", "investigated", "dismissed"}


def test_first_warnings_carry_the_cry_wolf_probe(trio):
    plots = [PLOT_ON_R, Plot(target=R, emerge=0, attack_day=30)]
    model = run(trio, ModelParams(**QUIET), plots, [Sighting(0, S, day=1), Sighting(1, S, day=5)])
    columns = model.warning_log()
    first, second = columns["p_heed_after_false_alarm"]
    assert first is not None and second is None
    assert first <= columns["p_heed"][0]


def test_results_do_not_depend_on_the_order_agencies_act_in(trio_without_liaison):
    """Same world, different shuffles: identical outcomes (only warning ids may differ)."""
    params = ModelParams(attacker_adaptation=1.0, no_liaison_route="public", **QUIET)
    plots = [PLOT_ON_R, Plot(target=S, emerge=0, attack_day=25)]
    sightings = [Sighting(0, S, day=2, shift=4, uniforms={U.RESPOND: 0.0, U.INTERDICT: 1.0}),
                 Sighting(0, T, day=2, uniforms={U.RESPOND: 0.0, U.INTERDICT: 1.0, U.DETER: 0.0}),
                 Sighting(1, R, day=2), Sighting(1, T, day=2, uniforms=SURE_HEED)]
    results = set()
    for seed in range(12):
        world = build_world(params, 3, plots, sightings=sightings)
        model = WarningModel(scenario=trio_without_liaison, params=params, days=60, rng=seed,
                             world=world)
        model.run()
        rows = sorted((c.sender, c.recipient, c.heeded, c.confirmed, c.warned_day) for c in model.log)
        outcomes = {k: None if isinstance(v, float) and np.isnan(v) else v
                    for k, v in model.outcomes().items()}
        results.add((tuple(sorted(outcomes.items())), tuple(rows)))
        release(model)
    assert len(results) == 1


def test_a_warning_delivered_after_its_window_is_still_judged(trio):
    params = ModelParams(confirmation_window=0, **QUIET)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=30)]))
    assert cable.delivered_day == 31 and cable.confirmed is True


def test_no_warning_about_a_plot_already_ended_by_arrests(trio):
    plot = Plot(target=R, emerge=0, attack_day=40, aware_day=1, home_try_day=2)
    model = run(trio, ModelParams(impending_horizon=30), [plot], [Sighting(0, S, day=5)])
    assert len(model.log) == 0 and model.outcomes()["interdicted"] == 1


def test_logged_rivalry_is_the_one_the_recipient_judged_with():
    text = TRIO + '[[shift]]\nday = 3\nbetween = ["A", "B"]\nrivalry = 0.2\n'
    scenario = parse_scenario(text, origin="shifting")
    params = ModelParams(rivalry=0.9, **QUIET)
    cable = only_cable(run(scenario, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=4)]))
    assert cable.delivered_day == 5 and cable.rivalry == pytest.approx(0.2)


def asymmetric(from_s_to_r: float, from_r_to_s: float) -> Scenario:
    text = TRIO + (f'[[pair]]\nfrom = "S"\nto = "R"\nrivalry = {from_s_to_r}\n'
                   f'[[pair]]\nfrom = "R"\nto = "S"\nrivalry = {from_r_to_s}\n')
    return parse_scenario(text, origin="asymmetric")


def test_sender_screens_with_its_own_rivalry():
    params = ModelParams(doctrine="non_rivals", **QUIET)
    cable = only_cable(run(asymmetric(0.9, 0.1), params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    warm = only_cable(run(asymmetric(0.1, 0.9), params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert warm.sent and warm.rivalry == pytest.approx(0.9)


def test_public_heeding_of_a_rival_costs_face(trio, trio_without_liaison):
    params = ModelParams(no_liaison_route="public", face_cost=1.0, rivalry=0.8, **QUIET)
    private = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    public = only_cable(run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert private.face_loss == 0.0 and public.face_loss == pytest.approx(0.8)
    assert public.p_heed < private.p_heed
