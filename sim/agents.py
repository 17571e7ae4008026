"""Agencies: the model's agents, as senders (the duty-to-warn protocol) and as recipients.

The Mesa glue between the mechanisms and the schedule. As a sender an agency runs
:class:`sim.protocol.Protocol` on each of its detections on the day it becomes impending, and a
manipulative one sends its fabrications; as a recipient it judges each delivered warning with
:class:`sim.inference.Inference` and its beliefs in :class:`sim.ledger.TrustLedger`, and acts
through :class:`sim.consequences.Consequences`. Agents receive their parameters (protocol,
inference rules, their own profile) at creation and never read model-level flags; they reach
the shared state of the run (the world's rows, the rivalry matrix, the ledger) through
:class:`Shared`, which the model hands them.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
from numpy.typing import NDArray

from sim.consequences import Consequences
from sim.enums import Channel, Doctrine, Response, ResponsePolicy
from sim.inference import Choice, Dyad, Inference, Vector, benevolence, credibility, posterior
from sim.ledger import TrustLedger
from sim.log import Cable
from sim.protocol import Protocol
from sim.scenarios import AgencyProfile
from sim.world import N_DETAILS, U, WorldRows

_HEED_ALL = Choice(heed=1.0, investigate=0.0, dismiss=0.0)
_DISMISS_ALL = Choice(heed=0.0, investigate=0.0, dismiss=1.0)


@dataclass(slots=True)
class Shared:
    """The run's shared state, as the agents see it (owned and updated by the model)."""

    names: list[str]
    rows: WorldRows
    rivalry: NDArray[np.float64]  # [i, j]: rivalry of i toward j
    rival: NDArray[np.bool_]  # rivalry >= rival_threshold
    liaison: NDArray[np.bool_]
    relays: NDArray[np.int64]
    ledger: TrustLedger
    consequences: Consequences
    policy: ResponsePolicy

    def relay_name(self, s: int, r: int, channel: Channel | None) -> str:
        return self.names[int(self.relays[s, r])] if channel is Channel.RELAY else ""


