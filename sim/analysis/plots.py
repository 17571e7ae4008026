"""Publication figures from a results folder, one builder per figure.

Every builder takes the loaded :class:`~sim.analysis.load.Results` and returns
``(figure, message)``: a :class:`~matplotlib.figure.Figure`, or ``None`` and why it was skipped
when the results lack what it needs (a series that was not recorded, a parameter that was not
swept). :func:`save` writes a figure as PDF and PNG; :mod:`sim.analysis.figures` names them all. Figures are drawn on a bare ``Figure``
with the Agg canvas (no pyplot, so no global figure state and no GUI backend) under the house
style ``warnsim.mplstyle``, and saved without timestamps, so the same results give the same
bytes.

Intervals drawn are the analysis's own: pooled rates with the clustered Wilson interval,
means with the BCa bootstrap (see :mod:`sim.analysis.intervals`).

What every figure does so that it holds up beyond the demo's design:

* **Sizes**: 3.5 in (one column) or 7 in (two columns) wide, never taller than
  :data:`MAX_HEIGHT`; a figure with too many rows to fit says so and skips.
* **Text**: category ticks are thinned to at most :data:`MAX_TICKS` labels and rotated when
  long; notes and titles wrap to the figure's width; panels of one quantity share a scale;
  every marker, line style and hatch has a legend entry.
* **Sparse cells**: a rate from fewer than :data:`MIN_WARNINGS` delivered warnings, or a mean
  from fewer than :data:`MIN_RUNS` runs, is drawn as an open marker with its count beside it
  (where there is room), never joined to its neighbours by a line or band; in a heat map such
  a cell is hatched, and a cell without data is cross-hatched; the legend says which is which.
* **No silent pooling**: a swept parameter not shown on an axis, as lines or as panels is
  named in a note at the top ("pooled over ..."), and so are levels left out to keep a panel
  readable ("k of m levels shown").
* **Protocol thresholds** (:func:`protocol_cuts`): where dyads reach ``rival_threshold`` along
  a rivalry axis (from there on ``non_rivals`` agencies stop warning them), the axis gets a
  dashed line; on the swept rivalry between blocs one per bloc pair, named, at the value where
  that pair's dyads cross; between bars and cells, never through one.
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator
from scipy import stats

from sim.analysis.compare import (
    adjacent_differences,
    cells_by_band,
    cells_by_parameter,
    cells_from_warnings,
    cluster_column,
    delivered_warnings,
    rate_by_level,
)
from sim.analysis.labels import (
    difference_labels,
    header,
    level_name,
    lower,
    name_of,
    scenario_names,
)
from sim.analysis.load import DesignKind, Results
from sim.analysis.sensitivity import SENSITIVITY_OUTCOMES, prcc_table, sobol_table
from sim.analysis.summary import describe
from sim.analysis.tables import fixed, format_value, minus, significant_decimals
from sim.errors import UserError
from sim.outcomes import BANDS, BY_NAME, Kind, Outcome

STYLE = Path(__file__).with_name("warnsim.mplstyle")
F = TypeVar("F", bound=Callable[..., Any])
ONE_COLUMN, TWO_COLUMNS = 3.5, 7.0
"""Figure widths in inches (journal single and double column)."""
MAX_HEIGHT = 8.0
"""Tallest figure (inches): a journal page's text block less room for the caption."""
DPI = 300
MAX_LINES = 6
"""More lines than this in one panel are unreadable in print; a figure then thins them."""
MAX_TICKS = 8
"""Category labels on one axis before they are thinned."""
MIN_WARNINGS = 30
"""A rate from fewer delivered warnings than this is drawn open, with its count, unjoined."""
MIN_RUNS = 2
"""A mean from fewer runs than this has no interval: drawn open, with its count, unjoined."""
MIN_JOINED = 4
"""Fewer levels than this on a numeric axis are drawn as points, not joined by a line."""
MAX_BARS_NAMED = 22
"""Parameters of a sensitivity figure that each get a tick label (0.3 in a row up to
MAX_HEIGHT); beyond, labels are thinned (and a Morris screen is the better figure)."""
MAX_NAMED = 12
"""Swept parameters a pooling note names one by one; more are counted (a Morris screen)."""
HEAVY_TAIL = 5.0
"""A box-plot axis turns logarithmic beyond the typical values when the largest run exceeds
this many times the largest 95th percentile (see ``tail_scale``)."""
RIVALRY_BIN = 0.05
"""Width of the dyad-rivalry bins of the heed figure when the dyads have many values."""

THRESHOLD = "rival_threshold"
"""A dyad whose rivalry reaches this parameter counts as rivals (doctrine ``non_rivals`` stops
warning it, manipulative agencies start fabricating against it)."""
DYAD_AXES = ("dyad_rivalry", "within_bloc_rivalry")
"""Axes on which a dyad's rivalry is the axis value itself: the threshold is one line. On the
swept ``rivalry`` between blocs, a dyad's rivalry is the value times its bloc pair's factor
(``bloc_rivalry`` of the scenario), so each bloc pair reaches the threshold elsewhere."""

TRUST = "trust_in_benevolent"
"""The trust the figures show: in senders that are in fact benevolent. (Mean trust over every
dyad barely moves when the recipients' priors are right: Bayesian beliefs average to the prior;
learning shows in how trust in benevolent and in manipulative senders move apart.)"""

FIGURE_EXTENSIONS: tuple[str, ...] = ("pdf", "png")
"""What :func:`save` writes for each figure stem by default (see :data:`sim.analysis.figures.FIGURES`)."""
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")
"""Every format :func:`save` can write: raster at 300 dpi, and two vector formats."""
Drawing = tuple[Figure | None, str]
FigureResult = tuple[list[Path] | None, str]
WAIVER_COLUMNS: dict[str, str] = {
    "waived_doctrine_excludes": "doctrine excludes",
    "waived_recipient_aware": "recipient aware",
    "waived_sources_at_risk": "sources at risk",
    "waived_no_channel": "no channel",
}


# --- rendering ---------------------------------------------------------------------------

@contextmanager
def style():
    with mpl.rc_context(fname=str(STYLE)):
        yield


