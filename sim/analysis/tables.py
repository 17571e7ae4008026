"""Write a table as CSV (full precision: each float's shortest round-trip repr, for re-use),
Markdown (for the docs and terminal) and LaTeX (for papers) into ``DIR/tables/``.

The CSV keeps every column as computed. The printed forms (Markdown and LaTeX) are what a
journal's production editor expects of a table:

* **Human names**: headers with units from the declarations, and cells that hold a
  parameter, outcome or check id (the ``parameter``, ``outcome``, ``term``, ``target``...
  columns) by its declared label (:mod:`sim.analysis.labels`); ``warn_all`` as "warn all",
  booleans as yes/no.
* **Compact**: an estimate and its interval share one cell, ``0.823 [0.811, 0.835]``; a
  column with one value in every row, or that repeats another column, leaves the table for
  a sentence in the notes; ``blocks`` columns become spanning rows that head each block of
  rows instead of repeating in every row; columns ``hidden`` (identifiers such as
  ``point_id`` when the parameters name the point) stay in the CSV only.
* **Numbers**: true minus signs; one precision per column, chosen from its typical
  magnitude (three significant figures), except that a value which would lose its second
  significant figure keeps it (0.0015 is not printed 0.002 beside 0.823); parameter levels
  with the decimals that show them exactly; p-values with three decimals, ``<0.001`` below.
* **Notes that explain**: below the table, each column's meaning (never its header again),
  what the brackets hold and what the table pools over.
* **Fits the page**: a LaTeX table is laid out for the text width of an article with 1-inch
  margins on A4 (:data:`TEXT_WIDTH_PT`), measured with Computer Modern's character widths:
  at ``\\small``, else ``\\footnotesize`` with narrower column gaps, else with each interval
  under its estimate, long texts wrapped in paragraph columns at each step; only a table
  that fits none of these is split into parts that repeat its row labels.

The LaTeX is a fragment to ``\\input``: it needs only ``\\usepackage{booktabs}`` and, for
tables longer than :data:`LONG_ROWS` rows, ``\\usepackage{longtable}`` (the file's first line
says so). Every text is escaped.

The writers are small and local rather than ``DataFrame.to_latex`` / ``to_markdown``: those
need jinja2 or tabulate, cannot merge intervals or head blocks, and their output changes
between pandas versions, while a paper's table should be byte-identical for the same results.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.labels import check_label, doc, header, level_name, name_of
from sim.params import PARAMETERS
from sim.scenarios import is_dotted

MINUS = "\u2212"
"""The minus sign of printed numbers (a hyphen is shorter and sits lower)."""

_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u2013": "--", "\u2014": "---", MINUS: "$-$", "\u00d7": r"$\times$", "\u00b1": r"$\pm$",
    "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u2192": r"$\rightarrow$", "\u00b0": r"$^\circ$",
    "\u03bc": r"$\mu$", "\u03c3": r"$\sigma$",
}
"""Characters LaTeX treats specially, and the few non-ASCII ones labels may hold (the
default OT1 encoding has none of them)."""

LONG_ROWS = 40
"""Above this many rows a LaTeX table is a ``longtable`` (breaks across pages)."""
TEXT_WIDTH_PT = 451.0
"""``\\textwidth`` of an article on A4 with 1-inch margins (210 mm - 2 in), the narrower of
A4 and US letter (469.8 pt); tables are laid out for :data:`FIT_PT` of it."""
FIT_PT = TEXT_WIDTH_PT - 12.0
"""Width a table is laid out for: the text width less a margin for the estimate's error."""
MAX_DECIMALS = 4
"""Decimals of a printed number at most."""
P_FLOOR = 0.001
"""Smaller p-values print as ``<0.001`` (the CSV keeps the number)."""
LEVEL_COLUMNS = {"level", "a", "b", "prior_low", "prior_high", "default"}
"""Columns holding a factor's set values: printed exactly, not to significant figures."""
NOT_INTERVALS = {"box_low", "box_high", "range_low", "range_high", "prior_low", "prior_high"}
"""``_low``/``_high`` columns that are a range of values, not an estimate's interval."""
CHECK_COLUMNS = {"target", "target_a", "target_b", "check"}
"""Columns holding validation check ids (a calibration target is a check)."""
ID_COLUMNS = {"parameter", "outcome", "term", "most_for", "influential_for", *CHECK_COLUMNS}
"""Columns whose cells are declared names (comma-separated lists allowed), printed as labels."""
TEXT_MIN_PT = 70.0
"""Narrowest paragraph column a long text is wrapped into."""


