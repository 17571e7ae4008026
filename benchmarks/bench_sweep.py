"""Sweep engine benchmark: ratios measured side by side in one run on this machine.

    python benchmarks/bench_sweep.py            # a few minutes on 2 cores
    python benchmarks/bench_sweep.py --quick    # smaller sizes, for a smoke check
    python benchmarks/bench_sweep.py --only 5 6 7   # some sections only

What it measures, and the targets the engine was built to:

1. ``warnsim sweep --workers 2`` throughput vs ``mesa.batch_run(number_processes=2)`` on the
   same model (a thin Mesa wrapper below) and the same design, collecting the same per-run
   outcomes, for 200 and 2,000 runs of the default scenario (target: at least 2x), for full
   365-day runs and for short 30-day runs. The "ceiling" column is the ratio a sweep engine with
   no overhead at all and perfect use of the measured cores would reach: when one run is long,
   batch_run's own overhead is small and no engine can be 2x faster than it.
2. The 2-worker over 1-worker speed-up, against the cores the machine really gives two busy
   processes (a busy loop on 1 and on 2 processes; target: at least 0.85 of it).
3. Engine overhead per run (serial sweep time / runs minus one run's in-process time; target
   at most 0.5 ms) and fixed start-up (a 2-run sweep on 2 workers minus its runs; at most 0.3 s).
4. Peak RSS of a sweep of 10,000 short runs vs 1,000 (fresh processes; target: at most 50 MB
   more), which fails without :func:`sim.run.release` because of Mesa 3.3.1's ``Agent._ids``.

The engine with the warning log:

5. Engine cost per run with the warning log recorded, this tree against an earlier engine
   (``--old``, default :data:`EARLIER_ENGINE`), side by side, in alternating
   fresh processes: a serial sweep whose run function returns one canned one-year result
   (about a hundred warnings), so all the time is the engine's. Per-run cost is the slope
   between sweeps of N and 2N runs, which leaves out fixed start-up, in CPU time (this machine
   is shared: wall time also counts other people's processes; it is printed too) (target:
   under 0.1 ms). Also the parent's share with 2 workers (what bounds throughput once the
   model is fast; on 2 cores the parent shares them with both workers).
6. Peak RSS of ``warnsim sweep --dry-run`` on a 10**8-run design against a 4-run one, and of
   just importing what the dry run imports (target: under 100 MB).
7. Time to refuse each oversized design of ``tests/test_sweep_faults.OVERSIZED`` (target: under 1 s), in-process after
   imports, and the total of a ``warnsim sweep`` process refusing one.

Recording more in sweeps:

8. What ``[metrics]``, ``record_agents`` and ``record_dyads`` add to the engine's cost per run
   (a canned one-year result, as in 5, in one process, CPU time) and to the peak memory of a
   sweep on 2 workers, beside what recording them costs the model itself.

The issue-16 target:

9. ``warnsim sweep --workers 2`` on one-year runs of the default scenario (one design point,
   N replications) with the warning log, the real model: runs a second of the whole sweep as a
   user times it (wall, start-up and the final merge included), and the parent process's CPU
   time per run, the engine's serial share (target: at least 3,000 runs a second, under 0.05 ms
   a run). Fresh process; best of 3 at N = 6,000 (``--quick``: 600). Wall time counts the other
   processes of a shared machine too: the load average is printed beside it, and the workers'
   CPU time with the bound the sweep's CPU time sets on 2 free cores (2 x runs / CPU seconds
   of parent and workers), which a busy machine does not change as much.

Not a test: the figures depend on the machine. docs/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

from sim.outcomes import OUTCOME_NAMES
from sim.params import ModelParams
from sim.run import RunResult, RunSpec, simulate
from sim.sweep import load_experiment, parse_experiment, run_experiment
from sim.sweep.seeds import replication_seeds

RIVALRY = [round(0.1 * i, 1) for i in range(10)]
SEED = 99


class BatchRunModel(mesa.Model):
    """The warnsim model as ``mesa.batch_run`` wants it: kwargs in, a DataCollector out.

    One Mesa step runs the whole simulation and collects the outcomes once, so batch_run is
    charged only for its own machinery, not for per-day data collection.
    """

    def __init__(self, rivalry: float = 0.7, seed: int = 0, days: int = 365) -> None:
        super().__init__(rng=seed)
        self.spec = RunSpec(params=ModelParams(rivalry=rivalry), days=days, seed=seed,
                            record_warnings=False)
        self.final: dict[str, float | int] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: _final(name) for name in OUTCOME_NAMES})

    def step(self) -> None:
        self.final = simulate(self.spec).outcomes
        self.datacollector.collect(self)
        self.running = False


def _final(name: str):
    return lambda model: model.final[name]


def experiment_text(replications: int, days: int, warnings: bool = False) -> str:
    return (f'name = "bench"\nscenario = "default"\ndays = {days}\n'
            f"replications = {replications}\nseed = {SEED}\n"
            f"record_warnings = {'true' if warnings else 'false'}\n"
            f"[grid]\nrivalry = {RIVALRY}\n")


_CANNED: dict[bool, RunResult] = {}


def canned(spec: RunSpec) -> RunResult:
    """A model that takes no time: one real result, returned again (isolates engine costs), in
    the form the engine asks for (typed numpy logs or lists)."""
    typed = getattr(spec, "typed_logs", False)
    if typed not in _CANNED:
        _CANNED[typed] = simulate(RunSpec(days=365, seed=1, typed_logs=typed))
    return _CANNED[typed]


def sweep_seconds(tmp: Path, replications: int, workers: int, *, days: int = 365,
                  warnings: bool = False, run_fn=None) -> float:
    exp = parse_experiment(experiment_text(replications, days, warnings), path=tmp / "bench.toml")
    out = tmp / f"out-{replications}-{workers}-{days}-{warnings}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    summary = run_experiment(exp, out=out, workers=workers, progress=False, run_fn=run_fn)
    seconds = time.perf_counter() - t0
    assert summary.ok and summary.ran == replications * len(RIVALRY)
    return seconds


def batch_run_seconds(replications: int, workers: int, days: int = 365) -> float:
    t0 = time.perf_counter()
    rows = mesa.batch_run(BatchRunModel,
                          {"rivalry": RIVALRY, "seed": replication_seeds(SEED, replications),
                           "days": days},
                          number_processes=workers, iterations=1, max_steps=1,
                          display_progress=False)
    seconds = time.perf_counter() - t0
    assert len(rows) == replications * len(RIVALRY) and "heed_rate" in rows[0]
    return seconds


def in_process_seconds_per_run(replications: int, *, days: int = 365) -> float:
    seeds = replication_seeds(SEED, replications)
    specs = [RunSpec(params=ModelParams(rivalry=r), days=days, seed=s, record_warnings=False)
             for r in RIVALRY for s in seeds]
    simulate(specs[0])  # imports and scenario parsing are not per-run costs
    t0 = time.perf_counter()
    for spec in specs:
        simulate(spec)
    return (time.perf_counter() - t0) / len(specs)


def _busy(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i % 7
    return time.perf_counter() - t0


def best(repeats: int, fn, *args, **kwargs) -> float:
    """The smallest of ``repeats`` timings: this VM's speed drifts by 10-20 % between seconds."""
    return min(fn(*args, **kwargs) for _ in range(repeats))


