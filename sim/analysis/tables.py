"""Write a table as CSV (full precision: each float's shortest round-trip repr, for re-use),
Markdown (for the README and terminal) and LaTeX booktabs (for papers) into ``DIR/tables/``.

The LaTeX and Markdown writers are small and local rather than ``DataFrame.to_latex`` /
``to_markdown``: those need jinja2 or tabulate and their output changes between pandas
versions, while a paper's table should be byte-identical for the same results.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import pandas as pd

_LATEX_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def format_value(value: Any, digits: int = 3) -> str:
    """Human formatting: integers as they are, reals to ``digits`` significant figures."""
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


P_FLOOR = 1e-16
"""Smaller p-values print as ``<1e-16``: below double precision's resolution near 1 the digits
(often an underflowed 0) mean nothing."""


def format_p(value: Any, digits: int = 2) -> str:
    """A p-value: ``<1e-16`` below the floor, else ``digits`` significant figures."""
    if isinstance(value, Real) and not math.isnan(float(value)) and float(value) < P_FLOOR:
        return f"<{P_FLOOR:.0e}"
    return format_value(value, digits)


def formatted_rows(frame: pd.DataFrame, digits: int = 3) -> list[list[str]]:
    """Every cell as text; columns named ``p_*`` are formatted as p-values."""
    formats = [format_p if str(c).startswith("p_") else format_value for c in frame.columns]
    return [
        [fmt(v, digits) for fmt, v in zip(formats, row, strict=True)]
        for row in frame.itertuples(index=False)
    ]


def to_markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned)."""
    cells = formatted_rows(frame, digits)
    header = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    align = ["---:" if num else ":---" for num in numeric]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def to_latex(frame: pd.DataFrame, caption: str = "", label: str = "", digits: int = 3) -> str:
    """A booktabs ``table`` environment (``\\usepackage{booktabs}``)."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    spec = "".join("r" if num else "l" for num in numeric)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [
        rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
        " & ".join(latex_escape(str(c)) for c in frame.columns) + r" \\", r"\midrule",
    ]
    for row in formatted_rows(frame, digits):
        lines.append(" & ".join(latex_escape(v) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def write_table(frame: pd.DataFrame, directory: Path, stem: str, caption: str = "") -> list[Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.tex`` into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{stem}.{ext}" for ext in ("csv", "md", "tex")]
    frame.to_csv(paths[0], index=False, lineterminator="\n")  # floats as repr: full precision
    heading = f"**{caption}**\n\n" if caption else ""
    paths[1].write_text(heading + to_markdown(frame), encoding="utf-8")
    paths[2].write_text(to_latex(frame, caption, f"tab:{stem}"), encoding="utf-8")
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
