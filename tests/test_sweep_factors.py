"""Scenarios as experimental factors: ``scenario`` in the design, agency
traits and bloc factors by dotted name (``agency.FSB.capability``, ``bloc_rivalry.west:russia``)
checked against every scenario the experiment runs and recorded in ``runs.parquet``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.figures import FIGURES
from sim.analysis.load import load_results
from sim.cli import main
from sim.enums import Doctrine, WaiverReason
from sim.errors import UserError
from sim.params import PARAMETERS, ModelParams, ParameterError
from sim.run import RunSpec, simulate
from sim.scenarios import AGENCY_FACTORS, load_scenario, parse_scenario, with_changes
from sim.sweep import (
    build_design,
    load_experiment,
    read_agents,
    read_dyads,
    read_manifest,
    read_runs,
    read_warnings,
    run_experiment,
)
from sim.sweep.seeds import replication_seeds
from tests.conftest import TRIO, R, S, T
from tests.fake_runs import fake
from tests.test_plots import layout_problems

TWO = """\
name = "two"
days = {days}
replications = {replications}
seed = 4
record_agents = true
[metrics]
heed_gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"
[grid]
scenario = ["default", "world-2024"]
rivalry = [0.3, 0.9]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> Path:
    """A grid over both built-in scenarios, run on the real model (16 runs of 60 days)."""
    folder = tmp_path_factory.mktemp("two")
    exp = write(folder, "two.toml", TWO.format(days=60, replications=4))
    run_experiment(exp, out=folder / "out", workers=1, progress=False)
    return folder / "out"


# --- acceptance: a grid over two built-in scenarios gives rows for both, right agencies -------


def test_grid_over_two_builtin_scenarios_gives_rows_for_both_with_their_agencies(two):
    runs = read_runs(two)
    assert list(runs["scenario"]) == ["default"] * 8 + ["world-2024"] * 8  # first key slowest
    assert list(runs["rivalry"]) == ([0.3] * 4 + [0.9] * 4) * 2
    assert (runs["status"] == "ok").all()
    agents = read_agents(two)
    for name, rows in runs.groupby("scenario"):
        expected = [a.name for a in load_scenario(name).agencies]
        for run_id in rows["run_id"]:
            assert agents.loc[agents["run_id"] == run_id, "agency"].unique().tolist() == expected
    senders = read_warnings(two).merge(runs[["run_id", "scenario"]], on="run_id")
    assert set(senders.loc[senders["scenario"] == "world-2024", "sender"]) <= {
        a.name for a in load_scenario("world-2024").agencies}
    # Common random numbers across scenarios too: replication k has the same seed everywhere.
    assert list(runs["seed"]) == replication_seeds(4, 4) * 4
    # The sweep adds nothing to a run: the last row by hand.
    last = runs.iloc[-1]
    by_hand = simulate(RunSpec(params=ModelParams(rivalry=0.9), scenario="world-2024", days=60,
                               seed=int(last["seed"]))).outcomes
    assert {k: last[k] for k in ("plots", "warnings_sent", "casualties")} == {
        k: by_hand[k] for k in ("plots", "warnings_sent", "casualties")}
    manifest = read_manifest(two)
    assert manifest["experiment"]["scenario"] == ["default", "world-2024"]
    assert manifest["design"]["parameters"] == ["scenario", "rivalry"]
    assert [s["scenario"] for s in manifest["scenarios"]] == ["default", "world-2024"]
    assert manifest["scenario_sha256"] is None and manifest["scenario_text"] is None


def test_dry_run_names_the_scenarios(tmp_path, capsys):
    exp = write(tmp_path, "two.toml", TWO.format(days=5, replications=2))
    assert main(["sweep", str(exp), "--dry-run", "--workers", "1"]) == 0
    assert "4 design points x 2 replications = 8 runs of 5 days (scenarios default, " \
           "world-2024)" in capsys.readouterr().out


