"""The unit of work sent to an executor: a chunk of runs, and the function that runs it.

A chunk carries one shared :class:`RunTemplate`, a range of run ids and the swept values of the
design points they belong to, so a worker process receives neither a full parameter set nor a
record per run: it makes each run's :class:`RunTask` itself, deriving the run's seed from the
experiment's root seed (:mod:`sim.sweep.seeds`), in parallel and off the sweep's own process
(where a seed a run cost 9 us, a quarter of the engine's serial share). The worker returns Arrow tables in their final schemas (:mod:`sim.sweep.tables`): converting the
runs' Python values to columns is the largest per-run cost of the engine, and done here it runs
in parallel on the workers and the tables travel back as Arrow buffers, not pickled objects.

:func:`run_chunk` never raises for a failing run: whatever the run function raises (an
``Exception``, ``SystemExit`` or ``KeyboardInterrupt`` of its own) is recorded with the run as
``failed`` and the chunk goes on. Only :class:`~sim.errors.Interrupted`, which the sweep's signal
handler raises when the user stops the sweep, passes through.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

from sim.errors import Interrupted
from sim.files import Cap, Unreadable, read_bytes
from sim.metrics import Metric, evaluate
from sim.outcomes import OUTCOMES, Kind
from sim.params import PARAMETERS, ModelParams
from sim.run import RunResult, RunSpec
from sim.schema import WARNINGS_FILE
from sim.sweep.experiment import plain
from sim.sweep.parts import PartSink
from sim.sweep.seeds import Seeds
from sim.sweep.tables import LOGS, META, log_schema, runs_schema

RunFn = Callable[[RunSpec], RunResult]
"""What runs one model: :func:`sim.run.simulate` unless a caller injects another."""

STATUS_OK = "ok"
STATUS_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ScenarioRef:
    """A scenario as a run finds it: ``label`` is what results record in their ``scenario``
    column (see :class:`~sim.sweep.experiment.Experiment`), ``load`` what the model loads (a
    built-in name or a scenario file's absolute path). ``sha256`` is set for a file: it is read
    by path wherever a chunk runs (so every Dask worker needs it at the same path), and each
    chunk first checks that the file there is the one the experiment was started with."""

    label: str
    load: str
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class RunTemplate:
    """What every run of an experiment shares.

    ``scenarios`` are every scenario the experiment runs, the first for design points that do
    not set ``scenario``; ``logs`` the per-run logs recorded (final file names, see
    :data:`~sim.sweep.tables.LOGS`); ``changes`` the scenario factors set in every run (dotted
    names, from ``[fixed]``); ``factors`` the dotted names that are columns of
    ``runs.parquet``, with their declared types; ``metrics`` the experiment's ``[metrics]``;
    ``seed`` the experiment's root seed and ``replications`` its replications a design point
    (run ``run_id`` is replication ``run_id % replications`` of its point); ``record_every``
    how often the per-day logs record (:attr:`sim.run.RunSpec.record_every`).
    """

    base: ModelParams
    scenarios: tuple[ScenarioRef, ...]
    days: int
    logs: tuple[str, ...]
    run_fn: RunFn | None = None
    changes: tuple[tuple[str, Any], ...] = ()
    factors: tuple[tuple[str, type], ...] = ()
    metrics: tuple[Metric, ...] = ()
    seed: int = 0
    replications: int = 1
    record_every: int = 1

    def scenario(self, label: str | None = None) -> ScenarioRef:
        """The scenario called ``label`` (None: the experiment's own)."""
        return next((s for s in self.scenarios if s.label == label), self.scenarios[0])

    def runs_schema(self) -> pa.Schema:
        return runs_schema(self.factors, tuple(m.name for m in self.metrics))


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
    """Runs to do together: run ids ``start`` to ``stop - 1``, and ``points`` the swept values
    of every design point they belong to (by point id). With a ``sink`` the worker writes the
    chunk's part itself and returns only counts; without one (Dask, a dry run) it returns the
    tables."""

    template: RunTemplate
    start: int
    stop: int
    points: Mapping[int, Mapping[str, Any]]
    sink: PartSink | None = None

    def tasks(self) -> Iterator[RunTask]:
        """Each run's identity, in ``run_id`` order (``run_id = point_id * replications +
        replication``)."""
        reps = self.template.replications
        seeds = _seeds(self.template.seed, reps)
        for run_id in range(self.start, self.stop):
            point_id, k = divmod(run_id, reps)
            yield RunTask(run_id, point_id, k, seeds[k], self.points[point_id])


@lru_cache(maxsize=4)
def _seeds(root: int, replications: int) -> Seeds:
    """An experiment's seeds, kept for the life of the process: a worker derives each
    replication's seed once, however many design points and chunks it runs."""
    return Seeds(root, replications)


@dataclass(slots=True)
class ChunkResult:
    """One chunk's tables: ``runs`` (identity, parameters, outcomes, status and error) and
    ``logs``, each recorded log by final file name with a leading ``run_id`` column; None and
    empty when the worker wrote them as a part itself. ``size`` runs, ``failed`` of them failed;
    the chunk took ``seconds`` in its worker and made ``rows`` log rows (they size the next
    chunks).

    Sent from a worker as Arrow IPC streams: pickling a table column by column costs 30 times
    more (0.03 ms a run with a year's warning log, on both sides of the pipe)."""

    runs: pa.Table | None
    logs: dict[str, pa.Table]
    failed: int
    size: int
    seconds: float = 0.0
    rows: int = 0

    def __getstate__(self) -> tuple[Any, ...]:
        return (None if self.runs is None else _to_ipc(self.runs),
                {name: _to_ipc(t) for name, t in self.logs.items()}, self.failed, self.size,
                self.seconds, self.rows)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        runs, logs, self.failed, self.size, self.seconds, self.rows = state
        self.runs = None if runs is None else _from_ipc(runs)
        self.logs = {name: _from_ipc(b) for name, b in logs.items()}


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


_OUTCOME_NAMES = frozenset(o.name for o in OUTCOMES)
_WARNING_COLUMNS = [c.name for c in LOGS[WARNINGS_FILE][1]]
_UNFIT = (pa.ArrowException, OverflowError)
"""What converting a value that does not fit its declared column type raises."""


class _Rows:
    """The runs table of one chunk: each run's task, outcomes (None if it failed) and error,
    turned into columns at the end of the chunk."""

    def __init__(self, template: RunTemplate) -> None:
        self.t = template
        self.tasks: list[RunTask] = []
        self.outcomes: list[Mapping[str, Any] | None] = []
        self.errors: list[str] = []
        self.params: dict[int, ModelParams] = {}

    def params_of(self, task: RunTask) -> ModelParams:
        if task.point_id not in self.params:
            self.params[task.point_id] = self.t.base.replace(
                **{k: v for k, v in task.values.items() if k in PARAMETERS})
        return self.params[task.point_id]

    def add(self, task: RunTask, outcomes: Mapping[str, Any] | None, error: str = "") -> None:
        self.tasks.append(task)
        self.outcomes.append(outcomes)
        self.errors.append(error)

    def fail(self, i: int, error: str) -> None:
        """Turn row ``i`` into a failed run (its outcomes or log could not be stored)."""
        self.outcomes[i] = None
        self.errors[i] = error

    @property
    def failed(self) -> int:
        return sum(o is None for o in self.outcomes)

    def table(self) -> pa.Table:
        """Identity, then what a design point sets (scenario, parameters, factors: one row per
        point, repeated by ``take``), outcomes, metrics, status and error."""
        schema = self.t.runs_schema()
        columns: dict[str, Any] = {k: pa.array([getattr(t, k) for t in self.tasks], pa.int64())
                                   for k in META}
        columns.update(self._point_columns())
        columns.update(self._outcome_columns(schema))
        for metric in self.t.metrics:
            columns[metric.name] = pa.array(
                [None if o is None else o[metric.name] for o in self.outcomes], pa.float64())
        columns["status"] = pa.array([STATUS_FAILED if o is None else STATUS_OK
                                      for o in self.outcomes], pa.string())
        columns["error"] = pa.array(self.errors, pa.string())
        return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)

    def _point_columns(self) -> dict[str, Any]:
        rows: dict[int, int] = {}  # point_id -> its row in the points table
        points: list[pa.Table] = []
        index = []
        for t in self.tasks:
            if t.point_id not in rows:
                rows[t.point_id] = len(points)
                points.append(_point_row(self.t, t.values))
            index.append(rows[t.point_id])
        table = pa.concat_tables(points).take(pa.array(index, pa.int64()))
        return dict(zip(table.column_names, table.columns, strict=True))

    def _outcome_columns(self, schema: pa.Schema) -> dict[str, Any]:
        """Every outcome as a column of its declared type. A value that does not convert
        safely (a fractional count, text) fails its run rather than being truncated."""
        try:
            return self._convert(schema)
        except _UNFIT:
            pass
        for i, outcomes in enumerate(self.outcomes):
            if outcomes is None:
                continue
            for o in OUTCOMES:
                try:
                    _arrow([outcomes[o.name]], schema.field(o.name).type)
                except _UNFIT:
                    kind = "an integer" if o.kind is Kind.COUNT else "a number"
                    self.fail(i, f"ValueError: outcome {o.name} is not {kind}: "
                                 f"{outcomes[o.name]!r}")
                    break
        return {o.name: _arrow([None if r is None else r[o.name] for r in self.outcomes],
                               schema.field(o.name).type) for o in OUTCOMES}

    def _convert(self, schema: pa.Schema) -> dict[str, Any]:
        """Every run's outcomes in one conversion: as floats (so a fractional count is not
        truncated, as ``pa.array(values, type=int64)`` would), then counts cast safely."""
        typed = pa.array(self.outcomes, _OUTCOME_FLOATS).cast(_OUTCOMES, safe=True)
        return dict(zip(_OUTCOMES.names, typed.flatten(), strict=True))


_OUTCOME_FLOATS = pa.struct([pa.field(o.name, pa.float64()) for o in OUTCOMES])
_OUTCOMES = pa.struct([pa.field(o.name, pa.int64() if o.kind is Kind.COUNT else pa.float64())
                       for o in OUTCOMES])


def _point_row(template: RunTemplate, values: Mapping[str, Any]) -> pa.Table:
    """What a design point sets, as a one-row table in the runs schema: the scenario, every
    parameter, every scenario factor and the days (built once per point in a chunk)."""
    t = template
    row = {"days": t.days, "scenario": t.scenarios[0].label, **t.base.to_dict(),
           **{k: plain(v) for k, v in t.changes}, **{k: plain(v) for k, v in values.items()}}
    schema = t.runs_schema()
    names = ["days", "scenario", *dict.fromkeys([*PARAMETERS, *(n for n, _ in t.factors)])]
    return pa.Table.from_pylist([row], schema=pa.schema([schema.field(n) for n in names]))


def _arrow(values: list[Any], target: pa.DataType) -> pa.Array:
    """Python values as an Arrow array of ``target``: inferred, then cast safely (so 2.5 is
    not silently an integer 2, as ``pa.array(values, type=int64)`` would make it)."""
    return pa.array(values).cast(target, safe=True)


class _Log:
    """One per-run log (warnings, series, agents or dyads) of a chunk: each run's rows as one
    Arrow record batch in the declared schema, gathered into one table at the end of the chunk
    with a single call (:func:`sim.log.typed` makes the batches in the worker)."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.body = pa.schema(list(schema)[1:])  # without run_id
        self.runs: list[tuple[int, int, Any]] = []  # (row, run_id, record batch or Cables)

    def check(self, got: Any) -> Any:
        """A run's log as a record batch of the declared schema, or the warning log as the
        kernels' records (:class:`sim.log.Cables`, exported a chunk at a time by
        :meth:`table`). A run function may also return columns (lists or numpy arrays),
        converted here. Missing columns, columns of different lengths or values that do not
        fit the declared types are the run's error."""
        from sim.log import Cables  # here: importing the kernels is the worker's business

        if got is None:
            raise ValueError("the run function returned no log although one was requested")
        if isinstance(got, Cables) and self.body.names == _WARNING_COLUMNS:
            return got
        if isinstance(got, pa.RecordBatch) and got.schema.equals(self.body):
            return got
        try:
            return self._conform(got)
        except _UNFIT as exc:
            raise type(exc)(f"log does not match sim.schema: {exc}") from exc

    def _conform(self, got: pa.RecordBatch | Mapping[str, Any]) -> pa.RecordBatch:
        if isinstance(got, pa.RecordBatch):
            if got.schema.names != self.body.names:
                missing = [n for n in self.body.names if n not in got.schema.names]
                raise ValueError(f"log columns differ from sim.schema (missing {missing})")
            return got.cast(self.body)
        lengths = {len(got[c]) for c in self.body.names}
        if len(lengths) > 1:
            raise ValueError(f"log columns have different lengths {sorted(lengths)}")
        return pa.RecordBatch.from_arrays([_column(got[f.name], f.type) for f in self.body],
                                          schema=self.body)

    def table(self, rows: _Rows) -> pa.Table:
        """The rows of every run that has not failed, with ``run_id`` first."""
        from sim.log import Cables, gathered

        kept = [(run_id, log) for row, run_id, log in self.runs
                if rows.outcomes[row] is not None]
        counts = [len(log.records) if isinstance(log, Cables) else log.num_rows
                  for _, log in kept]
        run_ids = np.repeat(np.array([r for r, _ in kept], dtype=np.int64), counts)
        batches: list[pa.RecordBatch] = []
        records: list[Cables] = []  # consecutive runs' records, exported together
        for _, log in kept:
            if isinstance(log, Cables):
                records.append(log)
                continue
            batches += gathered(records)
            records = []
            batches.append(log)
        batches += gathered(records)
        body = pa.Table.from_batches(batches, schema=self.body).combine_chunks()
        return body.add_column(0, self.schema.field(0), pa.array(run_ids))


