"""Posterior figures of a calibration, registered by method.

Rejection (:data:`REJECTION_FIGURES`): marginal histograms and pairwise scatter plots of the
accepted design points against the prior sample they were drawn from, so a reader sees how far
each target set narrows each parameter, with the model's default (dashed line) and the
best-supported set (diamond) marked.

ABC-SMC (:data:`ABC_FIGURES`): the final population's weighted marginal histograms over each
prior range (the uniform prior's density as a line, the weighted 95% interval shaded, the
default dashed), and the tolerance and acceptance rate of every generation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from sim.analysis.labels import check_label, header, name_of
from sim.analysis.plots import (
    ONE_COLUMN,
    TWO_COLUMNS,
    legend_above,
    new_figure,
    panel_grid,
    styled,
    wrap,
)
from sim.calibration.abc import Population, weighted_quantiles
from sim.calibration.scoring import Scores
from sim.params import PARAMETERS

BINS = 12


@styled
def marginals(scores: Scores, ranges: dict[str, tuple[float, float]]):
    """One panel per parameter: histogram of all points (the prior sample, outline) and of the
    accepted points (filled), default and best marked."""
    params = scores.parameters
    nrows, ncols = panel_grid(len(params))
    fig = new_figure(TWO_COLUMNS, 1.0 + 1.6 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel())
    best = scores.best()
    acc = scores.accepted
    for ax, name in zip(axes, params, strict=False):
        low, high = ranges[name]
        edges = np.linspace(low, high, BINS + 1)
        ax.hist(scores.points[name].to_numpy(float), bins=edges, histtype="step", color="0.55",
                linewidth=0.8)
        if len(acc):
            ax.hist(acc[name].to_numpy(float), bins=edges, color="C0", alpha=0.85)
        default = PARAMETERS[name].default
        if low <= default <= high:
            ax.axvline(default, color="C1", linestyle="--", linewidth=0.9)
        ax.axvline(best[name], color="C2", linewidth=1.2)  # a line: a marker on the axis is cut
        ax.set_xlim(low, high)
        ax.locator_params(axis="x", nbins=4)
    for i, ax in enumerate(axes[: len(params)]):
        ax.set_xlabel(wrap(header(params[i]), TWO_COLUMNS / ncols - 0.3, 8))
        ax.xaxis.set_tick_params(labelbottom=True)
    for ax in axes[len(params):]:
        fig.delaxes(ax)
    for i, ax in enumerate(axes[: len(params)]):
        if i % ncols == 0:
            ax.set_ylabel("Design points")
    handles = [Patch(facecolor="none", edgecolor="0.55"), Patch(color="C0", alpha=0.85),
               Line2D([], [], color="C1", linestyle="--", linewidth=0.9),
               Line2D([], [], color="C2", linewidth=1.2)]
    names = ["prior sample", f"accepted ({len(acc)} of {len(scores.points)})", "default",
             "best-supported set"]
    legend_above(fig, handles, names, None, _scale_note(scores))
    return fig


@styled
def pairs(scores: Scores, ranges: dict[str, tuple[float, float]]):
    """Lower triangle of pairwise scatter plots: rejected points grey, accepted blue."""
    params = scores.parameters
    d = len(params)
    if d < 2:
        return None
    width = ONE_COLUMN if d <= 3 else TWO_COLUMNS
    fig = new_figure(width, width + 0.6)  # square panels under the legend
    grid = fig.subplots(d - 1, d - 1, squeeze=False)
    best = scores.best()
    acc = scores.accepted
    rejected = scores.points[~scores.points["accepted"]]
    for row, col in np.ndindex(d - 1, d - 1):
        ax = cast(Axes, grid[row, col])
        if col > row:
            ax.set_visible(False)
            continue
        px, py = params[col], params[row + 1]
        ax.plot(rejected[px], rejected[py], "o", color="0.75", markersize=1.2, alpha=0.6,
                markeredgewidth=0)
        ax.plot(acc[px], acc[py], "o", color="C0", markersize=1.8, markeredgewidth=0)
        ax.plot([best[px]], [best[py]], "D", color="C2", markersize=3.5)
        ax.set_xlim(*ranges[px])
        ax.set_ylim(*ranges[py])
        ax.locator_params(nbins=3)
        ax.tick_params(labelsize=5.5, length=1.5, pad=1)
        if row == d - 2:
            ax.set_xlabel(name_of(px), fontsize=6.5)
        else:
            ax.set_xticklabels([])
        if col == 0:
            ax.set_ylabel(name_of(py), fontsize=6.5)
        else:
            ax.set_yticklabels([])
    handles = [Line2D([], [], linestyle="none", marker="o", color="0.75", markersize=3),
               Line2D([], [], linestyle="none", marker="o", color="C0", markersize=3),
               Line2D([], [], linestyle="none", marker="D", color="C2", markersize=3.5)]
    names = ["rejected", f"accepted ({len(acc)})", "best-supported set"]
    legend_above(fig, handles, names, None, _scale_note(scores))
    return fig


def _scale_note(scores: Scores) -> str:
    targets = "; ".join(check_label(t.id) for t in scores.targets)
    scale = "" if scores.scale == 1 else f"; tolerances \u00d7 {scores.scale:g}"
    return f"accepted: every target met: {targets}{scale}"


REJECTION_FIGURES: dict[str, Callable[[Scores, dict[str, tuple[float, float]]], Figure | None]] = {
    "posterior_marginals": marginals, "posterior_pairs": pairs}
"""The figures of a rejection calibration, by file stem."""


@dataclass(frozen=True, slots=True)
class AbcDrawing:
    """What the ABC-SMC figures draw: the parameters and their prior ranges, the final
    population, the generations table and the model's defaults."""

    parameters: tuple[str, ...]
    ranges: Mapping[str, tuple[float, float]]
    final: Population
    generations: pd.DataFrame
    defaults: Mapping[str, float]


