"""The explorer page: ``warnsim explore DIR`` serves it (``solara run sim.explore.app`` with
``WARNSIM_EXPLORE_DIR`` set does too).

Left, the filters: a row of level buttons for each categorical factor, a from/to pair for each
numeric factor and each outcome drawn. Right, four tabs over the points the filters keep:

* **Parallel coordinates**: the factors and the chosen outcomes, coloured by a column, with
  exports of the figure (PNG, PDF or SVG) and of the rows (CSV);
* **Contrast**: the paired contrast of :mod:`sim.analysis.contrasts` (factor, levels, outcome,
  a ``where`` filter on the warning log, strata), its table and figure, and their export;
* **Plot**: one outcome against the factors by :func:`sim.analysis.figures.plot` (x, hue, facet),
  and its export;
* **Rows**: the rows kept.

What the page computes lives in :mod:`sim.explore.data`. Every failure is shown as one line,
without a traceback and without the folder's path (``DIR`` stands for it); an unexpected error
is logged in full on the server's console. The folder is read once per server process.
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import solara
import solara.lab

from sim.errors import UserError
from sim.explore.data import (
    FIGURE_FORMATS,
    Explorer,
    Filter,
    Levels,
    Range,
    describe,
    one_line,
    parallel_figure,
    svg_text,
)

DIRECTORY_VARIABLE = "WARNSIM_EXPLORE_DIR"
"""How ``warnsim explore DIR`` tells the page which folder to show."""
AUTO, NONE = "auto", "none"
ROWS_SHOWN = 200
"""Rows the Rows tab lists (the export has all of them)."""
_LOADED: dict[str, Explorer] = {}


def current() -> Explorer:
    """The folder named by ``WARNSIM_EXPLORE_DIR``, read on first use and kept."""
    from sim.analysis.load import load_results

    folder = os.environ.get(DIRECTORY_VARIABLE, "")
    if not folder:
        raise UserError(f"no results folder: start the page with `warnsim explore DIR` "
                        f"(it sets {DIRECTORY_VARIABLE})")
    if folder not in _LOADED:
        _LOADED[folder] = Explorer.load(load_results(folder))
    return _LOADED[folder]


def attempt(action, directory: Path | None) -> tuple[Any, str]:
    """``(value, "")``, or ``(None, the one-line error)``."""
    try:
        return action(), ""
    except Exception as exc:  # everything reaches the page as one line (see one_line)
        return None, one_line(exc, directory)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _html(markup: str, classes: list[str] | None = None, **style: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=markup, classes=classes or [],
                style={"overflow-x": "auto", "max-width": "100%", **style})


def _error(text: str) -> None:
    if text:
        _html(f"<span>{escape(text)}</span>", ["error-line"], color="#b00020",
              font_size="14px")


def _status(text: str) -> None:
    if text:
        _html(f"<span>{escape(text)}</span>", ["export-status"], color="#1b5e20",
              font_size="14px")


def table_html(frame: pd.DataFrame, limit: int | None = None) -> str:
    """A table as the analysis prints it (human headers, numbers to the precision the
    tables use), as HTML."""
    from sim.analysis.labels import header
    from sim.analysis.tables import formatted_rows

    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{escape(header(str(c)))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                   for row in formatted_rows(shown))
    return f"<table class='rows'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
.parallel svg, .contrast-figure svg, .plot-figure svg { width: 100%; height: auto; max-width: 1000px; }
table.rows { border-collapse: collapse; font-size: 12px; }
table.rows th { text-align: right; padding: 2px 6px; border-bottom: 1px solid #999; }
table.rows td { text-align: right; padding: 1px 6px; }
"""


# --- filters -------------------------------------------------------------------------------

