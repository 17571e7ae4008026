"""Scripted scenarios: each mechanism, on a hand-built world, through the model's public API."""

from __future__ import annotations

import numpy as np
import pytest

from sim.enums import Channel, WaiverReason
from sim.log import Cable
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scenarios import Scenario, parse_scenario
from sim.scripted import Fabrication, Plot, Sighting, build_world
from sim.threats import FateCode, U
from tests.conftest import TRIO, R, S, T

SURE_HEED = {U.DECIDE: 0.0}
SURE_DISMISS = {U.DECIDE: 1.0}


def run(scenario: Scenario, params: ModelParams, plots, sightings=(), *, fabrications=(),
        manipulative=(), days: int = 60) -> WarningModel:
    world = build_world(params, scenario.size, plots, sightings=sightings,
                        fabrications=fabrications, manipulative=manipulative)
    model = WarningModel(scenario, params, days=days, rng=0, world=world)
    model.run()
    release(model)
    return model


def only_cable(model: WarningModel) -> Cable:
    assert len(model.log) == 1, [c.waiver_reason for c in model.log]
    return model.log.cables[0]


PLOT_ON_R = Plot(target=R, emerge=0, attack_day=20, lethality=100)
PUBLIC_ONLY = ModelParams(relay_when_no_liaison=False)


# --- trigger ---------------------------------------------------------------------------------
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


# --- waivers ---------------------------------------------------------------------------------
def test_doctrine_never_waives(trio):
    model = run(trio, ModelParams(doctrine="never"), [PLOT_ON_R], [Sighting(0, S, day=1)])
    cable = only_cable(model)
    assert cable.waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    assert cable.channel is None and cable.delivered_day == -1


def test_non_rivals_doctrine_warns_friends_only(trio):
    plot_on_s = Plot(target=S, emerge=0, attack_day=20)
    model = run(trio, ModelParams(rivalry=0.8), [PLOT_ON_R, plot_on_s],
                [Sighting(0, T, day=1), Sighting(1, T, day=1)])
    by_recipient = {c.recipient: c for c in model.log}
    assert by_recipient["R"].waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    assert by_recipient["S"].sent


def test_recipient_already_aware_waives(trio):
    plot = Plot(target=R, emerge=0, attack_day=20, aware_day=1)
    model = run(trio, ModelParams(), [plot], [Sighting(0, S, day=3)])
    assert only_cable(model).waiver_reason is WaiverReason.RECIPIENT_AWARE


def test_no_channel_waives_when_relays_and_public_alerts_are_off(trio_without_liaison):
    params = ModelParams(public_when_no_liaison=False, relay_when_no_liaison=False)
    model = run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1)])
    assert only_cable(model).waiver_reason is WaiverReason.NO_CHANNEL


def test_no_liaison_relays_through_a_third_agency(trio_without_liaison):
    params = ModelParams(source_waiver_weight=0.0, relay_delay=3)
    model = run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=1)])
    cable = only_cable(model)
    assert cable.channel is Channel.RELAY and not cable.public
    assert cable.delivered_day == 1 + 1 + 3
    assert model.relays[S, R] == T


def test_no_liaison_and_no_relay_falls_back_to_public_alert(trio_without_liaison):
    model = run(trio_without_liaison, PUBLIC_ONLY, [PLOT_ON_R], [Sighting(0, S, day=1)])
    assert only_cable(model).channel is Channel.PUBLIC


@pytest.mark.parametrize(("rivalry", "waived"), [(1.0, True), (0.4, False)])
def test_sources_at_risk_waiver_grows_with_rivalry(trio, rivalry, waived):
    # waiver chance = weight 1 x sensitivity 1 x rivalry, against a uniform of 0.5
    params = ModelParams(rivalry=rivalry, source_waiver_weight=1.0)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)])
    reason = only_cable(model).waiver_reason
    assert (reason is WaiverReason.SOURCES_AT_RISK) == waived