@dataclass(frozen=True, slots=True)
class Table:
    """A result table and what its notes must say.

    ``pooled`` names what the rows aggregate over (empty: nothing, or a sentence such as
    "per level of doctrine"); ``keys`` are the label columns repeated when a table too wide
    for any layout is split; ``group`` (the summary's ``outcome``) makes the precision per
    group of rows (for the ``grouped`` columns, all if None); ``notes`` override a column's
    explanation for this table; ``blocks`` are columns printed as rows heading each block of
    rows; ``hidden`` columns are kept in the CSV only. A table not ``printable`` (a per-point
    dump of a sampled design: thousands of rows) is written as CSV only. ``headers`` names
    columns the declarations do not (a calibration target's statistic, by its check).
    """

    stem: str
    title: str
    frame: pd.DataFrame
    pooled: str = ""
    keys: tuple[str, ...] = ()
    group: str | None = None
    grouped: tuple[str, ...] | None = None
    notes: dict[str, str] = field(default_factory=dict)
    blocks: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    printable: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, column: str) -> str:
        """The column's printed header: this table's own, or the declared one."""
        return self.headers.get(column) or header(column)

    @property
    def heading(self) -> str:
        """Title and pooling sentence: what a LaTeX caption and a Markdown lead say."""
        text = self.title.rstrip(".") + "."
        if self.pooled:
            text += " " + self.pooled[:1].upper() + self.pooled[1:].rstrip(".") + "."
        return text

    def column_notes(self, columns: list[str] | None = None) -> str:
        """The explanation of the printed columns (all, or the given ones) and of what left
        the table for the notes."""
        return printed(self).notes(columns)

    @property
    def caption(self) -> str:
        """Heading and notes, as one text."""
        return f"{self.heading} {self.column_notes()}"


# --- numbers as text ---------------------------------------------------------------------

def minus(text: str) -> str:
    """Hyphens used as minus signs (before a digit, not inside a word or range) as U+2212."""
    return re.sub(r"(?<![\w.)\]])-(?=\.?\d)", MINUS, text.replace("+-", "\u00b1"))


def format_value(value: Any, digits: int = 3) -> str:
    """Human formatting of one number: ``digits`` significant figures, ASCII (the validation
    report and the ODD embed it); printed tables and figures put a true minus sign on it
    (:func:`minus`)."""
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
    """Decimals that give the column's largest magnitude ``digits`` significant figures;
    integers get none. Smaller values of the column keep two significant figures on their
    own (see :func:`formatted_columns`)."""
    x = np.abs(values[np.isfinite(values)])
    if x.size == 0 or np.all(x == np.round(x)):
        return 0
    x = x[x != np.round(x)] if np.any(x != np.round(x)) else x  # whole numbers need no digits
    typical = float(x.max()) if np.any(x > 0) else 1.0
    return int(np.clip(digits - 1 - math.floor(math.log10(typical)), 0, MAX_DECIMALS))


def value_decimals(value: float, digits: int = 2) -> int:
    """Decimals that give ``value`` ``digits`` significant figures (0 for zero or whole
    magnitudes of at least 10^digits), at most MAX_DECIMALS: a value below 0.0001 is 0.0000
    in print (the CSV keeps it)."""
    if not np.isfinite(value) or value == 0:
        return 0
    return int(np.clip(digits - 1 - math.floor(math.log10(abs(value))), 0, MAX_DECIMALS))


def exact_decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to MAX_DECIMALS) that show every value exactly."""
    x = values[np.isfinite(values)]
    for d in range(MAX_DECIMALS + 1):
        if np.all(np.abs(np.round(x, d) - x) < 1e-9):
            return d
    return MAX_DECIMALS


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and a true minus sign; empty when missing; never
    ``-0.0``."""
    if not np.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def _at_least_two_figures(value: float, decimals: int) -> str:
    """``value`` at the column's ``decimals``, or more if it would keep fewer than two
    significant figures (0.0015 in a column of 0.823s)."""
    if not np.isfinite(value):
        return ""
    if abs(round(value, decimals) - value) < 1e-12:  # exact already (3 in a column of 722s)
        return fixed(value, decimals)
    return fixed(value, max(decimals, value_decimals(value)))