@solara.component
def FilterPanel(explorer: Explorer, columns: list[str], filters: dict[str, Filter],
                set_filters) -> None:
    """Level buttons for categorical factors, from/to numbers for the other columns."""

    def put(column: str, rule: Filter | None) -> None:
        updated = {k: v for k, v in filters.items() if k != column}
        if rule is not None:
            updated[column] = rule
        set_filters(updated)

    from sim.analysis.labels import header

    with solara.Column(style={"gap": "2px"}):
        solara.HTML(tag="b", unsafe_innerHTML="Filters")
        for column in columns:
            with solara.Column(classes=["filter", f"filter-{_slug(column)}"],
                               style={"gap": "0px", "margin-bottom": "6px"}):
                solara.HTML(tag="span", unsafe_innerHTML=escape(header(column)),
                            style={"font-size": "13px"})
                if explorer.is_categorical(column):
                    levels = explorer.levels(column)
                    rule = filters.get(column)
                    chosen = sorted(rule.values) if isinstance(rule, Levels) else levels

                    def choose(values: list[str], column: str = column,
                               levels: list[str] = levels) -> None:
                        put(column, None if set(values) == set(levels) else
                            Levels(frozenset(values)))

                    solara.ToggleButtonsMultiple(value=chosen, values=levels, on_value=choose,
                                                 dense=True)
                else:
                    low, high = explorer.bounds(column)
                    rule = filters.get(column)
                    now = (rule.low, rule.high) if isinstance(rule, Range) else (low, high)

                    def bound(value: float | None, side: int, column: str = column,
                              now: tuple[float, float] = now,
                              full: tuple[float, float] = (low, high)) -> None:
                        edges = list(now)
                        edges[side] = full[side] if value is None else float(value)
                        put(column, None if tuple(edges) == full else Range(*edges))

                    with solara.Row(style={"gap": "4px"}):
                        solara.InputFloat("from", value=now[0], dense=True,
                                          on_value=lambda v, b=bound: b(v, 0),
                                          classes=["range-low"], style={"max-width": "130px"})
                        solara.InputFloat("to", value=now[1], dense=True,
                                          on_value=lambda v, b=bound: b(v, 1),
                                          classes=["range-high"], style={"max-width": "130px"})
        solara.Button("Clear filters", on_click=lambda: set_filters({}), dense=True,
                      classes=["clear-filters"], text=True)


# --- tabs ----------------------------------------------------------------------------------

@solara.component
def ParallelTab(explorer: Explorer, rows: pd.DataFrame, shown: list[str], set_shown,
                filters: dict[str, Filter]) -> None:
    colour, set_colour = solara.use_state(explorer.factors[0] if explorer.factors else NONE)
    fmt, set_fmt = solara.use_state("png")
    status, set_status = solara.use_state("")
    columns = [*explorer.factors, *shown]
    figure, error = solara.use_memo(
        lambda: attempt(lambda: parallel_figure(
            explorer, rows, columns, None if colour == NONE else colour), explorer.results.directory),
        [id(rows), tuple(columns), colour])

    def export_figure() -> None:
        stem = "parallel-" + _digest(filters, columns, colour)
        path, problem = attempt(lambda: explorer.export_figure(figure, stem, fmt),
                                explorer.results.directory)
        set_status(problem or f"wrote {explorer.relative(path)}")

    def export_rows() -> None:
        path, problem = attempt(lambda: explorer.export_rows(rows, columns, filters),
                                explorer.results.directory)
        set_status(problem or f"wrote {explorer.relative(path)} ({len(rows)} rows)")

    with solara.Column(classes=["tab-parallel"]):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
            solara.SelectMultiple("Outcomes drawn", values=shown,
                                  all_values=list(explorer.outcomes), on_value=set_shown,
                                  dense=True, style={"min-width": "360px"})
            solara.Select("Colour by", values=[NONE, *explorer.factors, *shown], value=colour,
                          on_value=set_colour, dense=True, style={"max-width": "220px"})
        _error(error)
        if figure is not None:
            _html(svg_text(figure), ["parallel"])
            _html(f"<span>{len(rows)} of {len(explorer.points)} design points</span>",
                  ["explore-ready"], font_size="13px")
        with solara.Row(style={"gap": "8px", "align-items": "center"}):
            solara.ToggleButtonsSingle(value=fmt, values=list(FIGURE_FORMATS), on_value=set_fmt,
                                       dense=True)
            solara.Button("Export figure", on_click=export_figure, disabled=figure is None,
                          classes=["export-figure"])
            solara.Button("Export rows (CSV)", on_click=export_rows, classes=["export-rows"])
        _status(status)


