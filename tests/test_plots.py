"""Every figure from small synthetic results folders: files, sizes, not blank, deterministic."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from sim.analysis import plots
from sim.analysis.load import load_results
from sim.analysis.plots import (
    DPI,
    FIGURES,
    draw_levels,
    heatmap,
    heed_vs_rivalry,
    sensitivity_bars,
    trust_trajectories,
)
from sim.cli import main
from tests.analysis_fixtures import grid_results, write_results

WIDTHS = {  # inches: one column 3.5, two columns 7
    "heed_vs_rivalry": 3.5, "outcomes_vs_parameter": 7.0, "heatmap_heed_rate": 3.5,
    "heatmap_mean_trust": 3.5, "outcome_distributions": 7.0, "trust_trajectories": 3.5,
    "waiver_reasons": 3.5, "sensitivity": 7.0,
}


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return load_results(grid_results(tmp_path_factory.mktemp("plots") / "grid"))


@pytest.fixture(scope="module")
def sobol(tmp_path_factory):
    n, names = 16, ("rivalry", "false_lead_rate")
    base = np.random.default_rng(2).random((n, 4)) * [1, 5, 1, 5]
    a, b = base[:, :2], base[:, 2:]
    blocks = [a, b] + [np.where(np.arange(2) == i, b, a) for i in range(2)]
    points = [dict(zip(names, map(float, row), strict=True)) for row in np.vstack(blocks)]
    folder = tmp_path_factory.mktemp("plots") / "sobol"
    ranges = {"rivalry": [0, 1], "false_lead_rate": [0, 5]}
    return load_results(write_results(folder, points, kind="sobol", replications=2, n=n, ranges=ranges))


def test_figure_table_is_complete():
    assert set(FIGURES) == set(WIDTHS)


@pytest.mark.parametrize("name", [n for n in WIDTHS if n != "sensitivity"])
def test_each_grid_figure_writes_pdf_and_png_of_the_stated_width(grid, tmp_path, name):
    paths, message = FIGURES[name](grid, tmp_path)
    assert paths is not None, message
    pdf, png = paths
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    with Image.open(png) as image:
        assert image.size[0] == round(WIDTHS[name] * DPI)


def test_sensitivity_figure_from_a_sobol_design(sobol, tmp_path):
    paths, message = sensitivity_bars(sobol, tmp_path)
    assert paths is not None, message
    with Image.open(paths[1]) as image:
        assert image.size[0] == round(WIDTHS["sensitivity"] * DPI)
    assert paths[0].stat().st_size > 1000


def test_a_rendered_figure_is_not_blank(grid, tmp_path):
    paths, _ = heed_vs_rivalry(grid, tmp_path)
    assert paths is not None
    pixels = np.asarray(Image.open(paths[1]).convert("L"), dtype=float)
    assert pixels.std() > 20  # a white page has 0; lines, bands and text make it vary
    assert (pixels < 128).mean() > 0.005  # some ink


def test_figures_are_byte_identical_for_the_same_results(grid, tmp_path):
    first, _ = heed_vs_rivalry(grid, tmp_path / "a")
    second, _ = heed_vs_rivalry(grid, tmp_path / "b")
    assert first is not None and second is not None
    for x, y in itertools.zip_longest(first, second):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_figures_skip_cleanly_when_the_results_lack_what_they_need(grid, sobol, tmp_path):
    paths, message = sensitivity_bars(grid, tmp_path)
    assert paths is None and "sampled" in message
    paths, message = heed_vs_rivalry(sobol, tmp_path)
    assert paths is None and "sensitivity" in message
    paths, message = trust_trajectories(dataclasses.replace(grid, series=None), tmp_path)
    assert paths is None and "record_series" in message
    assert not list(tmp_path.iterdir())


def test_plot_command_draws_into_the_results_folder(grid, capsys):
    assert main(["plot", str(grid.directory), "--only", "heed_vs_rivalry", "waiver_reasons"]) == 0
    assert (grid.directory / "figures" / "waiver_reasons.png").is_file()
    assert main(["plot", str(grid.directory), "--only", "pie_chart"]) == 2
    assert "unknown figure pie_chart" in capsys.readouterr().err


def png_width(path) -> int:
    with Image.open(path) as image:
        return image.size[0]


def test_trajectories_facet_by_the_second_parameter_instead_of_pooling_it(tmp_path):
    """4 x 4 grid (as the prevention paradox): one panel per level of the second parameter,
    two columns wide, and nothing pooled."""
    points = [{"rivalry": r, "deterrence_effect": d}
              for r, d in itertools.product([0.0, 0.3, 0.6, 0.9], [0.0, 0.3, 0.6, 0.9])]
    results = load_results(write_results(tmp_path / "four", points, replications=2, days=10))
    paths, message = trust_trajectories(results, tmp_path / "fig")
    assert paths is not None and "pooled" not in message
    assert png_width(paths[1]) == round(7.0 * DPI)


def test_figures_name_the_swept_parameters_they_pool_over(tmp_path):
    points = [{"rivalry": r, "specificity_threshold": s, "false_lead_rate": f}
              for r, s, f in itertools.product([0.0, 1.0], [0.0, 0.67], [0.0, 2.0])]
    results = load_results(write_results(tmp_path / "three", points, replications=2, days=10))
    for figure in (heed_vs_rivalry, trust_trajectories, heatmap):
        paths, message = figure(results, tmp_path / "fig")
        assert paths is not None
        assert "pooled over false lead rate (2 levels)" in message, figure.__name__


def test_a_categorical_axis_gets_points_and_error_bars_only():
    table = pd.DataFrame({"level": [0.0, 2.0], "mean": [0.9, 0.4], "low": [0.85, 0.3],
                          "high": [0.95, 0.5]})
    ax = Figure().add_subplot()
    draw_levels(ax, table, "x", categorical=True)
    assert all(line.get_linestyle() == "None" for line in ax.lines)  # no joining line
    assert not [c for c in ax.collections if type(c).__name__ == "FillBetweenPolyCollection"]
    assert sorted(ax.lines[0].get_xdata()) == [0.0, 2.0]  # the empty band (1) stays empty


def test_heed_by_band_leaves_empty_bands_empty(tmp_path, monkeypatch):
    """Rivalry not swept: x is the dyad's band; a band without warnings gets no point."""
    points = [{"false_lead_rate": f} for f in (0.0, 2.0)]
    folder = write_results(tmp_path / "bands", points, replications=3, days=10)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["delivered_mid_rivalry"] = 0
    runs["heeded_mid_rivalry"] = 0
    runs.to_parquet(folder / "runs.parquet")
    calls = []
    original = plots.draw_levels
    monkeypatch.setattr(plots, "draw_levels", lambda *a, **k: calls.append((a, k)) or original(*a, **k))
    paths, _ = heed_vs_rivalry(load_results(folder), tmp_path / "fig")
    assert paths is not None and len(calls) == 2
    for args, kwargs in calls:
        assert kwargs.get("categorical") is True
        assert 1.0 not in set(args[1]["level"])
