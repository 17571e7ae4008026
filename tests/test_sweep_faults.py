"""Sweeps against what real users and machines do: two sweeps into one folder,
other working directories, damaged state, killed parents and workers, oversized designs,
full and read-only disks, bad input that used to give tracebacks.

Real processes wherever processes are the point (locks, kills, orphans, exit statuses); the
fake run functions of :mod:`tests.fake_runs` wherever the model itself is not under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.errors import FolderInUse, UserError
from sim.schema import WARNING_FIELDS
from sim.sweep import load_experiment, read_manifest, read_runs, run_experiment
from sim.sweep.lock import LOCK
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
    kw.setdefault("progress", False)
    return run_experiment(exp, out=out, run_fn=run_fn, **kw)


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
    text = EXPERIMENT.split("[grid]", maxsplit=1)[0].replace("days = 3", 'scenario = "./mine.toml"\ndays = 3')
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


def parts(out: Path) -> list[str]:
    """The committed parts' names (``part-<first run>-<token>``, one runs file each)."""
    return sorted(p.name.removesuffix(".runs.arrow")
                  for p in (out / ".sweep" / "parts").glob("part-*.runs.arrow"))


def test_half_deleted_part_is_discarded_and_its_runs_run_again(exp, tmp_path, reference,
                                                               capsys):
    out = tmp_path / "out"
    stop_after(exp, out, 6)
    kept = parts(out)
    assert len(kept) == 5
    where = out / ".sweep" / "parts"
    (where / f"{kept[2]}.warnings.arrow").unlink()  # a part with one of its two log files
    runs = where / f"{kept[3]}.runs.arrow"
    runs.write_bytes(runs.read_bytes()[:200])  # a truncated file
    summary = sweep(exp, out)
    assert (summary.skipped, summary.ran) == (3, 21)
    err = capsys.readouterr().err
    assert f"discarded part {kept[2]} (warnings.arrow missing)" in err
    assert f"discarded part {kept[3]} (damaged: its runs file does not match its checksum" in err
    assert_identical(out, reference)


@pytest.mark.parametrize("damage", ["state.json", "parts-of-another-size", "garbage",
                                    "overlapping parts", "wrong kinds"])
def test_other_damage_to_working_storage_is_repaired(exp, tmp_path, reference, damage):
    out = tmp_path / "out"
    stop_after(exp, out, 4)
    work = out / ".sweep"
    if damage == "overlapping parts":  # what two sweeps writing into one folder used to leave
        first = parts(out)[0]
        for file in (work / "parts").glob(f"{first}.*"):
            shutil.copy(file, file.with_name(file.name.replace(first, "part-0000000000-ffff")))
    elif damage == "state.json":
        (work / "state.json").write_text("{not json")
    elif damage == "wrong kinds":  # parts a file, state.json a folder
        shutil.rmtree(work)
        work.mkdir()
        (work / "parts").write_text("x")
        (work / "state.json").mkdir()
    elif damage == "parts-of-another-size":  # a part whose runs do not match its name
        first = parts(out)[0]
        for file in (work / "parts").glob(f"{first}.*"):
            file.rename(file.with_name(file.name.replace(first, "part-0000000001-abcd")))
    else:
        (work / "parts" / "part-junk").mkdir()
        (work / "parts" / "stray.txt").write_text("x")
        (work / "parts" / "part-0000000009-ab.warnings.arrow").write_text("uncommitted")
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
    next((trash / "parts").glob("*.warnings.arrow")).unlink()
    summary = sweep(exp, out)
    assert summary.ran == 0 and not trash.exists()
    assert_identical(out, reference)


