"""Reliability 2: one test per defect the attacks found (numbered as the issue's
"Why"), each reproducing it first (they fail on the code before the issue), then the
acceptance tests: a victim file and folder linked into a results folder, and a byte flipped in
a part between a kill and a resume.

Hostile inputs that could hang (a FIFO) or fill memory (``/dev/zero``) on a broken build run in
a child process with a memory limit and a timeout, so a regression fails the test instead of
taking the machine down. Everything else runs the CLI in-process (``sim.cli.main``), as the
console script does.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from sim.cli import _failure, main
from sim.errors import SweepStopped, UserError
from sim.files import Cap
from sim.metrics import MAX_DEPTH, MAX_LENGTH, MetricError, compile_metric
from sim.run import RunSpec
from sim.sweep import read_manifest, read_runs, run_experiment
from sim.sweep.lock import LOCK
from tests.fake_runs import failing_odd_replications, fake
from tests.test_sweep_faults import (
    EXPERIMENT,
    FILES,
    GATED,
    ROOT,
    assert_identical,
    one_line,
    parts,
    python,
    stop_after,
    sweep,
    wait_for,
)


@pytest.fixture
def exp(tmp_path: Path) -> Path:
    path = tmp_path / "faults.toml"
    path.write_text(EXPERIMENT)
    return path


@pytest.fixture
def reference(exp: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reference"
    sweep(exp, out)
    return out


def refused(argv: list[str], capsys, status: int = 2) -> str:
    """``warnsim ARGV`` in-process: the status, and the one line it printed."""
    assert main(argv) == status
    return one_line(capsys.readouterr().err)


def _limits() -> None:  # in the child: 2 GB of address space, no core files
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


CASES = """
import contextlib, io, json, sys
from sim.cli import main
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    print(json.dumps([argv, status, err.getvalue()]), flush=True)
"""


def run_guarded(cases: list[list[str]], cwd: Path) -> list[tuple[list[str], int, str]]:
    """Each ``warnsim ARGV`` of ``cases`` in one child process limited to 2 GB of memory and
    120 s (a safety net for a broken build, not a measurement)."""
    done = subprocess.run([sys.executable, "-B", "-c", CASES, json.dumps(cases)], cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120, preexec_fn=_limits, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [tuple(json.loads(line)) for line in done.stdout.splitlines()]


# --- 1. unbounded reads --------------------------------------------------------------------------


def test_special_files_are_refused_in_one_line_before_a_byte_is_read(tmp_path):
    """/dev/zero, FIFOs, a socket and a folder, named directly or through a symbolic link,
    wherever warnsim reads a file: one line, exit status 2 (before: /dev/zero as --params grew
    to 23.6 GB; a FIFO waited for a writer forever)."""
    os.mkfifo(tmp_path / "fifo.toml")
    os.mkfifo(tmp_path / "fifo.csv")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "sock.toml"))
    (tmp_path / "folder.toml").mkdir()
    head = 'name = "e"\ndays = 5\n'
    files = {
        "zero_params.toml": head + 'params = "/dev/zero"\n',
        "zero_design.toml": head + 'design = "zero.csv"\n',
        "fifo_design.toml": head + 'design = "fifo.csv"\n',
        "zero_scenario.toml": head + 'scenario = "zero.toml"\n',
        "levels.toml": head + 'design = "levels.csv"\n',
        "levels.csv": "scenario\nzero.toml\n",  # a design CSV naming a link to /dev/zero
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    cases = [
        ["run", "--days", "5", "--params", "/dev/zero"],
        ["run", "--days", "5", "--params", "fifo.toml"],
        ["run", "--days", "5", "--scenario", "fifo.toml"],
        ["run", "--days", "5", "--scenario", "zero.toml"],
        ["scenarios", "sock.toml"],
        ["cases", "/dev/zero"],
        ["cases", "fifo.csv"],
        ["sweep", "fifo.toml", "--dry-run"],
        ["sweep", "zero.toml", "--dry-run"],
        ["sweep", "sock.toml", "--dry-run"],
        ["sweep", "folder.toml", "--dry-run"],
        ["calibrate", "fifo.toml"],
        ["plan", "fifo.toml", "--outcome", "heed_rate", "--width", "0.1"],
        *(["sweep", name, "--dry-run"] for name in files if not name.endswith(".csv")),
    ]
    try:
        found = run_guarded(cases, tmp_path)
    finally:
        listener.close()
    assert len(found) == len(cases)
    for argv, status, err in found:
        assert status == 2, (argv, err)
        line = one_line(err)
        assert any(w in line for w in ("character device", "FIFO", "socket", "folder",
                                       "not a file")), (argv, line)


def test_a_file_over_its_cap_is_refused_without_trusting_its_size(tmp_path, capsys):
    """The cap is counted while reading: /proc files report 0 bytes; a regular file over the
    cap is refused at once."""
    big = tmp_path / "big.toml"
    with big.open("wb") as f:
        f.truncate(Cap.TOML + 1)  # sparse: no disk used
    line = refused(["sweep", str(big), "--dry-run"], capsys)
    assert line == (f"warnsim: error: {big}: is more than {Cap.TOML:,} bytes; allowed: an "
                    f"experiment file of at most {Cap.TOML:,} bytes")
    from sim.files import read_bytes

    assert read_bytes("/proc/self/status", cap=Cap.STATE)  # reported as 0 bytes, read anyway


@pytest.mark.parametrize("command", ["cases", "analyze", "sweep", "run"])
def test_out_of_memory_names_the_command_and_only_run_blames_days(command):
    """A MemoryError is the machine's (exit status 3); only `run` is told to use fewer
    --days (before: every command was, even `cases` reading a file)."""
    line, status = _failure(MemoryError(), command)
    assert status == 3 and f"`warnsim {command}`" in line
    assert ("--days" in line) == (command == "run")


# --- 2. links in a results folder --------------------------------------------------------------


def victims(tmp_path: Path) -> tuple[Path, Path]:
    file, folder = tmp_path / "victim.txt", tmp_path / "victim"
    file.write_text("precious\n")
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a\n")
    (folder / "sub" / "b.txt").write_text("b\n")
    return file, folder


def snapshot(*paths: Path) -> dict[str, str]:
    """Every file under ``paths`` (names, contents); links as their targets."""
    found = {}
    for root in paths:
        for path in sorted([root, *root.rglob("*")] if root.is_dir() else [root]):
            found[str(path)] = (f"-> {os.readlink(path)}" if path.is_symlink() else "dir"
                                if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest())
    return found


LINKS = {  # where in the results folder, and whether it points at the file or the folder
    LOCK: "file", ".sweep": "folder", ".sweep/parts": "folder", ".sweep/state.json": "file",
    "runs.parquet": "file", "manifest.json": "file", "tables": "folder", "figures": "folder",
    ".trash-0123456789ab": "folder", ".runs.parquet.tmp": "file",
}


def plant(out: Path, where: str, file: Path, folder: Path) -> Path:
    link = out / where
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    else:
        link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(file if LINKS[where] == "file" else folder)
    return link


@pytest.mark.parametrize("where", list(LINKS))
def test_a_link_in_a_results_folder_is_refused_and_its_target_untouched(where, exp, tmp_path,
                                                                        capsys):
    """A victim file and a victim folder linked into a results folder, at each place a sweep
    writes or deletes: a fresh sweep, a resume, --force and --retry-failed each refuse in one
    line naming the link, and both victims stay as they were (before: the lock record
    overwrote the file; .sweep/parts deleted everything in the folder)."""
    file, folder = victims(tmp_path)
    before = snapshot(file, folder)
    fresh, stopped, finished = (tmp_path / n for n in ("fresh", "stopped", "finished"))
    fresh.mkdir()
    stop_after(exp, stopped, 7)
    sweep(exp, finished, run_fn=failing_odd_replications)
    for out, extra in ((fresh, []), (stopped, []), (stopped, ["--force"]),
                       (finished, ["--retry-failed"]), (finished, ["--force"])):
        link = plant(out, where, file, folder)
        assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet",
                     *extra]) == 2
        line = one_line(capsys.readouterr().err)
        assert line.startswith(f"warnsim: error: {link} is a symbolic link"), line
        assert snapshot(file, folder) == before
        link.unlink()


def test_a_link_made_while_a_sweep_runs_is_never_written_through(exp, tmp_path, capsys):
    """Checking first is not enough: a run that swaps the parts folder for a link to a victim
    folder half-way stops the sweep (one line); the victim is untouched and the folder,
    repaired, resumes to the same files."""
    file, folder = victims(tmp_path)
    before = snapshot(file, folder)
    out = tmp_path / "out"
    calls = [0]

    def swap(spec: RunSpec):
        calls[0] += 1
        if calls[0] == 9:
            parts_dir = out / ".sweep" / "parts"
            parts_dir.rename(out / "parts-moved")
            parts_dir.symlink_to(folder)
        return fake(spec)

    with pytest.raises(UserError, match="parts is a symbolic link"):
        run_experiment(exp, out=out, workers=1, progress=False, chunk_size=4, run_fn=swap)
    assert snapshot(file, folder) == before
    (out / ".sweep" / "parts").unlink()
    (out / "parts-moved").rename(out / ".sweep" / "parts")
    resumed = sweep(exp, out)
    assert resumed.ok and resumed.skipped == 8
    reference = tmp_path / "reference"
    sweep(exp, reference)
    assert_identical(out, reference)


def test_special_file_in_a_results_folder_is_refused(exp, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "runs.parquet")
    line = refused(["sweep", str(exp), "--out", str(out), "--quiet"], capsys)
    assert line.startswith(f"warnsim: error: {out / 'runs.parquet'} is a FIFO")
    (out / "runs.parquet").unlink()
    sweep(exp, out)
    os.mkfifo(out / "tables")
    assert refused(["analyze", str(out)], capsys).startswith(
        f"warnsim: error: {out / 'tables'} is a FIFO")


# --- 3. integrity of parts ------------------------------------------------------------------------


KILLED = """
import os, signal, sys
from sim.sweep import run_experiment
from tests.fake_runs import fake
calls = [0]
def killed(spec):
    calls[0] += 1
    if calls[0] == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
    return fake(spec)
