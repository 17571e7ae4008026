"""The warning-diplomacy model: one day per step.

Order of events within a day (the ODD "process overview", ``docs/ODD.md``):

1. scheduled rivalry shifts take effect (scenario ``[[shift]]``);
2. trust evidence fades toward the prior (``trust_decay``: Josang & Ismail's forgetting factor);
3. agencies with work today act in random order (``AgentSet.shuffle_do``): each runs the duty-to-warn protocol
   on detections that became impending today, and manipulative ones send fabrications;
   a public alert on a real plot may make the attackers move their date
   (``attacker_adaptation``);
4. warnings reaching their recipient today are judged (:mod:`sim.decision`); a heeded warning
   about a live plot leads to arrests (visible) with ``interdiction_effect x (1 + 3 x
   specificity) / 4``, else to silent abandonment with ``deterrence_effect``, else to
   protective measures that cut deaths by ``casualty_reduction`` if the attack still comes;
5. plots end: arrests scheduled for today, then attacks due today;
6. warnings whose date plus ``confirmation_window`` has passed (or, if delivered later, on
   their delivery day) are judged by outcome: an attack or arrests by then confirm the sender;
   nothing visible (a false alarm, a fabrication, a real plot deterred by the warning itself:
   the prevention paradox, or an attack the plotters postponed past the window after a public
   alert) counts ``cry_wolf_penalty`` against it (Breznitz 1984); a confirmation lowers the
   dyad's rivalry by ``diplomacy_effect`` (intelligence diplomacy);
7. the per-day series is recorded if asked for.

The model is ``(scenario, parameters, days, seed) -> outcomes``: it knows nothing of
experiments. All randomness comes from ``self.rng`` and is drawn in bulk at construction
(:mod:`sim.threats`), apart from the shuffled agent order, which only changes warning ids:
warnings point to the date the plotters first chose, and each day's deliveries are judged in
a fixed order.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.agents import Agency, Protocol
from sim.decision import Judgement
from sim.enums import Channel, WaiverReason
from sim.log import Cable, WarningLog
from sim.schema import BANDS, SERIES_COLUMNS, band_of
from sim.params import ModelParams
from sim.scenarios import RivalryShift, Scenario
from sim.threats import FateCode, U, World, WorldRows, draw_world

# Plain ints for the daily loop (Enum attribute lookups are slow there).
_PENDING, _ATTACK, _INTERDICTED, _DETERRED = (int(f) for f in FateCode)


class WarningModel(mesa.Model):
    """Agencies that warn, judge warnings and learn whom to trust, for ``days`` days."""

    def __init__(
        self,
        scenario: Scenario,
        params: ModelParams,
        *,
        days: int,
        rng: int | np.random.Generator | None = None,
        record_series: bool = False,
        world: World | None = None,
    ) -> None:
        """``world`` replaces the random draw of threats and detections (scripted runs)."""
        super().__init__(rng=rng)
        if days < 0:
            raise ValueError("days must be non-negative")
        self.params = params
        self.scenario = scenario
        self.days = days
        self.day = 0
        profiles = scenario.agencies
        n = len(profiles)
        self.names = [a.name for a in profiles]
        self.rivalry = scenario.rivalry_matrix(params)
        self.liaison = scenario.liaison_matrix()
        self.relays = relay_matrix(self.liaison, self.rivalry)
        self.confirmations = np.zeros((n, n))  # [recipient, sender]
        self.disconfirmations = np.zeros((n, n))
        self.judgement = Judgement.from_params(params)
        self.log = WarningLog()

        world = draw_world(self.rng, params, scenario, days) if world is None else world
        manipulative = world.manipulative
        protocol = Protocol.from_params(params)
        self.agencies = [
            Agency(self, i, a, doctrine=params.doctrine.resolve(a.doctrine),
                   manipulative=bool(manipulative[i]), protocol=protocol,
                   judgement=self.judgement)
            for i, a in enumerate(profiles)
        ]
        self.threats = world.threats
        self.detections = world.detections
        self.fabrications = world.fabrications
        self.rows = WorldRows.of(world)
        self._schedule_agency_work()

        self._deliveries: defaultdict[int, list[Cable]] = defaultdict(list)
        self._evaluations: defaultdict[int, list[Cable]] = defaultdict(list)
        self._interdictions: defaultdict[int, list[int]] = defaultdict(list)
        self._attacks: defaultdict[int, list[int]] = defaultdict(list)
        t = self.threats
        for k in np.flatnonzero(t.is_real):
            self._attacks[int(t.attack_day[k])].append(int(k))
            if t.home_interdict_day[k] >= 0:
                self._interdictions[int(t.home_interdict_day[k])].append(int(k))
        self._shifts = defaultdict(list)
        for shift in scenario.shifts:
            self._shifts[shift.day].append(shift)
        self._decay = 1.0 - params.trust_decay
        self._faded_through = -1
        self._in_step = False
        self._sent = 0
        self._heeded = 0
        self._snapshot: dict[str, Any] = {}
        self.datacollector: mesa.DataCollector | None = None
        if record_series:
            self.datacollector = mesa.DataCollector(
                model_reporters={name: _reporter(name) for name in SERIES_COLUMNS}
            )

    def _schedule_agency_work(self) -> None:
        det = self.detections
        busy: defaultdict[int, dict[Agency, None]] = defaultdict(dict)
        for row in np.flatnonzero((det.trigger_day >= 0) & (det.trigger_day < self.days)).tolist():
            agency = self.agencies[det.agency[row]]
            day: int = det.trigger_day[row].item()
            agency.due_detections.setdefault(day, []).append(row)
            busy[day][agency] = None
        fab = self.fabrications
        for row in range(len(fab.sender)):
            agency = self.agencies[fab.sender[row]]
            day = fab.day[row].item()
            agency.due_fabrications.setdefault(day, []).append(row)
            busy[day][agency] = None
        self._busy: dict[int, list[Agency]] = {day: list(agencies) for day, agencies in busy.items()}

    # --- the day ------------------------------------------------------------------------
    def step(self) -> None:
        day = self.day
        self._in_step = True
        for shift in self._shifts.pop(day, ()):
            self._apply_shift(shift)
        due = self._busy.pop(day, None)
        if due:  # only agencies with work today act (most days: none), in random order
            AgentSet(due, random=self.random).shuffle_do("act")
        self._deliver(day)
        self._end_plots(day)
        self._evaluate(day)
        if self.datacollector is not None:
            self._snapshot = self._series_row(day)
            self.datacollector.collect(self)
        self._in_step = False
        self.day += 1

    def run(self) -> None:
        """Step through every day of the run."""
        while self.day < self.days:
            self.step()

    def dispatch(self, cable: Cable) -> None:
        """Record a cable; if sent, queue its delivery and let attackers react to a public alert."""
        self.log.add(cable)
        if not cable.sent:
            return
        self._sent += 1
        rows = self.rows
        delays = rows.fab_delay if cable.fabricated else rows.det_delay
        delay = 0 if cable.channel is Channel.PUBLIC else delays[cable.row]
        if cable.channel is Channel.RELAY:
            delay += self.params.relay_delay
        self._deliveries[cable.day + delay].append(cable)
        k = cable.threat
        t = self.threats
        if (cable.public and cable.is_real and t.fate[k] == _PENDING
                and rows.det_u[cable.row][U.ADAPT] < self.params.attacker_adaptation):
            t.attack_day[k] += rows.det_shift[cable.row]
            t.shifted[k] = True
            self._attacks[int(t.attack_day[k])].append(k)

    def visibly_ended(self, k: int) -> bool:
        """Whether threat ``k`` is a real plot that ended in the open (arrests or attack)."""
        return bool(self.threats.is_real[k]) and self.threats.fate[k] in (_ATTACK, _INTERDICTED)

    def _deliver(self, day: int) -> None:
        cables = self._deliveries.pop(day, None)
        if not cables:
            return
        self._fade(day)
        # A fixed order, whatever order the agencies acted in: results never depend on the shuffle.
        cables.sort(key=lambda c: (c.fabricated, c.row))
        rows = self.rows
        for c in cables:
            u = (rows.fab_u if c.fabricated else rows.det_u)[c.row]
            if self.agencies[c.recipient_index].judge(c, day, u):
                self._heeded += 1
                if c.is_real:
                    self._protect(c, u, day)
            # Judged once the warned date plus the window has passed (today at the earliest,
            # so a late delivery is still judged).
            self._evaluations[max(day, c.claimed_day + self.params.confirmation_window)].append(c)

    def _protect(self, cable: Cable, u: list[float], day: int) -> None:
        """Protective action on a heeded warning about a real plot that is still live."""
        t, k, p = self.threats, cable.threat, self.params
        if not t.is_real[k] or t.fate[k] != _PENDING or t.attack_day[k] <= day:
            return
        specificity = cable.details_passed / 3
        if u[U.INTERDICT] < p.interdiction_effect * (1 + 3 * specificity) / 4:
            when = day + int(u[U.WHEN] * (t.attack_day[k] - day))
            self._interdictions[when].append(k)
        elif u[U.DETER] < p.deterrence_effect:
            t.fate[k] = _DETERRED
            t.fate_day[k] = day
        else:
            t.mitigated[k] = True

    def _end_plots(self, day: int) -> None:
        t = self.threats
        for k in self._interdictions.pop(day, ()):
            if t.fate[k] == _PENDING:
                t.fate[k] = _INTERDICTED
                t.fate_day[k] = day
        reduction = self.params.casualty_reduction
        for k in self._attacks.pop(day, ()):
            if t.fate[k] == _PENDING and t.attack_day[k] == day:
                t.fate[k] = _ATTACK
                t.fate_day[k] = day
                lethal = t.lethality[k]
                t.casualties[k] = round(lethal * (1 - reduction)) if t.mitigated[k] else lethal

    def _fade(self, day: int) -> None:
        """Apply the daily fading of trust evidence for every day up to ``day``, at once.

        Evidence fades at the start of each day; doing the days since the last read in one
        multiplication keeps idle days free of array work.
        """
        days = day - self._faded_through
        if days > 0 and self._decay != 1.0:
            factor = self._decay**days
            self.confirmations *= factor
            self.disconfirmations *= factor
        self._faded_through = max(day, self._faded_through)

    def _evaluate(self, day: int) -> None:
        t, p = self.threats, self.params
        due = self._evaluations.pop(day, None)
        if not due:
            return
        self._fade(day)
        for c in due:
            k = c.threat
            confirmed = (
                c.is_real
                and t.fate[k] in (_ATTACK, _INTERDICTED)
                and t.fate_day[k] <= day
            )
            c.confirmed = bool(confirmed)
            self.agencies[c.recipient_index].learn(c.sender_index, c.confirmed)
            if confirmed and p.diplomacy_effect > 0:
                r, s = c.recipient_index, c.sender_index
                for a, b in ((r, s), (s, r)):
                    self.rivalry[a, b] = max(0.0, self.rivalry[a, b] - p.diplomacy_effect)

    def _apply_shift(self, shift: RivalryShift) -> None:
        for a in shift.a:
            for b in shift.b:
                if a != b:
                    self.rivalry[a, b] = shift.rivalry
                    if not shift.directed:
                        self.rivalry[b, a] = shift.rivalry

    # --- observation --------------------------------------------------------------------
    def trust_matrix(self) -> np.ndarray:
        """Perceived benevolence ``[recipient, sender]`` at the end of the last day (diagonal NaN).

        During a step (the per-day series) that is the current day, whose fading has begun.
        """
        self._fade(self.day if self._in_step else self.day - 1)
        out = self.judgement.intent(self.rivalry, self.confirmations, self.disconfirmations)
        np.fill_diagonal(out, np.nan)
        return out

    def _trust_by_band(self) -> dict[str, float]:
        trust = self.trust_matrix()
        off = ~np.eye(len(self.names), dtype=bool)
        bands = np.minimum((self.rivalry * 3).astype(int), 2)
        out = {"mean_trust": float(trust[off].mean())}
        for b, name in enumerate(BANDS):
            mask = off & (bands == b)
            out[f"mean_trust_{name}_rivalry"] = float(trust[mask].mean()) if mask.any() else float("nan")
        return out

    def _series_row(self, day: int) -> dict[str, Any]:
        t = self.threats
        off = ~np.eye(len(self.names), dtype=bool)
        return {
            "day": day, **self._trust_by_band(), "mean_rivalry": float(self.rivalry[off].mean()),
            "warnings_sent": self._sent, "warnings_heeded": self._heeded,
            "attacks": int((t.fate == _ATTACK).sum()),
            "casualties": int(t.casualties.sum()),
            "interdicted": int((t.fate == _INTERDICTED).sum()),
            "deterred": int((t.fate == _DETERRED).sum()),
        }

    def series(self) -> dict[str, list[Any]]:
        """The per-day series as columns (empty when not recorded)."""
        if self.datacollector is None:
            return {name: [] for name in SERIES_COLUMNS}
        return {name: list(self.datacollector.model_vars[name]) for name in SERIES_COLUMNS}

    def outcomes(self) -> dict[str, float | int]:
        """The run's outcome statistics (names declared in :mod:`sim.outcomes`)."""
        t = self.threats
        real = t.is_real & (t.emerge < self.days)
        fate = t.fate[real]
        ended = fate != _PENDING
        potential = int(t.lethality[real][ended].sum())
        casualties = int(t.casualties[real].sum())
        cables = self.log.cables
        sent = [c for c in cables if c.sent]
        delivered = [c for c in sent if c.delivered_day >= 0]
        heeded = sum(bool(c.heeded) for c in delivered)
        waived = {r: 0 for r in WaiverReason}
        for c in cables:
            if c.waiver_reason is not None:
                waived[c.waiver_reason] += 1
        false_alarms = sum(not c.is_real for c in sent)
        out: dict[str, float | int] = {
            "plots": int(real.sum()),
            "false_leads": int((~t.is_real & (t.emerge < self.days)).sum()),
            "attacks": int((fate == _ATTACK).sum()),
            "casualties": casualties,
            "interdicted": int((fate == _INTERDICTED).sum()),
            "deterred": int((fate == _DETERRED).sum()),
            "pending": int((fate == _PENDING).sum()),
            "potential_casualties": potential,
            "lives_saved": potential - casualties,
            "detections": int((self.detections.day < self.days).sum()),
            "warnings_triggered": sum(not c.fabricated for c in cables),
            "warnings_waived": sum(waived.values()),
            **{f"waived_{r.value}": n for r, n in waived.items()},
            "warnings_sent": len(sent),
            "fabricated_warnings": sum(c.fabricated for c in sent),
            "public_alerts": sum(c.public for c in sent),
            "attacks_shifted": int(t.shifted[real].sum()),
            "details_withheld": sum(c.details_known - c.details_passed for c in sent),
            "warnings_delivered": len(delivered),
            "warnings_heeded": heeded,
            "warnings_dismissed": len(delivered) - heeded,
            "heed_rate": _rate(heeded, len(delivered)),
        }
        for band in BANDS:
            in_band = [c for c in delivered if band_of(c.rivalry) == band]
            h = sum(bool(c.heeded) for c in in_band)
            out[f"delivered_{band}_rivalry"] = len(in_band)
            out[f"heeded_{band}_rivalry"] = h
            out[f"heed_rate_{band}_rivalry"] = _rate(h, len(in_band))
        judged = [c for c in delivered if c.confirmed is not None]
        out |= {
            "false_alarms": false_alarms,
            "false_alarm_share": _rate(false_alarms, len(sent)),
            "confirmations": sum(bool(c.confirmed) for c in judged),
            "disconfirmations": sum(not c.confirmed for c in judged),
            **self._trust_by_band(),
        }
        return out


def relay_matrix(liaison: np.ndarray, rivalry: np.ndarray) -> np.ndarray:
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


def _reporter(name: str) -> Any:
    """A DataCollector reporter reading one column of the day's snapshot (computed once a day)."""
    return lambda model: model._snapshot[name]


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")
