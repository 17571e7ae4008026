"""Commands never replace committed results with different ones.

In a git repository holding the committed validation report and calibration tables, as a fresh
clone does, the commands that would make different ones run as a user types them:

* ``warnsim validate --quick`` writes to ``results/validation-quick/`` and says so in one line;
* ``warnsim validate`` with ``--only``/``--replications`` (a report other than the full one)
  stops with one line and exit status 2 while the folder holds committed results, and goes on
  with ``--force``;
* ``warnsim calibrate FILE --tolerance-scale 0.5`` (a re-scoring of a rejection calibration)
  writes beside the committed tables, in ``tolerance-x0.5/``, and says so; an abc-smc
  calibration other than the committed one stops with one line and exit status 2;
* ``warnsim analyze DIR --by none`` stops while ``DIR/tables/`` is committed.

Each leaves every committed file byte for byte as it was. The runs are shrunk (a few checks,
two replications, 30-day runs) so that the test takes seconds; the guard does not depend on size.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WARNSIM = [sys.executable, "-m", "sim"]
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the committed validation and calibration results, and a small
    calibration file."""
    listed = subprocess.run(["git", "ls-files", "-z", "results/validation", "results/calibration"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):  # what a clone holds, nothing regenerated
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "experiments").mkdir()
    text = (ROOT / "experiments" / "calibration.toml").read_text(encoding="utf-8")
    for key, small in (("days", 30), ("replications", 2), ("n", 8), ("confirm", 0)):
        text = re.sub(rf"^{key} = \d+", f"{key} = {small}", text, flags=re.MULTILINE)
    (tmp_path / "experiments" / "calibration.toml").write_text(text, encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "results")
    _git(tmp_path, "commit", "-qm", "committed results")
    return tmp_path


def _warnsim(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    return subprocess.run([*WARNSIM, *args], check=False, cwd=repo, capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.slow
def test_quick_and_partial_validations_leave_the_committed_report(repo: Path) -> None:
    committed = _snapshot(repo / "results" / "validation")
    quick = _warnsim(repo, "validate", "--quick", "--only", "wickens_dixon", "--replications", "2")
    assert quick.returncode == 0, quick.stderr
    said = [line for line in quick.stderr.splitlines() if line.startswith("warnsim: --quick")]
    assert len(said) == 1 and "results/validation-quick/ (results/validation/ holds the full" in said[0]
    assert (repo / "results" / "validation-quick" / "report.md").is_file()

    partial = _warnsim(repo, "validate", "--only", "wickens_dixon", "--replications", "2")
    assert partial.returncode == 2 and partial.stdout == ""
    assert partial.stderr.splitlines() == [
        "warnsim: error: results/validation/ holds committed results, and a report made with "
        "--only, --replications would replace them with different ones; choose another folder "
        "with --out, or add --force to replace them"]
    assert _snapshot(repo / "results" / "validation") == committed
    assert _git(repo, "status", "--porcelain", "results/validation") == ""

    forced = _warnsim(repo, "validate", "--only", "wickens_dixon", "--replications", "2",
                      "--force", "--quiet")
    assert forced.returncode == 0, forced.stderr
    assert _snapshot(repo / "results" / "validation") != committed  # the guard is what held


def _as_rejection(path: Path) -> None:
    """The calibration file with method rejection: abc-smc's own settings (the keys of
    ``[calibration]`` that rejection does not take) left out, the prior and targets kept."""
    from sim.calibration.config import OPTIONS, Method

    abc_only = [k for k, o in OPTIONS.items() if Method.REJECTION not in o.methods]
    text = re.sub(r'^method = "abc-smc"$', 'method = "rejection"', path.read_text("utf-8"),
                  flags=re.MULTILINE)
    text = re.sub(rf"^(?:{'|'.join(abc_only)}) = .*\n", "", text, flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_a_rescored_calibration_writes_beside_the_committed_tables(repo: Path) -> None:
    committed = _snapshot(repo / "results" / "calibration")
    _as_rejection(repo / "experiments" / "calibration.toml")
    done = _warnsim(repo, "calibrate", "experiments/calibration.toml", "--tolerance-scale", "0.5",
                    "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "tolerance-x0.5" in line]
    assert len(said) == 1, done.stderr
    variant = repo / "results" / "calibration" / "tolerance-x0.5"
    assert (variant / "tables" / "calibration_targets.md").is_file()
    assert (variant / "figures" / "posterior_marginals.png").is_file()
    assert "tolerances x 0.5" in (variant / "tables" / "calibration_targets.md").read_text()
    after = _snapshot(repo / "results" / "calibration")
    assert {k: v for k, v in after.items() if k in committed} == committed
    assert _git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_another_abc_smc_calibration_refuses_to_replace_the_committed_one(repo: Path) -> None:
    committed = _snapshot(repo / "results" / "calibration")
    done = _warnsim(repo, "calibrate", "experiments/calibration.toml", "--workers", "1", "--quiet")
    assert done.returncode == 2 and done.stdout == ""
    said = done.stderr.splitlines()
    assert len(said) == 1 and "'results/calibration' holds results of" in said[0], said
    assert "use --force to replace them or --out for another folder" in said[0]
    assert _snapshot(repo / "results" / "calibration") == committed


def test_analyze_with_other_options_refuses_to_replace_committed_tables(repo: Path) -> None:
    folder = repo / "results" / "rivalry_heed"
    shutil.copytree(ROOT / "results" / "rivalry_heed" / "tables", folder / "tables")
    _git(repo, "add", "results/rivalry_heed")
    _git(repo, "commit", "-qm", "tables")
    committed = _snapshot(folder / "tables")
    sweep = repo / "experiments" / "tiny.toml"
    sweep.write_text('name = "rivalry_heed"\ndays = 20\nreplications = 2\n[grid]\n'
                     "rivalry = [0.0, 1.0]\n", encoding="utf-8")
    ran = _warnsim(repo, "sweep", str(sweep), "--workers", "1", "--quiet")
    assert ran.returncode == 0, ran.stderr
    done = _warnsim(repo, "analyze", "results/rivalry_heed", "--by", "none")
    assert done.returncode == 2
    assert done.stderr.startswith("warnsim: error: results/rivalry_heed/tables/ holds committed "
                                  "results, and tables made with --by would replace them")
    assert _snapshot(folder / "tables") == committed
