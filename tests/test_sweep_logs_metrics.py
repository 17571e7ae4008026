"""Agent and dyad series in sweeps: ``record_dyads`` / ``record_agents`` write ``dyads.parquet`` and
``agents.parquet``; ``[metrics]`` adds columns to ``runs.parquet``, each expression checked
before anything runs. The engine's guarantees (declared schemas, byte-identical resume, retry)
hold for the new tables too."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.params import ModelParams
from sim.run import RunSpec, recorded_days, simulate
from sim.scenarios import load_scenario
from sim.schema import AGENT_FIELDS, DYAD_FIELDS
from sim.sweep import load_experiment, plan, read_agents, read_dyads, read_manifest, read_runs
from sim.sweep import run_experiment as sweep_run
from sim.sweep.engine import MAX_CHUNK
from sim.sweep.limits import Size
from sim.sweep.tasks import run_chunk
from tests.fake_runs import AGENCIES, failing_odd_replications, fake, noisy_dyads, sigint_after
from tests.test_sweep_factors import assert_refused

ARROW = {"int64": "int64", "float64": "double", "bool": "bool", "string": "string"}


def write(folder: Path, text: str, name: str = "exp.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(exp: Path, out: Path, run_fn=None, **kw):
    kw.setdefault("workers", 1)
    kw.setdefault("progress", False)
    kw.setdefault("trust_code", True)  # the test experiments' metric functions are ours
    return sweep_run(exp, out=out, run_fn=run_fn, **kw)


# --- acceptance: a metric in a test experiment appears with the right values -----------------

METRICS = """\
name = "metrics"
days = 120
replications = 2
seed = 8
[metrics]
heed_gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"
trust_in_rivals = "mean(trust_matrix[rivalry_matrix >= 0.5])"
b1_trusts_a1 = 'trust_matrix["B1", "A1"]'
harm_per_plot = "net_harm / plots"
spread = { function = "tests.fake_runs.trust_spread" }
[grid]
rivalry = [0.2, 0.9]
"""


def test_metrics_appear_in_runs_parquet_with_the_right_values(tmp_path):
    out = tmp_path / "out"
    run(write(tmp_path, METRICS), out)
    runs = read_runs(out)
    names = ["heed_gap", "trust_in_rivals", "b1_trusts_a1", "harm_per_plot", "spread"]
    schema = pq.read_schema(out / "runs.parquet")
    assert all(str(schema.field(n).type) == "double" for n in names)
    assert schema.names.index("heed_gap") > schema.names.index("net_harm")
    assert schema.names[-2:] == ["status", "error"]
    for _, row in runs.iterrows():  # each run again by hand, each metric computed directly
        result = simulate(RunSpec(params=ModelParams(rivalry=row["rivalry"]), days=120,
                                  seed=int(row["seed"])))
        o = result.outcomes
        trust = np.array(result.trust_matrix, dtype=float)
        rivalry = np.array(result.rivalry_matrix, dtype=float)
        off = ~np.eye(len(trust), dtype=bool)
        b1, a1 = result.agencies.index("B1"), result.agencies.index("A1")
        expected = {
            "heed_gap": o["heed_rate_low_rivalry"] - o["heed_rate_high_rivalry"],
            "trust_in_rivals": trust[off & (rivalry >= 0.5)].mean()
            if (off & (rivalry >= 0.5)).any() else math.nan,
            "b1_trusts_a1": trust[b1, a1],
            "harm_per_plot": o["net_harm"] / o["plots"] if o["plots"] else math.nan,
            "spread": np.nanmax(trust) - np.nanmin(trust),
        }
        for name, value in expected.items():
            if math.isnan(value):
                assert math.isnan(row[name]), name
            else:
                assert row[name] == pytest.approx(value, rel=1e-12), name
    assert runs["trust_in_rivals"].notna().sum() == 2  # rivals only at rivalry 0.9
    assert read_manifest(out)["experiment"]["metrics"]["spread"] == {
        "function": "tests.fake_runs.trust_spread"}


# --- acceptance: a bad expression is refused before anything runs ----------------------------

HEAD = 'name = "bad"\ndays = 5\n'
BAD_METRICS = {
    "unknown name": ('gap = "heed_rat - 1"', ["metrics.gap", "unknown name 'heed_rat'",
                                               "did you mean 'heed_rate'"]),
    "syntax": ('gap = "plots +"', ["metrics.gap", "incomplete expression"]),
    "not a number": ('gap = "trust_matrix * 2"', ["metrics.gap", "gives a matrix, not a number"]),
    "unknown agency": ("gap = 'trust_matrix[\"FSB\", \"A1\"]'",
                       ["metrics.gap", "unknown agency 'FSB'", "allowed: A1, A2"]),
    "taken name": ('rivalry = "plots"', ["metrics.rivalry", "already a column of runs.parquet"]),
    "function without --trust-code": ('gap = { function = "tests.fake_runs.trust_spread" }',
                                      ["metrics.gap", "runs Python code", "--trust-code"]),
    "function not a dotted path": ('gap = { function = "os.system; rm" }',
                                   ["metrics.gap", "allowed: a dotted path"]),
    "not a table": (None, ["metrics", "expected a table"]),
}


@pytest.mark.parametrize("case", list(BAD_METRICS))
def test_bad_metric_refused_before_anything_runs(case, tmp_path, capsys):
    line, expected = BAD_METRICS[case]
    text = HEAD + ('metrics = 3\n' if line is None else f"[metrics]\nok = \"plots\"\n{line}\n")
    path = write(tmp_path, text)
    assert_refused(path, capsys, expected, where=f"{path}: ")


def test_an_agency_a_metric_names_must_be_in_every_scenario(tmp_path, capsys):
    path = write(tmp_path, HEAD + '[grid]\nscenario = ["default", "world-2024"]\n'
                 "[metrics]\ngap = 'trust_matrix[\"B1\", \"A1\"]'\n")
    assert_refused(path, capsys, ["metrics.gap: unknown agency 'B1'", "(scenario 'world-2024')"])


def test_a_metric_that_fails_in_a_run_fails_that_run_only(tmp_path):
    out = tmp_path / "out"
    run(write(tmp_path, HEAD + "replications = 8\n[metrics]\n"
              'flag = { function = "tests.fake_runs.broken_metric" }\n'), out, run_fn=fake)
    runs = read_runs(out)
    odd = runs["seed"] // 16 % 50 % 2 == 1  # fake()'s plots, odd
    assert 0 < odd.sum() < 8
    assert (runs.loc[odd, "status"] == "failed").all() and runs.loc[odd, "flag"].isna().all()
    assert set(runs.loc[odd, "error"]) == {"ZeroDivisionError: odd number of plots"}
    assert (runs.loc[~odd, "flag"] == 1.0).all() and (runs.loc[~odd, "status"] == "ok").all()


# --- dyads.parquet and agents.parquet ---------------------------------------------------------

LOGS = """\
name = "logs"
days = 30
replications = 2
seed = 5
record_dyads = true
record_agents = true
[grid]
rivalry = [0.2, 0.9]
"""


def test_dyads_and_agents_files_of_a_real_sweep(tmp_path):
    out = tmp_path / "out"
    run(write(tmp_path, LOGS), out)
    runs, dyads, agents = read_runs(out), read_dyads(out), read_agents(out)
    n = len(load_scenario("default").agencies)
    assert list(dyads.columns) == ["run_id", *(c.name for c in DYAD_FIELDS)]
    assert list(agents.columns) == ["run_id", *(c.name for c in AGENT_FIELDS)]
    assert (dyads.groupby("run_id").size() == 30 * n * (n - 1)).all()  # days x ordered pairs
    assert (agents.groupby("run_id").size() == 30 * n).all()
    assert sorted(dyads["run_id"].unique()) == list(runs["run_id"])
    # The last run's series are the run's own, and its last day is the final trust matrix.
    last = runs.iloc[-1]
    result = simulate(RunSpec(params=ModelParams(rivalry=0.9), days=30, seed=int(last["seed"]),
                              record_dyads=True, record_agents=True))
    mine = dyads[dyads["run_id"] == last["run_id"]].drop(columns="run_id").reset_index(drop=True)
    assert mine.to_dict("list") == result.dyads
    final = mine[mine["day"] == 29]
    index = {a: i for i, a in enumerate(result.agencies)}
    for recipient, sender, trust in final[["recipient", "sender", "trust"]].itertuples(index=False):
        assert trust == result.trust_matrix[index[recipient]][index[sender]]
    manifest = read_manifest(out)
    assert manifest["files"] == {"runs": "runs.parquet", "warnings": "warnings.parquet",
                                 "timeseries": None, "agents": "agents.parquet",
                                 "dyads": "dyads.parquet"}
    assert set(manifest["checksums"]) == {"runs.parquet", "warnings.parquet", "agents.parquet",
                                          "dyads.parquet"}


def test_record_every_writes_the_agents_and_dyads_of_the_recorded_days(tmp_path):
    """``record_every = 12`` over 30 days: the per-day files hold days 11, 23 and 29, the rows
    of a daily sweep on those days; runs.parquet and the warning log are unchanged, and the
    key enters the fingerprint (so it never resumes into the daily folder)."""
    daily, sparse = tmp_path / "daily", tmp_path / "sparse"
    run(write(tmp_path, LOGS), daily)
    exp = write(tmp_path, LOGS.replace("record_agents = true", "record_agents = true\nrecord_every = 12"),
                "sparse.toml")
    run(exp, sparse)
    for read in (read_agents, read_dyads):
        full, kept = read(daily), read(sparse)
        assert sorted(kept["day"].unique()) == [11, 23, 29]
        expected = full[full["day"].isin([11, 23, 29])].reset_index(drop=True)
        assert kept.equals(expected)
    assert read_runs(sparse).equals(read_runs(daily))
    assert pq.read_table(sparse / "warnings.parquet").equals(pq.read_table(daily / "warnings.parquet"))
    assert read_manifest(sparse)["fingerprint"] != read_manifest(daily)["fingerprint"]
    assert plan(load_experiment(exp)).experiment.describe()["record_every"] == 12
    assert "record_every" not in plan(load_experiment(tmp_path / "exp.toml")).experiment.describe()


@pytest.mark.parametrize("value, shown", [("0", "0"), ("1.5", "1.5"), ('"end"', "'end'"),
                                          ("true", "True")])
def test_record_every_refuses_anything_but_a_number_of_days(tmp_path, capsys, value, shown):
    path = write(tmp_path, LOGS.replace("seed = 5", f"seed = 5\nrecord_every = {value}"))
    assert_refused(path, capsys, [f"record_every: got {shown}", "an integer in [1, 100000]"])


@pytest.mark.parametrize("days", [1, 29, 30, 365])
@pytest.mark.parametrize("every", [1, 7, 30, 365, 1000])
def test_the_size_limit_counts_the_recorded_days(days, every):
    size = Size(points=1, parameters=0, replications=1, days=days, record_series=True,
                sampled=False, agents=16, every=every)
    assert size.recorded_days == len(recorded_days(days, every))


def test_the_warning_log_keeps_statistics_for_its_integer_columns_only(tmp_path):
    """The warning log's final file skips the float and text columns' statistics (a cost in
    the sweep's own process, and nothing reads them); its values, schema and metadata are those
    of the parts, and the other files keep every statistic."""
    out = tmp_path / "out"
    run(write(tmp_path, LOGS), out)
    log = pq.ParquetFile(out / "warnings.parquet")
    assert log.metadata.num_rows > 0
    kept = {log.schema_arrow.field(i).name: log.metadata.row_group(0).column(i).is_stats_set
            for i in range(log.metadata.num_columns)}
    assert kept == {f.name: pa.types.is_integer(f.type) for f in log.schema_arrow}
    assert read_manifest(out)["fingerprint"] in log.schema_arrow.metadata[b"warnsim"].decode()
    agents = pq.ParquetFile(out / "agents.parquet").metadata.row_group(0)
    assert all(agents.column(i).is_stats_set for i in range(agents.num_columns))


def test_every_new_column_is_declared_when_no_run_produced_it(tmp_path):
    """Every run failed: metric and factor columns and both logs still have their types."""
    out = tmp_path / "out"

    def failing(spec):
        raise RuntimeError("no model today")

    run(write(tmp_path, LOGS.replace("[grid]", '[metrics]\ngap = "plots / 2"\n[fixed]\n'
                                     '"agency.A1.doctrine" = "never"\n[grid]')), out,
        run_fn=failing)
    runs = pq.read_table(out / "runs.parquet")
    assert runs.num_rows == 4 and runs["gap"].null_count == 4
    assert str(runs.schema.field("gap").type) == "double"
    assert str(runs.schema.field("agency.A1.doctrine").type) == "string"
    assert runs["agency.A1.doctrine"].to_pylist() == ["never"] * 4
    for name, fields in (("dyads.parquet", DYAD_FIELDS), ("agents.parquet", AGENT_FIELDS)):
        table = pq.read_table(out / name)
        assert table.num_rows == 0
        assert [(f.name, str(f.type)) for f in table.schema] == [
            ("run_id", "int64"), *((c.name, ARROW[c.dtype.value]) for c in fields)]


FAKE = """\
name = "fake"
days = 3
replications = 4
seed = 5
record_dyads = true
record_agents = true
[metrics]
gap = "heed_rate - mean(trust_matrix)"
top = 'trust_matrix["Z", "X"]'
[grid]
rivalry = [0.1, 0.5, 0.9]
doctrine = ["scenario", "never"]
"""
"""24 fake runs with both logs and two metrics (agency names of the fake runs: X, Y, Z)."""


@pytest.fixture
def fake_exp(tmp_path) -> Path:
    scenario = "\n".join(f'[[agency]]\nname = "{a}"\nbloc = "{a}"\ncapability = 0.5\n'
                         "home_security = 0.5\nsource_sensitivity = 0.5\n" for a in AGENCIES)
    write(tmp_path, scenario, "xyz.toml")
    return write(tmp_path, 'scenario = "xyz.toml"\n' + FAKE)


FILES = ("runs.parquet", "warnings.parquet", "agents.parquet", "dyads.parquet")


def assert_identical(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_resume_retry_and_executors_give_byte_identical_logs_and_metrics(fake_exp, tmp_path):
    reference = tmp_path / "reference"
    run(fake_exp, reference, run_fn=fake)
    runs = read_runs(reference)
    assert runs["top"].notna().all() and runs["gap"].notna().all()
    assert (read_dyads(reference).groupby("run_id").size() == 3 * 6).all()
    # Interrupted (Ctrl-C in the 10th run), then resumed.
    stopped = tmp_path / "stopped"
    with pytest.raises(KeyboardInterrupt):
        run(fake_exp, stopped, run_fn=sigint_after(10), chunk_size=3)
    run(fake_exp, stopped, run_fn=fake)
    assert_identical(stopped, reference)
    # Failed runs, then retried in the finished folder (its files split back into parts).
    retried = tmp_path / "retried"
    first = run(fake_exp, retried, run_fn=failing_odd_replications)
    assert 0 < first.failed < 24
    run(fake_exp, retried, run_fn=fake, retry_failed=True)
    assert_identical(retried, reference)
    # Two worker processes writing their own parts, in chunks of 5.
    pool = tmp_path / "pool"
    run(fake_exp, pool, run_fn=fake, workers=2, chunk_size=5)
    assert_identical(pool, reference)


def test_final_files_are_byte_identical_however_runs_were_chunked_with_paged_columns(tmp_path):
    """Columns of distinct floats in long row groups (a dyads.parquet group is 349,525 rows)
    are stored plain and split into pages of 1 MB; where a page ends depends on how the
    rows are cut into pieces as they are written, so every row group, the last included, is
    written from one contiguous piece. 297 runs of 2,190 dyad rows: a last group of 300,905."""
    exp = write(tmp_path, "days = 365\nreplications = 297\nrecord_warnings = false\n"
                          "record_dyads = true\n")
    files = []
    for chunk_size in (None, 7):
        out = tmp_path / f"chunks-{chunk_size}"
        run(exp, out, run_fn=noisy_dyads, chunk_size=chunk_size)
        files.append((out / "dyads.parquet").read_bytes())
    assert pq.ParquetFile(tmp_path / "chunks-7" / "dyads.parquet").metadata.num_row_groups == 2
    assert files[0] == files[1]


def test_a_chunk_result_travels_with_every_log(fake_exp):
    """What a Dask worker sends back (Arrow IPC streams): the same tables after pickling."""
    the_plan = plan(load_experiment(fake_exp))
    result = run_chunk(the_plan.chunk(the_plan.template(fake), 0, 5))
    assert set(result.logs) == {"warnings.parquet", "agents.parquet", "dyads.parquet"}
    back = pickle.loads(pickle.dumps(result))
    assert back.runs.equals(result.runs) and back.failed == result.failed == 0
    assert all(back.logs[name].equals(table) for name, table in result.logs.items())


def test_chunks_are_sized_by_the_time_and_log_rows_of_the_runs_so_far():
    """Fast runs go in chunks growing to MAX_CHUNK (a chunk's fixed cost of a few ms then
    vanishes per run), slow runs in chunks of about CHUNK_SECONDS (a kill loses about that
    much work), runs with long logs in chunks of about CHUNK_LOG_ROWS rows."""
    from sim.sweep.engine import CHUNK_LOG_ROWS, CHUNK_SECONDS, MIN_CHUNK, _Pace
    from sim.sweep.tasks import ChunkResult

    def chunk(runs: int, seconds_per_run: float, rows_per_run: int) -> ChunkResult:
        return ChunkResult(None, {}, 0, runs, runs * seconds_per_run, runs * rows_per_run)

    fast, sizes = _Pace(), []
    for _ in range(7):
        sizes.append(fast.size())
        fast.record(chunk(sizes[-1], 1e-4, 80))
    assert sizes == [MIN_CHUNK, 32, 128, 512, MAX_CHUNK, MAX_CHUNK, MAX_CHUNK]
    fast.record(chunk(MAX_CHUNK, CHUNK_SECONDS / 3, 80))  # the design reaches slow points
    assert fast.size() == 3
    fast.record(chunk(3, 10 * CHUNK_SECONDS, 80))
    assert fast.size() == 1
    fast.record(chunk(1, 1e-4, 80))  # and fast ones again
    assert fast.size() == MAX_CHUNK
    fast.record(chunk(MAX_CHUNK, 1e-4, CHUNK_LOG_ROWS // 10))  # a run's log can grow long
    assert fast.size() == 10
    fast.record(chunk(10, 1e-4, 80))  # memory stays bounded by the longest logs seen
    assert fast.size() == 10


def test_the_guided_tail_keeps_chunks_of_tail_seconds_of_work():
    """With several workers chunks shrink towards the end (a share of the runs left), but not
    below TAIL_SECONDS of work at the latest pace: a chunk's fixed cost in the sweep's own
    process is about 1 ms, more than a tail of 8 fast runs balances."""
    from sim.sweep.engine import MIN_CHUNK, TAIL_SECONDS, _guided, _Pace
    from sim.sweep.tasks import ChunkResult

    pace = _Pace()
    assert pace.runs_in(TAIL_SECONDS) == 0  # nothing timed yet: the share, or MIN_CHUNK
    assert _guided(100, 2, pace.runs_in(TAIL_SECONDS)) == 13
    pace.record(ChunkResult(None, {}, 0, 100, 100 * 4e-4, 0))  # 0.4 ms a run
    least = pace.runs_in(TAIL_SECONDS)
    assert least == round(TAIL_SECONDS / 4e-4)
    assert _guided(4_000, 2, least) == 500  # early on, the share of the runs left
    assert _guided(100, 2, least) == least  # in the tail, about TAIL_SECONDS of runs
    pace.record(ChunkResult(None, {}, 0, 1, 1.0, 0))  # slow runs: the share, or MIN_CHUNK
    assert _guided(100, 2, pace.runs_in(TAIL_SECONDS)) == 13
    assert _guided(10, 2, pace.runs_in(TAIL_SECONDS)) == MIN_CHUNK


def test_chunks_shrink_when_runs_log_many_rows(tmp_path):
    """A year of dyads is 48,000 rows a run: a chunk then holds about 20 runs, not 1,024."""
    year = load_experiment(write(tmp_path, "days = 365\nreplications = 100\nrecord_dyads = true\n"))
    assert plan(year).max_chunk() == 1_000_000 // (365 * 132)
    assert plan(load_experiment(write(tmp_path, "days = 365\n", "plain.toml"))).max_chunk() == MAX_CHUNK


@pytest.mark.parametrize(("line", "words"), [
    ("record_dyads = true", "record_dyads: 13,200,000,000 rows of dyads.parquet"),
    ("record_agents = true", "record_agents: 1,200,000,000 rows of agents.parquet"),
])
def test_oversized_logs_are_refused_before_anything_runs(tmp_path, capsys, line, words):
    path = write(tmp_path, f"days = 1000\nreplications = 100000\n{line}\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "allowed: at most 1,000,000,000" in err and "\n" not in err
    assert not (tmp_path / "out").exists()
