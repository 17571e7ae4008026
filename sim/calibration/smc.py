"""``warnsim calibrate`` with ``method = "abc-smc"``: the model through the ABC-SMC sampler.

The sampler (:mod:`sim.calibration.abc`) asks for batches of particles to be simulated. A
particle's **simulation** is ``replications`` runs of the model at its parameters with the
seeds a sweep with root seed = the particle's seed would give (replication ``r``:
:func:`sim.sweep.seeds.replication_seed`), so any particle can be run again exactly with
``warnsim sweep`` (``seed`` = its seed, its values in ``[fixed]``). Each target's statistic is
pooled over those runs (:meth:`~sim.calibration.statistics.Statistic.per_particle`); a
particle any of whose runs failed has no statistics and is never accepted (the failures are
counted). Runs go through the sweep's own chunk runner (:func:`sim.sweep.tasks.run_chunk`)
on the sweep's executors (in this process, a local process pool or Dask), a chunk of
particles per task; only the statistics travel back. The populations do not depend on the
number of workers (the sampler's batches and seeds do not).

What it writes into the results folder (``results/<name>/`` unless ``--out``):

* ``abc.json`` (what made the folder: fingerprint, settings, each generation's counts, run
  time, versions) and ``abc_populations.parquet`` (every generation's particles: parameters,
  weight, distance, each target's statistic, seed), written after every generation, so an
  interrupted calibration continues where it stopped (to the same result); raising
  ``generations`` or ``budget`` continues a finished one;
* ``abc_predictive.parquet``: the posterior predictive draws;
* ``tables/``: ``abc_generations`` (tolerance, simulations, acceptance, ESS per generation),
  ``abc_posterior`` (marginal summaries), ``abc_identifiability`` (pinned or left at the
  prior, :mod:`sim.calibration.posterior`), ``abc_predictive`` (posterior predictive checks),
  ``abc_particles.csv`` (the final population with weights), ``posterior_median.toml`` (each
  parameter's posterior median, for ``warnsim run --params``), ``calibration.json`` (all of it
  as data, with the fingerprint) and ``calibration.md`` (one page);
* ``figures/``: the figures of :data:`sim.calibration.figures.ABC_FIGURES`.

**The folder.** A calibration writes into a new or empty folder, or one holding only its own
files and ``tables/`` and ``figures/``. Those two are committed in the repository, so results
made by another calibration (another fingerprint: ``tables/calibration.json`` says which, or
the tables of a rejection) are replaced only with ``--force``; any other file in the folder is
refused even with ``--force``. The **fingerprint** covers the experiment (scenario, days,
replications, seed, fixed values), the priors, the targets, the settings that shape the
populations (not the stop rules: those only say how far to go), the cases file a case
statistic scores, and the model's code (:func:`sim.sweep.code.model_sha256`).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import dataclasses
import hashlib
import json
import math
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from sim.analysis.tables import Table, to_markdown, write_table
from sim.calibration import abc, posterior
from sim.calibration.config import Calibration, Target
from sim.calibration.statistics import Form, Statistic
from sim.errors import Interrupted, UserError
from sim.metrics import evaluate as evaluate_metrics
from sim.paramfile import format_params
from sim.params import PARAMETERS, ModelParams
from sim.run import RunSpec
from sim.sweep.code import model_sha256
from sim.sweep.engine import now, plan, provenance
from sim.sweep.executors import ExecutorSpec, Pool, open_executor
from sim.sweep.lock import LOCK, FolderLock
from sim.sweep.seeds import replication_seed
from sim.sweep.tasks import RunFn, RunTemplate

MANIFEST = "abc.json"
POPULATIONS = "abc_populations.parquet"
PREDICTIVE = "abc_predictive.parquet"
SUMMARY = "calibration.json"
PARAMS_FILE = "posterior_median.toml"
REPORT_FILE = "calibration.md"
PARTICLES_FILE = "abc_particles.csv"
OURS = frozenset({MANIFEST, POPULATIONS, PREDICTIVE, LOCK, "tables", "figures"})
TEMPORARY = ".abc-"
"""Prefix of a file being written (renamed into place when complete)."""
CHUNKS_PER_SLOT = 4
MAX_CHUNK = 256
"""Most particles sent to a worker at once."""


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker needs to simulate particles (plain data: it is pickled to workers)."""

    template: RunTemplate
    names: tuple[str, ...]
    replications: int
    statistics: tuple[Statistic, ...]


