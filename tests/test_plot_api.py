"""``plot()`` and ``warnsim plot DIR --outcome --x --hue --facet --pool --format``: one outcome
against chosen factors, checked against hand computations on small synthetic sweeps; every
factor not shown is named as pooled (or refused with one line); scenarios by their name;
every format written; the figures pass the layout checks of the registered ones."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis.chart import assign_roles
from sim.analysis.figures import FIGURES, plot, stem
from sim.analysis.load import load_results
from sim.cli import main
from sim.errors import UserError
from tests.analysis_fixtures import write_results
from tests.test_plots import layout_problems

DOCTRINES = ("warn_all", "never")


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """A 4 rivalry x 2 doctrine x 2 false-lead grid (3 factors), 4 replications."""
    points = [{"rivalry": r, "doctrine": d, "false_lead_rate": f}
              for r in (0.0, 0.3, 0.6, 0.9) for d in DOCTRINES for f in (0.5, 2.0)]
    return write_results(tmp_path_factory.mktemp("plot") / "three", points, replications=4, days=5)


def joined_lines(ax) -> list[np.ndarray]:
    """The joined estimate lines of a panel (gid data-line), in the order drawn."""
    return [np.asarray(line.get_ydata(), float) for line in ax.lines if line.get_gid() == "data-line"]


def test_a_pooled_rate_per_level_matches_the_hand_computation(three):
    drawn = plot(three, outcome="heed_rate", x="rivalry", hue="doctrine", facet="none",
                 pool=["false_lead_rate"])
    runs = pd.read_parquet(three / "runs.parquet")
    lines = joined_lines(drawn.figure.axes[0])
    assert len(lines) == 2
    for line, doctrine in zip(lines, DOCTRINES, strict=True):  # the design's order
        part = runs[runs["doctrine"] == doctrine].groupby("rivalry")
        by_hand = (part["warnings_heeded"].sum() / part["warnings_delivered"].sum()).to_numpy()
        assert np.allclose(line, by_hand), doctrine
    legend = [t.get_text() for t in drawn.figure.legends[0].get_texts()]
    assert legend[:2] == ["warn all", "never"]
    assert drawn.pooled == ("false_lead_rate",)
    note = drawn.figure.legends[0].get_title().get_text().replace("\n", " ")
    assert "pooled over false leads (2 levels)" in note
    assert "pooled over false leads (2 levels)" in drawn.message


def test_a_mean_outcome_per_level_is_the_mean_over_runs(three):
    drawn = plot(three, outcome="casualties", x="rivalry", hue="none", facet="none",
                 pool=["doctrine", "false_lead_rate"])
    runs = pd.read_parquet(three / "runs.parquet")
    by_hand = runs.groupby("rivalry")["casualties"].mean().to_numpy()
    (line,) = joined_lines(drawn.figure.axes[0])
    assert np.allclose(line, by_hand)
    assert drawn.figure.axes[0].get_ylabel() == "Deaths (per run)"


def test_roles_left_to_auto_show_every_factor_so_nothing_is_pooled(three):
    results = load_results(three)
    roles = assign_roles(results, "heed_rate")
    assert roles.x == "rivalry" and {roles.hue, roles.facet} == {"doctrine", "false_lead_rate"}
    assert roles.pooled == ()
    drawn = plot(results)
    assert drawn.pooled == () and len(drawn.figure.axes) == 2  # one panel per facet level
    assert not layout_problems(drawn.figure), layout_problems(drawn.figure)


def test_pooling_a_factor_not_allowed_is_refused_in_one_line(three):
    with pytest.raises(UserError) as caught:
        plot(three, x="rivalry", hue="doctrine", facet="none", pool=[])
    message = str(caught.value)
    assert "\n" not in message
    assert message == ("would pool false_lead_rate (not on the x axis, hue or facet); show it "
                       "with --hue or --facet, or allow with --pool false_lead_rate")


@pytest.mark.parametrize(("options", "fragment"), [
    ({"outcome": "heed"}, "--outcome: 'heed' is not an outcome of"),
    ({"x": "specificity_threshold"}, "--x: 'specificity_threshold' is not a factor that varies"),
    ({"x": "rivalry", "hue": "rivalry"}, "is given two roles"),
    ({"pool": ["nonsense"]}, "--pool: 'nonsense' is not a factor"),
    ({"formats": "png,gif"}, "--format: got 'png,gif'; allowed: a comma-separated list of png, pdf, svg"),
])
def test_bad_requests_name_the_option_and_what_is_allowed(three, options, fragment):
    with pytest.raises(UserError, match=None) as caught:
        plot(three, **options)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_every_format_is_written_under_the_roles_name(three, tmp_path):
    drawn = plot(three, outcome="net_harm", x="rivalry", hue="doctrine", facet="false_lead_rate",
                 formats="png,pdf,svg", out=tmp_path)
    assert drawn.stem == "net_harm-by-rivalry-hue-doctrine-facet-false_lead_rate"
    assert [p.name for p in drawn.paths] == [f"{drawn.stem}.{ext}" for ext in ("png", "pdf", "svg")]
    assert drawn.paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn.paths[1].read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in drawn.paths[2].read_bytes()[:400]
    again = plot(three, outcome="net_harm", x="rivalry", hue="doctrine", facet="false_lead_rate",
                 formats="png,pdf,svg", out=tmp_path / "again")
    assert [p.read_bytes() for p in drawn.paths] == [p.read_bytes() for p in again.paths]


def test_scenarios_are_named_by_their_name_not_their_file(tmp_path):
    points = [{"scenario": s, "rivalry": r} for s in ("relay.toml", "default") for r in (0.2, 0.8)]
    folder = write_results(tmp_path / "scen", points, replications=3, days=5)
    manifest = json.loads((folder / "manifest.json").read_text())
    text = 'name = "Relayed warnings"\ndescription = "x"\n'
    manifest["scenarios"] = [{"scenario": "relay.toml", "sha256": "0", "text": text},
                             {"scenario": "default", "sha256": None, "text": None}]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    drawn = plot(folder, outcome="heed_rate", x="scenario", hue="rivalry")
    ticks = [t.get_text() for t in drawn.figure.axes[0].get_xticklabels()]
    assert ticks == ["Relayed warnings", "default"]  # the design's order, by name
    drawn = plot(folder, outcome="heed_rate", x="rivalry", hue="scenario")
    legend = [t.get_text() for t in drawn.figure.legends[0].get_texts()]
    assert "Relayed warnings" in legend and "relay.toml" not in legend
    fig, _ = FIGURES["outcomes_vs_parameter"](load_results(folder))  # the standard figures too
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["default", "Relayed warnings"]


def test_a_sampled_design_is_drawn_as_points_and_names_what_varies_across_them(tmp_path):
    rng = np.random.default_rng(2)
    ranges = {"rivalry": [0, 1], "false_lead_rate": [0, 5], "action_cost": [0, 1]}
    sample = [{"rivalry": a, "false_lead_rate": 5 * b, "action_cost": c}
              for a, b, c in rng.random((40, 3))]
    folder = write_results(tmp_path / "lhs", sample, kind="lhs", replications=1, days=5, n=40,
                           ranges=ranges)
    drawn = plot(folder, outcome="heed_rate", x="rivalry", hue="none", facet="none",
                 pool=["false_lead_rate", "action_cost"])
    ax = drawn.figure.axes[0]
    dots = [line for line in ax.lines if line.get_linestyle() == "None" and len(line.get_xdata()) == 40]
    assert dots, "one dot per design point"
    assert "false leads, action cost" in drawn.message
    assert ax.get_xlabel().endswith("binned")
    assert not layout_problems(drawn.figure), layout_problems(drawn.figure)


def test_a_morris_design_is_refused(tmp_path):
    folder = write_results(tmp_path / "morris", [{"rivalry": 0.1}, {"rivalry": 0.6}], kind="morris",
                           replications=1, days=5, n=1, ranges={"rivalry": [0, 1]})
    with pytest.raises(UserError, match="a Morris design"):
        plot(folder)


def test_the_command_writes_the_chosen_figure_and_says_what_it_pooled(three, capsys):
    assert main(["plot", str(three), "--outcome", "casualties", "--x", "rivalry", "--hue",
                 "doctrine", "--facet", "none", "--format", "svg"]) == 0
    out = capsys.readouterr().out
    name = stem(assign_roles(load_results(three), "casualties", x="rivalry", hue="doctrine",
                             facet="none"))
    assert (three / "figures" / f"{name}.svg").is_file()
    assert out.startswith(f"wrote {three / 'figures' / name}.svg: casualties against rivalry by doctrine")
    assert "pooled over false leads (2 levels)" in out


def test_the_command_refuses_in_one_line_with_status_2(three, capsys):
    assert main(["plot", str(three), "--x", "rivalry", "--hue", "doctrine", "--facet", "none",
                 "--pool", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warnsim: error: would pool false_lead_rate")
    assert main(["plot", str(three), "--only", "heed_vs_rivalry", "--x", "rivalry"]) == 2
    assert "--only" in capsys.readouterr().err
