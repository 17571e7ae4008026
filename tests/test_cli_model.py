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


def test_cases_json_scores_the_seed_article_cases():
    done = warnsim("cases", "--json")
    assert done.returncode == 0, done.stderr
    cases = json.loads(done.stdout)
    assert {c["case"] for c in cases} >= {"Crocus City Hall 2024", "Kerman 2024", "Venezuela 2004", "Tsarnaev 2011"}
    for c in cases:
        assert {"case", "heed_probability", "response"} <= c.keys()
        assert 0 <= c["heed_probability"] <= 1


def test_cases_from_a_users_csv(tmp_path: Path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(
        "case,sender,recipient,rivalry,details,channel,prior_trust,corroborated,response\n"
        "ally,A,B,0.0,3,private,0.9,yes,heeded\n"
        "rival,A,C,1.0,0,public,,no,dismissed\n"
    )
    assert main(["cases", str(path), "--json"]) == 0
    ally, rival = json.loads(capsys.readouterr().out)
    assert ally["heed_probability"] > 0.9
    assert rival["heed_probability"] < 0.1


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
        "case,sender,recipient,rivalry,details,channel,response\nx,A,B,0.5,1,private,ignored\n": "response: got 'ignored'; allowed: heeded, dismissed, investigated",
        "case,sender,recipient,rivalry,details,channel\n": "missing column 'response'",
    }
    for n, (text, needle) in enumerate(cases.items()):
        path = tmp_path / f"bad{n}.csv"
        path.write_text(text)
        assert main(["cases", str(path)]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and needle in err, err


def test_bad_days_is_a_usage_error():
    done = warnsim("run", "--days", "-3")
    assert done.returncode == 2 and "negative" in done.stderr
