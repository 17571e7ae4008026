"""Running an experiment: plan the runs, skip finished ones, execute in chunks, write results.

The engine is the only place that knows about all of design, seeds, executors and storage;
it computes no statistics (the one-way pipeline: model -> runner -> statistics -> plots).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import math
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa

from sim.params import ModelParams
from sim.sweep.design import Design, build_design
from sim.sweep.executors import ExecutorSpec, SerialExecutor, open_executor
from sim.sweep.experiment import Experiment, plain
from sim.sweep.seeds import replication_seeds
from sim.sweep.store import Store, runs_schema
from sim.sweep.tasks import Chunk, ChunkResult, RunFn, RunTask, RunTemplate, run_chunk

MAX_CHUNK = 64
"""Largest number of runs sent to a worker at once (bounds the runs lost to a kill)."""

MIN_CHUNK = 8
"""Smallest chunk (except the last): keeps the parent's per-part cost small per run."""

CHUNKS_PER_SLOT = 4
"""Chunk size is the unsubmitted runs over (slots x this), between MIN_CHUNK and MAX_CHUNK:
big chunks first for low overhead, shrinking towards the end so no worker is left with a long
tail (guided scheduling). In-process (one slot) there is no tail to balance: MAX_CHUNK."""


@dataclass(frozen=True, slots=True)
class SweepOptions:
    """How to run an experiment (not what: that is the :class:`Experiment`).

    ``out_dir`` defaults to ``results/<experiment name>``; ``run_fn`` replaces
    :func:`sim.run.simulate` (tests use it to make runs fail); ``chunk_size`` fixes the chunk
    size instead of the guided default.
    """

    out_dir: Path | None = None
    executor: ExecutorSpec = field(default_factory=ExecutorSpec.choose)
    force: bool = False
    progress: bool = True
    chunk_size: int | None = None
    run_fn: RunFn | None = None

    def out_for(self, experiment: Experiment) -> Path:
        return Path(self.out_dir) if self.out_dir is not None else Path("results") / experiment.name


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """Every run of an experiment, before anything runs."""

    experiment: Experiment
    design: Design
    seeds: tuple[int, ...]

    @property
    def points(self) -> int:
        return len(self.design.points)

    @property
    def total(self) -> int:
        return self.points * len(self.seeds)

    def tasks(self, skip: AbstractSet[int] = frozenset()) -> Iterator[RunTask]:
        """Runs in ``run_id`` order: ``run_id = point_id * replications + replication``."""
        reps = len(self.seeds)
        for point_id, values in enumerate(self.design.points):
            for k, seed in enumerate(self.seeds):
                run_id = point_id * reps + k
                if run_id not in skip:
                    yield RunTask(run_id, point_id, k, seed, values)

    def template(self, run_fn: RunFn | None = None) -> RunTemplate:
        """What every run shares. A scenario file goes by absolute path, so workers whose
        working directory differs (Dask) find it; the file must be there on every worker."""
        e = self.experiment
        scenario = str(Path(e.scenario).resolve()) if e.scenario_sha256 else e.scenario
        return RunTemplate(ModelParams.from_mapping(e.fixed, origin=e.origin), scenario,
                           e.days, e.record_warnings, e.record_series, run_fn, e.scenario_sha256)

    def fingerprint(self) -> str:
        """Hash of everything that determines the results: file text, parsed experiment
        (with any shrink applied) and the design (including a design CSV's contents)."""
        e = self.experiment
        blob = json.dumps({"text_sha256": e.sha256, "experiment": e.describe(),
                           "design": self.design.describe(),
                           "design_file_sha256": e.design.file_sha256,
                           "scenario_sha256": e.scenario_sha256}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SweepSummary:
    """What a sweep call did. ``ran`` excludes runs found finished in the folder already."""

    out_dir: Path
    total: int
    ran: int
    skipped: int
    failed: int
    seconds: float
    first_failure: str = ""

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def line(self, name: str) -> str:
        resumed = f", {self.skipped} already done" if self.skipped else ""
        failed = f"{self.failed} FAILED" if self.failed else "0 failed"
        text = (f"{name}: {self.total} runs ({self.ran} run now{resumed}; {failed}) in "
                f"{self.seconds:.1f} s -> {self.out_dir}")
        if self.first_failure:
            text += f"\nfirst failure: {self.first_failure} (all in runs.parquet, column error)"
        return text


def plan(experiment: Experiment) -> SweepPlan:
    return SweepPlan(experiment, build_design(experiment),
                     tuple(replication_seeds(experiment.seed, experiment.replications)))


def run_experiment(experiment: Experiment, options: SweepOptions | None = None) -> SweepSummary:
    """Run (or resume) ``experiment`` and write its results folder; see :mod:`sim.sweep.store`.

    Failing runs are recorded and counted in the summary, not raised. A KeyboardInterrupt or
    lost worker stops the sweep with finished parts kept, so the same call resumes it.
    """
    options = options or SweepOptions()
    started = time.perf_counter()
    the_plan = plan(experiment)
    fingerprint = the_plan.fingerprint()
    store = Store(options.out_for(experiment))
    # Nothing is written or deleted until the folder is known to be a sweep's (or new) and the
    # executor is up: a wrong --out or an unreachable --dask leaves the folder as it was.
    if options.force:
        store.recognise(experiment.origin)
    else:
        store.check(fingerprint, experiment.origin)
        if store.is_complete(fingerprint):
            manifest = store.manifest() or {}
            return SweepSummary(store.out, the_plan.total, 0, the_plan.total,
                                int(manifest.get("runs_failed", 0)),
                                time.perf_counter() - started, manifest.get("first_failure", ""))
    template = the_plan.template(options.run_fn)
    if options.run_fn is None:
        _preload(template.scenario)
    failed_now = 0
    with open_executor(options.executor) as (executor, slots):
        if options.force:
            store.clear()
        state = store.begin({"fingerprint": fingerprint, "experiment_file": experiment.origin,
                             "started": _now(), "total": the_plan.total})
        # Built after the pool has forked, so the workers do not inherit (and, as Python's
        # reference counting touches them, copy) per-run bookkeeping that grows with the sweep.
        done = store.done_run_ids(tidy=True)
        pending = list(the_plan.tasks(skip=done))
        rows = _ParamRows(the_plan, template.base)
        bar = _progress(options.progress, the_plan.total, len(done), experiment.name)
        try:
            for result in _execute(executor, slots, template, pending, options.chunk_size):
                table = rows.table(result, experiment)
                store.write_part(table, result)
                failed_now += result.failed
                bar.update(len(result.runs["run_id"]))
                if failed_now:
                    bar.set_postfix(failed=failed_now, refresh=False)
        finally:
            bar.close()
    failed, first_failure = store.merge_runs()
    manifest = _manifest(the_plan, fingerprint, state, options.executor, failed)
    manifest["first_failure"] = first_failure
    store.finish(manifest, warnings=experiment.record_warnings, series=experiment.record_series)
    return SweepSummary(store.out, the_plan.total, len(pending), len(done), failed,
                        time.perf_counter() - started, first_failure)


def _execute(executor: cf.Executor, slots: int, template: RunTemplate, pending: list[RunTask],
             chunk_size: int | None) -> Iterator[ChunkResult]:
    """Submit chunks keeping two per slot in flight; yield results as they finish.

    In-process, submitting runs the chunk, so one at a time: a result is written before the
    next chunk starts, and an interrupt loses only the chunk it hit.
    """
    window = 1 if isinstance(executor, SerialExecutor) else 2 * slots
    next_index = 0
    in_flight: set[cf.Future] = set()
    try:
        while next_index < len(pending) or in_flight:
            while next_index < len(pending) and len(in_flight) < window:
                left = len(pending) - next_index
                end = _contiguous_end(pending, next_index, chunk_size or _guided(left, slots))
                chunk = Chunk(template, tuple(pending[next_index:end]))
                in_flight.add(executor.submit(run_chunk, chunk))
                next_index = end
            finished, in_flight = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    finally:
        for future in in_flight:
            future.cancel()


def _contiguous_end(pending: list[RunTask], start: int, size: int) -> int:
    """End of a chunk of at most ``size`` runs with consecutive run ids.

    After a resume the pending runs have gaps (the runs done before); a chunk never spans one,
    so every part covers a run-id interval no other part overlaps, and merging parts in the
    order of their first run id gives run-id order (see :mod:`sim.sweep.store`).
    """
    end = min(start + size, len(pending))
    for j in range(start + 1, end):
        if pending[j].run_id != pending[j - 1].run_id + 1:
            return j
    return end


def _guided(left: int, slots: int) -> int:
    if slots == 1:
        return MAX_CHUNK
    return min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(left / (slots * CHUNKS_PER_SLOT))))


