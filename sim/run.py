"""One run: ``(parameters, scenario, days, seed) -> outcomes``.

This is the whole interface between the model and everything downstream (the CLI's ``run``,
the sweep engine, the benchmarks). :func:`simulate` runs the compiled kernels of
:mod:`sim.engine` (the whole year in one call, or a call per recorded day) and summarises the
run into plain Python data; ``WarningModel`` steps the same kernels through Mesa. Mesa 3.3.1
keeps every model alive via the class-level ``Agent._ids`` registry, so a process stepping
thousands of Mesa models must drop each one's entry or its memory grows without bound (see
:func:`release`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Integral
from typing import TYPE_CHECKING, Any, TypeAlias

from sim.frames import RunFrames
from sim.params import ModelParams
from sim.schema import (
    AGENT_COLUMNS,
    AGENT_FIELDS,
    DYAD_COLUMNS,
    DYAD_FIELDS,
    SERIES_COLUMNS,
    SERIES_FIELDS,
    WARNING_COLUMNS,
)

__all__ = ["AGENT_COLUMNS", "DYAD_COLUMNS", "MAX_DAYS", "SERIES_COLUMNS", "WARNING_COLUMNS",
           "RunResult", "RunSpec", "check_days", "release", "run_seed", "simulate",
           "warm"]

if TYPE_CHECKING:
    import pyarrow as pa

    from sim.log import Cables

Log: TypeAlias = "dict[str, list[Any]] | pa.RecordBatch | Cables"
"""A per-run log: columns of Python values, or (``typed_logs``) one Arrow record batch, or
(the warning log with ``cable_records``) the kernels' records."""

MAX_DAYS = 100_000
"""Longest run accepted from users (about 274 years), the same bound for runs and sweeps."""


def check_every(every: Any, origin: str = "record_every") -> int:
    """``every`` if it is a whole number of days in [1, :data:`MAX_DAYS`]; else one
    :class:`~sim.errors.UserError`."""
    from sim.errors import UserError

    if isinstance(every, bool) or not isinstance(every, Integral) or not 1 <= int(every) <= MAX_DAYS:
        raise UserError(f"{origin}: got {every!r}; allowed: an integer in [1, {MAX_DAYS}]")
    return int(every)


def recorded_days(days: int, every: int) -> list[int]:
    """The days a per-day log records: every ``every``-th day (``day % every == every - 1``)
    and the last day."""
    out = list(range(every - 1, days, every))
    if days and (not out or out[-1] != days - 1):
        out.append(days - 1)
    return out


def check_days(days: Any, origin: str = "days") -> int:
    """``days`` if it is a whole number of days in [0, :data:`MAX_DAYS`]; else one
    :class:`~sim.errors.UserError`. A model stepped by days cannot run 1.5 of them (it would
    run 2), and ten million days need gigabytes before the first is done. (For
    ``WarningModel(days=...)`` too: the model may call it.)"""
    from sim.errors import UserError

    if isinstance(days, bool) or not isinstance(days, Integral) or not 0 <= int(days) <= MAX_DAYS:
        raise UserError(f"{origin}: got {days!r}; allowed: an integer in [0, {MAX_DAYS}]")
    return int(days)


@dataclass(frozen=True, slots=True)
class RunSpec:
    """Everything that determines one run. Two equal specs give identical results.

    ``changes`` set scenario traits by dotted name before the run
    (``(("agency.B1.capability", 0.3),)``, :func:`sim.scenarios.with_changes`).
    """

    params: ModelParams = field(default_factory=ModelParams)
    scenario: str = "default"
    days: int = 365
    seed: int = 0
    record_warnings: bool = True
    record_series: bool = False
    record_agents: bool = False
    record_dyads: bool = False
    record_every: int = 1
    """Record the per-day logs (series, agents, dyads) every ``record_every`` days, on the days
    ``day % record_every == record_every - 1``, and always on the last day: ``record_every =
    days`` keeps only each run's final state (what per-agency totals need), at the cost of a
    whole-run call instead of one observation a day."""
    typed_logs: bool = False
    """Return each recorded log as one Arrow record batch in its declared schema
    (:func:`sim.log.typed`) rather than lists of Python values: what a sweep gathers a chunk
    of runs at a time and writes."""
    changes: tuple[tuple[str, Any], ...] = ()
    cable_records: bool = False
    """Return the warning log as the kernels' records (:class:`sim.log.Cables`), not converted:
    what a sweep's worker keeps, to export a chunk of runs with one Arrow conversion
    (:func:`sim.log.gathered`) instead of one a run, about half of a logged run's cost."""

    def __post_init__(self) -> None:
        check_days(self.days, "RunSpec.days")
        check_every(self.record_every, "RunSpec.record_every")


@dataclass(frozen=True, slots=True)
class RunResult(RunFrames):
    """Plain data from one finished run (no references to the model).

    ``trust_matrix[r][s]`` is recipient ``r``'s perceived benevolence of sender ``s`` at the end
    (None on the diagonal), ``rivalry_matrix[i][j]`` the rivalry of ``i`` toward ``j`` at the end;
    ``agencies`` names their rows and columns. ``agents`` (with ``record_agents``) and ``dyads``
    (with ``record_dyads``) hold the per-agency and per-dyad series as columns (:mod:`sim.schema`).
    The same as pandas DataFrames: ``warnings_frame()``, ``series_frame()``, ``agents_frame()``,
    ``dyads_frame()``, ``outcomes_frame()``, ``trust_frame()``, ``rivalry_frame()``
    (:class:`sim.frames.RunFrames`).
    """

    outcomes: dict[str, float | int]
    warnings: Log | None
    series: Log | None
    agencies: list[str] = field(default_factory=list)
    trust_matrix: list[list[float | None]] = field(default_factory=list)
    rivalry_matrix: list[list[float]] = field(default_factory=list)
    agents: Log | None = None
    dyads: Log | None = None


