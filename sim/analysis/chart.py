"""One outcome against one factor, split by up to two more: the figure of ``warnsim plot DIR
--outcome O --x X --hue H --facet F`` and of :func:`sim.analysis.figures.plot`.

**Roles.** Each factor that varies among the finished runs (a swept parameter, ``scenario``, a
scenario trait such as ``agency.FSB.capability``) takes one role: the x axis, the hue (one
line or marker colour per level), the facet (one panel per level), or *pooled* (its runs are
put together). A role left at :data:`AUTO` is filled from the factors not given a role, so that
as little as possible is pooled: x takes ``rivalry`` if it varies, else the numeric factor
with the most levels; hue the remaining factor with the fewest levels (at most
:data:`~sim.analysis.plots.MAX_LINES`), facet the next (at most :data:`MAX_PANELS`). ``none``
leaves a role empty.

**Never pooled silently.** Every factor left pooled is named, with its number of levels, in
the figure's note and in :attr:`Chart.pooled`; ``pool`` (the CLI's ``--pool``) lists the
factors that *may* be pooled, and any other left unshown is refused with one line that says
how to show it. Levels left out to keep a panel readable are counted in the note too.

**Estimates** are the analysis's own (:func:`sim.analysis.summary.describe`): for a rate the
pooled rate with the run-clustered Wilson interval, for any other outcome the mean over runs
with the BCa bootstrap interval. A numeric x with at least
:data:`~sim.analysis.plots.MIN_JOINED` levels is drawn as a line with its interval as a band;
fewer levels, or a categorical x, as points with error bars, side by side per hue level.

**Sampled designs** (Latin hypercube, Sobol, a scattered points file) have no levels: each
design point's estimate is a small dot, and the estimate over equal-count bins of x (deciles
at most) is the line; a numeric hue or facet is cut into :data:`SAMPLE_BINS` equal-count bins.
Every other sampled parameter varies across the dots and is named as pooled. A Morris design
is refused: its trajectories are not a sample of the space (see ``trajectory_skip``).

**Names**: axes, legend titles and panel titles use the declared labels and units
(:mod:`sim.analysis.labels`); scenarios appear by their ``name``, not their file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.analysis.labels import header, level_name, lower, name_of, scenario_names
from sim.analysis.load import DesignKind, Results
from sim.analysis.plots import (
    MAX_LINES,
    MIN_JOINED,
    ONE_COLUMN,
    TWO_COLUMNS,
    Counts,
    by_level,
    draw_series,
    finish_panels,
    legend_above,
    level_text,
    mark_cut,
    new_figure,
    panel_grid,
    place_counts,
    set_category_ticks,
    sparse_handle,
    styled,
    swept,
    thin_levels,
    wrap,
)
from sim.analysis.summary import metric_outcomes
from sim.analysis.tables import format_value, minus
from sim.errors import UserError
from sim.outcomes import OUTCOMES, Kind, Outcome

AUTO, NONE = "auto", "none"
"""Role values besides a factor's name: fill the role automatically, or leave it empty."""
MAX_PANELS = 9
"""Facet levels drawn (evenly thinned beyond, and counted in the note)."""
SAMPLE_BINS = 3
"""Equal-count bins of a numeric hue or facet in a sampled design."""
X_BINS = 10
"""Equal-count bins of x in a sampled design (the line through the design points)."""
ROLES = ("x", "hue", "facet")


@dataclass(frozen=True, slots=True)
class Roles:
    """The factors a chart shows (x, hue, facet) and those it pools."""

    outcome: str
    x: str
    hue: str | None
    facet: str | None
    pooled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A drawn chart: the figure, the roles, and the note that names what it pools or leaves out."""

    figure: Figure
    roles: Roles
    note: str

    @property
    def pooled(self) -> tuple[str, ...]:
        return self.roles.pooled

    @property
    def message(self) -> str:
        r = self.roles
        shown = " by ".join(name for name in (r.hue, r.facet) if name)
        return (f"{r.outcome} against {r.x}" + (f" by {shown}" if shown else "")
                + (f" ({self.note})" if self.note else ""))


def outcome_specs(results: Results) -> dict[str, Outcome]:
    """The outcomes these results can chart: declared outcomes present in the runs and the
    experiment's own metrics."""
    runs = results.ok
    specs = {o.name: o for o in OUTCOMES if o.name in runs.columns}
    specs.update({o.name: o for o in metric_outcomes(results)})
    return specs


