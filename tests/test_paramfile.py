"""Parameter files: `warnsim run --params FILE`, `warnsim cases --params FILE` and
`params = "FILE"` in experiment files; bad files are one line and exit status 2."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.paramfile import format_params, parse_params
from sim.params import PARAMETERS, ModelParams
from sim.sweep import build_design, load_experiment


def test_run_takes_the_file_and_set_overrides_it(tmp_path, capsys):
    path = tmp_path / "best.toml"
    path.write_text(format_params({"plot_rate": 0.05, "rivalry": 0.2}, ["a test set"]))
    assert main(["run", "--days", "20", "--json", "--params", str(path)]) == 0
    with_file = json.loads(capsys.readouterr().out)
    assert main(["run", "--days", "20", "--json", "--set", "plot_rate=0.05",
                 "--set", "rivalry=0.2"]) == 0
    assert json.loads(capsys.readouterr().out) == with_file
    assert main(["run", "--days", "20", "--json", "--params", str(path),
                 "--set", "plot_rate=0.001"]) == 0
    assert json.loads(capsys.readouterr().out)["plots"] < with_file["plots"]


def test_cases_take_the_file(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text("face_cost = 15.0\n")
    assert main(["cases", "--json", "--params", str(path)]) == 0
    costly = json.loads(capsys.readouterr().out)
    assert main(["cases", "--json"]) == 0
    assert costly != json.loads(capsys.readouterr().out)


BAD = {
    "missing": (None, ["no such parameter file"]),
    "unknown key": ("rivalri = 0.5\n", ["rivalri", "unknown parameter", "'rivalry'"]),
    "out of range": ("rivalry = 1.5\n", ["rivalry", "got 1.5", "allowed: a number in [0, 1]"]),
    "wrong type": ('plot_rate = "high"\n', ["plot_rate", "allowed: a number in [0, 0.2]"]),
    "a table": ("[fixed]\nrivalry = 0.5\n", ["fixed", "got a table", "name = value lines"]),
    "malformed": ("rivalry = \n", ["malformed TOML"]),
    "not utf-8": (b"rivalry = 0.5 # \xff\n", ["not UTF-8"]),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_parameter_file_one_line_exit_2(case, tmp_path, capsys):
    content, expected = BAD[case]
    path = tmp_path / "p.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert main(["run", "--days", "5", "--params", str(path)]) == 2
    captured = capsys.readouterr()
    line = captured.err.strip()
    assert "\n" not in line and line.startswith(f"warnsim: error: --params: {path}"), line
    for piece in expected:
        assert piece in line, (piece, line)
    assert captured.out == ""


def test_experiment_params_key_is_the_base_under_fixed_and_design(tmp_path):
    (tmp_path / "set.toml").write_text("rivalry = 0.2\nplot_rate = 0.05\nface_cost = 3.0\n")
    exp = tmp_path / "e.toml"
    exp.write_text('name = "e"\nparams = "set.toml"\n[fixed]\nface_cost = 1.0\n'
                   "[grid]\nrivalry = [0.4, 0.6]\n")
    e = load_experiment(exp)
    assert e.fixed["plot_rate"] == 0.05 and e.fixed["face_cost"] == 1.0
    assert "rivalry" not in e.fixed  # the design sets it
    assert [p["rivalry"] for p in build_design(e).points] == [0.4, 0.6]
    assert e.describe()["params"] == "set.toml"
    (tmp_path / "set.toml").write_text("rivalry = 0.2\nplot_rate = 0.06\n")
    assert load_experiment(exp).describe() != e.describe()  # a changed file changes the results


def test_experiment_with_a_bad_params_file_is_one_line(tmp_path, capsys):
    (tmp_path / "set.toml").write_text("plot_rate = 9\n")
    exp = tmp_path / "e.toml"
    exp.write_text('name = "e"\nparams = "set.toml"\n')
    assert main(["sweep", str(exp), "--dry-run"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"warnsim: error: {tmp_path / 'set.toml'}: plot_rate: got 9")
    exp.write_text('name = "e"\nparams = 3\n')
    assert main(["sweep", str(exp), "--dry-run"]) == 2
    assert "params: got 3; allowed: the path of a parameter file" in capsys.readouterr().err
    exp.write_text('name = "e"\nparams = "none.toml"\n')
    assert main(["sweep", str(exp), "--dry-run"]) == 2
    assert "none.toml: no such parameter file" in capsys.readouterr().err


numeric = [p for p in PARAMETERS.values() if p.is_numeric]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_written_files_read_back_to_the_same_values(data):
    chosen = data.draw(st.lists(st.sampled_from(list(PARAMETERS)), unique=True, max_size=12))
    values = {}
    for name in chosen:
        p = PARAMETERS[name]
        if p.kind is float:
            values[name] = data.draw(st.floats(p.low, p.high, allow_nan=False))
        elif p.kind is int:
            values[name] = data.draw(st.integers(int(p.low), int(p.high)))
        elif p.kind is bool:
            values[name] = data.draw(st.booleans())
        else:
            values[name] = data.draw(st.sampled_from(list(p.kind)))
    text = format_params(values, ["comment line", 'with "quotes"'])
    back = parse_params(text, origin="memory")
    assert ModelParams.from_mapping(back) == ModelParams.from_mapping(values)
    assert list(back) == [n for n in PARAMETERS if n in values]
