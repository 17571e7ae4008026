"""Paired contrasts (``warnsim analyze DIR --contrast FACTOR=A:B``) against hand computations
on a small sweep of the real model: a grid over two scenario files, liaison between blocs A
and C (a scenario factor) and rivalry, four replications of 90 days. Plots arrive at 0.05 a
country-day (the default, 0.0035, gives a run of 90 days a warning or two and rarely a death):
every stratum then holds delivered, heeded and relayed warnings and casualties in each
replication, so the contrasts have something to estimate. Every number the
contrast reports is recomputed here from the parquet files with plain pandas and scipy, by a
route that shares no code with :mod:`sim.analysis.contrasts`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import contrast, load_results
from sim.analysis.contrasts import ALL, ContrastSpec
from sim.analysis.frames import check_where
from sim.cli import main
from sim.errors import UserError
from sim.scenarios import load_scenario
from sim.sweep import read_runs, read_warnings, run_experiment
from tests.test_plots import layout_problems

EXPERIMENT = """\
name = "small"
days = 90
replications = 4
seed = 11
[fixed]
plot_rate = 0.05
[grid]
scenario = ["default", "alt.toml"]
liaison."A:C" = [true, false]
rivalry = [0.2, 0.6]
"""
REPLICATIONS = 4


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """32 runs of the real model; alt.toml is the default scenario renamed, with a weaker A1."""
    folder = tmp_path_factory.mktemp("contrast")
    text = Path(load_scenario.__code__.co_filename).parent.joinpath(
        "data", "scenarios", "default.toml").read_text(encoding="utf-8")
    alt = text.replace('name = "default"', 'name = "weak A1"').replace(
        "capability = 0.9", "capability = 0.3", 1)
    (folder / "alt.toml").write_text(alt, encoding="utf-8")
    (folder / "small.toml").write_text(EXPERIMENT, encoding="utf-8")
    run_experiment(folder / "small.toml", out=folder / "out", workers=1, progress=False)
    return folder / "out"


def _pairs(runs: pd.DataFrame, factor: str, a, b) -> pd.DataFrame:
    keys = [c for c in ("scenario", "liaison.A:C", "rivalry") if c != factor] + ["replication"]
    return runs[runs[factor] == a].merge(runs[runs[factor] == b], on=keys, suffixes=("_a", "_b"))


def _ratio_by_hand(y_a, n_a, y_b, n_b, clusters, *, confidence=0.95):
    """Difference of pooled ratios, linearised variance summed within clusters, t on G - 1."""
    y_a, n_a, y_b, n_b = (np.asarray(v, float) for v in (y_a, n_a, y_b, n_b))
    p_a, p_b = y_a.sum() / n_a.sum(), y_b.sum() / n_b.sum()
    u = pd.Series((y_a - p_a * n_a) / n_a.sum() - (y_b - p_b * n_b) / n_b.sum())
    per = u.groupby(np.asarray(clusters)).sum()
    g = len(per)
    se = math.sqrt(g / (g - 1) * float((per ** 2).sum()))
    t = stats.t.ppf(0.5 + confidence / 2, g - 1)
    d = p_a - p_b
    return p_a, p_b, d, d - t * se, d + t * se, 2 * stats.t.sf(abs(d) / se, g - 1)


def test_the_liaison_factor_turns_cables_between_the_blocs_into_relays(sweep):
    """A scripted expectation of the factor: without A-C liaison no A-C warning goes as a
    cable (private or both); with it none is relayed. Other dyads are unaffected."""
    log = read_warnings(sweep).merge(read_runs(sweep)[["run_id", "liaison.A:C"]], on="run_id")
    blocs = {a.name: a.bloc for a in load_scenario("default").agencies}
    between = log["sender"].map(blocs).str.cat(log["recipient"].map(blocs)).isin(["AC", "CA"])
    sent = log["channel"] != ""
    cut = log[between & sent & ~log["liaison.A:C"]]
    opened = log[between & sent & log["liaison.A:C"]]
    assert len(cut) > 0 and len(opened) > 0
    assert set(cut["channel"]) <= {"relay", "public"} and "relay" in set(cut["channel"])
    assert set(opened["channel"]) <= {"private", "both"}


def test_heed_rate_contrast_per_stratum_and_pooled_matches_hand_computation(sweep):
    c = contrast(sweep, "liaison.A:C", "false", "true")
    runs = read_runs(sweep)
    pairs = _pairs(runs, "liaison.A:C", False, True)
    table = c.table.set_index("stratum")
    assert list(c.by) == ["scenario", "rivalry"]
    assert len(table) == 5 and table.index[-1] == ALL
    for (scenario, rivalry), group in pairs.groupby(["scenario", "rivalry"]):
        name = "weak A1" if scenario == "alt.toml" else scenario
        row = table.loc[f"scenario = {name}, rivalry = {rivalry:g}"]
        hand = _ratio_by_hand(group["warnings_heeded_a"], group["warnings_delivered_a"],
                              group["warnings_heeded_b"], group["warnings_delivered_b"],
                              group["replication"])
        got = row[["value_a", "value_b", "difference", "low", "high", "p_value"]]
        assert np.allclose(got.to_numpy(float), hand, rtol=1e-10, equal_nan=True)
        assert row["pairs"] == REPLICATIONS and row["clusters"] == REPLICATIONS
    # the pooled row: every pair, still clustered by replication (4 clusters of 4 pairs)
    hand = _ratio_by_hand(pairs["warnings_heeded_a"], pairs["warnings_delivered_a"],
                          pairs["warnings_heeded_b"], pairs["warnings_delivered_b"],
                          pairs["replication"])
    assert np.allclose(table.loc[ALL, ["value_a", "value_b", "difference", "low", "high",
                                       "p_value"]].to_numpy(float), hand, rtol=1e-10)
    assert table.loc[ALL, "pairs"] == 16 and table.loc[ALL, "clusters"] == REPLICATIONS
    # the odds ratio of A against B
    p_a, p_b = hand[0], hand[1]
    assert table.loc[ALL, "odds_ratio"] == pytest.approx(p_a / (1 - p_a) / (p_b / (1 - p_b)))


def test_where_filters_the_warning_log_before_pooling(sweep):
    where = "bloc_pair == 'A:C' and channel in ['relay', 'private'] and rivalry <= 0.2"
    c = contrast(sweep, "liaison.A:C", False, True, where=where, by=[])
    runs = read_runs(sweep)
    blocs = {a.name: a.bloc for a in load_scenario("default").agencies}
    log = read_warnings(sweep)
    selected = (log["sender"].map(blocs).str.cat(log["recipient"].map(blocs)).isin(["AC", "CA"])
                & log["channel"].isin(["relay", "private"]) & (log["rivalry"] <= 0.2))
    # the heed rate's trials: the selected warnings delivered and decided before the run ended
    kept = log[selected & (log["delivered_day"] >= 0) & log["heeded"].notna()]
    counts = pd.DataFrame({"y": kept.groupby("run_id")["heeded"].sum().astype(float),
                           "n": kept.groupby("run_id").size().astype(float),
                           "selected": log[selected].groupby("run_id").size().astype(float)})
    counts = counts.reindex(runs["run_id"], fill_value=0.0)
    runs = runs.join(counts, on="run_id")
    pairs = _pairs(runs, "liaison.A:C", False, True)
    hand = _ratio_by_hand(pairs["y_a"], pairs["n_a"], pairs["y_b"], pairs["n_b"],
                          pairs["replication"])
    (row,) = c.table.to_dict("records")
    assert row["stratum"] == ALL
    assert np.allclose([row[k] for k in ("value_a", "value_b", "difference", "low", "high",
                                         "p_value")], hand, rtol=1e-10)
    assert row["trials_a"] == pairs["n_a"].sum() and row["trials_b"] == pairs["n_b"].sum()
    assert c.pooled == ("scenario", "rivalry")
    assert "pooled over scenario (2 levels), rivalry (2 levels)" in c.pooled_sentence
    # the count of the warnings the filter keeps (delivered or not), per run, as a paired run value
    n = contrast(sweep, "liaison.A:C", False, True, outcome="warnings", where=where, by=[])
    assert (pairs["selected_a"] > pairs["n_a"]).any()  # this world's count differs from trials
    per = (pairs["selected_a"] - pairs["selected_b"]).groupby(pairs["replication"]).mean()
    test = stats.ttest_1samp(per, 0.0)
    assert n.table["difference"].iloc[0] == pytest.approx(per.mean())
    assert n.table["p_value"].iloc[0] == pytest.approx(test.pvalue)


def test_a_run_value_is_a_paired_t_contrast_over_replications(sweep):
    """Casualties by scenario (levels named by the file's declared name or its label): per
    stratum one pair per replication, so the paired t test of scipy gives the same answer."""
    c = contrast(sweep, "scenario", "weak A1", "default", outcome="casualties")
    same = contrast(sweep, "scenario", "alt.toml", "default", outcome="casualties")
    pd.testing.assert_frame_equal(c.table, same.table)
    assert c.levels == ("weak A1", "default")
    runs = read_runs(sweep)
    pairs = _pairs(runs, "scenario", "alt.toml", "default")
    for (liaison, rivalry), group in pairs.groupby(["liaison.A:C", "rivalry"]):
        row = c.table.set_index("stratum").loc[
            f"liaison.A:C = {str(liaison).lower()}, rivalry = {rivalry:g}"]
        test = stats.ttest_rel(group["casualties_a"], group["casualties_b"])
        d = group["casualties_a"] - group["casualties_b"]
        assert row["difference"] == pytest.approx(d.mean())
        if d.std() > 0:
            ci = test.confidence_interval(0.95)
            assert (row["low"], row["high"], row["p_value"]) == pytest.approx(
                (ci.low, ci.high, test.pvalue))
        assert row["value_a"] == pytest.approx(group["casualties_a"].mean())
    # pooled: pairs averaged within each replication first (the cluster), then t over them
    per = (pairs["casualties_a"] - pairs["casualties_b"]).groupby(pairs["replication"]).mean()
    pooled = c.table.set_index("stratum").loc[ALL]
    assert pooled["difference"] == pytest.approx(per.mean())
    assert pooled["p_value"] == pytest.approx(stats.ttest_1samp(per, 0.0).pvalue)


def test_a_true_false_log_column_is_a_share_and_a_numeric_one_a_mean_per_warning(sweep):
    runs = read_runs(sweep)
    log = read_warnings(sweep)
    for column, is_rate in (("confirmed", True), ("perceived_credibility", False)):
        c = contrast(sweep, "rivalry", 0.6, 0.2, outcome=column, by=["scenario"])
        kept = log[log[column].notna()]
        sums = kept.groupby("run_id")[column].agg(lambda s: s.astype(float).sum())
        sizes = kept.groupby("run_id").size()
        frame = runs.assign(y=runs["run_id"].map(sums).fillna(0.0),
                            n=runs["run_id"].map(sizes).fillna(0).astype(float))
        pairs = _pairs(frame, "rivalry", 0.6, 0.2)
        for scenario, group in pairs.groupby("scenario"):
            row = c.table[c.table["scenario"] == scenario].iloc[0]
            hand = _ratio_by_hand(group["y_a"], group["n_a"], group["y_b"], group["n_b"],
                                  group["replication"])
            assert np.allclose(row[["value_a", "value_b", "difference", "low", "high"]]
                               .to_numpy(float), hand[:5], rtol=1e-10)
        assert ("odds_ratio" in c.table) is is_rate
        assert c.pooled == ("liaison.A:C",)


def test_a_run_without_its_partner_is_left_out_and_counted(sweep, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    runs = read_runs(sweep)
    runs.loc[runs["run_id"] == 0, "status"] = "failed"
    runs.to_parquet(copy / "runs.parquet")
    for name in ("warnings.parquet", "manifest.json"):
        (copy / name).write_bytes((sweep / name).read_bytes())
    c = contrast(copy, "liaison.A:C", False, True, by=[])
    assert c.unpaired == 1 and c.table["pairs"].iloc[0] == 15
    assert "1 run without a partner left out" in c.pooled_sentence
    runs.loc[runs["run_id"] == 0, "status"] = "ok"
    runs.loc[runs["run_id"] == 0, "seed"] += 1
    runs.to_parquet(copy / "runs.parquet")
    with pytest.raises(UserError, match="different seeds; a paired contrast needs common"):
        contrast(copy, "liaison.A:C", False, True)


@pytest.mark.parametrize(("args", "message"), [
    (["--contrast", "doctrine=a:b"], "'doctrine' is not a swept factor of small; allowed: "
                                     "scenario, liaison.A:C, rivalry"),
    (["--contrast", "rivalry=0.2:0.3"], "rivalry has no level '0.3'; allowed: 0.2, 0.6"),
    (["--contrast", "rivalry=0.2:0.20"], "names one level twice"),
    (["--contrast", "rivalry"], "--contrast: got 'rivalry'; allowed: FACTOR=A:B"),
    (["--contrast", "scenario=x:default"], "no level 'x'; allowed: default, weak A1"),
    (["--contrast", "scenario=default:alt.toml", "--by", "scenario"],
     "--by: scenario is not a swept factor other than the contrasted one"),
    (["--contrast", "rivalry=0.2:0.6", "--by", "days"], "--by: days is not a swept factor"),
    (["--contrast", "rivalry=0.2:0.6", "--where", "chanel == 'relay'"],
     "--where: unknown column 'chanel'; allowed: "),
    (["--contrast", "rivalry=0.2:0.6", "--where", "__import__('os').system('true')"],
     "--where: a call is not allowed"),
    (["--contrast", "rivalry=0.2:0.6", "--where", "channel == 'relay'", "--outcome",
      "casualties"], "cannot be computed from the filtered warning log"),
    (["--contrast", "rivalry=0.2:0.6", "--outcome", "nonsense"], "unknown outcome 'nonsense'"),
    (["--where", "channel == 'relay'"], "--where: only with --contrast"),
])
def test_bad_contrast_options_fail_in_one_line(sweep, capsys, args, message):
    assert main(["analyze", str(sweep), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_the_command_prints_the_contrast_and_writes_its_table_and_figure(sweep, capsys):
    where = "bloc_pair == 'A:C' and channel in ['relay', 'private']"
    assert main(["analyze", str(sweep), "--contrast", "liaison.A:C=false:true",
                 "--where", where, "--by", "rivalry"]) == 0
    out = capsys.readouterr().out
    c = contrast(sweep, "liaison.A:C", "false", "true", where=where, by=["rivalry"])
    assert "Paired contrast of heed rate between liaison A:C = false and true" in out
    for line in c.sentences():
        assert line in out
    written = pd.read_csv(sweep / "tables" / f"{c.stem}.csv")
    assert list(written["stratum"]) == ["rivalry = 0.2", "rivalry = 0.6", ALL]
    assert np.allclose(written["difference"], c.table["difference"])
    assert (sweep / "figures" / f"{c.stem}.png").stat().st_size > 10_000
    assert "Pooled over scenario (2 levels)" in (sweep / "tables" / f"{c.stem}.md").read_text()
    assert not layout_problems(c.figure())


def test_a_contrast_spec_splits_at_the_first_equals_and_colon():
    assert ContrastSpec.parse("bloc_rivalry.A:B=0.5:1.3") == ContrastSpec(
        "bloc_rivalry.A:B", "0.5", "1.3")
    assert ContrastSpec.parse(" liaison.A:C = false : true ") == ContrastSpec(
        "liaison.A:C", "false", "true")


def test_where_accepts_comparisons_only():
    columns = ["channel", "rivalry", "heeded"]
    assert check_where("heeded == true and not rivalry > 0.5", columns) == \
        "heeded == True and (not rivalry > 0.5)"
    for bad, what in (("channel.str > 3", "attribute access"), ("len(channel) > 3", "a call"),
                      ("rivalry[0] > 1", "indexing"), ("lambda: 1", "Lambda"),
                      ("@x > 1", "not a valid expression"), ("rivalry == None", "constant None"),
                      ("", "empty"), ("x" * 501, "at most 500")):
        with pytest.raises(UserError, match=what):
            check_where(bad, columns)


def test_results_give_points_and_filtered_warnings_as_frames(sweep):
    results = load_results(sweep)
    points = results.points_frame()
    runs = read_runs(sweep)
    assert len(points) == 8 and (points["runs"] == REPLICATIONS).all()
    first = runs[runs["point_id"] == 0]
    assert points.loc[0, "heed_rate"] == pytest.approx(
        first["warnings_heeded"].sum() / first["warnings_delivered"].sum())
    assert points.loc[0, "casualties"] == pytest.approx(first["casualties"].mean())
    relayed = results.warnings_frame("channel == 'relay'")
    assert (relayed["channel"] == "relay").all()
    assert {"point_id", "replication", "run_rivalry", "liaison.A:C", "sender_bloc",
            "bloc_pair"} <= set(relayed.columns)
    log = read_warnings(sweep)
    assert len(relayed) == (log["channel"] == "relay").sum()


def test_swapping_the_levels_negates_the_difference_and_inverts_the_odds(sweep):
    where = "channel != 'public'"
    ab = contrast(sweep, "rivalry", 0.6, 0.2, where=where).table
    ba = contrast(sweep, "rivalry", 0.2, 0.6, where=where).table
    assert np.allclose(ab["difference"], -ba["difference"], equal_nan=True)
    assert np.allclose(ab["low"], -ba["high"]) and np.allclose(ab["high"], -ba["low"])
    assert np.allclose(ab["p_value"], ba["p_value"])
    assert np.allclose(ab["value_a"], ba["value_b"])
    assert np.allclose(ab["odds_ratio"] * ba["odds_ratio"], 1.0)
