"""End to end: the model's commands as a user types them, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.outcomes import OUTCOME_NAMES

REQUIRED_KEYS = {
    "plots", "attacks", "casualties", "interdicted", "deterred", "warnings_sent",
    "warnings_heeded", "warnings_dismissed", "heed_rate", "false_alarms",
}


def warnsim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_run_json_as_typed():
    done = warnsim("run", "--days", "200", "--seed", "3", "--set", "rivalry=0.9", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert REQUIRED_KEYS <= out.keys() and set(OUTCOME_NAMES) <= out.keys()
    assert out["seed"] == 3 and out["days"] == 200
    again = json.loads(warnsim("run", "--days", "200", "--seed", "3", "--set", "rivalry=0.9", "--json").stdout)
    assert again == out


def test_run_sets_scenario_factors_by_dotted_name():
    base = ["run", "--days", "200", "--seed", "3", "--json"]
    plain = json.loads(warnsim(*base).stdout)
    done = warnsim(*base, "--set", "bloc_rivalry.A:B=0", "--set", "bloc_rivalry.A:C=0",
                   "--set", "bloc_rivalry.B:C=0")
    assert done.returncode == 0, done.stderr
    calm = json.loads(done.stdout)
    cross = [(i, j) for i, a in enumerate(calm["agencies"]) for j, b in enumerate(calm["agencies"])
             if a[0] != b[0]]
    assert all(calm["rivalry_matrix"][i][j] == 0 for i, j in cross)
    assert any(plain["rivalry_matrix"][i][j] > 0 for i, j in cross)


def test_run_prints_tables(capsys):
    assert main(["run", "--days", "120", "--seed", "1", "--log-rows", "5"]) == 0
    text = capsys.readouterr().out
    for heading in ("heed_rate", "Waivers by reason", "By rivalry band", "Warning log"):
        assert heading in text


def test_run_writes_the_full_warning_log(tmp_path: Path, capsys):
    path = tmp_path / "log.parquet"
    assert main(["run", "--days", "120", "--seed", "1", "--log", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    log = pd.read_parquet(path)
    assert len(log) == out["warnings_triggered"] + out["fabricated_warnings"]


def test_run_writes_the_per_day_series(tmp_path: Path, capsys):
    path = tmp_path / "series.csv"
    assert main(["run", "--days", "40", "--series", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    series = pd.read_csv(path)
    assert list(series["day"]) == list(range(40))
    assert series["warnings_sent"].iloc[-1] == out["warnings_sent"]
    assert series["casualties"].iloc[-1] == out["casualties"]


def test_world_2024_scenario_runs(capsys):
    assert main(["run", "--scenario", "world-2024", "--days", "90", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plots"] >= 0


def test_scenarios_lists_the_built_in_ones(capsys):
    assert main(["scenarios"]) == 0
    text = capsys.readouterr().out
    assert "default" in text and "world-2024" in text
    assert main(["scenarios", "world-2024"]) == 0
    assert "CIA" in capsys.readouterr().out


def test_params_lists_every_parameter(capsys):
    from sim.params import PARAMETERS

    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in PARAMETERS)


def test_cases_json_scores_the_built_in_cases():
    done = warnsim("cases", "--json")
    assert done.returncode == 0, done.stderr
    cases = json.loads(done.stdout)
    assert {c["case"] for c in cases} >= {"Crocus City Hall 2024", "Kerman 2024", "Venezuela 2004",
                                          "Tsarnaev 2011", "Sri Lanka Easter 2019"}
    for c in cases:
        assert {"case", "p_heed", "p_investigate", "p_dismiss", "predicted", "response"} <= c.keys()
        assert c["p_heed"] + c["p_investigate"] + c["p_dismiss"] == pytest.approx(1.0)
        assert c["predicted"] in {"heeded", "investigated", "dismissed"}


def test_cases_table_shows_the_three_responses(capsys):
    assert main(["cases"]) == 0
    text = capsys.readouterr().out
    for column in ("p_heed", "p_investigate", "p_dismiss", "predicted", "recorded"):
        assert column in text


def test_cases_from_a_users_csv(tmp_path: Path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(
        "case,sender,recipient,rivalry,details,channel,prior_manipulative,corroborated,response\n"
        "ally,A,B,0.0,3,private,0.01,yes,heeded\n"
        "rival,A,C,1.0,0,public,0.9,no,dismissed\n"
    )
    assert main(["cases", str(path), "--json"]) == 0
    ally, rival = json.loads(capsys.readouterr().out)
    assert ally["p_heed"] > 0.9 and ally["predicted"] == "heeded"
    assert rival["p_heed"] < 0.1 and rival["predicted"] == "dismissed"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--scenario", "atlantis"], "unknown scenario 'atlantis'"),
        (["run", "--set", "rivalry=1.5"], "rivalry: got 1.5; allowed: a number in [0, 1]"),
        (["run", "--set", "rivalri=0.5"], "rivalri: unknown parameter (did you mean 'rivalry'?)"),
        (["run", "--set", "rivalry=high"], "rivalry: 'high' is not a number in [0, 1]"),
        (["run", "--set", "doctrine=sometimes"], "doctrine: got 'sometimes'; allowed: one of scenario, warn_all"),
        (["run", "--set", "impending_horizon=2.5"], "impending_horizon: got 2.5; allowed: an integer in [1, 365]"),
        (["run", "--set", "rivalry"], "expected key=value"),
        (["run", "--log", "out.txt"], "allowed suffixes: .csv, .parquet"),
        (["cases", "no-such-file.csv"], "no-such-file.csv: no such file"),
        (["run", "--set", "agency.ZZ.capability=0.2"], "no agency 'ZZ' in scenario 'default'"),
        (["run", "--set", "agency.B1.colour=0.2"], "unknown agency attribute 'colour'"),
        (["run", "--set", "agency.B1.capability=2"], "agency.B1.capability: got 2.0; allowed"),
        (["scenarios", "default", "--set", "bloc_rivalry.A:Q=1"], "no bloc 'Q'"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, needle):
    done = warnsim(*args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_bad_case_files_name_the_column_and_allowed_values(tmp_path: Path, capsys):
    cases = {
        "case,sender,recipient,rivalry,details,channel,colour,response\n": "unknown column 'colour'",
        "case,sender,recipient,rivalry,details,channel,response\nx,A,B,2,1,private,heeded\n": "rivalry: got '2'",
        "case,sender,recipient,rivalry,details,channel,response\nx,A,B,0.5,1,pigeon,heeded\n": "channel: got 'pigeon'; allowed: private, public, both",
        "case,sender,recipient,rivalry,details,channel,response\nx,A,B,0.5,4,private,heeded\n": "details: got '4'",
        "case,sender,recipient,rivalry,details,channel,response\nx,A,B,0.5,1,private,ignored\n": "response: got 'ignored'; allowed: heeded, investigated, dismissed",
        "case,sender,recipient,rivalry,details,channel\n": "missing column 'response'",
    }
    for n, (text, needle) in enumerate(cases.items()):
        path = tmp_path / f"bad{n}.csv"
        path.write_text(text)
        assert main(["cases", str(path)]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and needle in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--days", "-3"], "run: argument --days: -3 is negative"),
        (["run", "--days", "abc"], "run: argument --days: 'abc' is not an integer"),
        (["run", "--days", "100001"], "allowed: an integer in [0, 100000]"),
        (["run", "--seed", "-1"], "run: argument --seed: -1 is negative"),
        (["run", "--colour", "red"], "unrecognized arguments: --colour red"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args, needle):
    done = warnsim(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("warnsim: error: ") and needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unwritable_log_is_one_line_and_leaves_nothing(tmp_path: Path, capsys):
    target = tmp_path / "taken.csv"
    target.mkdir()
    assert main(["run", "--days", "20", "--log", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not (tmp_path / "taken.csv.tmp").exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("pair = 3\n", "pair: expected [[pair]] tables"),
        ('[[shift]]\nday = 1\nbetween = [["A"], "B"]\nrivalry = 0.5\n', "expected agency or bloc names"),
        ('[[pair]]\nfrom = ["S"]\nto = "R"\nrivalry = 0.5\n', "pair #1.from: unknown agency"),
        ('[[pair]]\nfrom = "S"\nto = "S"\nrivalry = 0.5\n', "must be different agencies"),
        ("[liaison]\nnone = 5\n", "liaison.none: expected a list"),
        ("[blocs]\nA = 3\n", "blocs.A: expected a text description"),
    ],
)
def test_malformed_scenario_files_are_one_line(tmp_path: Path, capsys, text, needle):
    from tests.conftest import TRIO

    path = tmp_path / "scenario.toml"
    path.write_text(text + TRIO if text.startswith(("pair", "[blocs]")) else TRIO + text)
    assert main(["run", "--days", "5", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and str(path) in err, err


def test_scenario_path_that_is_not_a_readable_file(tmp_path: Path, capsys):
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    assert main(["run", "--scenario", str(folder)]) == 2
    assert "is not a file" in capsys.readouterr().err
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00name")
    assert main(["run", "--scenario", str(binary)]) == 2
    assert "cannot read" in capsys.readouterr().err


HEADER = "case,sender,recipient,rivalry,details,channel,response\n"


def test_case_files_from_spreadsheets_and_their_errors(tmp_path: Path, capsys):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(("\ufeff" + HEADER + "x,A,B,0.5,1,private,heeded\n").encode("utf-8"))
    assert main(["cases", str(bom), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["case"] == "x"
    bad = {
        "case,sender,recipient,rivalry,rivalry,details,channel,response\n": "column 'rivalry' appears more than once",
        HEADER + "x,A,B,0.5,1,private,heeded,extra\n": "line 2: more fields than columns",
        HEADER + "\n\nx,A,B,0.5,1,private,heeded\n\ny,A,B,0.5,9,private,heeded\n": "line 6: details",
        HEADER + ",A,B,0.5,1,private,heeded\n": "case: empty",
    }
    for n, (text, needle) in enumerate(bad.items()):
        path = tmp_path / f"bad{n}.csv"
        path.write_text(text)
        assert main(["cases", str(path)]) == 2
        err = capsys.readouterr().err
        assert needle in err, err
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "Caf\xe9,A,B,0.5,1,private,heeded\n").encode("latin-1"))
    assert main(["cases", str(latin)]) == 2
    assert "cannot read as UTF-8" in capsys.readouterr().err


def test_scenarios_shows_a_file_fully_resolved(tmp_path: Path, capsys):
    path = tmp_path / "mine.toml"
    assert main(["scenarios", "--template", str(path)]) == 0
    assert path.is_file()
    assert main(["scenarios", "--template", str(path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["scenarios", str(path), "--set", "rivalry=0.5"]) == 0
    text = capsys.readouterr().out
    for heading in ("Bloc-pair factors", "Directed pair overrides", "Rivalry at the start",
                    "Liaison, row to column", "Scheduled shifts"):
        assert heading in text
    assert "0.60" in text  # north-south: 0.5 x factor 1.2
    assert "via " in text  # the pair without liaison gets a relay


def test_mistyped_bloc_is_refused_naming_the_agency(tmp_path: Path, capsys):
    path = tmp_path / "typo.toml"
    main(["scenarios", "--template", str(path)])
    capsys.readouterr()
    path.write_text(path.read_text().replace('bloc = "north"\ncapability = 0.5', 'bloc = "nort"\ncapability = 0.5'))
    assert main(["scenarios", str(path)]) == 2
    assert "agency 'N2': bloc 'nort' is not declared in [blocs]; allowed: north, south" in capsys.readouterr().err
