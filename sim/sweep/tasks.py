"""The unit of work sent to an executor: a chunk of runs, and the function that runs it.

A chunk carries one shared :class:`RunTemplate` plus a few small :class:`RunTask` records, so
a worker process receives each run's identity and swept values, not a full parameter set, and
sends back only plain columns. :func:`run_chunk` never raises for a failing run: the run is
recorded as failed with its error, and the chunk goes on.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sim.outcomes import OUTCOMES, Kind
from sim.params import ModelParams
from sim.run import RunResult, RunSpec
from sim.schema import SERIES_COLUMNS, WARNING_COLUMNS

RunFn = Callable[[RunSpec], RunResult]
"""What runs one model: :func:`sim.run.simulate` unless a caller injects another."""

STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunTemplate:
    """What every run of an experiment shares.

    ``scenario_sha256`` is set for a scenario file: the file is read by path wherever a chunk
    runs (so every Dask worker needs it at the same path), and each chunk first checks that the
    file there is the one the experiment was started with.
    """

    base: ModelParams
    scenario: str
    days: int
    record_warnings: bool
    record_series: bool
    run_fn: RunFn | None = None
    scenario_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class RunTask:
    """One run's identity: which design point, which replication and its seed."""

    run_id: int
    point_id: int
    replication: int
    seed: int
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Chunk:
    template: RunTemplate
    tasks: tuple[RunTask, ...]


@dataclass(slots=True)
class ChunkResult:
    """Plain columns from one chunk: ``runs`` (meta + outcomes + status/error) and, when
    recorded, the warning log and series with a leading ``run_id`` column."""

    runs: dict[str, list[Any]]
    warnings: dict[str, list[Any]] | None
    series: dict[str, list[Any]] | None

    @property
    def failed(self) -> int:
        return sum(s != STATUS_OK for s in self.runs["status"])


_COUNTS = frozenset(o.name for o in OUTCOMES if o.kind is Kind.COUNT)


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every task of ``chunk`` in order (in whatever process receives it)."""
    import sim.run

    t = chunk.template
    # Looked up at call time so a monkeypatched sim.run.simulate reaches forked workers too.
    run_fn = t.run_fn or sim.run.simulate
    meta = ("run_id", "point_id", "replication", "seed")
    runs: dict[str, list[Any]] = {k: [] for k in (*meta, *(o.name for o in OUTCOMES),
                                                  "status", "error")}
    warnings = _empty(WARNING_COLUMNS) if t.record_warnings else None
    series = _empty(SERIES_COLUMNS) if t.record_series else None
    params: dict[int, ModelParams] = {}
    problem = _scenario_problem(t)
    for task in chunk.tasks:
        for k in meta:
            runs[k].append(getattr(task, k))
        try:
            if problem:
                raise RuntimeError(problem)
            if task.point_id not in params:
                params[task.point_id] = t.base.replace(**task.values)
            spec = RunSpec(params=params[task.point_id], scenario=t.scenario, days=t.days,
                           seed=task.seed, record_warnings=t.record_warnings,
                           record_series=t.record_series)
            result = run_fn(spec)
            outcomes = {o.name: _outcome(o.name, result.outcomes[o.name]) for o in OUTCOMES}
            logs = [(warnings, WARNING_COLUMNS, result.warnings),
                    (series, SERIES_COLUMNS, result.series)]
            extracted = [(dest, _columns(cols, got)) for dest, cols, got in logs
                         if dest is not None]
        except Exception as exc:  # a failing run is data, not a crash of the sweep
            for o in OUTCOMES:
                runs[o.name].append(None)
            runs["status"].append(STATUS_FAILED)
            runs["error"].append(f"{type(exc).__name__}: {exc}")
            continue
        for name, value in outcomes.items():
            runs[name].append(value)
        runs["status"].append(STATUS_OK)
        runs["error"].append("")
        for dest, cols in extracted:
            rows = len(next(iter(cols.values()))) if cols else 0
            dest["run_id"].extend([task.run_id] * rows)
            for name, values in cols.items():
                dest[name].extend(values)
    return ChunkResult(runs, warnings, series)


def _scenario_problem(t: RunTemplate) -> str:
    """Why this process cannot run the template's scenario file ("" if it can)."""
    if t.scenario_sha256 is None:
        return ""
    where = f"on {socket.gethostname()}"
    try:
        raw = Path(t.scenario).read_bytes()
    except OSError as exc:
        return (f"scenario file {t.scenario!r} cannot be read {where} ({exc}); every worker "
                "needs it at the same path")
    if hashlib.sha256(raw).hexdigest() != t.scenario_sha256:
        return (f"scenario file {t.scenario!r} {where} differs from the one this sweep "
                "was started with")
    return ""


def _empty(columns: tuple[str, ...]) -> dict[str, list[Any]]:
    return {k: [] for k in ("run_id", *columns)}


def _columns(columns: tuple[str, ...], got: Mapping[str, list[Any]] | None) -> dict[str, list[Any]]:
    """The declared columns of a log, enums as their strings; missing ones are an error."""
    if got is None:
        raise ValueError("the run function returned no log although one was requested")
    lengths = {len(got[c]) for c in columns}
    if len(lengths) > 1:
        raise ValueError(f"log columns have different lengths {sorted(lengths)}")
    return {c: [v.value if isinstance(v, Enum) else v for v in got[c]] for c in columns}


def _outcome(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _COUNTS:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"count outcome {name} is not an integer: {value!r}")
        return int(value)
    return float(value)
