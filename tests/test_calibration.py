"""`warnsim calibrate` by rejection: on a toy model whose true parameters are known (injected
with the sweep's run_fn) the accepted set contains them and narrows as tolerances tighten;
targets that cannot hold together are reported as conflicting; the best-supported set is
written as a parameter file that `warnsim run --params` and experiment files accept; metrics
and the calibration half of the cases are targets; bad calibration files are one line and exit
status 2. (ABC-SMC and the committed calibration file: tests/test_abc.py.)"""

from __future__ import annotations

import dataclasses
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
from sim.calibration.statistics import evaluate, statistic
from sim.cli import main
from sim.outcomes import OUTCOMES
from sim.params import ModelParams
from sim.run import RunResult, RunSpec
from sim.sweep import load_experiment
from tests.test_plots import layout_problems

ROOT = Path(__file__).resolve().parents[1]
TRUE_INTERDICTION, TRUE_LETHALITY = 0.8, 1.5
"""The toy world's truth: heed rate 0.8, deaths 100 x 1.5 = 150 a run."""


def toy(spec: RunSpec) -> RunResult:
    """Warnings heeded with probability home_interdiction; deaths Poisson with mean 100 x
    lethality_scale; face_cost does nothing. Noise from the run's seed."""
    p = spec.params
    rng = np.random.default_rng(spec.seed)
    out: dict[str, float] = {o.name: 0 for o in OUTCOMES}
    delivered = 200
    out.update(warnings_delivered=delivered,
               warnings_heeded=int(rng.binomial(delivered, p.home_interdiction)),
               casualties=float(rng.poisson(100 * p.lethality_scale)))
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
statistic = "heed_rate"
value = 0.8
tolerance = 0.08
source = "the toy's truth"

[targets.deadliness]
statistic = "casualties"
value = 150.0
tolerance = 50.0
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
    # A heed rate of 0.8 needs home_interdiction near 0.8; also asking for 0.6 cannot hold.
    text = CONFIG + '\n[targets.fewer_foiled]\nstatistic = "heed_rate"\nlow = 0.55\nhigh = 0.65\n'
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
        "warnings_heeded": [3, 0, 9, 1, 1, 1], "warnings_delivered": [4, 1, 10, 2, 2, 2],
        "casualties": [1.0, 2.0, 6.0, 0.0, 0.0, 0.0],
    })
    v = evaluate(statistic("heed_rate", origin="t"), memory_results(runs), draws=500)
    assert v.value.tolist() == [12 / 15, 0.5]  # pooled, not the mean of per-run shares
    assert v.low[0] < 12 / 15 < v.high[0] and v.low[1] == v.high[1] == 0.5
    m = evaluate(statistic("casualties", origin="t"), memory_results(runs), draws=500)
    assert m.value.tolist() == [3.0, 0.0]
    # The same formula per particle (ABC-SMC): [particle, replication] arrays.
    columns = {c: runs[c].to_numpy(float).reshape(2, 3)
               for c in ("warnings_heeded", "warnings_delivered", "casualties")}
    assert statistic("heed_rate", origin="t").per_particle(columns, []).tolist() == [12 / 15, 0.5]
    assert statistic("casualties", origin="t").per_particle(columns, []).tolist() == [3.0, 0.0]


def toy_with_matrices(spec: RunSpec) -> RunResult:
    """The toy with the end-of-run matrices that metrics are evaluated with."""
    return dataclasses.replace(toy(spec), agencies=["A", "B"],
                               trust_matrix=[[None, 0.5], [0.5, None]],
                               rivalry_matrix=[[0.0, 0.5], [0.5, 0.0]])


def test_metrics_are_targets_scored_as_the_mean_over_runs(tmp_path):
    text = CONFIG.replace('[sample]', '[metrics]\ndeaths_per_heed = "casualties / warnings_heeded"'
                          '\n\n[sample]') + (
        '\n[targets.per_heed]\nstatistic = "deaths_per_heed"\nlow = 0\nhigh = 1\n')
    calibration = parse_calibration(text)
    found = calibrate(calibration, out=tmp_path / "m", workers=1, progress=False,
                      run_fn=toy_with_matrices)
    from sim.analysis.load import load_results

    runs = load_results(found.out).ok
    expected = (runs["casualties"] / runs["warnings_heeded"]).groupby(runs["point_id"]).mean()
    v = evaluate(calibration.targets[-1].statistic, load_results(found.out))
    assert v.value == pytest.approx(expected.to_numpy())


def test_case_scores_are_targets_scored_at_each_points_parameters(tmp_path):
    from sim.cases import Half, builtin_cases, cases_in
    from sim.validation.scoring import evaluate as score_cases

    cases = tmp_path / "cases.csv"
    cases.write_text((ROOT / "sim" / "data" / "cases.csv").read_text())
    config = CONFIG.replace("n = 200", "n = 3") + (
        f'\n[calibration]\ncases = "{cases}"\n[targets.cases]\n'
        'statistic = "cases_calibration_brier"\nvalue = 0\ntolerance = 0.667\n')
    found = calibrate(parse_calibration(config), out=tmp_path / "c", workers=1,
                      progress=False, run_fn=toy)
    from sim.analysis.load import load_results

    results = load_results(found.out)
    v = evaluate(statistic("cases_calibration_brier", origin="t", cases_file=cases), results)
    half = cases_in(Half.CALIBRATION, builtin_cases())  # the codebook's calibration half
    assert 0 < len(half) < len(builtin_cases())
    for point_id, value in zip(v.point_id, v.value, strict=True):
        row = results.ok[results.ok["point_id"] == point_id].iloc[0]
        params = ModelParams().replace(home_interdiction=row["home_interdiction"],
                                       lethality_scale=row["lethality_scale"],
                                       face_cost=row["face_cost"])
        assert value == pytest.approx(score_cases(params, half).brier.value)


def test_validation_checks_are_refused_as_targets_with_their_source(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + SAMPLE + '[targets.a]\nstatistic = "foiled_share"\nlow = 0.6\n')
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err
    from sim.validation.registry import registry

    source = next(e.source for e in registry().checks if e.id == "foiled_share")
    assert source.startswith("Heritage Foundation")
    assert f"foiled_share is validation check foiled_share ({source})" in err
    assert "calibrate on data you do not validate on" in err and "heed_rate" in err


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
[targets.heeded]
statistic = "heed_rate"
low = 0.3
high = 0.95
[targets.deaths]
statistic = "casualties"
low = 0
high = 500
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
                          ["[targets.a]", "statistic", "'happiness'", "an outcome no validation "
                           "check uses", "heed_rate", "a metric", "cases_calibration_brier"]),
    "no range": ('[targets.a]\nstatistic = "heed_rate"\n',
                 ["no accepted values", "value and tolerance, or low and/or high"]),
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
                       ["[calibration]", "rounds", "allowed: method, cases, confirm"]),
    "validation check": ('[targets.a]\nstatistic = "breznitz"\nlow = 0\n',
                         ["breznitz is validation check breznitz (Breznitz 1984"]),
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
    refused_in_one_line(path, tmp_path / "out", expected, capsys)


def refused_in_one_line(path: Path, out: Path, expected: list[str], capsys) -> None:
    """`warnsim calibrate PATH` exits 2 with one line naming the file and each of
    ``expected``, and writes nothing."""
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
