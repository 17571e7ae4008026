"""The sender's duty-to-warn protocol, modelled on ICD 191 (2015).

The chain (``../shared/MODEL-BRIEF.md``, mechanism 3): trigger -> waiver screen -> sanitisation
-> channel -> delivery delay -> record. This module holds the rules; :class:`sim.agents.Agency`
applies them to its detections and :mod:`sim.consequences` applies what sending costs.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from sim.enums import Channel, Doctrine, NoLiaisonRoute, WaiverReason
from sim.params import ModelParams

N_DETAILS = 3
Num = TypeVar("Num", float, NDArray[np.float64])


def trigger_days(p: ModelParams, credibility: NDArray[np.float64], known: NDArray[np.bool_],
                 detected: NDArray[np.int64], attack_day: NDArray[np.int64]) -> NDArray[np.int64]:
    """The ICD 191 trigger: the day a detection is credible, specific and impending, else -1."""
    triggered = (credibility >= p.credibility_threshold) & (
        known.sum(axis=1) / N_DETAILS >= p.specificity_threshold - 1e-9
    )
    impending = np.maximum(detected, attack_day - p.impending_horizon)
    return np.where(triggered, impending, -1)


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


@dataclass(frozen=True, slots=True)
class Protocol:
    """Sender-side protocol parameters, handed to each agency at creation."""

    rival_threshold: float
    source_waiver_weight: float
    sanitisation: float
    sanitisation_rivalry_weight: float
    public_alert_share: float
    no_liaison_route: NoLiaisonRoute
    relay_delay: int

    @classmethod
    def from_params(cls, p: ModelParams) -> Protocol:
        return cls(
            rival_threshold=p.rival_threshold,
            source_waiver_weight=p.source_waiver_weight,
            sanitisation=p.sanitisation,
            sanitisation_rivalry_weight=p.sanitisation_rivalry_weight,
            public_alert_share=p.public_alert_share,
            no_liaison_route=p.no_liaison_route,
            relay_delay=p.relay_delay,
        )

    def excludes(self, doctrine: Doctrine, rivalry: float) -> bool:
        """Whether the sender's doctrine excludes a recipient it regards with this rivalry."""
        return doctrine is Doctrine.NEVER or (
            doctrine is Doctrine.NON_RIVALS and rivalry >= self.rival_threshold
        )

    def reachable(self, liaison: bool) -> bool:
        """Whether any channel reaches the recipient (a relay falls back to a public alert)."""
        return liaison or self.no_liaison_route is not NoLiaisonRoute.NONE

    def source_waiver_chance(self, rivalry: Num, sensitivity: Num) -> Num:
        """Chance of the sources waiver (floats for one warning, arrays for a whole matrix)."""
        return self.source_waiver_weight * sensitivity * rivalry

    def waiver(self, *, doctrine: Doctrine, rivalry: float, sensitivity: float,
               recipient_aware: bool, liaison: bool, u: float) -> WaiverReason | None:
        """The first waiver ground that applies, or None (the warning goes out)."""
        if self.excludes(doctrine, rivalry):
            return WaiverReason.DOCTRINE_EXCLUDES
        if recipient_aware:
            return WaiverReason.RECIPIENT_AWARE
        if not self.reachable(liaison):
            return WaiverReason.NO_CHANNEL
        if u < self.source_waiver_chance(rivalry, sensitivity):
            return WaiverReason.SOURCES_AT_RISK
        return None

    def withhold_chance(self, rivalry: float, sensitivity: float) -> float:
        w = self.sanitisation_rivalry_weight
        return self.sanitisation * sensitivity * (1.0 - w + w * rivalry)

    def sanitise(self, known: Sequence[bool], rivalry: float, sensitivity: float,
                 u: Sequence[float]) -> list[bool]:
        """Which known details are passed (``u``: one uniform per detail)."""
        p = self.withhold_chance(rivalry, sensitivity)
        return [bool(k) and u[i] >= p for i, k in enumerate(known)]

    def channel(self, *, liaison: bool, has_relay: bool, u: float) -> Channel:
        """The channel to a reachable recipient (see :meth:`reachable`)."""
        if liaison:
            return Channel.BOTH if u < self.public_alert_share else Channel.PRIVATE
        if self.no_liaison_route is NoLiaisonRoute.RELAY and has_relay:
            return Channel.RELAY
        return Channel.PUBLIC