# --- sanitisation, channel, delivery ------------------------------------------------------------
def test_sanitisation_withholds_details_from_a_rival(trio):
    params = ModelParams(rivalry=1.0, sanitisation=1.0, source_waiver_weight=0.0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.sent and cable.details_known == 3 and cable.details_passed == 0
    assert not (cable.timing or cable.location or cable.perpetrators)


def test_no_sanitisation_passes_everything_known(trio):
    params = ModelParams(sanitisation=0.0, source_waiver_weight=0.0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, known=(True, False, True))]))
    assert (cable.details_known, cable.details_passed) == (2, 2)
    assert cable.timing and not cable.location and cable.perpetrators


def test_public_alert_share_adds_a_public_alert(trio):
    params = ModelParams(public_alert_share=1.0, source_waiver_weight=0.0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.channel is Channel.BOTH


def test_cable_delivery_takes_its_delay_public_alert_does_not(trio, trio_without_liaison):
    params = ModelParams(source_waiver_weight=0.0, relay_when_no_liaison=False)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=4)]))
    assert cable.delivered_day == 5
    public = only_cable(run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=4)]))
    assert public.delivered_day == 1


def test_public_alert_makes_attackers_shift_their_date(trio_without_liaison):
    params = ModelParams(attacker_adaptation=1.0, source_waiver_weight=0.0,
                         relay_when_no_liaison=False)
    model = run(trio_without_liaison, params, [PLOT_ON_R],
                [Sighting(0, S, day=1, shift=6, uniforms=SURE_DISMISS)])
    assert model.threats.fate[0] == FateCode.ATTACK
    assert model.threats.fate_day[0] == 26
    assert model.outcomes()["attacks_shifted"] == 1


def test_private_warning_does_not_shift_the_attack(trio):
    params = ModelParams(attacker_adaptation=1.0, source_waiver_weight=0.0)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert model.threats.fate_day[0] == 20


# --- the recipient's decision and its consequences ----------------------------------------------
def test_heeded_specific_warning_can_lead_to_arrests(trio):
    params = ModelParams(source_waiver_weight=0.0, sanitisation=0.0)
    uniforms = {U.DECIDE: 0.0, U.INTERDICT: 0.0, U.WHEN: 0.5}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    cable = only_cable(model)
    assert cable.heeded and cable.confirmed
    out = model.outcomes()
    assert (out["interdicted"], out["attacks"], out["casualties"]) == (1, 0, 0)
    assert model.confirmations[R, S] > 0.9


def test_heeded_warning_that_deters_looks_like_a_false_alarm(trio):
    """The prevention paradox: a plot silently abandoned leaves nothing to confirm the sender."""
    params = ModelParams(source_waiver_weight=0.0, trust_decay=0.0)
    uniforms = {U.DECIDE: 0.0, U.INTERDICT: 1.0, U.DETER: 0.0}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    cable = only_cable(model)
    assert cable.heeded and cable.confirmed is False
    assert model.outcomes()["deterred"] == 1
    assert model.disconfirmations[R, S] == pytest.approx(params.cry_wolf_penalty)
    assert model.trust_matrix()[R, S] < model.judgement.prior_mean(params.rivalry)


def test_heeded_warning_mitigates_an_attack_that_still_comes(trio):
    params = ModelParams(source_waiver_weight=0.0, casualty_reduction=0.5)
    uniforms = {U.DECIDE: 0.0, U.INTERDICT: 1.0, U.DETER: 1.0}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=uniforms)])
    out = model.outcomes()
    assert (out["attacks"], out["casualties"], out["lives_saved"]) == (1, 50, 50)


def test_dismissed_warning_leaves_full_casualties_but_is_confirmed(trio):
    params = ModelParams(source_waiver_weight=0.0)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    cable = only_cable(model)
    assert cable.heeded is False and cable.confirmed is True
    assert model.outcomes()["casualties"] == 100