def factors(results: Results) -> list[str]:
    """Factors that vary among the finished runs, in the design's order."""
    return swept(results)


def assign_roles(results: Results, outcome: str, *, x: str = AUTO, hue: str = AUTO,
                 facet: str = AUTO, pool: Iterable[str] | None = None) -> Roles:
    """Check the request and fill the automatic roles (see the module docstring).

    Raises :class:`~sim.errors.UserError` with one line naming the option, what was given and
    what is allowed; or, when ``pool`` is given, naming the factors that would be pooled
    without leave.
    """
    specs = outcome_specs(results)
    if outcome not in specs:
        raise UserError(f"--outcome: {outcome!r} is not an outcome of {results.directory}; "
                        f"allowed: {', '.join(specs)}")
    available = factors(results)
    if not available:
        raise UserError(f"{results.directory}: no factor varies among the finished runs; "
                        "nothing to put on the x axis")
    if results.design.kind is DesignKind.MORRIS:
        raise UserError(f"{results.directory}: a Morris design: its trajectories are not a "
                        "sample of the parameter space, so an outcome pooled over them "
                        "confounds the parameters; see `warnsim plot DIR --only morris`")
    given = {"x": x, "hue": hue, "facet": facet}
    for role, value in given.items():
        allowed = [AUTO, NONE] if role != "x" else [AUTO]
        if value not in allowed and value not in available:
            raise UserError(f"--{role}: {value!r} is not a factor that varies in "
                            f"{results.directory}; allowed: {', '.join([*available, *allowed])}")
    named = [v for v in given.values() if v not in (AUTO, NONE)]
    repeated = sorted({v for v in named if named.count(v) > 1})
    if repeated:
        raise UserError(f"--x, --hue, --facet: {repeated[0]!r} is given two roles; allowed: "
                        "each factor in at most one role")
    free = [f for f in available if f not in named]
    runs = results.ok
    scattered = results.scattered
    if x == AUTO:
        x = _default_x(runs, free)
        free.remove(x)
    levels = {f: runs[f].nunique() for f in available}
    if hue == AUTO:
        hue = _fewest(free, levels, MAX_LINES, runs, scattered)
        if hue is not None:
            free.remove(hue)
    if facet == AUTO:
        facet = _fewest(free, levels, MAX_PANELS, runs, scattered)
        if facet is not None:
            free.remove(facet)
    hue = None if hue == NONE else hue
    facet = None if facet == NONE else facet
    pooled = tuple(f for f in available if f not in (x, hue, facet))
    if pool is not None:
        allowed_pool = set(pool)
        unknown = sorted(allowed_pool - set(available))
        if unknown:
            raise UserError(f"--pool: {unknown[0]!r} is not a factor that varies in "
                            f"{results.directory}; allowed: {', '.join(available)}")
        refused = [f for f in pooled if f not in allowed_pool]
        if refused:
            raise UserError(
                f"would pool {', '.join(refused)} (not on the x axis, hue or facet); show "
                f"{'it' if len(refused) == 1 else 'them'} with --hue or --facet, or allow "
                f"with --pool {' '.join(refused)}")
    return Roles(outcome, x, hue, facet, pooled)


def _default_x(runs: pd.DataFrame, free: list[str]) -> str:
    if "rivalry" in free:
        return "rivalry"
    numeric = [f for f in free if _numeric(runs[f])]
    if numeric:
        return max(numeric, key=lambda f: runs[f].nunique())
    return free[0]