def test_analyze_and_plot_treat_scenario_as_a_categorical_factor(two, capsys):
    assert main(["analyze", str(two), "--quiet"]) == 0
    key = pd.read_csv(two / "tables" / "key_outcomes.csv")
    assert sorted(set(key["scenario"])) == ["default", "world-2024"]
    trend = pd.read_csv(two / "tables" / "heed_trend.csv")
    assert {"Scenario default", "Scenario world-2024"} <= set(trend["stratum"])  # label, level
    caption = (two / "tables" / "heed_trend.md").read_text()
    assert "pools over scenario (2 levels)" in caption
    # The experiment's metric is summarised at each point like the declared outcomes.
    summary = pd.read_csv(two / "tables" / "summary.csv")
    gap = summary[summary["outcome"] == "heed_gap"].set_index("point_id")["mean"]
    runs = read_runs(two)
    assert len(gap) == 4
    assert np.allclose(gap, runs.groupby("point_id")["heed_gap"].mean(), equal_nan=True)
    assert main(["plot", str(two)]) == 0
    assert "outcomes against scenario" in capsys.readouterr().out
    assert (two / "figures" / "heatmap_heed_rate.png").stat().st_size > 0
    results = load_results(two)
    drawn = 0
    for name, build in FIGURES.items():
        fig, _ = build(results)
        if fig is not None:
            drawn += 1
            assert not layout_problems(fig), (name, layout_problems(fig))
    assert drawn >= 5


# --- acceptance: a dotted agency attribute changes that agency's behaviour ------------------


def test_with_changes_sets_one_agencys_trait_in_a_scripted_world(trio):
    """S's doctrine set to never by dotted name: its one warning is waived; T's doctrine
    changed instead leaves S's warning as it was; the original scenario is untouched."""
    from sim.model import WarningModel
    from sim.run import release
    from sim.scripted import Plot, Sighting, build_world

    params = ModelParams(source_value=0.0)

    def cable(scenario):
        world = build_world(params, scenario.size, [Plot(target=R, emerge=0, attack_day=20)],
                            sightings=[Sighting(0, S, day=1)])
        model = WarningModel(scenario=scenario, params=params, days=30, rng=0, world=world)
        model.run()
        release(model)
        assert len(model.log) == 1
        return model.log.cables[0]

    assert cable(trio).waiver_reason is None
    never = with_changes(trio, [("agency.S.doctrine", "never")])
    assert cable(never).waiver_reason is WaiverReason.DOCTRINE_EXCLUDES
    assert cable(with_changes(trio, [("agency.T.doctrine", "never")])).waiver_reason is None
    assert never.agencies[S].doctrine is Doctrine.NEVER and trio.agencies[S].doctrine is Doctrine.WARN_ALL
    assert never.agencies[T] == trio.agencies[T] and never.agencies[R] == trio.agencies[R]


def test_a_swept_capability_silences_exactly_that_agency(tmp_path):
    """A sweep over S's capability in a scenario file: at 0 S detects nothing and sends no
    warning in any replication; at 1 it sends some in every one."""
    write(tmp_path, "trio.toml", TRIO)
    exp = write(tmp_path, "cap.toml", 'scenario = "trio.toml"\ndays = 60\nreplications = 3\n'
                'seed = 1\nrecord_agents = true\n[fixed]\nplot_rate = 0.2\n'
                'detection_rate = 1.0\n"agency.S.opportunism" = 0.0\n'
                '[grid]\nagency.S.capability = [0.0, 1.0]\n')
    run_experiment(exp, out=tmp_path / "out", workers=1, progress=False)
    runs = read_runs(tmp_path / "out")
    assert list(runs["agency.S.capability"]) == [0.0] * 3 + [1.0] * 3
    assert runs["agency.S.capability"].dtype == np.float64
    assert runs["agency.S.opportunism"].dtype == np.float64 and (runs["agency.S.opportunism"] == 0).all()
    agents = read_agents(tmp_path / "out")
    last = agents[agents["day"] == 59].merge(runs[["run_id", "agency.S.capability"]])
    sent = last[last["agency"] == "S"].set_index("run_id")["warnings_sent"]
    assert (sent[runs["agency.S.capability"] == 0.0] == 0).all()
    assert (sent[runs["agency.S.capability"] == 1.0] > 0).all()
    assert read_manifest(tmp_path / "out")["experiment"]["fixed"] == {
        "plot_rate": 0.2, "detection_rate": 1.0, "agency.S.opportunism": 0.0}


