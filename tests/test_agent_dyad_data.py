"""Agent- and dyad-level data: the DataCollector's agent reporters, the per-dyad series, the
final trust and rivalry matrices in ``RunResult`` and ``warnsim run --json``."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.errors import UserError
from sim.inference import benevolence, posterior
from sim.ledger import log_weights
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import RunSpec, release, simulate
from sim.schema import AGENT_COLUMNS, AGENT_FIELDS, DYAD_COLUMNS, DYAD_FIELDS


@pytest.fixture(scope="module")
def recorded():
    model = WarningModel(seed=5, days=240, record_series=True, record_agents=True,
                         record_dyads=True)
    model.run()
    yield model
    release(model)


def test_agent_reporters_have_the_documented_columns(recorded):
    frame = recorded.datacollector.get_agent_vars_dataframe()
    assert tuple(frame.columns) == AGENT_COLUMNS
    assert len(frame) == recorded.days * len(recorded.names)
    assert all(c.doc and c.name.islower() for c in AGENT_FIELDS)
    series = recorded.agent_series()
    assert tuple(series) == AGENT_COLUMNS
    assert series["agency"][: len(recorded.names)] == recorded.names
    assert series["day"][:: len(recorded.names)] == list(range(recorded.days))


def test_agent_reporters_agree_with_the_warning_log_and_outcomes(recorded):
    frame = pd.DataFrame(recorded.agent_series())
    last = frame[frame["day"] == recorded.days - 1].set_index("agency")
    log = pd.DataFrame(recorded.warning_log())
    sent = log[log["waiver_reason"] == ""]
    assert last["warnings_sent"].to_dict() == {n: int((sent["sender"] == n).sum())
                                               for n in recorded.names}
    delivered = log[log["delivered_day"] >= 0]
    assert last["warnings_received"].to_dict() == {n: int((delivered["recipient"] == n).sum())
                                                   for n in recorded.names}
    heeded = Counter(delivered.loc[delivered["heeded"] == True, "recipient"])  # noqa: E712
    assert last["warnings_heeded"].to_dict() == {n: heeded[n] for n in recorded.names}
    burned = sent.groupby("sender")["sources_burned"].sum()
    assert last["sources_burned"].to_dict() == {n: int(burned.get(n, 0)) for n in recorded.names}
    out = recorded.outcomes()
    assert last["sources_burned"].sum() == out["sources_burned"]
    assert last["attacks_suffered"].sum() == out["attacks"]
    assert last["casualties_suffered"].sum() == out["casualties"]
    assert np.allclose(last["capability"], [a.capability for a in recorded.agencies])
    trust = recorded.trust_matrix()
    assert np.allclose(last["trust_given"], np.nanmean(trust, axis=1))
    assert np.allclose(last["trust_received"], np.nanmean(trust, axis=0))
    # counters only grow; capability only falls
    for name, rows in frame.groupby("agency"):
        for column in ("warnings_sent", "warnings_received", "warnings_heeded", "sources_burned"):
            assert rows[column].is_monotonic_increasing, (name, column)
        assert rows["capability"].is_monotonic_decreasing, name


def test_dyad_series_has_a_row_per_day_and_ordered_pair(recorded):
    dyads = recorded.dyad_series()
    assert tuple(dyads) == DYAD_COLUMNS and all(c.doc for c in DYAD_FIELDS)
    n = len(recorded.names)
    assert len(dyads["day"]) == recorded.days * n * (n - 1)
    frame = pd.DataFrame(dyads)
    assert not frame.duplicated(["day", "recipient", "sender"]).any()
    assert (frame["recipient"] != frame["sender"]).all()
    assert frame["trust"].between(0, 1).all() and frame["rivalry"].between(0, 1).all()


def test_final_trust_matrix_is_the_ledgers_state(recorded):
    """The matrix (the ledger's vectorised read, einsum over allies) against the per-dyad read
    each recipient uses when it judges a warning (prior + direct + public + allies' evidence)."""
    model = recorded
    trust, expected = _both_reads(model)
    assert np.allclose(trust, expected, equal_nan=True)
    # learning happened: the matrix is not just the priors
    assert np.nanstd(trust - expected.round(0)) > 0 and len({round(x, 6) for x in trust[~np.isnan(trust)]}) > 3
    last = pd.DataFrame(model.dyad_series()).query("day == @model.days - 1")
    index = {name: k for k, name in enumerate(model.names)}
    for row in last.itertuples():
        assert math.isclose(row.trust, trust[index[row.recipient], index[row.sender]])
        assert row.rivalry == model.rivalry[index[row.recipient], index[row.sender]]


def _both_reads(model: WarningModel) -> tuple[np.ndarray, np.ndarray]:
    """The final trust matrix, and the same read dyad by dyad through the kernel's own
    :func:`sim.ledger.log_weights` (allies' evidence from the bloc pools)."""
    trust = model.trust_matrix()
    n = len(model.names)
    expected = np.full((n, n), np.nan)
    for r in range(n):
        for s in range(n):
            if r != s:
                # r's prior about s: derived per dyad from s's incentives at the current
                # rivalry (rational suspicion, sim.inference.derive_priors)
                prior = model.arrays.priors[r, s]
                # the run is over: reading through its last day brings each dyad to its end
                weights = log_weights(model.run_state.ref, r, s, prior, model.day - 1)
                expected[r, s] = benevolence(posterior(weights))
    return trust, expected


@pytest.mark.parametrize("class_pooling", [True, False])
def test_allies_pools_stay_their_members_sum_when_rivalry_moves(class_pooling):
    """Rivalry that moves during the run (the world-2024 scenario's shifts, and intelligence
    diplomacy after every confirmation) re-forms the pools allies' evidence is read from: the
    kernel's read still equals the members' evidence summed one by one."""
    params = ModelParams(diplomacy_effect=0.2, class_pooling=class_pooling, plot_rate=0.02)
    model = WarningModel(scenario="world-2024", params=params, seed=3, days=200)
    model.run()
    try:
        assert model.outcomes()["confirmations"] > 0  # diplomacy moved rivalry
        trust, expected = _both_reads(model)
        assert np.allclose(trust, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
        assert len({round(x, 6) for x in trust[~np.isnan(trust)]}) > 3
    finally:
        release(model)


def test_run_result_carries_the_final_matrices():
    result = simulate(RunSpec(days=120, seed=2, record_dyads=True))
    n = len(result.agencies)
    assert len(result.trust_matrix) == len(result.rivalry_matrix) == n
    assert all(result.trust_matrix[i][i] is None for i in range(n))
    dyads = pd.DataFrame(result.dyads)
    final = dyads[dyads["day"] == 119]
    for row in final.itertuples():
        r, s = result.agencies.index(row.recipient), result.agencies.index(row.sender)
        assert math.isclose(result.trust_matrix[r][s], row.trust)
        assert result.rivalry_matrix[r][s] == row.rivalry
    assert result.agents is None  # only with the series


@settings(max_examples=8, deadline=None)
@given(days=st.integers(0, 40), seed=st.integers(0, 10_000), rivalry=st.floats(0, 1))
def test_dyad_rows_are_days_times_ordered_pairs(days, seed, rivalry):
    result = simulate(RunSpec(days=days, seed=seed, record_dyads=True, record_series=True,
                              record_agents=True,
                              params=RunSpec().params.replace(rivalry=rivalry)))
    n = len(result.agencies)
    assert len(result.dyads["day"]) == days * n * (n - 1)
    assert len(result.agents["day"]) == days * n
    trust = np.array(result.trust_matrix, dtype=float)
    assert np.all((trust[~np.eye(n, dtype=bool)] >= 0) & (trust[~np.eye(n, dtype=bool)] <= 1))


def test_cli_run_json_has_matrices_and_writes_dyads(tmp_path, capsys):
    dyads, agents = tmp_path / "dyads.parquet", tmp_path / "agents.csv"
    assert main(["run", "--days", "50", "--seed", "4", "--json", "--dyads", str(dyads),
                 "--agents", str(agents)]) == 0
    out = json.loads(capsys.readouterr().out)
    n = len(out["agencies"])
    assert len(out["trust_matrix"]) == n and all(len(row) == n for row in out["trust_matrix"])
    assert out["trust_matrix"][0][0] is None and out["rivalry_matrix"][0][0] == 0
    frame = pd.read_parquet(dyads)
    assert list(frame.columns) == list(DYAD_COLUMNS) and len(frame) == 50 * n * (n - 1)
    last = frame[frame["day"] == 49].set_index(["recipient", "sender"])["trust"]
    r, s = out["agencies"][3], out["agencies"][7]
    assert math.isclose(last[(r, s)], out["trust_matrix"][3][7])
    assert list(pd.read_csv(agents).columns) == list(AGENT_COLUMNS)


def test_cli_run_refuses_a_bad_dyads_suffix(tmp_path, capsys):
    assert main(["run", "--days", "5", "--dyads", str(tmp_path / "d.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--dyads" in err and ".parquet" in err
    assert not (tmp_path / "d.txt").exists()


# --- record_every: the per-day logs on fewer days -----------------------------------------------

@settings(max_examples=8, deadline=None, derandomize=True)
@given(days=st.integers(1, 60), every=st.integers(1, 70), seed=st.integers(0, 10_000))
def test_recording_every_k_days_keeps_those_days_rows_and_the_last(days, every, seed):
    """With ``record_every = k`` the series, agents and dyads hold exactly the daily logs' rows
    of days k-1, 2k-1, ... and of the last day, and the run itself is unchanged."""
    daily = simulate(RunSpec(days=days, seed=seed, record_series=True, record_agents=True,
                             record_dyads=True))
    sparse = simulate(RunSpec(days=days, seed=seed, record_series=True, record_agents=True,
                              record_dyads=True, record_every=every))
    expected = sorted({d for d in range(days) if d % every == every - 1} | {days - 1})
    for log in ("series", "agents", "dyads"):
        full, kept = pd.DataFrame(getattr(daily, log)), pd.DataFrame(getattr(sparse, log))
        assert sorted(kept["day"].unique()) == expected
        on_days = full[full["day"].isin(expected)].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, on_days)
    assert json.dumps(sparse.outcomes) == json.dumps(daily.outcomes)  # NaN-aware equality
    assert sparse.trust_matrix == daily.trust_matrix


def test_record_every_must_be_a_positive_number_of_days(tmp_path, capsys):
    with pytest.raises(UserError, match=r"RunSpec.record_every: got 0; allowed: an integer in \[1,"):
        RunSpec(record_every=0)
    with pytest.raises(SystemExit) as stopped:  # refused by the argument parser
        main(["run", "--days", "5", "--record-every", "0", "--agents", str(tmp_path / "a.csv")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--record-every" in err and "[1, 100000]" in err
    assert not (tmp_path / "a.csv").exists()


def test_cli_run_records_the_agents_on_the_last_day_only(tmp_path):
    agents = tmp_path / "agents.csv"
    assert main(["run", "--days", "50", "--seed", "4", "--agents", str(agents),
                 "--record-every", "50"]) == 0
    frame = pd.read_csv(agents)
    assert set(frame["day"]) == {49}
    assert len(frame) == len(simulate(RunSpec(days=1)).agencies)
