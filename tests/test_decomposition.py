"""The decomposition of the rivalry gradient: its design follows the mechanism registry, its
arithmetic is right on planted data, and the experiment runs end to end at tiny size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.decomposition import ALL, BASELINE, decomposition_table, design_csv, design_rows
from sim.analysis.load import load_results
from sim.cli import main
from sim.errors import UserError
from sim.mechanisms import BY_NAME, MECHANISMS, active, all_off
from sim.params import ModelParams
from sim.run import RunSpec, simulate
from sim.sweep import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]


def test_committed_design_matches_the_registry():
    text = (ROOT / "experiments" / "decomposition_points.csv").read_text(encoding="utf-8")
    assert text == design_csv(), "run python scripts/decomposition_design.py"
    names = [name for name, _ in design_rows()]
    assert names == [BASELINE, *(m.name for m in active()), ALL]


def test_every_mechanism_switch_is_a_valid_parameter_change():
    """Each switch turns off something that is on. Declared suspicion (suspicion_bias 0), the
    political and face costs (rival_action_cost, face_cost 0) and intelligence diplomacy
    (diplomacy_effect 0) are off at the defaults, so they are switched on in the base here, and
    they are exactly the mechanisms the defaults' decomposition leaves out."""
    base = ModelParams(suspicion_bias=1.0, rival_action_cost=0.5, face_cost=0.1,
                       diplomacy_effect=0.05)
    for m in MECHANISMS:
        switched = m.switched_off(base)
        assert any(getattr(switched, k) != getattr(base, k) for k in m.switches), m.name
    assert active(base) == MECHANISMS
    assert {m.name for m in MECHANISMS} - {m.name for m in active()} == {
        "suspicion", "political", "face", "diplomacy"}


def test_the_null_world_leaves_nothing_on():
    """Every mechanism is off in the null world, and it is a valid parameter set whatever the
    base (here with every mechanism on)."""
    assert active(ModelParams().replace(**all_off())) == ()
    base = ModelParams(suspicion_bias=1.0, rival_action_cost=0.5, face_cost=0.1,
                       diplomacy_effect=0.05)
    assert active(base.replace(**all_off(base))) == ()


@pytest.mark.slow
def test_a_rivals_deaths_as_gain_changes_nothing_in_the_null_world():
    """With rivalry_gain 0 a sender's hostility (rivalry_gain x opportunism x rivalry per death)
    is 0 and recipients read no sender's warning through why it would send it, so the null
    world is the same run with deaths_as_gain on or off, whatever the doctrine (discretionary
    senders included): the hostility switch in all_off() covers nothing rivalry_gain 0 leaves
    on."""
    null = ModelParams().replace(**all_off())
    for doctrine in ("warn_all", "discretion"):
        on, off = (simulate(RunSpec(params=null.replace(deaths_as_gain=flag, doctrine=doctrine),
                                    seed=seed, record_warnings=True))
                   for flag, seed in ((True, 3), (False, 3)))
        assert on.outcomes == pytest.approx(off.outcomes, nan_ok=True), doctrine
        assert pd.DataFrame(on.warnings).equals(pd.DataFrame(off.warnings)), doctrine


def test_switches_start_from_the_base_parameters():
    """A decomposition of another base switches each mechanism off from that base and keeps
    its other values: with a political and a face cost on, both are decomposed, and the other
    rows keep them."""
    base = ModelParams().replace(rival_action_cost=0.5, face_cost=0.1)
    assert BY_NAME["opportunism"].switched_off(base).face_cost == 0.1
    rows = dict(design_rows(base))
    assert list(rows) == [BASELINE, *(m.name for m in active(base)), ALL]
    assert {"political", "face"} <= set(rows)
    assert (rows["opportunism"]["face_cost"], rows["opportunism"]["rival_action_cost"]) == (0.1, 0.5)
    assert rows["face"]["face_cost"] == 0.0 and rows["face"]["rival_action_cost"] == 0.5
    assert rows[ALL]["face_cost"] == 0.0 and rows[ALL]["rival_action_cost"] == 0.0


class Planted:
    """A results object with planted warning logs: in every run recipient X heeds 80 of 100
    low-rivalry warnings and a planted share of 100 high-rivalry ones, recipient Y 50 of 100
    in both bands, so each mechanism's gradient (recipient by recipient) is known."""

    def __init__(self, gradients: dict[str, float], replications: int = 40) -> None:
        runs, logs = [], []
        names = dict(design_rows())
        for point_id, (name, values) in enumerate(names.items()):
            for k in range(replications):
                run_id = len(runs)
                runs.append({"run_id": run_id, "point_id": point_id, "replication": k,
                             "status": "ok", **values})
                high = round(100 * (0.8 - gradients[name]))
                for recipient, rivalry, heeded in (("X", 0.1, 80), ("X", 0.9, high),
                                                   ("Y", 0.1, 50), ("Y", 0.9, 50)):
                    logs.append(pd.DataFrame({
                        "run_id": run_id, "recipient": recipient, "rivalry": rivalry,
                        "delivered_day": 1, "heeded": np.arange(100) < heeded}))
        self.ok = pd.DataFrame(runs)
        self.warnings = pd.concat(logs, ignore_index=True)


def test_shares_are_one_minus_the_gradient_ratio_on_planted_data():
    """Mantel-Haenszel weights are equal (100 x 100 / 200 for both recipients), so the
    gradient is the mean of X's planted gradient and Y's zero."""
    planted = {name: 0.4 for name, _ in design_rows()} | {"opportunism": 0.1, ALL: 0.0}
    table = decomposition_table(Planted(planted)).set_index("mechanism")
    assert table.loc[BASELINE, "gradient"] == pytest.approx(0.2)
    assert table.loc["opportunism", "share_explained"] == pytest.approx(0.75)
    assert table.loc["doctrine", "share_explained"] == pytest.approx(0.0)
    assert table.loc[ALL, "share_explained"] == pytest.approx(1.0)
    # no noise: the bootstrap interval collapses onto the estimate
    assert table.loc["opportunism", "share_low"] == pytest.approx(0.75)


def test_a_sweep_that_is_not_a_decomposition_is_refused():
    broken = Planted({name: 0.4 for name, _ in design_rows()})
    broken.ok = broken.ok.drop(columns=["face_cost"])
    with pytest.raises(UserError, match="not a decomposition sweep"):
        decomposition_table(broken)
    without_log = Planted({name: 0.4 for name, _ in design_rows()})
    without_log.warnings = None
    with pytest.raises(UserError, match="needs the warning log"):
        decomposition_table(without_log)


@pytest.mark.slow
def test_the_decomposition_experiment_runs_end_to_end(tmp_path, capsys):
    experiment = load_experiment(ROOT / "experiments" / "decomposition.toml").shrunk(
        days=120, replications=12)
    out = tmp_path / "decomposition"
    assert run_experiment(experiment, out=out, workers=1, progress=False).failed == 0
    assert main(["decompose", str(out)]) == 0
    table = pd.read_csv(out / "tables" / "decomposition.csv")
    assert list(table["mechanism"]) == [BASELINE, *(m.name for m in active()), ALL]
    assert np.isfinite(table["share_explained"]).all()
    assert "Share explained" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["design"]["kind"] == "points"
    assert load_results(out).design.kind.value == "points"
