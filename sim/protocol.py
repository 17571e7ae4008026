"""The sender's duty-to-warn protocol, modelled on ICD 191 (2015), as compiled kernels.

The chain (mechanism 3 of the model): trigger -> waiver screen -> sanitisation -> channel ->
delivery delay -> record. The kernels here decide what a sender does with one detection
(:func:`screen`) or one fabrication event (:func:`fabricate`) and write the cable;
:mod:`sim.engine` dispatches it and :mod:`sim.consequences` applies what sending costs.

* **Trigger** (evaluated in bulk when detections are drawn, :func:`trigger_days`): credible
  (assessed credibility >= ``credibility_threshold``) AND specific (share of the three details
  known >= ``specificity_threshold``) AND impending (within ``impending_horizon`` days of the
  attack date; a detection made earlier waits until then).
* **Waiver screen**, in a fixed order, the first that applies being recorded:
  ``doctrine_excludes`` (the agency never warns, or warns only non-rivals and the recipient is a
  rival: rivalry >= ``rival_threshold``); ``recipient_aware`` (the target's own services already
  know: a ground cited in practice, not in the public text of ICD 191); ``no_channel`` (no
  liaison and ``no_liaison_route = none``); ``sources_at_risk`` (ICD 191 E.2: warning would
  unduly endanger sources and methods), with chance ``source_waiver_weight x sensitivity x
  rivalry``: passing intelligence to a rival service exposes more.
* **Sanitisation** withholds each known detail with chance ``sanitisation x sensitivity x
  (1 - w + w x rivalry)``, ``w = sanitisation_rivalry_weight``: specificity makes a warning
  verifiable but exposes sources (Carnegie & Carson 2020's disclosure dilemma; what disclosure
  costs is in :mod:`sim.consequences`).
* **Channel**: a dyad with liaison gets a written cable, plus a public alert with
  ``public_alert_share``; a dyad without gets what ``no_liaison_route`` says (a cable relayed by a
  third agency with liaison to both, the one the recipient is least rival to, or a public alert).
* **Types** (Kydd 2005; Sobel 1985): a sender fabricates warnings to a recipient only if it is a
  manipulative type toward it today (:func:`manipulates`; the types are drawn in
  :mod:`sim.world`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.enums import Channel, Doctrine, NoLiaisonRoute, WaiverReason
from sim.jit import kernel
from sim.log import open_cable
from sim.params import ModelParams
from sim.world import N_DETAILS, U, trigger_days

__all__ = ["trigger_days"]  # evaluated when detections are drawn (sim.world)

_DOCTRINES = list(Doctrine)
_ROUTES = list(NoLiaisonRoute)
_CHANNELS = list(Channel)
_WAIVERS = list(WaiverReason)

WARN_ALL, NON_RIVALS, NEVER = (_DOCTRINES.index(d) for d in
                               (Doctrine.WARN_ALL, Doctrine.NON_RIVALS, Doctrine.NEVER))
ROUTE_RELAY, ROUTE_PUBLIC, ROUTE_NONE = (_ROUTES.index(r) for r in
                                         (NoLiaisonRoute.RELAY, NoLiaisonRoute.PUBLIC,
                                          NoLiaisonRoute.NONE))
PRIVATE, PUBLIC, BOTH, RELAY = (_CHANNELS.index(c) for c in
                                (Channel.PRIVATE, Channel.PUBLIC, Channel.BOTH, Channel.RELAY))
DOCTRINE_EXCLUDES, RECIPIENT_AWARE, SOURCES_AT_RISK, NO_CHANNEL = (
    _WAIVERS.index(w) for w in (WaiverReason.DOCTRINE_EXCLUDES, WaiverReason.RECIPIENT_AWARE,
                                WaiverReason.SOURCES_AT_RISK, WaiverReason.NO_CHANNEL))
"""Integer codes of the modes (their position in the Enum), as the kernels and the cable
records hold them."""


def relay_matrix(liaison: NDArray[np.bool_], rivalry: NDArray[np.float64]) -> NDArray[np.int64]:
    """``[s, r]``: the agency that relays from ``s`` to ``r`` when they lack liaison, else -1.

    Among agencies with liaison to both, the one the recipient is least rival to at the start
    (ties: the first), as a protecting power passes messages between states without relations.
    """
    n = len(liaison)
    out = np.full((n, n), -1, dtype=np.int64)
    for s, r in np.argwhere(~liaison & ~np.eye(n, dtype=bool)):
        candidates = np.flatnonzero(liaison[s] & liaison[:, r])
        candidates = candidates[(candidates != s) & (candidates != r)]
        if candidates.size:
            out[s, r] = candidates[np.argmin(rivalry[r, candidates])]
    return out


@kernel
def excludes(p: Any, doctrine: int, rivalry: float) -> bool:
    """Whether the sender's doctrine excludes a recipient it regards with this rivalry."""
    return doctrine == NEVER or (doctrine == NON_RIVALS and rivalry >= p.rival_threshold)


