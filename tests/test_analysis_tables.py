"""Tables as a paper prints them: precision, p-values, human headers, captions, escaping,
long and wide LaTeX tables, and every table compiled by a real LaTeX engine when one is
installed (``.ci/run`` installs Debian's texlive; without it the compile tests skip and say why).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.labels import header
from sim.analysis.tables import (
    LONG_ROWS,
    Table,
    exact_decimals,
    format_p,
    formatted_columns,
    latex_escape,
    significant_decimals,
    to_latex,
    to_markdown,
    write_table,
)
from sim.cli import main
from tests.analysis_fixtures import write_results

ROOT = Path(__file__).resolve().parents[1]
ENGINE = shutil.which("pdflatex")
NO_ENGINE = ("no LaTeX engine: pdflatex is not on PATH (Debian: apt-get install "
             "texlive-latex-base texlive-latex-recommended; .ci/run installs them)")
SPECIALS = "<1e-16 & 50% $5 #1 a_b {x} ~y ^z back\\slash p|q >2"


def test_p_values_have_one_format():
    assert [format_p(p) for p in (0.0, 3e-20, 0.0004, 0.0123, 0.5, 1.0, float("nan"))] == [
        "<0.001", "<0.001", "<0.001", "0.012", "0.500", "1.000", "",
    ]


def test_each_column_has_one_precision():
    frame = pd.DataFrame({
        "rate": [0.81, 0.8134, 0.5], "casualties": [722.4, 1320.9, 967.0],
        "rivalry": [0.0, 0.025, 1.0], "p_value": [1e-20, 0.04, 0.5], "runs": [400, 400, 12],
    })
    cells = formatted_columns(frame)
    assert cells["rate"] == ["0.810", "0.813", "0.500"]  # not 0.81 next to 0.813
    assert cells["casualties"] == ["722", "1321", "967"]
    assert cells["rivalry"] == ["0.000", "0.025", "1.000"]  # levels exactly, one width
    assert cells["p_value"] == ["<0.001", "0.040", "0.500"]
    assert cells["runs"] == ["400", "400", "12"]
    for column in ("rate", "casualties", "rivalry"):
        assert len({len(c.partition(".")[2]) for c in cells[column]}) == 1, column
    assert significant_decimals(np.array([0.0021, 0.0034])) == 4
    assert exact_decimals(np.array([0.1, 0.25])) == 2


def test_the_summary_has_one_precision_per_outcome():
    frame = pd.DataFrame({"outcome": ["heed_rate", "heed_rate", "casualties", "casualties"],
                          "mean": [0.5, 0.61, 722.0, 967.2]})
    assert formatted_columns(frame, group="outcome")["mean"] == ["0.500", "0.610", "722", "967"]


def test_headers_are_human_with_units():
    assert header("heed_rate") == "Heed rate (share)"
    assert header("rivalry") == "Rivalry (0-1)"
    assert header("casualties") == "Deaths (per run)"
    assert header("runs") == "Runs"
    assert header("not_declared_anywhere") == "Not declared anywhere"
    md = to_markdown(pd.DataFrame({"heed_rate": [0.5]}))
    assert md.startswith("| Heed rate (share) |")


def test_the_caption_explains_every_column_and_what_is_pooled():
    frame = pd.DataFrame({"rivalry": [0.0], "rate": [0.9], "low": [0.8], "high": [0.95],
                          "runs": [4], "clusters": [4], "trials": [100]})
    table = Table("t", "Heed rate by rivalry", frame, pooled="pooled over doctrine (3 levels)")
    for column in frame.columns:
        assert f"{header(column)}: " in table.caption, column
    assert "Pooled over doctrine (3 levels)." in table.caption
    assert "simulation runs pooled in the row" in table.caption  # the runs column, explained


def test_latex_escapes_every_special_character():
    escaped = latex_escape(SPECIALS)
    assert escaped == (r"\textless{}1e-16 \& 50\% \$5 \#1 a\_b \{x\} \textasciitilde{}y "
                       r"\textasciicircum{}z back\textbackslash{}slash p\textbar{}q \textgreater{}2")
    frame = pd.DataFrame({"note": [SPECIALS], "p_value": [1e-30]})
    tex = to_latex(Table("t", "Caption with 95% & <stuff>", frame))
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    unescaped = re.sub(r"\\[A-Za-z]+|\\[&%$#_{}]|[{}]", "", body)
    for ch in "&%$#_<>|^~":
        assert ch not in unescaped.replace(" & ", " ").replace("&", ""), ch
    assert r"\textless{}0.001" in tex  # the p-value, escaped: no inverted exclamation mark


def test_long_tables_use_longtable_and_say_which_packages_they_need():
    frame = pd.DataFrame({"level": np.arange(LONG_ROWS + 5) / 100, "rate": 0.5})
    tex = to_latex(Table("long", "Long", frame))
    assert tex.splitlines()[0].endswith(r"\usepackage{booktabs,longtable}")
    assert r"\begin{longtable}" in tex and r"\endhead" in tex and r"\begin{table}" not in tex
    short = to_latex(Table("short", "Short", frame.head(3)))
    assert short.splitlines()[0].endswith(r"\usepackage{booktabs}") and "longtable" not in short.splitlines()[1]


def test_a_wide_table_is_split_into_parts_that_repeat_the_row_labels():
    cells = {o: ["0.915 [0.913, 0.918]"] * 3 for o in
             ("heed_rate", "warnings_sent", "casualties", "lives_saved", "interdicted",
              "deterred", "false_alarm_share", "mean_trust")}
    frame = pd.DataFrame({"point_id": [0, 1, 2], "doctrine": ["warn_all", "non_rivals", "never"], **cells})
    tex = to_latex(Table("wide", "Wide", frame, keys=("point_id", "doctrine")))
    assert tex.count(r"\begin{tabular}") >= 3
    assert tex.count("non\\_rivals") == tex.count(r"\begin{tabular}")  # labels in every part
    assert r"\label{tab:wide-2}" in tex


def test_csv_tables_keep_full_precision(tmp_path):
    frame = pd.DataFrame({"x": [0.123456789012345, 1 / 3, 2.5e-12]})
    csv = write_table(Table("t", "T", frame), tmp_path)[0]
    assert pd.read_csv(csv)["x"].tolist() == frame["x"].tolist()  # exact round trip


# --- compiled by a real engine -----------------------------------------------------------

def compile_tables(paths: list[Path], workdir: Path) -> str:
    """Compile an ``article`` that \\inputs each table (booktabs and longtable only); return
    the log. Fails with the log's errors if LaTeX stops."""
    body = "\n\\clearpage\n".join(f"\\input{{{p.resolve().as_posix()}}}" for p in paths)
    doc = workdir / "doc.tex"
    doc.write_text("\\documentclass{article}\n\\usepackage{booktabs,longtable}\n"
                   f"\\begin{{document}}\n{body}\n\\end{{document}}\n", encoding="utf-8")
    run = subprocess.run(
        [ENGINE, "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=workdir, capture_output=True, text=True, timeout=120, check=False,
    )
    log = (workdir / "doc.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, "\n".join(errors) or run.stdout[-2000:]
    return log


def overfull(log: str, tolerance_pt: float = 1.0) -> list[str]:
    return [m.group(0) for m in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log)
            if float(m.group(1)) > tolerance_pt]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """analyze on a 15-level rivalry x 3-doctrine grid (long and wide tables) and an LHS."""
    root = tmp_path_factory.mktemp("latex")
    grid = [{"rivalry": r / 14, "doctrine": d} for r in range(15)
            for d in ("warn_all", "non_rivals", "never")]
    folders = [write_results(root / "dense", grid, replications=3, days=5)]
    rng = np.random.default_rng(4)
    sample = [{"rivalry": float(a), "false_lead_rate": float(b)} for a, b in rng.random((40, 2)) * [1, 5]]
    folders.append(write_results(root / "lhs", sample, kind="lhs", replications=1, days=5,
                                 n=40, ranges={"rivalry": [0, 1], "false_lead_rate": [0, 5]}))
    for folder in folders:
        assert main(["analyze", str(folder), "--quiet"]) == 0
    return folders


def test_generated_tables_compile_and_fit_the_text_width(analysed, tmp_path):
    if ENGINE is None:
        pytest.skip(NO_ENGINE)
    paths = sorted(p for folder in analysed for p in (folder / "tables").glob("*.tex"))
    assert any(r"\begin{longtable}" in p.read_text() for p in paths)
    log = compile_tables(paths, tmp_path)
    assert not overfull(log), overfull(log)


def test_committed_tables_compile(tmp_path):
    if ENGINE is None:
        pytest.skip(NO_ENGINE)
    paths = sorted((ROOT / "results").glob("*/tables/*.tex"))
    if not paths:
        pytest.skip("no committed .tex tables under results/")
    compile_tables(paths, tmp_path)


def test_a_table_with_many_explained_columns_compiles_with_each_part_explaining_its_own(tmp_path):
    """A caption is first set on one line to be measured, so column explanations thousands of
    characters long (a calibration table's) overflow TeX unless they go below the tabular."""
    columns = {f"statistic_{i}": [0.1 * i, 0.2 * i] for i in range(30)}
    notes = {c: f"note{c[10:]}x " + "a long explanation of this statistic, " * 6 for c in columns}
    table = Table("wide", "Many explained columns", pd.DataFrame({"point": [1, 2], **columns}),
                  keys=("point",), notes=notes)
    tex = to_latex(table)
    parts = tex.split(r"\begin{table}")[1:]
    assert len(parts) > 1 and len(table.caption) > 5000
    for part in parts:
        caption = re.search(r"\\caption\{([^}]*)\}", part).group(1)
        assert "Columns:" not in caption
        tabular, below = part.split(r"\end{tabular}")
        shown = set(re.findall(r"Statistic(?:\\\\| )(\d+)", tabular))
        explained = set(re.findall(r"note(\d+)x", below))
        assert shown and shown == explained
    if ENGINE is None:
        pytest.skip(NO_ENGINE)
    path = tmp_path / "wide.tex"
    path.write_text(tex, encoding="utf-8")
    compile_tables([path], tmp_path)