def test_finished_folder_with_failures_and_leftovers_still_counts_them(exp, tmp_path, capsys,
                                                                      monkeypatch):
    out = tmp_path / "out"
    failed = sweep(exp, out, run_fn=failing_odd_replications).failed
    (out / ".trash-0123456789ab").mkdir()  # what a kill during the last deletion leaves
    monkeypatch.setattr("sim.run.simulate", fake)
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 1
    assert f"{failed} FAILED" in capsys.readouterr().err
    assert not (out / ".trash-0123456789ab").exists()


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
days = 3000
replications = 40
seed = 1
record_warnings = false
[grid]
rivalry = [0.2, 0.8]
"""
"""80 runs of about 25 ms: the first part is written long before the last."""


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
    assert list(read_runs(out)["run_id"]) == list(range(80))


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
    assert len(parts(out)) == 3  # 199 runs, 64 a chunk


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


# --- 7. one line and the documented exit status where tracebacks were ---------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_worker_stops_the_sweep_in_one_line_exit_3(tmp_path):
    exp = tmp_path / "long.toml"
    exp.write_text("days = 50000\nreplications = 2\nrecord_warnings = false\n[grid]\n"
                   "rivalry = [0.2, 0.8]\n")  # runs of about a second each
    proc = subprocess.Popen([sys.executable, "-B", "-m", "sim", "sweep", str(exp), "--out",
                             str(tmp_path / "out"), "--workers", "2", "--quiet"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(children(proc.pid)) >= 2)
    victim = children(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)  # as the out-of-memory killer does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert one_line(err) == (
        "warnsim: error: a worker process died (killed by a signal: the out-of-memory killer? "
        "see `dmesg`); finished runs are kept: run the same command to resume")
    assert not any(alive(w) for w in children(proc.pid))


def test_file_too_large_stops_the_sweep_in_one_line_then_resumes(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG), as a quota would."""
    import resource

    exp = tmp_path / "logs.toml"
    exp.write_text("days = 365\nreplications = 16\n[grid]\nrivalry = [0.2, 0.8]\n")
    out = tmp_path / "out"
    limit = 20_000  # the warning log of 16 one-year runs is about 30 kB a design point

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = cli("sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet",
               preexec_fn=small_files)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert line.startswith(f"warnsim: error: cannot write in {out} ")
    assert "(File too large); finished runs are kept: fix the cause and run the same command " \
           "to resume" in line
    assert run_experiment(exp, out=out, workers=1, progress=False).ok
    run_experiment(exp, out=tmp_path / "whole", workers=1, progress=False)
    for name in ("runs.parquet", "warnings.parquet"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


NAMESPACE_STEPS = """
import contextlib, io, json, shutil, subprocess, sys
from sim.cli import main
mnt, exp, keep = sys.argv[1:4]
sweep = ["sweep", exp, "--out", f"{mnt}/out", "--workers", "1", "--quiet"]
def mount(*options):
    subprocess.run(["mount", *options, mnt], check=True)
def step(name, argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    print(json.dumps([name, status, err.getvalue()]), flush=True)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]).returncode:
    sys.exit(99)
step("full", sweep)
mount("-o", "remount,ro")
step("resume-read-only", sweep)
mount("-o", "remount,rw,size=64m")
step("resume", sweep)
for name in ("runs.parquet", "warnings.parquet"):
    shutil.copy(f"{mnt}/out/{name}", keep)
mount("-o", "remount,ro")
step("done-read-only", sweep)
step("force-read-only", [*sweep, "--force"])
step("log-read-only", ["run", "--days", "5", "--log", f"{mnt}/log.csv"])
step("template-read-only", ["scenarios", "--template", f"{mnt}/scenario.toml"])
import os
os.chdir(mnt)
step("init-read-only", ["init", "study"])
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_full_and_read_only_file_systems(tmp_path):
    """A 64 kB tmpfs (ENOSPC), then read-only (EROFS), mounted in a private user and mount
    namespace: real kernel errors without root on the host."""
    probe = subprocess.run(["unshare", "-r", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces not available here: {probe.stderr.decode().strip()}")
    exp = tmp_path / "logs.toml"
    exp.write_text("days = 100\nreplications = 16\n[grid]\nrivalry = [0.2, 0.8]\n")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(["unshare", "-r", "-m", sys.executable, "-B", "-c", NAMESPACE_STEPS,
                           str(mnt), str(exp), str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, check=False)
    if done.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    steps = {name: (status, err) for name, status, err in map(json.loads,
                                                                done.stdout.splitlines())}
    assert {name: status for name, (status, _) in steps.items()} == {
        "full": 3, "resume-read-only": 3, "resume": 0, "done-read-only": 0,
        "force-read-only": 3, "log-read-only": 3, "template-read-only": 3,
        "init-read-only": 3}
    assert "(No space left on device); finished runs are kept" in one_line(steps["full"][1])
    for name in ("resume-read-only", "force-read-only"):
        assert one_line(steps[name][1]) == (
            f"warnsim: error: {mnt / 'out' / LOCK}: cannot create the lock file (Read-only "
            "file system)")
    assert steps["done-read-only"][1] == ""
    assert one_line(steps["log-read-only"][1]) == (
        f"warnsim: error: cannot write {mnt / 'log.csv'} (Read-only file system)")
    assert one_line(steps["template-read-only"][1]) == (
        f"warnsim: error: --template: cannot write {mnt / 'scenario.toml'} (Read-only file "
        "system)")
    assert one_line(steps["init-read-only"][1]).endswith("(Read-only file system)")
    run_experiment(exp, out=tmp_path / "whole", workers=1, progress=False)
    for name in ("runs.parquet", "warnings.parquet"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_over_long_output_path_is_one_line(exp, tmp_path, capsys):
    out = tmp_path / ("x" * 300) / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"warnsim: error: {exp}: the output folder path is too long ({len(str(out))} "
        "characters); allowed: a path the file system accepts")


def test_closed_output_pipe_exits_141_silently():
    proc = subprocess.Popen([sys.executable, "-B", "-m", "sim", "params"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written: `| head -0`
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == b""


def test_sweep_with_stderr_closed_runs_and_exits_0(tmp_path):
    exp = tmp_path / "tiny.toml"
    exp.write_text("days = 5\nreplications = 2\n[grid]\nrivalry = [0.2, 0.8]\n")
    out = tmp_path / "out"
    done = subprocess.run(["bash", "-c", '"$0" -B -m sim sweep "$1" --out "$2" --workers 1 '
                           "2>&-", sys.executable, str(exp), str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout == ""
    assert len(read_runs(out)) == 4 and not (out / ".sweep").exists()


def test_reader_of_the_progress_going_away_does_not_stop_the_sweep(tmp_path):
    """`warnsim sweep ... 2>&1 | head -1`: progress lines hit a closed pipe (EPIPE)."""
    exp = tmp_path / "tiny.toml"
    exp.write_text("days = 5\nreplications = 20\n[grid]\nrivalry = [0.2, 0.8]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-B", "-m", "sim", "sweep", str(exp), "--out",
                             str(out), "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141  # the summary line finds the pipe closed too
    assert len(read_runs(out)) == 40 and not (out / ".sweep").exists()


def test_case_file_with_a_huge_field_is_one_line(tmp_path, capsys):
    path = tmp_path / "cases.csv"
    path.write_text("case,sender,recipient,rivalry,details,channel,response\n"
                    + "x" * 200_000 + ",A,B,0.5,1,private,heeded\n")
    assert main(["cases", str(path)]) == 2  # csv's own limit is 131,072 characters
    assert one_line(capsys.readouterr().err).startswith(f"warnsim: error: {path}")


@pytest.mark.parametrize("raised", [SystemExit(3), KeyboardInterrupt("from the run itself")])
def test_run_function_raising_systemexit_or_keyboardinterrupt_is_a_failed_run(exp, tmp_path,
                                                                             raised):
    def run(spec):
        if spec.seed % 2 == 0:
            raise raised
        return fake(spec)

    summary = sweep(exp, tmp_path / "out", run_fn=run)
    runs = read_runs(tmp_path / "out")
    failed = runs[runs["status"] == "failed"]
    assert summary.failed == len(failed) == (runs["seed"] % 2 == 0).sum() > 0
    assert set(failed["error"]) == {f"{type(raised).__name__}: {raised}"}


# --- 8. damage that used to go unnoticed ------------------------------------------------------


@pytest.mark.parametrize("damage", ["delete warnings", "truncate runs", "replace runs"])
def test_damaged_finished_folder_is_reported_with_the_fix(exp, tmp_path, capsys, damage):
    out = tmp_path / "out"
    sweep(exp, out)
    if damage == "delete warnings":
        (out / "warnings.parquet").unlink()
        problem = "warnings.parquet is missing"
    elif damage == "truncate runs":
        (out / "runs.parquet").write_bytes((out / "runs.parquet").read_bytes()[:-100])
        problem = "runs.parquet is not a readable Parquet file"
    else:  # a readable file, but not the one the sweep wrote
        pq.write_table(pq.read_table(out / "runs.parquet").slice(0, 23), out / "runs.parquet")
        problem = "runs.parquet has 23 rows, the manifest records 24"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"warnsim: error: {out}: {problem}; the sweep's working files are gone, so it cannot "
        f"be rebuilt: run `warnsim sweep {exp} --out {out} --force` to run its 24 runs again")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert main(["sweep", str(exp), "--out", str(out), "--dry-run"]) == 0
    assert f"note: the sweep would be refused: {out}: {problem}" in capsys.readouterr().out


def test_deleted_manifest_is_reported_and_force_starts_over(exp, tmp_path, capsys, reference):
    out = tmp_path / "out"
    sweep(exp, out)
    (out / "manifest.json").unlink()
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"warnsim: error: {out}: manifest.json is missing or unreadable, so the results there "
        f"cannot be verified; run `warnsim sweep {exp} --out {out} --force` to run the sweep "
        "again")
    sweep(exp, out, force=True)  # the files vouch for themselves (metadata): not refused
    assert_identical(out, reference)


def test_out_inside_a_regular_file_is_one_line(exp, tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    out = tmp_path / "file" / "sub"
    for force in ((), ("--force",)):
        assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", *force]) == 2
        assert one_line(capsys.readouterr().err) == (
            f"warnsim: error: {exp}: the output folder {str(out)!r} is inside "
            f"{str(tmp_path / 'file')!r}, which is a file; allowed: a folder path")
    assert (tmp_path / "file").read_text() == "mine"


def test_empty_working_folder_does_not_make_a_users_files_a_sweeps(exp, tmp_path, capsys):
    out = tmp_path / "mine"
    (out / ".sweep").mkdir(parents=True)
    pq.write_table(pq.read_table(sweep_to(exp, tmp_path / "x") / "runs.parquet")
                   .replace_schema_metadata(None), out / "runs.parquet")  # the user's own file
    before = (out / "runs.parquet").read_bytes()
    for force in ((), ("--force",)):
        assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", *force]) == 2
        line = one_line(capsys.readouterr().err)
        assert "is not empty (runs.parquet) and holds no warnsim sweep results" in line
    assert (out / "runs.parquet").read_bytes() == before


def sweep_to(exp: Path, out: Path) -> Path:
    sweep(exp, out)
    return out


STOPPED_CHILD = """
import sys
from pathlib import Path
from sim.errors import SweepStopped
from sim.sweep import SweepOptions, load_experiment
from sim.sweep.engine import run_experiment
from sim.sweep.executors import ExecutorSpec
from tests.fake_runs import gated
options = SweepOptions(out_dir=Path(sys.argv[2]), executor=ExecutorSpec.choose(2),
                       progress=False, run_fn=gated, stall_seconds=1.0, chunk_size=1)
try:
    run_experiment(load_experiment(sys.argv[1]), options)
except SweepStopped as exc:
    print(exc, file=sys.stderr)
    sys.exit(exc.exit_status)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_stopped_worker_stops_the_sweep_instead_of_waiting_forever(exp, tmp_path):
    out, gate = tmp_path / "out", tmp_path / "gate"
    proc = python(STOPPED_CHILD, str(exp), str(out), env={"WARNSIM_TEST_GATE": str(gate)},
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: gate.with_suffix(".running").exists() and len(children(proc.pid)) >= 2)
    victim, other = children(proc.pid)[:2]
    os.kill(victim, signal.SIGSTOP)
    gate.touch()  # every other run finishes; the stopped worker's chunk never does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3
    lines = err.strip().splitlines()
    assert lines == [
        f"warnsim: note: worker process {victim} is stopped; `kill -CONT {victim}` lets it go "
        "on, else the sweep stops in 1 s keeping what finished",
        f"worker process {victim} has been stopped (SIGSTOP or a debugger) for 1 s; finished "
        "runs are kept: run the same command to resume"]
    wait_for(lambda: not alive(victim) and not alive(other), seconds=5)
    assert not (out / LOCK).exists()
    summary = sweep(exp, out)
    assert summary.skipped > 0 and summary.ok


# --- 9. retrying failed runs; decisions on the experiment file; typed empty logs ---------------


def test_retry_failed_in_a_finished_folder_gives_the_clean_result(exp, tmp_path, reference):
    out = tmp_path / "out"
    first = sweep(exp, out, run_fn=failing_odd_replications)
    assert 0 < first.failed < 24
    again = sweep(exp, out)  # without --retry-failed a finished folder stays as it is
    assert (again.ran, again.failed) == (0, first.failed)
    retried = sweep(exp, out, retry_failed=True)
    assert (retried.ran, retried.skipped, retried.failed) == (first.failed, 24 - first.failed, 0)
    assert_identical(out, reference)


def test_retry_failed_while_resuming(exp, tmp_path, reference, monkeypatch):
    out = tmp_path / "out"
    calls = [0]

    def fail_then_stop(spec):  # odd seeds fail; Ctrl-C in the 15th run
        calls[0] += 1
        if calls[0] == 15:
            os.kill(os.getpid(), signal.SIGINT)
        return failing_odd_replications(spec)

    with pytest.raises(KeyboardInterrupt):
        run_experiment(exp, out=out, workers=1, progress=False, chunk_size=5,
                       run_fn=fail_then_stop)
    # From the command line, as a user retries once the cause is fixed.
    monkeypatch.setattr("sim.run.simulate", fake)
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet",
                 "--retry-failed"]) == 0
    assert_identical(out, reference)