def simulate(spec: RunSpec) -> RunResult:
    """Run the model described by ``spec`` to the end and return its results: the whole run in
    one compiled call (:func:`sim.engine.run_days`), or day by day when a per-day log is
    recorded; the same kernels and observations as ``WarningModel``."""
    import numpy as np

    from sim.engine import run_days, start
    from sim.log import Cables, batch, columns
    from sim.observe import (
        agent_rows,
        as_dict,
        cable_table,
        final,
        mean_rivalry,
        outcomes,
        trust_matrix,
    )

    days = check_days(spec.days)
    names, t = _template(spec.scenario, spec.changes, spec.params)
    run = start(t, spec.seed, days, probes=spec.record_warnings)
    ref = run.ref
    series: dict[str, list[Any]] = {name: [] for name in SERIES_COLUMNS}
    agents: dict[str, list[Any]] = {name: [] for name in AGENT_COLUMNS}
    dyads: dict[str, list[Any]] = {name: [] for name in DYAD_COLUMNS}
    if spec.record_series or spec.record_agents or spec.record_dyads:
        off = ~np.eye(len(names), dtype=bool)
        recipient, sender = np.nonzero(off)
        for day in recorded_days(days, spec.record_every):
            run_days(ref, day + 1)
            trust = trust_matrix(ref, day)
            if spec.record_series:
                row = outcomes(ref, days, trust) | {"day": day, "mean_rivalry": mean_rivalry(ref)}
                for name in SERIES_COLUMNS:
                    series[name].append(row[name])
            if spec.record_agents:
                for name, values in agent_rows(ref, run.arrays, day, trust, names).items():
                    agents[name] += values
            if spec.record_dyads:
                dyads["day"] += [day] * len(recipient)
                dyads["recipient"] += [names[r] for r in recipient.tolist()]
                dyads["sender"] += [names[s] for s in sender.tolist()]
                dyads["trust"] += trust[off].tolist()
                dyads["rivalry"] += run.arrays.rivalry[off].tolist()
    else:
        run_days(ref, days)
    trust, rivalry, record = final(ref, days)
    log: Any = None
    if spec.record_warnings and spec.cable_records:
        log = Cables(cable_table(ref).view(np.ndarray).copy(), names)
    elif spec.record_warnings:  # columns: batch(...).to_pydict(), without Arrow
        log = (batch if spec.typed_logs else columns)(cable_table(ref), names)

    def out(columns: Any, fields: Any) -> Any:
        return _typed(columns, fields) if spec.typed_logs else columns

    return RunResult(
        outcomes=as_dict(record),
        warnings=log,
        series=out(series, SERIES_FIELDS) if spec.record_series else None,
        agencies=list(names),
        trust_matrix=_rows(trust),
        rivalry_matrix=_rows(rivalry),
        agents=out(agents, AGENT_FIELDS) if spec.record_agents else None,
        dyads=out(dyads, DYAD_FIELDS) if spec.record_dyads else None,
    )


def warm() -> None:
    """Compile the kernels, or load them from the on-disk cache, in this process: two one-day
    runs that reach every kernel and signature a run uses (the whole-run call and the path
    observed on recorded days with every per-day log), and the one-day kernel ``WarningModel``
    steps by. A sweep calls this in its parent before its workers start, so workers inherit the
    compiled code (fork) or load the cache the parent wrote (spawn) and never compile at the
    same time. A few milliseconds once the cache exists."""
    from sim.engine import start, step_day

    simulate(RunSpec(days=1, record_warnings=False))
    simulate(RunSpec(days=1, record_warnings=True, record_series=True, record_agents=True,
                     record_dyads=True, typed_logs=True))
    _, t = _template("default", (), ModelParams())
    step_day(start(t, 0, 1, probes=True).ref, 0)  # Mesa's step, without importing Mesa


@lru_cache(maxsize=64)
def _template(scenario: str, changes: tuple[tuple[str, Any], ...], params: ModelParams) -> Any:
    """The agencies' names and the run template of a scenario and parameter set: kept, since a
    sweep runs many replications of each (:func:`sim.engine.template`)."""
    from sim.engine import template
    from sim.scenarios import load_scenario, with_changes

    loaded = load_scenario(scenario)
    if changes:
        loaded = with_changes(loaded, changes)
    return tuple(a.name for a in loaded.agencies), template(loaded, params)


def named_template(scenario: str, params: ModelParams) -> Any:
    """The kept run template of a named scenario (:class:`sim.model.WarningModel` builds its
    runs from it, as :func:`simulate` does)."""
    return _template(scenario, (), params)[1]


def _typed(columns: Any, fields: Any) -> Any:
    from sim.log import typed

    return typed(columns, fields)


def _rows(matrix: Any) -> list[list[Any]]:
    """A square matrix as a list of rows of floats, NaN (the diagonal) as None."""
    return [[None if math.isnan(x) else x for x in row] for row in matrix.tolist()]


def run_seed(seed: int | None, rng: Any, drawn_from: Any) -> int:
    """A Mesa model's run seed: ``seed``, else the integer ``rng``, else (a Generator, or fresh
    entropy) drawn from the model's own generator ``drawn_from`` and kept."""
    import numpy as np

    if seed is not None:
        return int(seed)
    if isinstance(rng, int | np.integer):
        return int(rng)
    return int(drawn_from.integers(2**63))


def release(model: Any) -> None:
    """Drop Mesa 3.3.1's class-level reference to ``model`` so it can be garbage-collected."""
    from mesa import Agent

    Agent._ids.pop(model, None)