@solara.component
def ContrastTab(explorer: Explorer, rows: pd.DataFrame) -> None:
    from sim.analysis.contrasts import contrast
    from sim.schema import WARNING_FIELDS, Dtype

    factors = list(explorer.factors)
    factor, set_factor = solara.use_state(factors[0] if factors else "")
    levels = explorer.levels(factor) if factor else []
    a, set_a = solara.use_state(levels[-1] if levels else "")
    b, set_b = solara.use_state(levels[0] if levels else "")
    outcome, set_outcome = solara.use_state("heed_rate")
    where, set_where = solara.use_state("")
    others = [f for f in factors if f != factor]
    by, set_by = solara.use_state(others)
    fmt, set_fmt = solara.use_state("png")
    status, set_status = solara.use_state("")

    def pick_factor(name: str) -> None:
        set_factor(name)
        found = explorer.levels(name)
        set_a(found[-1])
        set_b(found[0])
        set_by([f for f in factors if f != name])

    log_columns = [c.name for c in WARNING_FIELDS if c.dtype is not Dtype.STRING]
    outcomes = list(dict.fromkeys([*explorer.outcomes, "warnings", *log_columns]))
    subset = explorer.subset(rows)

    def compute():
        if a not in levels or b not in levels:
            raise UserError(f"choose two levels of {factor}")
        return contrast(subset, factor, explorer.value_of(factor, a), explorer.value_of(factor, b),
                        outcome=outcome, where=where.strip() or None,
                        by=[f for f in by if f in others])

    found, error = solara.use_memo(lambda: attempt(compute, explorer.results.directory),
                                   [id(rows), factor, a, b, outcome, where, tuple(by)])
    figure = solara.use_memo(lambda: None if found is None else attempt(
        found.figure, explorer.results.directory)[0], [found])

    def export(what: str) -> None:
        def write() -> str:
            if what == "table":
                from sim.analysis.tables import write_table

                paths = write_table(found.to_table(), explorer.folder)
                return ", ".join(explorer.relative(p) for p in paths)
            return explorer.relative(explorer.export_figure(figure, found.stem, fmt))
        text, problem = attempt(write, explorer.results.directory)
        set_status(problem or f"wrote {text}")

    with solara.Column(classes=["tab-contrast"]):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
            solara.Select("Factor", values=factors, value=factor, on_value=pick_factor, dense=True,
                          style={"max-width": "220px"})
            solara.Select("Level A", values=levels, value=a, on_value=set_a, dense=True,
                          style={"max-width": "160px"})
            solara.Select("minus level B", values=levels, value=b, on_value=set_b, dense=True,
                          style={"max-width": "160px"})
            solara.Select("Outcome", values=outcomes, value=outcome, on_value=set_outcome,
                          dense=True, style={"max-width": "260px"})
            solara.SelectMultiple("Split by (none: pooled)", values=[f for f in by if f in others],
                                  all_values=others, on_value=set_by, dense=True,
                                  style={"min-width": "240px"})
        solara.InputText("Only the warnings where (e.g. channel == 'relay' and rivalry < 0.2)",
                         value=where, on_value=lambda v: set_where(v or ""),
                         classes=["contrast-where"])
        _error(error)
        if found is not None:
            _html(f"<p class='contrast-title'>{escape(found.to_table().heading)}</p>"
                  + table_html(found.table.drop(columns=list(found.by))),
                  ["contrast-table"], font_size="13px")
            if figure is not None:
                _html(svg_text(figure), ["contrast-figure"])
            with solara.Row(style={"gap": "8px", "align-items": "center"}):
                solara.ToggleButtonsSingle(value=fmt, values=list(FIGURE_FORMATS),
                                           on_value=set_fmt, dense=True)
                solara.Button("Export figure", on_click=lambda: export("figure"),
                              classes=["export-contrast-figure"])
                solara.Button("Export table", on_click=lambda: export("table"),
                              classes=["export-contrast-table"])
        _status(status)