def test_trust_rises_after_confirmation_and_falls_after_false_alarm(trio):
    params = ModelParams(source_waiver_weight=0.0, trust_decay=0.0)
    prior = float(model_prior(trio, params))
    confirmed = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)])
    false_lead = Plot(target=R, emerge=0, attack_day=20, real=False)
    alarmed = run(trio, params, [false_lead], [Sighting(0, S, day=1)])
    assert only_cable(alarmed).is_real is False and only_cable(alarmed).confirmed is False
    assert confirmed.trust_matrix()[R, S] > prior > alarmed.trust_matrix()[R, S]


def model_prior(scenario: Scenario, params: ModelParams) -> float:
    return float(WarningModel(scenario, params, days=0, rng=0).judgement.prior_mean(params.rivalry))


def test_cry_wolf_penalty_scales_the_loss_of_trust(trio):
    false_lead = Plot(target=R, emerge=0, attack_day=20, real=False)
    trust = []
    for penalty in (0.0, 1.0, 3.0):
        params = ModelParams(source_waiver_weight=0.0, trust_decay=0.0, cry_wolf_penalty=penalty)
        trust.append(run(trio, params, [false_lead], [Sighting(0, S, day=1)]).trust_matrix()[R, S])
    assert trust[0] > trust[1] > trust[2]


def test_trust_evidence_decays_toward_the_prior(trio):
    slow = ModelParams(source_waiver_weight=0.0, trust_decay=0.0)
    fast = ModelParams(source_waiver_weight=0.0, trust_decay=0.05)
    plots, sightings = [PLOT_ON_R], [Sighting(0, S, day=1)]
    kept = run(trio, slow, plots, sightings, days=200).trust_matrix()[R, S]
    faded = run(trio, fast, plots, sightings, days=200).trust_matrix()[R, S]
    prior = model_prior(trio, fast)
    assert kept > faded > prior
    assert faded - prior < 0.1 * (kept - prior)


def test_corroboration_and_details_raise_perceived_credibility(trio):
    params = ModelParams(source_waiver_weight=0.0, sanitisation=0.0)
    aware = Plot(target=R, emerge=0, attack_day=20, aware_day=2)
    plain = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, known=(True, False, False))])
    detailed = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)])
    # delivered after the recipient's own services learned of it: corroborated
    late = run(trio, params, [aware], [Sighting(0, S, day=1, delay=3, known=(True, False, False))])
    c_plain, c_detailed, c_late = only_cable(plain), only_cable(detailed), only_cable(late)
    assert c_late.corroborated and not c_plain.corroborated
    assert c_detailed.perceived_credibility > c_plain.perceived_credibility
    assert c_late.perceived_credibility > c_plain.perceived_credibility
    assert c_detailed.heed_probability > c_plain.heed_probability


def test_public_warning_costs_more_face(trio, trio_without_liaison):
    params = ModelParams(source_waiver_weight=0.0, relay_when_no_liaison=False)
    private = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    public = only_cable(run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert public.perceived_credibility == pytest.approx(private.perceived_credibility)
    assert public.heed_probability < private.heed_probability


# --- manipulation, rivalry dynamics ------------------------------------------------------------
def test_manipulative_agency_fabricates_only_to_rivals(trio):
    params = ModelParams(rivalry=0.9)
    fabs = [Fabrication(S, R, day=3), Fabrication(S, T, day=3)]
    model = run(trio, params, [], fabrications=fabs, manipulative=[S])
    cable = only_cable(model)
    assert cable.fabricated and cable.recipient == "R" and not cable.is_real
    assert cable.confirmed is False
    assert model.outcomes()["fabricated_warnings"] == 1


def test_confirmed_warnings_lower_rivalry_with_intelligence_diplomacy(trio):
    params = ModelParams(rivalry=0.7, diplomacy_effect=0.2, source_waiver_weight=0.0)
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms=SURE_DISMISS)])
    assert only_cable(model).confirmed
    assert model.rivalry[R, S] == pytest.approx(0.5)
    assert model.rivalry[S, R] == pytest.approx(0.5)


