"""Every figure on the designs researchers run, not only the demo's: a small grid, a dense
grid (41 rivalry levels x 3 doctrines, one doctrine with almost no warnings), a Latin
hypercube, a Sobol design and a grid with empty cells. Each drawn figure must be one or two
journal columns wide, no taller than a page allows, with no text overlapping other text or
cut off at the edge (checked on the rendered bounding boxes); sparse points must be open and
unjoined, empty cells hatched, and the files deterministic."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from sim.analysis.figures import FIGURES, draw
from sim.analysis.load import load_results
from sim.analysis.plots import (
    DPI,
    MAX_HEIGHT,
    MIN_WARNINGS,
    heatmap,
    heed_vs_dyad_rivalry,
    heed_vs_rivalry,
    outcome_distributions,
    outcomes_vs_parameter,
    sensitivity_bars,
    style,
    trust_trajectories,
    waiver_reasons,
)
from sim.cli import main
from sim.scenarios import load_scenario
from tests.analysis_fixtures import grid_results, write_results

WIDTHS = {  # inches: one column 3.5, two columns 7
    "heed_vs_rivalry": 3.5, "outcomes_vs_parameter": 7.0, "heatmap_heed_rate": 3.5,
    "heatmap_trust_in_benevolent": 3.5, "outcome_distributions": 7.0, "trust_trajectories": 3.5,
    "waiver_reasons": 3.5, "sensitivity": 7.0,
}
DOCTRINES = ("warn_all", "non_rivals", "never")
ROOT = Path(__file__).resolve().parents[1]


def starve(folder, keep, *, runs_where) -> None:
    """Leave the runs selected by ``runs_where`` with ``keep`` delivered warnings each (0: none),
    in the warning log and in the run counts alike: sparse or empty cells, planted."""
    runs = pd.read_parquet(folder / "runs.parquet")
    log = pd.read_parquet(folder / "warnings.parquet")
    chosen = set(runs.loc[runs_where(runs), "run_id"])
    delivered = log["delivered_day"] >= 0
    rank = log[delivered].groupby("run_id").cumcount().reindex(log.index)
    log = log[~(log["run_id"].isin(chosen) & delivered & (rank >= keep))]
    counts = log[log["delivered_day"] >= 0].groupby("run_id")["heeded"].agg(
        lambda h: (len(h), int(pd.Series(h).astype(bool).sum())))
    for column in [c for c in runs.columns if c.startswith(("delivered_", "heeded_"))]:
        runs.loc[runs["run_id"].isin(chosen), column] = 0
    for run_id in chosen:
        n, heeded = counts.get(run_id, (0, 0))
        row = runs["run_id"] == run_id
        runs.loc[row, ["warnings_delivered", "warnings_heeded"]] = [n, heeded]
        runs.loc[row, "heed_rate"] = heeded / n if n else np.nan
        runs.loc[row, "delivered_high_rivalry"] = n
        runs.loc[row, "heeded_high_rivalry"] = heeded
    runs.to_parquet(folder / "runs.parquet")
    log.to_parquet(folder / "warnings.parquet")


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    root = tmp_path_factory.mktemp("plots")
    out = {"grid": grid_results(root / "grid")}
    dense = [{"rivalry": r / 40, "doctrine": d} for r in range(41) for d in DOCTRINES]
    out["dense"] = write_results(root / "dense", dense, replications=2, days=5)
    starve(out["dense"], 1, runs_where=lambda r: r["doctrine"] == "never")
    empty = [{"rivalry": r, "doctrine": d} for r in (0.0, 0.25, 0.5, 0.75, 1.0) for d in DOCTRINES]
    out["empty"] = write_results(root / "empty", empty, replications=3, days=5)
    starve(out["empty"], 0, runs_where=lambda r: (r["doctrine"] == "never") & (r["rivalry"] < 0.5))
    rng = np.random.default_rng(3)
    names = ("rivalry", "false_lead_rate", "detail_evidence", "action_cost")
    ranges = {"rivalry": [0, 1], "false_lead_rate": [0, 5], "detail_evidence": [1, 6], "action_cost": [0, 1]}
    scale = np.array([r[1] - r[0] for r in ranges.values()])
    low = np.array([r[0] for r in ranges.values()])
    lhs = [dict(zip(names, map(float, low + row * scale), strict=True)) for row in rng.random((48, 4))]
    out["lhs"] = write_results(root / "lhs", lhs, kind="lhs", replications=1, days=5, n=48, ranges=ranges)
    n = 16
    base = rng.random((n, 8)) * np.tile(scale, 2) + np.tile(low, 2)
    a, b = base[:, :4], base[:, 4:]
    blocks = [a, b] + [np.where(np.arange(4) == i, b, a) for i in range(4)]
    points = [dict(zip(names, map(float, row), strict=True)) for row in np.vstack(blocks)]
    out["sobol"] = write_results(root / "sobol", points, kind="sobol", replications=1, days=5, n=n, ranges=ranges)
    return {name: load_results(folder) for name, folder in out.items()}


def layout_problems(fig) -> list[str]:
    """Size limits, texts overlapping each other, texts cut off at the figure's edge."""
    width, height = fig.get_size_inches()
    problems = []
    if not (np.isclose(width, 3.5) or np.isclose(width, 7.0)):
        problems.append(f"width {width} in")
    if height > MAX_HEIGHT + 1e-9:
        problems.append(f"height {height} in")
    with style():  # as save() draws it
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    hidden = set()  # labels of ticks outside the view: kept by matplotlib, never drawn
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - span <= tick.get_loc() <= high + span:
                    hidden |= {id(tick.label1), id(tick.label2)}
    problems += log_axis_problems(fig, hidden)
    texts = [t for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    boxes = [(t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.9)) for t in texts]
    for text, box in boxes:
        if box.x0 < page.x0 - 1 or box.x1 > page.x1 + 1 or box.y0 < page.y0 - 1 or box.y1 > page.y1 + 1:
            problems.append(f"cut off: {text!r}")
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        if a.overlaps(b):
            problems.append(f"overlap: {ta!r} / {tb!r}")
    return problems


