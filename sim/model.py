"""The warning-diplomacy model as a Mesa model: the glue between Mesa's tools and the kernels.

``WarningModel(rivalry=0.9, scenario="default", seed=1)`` builds a run from keyword
parameters (any name of :class:`sim.params.ModelParams`), so Mesa's own tools (``batch_run``,
SolaraViz, notebooks) can drive it; ``params=`` takes a whole parameter set. ``step()`` runs
one day with the compiled kernels (:func:`sim.engine.step_day`, where the order of events
within a day is documented) and ``run()`` the rest of the run; the agents
(:class:`sim.agents.Agency`) read their state from the run's arrays. A run stepped day by day
and the same run made whole give identical results.

The model drops its entry in Mesa's class-level ``Agent._ids`` registry once its agents are
made, so Mesa never keeps it alive (Mesa 3.3.1 would keep every model ever built): tools such
as ``batch_run`` build thousands and keep none.

The model's DataCollector records the run's outcomes (:mod:`sim.outcomes`) after every step,
so ``mesa.batch_run(WarningModel, ...)`` reports them at any collection period; with
``record_series`` it also records the per-day series' own columns, with ``record_agents`` the
per-agency series, and with ``record_dyads`` trust and rivalry per ordered pair.

The model is ``(scenario, parameters, days, seed) -> outcomes``: it knows nothing of
experiments. All randomness comes from the run's seed (``self.seed``: the ``seed`` or integer ``rng`` given,
else drawn from Mesa's ``self.rng``) through the streams of :mod:`sim.rng`: the world, drawn
before day 0 (:mod:`sim.world`), and the order of the agencies acting on the same day.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim.agents import Agency
from sim.engine import run_days, start, step_day, template
from sim.inference import DyadModel, dyad_model
from sim.ledger import evidence_at
from sim.log import CableLog, batch
from sim.observe import agent_rows, cable_table, mean_rivalry, outcomes, trust_matrix
from sim.outcomes import OUTCOME_NAMES
from sim.params import ModelParams
from sim.run import check_days, release
from sim.scenarios import Scenario, load_scenario
from sim.log import typed as to_arrays
from sim.schema import (
    AGENT_COLUMNS, AGENT_FIELDS, DYAD_COLUMNS, DYAD_FIELDS, SERIES_COLUMNS, SERIES_FIELDS,
)
from sim.world import World

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
        self.days = check_days(days)
        params = params or ModelParams()
        self.params = p = params.replace(**kwargs) if kwargs else params
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.day = 0
        self.running = self.days > 0
        self.names = [a.name for a in self.scenario.agencies]
        if seed is not None:
            self.seed = int(seed)
        elif isinstance(rng, int | np.integer):
            self.seed = int(rng)
        else:  # a Generator, or fresh entropy: the run's own seed is drawn from it and kept
            self.seed = int(self.rng.integers(2**63))
        self.run_state = start(template(self.scenario, p), self.seed, self.days, probes=True,
                               world=world)
        self.arrays = self.run_state.arrays
        self.liaison = self.arrays.liaison
        self.agencies = [Agency(self, i, a) for i, a in enumerate(self.scenario.agencies)]
        # Mesa 3.3.1 counts agents' unique_id per model in the class-level Agent._ids, which
        # keeps every model ever built alive; this model creates no agent after this line, so
        # its entry goes now and Mesa never holds it (batch_run, the view, notebooks).
        release(self)
        self._record_series = record_series
        self._snapshot: dict[str, Any] = {}
        self._agent_snapshot: dict[str, list[Any]] = {}
        reporters = {name: _reporter(name) for name in OUTCOME_NAMES}
        if record_series:
            reporters |= {name: _reporter(name) for name in ("day", "mean_rivalry")}
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters,
            agent_reporters={name: _agent_reporter(name) for name in AGENT_COLUMNS}
            if record_agents else None,
        )
        self._record_agents = record_agents
        self._dyad_rows: list[tuple[int, np.ndarray, np.ndarray]] | None = (
            [] if record_dyads else None)

    # --- running ----------------------------------------------------------------------------
    def step(self) -> None:
        """One day: the kernels (:func:`sim.engine.step_day`), then the day's observations."""
        if self.day >= self.days:
            self.running = False
            return
        step_day(self.run_state.ref, self.day)
        self._observe(self.day)
        self.day += 1
        self.running = self.day < self.days

    def run(self) -> None:
        """The rest of the run. Without per-day series or dyads this is one compiled call,
        after which the DataCollector holds the final outcomes once."""
        if self._record_series or self._record_agents or self._dyad_rows is not None:
            while self.running:
                self.step()
            return
        if self.day < self.days:
            run_days(self.run_state.ref, self.days)
            self.steps += self.days - self.day  # as if step() had been called for each day
            self.day = self.days
            self.running = False
            self._observe(self.days - 1)

    def _observe(self, day: int) -> None:
        ref = self.run_state.ref
        trust = trust_matrix(ref, day)
        self._snapshot = outcomes(ref, self.days, trust)
        if self._record_series:
            self._snapshot |= {"day": day, "mean_rivalry": mean_rivalry(ref)}
        if self._record_agents:
            self._agent_snapshot = agent_rows(ref, self.arrays, day, trust, self.names)
        self.datacollector.collect(self)
        if self._dyad_rows is not None:
            off = ~np.eye(len(self.names), dtype=bool)
            self._dyad_rows.append((day, trust[off], self.arrays.rivalry[off]))

    # --- the state, read-only ----------------------------------------------------------------
    @property
    def threats(self) -> np.recarray:
        """Plots and false leads with their fates so far (:data:`sim.world.THREAT_DTYPE`)."""
        return self.arrays.threats

    @property
    def rivalry(self) -> np.ndarray:
        """Rivalry ``[i, j]`` of ``i`` toward ``j`` now (shifts and diplomacy change it)."""
        return self.arrays.rivalry

    @property
    def rival(self) -> np.ndarray:
        """``[i, j]``: ``i`` regards ``j`` as a rival now."""
        return self.arrays.rival

    @property
    def ledger(self) -> LedgerView:
        """The trust ledger's evidence tensors ``[recipient, sender, hypothesis]`` (read-only
        views) and the day they stand through (:mod:`sim.ledger`)."""
        return LedgerView(self.arrays)

    def dyad(self, s: int, r: int) -> DyadModel:
        """``r``'s model of sender ``s`` now (:func:`sim.inference.dyad_model`)."""
        a = self.arrays
        arrival, real, fabricated = dyad_model(self.run_state.ref, s, r, float(a.genuine[s, r]))
        return DyadModel(silence=a.silence[r, s].copy(), arrival=arrival.copy(), real=real.copy(),
                         fabricated=fabricated.copy())

    @property
    def log(self) -> CableLog:
        """The warning log so far, one row object per cable (for reading, not for speed)."""
        return CableLog.of(self.warning_log())

    def trust_matrix(self) -> np.ndarray:
        """Perceived benevolence ``[recipient, sender]`` at the end of the last day simulated
        (diagonal NaN)."""
        return trust_matrix(self.run_state.ref, self.day - 1)

    def rivalry_matrix(self) -> np.ndarray:
        """Rivalry ``[i, j]`` of ``i`` toward ``j`` now (a copy)."""
        return self.arrays.rivalry.copy()

    def outcomes(self) -> dict[str, float | int]:
        """The run's outcome statistics so far (names declared in :mod:`sim.outcomes`)."""
        return outcomes(self.run_state.ref, self.days, self.trust_matrix())

    # --- logs ---------------------------------------------------------------------------------
    def warning_log(self, *, typed: bool = False) -> Any:
        """The warning log as columns (:mod:`sim.schema`), cry-wolf probes included: lists of
        Python values, or an Arrow record batch (``typed``)."""
        out = batch(cable_table(self.run_state.ref), self.names)
        return out if typed else out.to_pydict()

    def series(self, *, typed: bool = False) -> Any:
        """The per-day series as columns (empty when not recorded): lists, or an Arrow record
        batch (``typed``)."""
        if not self._record_series:
            columns: dict[str, list[Any]] = {name: [] for name in SERIES_COLUMNS}
        else:
            columns = {name: list(self.datacollector.model_vars[name]) for name in SERIES_COLUMNS}
        return to_arrays(columns, SERIES_FIELDS) if typed else columns

    def agent_series(self, *, typed: bool = False) -> Any:
        """The per-agency series as columns (:data:`sim.schema.AGENT_FIELDS`; empty when not
        recorded), rows ordered by day, then agency."""
        if not self._record_agents or self.day == 0:
            columns: dict[str, Any] = {name: [] for name in AGENT_COLUMNS}
        else:
            frame = self.datacollector.get_agent_vars_dataframe()
            columns = {name: frame[name].to_numpy() if typed else frame[name].tolist()
                       for name in AGENT_COLUMNS}
        return to_arrays(columns, AGENT_FIELDS) if typed else columns

    def dyad_series(self, *, typed: bool = False) -> Any:
        """The dyad-level series as columns (:data:`sim.schema.DYAD_FIELDS`; empty unless
        ``record_dyads``): per day, every ordered pair (recipient, sender) in row-major order."""
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


