"""One run: ``(parameters, scenario, days, seed) -> outcomes``.

This is the whole interface between the model and everything downstream (the CLI's ``run``,
the sweep engine, the benchmarks). It builds a :class:`~sim.model.WarningModel`, steps it,
summarises it into plain Python data and then frees it: Mesa 3.3.1 keeps every model alive via
the class-level ``Agent._ids`` registry, so a process running thousands of models must drop
each one's entry or its memory grows without bound (see :func:`release`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral
from typing import TYPE_CHECKING, Any, TypeAlias

from sim.params import ModelParams
from sim.schema import AGENT_COLUMNS, DYAD_COLUMNS, SERIES_COLUMNS, WARNING_COLUMNS

__all__ = ["AGENT_COLUMNS", "DYAD_COLUMNS", "MAX_DAYS", "SERIES_COLUMNS", "WARNING_COLUMNS",
           "RunResult", "RunSpec", "check_days", "release", "simulate"]

if TYPE_CHECKING:
    import pyarrow as pa

Log: TypeAlias = "dict[str, list[Any]] | pa.RecordBatch"
"""A per-run log: columns of Python values, or (``typed_logs``) one Arrow record batch."""

MAX_DAYS = 100_000
"""Longest run accepted from users (about 274 years), the same bound for runs and sweeps."""


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
    typed_logs: bool = False
    """Return each recorded log as one Arrow record batch in its declared schema
    (:func:`sim.log.typed`) rather than lists of Python values: what a sweep gathers a chunk
    of runs at a time and writes."""
    changes: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        check_days(self.days, "RunSpec.days")


@dataclass(frozen=True, slots=True)
class RunResult:
    """Plain data from one finished run (no references to the model).

    ``trust_matrix[r][s]`` is recipient ``r``'s perceived benevolence of sender ``s`` at the end
    (None on the diagonal), ``rivalry_matrix[i][j]`` the rivalry of ``i`` toward ``j`` at the end;
    ``agencies`` names their rows and columns. ``agents`` (with ``record_agents``) and ``dyads``
    (with ``record_dyads``) hold the per-agency and per-dyad series as columns (:mod:`sim.schema`).
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
    """Run the model described by ``spec`` to the end and return its results."""
    from sim.model import WarningModel
    from sim.scenarios import load_scenario, with_changes

    scenario = load_scenario(spec.scenario)
    if spec.changes:
        scenario = with_changes(scenario, spec.changes)
    model = WarningModel(
        scenario=scenario, params=spec.params, days=spec.days, rng=spec.seed,
        record_series=spec.record_series, record_agents=spec.record_agents,
        record_dyads=spec.record_dyads,
    )
    try:
        model.run()
        return RunResult(
            outcomes=model.outcomes(),
            warnings=model.warning_log(typed=spec.typed_logs) if spec.record_warnings else None,
            series=model.series(typed=spec.typed_logs) if spec.record_series else None,
            agencies=list(model.names),
            trust_matrix=_rows(model.trust_matrix()),
            rivalry_matrix=_rows(model.rivalry_matrix()),
            agents=model.agent_series(typed=spec.typed_logs) if spec.record_agents else None,
            dyads=model.dyad_series(typed=spec.typed_logs) if spec.record_dyads else None,
        )
    finally:
        release(model)


def _rows(matrix: Any) -> list[list[Any]]:
    """A square matrix as a list of rows of floats, NaN (the diagonal) as None."""
    return [[None if math.isnan(x) else x for x in row] for row in matrix.tolist()]


def release(model: Any) -> None:
    """Drop Mesa 3.3.1's class-level reference to ``model`` so it can be garbage-collected."""
    from mesa import Agent

    Agent._ids.pop(model, None)
