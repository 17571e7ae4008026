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
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.errors import Interrupted, SweepStopped, UserError
from sim.params import ModelParams
from sim.sweep.code import model_sha256
from sim.sweep.design import Design, build_design
from sim.sweep.executors import STOP_SIGNALS, ExecutorKind, ExecutorSpec, Pool, open_executor
from sim.sweep.experiment import Experiment, declaration
from sim.sweep.limits import check_memory
from sim.sweep.parts import PartSink
from sim.sweep.seeds import Seeds
from sim.sweep.store import MANIFEST, RUNS, DamagedPart, Done, Finished, Store, stopped_by
from sim.sweep.tables import LOGS, log_schema
from sim.sweep.tasks import (
    STATUS_OK,
    Chunk,
    ChunkResult,
    RunFn,
    RunTemplate,
    ScenarioRef,
    run_chunk,
)

MAX_CHUNK = 1024
"""Largest number of runs sent to a worker at once."""

MIN_CHUNK = 8
"""Smallest chunk of the guided schedule (except the last), and the first chunk's size before
any run has been timed."""

CHUNK_SECONDS = 2.0
"""About how long one chunk should take. A chunk costs about 4 ms whatever its size (its two
part files created, written, read back and merged, its tables built), so fast runs go in big
chunks: a year's canned result costs the engine 0.19 ms a run in chunks of 32, 0.10 in chunks
of 128 and 0.077 in chunks of 1,024. Slow runs go in small chunks, so that a kill loses about
this much work and the progress bar moves."""

TAIL_SECONDS = 0.05
"""Least work in a chunk of the guided schedule's tail (at the pace of the latest chunk, and
at least MIN_CHUNK runs): each chunk costs the sweep's own process about 1 ms (submitted,
its result received, its part's files read back, checksummed and merged), so a tail of
8-run chunks of fast runs (3 ms each) cost more than the imbalance it saves; at this size
a worker waits at most about this long for the other at the end."""

CHUNK_GROWTH = 4
"""A chunk is at most this many times the largest one timed so far: one fast chunk does not
turn the next into a long one."""

CHUNK_LOG_ROWS = 1_000_000
"""Most log rows a chunk's runs may make: a year of dyads of the default scenario is 48,000
rows a run, so a chunk holds about 20 such runs, not 1,024, in memory. Agent and dyad rows are
known before the sweep (:meth:`SweepPlan.max_chunk`); the rows runs actually log, warnings
included, bound the chunks after the first (:class:`_Pace`)."""

CHUNKS_PER_SLOT = 4
"""With several slots a chunk is at most the unsubmitted runs over (slots x this), and at least
MIN_CHUNK: shrinking towards the end so no worker is left with a long tail (guided
scheduling). In-process (one slot) there is no tail to balance."""

POLL_SECONDS = 1.0
"""How often a sweep waiting for its workers looks whether one of them is stopped."""

STALL_SECONDS = 60.0
"""How long a stopped worker (SIGSTOP, a debugger) may hold up a sweep before it stops."""

MERGE_ATTEMPTS = 3
"""How often a sweep discards a part that fails its checksum as it is merged, makes its runs
again and merges anew, before it stops (a part that keeps changing on disk is a failing disk)."""