def styled(build: F) -> F:
    """Build a whole figure under the house style, whoever calls it: texts take their rc
    values (sizes, fonts) when made, and legends and labels are measured as they are made."""
    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return build(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def new_figure(width: float, height: float) -> Figure:
    """A bare Agg figure under the house style, at most :data:`MAX_HEIGHT` tall."""
    with style():
        fig = Figure(figsize=(width, min(height, MAX_HEIGHT)))
        FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, out_dir: Path, stem: str,
         formats: tuple[str, ...] | list[str] = FIGURE_EXTENSIONS) -> list[Path]:
    """Write ``stem.<format>`` for each of ``formats`` (PDF and SVG vector, PNG at 300 dpi,
    see :func:`write_png`) without timestamps, so the same figure gives the same bytes."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UserError(f"--format: {unknown[0]!r}; allowed: {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    metadata = {"pdf": {"CreationDate": None, "ModDate": None}, "svg": {"Date": None}}
    paths = []
    with style():
        for fmt in formats:
            path = out_dir / f"{stem}.{fmt}"
            if fmt == "png":
                write_png(fig, path)
            else:
                fig.savefig(path, format=fmt, metadata=metadata[fmt])
            paths.append(path)
    return paths


def write_png(fig: Figure, path: Path) -> None:
    """The figure at DPI as an 8-bit palette PNG: 256 colours (median cut, no dithering) hold
    every colour of a line or bar chart and its anti-aliased edges, and the file is a third of
    the 24-bit one's size (the committed figures stay small); no timestamp."""
    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    buffer.seek(0)
    with Image.open(buffer) as image:
        flat = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
        flat.save(path, format="png", optimize=True, dpi=(DPI, DPI))


# --- text --------------------------------------------------------------------------------

