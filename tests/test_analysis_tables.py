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

from sim.analysis.labels import header, name_of
from sim.analysis.tables import (
    LONG_ROWS,
    MINUS,
    Table,
    exact_decimals,
    format_p,
    formatted_columns,
    latex_escape,
    minus,
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


def test_each_column_has_one_precision_but_no_value_loses_its_second_figure():
    frame = pd.DataFrame({
        "rate": [0.81, 0.8134, 0.5, 0.0015], "casualties": [722.4, 1320.9, 967.0, 3.0],
        "rivalry": [0.0, 0.025, 1.0, 0.5], "p_value": [1e-20, 0.04, 0.5, 0.2], "runs": [400, 400, 12, 3],
    })
    cells = formatted_columns(frame)
    assert cells["rate"] == ["0.810", "0.813", "0.500", "0.0015"]  # not 0.002, not 0.81 by 0.813
    assert cells["casualties"] == ["722", "1321", "967", "3"]
    assert cells["rivalry"] == ["0.000", "0.025", "1.000", "0.500"]  # levels exactly, one width
    assert cells["p_value"] == ["<0.001", "0.040", "0.500", "0.200"]
    assert cells["runs"] == ["400", "400", "12", "3"]
    for column in ("casualties", "rivalry"):
        assert len({len(c.partition(".")[2]) for c in cells[column]}) == 1, column
    assert significant_decimals(np.array([0.0021, 0.0034])) == 4
    assert exact_decimals(np.array([0.1, 0.25])) == 2


def test_negative_numbers_have_true_minus_signs():
    frame = pd.DataFrame({"difference": [-0.121, 0.0015, -0.0], "diff_low": [-0.134, -0.01, -0.1],
                          "diff_high": [-0.107, 0.01, 0.1]})
    cells = formatted_columns(frame)
    assert cells["difference"] == [f"{MINUS}0.121", "0.0015", "0.000"]  # never -0.000
    md = to_markdown(frame)
    assert f"{MINUS}0.121 [{MINUS}0.134, {MINUS}0.107]" in md  # the interval beside its estimate
    body = md.split("\n", 2)[2]
    assert "-" not in body.replace("---", "")  # no hyphen as a minus anywhere
    tex = to_latex(Table("t", "T", frame))
    assert "$-$0.121 [$-$0.134, $-$0.107]" in tex
    assert minus("from -0.5 to 0-1, [-2, x-ray]") == f"from {MINUS}0.5 to 0-1, [{MINUS}2, x-ray]"


def test_the_summary_has_one_precision_per_outcome():
    frame = pd.DataFrame({"outcome": ["heed_rate", "heed_rate", "casualties", "casualties"],
                          "mean": [0.5, 0.61, 722.0, 967.2]})
    assert formatted_columns(frame, group="outcome")["mean"] == ["0.500", "0.610", "722", "967"]


def test_headers_are_human_with_units():
    assert header("heed_rate") == "Heed rate (share)"
    assert header("rivalry") == "Rivalry (0-1)"
    assert header("casualties") == "Deaths (per run)"
    assert header("foiled_share") == "Share foiled"  # not "Share foiled (share)"
    assert header("runs") == "Runs"
    assert header("not_declared_anywhere") == "Not declared anywhere"
    md = to_markdown(pd.DataFrame({"heed_rate": [0.5]}))
    assert md.startswith("| Heed rate (share) |")


def test_declared_names_in_cells_print_as_their_labels():
    frame = pd.DataFrame({
        "outcome": ["heed_rate", "casualties"], "parameter": ["believed_manipulative_rival", "rivalry"],
        "term": ["doctrine=non_rivals", "dyad_rivalry"], "influential_for": ["heed_rate, net_harm", ""],
        "doctrine": ["warn_all", "never"], "learning": [True, False],
    })
    cells = formatted_columns(frame)
    assert cells["outcome"] == ["Heed rate (share)", "Deaths (per run)"]
    assert cells["parameter"] == [name_of("believed_manipulative_rival"), "Rivalry"]
    assert cells["term"] == ["Doctrine: non rivals", "Dyad rivalry"]
    assert cells["influential_for"][0] == "Heed rate, Net harm"
    assert cells["doctrine"] == ["warn all", "never"] and cells["learning"] == ["yes", "no"]
    assert "_" not in to_markdown(frame) and "\\_" not in to_latex(Table("t", "T", frame))


def test_the_notes_explain_every_column_and_what_is_pooled_never_a_header_again():
    frame = pd.DataFrame({"rivalry": [0.0, 0.5, 1.0], "rate": [0.9, 0.8, 0.7], "low": [0.8, 0.7, 0.6],
                          "high": [0.95, 0.85, 0.75], "runs": [4, 4, 4], "clusters": [4, 4, 4],
                          "trials": [100, 90, 80], "gradient_low": [0.1, 0.2, 0.3]})
    table = Table("t", "Heed rate by rivalry", frame, pooled="pooled over doctrine (3 levels)",
                  notes={"low": "lower bound of the 95% clustered Wilson interval"})
    caption = table.caption
    for column in ("rivalry", "rate", "trials"):
        assert f"{header(column)}: " in caption, column
    assert "in brackets: the 95% clustered Wilson interval" in caption  # low/high in the cell
    assert "In every row: Runs 4; Clusters 4." in caption  # constant columns leave the table
    assert "Pooled over doctrine (3 levels)." in caption
    assert "Gradient low:" not in caption  # nothing to say but its header: not said
    md = to_markdown(table)
    assert "| Rivalry (0-1) | Heed rate | Warnings | Gradient low |" in md.splitlines()[0] + " |"


def test_block_columns_head_their_rows_and_hidden_columns_stay_in_the_csv(tmp_path):
    frame = pd.DataFrame({"point_id": [0, 1, 2, 3], "doctrine": ["never", "never", "warn_all", "warn_all"],
                          "rivalry": [0.0, 1.0, 0.0, 1.0], "rate": [0.1, 0.2, 0.3, 0.4]})
    table = Table("t", "T", frame, blocks=("doctrine",), hidden=("point_id",))
    md = to_markdown(table)
    assert "| **Doctrine: never** |  |" in md and "| **Doctrine: warn all** |  |" in md
    assert "Point" not in md and md.count("never") == 1
    csv = write_table(table, tmp_path)[0]
    assert list(pd.read_csv(csv).columns) == ["point_id", "doctrine", "rivalry", "rate"]
    tex = to_latex(table)
    assert r"\emph{Doctrine: never}" in tex and tex.count(r"\multicolumn{2}") == 2


def test_latex_escapes_every_special_character():
    escaped = latex_escape(SPECIALS)
    assert escaped == (r"\textless{}1e-16 \& 50\% \$5 \#1 a\_b \{x\} \textasciitilde{}y "
                       r"\textasciicircum{}z back\textbackslash{}slash p\textbar{}q \textgreater{}2")
    frame = pd.DataFrame({"note": [SPECIALS], "p_value": [1e-30]})
    tex = to_latex(Table("t", "Caption with 95% & <stuff>", frame))
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    unescaped = re.sub(r"\\[A-Za-z]+|\\[&%$#_{}]|[{}]", "", body)
    for ch in "&%$#_<>|^~":
        assert ch not in unescaped.replace(" & ", " ").replace("&", "").replace("$-$", ""), ch
    assert r"\textless{}0.001" in tex  # the p-value, escaped: no inverted exclamation mark


def test_long_tables_use_longtable_and_say_which_packages_they_need():
    frame = pd.DataFrame({"level": np.arange(LONG_ROWS + 5) / 100, "rate": np.linspace(0.1, 0.9, LONG_ROWS + 5)})
    tex = to_latex(Table("long", "Long", frame))
    assert tex.splitlines()[0].endswith(r"\usepackage{booktabs,longtable}")
    assert r"\begin{longtable}" in tex and r"\endhead" in tex and r"\begin{table}" not in tex
    short = to_latex(Table("short", "Short", frame.head(3)))
    assert short.splitlines()[0].endswith(r"\usepackage{booktabs}") and "longtable" not in short.splitlines()[1]


def key_frame(rows: int) -> pd.DataFrame:
    """A key-outcomes table: one row per rivalry level, eight outcomes with intervals."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"point_id": range(rows), "rivalry": np.arange(rows) / (rows - 1)})
    for outcome in ("heed_rate", "warnings_sent", "casualties", "lives_saved", "interdicted",
                    "false_alarm_share", "foiled_share", "trust_in_benevolent"):
        value = rng.uniform(0.2, 0.9, rows) * (100 if outcome in ("warnings_sent", "casualties") else 1)
        frame[outcome], frame[f"{outcome}_low"], frame[f"{outcome}_high"] = value, value * 0.97, value * 1.03
    return frame


def test_a_wide_table_is_laid_out_to_fit_rather_than_split():
    tex = to_latex(Table("key", "Key outcomes", key_frame(11), keys=("rivalry",), hidden=("point_id",)))
    assert tex.count(r"\begin{tabular}[t]") > 11 and tex.count(r"\caption") == 1  # one part
    assert r"\footnotesize" in tex  # a smaller size and intervals under their estimates


def test_a_table_no_layout_fits_is_split_into_parts_that_repeat_the_row_labels():
    cells = {f"statistic_{i}": [1234.5678 * i, 2.5, 3.25] for i in range(1, 30)}
    frame = pd.DataFrame({"point_id": [0, 1, 2], "doctrine": ["warn_all", "non_rivals", "never"], **cells})
    tex = to_latex(Table("wide", "Wide", frame, keys=("doctrine",), hidden=("point_id",)))
    assert tex.count(r"\begin{tabular}{") >= 2
    assert tex.count("non rivals") == tex.count(r"\begin{tabular}{")  # labels in every part
    assert r"\label{tab:wide-2}" in tex


def test_csv_tables_keep_full_precision(tmp_path):
    frame = pd.DataFrame({"x": [0.123456789012345, 1 / 3, 2.5e-12]})
    csv = write_table(Table("t", "T", frame), tmp_path)[0]
    assert pd.read_csv(csv)["x"].tolist() == frame["x"].tolist()  # exact round trip


# --- compiled by a real engine -----------------------------------------------------------

PREAMBLE = ("\\documentclass{article}\n\\usepackage[margin=1in]{geometry}\n"
            "\\usepackage{booktabs,longtable}\n")
"""An article with 1-inch margins (US letter: 469.8 pt of text; the tables are laid out for
A4's 451 pt): what a journal's submission template gives, and all a table may assume."""


def compile_tables(paths: list[Path], workdir: Path) -> str:
    """Compile an article that \\inputs each table (booktabs and longtable only), twice so
    that longtables settle their column widths; return the log of the second run. Fails
    with the log's errors if LaTeX stops."""
    body = "\n\\clearpage\n".join(
        f"\\typeout{{TABLE {p.resolve().as_posix()}}}\\input{{{p.resolve().as_posix()}}}"
        for p in paths)
    doc = workdir / "doc.tex"
    doc.write_text(PREAMBLE + f"\\begin{{document}}\n{body}\n\\end{{document}}\n", encoding="utf-8")
    for _ in range(2):
        run = subprocess.run(
            [ENGINE, "-interaction=nonstopmode", "-halt-on-error", doc.name],
            cwd=workdir, capture_output=True, text=True, timeout=300, check=False,
        )
        log = (workdir / "doc.log").read_text(errors="replace")
        errors = [line for line in log.splitlines() if line.startswith("!")]
        assert run.returncode == 0 and not errors, "\n".join(errors) or run.stdout[-2000:]
    return log


def overfull(log: str, tolerance_pt: float = 1.0) -> list[str]:
    """Overfull boxes of ``tolerance_pt`` or more (horizontal: a table wider than the text),
    each with the table it is in (the ``TABLE path`` line compile_tables writes before it)."""
    found = []
    for m in re.finditer(r"Overfull \\[hv]box \(([\d.]+)pt too \w+\)[^\n]*", log):
        if float(m.group(1)) >= tolerance_pt:
            table = re.findall(r"^TABLE (\S+)", log[: m.start()], flags=re.MULTILINE)
            where = Path(table[-1]).relative_to(ROOT).as_posix() if table and table[-1].startswith(
                ROOT.as_posix()) else (Path(table[-1]).name if table else "?")
            found.append(f"{where}: {m.group(1)} pt too wide")
    return found


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """analyze on a 15-level rivalry x 3-doctrine grid (long and wide tables), an LHS, and a
    points design varying five parameters (points named by their differences)."""
    root = tmp_path_factory.mktemp("latex")
    grid = [{"rivalry": r / 14, "doctrine": d} for r in range(15)
            for d in ("warn_all", "non_rivals", "never")]
    folders = [write_results(root / "dense", grid, replications=3, days=5)]
    rng = np.random.default_rng(4)
    sample = [{"rivalry": float(a), "false_lead_rate": float(b)} for a, b in rng.random((40, 2)) * [1, 5]]
    folders.append(write_results(root / "lhs", sample, kind="lhs", replications=1, days=5,
                                 n=40, ranges={"rivalry": [0, 1], "false_lead_rate": [0, 5]}))
    base = {"rivalry": 0.7, "false_lead_rate": 1.0, "face_cost": 0.5, "sanitisation": 0.5,
            "doctrine": "scenario"}
    points = [base, *({**base, k: v} for k, v in (("rivalry", 0.2), ("false_lead_rate", 0.0),
                                                 ("face_cost", 0.0), ("doctrine", "warn_all"))),
              {"rivalry": 0.2, "false_lead_rate": 0.0, "face_cost": 0.0, "sanitisation": 0.0,
               "doctrine": "warn_all"}]
    folders.append(write_results(root / "points", points, kind="points", replications=4, days=5))
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


def test_generated_tables_speak_labels_and_never_explain_a_column_by_its_header(analysed):
    """No snake_case name, no hyphen for a minus, no note 'Gradient low: Gradient low'."""
    for path in (p for folder in analysed for p in (folder / "tables").glob("*.md")):
        text = path.read_text()
        table = "\n".join(line for line in text.splitlines() if line.startswith("|"))
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", table), (path.name, re.findall(r"\b[a-z]+_[a-z_]+\b", table))
        assert not re.search(r"(?<![\w.)\]])-\d", table), path.name
        notes = text.split("Columns: ", 1)[1] if "Columns: " in text else ""
        for part in re.split(r"; (?=[A-Z])", notes):
            head, _, meaning = part.partition(": ")
            assert meaning.strip().rstrip(".").lower() != head.strip().lower(), (path.name, part)


def test_points_designs_name_their_points_by_what_differs(analysed):
    key = (analysed[2] / "tables" / "key_outcomes.md").read_text()
    assert "| reference |" in key and "| rivalry 0.2 |" in key and "| doctrine warn all |" in key
    assert "every parameter at its most common value: rivalry 0.7, false leads 1" in key


def committed_tex() -> list[Path]:
    return sorted((ROOT / "results").rglob("*.tex"))


def test_every_committed_table_compiles_and_fits_a_one_inch_margin_page(tmp_path):
    """Every committed .tex, wherever it is under results/, compiled as a paper would: no
    error and no overfull box of 1 pt or more."""
    if ENGINE is None:
        pytest.skip(NO_ENGINE)
    paths = committed_tex()
    if not paths:
        pytest.skip("no committed .tex tables under results/")
    log = compile_tables(paths, tmp_path)
    assert not overfull(log), overfull(log)


def test_a_table_with_many_explained_columns_compiles_with_each_part_explaining_its_own(tmp_path):
    """A caption is first set on one line to be measured, so column explanations thousands of
    characters long (a calibration table's) overflow TeX unless they go below the tabular."""
    columns = {f"statistic_{i}": [1234.5 * i, 2.25 * i, 3.125] for i in range(30)}
    notes = {c: f"note{c[10:]}x " + "a long explanation of this statistic, " * 6 for c in columns}
    table = Table("wide", "Many explained columns", pd.DataFrame({"point": [1, 2, 3], **columns}),
                  keys=("point",), notes=notes)
    tex = to_latex(table)
    parts = tex.split(r"\begin{table}")[1:]
    assert len(parts) > 1 and len(table.caption) > 5000
    for part in parts:
        caption = re.search(r"\\caption\{([^}]*)\}", part).group(1)
        assert "Columns:" not in caption
        tabular, below = part.split(r"\end{tabular}")
        shown = set(re.findall(r"Statistic(?:\\\\\{\}| )(\d+)", tabular))
        explained = set(re.findall(r"note(\d+)x", below))
        assert shown and shown == explained
    if ENGINE is None:
        pytest.skip(NO_ENGINE)
    path = tmp_path / "wide.tex"
    path.write_text(tex, encoding="utf-8")
    log = compile_tables([path], tmp_path)
    assert not overfull(log), overfull(log)
