"""The sweep's Python API: everything ``warnsim sweep`` does, as functions.

Typical use, from a script or a Jupyter notebook::

    from sim.sweep import load_experiment, run_experiment, read_runs

    exp = load_experiment("experiments/rivalry_heed.toml")
    summary = run_experiment(exp, workers=2)          # resumes if interrupted
    runs = read_runs(summary.out_dir)                 # one row per run (pandas)

The local pool uses the ``fork`` start method on Linux, so it works in a notebook, including
with a run function defined in the notebook itself (``mesa.batch_run`` hangs there because
Mesa forces ``spawn``, which cannot import a notebook's ``__main__``).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UserError
from sim.files import Cap, parse_json, read_bytes
from sim.schema import AGENTS_FILE, DYADS_FILE
from sim.sweep.engine import SweepOptions, SweepPlan, SweepSummary, plan
from sim.sweep.engine import run_experiment as _run
from sim.sweep.executors import ExecutorKind, ExecutorSpec, usable_cores
from sim.sweep.experiment import Experiment, load_experiment
from sim.sweep.store import MANIFEST, RUNS, SERIES, WARNINGS, Store
from sim.sweep.tasks import Chunk, RunFn, run_chunk

if TYPE_CHECKING:
    import pandas as pd


def run_experiment(
    experiment: Experiment | str | Path,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    dask: Any = None,
    force: bool = False,
    progress: bool = True,
    run_fn: RunFn | None = None,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    trust_code: bool = False,
) -> SweepSummary:
    """Run or resume an experiment (a loaded :class:`Experiment` or a TOML path).

    ``workers``: local processes (default all usable cores; 1 runs in this process).
    ``dask``: a scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``.
    ``out``: the results folder itself (default ``results/<name>``). ``force`` starts over;
    ``retry_failed`` runs the failed runs of an earlier sweep again.
    ``run_fn`` replaces :func:`sim.run.simulate` for every run. ``trust_code`` lets the
    experiment's ``{ function = ... }`` metrics import and run their code (refused otherwise).
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    if trust_code:
        experiment = experiment.trusting()
    options = SweepOptions(
        out_dir=Path(out) if out is not None else None,
        executor=ExecutorSpec.choose(workers, dask),
        force=force, progress=progress, chunk_size=chunk_size, run_fn=run_fn,
        retry_failed=retry_failed,
    )
    return _run(experiment, options)


def conflict(experiment: Experiment, out: str | Path) -> str:
    """Why ``out`` cannot take ``experiment``'s runs without starting over ("" if it can): it
    holds runs of another experiment, or of another version of this one (its file, design,
    scenario or size, or the model's code). Reads only."""
    the_plan = plan(experiment)
    return Store(Path(out), the_plan.fingerprint(), the_plan.schemas(),
                 experiment.origin).conflict()


@dataclass(frozen=True, slots=True)
class Estimate:
    """A dry run's numbers: counts, runs already in the folder and the expected time."""

    plan: SweepPlan
    already_done: int
    seconds_per_run: float
    slots: int
    conflict: str = ""
    dask: str = ""
    trust_code: bool = False

    @property
    def seconds(self) -> float:
        left = self.plan.total - self.already_done
        return self.seconds_per_run * left / self.slots

    def text(self) -> str:
        e, d = self.plan.experiment, self.plan.design
        swept = ", ".join(d.parameters) or "no parameters"
        scenarios = ", ".join(s.label for s in e.sources)
        lines = [
            f"{e.name}: {d.kind.value} design over {swept}",
            f"{self.plan.points} design points x {e.replications} replications = "
            f"{self.plan.total} runs of {e.days} days "
            + (f"(scenarios {scenarios})" if e.scenario_levels else f"({scenarios} scenario)"),
        ]
        if self.already_done == self.plan.total:
            lines.append("all runs are already in the results folder: nothing to run")
            return "\n".join(lines)
        if self.already_done:
            lines.append(f"{self.already_done} runs already in the results folder (resume)")
        if self.conflict:
            lines.append(f"note: the sweep would be refused: {self.conflict}")
        for m in e.code:
            lines.append(f"note: metrics.{m.name} runs Python code ({m.function}): not imported "
                         "or timed by --dry-run" + ("" if m.trusted or self.trust_code else
                                                    "; the sweep needs --trust-code"))
        lines.append(f"estimate: {self.seconds_per_run * 1000:.1f} ms per run, about "
                     f"{_duration(self.seconds)} on {self.slots} worker(s)")
        if self.dask:
            lines.append(f"note: the estimate assumes {self.slots} local worker(s), not the Dask "
                         f"cluster at {self.dask} (not contacted); on the cluster expect about "
                         f"{_duration(self.seconds * self.slots)} divided by its total threads")
        return "\n".join(lines)


