"""Scenario discovery: PRIM recovers planted boxes, refuses questions it cannot answer, and
the discovery paper experiment runs end to end at tiny size through the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import discover, discovery_figure, prim
from sim.analysis.load import load_results
from sim.analysis.plots import style
from sim.analysis.sensitivity import point_values
from sim.cli import main
from sim.errors import UserError
from sim.sweep import load_experiment, run_experiment
from tests.test_plots import layout_problems

ROOT = Path(__file__).resolve().parents[1]


def uniform(n: int, seed: int, names=("a", "b", "c")) -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(seed).random((n, len(names))), columns=list(names))


def test_prim_recovers_a_planted_box_despite_noise():
    x = uniform(3000, 1)
    truth = x["a"].between(0.2, 0.6) & (x["b"] >= 0.5)
    flip = np.random.default_rng(2).random(len(x)) < 0.05
    y = np.where(flip, ~truth, truth)
    box = prim(x, y, boxes=1, min_coverage=0.8)[0].box
    assert box.limits["a"][0] == pytest.approx(0.2, abs=0.05)
    assert box.limits["a"][1] == pytest.approx(0.6, abs=0.05)
    assert box.limits["b"][0] == pytest.approx(0.5, abs=0.05)
    assert box.limits["b"][1] > 0.95 and box.limits["c"] == pytest.approx((0, 1), abs=0.05)
    assert box.density > 0.85 and box.coverage >= 0.8


def test_the_covering_approach_stops_when_only_noise_is_left():
    """Cases drawn at random: no later box may be reported, however many are asked for."""
    x = uniform(2000, 3)
    y = np.random.default_rng(4).random(len(x)) < 0.2
    found = prim(x, y, boxes=4)
    assert len(found) == 1


def test_peeling_never_lowers_the_trajectorys_best_density():
    x = uniform(800, 5)
    y = (x["a"] + 0.3 * x["b"] > 0.9).to_numpy()
    t = prim(x, y)[0]
    assert t.boxes[0].coverage == 1 and t.boxes[0].mass == 1
    assert all(b.mass >= 0.05 - 1e-9 for b in t.boxes)
    assert np.all(np.diff([b.mass for b in t.boxes]) < 0)
    assert t.box.density == max(b.density for b in t.boxes if b.coverage >= 0.5)


def test_prim_refuses_a_threshold_no_point_reaches():
    x = uniform(100, 7)
    with pytest.raises(UserError, match="0 of 100 design points"):
        prim(x, np.zeros(100, bool))


@pytest.fixture(scope="module")
def tiny_discovery(tmp_path_factory):
    experiment = load_experiment(ROOT / "experiments" / "discovery.toml").shrunk(days=60, replications=1)
    out = tmp_path_factory.mktemp("discovery") / "discovery"
    summary = run_experiment(experiment, out=out, workers=1, progress=False)
    assert summary.failed == 0, summary.first_failure
    return out


def test_the_discovery_experiment_runs_end_to_end(tiny_discovery, capsys):
    results = load_results(tiny_discovery)
    contrast = ("doctrine", "non_rivals", "warn_all")
    probe = discover(results, "net_harm", 0.0, contrast=contrast, boxes=1, min_coverage=0.1)
    threshold = float(np.median(_contrast_values(results)))
    args = ["discover", str(tiny_discovery), "--outcome", "net_harm", "--contrast",
            "doctrine=non_rivals:warn_all", "--threshold", f"{threshold:.6f}"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "net_harm[doctrine=non_rivals] - net_harm[doctrine=warn_all] >=" in out
    boxes = pd.read_csv(tiny_discovery / "tables" / "discovery_boxes.csv")
    assert {"coverage", "density", "box_low", "box_high"} <= set(boxes.columns)
    assert (boxes["density"] > 0.5).all()
    for ext in ("csv", "md", "tex"):
        assert (tiny_discovery / "tables" / f"discovery_trajectory.{ext}").is_file()
    assert (tiny_discovery / "figures" / "discovery.png").is_file()
    assert len(probe.y) == 256  # one contrast per sampled condition
    found = discover(results, "net_harm", threshold, contrast=contrast)
    with style():
        fig = discovery_figure(found)
    assert not layout_problems(fig)


def _contrast_values(results) -> np.ndarray:
    runs = results.ok
    values = point_values(runs, "net_harm")
    doctrine = runs.groupby("point_id")["doctrine"].first()
    frame = pd.DataFrame({"value": values, "doctrine": doctrine})
    # points alternate warn_all, non_rivals for the same condition (scripts/discovery_design.py)
    a = frame[frame.doctrine == "non_rivals"].value.to_numpy()
    b = frame[frame.doctrine == "warn_all"].value.to_numpy()
    return a - b


def test_a_contrast_is_the_paired_difference_between_two_levels(tiny_discovery):
    results = load_results(tiny_discovery)
    threshold = float(np.median(_contrast_values(results)))
    found = discover(results, "net_harm", threshold, contrast=("doctrine", "non_rivals", "warn_all"),
                     boxes=1, min_coverage=0.1)
    expected = _contrast_values(results) >= threshold
    assert sorted(found.y.tolist()) == sorted(expected.tolist())
    with pytest.raises(UserError, match="has no level 'sometimes'"):
        discover(results, "net_harm", 0.0, contrast=("doctrine", "sometimes", "warn_all"))
    with pytest.raises(UserError, match="'colour' is not a swept parameter"):
        discover(results, "net_harm", 0.0, contrast=("colour", "a", "b"))


def test_discover_rejects_bad_input_in_one_line(tiny_discovery, capsys):
    assert main(["discover", str(tiny_discovery), "--outcome", "heed_ratio", "--threshold", "0.5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("warnsim: error: --outcome: 'heed_ratio' is not an outcome") and err.count("\n") == 1
    assert main(["discover", str(tiny_discovery), "--outcome", "heed_rate", "--contrast",
                 "doctrine", "--threshold", "0"]) == 2
    assert "--contrast: got 'doctrine'; allowed: FACTOR=A:B" in capsys.readouterr().err
    assert main(["discover", str(tiny_discovery), "--outcome", "heed_rate", "--threshold", "2"]) == 2
    assert "change --threshold" in capsys.readouterr().err
    assert main(["discover", str(tiny_discovery), "--outcome", "heed_rate", "--threshold", "0.5",
                 "--alpha", "0.7"]) == 2
