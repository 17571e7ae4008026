"""Claims as evidence (docs/ODD.md 7.11): fabricators claim the scale that makes the recipient
act most often (:func:`sim.inference.claimed_scale`), and a recipient that knows this reads a
warning's claimed scale as evidence about whether it is fabricated
(:func:`sim.inference.claim_evidence`). Scripted worlds; the expected numbers come from the
formula ``l_h = (1 - phi_h) mu_x + phi_h delta_x`` with ``mu`` computed here from the lethality
law, not read from the code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.inference import ABILITY_LEVELS, START_RESPONSE, posterior, prior_vector
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scripted import Fabrication, Plot, Sighting, build_world
from sim.world import U
from tests.conftest import R, S

DISMISS = {U.RESPOND: 1.0}
# As in test_suspicion: every sender an opportunist, nothing public, sources worth nothing,
# no reputation, the fixed cost of acting alone (stake_cost 0): the derived prior is the
# fabrication rule itself. claim_evidence is off by default: the mechanism under test is
# switched on here, and each test compares with the same world with it off.
BASE = dict(opportunism=1.0, face_cost=0.0, source_value=0.0, choice_temperature=0.1,
            rivalry=0.8, rival_action_cost=0.0, action_cost=0.28, stake_cost=0.0,
            reputation_weight=0.0, rivalry_gain=1.0, fabrication_cost=0.1, claim_evidence=True)
LOCATION_WITHHELD = (True, False, True)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def indicated_mass(p: ModelParams) -> float:
    """Share of genuine warnings indicating a mass-casualty scale: the Lomax tail
    ``(1 + T / scale)^-(alpha - 1)`` read right with ``scale_accuracy``."""
    share = (1.0 + p.mass_threshold / p.lethality_scale) ** -(p.lethality_alpha - 1.0)
    a = p.scale_accuracy
    return a * share + (1.0 - a) * (1.0 - share)


def first_warning(trio, params: ModelParams, lethality: int,
                  known: tuple[bool, bool, bool] = (True, True, True)):
    """S warns R on day 0 of a plot of this lethality (R dismisses); the cable and the model."""
    plot = Plot(target=R, emerge=0, attack_day=20, lethality=lethality)
    world = build_world(params, trio.size, [plot],
                        sightings=[Sighting(0, S, day=0, known=known, uniforms=DISMISS)])
    model = WarningModel(scenario=trio, params=params, days=1, rng=0, world=world)
    model.run()
    release(model)
    (cable,) = model.log.cables
    return cable, model


def expected(model: WarningModel, manipulative: float, genuine: float, fake: float):
    """R's belief that S is benevolent and its chance that the warning is real (before the
    details' checks), from the prior, a quiet day 0, the arrival and the claim."""
    dyad = model.dyad(S, R)
    phi = dyad.fabricated
    like = (1.0 - phi) * genuine + phi * fake
    probs = posterior(prior_vector(manipulative) + dyad.silence + dyad.arrival + np.log(like))
    return float(probs[:ABILITY_LEVELS].sum()), float(probs @ (dyad.real * genuine / like))


PRIOR = logistic((1.0 * 0.8 * START_RESPONSE * 0.28 - 0.1) / 0.1)  # test_suspicion's rule


def test_a_mass_claim_from_a_suspected_sender_is_evidence_of_fabrication(trio):
    params = ModelParams(**BASE)
    cable, model = first_warning(trio, params, lethality=100)
    assert cable.scale == "mass"
    mu = indicated_mass(params)
    assert 0.1 < mu < 0.5 and 0.3 < PRIOR < 0.7  # interior: a wrong formula shows
    benevolent, real = expected(model, PRIOR, mu, 1.0)
    assert cable.perceived_benevolence == pytest.approx(benevolent)
    assert cable.perceived_credibility == pytest.approx(logistic(logit(real) + cable.evidence_llr))
    naive, _ = first_warning(trio, params.replace(claim_evidence=False), lethality=100)
    assert cable.perceived_benevolence < naive.perceived_benevolence - 0.05
    assert cable.perceived_credibility < naive.perceived_credibility - 0.05


def test_a_small_claim_is_evidence_against_fabrication(trio):
    """Fabricators never claim a small scale (it averts less), so a small claim raises trust."""
    params = ModelParams(**BASE)
    cable, model = first_warning(trio, params, lethality=3)
    assert cable.scale == "small"
    benevolent, real = expected(model, PRIOR, 1.0 - indicated_mass(params), 0.0)
    assert cable.perceived_benevolence == pytest.approx(benevolent)
    assert cable.perceived_credibility == pytest.approx(logistic(logit(real) + cable.evidence_llr))
    naive, _ = first_warning(trio, params.replace(claim_evidence=False), lethality=3)
    assert cable.perceived_benevolence > naive.perceived_benevolence + 0.05


def test_without_a_location_no_scale_is_claimed_and_nothing_is_read(trio):
    params = ModelParams(**BASE)
    cable, model = first_warning(trio, params, lethality=100, known=LOCATION_WITHHELD)
    assert cable.scale == "unspecified"
    benevolent, _ = expected(model, PRIOR, 1.0, 1.0)
    assert cable.perceived_benevolence == pytest.approx(benevolent)
    naive, _ = first_warning(trio, params.replace(claim_evidence=False), lethality=100,
                             known=LOCATION_WITHHELD)
    assert cable.perceived_credibility == pytest.approx(naive.perceived_credibility)


@pytest.mark.parametrize(("details", "scale"), [(2, "mass"), (1, "unspecified")])
def test_a_fabricator_claims_the_mass_scale_with_its_location(trio, details, scale):
    """Whatever scale the world drew for the opportunity (small in scripted worlds), a
    fabrication that claims a location claims the scale that makes acting most likely."""
    params = ModelParams(**BASE)
    world = build_world(params, trio.size, [], opportunist=[S],
                        fabrications=[Fabrication(S, R, day=0, details=details,
                                                  uniforms=DISMISS)])
    model = WarningModel(scenario=trio, params=params, days=1, rng=0, world=world)
    model.run()
    release(model)
    (cable,) = model.log.cables
    assert cable.fabricated
    assert cable.scale == scale