class Agency(mesa.Agent):
    """An intelligence agency: detects threats abroad, warns under its doctrine, judges warnings."""

    def __init__(self, model: mesa.Model, index: int, profile: AgencyProfile, *,
                 doctrine: Doctrine, protocol: Protocol, inference: Inference, shared: Shared,
                 prior: tuple[Vector, Vector]) -> None:
        """``prior``: this recipient's log prior over a sender's type, for a sender that regards
        it as a rival and for one that does not (:func:`sim.inference.prior_vector`)."""
        super().__init__(model)
        self.index = index
        self.profile = profile
        self.name = profile.name
        self.doctrine = doctrine
        self.protocol = protocol
        self.inference = inference
        self.shared = shared
        self.prior = prior
        self._heard_from: set[int] = set()
        self.due_detections: dict[int, list[int]] = {}
        self.due_fabrications: dict[int, list[int]] = {}
        self.sent = 0
        self.received = 0
        self.heeded = 0
        self.sources_burned = 0

    # --- as a sender -----------------------------------------------------------------------------
    def act(self) -> None:
        """Run the protocol on every detection that becomes impending today, then send any
        fabrications due. A plot already ended in the open triggers nothing; one silently
        abandoned still does, since nobody can see that it was. A detection the agency's
        capability, reduced by burned sources, would no longer have made is dropped."""
        day = self.model.day
        sh = self.shared
        rows = sh.rows
        for row in self.due_detections.pop(day, ()):
            if sh.consequences.visibly_ended(rows.det_threat[row]):
                continue
            if not sh.consequences.still_detects(self.index, rows.det_detect_u[row]):
                continue
            self.model.dispatch(self.screen(row, day))
        for row in self.due_fabrications.pop(day, ()):
            cable = self.fabricate(row, day)
            if cable is not None:
                self.model.dispatch(cable)

    def screen(self, row: int, day: int) -> Cable:
        """Waiver screen, sanitisation and channel for one triggered detection."""
        sh = self.shared
        rows = sh.rows
        k = rows.det_threat[row]
        s, r = self.index, rows.target[k]
        rivalry = float(sh.rivalry[s, r])
        u = rows.det_u[row].tolist()
        known = rows.det_known[row]
        sensitivity = self.profile.source_sensitivity
        liaison = bool(sh.liaison[s, r])
        waiver = self.protocol.waiver(
            doctrine=self.doctrine, rivalry=rivalry, sensitivity=sensitivity,
            recipient_aware=0 <= rows.aware_day[k] <= day, liaison=liaison, u=u[U.WAIVER])
        passed = [False] * N_DETAILS  # a waived warning passes nothing
        channel: Channel | None = None
        if waiver is None:
            passed = self.protocol.sanitise(known, rivalry, sensitivity,
                                            u[U.SANITISE:U.SANITISE + N_DETAILS])
            channel = self.protocol.channel(liaison=liaison, has_relay=sh.relays[s, r] >= 0,
                                            u=u[U.PUBLIC])
        real = rows.is_real[k]
        return Cable(
            warning_id=self.model.log.next_id(), day=day, sender=self.name,
            recipient=sh.names[r], plot_id=k if real else -1, is_real=real, fabricated=False,
            credibility=rows.det_credibility[row], details_known=sum(known),
            details_passed=sum(passed), timing=passed[0], location=passed[1],
            perpetrators=passed[2], channel=channel, waiver_reason=waiver,
            rivalry=float(sh.rivalry[r, s]), relay=sh.relay_name(s, r, channel),
            sender_index=s, recipient_index=r, threat=k, warned_day=rows.planned_day[k], row=row,
            u=u,
        )

    def fabricate(self, row: int, day: int) -> Cable | None:
        """An invented warning, if this agency manipulates the recipient today and can reach it.

        Fabrications use the same channels as real warnings but no doctrine: they are not sent
        under the duty to warn."""
        sh = self.shared
        rows = sh.rows
        s, r = self.index, rows.fab_recipient[row]
        if not self.model.manipulates(s, r):
            return None
        liaison = bool(sh.liaison[s, r])
        if not self.protocol.reachable(liaison):
            return None
        claimed = rows.fab_claimed[row]
        u = rows.fab_u[row].tolist()
        channel = self.protocol.channel(liaison=liaison, has_relay=sh.relays[s, r] >= 0,
                                        u=u[U.PUBLIC])
        return Cable(
            warning_id=self.model.log.next_id(), day=day, sender=self.name,
            recipient=sh.names[r], plot_id=-1, is_real=False, fabricated=True,
            credibility=float("nan"), details_known=sum(claimed), details_passed=sum(claimed),
            timing=claimed[0], location=claimed[1], perpetrators=claimed[2], channel=channel,
            waiver_reason=None, rivalry=float(sh.rivalry[r, s]),
            relay=sh.relay_name(s, r, channel), sender_index=s, recipient_index=r, threat=-1,
            warned_day=day + rows.fab_lead[row], row=row, u=u,
        )

    # --- as a recipient --------------------------------------------------------------------------
    def judge(self, cable: Cable, day: int, dyad: Dyad) -> None:
        """Judge a delivered warning and respond (``dyad``: this recipient's model of the sender)."""
        sh, inf = self.shared, self.inference
        r, s = self.index, cable.sender_index
        u = cable.u
        assert u is not None
        self.received += 1
        rivalry = float(sh.rivalry[r, s])
        sh.ledger.observe_arrival(r, s, dyad.arrival)
        prior = self.prior[0 if sh.rival[s, r] else 1]
        weights = sh.ledger.log_weights(r, s, prior, sh.rival)
        probs = posterior(weights)
        details = cable.details_passed
        passed = (cable.timing, cable.location, cable.perpetrators)
        check = float(inf.verify_real[r]) if cable.is_real else inf.verify_false
        verified = sum(1 for i, flag in enumerate(passed) if flag and u[U.VERIFY + i] < check)
        corroborate = (inf.corroborate_real if cable.is_real else inf.corroborate_false)[r]
        corroborated = u[U.CORROBORATE] < corroborate
        llr = inf.evidence(r, details, verified, corroborated)
        value = inf.harm_averted(r, details)
        cost = sh.consequences.action_cost(r)
        face = inf.face_cost * rivalry if cable.public else 0.0
        days_left = cable.warned_day - day

        kappa = credibility(dyad.real_chance(probs), llr)
        choice = self._choose(kappa, value, cost, face, days_left)
        if s not in self._heard_from:
            self._heard_from.add(s)
            cable.probe = ([w + a for w, a in zip(weights, dyad.arrival, strict=True)],
                           llr, value, cost, face, days_left)
        draw = u[U.RESPOND]
        if draw < choice.heed:
            response = Response.HEEDED
        elif draw < choice.heed + choice.investigate:
            response = Response.INVESTIGATED
        else:
            response = Response.DISMISSED
        c = cable
        c.delivered_day, c.rivalry, c.dyad = day, rivalry, dyad
        c.perceived_benevolence = benevolence(probs)
        c.hit_rate = dyad.expected_hit_rate(probs)
        c.p_fabricated = dyad.fabricated_chance(probs)
        c.details_verified, c.corroborated, c.evidence_llr = verified, corroborated, llr
        c.perceived_credibility, c.harm_averted, c.heed_cost, c.face_loss = kappa, value, cost, face
        c.p_heed, c.p_investigate, c.p_dismiss = choice.heed, choice.investigate, choice.dismiss
        c.response = response
        if response is Response.HEEDED:
            self._protect(cable, day)
        elif response is Response.DISMISSED:
            cable.heeded, cable.decided_day = False, day
        else:
            sh.consequences.investigate()
            cable.decided_day = -1

    def _choose(self, kappa: float, value: float, cost: float, face: float,
                days_left: int) -> Choice:
        policy = self.shared.policy
        if policy is ResponsePolicy.HEED_ALL:
            return _HEED_ALL
        if policy is ResponsePolicy.DISMISS_ALL:
            return _DISMISS_ALL
        return self.inference.choose(self.index, kappa, value=value, cost=cost, face=face,
                                     days_left=days_left)

    def cry_wolf_probe(self, cable: Cable) -> None:
        """For the first warning this agency received from a sender: the heed probability the
        same warning would have had after one earlier warning from that sender, not acted upon
        and followed by nothing (a false alarm), or confirmed. Computed from the state recorded
        when the warning was judged; only when the warning log is exported."""
        if cable.probe is None or cable.dyad is None:
            return
        earlier, llr, value, cost, face, days_left = cable.probe
        for confirmed in (False, True):
            outcome = cable.dyad.outcome(confirmed, 1.0)
            probs = posterior([w + o for w, o in zip(earlier, outcome, strict=True)])
            kappa = credibility(cable.dyad.real_chance(probs), llr)
            p = self._choose(kappa, value, cost, face, days_left).heed
            if confirmed:
                cable.p_heed_after_confirmation = p
            else:
                cable.p_heed_after_false_alarm = p

    def resolve(self, cable: Cable, day: int) -> None:
        """An investigation reports: update the credibility and heed or dismiss."""
        inf = self.inference
        r = self.index
        u = cable.u
        assert u is not None and cable.perceived_credibility is not None
        assert cable.harm_averted is not None
        probe = float(inf.probe_real[r]) if cable.is_real else inf.probe_false
        positive = u[U.PROBE] < probe
        kappa = inf.resolve(r, cable.perceived_credibility, positive)
        cost = self.shared.consequences.action_cost(r)
        p_heed = inf.heed_after(kappa, cable.harm_averted, cost, cable.face_loss or 0.0)
        cable.investigation_positive = positive
        cable.credibility_after_investigation = kappa
        if u[U.RESOLVE] < p_heed:
            self._protect(cable, day)
        else:
            cable.heeded, cable.decided_day = False, day

    def _protect(self, cable: Cable, day: int) -> None:
        assert cable.u is not None
        self.heeded += 1
        cable.heeded, cable.decided_day = True, day
        chance = self.inference.interdiction_chance(cable.details_passed)
        self.shared.consequences.protect(self.index, day, cable.threat, chance, cable.u)
