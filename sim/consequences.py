"""Consequences: what warning, heeding and investigating do to plots, to costs and to sources.

Every choice has a price on both sides (``../shared/MODEL-BRIEF.md``, "Responses and costs"):

* **Protective action** (a heeded warning) costs ``action_cost`` x ``1 + load / attention_capacity``
  death-equivalents, ``load`` being the protective actions the recipient already has in force (warning
  overload: an overstretched service pays more for each further action, which is how an ally
  comes to dismiss a specific warning: Sri Lanka 2019, Brussels 2016). Each action stays in
  force ``protection_days`` and diverts security: while ``k`` are in force the home services'
  interdiction chance is multiplied by ``(1 - diversion)^k`` (false alarms cost lives, not only
  money: Breznitz 1984; Simmons & Sutter 2009). On a real, still pending plot the action leads to
  arrests with ``interdiction_effect x (1 - w + w x details/3)`` (visible prevention), else to
  silent abandonment with ``deterrence_effect`` (the prevention paradox), else to measures that
  cut the deaths of the attack by ``casualty_reduction``.
* **Investigation** costs ``investigation_cost``.
* **Disclosure** (Carnegie & Carson 2020): each detail a sender passes burns one of its sources
  with ``burn_risk x sensitivity x rivalry``; each burned source costs it ``burn_loss`` of its
  capability, so it detects less for the rest of the run.
* **Public alerts** warn the plotters too: with ``attacker_adaptation`` they move their date later
  by the drawn shift (at most ``max_attack_shift`` days).

The common unit is the death-equivalent (one unit = the harm of one death); ``net_harm`` is
deaths plus protective and investigation costs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sim.params import ModelParams
from sim.world import FateCode, Threats, U

_PENDING, _ATTACK, _INTERDICTED, _DETERRED = (
    FateCode.PENDING, FateCode.ATTACK, FateCode.INTERDICTED, FateCode.DETERRED)


class Consequences:
    """The run's material state: plots' fates, capabilities, actions in force, costs."""

    def __init__(self, p: ModelParams, threats: Threats, capability: NDArray[np.float64],
                 days: int) -> None:
        self.threats = threats
        self.capability = capability.astype(float).copy()
        n = len(capability)
        self.load = [0] * n
        self.protective_cost = 0.0
        self.investigative_cost = 0.0
        self.sources_burned = 0
        self.protected: set[int] = set()  # threats their target has taken protective action on
        self._p = p
        self._expiry: defaultdict[int, list[int]] = defaultdict(list)
        self._interdictions: defaultdict[int, list[int]] = defaultdict(list)
        self._home_tries: defaultdict[int, list[int]] = defaultdict(list)
        self._attacks: defaultdict[int, list[int]] = defaultdict(list)
        t = threats
        for k in np.flatnonzero(t.is_real & (t.emerge < max(days, 1))).tolist():
            self._attacks[int(t.attack_day[k])].append(k)
            if t.home_try_day[k] >= 0:
                self._home_tries[int(t.home_try_day[k])].append(k)

    # --- the sender's side -------------------------------------------------------------------------
    def still_detects(self, agency: int, detect_u: float) -> bool:
        """Whether a detection drawn at the initial capability survives the burned sources."""
        return detect_u < self._p.detection_rate * self.capability[agency]

    def burn(self, sender: int, rivalry: float, sensitivity: float, passed: Sequence[bool],
             u: Sequence[float]) -> int:
        """Burn sources for the details passed (``u``: one uniform per detail)."""
        risk = self._p.burn_risk * sensitivity * rivalry
        burned = sum(1 for i, flag in enumerate(passed) if flag and u[U.BURN + i] < risk)
        if burned:
            self.capability[sender] *= (1.0 - self._p.burn_loss) ** burned
            self.sources_burned += burned
        return burned

    def adapt(self, k: int, shift: int) -> None:
        """The plotters of real plot ``k`` move their date after a public alert."""
        t = self.threats
        if t.fate[k] == _PENDING:
            t.attack_day[k] += shift
            t.shifted[k] = True
            self._attacks[int(t.attack_day[k])].append(k)

    # --- the recipient's side ----------------------------------------------------------------------
    def action_cost(self, r: int) -> float:
        return self._p.action_cost * (1.0 + self.load[r] / self._p.attention_capacity)

    def investigate(self) -> None:
        self.investigative_cost += self._p.investigation_cost

    def protect(self, r: int, day: int, k: int, interdiction: float, u: Sequence[float]) -> None:
        """Protective action by ``r`` on a warning about threat ``k`` (-1: a fabrication).

        Warnings about the same threat are recognisable (same target, date and details): a
        threat already acted upon needs no second action, so a later warning about it costs and
        changes nothing."""
        if k in self.protected:
            return
        self.protective_cost += self.action_cost(r)
        self.load[r] += 1
        self._expiry[day + self._p.protection_days].append(r)
        t = self.threats
        if k >= 0:
            self.protected.add(k)
        if k < 0 or not t.is_real[k] or t.fate[k] != _PENDING or t.attack_day[k] <= day:
            return
        if u[U.INTERDICT] < interdiction:
            when = day + int(u[U.WHEN] * (t.attack_day[k] - day))
            self._interdictions[when].append(k)
        elif u[U.DETER] < self._p.deterrence_effect:
            t.fate[k] = _DETERRED
            t.fate_day[k] = day
        else:
            t.mitigated[k] = True

    # --- the day's end -------------------------------------------------------------------------------
    def end_plots(self, day: int) -> None:
        """Arrests due today (after protective action, then by home services), then attacks."""
        t = self.threats
        for k in self._interdictions.pop(day, ()):
            if t.fate[k] == _PENDING:
                t.fate[k] = _INTERDICTED
                t.fate_day[k] = day
        for k in self._home_tries.pop(day, ()):
            if t.fate[k] != _PENDING:
                continue
            target = int(t.target[k])
            chance = self._p.home_interdiction * (1.0 - self._p.diversion) ** self.load[target]
            if t.home_u[k] < chance:
                t.fate[k] = _INTERDICTED
                t.fate_day[k] = day
            else:
                t.mitigated[k] = True  # the services know of it: protective measures at home
        reduction = self._p.casualty_reduction
        for k in self._attacks.pop(day, ()):
            if t.fate[k] == _PENDING and t.attack_day[k] == day:
                t.fate[k] = _ATTACK
                t.fate_day[k] = day
                lethal = int(t.lethality[k])
                t.casualties[k] = round(lethal * (1 - reduction)) if t.mitigated[k] else lethal
        for r in self._expiry.pop(day, ()):
            self.load[r] -= 1

    def visibly_ended(self, k: int) -> bool:
        """Whether threat ``k`` is a real plot that ended in the open (arrests or attack)."""
        t = self.threats
        return bool(t.is_real[k]) and t.fate[k] in (_ATTACK, _INTERDICTED)