def _fewest(free: list[str], levels: dict[str, int], limit: int, runs: pd.DataFrame,
            scattered: bool) -> str | None:
    """The free factor with the fewest levels, if it has at most ``limit`` (in a sampled
    design a numeric factor is binned, so it always fits)."""
    fits = [f for f in free if levels[f] <= limit or (scattered and _numeric(runs[f]))]
    return min(fits, key=lambda f: levels[f]) if fits else None


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


# --- drawing -----------------------------------------------------------------------------

@styled
def chart(results: Results, outcome: str = "heed_rate", *, x: str = AUTO, hue: str = AUTO,
          facet: str = AUTO, pool: Iterable[str] | None = None) -> Chart:
    """Draw ``outcome`` against ``x``, one series per ``hue`` level, one panel per ``facet``
    level (see the module docstring for the roles and what is pooled)."""
    roles = assign_roles(results, outcome, x=x, hue=hue, facet=facet, pool=pool)
    spec = outcome_specs(results)[outcome]
    runs = results.ok
    names = scenario_names(results.manifest)
    scattered = results.scattered
    notes: list[str] = []
    if roles.pooled:
        notes.append(_pooled_text(results, roles.pooled, scattered))
    runs, hue_levels, hue_note = _groups(runs, roles.hue, column="_hue", limit=MAX_LINES,
                                         scattered=scattered, names=names)
    runs, facet_levels, facet_note = _groups(runs, roles.facet, column="_facet",
                                             limit=MAX_PANELS, scattered=scattered, names=names)
    notes += [n for n in (hue_note, facet_note) if n]
    note = "; ".join(notes)

    panels = facet_levels or [None]
    nrows, ncols = panel_grid(len(panels))
    single = len(panels) == 1
    fig = new_figure(ONE_COLUMN if single else TWO_COLUMNS,
                     2.9 if single else 1.0 + 1.85 * nrows)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    numeric_x = _numeric(runs[roles.x])
    categories = None if numeric_x else _ordered_levels(runs[roles.x])
    pending: list[Counts] = []
    handles: list = []
    labels: list[str] = []
    sparse_any = False
    for ax, panel in zip(axes, panels, strict=False):
        part = runs if panel is None else runs[runs["_facet"] == panel]
        for i, level in enumerate(hue_levels or [None]):
            group = part if level is None else part[part["_hue"] == level]
            if group.empty:
                continue
            color = f"C{i}"
            if scattered and numeric_x:
                handle, sparse = _sample_series(ax, group, roles.x, spec, color=color,
                                                pending=pending)
            else:
                handle, sparse = _level_series(ax, group, roles.x, spec, categories=categories,
                                               color=color, index=i,
                                               count=len(hue_levels or [None]), pending=pending)
            sparse_any |= sparse
            if ax is axes[0] and level is not None:
                handles.append(handle)
                labels.append(level)
        if panel is not None:
            ax.set_title(wrap(f"{name_of(roles.facet)}: {panel}", 0.95 * TWO_COLUMNS / ncols, 8))
    finish_panels(fig, axes, len(panels), ncols,
                  xlabel=header(roles.x) + (", binned" if scattered and numeric_x else ""),
                  ylabel=wrap(header(outcome), 2.4, 8))
    if categories is not None:
        set_category_ticks(axes[0], "x", np.arange(len(categories), dtype=float),
                           [level_name(c, names) for c in categories])
    extra = mark_cut(axes[0], results, roles.x) if numeric_x and not scattered else []
    for ax in axes[1:len(panels)]:
        if extra:
            mark_cut(ax, results, roles.x)
    if scattered and numeric_x:
        extra.append((Line2D([], [], linestyle="none", marker="o", markersize=2,
                             color="0.55", alpha=0.6), "one design point"))
    if sparse_any:
        extra.append(sparse_handle("rate" if spec.kind is Kind.RATE else "mean"))
    for handle, text in extra:
        handles.append(handle)
        labels.append(text)
    legend_above(fig, handles, labels, header(roles.hue) if roles.hue else None, note)
    place_counts(fig, pending)
    return Chart(fig, roles, note)


