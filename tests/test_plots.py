"""Every figure from small synthetic results folders: files, sizes, not blank, deterministic."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from PIL import Image

from sim.analysis.load import load_results
from sim.analysis.plots import DPI, FIGURES, heed_vs_rivalry, sensitivity_bars, trust_trajectories
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
