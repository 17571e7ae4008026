"""Publication figures from a results folder, one function per figure.

Every figure function takes the loaded :class:`~sim.analysis.load.Results` and an output
folder and returns ``(paths, message)``: the PDF and PNG it wrote, or ``None`` and why it was
skipped when the results lack what it needs (a series that was not recorded, a parameter that
was not swept). Figures are drawn on a bare :class:`~matplotlib.figure.Figure` with the Agg
canvas (no pyplot, so no global figure state and no GUI backend) under the house style
``warnsim.mplstyle``, and saved without timestamps, so the same results give the same bytes.

Intervals drawn are the analysis's own: pooled rates with the clustered Wilson interval,
means with the BCa bootstrap (see :mod:`sim.analysis.intervals`).

A figure never pools over a swept parameter silently: a parameter it does not show on an axis,
as lines or as panels is named in a note at the top of the figure ("pooled over ..."), and so
are levels left out to keep a panel readable ("k of m levels shown").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.compare import cells_by_band, cells_by_parameter, rate_by_level
from sim.analysis.load import DesignKind, Results
from sim.analysis.sensitivity import SENSITIVITY_OUTCOMES, prcc_table, sobol_table
from sim.analysis.summary import describe
from sim.analysis.tables import format_value
from sim.errors import UserError
from sim.outcomes import BANDS, BY_NAME, Kind
from sim.params import PARAMETERS

STYLE = Path(__file__).with_name("warnsim.mplstyle")
ONE_COLUMN, TWO_COLUMNS = 3.5, 7.0
"""Figure widths in inches (journal single and double column)."""
DPI = 300
MAX_LINES = 6
"""More lines than this in one panel are unreadable in print; a figure then skips or thins."""

FIGURE_EXTENSIONS: tuple[str, ...] = ("pdf", "png")
"""What :func:`save` writes for each figure stem (the keys of :data:`FIGURES`)."""
FigureResult = tuple[list[Path] | None, str]
WAIVER_COLUMNS: dict[str, str] = {
    "waived_doctrine_excludes": "doctrine excludes",
    "waived_recipient_aware": "recipient aware",
    "waived_sources_at_risk": "sources at risk",
    "waived_no_channel": "no channel",
}


# --- labels ------------------------------------------------------------------------------

def label(name: str) -> str:
    """Axis label with unit for a parameter or outcome name."""
    spec = PARAMETERS.get(name)
    unit = spec.unit if spec is not None else ""
    if spec is None and name in BY_NAME:
        out = BY_NAME[name]
        unit = f"{out.unit} per run" if out.kind in (Kind.COUNT, Kind.AMOUNT) else out.unit
    text = name.replace("_", " ")
    return f"{text} ({unit})" if unit and unit != "-" else text


def level_text(value: object) -> str:
    return format_value(value) if isinstance(value, int | float | np.number) else str(value)


# --- rendering ---------------------------------------------------------------------------

@contextmanager
def figure(width: float, height: float) -> Iterator[Figure]:
    """A bare Agg figure under the house style (the style must also be active when saving)."""
    with mpl.rc_context(fname=str(STYLE)):
        fig = Figure(figsize=(width, height))
        FigureCanvasAgg(fig)
        yield fig


def save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """Write ``stem.pdf`` (vector) and ``stem.png`` (300 dpi) without timestamps."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf, png = out_dir / f"{stem}.pdf", out_dir / f"{stem}.png"
    fig.savefig(pdf, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    return [pdf, png]


# --- data helpers ------------------------------------------------------------------------

def swept(results: Results) -> list[str]:
    """Swept parameters that vary among finished runs, in the design's order."""
    ok = results.ok
    return [p for p in results.design.parameters if ok[p].nunique() > 1]


def by_level(runs: pd.DataFrame, key: str, outcome: str) -> pd.DataFrame:
    """Estimate and interval of ``outcome`` at each level of ``key`` (rates pooled)."""
    spec = BY_NAME[outcome]
    rows = [{"level": lv, **describe(g, spec)} for lv, g in runs.groupby(key, sort=True)]
    return pd.DataFrame(rows)


def positions(levels: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """x positions of levels: the values if numeric, else 0..k-1 with tick labels."""
    if pd.api.types.is_numeric_dtype(levels):
        return levels.to_numpy(float), None
    return np.arange(len(levels), dtype=float), [str(v) for v in levels]


def hue_groups(runs: pd.DataFrame, hue: str | None) -> list[tuple[str | None, pd.DataFrame]]:
    """Runs split by the levels of ``hue`` (at most MAX_LINES, evenly thinned), or all runs."""
    if hue is None:
        return [(None, runs)]
    levels = sorted(runs[hue].unique())
    if len(levels) > MAX_LINES:
        picks = np.linspace(0, len(levels) - 1, MAX_LINES).round().astype(int)
        levels = [levels[i] for i in sorted(set(picks))]
    return [(level_text(lv), runs[runs[hue] == lv]) for lv in levels]


def pooling_note(runs: pd.DataFrame, hidden: list[str], hue: str | None = None) -> str:
    """What a figure pools over (swept parameters it does not show) and which ``hue`` levels
    it leaves out; empty when it shows everything."""
    parts = []
    if hidden:
        parts.append("pooled over " + ", ".join(
            f"{p.replace('_', ' ')} ({runs[p].nunique()} levels)" for p in hidden
        ))
    if hue is not None and runs[hue].nunique() > MAX_LINES:
        shown = len(hue_groups(runs, hue))
        parts.append(f"{shown} of {runs[hue].nunique()} {hue.replace('_', ' ')} levels shown")
    return "; ".join(parts)


def add_note(fig: Figure, text: str) -> None:
    """A small note above a figure without a legend above it (else see :func:`legend_above`)."""
    if text:
        fig.suptitle(text, x=0.01, ha="left", fontsize=6.5, fontstyle="italic")


def draw_levels(
    ax, table: pd.DataFrame, name: str | None, offset: float = 0.0, *, categorical: bool = False
) -> None:
    """A line with an interval band (numeric levels) or points with error bars (categories).

    On a categorical axis (``categorical``, or non-numeric levels) nothing joins the points:
    a line would invent values between categories and cross those without data.
    """
    x, ticks = positions(table["level"])
    y, low, high = (table[c].to_numpy(float) for c in ("mean", "low", "high"))
    if ticks is None and not categorical:
        (line,) = ax.plot(x, y, marker="o", label=name)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
        return
    err = np.nan_to_num(np.vstack([y - low, high - y]), nan=0.0)
    ax.errorbar(x + offset, y, yerr=err, fmt="o", capsize=2, label=name)
    if ticks is not None:
        ax.set_xticks(x, ticks)


def legend_above(fig: Figure, ax, title: str | None, note: str = "") -> None:
    """One legend above the panels (outside the data, so it never hides a line or band).

    A pooling ``note`` goes under the legend title (or, without a legend, above the figure),
    so the two never overlap.
    """
    handles, names = ax.get_legend_handles_labels()
    if not handles:
        add_note(fig, note)
        return
    if note:
        title = f"{title}\n({note})" if title else f"({note})"
    ncols = len(handles) if len(handles) <= 4 else (3 if fig.get_figwidth() <= ONE_COLUMN else 6)
    fig.legend(handles, names, title=title, loc="outside upper center", ncols=ncols)


def point_labels(results: Results) -> pd.Series:
    """Compact label of each design point from its swept values, indexed by point_id."""
    params = swept(results)
    points = results.ok.groupby("point_id", sort=True)[params].first()
    return points.apply(lambda row: " / ".join(level_text(v) for v in row), axis=1)


def sample_skip(results: Results) -> str | None:
    if results.design.kind.is_sample:
        return f"{results.design.kind.value} design: see the sensitivity figure instead"
    return None


# --- figures -----------------------------------------------------------------------------

def heed_vs_rivalry(results: Results, out_dir: Path) -> FigureResult:
    """Pooled heed rate against rivalry, one line (with interval band) per level of another
    swept parameter. With rivalry swept the x axis is the rivalry parameter; otherwise it is
    the dyad's rivalry band (low / mid / high), which every run records, drawn as points with
    error bars (a band without delivered warnings stays empty). Swept parameters not shown
    are named in a "pooled over" note."""
    if skip := sample_skip(results):
        return None, skip
    params = swept(results)
    runs = results.ok
    if "rivalry" in params:
        others = [p for p in params if p != "rivalry"]
        xlabel = label("rivalry")
        cells: Callable[..., Any] = partial(cells_by_parameter, parameter="rivalry")
    elif all(f"delivered_{b}_rivalry" in runs for b in BANDS):
        others = params
        xlabel = "rivalry band of the dyad"
        cells = cells_by_band
    else:
        return None, "rivalry is not swept and the runs have no per-band heed counts"
    hue = others[0] if others else None
    tables = [
        (name, rate_by_level(cells(g)).rename(columns={"rate": "mean"}))
        for name, g in hue_groups(runs, hue)
    ]
    if all(t.empty for _, t in tables):
        return None, "no delivered warnings: no heed rate to plot"
    note = pooling_note(runs, others[1:], hue)
    with figure(ONE_COLUMN, 2.8) as fig:
        ax = fig.add_subplot()
        shown = [(name, table) for name, table in tables if not table.empty]
        for i, (name, table) in enumerate(shown):
            if "rivalry" in params:
                draw_levels(ax, table, name)
            else:
                draw_levels(ax, table, name, offset=0.1 * (i - (len(shown) - 1) / 2), categorical=True)
        if "rivalry" not in params:
            ax.set_xticks(range(len(BANDS)), BANDS)
            ax.set_xlim(-0.5, len(BANDS) - 0.5)
        ax.set(xlabel=xlabel, ylabel="heed rate (share of delivered)", ylim=(0, 1))
        if hue is not None:
            legend_above(fig, ax, label(hue), note)
        else:
            add_note(fig, note)
        return save(fig, out_dir, "heed_vs_rivalry"), "heed rate against rivalry" + (f" ({note})" if note else "")


def outcomes_vs_parameter(results: Results, out_dir: Path) -> FigureResult:
    """Heed rate, end-of-run trust and casualties against the first swept parameter, one line
    per level of the second: the cry-wolf, channel and doctrine comparisons in one panel row."""
    if skip := sample_skip(results):
        return None, skip
    params = swept(results)
    if not params:
        return None, "no swept parameter varies"
    x, hue = params[0], (params[1] if len(params) > 1 else None)
    outcomes = [o for o in ("heed_rate", "mean_trust", "casualties") if o in results.ok]
    groups = hue_groups(results.ok, hue)
    note = pooling_note(results.ok, params[2:], hue)
    with figure(TWO_COLUMNS, 2.4) as fig:
        axes = fig.subplots(1, len(outcomes), squeeze=False)[0]
        for ax, outcome in zip(axes, outcomes, strict=True):
            for i, (name, g) in enumerate(groups):
                draw_levels(ax, by_level(g, x, outcome), name, offset=0.08 * (i - (len(groups) - 1) / 2))
            ax.set(xlabel=label(x), ylabel=label(outcome))
            if BY_NAME[outcome].kind in (Kind.RATE, Kind.MEAN):
                ax.set_ylim(0, 1)
        if hue is not None:
            legend_above(fig, axes[-1], label(hue), note)
        else:
            add_note(fig, note)
        return save(fig, out_dir, "outcomes_vs_parameter"), f"outcomes against {x}" + (f" ({note})" if note else "")


def heatmap(results: Results, out_dir: Path, outcome: str = "heed_rate") -> FigureResult:
    """``outcome`` over the first two swept parameters (pooled rates, run means otherwise)."""
    if skip := sample_skip(results):
        return None, skip
    params = swept(results)
    if len(params) < 2:
        return None, "a heat map needs two swept parameters"
    if outcome not in results.ok:
        return None, f"the runs have no {outcome!r}"
    px, py = params[0], params[1]
    spec = BY_NAME[outcome]
    cells = [
        {px: vx, py: vy, "value": describe(g, spec)["mean"]}
        for (vx, vy), g in results.ok.groupby([px, py], sort=True)
    ]
    grid = pd.DataFrame(cells).pivot(index=py, columns=px, values="value")
    note = pooling_note(results.ok, params[2:])
    with figure(ONE_COLUMN, 3.0) as fig:
        ax = fig.add_subplot()
        # The colour range is the data's, not [0, 1]: differences between cells are the point,
        # and the annotated values and the colour bar give the absolute level.
        image = ax.imshow(grid.to_numpy(float), origin="lower", aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [level_text(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [level_text(v) for v in grid.index])
        if grid.shape[1] <= 6 and grid.shape[0] <= 8:
            annotate(ax, image, grid.to_numpy(float))
        ax.set(xlabel=label(px), ylabel=label(py))
        fig.colorbar(image, ax=ax, label=label(outcome))
        add_note(fig, note)
        return save(fig, out_dir, f"heatmap_{outcome}"), f"{outcome} over {px} x {py}" + (f" ({note})" if note else "")


def annotate(ax, image, values: np.ndarray) -> None:
    """Write each cell's value in a colour that contrasts with the cell."""
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            r, g, b, _ = image.cmap(image.norm(value))
            colour = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(col, row, format_value(float(value), 3), ha="center", va="center",
                    color=colour, fontsize=6)


def outcome_distributions(results: Results, out_dir: Path) -> FigureResult:
    """Casualties and attacks per run at each design point, as box plots (median, IQR,
    5-95% whiskers, mean marked): heavy-tailed lethality makes means alone misleading."""
    if skip := sample_skip(results):
        return None, skip
    labels = point_labels(results)
    if len(labels) > 40:
        return None, f"{len(labels)} design points: too many for one distribution figure"
    runs = results.ok
    groups = [runs.loc[runs["point_id"] == pid] for pid in labels.index]
    height = 1.0 + 0.2 * len(labels)
    with figure(TWO_COLUMNS, height) as fig:
        axes = fig.subplots(1, 2, sharey=True)
        for ax, outcome in zip(axes, ("casualties", "attacks"), strict=True):
            ax.boxplot(
                [g[outcome].astype(float).to_numpy() for g in groups], orientation="horizontal",
                whis=(5, 95), showmeans=True, flierprops={"markersize": 1.2, "alpha": 0.4},
                meanprops={"marker": "D", "markersize": 2.5},
            )
            ax.set_xlabel(label(outcome))
        axes[0].set_yticks(range(1, len(labels) + 1), list(labels))
        axes[0].set_ylabel(" / ".join(p.replace("_", " ") for p in swept(results)))
        return save(fig, out_dir, "outcome_distributions"), "casualties and attacks by point"


def trust_trajectories(results: Results, out_dir: Path) -> FigureResult:
    """Mean trust over time: median and inter-quartile band across runs.

    Up to MAX_LINES design points: one line per point in one panel. More points: one line per
    level of the first swept parameter and one panel per level of the second (at most
    MAX_LINES of each, evenly thinned), so no swept parameter is pooled unseen; parameters
    beyond the second are pooled and named in a note, as are thinned levels.
    """
    series = results.series
    if series is None or series.empty or "mean_trust" not in series:
        return None, "no timeseries.parquet (set record_series = true in the experiment)"
    params = swept(results)
    labels = point_labels(results)
    runs = results.ok[["run_id", "point_id", *params]]
    data = series.merge(runs, on="run_id", how="inner")
    panels: list[tuple[str | None, pd.DataFrame]] = [(None, data)]
    if len(labels) <= MAX_LINES:
        data["line"] = data["point_id"].map(labels)
        title = label(params[0]) if len(params) == 1 else " / ".join(p.replace("_", " ") for p in params)
        panels, note = [(None, data)], ""
    else:
        hue, facet = params[0], (params[1] if len(params) > 1 else None)
        note = pooling_note(results.ok, params[2:], hue)
        if facet is not None:
            extra = pooling_note(results.ok, [], facet)
            note = "; ".join(t for t in (note, extra) if t)
        panels = [
            (None if facet is None else f"{facet.replace('_', ' ')} = {name}",
             pd.concat([g.assign(line=n) for n, g in hue_groups(part, hue)]))
            for name, part in hue_groups(data, facet)
        ]
        title = label(hue)
    ncols = min(len(panels), 4)
    nrows = -(-len(panels) // ncols)
    width = ONE_COLUMN if len(panels) == 1 else TWO_COLUMNS
    height = 3.0 if len(panels) == 1 else 0.7 + 2.0 * nrows
    with figure(width, height) as fig:
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
        for ax, (panel, part) in zip(axes, panels, strict=False):
            for name, g in part.groupby("line", sort=False):
                q = g.groupby("day")["mean_trust"].quantile([0.25, 0.5, 0.75]).unstack()
                (line,) = ax.plot(q.index, q[0.5], label=name)
                ax.fill_between(q.index, q[0.25], q[0.75], color=line.get_color(), alpha=0.2,
                                linewidth=0)
            if panel is not None:
                ax.set_title(panel)
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        # Autoscaled (not [0, 1]): trust moves by a few hundredths a year, which is the finding.
        for i, ax in enumerate(axes[: len(panels)]):
            if i + ncols >= len(panels):  # no panel below: label the day axis here
                ax.set_xlabel("day")
                ax.xaxis.set_tick_params(labelbottom=True)
            if i % ncols == 0:
                ax.set_ylabel(label("mean_trust"))
        if params:
            legend_above(fig, axes[0], title, note)
        else:
            add_note(fig, note)
        message = "trust over time" + (f" ({note})" if note else "")
        return save(fig, out_dir, "trust_trajectories"), message


def waiver_reasons(results: Results, out_dir: Path) -> FigureResult:
    """Mean waived warnings per run by reason, stacked, per level of the first swept
    parameter (all runs together for sampled designs)."""
    columns = [c for c in WAIVER_COLUMNS if c in results.ok]
    runs = results.ok
    if not columns or runs[columns].to_numpy(float).sum() == 0:
        return None, "no warning was waived"
    params = swept(results)
    key = params[0] if params and not results.design.kind.is_sample else None
    means = runs.groupby(key)[columns].mean() if key else runs[columns].mean().to_frame("all runs").T
    note = pooling_note(runs, params[1:] if key else params)
    with figure(ONE_COLUMN, 1.2 + 0.22 * len(means)) as fig:
        ax = fig.add_subplot()
        left = np.zeros(len(means))
        ticks = [level_text(v) for v in means.index]
        for column in columns:
            values = means[column].to_numpy(float)
            ax.barh(range(len(means)), values, left=left, label=WAIVER_COLUMNS[column], height=0.7)
            left += values
        ax.set_yticks(range(len(means)), ticks)
        ax.set(xlabel="waived warnings per run", ylabel=label(key) if key else "")
        fig.legend(loc="outside upper center", ncols=2, title=f"({note})" if note else None)
        return save(fig, out_dir, "waiver_reasons"), "waiver reasons" + (f" ({note})" if note else "")


def sensitivity_bars(results: Results, out_dir: Path) -> FigureResult:
    """Sobol first-order and total indices (Saltelli designs) or PRCC (Latin hypercubes) of
    the main outcomes, with bootstrap / Fisher-z 95% intervals."""
    kind = results.design.kind
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
    with figure(TWO_COLUMNS, 1.0 + 0.3 * len(params)) as fig:
        axes = fig.subplots(1, len(outcomes), sharey=True, squeeze=False)[0]
        for ax, (outcome, table) in zip(axes, tables.items(), strict=True):
            bars = [("S1", "first order"), ("ST", "total")] if kind is DesignKind.SOBOL else [("prcc", "PRCC")]
            for i, (col, name) in enumerate(bars):
                shift = (i - (len(bars) - 1) / 2) * 0.38
                est = table[col].to_numpy(float)
                lo_col, hi_col = (f"{col}_low", f"{col}_high") if col != "prcc" else ("low", "high")
                err = [est - table[lo_col].to_numpy(float), table[hi_col].to_numpy(float) - est]
                ax.barh(y + shift, est, height=0.36, xerr=np.clip(err, 0, None), label=name,
                        error_kw={"elinewidth": 0.6, "capsize": 1.5})
            ax.axvline(0, color="black", linewidth=0.5)
            ax.set_title(outcome.replace("_", " "))
            ax.set_xlabel("Sobol index" if kind is DesignKind.SOBOL else "partial rank correlation")
        axes[0].set_yticks(y, [p.replace("_", " ") for p in params])
        axes[0].invert_yaxis()
        legend_above(fig, axes[-1], None)
        return save(fig, out_dir, "sensitivity"), "sensitivity indices"


FIGURES: dict[str, Callable[[Results, Path], FigureResult]] = {
    "heed_vs_rivalry": heed_vs_rivalry,
    "outcomes_vs_parameter": outcomes_vs_parameter,
    "heatmap_heed_rate": partial(heatmap, outcome="heed_rate"),
    "heatmap_mean_trust": partial(heatmap, outcome="mean_trust"),
    "outcome_distributions": outcome_distributions,
    "trust_trajectories": trust_trajectories,
    "waiver_reasons": waiver_reasons,
    "sensitivity": sensitivity_bars,
}
"""Every figure by name (the CLI's ``--only`` choices), in the order they are drawn."""
