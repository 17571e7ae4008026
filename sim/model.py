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
from sim.log import CableLog, batch, columns
from sim.observe import agent_rows, cable_table, mean_rivalry, outcomes, trust_matrix
from sim.params import ModelParams
from sim.readout import LedgerView, agent_columns, collector, dyad_columns, series_columns
from sim.run import check_days, named_template, release, run_seed
from sim.scenarios import Scenario, load_scenario
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
        self.seed = run_seed(seed, rng, self.rng)
        # A named scenario's template (its suspicion fixed points) is kept, as simulate keeps it.
        built = named_template(scenario, p) if isinstance(scenario, str) else template(self.scenario, p)
        self.run_state = start(built, self.seed, self.days, probes=True, world=world)
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
        self.datacollector = collector(record_series=record_series, record_agents=record_agents)
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
        return (batch if typed else columns)(cable_table(self.run_state.ref), self.names)

    def series(self, *, typed: bool = False) -> Any:
        """The per-day series as columns (empty when not recorded): lists, or an Arrow record
        batch (``typed``)."""
        return series_columns(self.datacollector if self._record_series else None,
                              as_arrow=typed)

    def agent_series(self, *, typed: bool = False) -> Any:
        """The per-agency series as columns (:data:`sim.schema.AGENT_FIELDS`; empty when not
        recorded), rows ordered by day, then agency."""
        recorded = self._record_agents and self.day > 0
        return agent_columns(self.datacollector if recorded else None, as_arrow=typed)

    def dyad_series(self, *, typed: bool = False) -> Any:
        """The dyad-level series as columns (:data:`sim.schema.DYAD_FIELDS`; empty unless
        ``record_dyads``): per day, every ordered pair (recipient, sender) in row-major order."""
        return dyad_columns(self._dyad_rows or [], self.names, as_arrow=typed)
