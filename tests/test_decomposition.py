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
from sim.mechanisms import BY_NAME, MECHANISMS, all_off
from sim.params import ModelParams
from sim.sweep import load_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]


def test_committed_design_matches_the_registry():
    text = (ROOT / "experiments" / "decomposition_points.csv").read_text(encoding="utf-8")
    assert text == design_csv(), "run python scripts/decomposition_design.py"
    names = [name for name, _ in design_rows()]
    assert names == [BASELINE, *(m.name for m in MECHANISMS), ALL]


def test_every_mechanism_switch_is_a_valid_parameter_change():
    defaults = ModelParams()
    for m in MECHANISMS:
        switched = m.switched_off(defaults)
        assert any(getattr(switched, k) != getattr(defaults, k) for k in m.switches), m.name
    ModelParams().replace(**all_off())


def test_switches_start_from_the_base_parameters():
    # "Believed shares equal" must equal the base's ally share, not the default's.
    base = ModelParams().replace(believed_manipulative_ally=0.2)
    assert BY_NAME["suspicion"].switched_off(base).believed_manipulative_rival == 0.2
    rows = dict(design_rows(base))
    assert rows["suspicion"]["believed_manipulative_rival"] == 0.2
    assert rows[ALL]["believed_manipulative_rival"] == 0.2


class Planted:
    """A results object with planted heed counts: each mechanism's gradient is known."""

    def __init__(self, gradients: dict[str, float], replications: int = 40) -> None:
        rows = []
        names = dict(design_rows())
        for point_id, (name, values) in enumerate(names.items()):
            for k in range(replications):
                rows.append({"point_id": point_id, "replication": k, "status": "ok", **values,
                             "delivered_low_rivalry": 100, "heeded_low_rivalry": 80,
                             "delivered_high_rivalry": 100,
                             "heeded_high_rivalry": round(100 * (0.8 - gradients[name]))})
        self.ok = pd.DataFrame(rows)


def test_shares_are_one_minus_the_gradient_ratio_on_planted_data():
    planted = {name: 0.4 for name, _ in design_rows()} | {"manipulation": 0.1, ALL: 0.0}
    table = decomposition_table(Planted(planted)).set_index("mechanism")
    assert table.loc[BASELINE, "gradient"] == pytest.approx(0.4)
    assert table.loc["manipulation", "share_explained"] == pytest.approx(0.75)
    assert table.loc["face", "share_explained"] == pytest.approx(0.0)
    assert table.loc[ALL, "share_explained"] == pytest.approx(1.0)
    # no noise: the bootstrap interval collapses onto the estimate
    assert table.loc["manipulation", "share_low"] == pytest.approx(0.75)


def test_a_sweep_that_is_not_a_decomposition_is_refused():
    broken = Planted({name: 0.4 for name, _ in design_rows()})
    broken.ok = broken.ok.drop(columns=["face_cost"])
    with pytest.raises(UserError, match="not a decomposition sweep"):
        decomposition_table(broken)


@pytest.mark.slow
def test_the_decomposition_experiment_runs_end_to_end(tmp_path, capsys):
    experiment = load_experiment(ROOT / "experiments" / "decomposition.toml").shrunk(
        days=120, replications=12)
    out = tmp_path / "decomposition"
    assert run_experiment(experiment, out=out, workers=1, progress=False).failed == 0
    assert main(["decompose", str(out)]) == 0
    table = pd.read_csv(out / "tables" / "decomposition.csv")
    assert list(table["mechanism"]) == [BASELINE, *(m.name for m in MECHANISMS), ALL]
    assert np.isfinite(table["share_explained"]).all()
    assert "Share explained" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["design"]["kind"] == "points"
    assert load_results(out).design.kind.value == "points"
