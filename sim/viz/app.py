"""The SolaraViz page: ``warnsim view`` serves it; ``solara run sim.viz.app`` does too.

Each browser session gets its own model (:class:`Page` builds it once per session). Mesa's
SolaraViz provides the step, play and reset buttons and the controls; the components below
draw the model after every step (Mesa bumps its ``update_counter`` after each step):

* a summary: the day, the scenario, the seed and the parameters changed from their defaults,
  so that what is on screen always says which model it shows;
* the network: agencies, liaison channels coloured by trust, warnings, attacks, arrests;
* the live plots: heed rate and trust by rivalry band, deaths and plots foiled, waivers;
* the warning log of the last days.

The scenario comes from the environment variable ``WARNSIM_VIEW_SCENARIO`` (set by
``warnsim view --scenario``), read when a session starts, never at import.
"""

from __future__ import annotations

import os
from html import escape

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.viz.controls import model_params
from sim.viz.figures import LOG_COLUMNS, RECENT_DAYS, network_svg, plots_svg, recent_log
from sim.viz.server import SCENARIO_VARIABLE
from sim.viz.viewmodel import Session, ViewModel

TITLE = "warnsim: warning diplomacy, day by day"


def _html(markup: str, **style: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=markup, style={"overflow-x": "auto", **style})


def summary_html(model: ViewModel) -> str:
    changed = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                        for k, v in model.changed.items()) or "none"
    return (f"<div class='summary' style='font-size:15px'><b class='day-counter'>Day "
            f"{model.day}</b> of {model.days} simulated &middot; scenario "
            f"<b>{escape(model.scenario_name)}</b> &middot; seed {model.seed_value}<br>"
            f"<span class='changed'>changed from the defaults: {escape(changed)}</span></div>")


def table_html(model: ViewModel) -> str:
    rows = recent_log(model)
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{c}</th>" for c in LOG_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:1px 8px'>{escape(str(r[c]))}</td>" for c in LOG_COLUMNS)
        + "</tr>" for r in rows)
    empty = "" if rows else f"<p>No warnings in the last {RECENT_DAYS} days.</p>"
    return (f"<b>Warning log, last {RECENT_DAYS} days</b> (details passed: T timing, L location, "
            "P perpetrators)<table class='warning-log' style='font-size:12px;border-collapse:"
            f"collapse'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{empty}")


@solara.component
def Dashboard(model: ViewModel) -> None:
    """Everything the page shows of the model, redrawn after every step."""
    update_counter.get()  # Mesa bumps it after each step: re-render then
    with solara.Column(style={"padding": "8px"}):
        _html(summary_html(model))
        with solara.Row(style={"flex-wrap": "wrap", "gap": "12px"}):
            _html(network_svg(model))
            _html(table_html(model), max_width="560px")
        _html(plots_svg(model))


@solara.component
def Page(scenario: str | None = None) -> None:
    """One session: its own model, Mesa's controls in the sidebar, the dashboard beside them.

    In Jupyter, ``Page(scenario="default")`` as the last expression of a cell shows the view;
    served, the scenario comes from ``WARNSIM_VIEW_SCENARIO``.

    SolaraViz gets the model as a reactive value and no components, so that the dashboard
    (not Mesa's fixed two-column grid, which clips drawings of this size) lays out the view."""
    scenario = scenario or os.environ.get(SCENARIO_VARIABLE, "default")
    session = solara.use_memo(Session, [])
    params = solara.use_memo(lambda: model_params(scenario, session=session), [])
    first = solara.use_memo(lambda: ViewModel(scenario=scenario, session=session), [])
    model = solara.use_reactive(first)
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=150)
    Dashboard(model.value)