run_experiment(sys.argv[1], out=sys.argv[2], workers=1, progress=False, chunk_size=3,
               run_fn=killed)
"""


def flip_in_value(path: Path, column: str) -> None:
    """Flip one bit of the first value of ``column`` in an Arrow IPC file, in place: the file
    stays readable and one cell changes (what a bad sector or a stray write does)."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    raw = bytearray(path.read_bytes())
    value = table[column][0].as_py().to_bytes(8, "little", signed=True)
    at = raw.index(value)
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_byte_flipped_between_kill_and_resume_is_caught(exp, tmp_path, reference, capsys):
    """SIGKILL after three parts, one bit flipped in a seed of one part's runs file and one in
    a run id of another's warnings file: the resume discards both parts, runs them again and
    ends byte-identical to an uninterrupted sweep (before: the flipped cells reached runs and
    warnings, and the manifest vouched for them)."""
    out = tmp_path / "out"
    child = python(KILLED, str(exp), str(out), "11")
    assert child.wait(timeout=120) == -signal.SIGKILL
    kept = parts(out)
    assert len(kept) == 3
    where = out / ".sweep" / "parts"
    flip_in_value(where / f"{kept[0]}.runs.arrow", "seed")
    warnings = next(k for k in kept[1:] if pa.ipc.open_file(pa.memory_map(
        str(where / f"{k}.warnings.arrow"))).read_all().num_rows)
    flip_in_value(where / f"{warnings}.warnings.arrow", "run_id")
    summary = sweep(exp, out)
    assert summary.ok and summary.skipped == 9 - 3 - 3
    err = capsys.readouterr().err
    assert f"discarded part {kept[0]} (damaged: its runs file does not match its checksum)" in err
    assert f"discarded part {warnings} (damaged: warnings.arrow does not match its checksum)" in err
    assert_identical(out, reference)
    manifest = read_manifest(out)
    for name in FILES[:2]:
        assert manifest["checksums"][name]["sha256"] == hashlib.sha256(
            (out / name).read_bytes()).hexdigest()


