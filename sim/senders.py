"""What senders choose: to warn or withhold, which details to pass, whether to add a public
alert, and whether to plant a fabricated warning, each from their own payoffs.

Within the rules of the duty-to-warn protocol (:mod:`sim.protocol`), a sender ``s`` weighs, in
death-equivalents, what a choice brings it (Crawford & Sobel 1982: how much a message can be
trusted depends on how far the sender's interests diverge from the receiver's; Sobel 1985: a
sender values its credibility for later):

* **lives**: its ``concern`` (drawn per agency) times the deaths a warning averts in the
  recipient's country if the recipient acts (the recipient's own table,
  :func:`sim.inference.harm_averted`), times the chance the warning is real (its assessed
  credibility) and the chance the recipient acts;
* **a rival's losses as its gain**: its ``opportunism`` (drawn per agency) times
  ``rivalry_gain`` times its rivalry toward the recipient, times the costs the recipient pays
  when it acts: protective action, the political and face cost of acting on a rival's warning
  (:func:`opportunist_gain`); with ``deaths_as_gain`` the same rate per death in the recipient's
  country (:func:`hostility`: a hostile sender's value of the lives a warning saves is
  ``concern - hostility``). Rivalry enters the senders' choices only here, and through the
  exposure of sources: nothing declares that rivals lie more;
* **its sources**: ``source_value`` per source the details it passes are expected to burn
  (:func:`sim.consequences.burn_chance`);
* **its reputation**: ``reputation_weight`` times the change the warning's arrival and outcome
  would make to the recipient's belief that it is benevolent (:func:`reputation`; reputation is
  common knowledge: the sender reads the recipient's belief).

The sender expects the recipient to act as often as it has acted on its warnings so far
(:func:`expected_response`: Laplace's rule over the dyad's record). Each choice is a logit on
the difference of payoffs with ``choice_temperature`` (quantal response, McKelvey & Palfrey
1995), against the uniform drawn for it in :mod:`sim.world`:

* a detail is passed when the lives its verifiability and specificity save outweigh the source
  it may burn; the location detail also reveals the plot's scale;
* a triggered warning is waived (``sources_at_risk``, ICD 191 E.2) only when the sources its
  details put at risk outweigh what warning brings: without details at risk the duty to warn
  holds; a sender no duty binds (doctrine ``discretion``) withholds it (``withheld``) whenever
  what warning brings is below what it puts at risk, nothing at risk included;
* a public alert is added when ``public_alert_value`` (consular duty to its own citizens, credit
  with onlookers), plus what an opportunist gains from the recipient's face cost, outweighs the
  lives lost when plotters who read the alert move their date;
* a fabrication opportunity is taken when what the sender gains from the recipient acting on a
  false warning outweighs the reputation a false alarm costs and ``fabrication_cost``; with a
  location it claims the scale whose protective action costs the recipient most
  (:func:`sim.inference.claimed_scale`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.consequences import action_cost, burn_chance, political_loss
from sim.inference import (
    ARRIVAL,
    OUTCOME,
    PROBE_PROBS,
    PROBS,
    REAL,
    UNSPECIFIED_SCALE,
    benevolence,
    claimed_scale,
    dyad_model,
    face_loss,
    harm_averted,
    logistic,
    outcome_into,
    posterior_into,
    why_warn,
)
from sim.jit import kernel
from sim.ledger import log_weights
from sim.log import open_cable
from sim.protocol import (
    PUBLIC,
    RELAY,
    SOURCES_AT_RISK,
    WITHHELD,
    bound,
    reachable,
    route,
    screen_rules,
    set_detail,
)
from sim.world import N_DETAILS, Scale, U


@kernel
def expected_response(st: Any, s: int, r: int) -> float:
    """The chance ``s`` expects ``r`` to act on its warning: Laplace's rule over ``r``'s
    responses to ``s``'s warnings so far."""
    return (st.acted[r, s] + 1.0) / (st.answered[r, s] + 2.0)