class _ParamRows:
    """Adds each run's full parameter set, scenario and days to a chunk's rows."""

    def __init__(self, the_plan: SweepPlan, base: ModelParams) -> None:
        base_values = base.to_dict()
        self.points = [{**base_values, **{k: plain(v) for k, v in p.items()}}
                       for p in the_plan.design.points]
        self.schema = runs_schema()

    def table(self, result: ChunkResult, experiment: Experiment) -> pa.Table:
        runs = result.runs
        n = len(runs["run_id"])
        columns: dict[str, list[Any]] = {
            "run_id": runs["run_id"], "point_id": runs["point_id"],
            "replication": runs["replication"], "seed": runs["seed"],
            "days": [experiment.days] * n, "scenario": [experiment.scenario] * n,
        }
        point_values = [self.points[p] for p in runs["point_id"]]
        for name in self.points[0]:
            columns[name] = [values[name] for values in point_values]
        for name, values in runs.items():
            columns.setdefault(name, values)
        return pa.table(columns, schema=self.schema)


def _preload(scenario: str) -> None:
    """Import the model and parse the scenario once here, before a fork-context pool starts,
    so every worker inherits them instead of spending its first run importing Mesa."""
    from sim.model import WarningModel  # noqa: F401
    from sim.scenarios import load_scenario

    load_scenario(scenario)


