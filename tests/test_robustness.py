"""The robustness map (``warnsim robustness``): its design follows the committed Morris screen,
its verdicts are right on planted results whose statistics are known by hand, and it runs end
to end on a tiny real sweep; bad input gets one line and exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.robustness import (
    FINDINGS,
    GRADIENT_OUTCOMES,
    load_sweeps,
    robustness_table,
    shares_table,
    summary,
)
from sim.analysis.robustness_design import (
    ARM_PARAMETERS,
    AXIS_STEPS,
    GRADIENT_POINTS_FILE,
    MAP_AXES,
    POINTS_FILE,
    SCREEN_FILE,
    arms,
    axis_levels,
    choose,
    design_files,
)
from sim.cli import main
from sim.errors import UserError
from sim.params import PARAMETERS, Basis, ModelParams
from sim.sweep import load_experiment, run_experiment
from sim.validation.suite import RELIABILITY_LEVELS

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
REPS = 4
X_AXIS, Y_AXIS = MAP_AXES
CELLS = {"A": 0.1, "B": 0.2}
"""The planted map: two cells along the x axis, stake_cost (lethality_scale 1, its default);
B is the defaults (stake_cost 0.2)."""


def test_committed_experiments_are_what_the_committed_screen_gives():
    import tomllib

    screen = pd.read_csv(EXPERIMENTS / SCREEN_FILE)
    ranges = tomllib.loads((EXPERIMENTS / "morris.toml").read_text())["sample"]["ranges"]
    for name, text in design_files(screen, ranges).items():
        assert (EXPERIMENTS / name).read_text(encoding="utf-8") == text, (
            f"run python scripts/robustness_design.py --from-screen ({name})")
    for c in choose(screen):
        assert PARAMETERS[c.parameter].basis is Basis.ASSUMPTION


def test_the_map_axes_are_swept_through_their_defaults():
    """A doubling grid through each axis's default needs a default that is not 0 (action_cost,
    the former x axis, is 0 at the defaults) and inside the axis's plausible range."""
    import tomllib

    ranges = tomllib.loads((EXPERIMENTS / "morris.toml").read_text())["sample"]["ranges"]
    for name in MAP_AXES:
        default = float(PARAMETERS[name].default)
        levels = axis_levels(name, ranges)
        assert default > 0 and default in levels and len(levels) == len(AXIS_STEPS), name
    assert axis_levels(X_AXIS, ranges) == (0.05, 0.1, 0.2, 0.4)


def test_the_rule_takes_the_largest_relative_mu_star_among_assumptions():
    rows = [("casualties", "a_data", "data", 1.0), ("casualties", X_AXIS, "assumption", 0.9)]
    assumed = [p for p in PARAMETERS.values()
               if p.basis is Basis.ASSUMPTION and p.is_numeric
               and p.name not in (*MAP_AXES, *ARM_PARAMETERS)][:4]
    rows += [(o, p.name, "assumption", 0.1 * (i + 1))
             for i, p in enumerate(assumed) for o in ("heed_rate_low_rivalry",)]
    rows += [(o, assumed[0].name, "assumption", 0.95) for o in ("net_harm",)]
    rows += [(o, assumed[0].name, "assumption", 0.0)
             for o in ("heed_rate_high_rivalry", "casualties")]
    screen = pd.DataFrame([{"outcome": o, "parameter": p, "basis": b, "mu_star": r,
                            "mu_star_low": 0.0, "mu_star_high": r, "noise": 0.0, "relative": r}
                           for o, p, b, r in rows if p in PARAMETERS])
    chosen = [c.parameter for c in choose(screen)]
    # assumed[0] by its 0.95 on net_harm; then assumed[3] (0.4) and assumed[2] (0.3); the
    # axes (stake_cost) and parameters sourced from data are never chosen.
    assert chosen == [assumed[0].name, assumed[3].name, assumed[2].name]
    with pytest.raises(UserError, match="no outcome"):
        choose(screen[screen["outcome"] != "net_harm"])


# --- planted results -----------------------------------------------------------------------------

