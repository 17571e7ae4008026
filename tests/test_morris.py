"""Morris screening: the design (`[sample] method = "morris"`), elementary effects against
functions whose effects are known (a linear model exactly; the Sobol G-function against the
analytic mu* and against SALib on the same points), the replication-noise level, the screening
rule, `warnsim analyze`/`plot` on a Morris folder and bad Morris options (one line, exit 2)."""

from __future__ import annotations

import itertools
import math
import zlib
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.figures import draw
from sim.analysis.load import load_results
from sim.analysis.morris import bootstrap, elementary_effects, indices, kept, morris_table
from sim.analysis.morris_figure import morris_scatter as morris
from sim.analysis.plots import heed_vs_rivalry
from sim.cli import main
from sim.outcomes import OUTCOMES
from sim.run import RunResult, RunSpec
from sim.sweep import build_design, parse_experiment, run_experiment
from sim.sweep.design import morris_trajectories
from tests.test_plots import layout_problems

HEAD = 'name = "m"\ndays = 1\nrecord_warnings = false\n'
RANGES = {"rivalry": (0.0, 1.0), "plot_rate": (0.0, 0.1), "relay_delay": (0, 30),
          "face_cost": (0.0, 5.0), "lead_time_mean": (3.0, 60.0)}
COEF = {"rivalry": 2.0, "plot_rate": -30.0, "relay_delay": 0.1, "face_cost": 0.0,
        "lead_time_mean": 0.01}
"""A linear model net_harm = sum COEF x: every elementary effect of x is COEF x range."""


def experiment(trajectories: int = 6, replications: int = 1, levels: int = 4, seed: int = 5):
    ranges = "\n".join(f"{k} = [{lo}, {hi}]" for k, (lo, hi) in RANGES.items())
    return parse_experiment(
        HEAD + f"replications = {replications}\nseed = {seed}\n[sample]\nmethod = \"morris\"\n"
        f"trajectories = {trajectories}\nlevels = {levels}\n[sample.ranges]\n{ranges}\n")


def outcomes(spec: RunSpec, noise: float = 0.0) -> dict[str, float]:
    p = spec.params
    out: dict[str, float] = {o.name: 0 for o in OUTCOMES}
    out["net_harm"] = sum(c * getattr(p, k) for k, c in COEF.items())
    if noise:  # independent across design points (not common random numbers)
        key = f"{spec.seed}/{sorted(p.to_dict().items())}".encode()
        out["net_harm"] += noise * np.random.default_rng(zlib.crc32(key)).normal()
    out["casualties"] = (p.rivalry - 0.5) ** 2 * 10  # non-monotone in rivalry
    out["warnings_delivered"] = 20
    out["warnings_heeded"] = round(20 * (1 - p.rivalry))
    return out


def linear(spec: RunSpec) -> RunResult:
    return RunResult(outcomes(spec), None, None)


def noisy(spec: RunSpec) -> RunResult:
    return RunResult(outcomes(spec, noise=0.5), None, None)


def sweep(tmp_path: Path, run_fn, **kw) -> Path:
    out = tmp_path / "m"
    run_experiment(experiment(**kw), out=out, workers=1, run_fn=run_fn, progress=False)
    return out


# --- the design --------------------------------------------------------------------------------

def test_each_step_moves_one_parameter_by_delta_on_the_level_grid():
    exp = experiment(trajectories=7)
    design = build_design(exp)
    d = len(RANGES)
    assert design.size == 7 * (d + 1) and design.describe()["levels"] == 4
    lows = np.array([lo for lo, _ in RANGES.values()], dtype=float)
    widths = np.array([hi - lo for lo, hi in RANGES.values()], dtype=float)
    x = np.array([[p[k] for k in RANGES] for p in design.points], dtype=float)
    unit = (x - lows) / widths
    floats = [i for i, k in enumerate(RANGES) if k != "relay_delay"]
    assert np.allclose(unit[:, floats] * 3, np.round(unit[:, floats] * 3), atol=1e-9)
    assert set(x[:, list(RANGES).index("relay_delay")]) <= {0, 10, 20, 30}
    for t in range(7):
        steps = np.diff(unit[t * (d + 1):(t + 1) * (d + 1)], axis=0)
        moved = np.abs(steps) > 1e-12
        assert (moved.sum(axis=1) == 1).all() and (moved.sum(axis=0) == 1).all()
        assert np.allclose(np.abs(steps[moved]), 2 / 3)  # delta = p / (2 (p - 1)), p = 4
    assert all(isinstance(p["relay_delay"], int) for p in design.points)
    again = [tuple(p.values()) for p in build_design(experiment(trajectories=7)).points]
    assert again == [tuple(p.values()) for p in design.points]
    other = [tuple(p.values()) for p in build_design(experiment(trajectories=7, seed=6)).points]
    assert other != again


