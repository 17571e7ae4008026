"""The Morris screening figure: mu* against sigma, one panel per outcome.

In the (mu*, sigma) plane (Morris 1991; Campolongo et al. 2007) a parameter far right matters,
one high up acts through interactions or non-linearly; the dotted rays sigma / mu* = 0.1, 0.5
and 1 separate (almost) linear, monotone and non-monotone effects (Garcia Sanchez et al. 2014,
*Energy Build* 68:741). The figure draws every parameter, filled where the screening counts it
as influential for the outcome, with mu*'s bootstrap interval, and names the most influential
ones beside their points where a label fits without touching another text (the tables list
them all).
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from sim.analysis.labels import header, name_of
from sim.analysis.load import DesignKind, Results
from sim.analysis.morris import morris_table
from sim.analysis.plots import TWO_COLUMNS, Drawing, legend_above, new_figure, styled, wrap
from sim.analysis.sensitivity import SENSITIVITY_OUTCOMES
from sim.errors import UserError

LABELLED = 6
"""Parameters named in each panel (by mu*); the others are points, listed in the tables."""
RAYS = (0.1, 0.5, 1.0)
"""sigma / mu* ratios drawn as dotted rays."""
_OFFSETS = ((4, 2, "left"), (4, -7, "left"), (-4, 2, "right"), (-4, -7, "right"),
            (0, 6, "center"), (0, -11, "center"), (8, 8, "left"), (-8, 8, "right"))
"""Where a label may go relative to its point (points; horizontal alignment)."""


@styled
def morris_scatter(results: Results) -> Drawing:
    if results.design.kind is not DesignKind.MORRIS:
        return None, "not a Morris design: no elementary effects"
    tables = {}
    for outcome in SENSITIVITY_OUTCOMES:
        if outcome not in results.ok:
            continue
        try:
            tables[outcome] = morris_table(results, outcome)
        except UserError as exc:
            return None, str(exc)
    if not tables:
        return None, "none of the sensitivity outcomes is in the results"
    ncols = 2 if len(tables) > 1 else 1
    nrows = -(-len(tables) // ncols)
    fig = new_figure(TWO_COLUMNS, 0.9 + 2.6 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax, (outcome, table) in zip(axes, tables.items(), strict=False):
        _panel(ax, outcome, table)
    for ax in axes[len(tables):]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], linestyle="none", marker="o", color="C0", markersize=3.5),
        Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
               markeredgecolor="0.5", markersize=3),
        Line2D([], [], color="C0", marker="|", markersize=4, linewidth=0.6),
        Line2D([], [], color="0.6", linestyle=":", linewidth=0.8),
    ]
    names = ["influential", "not influential", "95% interval of \u03bc*",
             "\u03c3/\u03bc* = " + ", ".join(f"{k:g}" for k in RAYS)]
    note = (f"{results.design.n} trajectories of {len(results.design.parameters)} parameters; "
            f"the {LABELLED} influential ones of largest \u03bc* named where a label fits")
    legend_above(fig, handles, names, None, note)
    fig.canvas.draw()  # the final layout, so that label boxes can be measured
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg canvas (new_figure)
    taken = [t.get_window_extent(renderer) for ax in axes for t in
             (ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_text()]
    left_out = 0
    for ax, table in zip(axes, tables.values(), strict=False):
        left_out += _labels(ax, table, renderer, taken)
    message = f"mu* against sigma for {', '.join(tables)}"
    return fig, message + (f" ({left_out} labels did not fit)" if left_out else "")


def _panel(ax, outcome: str, table) -> None:
    ax.set_title(wrap(header(outcome), 3.0, 8))
    if not np.nanmax(table["mu_star_high"]) > 0:
        ax.text(0.5, 0.5, "every elementary effect is 0", ha="center", va="center",
                transform=ax.transAxes, fontsize=7, color="0.3")
        ax.set(xticks=[], yticks=[])
        return
    mu_star = table["mu_star"].to_numpy(float)
    sigma = table["sigma"].to_numpy(float)
    strong = table["influential"].to_numpy(bool)
    err = np.clip([mu_star - table["mu_star_low"].to_numpy(float),
                   table["mu_star_high"].to_numpy(float) - mu_star], 0, None)
    ax.errorbar(mu_star[strong], sigma[strong], xerr=err[:, strong], fmt="o", color="C0",
                markersize=3.5, elinewidth=0.6, capsize=0, zorder=3)
    ax.plot(mu_star[~strong], sigma[~strong], "o", markerfacecolor="none",
            markeredgecolor="0.5", markersize=3, markeredgewidth=0.6, zorder=2)
    top = max(float(np.nanmax(table["mu_star_high"])), float(np.nanmax(mu_star)), 1e-12) * 1.12
    # sigma near 0 everywhere (a nearly linear outcome) must not blow up rounding errors.
    ymax = max(float(np.nanmax(sigma)), 0.25 * top) * 1.12
    x = np.array([0.0, top])
    for k in RAYS:
        ax.plot(x, k * x, color="0.6", linestyle=":", linewidth=0.8, zorder=1)
    ax.set(xlim=(0, top), ylim=(0, ymax))
    ax.set_xlabel("\u03bc* (mean |elementary effect|)")
    ax.set_ylabel("\u03c3 (SD of effects)")


def _labels(ax, table, renderer, taken: list) -> int:
    """Name the LABELLED largest mu* of influential parameters beside their points where a label fits (inside the
    axes, touching no other text); returns how many did not fit."""
    box = ax.get_window_extent(renderer)
    missed = 0
    for _, row in table[table["influential"]].head(LABELLED).iterrows():
        for dx, dy, ha in _OFFSETS:
            text = ax.annotate(name_of(str(row["parameter"])), (row["mu_star"], row["sigma"]),
                               xytext=(dx, dy), textcoords="offset points", ha=ha, fontsize=6,
                               color="0.15", annotation_clip=False)
            text.set_in_layout(False)
            extent = text.get_window_extent(renderer)
            inside = (extent.x0 >= box.x0 and extent.x1 <= box.x1 and extent.y0 >= box.y0
                      and extent.y1 <= box.y1)
            if inside and not any(extent.overlaps(other) for other in taken):
                taken.append(extent)
                break
            text.remove()
        else:
            missed += 1
    return missed
