"""Sweeps against what real users and machines do (issue 11): two sweeps into one folder,
other working directories, damaged state, killed parents and workers, oversized designs,
full and read-only disks, bad input that used to give tracebacks.

Real processes wherever processes are the point (locks, kills, orphans, exit statuses); the
fake run functions of :mod:`tests.fake_runs` wherever the model itself is not under test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.errors import FolderInUse, SweepStopped, UserError
from sim.schema import WARNING_FIELDS
from sim.sweep import SweepOptions, load_experiment, read_manifest, read_runs, run_experiment
from sim.sweep.engine import run_experiment as run_with_options
from sim.sweep.executors import ExecutorSpec
from sim.sweep.lock import LOCK
from sim.sweep.store import ROW_GROUP
from tests.fake_runs import failing_odd_replications, fake, quiet, sigint_after

ROOT = Path(__file__).resolve().parents[1]
FILES = ("runs.parquet", "warnings.parquet", "timeseries.parquet")

EXPERIMENT = """\
name = "faults"
days = 3
replications = 4
seed = 5
record_series = true
[grid]
rivalry = [0.1, 0.5, 0.9]
doctrine = ["scenario", "never"]
"""
"""24 runs; with a fake run function a sweep of it takes milliseconds."""


@pytest.fixture
def exp(tmp_path: Path) -> Path:
    path = tmp_path / "faults.toml"
    path.write_text(EXPERIMENT)
    return path


def sweep(exp: Path, out: Path, run_fn=fake, **kw) -> object:
    kw.setdefault("workers", 1)
    return run_experiment(exp, out=out, progress=False, run_fn=run_fn, **kw)


@pytest.fixture
def reference(exp: Path, tmp_path: Path) -> Path:
    """The uninterrupted sweep every resumed one must equal, byte for byte."""
    out = tmp_path / "reference"
    sweep(exp, out)
    return out


def assert_identical(out: Path, reference: Path) -> None:
    for name in FILES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (out / ".sweep").exists() and not (out / LOCK).exists()
    assert not [p for p in out.iterdir() if p.name.startswith((".trash", ".tmp"))]


def python(code: str, *args: str, env: dict[str, str] | None = None,
           **popen) -> subprocess.Popen:
    """A child Python running ``code`` (no bytecode writes: they would add file operations)."""
    return subprocess.Popen([sys.executable, "-B", "-c", code, *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, **popen)


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    """``warnsim ARGS`` as a user types it, in a fresh process."""
    kw.setdefault("timeout", 120)
    return subprocess.run([sys.executable, "-B", "-m", "sim", *args], cwd=kw.pop("cwd", ROOT),
                          capture_output=True, text=True, check=False, **kw)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


GATED = """
import sys
from sim.sweep import run_experiment
from tests.fake_runs import gated
run_experiment(sys.argv[1], out=sys.argv[2], workers=int(sys.argv[3]), progress=False,
               run_fn=gated)