def test_levels_other_than_four_keep_steps_on_the_grid():
    u = morris_trajectories(20, 3, 6, np.random.default_rng(1))
    assert np.allclose(u * 5, np.round(u * 5)) and u.min() >= 0 and u.max() <= 1
    steps = np.abs(np.diff(u.reshape(20, 4, 3), axis=1))
    assert np.allclose(steps[steps > 0], 6 / 10)


# --- known elementary effects --------------------------------------------------------------------

def test_linear_model_gives_exact_effects_through_the_sweep(tmp_path):
    table = morris_table(load_results(sweep(tmp_path, linear)), "net_harm").set_index("parameter")
    for name, c in COEF.items():
        width = RANGES[name][1] - RANGES[name][0]
        assert table.loc[name, "mu"] == pytest.approx(c * width, abs=1e-9)
        assert table.loc[name, "mu_star"] == pytest.approx(abs(c * width), abs=1e-9)
        assert table.loc[name, "sigma"] == pytest.approx(0, abs=1e-9)
        assert table.loc[name, "effects"] == 6
    assert list(table.index[:3]) == ["plot_rate", "relay_delay", "rivalry"]
    assert not table.loc["face_cost", "influential"] and table.loc["plot_rate", "influential"]


def test_non_monotone_effect_has_mu_near_zero_and_large_sigma(tmp_path):
    table = morris_table(load_results(sweep(tmp_path, linear, trajectories=30)),
                         "casualties").set_index("parameter")
    row = table.loc["rivalry"]
    # (x - 0.5)^2 x 10 at 0, 1/3, 2/3, 1 is 2.5, 5/18, 5/18, 2.5: every step of 2/3 changes
    # it by 20/9 one way or the other, so |EE| = 10/3 always, with either sign.
    assert row["mu_star"] == pytest.approx(10 / 3, abs=1e-9)
    assert abs(row["mu"]) < 0.5 * row["sigma"] and row["sigma"] > 3


G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])
"""Sobol' G-function coefficients (Saltelli et al. 2008, Global Sensitivity Analysis, 3.7):
the smaller a_i, the more important x_i."""


def g_function(u: np.ndarray) -> np.ndarray:
    return np.prod((np.abs(4 * u - 2) + G_A) / (1 + G_A), axis=1)


def g_analytic_mu_star(levels: int = 4) -> np.ndarray:
    """mu* of the G-function on the Morris grid, exactly. G is a product of positive factors
    g_j, so |EE_i| = |g_i(x + delta) - g_i(x)| / delta x prod_{j != i} g_j(x_j): the expected
    first factor over the base levels x <= 1 - delta, times the others' means over all
    levels (each coordinate of a trajectory point is uniform on the grid)."""
    grid = np.arange(levels) / (levels - 1)
    delta = levels / (2 * (levels - 1))
    base = grid[grid <= 1 - delta + 1e-12]

    def g(x, a):
        return (abs(4 * x - 2) + a) / (1 + a)

    step = np.array([np.mean([abs(g(x + delta, a) - g(x, a)) / delta for x in base]) for a in G_A])
    means = np.array([np.mean([g(x, a) for x in grid]) for a in G_A])
    return np.array([step[i] * np.prod(np.delete(means, i)) for i in range(len(G_A))])


def test_g_function_matches_analytic_mu_star_and_salib():
    salib = pytest.importorskip("SALib.analyze.morris")
    r, d = 400, len(G_A)
    u = morris_trajectories(r, d, 4, np.random.default_rng(11))
    y = g_function(u)
    ranges = np.array([[0.0, 1.0]] * d)
    ee, _, _ = elementary_effects(u, y, ranges)
    ours = indices(ee)
    truth = g_analytic_mu_star()
    assert np.argsort(-ours["mu_star"][:4]).tolist() == [0, 1, 2, 3]
    assert np.argsort(-truth[:4]).tolist() == [0, 1, 2, 3]
    assert ours["mu_star"] == pytest.approx(truth, rel=0.1)
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": ranges.tolist()}
    theirs = salib.analyze(problem, u, y, num_levels=4, seed=1)
    assert ours["mu_star"] == pytest.approx(np.asarray(theirs["mu_star"]), rel=1e-12)
    assert ours["mu"] == pytest.approx(np.asarray(theirs["mu"]), rel=1e-12, abs=1e-12)
    assert ours["sigma"] == pytest.approx(np.asarray(theirs["sigma"]), rel=1e-12)


def test_bootstrap_interval_covers_the_analytic_mu_star():
    u = morris_trajectories(100, len(G_A), 4, np.random.default_rng(2))
    ee, _, _ = elementary_effects(u, g_function(u), np.array([[0.0, 1.0]] * len(G_A)))
    low, high = bootstrap(ee, 0.99, rng=3)["mu_star"]
    truth = g_analytic_mu_star()
    assert (low[:4] <= truth[:4]).all() and (truth[:4] <= high[:4]).all()
    assert (high - low > 0).all()