def simulate_particles(job: Job, theta: np.ndarray,
                       seeds: np.ndarray) -> tuple[np.ndarray, int, str]:
    """Run each particle's replications (in whatever process receives the call) and return
    its statistics [particle, statistic], the number of failed runs and the first error.

    The runs are made here rather than by the sweep's :func:`~sim.sweep.tasks.run_chunk`,
    which builds an Arrow row of every design point's values for ``runs.parquet``: a sweep
    pays that once per point for many replications, but every particle is a new point: with
    the toy model of ``tests/test_calibration.py`` and one run a particle, 0.80 ms of CPU a
    particle through ``run_chunk`` against 0.07 ms here (the model's own time included)."""
    import sim.run

    t = job.template
    run_fn = t.run_fn or sim.run.simulate  # looked up now: a monkeypatched simulate reaches workers
    m, reps = len(theta), job.replications
    needed = sorted({c for s in job.statistics for c in s.columns})
    columns = {c: np.full((m, reps), np.nan) for c in needed}
    ok = np.zeros((m, reps), dtype=bool)
    errors: list[str] = []
    params = []
    for i, row in enumerate(theta):
        values = {n: float(v) for n, v in zip(job.names, row, strict=True)}
        p = with_values(t.base, {k: v for k, v in values.items() if k in PARAMETERS})
        changes = t.changes + tuple((k, v) for k, v in values.items() if k not in PARAMETERS)
        params.append(p)
        for r in range(reps):
            spec = RunSpec(params=p, scenario=t.scenarios[0].load, days=t.days,
                           seed=replication_seed(int(seeds[i]), r), changes=changes,
                           record_warnings=False)
            try:
                result = run_fn(spec)
                outcomes = result.outcomes
                if t.metrics:
                    outcomes = {**outcomes, **evaluate_metrics(t.metrics, result)}
                got = [float(outcomes[c]) for c in needed]
            except Interrupted:  # the user stopped the calibration
                raise
            except Exception as exc:  # a failing run is data: its particle is never accepted
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            for c, v in zip(needed, got, strict=True):
                columns[c][i, r] = v
            ok[i, r] = True
    complete = ok.all(axis=1)
    out = np.full((m, len(job.statistics)), np.nan)
    if complete.any():
        kept = [params[i] for i in np.flatnonzero(complete)]
        out[complete] = np.column_stack([
            s.per_particle({c: v[complete] for c, v in columns.items()}, kept)
            for s in job.statistics])
    return out, int((~ok).sum()), errors[0] if errors else ""


def with_values(base: ModelParams, values: Mapping[str, float]) -> ModelParams:
    """``base.replace(**values)``, checking only the changed values.

    ``ModelParams.replace`` checks all 67 parameters (``__post_init__``), and
    ``Param.coerce`` formats an error message for each even when the value is fine: 0.22 ms of
    CPU a call with three changed values, most of a compiled run's 0.3 ms, once per particle
    (a sweep pays it once per design point for many runs). A particle changes a few
    parameters of a base that was checked when it was made, so only those are checked here, by
    the same declarations (0.03 ms), and the result is the object ``replace`` makes
    (``tests/test_abc.py`` compares the two).
    """
    out = copy.copy(base)
    for name, value in values.items():
        object.__setattr__(out, name, PARAMETERS[name].coerce(value))
    return out