def log_axis_problems(fig, hidden: set[int]) -> list[str]:
    """A logarithmic axis (or the logarithmic part of a symlog one) needs a labelled tick
    inside its view beyond where it turns logarithmic: "log scale above 100" with no tick
    above 100 cannot be read."""
    problems = []
    for ax in fig.axes:
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            scale = axis.get_scale()
            if scale not in ("log", "symlog"):
                continue
            start = axis.get_transform().linthresh if scale == "symlog" else -np.inf
            labelled = [t.get_loc() for t in axis.get_major_ticks()
                        if id(t.label1) not in hidden and t.label1.get_visible()
                        and t.label1.get_text().strip()]
            beyond = [loc for loc in labelled if loc > start * (1 + 1e-9)]
            if (scale == "symlog" and not beyond) or (scale == "log" and len(labelled) < 2):
                problems.append(f"{name} axis ({scale}): no labelled tick beyond {start:g}")
    return problems


@pytest.mark.parametrize("design", ["grid", "dense", "empty", "lhs", "sobol"])
def test_every_figure_fits_the_page_without_overlapping_text(designs, design):
    drawn = []
    for name, build in FIGURES.items():
        fig, message = build(designs[design])
        assert message, name
        if fig is None:
            continue
        drawn.append(name)
        assert not layout_problems(fig), (name, layout_problems(fig))
    expected = {"grid": 6, "dense": 5, "empty": 6, "lhs": 3, "sobol": 3}[design]
    assert len(drawn) >= expected, drawn


def test_sparse_points_are_open_with_counts_and_never_joined(designs):
    fig, _ = heed_vs_rivalry(designs["dense"])
    top = fig.axes[0]
    never = [line for line in top.lines if line.get_label() == "never"]
    assert never and all(np.isnan(np.asarray(line.get_ydata(), float)).all() for line in never)
    sparse = [line for line in top.lines if line.get_gid() == "sparse"]
    assert sparse and all(line.get_markerfacecolor() == "white" for line in sparse)
    counts = [t.get_text() for t in top.texts]
    assert counts and all(int(c) < MIN_WARNINGS for c in counts)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(text.startswith(f"open: < {MIN_WARNINGS} warnings") for text in legend)
    joined = [line for line in top.lines if line.get_gid() == "data-line" and line.get_label() == "warn all"]
    assert np.isfinite(np.asarray(joined[0].get_ydata(), float)).sum() > 10


def threshold_lines(ax, vertical: bool = True) -> list[float]:
    lines = [line for line in ax.lines if line.get_linestyle() == "--"]
    data = [line.get_xdata() if vertical else line.get_ydata() for line in lines]
    return sorted(float(d[0]) for d in data if len(set(d)) == 1)