def test_a_part_damaged_before_the_merge_is_made_again(exp, tmp_path, reference, capsys):
    """A part changed on disk after the sweep verified it (here by the last run) fails its
    checksum as it is merged: discarded, its runs made again, the files as if nothing
    happened."""
    out = tmp_path / "out"
    calls = [0]

    def damaging(spec: RunSpec):
        calls[0] += 1
        if calls[0] == 24:
            first = sorted((out / ".sweep" / "parts").glob("part-*.runs.arrow"))[0]
            flip_in_value(first, "seed")
        return fake(spec)

    summary = run_experiment(exp, out=out, workers=1, progress=False, chunk_size=5,
                             run_fn=damaging)
    assert summary.ok and summary.ran == 24 + 5
    assert "note: discarded part part-0000000000-" in capsys.readouterr().err
    assert_identical(out, reference)


def test_parts_that_keep_failing_their_checksums_stop_the_sweep(exp, tmp_path):
    """A disk that keeps damaging parts: after three merges each finding a damaged part the
    sweep stops (exit status 3) instead of running forever; finished parts are kept."""
    out = tmp_path / "out"

    def corrupting(spec: RunSpec):
        committed = sorted((out / ".sweep" / "parts").glob("part-*.runs.arrow"))
        if committed:
            with committed[0].open("ab") as f:
                f.write(b"\0")  # every run damages the first part there is
        return fake(spec)

    with pytest.raises(SweepStopped, match=r"parts keep failing their checksums as they are "
                       r"merged .*: the disk or memory may be failing") as stopped:
        run_experiment(exp, out=out, workers=1, progress=False, chunk_size=5,
                       run_fn=corrupting)
    assert stopped.value.exit_status == 3
    assert parts(out)


