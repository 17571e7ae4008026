"""Agencies: the model's agents, as senders (the duty-to-warn protocol) and recipients.

The sender side follows the ICD 191 chain (``../shared/MODEL-BRIEF.md``, mechanism 3):
trigger -> waiver screen -> sanitisation -> channel -> delivery delay -> record. The trigger
(credible AND specific AND impending) is evaluated in bulk when detections are drawn
(:func:`sim.threats.draw_detections`); each detection reaches its agency on the day it becomes
impending, and :meth:`Agency.act` runs the rest of the chain. Waiver reasons are screened in a
fixed order and the first that applies is recorded:

1. ``doctrine_excludes``: the agency never warns, or warns only non-rivals and the recipient is
   a rival (rivalry >= ``rival_threshold``);
2. ``recipient_aware``: the target's own services already know of the plot (a ground often
   cited in practice, not confirmed in the public text of ICD 191);
3. ``no_channel``: no liaison channel, no relay, and public alerts are not used for such dyads;
4. ``sources_at_risk``: warning would unduly endanger sources and methods (ICD 191 E.2), with
   probability ``source_waiver_weight x source_sensitivity x rivalry``: passing intelligence to
   a rival service exposes more.

Sanitisation withholds each known detail with probability
``sanitisation x source_sensitivity x (1 + rivalry) / 2`` (the disclosure dilemma, Carnegie &
Carson 2020: specificity makes a warning verifiable but exposes sources). A dyad with liaison
gets a written cable, plus a public alert with ``public_alert_share``. A dyad without liaison
gets a cable relayed by a third agency with liaison to both (the one the recipient is least
rival to; ``relay_delay`` extra days) when ``relay_when_no_liaison`` is on and such an agency
exists, else a public alert when ``public_when_no_liaison`` is on, else nothing (waiver
``no_channel``). Manipulative agencies also send fabricated warnings to rivals
(intimidation, "blackmail"; Sobel 1985): these skip the protocol and claim 1-3 details.

Agents receive their parameters (:class:`Protocol`, :class:`~sim.decision.Judgement`) at
creation and never read model-level flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.decision import Judgement
from sim.enums import Channel, Doctrine, WaiverReason
from sim.log import Cable
from sim.params import ModelParams
from sim.scenarios import AgencyProfile
from sim.threats import N_DETAILS, U

if TYPE_CHECKING:
    from sim.model import WarningModel


@dataclass(frozen=True, slots=True)
class Protocol:
    """Sender-side protocol parameters, handed to each agency at creation."""

    rival_threshold: float
    source_waiver_weight: float
    sanitisation: float
    public_alert_share: float
    relay_when_no_liaison: bool
    public_when_no_liaison: bool

    @classmethod
    def from_params(cls, p: ModelParams) -> Protocol:
        return cls(
            rival_threshold=p.rival_threshold,
            source_waiver_weight=p.source_waiver_weight,
            sanitisation=p.sanitisation,
            public_alert_share=p.public_alert_share,
            relay_when_no_liaison=p.relay_when_no_liaison,
            public_when_no_liaison=p.public_when_no_liaison,
        )


class Agency(mesa.Agent):
    """An intelligence agency: detects threats abroad, warns under its doctrine, judges warnings.

    Its per-sender trust is a beta-reputation belief: ``confirmations[j]`` and
    ``disconfirmations[j]`` are rows of the model's evidence matrices (views, so the model can
    fade all of them at once each day).
    """

    def __init__(
        self,
        model: WarningModel,
        index: int,
        profile: AgencyProfile,
        *,
        doctrine: Doctrine,
        manipulative: bool,
        protocol: Protocol,
        judgement: Judgement,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.profile = profile
        self.name = profile.name
        self.doctrine = doctrine
        self.manipulative = manipulative
        self.protocol = protocol
        self.judgement = judgement
        self.confirmations = model.confirmations[index]  # views: rows of the model's matrices
        self.disconfirmations = model.disconfirmations[index]
        self.due_detections: dict[int, list[int]] = {}
        self.due_fabrications: dict[int, list[int]] = {}

    def act(self) -> None:
        """Run the protocol on every detection that becomes impending today.

        A plot already ended by arrests is no longer impending, so it triggers nothing; a plot
        silently abandoned still does, since nobody can see that it was.
        """
        day = self.model.day
        for row in self.due_detections.pop(day, ()):
            if not self.model.visibly_ended(self.model.rows.det_threat[row]):
                self.model.dispatch(self.screen(row, day))
        for row in self.due_fabrications.pop(day, ()):
            cable = self.fabricate(row, day)
            if cable is not None:
                self.model.dispatch(cable)

    def screen(self, row: int, day: int) -> Cable:
        """Waiver screen, sanitisation and channel for one triggered detection."""
        m = self.model
        rows = m.rows
        k = rows.det_threat[row]
        r = rows.target[k]
        rivalry = float(m.rivalry[self.index, r])
        u = rows.det_u[row]
        known = rows.det_known[row]
        waiver = self._waiver(r, k, rivalry, day, u[U.WAIVER])
        passed = [False] * N_DETAILS  # a waived warning passes nothing
        channel: Channel | None = None
        if waiver is None:
            p_withhold = self.protocol.sanitisation * self.profile.source_sensitivity * (1 + rivalry) / 2
            passed = [kn and u[U.SANITISE + i] >= p_withhold for i, kn in enumerate(known)]
            channel = self._channel(r, u[U.PUBLIC])
        real = rows.is_real[k]
        return Cable(
            warning_id=m.log.next_id(), day=day, sender=self.name, recipient=m.names[r],
            plot_id=k if real else -1, is_real=real, fabricated=False,
            credibility=rows.det_credibility[row], details_known=sum(known),
            details_passed=sum(passed), timing=passed[0], location=passed[1],
            perpetrators=passed[2], channel=channel, waiver_reason=waiver,
            rivalry=float(m.rivalry[r, self.index]), relay=self._relay_name(r, channel),
            sender_index=self.index, recipient_index=r, threat=k,
            claimed_day=rows.planned_day[k], row=row,
        )

    def _waiver(self, r: int, k: int, rivalry: float, day: int, u: float) -> WaiverReason | None:
        m = self.model
        if self.doctrine is Doctrine.NEVER or (
            self.doctrine is Doctrine.NON_RIVALS and rivalry >= self.protocol.rival_threshold
        ):
            return WaiverReason.DOCTRINE_EXCLUDES
        if 0 <= m.rows.aware_day[k] <= day:
            return WaiverReason.RECIPIENT_AWARE
        if not m.liaison[self.index, r] and not (
            self.protocol.public_when_no_liaison or self._relay_to(r) >= 0
        ):
            return WaiverReason.NO_CHANNEL
        if u < self.protocol.source_waiver_weight * self.profile.source_sensitivity * rivalry:
            return WaiverReason.SOURCES_AT_RISK
        return None

    def _channel(self, r: int, u: float) -> Channel:
        if self.model.liaison[self.index, r]:
            return Channel.BOTH if u < self.protocol.public_alert_share else Channel.PRIVATE
        return Channel.RELAY if self._relay_to(r) >= 0 else Channel.PUBLIC

    def _relay_name(self, r: int, channel: Channel | None) -> str:
        return self.model.names[self._relay_to(r)] if channel is Channel.RELAY else ""

    def _relay_to(self, r: int) -> int:
        """The third agency that would relay a warning to ``r``, or -1 (relays off or none)."""
        return int(self.model.relays[self.index, r]) if self.protocol.relay_when_no_liaison else -1

    # --- as a recipient ----------------------------------------------------------------------
    def judge(self, cable: Cable, day: int, u: list[float]) -> bool:
        """Judge a delivered warning (:mod:`sim.decision`), record the judgement on the cable.

        Corroboration: the recipient's own services know of the plot by now, or, with chance
        ``false_corroboration x capability``, seem to confirm a warning they know nothing of.
        """
        m = self.model
        s = cable.sender_index
        j = self.judgement
        rivalry = float(m.rivalry[self.index, s])
        corroborated = (cable.threat >= 0 and 0 <= m.rows.aware_day[cable.threat] <= day) or (
            u[U.CORROBORATE] < j.false_corroboration * self.profile.capability
        )
        intent = j.intent(rivalry, float(self.confirmations[s]), float(self.disconfirmations[s]))
        credibility = j.credibility(intent, cable.details_passed, corroborated)
        p_heed = j.heed_probability(credibility, rivalry, cable.public)
        cable.delivered_day = day
        cable.rivalry = rivalry
        cable.perceived_intent = intent
        cable.perceived_credibility = credibility
        cable.corroborated = corroborated
        cable.heed_probability = p_heed
        cable.heeded = u[U.DECIDE] < p_heed
        return cable.heeded

    def learn(self, sender: int, confirmed: bool) -> None:
        """Update the beta-reputation evidence about ``sender`` from a judged warning.

        A confirmation counts 1; nothing visible counts ``cry_wolf_penalty`` against the
        sender (Breznitz 1984), whether it was a false alarm or a silently deterred plot.
        """
        if confirmed:
            self.confirmations[sender] += 1.0
        else:
            self.disconfirmations[sender] += self.judgement.cry_wolf_penalty

    def fabricate(self, row: int, day: int) -> Cable | None:
        """An invented warning to a rival (None if the recipient is no longer a rival or unreachable).

        Fabrications use the same channels as real warnings but no doctrine: they are not sent
        under the duty to warn.
        """
        m = self.model
        fab = m.fabrications
        r = int(fab.recipient[row])
        if m.rivalry[self.index, r] < self.protocol.rival_threshold:
            return None
        if not m.liaison[self.index, r] and not (
            self.protocol.public_when_no_liaison or self._relay_to(r) >= 0
        ):
            return None
        details = int(fab.details[row])
        flags = np.arange(N_DETAILS) < details
        channel = self._channel(r, float(fab.u[row, U.PUBLIC]))
        return Cable(
            warning_id=m.log.next_id(), day=day, sender=self.name, recipient=m.names[r],
            plot_id=-1, is_real=False, fabricated=True, credibility=float("nan"),
            details_known=details, details_passed=details, timing=bool(flags[0]),
            location=bool(flags[1]), perpetrators=bool(flags[2]), channel=channel,
            waiver_reason=None, rivalry=float(m.rivalry[r, self.index]),
            relay=self._relay_name(r, channel), sender_index=self.index, recipient_index=r, threat=-1,
            claimed_day=day + int(fab.lead[row]), row=row,
        )