# --- sampled designs and design CSVs --------------------------------------------------------


def test_sampled_dotted_factors_reach_the_model(tmp_path):
    """An LHS over an agency's capability and a bloc factor: the values are in runs.parquet
    and are what the model ran with (day-0 capability, rivalry of CIA toward FSB)."""
    exp = write(tmp_path, "lhs.toml", 'scenario = "world-2024"\ndays = 2\nseed = 2\n'
                'record_agents = true\nrecord_dyads = true\n[sample]\nmethod = "lhs"\nn = 4\n'
                '[sample.ranges]\n"agency.FSB.capability" = [0.2, 0.8]\n'
                'bloc_rivalry."west:russia" = [0.2, 1.4]\n')
    run_experiment(exp, out=tmp_path / "out", workers=1, progress=False)
    runs = read_runs(tmp_path / "out").set_index("run_id")
    cap, factor = runs["agency.FSB.capability"], runs["bloc_rivalry.west:russia"]
    assert cap.between(0.2, 0.8).all() and factor.between(0.2, 1.4).all()
    assert cap.nunique() == 4 and factor.nunique() == 4
    agents = read_agents(tmp_path / "out")
    fsb = agents[(agents["agency"] == "FSB") & (agents["day"] == 0)].set_index("run_id")
    untouched = fsb["sources_burned"] == 0
    assert untouched.any()
    np.testing.assert_allclose(fsb.loc[untouched, "capability"], cap[fsb.index[untouched]])
    dyads = read_dyads(tmp_path / "out")
    cia_fsb = dyads[(dyads["day"] == 0) & (dyads["recipient"] == "CIA")
                    & (dyads["sender"] == "FSB")].set_index("run_id")["rivalry"]
    np.testing.assert_allclose(cia_fsb, np.minimum(1.0, 0.7 * factor[cia_fsb.index]))


def test_sobol_design_over_dotted_factors(tmp_path):
    exp = load_experiment(write(tmp_path, "s.toml", 'scenario = "world-2024"\n[sample]\n'
                                'method = "sobol"\nn = 4\n[sample.ranges]\n'
                                '"agency.FSB.home_security" = [0.1, 0.9]\n'
                                '"bloc_rivalry.west:iran" = [0.0, 2.0]\nrivalry = [0.2, 0.8]\n'))
    design = build_design(exp)
    assert design.parameters == ("agency.FSB.home_security", "bloc_rivalry.west:iran", "rivalry")
    assert len(design.points) == 4 * 5
    values = np.array([[p[k] for k in design.parameters] for p in design.points])
    assert ((values[:, 0] >= 0.1) & (values[:, 0] <= 0.9)).all() and (values[:, 1] <= 2).all()
    assert design.describe()["ranges"]["bloc_rivalry.west:iran"] == [0.0, 2.0]