def _column(values: Any, target: pa.DataType) -> pa.Array:
    """A log column a run function returned as a list or a numpy array (masked where values
    are not yet known) as an Arrow array of ``target``."""
    if isinstance(values, np.ma.MaskedArray):
        return pa.array(np.ma.getdata(values), mask=np.ma.getmaskarray(values), type=target)
    return pa.array(values, type=target)


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run every task of ``chunk`` in order (in whatever process receives it)."""
    import sim.run

    started = time.perf_counter()
    t = chunk.template
    # Looked up at call time so a monkeypatched sim.run.simulate reaches forked workers too.
    run_fn = t.run_fn or sim.run.simulate
    rows = _Rows(t)
    logs = {name: _Log(log_schema(LOGS[name][1])) for name in t.logs}
    record = {f"record_{attribute}": name in t.logs for name, (attribute, _) in LOGS.items()}
    problems: dict[str, str] = {}  # scenario label -> why it cannot run here
    for task in chunk.tasks():
        try:
            scenario = t.scenario(task.values.get("scenario"))
            if scenario.label not in problems:
                problems[scenario.label] = _scenario_problem(scenario)
            if problems[scenario.label]:
                raise RuntimeError(problems[scenario.label])
            changes = t.changes + tuple((k, v) for k, v in task.values.items()
                                        if k != "scenario" and k not in PARAMETERS)
            spec = RunSpec(params=rows.params_of(task), scenario=scenario.load, days=t.days,
                           seed=task.seed, changes=changes, typed_logs=True,
                           cable_records=True, record_every=t.record_every, **record)
            result = run_fn(spec)
            outcomes = result.outcomes
            if not _OUTCOME_NAMES <= outcomes.keys():
                raise KeyError(f"outcome {min(_OUTCOME_NAMES - outcomes.keys())!r} missing")
            if t.metrics:
                outcomes = {**outcomes, **evaluate(t.metrics, result)}
            got = [(log, log.check(getattr(result, LOGS[name][0]))) for name, log in logs.items()]
        except Interrupted:  # the user stopped the sweep: not a property of this run
            raise
        except BaseException as exc:  # a failing run is data, not a crash of the sweep
            rows.add(task, None, f"{type(exc).__name__}: {exc}")
            continue
        row = len(rows.tasks)
        rows.add(task, outcomes)
        for log, columns in got:
            log.runs.append((row, task.run_id, columns))
    runs = rows.table()  # first: it fails a run whose outcomes do not fit their columns
    tables = {name: log.table(rows) for name, log in logs.items()}
    failed = rows.failed
    size = (len(rows.tasks), sum(table.num_rows for table in tables.values()))
    if chunk.sink is None:
        return ChunkResult(runs, tables, failed, size[0], time.perf_counter() - started, size[1])
    chunk.sink.write(runs, tables)
    return ChunkResult(None, {}, failed, size[0], time.perf_counter() - started, size[1])


def _scenario_problem(scenario: ScenarioRef) -> str:
    """Why this process cannot run a scenario file ("" if it can, or for a built-in one)."""
    if scenario.sha256 is None:
        return ""
    where = f"on {socket.gethostname()}"
    try:
        raw = read_bytes(scenario.load, cap=Cap.TOML, what="scenario file")
    except Unreadable as exc:
        return (f"scenario file {scenario.load!r} cannot be read {where} ({exc.problem}); every "
                "worker needs it at the same path")
    if hashlib.sha256(raw).hexdigest() != scenario.sha256:
        return (f"scenario file {scenario.load!r} {where} differs from the one this sweep "
                "was started with")
    return ""
