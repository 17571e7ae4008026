"""`warnsim calibrate`: on a toy model whose true parameters are known (injected with the
sweep's run_fn) the accepted set contains them and narrows as tolerances tighten; targets
that cannot hold together are reported as conflicting; the best-supported set is written as a
parameter file that `warnsim run --params` and experiment files accept; the committed
experiments/calibration.toml runs end to end at a tiny size; bad calibration files are one
line and exit status 2."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.load import Design, DesignKind, Results
from sim.analysis.plots import style
from sim.calibration.api import calibrate
from sim.calibration.config import load_calibration, parse_calibration
from sim.calibration.figures import marginals, pairs
from sim.calibration.scoring import posterior_table, score, values_at_points
from sim.calibration.statistics import (
    WARNING_CHECKS,
    evaluate,
    outcome_statistic,
    per_point_checks,
    statistic,
)
from sim.cli import main
from sim.outcomes import OUTCOMES
from sim.params import ModelParams
from sim.run import RunResult, RunSpec
from sim.sweep import load_experiment, parse_experiment, run_experiment
from sim.validation.suite import BY_ID
from tests.test_plots import layout_problems

ROOT = Path(__file__).resolve().parents[1]
TRUE_INTERDICTION, TRUE_LETHALITY = 0.8, 1.5
"""The toy world's truth: foiled share 0.8, deaths per attack 2 x 1.5 = 3."""


def toy(spec: RunSpec) -> RunResult:
    """Plots foiled with probability home_interdiction; each attack kills 2 x lethality_scale
    on average; face_cost does nothing. Noise from the run's seed."""
    p = spec.params
    rng = np.random.default_rng(spec.seed)
    out: dict[str, float] = {o.name: 0 for o in OUTCOMES}
    ended = 200
    foiled = int(rng.binomial(ended, p.home_interdiction))
    attacks = ended - foiled
    out.update(plots_ended=ended, foiled=foiled, attacks=attacks,
               casualties=float(rng.poisson(2 * p.lethality_scale * attacks)))
    return RunResult(out, None, None)


CONFIG = """
name = "toy"
days = 1
replications = 3
seed = 3
record_warnings = false

[sample]
method = "lhs"
n = 200

[sample.ranges]
home_interdiction = [0.5, 1.0]
lethality_scale = [0.5, 3.0]
face_cost = [0.0, 5.0]

[targets.foiled]
statistic = "foiled_share"
value = 0.8
tolerance = 0.08
source = "the toy's truth"

[targets.deadliness]
statistic = "deaths_per_attack"
value = 3.0
tolerance = 1.0
"""


def test_accepted_set_contains_the_truth_and_narrows_as_tolerance_tightens(tmp_path):
    calibration = parse_calibration(CONFIG, path=tmp_path / "toy.toml")
    found = calibrate(calibration, out=tmp_path / "toy", workers=1, progress=False, run_fn=toy)
    from sim.analysis.load import load_results

    results = load_results(found.out)
    values = values_at_points(results, calibration)
    ranges = {n: (lo, hi) for n, lo, hi in calibration.experiment.design.ranges}
    widths = []
    counts = []
    for scale in (1.0, 0.6, 0.35):
        scores = score(results, calibration, scale, values)
        acc = scores.accepted
        counts.append(len(acc))
        assert len(acc) >= 2, scale
        assert acc["home_interdiction"].min() <= TRUE_INTERDICTION <= acc["home_interdiction"].max()
        assert acc["lethality_scale"].min() <= TRUE_LETHALITY <= acc["lethality_scale"].max()
        post = posterior_table(scores, ranges).set_index("parameter")
        widths.append(post["width_share"])
    assert counts[0] > counts[1] > counts[2]
    for wide, narrow in itertools.pairwise(widths):
        assert narrow["home_interdiction"] < wide["home_interdiction"]
        assert narrow["lethality_scale"] < wide["lethality_scale"]
    # The uninformative parameter stays spread over its prior.
    assert widths[0]["face_cost"] > 0.7
    assert found.accepted_best
    assert abs(found.best["home_interdiction"] - TRUE_INTERDICTION) < 0.05
    assert abs(found.best["lethality_scale"] - TRUE_LETHALITY) < 0.4
    for name in ("calibration_targets", "calibration_conflicts", "calibration_posterior",
                 "calibration_accepted"):
        assert (found.out / "tables" / f"{name}.md").is_file()
    for name in ("posterior_marginals", "posterior_pairs"):
        assert (found.out / "figures" / f"{name}.png").stat().st_size > 5000
    with style():
        for fig in (marginals(found.scores, ranges), pairs(found.scores, ranges)):
            assert not layout_problems(fig), layout_problems(fig)
    targets = pd.read_csv(found.out / "tables" / "calibration_targets.csv").set_index("target")
    assert 0.2 < targets.loc["foiled", "share_met"] < 0.45  # 0.16 of the 0.5 prior width: 32%