INTERVALS: dict[str, tuple[str, str]] = {
    "difference": ("diff_low", "diff_high"),
    "odds_ratio": ("or_low", "or_high"),
    "share_explained": ("share_low", "share_high"),
}
"""Estimates whose interval bounds are not named ``<estimate>_low``/``_high``."""
_PLAIN_ESTIMATES = ("mean", "rate", "slope", "prcc", "estimate", "value", "coefficient")
"""Estimates whose bounds are the plain ``low``/``high`` columns (the first one present)."""


def interval_of(column: str, columns: list[str]) -> tuple[str, str] | None:
    """The (low, high) columns of an estimate ``column``, if the frame has both (a factor's
    values, such as a PRIM box's edges ``box_low``/``box_high``, are no interval)."""
    if column in LEVEL_COLUMNS or column in PARAMETERS or column in NOT_INTERVALS:
        return None
    pairs = [(f"{column}_low", f"{column}_high")]
    if column in INTERVALS:
        pairs.append(INTERVALS[column])
    if column == next((c for c in _PLAIN_ESTIMATES if c in columns), None):
        pairs.append(("low", "high"))
    return next(((lo, hi) for lo, hi in pairs
                 if lo in columns and hi in columns and lo not in NOT_INTERVALS), None)


def _is_p(column: str) -> bool:
    return column.startswith("p_") or column == "p"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _label_cell(column: str, value: Any) -> str:
    """A declared name as its label ('heed_rate, net_harm' -> 'Heed rate, Net harm');
    a regression term ``doctrine=never`` as 'Doctrine: never'."""
    if _missing(value):
        return ""
    text = str(value)
    if column == "outcome":
        return header(text)
    if column in CHECK_COLUMNS:
        return check_label(text)
    if column == "term":
        if text in ("intercept", "dyad_rivalry"):
            return text.replace("_", " ").capitalize()
        name, eq, level = text.partition("=")
        return f"{name_of(name)}: {level_name(level)}" if eq else name_of(name)
    return ", ".join(name_of(part.strip()) for part in text.split(","))


def formatted_columns(
    frame: pd.DataFrame, group: str | None = None, grouped: tuple[str, ...] | None = None
) -> dict[str, list[str]]:
    """Every cell as text, column by column: one precision per column (or per group of rows
    for the ``grouped`` columns, all of them if None), an interval bound at its estimate's,
    a value that would lose its second significant figure given it."""
    columns = [str(c) for c in frame.columns]
    bounds = {b: est for est in columns if (pair := interval_of(est, columns)) for b in pair}
    out: dict[str, list[str]] = {}
    whole = [np.arange(len(frame))]
    split = whole if group is None else [
        np.flatnonzero((frame[group] == g).to_numpy()) for g in pd.unique(frame[group])
    ]
    for column in columns:
        series = frame[column]
        if _is_p(column):
            out[column] = [format_p(v) for v in series]
        elif column in ID_COLUMNS:
            out[column] = [_label_cell(column, v) for v in series]
        elif pd.api.types.is_bool_dtype(series):
            out[column] = ["" if _missing(v) else level_name(bool(v)) for v in series]
        elif not pd.api.types.is_numeric_dtype(series):
            out[column] = ["" if _missing(v) else _text_cell(v) for v in series]
        elif pd.api.types.is_integer_dtype(series):
            out[column] = [fixed(float(v), 0) for v in series]
        else:
            cells = [""] * len(series)
            exact = column in PARAMETERS or is_dotted(column) or column in LEVEL_COLUMNS
            base = bounds.get(column, column)
            family = frame[base if pd.api.types.is_float_dtype(frame[base]) else column].to_numpy(float)
            values = series.to_numpy(float)
            groups = split if grouped is None or column in grouped else whole
            for rows in groups:
                if exact:
                    d = exact_decimals(values[rows])
                    for i in rows:
                        cells[i] = fixed(values[i], d)
                else:
                    d = significant_decimals(family[rows])
                    for i in rows:
                        cells[i] = _at_least_two_figures(values[i], d)
            out[column] = cells
    return out