def test_design_csv_with_scenario_and_dotted_columns(tmp_path):
    """A points CSV naming a scenario file (two spellings of one path) and an agency's
    doctrine; the file's text is in the manifest and its content in the fingerprint."""
    scenario = TRIO.replace('"trio"', '"trio-file"')
    write(tmp_path, "trio.toml", scenario)
    (tmp_path / "pts.csv").write_text("scenario,agency.T.doctrine,rivalry\n"
                                      "trio.toml,never,0.5\n./trio.toml,warn_all,0.5\n")
    exp = write(tmp_path, "p.toml", 'days = 5\nreplications = 2\ndesign = "pts.csv"\n')
    out = tmp_path / "out"
    run_experiment(exp, out=out, workers=1, progress=False, run_fn=fake)
    runs = read_runs(out)
    assert list(runs["scenario"]) == ["trio.toml"] * 4  # as written, normalised
    assert list(runs["agency.T.doctrine"]) == ["never", "never", "warn_all", "warn_all"]
    manifest = read_manifest(out)
    assert manifest["scenarios"] == [{"scenario": "trio.toml", "sha256": manifest["scenarios"][0][
        "sha256"], "text": scenario}]
    # The scenario file's content is part of the fingerprint: changed, the folder is refused.
    (tmp_path / "trio.toml").write_text(scenario.replace("capability = 0.8", "capability = 0.7"))
    assert main(["sweep", str(exp), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    # A duplicate point written differently is still a duplicate.
    (tmp_path / "pts.csv").write_text("scenario,rivalry\ntrio.toml,0.5\n./trio.toml,0.50\n")
    with pytest.raises(UserError, match="repeats line 2"):
        load_experiment(exp)


def test_a_swept_scenario_file_changed_under_the_sweep_fails_its_runs(tmp_path):
    write(tmp_path, "trio.toml", TRIO)
    exp = write(tmp_path, "e.toml", 'days = 3\n[grid]\nscenario = ["default", "trio.toml"]\n')
    loaded = load_experiment(exp)
    write(tmp_path, "trio.toml", TRIO + "\n")
    summary = run_experiment(loaded, out=tmp_path / "out", workers=1, progress=False,
                             run_fn=fake)
    runs = read_runs(tmp_path / "out")
    assert summary.failed == 1 and list(runs["status"]) == ["ok", "failed"]
    assert "differs from the one this sweep was started with" in runs["error"][1]


def test_toml_dotted_keys_and_quoted_names_are_the_same_factor(tmp_path):
    nested = load_experiment(write(tmp_path, "a.toml", 'scenario = "world-2024"\n[grid]\n'
                                   'agency.FSB.capability = [0.2, 0.4]\n'
                                   'bloc_rivalry."west:russia" = { start = 1, stop = 2, num = 3 }\n'))
    quoted = load_experiment(write(tmp_path, "b.toml", 'scenario = "world-2024"\n[grid]\n'
                                   '"agency.FSB.capability" = [0.2, 0.4]\n'
                                   '"bloc_rivalry.west:russia" = { start = 1, stop = 2, num = 3 }\n'))
    assert nested.design == quoted.design
    assert nested.design.parameters == ("agency.FSB.capability", "bloc_rivalry.west:russia")


# --- acceptance: bad dotted names refused before anything runs ------------------------------

HEAD = 'name = "bad"\ndays = 5\n'
BAD = {
    "agency not in the scenario": (
        HEAD + '[grid]\n"agency.FSB.capability" = [0.2, 0.5]\n',
        ["[grid]", "agency.FSB.capability", "no agency 'FSB' in scenario 'default'",
         "allowed: A1, A2"]),
    "agency missing from the second scenario": (
        HEAD + '[grid]\nscenario = ["world-2024", "default"]\n"agency.FSB.capability" = [0.2]\n',
        ["agency.FSB.capability", "in scenario 'default'", "allowed: A1"]),
    "unknown attribute": (
        HEAD + '[grid]\n"agency.A1.colour" = [1, 2]\n',
        ["agency.A1.colour", "unknown agency attribute 'colour'",
         "allowed: " + ", ".join(AGENCY_FACTORS)]),
    "value out of range": (
        HEAD + '[grid]\nagency.A1.capability = [0.2, 1.5]\n',
        ["[grid]", "agency.A1.capability", "got 1.5", "allowed: a number in [0, 1]"]),
    "bad doctrine": (
        HEAD + '[fixed]\n"agency.A1.doctrine" = "sometimes"\n',
        ["[fixed]", "agency.A1.doctrine", "allowed: one of warn_all, non_rivals, never"]),
    "unknown bloc": (
        HEAD + '[grid]\n"bloc_rivalry.A:Z" = [0.5]\n',
        ["bloc_rivalry.A:Z", "no bloc 'Z' in scenario 'default'", "allowed: A, B, C"]),
    "bloc factor out of range": (
        HEAD + '[grid]\n"bloc_rivalry.A:B" = [11]\n',
        ["bloc_rivalry.A:B", "allowed: a number in [0, 10]"]),
    "one bloc pair twice": (
        HEAD + '[grid]\n"bloc_rivalry.A:B" = [0.5]\n"bloc_rivalry.B:A" = [0.7]\n',
        ["bloc_rivalry.B:A", "the same factor as bloc_rivalry.A:B"]),
    "fixed and swept": (
        HEAD + '[fixed]\n"bloc_rivalry.B:A" = 0.5\n[grid]\n"bloc_rivalry.A:B" = [0.7]\n',
        ["bloc_rivalry.A:B", "both in [fixed] and in the design"]),
    "not a dotted form": (
        HEAD + '[grid]\n"agency.A1" = [1]\n',
        ["agency.A1", "expected agency.NAME.ATTRIBUTE"]),
    "misspelt prefix": (
        HEAD + '[grid]\n"agencies.A1.capability" = [1]\n',
        ["agencies.A1.capability", "unknown name", "scenario or agency.NAME.ATTRIBUTE"]),
    "doctrine without effect": (
        HEAD + '[fixed]\ndoctrine = "never"\n[grid]\n"agency.A1.doctrine" = ["warn_all"]\n',
        ["agency.A1.doctrine", "no effect while the parameter doctrine = 'never'"]),
    "categorical factor sampled": (
        HEAD + '[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\n'
        '"agency.A1.doctrine" = [0, 1]\n',
        ["[sample.ranges]", "agency.A1.doctrine", "only numeric parameters"]),
    "scenario sampled": (
        HEAD + '[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\nscenario = [0, 1]\n',
        ["[sample.ranges]", "scenario", "allowed: scenarios in [grid] or a design CSV"]),
    "scenario twice": (
        HEAD + 'scenario = "default"\n[grid]\nscenario = ["default", "world-2024"]\n',
        ["scenario", "set both at the top level and in the design"]),
    "unknown scenario level": (
        HEAD + '[grid]\nscenario = ["default", "atlantis"]\n',
        ["[grid]", "scenario", "'atlantis'", "allowed: default, world-2024"]),
    "scenario levels twice": (
        HEAD + '[grid]\nscenario = ["default", "default"]\n',
        ["[grid]", "scenario", "duplicate values"]),
    "scenario in fixed": (
        HEAD + '[fixed]\nscenario = "default"\n',
        ["[fixed]", "scenario", "not a model parameter"]),
}


def assert_refused(path: Path, capsys, pieces: list[str], where: str = "") -> None:
    """``warnsim sweep path`` as typed: exit status 2, one line starting with the file (or
    ``where``) and holding every piece, and no results folder."""
    out = path.parent / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warnsim: error: {where or path}"), err
    for piece in pieces:
        assert piece in lines[0], (piece, lines[0])
    assert not out.exists()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_dotted_names_refused_before_anything_runs(case, tmp_path, capsys):
    text, expected = BAD[case]
    assert_refused(write(tmp_path, "bad.toml", text), capsys, expected)


def test_bad_dotted_column_of_a_design_csv(tmp_path, capsys):
    (tmp_path / "pts.csv").write_text("agency.FSB.capability\n0.5\n")
    assert_refused(write(tmp_path, "bad.toml", HEAD + 'design = "pts.csv"\n'), capsys,
                   ["no agency 'FSB' in scenario 'default'"],
                   where=f"{tmp_path / 'pts.csv'} header: agency.FSB.capability")


# --- with_changes: one trait changes, everything else stays ---------------------------------

DEFAULT = load_scenario("default")
TRAITS = {"capability": st.floats(0, 1), "home_security": st.floats(0, 1),
          "source_sensitivity": st.floats(0, 1), "doctrine": st.sampled_from(list(Doctrine)),
          "opportunism": st.floats(0, 1), "concern": st.floats(0, 1)}


@settings(max_examples=60, deadline=None)
@given(agency=st.sampled_from([a.name for a in DEFAULT.agencies]),
       trait_value=st.sampled_from(list(TRAITS)).flatmap(
           lambda t: st.tuples(st.just(t), TRAITS[t])))
def test_with_changes_changes_one_trait_of_one_agency(agency, trait_value):
    trait, value = trait_value
    changed = with_changes(DEFAULT, [(f"agency.{agency}.{trait}", value)])
    for before, after in zip(DEFAULT.agencies, changed.agencies, strict=True):
        if before.name == agency:
            assert after == dataclasses.replace(before, **{trait: value})
        else:
            assert after == before
    assert changed.bloc_factors == DEFAULT.bloc_factors and changed.shifts == DEFAULT.shifts


@settings(max_examples=40, deadline=None)
@given(pair=st.sampled_from([("A", "B"), ("B", "C"), ("C", "A")]), factor=st.floats(0, 10),
       rivalry=st.floats(0, 1))
def test_a_bloc_factor_sets_cross_bloc_rivalry_both_ways(pair, factor, rivalry):
    a, b = pair
    changed = with_changes(DEFAULT, [(f"bloc_rivalry.{a}:{b}", factor)])
    matrix = changed.rivalry_matrix(ModelParams(rivalry=rivalry))
    blocs = [x.bloc for x in DEFAULT.agencies]
    pairs = [(i, j) for i, x in enumerate(blocs) for j, y in enumerate(blocs) if {x, y} == {a, b}]
    assert pairs
    for i, j in pairs:
        if (i, j) not in DEFAULT.pair_rivalry:
            assert matrix[i, j] == pytest.approx(min(1.0, rivalry * factor))
    others = DEFAULT.rivalry_matrix(ModelParams(rivalry=rivalry))
    mask = np.ones_like(matrix, dtype=bool)
    for i, j in pairs:
        mask[i, j] = False
    np.testing.assert_array_equal(matrix[mask], others[mask])


@pytest.mark.parametrize(("change", "words"), [
    (("agency.Nobody.capability", 0.5), "no agency 'Nobody'"),
    (("agency.A1.capability", -0.1), "allowed: a number in [0, 1]"),
    (("agency.A1.doctrine", "sometimes"), "allowed: one of warn_all, non_rivals, never"),
    (("bloc_rivalry.A:A", 1.0), "two different blocs"),
    (("rivalry", 0.5), "expected agency.NAME.ATTRIBUTE"),
])
def test_with_changes_refuses_what_the_scenario_cannot_take(change, words):
    with pytest.raises(ParameterError, match=words.replace("[", r"\[").replace("]", r"\]")):
        with_changes(DEFAULT, [change])


def test_a_scenario_file_keeps_its_own_checks(tmp_path):
    """with_changes validates against the scenario it is given, file or built-in."""
    trio = parse_scenario(TRIO, origin="trio")
    assert with_changes(trio, [("bloc_rivalry.A:B", 2.0)]).bloc_factors == {
        ("A", "B"): 2.0, ("B", "A"): 2.0}
    with pytest.raises(ParameterError, match="no bloc 'C'"):
        with_changes(trio, [("bloc_rivalry.A:C", 2.0)])


def test_runs_parquet_records_every_factor_with_its_type(tmp_path):
    exp = write(tmp_path, "t.toml", 'days = 2\nreplications = 2\n[fixed]\n'
                '"agency.A1.home_security" = 0.25\n[grid]\n"agency.B2.doctrine" = '
                '["never", "warn_all"]\n"liaison.A:B" = [true, false]\n')
    run_experiment(exp, out=tmp_path / "out", workers=1, progress=False, run_fn=fake)
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / "out" / "runs.parquet")
    names = schema.names
    assert names.index("agency.A1.home_security") > names.index(list(PARAMETERS)[-1])
    assert names.index("liaison.A:B") < names.index("plots")
    assert [str(schema.field(n).type) for n in ("agency.A1.home_security", "agency.B2.doctrine",
                                               "liaison.A:B")] == [
        "double", "string", "bool"]
    runs = read_runs(tmp_path / "out")
    assert (runs["agency.A1.home_security"] == 0.25).all()
    assert list(runs["agency.B2.doctrine"]) == ["never"] * 4 + ["warn_all"] * 4
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["design"]["values"] == {
        "agency.B2.doctrine": ["never", "warn_all"], "liaison.A:B": [True, False]}
