"""Experiment files and designs: validation messages, grid/LHS/Sobol'/points expansion, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.errors import UserError
from sim.params import PARAMETERS
from sim.sweep import DesignKind, build_design, load_experiment, parse_experiment
from sim.sweep.seeds import replication_seeds

HEAD = 'name = "t"\nscenario = "default"\ndays = 10\nreplications = 2\nseed = 7\n'


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- bad input: one line naming file, key and what is allowed; exit 2; nothing written --------

BAD = {
    "unknown key": (HEAD + "colour = 1\n", ["colour", "unknown key", "allowed: name, question"]),
    "parameter at top level": (HEAD + "rivalry = 0.5\n", ["rivalry", "under [fixed]"]),
    "unknown parameter": (HEAD + "[fixed]\nrivalri = 0.5\n",
                          ["[fixed]", "rivalri", "unknown parameter", "'rivalry'"]),
    "wrong type": (HEAD + '[fixed]\nrivalry = "high"\n',
                   ["[fixed]", "rivalry", "'high'", "allowed: a number in [0, 1]"]),
    "wrong type top level": (HEAD.replace("days = 10", 'days = "ten"'),
                             ["days", "'ten'", "allowed: an integer in [1, 100000]"]),
    "out of range": (HEAD + "[grid]\nrivalry = [0.5, 1.5]\n",
                     ["[grid]", "rivalry", "1.5", "allowed: a number in [0, 1]"]),
    "zero replications": (HEAD.replace("replications = 2", "replications = 0"),
                          ["replications", "got 0", "allowed: an integer in [1, 1000000]"]),
    "not an integer": (HEAD + "[fixed]\nimpending_horizon = 2.5\n",
                       ["impending_horizon", "allowed: an integer in [1, 365]"]),
    "bad enum": (HEAD + '[fixed]\ndoctrine = "sometimes"\n',
                 ["doctrine", "allowed: one of scenario, warn_all"]),
    "malformed toml": (HEAD + "days = \n", ["malformed TOML", "line"]),
    "grid not a list": (HEAD + "[grid]\nrivalry = 0.5\n", ["[grid]", "rivalry", "non-empty list"]),
    "grid duplicates": (HEAD + "[grid]\nrivalry = [0.5, 0.5]\n", ["rivalry", "duplicate"]),
    "linspace keys": (HEAD + "[grid]\nrivalry = { start = 0, stop = 1 }\n",
                      ["rivalry", "exactly start, stop, num"]),
    "fixed and swept": (HEAD + "[fixed]\nrivalry = 0.1\n[grid]\nrivalry = [0.2]\n",
                        ["rivalry", "both in [fixed] and in the design"]),
    "two designs": (HEAD + '[grid]\nrivalry = [0.2]\n[sample]\nmethod = "lhs"\n',
                    ["grid, sample", "only one of"]),
    "sample range reversed": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\n[sample.ranges]\n'
                              "rivalry = [0.8, 0.2]\n",
                              ["[sample.ranges]", "rivalry", "low < high"]),
    "sample range out of bounds": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\n[sample.ranges]\n'
                                   "rivalry = [0.0, 2.0]\n",
                                   ["[sample.ranges]", "rivalry", "allowed: a number in [0, 1]"]),
    "sample range not a pair": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\n[sample.ranges]\n'
                                "rivalry = [0.1]\n", ["rivalry", "[low, high]"]),
    "sample of a bool": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\n[sample.ranges]\n'
                         "learning = [0, 1]\n",
                         ["learning", "only numeric parameters"]),
    "sample method": (HEAD + '[sample]\nmethod = "halton"\nn = 8\n[sample.ranges]\n'
                      "rivalry = [0, 1]\n", ["[sample]", "method", "allowed: lhs, sobol"]),
    "sample unknown key": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\nsize = 3\n',
                           ["[sample]", "size", "allowed: method, n, ranges"]),
    "sobol n": (HEAD + '[sample]\nmethod = "sobol"\nn = 10\n[sample.ranges]\nrivalry = [0, 1]\n',
                ["n", "got 10", "power of 2"]),
    "missing ranges": (HEAD + '[sample]\nmethod = "lhs"\nn = 8\n', ["ranges", "[sample.ranges]"]),
    "missing design csv": (HEAD + 'design = "nope.csv"\n', ["design", "no such file", "nope.csv"]),
    "unknown scenario": (HEAD.replace('"default"', '"atlantis"'),
                         ["scenario", "'atlantis'", "allowed: default, world-2024"]),
    "bad name": (HEAD.replace('"t"', '"../up"'), ["name", "'../up'", "folder-safe"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    text, expected = BAD[case]
    path = write(tmp_path, text)
    out = tmp_path / "out"
    status = main(["sweep", str(path), "--out", str(out), "--quiet", "--workers", "1"])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"warnsim: error: {path}"), lines[0]
    for piece in expected:
        assert piece in lines[0], (piece, lines[0])
    assert not out.exists()


POINTS_BAD = {
    "unknown column": ("rivalry,colour\n0.1,2\n", ["header", "colour", "unknown parameter"]),
    "bad value": ("rivalry,doctrine\n0.1,never\n1.7,never\n",
                  ["line 3", "rivalry", "allowed: a number in [0, 1]"]),
    "ragged row": ("rivalry,doctrine\n0.1\n", ["line 2", "got 1 values"]),
    "no rows": ("rivalry\n", ["at least one row"]),
    # Python's float() reads full-width digits; a design file's numbers are ASCII.
    "full-width digits": ("rivalry\n\uff10.\uff15\n", ["line 2", "rivalry",
                                                       "got '\uff10.\uff15'",
                                                       "in ASCII characters"]),
    # The same point twice would run with the same seeds: identical results counted twice.
    "duplicate rows": ("rivalry,doctrine\n0.1,never\n\n0.5,never\n0.10, never\n",
                       ["line 5", "repeats line 2", "each design point once",
                        "replications"]),
}


@pytest.mark.parametrize("case", list(POINTS_BAD))
def test_bad_design_csv(case, tmp_path, capsys):
    csv_text, expected = POINTS_BAD[case]
    (tmp_path / "pts.csv").write_text(csv_text)
    path = write(tmp_path, HEAD + 'design = "pts.csv"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"warnsim: error: {tmp_path / 'pts.csv'}") and "\n" not in line
    for piece in expected:
        assert piece in line, (piece, line)
    assert not out.exists()


def test_missing_experiment_file(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "none.toml"), "--quiet"]) == 2
    assert "no such experiment file" in capsys.readouterr().err


# --- designs ---------------------------------------------------------------------------------


def test_grid_is_full_factorial_first_key_slowest(tmp_path):
    exp = load_experiment(write(tmp_path, HEAD + "[fixed]\nfalse_lead_rate = 0.5\n[grid]\n"
                                "rivalry = [0.0, 0.5, 1.0]\n"
                                "specificity_threshold = { start = 0.0, stop = 1.0, num = 3 }\n"
                                'doctrine = ["warn_all", "never"]\n'))
    design = build_design(exp)
    assert design.kind is DesignKind.GRID
    assert design.parameters == ("rivalry", "specificity_threshold", "doctrine")
    assert len(design.points) == 18
    assert design.points[0] == {"rivalry": 0.0, "specificity_threshold": 0.0,
                                "doctrine": PARAMETERS["doctrine"].kind("warn_all")}
    assert design.points[1]["doctrine"].value == "never"
    assert [p["specificity_threshold"] for p in design.points[:6:2]] == [0.0, 0.5, 1.0]
    assert {p["rivalry"] for p in design.points[6:12]} == {0.5}
    assert exp.fixed == {"false_lead_rate": 0.5}
    assert design.describe()["values"] == {"rivalry": [0.0, 0.5, 1.0],
                                           "specificity_threshold": [0.0, 0.5, 1.0],
                                           "doctrine": ["warn_all", "never"]}


def test_linspace_gives_clean_values_and_checks_int_parameters(tmp_path):
    exp = load_experiment(write(tmp_path, HEAD + "[grid]\nrivalry = { start = 0, stop = 1, num = 11 }\n"))
    assert [p["rivalry"] for p in build_design(exp).points] == [i / 10 for i in range(11)]
    with pytest.raises(UserError, match=r"impending_horizon.*an integer"):
        parse_experiment(HEAD + "[grid]\nimpending_horizon = { start = 1, stop = 10, num = 3 }\n")


def test_no_design_is_one_point(tmp_path):
    design = build_design(load_experiment(write(tmp_path, HEAD)))
    assert list(design.points) == [{}] and design.parameters == ()


def test_lhs_is_stratified_reproducible_and_in_range(tmp_path):
    text = (HEAD + '[sample]\nmethod = "lhs"\nn = 20\n[sample.ranges]\n'
            "rivalry = [0.2, 0.6]\nimpending_horizon = [5, 24]\n")
    design = build_design(load_experiment(write(tmp_path, text)))
    assert design.kind is DesignKind.LHS and len(design.points) == 20
    r = np.array([p["rivalry"] for p in design.points])
    assert ((r >= 0.2) & (r < 0.6)).all()
    # One point in each of the 20 equal strata of the range: the Latin hypercube property.
    assert sorted(np.floor((r - 0.2) / 0.4 * 20).astype(int)) == list(range(20))
    h = [p["impending_horizon"] for p in design.points]
    assert all(isinstance(v, int) for v in h) and sorted(h) == list(range(5, 25))
    assert design.describe()["ranges"] == {"rivalry": [0.2, 0.6], "impending_horizon": [5, 24]}
    again = build_design(load_experiment(write(tmp_path, text)))
    assert list(again.points) == list(design.points)
    other = build_design(load_experiment(write(tmp_path, text.replace("seed = 7", "seed = 8"))))
    assert list(other.points) != list(design.points)


def test_sobol_design_has_saltelli_structure(tmp_path):
    n, names = 8, ["rivalry", "plot_rate", "face_cost"]
    text = (HEAD + f'[sample]\nmethod = "sobol"\nn = {n}\n[sample.ranges]\n'
            "rivalry = [0.0, 1.0]\nplot_rate = [0.0, 0.1]\nface_cost = [0.0, 2.0]\n")
    design = build_design(load_experiment(write(tmp_path, text)))
    d = len(names)
    assert design.parameters == tuple(names) and design.n == n
    assert len(design.points) == n * (d + 2)
    m = np.array([[p[k] for k in names] for p in design.points])
    a, b = m[:n], m[n:2 * n]
    assert not np.isclose(a, b).any()
    for i in range(d):
        ab = m[(2 + i) * n:(3 + i) * n]
        expected = a.copy()
        expected[:, i] = b[:, i]
        assert np.array_equal(ab, expected)
    assert (m[:, 1] <= 0.1).all() and (m[:, 2] <= 2.0).all()
    assert design.describe()["kind"] == "sobol"


def test_points_csv(tmp_path):
    (tmp_path / "pts.csv").write_text("rivalry,doctrine,learning\n"
                                      "0.1,never,true\n0.9, warn_all ,false\n")
    exp = load_experiment(write(tmp_path, HEAD + 'design = "pts.csv"\n'))
    design = build_design(exp)
    assert design.kind is DesignKind.POINTS and design.parameters == (
        "rivalry", "doctrine", "learning")
    assert [p["rivalry"] for p in design.points] == [0.1, 0.9]
    assert [p["doctrine"].value for p in design.points] == ["never", "warn_all"]
    assert [p["learning"] for p in design.points] == [True, False]
    assert exp.design.file_sha256


def test_shrunk_copy(tmp_path):
    text = HEAD + '[sample]\nmethod = "sobol"\nn = 64\n[sample.ranges]\nrivalry = [0, 1]\n'
    exp = load_experiment(write(tmp_path, text)).shrunk(days=3, replications=1, n=4)
    assert (exp.days, exp.replications, exp.design.n) == (3, 1, 4)
    with pytest.raises(UserError, match="power of 2"):
        exp.shrunk(n=3)


# --- seeds -------------------------------------------------------------------------------------


def test_replication_seeds_are_stable_distinct_and_int64():
    seeds = replication_seeds(2024, 200)
    assert len(set(seeds)) == 200
    assert all(0 <= s < 2**63 for s in seeds)
    assert replication_seeds(2024, 10) == seeds[:10]  # adding replications keeps the old ones
    assert replication_seeds(2025, 10) != seeds[:10]
    # A SeedSequence child: the same as spawning by hand.
    child = np.random.SeedSequence(2024).spawn(3)[2]
    assert seeds[2] == int(child.generate_state(1, dtype=np.uint64)[0]) >> 1


def test_scenario_file_relative_to_the_experiment(tmp_path):
    from importlib import resources

    text = (resources.files("sim") / "data" / "scenarios" / "default.toml").read_text("utf-8")
    (tmp_path / "mine.toml").write_text(text)
    exp = load_experiment(write(tmp_path, HEAD.replace('"default"', '"mine.toml"')))
    # Results record the path as written (relative to the experiment file); loading uses it
    # resolved, so neither depends on the working directory.
    assert exp.scenario == "mine.toml" and exp.scenario_path == (tmp_path / "mine.toml").resolve()
    assert exp.scenario_sha256
    with pytest.raises(UserError, match="scenario: no such file"):
        load_experiment(write(tmp_path, HEAD.replace('"default"', '"gone.toml"')))
