"""What the explorer page shows, without the page: filters, the parallel-coordinates figure,
and exports. Everything here is a plain function of a loaded results folder and the page's
choices, so it is tested without a browser (``tests/test_explore.py``); the page
(:mod:`sim.explore.app`) only lays it out.

**Rows** are design points (:func:`sim.analysis.frames.point_frame`): the swept factors, the
runs behind the point and each outcome (rates pooled over the point's runs, other outcomes
averaged). A filter keeps the points whose categorical factors take the chosen levels and
whose numbers lie in the chosen ranges; the contrast and the plot tabs then use the runs of
the points kept (:meth:`Explorer.subset`), so what is drawn and what is analysed agree.

**Parallel coordinates** (Inselberg 1985, *The Visual Computer* 1:69; the EMA Workbench's
view of a sweep): one vertical axis per column, each scaled to its own range, one line per
point. Each line carries the SVG id ``row-<point_id>``, so a browser (and the browser test)
can count the rows drawn.

**Files**: exports are written into ``DIR/explore/`` only, under names the explorer makes from
what is exported (never from text typed into the page), and messages name them relative to
DIR: the page never reads or writes outside the results folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.frames import point_frame
from sim.analysis.labels import header, level_name, scenario_names
from sim.analysis.load import Results
from sim.analysis.summary import KEY_OUTCOMES
from sim.errors import UserError
from sim.outcomes import OUTCOMES

EXPORT_FOLDER = "explore"
"""Exports go to ``DIR/explore/``."""
MAX_LEVELS = 12
"""A factor with at most this many values is filtered by level; with more, by range."""
MAX_DRAWN = 1500
"""Most lines a parallel-coordinates figure draws; more points are thinned evenly (and the
figure says so): an SVG of more lines is slow in a browser and unreadable in print."""
FIGURE_FORMATS = ("png", "pdf", "svg")
LOG = logging.getLogger("warnsim.explore")


@dataclass(frozen=True, slots=True)
class Levels:
    """Keep the rows whose column takes one of ``values`` (as the page shows them)."""

    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class Range:
    """Keep the rows whose column lies in [low, high] (missing values are dropped)."""

    low: float
    high: float


Filter = Levels | Range


@dataclass(frozen=True)
class Explorer:
    """A results folder prepared for the page: its design points and which columns are
    factors (filtered by level or range) and outcomes (by range)."""

    results: Results
    points: pd.DataFrame
    factors: tuple[str, ...]
    outcomes: tuple[str, ...]
    names: Mapping[str, str]

    @classmethod
    def load(cls, results: Results) -> Explorer:
        points = point_frame(results)
        factors = tuple(p for p in dict.fromkeys(results.design.parameters)
                        if p in points and points[p].nunique(dropna=True) > 1)
        known = [o.name for o in OUTCOMES if o.name in points]
        extra = [c for c in points.columns if c not in (*factors, "point_id", "runs", *known)
                 and c not in results.design.parameters]
        outcomes = tuple(c for c in [*known, *extra]
                         if pd.api.types.is_numeric_dtype(points[c]) and points[c].notna().any())
        return cls(results, points, factors, outcomes, scenario_names(results.manifest))

    @property
    def default_outcomes(self) -> tuple[str, ...]:
        """The outcomes drawn at first: the key outcomes of ``analyze``'s printed table."""
        return tuple(o for o in KEY_OUTCOMES if o in self.outcomes)

    def is_categorical(self, column: str) -> bool:
        """Filtered by level: a factor that is text, true/false, or has at most MAX_LEVELS
        values (outcomes are always numbers, filtered by range)."""
        values = self.points[column]
        if column not in self.factors:
            return False
        return (not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
                or values.nunique(dropna=True) <= MAX_LEVELS)

    def level_text(self, value: Any) -> str:
        """A level as the page shows it: numbers as %g, true/false as yes/no, scenarios by
        their declared name (:func:`sim.analysis.labels.level_name`)."""
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float):
            return f"{value:g}"
        return level_name(value, self.names)

    def levels(self, column: str) -> list[str]:
        """The column's levels as the page shows them, in sorted order of the values."""
        values = sorted(self.points[column].dropna().unique(), key=_sort_key)
        return [self.level_text(v) for v in values]

    def value_of(self, column: str, text: str) -> Any:
        """The value of ``column`` the page shows as ``text`` (see :meth:`level_text`)."""
        for value in self.points[column].dropna().unique():
            if self.level_text(value) == text:
                return value.item() if isinstance(value, np.generic) else value
        raise UserError(f"{column} has no level {text!r}; allowed: "
                        + ", ".join(self.levels(column)))

    def bounds(self, column: str) -> tuple[float, float]:
        """The column's range, widened to four significant figures (what the page's from/to
        boxes show: every row lies inside it)."""
        values = pd.to_numeric(self.points[column], errors="coerce").dropna()
        if not len(values):
            return 0.0, 0.0
        return _rounded(float(values.min()), up=False), _rounded(float(values.max()), up=True)

    def check(self, filters: Mapping[str, Filter]) -> None:
        for column, rule in filters.items():
            if column not in self.points.columns or column in ("point_id", "runs"):
                raise UserError(f"filter: unknown column {column!r}; allowed: "
                                + ", ".join([*self.factors, *self.outcomes]))
            if isinstance(rule, Levels):
                unknown = sorted(rule.values - set(self.levels(column)))
                if unknown:
                    raise UserError(f"filter: {column} has no level {unknown[0]!r}; allowed: "
                                    + ", ".join(self.levels(column)))

    def filter(self, filters: Mapping[str, Filter]) -> pd.DataFrame:
        """The design points every filter keeps."""
        self.check(filters)
        keep = np.ones(len(self.points), dtype=bool)
        for column, rule in filters.items():
            values = self.points[column]
            if isinstance(rule, Levels):
                keep &= values.map(self.level_text).isin(rule.values).to_numpy()
            else:
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
                with np.errstate(invalid="ignore"):
                    keep &= (numbers >= rule.low) & (numbers <= rule.high)
        return self.points[keep]

    def subset(self, rows: pd.DataFrame) -> Results:
        """The results restricted to the runs of the design points in ``rows``."""
        runs = self.results.runs
        return dataclasses.replace(self.results, runs=runs[runs["point_id"].isin(rows["point_id"])])

    # --- exports -------------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        return self.results.directory / EXPORT_FOLDER

    def relative(self, path: Path) -> str:
        """A written file as the page names it: relative to the results folder."""
        return path.relative_to(self.results.directory).as_posix()

    def export_rows(self, rows: pd.DataFrame, columns: Sequence[str],
                    filters: Mapping[str, Filter]) -> Path:
        """Write the rows (``point_id``, ``runs`` and ``columns``) as CSV, named by a hash of
        the filters and columns, beside a JSON file that records them."""
        chosen = ["point_id", "runs", *[c for c in columns if c not in ("point_id", "runs")]]
        stem = "points-" + digest({"filters": describe(filters), "columns": chosen})
        self.folder.mkdir(exist_ok=True)
        path = self.folder / f"{stem}.csv"
        rows[chosen].to_csv(path, index=False, lineterminator="\n")
        (self.folder / f"{stem}.json").write_text(json.dumps(
            {"results": self.results.name, "rows": len(rows), "of": len(self.points),
             "filters": describe(filters), "columns": chosen}, indent=1) + "\n", encoding="utf-8")
        return path

    def export_figure(self, figure: Any, stem: str, fmt: str) -> Path:
        """Write ``figure`` as ``DIR/explore/STEM.FMT`` with the house style's saver."""
        from sim.analysis.plots import save

        if fmt not in FIGURE_FORMATS:
            raise UserError(f"format: got {fmt!r}; allowed: {', '.join(FIGURE_FORMATS)}")
        return save(figure, self.folder, _safe(stem), (fmt,))[0]


