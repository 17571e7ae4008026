"""Posterior figures of a calibration: marginal histograms and pairwise scatter plots.

Both draw the accepted design points against the prior sample they were drawn from, so a
reader sees how far each target set narrows each parameter, with the model's default (dashed
line) and the best-supported set (diamond) marked.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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
