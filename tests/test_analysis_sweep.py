"""Analysis and every figure on real (tiny) sweeps run with the public sweep API.

The synthetic folders of ``tests/analysis_fixtures.py`` follow the documented format; these
check that the analysis reads what the sweep really writes: a grid over two parameters with
per-day series, and a Sobol (Saltelli) design. Both sweeps take well under a second.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from PIL import Image

from sim.analysis.figures import FIGURES, draw
from sim.analysis.load import load_results
from sim.analysis.plots import DPI, FIGURE_EXTENSIONS
from sim.analysis.report import TABLE_EXTENSIONS, TABLE_STEMS, analyses
from sim.cli import main
from sim.sweep import parse_experiment, run_experiment

GRID = """
name = "tiny_grid"
question = "Does a real grid sweep feed every table and figure?"
scenario = "default"
days = 30
replications = 2
seed = 5
record_series = true

[fixed]
plot_rate = 0.02
detection_rate = 0.5

[grid]
rivalry = [0.0, 1.0]
deterrence_effect = [0.0, 0.9]
"""

SOBOL = """
name = "tiny_sobol"
question = "Does a real Sobol sweep feed the sensitivity table and figure?"
scenario = "default"
days = 20
replications = 1
seed = 6

[sample]
method = "sobol"
n = 8

[sample.ranges]
rivalry = [0.0, 1.0]
false_lead_rate = [0.0, 5.0]
"""

WIDTHS = {1050, 2100}  # 3.5 in and 7 in at 300 dpi


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweeps")
    folders = {}
    for name, text in (("grid", GRID), ("sobol", SOBOL)):
        summary = run_experiment(parse_experiment(text), out=root / name, workers=1, progress=False)
        assert summary.failed == 0, summary.first_failure
        folders[name] = root / name
    return folders


@pytest.mark.parametrize("kind", ["grid", "sobol"])
def test_analyze_writes_tables_from_a_real_sweep(sweeps, kind, capsys):
    folder = sweeps[kind]
    assert main(["analyze", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    written = {p.stem for p in (folder / "tables").glob("*.csv")}
    assert {"summary", "key_outcomes"} <= written <= set(TABLE_STEMS)
    if kind == "grid":
        assert {"heed_by_rivalry", "heed_pairwise"} <= written
        pairs = pd.read_csv(folder / "tables" / "heed_pairwise.csv")
        assert (pairs["clusters"] == 2).all()  # paired by replication, not 8 runs
        assert "sensitivity: not a sampled design" in out
    else:
        assert "sobol" in written or "skipped: sensitivity" in out
        assert "heed by rivalry: skipped for a sampled design" in out
    results = load_results(folder)
    stems = [table.stem for table, _ in analyses(results) if table is not None]
    assert set(stems) <= set(TABLE_STEMS)


@pytest.mark.parametrize("kind", ["grid", "sobol"])
def test_every_figure_on_a_real_sweep_is_written_or_skipped_with_a_reason(sweeps, kind, tmp_path):
    results = load_results(sweeps[kind])
    drawn = set()
    for name in FIGURES:
        paths, message = draw(name, results, tmp_path)
        assert message, name
        if paths is None:
            continue
        drawn.add(name)
        pdf, png = paths
        assert (pdf.name, png.name) == (f"{name}.pdf", f"{name}.png")
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
        with Image.open(png) as image:
            assert image.size[0] in WIDTHS, name
            assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.5)
    if kind == "grid":
        assert {"heed_vs_rivalry", "heatmap_heed_rate", "trust_trajectories", "outcome_distributions"} <= drawn
    else:
        assert drawn <= {"heed_vs_rivalry", "waiver_reasons", "sensitivity"}


def test_a_folder_reswept_with_another_design_loses_its_stale_outputs(sweeps, tmp_path, capsys):
    """A grid folder re-swept as a Sobol design: the grid-only tables and figures go (the
    heed figure stays: it is drawn for samples too, on dyad rivalry), files with other names
    or extensions stay."""
    folder = tmp_path / "resweep"
    shutil.copytree(sweeps["grid"], folder)
    only = ["--only", "heed_vs_rivalry", "trust_trajectories", "sensitivity"]
    assert main(["analyze", str(folder), "--quiet"]) == 0
    assert main(["plot", str(folder), *only]) == 0
    keep = [folder / "tables" / "my_notes.md", folder / "tables" / "heed_trend.xlsx",
            folder / "figures" / "heed_vs_rivalry.svg"]
    for path in keep:
        path.write_text("mine")
    for name in ("runs.parquet", "warnings.parquet", "manifest.json"):
        shutil.copy2(sweeps["sobol"] / name, folder / name)
    (folder / "timeseries.parquet").unlink()

    assert main(["analyze", str(folder), "--quiet"]) == 0
    assert main(["plot", str(folder), *only]) == 0
    assert "removed stale" in capsys.readouterr().out
    for stem in ("heed_by_rivalry", "heed_trend", "heed_pairwise"):
        for ext in TABLE_EXTENSIONS:
            assert not (folder / "tables" / f"{stem}.{ext}").exists(), f"{stem}.{ext}"
    for stem in ("trust_trajectories",):
        for ext in FIGURE_EXTENSIONS:
            assert not (folder / "figures" / f"{stem}.{ext}").exists(), f"{stem}.{ext}"
    assert (folder / "tables" / "summary.csv").is_file()
    assert all(path.read_text() == "mine" for path in keep)