@kernel
def reachable(p: Any, liaison: bool) -> bool:
    """Whether any channel reaches the recipient (a relay falls back to a public alert)."""
    return liaison or p.no_liaison_route != ROUTE_NONE


@kernel
def source_waiver_chance(p: Any, rivalry: float, sensitivity: float) -> float:
    return p.source_waiver_weight * sensitivity * rivalry


@kernel
def waiver(p: Any, doctrine: int, rivalry: float, sensitivity: float, aware: bool,
           liaison: bool, u: float) -> int:
    """The first waiver ground that applies (its code), or -1: the warning goes out."""
    if excludes(p, doctrine, rivalry):
        return DOCTRINE_EXCLUDES
    if aware:
        return RECIPIENT_AWARE
    if not reachable(p, liaison):
        return NO_CHANNEL
    if u < source_waiver_chance(p, rivalry, sensitivity):
        return SOURCES_AT_RISK
    return -1


@kernel
def withhold_chance(p: Any, rivalry: float, sensitivity: float) -> float:
    w = p.sanitisation_rivalry_weight
    return p.sanitisation * sensitivity * (1.0 - w + w * rivalry)


@kernel
def channel(p: Any, liaison: bool, has_relay: bool, u: float) -> int:
    """The channel to a reachable recipient (see :func:`reachable`)."""
    if liaison:
        return BOTH if u < p.public_alert_share else PRIVATE
    if p.no_liaison_route == ROUTE_RELAY and has_relay:
        return RELAY
    return PUBLIC


@kernel
def manipulates(st: Any, s: int, r: int) -> bool:
    """Whether ``s`` is a manipulative type toward ``r`` today: a scenario may fix the type
    (toward its rivals, or never); otherwise the drawn propensity below the declared share of
    the dyad's class (:mod:`sim.world`, types)."""
    p = st.params[0]
    rival = st.rival[s, r]
    declared = st.agencies[s].declared
    if declared >= 0:
        return declared == 1 and rival
    share = p.manipulative_share_rival if rival else p.manipulative_share_ally
    return st.agencies[s].propensity < share


@kernel
def screen(st: Any, row: int, day: int) -> int:
    """Waiver screen, sanitisation and channel for one triggered detection; returns the cable."""
    p = st.params[0]
    det = st.detections[row]
    k = det.threat
    threat = st.threats[k]
    s = det.agency
    r = threat.target
    rivalry = st.rivalry[s, r]
    u = det.u
    sensitivity = st.agencies[s].sensitivity
    liaison = st.liaison[s, r]
    aware = 0 <= threat.aware_day <= day
    reason = waiver(p, st.agencies[s].doctrine, rivalry, sensitivity, aware, liaison,
                    u[U.WAIVER])
    c = open_cable(st, day, s, r, st.rivalry[r, s])
    cab = st.cables[c]
    cab.plot_id = k if threat.is_real else -1
    cab.is_real = threat.is_real
    cab.credibility = det.credibility
    cab.threat = k
    cab.row = row
    cab.warned_day = threat.planned_day
    known = 0
    passed = 0
    withhold = withhold_chance(p, rivalry, sensitivity)
    for i in range(N_DETAILS):
        if det.known[i]:
            known += 1
            if reason < 0 and u[U.SANITISE + i] >= withhold:
                passed += 1
                set_detail(cab, i)
    cab.details_known = known
    cab.details_passed = passed
    cab.waiver_reason = reason
    if reason < 0:
        cab.channel = channel(p, liaison, st.relays[s, r] >= 0, u[U.PUBLIC])
        if cab.channel == RELAY:
            cab.relay = st.relays[s, r]
    return c


@kernel
def fabricate(st: Any, row: int, day: int) -> int:
    """An invented warning, if its sender manipulates the recipient today and can reach it;
    returns the cable, or -1. Fabrications use the same channels as real warnings but no
    doctrine: they are not sent under the duty to warn."""
    p = st.params[0]
    fab = st.fabrications[row]
    s = fab.sender
    r = fab.recipient
    if not manipulates(st, s, r):
        return -1
    liaison = st.liaison[s, r]
    if not reachable(p, liaison):
        return -1
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
    cab.channel = channel(p, liaison, st.relays[s, r] >= 0, fab.u[U.PUBLIC])
    if cab.channel == RELAY:
        cab.relay = st.relays[s, r]
    return c


@kernel
def set_detail(cab: Any, i: int) -> None:
    if i == 0:
        cab.timing = True
    elif i == 1:
        cab.location = True
    else:
        cab.perpetrators = True


@kernel
def is_public(channel_code: int) -> bool:
    return channel_code == PUBLIC or channel_code == BOTH