def _text_cell(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return level_name(bool(value))
    if isinstance(value, Real):
        return minus(format_value(value))
    text = str(value)
    return level_name(text) if text.isidentifier() else minus(text)


def formatted_rows(
    frame: pd.DataFrame, group: str | None = None, grouped: tuple[str, ...] | None = None
) -> list[list[str]]:
    cols = formatted_columns(frame, group, grouped)
    return [list(row) for row in zip(*cols.values(), strict=True)] if cols else []


def _numeric(frame: pd.DataFrame, column: str) -> bool:
    s = frame[column]
    return (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            and column not in ID_COLUMNS)


# --- what is printed ---------------------------------------------------------------------

@dataclass(slots=True)
class Printed:
    """A table as printed: its columns (intervals merged into their estimates), the text of
    every cell, block rows, and the sentences about what left the table."""

    table: Table
    columns: list[str]
    cells: dict[str, list[str]]
    bounds: dict[str, tuple[list[str], list[str]]]
    numeric: dict[str, bool]
    blocks: list[str]
    constant: dict[str, str]
    same_as: dict[str, str]

    def row_blocks(self) -> list[tuple[str | None, list[int]]]:
        """Rows grouped under their block heading (None: no blocks)."""
        n = len(self.table.frame)
        if not self.blocks:
            return [(None, list(range(n)))]
        out: list[tuple[str | None, list[int]]] = []
        for i in range(n):
            text = "; ".join(f"{name_of(b)}: {self.cells[b][i]}" for b in self.blocks)
            if out and out[-1][0] == text:
                out[-1][1].append(i)
            else:
                out.append((text, [i]))
        return out

    def cell(self, column: str, row: int, *, stacked: bool = False) -> str:
        """A cell's text; an estimate with its interval ``est [low, high]`` (plain text), or
        ``est [n/a]`` when no interval could be estimated (one run, one cluster: see
        :mod:`sim.analysis.intervals`), so a bare estimate is never read as exact."""
        text = self.cells[column][row]
        if column in self.bounds and text:
            low, high = (b[row] for b in self.bounds[column])
            inside = f"{low}, {high}" if low or high else "n/a"
            return f"{text}\n[{inside}]" if stacked else f"{text} [{inside}]"
        return text

    def notes(self, columns: list[str] | None = None) -> str:
        """'Columns: Header: meaning; ...' for ``columns`` (default all printed), then the
        columns that left the table."""
        t = self.table
        shown = self.columns if columns is None else [c for c in columns if c in self.columns]
        brackets = {c: _bounds_text(t, c) for c in shown if c in self.bounds}
        common = len(set(brackets.values())) == 1 and len(brackets) > 1
        parts = []
        for c in [*(b for b in self.blocks if columns is None), *shown]:
            text = _explanation(t, c)
            if c in brackets and not common:
                text += "; in brackets: " + brackets[c]
            parts.append(f"{t.header(c)}: {text}" if text else "")
        parts = [p for p in parts if p]
        out = ("Columns: " + "; ".join(parts) + ".") if parts else ""
        if common:
            text = next(iter(brackets.values()))
            out += f" In brackets: {text}."
        if self.constant and columns is None:
            same = "; ".join(f"{t.header(c)} {v}" for c, v in self.constant.items())
            out += f" In every row: {same}."
        if self.same_as and columns is None:
            out += " " + "; ".join(f"{t.header(c)}: as {t.header(o)}." for c, o in self.same_as.items())
        return out.strip()


def _explanation(table: Table, column: str) -> str:
    """A column's meaning, or '' when all there is to say is its header again."""
    text = table.notes.get(column) or doc(column)
    if _same_words(text, table.header(column)) or _same_words(text, name_of(column)):
        return ""
    return text


def _same_words(a: str, b: str) -> bool:
    words = lambda s: re.sub(r"[^a-z0-9]+", " ", s.lower()).split()  # noqa: E731
    return words(a) == words(b)


def _bounds_text(table: Table, column: str) -> str:
    """What the brackets of ``column`` hold, from its low bound's note ('the 95% clustered
    Wilson interval')."""
    pair = interval_of(column, [str(c) for c in table.frame.columns])
    text = (table.notes.get(pair[0]) or doc(pair[0])) if pair else ""
    for prefix in ("lower bound of the ", "lower end of the ", "lower bound of ", "lower end of "):
        if text.lower().startswith(prefix):
            return "the " + text[len(prefix):]
    return "the interval"


def printed(table: Table) -> Printed:
    """Decide what the printed forms show (see the module docstring)."""
    frame = table.frame
    columns = [str(c) for c in frame.columns]
    cells = formatted_columns(frame, table.group, table.grouped)
    bounds: dict[str, tuple[list[str], list[str]]] = {}
    dropped: set[str] = set(table.hidden)
    for column in columns:
        pair = interval_of(column, columns)
        if pair and pair[0] not in dropped:
            bounds[column] = (cells[pair[0]], cells[pair[1]])
            dropped |= set(pair)
    blocks = [b for b in table.blocks if b in columns]
    keep = [c for c in columns if c not in dropped and c not in blocks]
    constant: dict[str, str] = {}
    same_as: dict[str, str] = {}
    if len(frame) >= 3:
        for c in keep:
            values = set(cells[c])
            if len(values) == 1 and c not in table.keys and c not in bounds and c != table.group:
                constant[c] = next(iter(values))
        for i, c in enumerate(keep):
            for other in keep[:i]:
                same_raw = frame[c].astype(str).tolist() == frame[other].astype(str).tolist()
                same_text = [x.lower() for x in cells[c]] == [x.lower() for x in cells[other]]
                if (c not in constant and other not in constant and c not in table.keys
                        and (same_raw or same_text)):
                    same_as[c] = other
                    break
    keep = [c for c in keep if c not in constant and c not in same_as]
    constant = {c: v for c, v in constant.items() if v}  # an empty column just goes
    numeric = {c: _numeric(frame, c) for c in columns}
    return Printed(table, keep, cells, bounds, numeric, blocks, constant, same_as)


# --- Markdown ----------------------------------------------------------------------------

def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(frame: pd.DataFrame | Table, group: str | None = None, *, human: bool = True,
                grouped: tuple[str, ...] | None = None) -> str:
    """A GitHub-flavoured Markdown table: numbers right-aligned, human headers and labels,
    intervals in brackets beside their estimates, block headings as bold rows."""
    table = frame if isinstance(frame, Table) else Table("", "", frame, group=group,
                                                         grouped=grouped)
    view = printed(table)
    names = [_md(table.header(c) if human else c) for c in view.columns]
    align = ["---:" if view.numeric[c] else ":---" for c in view.columns]
    lines = ["| " + " | ".join(names) + " |", "| " + " | ".join(align) + " |"]
    for heading, rows in view.row_blocks():
        if heading is not None:
            lines.append("| " + " | ".join([f"**{_md(heading)}**"] + [""] * (len(names) - 1)) + " |")
        lines += ["| " + " | ".join(_md(view.cell(c, r)) for c in view.columns) + " |"
                  for r in rows]
    return "\n".join(lines) + "\n"


def markdown_document(table: Table) -> str:
    """Title, pooling sentence, the table, then the notes."""
    lead = f"**{table.title.rstrip('.')}.**"
    if table.pooled:
        lead += " " + table.pooled[:1].upper() + table.pooled[1:].rstrip(".") + "."
    return f"{lead}\n\n{to_markdown(table)}\n{printed(table).notes()}\n"


# --- LaTeX -------------------------------------------------------------------------------

def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


# Advance widths of Computer Modern Roman (cmr10, thousandths of an em) for the characters
# tables print; others take the widest lower-case letter's.
_CM = {
    **dict.fromkeys("0123456789", 500), ".": 278, ",": 278, ":": 278, ";": 278, " ": 333,
    "[": 278, "]": 278, "(": 389, ")": 389, "-": 333, "/": 500, "%": 833, "*": 500, "'": 278,
    "+": 778, "=": 778, "<": 778, ">": 778, MINUS: 778, "\u00b1": 778, "&": 778, "_": 500,
    "a": 500, "b": 556, "c": 444, "d": 556, "e": 444, "f": 306, "g": 500, "h": 556, "i": 278,
    "j": 306, "k": 528, "l": 278, "m": 833, "n": 556, "o": 500, "p": 556, "q": 528, "r": 392,
    "s": 394, "t": 389, "u": 556, "v": 528, "w": 722, "x": 528, "y": 528, "z": 444,
    "A": 750, "B": 708, "C": 722, "D": 764, "E": 681, "F": 653, "G": 785, "H": 750, "I": 361,
    "J": 514, "K": 778, "L": 625, "M": 917, "N": 750, "O": 778, "P": 681, "Q": 778, "R": 736,
    "S": 556, "T": 722, "U": 750, "V": 750, "W": 1028, "X": 750, "Y": 750, "Z": 611,
}


_OPTICAL = {10.0: 1.0, 9.0: 1.028, 8.0: 1.062, 7.0: 1.138}
"""Small sizes are set from wider optical designs: a digit is 0.500 em in cmr10, 0.514 in
cmr9, 0.531 in cmr8 and 0.569 in cmr7."""


def text_width(text: str, size_pt: float) -> float:
    """Width in points of ``text`` set in Computer Modern at ``size_pt`` (the longest line)."""
    scale = size_pt * _OPTICAL.get(size_pt, 1.0) / 1000.0
    return max((sum(_CM.get(ch, 556) for ch in line) * scale for line in text.split("\n")),
               default=0.0)


@dataclass(frozen=True, slots=True)
class Layout:
    """One way to set a table: font size command and size, column gap, intervals stacked."""

    size: str
    size_pt: float
    colsep_pt: float
    stacked: bool


LAYOUTS = (
    Layout(r"\small", 9.0, 6.0, False),
    Layout(r"\footnotesize", 8.0, 4.0, False),
    Layout(r"\footnotesize", 8.0, 4.0, True),
    Layout(r"\scriptsize", 7.0, 3.0, True),
)
"""Tried in order until a table fits FIT_PT (see the module docstring)."""


def _cell_texts(view: Printed, column: str, stacked: bool) -> list[str]:
    return [view.cell(column, r, stacked=stacked) for r in range(len(view.table.frame))]


def _fit(view: Printed, columns: list[str], layout: Layout) -> dict[str, float] | None:
    """Column widths (points) that fit FIT_PT at ``layout``; None if they cannot. A column is
    as wide as its widest cell or its header on one line; to fit, headers wrap (down to their
    longest word) and long texts wrap into paragraphs (down to TEXT_MIN_PT), as little as
    needed and the widest first."""
    natural = _natural(view, columns, layout)
    minimum = {}
    for c in columns:
        texts = _cell_texts(view, c, layout.stacked)
        widest = max((text_width(t, layout.size_pt) for t in texts), default=0.0)
        word = max((text_width(w, layout.size_pt) for w in view.table.header(c).split()),
                   default=0.0)
        minimum[c] = max(widest, word)
        if not view.numeric[c] and widest > TEXT_MIN_PT:  # a long text: may wrap
            longest = max((text_width(w, layout.size_pt) for t in texts for w in t.split()),
                          default=0.0)
            minimum[c] = min(minimum[c], max(TEXT_MIN_PT, longest, word))
    room = FIT_PT - 2 * layout.colsep_pt * len(columns)
    if sum(minimum.values()) > room:
        return None
    if sum(natural.values()) <= room:
        return natural
    # The widest level L such that clipping each column to [minimum, natural] at L fits.
    low, high = 0.0, max(natural.values())
    for _ in range(40):
        level = (low + high) / 2
        total = sum(min(natural[c], max(minimum[c], level)) for c in columns)
        low, high = (level, high) if total <= room else (low, level)
    widths = {c: min(natural[c], max(minimum[c], low)) for c in columns}
    # A wrapped header is only as wide as its longest line: give what it leaves to the texts.
    texts = [c for c in columns if not view.numeric[c] and widths[c] < natural[c] - 0.01
             and _cells_width(view, c, layout) > TEXT_MIN_PT]
    for c in columns:
        if c not in texts:
            lines = _wrapped(view.table.header(c), widths[c], layout.size_pt)
            widths[c] = max(_cells_width(view, c, layout),
                            *(text_width(x, layout.size_pt) for x in lines))
    spare = room - sum(widths.values())
    want = {c: natural[c] - widths[c] for c in texts}
    if spare > 0 and sum(want.values()) > 0:
        for c in texts:
            widths[c] += min(want[c], spare * want[c] / sum(want.values()))
    return widths


def _parts(view: Printed, layout: Layout) -> list[list[str]]:
    """The printed columns in parts that fit at ``layout``, each led by the key columns."""
    keys = [k for k in view.table.keys if k in view.columns]
    parts: list[list[str]] = []
    current: list[str] = []
    for column in (c for c in view.columns if c not in keys):
        if current and _fit(view, [*keys, *current, column], layout) is None:
            parts.append(current)
            current = []
        current.append(column)
    parts.append(current)
    return [keys + part for part in parts]


def to_latex(table: Table) -> str:
    """A booktabs table (a ``longtable`` when long) laid out to fit the page (see the module
    docstring), split into parts only when no layout fits."""
    view = printed(table)
    chosen = next(((lay, w) for lay in LAYOUTS if (w := _fit(view, view.columns, lay))), None)
    if chosen is not None:
        layout, widths = chosen
        parts = [(view.columns, widths)]
    else:
        layout = LAYOUTS[-1]
        parts = [(cols, _fit(view, cols, layout) or {}) for cols in _parts(view, layout)]
    long = len(table.frame) > LONG_ROWS
    need = "booktabs,longtable" if long else "booktabs"
    out = [f"% warnsim table {table.stem}: \\input{{}} this file; the document needs "
           f"\\usepackage{{{need}}}"]
    for i, (columns, widths) in enumerate(parts):
        label = f"tab:{table.stem}" + (f"-{i + 1}" if i else "")
        caption = table.heading if len(parts) == 1 else (
            f"{table.heading} (Part {i + 1} of {len(parts)}.)" if i == 0
            else f"{table.title.rstrip('.')} (continued: part {i + 1} of {len(parts)})."
        )
        notes = view.notes(None if len(parts) == 1 else columns)
        out += _latex_part(view, columns, widths, layout, caption=caption, label=label,
                           notes=notes, long=long)
    return "\n".join(out) + "\n"


def _latex_part(view: Printed, columns: list[str], widths: dict[str, float], layout: Layout, *,
                caption: str, label: str, notes: str, long: bool) -> list[str]:
    natural = _natural(view, columns, layout)
    wrapped = {c: widths[c] for c in columns
               if widths.get(c, natural[c]) < _cells_width(view, c, layout) - 0.01}
    spec = "".join("r" if view.numeric[c] and c not in wrapped else "l" for c in columns)
    head = " & ".join(_header_cell(c, view, widths.get(c, natural[c]), layout) for c in columns) + r" \\"
    body: list[str] = []
    ncol = len(columns)
    # Block headings wrap to the table's width (a paragraph box: only booktabs is needed).
    table_pt = sum(widths.get(c, natural[c]) for c in columns) + 2 * layout.colsep_pt * (ncol - 1)
    for heading, rows in view.row_blocks():
        if heading is not None:
            if body:
                body.append(r"\addlinespace")
            text = _paragraph(rf"\emph{{{latex_escape(heading)}}}", max(table_pt, 150.0))
            body.append(rf"\multicolumn{{{ncol}}}{{@{{}}l}}{{{text}}} \\")
        for r in rows:
            cells = [_paragraph(latex_escape(view.cell(c, r)), wrapped[c]) if c in wrapped
                     else _latex_cell(view, c, r, layout) for c in columns]
            if (wrapped or layout.stacked) and r != rows[0]:  # rows of two lines need air
                body.append(r"\addlinespace[2pt]")
            body.append(" & ".join(cells) + r" \\")
    # Below the tabular, not in the caption: LaTeX sets a caption on one line first to
    # measure it, and a long one overflows TeX's largest dimension.
    below = r"\par\smallskip{\footnotesize\raggedright " + latex_escape(notes) + r"\par}"
    cap = rf"\caption{{{latex_escape(caption)}}}\label{{{label}}}"
    sep = rf"\setlength{{\tabcolsep}}{{{layout.colsep_pt:g}pt}}"
    if long:
        return [
            r"\begingroup" + layout.size + sep, rf"\begin{{longtable}}{{{spec}}}", cap + r" \\",
            r"\toprule", head, r"\midrule", r"\endfirsthead",
            rf"\multicolumn{{{ncol}}}{{l}}{{\emph{{(continued)}}}} \\", r"\toprule", head,
            r"\midrule", r"\endhead",
            rf"\midrule \multicolumn{{{ncol}}}{{r}}{{\emph{{(continued on the next page)}}}} \\",
            r"\endfoot", r"\bottomrule", r"\endlastfoot", *body, r"\end{longtable}",
            below, r"\endgroup",
        ]
    return [
        r"\begin{table}[htbp]", r"\centering", layout.size, sep, cap,
        rf"\begin{{tabular}}{{{spec}}}", r"\toprule", head, r"\midrule", *body,
        r"\bottomrule", r"\end{tabular}", below, r"\end{table}",
    ]


def _natural(view: Printed, columns: list[str], layout: Layout) -> dict[str, float]:
    """Each column's width unwrapped: its widest cell or its header on one line."""
    out = {}
    for c in columns:
        texts = _cell_texts(view, c, layout.stacked)
        widest = max((text_width(t, layout.size_pt) for t in texts), default=0.0)
        out[c] = max(widest, text_width(view.table.header(c), layout.size_pt))
    return out


def _cells_width(view: Printed, column: str, layout: Layout) -> float:
    return max((text_width(t, layout.size_pt) for t in _cell_texts(view, column, layout.stacked)),
               default=0.0)


def _paragraph(text: str, width_pt: float) -> str:
    """Text wrapped, ragged right, in a box ``width_pt`` wide aligned on its first line."""
    return rf"\parbox[t]{{{width_pt:.0f}pt}}{{\raggedright {text}}}"


def _latex_cell(view: Printed, column: str, row: int, layout: Layout) -> str:
    text = view.cell(column, row, stacked=layout.stacked)
    if "\n" not in text:
        return latex_escape(text)
    align = "r" if view.numeric[column] else "l"
    # "\\{}" so that a line opening with "[" (an interval) is not read as \\'s optional space.
    lines = r"\\{}".join(latex_escape(x) for x in text.split("\n"))
    return rf"\begin{{tabular}}[t]{{@{{}}{align}@{{}}}}{lines}\end{{tabular}}"


def _words(text: str) -> list[str]:
    """The words of a header, a short parenthesis (a unit) counting as one."""
    return re.findall(r"\([^()]{1,24}\)|\S+", text)


def _wrapped(text: str, width: float, size_pt: float) -> list[str]:
    """``text`` in lines no wider than ``width`` points (a longer word on its own line); a
    short parenthesis, a unit such as "(per run)", is kept on one line as if one word while
    it fits the column."""
    words = _words(text)
    if any(text_width(w, size_pt) > width + 0.5 for w in words):  # a unit wider than the column
        words = text.split()
    lines: list[str] = []
    for word in words:
        if lines and text_width(f"{lines[-1]} {word}", size_pt) <= width + 0.5:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _header_cell(column: str, view: Printed, width: float, layout: Layout) -> str:
    """The header, wrapped into lines no wider than its column."""
    lines = _wrapped(view.table.header(column), width, layout.size_pt)
    if len(lines) <= 1:
        return latex_escape(lines[0] if lines else "")
    align = "r" if view.numeric[column] else "l"
    return rf"\shortstack[{align}]{{" + r"\\{}".join(latex_escape(x) for x in lines) + "}"


# --- files -------------------------------------------------------------------------------

def write_table(table: Table, directory: Path) -> list[Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex`` into ``directory`` (only the CSV for
    a table that is not ``printable``); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{table.stem}.{ext}" for ext in ("csv", "md", "tex")]
    table.frame.to_csv(paths[0], index=False, lineterminator="\n")  # floats as repr
    if not table.printable:
        remove_stale(directory, {table.stem}, ("md", "tex"))
        return paths[:1]
    paths[1].write_text(markdown_document(table), encoding="utf-8")
    paths[2].write_text(to_latex(table), encoding="utf-8")
    return paths


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