class _Evaluator:
    """The sampler's ``evaluate``: a batch of particles split into chunks over the pool."""

    def __init__(self, pool: Pool, job: Job, display: _Display) -> None:
        self.pool, self.job, self.display = pool, job, display
        self.failed_runs = 0
        self.first_error = ""

    def __call__(self, theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        m = len(theta)
        size = max(1, min(MAX_CHUNK, math.ceil(m / (self.pool.slots * CHUNKS_PER_SLOT))))
        out = np.empty((m, len(self.job.statistics)))
        futures = {self.pool.executor.submit(simulate_particles, self.job, theta[a:a + size],
                                             seeds[a:a + size]): a for a in range(0, m, size)}
        for future in cf.as_completed(futures):
            stats, failed, error = future.result()
            a = futures[future]
            out[a:a + len(stats)] = stats
            self.failed_runs += failed
            self.first_error = self.first_error or error
            self.display.simulated(len(stats))
        return out


class _Display:
    """Progress on stderr: on a terminal a bar of the current generation's simulations (its
    tolerance and accepted particles in the label); a line as each generation finishes."""

    def __init__(self, enabled: bool, name: str) -> None:
        self.name = name
        self.enabled = enabled and sys.stderr is not None
        try:
            self.terminal = self.enabled and sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.terminal = False
        self.bar: Any = None
        self.generation = 0

    def _label(self, p: abc.Progress | None) -> str:
        if p is None:
            return f"{self.name}: generation {self.generation}"
        return (f"{self.name}: generation {p.generation} (tolerance {p.epsilon:.3g}), "
                f"{p.accepted}/{p.needed} accepted")

    def _open(self, label: str) -> None:
        if self.bar is None and self.terminal:
            from tqdm import tqdm

            self.bar = tqdm(total=None, unit=" sim", desc=label, file=sys.stderr,
                            dynamic_ncols=True, leave=False)

    def simulated(self, k: int) -> None:
        self._open(self._label(None))
        if self.bar is not None:
            self.bar.update(k)

    def progress(self, p: abc.Progress) -> None:
        self._open(self._label(p))
        if self.bar is not None:
            self.bar.set_description_str(self._label(p), refresh=True)

    def finished(self, population: abc.Population) -> None:
        self.close()
        self.generation = population.generation + 1
        if self.enabled:
            _say(f"{self.name}: generation {population.generation}: tolerance "
                 f"{population.epsilon:.4g}, {population.size} particles from "
                 f"{population.simulations:,} simulations (acceptance "
                 f"{population.acceptance_rate:.1%}), ESS {population.ess:.0f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


@dataclass(frozen=True, slots=True)
class AbcOutcome:
    """What an ABC-SMC calibration found and where it wrote it."""

    out: Path
    result: abc.Outcome
    tables: dict[str, Table]
    params_file: Path
    report: Path
    failed_runs: int
    resumed: int
    seconds: float
    cpu_seconds: float
    """Wall and CPU time of the sampling and predictive draws (not the tables and figures
    written after them); CPU time of this process only (not of worker processes)."""


def calibrate_abc(calibration: Calibration, *, out: str | Path | None = None,
                  workers: int | None = None, dask: Any = None, force: bool = False,
                  progress: bool = True, run_fn: RunFn | None = None) -> AbcOutcome:
    """Run (or continue) the ABC-SMC calibration and write every output (see the module)."""
    e = calibration.experiment
    settings = calibration.abc
    assert settings is not None
    out_dir = Path(out) if out is not None else Path("results") / e.name
    fingerprint = _fingerprint(calibration, run_fn)
    names = calibration.parameters
    ranges = {n: (lo, hi) for n, lo, hi in e.design.ranges}
    priors = tuple(scipy_stats.uniform(ranges[n][0], ranges[n][1] - ranges[n][0]) for n in names)
    started, cpu = time.monotonic(), time.process_time()
    with FolderLock(out_dir, e.origin):
        history, stored = _prepare(out_dir, fingerprint, force, e.origin, calibration)
        template = dataclasses.replace(plan(e).template(run_fn), logs=())
        job = Job(template, names, e.replications, tuple(t.statistic for t in calibration.targets))
        display = _Display(progress, e.name)
        manifest = _Manifest(out_dir, calibration, fingerprint, history)
        if run_fn is None:
            _preload(e)
        try:
            with open_executor(ExecutorSpec.choose(workers, dask)) as pool:
                evaluate = _Evaluator(pool, job, display)
                problem = abc.Problem(names, priors, evaluate,
                                      lambda s: _discrepancy(calibration.targets, s))

                def finished(population: abc.Population) -> None:
                    display.finished(population)
                    manifest.add(population)

                result = abc.run(problem, settings, e.seed, history=history,
                                 observer=abc.Observer(display.progress, finished))
                display.close()
                draws = _predictive(out_dir, calibration, result.final, evaluate=evaluate,
                                    key=f"{fingerprint}:{result.final.generation}",
                                    stored=(stored or {}).get("predictive"))
        except KeyboardInterrupt:
            display.close()
            raise Interrupted(signal.SIGINT) from None
        except ValueError as exc:  # the prior sample has no defined distance
            raise UserError(f"{e.origin}: {exc}") from None
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        manifest.finish(result, evaluate.failed_runs, seconds, len(draws))
        tables = _tables(calibration, result, priors, draws)
        params_file, report = _write(out_dir, calibration, result, tables=tables,
                                     ranges=ranges, fingerprint=fingerprint)
    return AbcOutcome(out_dir, result, tables, params_file, report, evaluate.failed_runs,
                      len(history), seconds, cpu)


def _discrepancy(targets: tuple[Target, ...], stats: np.ndarray) -> np.ndarray:
    """Each target's distance in units of its tolerance (half-widths of its range)."""
    return np.column_stack([t.distance(stats[:, k]) for k, t in enumerate(targets)])


def _preload(e: Any) -> None:
    """Import the model and parse the scenario before the pool forks (as the sweep does)."""
    from sim.model import WarningModel  # noqa: F401
    from sim.scenarios import load_scenario

    for source in e.sources:
        load_scenario(source.load)


# --- what made the folder -----------------------------------------------------------------------


def _fingerprint(calibration: Calibration, run_fn: RunFn | None) -> str:
    e = calibration.experiment
    assert calibration.abc is not None
    experiment = {k: v for k, v in e.describe().items()
                  if k != "question" and not k.startswith("record_")}
    content: dict[str, Any] = {
        "method": calibration.method.value, "experiment": experiment,
        "prior": {n: ["uniform", lo, hi] for n, lo, hi in e.design.ranges},
        "targets": {t.id: t.spec() for t in calibration.targets},
        "settings": calibration.abc.trajectory(), "model_sha256": model_sha256(),
        "scenario_sha256": e.scenario_sha256,
    }
    cases = [t.statistic.cases for t in calibration.targets if t.statistic.form is Form.CASES]
    if cases:
        content["cases"] = hashlib.sha256(repr(cases).encode()).hexdigest()
    if run_fn is not None:
        content["run_fn"] = f"{run_fn.__module__}.{run_fn.__qualname__}"
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _prepare(out: Path, fingerprint: str, force: bool, origin: str, calibration: Calibration,
             ) -> tuple[list[abc.Population], dict[str, Any] | None]:
    """Check the folder (see the module); with ``--force`` clear another calibration's
    results; return the stored populations of this one (to continue from) and its manifest."""
    where = f"{origin}: the output folder {str(out)!r}"
    entries = sorted(p.name for p in out.iterdir())
    others = [n for n in entries if n not in OURS and not n.startswith(TEMPORARY)]
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise UserError(f"{where} holds files that are not an abc-smc calibration's ({shown}); "
                        "choose a new or empty folder with --out, or empty this one yourself")
    manifest = _json(out / MANIFEST)
    summary = _json(out / "tables" / SUMMARY)
    made_by = (manifest or summary or {}).get("fingerprint")
    outputs = [p for d in ("tables", "figures") if (out / d).is_dir() for p in (out / d).iterdir()]
    if (outputs or manifest is not None) and made_by != fingerprint:
        if not force:
            whose = ("a rejection calibration or another command" if made_by is None else
                     "an abc-smc calibration with other settings, targets, prior, experiment or "
                     "model code")
            raise UserError(f"{where} holds results of {whose}; use --force to replace them "
                            "or --out for another folder")
        for p in [*outputs, *(out / n for n in (MANIFEST, POPULATIONS, PREDICTIVE))]:
            _remove(p)
        return [], None
    for p in out.iterdir():
        if p.name.startswith(TEMPORARY):
            _remove(p)
    if manifest is None:
        return [], None
    return _load_history(out, manifest, calibration), manifest


def _remove(path: Path) -> None:
    if path.is_dir():
        for p in path.iterdir():
            _remove(p)
        path.rmdir()
    else:
        path.unlink(missing_ok=True)


def _json(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _load_history(out: Path, manifest: Mapping[str, Any],
                  calibration: Calibration) -> list[abc.Population]:
    """The populations stored in the folder (none if they cannot be read)."""
    try:
        frame = pd.read_parquet(out / POPULATIONS)
    except (OSError, ValueError):
        return []
    names = list(calibration.parameters)
    ids = [t.id for t in calibration.targets]
    counts = {g["generation"]: g for g in manifest.get("generations", [])}
    populations: list[abc.Population] = []
    for t, rows in frame.groupby("generation", sort=True):
        if t != len(populations) or t not in counts:
            break
        part = rows.sort_values("particle")
        g = counts[t]
        # C order, as the sampler makes them: numpy's matrix products may round otherwise
        populations.append(abc.Population(
            int(t), float(part["epsilon"].iloc[0]), _c(part[names]),
            _c(part["weight"]), _c(part["distance"]), _c(part[ids]),
            np.ascontiguousarray(part["seed"].to_numpy(np.int64)), int(g["simulations"]),
            int(g["accepted"]), int(g["batches"])))
    return populations


def _c(frame: pd.DataFrame | pd.Series) -> np.ndarray:
    return np.ascontiguousarray(frame.to_numpy(float))


class _Manifest:
    """``abc.json`` and ``abc_populations.parquet``, rewritten after every generation."""

    def __init__(self, out: Path, calibration: Calibration, fingerprint: str,
                 history: list[abc.Population]) -> None:
        self.out, self.calibration = out, calibration
        e = calibration.experiment
        assert calibration.abc is not None
        self.data: dict[str, Any] = {
            "fingerprint": fingerprint, "method": calibration.method.value,
            "experiment_file": e.file, "experiment_text": e.text, "seed": e.seed,
            "settings": {**calibration.abc.trajectory(),
                         **{k: getattr(calibration.abc, k) for k in
                            ("generations", "min_acceptance", "budget")}},
            "status": "running", "started": now(), "generations": []}
        self.populations = list(history)

    def add(self, population: abc.Population) -> None:
        """Store ``population``, after the generations before it (a stored generation the
        current stop rules replaced is dropped)."""
        self.populations = [p for p in self.populations if p.generation < population.generation]
        self.populations.append(population)
        self._write()

    def finish(self, result: abc.Outcome, failed_runs: int, seconds: float,
               draws: int) -> None:
        self.populations = list(result.populations)
        self.data.update(status="finished", stop=result.stop.value,
                         simulations=result.simulations, discarded=result.discarded,
                         model_runs=result.simulations * self.calibration.experiment.replications,
                         failed_runs=failed_runs, seconds=round(seconds, 1), finished=now(),
                         predictive=f"{self.data['fingerprint']}:{result.final.generation}"
                         if draws else None,
                         **provenance())
        self._write()

    def _write(self) -> None:
        frame = pd.concat([particles_frame(self.calibration, p) for p in self.populations])
        _atomic(self.out / POPULATIONS, lambda p: frame.to_parquet(p, index=False))
        self.data["generations"] = [
            {"generation": p.generation, "epsilon": _finite(p.epsilon),
             "simulations": p.simulations, "accepted": p.accepted, "batches": p.batches}
            for p in self.populations]
        text = json.dumps(self.data, indent=2, allow_nan=False) + "\n"
        _atomic(self.out / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))


def particles_frame(calibration: Calibration, population: abc.Population) -> pd.DataFrame:
    """A population as rows: generation, particle, parameters, weight, distance, statistics,
    seed and the generation's tolerance."""
    frame = pd.DataFrame(population.theta, columns=list(calibration.parameters))
    frame.insert(0, "particle", np.arange(population.size))
    frame.insert(0, "generation", population.generation)
    frame["weight"] = population.weights
    frame["distance"] = population.distance
    for k, t in enumerate(calibration.targets):
        frame[t.id] = population.stats[:, k]
    frame["seed"] = population.seeds
    frame["epsilon"] = population.epsilon
    return frame


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f"{TEMPORARY}{secrets.token_hex(4)}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


# --- posterior predictive checks ----------------------------------------------------------------


def _predictive(out: Path, calibration: Calibration, final: abc.Population, *,
                evaluate: Callable[[np.ndarray, np.ndarray], np.ndarray], key: str,
                stored: str | None) -> pd.DataFrame:
    """``predictive`` particles drawn from the final population by weight and simulated again
    with fresh seeds; the draws stored by an earlier call for the same final population
    (``stored`` = ``key``) are reused."""
    k = calibration.predictive
    if stored == key:
        try:
            found = pd.read_parquet(out / PREDICTIVE)
            if len(found) == k:
                return found
        except (OSError, ValueError):
            pass
    seed = calibration.experiment.seed
    rng = abc.generator(seed, abc.PREDICTIVE, 0, abc.PROPOSALS)
    index = np.sort(rng.choice(final.size, size=k, p=final.weights))
    seeds = abc.particle_seeds(seed, abc.PREDICTIVE, 0, k)
    theta = final.theta[index]
    stats = evaluate(theta, seeds) if k else np.zeros((0, len(calibration.targets)))
    frame = pd.DataFrame(theta, columns=list(calibration.parameters))
    frame.insert(0, "particle", index)
    frame.insert(0, "draw", np.arange(k))
    for j, t in enumerate(calibration.targets):
        frame[t.id] = stats[:, j]
    frame["seed"] = seeds
    if k:
        _atomic(out / PREDICTIVE, lambda p: frame.to_parquet(p, index=False))
    return frame


# --- tables, files and the report ---------------------------------------------------------------


def _tables(calibration: Calibration, result: abc.Outcome, priors: tuple[Any, ...],
            draws: pd.DataFrame) -> dict[str, Table]:
    e = calibration.experiment
    names = calibration.parameters
    final = result.final
    labels = [f"uniform({lo:g}, {hi:g})" for _, lo, hi in e.design.ranges]
    defaults = [PARAMETERS[n].default if n in PARAMETERS else math.nan for n in names]
    n_final = f"{final.size} particles of generation {final.generation} (ESS {final.ess:.0f})"
    tables = {
        "abc_generations": Table(
            "abc_generations", "ABC-SMC generations: tolerance, simulations and acceptance",
            posterior.generations(result, e.replications), keys=("generation",),
            notes={"epsilon": "tolerance: accepted particles have a distance at most this "
                   "(generation 0: the prior sample, all kept)",
                   "simulations": "particles simulated in the generation", "cumulative":
                   "simulations so far", "model_runs": f"model runs ({e.replications} a "
                   "simulation)", "accepted": "simulations within the tolerance (extra ones of "
                   "the last batch included)", "acceptance_rate": "accepted / simulations",
                   "particles": "the population kept", "ess": "effective sample size of the "
                   "weights (Kish)", "batches": "batches the generation took"}),
        "abc_posterior": Table(
            "abc_posterior", f"Posterior marginals: {n_final}, weighted",
            posterior.marginals(names, priors, labels, defaults, final), keys=("parameter",),
            notes={"prior": "the uniform prior ([sample.ranges])",
                   "default": "the model's default (sim/params.py)",
                   "prior_mean": "mean of the prior", "prior_sd": "sd of the prior",
                   "posterior_mean": "weighted mean of the final population",
                   "posterior_sd": "weighted sd of the final population",
                   "q025": "2.5% weighted quantile", "median": "weighted median",
                   "q975": "97.5% weighted quantile"}),
        "abc_identifiability": Table(
            "abc_identifiability", "Which parameters the targets pin and which they leave at "
            f"the prior: {n_final}", posterior.identifiability(names, priors, final),
            keys=("parameter",),
            notes={"sd_ratio": "posterior sd / prior sd", "contraction": "1 - sd_ratio^2: "
                   "the share of the prior variance removed", "shift": "|posterior mean - "
                   "prior mean| / prior sd", "kl": "KL divergence of the posterior marginal "
                   f"from the prior (nats, {posterior.KL_BINS} bins of equal prior "
                   "probability)", "kl_floor": "what kl shows from sampling alone when the "
                   "marginal is the prior", "verdict": f"pinned: sd_ratio <= "
                   f"{posterior.PINNED:g}; left at the prior: sd_ratio >= "
                   f"{posterior.AT_PRIOR:g} and shift <= {posterior.AT_PRIOR_SHIFT:g}; "
                   "informed: otherwise"}),
    }
    if len(draws):
        ids = [t.id for t in calibration.targets]
        tables["abc_predictive"] = Table(
            "abc_predictive", f"Posterior predictive checks: {len(draws)} posterior draws "
            f"simulated afresh ({e.replications} replications each)",
            posterior.predictive(calibration.targets, draws[ids].to_numpy(float)),
            keys=("target",),
            notes={"measure": "the target's statistic", "accepted_range": "the target as "
                   "declared", "observed": "its value (a "
                   "range's centre)", "predictive_mean": "mean over the draws", "q025":
                   "2.5% quantile of the draws", "median": "median of the draws", "q975":
                   "97.5% quantile", "share_met": "share of draws meeting the target",
                   "covered": "the observed value lies in the 95% predictive interval",
                   "p_value": "two-sided posterior predictive p-value",
                   "undefined": "draws whose statistic is undefined"})
    return tables


def _write(out: Path, calibration: Calibration, result: abc.Outcome, *,
           tables: dict[str, Table], ranges: dict[str, tuple[float, float]],
           fingerprint: str) -> tuple[Path, Path]:
    from sim.analysis.plots import save, style
    from sim.calibration.figures import ABC_FIGURES, AbcDrawing

    e = calibration.experiment
    directory = out / "tables"
    for table in tables.values():
        write_table(table, directory)
    particles_frame(calibration, result.final).to_csv(directory / PARTICLES_FILE, index=False,
                                                      lineterminator="\n")
    post = tables["abc_posterior"].frame.set_index("parameter")
    medians = {n: PARAMETERS[n].coerce(float(post.loc[n, "median"]))
               for n in calibration.parameters if n in PARAMETERS}
    params_file = directory / PARAMS_FILE
    params_file.write_text(format_params({**e.fixed, **medians}, [
        f"Posterior medians of `warnsim calibrate {e.origin}` (abc-smc, generation "
        f"{result.final.generation}, {result.final.size} particles): each parameter's weighted "
        "median, the fixed values as the file gives them.",
        "A set of marginal medians, not a joint mode: see tables/abc_posterior and "
        f"{PARTICLES_FILE} for the joint posterior.",
        "Use: warnsim run --params FILE, or params = \"FILE\" in an experiment file."]),
        encoding="utf-8")
    summary = {"method": calibration.method.value, "fingerprint": fingerprint,
               "stop": result.stop.value, "simulations": result.simulations,
               "model_runs": result.simulations * e.replications,
               **{stem: _records(t.frame) for stem, t in tables.items()}}
    (directory / SUMMARY).write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n",
                                     encoding="utf-8")
    drawing = AbcDrawing(calibration.parameters, ranges, result.final,
                         tables["abc_generations"].frame,
                         {n: PARAMETERS[n].default for n in calibration.parameters
                          if n in PARAMETERS})
    with style():
        for stem, draw in ABC_FIGURES.items():
            save(draw(drawing), out / "figures", stem)
    report = directory / REPORT_FILE
    report.write_text(_report(calibration, result, tables), encoding="utf-8")
    return params_file, report


def _n(k: int, noun: str) -> str:
    return f"{k:,} {noun}{'' if k == 1 else 's'}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN as null)."""
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else
                 v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _report(calibration: Calibration, result: abc.Outcome, tables: dict[str, Table]) -> str:
    e = calibration.experiment
    s = calibration.abc
    assert s is not None
    schedule = (f"each tolerance the {s.quantile:g} quantile of the previous generation's "
                "distances" if s.schedule is abc.Schedule.QUANTILE else
                f"tolerances {', '.join(f'{x:g}' for x in s.epsilons)}")
    ident = tables["abc_identifiability"].frame
    pinned = ", ".join(ident.loc[ident["verdict"] == "pinned", "parameter"]) or "none"
    at_prior = ", ".join(ident.loc[ident["verdict"] == "left at the prior", "parameter"]) or "none"
    lines = [
        f"# Calibration: {e.name} (ABC-SMC)", "", *([e.question, ""] if e.question else []),
        f"Prior: uniform over [sample.ranges] for {len(calibration.parameters)} parameters "
        f"({', '.join(calibration.parameters)}). Each simulation: {_n(e.replications, 'run')} "
        f"of {_n(e.days, 'day')} ({e.scenario} scenario), every target's statistic pooled "
        "over them. "
        f"ABC-SMC (Beaumont et al. 2009; Del Moral et al. 2012): {s.population} particles a "
        f"generation, generation 0 a Latin hypercube of the prior; {schedule}; distance: "
        f"{s.distance.value} of the targets' distances in units of their tolerances; kernel: "
        f"{s.kernel.value}; seed {e.seed}.", "",
        f"**Stopped by {result.stop.value} after generation {result.final.generation}: "
        f"{result.simulations:,} simulations ({result.simulations * e.replications:,} model "
        f"runs), final tolerance {result.final.epsilon:.4g}"
        + (f"; {result.discarded:,} of them in a generation the budget cut short, discarded"
           if result.discarded else "")
        + f".** Pinned by the targets: {pinned}. "
        f"Left at the prior: {at_prior}.", "",
        "## Targets", "",
        to_markdown(pd.DataFrame([{"target": t.id, "measure": t.statistic.name,
                                   "accepted_range": t.describe(), "source": t.source}
                                  for t in calibration.targets])), ""]
    for t in tables.values():
        lines += [f"## {t.title}", "", to_markdown(t.frame), ""]
    lines += ["Files: abc_particles.csv (the final population with weights), "
              "posterior_median.toml, calibration.json; figures: "
              "../figures/abc_marginals.png, ../figures/abc_tolerance.png.", ""]
    return "\n".join(lines)
