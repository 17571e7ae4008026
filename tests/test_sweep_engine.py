"""The sweep engine end to end on the real model: result files, executors, faults, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim.run
from sim.cli import main
from sim.errors import Interrupted, UserError
from sim.outcomes import OUTCOME_NAMES
from sim.params import PARAMETERS, ModelParams
from sim.run import SERIES_COLUMNS, WARNING_COLUMNS
from sim.sweep import (
    load_experiment,
    read_manifest,
    read_runs,
    read_series,
    read_warnings,
    run_experiment,
)
from sim.sweep.code import model_files, model_sha256
from sim.sweep.seeds import replication_seeds

ROOT = Path(__file__).resolve().parents[1]

SMALL = """\
name = "small"
question = "test"
scenario = "default"
days = 40
replications = 3
seed = 11
record_series = true
[fixed]
false_lead_rate = 0.5
[grid]
rivalry = [0.1, 0.9]
doctrine = ["scenario", "never"]
"""


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def frames(out: Path) -> tuple[pd.DataFrame, ...]:
    return read_runs(out), read_warnings(out), read_series(out)


def assert_same_results(a: Path, b: Path) -> None:
    for x, y in zip(frames(a), frames(b), strict=True):
        pd.testing.assert_frame_equal(x, y)
    # Fixed-size row groups: the files are byte-identical too, however the runs were chunked.
    for name in ("runs.parquet", "warnings.parquet", "timeseries.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_result_files_and_manifest(small, tmp_path):
    out = tmp_path / "out"
    summary = run_experiment(small, out=out, workers=1, progress=False)
    assert (summary.total, summary.ran, summary.failed) == (12, 12, 0) and summary.ok
    runs = read_runs(out)
    assert list(runs["run_id"]) == list(range(12))
    assert list(runs.columns[:6]) == ["run_id", "point_id", "replication", "seed", "days", "scenario"]
    for name in (*PARAMETERS, *OUTCOME_NAMES, "status", "error"):
        assert name in runs.columns, name
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    assert list(runs["point_id"]) == [i // 3 for i in range(12)]
    assert list(runs["replication"]) == [0, 1, 2] * 4
    # Common random numbers: replication k of every point has the k-th SeedSequence child.
    assert list(runs["seed"]) == replication_seeds(11, 3) * 4
    assert list(runs["rivalry"]) == [0.1] * 6 + [0.9] * 6
    assert list(runs["doctrine"][::3]) == ["scenario", "never", "scenario", "never"]
    assert (runs["false_lead_rate"] == 0.5).all() and (runs["days"] == 40).all()
    assert runs["plots"].dtype == np.int64
    warnings, series = read_warnings(out), read_series(out)
    assert list(warnings.columns) == ["run_id", *WARNING_COLUMNS]
    assert list(series.columns) == ["run_id", *SERIES_COLUMNS]
    assert series["run_id"].nunique() == 12 and (series.groupby("run_id").size() == 40).all()
    assert (warnings.groupby("run_id").size().reindex(range(12), fill_value=0)
            >= runs["warnings_sent"].to_numpy()).all()
    manifest = read_manifest(out)
    assert manifest["design"]["kind"] == "grid"
    assert manifest["design"]["parameters"] == ["rivalry", "doctrine"]
    assert manifest["experiment_text"] == SMALL
    assert manifest["experiment"]["replications"] == 3
    assert (manifest["runs_done"], manifest["runs_failed"]) == (12, 0)
    assert manifest["dependencies"]["mesa"].startswith("3.")
    assert not (out / ".sweep").exists()
    # The same spec run by hand gives the same outcomes: the sweep adds nothing to a run.
    spec = sim.run.RunSpec(params=ModelParams(false_lead_rate=0.5, rivalry=0.9, doctrine="never"),
                           days=40, seed=int(runs["seed"][11]))
    by_hand = sim.run.simulate(spec).outcomes
    assert {k: runs[k][11] for k in ("plots", "warnings_sent", "casualties")} == {
        k: by_hand[k] for k in ("plots", "warnings_sent", "casualties")}


def test_serial_processes_and_dask_give_identical_results(small, tmp_path):
    from distributed import LocalCluster

    run_experiment(small, out=tmp_path / "serial", workers=1, progress=False)
    run_experiment(small, out=tmp_path / "pool", workers=2, progress=False, chunk_size=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        # By address, as `warnsim sweep --dask ADDRESS` does (the engine opens its own client).
        run_experiment(small, out=tmp_path / "dask", dask=cluster.scheduler_address,
                       progress=False, chunk_size=3)
        assert read_manifest(tmp_path / "dask")["executor"]["kind"] == "dask"
    assert_same_results(tmp_path / "serial", tmp_path / "pool")
    assert_same_results(tmp_path / "serial", tmp_path / "dask")


def failing_on(replication: int):
    """A stand-in for sim.run.simulate that raises for one replication's seed."""
    bad_seed = replication_seeds(11, 3)[replication]
    real = sim.run.simulate

    def simulate(spec):
        if spec.seed == bad_seed:
            raise RuntimeError(f"boom at seed {spec.seed}")
        return real(spec)

    return simulate