# --- replication noise and screening ---------------------------------------------------------

def test_noise_level_matches_the_planted_noise_and_null_parameters_are_not_kept(tmp_path):
    k = 8
    table = morris_table(load_results(sweep(tmp_path, noisy, trajectories=20, replications=k)),
                         "net_harm").set_index("parameter")
    # Independent N(0, 0.5^2) per run: a step's change has SE 0.5 sqrt(2 / k); per unit of
    # the normalised step 2/3 the mean absolute effect of noise alone is sqrt(2/pi) SE / (2/3).
    expected = math.sqrt(2 / math.pi) * 0.5 * math.sqrt(2 / k) / (2 / 3)
    assert table["noise"].to_numpy() == pytest.approx(expected, rel=0.25)
    assert not table.loc["face_cost", "influential"]
    assert table.loc["face_cost", "mu_star"] < 2 * expected
    assert table.loc[["plot_rate", "relay_delay", "rivalry"], "influential"].all()
    frame = table.reset_index().assign(outcome="net_harm")
    assert kept(frame)[:1] in (["plot_rate"], ["relay_delay"])
    assert "face_cost" not in kept(frame)


# --- commands -------------------------------------------------------------------------------------

def test_analyze_and_plot_write_the_morris_tables_and_figure(tmp_path, capsys):
    folder = sweep(tmp_path, linear, replications=2)
    assert main(["analyze", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "morris" in out and "morris_screen" in out
    tables = folder / "tables"
    for stem, ext in itertools.product(("morris", "morris_screen"), ("csv", "md", "tex")):
        assert (tables / f"{stem}.{ext}").is_file()
    assert not (tables / "sobol.csv").exists() and not (tables / "heed_by_rivalry.csv").exists()
    screen = (tables / "morris_screen.md").read_text()
    assert "Plot rate" in screen or "plot_rate" in screen
    skipped, why = heed_vs_rivalry(load_results(folder))
    assert skipped is None and "pooling over trajectories confounds" in why
    fig, message = morris(load_results(folder))
    assert fig is not None and not layout_problems(fig), (message, layout_problems(fig))
    paths, _ = draw("morris", load_results(folder), folder / "figures")
    assert paths is not None and all(p.stat().st_size > 1000 for p in paths)


BAD = {
    "n for morris": ("n = 4\n", ["[sample]", "n", "not an option of method morris",
                                 "trajectories, levels"]),
    "missing trajectories": ("", ["trajectories", "missing", "number of Morris trajectories"]),
    "odd levels": ("trajectories = 4\nlevels = 5\n", ["levels", "got 5", "even integer"]),
    "one trajectory": ("trajectories = 1\n", ["trajectories", "got 1", "[2, 1000000]"]),
}
BAD_RANGES = {
    "a boolean": ("learning = [0, 1]\n", ["learning", "only numeric parameters can be sampled",
                                          "put it in [fixed]"]),
    "a category": ('doctrine = ["never", "warn_all"]\n', ["doctrine", "only numeric parameters"]),
}


@pytest.mark.parametrize("case", list(BAD_RANGES))
def test_booleans_and_categories_are_refused_in_one_line(case, tmp_path, capsys):
    ranges, expected = BAD_RANGES[case]
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + f'[sample]\nmethod = "morris"\ntrajectories = 4\n[sample.ranges]\n{ranges}')
    assert main(["sweep", str(path), "--dry-run"]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line
    for piece in expected:
        assert piece in line, (piece, line)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_morris_options_one_line_exit_2(case, tmp_path, capsys):
    options, expected = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + f'[sample]\nmethod = "morris"\n{options}[sample.ranges]\n'
                    "rivalry = [0, 1]\n")
    assert main(["sweep", str(path), "--dry-run"]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith(f"warnsim: error: {path}")
    for piece in expected:
        assert piece in line, (piece, line)


def test_integer_range_with_fewer_values_than_levels_is_refused(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + '[sample]\nmethod = "morris"\ntrajectories = 4\nlevels = 6\n'
                    "[sample.ranges]\nrelay_delay = [0, 3]\n")
    assert main(["sweep", str(path), "--dry-run"]) == 2
    line = capsys.readouterr().err.strip()
    assert "relay_delay" in line and "4 integers for 6 levels" in line and "\n" not in line


def test_lhs_refuses_morris_options(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + '[sample]\nmethod = "lhs"\nn = 4\nlevels = 4\n[sample.ranges]\n'
                    "rivalry = [0, 1]\n")
    assert main(["sweep", str(path), "--dry-run"]) == 2
    assert "levels: not an option of method lhs" in capsys.readouterr().err