def abc_marginals(d: AbcDrawing) -> Figure:
    """One panel per parameter: the weighted histogram of the final population (a density),
    the uniform prior's density, the weighted 95% interval and the default."""
    params = d.parameters
    ncols = min(3, len(params))
    nrows = -(-len(params) // ncols)
    fig = new_figure(TWO_COLUMNS, 0.9 + 1.6 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    w = d.final.weights
    for j, (ax, name) in enumerate(zip(axes, params, strict=False)):
        low, high = d.ranges[name]
        x = d.final.theta[:, j]
        ax.hist(x, bins=np.linspace(low, high, 2 * BINS + 1), weights=w, density=True,
                color="C0", alpha=0.85)
        ax.axhline(1 / (high - low), color="0.45", linewidth=0.9, zorder=3)
        q = weighted_quantiles(x, w, (0.025, 0.975))
        ax.axvspan(q[0], q[1], color="C0", alpha=0.12, linewidth=0)
        default = d.defaults.get(name)
        if default is not None and low <= default <= high:
            ax.axvline(default, color="C1", linestyle="--", linewidth=0.9)
        ax.set_xlim(low, high)
        ax.set_xlabel(header(name))
        ax.locator_params(axis="x", nbins=4)
        if j % ncols == 0:
            ax.set_ylabel("Density")
    for ax in axes[len(params):]:
        ax.set_visible(False)
    handles = [Patch(color="C0", alpha=0.85), Line2D([], [], color="0.45", linewidth=0.9),
               Patch(color="C0", alpha=0.12),
               Line2D([], [], color="C1", linestyle="--", linewidth=0.9)]
    names = ["posterior", "prior", "95% interval", "default"]
    note = (f"ABC-SMC generation {d.final.generation}: {d.final.size} weighted particles "
            f"(ESS {d.final.ess:.0f}), tolerance {d.final.epsilon:.3g}")
    legend_above(fig, handles, names, None, note)
    return fig


def abc_tolerance(d: AbcDrawing) -> Figure:
    """Tolerance (log scale) and acceptance rate by generation (generation 0, the prior
    sample, has no tolerance)."""
    g = d.generations[d.generations["generation"] > 0]
    fig = new_figure(ONE_COLUMN, 3.4)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for ax, column, color, label in ((top, "epsilon", "C0", "Tolerance"),
                                     (bottom, "acceptance_rate", "C2", "Acceptance rate")):
        ax.plot(g["generation"], g[column], "o-", color=color, markersize=3)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel(label)
    bottom.set_xlabel("Generation")
    bottom.xaxis.get_major_locator().set_params(integer=True)
    total = int(d.generations["simulations"].sum())
    legend_above(fig, [], [], None, f"{total:,} simulations in generations 0-"
                 f"{int(d.generations['generation'].max())} (generation 0: the prior sample)")
    return fig


ABC_FIGURES: dict[str, Callable[[AbcDrawing], Figure]] = {
    "abc_marginals": abc_marginals, "abc_tolerance": abc_tolerance}
"""The figures of an ABC-SMC calibration, by file stem."""
