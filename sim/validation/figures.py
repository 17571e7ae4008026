"""The report's figures, drawn from the computed entries and curves (never from the model).

Journal sizes and the house style of :mod:`sim.analysis.plots` (7 in wide, Okabe-Ito colours,
PNG at 300 dpi and PDF without timestamps). Colours carry the verdict: blue within the range,
vermilion outside it; the range counted as within is a grey band.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.labels import check_label
from sim.analysis.plots import TWO_COLUMNS, legend_above, new_figure, save, style, wrap

WITHIN, OUTSIDE, GREY, BLACK = "#0072B2", "#D55E00", "#DDDDDD", "#000000"
RESPONSE_COLOURS = {"heeded": "#009E73", "investigated": "#E69F00", "dismissed": "#56B4E9"}
COLUMNS = 4


F = TypeVar("F", bound=Callable[..., Any])


def _styled(draw: F) -> F:
    """Build the whole figure under the house style (axes take their rc values when made)."""
    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return draw(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def _colour(verdict: str) -> str:
    return OUTSIDE if verdict == "outside" else WITHIN


def verdicts(entries: list[dict[str, Any]], out: Path) -> Path | None:
    """Draw :func:`verdicts_figure` into ``out``; None when no check has a range."""
    fig = verdicts_figure(entries)
    return None if fig is None else _save(fig, out, "verdicts")


@_styled
def verdicts_figure(entries: list[dict[str, Any]]):
    """One small panel per check with a range, titled by the check's label: the range (grey),
    the estimate and its 95% interval, coloured by verdict."""
    shown = [e for e in entries if (e["verdict"] != "not_applicable" and e["kind"] != "case")
             or e["id"] in ("cases_brier", "cases_log_loss")]
    shown = [e for e in shown if e["value"] is not None or e.get("value_text")]
    if not shown:
        return None
    rows = math.ceil(len(shown) / COLUMNS)
    fig = new_figure(TWO_COLUMNS, 0.55 + 0.9 * rows)
    axes = fig.subplots(rows, COLUMNS, squeeze=False)
    for ax, entry in zip(axes.flat, shown, strict=False):
        _panel(ax, entry)
    for ax in list(axes.flat)[len(shown):]:
        fig.delaxes(ax)
    handles = [Patch(facecolor=GREY, edgecolor="none"),
               Line2D([], [], color=WITHIN, marker="o", lw=1.2),
               Line2D([], [], color=OUTSIDE, marker="o", lw=1.2)]
    legend_above(fig, handles, ["range counted as within", "estimate and 95% interval, within",
                                "outside"], None)
    return fig


def _panel(ax, entry: dict[str, Any]) -> None:
    value, lo, hi = entry["value"], entry["ci_low"], entry["ci_high"]
    r_lo, r_hi = entry["range_low"], entry["range_high"]
    finite = [x for x in (value, lo, hi, r_lo, r_hi) if x is not None and math.isfinite(x)]
    left, right = min(finite), max(finite)
    pad = 0.15 * (right - left) or 0.1 * (abs(left) or 1.0)
    left, right = left - pad, right + pad
    if r_lo is None:
        left -= pad
    if r_hi is None:
        right += pad
    ax.axvspan(left if r_lo is None else r_lo, right if r_hi is None else r_hi,
               color=GREY, lw=0)
    colour = _colour(entry["verdict"])
    if value is not None:
        if entry.get("ci_text"):  # an end beyond the levels studied: run to the panel's edge
            a, b = (left if lo is None else lo), (right if hi is None else hi)
            ax.annotate("", (a, 0), (b, 0), arrowprops={
                "arrowstyle": {(True, True): "<->", (True, False): "<-",
                               (False, True): "->"}.get((lo is None, hi is None), "-"),
                "color": colour, "lw": 1.4, "shrinkA": 0, "shrinkB": 0})
        elif lo is not None and hi is not None:
            ax.plot([lo, hi], [0, 0], color=colour, lw=1.4, solid_capstyle="butt")
        ax.plot([value], [0], "o", color=colour, ms=4)
    else:
        ax.text(0.5, 0.5, wrap(entry.get("value_text", "undefined"), 1.5, 6), ha="center",
                va="center", transform=ax.transAxes, fontsize=6, color=colour)
    ax.set_xlim(left, right)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="x", labelsize=6, pad=1)
    ax.locator_params(axis="x", nbins=4)
    # The check's declared label, not its id; two lines at most in a quarter of the page.
    ax.set_title(wrap(check_label(entry["id"]), TWO_COLUMNS / COLUMNS - 0.15, 7), fontsize=7, pad=2)


@_styled
def rivalry(curve: pd.DataFrame, out: Path) -> Path:
    fig = new_figure(3.5, 2.2)
    ax = fig.subplots()
    x = np.arange(len(curve))
    ax.errorbar(x, curve["heed_rate"], yerr=[curve["heed_rate"] - curve["low"],
                                             curve["high"] - curve["heed_rate"]],
                fmt="o", color=WITHIN, capsize=2, lw=1)
    ax.set_xticks(x, [f"{b}\n({int(n):,} warnings)" for b, n in zip(curve["band"], curve["delivered"],
                                                                     strict=True)])
    ax.set_xlabel("Rivalry band of the dyad")
    ax.set_ylabel("Heed rate (pooled)")
    ax.set_ylim(0, 1)
    return _save(fig, out, "rivalry")


@_styled
def reliability(crossover: pd.DataFrame | None, matching: pd.DataFrame | None,
                deaths: pd.DataFrame | None, ranges: Mapping[str, tuple[float, float]],
                out: Path) -> Path | None:
    panels = [(name, table) for name, table in (("crossover", crossover), ("matching", matching),
                                                ("deaths", deaths)) if table is not None]
    if not panels:
        return None
    fig = new_figure(TWO_COLUMNS, 2.5)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, table) in zip(axes, panels, strict=True):
        if name == "crossover":
            lo, hi = ranges.get("wickens_dixon", (math.nan, math.nan))
            ax.axvspan(lo, hi, color=GREY, lw=0, label="Wickens & Dixon range")
            ax.axhline(0, color=BLACK, lw=0.6)
            _line(ax, table["reliability"], table["difference"], table["low"], table["high"])
            ax.set_xlabel("True-alarm share of warnings sent")
            ax.set_ylabel("Net harm per run (death-eq.),\nheed all \u2212 dismiss all")
            ax.set_title("a  Reliability crossover", fontsize=8)
            ax.legend(loc="upper right", fontsize=6)
        elif name == "matching":
            ax.plot([0, 1], [0, 1], color=BLACK, lw=0.6, ls="--", label="probability matching")
            _line(ax, table["reliability"], table["heed_rate"], table["low"], table["high"])
            fitted = table[table["fitted"]]
            ax.plot(fitted["reliability"], fitted["heed_rate"], "o", color=WITHIN, ms=4,
                    mfc="white", label="levels in the slope fit")
            ax.set_xlim(0, 1.02)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("True-alarm share of warnings sent")
            ax.set_ylabel("Heed rate (recipients' choice)")
            ax.set_title("b  Matching (Bliss)", fontsize=8)
            ax.legend(loc="upper left", fontsize=6)
        else:
            ax.axhline(1, color=BLACK, lw=0.6)
            _line(ax, table["false_alarm_ratio"], table["deaths"], table["low"], table["high"])
            ax.set_xlabel("False-alarm ratio")
            ax.set_ylabel("Deaths relative to the validated\nparameters (paired)")
            ax.set_title("c  False alarms and deaths", fontsize=8)
    return _save(fig, out, "reliability")


def _line(ax, x, y, low, high) -> None:
    order = np.argsort(np.asarray(x, dtype=float))
    x, y = np.asarray(x, float)[order], np.asarray(y, float)[order]
    low, high = np.asarray(low, float)[order], np.asarray(high, float)[order]
    ax.fill_between(x, low, high, color=WITHIN, alpha=0.2, lw=0)
    ax.plot(x, y, "o-", color=WITHIN, ms=3)


@_styled
def learning(table: pd.DataFrame, out: Path) -> Path:
    fig = new_figure(3.5, 2.4)
    ax = fig.subplots()
    for arm, colour, label in (("learning", WITHIN, "learning"),
                               ("no_learning", OUTSIDE, "no learning")):
        t = table[table["arm"] == arm]
        ax.fill_between(t["year"], t["low"], t["high"], color=colour, alpha=0.2, lw=0)
        ax.plot(t["year"], t["gap"], "o-", color=colour, ms=3, label=label)
    ax.axhline(0, color=BLACK, lw=0.6)
    ax.set_xlabel("Year of the run")
    ax.set_ylabel("Heed rate, low \u2212 high rivalry")
    ax.set_xticks(sorted(table["year"].unique()))
    ax.legend(fontsize=6)
    return _save(fig, out, "learning")


@_styled
def decomposition(table: pd.DataFrame, out: Path) -> Path:
    rows = table[table["mechanism"] != "baseline"].iloc[::-1]
    fig = new_figure(TWO_COLUMNS, 0.6 + 0.28 * len(rows))
    ax = fig.subplots()
    y = np.arange(len(rows))
    share = rows["share_explained"].to_numpy()
    colours = [GREY if m == "all" else WITHIN for m in rows["mechanism"]]
    ax.barh(y, share, color=colours, height=0.6)
    ax.errorbar(share, y, xerr=[share - rows["share_low"], rows["share_high"] - share], fmt="none",
                color=BLACK, capsize=2, lw=0.8)
    ax.set_yticks(y, rows["switched_off"])
    ax.axvline(0, color=BLACK, lw=0.6)
    ax.set_xlabel("Share of the rivalry gradient explained (1 \u2212 gradient off / gradient at the defaults)")
    return _save(fig, out, "decomposition")


def cases(table: pd.DataFrame, threshold: float, out: Path) -> Path:
    """Draw :func:`cases_figure` into ``out``."""
    return _save(cases_figure(table, threshold), out, "cases")


@_styled
def cases_figure(table: pd.DataFrame, threshold: float):
    """Left: the three response probabilities per case, the recorded response starred (inside
    its bar, whole, even at the end of the axis). Right: the probability of the recorded
    response at the coding (dot) and its range over the alternative codings (line), against
    the uninformed forecast's 1/3, coloured by which side of it they fall (both colours in the
    legend)."""
    t = table.iloc[::-1]
    fig = new_figure(TWO_COLUMNS, 1.0 + 0.3 * len(t))
    ax, side = fig.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    y = np.arange(len(t))
    starts = {}
    left = np.zeros(len(t))
    for column, response in (("p_heed", "heeded"), ("p_investigate", "investigated"),
                             ("p_dismiss", "dismissed")):
        values = t[column].to_numpy()
        starts[response] = (left.copy(), values)
        ax.barh(y, values, left=left, color=RESPONSE_COLOURS[response], height=0.6, label=response)
        left += values
    for i, recorded in enumerate(t["recorded"]):
        start, width = starts[recorded]
        # Inside the bar of the recorded response, even when the model gives it (almost) no
        # probability: then at the end of the axis, drawn whole over the frame.
        at = min(max(start[i] + width[i] / 2, 0.015), 0.985)
        ax.plot([at], [y[i]], marker="*", color=BLACK, markeredgecolor="white",
                markeredgewidth=0.5, ms=7, ls="none", clip_on=False, zorder=4)
    ax.set_yticks(y, t["case"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("Model probability of each response")
    side.axvline(threshold, color=BLACK, lw=0.6, ls="--")
    colours = [WITHIN if p >= threshold else OUTSIDE for p in t["p_recorded"]]
    side.hlines(y, t["p_recorded_low"], t["p_recorded_high"], colors=colours, lw=1.2)
    side.scatter(t["p_recorded"], y, c=colours, s=14, zorder=3, clip_on=False)
    side.set_xlim(0, 1)
    side.set_xlabel("Probability of the recorded response")
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], marker="*", color=BLACK, ls="none", ms=7),
                Line2D([], [], color=WITHIN, marker="o", lw=1.2),
                Line2D([], [], color=OUTSIDE, marker="o", lw=1.2),
                Line2D([], [], color=BLACK, lw=0.6, ls="--")]
    labels += ["recorded response",
               "P(recorded) above the uninformed forecast (dot: at the coding; line: over "
               "alternative codings)", "below it", f"uninformed forecast ({threshold:.2g})"]
    legend_above(fig, handles, labels, None)
    return fig


def _save(fig, out: Path, stem: str) -> Path:
    return save(fig, out, stem)[1]
