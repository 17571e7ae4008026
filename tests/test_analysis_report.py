"""No silent pooling: the rivalry tables are per level of the other swept factors, and on
planted data where pooling reverses the answer (Simpson's paradox) the per-level tables give
the planted answer and the pooled ones say what they pool."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from tests.analysis_fixtures import write_results

# doctrine -> rivalry -> (heed rate, delivered warnings per run): heeding *rises* with rivalry
# within each doctrine, but most warnings at rivalry 1 come from the doctrine that heeds less,
# so the pooled heed rate *falls*.
PLANTED = {"warn_all": {0.0: (0.8, 100), 1.0: (0.9, 10)}, "never": {0.0: (0.2, 10), 1.0: (0.3, 100)}}


@pytest.fixture(scope="module")
def simpson(tmp_path_factory):
    points = [{"rivalry": r, "doctrine": d} for d in PLANTED for r in PLANTED[d]]
    folder = write_results(tmp_path_factory.mktemp("simpson") / "simpson", points, replications=8, days=5)
    runs = pd.read_parquet(folder / "runs.parquet")
    for i, run in runs.iterrows():
        rate, n = PLANTED[run["doctrine"]][run["rivalry"]]
        wobble = (-1, 1, 0, 0)[int(run["replication"]) % 4] if n > 10 else 0
        runs.loc[i, ["warnings_delivered", "warnings_heeded"]] = [n, round(rate * n) + wobble]
    runs["heed_rate"] = runs["warnings_heeded"] / runs["warnings_delivered"]
    runs.to_parquet(folder / "runs.parquet")
    return folder


def test_per_level_tables_give_the_planted_answer_where_pooling_reverses_it(simpson, capsys):
    assert main(["analyze", str(simpson), "--quiet"]) == 0  # default: --by every other factor
    tables = simpson / "tables"
    levels = pd.read_csv(tables / "heed_by_rivalry.csv")
    assert list(levels.columns[:2]) == ["doctrine", "rivalry"]
    for doctrine, rates in PLANTED.items():
        block = levels[levels["doctrine"] == doctrine].set_index("rivalry")["rate"]
        for rivalry, (rate, _) in rates.items():
            assert block[rivalry] == pytest.approx(rate, abs=0.01)
    pairs = pd.read_csv(tables / "heed_pairwise.csv")
    assert len(pairs) == 2 and (pairs["difference"] > 0.05).all()  # +0.1 in each doctrine
    trend = pd.read_csv(tables / "heed_trend.csv")
    per_level = trend.dropna(subset=["doctrine"]).set_index("doctrine")["slope"]
    assert per_level["warn_all"] > 0 and per_level["never"] > 0
    assert trend.set_index("stratum").at["all", "slope"] < -0.2  # pooled: the opposite sign
    assert "| Doctrine warn all |" in (tables / "heed_trend.md").read_text()  # labelled in print
    caption = (tables / "heed_trend.md").read_text()
    assert "The row all pools over doctrine (2 levels)" in caption
    assert "One block of rows per level of doctrine" in (tables / "heed_by_rivalry.md").read_text()


def test_pooling_on_request_says_so_in_the_caption(simpson, capsys):
    assert main(["analyze", str(simpson), "--quiet", "--by", "none"]) == 0
    tables = simpson / "tables"
    levels = pd.read_csv(tables / "heed_by_rivalry.csv").set_index("rivalry")["rate"]
    assert levels[0.0] > 0.7 and levels[1.0] < 0.4  # the pooled (reversed) answer
    for stem in ("heed_by_rivalry", "heed_pairwise"):
        md = (tables / f"{stem}.md").read_text()
        tex = (tables / f"{stem}.tex").read_text()
        assert "Pooled over doctrine (2 levels)." in md and "Pooled over doctrine (2 levels)." in tex
    assert "Holm's adjustment over all pairs" in (tables / "heed_pairwise.md").read_text()


def test_by_names_only_swept_factors_and_fails_before_writing(simpson, tmp_path, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in (simpson / "tables").glob("*")}
    assert main(["analyze", str(simpson), "--by", "false_lead_rate"]) == 2
    err = capsys.readouterr().err
    assert err == ("warnsim: error: --by: false_lead_rate is not a swept factor other than the "
                   "x axis; allowed: doctrine, or none\n")
    assert before == {p.name: p.stat().st_mtime_ns for p in (simpson / "tables").glob("*")}


def test_analyze_prints_the_key_table_and_the_files_not_everything(simpson, capsys):
    assert main(["analyze", str(simpson)]) == 0
    out = capsys.readouterr().out
    assert "Key outcomes at each design point" in out and "wrote 6 tables to" in out
    assert "Pairwise differences" not in out and len(out.splitlines()) < 30
    assert main(["analyze", str(simpson), "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert "Pairwise differences" in verbose and "Columns: " in verbose