# --- 4. a resume stuck forever ---------------------------------------------------------------------


@pytest.mark.parametrize("piece", ["parts", "state.json", "both"])
def test_working_storage_missing_a_piece_is_rebuilt(piece, exp, tmp_path, reference,
                                                   monkeypatch):
    """.sweep/ holding state.json but no parts/ made every rerun exit 3 ("run the same
    command to resume"): now the missing piece is made again and the sweep finishes."""
    out = tmp_path / "out"
    stop_after(exp, out, 7)
    work = out / ".sweep"
    if piece in ("parts", "both"):
        shutil.rmtree(work / "parts")
    if piece in ("state.json", "both"):
        (work / "state.json").unlink()
    monkeypatch.setattr("sim.run.simulate", fake)
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert_identical(out, reference)


# --- 6. metrics ---------------------------------------------------------------------------------


HEAD = 'name = "m"\ndays = 3\nreplications = 2\n[metrics]\n'


@pytest.mark.parametrize(("expression", "words"), [
    ("(" * 99 + "plots" + ")" * 99, f"nested more than {MAX_DEPTH} levels deep"),
    ("-" * 500 + "plots", f"nested more than {MAX_DEPTH} levels deep"),
    ("plots ^ " * 300 + "1", f"nested more than {MAX_DEPTH} levels deep"),
    ("plots" + " + plots" * 2_000, f"allowed: an expression of at most {MAX_LENGTH:,}"),
    ("plots " * 200_000, f"allowed: an expression of at most {MAX_LENGTH:,}"),
    ("mean(trust_matrix[rivalry_matrix > 0.5] - trust_matrix[rivalry_matrix < 0.5])",
     "selected by different masks"),
    ("sum(trust_matrix[rivalry_matrix > 0.5] * rivalry_matrix[trust_matrix > 0.5])",
     "selected by different masks"),
])
def test_hostile_expressions_are_one_line_at_load_time(expression, words, tmp_path, capsys):
    """Nesting that overflowed the parser's stack (RecursionError, exit 1), text that took the
    tokenizer minutes (1 MB: 15 s before), and lists of values of different lengths that passed
    the load-time check and failed every run: each one line, exit 2, before anything runs."""
    path = tmp_path / "m.toml"
    path.write_text(HEAD + f"x = {json.dumps(expression)}\n")
    line = refused(["sweep", str(path), "--dry-run"], capsys)
    assert line.startswith(f"warnsim: error: {path}: metrics.x: ") and words in line, line