def real_cores(n: int) -> float:
    """Throughput of two busy processes over one: how many cores two workers really get."""
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        pool.map(_busy, [1000, 1000])  # start-up out of the timing
        one = two = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            pool.map(_busy, [n], chunksize=1)
            one = min(one, time.perf_counter() - t0)
            t0 = time.perf_counter()
            pool.map(_busy, [n, n], chunksize=1)
            two = min(two, time.perf_counter() - t0)
    return 2 * one / two


RSS_CODE = """
import resource, sys, tempfile
from pathlib import Path
sys.path.insert(0, {here!r})
from bench_sweep import experiment_text
from sim.sweep import load_experiment, parse_experiment, run_experiment
tmp = Path(tempfile.mkdtemp())
exp = parse_experiment(experiment_text({reps}, 10, warnings=True), path=tmp / "bench.toml")
run_experiment(exp, out=tmp / "out", workers={workers}, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def peak_rss_mb(runs: int, workers: int) -> tuple[float, float]:
    """Peak RSS (MB) of the engine process and of its largest child (the pool's workers)."""
    code = RSS_CODE.format(here=str(Path(__file__).parent), reps=runs // len(RIVALRY),
                           workers=workers)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    engine, child = out.stdout.strip().splitlines()[-1].split()
    return float(engine), float(child)


ENGINE_CODE = """
import sys, tempfile, time
from pathlib import Path
from sim.run import RunSpec, simulate
from sim.sweep import parse_experiment, run_experiment
def result(typed):
    spec = RunSpec(days=365, seed=1, **({{"typed_logs": True}} if typed else {{}}))
    return simulate(spec)
CANNED = {{typed: result(typed) for typed in (False, True)
          if not typed or "typed_logs" in RunSpec.__dataclass_fields__}}
def canned(spec):  # the form the engine asks for (typed numpy logs, where it can)
    return CANNED[getattr(spec, "typed_logs", False)]
text = ('name = "bench"\\ndays = 365\\nreplications = {{reps}}\\nseed = 1\\n'
        'record_warnings = true\\n[grid]\\nrivalry = [0.2, 0.8]\\n')
tmp = Path(tempfile.mkdtemp())
def cost(reps, workers):
    exp = parse_experiment(text.format(reps=reps), path=tmp / "bench.toml")
    wall, cpu = time.perf_counter(), time.process_time()
    run_experiment(exp, out=tmp / f"out-{{time.monotonic_ns()}}", workers=workers,
                   progress=False, run_fn=canned)
    return time.perf_counter() - wall, time.process_time() - cpu
cost(10, {workers})  # lazy imports, caches
n = {runs} // 2
small = [cost(n, {workers}) for _ in range(3)]
big = [cost(2 * n, {workers}) for _ in range(3)]
wall = (min(w for w, _ in big) - min(w for w, _ in small)) / (2 * n)
cpu = (min(c for _, c in big) - min(c for _, c in small)) / (2 * n)
print(len(CANNED[False].warnings["warning_id"]), wall, cpu)
"""


def engine_cost(tree: Path, runs: int, workers: int) -> tuple[int, float, float]:
    """(warnings per run, wall seconds per run, this process's CPU seconds per run) of a
    sweep of canned results run by the sim package in ``tree``, in a fresh process. With
    workers, the CPU time is the parent's alone: the engine's serial share."""
    code = ENGINE_CODE.format(runs=runs, workers=workers)
    out = subprocess.run([sys.executable, "-B", "-c", code], cwd=tree, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
    rows, wall, cpu = out.stdout.split()
    return int(rows), float(wall), float(cpu)


EARLIER_ENGINE = "9b168fe"
"""The engine before it returned each run's log as one Arrow record batch (commit 9b168fe, the
second parent of 2b4b6f4): the same model and logs as this tree, the earlier engine."""


def old_tree(ref: str, into: Path) -> Path | None:
    """The ``sim`` package at git ``ref`` (with ``main``: where this branch left it)."""
    repo = Path(__file__).resolve().parents[1]
    try:
        if ref == "main":
            ref = subprocess.run(["git", "-C", str(repo), "merge-base", "HEAD", "main"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "sim"],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"(no old tree: {exc})")
        return None
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def section_engine(args: argparse.Namespace, tmp: Path) -> None:
    runs = 400 if args.quick else 4000
    print(f"\n5. engine cost per run with the warning log (canned one-year result; slope "
          f"between {runs // 2} and {runs} runs, best of 3, alternating fresh processes)")
    new = Path(__file__).resolve().parents[1]
    old = old_tree(args.old, tmp / "old")
    trees = [("this tree", new)] + ([(f"earlier engine ({args.old})", old)] if old else [])
    for workers, what in ((1, "in one process: all of the engine's work"),
                          (2, "2 workers: the parent process alone, the serial share")):
        found: dict[str, list[tuple[int, float, float]]] = {name: [] for name, _ in trees}
        for _ in range(1 if args.quick else 3):  # alternate: the machine's speed drifts
            for name, tree in trees:
                found[name].append(engine_cost(tree, runs, workers))
        # CPU time: on a shared machine the wall time also counts other people's processes.
        best = {name: min(r, key=lambda x: x[2]) for name, r in found.items()}
        print(f"   {what}: CPU time (wall time) [slowest of the {len(found[trees[0][0]])}]")
        for name, (rows, wall, cpu) in best.items():
            worst = max(c for _, _, c in found[name])
            print(f"{name:32} {cpu * 1000:.3f} ms/run ({wall * 1000:.3f}) [{worst * 1000:.3f}] "
                  f"({rows} warnings a run)")
        if len(best) == 2:
            a, b = (r[2] for r in best.values())
            print(f"{'old / new':32} {b / a:.1f}x")
    print("target: under 0.100 ms a run")


DRY_CODE = """
import sys
from sim.cli import main
if sys.argv[1] != "-":
    main(["sweep", sys.argv[1], "--dry-run", "--out", sys.argv[2]])
else:
    import sim.cli, sim.sweep.api, sim.sweep.store  # what a dry run imports (it times its
    # sample runs in a child process, which carries the model's own imports)
# VmHWM, not getrusage's ru_maxrss: the latter keeps the high-water mark of the process that
# forked this one (this benchmark, with Mesa imported) across exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(hwm.split()[1]) / 1024)
"""


def dry_run_rss(path: str, out: Path) -> tuple[float, str]:
    done = subprocess.run([sys.executable, "-B", "-c", DRY_CODE, path, str(out)],
                          capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    return float(lines[-1]), (lines[1] if len(lines) > 2 else "")


def section_dry_run(tmp: Path) -> None:
    print("\n6. peak RSS of `warnsim sweep --dry-run` (fresh process; target under 100 MB)")
    huge, tiny = tmp / "huge.toml", tmp / "tiny.toml"
    huge.write_text("days = 365\nreplications = 100000\n[grid]\n"
                    "rivalry = { start = 0, stop = 1, num = 1000 }\n")
    tiny.write_text("days = 365\nreplications = 2\n[grid]\nrivalry = [0.2, 0.8]\n")
    floor, _ = dry_run_rss("-", tmp / "none")
    for path in (tiny, huge):
        rss, counts = dry_run_rss(str(path), tmp / "out")
        print(f"{counts:70} {rss:6.0f} MB")
    print(f"{'importing what the dry run imports (the sweep, pyarrow)':70} {floor:6.0f} MB")


def section_refusals(tmp: Path) -> None:
    from sim.errors import UserError

    print("\n7. refusing the oversized designs (target under 1 s)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_sweep_faults import OVERSIZED

    (tmp / "big.csv").write_text("rivalry\n" + "".join(f"{i / 2e6}\n" for i in range(1_000_001)))
    for name, (text, _) in OVERSIZED.items():
        path = tmp / f"{name.replace(' ', '_')}.toml"
        path.write_text(text)
        t0 = time.perf_counter()
        try:
            load_experiment(path)
        except UserError:
            pass
        else:
            raise AssertionError(f"{name} was accepted")
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-B", "-m", "sim", "sweep", str(path), "--out",
                               str(tmp / "refused")], capture_output=True, check=False)
        total = time.perf_counter() - t0
        assert done.returncode == 2 and not (tmp / "refused").exists()
        print(f"{name:24} {seconds * 1000:7.1f} ms in-process, {total:.2f} s for the whole "
              "`warnsim sweep` process (exit 2, nothing written)")


LOGS_CODE = """
import resource, sys, tempfile, time
from pathlib import Path
from sim.run import RunSpec, simulate
from sim.sweep import parse_experiment, run_experiment
CANNED = {typed: simulate(RunSpec(days=365, seed=1, record_agents=True, record_dyads=True,
                                   typed_logs=typed)) for typed in (False, True)}
def canned(spec):
    return CANNED[spec.typed_logs]
head, tables, runs, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tmp = Path(tempfile.mkdtemp())
def cost(reps, workers):
    text = (f'name = "bench"\\ndays = 365\\nreplications = {reps}\\nseed = 1\\n{head}'
            f'{tables}[grid]\\nrivalry = [0.2, 0.8]\\n')
    exp = parse_experiment(text, path=tmp / "bench.toml")
    cpu = time.process_time()
    run_experiment(exp, out=tmp / f"out-{time.monotonic_ns()}", workers=workers,
                   progress=False, run_fn=canned)
    return time.process_time() - cpu
if workers == 1:
    cost(5, 1)  # lazy imports, caches
    n = runs // 2
    small = min(cost(n, 1) for _ in range(2))
    big = min(cost(2 * n, 1) for _ in range(2))
    print((big - small) / (2 * n))
else:
    cost(runs // 2, workers)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""

LOG_VARIANTS = {  # (top-level keys, tables before [grid])
    "warning log only": ("", ""),
    "+ 3 metrics": ("", '[metrics]\na = "heed_rate_low_rivalry - heed_rate_high_rivalry"\n'
                        'b = "mean(trust_matrix[rivalry_matrix >= 0.5])"\n'
                        "c = 'trust_matrix[\"B1\", \"A1\"]'\n"),
    "+ record_agents (4,380 rows a run)": ("record_agents = true\n", ""),
    "+ record_dyads (48,180 rows a run)": ("record_dyads = true\n", ""),
}


def section_logs(args: argparse.Namespace) -> None:
    runs = 40 if args.quick else 200
    print(f"\n8. engine cost of metrics, agents and dyads (canned one-year result; CPU time a run "
          f"in one process, slope between {runs // 2} and {runs} runs; peak RSS of a sweep of "
          f"{runs // 2} runs on 2 workers)")
    for name, (head, tables) in LOG_VARIANTS.items():
        found = []
        for workers in (1, 2):
            done = subprocess.run([sys.executable, "-B", "-c", LOGS_CODE, head, tables,
                                   str(runs), str(workers)], capture_output=True, text=True,
                                  check=True)
            found.append(done.stdout.split())
        cpu, (own, child) = float(found[0][0]), found[1]
        print(f"{name:36} {cpu * 1000:7.2f} ms a run; peak RSS: parent {float(own):4.0f} MB, "
              f"largest worker {float(child):4.0f} MB")
    model = {}
    for label, flags in (("plain", {}), ("agents", {"record_agents": True}),
                         ("dyads", {"record_dyads": True})):
        simulate(RunSpec(days=365, seed=1, **flags))
        t0 = time.process_time()
        for seed in range(10):
            simulate(RunSpec(days=365, seed=seed, **flags))
        model[label] = (time.process_time() - t0) / 10
    print(f"{'the model itself (one year)':36} {model['plain'] * 1000:7.2f} ms a run; "
          f"{model['agents'] * 1000:.2f} ms recording agents, {model['dyads'] * 1000:.2f} ms "
          "recording dyads")


THROUGHPUT_CODE = """
import resource, sys, tempfile, time
from pathlib import Path
from sim.run import warm
from sim.sweep import parse_experiment, run_experiment
warm()  # compiled kernels loaded from the cache before the clock starts, as `warnsim sweep` does
tmp = Path(tempfile.mkdtemp())
def sweep(reps):
    text = f'name = "bench"\\ndays = 365\\nreplications = {reps}\\nseed = 1\\nrecord_warnings = true\\n'
    exp = parse_experiment(text, path=tmp / "bench.toml")
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = run_experiment(exp, out=tmp / f"out-{time.monotonic_ns()}", workers=2,
                             progress=False)
    assert summary.ok and summary.ran == reps
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined
    return wall, cpu, (done.ru_utime + done.ru_stime) - (workers.ru_utime + workers.ru_stime)
sweep(200)  # the pool's and Arrow's first use
runs = int(sys.argv[1])
found = [sweep(runs) for _ in range(3)]
print(*min(found), min(cpu for _, cpu, _ in found))  # the least parent CPU: robust to load
"""


def section_throughput(args: argparse.Namespace) -> None:
    runs = 600 if args.quick else 6000
    print(f"\n9. `warnsim sweep --workers 2`, {runs} one-year default runs with the warning log "
          "(real model; whole sweep, best of 3, fresh process; targets: >= 3,000 runs/s, parent "
          "< 0.05 ms a run)")
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-B", "-c", THROUGHPUT_CODE, str(runs)],
                          capture_output=True, text=True, check=True)
    wall, cpu, workers, least = (float(x) for x in done.stdout.split())
    print(f"{runs / wall:8.0f} runs/s ({wall:.2f} s wall); parent CPU {cpu / runs * 1000:.4f} ms "
          f"a run (least of the 3 sweeps: {least / runs * 1000:.4f}); load average {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"         workers' CPU {workers / runs * 1000:.4f} ms a run: on 2 free cores the "
          f"sweep's CPU time bounds it at {2 * runs / (cpu + workers):.0f} runs/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke check)")
    parser.add_argument("--only", nargs="+", type=int, metavar="N", help="sections to run")
    parser.add_argument("--old", default=EARLIER_ENGINE, metavar="REF",
                        help="git ref of the engine to compare with in section 5 (default: "
                             f"{EARLIER_ENGINE}, the engine before Arrow record batches)")
    args = parser.parse_args()
    sizes = (20, 200) if args.quick else (200, 2000)
    rss_sizes = (100, 1000) if args.quick else (1000, 10000)
    repeats = 1 if args.quick else 2
    print(f"python {sys.version.split()[0]}, mesa {mesa.__version__}, {mp.cpu_count()} CPUs; "
          f"each figure the best of {repeats} (3 for the busy loop)")
    wanted = set(args.only or range(1, 10))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if 5 in wanted:
            section_engine(args, tmp)
        if 6 in wanted:
            section_dry_run(tmp)
        if 7 in wanted:
            section_refusals(tmp)
        if 8 in wanted:
            section_logs(args)
        if 9 in wanted:
            section_throughput(args)
    if wanted & {1, 2, 3, 4}:  # measured together
        original_sections(args, sizes, rss_sizes, repeats)


def original_sections(args: argparse.Namespace, sizes: tuple[int, int],
                      rss_sizes: tuple[int, int], repeats: int) -> None:
    cores = real_cores(20_000_000 if not args.quick else 2_000_000)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        print("\n1. throughput vs mesa.batch_run, 2 processes (same model, outcomes only)")
        print("   ceiling: the ratio an engine with no overhead and perfect use of the measured "
              "cores would reach")
        print(f"{'days':>5} {'runs':>6} {'warnsim s':>10} {'runs/s':>8} {'batch_run s':>12} "
              f"{'runs/s':>8} {'ratio':>6} {'ceiling':>8}  target >= 2")
        for days in (365, 30):
            one_run = best(repeats, in_process_seconds_per_run, sizes[0] // len(RIVALRY),
                           days=days)
            for runs in sizes:
                reps = runs // len(RIVALRY)
                ours = best(repeats, sweep_seconds, tmp, reps, 2, days=days)
                theirs = best(repeats, batch_run_seconds, reps, 2, days)
                ideal = runs * one_run / min(2.0, cores)
                print(f"{days:>5} {runs:>6} {ours:>10.2f} {runs / ours:>8.0f} {theirs:>12.2f} "
                      f"{runs / theirs:>8.0f} {theirs / ours:>6.2f} {theirs / ideal:>8.2f}")
        with_log = best(repeats, sweep_seconds, tmp, sizes[1] // len(RIVALRY), 2, warnings=True)
        print(f"(warnsim also writing warnings.parquet, {sizes[1]} runs of 365 days: "
              f"{with_log:.2f} s, {sizes[1] / with_log:.0f} runs/s)")

        print("\n2. parallel efficiency")
        reps = sizes[1] // len(RIVALRY)
        one = best(repeats, sweep_seconds, tmp, reps, 1)
        two = best(repeats, sweep_seconds, tmp, reps, 2)
        speedup = one / two
        print(f"busy loop, 2 vs 1 process: {cores:.2f} cores")
        print(f"warnsim {sizes[1]} runs: 1 worker {one:.2f} s, 2 workers {two:.2f} s, "
              f"speed-up {speedup:.2f} = {speedup / cores:.2f} of the cores (target >= 0.85)")

        print("\n3. engine overhead")
        per_run = best(repeats, in_process_seconds_per_run, reps)
        overhead = one / sizes[1] - per_run
        print(f"per run: {overhead * 1000:.3f} ms = serial sweep {one / sizes[1] * 1000:.3f} ms/run "
              f"- in-process loop {per_run * 1000:.3f} ms/run (target <= 0.5 ms)")
        free = best(3, sweep_seconds, tmp, reps, 1, run_fn=canned) / sizes[1]
        print(f"per run, model replaced by a canned result: {free * 1000:.3f} ms "
              "(the same cost without the model's timing noise)")
        startup = best(3, sweep_seconds, tmp, 1, 2, run_fn=canned)
        print(f"fixed start-up: {startup:.3f} s (a {len(RIVALRY)}-run sweep of canned results on "
              "2 workers: fork pool, folders, merge, manifest; target <= 0.3 s)")

    print("\n4. memory (peak RSS, fresh process, 10-day runs with warnings.parquet)")
    print(f"{'':27} {rss_sizes[0]:>6} runs {rss_sizes[1]:>6} runs {'growth':>7}  target <= 50 MB")
    for workers in (1, 2):
        small, big = (peak_rss_mb(n, workers) for n in rss_sizes)
        rows = [(f"{workers} worker(s): engine process", small[0], big[0])]
        if workers > 1:
            rows.append((f"{workers} worker(s): largest worker", small[1], big[1]))
        for who, a, b in rows:
            print(f"{who:27} {a:>8.0f} MB {b:>8.0f} MB {b - a:>+5.0f} MB")


if __name__ == "__main__":
    main()