def wrap(text: str, width_in: float, fontsize: float = 6.5) -> str:
    """Wrap ``text`` to lines that fit ``width_in`` inches at ``fontsize`` points, never inside
    a short parenthesis (a unit such as "(death-eq. per run)" stays on one line) nor at a
    hyphen."""
    chars = max(8, int(width_in * 72 / (fontsize * 0.6)))
    # A short parenthesis (a unit) is one word; a long one (a note) wraps as usual.
    kept = re.sub(r"\([^()]{1,24}\)", lambda m: m.group(0).replace(" ", "\u00a0"), text)
    lines = textwrap.wrap(kept, chars, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace("\u00a0", " ")


def add_note(fig: Figure, text: str) -> None:
    """A small note above a figure without a legend above it (else see :func:`legend_above`)."""
    if text:
        fig.suptitle(wrap(text, fig.get_figwidth() - 0.1), x=0.01, ha="left", fontsize=6.5,
                     fontstyle="italic")


def level_text(value: object, names: dict[str, str] | None = None) -> str:
    """A factor's level on an axis or in a legend: a number with a true minus sign, a
    scenario by its name (``names``: :func:`~sim.analysis.labels.scenario_names`), an
    identifier as words, a boolean as yes or no."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return level_name(value, names)
    return minus(format_value(value))


def set_category_ticks(ax, axis: str, positions: np.ndarray, labels: list[str]) -> None:
    """Category ticks: on a y axis one label per row while the rows are a line of text apart;
    on an x axis every label when a few fit (on up to three lines), else at most MAX_TICKS
    (fewer when narrow, so that they never touch), rotated when long; thinned evenly beyond."""
    limit = MAX_TICKS
    if axis == "y":  # a label per row while rows are at least a line of text apart
        fig = ax.get_figure()
        height_pt = ax.get_position().height * fig.get_figheight() * 72
        size = mpl.rcParams["ytick.labelsize"]
        size = size if isinstance(size, float | int) else 7.0
        limit = max(MAX_TICKS, int(height_pt // (size * 1.25)))
    if axis == "x":
        fig = ax.get_figure()
        width_pt = ax.get_position().width * fig.get_figwidth() * 72 * 0.75  # room for a colour bar
        # A few categories keep every label, on up to three lines ("Relay via / liaison"):
        # a category without its name cannot be read.
        slot = int(width_pt / 0.75 / max(len(labels), 1) // 4.0) - 1
        lines = [textwrap.wrap(t, max(slot, 4), break_long_words=False) or [""] for t in labels]
        if len(labels) <= MAX_TICKS and all(len(x) <= 3 and max(map(len, x)) <= slot for x in lines):
            setter = ax.set_xticks
            setter(list(positions), ["\n".join(x) for x in lines])
            return
        longest = max((len(t) for t in labels), default=1)
        limit = max(2, min(MAX_TICKS, int(width_pt // (longest * 4.4 + 8))))
    step = max(1, -(-len(labels) // limit))
    keep = list(range(0, len(labels), step))
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter([positions[i] for i in keep], [labels[i] for i in keep])
    if axis == "x" and max((len(labels[i]) for i in keep), default=0) * len(keep) > 36:
        ax.tick_params(axis="x", labelrotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")


def legend_above(fig: Figure, handles: list, names: list[str], title: str | None, note: str = "") -> None:
    """One legend above the panels (outside the data, so it never hides a line or band).

    A pooling ``note`` goes under the legend title (or, without a legend, above the figure),
    so the two never overlap. The legend takes as many columns as fit the figure's width,
    measured on the renderer, and the note wraps until it fits too.
    """
    if not handles:
        add_note(fig, note)
        return
    names = [wrap(n, fig.get_figwidth() - 0.7, 7) for n in names]  # one entry at most a row
    renderer = fig.canvas.get_renderer()
    limit = fig.bbox.width * 0.97
    for shrink in (0.0, 0.4, 0.8, 1.2):
        text = title
        if note:
            wrapped = wrap(note, fig.get_figwidth() - 0.3 - shrink, 7)
            text = f"{title}\n{wrapped}" if title else wrapped
        for ncols in range(min(len(handles), 6), 0, -1):
            legend = fig.legend(handles, names, title=text, loc="outside upper center", ncols=ncols)
            if legend.get_window_extent(renderer).width <= limit:
                return
            legend.remove()
    fig.legend(handles, names, title=text, loc="outside upper center", ncols=1)


# --- data helpers ------------------------------------------------------------------------

def swept(results: Results) -> list[str]:
    """Swept parameters that vary among finished runs, in the design's order."""
    ok = results.ok
    return [p for p in results.design.parameters if ok[p].nunique() > 1]


def by_level(runs: pd.DataFrame, key: str, outcome: str | Outcome) -> pd.DataFrame:
    """Estimate, interval and support (delivered warnings for a rate, else runs) of
    ``outcome`` at each level of ``key``; a level with fewer than MIN_WARNINGS warnings (a
    rate) or MIN_RUNS runs is marked ``sparse``."""
    spec = BY_NAME[outcome] if isinstance(outcome, str) else outcome
    rows = []
    for level, group in runs.groupby(key, sort=True):
        row = {"level": level, **describe(group, spec)}
        if spec.kind is Kind.RATE:
            assert spec.denominator is not None
            row["support"] = float(group[spec.denominator].sum())
            row["sparse"] = row["support"] < MIN_WARNINGS
        else:
            row["support"] = float(row["n"])
            row["sparse"] = row["n"] < MIN_RUNS
        rows.append(row)
    return pd.DataFrame(rows)


def thin_levels(levels: list, limit: int) -> list:
    """At most ``limit`` of ``levels``, evenly spaced, the first and last kept."""
    if len(levels) <= limit:
        return list(levels)
    picks = np.linspace(0, len(levels) - 1, limit).round().astype(int)
    return [levels[i] for i in sorted(set(picks))]


def hue_groups(runs: pd.DataFrame, hue: str | None,
               names: dict[str, str] | None = None) -> list[tuple[str | None, pd.DataFrame]]:
    """Runs split by the levels of ``hue`` (at most MAX_LINES, evenly thinned), or all runs;
    each level as :func:`level_text` shows it."""
    if hue is None:
        return [(None, runs)]
    levels = thin_levels(sorted(runs[hue].unique()), MAX_LINES)
    return [(level_text(lv, names), runs[runs[hue] == lv]) for lv in levels]


def panel_grid(panels: int, max_columns: int = 4) -> tuple[int, int]:
    """Rows and columns for ``panels`` panels: the fewest empty slots, then the fewest rows
    (4 panels are 2 x 2, not 3 + 1 with an empty slot)."""
    if panels <= 3:
        return 1, max(panels, 1)
    best = min(range(2, max_columns + 1),
               key=lambda c: ((-panels) % c, -(-panels // c), -c))
    return -(-panels // best), best


def finish_panels(fig: Figure, axes: np.ndarray, panels: int, ncols: int, *, xlabel: str,
                  ylabel: str) -> None:
    """Remove the empty slots of a panel grid; label the x axis under the lowest panel of
    each column (with its tick labels) and the y axis left of each row."""
    for ax in axes[panels:]:
        fig.delaxes(ax)
    for i, ax in enumerate(axes[:panels]):
        if i + ncols >= panels:  # no panel below
            ax.set_xlabel(xlabel)
            ax.xaxis.set_tick_params(labelbottom=True)
        if i % ncols == 0:
            ax.set_ylabel(ylabel)


def pooling_note(results: Results, hidden: list[str], hue: str | None = None) -> str:
    """What a figure pools over (swept parameters it does not show) and which ``hue`` levels
    it leaves out; empty when it shows everything. A sampled design is named as a whole."""
    runs = results.ok
    parts = []
    if hidden and results.scattered:
        # A screening design may sweep dozens of parameters: name them only while they fit.
        names = (", ".join(lower(p) for p in hidden) if len(hidden) <= MAX_NAMED
                 else f"{len(hidden)} parameters (listed in manifest.json)")
        parts.append(f"pooled over the {runs['point_id'].nunique()} points of the "
                     f"{results.design.kind.value} design: {names}")
    elif hidden:
        parts.append("pooled over " + ", ".join(
            f"{lower(p)} ({runs[p].nunique()} levels)" for p in hidden
        ))
    if hue is not None and runs[hue].nunique() > MAX_LINES:
        shown = len(hue_groups(runs, hue))
        parts.append(f"{shown} of {runs[hue].nunique()} {lower(hue)} levels shown")
    return "; ".join(parts)


NAMED_POINTS = 3
"""A points design varying more factors than this names its points by what differs."""


def point_labels(results: Results) -> pd.Series:
    """Compact label of each design point, indexed by point_id: its swept values joined
    ('0.3 / warn all'), or, for a points design varying more than NAMED_POINTS factors, how
    it differs from the reference ('fabrication rate 0'; see
    :func:`~sim.analysis.labels.difference_labels`)."""
    params = swept(results)
    points = results.ok.groupby("point_id", sort=True)[params].first()
    if results.design.kind is DesignKind.POINTS and len(params) > NAMED_POINTS:
        return pd.Series(difference_labels(points)[0]).reindex(points.index)
    names = scenario_names(results.manifest)
    return points.apply(lambda row: " / ".join(level_text(v, names) for v in row), axis=1)


def points_named(results: Results) -> bool:
    return results.design.kind is DesignKind.POINTS and len(swept(results)) > NAMED_POINTS


def sample_skip(results: Results) -> str | None:
    if results.design.kind.is_sample:
        figure = "morris" if results.design.kind is DesignKind.MORRIS else "sensitivity"
        return f"{results.design.kind.value} design: see the {figure} figure instead"
    if results.scattered:
        return ("design points scattered over the parameter space (no levels to draw): see "
                "`warnsim discover` for the conditions behind an outcome")
    return None


def trajectory_skip(results: Results) -> str | None:
    """Morris trajectories are not a sample of the parameter space (each is a walk from one
    point, so neighbouring points share all but one value): pooled over them, an outcome's
    relation to one parameter mixes in the others. Only the elementary effects are valid."""
    if results.design.kind is DesignKind.MORRIS:
        return "morris design: pooling over trajectories confounds the parameters; see the morris figure"
    return None


def protocol_cuts(results: Results, axis: str) -> list[tuple[float, str]]:
    """Where along ``axis`` dyads reach the rival threshold, with a short label: the threshold
    itself on a dyad-rivalry axis; on the swept rivalry between blocs, the value at which
    each bloc pair's dyads reach it (``rival_threshold / factor``, within the axis's range).
    Empty when the threshold, the scenario or its bloc factors differ between runs."""
    runs = results.ok
    if THRESHOLD not in runs or runs[THRESHOLD].nunique() != 1:
        return []
    threshold = float(runs[THRESHOLD].iloc[0])
    if axis in DYAD_AXES:
        return [(threshold, "")]
    if axis != "rivalry" or "scenario" not in runs or runs["scenario"].nunique() != 1:
        return []
    scenario = scenario_of(results, str(runs["scenario"].iloc[0]))
    changes = [c for c in runs.columns if c.startswith("bloc_rivalry.")]
    if scenario is None or any(runs[c].nunique() > 1 for c in changes):
        return []
    factors = dict(scenario.bloc_factors)
    for column in changes:
        a, _, b = column.removeprefix("bloc_rivalry.").partition(":")
        factors[(a, b)] = factors[(b, a)] = float(runs[column].iloc[0])
    blocs = sorted({a.bloc for a in scenario.agencies})
    top = float(runs[axis].max())
    cuts: dict[float, list[str]] = {}
    for i, a in enumerate(blocs):
        for b in blocs[i + 1:]:
            f = factors.get((a, b), 1.0)
            if f > 0 and threshold / f <= top + 1e-9:
                cuts.setdefault(round(threshold / f, 6), []).append(f"{a}\u2013{b}")
    return [(value, ", ".join(pairs)) for value, pairs in sorted(cuts.items())]


def scenario_of(results: Results, label: str):
    """The scenario a sweep ran, from the text its manifest keeps (or the built-in), without
    the model: its blocs and bloc-pair factors place the rival threshold on a rivalry axis."""
    from sim.scenarios import load_scenario, parse_scenario

    for entry in results.manifest.get("scenarios") or ():
        if entry.get("scenario") == label and entry.get("text"):
            try:
                return parse_scenario(entry["text"], origin=label)
            except UserError:
                return None
    try:
        return load_scenario(label)
    except UserError:
        return None


def cut_handle() -> Line2D:
    return Line2D([], [], color="0.35", linestyle="--", linewidth=0.8)


def cut_text(results: Results, cuts: list[tuple[float, str]]) -> str:
    """The legend entry for the threshold lines, naming each bloc pair's line in axis order
    ('rival threshold 0.5, reached by A-B at 0.38, B-C at 0.62')."""
    threshold = format_value(float(results.ok[THRESHOLD].iloc[0]))
    named = [(v, p) for v, p in cuts if p]
    if not named:
        return f"rival threshold ({threshold})"
    where = ", ".join(f"{p} at {format_value(v, 2)}" for v, p in named)
    return f"rival threshold {threshold}, reached by {where}"


def mark_cut(ax, results: Results, axis: str, *, between: np.ndarray | None = None,
             vertical: bool = True) -> list[tuple[Any, str]]:
    """Dashed lines where dyads reach the rival threshold along ``axis`` (see
    :func:`protocol_cuts`); the legend entry, which names the bloc pair of each line in
    order (labels on the plot would collide with panel titles and bars).

    ``between``: the levels of a categorical axis (bars, heat-map cells) at positions 0, 1...;
    a line then runs between the last level below the threshold and the first at or above it
    (a dyad *reaching* the threshold is a rival), never through a bar."""
    cuts = protocol_cuts(results, axis)
    drawn = []
    for value, pairs in cuts:
        at = value
        if between is not None:
            index = int(np.searchsorted(np.asarray(between, float), value - 1e-9, side="left"))
            if index in (0, len(between)):
                continue  # every level on one side: no line between bars
            at = index - 0.5
        (ax.axvline if vertical else ax.axhline)(at, color="0.35", linestyle="--",
                                                 linewidth=0.8, zorder=1.5)
        drawn.append((value, pairs))
    return [(cut_handle(), cut_text(results, drawn))] if drawn else []


# --- series with sparse points ------------------------------------------------------------

SPARSE_TEXT = {
    "rate": f"open: < {MIN_WARNINGS} warnings",
    "mean": f"open: < {MIN_RUNS} runs",
}


@dataclass
class Counts:
    """Count labels waiting to be placed once the figure's layout is final."""

    ax: Any
    xs: np.ndarray
    ys: np.ndarray
    texts: list[str]
    color: str


def draw_series(ax, x: np.ndarray, table: pd.DataFrame, name: str | None, *, joined: bool = True,
                offset: float = 0.0, color: str | None = None,
                pending: list[Counts] | None = None) -> tuple[Any, bool]:
    """Estimates with intervals; sparse points open, with their count, never joined.

    ``joined``: a numeric axis gets a line and a band through consecutive non-sparse points;
    a categorical one points with error bars only (a line would invent values between
    categories). Sparse points' counts are added to ``pending`` (see :func:`place_counts`).
    Returns the line's handle for the legend and whether any point was sparse.
    """
    y, low, high = (table[c].to_numpy(float) for c in ("mean", "low", "high"))
    sparse = table["sparse"].to_numpy(bool) & np.isfinite(y) if "sparse" in table else np.zeros(len(y), bool)
    color = color or ax._get_lines.get_next_color()
    solid = np.where(sparse, np.nan, y)
    xs = x + offset
    if joined:
        (handle,) = ax.plot(xs, solid, marker="o", color=color, label=name, gid="data-line")
        ax.fill_between(xs, np.where(sparse, np.nan, low), np.where(sparse, np.nan, high),
                        color=color, alpha=0.25, linewidth=0)
    else:
        # a bootstrap interval of a few runs may not contain its estimate: no negative bar
        err = np.clip(np.nan_to_num(np.vstack([solid - low, high - solid]), nan=0.0), 0, None)
        handle = ax.errorbar(xs, solid, yerr=err, fmt="o", color=color, capsize=2, label=name)
    if sparse.any():
        ax.plot(xs[sparse], y[sparse], linestyle="none", marker="o", markerfacecolor="white",
                markeredgecolor=color, gid="sparse", zorder=3)
        if pending is not None:
            counts = table["support"].to_numpy(float)[sparse]
            pending.append(Counts(ax, xs[sparse], y[sparse], [f"{c:.0f}" for c in counts], color))
    return handle, bool(sparse.any())


def place_counts(fig: Figure, pending: list[Counts]) -> None:
    """Small count labels beside sparse points, once the layout is final, leaving out any
    that would overlap another text (so a crowded panel loses labels, never legibility)."""
    if not pending:
        return
    fig.canvas.draw()  # final layout: positions no longer move
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in visible_texts(fig)]
    for group in pending:
        for x, y, text in zip(group.xs, group.ys, group.texts, strict=True):
            label = group.ax.annotate(text, (x, y), xytext=(3, 2), textcoords="offset points",
                                      fontsize=5, color=group.color, annotation_clip=True)
            label.set_in_layout(False)
            box = label.get_window_extent(renderer).padded(1)
            if any(box.overlaps(other) for other in taken) or not fig.bbox.contains(box.x1, box.y1):
                label.remove()
            else:
                taken.append(box)


def visible_texts(fig: Figure) -> list:
    """Texts the figure draws: tick labels inside the view, labels, titles, legends."""
    out = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            out += [t.label1 for t in axis.get_major_ticks() if low <= t.get_loc() <= high]
            out += [axis.label]
        out += [ax.title, *ax.texts]
    out += [t for legend in fig.legends for t in [*legend.get_texts(), legend.get_title()]]
    out += fig.texts
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def sparse_handle(kind: str) -> tuple[Any, str]:
    handle = Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                    markeredgecolor="0.3")
    return handle, SPARSE_TEXT[kind]


# --- figures -----------------------------------------------------------------------------

def heed_levels(results: Results, dyad: bool = False) -> tuple[str, pd.DataFrame, str] | None:
    """Heed counts per (cluster, run, x level) and the x axis.

    The x axis is the swept ``rivalry`` parameter when a grid sweeps it (the quantity an
    experiment's question and its tables are about), unless ``dyad``: then, and when rivalry
    is not swept, each delivered warning's dyad rivalry when it was judged (binned when the
    dyads take many values), from the warning log; without a log, the dyad's rivalry band from
    the run counts."""
    runs = results.ok
    cluster = cluster_column(results.design.kind)
    # A sampled rivalry takes a value per point, not levels: the dyads' rivalry says more.
    if not dyad and "rivalry" in swept(results) and not results.scattered:
        return "rivalry", runs.assign(cluster=runs[cluster]), header("rivalry")
    try:
        log = delivered_warnings(results)
    except UserError:
        log = None
    if log is not None and len(log):
        rivalry = log["rivalry"].astype(float).clip(0, 1)
        if rivalry.round(6).nunique() > 21:
            level = (np.minimum(rivalry // RIVALRY_BIN, 1 / RIVALRY_BIN - 1) + 0.5) * RIVALRY_BIN
            xlabel = f"Dyad rivalry (0-1, in bins of {RIVALRY_BIN:g})"
        else:
            level = rivalry.round(6)
            xlabel = "Dyad rivalry (0-1)"
        frame = log.assign(x_level=level.to_numpy())
        return "dyad_rivalry", frame, xlabel
    if all(f"delivered_{b}_rivalry" in runs for b in BANDS):
        return "band", runs, "Rivalry band of the dyad"
    return None


@styled
def heed_vs_rivalry(results: Results) -> Drawing:
    """Pooled heed rate against the swept rivalry between blocs (the experiment's factor,
    which the tables and the README's numbers refer to), one line per level of another swept
    factor, with the paired change from one rivalry level to the next below it. Without a
    swept rivalry, against each delivered warning's dyad rivalry (see
    :func:`heed_vs_dyad_rivalry`).

    The lower panel shows the differences between neighbouring levels, paired by replication
    (common random numbers): intervals far too narrow to see on the rate scale are visible
    there.
    """
    return _heed_figure(results, dyad=False)


@styled
def heed_vs_dyad_rivalry(results: Results) -> Drawing:
    """Pooled heed rate against the rivalry of the dyad when the recipient judged each
    warning, from the warning log: warnings between agencies of one bloc sit at their own
    (low) rivalry instead of being pooled into every level of the swept between-bloc rivalry.
    Drawn when a grid sweeps rivalry (otherwise :func:`heed_vs_rivalry` is this figure)."""
    if "rivalry" not in swept(results) or results.scattered:
        return None, "rivalry is not swept on a grid: heed_vs_rivalry shows the dyads' rivalry"
    if results.warnings is None:
        return None, "no warning log (record_warnings = false)"
    return _heed_figure(results, dyad=True)


def _heed_figure(results: Results, dyad: bool) -> Drawing:
    if skip := trajectory_skip(results):
        return None, skip
    found = heed_levels(results, dyad)
    if found is None:
        return None, "no warning log, rivalry not swept and no per-band heed counts"
    axis, data, xlabel = found
    params = [p for p in swept(results) if not (axis == "rivalry" and p == "rivalry")]
    cluster = cluster_column(results.design.kind)
    if results.scattered:
        hue, hidden = None, params
    else:
        hue = next((p for p in params if p != "rivalry"), None)
        hidden = [p for p in params if p not in (hue, "rivalry")]
    groups = []
    for name, part in hue_groups(data, hue, scenario_names(results.manifest)):
        if axis == "dyad_rivalry":
            cells = cells_from_warnings(part, part["x_level"], cluster)
        elif axis == "rivalry":
            cells = cells_by_parameter(part, "rivalry", cluster=cluster)
        else:
            cells = cells_by_band(part, cluster=cluster)
        if len(cells):
            table = rate_by_level(cells).rename(columns={"rate": "mean", "trials": "support"})
            table["sparse"] = table["support"] < MIN_WARNINGS
            groups.append((name, cells, table))
    if not groups:
        return None, "no delivered warnings: no heed rate to plot"
    note = pooling_note(results, hidden, hue)
    categorical = axis == "band"
    fig = new_figure(ONE_COLUMN, 4.3)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2.0, 1.1))
    handles, names, any_sparse = [], [], False
    pending: list[Counts] = []
    levels = sorted({lv for _, _, t in groups for lv in t["level"]})
    # A line between few, far-apart levels (within-bloc 0.1 and cross-bloc 0.7) would invent
    # the rates between them, across the rival threshold: points only, side by side.
    joined = not categorical and len(levels) >= MIN_JOINED
    dodge = 0.08 if categorical else 0.012 * max(levels[-1] - levels[0], 0.5)
    for i, (name, cells, table) in enumerate(groups):
        color = f"C{i}"
        shift = 0.0 if joined else dodge * (i - (len(groups) - 1) / 2)
        handle, sparse = draw_series(top, table["level"].to_numpy(float), table, name,
                                     joined=joined, offset=shift, color=color,
                                     pending=pending)
        any_sparse |= sparse
        if name is not None:
            handles.append(handle)
            names.append(name)
        diffs = adjacent_differences(cells)
        sparse_levels = set(table.loc[table["sparse"], "level"])
        if len(diffs):
            diffs = diffs[~diffs["level_a"].isin(sparse_levels) & ~diffs["level_b"].isin(sparse_levels)]
        if len(diffs):
            mid = (diffs["level_a"].to_numpy(float) + diffs["level_b"].to_numpy(float)) / 2
            err = np.nan_to_num(np.vstack([diffs["difference"] - diffs["diff_low"],
                                           diffs["diff_high"] - diffs["difference"]]), nan=0.0)
            bottom.errorbar(mid + shift, diffs["difference"], yerr=err, fmt="o", markersize=2.5,
                            color=color, capsize=1.5, elinewidth=0.8)
    bottom.axhline(0, color="black", linewidth=0.5)
    top.set(ylabel="Heed rate (share)", ylim=(0, 1))
    bottom.set(xlabel=xlabel, ylabel="Change from the\nlevel before")
    fig.align_ylabels([top, bottom])
    if categorical:
        set_category_ticks(bottom, "x", np.arange(len(BANDS), dtype=float), list(BANDS))
        bottom.set_xlim(-0.5, len(BANDS) - 0.5)
    if categorical:
        extra = []
    else:
        extra = mark_cut(top, results, axis)
        mark_cut(bottom, results, axis)  # the same lines below; one legend entry
    if any_sparse:
        extra.append(sparse_handle("rate"))
    for handle, text in extra:
        handles.append(handle)
        names.append(text)
    legend_above(fig, handles, names, header(hue) if hue else None, note)
    place_counts(fig, pending)
    message = f"heed rate against {xlabel[:1].lower() + xlabel[1:]}" + (f" ({note})" if note else "")
    return fig, message


@styled
def outcomes_vs_parameter(results: Results) -> Drawing:
    """Heed rate, end-of-run trust and casualties against the first swept parameter, one line
    per level of the second: the cry-wolf, channel and doctrine comparisons in one panel row."""
    if skip := sample_skip(results):
        return None, skip
    params = swept(results)
    if not params:
        return None, "no swept parameter varies"
    x, hue = params[0], (params[1] if len(params) > 1 else None)
    outcomes = [o for o in ("heed_rate", TRUST, "net_harm") if o in results.ok]
    scenarios = scenario_names(results.manifest)
    groups = hue_groups(results.ok, hue, scenarios)
    note = pooling_note(results, params[2:], hue)
    numeric = pd.api.types.is_numeric_dtype(results.ok[x])
    fig = new_figure(TWO_COLUMNS, 2.5)
    axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
    handles: list = []
    names: list[str] = []
    sparse_kinds: set[str] = set()
    pending: list[Counts] = []
    for ax, outcome in zip(axes, outcomes, strict=True):
        for i, (name, g) in enumerate(groups):
            table = by_level(g, x, outcome)
            if numeric:
                xs, ticks = table["level"].to_numpy(float), None
            else:
                xs = np.arange(len(table), dtype=float)
                ticks = [level_text(v, scenarios) for v in table["level"]]
            shift = 0 if numeric else 0.1 * (i - (len(groups) - 1) / 2)
            handle, sparse = draw_series(ax, xs, table, name, joined=numeric, offset=shift,
                                         color=f"C{i}", pending=pending)
            if sparse:
                sparse_kinds.add("rate" if BY_NAME[outcome].kind is Kind.RATE else "mean")
            if ax is axes[0] and name is not None:
                handles.append(handle)
                names.append(name)
            if ticks is not None:
                set_category_ticks(ax, "x", xs, ticks)
        ax.set(xlabel=header(x), ylabel=wrap(header(outcome), 1.6, 8.0))
        if BY_NAME[outcome].kind in (Kind.RATE, Kind.MEAN):
            ax.set_ylim(0, 1)
        cut = mark_cut(ax, results, x) if numeric else []
    for handle, text in cut + [sparse_handle(k) for k in sorted(sparse_kinds)]:
        handles.append(handle)
        names.append(text)
    legend_above(fig, handles, names, header(hue) if hue else None, note)
    place_counts(fig, pending)
    return fig, f"outcomes against {x}" + (f" ({note})" if note else "")


@styled
def heatmap(results: Results, outcome: str = "heed_rate") -> Drawing:
    """``outcome`` over the first two swept parameters (pooled rates, run means otherwise).

    A cell from fewer than MIN_WARNINGS warnings (rates) is hatched; a cell without any is
    cross-hatched and left without colour. Ticks are thinned on dense grids and the values
    are written in the cells only when the grid is small enough to read them.
    """
    if skip := sample_skip(results):
        return None, skip
    params = swept(results)
    if len(params) < 2:
        return None, "a heat map needs two swept parameters"
    if outcome not in results.ok:
        return None, f"the runs have no {outcome!r}"
    px, py = params[0], params[1]
    spec = BY_NAME[outcome]
    rows = []
    for (vx, vy), g in results.ok.groupby([px, py], sort=True):
        support = float(g[spec.denominator].sum()) if spec.kind is Kind.RATE and spec.denominator else len(g)
        rows.append({px: vx, py: vy, "value": describe(g, spec)["mean"], "support": support})
    cells = pd.DataFrame(rows)
    grid = cells.pivot(index=py, columns=px, values="value")
    support = cells.pivot(index=py, columns=px, values="support").reindex_like(grid)
    values = grid.to_numpy(float)
    limit = MIN_WARNINGS if spec.kind is Kind.RATE else MIN_RUNS
    sparse = np.isfinite(values) & (support.to_numpy(float) < limit)
    empty = ~np.isfinite(values)
    note = pooling_note(results, params[2:])
    fig = new_figure(ONE_COLUMN, 3.2)
    ax = fig.add_subplot()
    # The colour range is the data's, not [0, 1]: differences between cells are the point,
    # and the colour bar gives the absolute level.
    image = ax.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto")
    for (row, col), flag in np.ndenumerate(empty | sparse):
        if flag:
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, linewidth=0,
                                   hatch="xxxx" if empty[row, col] else "////", edgecolor="0.45"))
    names = scenario_names(results.manifest)
    set_category_ticks(ax, "x", np.arange(grid.shape[1], dtype=float),
                       [level_text(v, names) for v in grid.columns])
    set_category_ticks(ax, "y", np.arange(grid.shape[0], dtype=float),
                       [level_text(v, names) for v in grid.index])
    if grid.shape[1] <= 6 and grid.shape[0] <= 8:
        annotate(ax, image, values)
    ax.set(xlabel=header(px), ylabel=header(py))
    fig.colorbar(image, ax=ax, label=header(outcome))
    handles: list = []
    names: list[str] = []
    if pd.api.types.is_numeric_dtype(grid.columns):  # between the columns of cells
        for handle, text in mark_cut(ax, results, px, between=grid.columns.to_numpy(float)):
            handles.append(handle)
            names.append(text)
    unit = "warnings" if spec.kind is Kind.RATE else "runs"
    if sparse.any():
        handles.append(Patch(fill=False, hatch="////", edgecolor="0.45", linewidth=0))
        names.append(f"< {limit} {unit}")
    if empty.any():
        handles.append(Patch(fill=False, hatch="xxxx", edgecolor="0.45", linewidth=0))
        names.append(f"no {unit}" if spec.kind is Kind.RATE else "no value")
    legend_above(fig, handles, names, None, note)
    return fig, f"{outcome} over {px} x {py}" + (f" ({note})" if note else "")


def annotate(ax, image, values: np.ndarray) -> None:
    """Write each cell's value, all to one precision, in a colour that contrasts with the cell."""
    decimals = significant_decimals(values.ravel())
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            r, g, b, _ = image.cmap(image.norm(value))
            colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(col, row, fixed(float(value), decimals), ha="center", va="center",
                    color=colour, fontsize=6)


MAX_BOXES = 30
"""Design points in one distribution figure (0.2 in per box keeps it within MAX_HEIGHT)."""


@styled
def outcome_distributions(results: Results) -> Drawing:
    """Deaths and net harm per run at each design point, as box plots (median, IQR, 5-95%
    whiskers, mean marked): heavy-tailed lethality makes means alone misleading, and makes the
    axis logarithmic beyond the typical values when one run dwarfs the rest."""
    if skip := sample_skip(results):
        return None, skip
    labels = point_labels(results).map(lambda t: "\n".join(textwrap.wrap(t, 40)) or t)
    if len(labels) > MAX_BOXES:
        return None, f"{len(labels)} design points: more than {MAX_BOXES} for one distribution figure"
    extra_lines = sum(t.count("\n") for t in labels)
    runs = results.ok
    groups = [runs.loc[runs["point_id"] == pid] for pid in labels.index]
    fig = new_figure(TWO_COLUMNS, 1.3 + 0.2 * len(labels) + 0.12 * extra_lines)
    axes = fig.subplots(1, 2, sharey=True)
    mean_style = {"marker": "D", "markersize": 2.5, "markerfacecolor": "C2", "markeredgecolor": "C2"}
    for ax, outcome in zip(axes, ("casualties", "net_harm"), strict=True):
        values = [g[outcome].astype(float).to_numpy() for g in groups]
        ax.boxplot(
            values, orientation="horizontal",
            whis=(5, 95), showmeans=True, flierprops={"markersize": 1.2, "alpha": 0.4},
            meanprops=mean_style, medianprops={"color": "C1"},
        )
        if (scale := tail_scale(values)) is not None:
            # One run with a mass-casualty attack would squash every box into the first
            # tick: linear up to the typical values, logarithmic beyond.
            linear, top = scale
            ax.set_xscale("symlog", linthresh=linear, linscale=2.0)
            major, minor, end = log_ticks(linear, top)
            ax.xaxis.set_major_locator(FixedLocator(sorted({0.0, linear / 2, linear, *major})))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
            ax.xaxis.set_minor_locator(FixedLocator(minor))
            ax.set_xlim(right=end)  # past every run, with a labelled tick above ``linear``
            ax.set_xlabel(f"{header(outcome)}\n(log scale above {linear:,.0f})")
        else:
            ax.set_xlabel(header(outcome))
            # Each panel is half a page beside the point labels: a small range (a few deaths a
            # run) would get nine crowded ticks from the default locator.
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    set_category_ticks(axes[0], "y", np.arange(1, len(labels) + 1, dtype=float), list(labels))
    order = " / ".join(name_of(p) for p in swept(results))
    # The label runs along the panel's height: more than two names outgrow a short figure.
    long_order = len(swept(results)) > 2
    if not long_order:
        axes[0].set_ylabel(order)
    handles = [
        Patch(facecolor="white", edgecolor="black", linewidth=0.8),
        Line2D([], [], color="C1"),
        Line2D([], [], linestyle="none", **mean_style),
        Line2D([], [], color="black", marker="|", markersize=5),
        Line2D([], [], linestyle="none", marker="o", markersize=1.5, color="black", alpha=0.6),
    ]
    names = ["interquartile range", "median", "mean", "whiskers: 5th-95th percentile", "runs beyond"]
    if points_named(results):
        note = ("design points named by how they differ from the reference, "
                + difference_labels(results.ok.groupby("point_id")[swept(results)].first())[1])
    else:
        note = f"design points: {order}" if long_order else ""
    legend_above(fig, handles, names, None, note)
    return fig, "deaths and net harm by point"


def log_ticks(linear: float, top: float) -> tuple[list[float], list[float], float]:
    """Ticks of the logarithmic part of an axis that runs from ``linear`` to the first 1-2-5
    value at or above ``top`` (its end): labelled ticks at the powers of ten times ``linear``
    up to the end (so at least one lies above ``linear``), and at the end itself unless it
    is within a factor 2.5 of the last of them (the labels would touch); unlabelled ticks at
    2-9 times each power of ten, to read values between them."""
    steps = [linear * m * 10.0**k for k in range(0, 12) for m in (1, 2, 5)]
    end = next(v for v in steps if v >= top)
    major = [linear * 10.0**k for k in range(0, 12) if linear * 10.0**k <= end * (1 + 1e-9)]
    if len(major) == 1 or end / major[-1] >= 2.5:
        major = sorted({*major, end})
    minor = [d * m for d in major for m in range(2, 10) if d * m < end * (1 + 1e-9)]
    return major, minor, end


def tail_scale(groups: list[np.ndarray]) -> tuple[float, float] | None:
    """For values with a heavy tail, ``(linear, top)``: the power of ten at or above the
    largest group's 95th percentile, up to which an axis stays linear, and the largest value;
    ``None`` unless the largest value exceeds HEAVY_TAIL times every group's 95th percentile
    (attack deaths follow a power law, so one run can hold more deaths than a hundred others)."""
    finite = [v[np.isfinite(v)] for v in groups]
    finite = [v for v in finite if len(v)]
    if not finite:
        return None
    top = max(float(v.max()) for v in finite)
    typical = max(float(np.percentile(v, 95)) for v in finite)
    if top <= HEAVY_TAIL * max(typical, 1e-9):
        return None
    return float(10 ** np.ceil(np.log10(max(1.0, typical)))), top


@styled
def trust_trajectories(results: Results) -> Drawing:
    """Trust in benevolent senders over time: the mean over runs with its 95% interval.

    The band is the interval of the mean (t interval over runs, day by day), not the spread
    between runs: the lines are to be compared, and the run-to-run spread (an inter-quartile
    band) is so wide that the bands of every line cover each other.

    Up to MAX_LINES design points: one line per point in one panel. More points: one line per
    level of the first swept parameter and one panel per level of the second (at most
    MAX_LINES of each, evenly thinned; 4 panels are 2 x 2), so no swept parameter is pooled
    unseen; parameters beyond the second are pooled and named in a note, as are thinned levels.
    """
    series = results.series
    if series is None or series.empty or TRUST not in series:
        return None, "no timeseries.parquet (set record_series = true in the experiment)"
    params = swept(results)
    labels = point_labels(results)
    names = scenario_names(results.manifest)
    runs = results.ok[["run_id", "point_id", *params]]
    data = series.merge(runs, on="run_id", how="inner")
    if len(labels) <= MAX_LINES:
        data["line"] = data["point_id"].map(labels)
        title = header(params[0]) if len(params) == 1 else " / ".join(name_of(p) for p in params)
        panels: list[tuple[str | None, pd.DataFrame]] = [(None, data)]
        note = ""
    else:
        hue, facet = params[0], (params[1] if len(params) > 1 else None)
        note = pooling_note(results, params[2:], hue)
        if facet is not None:
            extra = pooling_note(results, [], facet)
            note = "; ".join(t for t in (note, extra) if t)
        panels = [
            (None if facet is None else f"{name_of(facet)}: {name}",
             pd.concat([g.assign(line=n) for n, g in hue_groups(part, hue, names)]))
            for name, part in hue_groups(data, facet, names)
        ]
        title = header(hue)
    nrows, ncols = panel_grid(len(panels), max_columns=3)
    width = ONE_COLUMN if len(panels) == 1 else TWO_COLUMNS
    height = 3.0 if len(panels) == 1 else 0.9 + 1.9 * nrows
    fig = new_figure(width, height)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, (panel, part) in zip(axes, panels, strict=False):
        for i, (name, g) in enumerate(part.groupby("line", sort=False)):
            day = g.groupby("day")[TRUST]
            mean, sd, n = day.mean(), day.std(ddof=1), day.count()
            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            ax.plot(mean.index, mean, label=name, color=f"C{i}")
            ax.fill_between(mean.index, mean - half, mean + half, color=f"C{i}", alpha=0.25,
                            linewidth=0)
        if panel is not None:
            ax.set_title(panel)
    # Autoscaled (not [0, 1]): trust moves by a few hundredths a year, which is the finding.
    finish_panels(fig, axes, len(panels), ncols, xlabel="Day", ylabel=wrap(header(TRUST), 2.0, 8))
    handles, names = axes[0].get_legend_handles_labels()
    handles.append(Patch(color="0.6", alpha=0.4, linewidth=0))
    names.append("band: 95% interval of the mean over runs")
    legend_above(fig, handles, names, title if params else None, note)
    message = "trust over time" + (f" ({note})" if note else "")
    return fig, message


MAX_BARS = 12
"""Levels drawn as stacked bars; a numeric factor with more levels gets stacked areas."""


@styled
def waiver_reasons(results: Results) -> Drawing:
    """Mean waived warnings per run by reason, stacked, against the first swept parameter
    (bars for a few levels, areas for many), one panel per level of the second when it has
    at most four; all runs together for sampled designs."""
    if skip := trajectory_skip(results):
        return None, skip
    columns = [c for c in WAIVER_COLUMNS if c in results.ok]
    runs = results.ok
    if not columns or runs[columns].to_numpy(float).sum() == 0:
        return None, "no warning was waived"
    params = swept(results)
    key = params[0] if params and not results.scattered else None
    facet = params[1] if key and len(params) > 1 and runs[params[1]].nunique() <= 4 else None
    hidden = [p for p in params if p not in (key, facet)]
    note = pooling_note(results, hidden)
    names = scenario_names(results.manifest)
    panels = [(None, runs)] if facet is None else [
        (f"{name_of(facet)}: {level_text(v, names)}", g)
        for v, g in runs.groupby(facet, sort=True)
    ]
    levels = runs[key].nunique() if key else 1
    areas = key is not None and levels > MAX_BARS and pd.api.types.is_numeric_dtype(runs[key])
    width = ONE_COLUMN if len(panels) == 1 else TWO_COLUMNS
    height = 2.6 if areas else 2.0 + 0.2 * min(levels, MAX_BARS * 3)
    fig = new_figure(width, height)
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    cuts: list[tuple[Any, str]] = []
    for ax, (title, part) in zip(axes, panels, strict=True):
        means = part.groupby(key)[columns].mean() if key else part[columns].mean().to_frame("all runs").T
        if areas:
            x = means.index.to_numpy(float)
            ax.stackplot(x, *[means[c].to_numpy(float) for c in columns],
                         labels=[WAIVER_COLUMNS[c] for c in columns], linewidth=0)
            ax.set(xlabel=header(key), ylabel="Waived warnings per run" if ax is axes[0] else "")
            cuts = mark_cut(ax, results, key)
            ax.set_xlim(x.min(), x.max())
        else:
            left = np.zeros(len(means))
            for column in columns:
                values = means[column].to_numpy(float)
                ax.barh(range(len(means)), values, left=left, label=WAIVER_COLUMNS[column], height=0.7)
                left += values
            set_category_ticks(ax, "y", np.arange(len(means), dtype=float),
                               [level_text(v, names) for v in means.index])
            if key and pd.api.types.is_numeric_dtype(means.index):  # between bars, not through
                cuts = mark_cut(ax, results, key, between=means.index.to_numpy(float),
                                vertical=False)
            ax.set(xlabel="Waived warnings per run", ylabel=header(key) if key and ax is axes[0] else "")
        if title:
            ax.set_title(title)
    handles, names = axes[0].get_legend_handles_labels()
    for handle, text in cuts:
        handles.append(handle)
        names.append(text)
    legend_above(fig, handles, names, None, note)
    return fig, "waiver reasons" + (f" ({note})" if note else "")


@styled
def sensitivity_bars(results: Results) -> Drawing:
    """Sobol first-order and total indices (Saltelli designs) or PRCC (Latin hypercubes) of
    the main outcomes, with bootstrap / Fisher-z 95% intervals, on one shared x scale."""
    kind = results.design.kind
    if kind is DesignKind.MORRIS:
        return None, "Morris design: elementary effects are in the morris figure"
    if kind not in (DesignKind.SOBOL, DesignKind.LHS):
        return None, "not a sampled design: no sensitivity indices"
    outcomes = [o for o in SENSITIVITY_OUTCOMES if o in results.ok]
    tables = {}
    for outcome in outcomes:
        try:
            tables[outcome] = sobol_table(results, outcome) if kind is DesignKind.SOBOL else prcc_table(results, outcome)
        except UserError as exc:
            return None, str(exc)
    params = list(results.design.parameters)
    y = np.arange(len(params), dtype=float)
    fig = new_figure(TWO_COLUMNS, 1.3 + 0.3 * len(params))
    axes = fig.subplots(1, len(outcomes), sharex=True, sharey=True, squeeze=False)[0]
    bars = [("S1", "first order"), ("ST", "total")] if kind is DesignKind.SOBOL else [("prcc", "PRCC")]
    for ax, (outcome, table) in zip(axes, tables.items(), strict=True):
        for i, (col, name) in enumerate(bars):
            shift = (i - (len(bars) - 1) / 2) * 0.38
            est = table[col].to_numpy(float)
            lo_col, hi_col = (f"{col}_low", f"{col}_high") if col != "prcc" else ("low", "high")
            err = [est - table[lo_col].to_numpy(float), table[hi_col].to_numpy(float) - est]
            ax.barh(y + shift, est, height=0.36, xerr=np.clip(err, 0, None), label=name,
                    error_kw={"elinewidth": 0.6, "capsize": 1.5}, color=f"C{i}")
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_title(wrap(name_of(outcome), 0.8 * TWO_COLUMNS / len(outcomes), 9))
    # One label under the shared x axis: one per panel would collide in four narrow panels.
    fig.supxlabel("Sobol index" if kind is DesignKind.SOBOL else "Partial rank correlation", fontsize=8)
    if kind is DesignKind.LHS:
        axes[0].set_xlim(-1.05, 1.05)
    if len(params) <= MAX_BARS_NAMED:  # every bar needs its name: the figure grows instead
        axes[0].set_yticks(y, [name_of(p) for p in params])
    else:
        set_category_ticks(axes[0], "y", y, [name_of(p) for p in params])
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    handles.append(Line2D([], [], color="black", marker="|", markersize=4, linewidth=0.6))
    names.append("95% interval")
    legend_above(fig, handles, names, None)
    return fig, "sensitivity indices"