def test_scheduled_rivalry_shift_takes_effect_on_its_day():
    text = TRIO + '[[shift]]\nday = 10\nbetween = ["A", "B"]\nrivalry = 0.1\n'
    scenario = parse_scenario(text, origin="shifting")
    params = ModelParams(rivalry=0.9)
    world = build_world(params, scenario.size, [])
    model = WarningModel(scenario, params, days=20, rng=0, world=world)
    for _ in range(10):
        model.step()
    assert model.rivalry[S, R] == pytest.approx(0.9)
    model.step()
    assert model.rivalry[S, R] == pytest.approx(0.1) and model.rivalry[R, T] == pytest.approx(0.1)
    assert model.rivalry[S, T] == pytest.approx(params.within_bloc_rivalry)
    release(model)


def test_home_security_alone_can_interdict(trio):
    plot = Plot(target=R, emerge=0, attack_day=20, aware_day=3, home_interdict_day=8)
    model = run(trio, ModelParams(), [plot])
    assert model.threats.fate[0] == FateCode.INTERDICTED
    assert model.outcomes()["interdicted"] == 1


def test_every_triggered_warning_is_recorded_with_its_cable_fields(trio):
    params = ModelParams(doctrine="non_rivals", rivalry=0.9)
    plot_on_s = Plot(target=S, emerge=0, attack_day=20)
    model = run(trio, params, [PLOT_ON_R, plot_on_s], [Sighting(0, S, day=1), Sighting(1, T, day=2)])
    columns = model.log.columns()
    assert columns["waiver_reason"] == ["doctrine_excludes", ""]
    assert columns["sender"] == ["S", "T"] and columns["recipient"] == ["R", "S"]
    assert columns["plot_id"] == [0, 1] and columns["is_real"] == [True, True]
    assert np.isfinite(columns["credibility"]).all()


def test_results_do_not_depend_on_the_order_agencies_act_in(trio_without_liaison):
    """Same world, different shuffles: identical outcomes (only warning ids may differ)."""
    params = ModelParams(attacker_adaptation=1.0, relay_when_no_liaison=False, source_waiver_weight=0.0)
    plots = [PLOT_ON_R, Plot(target=S, emerge=0, attack_day=25)]
    sightings = [Sighting(0, S, day=2, shift=4, uniforms={U.DECIDE: 0.0, U.INTERDICT: 1.0}),
                 Sighting(0, T, day=2, uniforms={U.DECIDE: 0.0, U.INTERDICT: 1.0, U.DETER: 0.0}),
                 Sighting(1, R, day=2), Sighting(1, T, day=2, uniforms=SURE_HEED)]
    results = set()
    for seed in range(12):
        world = build_world(params, 3, plots, sightings=sightings)
        model = WarningModel(trio_without_liaison, params, days=60, rng=seed, world=world)
        model.run()
        rows = sorted((c.sender, c.recipient, c.heeded, c.confirmed, c.claimed_day) for c in model.log)
        outcomes = {k: None if np.isnan(v) else v for k, v in model.outcomes().items()}
        results.add((tuple(sorted(outcomes.items())), tuple(rows)))
        release(model)
    assert len(results) == 1


def test_a_warning_delivered_after_its_window_is_still_judged(trio):
    params = ModelParams(source_waiver_weight=0.0, confirmation_window=0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=30)]))
    assert cable.delivered_day == 31 and cable.confirmed is True


def test_no_warning_about_a_plot_already_ended_by_arrests(trio):
    plot = Plot(target=R, emerge=0, attack_day=40, aware_day=1, home_interdict_day=2)
    model = run(trio, ModelParams(impending_horizon=30), [plot], [Sighting(0, S, day=5)])
    assert len(model.log) == 0 and model.outcomes()["interdicted"] == 1