@solara.component
def PlotTab(explorer: Explorer, rows: pd.DataFrame) -> None:
    from sim.analysis.figures import plot

    outcome, set_outcome = solara.use_state(
        explorer.default_outcomes[0] if explorer.default_outcomes else explorer.outcomes[0])
    x, set_x = solara.use_state(AUTO)
    hue, set_hue = solara.use_state(AUTO)
    facet, set_facet = solara.use_state(AUTO)
    fmt, set_fmt = solara.use_state("png")
    status, set_status = solara.use_state("")
    subset = explorer.subset(rows)
    drawn, error = solara.use_memo(
        lambda: attempt(lambda: plot(subset, outcome=outcome, x=x, hue=hue, facet=facet),
                        explorer.results.directory),
        [id(rows), outcome, x, hue, facet])

    def export() -> None:
        path, problem = attempt(lambda: explorer.export_figure(drawn.figure, drawn.stem, fmt),
                                explorer.results.directory)
        set_status(problem or f"wrote {explorer.relative(path)}")

    factors = list(explorer.factors)
    with solara.Column(classes=["tab-plot"]):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
            solara.Select("Outcome", values=list(explorer.outcomes), value=outcome,
                          on_value=set_outcome, dense=True, style={"max-width": "260px"})
            solara.Select("x", values=[AUTO, *factors], value=x, on_value=set_x, dense=True,
                          style={"max-width": "200px"})
            solara.Select("Hue", values=[AUTO, NONE, *factors], value=hue, on_value=set_hue,
                          dense=True, style={"max-width": "200px"})
            solara.Select("Facet", values=[AUTO, NONE, *factors], value=facet,
                          on_value=set_facet, dense=True, style={"max-width": "200px"})
        _error(error)
        if drawn is not None:
            _html(f"<p>{escape(drawn.message)}</p>", font_size="13px")
            _html(svg_text(drawn.figure), ["plot-figure"])
            with solara.Row(style={"gap": "8px", "align-items": "center"}):
                solara.ToggleButtonsSingle(value=fmt, values=list(FIGURE_FORMATS),
                                           on_value=set_fmt, dense=True)
                solara.Button("Export figure", on_click=export, classes=["export-plot"])
        _status(status)


def _digest(filters: dict[str, Filter], columns: list[str], colour: str) -> str:
    from sim.explore.data import digest

    return digest({"filters": describe(filters), "columns": columns, "colour": colour})


@solara.component
def Page() -> None:
    """One session: its own filters and choices over the folder the server was started on."""
    explorer, error = solara.use_memo(lambda: attempt(current, None), [])
    if explorer is None:
        _error(error)
    else:
        Explore(explorer)


@solara.component
def Explore(explorer: Explorer) -> None:
    """The page over a loaded folder: summary, filters and the tabs."""
    filters, set_filters = solara.use_state({})
    shown, set_shown = solara.use_state(list(explorer.default_outcomes))
    rows, problem = solara.use_memo(
        lambda: attempt(lambda: explorer.filter(filters), explorer.results.directory), [filters])
    if rows is None:
        rows = explorer.points.iloc[:0]
    r = explorer.results
    design = ", ".join(explorer.factors) or "nothing varies"
    solara.Title(f"warnsim explore: {r.name}")
    solara.Style(CSS)
    with solara.Column(style={"padding": "8px"}):
        _html(f"<h3 style='margin:0'>{escape(r.name)}</h3><span class='summary'>"
              f"{escape(r.design.kind.value)} design over {escape(design)}: "
              f"{len(explorer.points)} design points, {len(r.ok)} runs"
              f"{f', {r.n_failed} failed' if r.n_failed else ''}</span>", font_size="14px")
        with solara.Row(style={"align-items": "flex-start", "gap": "16px"}):
            with solara.Column(style={"width": "300px", "flex": "0 0 300px"}):
                FilterPanel(explorer, [*explorer.factors, *shown], filters, set_filters)
                _error(problem)
            with solara.Column(style={"flex": "1 1 auto", "min-width": "0"}):
                with solara.lab.Tabs():
                    with solara.lab.Tab("Parallel coordinates"):
                        ParallelTab(explorer, rows, shown, set_shown, filters)
                    with solara.lab.Tab("Contrast"):
                        ContrastTab(explorer, rows)
                    with solara.lab.Tab("Plot"):
                        PlotTab(explorer, rows)
                    with solara.lab.Tab("Rows"):
                        _html(f"<p>{len(rows)} of {len(explorer.points)} design points"
                              + (f"; the first {ROWS_SHOWN} shown (the CSV export has all)"
                                 if len(rows) > ROWS_SHOWN else "") + "</p>"
                              + table_html(rows[["point_id", "runs", *explorer.factors, *shown]],
                                           ROWS_SHOWN), ["rows-table"], font_size="12px")
