"""Write a table as CSV (full precision: each float's shortest round-trip repr, for re-use),
Markdown (for the README and terminal) and LaTeX (for papers) into ``DIR/tables/``.

Printed forms (Markdown and LaTeX) follow what a journal asks of a table:

* human headers with units from the declarations (:mod:`sim.analysis.labels`);
* one precision per column (a column's values share their number of decimals, chosen from
  their magnitude; parameter levels get the decimals that show them exactly), and in the
  summary, where each row is another outcome, one precision per outcome;
* one p-value format: three decimals, ``<0.001`` below that;
* a caption that says what the table pools over and explains every column.

The LaTeX is a fragment to ``\\input``: it needs only ``\\usepackage{booktabs}`` and, for
tables longer than :data:`LONG_ROWS` rows, ``\\usepackage{longtable}`` (the file's first line
says so). Every text is escaped. A table wider than the text width of LaTeX's ``article``
class (345 pt, the narrowest common page) is split into parts that repeat the row labels.

The writers are small and local rather than ``DataFrame.to_latex`` / ``to_markdown``: those
need jinja2 or tabulate and their output changes between pandas versions, while a paper's
table should be byte-identical for the same results.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.labels import explain_columns, header
from sim.params import PARAMETERS
from sim.scenarios import is_dotted

_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u2013": "--", "\u2014": "---", "\u2212": "-", "\u00d7": r"$\times$", "\u00b1": r"$\pm$",
    "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u2192": r"$\rightarrow$", "\u00b0": r"$^\circ$",
}
"""Characters LaTeX treats specially, and the few non-ASCII ones labels may hold (the
default OT1 encoding has none of them)."""

LONG_ROWS = 40
"""Above this many rows a LaTeX table is a ``longtable`` (breaks across pages)."""
TEXT_WIDTH_PT = 345.0
"""``\\textwidth`` of the ``article`` class at 10 pt: the narrowest common page."""
_CHAR_PT = 5.0  # a digit of \small Computer Modern is 4.6 pt; a margin for wider letters
_COLSEP_PT = 12.0  # 2 x \tabcolsep
MAX_DECIMALS = 4
P_FLOOR = 0.001
"""Smaller p-values print as ``<0.001`` (the CSV keeps the number)."""
LEVEL_COLUMNS = {"level", "a", "b", "range_low", "range_high"}
"""Columns holding a factor's values: printed exactly, not to significant figures."""


@dataclass(frozen=True, slots=True)
class Table:
    """A result table and what its caption must say.

    ``pooled`` names what the rows aggregate over (empty: nothing, or a sentence such as
    "per level of doctrine"); ``keys`` are the label columns repeated when a wide LaTeX table
    is split; ``group`` (the summary's ``outcome``) makes the precision per group of rows;
    ``notes`` override a column's explanation for this table.
    """

    stem: str
    title: str
    frame: pd.DataFrame
    pooled: str = ""
    keys: tuple[str, ...] = ()
    group: str | None = None
    grouped: tuple[str, ...] | None = None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """Title and pooling sentence: what a LaTeX caption and a Markdown lead say."""
        text = self.title.rstrip(".") + "."
        if self.pooled:
            text += " " + self.pooled[:1].upper() + self.pooled[1:].rstrip(".") + "."
        return text

    def column_notes(self, columns: list[str] | None = None) -> str:
        """The explanation of each column (all, or the given ones)."""
        return explain_columns(list(self.frame.columns) if columns is None else columns,
                               self.notes)

    @property
    def caption(self) -> str:
        """Heading and column explanations, as one text."""
        return f"{self.heading} {self.column_notes()}"


# --- numbers as text ---------------------------------------------------------------------