@dataclass(frozen=True, slots=True)
class SweepOptions:
    """How to run an experiment (not what: that is the :class:`Experiment`).

    ``out_dir`` defaults to ``results/<experiment name>``; ``run_fn`` replaces
    :func:`sim.run.simulate` (tests use it to make runs fail); ``chunk_size`` fixes the chunk
    size instead of the guided default; ``retry_failed`` runs failed runs again (in a
    finished folder too); ``stall_seconds`` is how long a stopped worker may hold the sweep.
    """

    out_dir: Path | None = None
    executor: ExecutorSpec = field(default_factory=ExecutorSpec.choose)
    force: bool = False
    progress: bool = True
    chunk_size: int | None = None
    run_fn: RunFn | None = None
    retry_failed: bool = False
    stall_seconds: float = STALL_SECONDS

    def out_for(self, experiment: Experiment) -> Path:
        return Path(self.out_dir) if self.out_dir is not None else Path("results") / experiment.name


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """Every run of an experiment, before anything runs (nothing per run is built: tasks are
    made on demand, a chunk at a time)."""

    experiment: Experiment
    design: Design
    seeds: Seeds

    @property
    def points(self) -> int:
        return self.design.size

    @property
    def total(self) -> int:
        return self.points * len(self.seeds)

    def chunk(self, template: RunTemplate, start: int = 0, stop: int | None = None,
              sink: PartSink | None = None) -> Chunk:
        """Runs ``start`` to ``stop - 1`` (default: to the last) as one chunk, with the swept
        values of their design points (``run_id = point_id * replications + replication``).
        Their seeds are derived where the chunk runs (:meth:`Chunk.tasks`)."""
        stop = self.total if stop is None else stop
        reps = len(self.seeds)
        points = range(start // reps, (stop - 1) // reps + 1) if stop > start else range(0)
        return Chunk(template, start, stop, {p: self.design.point(p) for p in points}, sink)

    def template(self, run_fn: RunFn | None = None) -> RunTemplate:
        """What every run shares. A scenario file goes by absolute path, so workers whose
        working directory differs (Dask) find it; the file must be there on every worker."""
        e = self.experiment
        return RunTemplate(
            ModelParams.from_mapping(e.fixed, origin=e.origin),
            tuple(ScenarioRef(s.label, s.load, s.sha256) for s in e.sources), e.days,
            tuple(name for name in LOGS if self.records(name)), run_fn,
            changes=tuple(e.fixed_factors.items()),
            factors=tuple((name, declaration(name).kind) for name in e.factors),
            metrics=e.metrics, seed=self.seeds.root, replications=len(self.seeds),
            record_every=e.record_every)

    def fingerprint(self) -> str:
        """Hash of everything that determines the results: file text, parsed experiment
        (with any shrink applied), the design and the contents of the design and scenario
        files, and the model's code (:func:`sim.sweep.code.model_sha256`). Paths enter only as
        written in the experiment file (relative to it), so the directory a sweep runs from, or
        how its file was named, changes nothing."""
        e = self.experiment
        content: dict[str, Any] = {"text_sha256": e.sha256, "experiment": e.describe(),
                                   "model_sha256": model_sha256(),
                                   "design": self.design.describe(),
                                   "design_file_sha256": e.design.file_sha256,
                                   "scenario_sha256": e.scenario_sha256}
        if e.scenario_levels:  # every swept scenario file's content
            content["scenarios_sha256"] = {s.label: s.sha256 for s in e.scenario_levels}
        blob = json.dumps(content, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def records(self, log: str) -> bool:
        return bool(getattr(self.experiment, f"record_{LOGS[log][0]}"))

    def schemas(self) -> dict[str, Any]:
        """Each file the sweep writes (runs and the logs recorded) and its declared schema."""
        out = {RUNS: self.template().runs_schema()}
        out.update({name: log_schema(fields) for name, (_, fields) in LOGS.items()
                    if self.records(name)})
        return out

    def max_chunk(self) -> int:
        """Most runs in one chunk: :data:`MAX_CHUNK`, fewer when each run logs many rows."""
        e = self.experiment
        rows = e.days * e.size.agents + e.days * e.size.dyads
        return max(1, min(MAX_CHUNK, CHUNK_LOG_ROWS // rows)) if rows else MAX_CHUNK


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
            text += (f"\nfirst failure: {self.first_failure} (all in runs.parquet, column "
                     "error; --retry-failed runs them again)")
        return text


def plan(experiment: Experiment) -> SweepPlan:
    """The runs of ``experiment``; refuses a design this process has no memory for."""
    check_memory(experiment.size, experiment.origin)
    return SweepPlan(experiment, build_design(experiment),
                     Seeds(experiment.seed, experiment.replications))


def run_experiment(experiment: Experiment, options: SweepOptions | None = None) -> SweepSummary:
    """Run (or resume) ``experiment`` and write its results folder; see :mod:`sim.sweep.store`.

    Failing runs are recorded and counted in the summary, not raised. A stop signal, a lost
    or stopped worker, or a full or read-only disk stops the sweep with finished parts kept
    (:class:`~sim.errors.Interrupted`, :class:`~sim.errors.SweepStopped`), so the same call
    resumes it. Another sweep writing into the folder: :class:`~sim.errors.FolderInUse`. An
    experiment with metrics that run code is refused unless it was trusted
    (:meth:`~sim.sweep.experiment.Experiment.trusting`, ``--trust-code``).
    """
    options = options or SweepOptions()
    started = time.perf_counter()
    experiment.check_trusted()
    the_plan = plan(experiment)
    store = Store(options.out_for(experiment), the_plan.fingerprint(), the_plan.schemas(),
                  experiment.origin)
    # Nothing but the lock (removed again) is written or deleted until the folder is known to
    # be a sweep's (or new) and the executor is up: a wrong --out or an unreachable --dask
    # leaves the folder as it was.
    store.recognise()
    store.lock().probe()  # in use: say so now, not "use --force" (which the lock then refuses)
    if not options.force:
        store.check()
        done = _already_done(store, the_plan, options, started)
        if done is not None:  # verified, without taking the lock: a read-only folder is fine
            return done
    job = _Job(store, the_plan, the_plan.template(options.run_fn), options, started)
    try:
        with store.lock():  # before the slow preload: a folder in use is refused at once
            if options.run_fn is None:
                _preload([s.load for s in job.template.scenarios])
            with _stop_on_signals(), open_executor(options.executor) as pool:
                return _run_locked(job, pool)
    except OSError as exc:
        raise stopped_by(exc, str(store.out)) from None
    except BrokenExecutor:
        raise SweepStopped("a worker process died (killed by a signal: the out-of-memory "
                           "killer? see `dmesg`); finished runs are kept: run the same "
                           "command to resume") from None
    except MemoryError:
        raise SweepStopped("not enough memory in the sweep's own process; finished runs "
                           "are kept: free memory and run the same command to resume") from None


def _already_done(store: Store, the_plan: SweepPlan, options: SweepOptions,
                  started: float) -> SweepSummary | None:
    """The summary of a finished, verified folder (None if there is work to do)."""
    found = store.finished()
    if found is None or store.leftovers():  # leftovers: tidied under the lock
        return None
    if found.problems:
        raise UserError(_damaged(store, found, the_plan))
    if options.retry_failed and found.manifest.get("runs_failed"):
        return None
    return _finished(store, found, the_plan, started)


def _finished(store: Store, found: Finished, the_plan: SweepPlan,
              started: float) -> SweepSummary:
    """The summary of a verified finished folder: nothing run, failures as recorded."""
    manifest = found.manifest
    return SweepSummary(store.out, the_plan.total, 0, the_plan.total,
                        int(manifest.get("runs_failed", 0)), time.perf_counter() - started,
                        manifest.get("first_failure", ""))


def _damaged(store: Store, found: Finished, the_plan: SweepPlan) -> str:
    return (f"{store.out}: {'; '.join(found.problems)}; the sweep's working files are gone, so "
            f"it cannot be rebuilt: run `warnsim sweep {the_plan.experiment.origin} --out "
            f"{store.out} --force` to run its {the_plan.total} runs again")


@dataclass(frozen=True, slots=True)
class _Job:
    """One call of :func:`run_experiment`: where, what, how, and since when."""

    store: Store
    plan: SweepPlan
    template: RunTemplate
    options: SweepOptions
    started: float


def _run_locked(job: _Job, pool: Pool) -> SweepSummary:
    store, the_plan, options, started = job.store, job.plan, job.options, job.started
    e = the_plan.experiment
    if options.force:  # checked again, now that no other sweep can change the folder
        store.recognise()
        store.clear()
    else:
        store.check()
    store.tidy()
    state = {"fingerprint": store.fingerprint, "experiment_file": e.file or e.origin,
             "started": now(), "total": the_plan.total}
    if not options.force:
        found = store.finished()
        if found is not None:
            if found.problems:
                raise UserError(_damaged(store, found, the_plan))
            retry = _failed_runs(store.out / RUNS) if options.retry_failed else []
            if not retry:
                return _finished(store, found, the_plan, started)
            state = store.begin(state)
            store.reopen(retry, the_plan.total)
        elif not store.work.exists() and (store.out / RUNS).exists():
            raise UserError(f"{store.out}: {MANIFEST} is missing or unreadable, so the results "
                            f"there cannot be verified; run `warnsim sweep {e.origin} --out "
                            f"{store.out} --force` to run the sweep again")
    state = store.begin(state)
    done = store.scan(failed=options.retry_failed)
    if done.failed:
        store.drop_failed(done)
        done = store.scan()
    skipped, ran = done.count, 0
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        for note in done.notes:
            _say(f"warnsim: note: {note}")
        ran += _run_pending(job, pool, done)
        try:
            failed, first_failure, runs_sum = store.merge_runs()
            manifest = _manifest(the_plan, store.fingerprint, state, options.executor, failed)
            manifest["first_failure"] = first_failure
            store.finish(manifest, runs_sum)
            break
        except DamagedPart as exc:
            note = store.discard(exc.stem, f"damaged: {exc.problem}")
            if attempt == MERGE_ATTEMPTS:
                raise SweepStopped(f"{store.out}: parts keep failing their checksums as they are "
                                   f"merged ({note}): the disk or memory may be failing; "
                                   "finished runs are kept: run the same command to resume") from None
            done = store.scan()
            done.notes.insert(0, note)
    return SweepSummary(store.out, the_plan.total, ran, skipped, failed,
                        time.perf_counter() - started, first_failure)


def _run_pending(job: _Job, pool: Pool, done: Done) -> int:
    """Run every run the parts in ``done`` do not hold, writing their parts; return how
    many."""
    store, the_plan, options = job.store, job.plan, job.options
    pending = _complement(done.intervals, the_plan.total)
    todo = sum(b - a for a, b in pending)
    bar = _progress(options.progress, the_plan.total, done.count, the_plan.experiment.name)
    try:
        # Local workers (and this process) write their parts; a Dask worker need not share
        # the folder's file system, so it sends its tables here.
        sink = None if options.executor.kind is ExecutorKind.DASK else store.sink
        pace = _Pace()
        chunks = _chunks(job, pending, pool.slots, sink, pace)
        for result in _execute(pool, chunks, options.stall_seconds):
            pace.record(result)
            if result.runs is not None:
                store.write_part(result)
            bar.update(result.size, result.failed)
    finally:
        bar.close()
    return todo


def _failed_runs(path: Path) -> list[int]:
    """Run ids whose status is not ok in a finished ``runs.parquet`` (streamed)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out: list[int] = []
    for batch in pq.ParquetFile(path).iter_batches(columns=["run_id", "status"]):
        out += pc.filter(batch["run_id"], pc.not_equal(batch["status"], STATUS_OK)).to_pylist()
    return out


def _complement(intervals: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """Half-open ranges of run ids in ``[0, total)`` outside the closed ``intervals``."""
    out, start = [], 0
    for a, b in intervals:
        if a > start:
            out.append((start, a))
        start = max(start, b + 1)
    if start < total:
        out.append((start, total))
    return out


def _execute(pool: Pool, chunks: Iterator[Chunk], stall_seconds: float) -> Iterator[ChunkResult]:
    """Submit chunks keeping two per slot in flight; yield results as they finish.

    In-process, submitting runs the chunk, so one at a time: a result is written before the
    next chunk starts, and an interrupt loses only the chunk it hit. Results that finished are
    yielded before a failed future (a lost worker) raises, so they are kept.
    """
    window = 1 if pool.serial else 2 * pool.slots
    in_flight: set[cf.Future] = set()
    stopped_since: dict[int, float] = {}
    try:
        while True:
            while len(in_flight) < window and (chunk := next(chunks, None)) is not None:
                in_flight.add(pool.executor.submit(run_chunk, chunk))
            if not in_flight:
                return
            finished, in_flight = cf.wait(in_flight, timeout=POLL_SECONDS,
                                          return_when=cf.FIRST_COMPLETED)
            broken = [f for f in finished if f.exception() is not None]
            for future in finished:
                if future not in broken:
                    yield future.result()
            if broken:
                broken[0].result()
            if not finished:
                _check_stopped(pool, stopped_since, stall_seconds)
    finally:
        for future in in_flight:
            future.cancel()


def _chunks(job: _Job, pending: list[tuple[int, int]], slots: int, sink: PartSink | None,
            pace: _Pace) -> Iterator[Chunk]:
    """Chunks of consecutive pending runs, made when they are about to be submitted.

    After a resume the pending runs have gaps (the runs done before); a chunk never spans one,
    so every part covers a run-id interval no other part overlaps, and merging parts in the
    order of their first run id gives run-id order (see :mod:`sim.sweep.store`).
    """
    left = sum(b - a for a, b in pending)
    size = job.options.chunk_size
    most = job.plan.max_chunk()
    for first, stop in pending:
        start = first
        while start < stop:
            guided = _guided(left, slots, pace.runs_in(TAIL_SECONDS))
            end = min(start + min(size or min(guided, pace.size()), most), stop)
            yield job.plan.chunk(job.template, start, end, sink)
            left -= end - start
            start = end


def _check_stopped(pool: Pool, since: dict[int, float], limit: float) -> None:
    """Stop the sweep once a worker has been stopped for ``limit`` seconds (it would wait for
    that worker's chunk forever, the progress bar showing "0 s left")."""
    now = time.monotonic()
    stopped = set(pool.stopped())
    for pid in set(since) - stopped:
        del since[pid]
    for pid in stopped:
        if pid not in since:
            since[pid] = now
            _say(f"warnsim: note: worker process {pid} is stopped; `kill -CONT {pid}` lets it "
                 f"go on, else the sweep stops in {limit:.0f} s keeping what finished")
        elif now - since[pid] >= limit:
            raise SweepStopped(f"worker process {pid} has been stopped (SIGSTOP or a debugger) "
                               f"for {limit:.0f} s; finished runs are kept: run the same "
                               "command to resume")


class _Pace:
    """Sizes the next chunk from the chunks finished so far: to take about
    :data:`CHUNK_SECONDS` at the pace of the latest one (design points can differ in speed,
    and a fresh worker's first chunk includes its imports), and to log at most about
    :data:`CHUNK_LOG_ROWS` rows at the most rows a run has made."""

    def __init__(self) -> None:
        self.largest = 0
        self.seconds_per_run = 0.0
        self.rows_per_run = 0.0

    def record(self, result: ChunkResult) -> None:
        if result.size:
            self.largest = max(self.largest, result.size)
            self.seconds_per_run = result.seconds / result.size
            self.rows_per_run = max(self.rows_per_run, result.rows / result.size)

    def runs_in(self, seconds: float) -> int:
        """About how many runs take ``seconds`` at the latest pace (0 before any is timed)."""
        return int(seconds / self.seconds_per_run) if self.seconds_per_run > 0 else 0

    def size(self) -> int:
        if not self.largest:
            return MIN_CHUNK
        bounds = [CHUNK_GROWTH * self.largest, MAX_CHUNK]
        if self.seconds_per_run > 0:
            bounds.append(int(CHUNK_SECONDS / self.seconds_per_run))
        if self.rows_per_run > 0:
            bounds.append(int(CHUNK_LOG_ROWS / self.rows_per_run))
        return max(1, min(bounds))


def _guided(left: int, slots: int, least: int = MIN_CHUNK) -> int:
    """The guided schedule's next chunk: a share of the runs left, at least ``least`` runs
    (and MIN_CHUNK)."""
    if slots == 1:
        return MAX_CHUNK
    share = math.ceil(left / (slots * CHUNKS_PER_SLOT))
    return min(MAX_CHUNK, max(MIN_CHUNK, least, share))


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While the sweep runs, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` in the main
    thread: the sweep stops where it is, finished parts stay, workers are killed. The first
    signal disarms the handler so clean-up runs once. A signal the caller ignores (``nohup``)
    stays ignored; outside the main thread Python delivers no signals, so nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {}
    for s in STOP_SIGNALS:
        old = signal.getsignal(s)
        if old is not signal.SIG_IGN:
            previous[s] = old
            signal.signal(s, stop)
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _preload(scenarios: list[str]) -> None:
    """Import the model, compile or load its kernels (:func:`sim.run.warm`) and parse the
    scenarios once here, before a fork-context pool starts, so every worker inherits them
    instead of spending its first run importing Mesa, and workers never compile at once."""
    from sim.model import WarningModel  # noqa: F401
    from sim.run import warm
    from sim.scenarios import load_scenario

    warm()
    for scenario in scenarios:
        load_scenario(scenario)


def _say(text: str) -> None:
    """A note or progress line on stderr. Best effort: a closed or full stderr (a reader
    that went away) must not stop a sweep."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


class _Progress:
    """No progress shown (``--quiet``, or no stderr at all)."""

    def update(self, runs: int, failed: int) -> None:
        return None

    def close(self) -> None:
        return None


class _Bar(_Progress):
    """A tqdm bar, on a terminal: runs done, runs/s, time left, failures."""

    def __init__(self, total: int, initial: int, name: str) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="run", desc=name, file=sys.stderr,
                        dynamic_ncols=True, smoothing=0.05)
        self.failed = 0

    def update(self, runs: int, failed: int) -> None:
        self.failed += failed
        try:
            if failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(runs)
        except (OSError, ValueError):  # the terminal went away: the sweep goes on
            self.bar.disable = True

    def close(self) -> None:
        try:
            self.bar.close()
        except (OSError, ValueError):
            pass


class _Lines(_Progress):
    """Progress on a non-terminal (a log file, a pipe): a line each :data:`STEP` percent,
    never a carriage return, so a log of a long sweep stays readable."""

    STEP = 5

    def __init__(self, total: int, initial: int, name: str) -> None:
        self.total, self.done, self.name = total, initial, name
        self.initial, self.failed = initial, 0
        self.started = time.monotonic()
        self.shown = self._step()

    def _step(self) -> int:
        return 100 * self.done // max(self.total, 1) // self.STEP

    def update(self, runs: int, failed: int) -> None:
        self.done += runs
        self.failed += failed
        if self._step() > self.shown:
            self.shown = self._step()
            self._line()

    def _line(self) -> None:
        seconds = time.monotonic() - self.started
        rate = (self.done - self.initial) / seconds if seconds > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        failed = f", {self.failed} failed" if self.failed else ""
        _say(f"{self.name}: {self.done}/{self.total} runs ({100 * self.done // self.total}%), "
             f"{rate:.0f} runs/s, {_clock(left)} left{failed}")

    def close(self) -> None:
        return None


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    return f"{minutes} min {s:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _progress(enabled: bool, total: int, initial: int, name: str) -> _Progress:
    if not enabled or sys.stderr is None:
        return _Progress()
    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return _Bar(total, initial, name) if terminal else _Lines(total, initial, name)


def _manifest(the_plan: SweepPlan, fingerprint: str, state: dict[str, Any],
              executor: ExecutorSpec, failed: int) -> dict[str, Any]:
    e = the_plan.experiment
    return {
        "fingerprint": fingerprint,
        "complete": True,
        "experiment_file": e.file or e.origin,
        "experiment_sha256": e.sha256,
        "experiment_text": e.text,
        "experiment": e.describe(),
        "design": the_plan.design.describe(),
        "design_file_sha256": e.design.file_sha256,
        "design_text": e.design.file_text,
        "scenario_sha256": e.scenario_sha256,
        "scenario_text": e.scenario_text,
        "scenarios": [{"scenario": s.label, "sha256": s.sha256, "text": s.text}
                      for s in e.sources],
        "runs_total": the_plan.total,
        "runs_done": the_plan.total,
        "runs_ok": the_plan.total - failed,
        "runs_failed": failed,
        "started": state.get("started"),
        "finished": now(),
        "executor": executor.describe(),
        **provenance(),
        "files": {"runs": RUNS, **{name.removesuffix(".parquet"): name if the_plan.records(name)
                                   else None for name in LOGS}},
    }


def now() -> str:
    """The time, for a manifest (UTC, to the second)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """What made a results folder, for its manifest: warnsim's version, the model code's hash,
    the git commit, Python, the platform and the versions of the libraries that shape results."""
    return {
        "warnsim_version": _version("warnsim"),
        "model_sha256": model_sha256(),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "dependencies": {name: _version(name) for name in
                         ("mesa", "numpy", "scipy", "pandas", "pyarrow", "tqdm", "dask",
                          "distributed")},
    }


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
