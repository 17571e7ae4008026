"""Benchmark of ABC-SMC: pyabc 0.13 against sim.calibration.abc, on reproducibility and speed.

Run with ``python benchmarks/bench_abc.py`` (pyabc must be installed: it is in the ``test``
extra). The problem is the mean of a normal with a conjugate normal prior (prior N(1, 1),
four observations with sd 1, mean 2.5; the posterior is N(2.2, 0.447^2)), its one statistic
the simulated mean, its distance |simulated - observed|. The model costs ``--cost`` ms of CPU a
simulation (default 0.3: the compiled engine's default run): a fixed loop, its length set at
start so that it takes that long.

1. **Reproducibility.** pyabc (adaptive quantile tolerance, the default median; its default
   multivariate normal transition) twice each: its single-core sampler without and with
   ``np.random.seed`` (numpy's global state: its only way to be seeded), and its
   multicore-evaluation sampler with one and two processes after the global seed. Each run's
   posterior mean is printed, and whether the two runs agree. Then sim.calibration.abc twice
   from one SeedSequence root (no global state), and through ``warnsim calibrate``'s
   machinery with one and two worker processes.
2. **Overhead per simulation.** CPU time (``time.process_time``, so that other processes on
   a shared machine do not count) per simulation of the same runs, less the model's own CPU
   time per simulation (measured alone first): what each sampler adds. pyabc with an
   in-memory and a file SQLite history; sim.calibration.abc alone, and through the
   calibration machinery (one run per particle through ``sim.run.RunSpec``, statistics,
   population files; not the tables and figures written at the end) in one process.

Timings are never asserted in tests; this script is where they are measured. Machine load
changes them: compare the lines of one invocation.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from sim.calibration import abc

MU0, TAU, SIGMA, N, YBAR = 1.0, 1.0, 1.0, 4, 2.5
S = SIGMA / np.sqrt(N)


WORK = {"loops": 0}
"""Iterations of the model's loop (set by :func:`calibrate_work`)."""


def busy() -> None:
    """The model's work: a fixed loop."""
    x = 0
    for _ in range(WORK["loops"]):
        x += 1


def calibrate_work(seconds: float) -> None:
    """Set the loop's length so that :func:`busy` takes ``seconds`` of CPU."""
    WORK["loops"] = 100_000
    start = time.process_time()
    for _ in range(20):
        busy()
    per_loop = (time.process_time() - start) / (20 * WORK["loops"])
    WORK["loops"] = max(1, round(seconds / per_loop))


def pyabc_run(sampler_name: str, *, seed: int | None, population: int, generations: int,
              db: str) -> tuple[float, int, float]:
    """One pyabc run: (posterior mean, simulations, seconds)."""
    import pyabc

    def model(p: dict) -> dict:
        busy()
        return {"y": p["mu"] + S * np.random.normal()}  # noqa: NPY002 - pyabc's own state

    samplers = {
        "single": pyabc.SingleCoreSampler,
        "multicore-1": lambda: pyabc.MulticoreEvalParallelSampler(n_procs=1),
        "multicore-2": lambda: pyabc.MulticoreEvalParallelSampler(n_procs=2),
    }
    if seed is not None:
        np.random.seed(seed)  # noqa: NPY002 - pyabc's only seed: numpy's global state
    prior = pyabc.Distribution(mu=pyabc.RV("norm", MU0, TAU))
    smc = pyabc.ABCSMC(model, prior, pyabc.PNormDistance(p=1), population_size=population,
                       sampler=samplers[sampler_name]())
    smc.new(db, {"y": YBAR})
    start = time.process_time()
    history = smc.run(max_nr_populations=generations)
    seconds = time.process_time() - start
    frame, w = history.get_distribution()
    return float(np.sum(frame["mu"].to_numpy() * w)), int(history.total_nr_simulations), seconds