def test_the_rival_threshold_is_marked_where_each_bloc_pair_reaches_it(designs):
    """On the swept rivalry between blocs a dyad's rivalry is the value times its bloc pair's
    factor (default scenario: A-B 1.3, B-C 0.8, A-C 0.5), so each pair reaches the threshold
    (0.5) elsewhere: at 0.5 / factor, each line named in the legend. On the dyads' own
    rivalry it is one line at 0.5."""
    factors = {f for f in load_scenario("default").bloc_factors.values()}
    expected = sorted(0.5 / f for f in factors if 0.5 / f <= 1.0)
    assert np.allclose(expected, [0.5 / 1.3, 0.5 / 0.8, 1.0])
    for build in (heed_vs_rivalry, outcomes_vs_parameter):
        fig, _ = build(designs["dense"])
        assert np.allclose(threshold_lines(fig.axes[0]), expected), build.__name__
        names = [t.get_text() for t in fig.legends[0].get_texts()]
        assert any("reached by A\u2013B at 0.38, B\u2013C at 0.62, A\u2013C at 1" in n.replace("\n", " ")
                   for n in names), names
    fig, _ = heed_vs_dyad_rivalry(designs["dense"])
    assert threshold_lines(fig.axes[0]) == [0.5]


def test_the_rival_threshold_runs_between_bars_never_through_one(tmp_path):
    """waiver_reasons drew the threshold line at 0.5 through the bar of rivalry 0.4 (by
    interpolation): it runs between the last level below each crossing and the first at or
    above it."""
    levels = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    results = load_results(write_results(tmp_path / "bars", [{"rivalry": r} for r in levels],
                                         replications=2, days=5))
    fig, _ = waiver_reasons(results)
    # Crossings 0.385 (A-B), 0.625 (B-C), 1.0 (A-C): between 0.2|0.4, 0.6|0.8 and 0.8|1.0.
    assert threshold_lines(fig.axes[0], vertical=False) == [1.5, 3.5, 4.5]


def test_empty_heatmap_cells_are_hatched_and_named(designs):
    fig, _ = heatmap(designs["empty"])
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch() == "xxxx"]
    assert len(hatched) == 2  # doctrine never at rivalry 0 and 0.25
    assert "no warnings" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_dense_category_ticks_are_thinned(designs):
    fig, _ = heatmap(designs["dense"])
    labels = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 8


def test_sampled_designs_name_what_they_pool_and_share_scales(designs):
    fig, message = heed_vs_rivalry(designs["lhs"])
    assert "pooled over the 48 points of the lhs design" in message
    fig, _ = sensitivity_bars(designs["lhs"])
    limits = {ax.get_xlim() for ax in fig.axes}
    assert len(limits) == 1 and limits.pop() == (-1.05, 1.05)


def test_each_grid_figure_writes_pdf_and_png_of_the_stated_width(designs, tmp_path):
    for name in [n for n in WIDTHS if n != "sensitivity"]:
        paths, message = draw(name, designs["grid"], tmp_path)
        assert paths is not None, message
        pdf, png = paths
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
        with Image.open(png) as image:  # one column, or two when it gets panels
            assert image.size[0] in (round(WIDTHS[name] * DPI), round(7.0 * DPI)), name
    paths, message = draw("sensitivity", designs["sobol"], tmp_path)
    assert paths is not None, message


def test_a_rendered_figure_is_not_blank(designs, tmp_path):
    paths, _ = draw("heed_vs_rivalry", designs["grid"], tmp_path)
    assert paths is not None
    pixels = np.asarray(Image.open(paths[1]).convert("L"), dtype=float)
    assert pixels.std() > 20  # a white page has 0; lines, bands and text make it vary
    assert (pixels < 128).mean() > 0.005  # some ink


def test_figures_are_byte_identical_for_the_same_results(designs, tmp_path):
    first, _ = draw("heed_vs_rivalry", designs["grid"], tmp_path / "a")
    second, _ = draw("heed_vs_rivalry", designs["grid"], tmp_path / "b")
    assert first is not None and second is not None
    for x, y in itertools.zip_longest(first, second):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_figures_skip_cleanly_when_the_results_lack_what_they_need(designs, tmp_path):
    grid = designs["grid"]
    paths, message = draw("sensitivity", grid, tmp_path)
    assert paths is None and "sampled" in message
    paths, message = draw("outcomes_vs_parameter", designs["sobol"], tmp_path)
    assert paths is None and "sensitivity" in message
    paths, message = trust_trajectories(dataclasses.replace(grid, series=None))
    assert paths is None and "record_series" in message
    assert not list(tmp_path.iterdir())


def test_without_a_warning_log_the_heed_figure_uses_the_run_counts(designs):
    fig, _ = heed_vs_rivalry(dataclasses.replace(designs["grid"], warnings=None))
    assert fig is not None and fig.axes[1].get_xlabel() == "Rivalry (0-1)"