def test_no_warnings_at_all_writes_the_declared_columns(exp, tmp_path):
    out = tmp_path / "out"
    sweep(exp, out, run_fn=quiet)
    table = pq.read_table(out / "warnings.parquet")
    assert table.num_rows == 0
    types = {"int64": "int64", "float64": "double", "bool": "bool", "string": "string"}
    assert [(f.name, str(f.type)) for f in table.schema] == [
        ("run_id", "int64"), *((c.name, types[c.dtype.value]) for c in WARNING_FIELDS)]


def test_integer_valued_floats_are_their_integers_and_others_refused(tmp_path):
    text = EXPERIMENT.replace("days = 3", "days = 3.0").replace("replications = 4",
                                                                 "replications = 4e0")
    (tmp_path / "float.toml").write_text(text)
    (tmp_path / "int.toml").write_text(EXPERIMENT)
    as_float, as_int = (load_experiment(tmp_path / f) for f in ("float.toml", "int.toml"))
    assert (as_float.days, as_float.replications) == (3, 4)
    assert type(as_float.days) is int and as_float.describe() == as_int.describe()
    for bad, allowed in (("days = 3.5", "days: got 3.5"), ("seed = 1e16", "seed: got 1e+16")):
        (tmp_path / "bad.toml").write_text(EXPERIMENT.replace("seed = 5", "seed = 5")
                                           .replace("days = 3", bad) if "days" in bad
                                           else EXPERIMENT.replace("seed = 5", bad))
        with pytest.raises(UserError, match=re.escape(allowed)):
            load_experiment(tmp_path / "bad.toml")