def describe(filters: Mapping[str, Filter]) -> dict[str, Any]:
    """Filters as plain data (for the export's record and its name)."""
    out: dict[str, Any] = {}
    for column, rule in sorted(filters.items()):
        out[column] = sorted(rule.values) if isinstance(rule, Levels) else [rule.low, rule.high]
    return out


def digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _safe(stem: str) -> str:
    """A file stem of letters, digits, ``-`` and ``_`` only (no separators, no dots)."""
    text = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in stem)
    return text.strip("-")[:120] or "figure"


def _rounded(x: float, *, up: bool, digits: int = 4) -> float:
    """``x`` rounded up or down to ``digits`` significant figures."""
    if x == 0 or not math.isfinite(x):
        return x
    scale = 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)
    steps = math.ceil(x / scale - 1e-9) if up else math.floor(x / scale + 1e-9)
    return float(f"{steps * scale:.{digits + 2}g}")


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool | np.bool_):
        return (0, bool(value))
    if isinstance(value, int | float | np.number):
        return (1, float(value))
    return (2, str(value))


def one_line(error: BaseException, directory: Path | None) -> str:
    """What the page says about ``error``: its first line, the folder as ``DIR`` and no
    other absolute path; anything but a :class:`UserError` is logged with its traceback."""
    if isinstance(error, UserError):
        text = str(error)
    else:
        LOG.error("explore: unexpected error", exc_info=error)
        text = f"unexpected error ({type(error).__name__}); the server's console has the details"
    if directory is not None:
        for form in {str(directory.resolve()), str(directory)}:
            text = text.replace(form, "DIR")
    text = re.sub(r"(?<![\w.])/(?:[\w.+-]+/)*[\w.+-]+", "<path>", text)
    return (text.splitlines() or ["error"])[0]


# --- parallel coordinates ----------------------------------------------------------------