"""


# --- 1. two sweeps into one folder ------------------------------------------------------------


def test_second_sweep_into_a_locked_folder_stops_at_once_naming_the_holder(exp, tmp_path,
                                                                           reference):
    out, gate = tmp_path / "out", tmp_path / "gate"
    first = python(GATED, str(exp), str(out), "1", env={"WARNSIM_TEST_GATE": str(gate)})
    try:
        wait_for(lambda: gate.with_suffix(".running").exists())
        second = cli("sweep", str(exp), "--out", str(out), "--workers", "1")
        assert second.returncode == 4
        line = one_line(second.stderr)
        assert f"is in use by another sweep (pid {first.pid} on " in line and str(exp) in line
        # The refused sweep touched nothing: the first one finishes normally.
        gate.touch()
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
    assert_identical(out, reference)


def test_two_sweeps_started_together_exactly_one_runs(exp, tmp_path, reference):
    out, gate = tmp_path / "out", tmp_path / "gate"
    env = {"WARNSIM_TEST_GATE": str(gate)}
    procs = [python(GATED, str(exp), str(out), "1", env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        loser = None
        while loser is None:  # the loser stops at once, while the winner waits at the gate
            loser = next((p for p in procs if p.poll() is not None), None)
            time.sleep(0.01)
        assert "FolderInUse" in loser.stderr.read()
        gate.touch()
        winner = next(p for p in procs if p is not loser)
        assert winner.wait(timeout=60) == 0
    finally:
        for p in procs:
            p.kill()
    assert_identical(out, reference)


def test_lock_of_a_killed_sweep_is_stale_and_taken_over(exp, tmp_path, reference):
    out, gate = tmp_path / "out", tmp_path / "gate"
    holder = python(GATED, str(exp), str(out), "2", env={"WARNSIM_TEST_GATE": str(gate)})
    wait_for(lambda: gate.with_suffix(".running").exists())
    holder.kill()
    holder.wait()
    assert (out / LOCK).exists()  # left behind, but no process holds it any more
    sweep(exp, out)
    assert_identical(out, reference)


def test_lock_in_process_and_released(exp, tmp_path):
    from sim.sweep.lock import FolderLock

    out = tmp_path / "new" / "deeper"
    with FolderLock(out, "mine") as lock:
        # Read through the lock's own descriptor: closing any other descriptor of the file
        # in this process would drop the (POSIX, per-process) lock.
        assert lock.fd is not None
        info = json.loads(os.pread(lock.fd, 4096, 0))
        assert info["pid"] == os.getpid() and info["experiment"] == "mine"
        with pytest.raises(FolderInUse, match="in use by another sweep in this process"):
            FolderLock(out, "other").acquire()
        assert lock.fd is not None
        # From another process the holder is named.
        code = ("import sys; from pathlib import Path; from sim.sweep.lock import FolderLock; "
                "FolderLock(Path(sys.argv[1]), 'other').acquire()")
        other = python(code, str(out), stderr=subprocess.PIPE, text=True)
        assert other.wait(timeout=60) == 1
        assert f"is in use by another sweep (pid {os.getpid()} on " in other.stderr.read()
    assert not (tmp_path / "new").exists()  # made for the lock, empty again: removed


# --- 2. paths: the working directory and how a path is typed change nothing -----------------


def test_results_and_resume_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    from importlib import resources

    project = tmp_path / "project"
    (project / "exps").mkdir(parents=True)
    scenario = (resources.files("sim") / "data" / "scenarios" / "default.toml").read_text()
    (project / "exps" / "mine.toml").write_text(scenario)
    (project / "exps" / "pts.csv").write_text("rivalry\n0.2\n0.8\n")
    text = EXPERIMENT.split("[grid]")[0].replace("days = 3", 'scenario = "./mine.toml"\ndays = 3')
    (project / "exps" / "exp.toml").write_text(text + 'design = "pts.csv"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    monkeypatch.chdir(project)
    whole = run_experiment("exps/exp.toml", out=tmp_path / "whole", workers=1, progress=False,
                           run_fn=fake)
    assert whole.ok
    # Started from the project with a relative path, stopped by Ctrl-C after 3 runs...
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_experiment("exps/exp.toml", out=out, workers=1, progress=False, chunk_size=1,
                       run_fn=sigint_after(3))
    # ... resumed from another directory with the absolute path: not "a different experiment".
    monkeypatch.chdir(elsewhere)
    resumed = run_experiment(project / "exps" / "exp.toml", out=out, workers=1,
                             progress=False, run_fn=fake)
    assert resumed.skipped == 2 and resumed.ran == 6
    assert_identical(out, tmp_path / "whole")
    runs = read_runs(out)
    assert set(runs["scenario"]) == {"mine.toml"}  # as written, normalised
    manifest = read_manifest(out)
    assert manifest["design"]["file"] == "pts.csv"
    assert manifest["experiment_file"] == str(project / "exps" / "exp.toml")
    # And again through `..`: the finished folder is recognised, nothing is run.
    monkeypatch.chdir(project / "exps")
    again = run_experiment("../exps/exp.toml", out=out, workers=1, progress=False, run_fn=fake)
    assert (again.ran, again.skipped) == (0, 8)


# --- 3. damaged working storage and clean-up ----------------------------------------------------


def stop_after(exp: Path, out: Path, runs: int) -> None:
    """A sweep stopped by Ctrl-C in its ``runs``-th run (one run per part)."""
    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, out=out, workers=1, progress=False, chunk_size=1,
                       run_fn=sigint_after(runs))


def parts(out: Path) -> list[Path]:
    return sorted((out / ".sweep" / "parts").iterdir())


def test_half_deleted_part_is_discarded_and_its_runs_run_again(exp, tmp_path, reference,
                                                               capsys):
    out = tmp_path / "out"
    stop_after(exp, out, 6)
    kept = parts(out)
    assert len(kept) == 5
    (kept[2] / "warnings.arrow").unlink()  # as a kill in the middle of deleting a part leaves it
    (kept[3] / "runs.arrow").write_bytes((kept[3] / "runs.arrow").read_bytes()[:200])
    summary = sweep(exp, out)
    assert (summary.skipped, summary.ran) == (3, 21)
    err = capsys.readouterr().err
    assert f"discarded part {kept[2].name} (warnings.arrow missing)" in err
    assert f"discarded part {kept[3].name} (unreadable" in err
    assert_identical(out, reference)


@pytest.mark.parametrize("damage", ["state.json", "parts-of-another-size", "garbage"])
def test_other_damage_to_working_storage_is_repaired(exp, tmp_path, reference, damage):
    out = tmp_path / "out"
    stop_after(exp, out, 4)
    work = out / ".sweep"
    if damage == "state.json":
        (work / "state.json").write_text("{not json")
    elif damage == "parts-of-another-size":  # a part whose runs do not match its name
        first = parts(out)[0]
        first.rename(first.with_name("part-0000000001-abcd"))
    else:
        (work / "parts" / "part-junk").mkdir()
        (work / "parts" / "stray.txt").write_text("x")
    sweep(exp, out)
    assert_identical(out, reference)


def test_kill_during_clean_up_leaves_a_resumable_folder(exp, tmp_path, reference):
    """Planted: the manifest written and the working storage renamed to trash, half deleted
    (what a SIGKILL in the last step leaves); or not yet renamed."""
    out = tmp_path / "out"
    sweep(exp, out)
    stop_after(exp, tmp_path / "copy", 3)
    trash = out / ".trash-0123456789ab"
    shutil.copytree(tmp_path / "copy" / ".sweep", trash)
    (sorted((trash / "parts").iterdir())[0] / "warnings.arrow").unlink()
    summary = sweep(exp, out)
    assert summary.ran == 0 and not trash.exists()
    assert_identical(out, reference)


# --- 4. killed parents: workers die with them, readers get end-of-file ------------------------


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]) != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_parent_sigkill_takes_its_workers_and_the_reader_gets_eof(exp, tmp_path):
    out, gate = tmp_path / "out", tmp_path / "gate"
    parent = python(GATED, str(exp), str(out), "2", env={"WARNSIM_TEST_GATE": str(gate)},
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: gate.with_suffix(".running").exists() and len(children(parent.pid)) >= 2)
    workers = children(parent.pid)
    parent.send_signal(signal.SIGKILL)  # the parent alone, not its process group
    parent.communicate(timeout=5)  # end-of-file on both pipes: nobody holds them any more
    wait_for(lambda: not any(alive(w) for w in workers), seconds=5)


SIGTERM_SWEEP = """\
name = "term"
days = 365
replications = 60
seed = 1
record_warnings = false
[grid]
rivalry = [0.2, 0.8]
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_like_ctrl_c_one_line_exit_143_and_resumes(tmp_path):
    exp, out = tmp_path / "term.toml", tmp_path / "out"
    exp.write_text(SIGTERM_SWEEP)
    proc = subprocess.Popen([sys.executable, "-B", "-m", "sim", "sweep", str(exp), "--out",
                             str(out), "--workers", "2", "--quiet"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts_dir = out / ".sweep" / "parts"
    wait_for(lambda: parts_dir.exists() and any(p.name.startswith("part-")
                                                  for p in parts_dir.iterdir()))
    workers = children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert one_line(err) == ("warnsim: stopped by SIGTERM; finished runs are kept: run the "
                             "same command to resume")  # and no "leaked semaphore" warning
    wait_for(lambda: not any(alive(w) for w in workers), seconds=5)
    assert not (out / "runs.parquet").exists() and not (out / LOCK).exists()
    summary = run_experiment(exp, out=out, workers=1, progress=False)
    assert summary.skipped > 0 and summary.ok
    assert list(read_runs(out)["run_id"]) == list(range(120))


# --- 5. total size: oversized designs refused before anything is built -------------------------

OVERSIZED = {
    "replications x points": ("replications = 1000000\n[grid]\n"
                              "rivalry = { start = 0, stop = 1, num = 1000 }\n",
                              "1,000 design points x 1,000,000 replications = 1,000,000,000 runs"),
    "three wide axes": ("[grid]\nrivalry = { start = 0, stop = 1, num = 100000 }\n"
                        "rival_threshold = { start = 0, stop = 1, num = 100000 }\n"
                        "sanitisation = { start = 0, stop = 1, num = 3 }\n",
                        "30,000,000,000 design points; allowed: at most 1,000,000"),
    "lhs n": ('[sample]\nmethod = "lhs"\nn = 10000000\n[sample.ranges]\nrivalry = [0, 1]\n',
              "10,000,000 design points"),
    "run-days": ("days = 100000\nreplications = 1000000\n[grid]\nrivalry = [0.1, 0.2]\n",
                 "x 100,000 days = 200,000,000,000 run-days; allowed: at most 100,000,000,000"),
    "series rows": ("days = 1000\nreplications = 1000000\nrecord_series = true\n[grid]\n"
                    "rivalry = [0.1, 0.2]\n", "2,000,000,000 rows of timeseries.parquet"),
    "design csv rows": ('design = "big.csv"\n', "more than 1,000,000 rows"),
}

SIZE_CHILD = """
import resource, sys
from pathlib import Path
import sim.model, sim.sweep.api, pandas, scipy.stats.qmc  # everything a sweep imports
from sim.cli import main
from sim.sweep.limits import _status_kb
# Room for 300 MB more than the imports take: building a billion tasks, or a million task
# objects, would fail with MemoryError instead of the one-line refusal expected.
vm = _status_kb("VmSize") * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + 300 * 2**20, resource.RLIM_INFINITY))
for path in sys.argv[2:]:
    status = main(["sweep", path, "--out", sys.argv[1] + "/" + Path(path).stem,
                   "--workers", "1", *(["--dry-run"] if "dry" in path else [])])
    print("STATUS", status, flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_oversized_designs_refused_before_anything_is_built_or_written(tmp_path):
    rows = "rivalry\n" + "".join(f"{i / 2_000_000}\n" for i in range(1_000_001))
    (tmp_path / "big.csv").write_text(rows)
    paths = []
    for i, (text, _) in enumerate(OVERSIZED.values()):
        for mode in ("run", "dry"):
            path = tmp_path / f"e{i}-{mode}.toml"
            path.write_text(text)
            paths.append(path)
    child = python(SIZE_CHILD, str(tmp_path / "out"), *map(str, paths),
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                   preexec_fn=lambda: __import__("resource").setrlimit(
                       __import__("resource").RLIMIT_CPU, (120, 120)))
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert out.split() == ["STATUS", "2"] * len(paths)
    lines = err.strip().splitlines()
    assert len(lines) == len(paths) and "Traceback" not in err
    expected = [(case, piece) for case, (_, piece) in OVERSIZED.items() for _ in ("run", "dry")]
    for line, path, (case, piece) in zip(lines, paths, expected, strict=True):
        where = str(tmp_path / "big.csv") if case == "design csv rows" else str(path)
        assert line.startswith(f"warnsim: error: {where}") and "design too large" in line, line
        assert piece in line, (piece, line)
    assert not (tmp_path / "out").exists()


def test_design_beyond_this_machines_memory_is_refused(tmp_path):
    from sim.params import PARAMETERS

    numeric = [p for p in PARAMETERS.values() if p.is_numeric and p.kind is float][:20]
    ranges = "".join(f"{p.name} = [{p.low}, {p.high}]\n" for p in numeric)
    path = tmp_path / "wide.toml"
    path.write_text(f'[sample]\nmethod = "lhs"\nn = 1000000\n[sample.ranges]\n{ranges}')
    code = ("import resource, sys; from sim.cli import main; "
            "from sim.sweep.limits import _status_kb; "
            "resource.setrlimit(resource.RLIMIT_AS, "
            "(_status_kb('VmSize') * 1024 + 400 * 2**20, resource.RLIM_INFINITY)); "
            "sys.exit(main(['sweep', sys.argv[1], '--dry-run']))")
    child = python(code, str(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 2
    line = one_line(err)
    assert "design too large for this machine: about 610 MB to hold 1,000,000 design points " \
           "of 20 parameters" in line and "available here" in line, line


LAZY_CHILD = """
import os, resource, signal, sys
import sim.model, sim.sweep.api, pandas
from sim.sweep import run_experiment, estimate, load_experiment
from sim.sweep.limits import _status_kb
from tests.fake_runs import sigint_after
resource.setrlimit(resource.RLIMIT_AS, (_status_kb("VmSize") * 1024 + 300 * 2**20,
                                        resource.RLIM_INFINITY))
exp = load_experiment(sys.argv[1])
print(estimate(exp, out=sys.argv[2], workers=1).text().splitlines()[1], flush=True)
try:
    run_experiment(exp, out=sys.argv[2], workers=1, progress=False, run_fn=sigint_after(200))
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def test_large_allowed_design_runs_without_holding_its_tasks(tmp_path):
    """10**8 runs (the limit): the dry run and the sweep itself start within 300 MB above
    their imports, which a list of 10**8 tasks, or a set of their run ids, would not."""
    path = tmp_path / "huge.toml"
    path.write_text("days = 5\nreplications = 100000\n[grid]\n"
                    "rivalry = { start = 0, stop = 1, num = 1000 }\n")
    out = tmp_path / "out"
    child = python(LAZY_CHILD, str(path), str(out), stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True)
    stdout, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert stdout.splitlines() == [
        "1000 design points x 100000 replications = 100000000 runs of 5 days (default scenario)",
        "stopped"]
    assert len(list((out / ".sweep" / "parts").iterdir())) == 3  # 199 runs, 64 a chunk


# --- 6. analyze on a sweep in which every run failed ------------------------------------------


def always_failing(spec):
    raise RuntimeError("no model today")


def test_analyze_and_plot_when_every_run_failed_say_so_in_one_line(exp, tmp_path, capsys):
    out = tmp_path / "out"
    assert sweep(exp, out, run_fn=always_failing).failed == 24
    for command in ("analyze", "plot"):
        assert main([command, str(out)]) == 2
        line = one_line(capsys.readouterr().err)
        assert line == (f"warnsim: error: {out / 'runs.parquet'}: every run failed (24 runs; "
                        "first error: RuntimeError: no model today); nothing to analyse: fix "
                        "the cause, then `warnsim sweep FILE --retry-failed`")


def test_analyze_hand_edited_manifest_with_bad_ranges_is_one_line(tmp_path, capsys):
    path = tmp_path / "lhs.toml"
    path.write_text('days = 3\nseed = 1\n[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\n'
                    "rivalry = [0.2, 0.8]\n")
    out = tmp_path / "out"
    sweep(path, out)
    manifest = json.loads((out / "manifest.json").read_text())
    for bad in ({"rivalry": ["low", "high"]}, {"rivalry": [0.2]}, ["rivalry"]):
        manifest["design"]["ranges"] = bad
        (out / "manifest.json").write_text(json.dumps(manifest))
        assert main(["analyze", str(out)]) == 2
        line = one_line(capsys.readouterr().err)
        assert line.startswith(f"warnsim: error: {out / 'manifest.json'}: design ranges ")
        assert "allowed: {name: [low, high]} with numbers" in line