def _progress(enabled: bool, total: int, initial: int, name: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", desc=name, file=sys.stderr,
                disable=not enabled, dynamic_ncols=True, smoothing=0.05)


def _manifest(the_plan: SweepPlan, fingerprint: str, state: dict[str, Any],
              executor: ExecutorSpec, failed: int) -> dict[str, Any]:
    e = the_plan.experiment
    return {
        "fingerprint": fingerprint,
        "complete": True,
        "experiment_file": e.origin,
        "experiment_sha256": e.sha256,
        "experiment_text": e.text,
        "experiment": e.describe(),
        "design": the_plan.design.describe(),
        "design_file_sha256": e.design.file_sha256,
        "design_text": e.design.file_text,
        "scenario_sha256": e.scenario_sha256,
        "scenario_text": e.scenario_text,
        "runs_total": the_plan.total,
        "runs_done": the_plan.total,
        "runs_ok": the_plan.total - failed,
        "runs_failed": failed,
        "started": state.get("started"),
        "finished": _now(),
        "executor": executor.describe(),
        "warnsim_version": _version("warnsim"),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": {name: _version(name) for name in
                         ("mesa", "numpy", "scipy", "pandas", "pyarrow", "tqdm", "dask",
                          "distributed")},
        "files": {"runs": "runs.parquet",
                  "warnings": "warnings.parquet" if e.record_warnings else None,
                  "timeseries": "timeseries.parquet" if e.record_series else None},
    }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The commit of the warnsim source tree, with ``+dirty`` if it has local changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "sim"],
                               capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty.strip() else "")