@kernel
def opportunist_gain(st: Any, s: int, r: int) -> float:
    """Death-equivalents ``s`` gains per death-equivalent ``r`` spends: its opportunism times
    ``rivalry_gain`` times its rivalry toward ``r``."""
    p = st.params[0]
    return p.rivalry_gain * st.agencies[s].opportunism * st.rivalry[s, r]


@kernel
def hostility(st: Any, s: int, r: int) -> float:
    """What ``s`` gains per death in ``r``'s country (``deaths_as_gain``): the rival's deaths
    count among its losses, at the rate of its costs (:func:`opportunist_gain`), against the
    sender's concern for lives (Kydd 2005; Crawford & Sobel 1982)."""
    return opportunist_gain(st, s, r) if st.params[0].deaths_as_gain else 0.0


@kernel
def reputation(st: Any, s: int, r: int, day: int) -> tuple[float, float, float]:
    """``r``'s belief that ``s`` is benevolent now, and after a warning from ``s`` arrives and
    then proves a false alarm, or is confirmed."""
    prior = st.priors[r, s]
    dyad_model(st, s, r, st.genuine[s, r])
    why_warn(st, s, r, st.genuine[s, r], UNSPECIFIED_SCALE, 0)  # uses the scratch: first
    weights = log_weights(st, r, s, prior, day)
    now = benevolence(posterior_into(weights, st.scratch[PROBS]))
    arrival = st.scratch[ARRIVAL]
    real = st.scratch[REAL]
    beliefs = [0.0, 0.0]
    for confirmed in (False, True):
        outcome = outcome_into(real, confirmed, 1.0, st.scratch[OUTCOME])
        for h in range(outcome.shape[0]):
            outcome[h] = weights[h] + arrival[h] + outcome[h]
        beliefs[int(confirmed)] = benevolence(posterior_into(outcome, st.scratch[PROBE_PROBS]))
    return now, beliefs[0], beliefs[1]


@kernel
def acting_cost(st: Any, r: int, s: int, public: bool, scale: int) -> float:
    """What ``r`` pays when it acts on ``s``'s warning: protective action, political and face
    cost (the sender's view of :func:`sim.inference.expected_harm`)."""
    return action_cost(st, r, scale) + political_loss(st, r, s) + face_loss(st, r, s, public)


@kernel
def choice(st: Any, advantage: float, u: float) -> bool:
    """A logit choice on an advantage in death-equivalents, against the uniform ``u``."""
    return u < logistic(advantage / st.params[0].choice_temperature)


@kernel
def goes_public(st: Any, s: int, r: int, lives: float, u: float) -> bool:
    """Whether ``s`` adds a public alert: its value, what an opportunist gains from ``r``'s face
    cost, and ``lives`` (the sender's value of the lives the warning saves) lost by the share of
    plotters who move their date."""
    p = st.params[0]
    embarrass = (opportunist_gain(st, s, r) * expected_response(st, s, r)
                 * face_loss(st, r, s, True))
    shifted = lives * st.derived[0].shift_beyond_window  # adaptation's chance included
    return choice(st, p.public_alert_value + embarrass - shifted, u)