class LedgerView:
    """The ledger of a run, for reading: ``direct`` and ``public`` evidence, ``through`` (the
    day each dyad's evidence stands through) and :meth:`evidence_at`."""

    __slots__ = ("_arrays",)

    def __init__(self, arrays: Any) -> None:
        self._arrays = arrays

    @property
    def direct(self) -> np.ndarray:
        view = self._arrays.direct.view()
        view.flags.writeable = False
        return view

    @property
    def public(self) -> np.ndarray:
        view = self._arrays.public.view()
        view.flags.writeable = False
        return view

    @property
    def through(self) -> np.ndarray:
        """``[r, s]``: the day ``r``'s evidence about ``s`` stands through (fading is applied
        to a dyad when it is next read or written)."""
        view = self._arrays.through.view()
        view.flags.writeable = False
        return view

    def evidence_at(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the direct and public evidence as they would stand through ``day``."""
        return evidence_at(self._arrays, day)


def _reporter(name: str) -> Any:
    """A DataCollector reporter reading one value of the day's snapshot (computed once a day)."""
    return lambda model: model._snapshot[name]


def _agent_reporter(name: str) -> Any:
    """A DataCollector agent reporter reading one column of the day's per-agency snapshot."""
    return lambda agent: agent.model._agent_snapshot[name][agent.index]
