"""Reading results folders and the analyze command end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.analysis.load import DesignKind, load_results
from sim.analysis.tables import remove_stale
from sim.cli import main
from sim.errors import UserError
from sim.outcomes import OUTCOME_NAMES
from tests.analysis_fixtures import grid_results


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return grid_results(tmp_path_factory.mktemp("results") / "grid")


def test_load_reads_every_file_and_the_design(grid):
    results = load_results(grid)
    assert results.design.kind is DesignKind.GRID
    assert results.design.parameters == ("rivalry", "specificity_threshold")
    assert len(results.ok) == 36 and results.n_failed == 0
    assert results.warnings is not None and results.series is not None


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such results folder"):
        load_results(tmp_path / "nowhere")


@pytest.mark.parametrize("damage", ["no_manifest", "bad_json", "no_runs", "bad_kind", "no_column"])
def test_invalid_folders_are_user_errors(grid, tmp_path, damage):
    broken = tmp_path / "broken"
    broken.mkdir()
    manifest = json.loads((grid / "manifest.json").read_text())
    runs = pd.read_parquet(grid / "runs.parquet")
    if damage == "bad_kind":
        manifest["design"]["kind"] = "random"
    if damage == "no_column":
        runs = runs.drop(columns="specificity_threshold")
    if damage != "no_runs":
        runs.to_parquet(broken / "runs.parquet")
    if damage == "bad_json":
        (broken / "manifest.json").write_text("{not json")
    elif damage != "no_manifest":
        (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError):
        load_results(broken)


def test_cli_reports_a_missing_folder_in_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("warnsim: error:") and err.count("\n") == 1


def test_analyze_writes_every_table_in_three_formats(grid, capsys):
    assert main(["analyze", str(grid), "--quiet"]) == 0
    tables = grid / "tables"
    for stem in ("summary", "key_outcomes", "heed_by_rivalry", "heed_trend", "heed_pairwise",
                 "heed_regression"):
        for ext in ("csv", "md", "tex"):
            assert (tables / f"{stem}.{ext}").stat().st_size > 0, f"{stem}.{ext}"
    summary = pd.read_csv(tables / "summary.csv")
    assert set(summary["outcome"]) == set(OUTCOME_NAMES)
    assert len(summary) == 6 * len(OUTCOME_NAMES)
    heed = summary[summary["outcome"] == "heed_rate"]
    assert (heed["low"] <= heed["mean"]).all() and (heed["mean"] <= heed["high"]).all()
    # The SD is over runs (of per-run rates for a rate), not of the pooled mean: say so.
    assert "sd_per_run" in summary.columns and "sd" not in summary.columns
    trend = pd.read_csv(tables / "heed_trend.csv").set_index("stratum")
    assert trend.at["all", "slope"] < 0 and trend.at["all", "p_value"] < 0.01
    assert "\\toprule" in (tables / "heed_trend.tex").read_text()
    assert "skipped: sensitivity" in capsys.readouterr().out


def test_analyze_rejects_a_bad_confidence(grid):
    assert main(["analyze", str(grid), "--confidence", "95"]) == 2


def test_replications_1_prints_no_interval_for_a_pooled_rate(tmp_path, capsys):
    folder = grid_results(tmp_path / "one", replications=1)
    assert main(["analyze", str(folder), "--quiet"]) == 0
    summary = pd.read_csv(folder / "tables" / "summary.csv")
    heed = summary[summary["outcome"] == "heed_rate"]
    assert heed["low"].isna().all() and heed["high"].isna().all() and heed["mean"].notna().all()
    assert "[n/a]" in (folder / "tables" / "key_outcomes.md").read_text()


def test_remove_stale_touches_only_the_named_stems_and_extensions(tmp_path):
    for name in ("heed_trend.csv", "heed_trend.md", "heed_trend.xlsx", "notes.md", "summary.csv"):
        (tmp_path / name).write_text("x")
    removed = remove_stale(tmp_path, {"heed_trend", "sobol"}, ("csv", "md", "tex"))
    assert sorted(p.name for p in removed) == ["heed_trend.csv", "heed_trend.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heed_trend.xlsx", "notes.md", "summary.csv"]


def test_a_fresh_clones_results_folder_names_the_sweep_that_fills_it(tmp_path, monkeypatch, capsys):
    """A clone has only the committed tables and figures of results/doctrine: the error names
    the command that makes the runs, and a folder of unknown origin gets the general form."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "doctrine.toml").write_text("replications = 2\n")
    (tmp_path / "results" / "doctrine" / "tables").mkdir(parents=True)
    assert main(["analyze", "results/doctrine"]) == 2
    assert capsys.readouterr().err == (
        "warnsim: error: results/doctrine/manifest.json: missing, so results/doctrine holds no "
        "sweep's runs; make it with `warnsim sweep experiments/doctrine.toml`\n")
    (tmp_path / "elsewhere").mkdir()
    assert main(["analyze", "elsewhere"]) == 2
    assert capsys.readouterr().err.endswith(
        "make it with `warnsim sweep FILE --out elsewhere` (FILE: your experiment file)\n")