def test_relayed_warning_names_its_relay(trio_without_liaison):
    params = ModelParams(source_waiver_weight=0.0)
    cable = only_cable(run(trio_without_liaison, params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.relay == "T" and cable.channel is Channel.RELAY


def test_fabrications_need_a_channel_too(trio_without_liaison):
    params = ModelParams(rivalry=0.9, relay_when_no_liaison=False, public_when_no_liaison=False)
    model = run(trio_without_liaison, params, [], fabrications=[Fabrication(S, R, day=3)],
                manipulative=[S])
    assert len(model.log) == 0


def test_logged_rivalry_is_the_one_the_recipient_judged_with():
    text = TRIO + '[[shift]]\nday = 3\nbetween = ["A", "B"]\nrivalry = 0.2\n'
    scenario = parse_scenario(text, origin="shifting")
    params = ModelParams(rivalry=0.9, source_waiver_weight=0.0)
    cable = only_cable(run(scenario, params, [PLOT_ON_R], [Sighting(0, S, day=1, delay=4)]))
    assert cable.delivered_day == 5 and cable.rivalry == pytest.approx(0.2)


def test_a_waived_warning_passes_no_details(trio):
    cable = only_cable(run(trio, ModelParams(doctrine="never"), [PLOT_ON_R], [Sighting(0, S, day=1)]))
    assert cable.details_known == 3 and cable.details_passed == 0
    assert not (cable.timing or cable.location or cable.perpetrators)


@pytest.mark.parametrize(("u", "withheld"), [(0.4, True), (0.6, False)])
def test_sanitisation_chance_is_half_at_zero_rivalry_for_full_sensitivity(trio, u, withheld):
    # p(withhold) = sanitisation 1 x sensitivity 1 x (1 + rivalry 0) / 2 = 0.5
    params = ModelParams(rivalry=0.0, sanitisation=1.0, source_waiver_weight=0.0)
    cable = only_cable(run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, uniforms={U.SANITISE: u})]))
    assert cable.details_passed == (0 if withheld else 3)


def asymmetric(from_s_to_r: float, from_r_to_s: float) -> Scenario:
    text = TRIO + (f'[[pair]]\nfrom = "S"\nto = "R"\nrivalry = {from_s_to_r}\n'
                   f'[[pair]]\nfrom = "R"\nto = "S"\nrivalry = {from_r_to_s}\n')
    return parse_scenario(text, origin="asymmetric")


def test_sender_screens_with_its_own_rivalry_recipient_judges_with_its_own():
    params = ModelParams(doctrine="non_rivals", source_waiver_weight=0.0)
    # S sees R as a rival: S's doctrine excludes R, whatever R thinks of S.
    assert only_cable(run(asymmetric(0.9, 0.1), params, [PLOT_ON_R], [Sighting(0, S, day=1)])).waiver_reason \
        is WaiverReason.DOCTRINE_EXCLUDES
    # S does not see R as a rival: it warns, and R judges with its own (high) rivalry toward S.
    warm, cold = (only_cable(run(asymmetric(0.1, r_to_s), params, [PLOT_ON_R], [Sighting(0, S, day=1)]))
                  for r_to_s in (0.1, 0.9))
    assert warm.sent and cold.sent
    assert cold.rivalry == pytest.approx(0.9) and warm.rivalry == pytest.approx(0.1)
    assert cold.heed_probability < warm.heed_probability


@pytest.mark.parametrize(("known", "interdicted"), [((True, True, True), True), ((True, False, False), False)])
def test_arrests_are_likelier_the_more_specific_the_heeded_warning(trio, known, interdicted):
    # p(arrests) = 0.4 x (1 + 3 x specificity) / 4: 0.4 with 3 details, 0.2 with 1; uniform 0.3
    params = ModelParams(interdiction_effect=0.4, deterrence_effect=0.0, sanitisation=0.0,
                         source_waiver_weight=0.0)
    uniforms = {U.DECIDE: 0.0, U.INTERDICT: 0.3}
    model = run(trio, params, [PLOT_ON_R], [Sighting(0, S, day=1, known=known, uniforms=uniforms)])
    assert (model.outcomes()["interdicted"] == 1) == interdicted