@pytest.mark.parametrize("argv, message", [
    (["run", "--seed", "\uff15"], "is not an integer (ASCII digits)"),
    (["run", "--days", "\uff13\uff10"], "is not an integer (ASCII digits)"),
    (["run", "--set", "rivalry=\uff10.\uff15"], "allowed: ASCII characters only"),
    (["cases", "--set", "face_cost=\uff11"], "allowed: ASCII characters only"),
])
def test_full_width_digits_are_not_numbers_on_the_command_line(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert message in one_line(capsys.readouterr().err)


def test_progress_on_a_non_terminal_is_a_line_every_five_percent(exp, tmp_path, capsys):
    sweep(exp, tmp_path / "out", progress=True, chunk_size=1)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    # 24 runs one at a time, a line whenever a new 5 % step is reached (7/24 = 29 % is not).
    assert [line.split(",")[0] for line in lines] == [
        f"faults: {n}/24 runs ({100 * n // 24}%)" for n in
        (2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24)]
    assert all(line.endswith(" left") and " runs/s, " in line for line in lines)


def test_progress_on_a_terminal_is_a_bar(tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    exp = tmp_path / "tiny.toml"
    exp.write_text("days = 5\nreplications = 2\n[grid]\nrivalry = [0.2, 0.8]\n")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns
    proc = subprocess.Popen([sys.executable, "-B", "-m", "sim", "sweep", str(exp), "--out",
                             str(tmp_path / "out"), "--workers", "1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    assert b"\r" in seen and b"4/4" in seen and b"run/s" in seen


# --- the fault-injection test: SIGKILL at 10 seeded moments, each resume byte-identical ------

KILLED_SWEEPS = """
import multiprocessing, os, signal, sys
import pyarrow.compute, pyarrow.parquet, tqdm  # imported once here, not in every sweep
from sim.sweep import run_experiment
from tests.fake_runs import fake

def sweep(out, workers, kill_at):
    # Every step that changes the folder (Python's audit events for them), in the sweep's
    # process or its workers (which write their parts), counted as it starts in a counter they
    # share; SIGKILL to the sweep's process (and the counting process) before step kill_at
    # (0: never). Between two such steps only temporary files grow, so these are all the
    # states a kill can leave. Printed at the end: the number of steps, the step that renames
    # the first final file into place (the merge is under way) and the one that moves the
    # working storage out (clean-up begins).
    count = multiprocessing.get_context("fork").Value("l", 0)
    merge, cleanup, me = 0, 0, os.getpid()
    def hook(event, args):
        nonlocal merge, cleanup
        if event in ("os.mkdir", "os.rename", "os.remove", "os.rmdir", "shutil.rmtree") or (
                event == "open" and isinstance(args[1], str) and "w" in args[1]):
            with count.get_lock():
                count.value += 1
                step = count.value
            if os.getpid() == me and event == "os.rename":
                if str(args[1]).endswith(".parquet") and not merge:
                    merge = step
                if str(args[0]).endswith(".sweep"):
                    cleanup = step
            if step == kill_at:
                os.kill(me, signal.SIGKILL)
                os.kill(os.getpid(), signal.SIGKILL)
    sys.addaudithook(hook)
    run_experiment(sys.argv[1], out=out, workers=workers, progress=False, run_fn=fake,
                   chunk_size=3)
    print(count.value, merge, cleanup, flush=True)

# One sweep per line of stdin, each in a process forked from this one (imports done once).
for line in sys.stdin:
    out, workers, kill_at = line.split()
    pid = os.fork()
    if pid == 0:
        sweep(out, int(workers), int(kill_at))
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("status", os.waitstatus_to_exitcode(status), flush=True)
"""


def test_sigkill_at_ten_seeded_moments_then_resume_is_byte_identical(exp, tmp_path, reference):
    import random

    sweeps = python(KILLED_SWEEPS, str(exp), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    text=True)

    def killed(out: Path, workers: int, kill_at: int) -> list[list[str]]:
        assert sweeps.stdin is not None and sweeps.stdout is not None
        sweeps.stdin.write(f"{out} {workers} {kill_at}\n")
        sweeps.stdin.flush()
        lines = [sweeps.stdout.readline().split()]
        while lines[-1][0] != "status":
            lines.append(sweeps.stdout.readline().split())
        return lines

    try:
        rng = random.Random(11)
        # Six moments while runs are done and their parts written, two in the final merge
        # (final files and manifest), two in the clean-up; four of the ten with a pool of two
        # workers, which write their own parts (their steps are counted too).
        kills = []
        for workers, running, merging, cleaning in ((1, 4, 1, 1), (2, 2, 1, 1)):
            calibration = killed(tmp_path / f"calibration-{workers}", workers, 0)
            assert calibration[-1] == ["status", "0"]
            steps, merge, cleanup = map(int, calibration[0])
            assert 1 < merge < cleanup < steps
            assert_identical(tmp_path / f"calibration-{workers}", reference)
            kills += [(workers, k) for k in (rng.sample(range(1, merge), running)
                                             + rng.sample(range(merge, cleanup + 1), merging)
                                             + rng.sample(range(cleanup + 1, steps + 1),
                                                          cleaning))]
            print(f"{workers} worker(s): steps {steps}, merge {merge}, clean-up {cleanup}")
        print(f"kills (workers, step): {kills}")
        for workers, kill_at in kills:
            out = tmp_path / f"killed-{workers}-{kill_at}"
            assert killed(out, workers, kill_at) == [["status", str(-signal.SIGKILL)]]
            resumed = sweep(exp, out)
            assert resumed.ok and resumed.total == 24
            assert_identical(out, reference)
    finally:
        sweeps.kill()
        sweeps.wait()

def test_logs_as_numpy_arrays_give_the_same_files(exp, tmp_path, reference):
    """The fast path for a model that logs numpy arrays (one copy instead of a Python object
    per value) stores exactly what lists would."""
    import numpy as np

    from sim.run import RunResult
    from sim.schema import SERIES_FIELDS

    types = {"int64": np.int64, "float64": np.float64, "bool": np.bool_, "string": object}
    dtype = {c.name: types[c.dtype.value] for c in (*WARNING_FIELDS, *SERIES_FIELDS)}

    def as_arrays(log):
        return None if log is None else {k: np.array(v, dtype=dtype[k]) for k, v in log.items()}

    def numpy_logs(spec):
        result = fake(spec)
        return RunResult(result.outcomes, as_arrays(result.warnings), as_arrays(result.series))

    sweep(exp, tmp_path / "out", run_fn=numpy_logs)
    assert_identical(tmp_path / "out", reference)


def test_logs_as_record_batches_give_the_same_files(exp, tmp_path, reference):
    """What simulate returns to a sweep (one Arrow record batch a log, sim.log.typed) stores
    exactly what lists would; a batch whose types differ from the declared ones but convert
    safely (int32 for int64) is cast."""
    import pyarrow as pa

    from sim.log import typed
    from sim.run import RunResult
    from sim.schema import SERIES_FIELDS

    def batches(spec):
        result = fake(spec)
        warnings = typed(result.warnings, WARNING_FIELDS)
        if spec.seed % 2:
            i = warnings.schema.get_field_index("day")
            warnings = warnings.set_column(i, "day", warnings["day"].cast(pa.int32()))
        return RunResult(result.outcomes, warnings, typed(result.series, SERIES_FIELDS))

    sweep(exp, tmp_path / "out", run_fn=batches)
    assert_identical(tmp_path / "out", reference)


def test_a_record_batch_missing_a_column_fails_its_run_only(exp, tmp_path):
    from sim.log import typed
    from sim.run import RunResult

    def missing(spec):
        result = fake(spec)
        warnings = typed(result.warnings, WARNING_FIELDS)
        if spec.seed % 2:
            warnings = warnings.drop_columns(["relay"])
        return RunResult(result.outcomes, warnings, result.series)

    sweep(exp, tmp_path / "out", run_fn=missing)
    runs = read_runs(tmp_path / "out")
    odd = runs[runs["seed"] % 2 == 1]
    assert len(odd) and (odd["status"] == "failed").all()
    assert set(odd["error"]) == {"ValueError: log columns differ from sim.schema (missing "
                                 "['relay'])"}
    assert (runs.loc[runs["seed"] % 2 == 0, "status"] == "ok").all()


# --- worker-side tables: a value that does not fit its declared column fails only its run -----


def test_values_that_do_not_fit_their_columns_fail_their_runs_only(exp, tmp_path):
    from sim.outcomes import OUTCOMES, Kind
    from sim.run import RunResult

    count = next(o.name for o in OUTCOMES if o.kind is Kind.COUNT)
    integer = next(c.name for c in WARNING_FIELDS if c.dtype.value == "int64")

    def odd(spec):
        result = fake(spec)
        if spec.seed % 4 == 0:  # a fractional count: never silently truncated
            return RunResult({**result.outcomes, count: 2.5}, result.warnings, result.series)
        if spec.seed % 4 == 1:  # fake() logs one warning here: text in an integer column
            return RunResult(result.outcomes, {**result.warnings, integer: ["x"]},
                             result.series)
        return result

    sweep(exp, tmp_path / "out", run_fn=odd)
    runs = read_runs(tmp_path / "out")
    bad_count = runs[runs["seed"] % 4 == 0]
    assert (bad_count["status"] == "failed").all() and len(bad_count)
    assert set(bad_count["error"]) == {f"ValueError: outcome {count} is not an integer: 2.5"}
    logged = pq.read_table(tmp_path / "out" / "warnings.parquet").to_pandas()
    bad_log = runs[runs["seed"] % 4 == 1]
    assert (bad_log["status"] == "failed").all() and len(bad_log)
    assert all(e.startswith("ArrowInvalid: log does not match sim.schema: Could not convert 'x'")
               for e in bad_log["error"])
    assert not logged["run_id"].isin(runs.loc[runs["status"] == "failed", "run_id"]).any()
    ok = runs[runs["seed"] % 4 > 1]
    assert (ok["status"] == "ok").all() and len(ok)
