"""`warnsim validate`: the declared suite, its arithmetic on known numbers, the command end to
end on a reduced suite, a planted model change caught by exactly one check, and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from sim.cases import builtin_cases
from sim.cli import main
from sim.enums import Channel
from sim.run import RunResult, RunSpec, simulate
from sim.validation import odd
from sim.validation.api import ValidationOptions, validate
from sim.validation.report import verdict
from sim.validation.scoring import (
    EPSILON,
    alternatives,
    brier,
    log_loss,
    slug,
)
from sim.validation.statistics import STATISTICS, crossing, paired
from sim.validation.suite import CHECKS, STUDY, CheckKind

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("rivalry", "details", "corroboration", "cry_wolf", "prevention_paradox", "doctrine",
            "suspicion_erodes", "breznitz", "bliss_25", "bliss_50", "bliss_75", "wickens_dixon",
            "simmons_sutter", "foiled_share_capable", "attacks_per_country_year",
            "deaths_per_country_year", "deaths_per_attack", "cases_brier", "asymmetry",
            "decomposition")
KEYS = ("id", "kind", "claim", "source", "value", "ci_low", "ci_high", "range_low", "range_high",
        "verdict", "registered", "by_construction")
# A reduced suite on cheap studies (the default world, a two-point study, the cases); every check
# in it with a range is far enough inside it to stay within at this size (foiled_share and
# breznitz_probe are diagnostics: no verdict).
REDUCED = ("rivalry", "corroboration", "breznitz_probe", "asymmetry", "foiled_share",
           "deaths_per_attack", "prevention_paradox", "cases_brier", "cases_log_loss")
REPLICATIONS = 30


# --- the declarations ---------------------------------------------------------------------------

def test_the_suite_declares_every_required_check_once_with_a_statistic_and_its_studies():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(REQUIRED) <= set(ids)
    for c in CHECKS:
        assert c.kind in CheckKind
        assert c.statistic in STATISTICS or c.kind is CheckKind.CASE, c.id
        assert all(s in STUDY for s in c.studies), c.id
        if c.range_low is not None and c.range_high is not None:
            assert c.range_low <= c.range_high, c.id
        assert c.claim and c.source and c.definition and c.range_reason, c.id


def test_the_odd_table_of_checks_matches_the_suite():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert odd.embedded(text) == odd.markdown(), "run python scripts/validation_docs.py"


def test_the_guide_verdict_table_matches_the_committed_report():
    entries = json.loads((ROOT / "results" / "validation" / "validation.json").read_text("utf-8"))
    if not all("registered" in e for e in entries):
        pytest.skip("the committed report predates the registry: regenerate it (make validate)")
    ids = {e["id"] for e in entries}
    assert {c.id for c in CHECKS} <= ids  # the committed report is the whole suite
    text = (ROOT / "docs" / "guide" / "validation.md").read_text(encoding="utf-8")
    table = odd.embedded(text, odd.README_BLOCK)
    assert table == odd.verdict_table(entries), "run python scripts/validation_docs.py"
    assert "| `simmons_sutter` |" in table


# --- arithmetic on known numbers --------------------------------------------------------------

TOY_P = np.array([[0.7, 0.2, 0.1],    # recorded: heeded
                  [0.2, 0.3, 0.5],    # recorded: investigated
                  [0.0, 0.0, 1.0]])   # recorded: dismissed
TOY_RECORDED = np.array([0, 1, 2])


def test_brier_score_and_log_loss_of_a_toy_case_set_match_hand_computed_values():
    # Brier: (0.09 + 0.04 + 0.01) + (0.04 + 0.49 + 0.25) + 0 = 0.92, over 3 cases.
    assert brier(TOY_P, TOY_RECORDED) == pytest.approx(0.92 / 3)
    # Log-loss: -(ln 0.7 + ln 0.3 + ln 1) / 3.
    assert log_loss(TOY_P, TOY_RECORDED) == pytest.approx((0.356675 + 1.203973) / 3, abs=1e-6)
    uniform = np.full((3, 3), 1 / 3)
    assert brier(uniform, TOY_RECORDED) == pytest.approx(2 / 3)
    assert log_loss(uniform, TOY_RECORDED) == pytest.approx(math.log(3))
    wrong = np.array([[0.0, 0.0, 1.0]])  # certain and wrong: Brier 2, log-loss capped
    assert brier(wrong, np.array([0])) == pytest.approx(2.0)
    assert log_loss(wrong, np.array([0])) == pytest.approx(-math.log(EPSILON))


def test_alternative_codings_move_one_coding_at_a_time_within_its_range():
    from sim.cases import Case
    from sim.enums import Response

    kerman = Case("Kerman 2024", "US", "Iran", rivalry=1.0, details=2, channel=Channel.RELAY,
                  response=Response.DISMISSED)
    names = [name for name, _ in alternatives(kerman)]
    assert names == ["details 1", "details 3", "rivalry 0.9", "channel private", "channel public",
                     "channel both"]
    for _, alt in alternatives(kerman):
        changed = [f.name for f in dataclasses.fields(kerman)
                   if getattr(alt, f.name) != getattr(kerman, f.name)]
        assert len(changed) == 1
    assert slug("Sri Lanka Easter 2019") == "sri_lanka_easter_2019"


@pytest.mark.parametrize(("args", "expected"), [
    ((0.5, 0.4, 0.6, 0.0, None), ("within", True)),
    ((0.05, -0.01, 0.1, 0.0, None), ("within", False)),
    ((-0.05, -0.1, -0.01, 0.0, None), ("outside", True)),
    ((0.3, 0.2, 0.4, 0.55, 0.75), ("outside", True)),
    ((0.5, 0.45, 0.6, 0.55, 0.75), ("outside", False)),
    ((0.75, 0.7, 0.8, 0.55, 0.75), ("within", False)),
    ((0.6, math.nan, math.nan, 0.55, 0.75), ("within", None)),
    ((0.6, 0.5, 0.7, None, None), ("not_applicable", None)),
    ((math.nan, 0.5, 0.7, 0.0, 1.0), ("not_applicable", None)),
    ((-math.inf, -math.inf, 0.3, 0.55, 0.75), ("outside", True)),
])
def test_verdict_rule(args, expected):
    assert verdict(*args) == expected


def test_crossing_interpolates_where_heeding_all_stops_being_worse():
    reliability = np.array([0.2, 0.4, 0.6, 0.8, 1.0])
    assert crossing(reliability, np.array([30.0, 10.0, 2.0, -2.0, -5.0])) == pytest.approx(0.7)
    assert crossing(reliability[::-1], np.array([-5.0, -2.0, 2.0, 10.0, 30.0])) == pytest.approx(0.7)
    assert crossing(reliability, np.array([-1.0, -2.0, -3.0, -4.0, -5.0])) == -math.inf
    assert crossing(reliability, np.array([5.0, 4.0, 3.0, 2.0, 1.0])) == math.inf
    # noise below a later sign change: the most reliable level where heeding all is worse counts
    assert crossing(reliability, np.array([5.0, -1.0, 3.0, -1.0, -2.0])) == pytest.approx(0.75)


def test_paired_bootstrap_pools_ratios_and_keeps_pairs():
    rng = np.random.default_rng(3)
    den = rng.integers(5, 50, 200).astype(float)
    num = np.floor(den * rng.uniform(0.2, 0.8, 200))
    value, low, high, undefined = paired({"n": num, "d": den}, lambda t, n: t["n"] / t["d"],
                                         seed="test")
    assert value[0] == pytest.approx(num.sum() / den.sum())
    assert low[0] < value[0] < high[0] and undefined == 0
    # two arms sharing each replication's noise: their difference has a much tighter interval
    # than either arm alone, because replications are resampled whole
    base = rng.normal(10, 3, 200)
    arms = {"a": base + 1.0 + rng.normal(0, 0.05, 200), "b": base}
    _, lo_d, hi_d, _ = paired(arms, lambda t, n: (t["a"] - t["b"]) / n, seed="test")
    _, lo_a, hi_a, _ = paired(arms, lambda t, n: t["a"] / n, seed="test")
    assert hi_d[0] - lo_d[0] < (hi_a[0] - lo_a[0]) / 10
    assert lo_d[0] < 1.0 < hi_d[0]


# --- end to end -------------------------------------------------------------------------------

def anticorroboration(spec: RunSpec) -> RunResult:
    """A planted model change: the recipients' own intelligence corroborates false warnings
    far more often than real ones (and recipients know it), so corroboration now argues against
    a warning. Every other mechanism is as it was."""
    changed = spec.params.replace(corroboration_rate=0.02, false_corroboration=0.3)
    return simulate(dataclasses.replace(spec, params=changed))


@pytest.fixture(scope="module")
def reduced(tmp_path_factory) -> Path:
    """`warnsim validate --quick` on the reduced suite, as a user types it."""
    out = tmp_path_factory.mktemp("validation") / "report"
    code = main(["validate", "--quick", "--only", ",".join(REDUCED), "--replications",
                 str(REPLICATIONS), "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 0
    return out


@pytest.mark.slow
def test_validate_quick_writes_one_entry_per_declared_check(reduced: Path):
    entries = json.loads((reduced / "validation.json").read_text(encoding="utf-8"))
    checks = [e for e in entries if not e["id"].startswith("case_")]
    assert [e["id"] for e in checks] == [c.id for c in CHECKS if c.id in REDUCED]  # suite order
    cases = [e for e in entries if e["id"].startswith("case_")]
    assert len(cases) == len(builtin_cases()) and all(e["kind"] == "case" for e in cases)
    registered = {c.id: c for c in CHECKS}
    for e in entries:
        assert all(k in e for k in KEYS), e["id"]
        assert e["verdict"] in ("within", "outside", "not_applicable")
        assert isinstance(e["by_construction"], bool), e["id"]
        assert isinstance(dt.date.fromisoformat(e["registered"]), dt.date), e["id"]
        if e["id"] in registered:
            c = registered[e["id"]]
            assert e["registered"] == c.registered.isoformat(), e["id"]
            assert e["by_construction"] == c.by_construction, e["id"]
    assert {e["id"] for e in entries if e["by_construction"]} == {"corroboration", "asymmetry",
                                                                  "prevention_paradox"}
    for e in checks:
        assert isinstance(e["value"], float), e["id"]
        assert e["ci_low"] <= e["value"] <= e["ci_high"], e["id"]
    # each verdict is what its registered range says of its value (whether the model passes is
    # the report's finding, not this test's)
    for e in checks:
        if e["range_low"] is None and e["range_high"] is None:
            continue
        inside = ((e["range_low"] is None or e["value"] >= e["range_low"])
                  and (e["range_high"] is None or e["value"] <= e["range_high"]))
        assert e["verdict"] == ("within" if inside else "outside"), e["id"]
    assert {e["id"] for e in checks if e["verdict"] == "not_applicable"} == {
        "breznitz_probe", "foiled_share"}  # diagnostics: no verdict
    report = (reduced / "report.md").read_text(encoding="utf-8")
    assert "warnsim" in report and "git commit" in report and "Parameter set" in report
    assert "## Checks that hold by construction (not counted)" in report
    assert "## Diagnostics (not counted)" in report
    for e in checks:
        assert f"`{e['id']}`" in report
    assert report.count("**Registered**: ") == len(checks)
    assert report.count("**Fails if**: ") == len(checks)
    assert report.count("**Holds by construction**: ") == 3


@pytest.mark.slow
def test_the_html_report_is_one_self_contained_page(reduced: Path):
    page = (reduced / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    images = [s for s in sources if s.startswith("data:image/png;base64,")]
    assert len(images) >= 3  # verdicts, rivalry, cases
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "<link" not in page and "<script" not in page
    for png in ("verdicts", "rivalry", "cases"):
        assert (reduced / "figures" / f"{png}.png").is_file()


@pytest.mark.slow
def test_a_rerun_resumes_every_study_and_runs_nothing(reduced: Path):
    result = validate(ValidationOptions(out=reduced, quick=True, only=REDUCED,
                                        replications=REPLICATIONS, workers=1, progress=False))
    report = (reduced / "report.md").read_text(encoding="utf-8")
    rows = [line for line in report.splitlines() if line.startswith("| defaults |")
            or line.startswith("| prevention |")]
    assert rows and all("| 0 | 0 | 0 |" in row for row in rows), rows  # run now, failed, left out
    assert result.failed_runs == 0


def test_runs_of_another_model_version_are_made_again(tmp_path, monkeypatch, capsys):
    """A study folder made by other model code (here: another model hash) is not refused
    with "use --force" (validate's --force means something else): validate runs it again,
    says so, and the report is written."""
    out = tmp_path / "report"
    args = ["validate", "--quick", "--only", "deaths_per_attack", "--replications", "2",
            "--out", str(out), "--workers", "1"]
    assert main([*args, "--quiet"]) == 0
    monkeypatch.setattr("sim.sweep.engine.model_sha256", lambda: "0" * 64)
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "were made by another version of the model; running them again" in err
    report = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| defaults |"))
    assert "| 2 | 2 | 0 | 0 |" in row  # runs, run now, failed, left out
    assert main([*args, "--quiet"]) == 0  # and then resumed as usual
    report = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines() if line.startswith("| defaults |"))
    assert "| 2 | 0 | 0 | 0 |" in row


@pytest.mark.slow
def _decisive(entry: dict) -> bool:
    """Whether the entry's whole interval lies inside its range or wholly outside it."""
    low, high = entry.get("range_low"), entry.get("range_high")
    if entry["verdict"] == "not_applicable" or (low is None and high is None) or None in (
            entry["ci_low"], entry["ci_high"]):
        return False
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    inside = lo <= entry["ci_low"] and entry["ci_high"] <= hi
    outside = entry["ci_high"] < lo or entry["ci_low"] > hi
    return inside or outside


def test_a_planted_model_change_is_marked_outside_by_exactly_its_check(reduced: Path, tmp_path):
    before = {e["id"]: e["verdict"]
              for e in json.loads((reduced / "validation.json").read_text(encoding="utf-8"))}
    result = validate(ValidationOptions(out=tmp_path / "planted", quick=True, only=REDUCED,
                                        replications=REPLICATIONS, workers=1, progress=False,
                                        run_fn=anticorroboration))
    after = {e["id"]: e["verdict"] for e in result.entries}
    # among the verdicts the replications decide (the whole interval on one side of the range;
    # a value at a floor, such as asymmetry where rivals' heed probability is near 0, flips
    # with noise), exactly the planted check's changes
    decided = {e["id"] for e in json.loads((reduced / "validation.json").read_text("utf-8"))
               if _decisive(e)}
    changed = {k for k in after if after[k] != before[k] and k in decided}
    assert "corroboration" in decided
    assert changed == {"corroboration"} and after["corroboration"] == "outside"
    assert result.by_id()["corroboration"]["value"] < 0


# --- bad input --------------------------------------------------------------------------------

def test_bad_input_is_one_line_with_exit_status_2_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "v"
    cases = [
        (["--only", "rivalry,nonsense"], "--only: unknown check 'nonsense'; allowed: rivalry"),
        (["--set", "rivalry=2"], "--set: rivalry: got 2.0; allowed: a number in [0, 1]"),
        (["--only", "bliss_25", "--set", "false_lead_rate=5"],
         "validation study reliability (design point x8/model) at the parameters given: "
         "false_lead_rate: got 40.0; allowed: a number in [0, 20]"),
        (["--only", "cry_wolf", "--set", "false_lead_rate=0"],
         "validation study cry_wolf: design points 'few' and 'many' coincide"),
        (["--replications", "1"], "--replications: got 1; allowed: an integer >= 2"),
        (["--only", "decomposition", "--replications", "5"],
         "--replications: got 5; allowed: at least 10 for the decomposition study's checks"),
        (["--workers", "0"], "--workers: got 0; allowed: an integer of at least 1"),
        (["--only", "rivalry", "--dask", "nonsense", "--quiet"], "--dask: got 'nonsense'"),
    ]
    for args, message in cases:
        assert main(["validate", "--out", str(out), *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("warnsim: error: ") and message in err, err
        assert len(err.strip().splitlines()) == 1
        assert not out.exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["validate", "--out", str(foreign), "--only", "cases_brier"]) == 2
    assert "is not empty (notes.txt) and holds no warnsim validation" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