def _pooled_text(results: Results, pooled: Sequence[str], scattered: bool) -> str:
    runs = results.ok
    if scattered:
        return (f"pooled over the {runs['point_id'].nunique()} design points' other "
                f"{'factor' if len(pooled) == 1 else 'factors'}: "
                + (", ".join(lower(p) for p in pooled) if len(pooled) <= 12
                   else f"{len(pooled)} parameters (listed in manifest.json)"))
    return "pooled over " + ", ".join(f"{lower(p)} ({runs[p].nunique()} levels)" for p in pooled)


def _ordered_levels(series: pd.Series) -> list:
    """Levels in their natural order: sorted numbers, else the order of first appearance
    (the design's order: a grid lists its levels as the experiment file does)."""
    values = pd.unique(series)
    return sorted(values) if _numeric(series) else list(values)


def _groups(runs: pd.DataFrame, role: str | None, *, column: str, limit: int, scattered: bool,
            names: dict[str, str]) -> tuple[pd.DataFrame, list[str], str]:
    """Label each run with its level of ``role`` in ``column``, binned in a sampled design,
    thinned to ``limit`` levels; the labels in order and a note on thinning."""
    if role is None:
        return runs, [], ""
    series = runs[role]
    if scattered and _numeric(series) and series.nunique() > SAMPLE_BINS:
        bins = pd.qcut(series, SAMPLE_BINS, duplicates="drop")
        text = {iv: minus(f"{format_value(iv.left, 2)}\u2013{format_value(iv.right, 2)}")
                for iv in bins.cat.categories}
        labelled = bins.map(text).astype(str)
        return runs.assign(**{column: labelled}), [text[c] for c in bins.cat.categories], ""
    levels = _ordered_levels(series)
    kept = thin_levels(levels, limit)
    note = (f"{len(kept)} of {len(levels)} {lower(role)} levels shown"
            if len(kept) < len(levels) else "")
    text = {v: (level_text(v) if _numeric(series) else level_name(v, names)) for v in levels}
    runs = runs[series.isin(kept)]
    return runs.assign(**{column: runs[role].map(text)}), [text[v] for v in kept], note


def _level_series(ax, runs: pd.DataFrame, x: str, spec: Outcome, *, categories: list | None,
                  color: str, index: int, count: int, pending: list[Counts]):
    """Estimates per level of x (a line through a numeric axis with enough levels, dodged
    points otherwise)."""
    table = by_level(runs, x, spec)
    if categories is None:
        xs = table["level"].to_numpy(float)
        joined = runs[x].nunique() >= MIN_JOINED
        span = float(np.ptp(xs)) if len(xs) > 1 else 1.0
        offset = 0.0 if joined else 0.02 * span * (index - (count - 1) / 2)
    else:
        position = {c: i for i, c in enumerate(categories)}
        xs = np.array([position[v] for v in table["level"]], dtype=float)
        joined, offset = False, 0.12 * (index - (count - 1) / 2)
    return draw_series(ax, xs, table, None, joined=joined, offset=offset, color=color,
                       pending=pending)


def _sample_series(ax, runs: pd.DataFrame, x: str, spec: Outcome, *, color: str,
                   pending: list[Counts]):
    """Each design point as a dot, and the estimate over equal-count bins of x as a line."""
    points = by_level(runs, "point_id", spec)
    where = runs.groupby("point_id")[x].first()
    ax.plot(where.loc[points["level"]].to_numpy(float), points["mean"].to_numpy(float),
            linestyle="none", marker="o", markersize=2, color=color, alpha=0.35,
            markeredgewidth=0, zorder=1)
    bins = pd.qcut(runs[x], min(X_BINS, runs[x].nunique()), duplicates="drop")
    binned = runs.assign(_bin=bins.cat.codes)
    table = by_level(binned, "_bin", spec)
    centres = binned.groupby("_bin")[x].median().loc[table["level"]].to_numpy(float)
    return draw_series(ax, centres, table, None, joined=len(table) >= MIN_JOINED,
                       color=color, pending=pending)