def own_run(*, seed: int, population: int, generations: int) -> tuple[float, int, float]:
    """One sim.calibration.abc run on the same problem: (posterior mean, simulations, s)."""

    def evaluate(theta: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        out = np.empty((len(theta), 1))
        for i, (mu, s) in enumerate(zip(theta[:, 0], seeds, strict=True)):
            busy()
            out[i, 0] = mu + S * np.random.default_rng(s).standard_normal()
        return out

    problem = abc.Problem(("mu",), (stats.norm(MU0, TAU),), evaluate,
                          lambda s: np.abs(s - YBAR))
    settings = abc.Settings(population=population, generations=generations - 1)
    start = time.process_time()
    result = abc.run(problem, settings, seed)
    seconds = time.process_time() - start
    f = result.final
    return float(np.average(f.theta[:, 0], weights=f.weights)), result.simulations, seconds


def toy_run(spec):
    """One run of the benchmark's model through warnsim: heed rate ~ binomial(200, p)
    (module level, so that worker processes can unpickle it)."""
    from sim.run import RunResult

    busy()
    rng = np.random.default_rng(spec.seed)
    heeded = int(rng.binomial(200, spec.params.home_interdiction))
    return RunResult({"warnings_delivered": 200, "warnings_heeded": heeded}, None, None)


MACHINERY = """
name = "bench_abc"
days = 1
seed = 11
record_warnings = false
[sample]
method = "lhs"
n = {population}
[sample.ranges]
home_interdiction = [0.3, 0.95]
[calibration]
method = "abc-smc"
generations = {generations}
predictive = 0
[targets.heed]
statistic = "heed_rate"
value = 0.6
tolerance = 0.05
"""


def machinery_run(folder: Path, *, workers: int, population: int,
                  generations: int) -> tuple[float, int, float, Path]:
    from sim.calibration.config import parse_calibration
    from sim.calibration.smc import calibrate_abc

    calibration = parse_calibration(MACHINERY.format(population=population,
                                                     generations=generations - 1))
    found = calibrate_abc(calibration, out=folder, workers=workers, progress=False,
                          run_fn=toy_run)
    f = found.result.final
    mean = float(np.average(f.theta[:, 0], weights=f.weights))
    return mean, found.result.simulations, found.seconds, folder / "abc_populations.parquet"


def machinery_cpu(folder: Path, *, population: int, generations: int) -> tuple[int, float]:
    """Simulations and CPU seconds of the sampling in one process (the calibration records
    them; the tables and figures written at the end, a fixed cost of seconds, are not)."""
    from sim.calibration.config import parse_calibration
    from sim.calibration.smc import calibrate_abc

    calibration = parse_calibration(MACHINERY.format(population=population,
                                                     generations=generations - 1))
    found = calibrate_abc(calibration, out=folder, workers=1, progress=False, run_fn=toy_run)
    return found.result.simulations, found.cpu_seconds


def bare_cost(n: int = 3000) -> float:
    """CPU seconds of the model alone (its loop and a normal draw from its seed)."""
    start = time.process_time()
    for i in range(n):
        busy()
        np.random.default_rng(i).standard_normal()
    return (time.process_time() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--generations", type=int, default=4, help="including generation 0")
    parser.add_argument("--cost", type=float, default=0.3, help="model ms a simulation")
    parser.add_argument("--skip-pyabc", action="store_true")
    args = parser.parse_args()
    calibrate_work(args.cost / 1000)
    logging.disable(logging.INFO)  # pyabc logs every generation at INFO
    size = {"population": args.population, "generations": args.generations}
    small = {"population": 200, "generations": 4}
    import pandas as pd

    print("1. Reproducibility (posterior mean of run 1, run 2; identical?)")
    if not args.skip_pyabc:
        for name, seed in (("single", None), ("single", 1), ("multicore-1", 1),
                           ("multicore-2", 1)):
            a, b = (pyabc_run(name, seed=seed, db="sqlite://", **small)[0] for _ in range(2))
            how = "no seed" if seed is None else "np.random.seed(1)"
            print(f"  pyabc {name:12s} {how:18s} {a:.4f} {b:.4f} {a == b}")
    a, b = (own_run(seed=1, **small)[0] for _ in range(2))
    print(f"  sim.calibration.abc   SeedSequence(1)    {a:.4f} {b:.4f} {a == b}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [machinery_run(Path(tmp) / f"w{w}", workers=w, **small) for w in (1, 2)]
        same = pd.read_parquet(runs[0][3]).equals(pd.read_parquet(runs[1][3]))
        print(f"  warnsim calibrate     1 and 2 workers    {runs[0][0]:.4f} {runs[1][0]:.4f} "
              f"{same} (every particle of every generation)")

    model = bare_cost()
    print(f"\n2. Overhead per simulation, CPU time ({args.population} particles, "
          f"{args.generations} generations; the model alone: {model * 1000:.3f} ms a "
          "simulation)")

    def line(label: str, sims: int, seconds: float) -> None:
        per = seconds / sims
        print(f"  {label:44s} {sims:7,d} sims {seconds:7.2f} s {per * 1000:7.3f} ms/sim, "
              f"overhead {(per - model) * 1000:7.3f} ms/sim")

    if not args.skip_pyabc:
        _, sims, seconds = pyabc_run("single", seed=1, db="sqlite://", **size)
        line("pyabc single core, in-memory SQLite", sims, seconds)
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "history.db"
            _, sims, seconds = pyabc_run("single", seed=1, db=f"sqlite:///{db}", **size)
            line("pyabc single core, SQLite file", sims, seconds)
            print(f"  (history file: {db.stat().st_size / 1e6:.1f} MB)")
    _, sims, seconds = own_run(seed=1, **size)
    line("sim.calibration.abc, one process", sims, seconds)
    with tempfile.TemporaryDirectory() as tmp:
        sims, seconds = machinery_cpu(Path(tmp) / "one", **size)
        line("warnsim calibrate machinery, one process", sims, seconds)


if __name__ == "__main__":
    main()
