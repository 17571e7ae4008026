"""The warning-diplomacy model: the Mesa glue that runs the mechanisms one day per step.

``WarningModel(rivalry=0.9, scenario="default", seed=1)`` builds a run from keyword
parameters (any name of :class:`sim.params.ModelParams`), so Mesa's own tools (``batch_run``,
SolaraViz) can drive it; ``params=`` takes a whole parameter set.

Order of events within a day (the ODD "process overview", ``docs/ODD.md``):

1. scheduled rivalry shifts take effect (scenario ``[[shift]]``);
2. agencies with work today act in random order (``AgentSet.shuffle_do``): the duty-to-warn
   protocol on detections that became impending today (:mod:`sim.protocol`), fabrications from
   manipulative senders; sending burns sources and a public alert may move the attack
   (:mod:`sim.consequences`);
3. warnings reaching their recipient today are judged, in a fixed order: the arrival is
   evidence about the sender's type, the warning's details are checked, and the recipient
   heeds, investigates or dismisses (:mod:`sim.inference`, :mod:`sim.ledger`);
4. investigations due today report, and the recipient heeds or dismisses;
5. plots end: arrests, home services' arrest attempts, then attacks; protective actions expire;
6. warnings whose date plus ``confirmation_window`` has passed are judged by their outcome (an
   attack or arrests confirm, nothing visible does not) and the outcome is evidence about the
   sender for the recipient, its allies and, for public warnings, everyone; a confirmation lowers
   the dyad's rivalry by ``diplomacy_effect`` (intelligence diplomacy);
7. the per-day series is recorded if asked for: the model reporters (:data:`sim.schema.SERIES_FIELDS`),
   the agent reporters (:data:`sim.schema.AGENT_FIELDS`) and, with ``record_dyads``, trust and
   rivalry per ordered pair (:data:`sim.schema.DYAD_FIELDS`).

The model is ``(scenario, parameters, days, seed) -> outcomes``: it knows nothing of
experiments. All randomness comes from ``self.rng`` and is drawn in bulk at construction
(:mod:`sim.world`), apart from the shuffled agent order, which only changes warning ids:
warnings point to the date the plotters first chose, and each day's deliveries are judged in
a fixed order.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import mesa
import numpy as np
from mesa.agent import AgentSet

from sim.agents import Agency, Shared
from sim.consequences import Consequences
from sim.enums import Channel, Response, WaiverReason
from sim.inference import Dyad, Inference, prior_vector
from sim.ledger import TrustLedger
from sim.log import Cable, WarningLog
from sim.log import typed as to_arrays
from sim.params import ModelParams
from sim.protocol import Protocol, relay_matrix
from sim.scenarios import RivalryShift, Scenario, load_scenario
from sim.schema import (
    AGENT_COLUMNS,
    AGENT_FIELDS,
    BANDS,
    DYAD_COLUMNS,
    DYAD_FIELDS,
    SERIES_COLUMNS,
    SERIES_FIELDS,
    band_of,
)
from sim.world import FateCode, U, World, WorldRows, draw_world

_PENDING, _ATTACK, _INTERDICTED, _DETERRED = (
    FateCode.PENDING, FateCode.ATTACK, FateCode.INTERDICTED, FateCode.DETERRED)


class WarningModel(mesa.Model):
    """Agencies that warn, judge warnings and learn whom to trust, for ``days`` days."""

    def __init__(
        self,
        *,
        scenario: str | Scenario = "default",
        days: int = 365,
        params: ModelParams | None = None,
        rng: int | np.random.Generator | None = None,
        seed: int | None = None,
        record_series: bool = False,
        record_agents: bool = False,
        record_dyads: bool = False,
        world: World | None = None,
        **kwargs: Any,
    ) -> None:
        """``kwargs`` are single model parameters, checked against the declarations (named
        ``kwargs`` because Mesa's SolaraViz passes extra keywords only to a parameter of that
        name); ``world`` replaces the random draw of the world (scripted runs,
        :mod:`sim.scripted`)."""
        super().__init__(rng=rng) if seed is None else super().__init__(seed=seed)
        if days < 0:
            raise ValueError("days must be non-negative")
        params = params or ModelParams()
        if kwargs:
            params = params.replace(**kwargs)
        self.params = p = params
        self.scenario = scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.days = days
        self.day = 0
        self.running = days > 0
        profiles = scenario.agencies
        n = len(profiles)
        self.names = [a.name for a in profiles]
        self.rivalry = scenario.rivalry_matrix(p)
        self.liaison = scenario.liaison_matrix()
        capability = np.array([a.capability for a in profiles])
        home = np.array([a.home_security for a in profiles])
        self._sensitivity = [a.source_sensitivity for a in profiles]
        self._declared = [a.manipulative for a in profiles]
        self.protocol = Protocol.from_params(p)
        self.inference = Inference.build(p, capability, home)
        self.log = WarningLog()

        world = draw_world(self.rng, p, scenario, days) if world is None else world
        self.world = world
        self.threats = world.threats
        self._propensity = world.propensity.tolist()
        self.consequences = Consequences(p, world.threats, capability, days)
        self._reachable = self.liaison | (self.protocol.reachable(False) & ~np.eye(n, dtype=bool))
        self.ledger = TrustLedger(
            blocs=[a.bloc for a in profiles], half_life=p.evidence_half_life,
            ally_sharing=p.ally_sharing, public_observation=p.public_observation,
            learning=p.learning,
        )
        self.shared = Shared(
            names=self.names, rows=WorldRows.of(world), rivalry=self.rivalry,
            rival=self.rivalry >= p.rival_threshold, liaison=self.liaison,
            relays=relay_matrix(self.liaison, self.rivalry), ledger=self.ledger,
            consequences=self.consequences, policy=p.response_policy,
        )
        priors = (prior_vector(p.believed_manipulative_rival),
                  prior_vector(p.believed_manipulative_ally))
        self.agencies = [
            Agency(self, i, a, doctrine=p.doctrine.resolve(a.doctrine), protocol=self.protocol,
                   inference=self.inference, shared=self.shared, prior=priors)
            for i, a in enumerate(profiles)
        ]
        self._priors = np.array(priors)
        self._prior_tensor: np.ndarray | None = None
        self._types: tuple[np.ndarray, np.ndarray] | None = None
        self._refresh_beliefs()
        self._schedule_agency_work()
        self._deliveries: defaultdict[int, list[Cable]] = defaultdict(list)
        self._resolutions: defaultdict[int, list[Cable]] = defaultdict(list)
        self._evaluations: defaultdict[int, list[Cable]] = defaultdict(list)
        self._shifts: defaultdict[int, list[RivalryShift]] = defaultdict(list)
        for shift in scenario.shifts:
            self._shifts[shift.day].append(shift)
        self._in_step = False
        self._sent = 0
        self._heeded = 0
        self._investigated = 0
        self._snapshot: dict[str, Any] = {}
        self._agent_snapshot: dict[str, list[Any]] = {}
        self.datacollector: mesa.DataCollector | None = None
        if record_series or record_agents:
            # Agent reporters cost Mesa a Python call per agency, column and day: only on request.
            agents = {name: _agent_reporter(name) for name in AGENT_COLUMNS} if record_agents else None
            self.datacollector = mesa.DataCollector(
                model_reporters={name: _reporter(name) for name in SERIES_COLUMNS},
                agent_reporters=agents,
            )
        self._record_agents = record_agents
        self._dyad_rows: list[tuple[int, np.ndarray, np.ndarray]] | None = [] if record_dyads else None

    @property
    def rows(self) -> WorldRows:
        return self.shared.rows

    def _schedule_agency_work(self) -> None:
        det = self.world.detections
        busy: defaultdict[int, dict[Agency, None]] = defaultdict(dict)
        rows = np.flatnonzero((det.trigger_day >= 0) & (det.trigger_day < self.days))
        for row, a, day in zip(rows.tolist(), det.agency[rows].tolist(),
                               det.trigger_day[rows].tolist(), strict=True):
            agency = self.agencies[a]
            agency.due_detections.setdefault(day, []).append(row)
            busy[day][agency] = None
        fab = self.world.fabrications
        for row, (a, day) in enumerate(zip(fab.sender.tolist(), fab.day.tolist(), strict=True)):
            agency = self.agencies[a]
            agency.due_fabrications.setdefault(day, []).append(row)
            busy[day][agency] = None
        self._busy: dict[int, list[Agency]] = {day: list(agencies) for day, agencies in busy.items()}

    # --- types ----------------------------------------------------------------------------------
    def manipulates(self, s: int, r: int) -> bool:
        """Whether ``s`` is a manipulative type toward ``r`` today (:mod:`sim.world`, types)."""
        rival = bool(self.shared.rival[s, r])
        declared = self._declared[s]
        if declared is not None:
            return declared and rival
        p = self.params
        share = p.manipulative_share_rival if rival else p.manipulative_share_ally
        return self._propensity[s] < share

    def dyad(self, s: int, r: int) -> Dyad:
        """``r``'s model of sender ``s`` today (:class:`sim.inference.Dyad`)."""
        key = (s, r)
        found = self._dyads.get(key)
        if found is None:
            found = self._dyads[key] = self.inference.dyad(s, r, float(self._genuine[s, r]))
        return found

    def _refresh_beliefs(self) -> None:
        """Recompute what depends on the rivalry matrix: the share of each sender's genuine
        warnings that survive its doctrine, the channel and the sources waiver, and with it the
        log-likelihood of a quiet day in every dyad."""
        excluded = np.array([[self.protocol.excludes(a.doctrine, float(x)) for x in row]
                             for a, row in zip(self.agencies, self.rivalry, strict=True)])
        sensitivity = np.array(self._sensitivity)[:, None]
        waiver = self.protocol.source_waiver_chance(self.rivalry, sensitivity)
        genuine = np.where(self._reachable & ~excluded, 1.0 - waiver, 0.0)
        self._genuine = genuine
        self._dyads: dict[tuple[int, int], Dyad] = {}
        rates = self.inference.genuine_base * genuine[:, :, None]  # [s, r, k]
        fab = self.params.fabrication_rate
        silence = np.concatenate([-rates, -(rates + fab)], axis=2)
        silence[~self._reachable] = 0.0
        self.ledger.set_silence(silence.transpose(1, 0, 2))

    # --- the day ------------------------------------------------------------------------------
    def step(self) -> None:
        day = self.day
        self._in_step = True
        for shift in self._shifts.pop(day, ()):
            self._apply_shift(shift)
        due = self._busy.pop(day, None)
        if due:  # only agencies with work today act (most days: none), in random order
            if len(due) == 1:
                due[0].act()
            else:
                AgentSet(due, random=self.random).shuffle_do("act")
        self._deliver(day)
        self._resolve(day)
        self.consequences.end_plots(day)
        self._evaluate(day)
        if self.datacollector is not None or self._dyad_rows is not None:
            trust = self.trust_matrix()
            if self.datacollector is not None:
                self._snapshot = self._series_row(day, trust)
                if self._record_agents:
                    self._agent_snapshot = self._agent_rows(day, trust)
                self.datacollector.collect(self)
            if self._dyad_rows is not None:
                off = ~np.eye(len(self.names), dtype=bool)
                self._dyad_rows.append((day, trust[off], self.rivalry[off]))
        self._in_step = False
        self.day += 1
        if self.day >= self.days:
            self.running = False

    def run(self) -> None:
        """Step through every day of the run."""
        while self.day < self.days:
            self.step()

    def dispatch(self, cable: Cable) -> None:
        """Record a cable; if sent, burn sources, queue its delivery, let attackers react."""
        self.log.add(cable)
        if not cable.sent:
            return
        self._sent += 1
        sender = self.agencies[cable.sender_index]
        sender.sent += 1
        rows = self.rows
        u = cable.u
        assert u is not None
        if cable.fabricated:
            delay, shift = rows.fab_delay[cable.row], rows.fab_shift[cable.row]
        else:
            delay, shift = rows.det_delay[cable.row], rows.det_shift[cable.row]
            s, r = cable.sender_index, cable.recipient_index
            cable.sources_burned = self.consequences.burn(
                s, float(self.rivalry[s, r]), self._sensitivity[s],
                (cable.timing, cable.location, cable.perpetrators), u)
            sender.sources_burned += cable.sources_burned
        if cable.channel is Channel.PUBLIC:
            delay = 0
        elif cable.channel is Channel.RELAY:
            delay += self.params.relay_delay
        self._deliveries[cable.day + delay].append(cable)
        if cable.public and cable.is_real and u[U.ADAPT] < self.params.attacker_adaptation:
            self.consequences.adapt(cable.threat, shift)

    def _deliver(self, day: int) -> None:
        cables = self._deliveries.pop(day, None)
        if not cables:
            return
        self.ledger.advance(day)
        # A fixed order, whatever order the agencies acted in: results never depend on the shuffle.
        cables.sort(key=lambda c: (c.fabricated, c.row))
        window = self.params.confirmation_window
        for c in cables:
            self.agencies[c.recipient_index].judge(c, day, self.dyad(c.sender_index, c.recipient_index))
            due = max(day, c.warned_day + window)
            if c.response is Response.INVESTIGATED:
                self._investigated += 1
                resolve = day + self.params.investigation_days
                self._resolutions[resolve].append(c)
                due = max(due, resolve)
            elif c.heeded:
                self._heeded += 1
            self._evaluations[due].append(c)

    def _resolve(self, day: int) -> None:
        for c in self._resolutions.pop(day, ()):
            self.agencies[c.recipient_index].resolve(c, day)
            self._heeded += bool(c.heeded)

    def _evaluate(self, day: int) -> None:
        due = self._evaluations.pop(day, None)
        if not due:
            return
        t, p = self.threats, self.params
        self.ledger.advance(day)
        for c in due:
            k = c.threat
            confirmed = c.is_real and t.fate[k] in (_ATTACK, _INTERDICTED) and t.fate_day[k] <= day
            c.confirmed = bool(confirmed)
            r, s = c.recipient_index, c.sender_index
            # Warnings about the same threat are recognisable (same target, date, details): the
            # recipient knows whether it acted on that threat through any of them.
            acted = k in self.consequences.protected if k >= 0 else bool(c.heeded)
            q = self.inference.visibility(heeded=acted, details=c.details_passed, public=c.public)
            assert c.dyad is not None
            self.ledger.observe_outcome(r, s, c.dyad.outcome(c.confirmed, q), public=c.public,
                                        rival=self.shared.rival)
            if confirmed and p.diplomacy_effect > 0:
                for a, b in ((r, s), (s, r)):
                    self.rivalry[a, b] = max(0.0, self.rivalry[a, b] - p.diplomacy_effect)
                self._rivalry_changed()

    def _apply_shift(self, shift: RivalryShift) -> None:
        for a in shift.a:
            for b in shift.b:
                if a != b:
                    self.rivalry[a, b] = shift.rivalry
                    if not shift.directed:
                        self.rivalry[b, a] = shift.rivalry
        self._rivalry_changed()

    def _rivalry_changed(self) -> None:
        self.shared.rival[...] = self.rivalry >= self.params.rival_threshold
        self._prior_tensor = self._types = None
        self._refresh_beliefs()

    # --- observation ----------------------------------------------------------------------------
    def prior_tensor(self) -> np.ndarray:
        """``[r, s, h]``: ``r``'s log prior over ``s``'s type, from ``s``'s class toward ``r``
        (kept until the rivalry matrix changes)."""
        if self._prior_tensor is None:
            rival_to_me = self.shared.rival.T[:, :, None]  # [r, s] = s regards r as a rival
            self._prior_tensor = np.where(rival_to_me, self._priors[0], self._priors[1])
        return self._prior_tensor

    def trust_matrix(self) -> np.ndarray:
        """Perceived benevolence ``[recipient, sender]`` at the end of the last day (diagonal NaN).

        During a step (the per-day series) that is the current day.
        """
        day = self.day if self._in_step else self.day - 1
        out = self.ledger.benevolence_matrix(day, self.prior_tensor(), self.shared.rival)
        np.fill_diagonal(out, np.nan)
        return out

    def rivalry_matrix(self) -> np.ndarray:
        """Rivalry ``[i, j]`` of ``i`` toward ``j`` now (a copy; shifts and diplomacy change it)."""
        return self.rivalry.copy()

    def _trust_by_band(self, trust: np.ndarray | None = None) -> dict[str, float]:
        if trust is None:
            trust = self.trust_matrix()
        off = ~np.eye(len(self.names), dtype=bool)
        bands = np.minimum((self.rivalry * 3).astype(int), 2)
        out = {"mean_trust": float(trust[off].mean())}
        for b, name in enumerate(BANDS):
            mask = off & (bands == b)
            out[f"mean_trust_{name}_rivalry"] = float(trust[mask].mean()) if mask.any() else math.nan
        return out

    def _series_row(self, day: int, trust: np.ndarray) -> dict[str, Any]:
        t = self.threats
        c = self.consequences
        off = ~np.eye(len(self.names), dtype=bool)
        casualties = int(t.casualties.sum())
        return {
            "day": day, **self._trust_by_band(trust), "mean_rivalry": float(self.rivalry[off].mean()),
            "warnings_sent": self._sent, "warnings_heeded": self._heeded,
            "warnings_investigated": self._investigated,
            "attacks": int((t.fate == _ATTACK).sum()), "casualties": casualties,
            "interdicted": int((t.fate == _INTERDICTED).sum()),
            "deterred": int((t.fate == _DETERRED).sum()),
            "sources_burned": c.sources_burned,
            "net_harm": casualties + c.protective_cost + c.investigative_cost,
            **self._trust_by_type(trust),
        }

    def _type_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """``[r, s]`` masks of the ordered pairs where ``s`` does and does not manipulate ``r``
        today (kept until the rivalry matrix changes)."""
        if self._types is None:
            n = len(self.names)
            manipulated = np.array([[r != s and self.manipulates(s, r) for s in range(n)]
                                    for r in range(n)])
            self._types = manipulated, ~manipulated & ~np.eye(n, dtype=bool)
        return self._types

    def _trust_by_type(self, trust: np.ndarray) -> dict[str, float]:
        manipulated, honest = self._type_masks()
        return {
            "trust_in_manipulators": float(trust[manipulated].mean()) if manipulated.any() else math.nan,
            "trust_in_benevolent": float(trust[honest].mean()) if honest.any() else math.nan,
        }

    def _agent_rows(self, day: int, trust: np.ndarray) -> dict[str, list[Any]]:
        """The agent reporters' values for today, one list entry per agency (by index)."""
        t = self.threats
        n = len(self.names)
        attacked = t.fate == _ATTACK
        agencies = self.agencies
        return {
            "day": [day] * n, "agency": self.names,
            "warnings_sent": [a.sent for a in agencies],
            "warnings_received": [a.received for a in agencies],
            "warnings_heeded": [a.heeded for a in agencies],
            "capability": self.consequences.capability.tolist(),
            "sources_burned": [a.sources_burned for a in agencies],
            "actions_in_force": list(self.consequences.load),
            "attacks_suffered": np.bincount(t.target[attacked], minlength=n).tolist(),
            "casualties_suffered": np.bincount(t.target, weights=t.casualties,
                                               minlength=n).astype(int).tolist(),
            "trust_given": np.nanmean(trust, axis=1).tolist(),
            "trust_received": np.nanmean(trust, axis=0).tolist(),
        }

    def agent_series(self, *, typed: bool = False) -> Any:
        """The per-agency series as columns (:data:`sim.schema.AGENT_FIELDS`; empty when the
        series is not recorded), rows ordered by day, then agency: lists, or an Arrow record
        batch (``typed``, :func:`sim.log.typed`)."""
        if not self._record_agents or self.datacollector is None or self.day == 0:
            columns: dict[str, Any] = {name: [] for name in AGENT_COLUMNS}
        else:
            frame = self.datacollector.get_agent_vars_dataframe()
            columns = {name: frame[name].to_numpy() if typed else frame[name].tolist()
                       for name in AGENT_COLUMNS}
        return to_arrays(columns, AGENT_FIELDS) if typed else columns

    def dyad_series(self, *, typed: bool = False) -> Any:
        """The dyad-level series as columns (:data:`sim.schema.DYAD_FIELDS`; empty unless
        ``record_dyads``): per day, every ordered pair (recipient, sender) in row-major order;
        lists, or an Arrow record batch (``typed``, :func:`sim.log.typed`)."""
        rows = self._dyad_rows
        if not rows:
            empty: dict[str, list[Any]] = {name: [] for name in DYAD_COLUMNS}
            return to_arrays(empty, DYAD_FIELDS) if typed else empty
        n = len(self.names)
        recipient, sender = np.nonzero(~np.eye(n, dtype=bool))
        names = np.array(self.names, dtype=object)
        columns = {
            "day": np.repeat(np.array([d for d, _, _ in rows], dtype=np.int64), len(recipient)),
            "recipient": np.tile(names[recipient], len(rows)),
            "sender": np.tile(names[sender], len(rows)),
            "trust": np.concatenate([x for _, x, _ in rows]),
            "rivalry": np.concatenate([x for _, _, x in rows]),
        }
        return to_arrays(columns, DYAD_FIELDS) if typed else {k: v.tolist() for k, v in columns.items()}

    def warning_log(self, *, typed: bool = False) -> Any:
        """The warning log as columns (:mod:`sim.schema`), cry-wolf probes included: lists of
        Python values, or an Arrow record batch (``typed``, :meth:`sim.log.WarningLog.batch`)."""
        for cable in self.log:
            if cable.probe is not None:
                self.agencies[cable.recipient_index].cry_wolf_probe(cable)
        return self.log.batch() if typed else self.log.columns()

    def series(self, *, typed: bool = False) -> Any:
        """The per-day series as columns (empty when not recorded): lists, or an Arrow record
        batch (``typed``)."""
        if self.datacollector is None:
            columns: dict[str, list[Any]] = {name: [] for name in SERIES_COLUMNS}
        else:
            columns = {name: list(self.datacollector.model_vars[name]) for name in SERIES_COLUMNS}
        return to_arrays(columns, SERIES_FIELDS) if typed else columns

    def outcomes(self) -> dict[str, float | int]:
        """The run's outcome statistics (names declared in :mod:`sim.outcomes`)."""
        t = self.threats
        c = self.consequences
        real = t.is_real
        fate = t.fate[real]
        ended = fate != _PENDING
        potential = int(t.lethality[real][ended].sum())
        casualties = int(t.casualties[real].sum())
        cables = self.log.cables
        sent = [x for x in cables if x.sent]
        delivered = [x for x in sent if x.delivered_day >= 0]
        heeded = sum(x.heeded is True for x in delivered)
        open_ = sum(x.heeded is None for x in delivered)
        waived = dict.fromkeys(WaiverReason, 0)
        for x in cables:
            if x.waiver_reason is not None:
                waived[x.waiver_reason] += 1
        false_alarms = sum(not x.is_real for x in sent)
        foiled = int(((fate == _INTERDICTED) | (fate == _DETERRED)).sum())
        out: dict[str, float | int] = {
            "plots": int(real.sum()),
            "false_leads": int((~real).sum()),
            "attacks": int((fate == _ATTACK).sum()),
            "casualties": casualties,
            "interdicted": int((fate == _INTERDICTED).sum()),
            "deterred": int((fate == _DETERRED).sum()),
            "pending": int((fate == _PENDING).sum()),
            "plots_ended": int(ended.sum()),
            "foiled": foiled,
            "foiled_share": _rate(foiled, int(ended.sum())),
            "potential_casualties": potential,
            "lives_saved": potential - casualties,
            "detections": int((self.world.detections.day < self.days).sum()),
            "warnings_triggered": sum(not x.fabricated for x in cables),
            "warnings_waived": sum(waived.values()),
            **{f"waived_{r.value}": k for r, k in waived.items()},
            "warnings_sent": len(sent),
            "fabricated_warnings": sum(x.fabricated for x in sent),
            "public_alerts": sum(x.public for x in sent),
            "attacks_shifted": int(t.shifted[real].sum()),
            "details_withheld": sum(x.details_known - x.details_passed for x in sent),
            "sources_burned": c.sources_burned,
            "warnings_delivered": len(delivered),
            "warnings_heeded": heeded,
            "warnings_investigated": sum(x.response is Response.INVESTIGATED for x in delivered),
            "warnings_dismissed": len(delivered) - heeded - open_,
            "investigations_open": open_,
            "heed_rate": _rate(heeded, len(delivered)),
        }
        for band in BANDS:
            in_band = [x for x in delivered if band_of(x.rivalry) == band]
            h = sum(x.heeded is True for x in in_band)
            out[f"delivered_{band}_rivalry"] = len(in_band)
            out[f"heeded_{band}_rivalry"] = h
            out[f"heed_rate_{band}_rivalry"] = _rate(h, len(in_band))
        judged = [x for x in delivered if x.confirmed is not None]
        false_heeded = sum(x.heeded is True and not x.is_real for x in delivered)
        trust = self.trust_matrix()
        out |= {
            "false_alarms": false_alarms,
            "false_alarm_share": _rate(false_alarms, len(sent)),
            "false_alarms_heeded": false_heeded,
            "fabrications_heeded": sum(x.heeded is True and x.fabricated for x in delivered),
            "protective_cost": c.protective_cost,
            "investigative_cost": c.investigative_cost,
            "net_harm": casualties + c.protective_cost + c.investigative_cost,
            "confirmations": sum(bool(x.confirmed) for x in judged),
            "disconfirmations": sum(not x.confirmed for x in judged),
            **self._trust_by_band(),
            **self._trust_by_type(trust),
        }
        return out


def _reporter(name: str) -> Any:
    """A DataCollector reporter reading one column of the day's snapshot (computed once a day)."""
    return lambda model: model._snapshot[name]


def _agent_reporter(name: str) -> Any:
    """A DataCollector agent reporter reading one column of the day's per-agency snapshot."""
    return lambda agent: agent.model._agent_snapshot[name][agent.index]


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan
