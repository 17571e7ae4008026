"""The sender's duty-to-warn protocol, modelled on ICD 191 (2015): the rules.

The chain: trigger -> waiver screen -> sanitisation -> channel -> delivery delay -> record. The
rules are here; what a sender chooses within them (whether to warn or withhold to protect its
sources, which details to pass, whether to add a public alert, and whether to plant a
fabricated warning) follows from its payoffs, in :mod:`sim.senders`.

* **Trigger** (evaluated when detections are drawn, :func:`sim.world.trigger_days`): credible
  (assessed credibility >= ``credibility_threshold``) AND specific (share of the three details
  known >= ``specificity_threshold``) AND impending (within ``impending_horizon`` days of the
  attack date; a detection made earlier waits until then).
* **Waiver screen**, in a fixed order, the first that applies being recorded:
  ``doctrine_excludes`` (the agency never warns, or warns only non-rivals and the recipient is a
  rival: rivalry >= ``rival_threshold``); ``recipient_aware`` (the target's own services already
  know: a ground cited in practice, not in the public text of ICD 191); ``no_channel`` (no
  liaison and ``no_liaison_route = none``); ``sources_at_risk`` (ICD 191 E.2: warning would
  unduly endanger sources and methods): the sender's choice.
* **Channel**: a dyad with liaison gets a written cable, plus a public alert if the sender adds
  one; a dyad without gets what ``no_liaison_route`` says (a cable relayed by a third agency with
  liaison to both, the one the recipient is least rival to, or a public alert).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.enums import Channel, Doctrine, NoLiaisonRoute, WaiverReason
from sim.jit import kernel
from sim.world import trigger_days

__all__ = ["trigger_days"]  # evaluated when detections are drawn (sim.world)

_DOCTRINES = list(Doctrine)
_ROUTES = list(NoLiaisonRoute)
_CHANNELS = list(Channel)
_WAIVERS = list(WaiverReason)

WARN_ALL, NON_RIVALS, NEVER, DISCRETION = (
    _DOCTRINES.index(d) for d in
    (Doctrine.WARN_ALL, Doctrine.NON_RIVALS, Doctrine.NEVER, Doctrine.DISCRETION))
ROUTE_RELAY, ROUTE_PUBLIC, ROUTE_NONE = (_ROUTES.index(r) for r in
                                         (NoLiaisonRoute.RELAY, NoLiaisonRoute.PUBLIC,
                                          NoLiaisonRoute.NONE))
PRIVATE, PUBLIC, BOTH, RELAY = (_CHANNELS.index(c) for c in
                                (Channel.PRIVATE, Channel.PUBLIC, Channel.BOTH, Channel.RELAY))
DOCTRINE_EXCLUDES, RECIPIENT_AWARE, SOURCES_AT_RISK, NO_CHANNEL, WITHHELD = (
    _WAIVERS.index(w) for w in (WaiverReason.DOCTRINE_EXCLUDES, WaiverReason.RECIPIENT_AWARE,
                                WaiverReason.SOURCES_AT_RISK, WaiverReason.NO_CHANNEL,
                                WaiverReason.WITHHELD))
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
def bound(doctrine: int) -> bool:
    """Whether a duty to warn binds the sender: every doctrine but ``discretion`` (which warns
    only when its own payoffs say so, :func:`sim.senders.screen`)."""
    return doctrine != DISCRETION


@kernel
def reachable(p: Any, liaison: bool) -> bool:
    """Whether any channel reaches the recipient (a relay falls back to a public alert)."""
    return liaison or p.no_liaison_route != ROUTE_NONE


@kernel
def screen_rules(p: Any, doctrine: int, rivalry: float, aware: bool, liaison: bool) -> int:
    """The waiver grounds that rules decide, in order (their code), or -1: the doctrine excludes
    the recipient, the recipient's services already know, or no channel reaches it. The sources
    waiver is the sender's choice (:func:`sim.senders.screen`)."""
    if excludes(p, doctrine, rivalry):
        return DOCTRINE_EXCLUDES
    if aware:
        return RECIPIENT_AWARE
    if not reachable(p, liaison):
        return NO_CHANNEL
    return -1


@kernel
def route(p: Any, liaison: bool, has_relay: bool, public: bool) -> int:
    """The channel to a reachable recipient: liaison gives a written cable, with a public alert
    if the sender adds one; without liaison, what ``no_liaison_route`` says (a relay by a third
    agency with liaison to both, else a public alert)."""
    if liaison:
        return BOTH if public else PRIVATE
    if p.no_liaison_route == ROUTE_RELAY and has_relay:
        return RELAY
    return PUBLIC


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