@kernel
def screen(st: Any, row: int, day: int) -> int:
    """The sender's choices on one triggered detection: the rules' waivers, the details it
    passes, the sources waiver, the channel. Returns the cable."""
    p = st.params[0]
    det = st.detections[row]
    k = det.threat
    threat = st.threats[k]
    s = det.agency
    r = threat.target
    me = st.agencies[s]
    u = det.u
    liaison = st.liaison[s, r]
    aware = 0 <= threat.aware_day <= day
    reason = screen_rules(p, me.doctrine, st.rivalry[s, r], aware, liaison)
    c = open_cable(st, day, s, r, st.rivalry[r, s])
    cab = st.cables[c]
    cab.plot_id = k if threat.is_real else -1
    cab.is_real = threat.is_real
    cab.credibility = det.credibility
    cab.threat = k
    cab.row = row
    cab.warned_day = threat.planned_day
    known = 0
    for i in range(N_DETAILS):
        if det.known[i]:
            known += 1
    cab.details_known = known
    if reason >= 0:
        cab.waiver_reason = reason
        return c
    # The sender knows the plot's scale as it reads it: the lives at stake are those, whatever
    # the recipient is told; a detail passed raises the chance that acting ends in arrests.
    indicated = det.indicated
    acting = expected_response(st, s, r) * det.credibility  # acts, on a real plot
    lives = (me.concern - hostility(st, s, r)) * acting
    burn = burn_chance(st, s, r)
    passed = 0
    for i in range(N_DETAILS):
        if not det.known[i]:
            continue
        gain = lives * (harm_averted(st, r, passed + 1, indicated)
                        - harm_averted(st, r, passed, indicated))
        if choice(st, gain - p.source_value * burn, u[U.SANITISE + i]):
            passed += 1
            set_detail(cab, i)
    saved = lives * harm_averted(st, r, passed, indicated)
    at_risk = p.source_value * burn * passed
    free = not bound(me.doctrine)
    if at_risk > 0.0 or free:  # a bound sender with nothing at risk cannot waive
        now, false_alarm, confirmed = reputation(st, s, r, day)
        credibility = det.credibility
        benefit = (saved + opportunist_gain(st, s, r) * expected_response(st, s, r)
                   * acting_cost(st, r, s, False, indicated if cab.location else Scale.UNSPECIFIED)
                   + p.reputation_weight * (credibility * confirmed
                                            + (1.0 - credibility) * false_alarm - now))
        if choice(st, at_risk - benefit, u[U.WAIVER]):
            cab.waiver_reason = WITHHELD if free else SOURCES_AT_RISK
            cab.timing = False
            cab.location = False
            cab.perpetrators = False
            return c
    cab.details_passed = passed
    cab.scale = indicated if cab.location else Scale.UNSPECIFIED
    public = goes_public(st, s, r, saved, u[U.PUBLIC])
    cab.channel = route(p, liaison, st.relays[s, r] >= 0, public)
    if cab.channel == RELAY:
        cab.relay = st.relays[s, r]
    return c


@kernel
def fabricate(st: Any, row: int, day: int) -> int:
    """A fabrication opportunity: the sender plants the invented warning if what it gains from
    the recipient acting on it outweighs the reputation a false alarm would cost it and
    ``fabrication_cost``. Returns the cable, or -1. Fabrications use the same channels as
    warnings but no doctrine: they are not sent under the duty to warn."""
    p = st.params[0]
    fab = st.fabrications[row]
    s = fab.sender
    r = fab.recipient
    liaison = st.liaison[s, r]
    if not reachable(p, liaison):
        return -1
    public = goes_public(st, s, r, 0.0, fab.u[U.PUBLIC])
    channel = route(p, liaison, st.relays[s, r] >= 0, public)
    public = channel == PUBLIC or public
    claimed = 0
    for i in range(N_DETAILS):
        if fab.claimed[i]:
            claimed += 1
    scale = claimed_scale(st, r, claimed) if fab.claimed[1] else Scale.UNSPECIFIED
    gain = (opportunist_gain(st, s, r) * expected_response(st, s, r)
            * acting_cost(st, r, s, public, scale))
    now, false_alarm, _ = reputation(st, s, r, day)
    loss = p.reputation_weight * (now - false_alarm) + p.fabrication_cost
    if not choice(st, gain - loss, fab.u[U.WAIVER]):
        return -1
    st.fabricated[r, s] += 1
    c = open_cable(st, day, s, r, st.rivalry[r, s])
    cab = st.cables[c]
    cab.fabricated = True
    cab.credibility = np.nan
    cab.threat = -1
    cab.row = row
    cab.warned_day = day + fab.lead
    claimed = 0
    for i in range(N_DETAILS):
        if fab.claimed[i]:
            claimed += 1
            set_detail(cab, i)
    cab.details_known = claimed
    cab.details_passed = claimed
    cab.scale = claimed_scale(st, r, claimed) if cab.location else Scale.UNSPECIFIED
    cab.channel = channel
    if channel == RELAY:
        cab.relay = st.relays[s, r]
    return c