def format_value(value: Any, digits: int = 3) -> str:
    """Human formatting of one number (figures' annotations): ``digits`` significant figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return _format_real(float(value), digits)
    return str(value)


def _format_real(x: float, digits: int) -> str:
    if x.is_integer() and abs(x) < 1e6:
        return f"{x:.0f}"
    if abs(x) < 1e-3:
        return f"{x:.1e}"
    if abs(x) >= 10**digits:
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def format_p(value: Any) -> str:
    """A p-value: three decimals, ``<0.001`` below that, empty when missing."""
    if value is None or not isinstance(value, Real) or math.isnan(float(value)):
        return ""
    return f"<{P_FLOOR:g}" if float(value) < P_FLOOR else f"{float(value):.3f}"


def significant_decimals(values: np.ndarray, digits: int = 3) -> int:
    """Decimals that give the column's typical (median non-zero) magnitude ``digits``
    significant figures; integers get none."""
    x = np.abs(values[np.isfinite(values)])
    if x.size == 0 or np.all(x == np.round(x)):
        return 0
    x = x[x != np.round(x)] if np.any(x != np.round(x)) else x  # whole numbers need no digits
    typical = float(np.median(x[x > 0])) if np.any(x > 0) else 1.0
    return int(np.clip(digits - 1 - math.floor(math.log10(typical)), 0, MAX_DECIMALS))


def exact_decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to MAX_DECIMALS) that show every value exactly."""
    x = values[np.isfinite(values)]
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(x, d) - x) < 1e-9):
            return d
    return MAX_DECIMALS


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals; empty when missing; never ``-0.0``."""
    if not np.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _family(column: str, columns: list[str]) -> str:
    """Interval bounds print with their estimate's precision (low/high with mean...)."""
    for suffix in ("_low", "_high"):
        if column.endswith(suffix) and column.removesuffix(suffix) in columns:
            return column.removesuffix(suffix)
    if column in ("low", "high"):
        return next((c for c in ("mean", "rate", "slope", "prcc") if c in columns), column)
    if column in ("diff_low", "diff_high"):
        return "difference"
    if column in ("or_low", "or_high"):
        return "odds_ratio"
    return column


def _is_p(column: str) -> bool:
    return column.startswith("p_") or column == "p"


def formatted_columns(
    frame: pd.DataFrame, group: str | None = None, grouped: tuple[str, ...] | None = None
) -> dict[str, list[str]]:
    """Every cell as text, column by column (one precision per column, or per group of rows
    for the ``grouped`` columns, all of them if None)."""
    columns = [str(c) for c in frame.columns]
    out: dict[str, list[str]] = {}
    whole = [np.arange(len(frame))]
    split = whole if group is None else [
        np.flatnonzero((frame[group] == g).to_numpy()) for g in pd.unique(frame[group])
    ]
    for column in columns:
        series = frame[column]
        if _is_p(column):
            out[column] = [format_p(v) for v in series]
        elif pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            out[column] = ["" if _missing(v) else format_value(v) for v in series]
        elif pd.api.types.is_integer_dtype(series):
            out[column] = [str(int(v)) for v in series]
        else:
            cells = [""] * len(series)
            exact = column in PARAMETERS or is_dotted(column) or column in LEVEL_COLUMNS
            base = _family(column, columns)
            family = frame[base if pd.api.types.is_float_dtype(frame[base]) else column].to_numpy(float)
            values = series.to_numpy(float)
            groups = split if grouped is None or column in grouped else whole
            for rows in groups:
                d = exact_decimals(values[rows]) if exact else significant_decimals(family[rows])
                for i in rows:
                    cells[i] = fixed(values[i], d)
            out[column] = cells
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def formatted_rows(
    frame: pd.DataFrame, group: str | None = None, grouped: tuple[str, ...] | None = None
) -> list[list[str]]:
    cols = formatted_columns(frame, group, grouped)
    return [list(row) for row in zip(*cols.values(), strict=True)] if cols else []


def _numeric(frame: pd.DataFrame) -> list[bool]:
    return [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            for c in frame.columns]


# --- Markdown ----------------------------------------------------------------------------