def test_plot_command_draws_into_the_results_folder(designs, capsys):
    grid = designs["grid"]
    assert main(["plot", str(grid.directory), "--only", "heed_vs_rivalry", "waiver_reasons"]) == 0
    assert (grid.directory / "figures" / "waiver_reasons.png").is_file()
    assert main(["plot", str(grid.directory), "--only", "pie_chart"]) == 2
    assert "unknown figure pie_chart" in capsys.readouterr().err


def test_trajectories_facet_by_the_second_parameter_instead_of_pooling_it(tmp_path):
    """4 x 4 grid (as the prevention paradox): one panel per level of the second parameter,
    two columns wide, and nothing pooled."""
    points = [{"rivalry": r, "deterrence_effect": d}
              for r, d in itertools.product([0.0, 0.3, 0.6, 0.9], [0.0, 0.3, 0.6, 0.9])]
    results = load_results(write_results(tmp_path / "four", points, replications=2, days=10))
    fig, message = trust_trajectories(results)
    assert fig is not None and "pooled" not in message
    assert fig.get_figwidth() == 7.0 and not layout_problems(fig)


def test_figures_name_the_swept_parameters_they_pool_over(tmp_path):
    points = [{"rivalry": r, "specificity_threshold": s, "false_lead_rate": f}
              for r, s, f in itertools.product([0.0, 1.0], [0.0, 0.67], [0.0, 2.0])]
    results = load_results(write_results(tmp_path / "three", points, replications=2, days=10))
    for figure in (heed_vs_rivalry, trust_trajectories, heatmap):
        fig, message = figure(results)
        assert fig is not None
        assert "pooled over false leads (2 levels)" in message, figure.__name__


def test_heed_by_band_leaves_empty_bands_empty(tmp_path):
    """No warning log and rivalry not swept: x is the dyad's band, drawn as unjoined points;
    a band without warnings gets no point."""
    points = [{"false_lead_rate": f} for f in (0.0, 2.0)]
    folder = write_results(tmp_path / "bands", points, replications=3, days=10)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["delivered_mid_rivalry"] = 0
    runs["heeded_mid_rivalry"] = 0
    runs.to_parquet(folder / "runs.parquet")
    results = dataclasses.replace(load_results(folder), warnings=None)
    fig, _ = heed_vs_rivalry(results)
    top = fig.axes[0]
    assert not [line for line in top.lines if line.get_gid() == "data-line"]  # nothing joined
    xs = {round(float(x)) for line in top.lines if isinstance(line, Line2D)
          for x in np.asarray(line.get_xdata(), float) if np.isfinite(x)}
    assert 1 not in xs and 2 in xs


def test_a_points_file_that_samples_the_space_is_drawn_as_a_sample_not_as_levels(tmp_path):
    """A Latin hypercube written to a points file (experiments/discovery.toml) gives every
    point its own rivalry: 60 "levels" of one point each. Drawn as levels, the heat map was
    nearly all empty cells and the heed figure a line per level; as a sample, the level
    figures are skipped with a pointer to `warnsim discover`, and the heed figure is one line
    that names the pooled points. A dense grid written as points is still drawn as levels."""
    rng = np.random.default_rng(11)
    sample = [{"rivalry": float(r), "action_cost": float(c), "doctrine": d}
              for r, c in rng.random((60, 2)) for d in ("warn_all", "non_rivals")]
    results = load_results(write_results(tmp_path / "scattered", sample, kind="points",
                                         replications=2, days=5))
    assert results.scattered
    for build in (heatmap, outcomes_vs_parameter):
        fig, message = build(results)
        assert fig is None and "warnsim discover" in message
    fig, message = heed_vs_rivalry(results)
    assert fig is not None and "pooled over the 120 points of the points design" in message
    assert not layout_problems(fig), layout_problems(fig)
    assert main(["analyze", str(results.directory), "--quiet"]) == 0
    assert not (results.directory / "tables" / "heed_by_rivalry.csv").exists()

    levels = [{"rivalry": r / 49, "action_cost": c} for r in range(50) for c in (0.1, 0.5)]
    grid_like = load_results(write_results(tmp_path / "levels", levels, kind="points",
                                           replications=1, days=5))
    assert not grid_like.scattered  # a dense grid: each rivalry recurs at both action costs
    fig, message = heatmap(grid_like)
    assert fig is not None, message


