"""Replication planning (`warnsim plan`): the replications a target interval width needs, on
cases with known answers (a mean whose per-replication values are planted exactly, a pooled
rate of known binomial variance), the pilot's choice of points, the command's output and its
bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.planning import plan_replications, replications_for
from sim.cli import main
from sim.outcomes import OUTCOMES
from sim.plan import pilot_experiment, run_pilot
from sim.run import RunResult, RunSpec
from sim.sweep import parse_experiment
from sim.sweep.seeds import replication_seeds

HEAD = 'name = "p"\ndays = 1\nseed = 9\nreplications = 3\nrecord_warnings = false\n'
PILOT = 40
PLANTED = np.array([(-1.0) ** k * 2.0 for k in range(PILOT)])
"""The net_harm of replication k: +-2 alternating, so the pilot's SD is known exactly."""
INDEX = {seed: k for k, seed in enumerate(replication_seeds(9, PILOT))}


def planted(spec: RunSpec) -> RunResult:
    out: dict[str, float] = {o.name: 0 for o in OUTCOMES}
    out["net_harm"] = 10 + PLANTED[INDEX[spec.seed]] * (1 + spec.params.rivalry)
    rng = np.random.default_rng(spec.seed)
    out["warnings_delivered"] = 10
    out["warnings_heeded"] = int(rng.binomial(10, 0.3))
    return RunResult(out, None, None)


def experiment(grid: str = "rivalry = [0.0, 1.0]"):
    return parse_experiment(HEAD + f"[grid]\n{grid}\n")


def test_the_t_formula_by_hand():
    # sd 2, width 0.4, 95%: the smallest m with 2 t(m-1) 2 / sqrt(m) <= 0.4.
    m = replications_for(2.0, 0.4, 0.95)
    assert 2 * stats.t.ppf(0.975, m - 1) * 2 / math.sqrt(m) <= 0.4
    assert 2 * stats.t.ppf(0.975, m - 2) * 2 / math.sqrt(m - 1) > 0.4
    assert m == 387
    assert replications_for(0.0, 0.1, 0.95) == 2
    assert replications_for(1.0, 1e-9, 0.95) == 1_000_000  # capped at the sweep's limit


def test_planted_means_give_the_hand_computed_replications():
    runs, chosen, _ = run_pilot(experiment(), replications=PILOT, points=8, workers=1,
                                run_fn=planted)
    assert chosen == [0, 1]
    plan = plan_replications(runs, "net_harm", width=0.4)
    table = plan.table.set_index("point_id")
    for point, scale in ((0, 1.0), (1, 2.0)):
        sd = float(np.std(PLANTED * scale, ddof=1))
        assert table.loc[point, "sd"] == pytest.approx(sd)
        assert table.loc[point, "replications"] == replications_for(sd, 0.4, 0.95)
        assert table.loc[point, "replications_low"] < table.loc[point, "replications"]
        assert table.loc[point, "replications"] < table.loc[point, "replications_high"]
    assert plan.needed == table["replications"].max() == table.loc[1, "replications"]


def test_pooled_rate_plan_matches_the_binomial_answer():
    # Heed rate p = 0.3 from 10 warnings a run: the pooled rate over m runs has variance
    # p (1 - p) / (10 m), so a 95% width w needs about (2 z)^2 p (1 - p) / (10 w^2) runs.
    runs, _, _ = run_pilot(experiment("rivalry = [0.5]"), replications=400, points=1, workers=1,
                           run_fn=planted)
    plan = plan_replications(runs, "heed_rate", width=0.05)
    truth = (2 * stats.norm.ppf(0.975)) ** 2 * 0.3 * 0.7 / (10 * 0.05**2)
    row = plan.table.iloc[0]
    assert row["replications"] == pytest.approx(truth, rel=0.2)
    assert row["replications_low"] <= truth <= row["replications_high"]
    assert row["estimate"] == pytest.approx(0.3, abs=0.02)


def test_pilot_spreads_its_points_over_a_large_design():
    exp = experiment("rivalry = { start = 0.0, stop = 1.0, num = 21 }")
    pilot, chosen = pilot_experiment(exp, 5, 4)
    assert chosen == [0, 7, 13, 20] and pilot.replications == 5
    from sim.sweep import build_design

    full, small = build_design(exp), build_design(pilot)
    assert [small.point(i) for i in range(4)] == [full.point(i) for i in chosen]


def test_plan_command_prints_the_answer(tmp_path, capsys):
    path = tmp_path / "e.toml"
    path.write_text('name = "e"\ndays = 20\nreplications = 3\n[grid]\nrivalry = [0.2, 0.9]\n')
    assert main(["plan", str(path), "--outcome", "heed_rate", "--width", "0.1",
                 "--pilot", "4", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "pilot of 4 replications at 2 of 2 design points" in out
    assert "For a 95% interval of full width 0.1 on heed_rate" in out
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["--outcome", "happiness", "--width", "0.1"], "--outcome: got 'happiness'"),
    (["--outcome", "heed_rate", "--width", "0"], "--width: got 0.0; allowed: a number > 0"),
    (["--outcome", "heed_rate", "--width", "0.1", "--confidence", "1.5"], "--confidence"),
    (["--outcome", "heed_rate", "--width", "0.1", "--pilot", "1"], "--pilot: got 1"),
])
def test_plan_bad_inputs_are_one_line(args, expected, tmp_path, capsys):
    path = tmp_path / "e.toml"
    path.write_text('name = "e"\ndays = 5\n[grid]\nrivalry = [0.2]\n')
    assert main(["plan", str(path), *args, "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and expected in err, err


def test_planned_replications_reach_the_width():
    # Plan from a pilot, then run that many: the interval's width is near the target.
    rng = np.random.default_rng(4)
    pilot = pd.DataFrame({"point_id": 0, "replication": range(60),
                          "net_harm": rng.normal(5, 3, 60)})
    plan = plan_replications(pilot, "net_harm", width=1.0)
    m = plan.needed
    full = rng.normal(5, 3, m)
    width = 2 * stats.t.ppf(0.975, m - 1) * full.std(ddof=1) / math.sqrt(m)
    assert width == pytest.approx(1.0, rel=0.25)
