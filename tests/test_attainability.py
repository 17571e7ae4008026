"""The attainability study (`warnsim attainability`) and the validation report's calibration
section: the table on planted per-point results derived by hand, the section on planted files,
the command end to end on a tiny design, and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.params import ModelParams
from sim.validation import attainability as A
from sim.validation import calibrated
from sim.validation.document import Document, to_markdown

RANGES = {"action_cost": (0.07, 0.56), "choice_temperature": (0.01, 0.2)}
CALIBRATION = """name = "tiny-calibration"
question = "A two-parameter box for the attainability tests."
scenario = "default"
days = 365
replications = 2
seed = 7

[sample]
method = "lhs"
n = 10

[sample.ranges]
action_cost = [0.07, 0.56]
choice_temperature = [0.01, 0.2]

[fixed]
home_interdiction = 0.85

[calibration]
method = "abc-smc"

[targets.attack_share_known]
statistic = "attack_share_known"
low = 0.18
high = 0.533
source = "test"

[metrics]
attack_share_known = "attacks / (attacks + interdicted)"
"""


def entry(check: str, value: float | None, low: float | None, high: float | None, *,
          ci: tuple[float, float] | None = None, verdict: str | None = None,
          role: str = "validation") -> dict:
    """A validation.json entry as `warnsim validate` writes it (the fields the study reads)."""
    if verdict is None:
        inside = ((low is None or value >= low) and (high is None or value <= high))
        verdict = "within" if inside else "outside"
    return {"id": check, "role": role, "value": value,
            "ci_low": None if ci is None else ci[0], "ci_high": None if ci is None else ci[1],
            "range_low": low, "range_high": high, "verdict": verdict}


# Three points, three checks, one diagnostic; what each point gives, and what follows by hand:
#   a, within 0 to 1:  0.5 (within) at the defaults, 2 and 3 elsewhere -> within at 1 of 3,
#                      lowest 0.5, highest 3; met somewhere.
#   b, within >= 1:    0.1, 0.2, 0.3, the last with interval [0.2, 1.2] -> within at none, its
#                      interval reaches the range at 1 point; met nowhere (of 3 points).
#   c, within <= 0:    undefined everywhere -> defined at 0, within at none.
#   d, by construction, within >= 0: 1 at the defaults and the sampled point, -1 at the
#                      posterior medians.
#   diag: no range -> left out.
PLANTED = {
    A.DEFAULTS: [entry("a", 0.5, 0.0, 1.0), entry("b", 0.1, 1.0, None, ci=(0.0, 0.2)),
                 entry("c", None, None, 0.0, verdict="not_applicable"),
                 entry("d", 1.0, 0.0, None, role="by_construction"),
                 entry("diag", 0.3, None, None, verdict="not_applicable", role="diagnostic")],
    A.POSTERIOR: [entry("a", 2.0, 0.0, 1.0), entry("b", 0.2, 1.0, None, ci=(0.1, 0.3)),
                  entry("c", None, None, 0.0, verdict="not_applicable"),
                  entry("d", -1.0, 0.0, None, role="by_construction"),
                  entry("diag", 0.3, None, None, verdict="not_applicable", role="diagnostic")],
    "lhs_0": [entry("a", 3.0, 0.0, 1.0), entry("b", 0.3, 1.0, None, ci=(0.2, 1.2)),
              entry("c", None, None, 0.0, verdict="not_applicable"),
              entry("d", 1.0, 0.0, None, role="by_construction"),
              entry("diag", 0.3, None, None, verdict="not_applicable", role="diagnostic")],
}
POINTS = (A.DesignPoint(A.DEFAULTS, A.DEFAULTS, {"action_cost": 0.28}),
          A.DesignPoint(A.POSTERIOR, A.POSTERIOR, {"action_cost": 0.1}),
          A.DesignPoint("lhs_0", A.SAMPLED, {"action_cost": 0.4}))


def plant_points(out: Path) -> None:
    for point, entries in PLANTED.items():
        folder = out / "points" / point
        folder.mkdir(parents=True)
        (folder / "validation.json").write_text(json.dumps(entries), encoding="utf-8")


def test_the_attainability_table_on_planted_points_is_what_hand_derivation_gives(tmp_path):
    plant_points(tmp_path)
    long = A.tabulate(tmp_path, POINTS)
    assert set(long["check"]) == {"a", "b", "c", "d"}  # the diagnostic has no range
    s = A.summarise(long).set_index("check")
    assert list(s.index) == ["a", "b", "c", "d"]
    assert s.loc["a", ["within", "reached", "defined"]].tolist() == [1, 1, 3]
    assert (s.loc["a", "lowest"], s.loc["a", "highest"]) == (0.5, 3.0)
    assert s.loc["a", "verdict"] == A.MET
    assert s.loc["a", "finding"] == "within at 1 of the 3 points evaluated"
    assert (s.loc["a", "at_defaults"], s.loc["a", "at_posterior_median"]) == ("within", "outside")
    assert s.loc["b", ["within", "reached"]].tolist() == [0, 1]
    assert s.loc["b", "verdict"] == "met nowhere in the box (of 3 points)"
    assert s.loc["b", "finding"] == "within at none of the 3 points evaluated in the prior box"
    assert s.loc["c", ["within", "reached", "defined"]].tolist() == [0, 0, 0]
    assert math.isnan(s.loc["c", "lowest"])
    assert s.loc["c", "finding"].endswith("; undefined at every point")
    assert s.loc["d", "within"] == 2 and s.loc["d", "role"] == "by_construction"
    counts = A.point_counts(long).set_index("point")
    # validation checks only (a, b, c): a within at the defaults only
    assert counts.loc[A.DEFAULTS, ["within", "outside"]].tolist() == [1, 1]
    assert counts.loc[A.POSTERIOR, ["within", "outside"]].tolist() == [0, 2]
    assert counts.loc["lhs_0", ["within", "outside"]].tolist() == [0, 2]


RECORD = {
    "method": "abc-smc", "stop": "min_acceptance", "simulations": 12345, "model_runs": 49380,
    "abc_generations": [{"generation": 0, "epsilon": None, "particles": 1000, "ess": 1000.0},
                        {"generation": 3, "epsilon": 0.4321, "particles": 1000, "ess": 876.5}],
    "abc_posterior": [
        {"parameter": "action_cost", "prior": "uniform(0.07, 0.56)", "default": 0.28,
         "median": 0.125, "q025": 0.1, "q975": 0.2},
        {"parameter": "choice_temperature", "prior": "uniform(0.01, 0.2)", "default": 0.02,
         "median": 0.021, "q025": 0.015, "q975": 0.035}],
    "abc_identifiability": [{"parameter": "action_cost", "verdict": "pinned"},
                            {"parameter": "choice_temperature", "verdict": "left at the prior"}],
    "abc_predictive": [{"target": "attack_share_known", "accepted_range": "0.18 to 0.533",
                        "observed": 0.3565, "median": 0.3412, "q025": 0.2011, "q975": 0.4987,
                        "share_met": 0.955, "covered": True, "p_value": 0.81}],
}


def planted_report(tmp_path: Path, validated: dict) -> str:
    cal = tmp_path / "calibration"
    (cal / "tables").mkdir(parents=True)
    (cal / "tables" / "calibration.json").write_text(json.dumps(RECORD), encoding="utf-8")
    att = tmp_path / "attainability"
    plant_points(att)
    A.write_tables(att, POINTS, {"sampled_points": 1, "points": 3, "seed": 99,
                                 "replications": 10, "ranges": {"action_cost": [0.07, 0.56]},
                                 "model_sha256": "m1", "command": "warnsim attainability x"})
    found = calibrated.load(cal, att)
    doc = Document("t")
    doc.add(*calibrated.section(found, validated, "m1"))
    return to_markdown(doc, tmp_path)


def test_the_report_section_shows_the_planted_posterior_and_what_it_changed(tmp_path):
    text = planted_report(tmp_path, {"action_cost": 0.28, "choice_temperature": 0.0205})
    # the posterior, row by row, as planted
    assert ("| `action_cost` | uniform(0.07, 0.56) | 0.125 | [0.1, 0.2] | pinned | 0.28 | no "
            "| no |") in text
    # 0.0205 is 0.0005 from the median: within 0.05 x (0.035 - 0.015) = 0.001
    assert ("| `choice_temperature` | uniform(0.01, 0.2) | 0.021 | [0.015, 0.035] | left at "
            "the prior | 0.0205 | yes | yes |") in text
    assert "12,345 simulations (49,380 model runs)" in text and "generation 3" in text
    assert ("| `attack_share_known` | 0.18 to 0.533 | 0.356 | 0.341 [0.201, 0.499] | 0.955 | yes "
            "| 0.810 |") in text
    # what it changed, derived from the planted points: a lost at the posterior medians
    assert "is not the posterior's: `action_cost` lie" in text
    assert "at the defaults **1 within**, 1 outside; at the posterior medians **0 within**, " \
           "2 outside" in text
    assert "Within at the defaults but not at the posterior medians: `a`." in text
    assert "Within only at the posterior medians: none." in text
    assert "does not validate as a whole" in text and "it loses checks the defaults meet" in text
    assert "--set action_cost=0.125 --set choice_temperature=0.021" in text
    # which checks are met nowhere: b and c of the validation checks, d is not counted
    assert "**1 of 3 validation checks are within at one point or more; 2 are within at none " \
           "of the 3 points evaluated**: `b`, `c`." in text
    assert "| `b` | >= 1 | 0.1 to 0.3 | 0 of 3 | 1 | outside | outside | met nowhere |" in text
    assert "| `c` | <= 0 | undefined | 0 of 3 | 0 |" in text
    assert "`d`" not in text.split("Which checks the model meets nowhere")[1]
    assert "ran another version of the model" not in text
    assert "(10 replications per design point in every study, the same seeds at both)" in text


def test_the_section_names_the_full_replications_of_the_reference_points(tmp_path):
    plant_points(tmp_path / "attainability")
    A.write_tables(tmp_path / "attainability", POINTS, {
        "sampled_points": 1, "points": 3, "seed": 99, "replications": "quick",
        "references": "full", "ranges": {}, "model_sha256": "m1"})
    (tmp_path / "calibration" / "tables").mkdir(parents=True)
    (tmp_path / "calibration" / "tables" / "calibration.json").write_text(json.dumps(RECORD))
    doc = Document("t")
    doc.add(*calibrated.section(calibrated.load(tmp_path / "calibration",
                                                tmp_path / "attainability"), {}, "m1"))
    text = to_markdown(doc, tmp_path)
    assert "(the full report's replications, the same seeds at both)" in text
    assert "The full report at the posterior medians: `warnsim validate --out" in text
    assert "each study's --quick replications at the sampled points, the full report's " \
           "replications at the defaults and the posterior medians" in text


def test_the_section_says_when_the_study_ran_another_model_or_is_missing(tmp_path):
    text = planted_report(tmp_path, {"action_cost": 0.125, "choice_temperature": 0.021})
    assert "is at the posterior medians" in text
    doc = Document("t")
    doc.add(*calibrated.section(calibrated.load(tmp_path / "calibration", tmp_path / "attainability"),
                                {"action_cost": 0.125, "choice_temperature": 0.021}, "m2"))
    assert "ran another version of the model" in to_markdown(doc, tmp_path)
    alone = calibrated.load(tmp_path / "calibration", tmp_path / "nowhere")
    doc = Document("t")
    doc.add(*calibrated.section(alone, {}, "m1"))
    assert "No attainability study was found" in to_markdown(doc, tmp_path)
    assert calibrated.load(tmp_path / "nothing", None) is None


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    cal = tmp_path / "calibration.toml"
    cal.write_text(CALIBRATION, encoding="utf-8")
    posterior = tmp_path / "posterior_median.toml"
    posterior.write_text("action_cost = 0.11\nchoice_temperature = 0.08\n", encoding="utf-8")
    return cal, posterior


def test_the_command_end_to_end_on_a_tiny_design_and_the_report_reads_it(box, tmp_path, capsys):
    cal, posterior = box
    out = tmp_path / "att"
    args = ["attainability", str(cal), "--points", "1", "--replications", "10", "--only",
            "rivalry,cases_brier", "--references", "same", "--posterior", str(posterior),
            "--out", str(out), "--workers", "1", "--quiet"]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "3 points measured, 0 resumed" in said
    design = pd.read_csv(out / "tables" / "attainability_design.csv")
    assert list(design["point"]) == [A.DEFAULTS, A.POSTERIOR, "lhs_0"]
    assert (design["home_interdiction"] == 0.85).all()  # the file's [fixed] at every point
    d = ModelParams()
    assert design.iloc[0][["action_cost", "choice_temperature"]].tolist() == [
        d.action_cost, d.choice_temperature]
    assert design.iloc[1][["action_cost", "choice_temperature"]].tolist() == [0.11, 0.08]
    for name, (lo, hi) in RANGES.items():
        assert lo <= design.iloc[2][name] <= hi
    manifest = json.loads((out / "tables" / "attainability.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == A.DEFAULT_SEED and manifest["replications"] == 10
    long = pd.read_csv(out / "tables" / "attainability_points.csv")
    for p in design["point"]:  # each point's row is its own validation.json's
        own = {e["id"]: e for e in json.loads(
            (out / "points" / p / "validation.json").read_text(encoding="utf-8"))}
        rows = long[long["point"] == p]
        assert set(rows["check"]) == {k for k, e in own.items() if e["range_low"] is not None
                                      or e["range_high"] is not None}
        r = rows.set_index("check").loc["rivalry"]
        assert r["value"] == pytest.approx(own["rivalry"]["value"])
        assert not (out / "points" / p / "runs").exists()
        record = json.loads((out / "points" / p / "point.json").read_text(encoding="utf-8"))
        assert (record["quick"], record["replications"]) == (False, 10)
    summary = pd.read_csv(out / "tables" / "attainability.csv").set_index("check")
    rivalry = long[long["check"] == "rivalry"]
    assert summary.loc["rivalry", "within"] == (rivalry["verdict"] == "within").sum()
    assert summary.loc["rivalry", "lowest"] == pytest.approx(rivalry["value"].min())
    # a rerun resumes every point and writes the same table
    assert main(args) == 0
    assert "0 points measured, 3 resumed" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_csv(out / "tables" / "attainability.csv"),
                                  summary.reset_index())
    # the validation report's calibration section reads the study
    cal_dir = tmp_path / "calibration"
    (cal_dir / "tables").mkdir(parents=True)
    (cal_dir / "tables" / "calibration.json").write_text(json.dumps(RECORD), encoding="utf-8")
    report = tmp_path / "report"
    assert main(["validate", "--only", "cases_brier", "--out", str(report), "--calibration",
                 str(cal_dir), "--attainability", str(out), "--quiet"]) == 0
    text = (report / "report.md").read_text(encoding="utf-8")
    assert "## Calibration: the posterior and what it changed" in text
    assert "every registered check evaluated at 3 points, 1 of them a Latin hypercube" in text
    assert "Calibration: the posterior" in (report / "report.html").read_text(encoding="utf-8")


def test_bad_input_is_one_line_with_exit_status_2_and_nothing_written(box, tmp_path, capsys):
    cal, posterior = box
    out = tmp_path / "att"
    not_calibration = tmp_path / "sweep.toml"
    not_calibration.write_text('name = "x"\nquestion = "q"\nscenario = "default"\ndays = 10\n'
                               'replications = 2\nseed = 1\n', encoding="utf-8")
    partial = tmp_path / "partial.toml"
    partial.write_text("action_cost = 0.11\n", encoding="utf-8")
    cases = [
        ([str(tmp_path / "missing.toml")], "missing.toml"),
        ([str(cal), "--posterior", str(tmp_path / "none.toml")],
         "--posterior: " + str(tmp_path / "none.toml") + " not found"),
        ([str(cal), "--posterior", str(partial)],
         "posterior medians: choice_temperature missing"),
        ([str(cal), "--posterior", str(posterior), "--replications", "1"],
         "--replications: got 1; allowed: an integer >= 2"),
        ([str(cal), "--posterior", str(posterior), "--only", "nonsense"],
         "--only: unknown check 'nonsense'"),
        ([str(not_calibration), "--posterior", str(posterior)], "sweep.toml"),
    ]
    for args, message in cases:
        assert main(["attainability", *args, "--out", str(out), "--quiet"]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("warnsim: error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
        assert not out.exists()
    with pytest.raises(SystemExit) as stopped:  # refused by the argument parser
        main(["attainability", str(cal), "--points", "0", "--out", str(out)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err == ("warnsim: error: attainability: argument --points: got '0'; allowed: an "
                   "integer of at least 1\n") and not out.exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["attainability", str(cal), "--posterior", str(posterior), "--out",
                 str(foreign), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (f"warnsim: error: --out: {foreign} is not empty (notes.txt) and holds no "
                   "attainability study; choose a new or empty folder\n")
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    broken = tmp_path / "broken"
    (broken / "tables").mkdir(parents=True)
    (broken / "tables" / "calibration.json").write_text("{not json", encoding="utf-8")
    assert main(["validate", "--only", "cases_brier", "--out", str(tmp_path / "r"),
                 "--calibration", str(broken), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "calibration.json: cannot read the calibration" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "r").exists()