def test_one_mass_casualty_run_makes_the_box_plot_axis_logarithmic_beyond_the_typical(tmp_path):
    """Attack deaths follow a power law: a single run with 1,000 deaths squashed every box
    of the doctrine figure into its first tick. Beyond the typical values the axis is now
    logarithmic (and says so); without such a run it stays linear."""
    folder = write_results(tmp_path / "tail", [{"doctrine": d} for d in DOCTRINES],
                           replications=40, days=5)
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["casualties"] = np.random.default_rng(5).integers(0, 30, len(runs)).astype(float)
    runs["net_harm"] = runs["casualties"] + 2.0
    runs.to_parquet(folder / "runs.parquet")
    fig, _ = outcome_distributions(load_results(folder))
    assert [ax.get_xscale() for ax in fig.axes[:2]] == ["linear", "linear"]

    for top in (1000.0, 450.0, 2400.0):  # the end of the axis: a power of ten, or between
        runs.loc[0, ["casualties", "net_harm"]] = [top, top + 2.0]
        runs.to_parquet(folder / "runs.parquet")
        fig, _ = outcome_distributions(load_results(folder))
        assert [ax.get_xscale() for ax in fig.axes[:2]] == ["symlog", "symlog"]
        assert all("log scale above 100" in ax.get_xlabel() for ax in fig.axes[:2])
        assert not layout_problems(fig), (top, layout_problems(fig))  # a tick above 100
        assert fig.axes[0].get_xlim()[1] >= top  # the largest run is inside the axis


def test_log_axis_check_catches_an_axis_without_a_tick_beyond_its_linear_part():
    """The check itself: the old box plot (decades beyond the view) had no tick above 100."""
    from matplotlib.ticker import FixedLocator

    from sim.analysis.plots import new_figure

    with style():
        fig = new_figure(3.5, 2.0)
        ax = fig.add_subplot()
        ax.plot([0, 450], [0, 1])
        ax.set_xscale("symlog", linthresh=100)
        ax.xaxis.set_major_locator(FixedLocator([0, 50, 100, 1000, 10000]))
        ax.set_xlim(0, 460)
    assert any("no labelled tick beyond 100" in p for p in layout_problems(fig))


def test_box_plots_of_many_factors_name_them_above_instead_of_along_the_axis(tmp_path):
    """Seven factors joined along the y axis ran off the top and bottom of the decomposition
    figure: past two, their order goes in the note above the legend."""
    points = [{"rivalry": r, "specificity_threshold": s, "false_lead_rate": f}
              for r in (0.2, 0.8) for s in (0.0, 0.67) for f in (0.5, 2.0)]
    fig, _ = outcome_distributions(load_results(write_results(tmp_path / "three", points,
                                                              replications=2, days=5)))
    assert fig.axes[0].get_ylabel() == ""
    note = fig.legends[0].get_title().get_text()
    assert "design points: Rivalry / Specificity threshold / False leads" in note.replace("\n", " ")
    assert not layout_problems(fig), layout_problems(fig)


# --- the validation report's figures ------------------------------------------------------

def test_validation_verdicts_are_titled_by_the_checks_labels():
    from sim.validation.figures import verdicts_figure
    from sim.validation.suite import BY_ID

    entries = json.loads((ROOT / "results" / "validation" / "validation.json").read_text("utf-8"))
    fig = verdicts_figure(entries)
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes]
    assert "Wickens & Dixon: crossover" in titles and "Simmons & Sutter: false alarms" in titles
    assert not [t for t in titles if "_" in t]  # no snake_case id as a title
    assert all(c.label for c in BY_ID.values())  # every check declares one
    assert len(fig.axes) == len(titles) and all(ax.get_visible() for ax in fig.axes)  # no empty slot
    assert not layout_problems(fig), layout_problems(fig)


def test_case_stars_are_whole_at_the_axis_end_and_both_colours_are_explained():
    """Kerman 2024's recorded response had probability ~0 at the end of the bar: its star was
    cut in half at 1.0, and the orange markers had no legend entry."""
    from sim.validation.figures import OUTSIDE, WITHIN, cases_figure

    table = pd.DataFrame({
        "case": ["Kerman 2024", "Brussels 2016"], "p_heed": [1.0, 0.02],
        "p_investigate": [0.0, 0.08], "p_dismiss": [0.0, 0.90],
        "recorded": ["dismissed", "dismissed"], "p_recorded": [0.0, 0.90],
        "p_recorded_low": [0.0, 0.78], "p_recorded_high": [0.97, 0.92],
    })
    fig = cases_figure(table, 1 / 3)
    stars = [line for line in fig.axes[0].lines if line.get_marker() == "*"]
    assert len(stars) == 2 and all(not s.get_clip_on() for s in stars)
    assert all(0 < s.get_xdata()[0] < 1 for s in stars)  # inside the axis, drawn whole
    colours = {h.get_color() for h in fig.legends[0].legend_handles if isinstance(h, Line2D)}
    assert {WITHIN, OUTSIDE} <= colours
    assert not layout_problems(fig), layout_problems(fig)