@pytest.mark.parametrize("workers", [1, 2])
def test_failing_run_is_recorded_and_the_sweep_goes_on(small, tmp_path, monkeypatch, workers):
    monkeypatch.setattr(sim.run, "simulate", failing_on(1))  # inherited by forked workers
    out = tmp_path / "out"
    summary = run_experiment(small, out=out, workers=workers, progress=False, chunk_size=2)
    assert summary.failed == 4 and not summary.ok
    runs = read_runs(out)
    failed = runs[runs["status"] == "failed"]
    assert list(failed["replication"]) == [1] * 4
    assert failed["error"].str.startswith("RuntimeError: boom at seed").all()
    assert (failed["seed"] == replication_seeds(11, 3)[1]).all()
    assert failed["plots"].isna().all()
    ok = runs[runs["status"] == "ok"]
    assert len(ok) == 8 and ok["plots"].notna().all()
    assert not read_warnings(out)["run_id"].isin(failed["run_id"]).any()
    assert read_manifest(out)["runs_failed"] == 4


def test_cli_exit_status_and_summary_count_failures(small, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.run, "simulate", failing_on(0))
    status = main(["sweep", str(small), "--out", str(tmp_path / "out"), "--workers", "1",
                   "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert "4 FAILED" in err
    seed = replication_seeds(11, 3)[0]
    assert f"first failure: run 0 (seed {seed}): RuntimeError: boom at seed {seed}" in err


def test_progress_bar_on_stderr_and_quiet(small, tmp_path, capsys):
    assert main(["sweep", str(small), "--out", str(tmp_path / "a"), "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert "runs/s" in captured.err and "12/12" in captured.err and captured.out == ""
    assert "small: 12 runs" in captured.err
    assert main(["sweep", str(small), "--out", str(tmp_path / "b"), "--workers", "1",
                 "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def counting(stop_after: int | None = None):
    """A run function counting its calls that, at call ``stop_after``, gets a real SIGINT
    (Ctrl-C) in the middle of the run."""
    calls: list[int] = []

    def simulate(spec):
        if stop_after is not None and len(calls) == stop_after:
            os.kill(os.getpid(), signal.SIGINT)
        calls.append(spec.seed)
        return sim.run.simulate(spec)

    return simulate, calls


def test_resume_adds_only_missing_runs(small, tmp_path):
    out = tmp_path / "out"
    fn, _ = counting(stop_after=7)
    with pytest.raises(Interrupted):
        run_experiment(small, out=out, workers=1, progress=False, chunk_size=2, run_fn=fn)
    assert not (out / "runs.parquet").exists()  # parts only, no half final files
    parts = sorted((out / ".sweep" / "parts").glob("part-*.runs.arrow"))
    assert [p.name[:15] for p in parts] == ["part-0000000000", "part-0000000002", "part-0000000004"]
    # Lose the middle part, as when a parallel sweep is killed with an early chunk in flight:
    # the resumed chunks must not span the gap, or the merged files would be out of order.
    for file in (out / ".sweep" / "parts").glob(parts[1].name.replace(".runs.arrow", ".*")):
        file.unlink()
    fn, calls = counting()
    summary = run_experiment(small, out=out, workers=1, progress=False, run_fn=fn)
    assert (summary.skipped, summary.ran, len(calls)) == (4, 8, 8)
    run_experiment(small, out=tmp_path / "whole", workers=1, progress=False)
    assert_same_results(out, tmp_path / "whole")
    # A finished sweep run again does nothing and leaves the files alone.
    before = (out / "runs.parquet").stat().st_mtime_ns
    fn, calls = counting()
    again = run_experiment(small, out=out, workers=1, progress=False, run_fn=fn)
    assert (again.ran, len(calls)) == (0, 0) and (out / "runs.parquet").stat().st_mtime_ns == before


def test_changed_experiment_is_refused_and_force_starts_over(small, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "keep.png").write_bytes(b"png")
    run_experiment(small, out=out, workers=1, progress=False)
    small.write_text(SMALL.replace("replications = 3", "replications = 4"))
    before = sorted(p.name for p in out.iterdir())
    assert main(["sweep", str(small), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"warnsim: error: {small}") and "earlier version" in err
    assert "--force" in err and sorted(p.name for p in out.iterdir()) == before
    # Shrinking is a different experiment too: never mixed into the full one's folder.
    with pytest.raises(UserError, match="earlier version"):
        run_experiment(load_experiment(small).shrunk(days=5), out=out, workers=1, progress=False)
    assert main(["sweep", str(small), "--out", str(out), "--quiet", "--workers", "1",
                 "--force"]) == 0
    assert len(read_runs(out)) == 16 and (out / "figures" / "keep.png").exists()


def test_model_code_is_part_of_the_fingerprint(small, tmp_path, monkeypatch):
    # A folder made by other model code is neither resumed nor reported finished.
    out = tmp_path / "out"
    run_experiment(small, out=out, workers=1, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_sha256"] == model_sha256()
    monkeypatch.setattr("sim.sweep.engine.model_sha256", lambda: "0" * 64)
    with pytest.raises(UserError, match="the model's code changed since"):
        run_experiment(small, out=out, workers=1, progress=False)


def test_model_hash_covers_the_model_and_not_the_analysis(tmp_path):
    package = Path(sim.run.__file__).parent
    copy = tmp_path / "sim"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    names = {p.relative_to(copy).as_posix() for p in model_files(copy)}
    assert {"world.py", "model.py", "inference.py", "sweep/seeds.py",
            "data/scenarios/default.toml"} <= names
    assert not any(n.startswith(("analysis/", "viz/", "validation/")) for n in names)
    before = model_sha256(copy)
    (copy / "analysis" / "plots.py").write_text("# edited\n", encoding="utf-8")
    assert model_sha256.__wrapped__(copy) == before
    world = copy / "world.py"
    world.write_bytes(world.read_bytes() + b"\n")
    assert model_sha256.__wrapped__(copy) != before


def test_sigkill_then_resume_gives_each_run_once(tmp_path):
    exp = tmp_path / "kill.toml"
    exp.write_text(SMALL.replace("days = 40", "days = 365").replace("replications = 3",
                                                                      "replications = 60")
                   .replace("record_series = true", "record_series = false"))
    out = tmp_path / "out"
    code = ("from sim.sweep import run_experiment; "
            f"run_experiment({str(exp)!r}, out={str(out)!r}, workers=2, progress=False, "
            "chunk_size=4)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, cwd=ROOT)
    parts = out / ".sweep" / "parts"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if parts.exists() and sum(1 for p in parts.iterdir()  # committed parts
                                  if p.name.startswith("part-")
                                  and p.name.endswith(".runs.arrow")) >= 3:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists(), "the sweep finished before the kill"
    summary = run_experiment(exp, out=out, workers=1, progress=False)
    assert summary.skipped >= 12 and summary.ran > 0 and summary.skipped + summary.ran == 240
    runs = read_runs(out)
    assert list(runs["run_id"]) == list(range(240))  # each run exactly once, in order
    run_experiment(exp, out=tmp_path / "whole", workers=2, progress=False)
    pd.testing.assert_frame_equal(runs, read_runs(tmp_path / "whole"))
    pd.testing.assert_frame_equal(read_warnings(out), read_warnings(tmp_path / "whole"))
    for name in ("runs.parquet", "warnings.parquet"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


NOTEBOOK = """
from sim.run import simulate
from sim.sweep import read_runs, run_experiment

def halved_days(spec):  # defined in __main__, as in a notebook cell
    return simulate(spec.__class__(spec.params, spec.scenario, spec.days // 2, spec.seed,
                                   spec.record_warnings, spec.record_series))

summary = run_experiment({exp!r}, out={out!r}, workers=2, progress=False, run_fn=halved_days)
assert summary.ok and len(read_runs({out!r})) == 12
print("ok")
"""


def test_pool_runs_functions_defined_in_main_like_a_notebook(small, tmp_path):
    """The fork context lets workers call a function defined in __main__ (spawn cannot)."""
    code = NOTEBOOK.format(exp=str(small), out=str(tmp_path / "out"))
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize("count", ["0", "-1", "two", "\uff12"])  # the last: a full-width 2
def test_bad_worker_count_is_a_user_error(small, tmp_path, capsys, count):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        main(["sweep", str(small), "--out", str(out), "--workers", count])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"warnsim: error: sweep: argument --workers: got {count!r}; allowed: an "
                   "integer of at least 1")
    assert not out.exists()
    with pytest.raises(UserError, match="--workers: got 0; allowed: an integer of at least 1"):
        run_experiment(small, out=out, workers=0)


def test_out_that_is_a_file_is_a_user_error(small, tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["sweep", str(small), "--out", str(tmp_path / "taken"), "--workers", "1"]) == 2
    assert "is a file; allowed: a folder" in capsys.readouterr().err


def test_dry_run_prints_counts_and_estimate_and_writes_nothing(small, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(small), "--out", str(out), "--dry-run", "--workers", "2"]) == 0
    text = capsys.readouterr().out
    assert "4 design points x 3 replications = 12 runs of 40 days" in text
    assert "ms per run" in text and "on 2 worker(s)" in text
    assert not out.exists()


def _experiment_files() -> list[Path]:
    """The shipped experiment files (calibration files, with [targets], have their own test:
    tests/test_calibration.py)."""
    return [p for p in sorted((ROOT / "experiments").glob("*.toml"))
            if "targets" not in tomllib.loads(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", _experiment_files(), ids=lambda p: p.name)
def test_shipped_experiments_smoke(path, tmp_path):
    exp = load_experiment(path).shrunk(days=5, replications=1, n=2)
    summary = run_experiment(exp, out=tmp_path / "out", workers=1, progress=False)
    assert summary.ok and summary.ran == summary.total > 0
    runs = read_runs(tmp_path / "out")
    assert len(runs) == summary.total and (runs["status"] == "ok").all()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["experiment"]["days"] == 5


# --- review fixes: foreign --out folders, bad --dask, self-contained manifest, dry run --------


def sweep_cli(exp: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(exp), "--out", str(out), "--quiet", "--workers", "1", *extra])


@pytest.mark.parametrize("name, content", [
    ("runs.parquet", "precious"),               # a file a sweep would overwrite
    ("manifest.json", '{"name": "not ours"}'),  # JSON, but not a warnsim manifest
    ("manifest.json", "not json"),
    ("notes.txt", "precious"),
])
def test_unrelated_non_empty_out_is_refused_even_with_force(small, tmp_path, capsys, name,
                                                             content):
    out = tmp_path / "u"
    out.mkdir()
    (out / name).write_text(content)
    for force in ((), ("--force",)):
        assert sweep_cli(small, out, *force) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(out) in err and name in err, err
        assert "holds no warnsim sweep results" in err and "(?)" not in err
        assert "new or empty folder" in err and "--force" not in err
        assert sorted(p.name for p in out.iterdir()) == [name]
        assert (out / name).read_text() == content


def test_out_with_only_figures_and_tables_is_a_new_results_folder(small, tmp_path):
    """A fresh clone has results/<name>/figures and tables (committed): `make demo` works."""
    out = tmp_path / "results" / "small"
    for sub in ("figures", "tables"):
        (out / sub).mkdir(parents=True)
        (out / sub / "committed.txt").write_text(sub)
    assert sweep_cli(small, out) == 0
    assert len(read_runs(out)) == 12
    assert (out / "figures" / "committed.txt").read_text() == "figures"
    # A finished folder (manifest, parquet files, figures) is recognised: resume and --force.
    assert sweep_cli(small, out) == 0 and sweep_cli(small, out, "--force") == 0
    assert (out / "tables" / "committed.txt").exists()
    # So is one a killed sweep left (working storage, no manifest yet).
    (out / "manifest.json").unlink()
    (out / ".sweep" / "parts").mkdir(parents=True)
    assert sweep_cli(small, out) == 0 and len(read_runs(out)) == 12


@pytest.mark.parametrize("address", ["foo", "tcp://host", "http://host:8786", "tcp://[::1"])
def test_malformed_dask_address_is_a_user_error_and_writes_nothing(small, tmp_path, capsys,
                                                                   address):
    out = tmp_path / "out"
    assert main(["sweep", str(small), "--out", str(out), "--quiet", "--dask", address]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("warnsim: error: --dask: ")
    assert repr(address) in err and "tcp://host:port" in err
    assert not out.exists()


def test_unreachable_dask_scheduler_writes_and_deletes_nothing(small, tmp_path, capsys,
                                                               monkeypatch):
    import sim.sweep.executors

    monkeypatch.setattr(sim.sweep.executors, "CONNECT_TIMEOUT", "0.3s")
    out = tmp_path / "out"
    dead = "tcp://127.0.0.1:1"
    assert main(["sweep", str(small), "--out", str(out), "--quiet", "--dask", dead]) == 2
    err = capsys.readouterr().err
    assert "--dask: cannot reach the scheduler at 'tcp://127.0.0.1:1'" in err
    assert not out.exists()
    # --force with an unreachable scheduler keeps the earlier results.
    assert sweep_cli(small, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert main(["sweep", str(small), "--out", str(out), "--quiet", "--dask", dead,
                 "--force"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not (out / ".sweep").exists()


def scenario_experiment(tmp_path: Path) -> tuple[Path, str, str]:
    from importlib import resources

    scenario = (resources.files("sim") / "data" / "scenarios" / "default.toml").read_text("utf-8")
    (tmp_path / "mine.toml").write_text(scenario)
    design = "rivalry,doctrine\n0.2,never\n0.8,warn_all\n"
    (tmp_path / "pts.csv").write_text(design)
    exp = tmp_path / "exp.toml"
    exp.write_text('name = "own"\nscenario = "mine.toml"\ndays = 5\nreplications = 2\nseed = 3\n'
                   'design = "pts.csv"\n')
    return exp, scenario, design


def test_manifest_embeds_scenario_and_design_text(tmp_path):
    import hashlib

    exp, scenario, design = scenario_experiment(tmp_path)
    run_experiment(exp, out=tmp_path / "out", workers=1, progress=False)
    manifest = read_manifest(tmp_path / "out")
    assert manifest["scenario_text"] == scenario and manifest["design_text"] == design
    assert hashlib.sha256(scenario.encode()).hexdigest() == manifest["scenario_sha256"]
    assert hashlib.sha256(design.encode()).hexdigest() == manifest["design_file_sha256"]
    # A built-in scenario and a grid have no file text.
    run_experiment(tiny_experiment(tmp_path), out=tmp_path / "grid", workers=1, progress=False)
    grid = read_manifest(tmp_path / "grid")
    assert grid["scenario_text"] is None and grid["design_text"] is None


def tiny_experiment(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL.replace("days = 40", "days = 5").replace("replications = 3",
                                                                    "replications = 1"))
    return path


def test_scenario_file_runs_from_another_working_directory(tmp_path, monkeypatch):
    """Workers (Dask's, on other machines) need not share the caller's working directory."""
    from sim.sweep import plan
    from sim.sweep.tasks import run_chunk

    scenario_experiment(tmp_path)
    monkeypatch.chdir(tmp_path)
    the_plan = plan(load_experiment("exp.toml"))  # a relative scenario path: "mine.toml"
    template = the_plan.template()  # what is sent to the workers
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a worker's own working directory
    result = run_chunk(the_plan.chunk(template))
    assert result.runs["status"].to_pylist() == ["ok"] * 4, result.runs["error"]


def test_scenario_file_changed_under_a_sweep_fails_its_runs(tmp_path):
    """A worker running a different scenario file than the sweep was started with must not
    silently produce rows: every run fails with a message naming the file."""
    exp, scenario, _ = scenario_experiment(tmp_path)
    loaded = load_experiment(exp)
    (tmp_path / "mine.toml").write_text(scenario.replace("\n", "\n\n", 1))
    summary = run_experiment(loaded, out=tmp_path / "out", workers=1, progress=False)
    assert summary.failed == summary.total == 4
    assert "mine.toml" in summary.first_failure
    assert "differs from the one this sweep was started with" in summary.first_failure
    # A worker without the file (a Dask worker on another machine) says so in every row.
    from sim.sweep import plan
    from sim.sweep.tasks import run_chunk

    the_plan = plan(loaded)
    (tmp_path / "mine.toml").unlink()
    result = run_chunk(the_plan.chunk(the_plan.template()))
    assert result.failed == 4
    assert all("every worker needs it at the same path" in e
               for e in result.runs["error"].to_pylist())


def test_dry_run_with_dask_says_the_estimate_is_for_local_workers(small, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(small), "--out", str(out), "--dry-run", "--dask",
                 "tcp://scheduler:8786"]) == 0
    text = capsys.readouterr().out
    assert "12 runs of 40 days" in text
    note = [line for line in text.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "local worker(s)" in note[0]
    assert "tcp://scheduler:8786 (not contacted)" in note[0]
    assert not out.exists()