def _manifest(directory: Path, parameters: list[str], points: int) -> None:
    manifest = {"experiment": {"name": directory.name, "question": "planted",
                               "scenario": "default", "days": 30, "replications": REPS,
                               "seed": 1, "fixed": {}},
                "design": {"kind": "points", "parameters": parameters, "points": points}}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _arm_outcomes(cell: str, label: str) -> dict[str, float]:
    """Known by hand: in cell A warning everyone halves deaths (share averted 0.5) and averts
    2 units of net harm, and the benefit of choosing over dismissing is 10 (r - 0.5) (crossover
    at reliability r = 0.5); in cell B it adds deaths (-0.2), averts no net harm (0: neither
    side of the criterion > 0), and the benefit falls with reliability (no crossover)."""
    out = {"casualties": 5.0, "net_harm": 20.0, "false_alarms": 0.0, "warnings_sent": 10.0,
           "warnings_heeded": 5.0, "warnings_delivered": 10.0, "heeded_high_rivalry": 1.0,
           "delivered_high_rivalry": 2.0}
    if label in ("warn_all", "never"):
        deaths = {"A": {"never": 10.0, "warn_all": 5.0}, "B": {"never": 10.0, "warn_all": 12.0}}
        harm = {"A": {"never": 8.0, "warn_all": 6.0}, "B": {"never": 8.0, "warn_all": 8.0}}
        return out | {"casualties": deaths[cell][label], "net_harm": harm[cell][label]}
    level, policy = label[1:].split("/")
    i = [f"{k:g}" for k in RELIABILITY_LEVELS].index(level)
    r = 1 - i / 10  # i false alarms of 10 sent under both policies
    benefit = 10 * (r - 0.5) if cell == "A" else -10 * (r - 0.5)
    return out | {"false_alarms": float(i),
                  "net_harm": 20.0 if policy == "dismiss_all" else 20.0 - benefit}


def planted(tmp_path: Path) -> Path:
    """The two folders of a planted map; every replication alike, so every interval is a point."""
    out = tmp_path / "robustness"
    grad = tmp_path / "robustness_gradient"
    out.mkdir()
    grad.mkdir()
    runs, g_runs, log = [], [], []
    point = 0
    for g_point, (cell, cost) in enumerate(CELLS.items()):
        for label, values in arms():
            for rep in range(REPS):
                runs.append({"run_id": len(runs), "point_id": point, "replication": rep,
                             "seed": 100 + rep, "status": "ok", "error": "",
                             X_AXIS: cost, Y_AXIS: 1.0, **values,
                             **_arm_outcomes(cell, label)})
            point += 1
        for rep in range(REPS):
            run_id = len(g_runs)
            heeded_high = 0 if cell == "A" else 5  # low rivalry: 10 of 10 heeded in A, 5 in B
            heeded_low = 10 if cell == "A" else 5
            for rivalry, heeded in ((0.1, heeded_low), (0.9, heeded_high)):
                log += [{"run_id": run_id, "recipient": "X", "rivalry": rivalry,
                         "delivered_day": 1, "heeded": j < heeded} for j in range(10)]
            counts = {f"{q}_{b}_rivalry": 0.0 for q in ("heeded", "delivered")
                      for b in ("low", "mid", "high")}
            counts |= {"heeded_low_rivalry": heeded_low, "delivered_low_rivalry": 10,
                       "heeded_high_rivalry": heeded_high, "delivered_high_rivalry": 10}
            g_runs.append({"run_id": run_id, "point_id": g_point, "replication": rep,
                           "seed": 100 + rep, "status": "ok", "error": "", X_AXIS: cost,
                           Y_AXIS: 1.0, **counts})
    pd.DataFrame(runs).to_parquet(out / "runs.parquet")
    _manifest(out, [*MAP_AXES, *ARM_PARAMETERS], point)
    pd.DataFrame(g_runs).to_parquet(grad / "runs.parquet")
    pd.DataFrame(log).to_parquet(grad / "warnings.parquet")
    _manifest(grad, list(MAP_AXES), len(CELLS))
    return out


def test_verdicts_on_planted_results_are_those_derived_by_hand(tmp_path):
    sweeps = load_sweeps(planted(tmp_path))
    table = robustness_table(sweeps).set_index(X_AXIS)
    a, b = table.loc[CELLS["A"]], table.loc[CELLS["B"]]
    assert a["gradient"] == pytest.approx(1.0) and b["gradient"] == pytest.approx(0.0)
    assert a["doctrine_deaths"] == pytest.approx(0.5) and b["doctrine_deaths"] == pytest.approx(-0.2)
    assert a["doctrine_net_harm"] == pytest.approx(2.0) and b["doctrine_net_harm"] == 0.0
    assert a["crossover"] == pytest.approx(0.5) and b["crossover"] == np.inf
    assert (a["reliability_min"], a["reliability_max"]) == pytest.approx((0.2, 1.0))
    verdicts = {f.name: (a[f"{f.name}_verdict"], b[f"{f.name}_verdict"]) for f in FINDINGS}
    assert verdicts == {"gradient": ("holds", "fails"), "doctrine_deaths": ("holds", "fails"),
                        "doctrine_net_harm": ("holds", "undecided"),
                        "crossover": ("holds", "fails")}
    assert (table["replications"] == REPS).all() and (table["gradient_replications"] == REPS).all()
    shares = shares_table(table.reset_index(), sweeps.factors).set_index("result")
    assert shares["share_holds"].tolist() == [0.5] * 4
    assert shares["at_defaults"].tolist() == ["fails", "fails", "undecided", "fails"]
    text = summary(table.reset_index(), sweeps.factors)
    assert "Rivalry gradient" in text and "holds in 1 of 2 cells" in text
    assert "only where stake_cost = 0.1" in text


