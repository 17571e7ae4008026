"""Liaison between blocs (or agencies) as a scenario factor, ``liaison.SIDE:SIDE``: what it
does to a scenario, how experiment files and ``--set`` take it, and the errors it gives; and a
run's logs as DataFrames (:class:`sim.frames.RunFrames`)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import UserError
from sim.params import ParameterError
from sim.run import RunSpec, simulate
from sim.scenarios import factor, is_dotted, load_scenario, with_changes
from sim.schema import AGENT_COLUMNS, DYAD_COLUMNS, SERIES_COLUMNS, WARNING_COLUMNS
from sim.sweep import parse_experiment

DEFAULT = load_scenario("default")
BLOCS = sorted({a.bloc for a in DEFAULT.agencies})
SIDES = BLOCS + [a.name for a in DEFAULT.agencies]


def _members(side: str) -> set[int]:
    names = [a.name for a in DEFAULT.agencies]
    if side in names:
        return {names.index(side)}
    return {i for i, a in enumerate(DEFAULT.agencies) if a.bloc == side}


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.sampled_from(SIDES), st.sampled_from(SIDES), st.booleans())
def test_liaison_sets_every_pair_between_the_sides_and_no_other(one, other, value):
    if one == other:
        with pytest.raises(ParameterError, match="two different blocs or agencies"):
            with_changes(DEFAULT, [(f"liaison.{one}:{other}", value)])
        return
    before = DEFAULT.liaison_matrix()
    after = with_changes(DEFAULT, [(f"liaison.{one}:{other}", value)]).liaison_matrix()
    between = {(i, j) for i in _members(one) for j in _members(other) if i != j}
    between |= {(j, i) for i, j in between}
    for i, j in itertools.product(range(DEFAULT.size), repeat=2):
        if i == j:
            assert not after[i, j]
        elif (i, j) in between:
            assert after[i, j] == value
        else:
            assert after[i, j] == before[i, j]
    assert np.array_equal(after, after.T)  # liaison is symmetric, as in the file
    assert DEFAULT.liaison_matrix().tolist() == before.tolist()  # the original is untouched


def test_opening_liaison_overrides_the_files_pairs_without_it():
    assert (0, 4) in DEFAULT.no_liaison  # A1 and B1 have none in the file
    opened = with_changes(DEFAULT, [("liaison.A:B", True)])
    assert opened.liaison_matrix()[0, 4] and opened.liaison_matrix()[4, 0]
    # later changes win: closed between A and B, then opened between A1 and B1 alone
    both = with_changes(DEFAULT, [("liaison.A:B", False), ("liaison.A1:B1", True)])
    m = both.liaison_matrix()
    assert m[0, 4] and not m[0, 5] and not m[1, 4]


def test_the_declaration_and_its_errors():
    spec = factor("liaison.A:C")
    assert is_dotted("liaison.A:C") and spec.kind is bool and spec.label == "Liaison A:C"
    for bad in ("liaison.A", "liaison.A:A", "liaison.:C"):
        with pytest.raises(ParameterError, match=r"liaison\.SIDE:SIDE"):
            factor(bad)
    with pytest.raises(ParameterError, match="'Z' is neither an agency nor a bloc of scenario "
                       "'default'; allowed: blocs A, B, C or agencies A1"):
        with_changes(DEFAULT, [("liaison.A:Z", False)])
    with pytest.raises(ParameterError, match="allowed: true or false"):
        with_changes(DEFAULT, [("liaison.A:C", 0.5)])


def test_an_experiment_sweeps_liaison_as_a_toml_dotted_key_once_per_pair(tmp_path):
    e = parse_experiment('name = "x"\ndays = 5\n[grid]\nliaison."A:C" = [true, false]\n')
    assert e.design.parameters == ("liaison.A:C",)
    assert e.design.values == (("liaison.A:C", (True, False)),)
    with pytest.raises(UserError, match=r"the same factor as liaison\.A:C; keep one"):
        parse_experiment('name = "x"\ndays = 5\n[grid]\nliaison."A:C" = [true, false]\n'
                         'liaison."C:A" = [true, false]\n')
    with pytest.raises(UserError, match=r"'A' is neither an agency nor a bloc of scenario "
                       r"'world-2024'; allowed: blocs"):
        parse_experiment('name = "x"\ndays = 5\nscenario = "world-2024"\n[grid]\n'
                         'liaison."A:C" = [true, false]\n')


def test_the_command_line_takes_it_with_set(capsys):
    assert main(["scenarios", "default", "--set", "liaison.A:C=false"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines()[::-1] if line.startswith("A2 "))
    assert row.count("via") == 5  # A2 -> B2 as in the file, and now A2 -> C1, C2, C3, C4
    assert main(["run", "--days", "5", "--set", "liaison.A:C=maybe"]) == 2
    assert "liaison.A:C: got 'maybe'; allowed: true or false" in capsys.readouterr().err


# --- a run's results as DataFrames ---------------------------------------------------------


@pytest.fixture(scope="module")
def run():
    spec = RunSpec(days=90, seed=3, record_series=True, record_agents=True, record_dyads=True)
    return spec, simulate(spec)


def test_run_frames_have_the_declared_columns_and_match_the_raw_logs(run):
    _, result = run
    for frame, columns, raw in (
            (result.warnings_frame(), WARNING_COLUMNS, result.warnings),
            (result.series_frame(), SERIES_COLUMNS, result.series),
            (result.agents_frame(), AGENT_COLUMNS, result.agents),
            (result.dyads_frame(), DYAD_COLUMNS, result.dyads)):
        assert tuple(frame.columns) == columns
        assert len(frame) == len(raw[columns[0]]) > 0
        for column in columns:
            values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                      for v in raw[column]]
            got = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                   for v in frame[column].tolist()]
            assert got == values, column
    assert result.outcomes_frame().iloc[0].to_dict() == pytest.approx(result.outcomes,
                                                                       nan_ok=True)
    trust = result.trust_frame()
    assert list(trust.index) == list(trust.columns) == result.agencies
    assert np.isnan(np.diag(trust.to_numpy())).all()
    assert trust.loc["A2", "B1"] == result.trust_matrix[1][5]
    assert result.rivalry_frame().loc["A1", "B1"] == result.rivalry_matrix[0][5]


def test_run_frames_are_the_same_from_arrow_logs_and_say_what_was_not_recorded(run):
    spec, result = run
    typed = simulate(RunSpec(**{**{f: getattr(spec, f) for f in spec.__slots__},
                                "typed_logs": True}))
    pd.testing.assert_frame_equal(typed.warnings_frame(), result.warnings_frame())
    pd.testing.assert_frame_equal(typed.dyads_frame(), result.dyads_frame())
    bare = simulate(RunSpec(days=5, record_warnings=False))
    for method, flag in (("warnings_frame", "record_warnings"), ("series_frame", "record_series"),
                         ("agents_frame", "record_agents"), ("dyads_frame", "record_dyads")):
        with pytest.raises(ValueError, match=f"RunSpec\\({flag}=True\\)"):
            getattr(bare, method)()
