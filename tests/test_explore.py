"""The explorer's computations without a browser (:mod:`sim.explore.data`): filters against
hand selections, the parallel-coordinates figure (one SVG group per row drawn, inside the
canvas), exports that stay inside DIR/explore, errors as one line without paths. The page
itself is driven in Chromium by ``tests/test_explore_browser.py``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from sim.analysis.load import load_results
from sim.errors import UserError
from sim.explore.data import (
    MAX_DRAWN,
    Explorer,
    Levels,
    Range,
    one_line,
    parallel_figure,
    svg_text,
)
from sim.sweep import run_experiment
from tests.test_plots import layout_problems

SMALL = """\
name = "small"
days = 60
replications = 3
seed = 5
[fixed]
plot_rate = 0.02
detection_rate = 0.5
[grid]
liaison."A:C" = [true, false]
rivalry = [0.2, 0.6]
doctrine = ["scenario", "warn_all"]
"""


def small_sweep(folder: Path) -> Path:
    """8 design points x 3 replications of the real model (60 days, plots and detections
    frequent enough that every point has warnings)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "small.toml").write_text(SMALL, encoding="utf-8")
    run_experiment(folder / "small.toml", out=folder / "out", workers=1, progress=False)
    return folder / "out"


@pytest.fixture(scope="module")
def explorer(tmp_path_factory) -> Explorer:
    return Explorer.load(load_results(small_sweep(tmp_path_factory.mktemp("explore"))))


def test_the_points_are_the_design_with_its_outcomes(explorer):
    runs = explorer.results.ok
    assert explorer.factors == ("liaison.A:C", "rivalry", "doctrine")
    assert len(explorer.points) == 8 and (explorer.points["runs"] == 3).all()
    warned = explorer.points[explorer.points["doctrine"] == "scenario"]
    point_id = int(warned["point_id"].iloc[-1])  # a point whose agencies warn
    point = runs[runs["point_id"] == point_id]
    row = explorer.points.set_index("point_id").loc[point_id]
    assert row["heed_rate"] == pytest.approx(
        point["warnings_heeded"].sum() / point["warnings_delivered"].sum())
    assert row["casualties"] == pytest.approx(point["casualties"].mean())
    assert explorer.levels("liaison.A:C") == ["no", "yes"]
    assert explorer.levels("doctrine") == ["scenario", "warn all"]
    assert explorer.value_of("liaison.A:C", "no") is False
    assert explorer.value_of("rivalry", "0.6") == 0.6
    assert not explorer.is_categorical("heed_rate") and explorer.is_categorical("rivalry")


def test_filters_keep_what_a_hand_selection_keeps(explorer):
    points = explorer.points
    low, high = explorer.bounds("heed_rate")
    assert low <= points["heed_rate"].min() and high >= points["heed_rate"].max()
    assert len(explorer.filter({"heed_rate": Range(low, high)})) == 8
    middle = float(points["heed_rate"].median())
    rows = explorer.filter({"liaison.A:C": Levels(frozenset({"no"})),
                            "heed_rate": Range(low, middle)})
    by_hand = points[(~points["liaison.A:C"]) & (points["heed_rate"] <= middle)]
    assert list(rows["point_id"]) == list(by_hand["point_id"])
    assert 0 < len(rows) < 8
    subset = explorer.subset(rows)
    assert set(subset.runs["point_id"]) == set(rows["point_id"])
    with pytest.raises(UserError, match=r"filter: liaison\.A:C has no level 'maybe'; allowed: "
                                        r"no, yes"):
        explorer.filter({"liaison.A:C": Levels(frozenset({"maybe"}))})
    with pytest.raises(UserError, match="filter: unknown column 'nope'"):
        explorer.filter({"nope": Range(0, 1)})


def test_parallel_coordinates_draw_one_group_per_row_inside_the_canvas(explorer):
    columns = [*explorer.factors, *explorer.default_outcomes]
    rows = explorer.filter({"doctrine": Levels(frozenset({"scenario"}))})
    for colour in (None, "rivalry", "heed_rate"):
        fig = parallel_figure(explorer, rows, columns, colour)
        assert layout_problems(fig) == []
    svg = svg_text(fig)
    assert svg.startswith("<svg")
    drawn = sorted(int(i) for i in pd.Series(svg.split('id="row-')[1:]).str.split('"').str[0])
    assert drawn == sorted(rows["point_id"])
    with pytest.raises(UserError, match="at least two columns"):
        parallel_figure(explorer, rows, ["rivalry"])


def test_many_points_are_thinned_and_the_figure_says_so(explorer):
    many = pd.concat([explorer.points] * (MAX_DRAWN // 8 + 2), ignore_index=True)
    many["point_id"] = np.arange(len(many))
    big = Explorer(explorer.results, many, explorer.factors, explorer.outcomes, explorer.names)
    fig = parallel_figure(big, many, ["rivalry", "heed_rate"])
    assert svg_text(fig).count('id="row-') == MAX_DRAWN
    notes = " ".join(t.get_text() for t in fig.findobj(Text))
    assert f"{MAX_DRAWN} drawn (evenly thinned)" in notes.replace("\n", " ")


def test_exports_stay_in_the_folder_and_record_their_filters(explorer):
    rows = explorer.filter({"rivalry": Levels(frozenset({"0.2"}))})
    path = explorer.export_rows(rows, ["heed_rate", "casualties"],
                                {"rivalry": Levels(frozenset({"0.2"}))})
    assert path.parent == explorer.results.directory / "explore"
    written = pd.read_csv(path)
    assert list(written.columns) == ["point_id", "runs", "heed_rate", "casualties"]
    assert list(written["point_id"]) == list(rows["point_id"])
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["filters"] == {"rivalry": ["0.2"]} and record["rows"] == len(rows)
    assert explorer.relative(path).startswith("explore/points-")
    fig = parallel_figure(explorer, rows, ["rivalry", "heed_rate"])
    for fmt in ("png", "pdf", "svg"):
        out = explorer.export_figure(fig, "../../escape/evil", fmt)
        assert out.parent == explorer.folder and out.stat().st_size > 1000
    with pytest.raises(UserError, match="format: got 'exe'; allowed: png, pdf, svg"):
        explorer.export_figure(fig, "x", "exe")


def test_errors_reach_the_page_as_one_line_without_paths(tmp_path):
    folder = tmp_path / "deep" / "results"
    error = UserError(f"{folder / 'runs.parquet'}: missing; is {folder} the output folder?\nmore")
    text = one_line(error, folder)
    assert text == "DIR/runs.parquet: missing; is DIR the output folder?"
    other = one_line(UserError("cannot read /etc/secret/file.txt (denied)"), folder)
    assert "/etc" not in other and "<path>" in other
    crash = one_line(ZeroDivisionError("division by zero"), folder)
    assert crash == ("unexpected error (ZeroDivisionError); the server's console has the "
                     "details")
