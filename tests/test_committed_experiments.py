"""The committed global-sensitivity experiments hold together: the Morris screen covers every
declared numeric parameter (so a new parameter cannot escape screening) over ranges that hold
its default, and the Sobol stage sweeps exactly the parameters the committed screen kept, over
the same ranges; the calibration file loads."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from sim.calibration.config import load_calibration
from sim.params import PARAMETERS
from sim.sweep import DesignKind, load_experiment

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"


def test_morris_screens_every_numeric_parameter_over_ranges_holding_its_default():
    e = load_experiment(EXPERIMENTS / "morris.toml")
    assert e.design.kind is DesignKind.MORRIS
    numeric = {p.name for p in PARAMETERS.values() if p.is_numeric}
    assert set(e.design.parameters) == numeric
    for name, low, high in e.design.ranges:
        assert low <= PARAMETERS[name].default <= high, name


def test_sobol_stage_sweeps_the_parameters_the_screen_kept_over_the_same_ranges():
    screen = ROOT / "results" / "morris" / "tables" / "morris_screen.csv"
    with screen.open(encoding="utf-8") as f:
        kept = [row["parameter"] for row in csv.DictReader(f) if row["kept"] == "True"]
    e = load_experiment(EXPERIMENTS / "sensitivity.toml")
    assert e.design.kind is DesignKind.SOBOL
    assert list(e.design.parameters) == kept
    morris = tomllib.loads((EXPERIMENTS / "morris.toml").read_text())["sample"]["ranges"]
    for name, low, high in e.design.ranges:
        assert [low, high] == morris[name], name


def test_the_calibration_file_loads_with_its_targets():
    c = load_calibration(EXPERIMENTS / "calibration.toml")
    assert c.experiment.design.kind is DesignKind.LHS
    assert c.targets and all(t.source for t in c.targets)