def estimate(experiment: Experiment, *, workers: int | None = None, out: str | Path | None = None,
             samples: int = 3, run_fn: RunFn | None = None, dask: Any = None,
             trust_code: bool = False) -> Estimate:
    """Count the runs and time ``samples`` of them (after one warm-up) in this process;
    writes nothing.

    The estimate assumes near-linear speed-up over local workers (the benchmark measures how
    near); for Dask pass ``workers`` as the cluster's total threads. ``dask`` (an address, as
    ``--dask`` gives) is not contacted: the text then says the estimate is for local workers.
    Metrics that run code are neither imported nor timed (``trust_code`` only says whether the
    sweep would be allowed to run them).
    """
    the_plan = plan(experiment)
    out_dir = SweepOptions(out_dir=Path(out) if out else None).out_for(experiment)
    store = Store(out_dir, the_plan.fingerprint(), the_plan.schemas(), experiment.origin)
    try:
        store.check()
        conflict = ""
        finished = store.finished()
        if finished is not None and finished.problems:
            conflict, done = f"{out_dir}: {'; '.join(finished.problems)}", 0
        else:
            done = the_plan.total if finished is not None else store.done_count()
    except UserError as exc:  # report it: the real sweep would refuse to start
        conflict, done = str(exc), 0
    # A dry run never imports user code: the sample runs leave out metrics that run it.
    template = dataclasses.replace(the_plan.template(run_fn), metrics=tuple(
        m for m in experiment.metrics if not m.runs_code))
    sample = min(samples + 1, the_plan.total)
    per_run = _seconds_per_run(the_plan.chunk(template, 0, 1),
                               the_plan.chunk(template, min(1, sample - 1), sample))
    if dask is None:  # as the sweep will run: at most the cores here
        executor = ExecutorSpec.choose(workers)
        slots = 1 if executor.kind is ExecutorKind.SERIAL else executor.workers or 1
    else:  # the cluster's threads, as the caller says
        slots = workers or usable_cores()
    where = "" if dask is None else str(dask)
    return Estimate(the_plan, done, per_run, slots, conflict, where, trust_code)


def _seconds_per_run(warm: Chunk, timed: Chunk) -> float:
    """Time the sample runs (after one warm-up: imports and scenario parsing are not per-run
    costs) in a short-lived child process, so that planning a large design here never carries
    the model's imports (Mesa and pandas: about 100 MB) on top of the plan itself. Falls back to
    this process where fork is not available."""
    import multiprocessing as mp

    from sim.sweep.executors import start_method

    if start_method() != "fork":
        return _time_sample(warm, timed)
    parent, child = mp.get_context("fork").Pipe(duplex=False)
    process = mp.get_context("fork").Process(target=_time_into, args=(child, warm, timed))
    process.start()
    child.close()
    try:
        outcome = parent.recv()
    except EOFError:
        outcome = ("error", "the timing process ended without an answer")
    process.join()
    if outcome[0] == "error":
        raise UserError(f"--dry-run: the sample runs failed ({outcome[1]})")
    return float(outcome[1])


def _time_into(pipe: Any, warm: Chunk, timed: Chunk) -> None:
    try:
        pipe.send(("ok", _time_sample(warm, timed)))
    except BaseException as exc:  # reported by the parent in one line
        pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


def _time_sample(warm: Chunk, timed: Chunk) -> float:
    run_chunk(warm)
    t0 = time.perf_counter()
    run_chunk(timed)
    return (time.perf_counter() - t0) / (timed.stop - timed.start)


def read_runs(out_dir: str | Path) -> pd.DataFrame:
    """``runs.parquet`` of a finished sweep: one row per run."""
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / RUNS)


def read_warnings(out_dir: str | Path) -> pd.DataFrame:
    """``warnings.parquet``: every run's warning log with its ``run_id``."""
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / WARNINGS)


def read_series(out_dir: str | Path) -> pd.DataFrame:
    """``timeseries.parquet`` (experiments with ``record_series = true``)."""
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / SERIES)


def read_agents(out_dir: str | Path) -> pd.DataFrame:
    """``agents.parquet`` (``record_agents = true``): each agency's series with ``run_id``."""
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / AGENTS_FILE)


def read_dyads(out_dir: str | Path) -> pd.DataFrame:
    """``dyads.parquet`` (``record_dyads = true``): trust and rivalry of every ordered pair
    per day, with ``run_id``."""
    import pandas as pd

    return pd.read_parquet(Path(out_dir) / DYADS_FILE)


def read_manifest(out_dir: str | Path) -> dict[str, Any]:
    """``manifest.json`` (read within :attr:`sim.files.Cap.MANIFEST` bytes)."""
    path = Path(out_dir) / MANIFEST
    return parse_json(read_bytes(path, cap=Cap.MANIFEST, what="manifest"), origin=str(path))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