def to_markdown(frame: pd.DataFrame, group: str | None = None, *, human: bool = True,
                grouped: tuple[str, ...] | None = None) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned, human headers)."""
    cells = formatted_rows(frame, group, grouped)
    names = [header(str(c)) if human else str(c) for c in frame.columns]
    align = ["---:" if num else ":---" for num in _numeric(frame)]
    lines = ["| " + " | ".join(names) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


# --- LaTeX -------------------------------------------------------------------------------

def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def to_latex(table: Table) -> str:
    """A booktabs table (a ``longtable`` when long), split into parts if wider than the page."""
    frame = table.frame
    cells = formatted_columns(frame, table.group, table.grouped)
    numeric = dict(zip(frame.columns, _numeric(frame), strict=True))
    widths = {c: _width(cells[c], header(str(c))) for c in frame.columns}
    parts = _split(list(frame.columns), list(table.keys), widths)
    long = len(frame) > LONG_ROWS
    need = "booktabs,longtable" if long else "booktabs"
    out = [f"% warnsim table {table.stem}: \\input{{}} this file; the document needs "
           f"\\usepackage{{{need}}}"]
    for i, columns in enumerate(parts):
        label = f"tab:{table.stem}" + (f"-{i + 1}" if i else "")
        caption = table.heading if len(parts) == 1 else (
            f"{table.heading} (Part {i + 1} of {len(parts)}.)" if i == 0
            else f"{table.title.rstrip('.')} (continued: part {i + 1} of {len(parts)})."
        )
        # Below the tabular, not in the caption: LaTeX sets a caption on one line first to
        # measure it, and a long one overflows TeX's largest dimension.
        notes = (r"\par\smallskip{\footnotesize\raggedright "
                 + latex_escape(table.column_notes(columns)) + r"\par}")
        spec = "".join("r" if numeric[c] else "l" for c in columns)
        head = " & ".join(
            _header_cell(header(str(c)), widths[c], "r" if numeric[c] else "l") for c in columns
        ) + r" \\"
        body = [" & ".join(latex_escape(cells[c][r]) for c in columns) + r" \\"
                for r in range(len(frame))]
        cap = rf"\caption{{{latex_escape(caption)}}}\label{{{label}}}"
        if long:
            ncol = len(columns)
            out += [
                r"\begingroup\small", rf"\begin{{longtable}}{{{spec}}}", cap + r" \\",
                r"\toprule", head, r"\midrule", r"\endfirsthead",
                rf"\multicolumn{{{ncol}}}{{l}}{{\emph{{(continued)}}}} \\", r"\toprule", head,
                r"\midrule", r"\endhead",
                rf"\midrule \multicolumn{{{ncol}}}{{r}}{{\emph{{(continued on the next page)}}}} \\",
                r"\endfoot", r"\bottomrule", r"\endlastfoot", *body, r"\end{longtable}",
                notes, r"\endgroup",
            ]
        else:
            out += [
                r"\begin{table}[htbp]", r"\centering", r"\small", cap,
                rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule", *body,
                r"\bottomrule", r"\end{tabular}", notes, r"\end{table}",
            ]
    return "\n".join(out) + "\n"


def _width(cells: list[str], head: str) -> int:
    """Characters the column needs: its widest cell, or its header's longest word."""
    longest_word = max((len(w) for w in head.split()), default=0)
    widest = max((len(c) for c in cells), default=0)
    return max(widest, longest_word, 4)


def _header_cell(text: str, width: int, align: str) -> str:
    lines = textwrap.wrap(text, width=max(width, 6)) or [""]
    if len(lines) == 1:
        return latex_escape(lines[0])
    return rf"\shortstack[{align}]{{" + r"\\".join(latex_escape(x) for x in lines) + "}"


def _split(columns: list[str], keys: list[str], widths: dict[str, int]) -> list[list[str]]:
    """Columns in parts no wider than the text width, each part led by the key columns."""
    keys = [k for k in keys if k in columns]
    cost = {c: widths[c] * _CHAR_PT + _COLSEP_PT for c in columns}
    base = sum(cost[k] for k in keys)
    parts: list[list[str]] = []
    current: list[str] = []
    for column in (c for c in columns if c not in keys):
        if current and base + sum(cost[c] for c in current) + cost[column] > TEXT_WIDTH_PT:
            parts.append(current)
            current = []
        current.append(column)
    parts.append(current)
    return [keys + part for part in parts]


# --- files -------------------------------------------------------------------------------

def write_table(table: Table, directory: Path) -> list[Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex`` into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{table.stem}.{ext}" for ext in ("csv", "md", "tex")]
    table.frame.to_csv(paths[0], index=False, lineterminator="\n")  # floats as repr
    paths[1].write_text(markdown_document(table), encoding="utf-8")
    paths[2].write_text(to_latex(table), encoding="utf-8")
    return paths


def markdown_document(table: Table) -> str:
    """Title, pooling sentence, the table, then the column explanations."""
    lead = f"**{table.title.rstrip('.')}.**"
    if table.pooled:
        lead += " " + table.pooled[:1].upper() + table.pooled[1:].rstrip(".") + "."
    body = to_markdown(table.frame, table.group, grouped=table.grouped)
    return f"{lead}\n\n{body}\n{table.column_notes()}\n"


def remove_stale(directory: Path, stems: set[str] | list[str], extensions: tuple[str, ...]) -> list[Path]:
    """Delete ``stem.ext`` in ``directory`` for the given stems and extensions only; return them.

    ``analyze`` and ``plot`` call this with the outputs they know how to write but skipped this
    time, so a folder re-swept with another design does not keep stale tables or figures next
    to the new ones. Nothing but those exact names is touched.
    """
    removed = []
    for stem in sorted(stems):
        for ext in extensions:
            path = directory / f"{stem}.{ext}"
            if path.is_file():
                path.unlink()
                removed.append(path)
    return removed