def test_long_chains_and_same_mask_lists_are_fine(tmp_path, capsys):
    """A thousand chained terms is one level (it overflowed the stack before), and lists that
    one mask selects combine elementwise."""
    chain = " + ".join(["plots"] * 1_000)
    same = "mean(trust_matrix[rivalry_matrix > 0.5] - rivalry_matrix[rivalry_matrix > 0.5])"
    metric = compile_metric("x", chain)
    assert metric.evaluate({"plots": 2}, [[None, 1], [1, None]], [[0, 1], [1, 0]],
                           ["A", "B"]) == 2_000
    compile_metric("y", same, agencies=["A", "B"])
    with pytest.raises(MetricError, match="selected by different masks"):
        compile_metric("z", same.replace("> 0.5])", "< 0.5])", 1))


MODULE = """
from pathlib import Path
Path("imported.marker").write_text("the module's top-level code ran")
def spread(outcomes, trust_matrix, rivalry_matrix, agencies):
    return float(outcomes["plots"]) + 0.5
"""


def test_code_in_an_experiment_runs_only_with_trust_code(tmp_path, monkeypatch, capsys):
    """A { function = ... } metric's module in the current folder: --dry-run never imports
    it, a sweep without --trust-code refuses it before importing it, and with --trust-code
    the `warnsim` console script imports it from the current folder (it could not before)."""
    script = Path(sys.executable).with_name("warnsim")
    if not script.exists():
        pytest.skip("the warnsim console script is not installed next to this Python")
    (tmp_path / "my_metrics.py").write_text(MODULE)
    (tmp_path / "e.toml").write_text(HEAD.replace("[metrics]", "[grid]\nrivalry = [0.5]\n"
                                                  "[metrics]") +
                                     'spread = { function = "my_metrics.spread" }\n')
    marker = tmp_path / "imported.marker"
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # importable in-process too: still not imported
    assert main(["sweep", "e.toml", "--dry-run"]) == 0
    assert ("note: metrics.spread runs Python code (my_metrics.spread): not imported or timed "
            "by --dry-run; the sweep needs --trust-code") in capsys.readouterr().out
    line = refused(["sweep", "e.toml", "--out", "out", "--workers", "1", "--quiet"], capsys)
    assert "metrics.spread: runs Python code (my_metrics.spread); allowed only when you trust" \
        in line
    assert not marker.exists() and "my_metrics" not in sys.modules
    assert not (tmp_path / "out").exists()
    trusted = subprocess.run([str(script), "sweep", "e.toml", "--out", "out", "--workers", "1",
                              "--quiet", "--trust-code"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, check=False)
    assert trusted.returncode == 0, trusted.stderr
    assert marker.exists()
    runs = read_runs(tmp_path / "out")
    assert (runs["spread"] == runs["plots"] + 0.5).all()


@pytest.mark.parametrize("command", [["calibrate"], ["plan", "--outcome", "plots", "--width",
                                                      "0.1"]])
def test_calibrate_and_plan_refuse_code_without_trust_code(command, tmp_path, capsys):
    path = tmp_path / "c.toml"
    text = CALIBRATION if command[0] == "calibrate" else CALIBRATION.partition("[calibration]")[0]
    metrics = "" if "[metrics]" in text else "[metrics]\n"
    path.write_text(text + metrics + 'spread = { function = "my_metrics.spread" }\n')
    line = refused([command[0], str(path), *command[1:], "--workers", "1"], capsys)
    assert "metrics.spread: runs Python code (my_metrics.spread)" in line
    assert not (tmp_path / "results").exists()


# --- 7. calibrate with one target --------------------------------------------------------------------


CALIBRATION = """\
name = "one"
days = 10
replications = 2
seed = 3
[sample]
method = "lhs"
n = 4
[sample.ranges]
rivalry = [0.1, 0.9]
[calibration]
confirm = 0
[targets.known_attack_share]
statistic = "known_attack_share"
low = 0.1
high = 0.6
[metrics]
known_attack_share = "attacks / (attacks + interdicted)"
"""


def test_calibrate_with_one_target(tmp_path, capsys):
    """One target has no pairs: the conflicts table is empty (KeyError: 'verdict', exit 1,
    after the tables were written)."""
    path = tmp_path / "one.toml"
    path.write_text(CALIBRATION)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "design points accepted" in out and "| Known attack share |" in out  # its label


# --- 8. other tracebacks ------------------------------------------------------------------------------


def edited(reference: Path, tmp_path: Path, name: str, edit) -> Path:
    out = tmp_path / name
    shutil.copytree(reference, out)
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    result = edit(manifest)
    path.write_text(result if isinstance(result, str) else json.dumps(manifest))
    return out


MANIFEST_EDITS = {
    "checksums a string": lambda m: m.update(checksums="x"),
    "rows a string": lambda m: m["checksums"]["runs.parquet"].update(rows="x"),
    "runs_failed a string": lambda m: m.update(runs_failed="many"),
    "deeply nested": lambda m: "[" * 100_000 + "]" * 100_000,
    "experiment a string": lambda m: m.update(experiment="x"),
}


@pytest.mark.parametrize("edit", list(MANIFEST_EDITS))
def test_a_damaged_manifest_is_one_line_everywhere(edit, exp, tmp_path, reference, capsys):
    """A manifest whose checksums or rows is a string, or nested 100,000 deep: sweep,
    --dry-run and analyze each print one line (tracebacks before)."""
    out = edited(reference, tmp_path, "out", MANIFEST_EDITS[edit])
    status = main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert status in (0, 2) and (status == 0 or one_line(err))
    assert main(["sweep", str(exp), "--out", str(out), "--dry-run"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    status = main(["analyze", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status in (0, 2) and (status == 0 or one_line(err))
    if edit in ("experiment a string", "deeply nested", "checksums a string"):
        assert status == 2


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5_000 + "]" * 5_000 + "\n",
    "a = " + "{b = " * 3_000 + "1" + "}" * 3_000 + "\n",
])
def test_toml_nested_thousands_deep_is_one_line(text, tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    for argv in (["sweep", str(path), "--dry-run"], ["run", "--scenario", str(path)],
                 ["run", "--params", str(path)]):
        assert "nested too deeply" in refused(argv, capsys)


def test_analyze_refuses_results_it_cannot_read_in_one_line(exp, tmp_path, reference, capsys):
    """A parameter column of text, a warnings file with other columns (tracebacks before)."""
    import pandas as pd

    text = tmp_path / "text"
    shutil.copytree(reference, text)
    runs = pd.read_parquet(text / "runs.parquet")
    runs["rivalry"] = runs["rivalry"].map({0.1: "low", 0.5: "mid", 0.9: "high"})
    runs.to_parquet(text / "runs.parquet")
    assert "rivalry: holds" in refused(["analyze", str(text)], capsys)
    other = tmp_path / "other"
    shutil.copytree(reference, other)
    pd.DataFrame({"a": [1, 2]}).to_parquet(other / "warnings.parquet")
    assert "warnings.parquet: missing columns warning_id" in refused(["analyze", str(other)],
                                                                      capsys)


def test_plan_with_a_vanishing_width_is_capped(tmp_path, capsys):
    """--width 1e-300 overflowed (OverflowError): the plan is the cap on replications."""
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\ndays = 30\n[grid]\nrivalry = [0.5]\n')
    assert main(["plan", str(path), "--outcome", "plots", "--width", "1e-300", "--pilot", "3",
                 "--points", "1", "--workers", "1"]) == 0
    assert "1000000 replications" in capsys.readouterr().out


# --- 9. smaller defects --------------------------------------------------------------------------------


def test_more_workers_than_cores_are_capped_with_a_note(exp, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sim.run.simulate", fake)
    from sim.sweep.executors import usable_cores

    cores = usable_cores()
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--workers", "64", "--quiet"]) == 0
    assert (f"warnsim: note: --workers 64: this machine gives warnsim {cores} core(s); using "
            f"{cores}") in capsys.readouterr().err
    assert read_manifest(out)["executor"]["workers"] == cores


@pytest.mark.parametrize(("code", "status"), [("ENOSPC", 3), ("EROFS", 3), ("EDQUOT", 3),
                                              ("EACCES", 3), ("EISDIR", 2), ("ENOTDIR", 2)])
def test_a_failed_write_is_the_machines_or_the_paths(code, status):
    """run --log, scenarios --template and init exited 2 on a full or read-only disk, where the
    README promises 3 (the read-only case runs for real in test_sweep_faults); a path that
    names a folder stays bad input."""
    import errno

    from sim.files import cannot_write

    error = cannot_write("x.csv", OSError(getattr(errno, code), os.strerror(getattr(errno, code))))
    assert error.exit_status == status and str(error).startswith("cannot write x.csv (")


@pytest.mark.parametrize("days", [1.5, 10**7, True, -1, "3"])
def test_a_run_takes_whole_days_within_the_limit(days):
    """WarningModel(days=1.5) ran 2 days and days=10**7 ran past 2 GB: a run is specified by
    a RunSpec, which refuses them."""
    with pytest.raises(UserError, match=r"RunSpec.days: got .*; allowed: an integer in \[0, 100000\]"):
        RunSpec(days=days)


def test_cases_with_100000_columns_is_refused(tmp_path, capsys):
    """The check for repeated columns was quadratic (87 s for 100,000 columns)."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n")
    assert "unknown column 'c0'" in refused(["cases", str(path)], capsys)


def test_a_different_experiment_sent_to_a_folder_in_use_is_told_it_is_in_use(exp, tmp_path):
    """A sweep resuming (its parts in the folder) holds the folder: another experiment sent
    there was told to use --force (which then exited 4); now exit 4 naming the holder."""
    out, gate = tmp_path / "out", tmp_path / "gate"
    stop_after(exp, out, 7)
    first = python(GATED, str(exp), str(out), "1", env={"WARNSIM_TEST_GATE": str(gate)})
    other = tmp_path / "other.toml"
    other.write_text(EXPERIMENT.replace("seed = 5", "seed = 6"))
    try:
        wait_for(lambda: gate.with_suffix(".running").exists())
        done = subprocess.run([sys.executable, "-B", "-m", "sim", "sweep", str(other), "--out",
                               str(out), "--workers", "1"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 4
        line = one_line(done.stderr)
        assert f"is in use by another sweep (pid {first.pid} on" in line and "--force" not in line
    finally:
        gate.touch()
        assert first.wait(timeout=120) == 0