def parallel_figure(explorer: Explorer, rows: pd.DataFrame, columns: Sequence[str],
                    colour: str | None = None):
    """One axis per column (its own scale; categorical levels evenly spaced), one line per
    row coloured by ``colour`` (a column), thinned to MAX_DRAWN lines."""
    from matplotlib.cm import ScalarMappable

    from sim.analysis.plots import TWO_COLUMNS, legend_above, new_figure, style, wrap

    columns = list(dict.fromkeys(columns))
    if len(columns) < 2:
        raise UserError("parallel coordinates: choose at least two columns")
    drawn = rows
    if len(rows) > MAX_DRAWN:
        drawn = rows.iloc[np.linspace(0, len(rows) - 1, MAX_DRAWN).round().astype(int)]
    scaled = {c: _scale(explorer, c) for c in columns}
    with style():
        fig = new_figure(TWO_COLUMNS, 3.6)
        ax = fig.add_subplot()
        x = np.arange(len(columns), dtype=float)
        colours, handles, names, bar = _colours(explorer, drawn, colour)
        for k, (_, row) in enumerate(drawn.iterrows()):
            y = [scaled[c][0](row[c]) for c in columns]
            (line,) = ax.plot(x, y, color=colours[k], linewidth=0.7, alpha=0.75)
            line.set_gid(f"row-{int(row['point_id'])}")
        for i, c in enumerate(columns):
            ax.axvline(i, color="0.3", linewidth=0.6)
            for position, text in scaled[c][1]:
                ax.text(i + 0.03, position, text, fontsize=6, va="center", ha="left",
                        color="0.15", clip_on=False)
        ax.set_xlim(-0.15, len(columns) - 0.6)
        ax.set_xticks(x, [header(c) for c in columns], fontsize=6.5)
        ax.set_ylim(-0.04, 1.04)
        ax.set_yticks([])
        ax.spines[["left", "right", "top"]].set_visible(False)
        note = (f"{len(rows)} of {len(explorer.points)} design points"
                + (f", {len(drawn)} drawn (evenly thinned)" if len(drawn) < len(rows) else "")
                + "; each axis spans its own range, from its lowest value (bottom) to its highest")
        if bar is not None:
            cmap, norm = bar
            fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=wrap(header(colour), 1.4, 7),
                         fraction=0.03, pad=0.01)
        legend_above(fig, handles, names, header(colour) if handles and colour else None, note)
        _axis_labels(fig, ax, [header(c) for c in columns])
    return fig


def _axis_labels(fig, ax, labels: list[str], fontsize: float = 6.5) -> None:
    """Wrap each axis's label to the room between two axes, measured once the layout is
    final (a colour bar narrows the axes); a unit too wide for it wraps too."""
    import textwrap

    from sim.analysis.plots import wrap

    fig.draw_without_rendering()
    step = (ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]) / fig.dpi
    room = 0.92 * step
    chars = max(8, int(room * 72 / (fontsize * 0.6)))  # as wrap() counts
    texts = []
    for label in labels:
        text = wrap(label, room, fontsize)
        if max(len(line) for line in text.splitlines()) > chars:
            text = "\n".join(textwrap.wrap(label, chars, break_long_words=False,
                                           break_on_hyphens=False))
        texts.append(text)
    ax.set_xticks(ax.get_xticks(), texts, fontsize=fontsize)


def _scale(explorer: Explorer, column: str):
    """(value -> position in [0, 1], [(position, tick text)]) for one axis."""
    values = explorer.points[column]
    if explorer.is_categorical(column):
        levels = sorted(values.dropna().unique(), key=_sort_key)
        spots = {explorer.level_text(v): (0.5 if len(levels) == 1 else i / (len(levels) - 1))
                 for i, v in enumerate(levels)}

        def place(v: Any) -> float:
            return math.nan if _missing(v) else spots.get(explorer.level_text(v), math.nan)
        return place, [(p, t) for t, p in spots.items()]
    low, high = explorer.bounds(column)
    span = high - low

    def place_number(v: Any) -> float:
        if _missing(v):
            return math.nan
        return 0.5 if span == 0 else (float(v) - low) / span
    ticks = [(0.0, f"{low:.3g}"), (1.0, f"{high:.3g}")] if span else [(0.5, f"{low:.3g}")]
    return place_number, ticks


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float | np.floating) and math.isnan(v)) or v is pd.NA


def _colours(explorer: Explorer, rows: pd.DataFrame, colour: str | None):
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    if colour is None:
        return ["C0"] * len(rows), [], [], None
    if explorer.is_categorical(colour):
        levels = sorted(explorer.points[colour].dropna().unique(), key=_sort_key)
        palette = {explorer.level_text(v): f"C{i % 8}" for i, v in enumerate(levels)}
        colours = [palette.get(explorer.level_text(v), "0.6") if not _missing(v) else "0.6"
                   for v in rows[colour]]
        handles = [Line2D([], [], color=c) for c in palette.values()]
        return colours, handles, list(palette), None
    low, high = explorer.bounds(colour)
    norm = Normalize(low, high if high > low else low + 1)
    cmap = colormaps["viridis"]
    colours = [cmap(norm(v)) if not _missing(v) else "0.6" for v in rows[colour]]
    return colours, [], [], (cmap, norm)


def svg_text(figure: Any) -> str:
    """The figure as inline SVG markup (no XML prologue), for the page."""
    from sim.analysis.plots import style

    buffer = io.StringIO()
    with style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]
