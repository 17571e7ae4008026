"""``warnsim init NAME``: a commented experiment file that loads and sweeps as written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli import main
from sim.params import PARAMETERS
from sim.sweep.experiment import KEYS, load_experiment


def test_init_writes_a_file_that_loads_and_lists_every_parameter(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "my_study"]) == 0
    assert "my_study.toml" in capsys.readouterr().out
    path = tmp_path / "my_study.toml"
    text = path.read_text()
    experiment = load_experiment(path)
    assert experiment.name == "my_study" and experiment.design.parameters == ("rivalry",)
    for name, spec in PARAMETERS.items():
        assert f"# {name} = " in text, name
        assert spec.label in text
    for key in KEYS:
        assert f"# {key}: " in text, key


def test_every_commented_parameter_line_is_valid_when_uncommented(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "all_fixed"]) == 0
    path = tmp_path / "all_fixed.toml"
    lines = path.read_text().splitlines()
    start = lines.index("[fixed]")
    fixed = [line.removeprefix("# ") for line in lines[start:]
             if line.startswith("# ") and " = " in line and line[2:].split(" = ")[0] in PARAMETERS
             and line[2:].split(" = ")[0] != "rivalry"]
    path.write_text("\n".join([*lines[:start + 1], *fixed, ""]))
    experiment = load_experiment(path)
    assert set(experiment.fixed) == set(PARAMETERS) - {"rivalry"}
    assert all(experiment.fixed[k] == PARAMETERS[k].default for k in experiment.fixed)


def test_init_sweeps_as_written(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sim", "init", "quick"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    dry = subprocess.run([sys.executable, "-m", "sim", "sweep", "quick.toml", "--dry-run"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert dry.returncode == 0, dry.stderr
    assert "5 design points x 20 replications" in dry.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["init", "bad name"], "allowed: letters, digits"),
    (["init", "_hidden"], "allowed: letters, digits"),
])
def test_bad_names_are_refused(tmp_path, monkeypatch, capsys, args, words):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("warnsim: error: init:") and words in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_kept_unless_forced(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text("# my own notes\n")
    assert main(["init", "mine"]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert (tmp_path / "mine.toml").read_text() == "# my own notes\n"
    assert main(["init", "mine", "--force"]) == 0
    assert load_experiment(tmp_path / "mine.toml").name == "mine"