def test_changing_a_target_rescores_without_rerunning(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(CONFIG)
    first = calibrate(load_calibration(path), out=tmp_path / "toy", workers=1, progress=False,
                      run_fn=toy)
    mtime = (first.out / "runs.parquet").stat().st_mtime_ns
    path.write_text(CONFIG.replace("tolerance = 0.08", "tolerance = 0.03"))
    second = calibrate(load_calibration(path), out=tmp_path / "toy", workers=1, progress=False,
                       run_fn=toy)
    assert (second.out / "runs.parquet").stat().st_mtime_ns == mtime
    assert len(second.scores.accepted) < len(first.scores.accepted)


def test_targets_that_cannot_both_hold_are_reported_as_a_conflict(tmp_path):
    # Foiled share 0.8 needs home_interdiction near 0.8; also asking for 0.6 cannot hold.
    text = CONFIG + '\n[targets.fewer_foiled]\nstatistic = "foiled_share"\nlow = 0.55\nhigh = 0.65\n'
    found = calibrate(parse_calibration(text), out=tmp_path / "c", workers=1, progress=False,
                      run_fn=toy)
    conflicts = found.tables["calibration_conflicts"].frame.set_index(["target_a", "target_b"])
    row = conflicts.loc[("foiled", "fewer_foiled")]
    assert row["share_a"] > 0 and row["share_b"] > 0 and row["share_both"] == 0
    assert row["verdict"] == "conflict"
    assert conflicts.loc[("foiled", "deadliness"), "verdict"] != "conflict"
    assert len(found.scores.accepted) == 0 and not found.accepted_best
    assert "NO point met every target" in found.params_file.read_text()


def test_best_params_file_runs_with_warnsim_run_and_in_experiments(tmp_path, capsys):
    found = calibrate(parse_calibration(CONFIG), out=tmp_path / "toy", workers=1,
                      progress=False, run_fn=toy)
    best = found.params_file
    assert main(["run", "--days", "10", "--json", "--params", str(best)]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["days"] == 10
    exp = tmp_path / "use.toml"
    exp.write_text(f'name = "use"\nparams = "{best}"\n[grid]\nrivalry = [0.2, 0.4]\n')
    e = load_experiment(exp)
    assert e.fixed["home_interdiction"] == pytest.approx(found.best["home_interdiction"])
    assert e.fixed["lethality_scale"] == pytest.approx(found.best["lethality_scale"])


def memory_results(runs: pd.DataFrame, warnings: pd.DataFrame | None = None) -> Results:
    base = ModelParams().to_dict()
    runs = runs.assign(status="ok", **{k: v for k, v in base.items() if k not in runs})
    return Results(Path("memory"), runs, Design(DesignKind.LHS, ()), {}, warnings)


def test_outcomes_are_pooled_over_replications_with_intervals():
    runs = pd.DataFrame({
        "run_id": range(6), "point_id": [0, 0, 0, 1, 1, 1], "replication": [0, 1, 2] * 2,
        "foiled": [3, 0, 9, 1, 1, 1], "plots_ended": [4, 1, 10, 2, 2, 2],
        "casualties": [1.0, 2.0, 6.0, 0.0, 0.0, 0.0],
    })
    v = evaluate(outcome_statistic("foiled_share"), memory_results(runs), draws=500)
    assert v.value.tolist() == [12 / 15, 0.5]  # pooled, not the mean of per-run shares
    assert v.low[0] < 12 / 15 < v.high[0] and v.low[1] == v.high[1] == 0.5
    m = evaluate(outcome_statistic("casualties"), memory_results(runs), draws=500)
    assert m.value.tolist() == [3.0, 0.0]


def test_validation_checks_score_each_point_with_the_suites_own_statistic(tmp_path):
    found = calibrate(parse_calibration(CONFIG), out=tmp_path / "toy", workers=1,
                      progress=False, run_fn=toy)
    from sim.analysis.load import load_results

    results = load_results(found.out)
    v = evaluate(statistic("deaths_per_attack", origin="t"), results)
    runs = results.ok
    sums = runs.groupby("point_id")[["casualties", "attacks"]].sum()
    assert v.value == pytest.approx((sums["casualties"] / sums["attacks"]).to_numpy())
    assert ((v.low <= v.value) & (v.value <= v.high)).all()
    # Without a range of its own a target takes the check's, and its source.
    text = CONFIG + '\n[targets.suite]\nstatistic = "deaths_per_attack"\n'
    target = parse_calibration(text).targets[-1]
    assert (target.low, target.high) == (BY_ID["deaths_per_attack"].range_low,
                                        BY_ID["deaths_per_attack"].range_high)
    assert target.source == BY_ID["deaths_per_attack"].source


def test_case_scores_are_targets_scored_at_each_points_parameters(tmp_path):
    from sim.validation.scoring import evaluate as score_cases

    found = calibrate(parse_calibration(CONFIG.replace("n = 200", "n = 3")), out=tmp_path / "c",
                      workers=1, progress=False, run_fn=toy)
    from sim.analysis.load import load_results

    results = load_results(found.out)
    v = evaluate(statistic("cases_brier", origin="t"), results)
    for point_id, value in zip(v.point_id, v.value, strict=True):
        row = results.ok[results.ok["point_id"] == point_id].iloc[0]
        params = ModelParams().replace(home_interdiction=row["home_interdiction"],
                                       lethality_scale=row["lethality_scale"],
                                       face_cost=row["face_cost"])
        assert value == pytest.approx(score_cases(params).brier.value)


def test_checks_that_need_the_warning_log_are_declared_so(tmp_path):
    exp = parse_experiment('name = "w"\ndays = 60\nreplications = 2\nrecord_warnings = false\n'
                           '[grid]\nrivalry = [0.7]\n')
    run_experiment(exp, out=tmp_path / "w", workers=1, progress=False)
    from sim.analysis.load import load_results

    results = load_results(tmp_path / "w")
    from sim.validation.statistics import OUTCOME_COLUMNS

    for check, why in per_point_checks().items():
        needs = OUTCOME_COLUMNS.get(BY_ID[check].statistic, ())
        if why or check.startswith("cases_") or not set(needs) <= set(results.runs):
            continue  # a check on outcome columns the model does not have yet is NaN
        value = evaluate(statistic(check, origin="t"), results).value[0]
        assert np.isnan(value) == (check in WARNING_CHECKS), check


def test_checks_comparing_parameter_sets_are_refused_with_the_reason(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + SAMPLE + '[targets.a]\nstatistic = "cry_wolf"\n')
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cry_wolf: a validation check that cannot score one design point" in err
    assert "it compares the studies cry_wolf" in err and "breznitz" in err


def test_committed_calibration_runs_end_to_end_at_tiny_size(tmp_path):
    calibration = load_calibration(ROOT / "experiments" / "calibration.toml")
    import dataclasses

    tiny = dataclasses.replace(calibration, experiment=calibration.experiment.shrunk(
        days=60, replications=2, n=6))
    found = calibrate(tiny, out=tmp_path / "cal", workers=2, progress=False, confirm=2)
    assert len(found.scores.points) == 6
    assert set(found.best) == set(calibration.parameters)
    confirm = found.tables["calibration_confirm"].frame
    assert set(confirm["set"]) == {"defaults", "best"}
    assert set(confirm["target"]) == {t.id for t in calibration.targets}
    text = found.params_file.read_text()
    assert all(f"{p} = " in text for p in calibration.parameters)
    assert main(["run", "--days", "5", "--params", str(found.params_file), "--json"]) == 0


def test_calibrate_command_prints_the_result_and_writes_the_files(tmp_path, capsys):
    path = tmp_path / "small.toml"
    path.write_text("""
name = "small"
days = 30
replications = 2
seed = 1
[sample]
method = "lhs"
n = 4
[sample.ranges]
home_interdiction = [0.6, 0.95]
[targets.foiled]
statistic = "foiled_share"
low = 0.6
high = 0.95
[targets.gradient]
statistic = "rivalry"
""")
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "of 4 design points accepted" in printed and "home_interdiction = " in printed
    assert (out / "tables" / "best_params.toml").is_file()
    assert (out / "tables" / "calibration.md").is_file()


BAD = {
    "no targets": ("", ["targets", "missing or empty"]),
    "unknown statistic": ('[targets.a]\nstatistic = "happiness"\nlow = 0\n',
                          ["[targets.a]", "statistic", "'happiness'", "a validation check",
                           "deaths_per_attack", "or an outcome name"]),
    "no range": ('[targets.a]\nstatistic = "heed_rate"\n',
                 ["no accepted values", "only a validation check has a range of its own"]),
    "value without tolerance": ('[targets.a]\nstatistic = "heed_rate"\nvalue = 0.5\n',
                                ["tolerance: missing"]),
    "both forms": ('[targets.a]\nstatistic = "heed_rate"\nvalue = 0.5\ntolerance = 0.1\nlow = 0\n',
                   ["not both"]),
    "reversed range": ('[targets.a]\nstatistic = "heed_rate"\nlow = 0.6\nhigh = 0.4\n',
                       ["low 0.6 > high 0.4"]),
    "zero tolerance": ('[targets.a]\nstatistic = "heed_rate"\nvalue = 0.5\ntolerance = 0\n',
                       ["tolerance", "a number > 0"]),
    "unknown target key": ('[targets.a]\nstatistic = "heed_rate"\nlow = 0\nweight = 2\n',
                           ["weight", "unknown key"]),
    "unknown option": ('[calibration]\nrounds = 3\n[targets.a]\nstatistic = "heed_rate"\nlow = 0\n',
                       ["[calibration]", "rounds", "allowed: confirm"]),
    "log needed": ('record_warnings = false\n[targets.a]\nstatistic = "breznitz"\nlow = 0\n',
                   ["record_warnings", "target a needs the warning log"]),
}
HEAD = 'name = "b"\ndays = 5\n'
SAMPLE = '[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\nrivalry = [0, 1]\n'


@pytest.mark.parametrize("case", list(BAD))
def test_bad_calibration_file_one_line_exit_2(case, tmp_path, capsys):
    body, expected = BAD[case]
    top, _, tables = body.partition("[")
    text = HEAD + top + SAMPLE + (("[" + tables) if tables else "")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith(f"warnsim: error: {path}"), line
    for piece in expected:
        assert piece in line, (piece, line)
    assert not out.exists()


def test_a_grid_design_is_refused_and_sweep_points_to_calibrate(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + "[grid]\nrivalry = [0.1, 0.2]\n[targets.a]\nstatistic = \"heed_rate\"\nlow = 0\n")
    assert main(["calibrate", str(path)]) == 2
    assert 'allowed: method = "lhs"' in capsys.readouterr().err
    assert main(["sweep", str(path), "--dry-run"]) == 2
    assert "run `warnsim calibrate FILE`" in capsys.readouterr().err


def test_failed_runs_are_left_out_of_the_scores_and_counted(tmp_path):
    def flaky(spec: RunSpec) -> RunResult:
        if spec.params.face_cost > 4.0:
            raise RuntimeError("planted failure")
        return toy(spec)

    found = calibrate(parse_calibration(CONFIG), out=tmp_path / "f", workers=1, progress=False,
                      run_fn=flaky)
    failed_points = found.scores.points["face_cost"] > 4.0
    assert found.failed_runs == 3 * int(failed_points.sum()) > 0
    assert not found.scores.points.loc[failed_points, "accepted"].any()
    assert found.scores.points.loc[failed_points, "foiled"].isna().all()
    assert found.scores.accepted["face_cost"].max() <= 4.0