def test_the_cli_writes_tables_and_figure_from_planted_results(tmp_path, capsys):
    out = planted(tmp_path)
    assert main(["robustness", str(out)]) == 0
    for name in ("robustness", "robustness_shares"):
        for ext in ("csv", "md", "tex"):
            assert (out / "tables" / f"{name}.{ext}").stat().st_size > 0
    assert (out / "figures" / "robustness.png").stat().st_size > 0
    printed = capsys.readouterr().out  # the shares table (a column the same in every row is
    assert "Rivalry gradient" in printed and "Undecided" in printed  # printed as a note)
    cells = pd.read_csv(out / "tables" / "robustness.csv").set_index(X_AXIS)
    assert cells.loc[CELLS["A"], "doctrine_deaths"] == "holds: 0.5 [0.5, 0.5]"
    assert cells.loc[CELLS["B"], "doctrine_net_harm"] == "undecided: 0 [0, 0]"


@pytest.mark.parametrize("broken, message", [
    ("missing", "no such results folder"),
    ("no_gradient", "robustness_gradient: no such results folder"),
    ("not_a_map", "not a robustness sweep"),
    ("no_column", "no column 'net_harm'"),
])
def test_bad_input_gets_one_line_and_status_2(tmp_path, capsys, broken, message):
    out = planted(tmp_path)
    if broken == "missing":
        out = tmp_path / "nowhere"
    elif broken == "no_gradient":
        (tmp_path / "robustness_gradient").rename(tmp_path / "elsewhere")
    elif broken == "not_a_map":
        _manifest(out, list(MAP_AXES), 1)
    else:
        runs = pd.read_parquet(out / "runs.parquet").drop(columns=["net_harm"])
        runs.to_parquet(out / "runs.parquet")
    assert main(["robustness", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (out / "tables").exists()


# --- end to end ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_map_runs_end_to_end_on_a_tiny_sweep(tmp_path, capsys):
    """One cell at the defaults and one at twice the stake cost, 20 days, 3 replications; the
    other factors (the y axis and the committed experiments' chosen parameters) at their
    defaults."""
    x = getattr(ModelParams(), X_AXIS)
    cells = [{X_AXIS: x}, {X_AXIS: 2 * x}]
    columns = pd.read_csv(EXPERIMENTS / GRADIENT_POINTS_FILE, nrows=0).columns
    others = [c for c in dict.fromkeys([*MAP_AXES, *columns]) if c != X_AXIS]
    defaults = {c: getattr(ModelParams(), c) for c in others}
    grid = pd.DataFrame([defaults | cell for cell in cells])
    points = grid.merge(pd.DataFrame([v for _, v in arms()]), how="cross")
    points.to_csv(tmp_path / POINTS_FILE, index=False)
    grid.to_csv(tmp_path / GRADIENT_POINTS_FILE, index=False)
    for name in ("robustness.toml", "robustness_gradient.toml"):
        text = (EXPERIMENTS / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="utf-8")
        experiment = load_experiment(tmp_path / name).shrunk(days=20, replications=3)
        folder = tmp_path / "results" / name.removesuffix(".toml")
        assert run_experiment(experiment, out=folder, workers=1, progress=False).failed == 0
    out = tmp_path / "results" / "robustness"
    assert main(["robustness", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "tables" / "robustness_values.csv")
    assert sorted(table[X_AXIS]) == pytest.approx([x, 2 * x])
    assert set(table.columns) >= {f"{f.name}_verdict" for f in FINDINGS}
    assert (table["replications"] == 3).all()
    shares = pd.read_csv(out / "tables" / "robustness_shares.csv")
    assert (shares.reindex(columns=["holds", "fails", "undecided", "undefined"], fill_value=0)
            .sum(axis=1) == 2).all()
    assert "wrote" in capsys.readouterr().out
    assert set(GRADIENT_OUTCOMES) <= set(pd.read_parquet(
        tmp_path / "results" / "robustness_gradient" / "runs.parquet").columns)
