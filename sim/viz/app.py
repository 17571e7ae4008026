"""The page of ``warnsim view`` (Solara): one run, day by day, with its controls and bounds.

Each browser tab is a Solara session with its own model, which ``warnsim view`` runs in a process
of its own (:class:`sim.viz.worker.ProcessSession`; in Jupyter, in the kernel:
:class:`sim.viz.viewmodel.Session`).
The page is built from Solara components rather than Mesa's ``SolaraViz``, whose controller
(Mesa 3.3.1) cannot be bounded: its play interval (1-500 ms) and render interval (1-100 steps)
are fixed, unchecked sliders, its Step runs the whole render interval past the end of a run
("Day 3700 of 3650"), its Reset and its inputs pass exceptions to the page as tracebacks, and its
sliders show no values. Here:

* the sidebar holds Reset, Play/Pause and Step, the session's limits, then one control per
  declaration (:mod:`sim.viz.controls`): a slider and its value as a number that can be typed;
  changes apply at Reset, and the number of changes waiting is shown;
* every value the page sends is checked (:func:`sim.viz.controls.accept`); any error, from a
  value, a scenario file, a refused run or a bug, is one line above the drawing (the traceback of
  a bug goes to the server's log only);
* play runs in a thread at the chosen speed, within the session's limits (:class:`Pacer`), and
  stops at the end of the run;
* the drawing (summary, network, warning log, plots) is one HTML block built under the session's
  lock, after the days it shows were simulated; it is the page-ready marker
  ``<div id="warnsim-ready" data-day="N">``, so tools can wait for the first day drawn.

In Jupyter, ``Page(scenario="default")`` as the last expression of a cell shows the view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any, cast

import reacton.ipyvuetify as rv
import solara
from solara.components.input import use_change

from sim.errors import UserError
from sim.params import GROUPS, Param
from sim.viz.config import ViewConfig
from sim.viz.controls import (
    SCENARIO,
    accept,
    control,
    declarations,
    defaults,
    format_value,
    run_settings,
    shown_parameters,
)
from sim.viz.limits import SessionLimits
from sim.viz.server import release_memory
from sim.viz.viewmodel import Frame, Session
from sim.viz.worker import ModelFailure, ProcessSession

TITLE = "warnsim: warning diplomacy, day by day"
CSS = """
.control-slider .v-input__slot { flex-wrap: wrap; }
.control-slider .v-label { flex: 1 0 100%; font-size: 13px; height: auto; line-height: 1.25;
  white-space: normal; margin: 4px 0 -6px 0; color: rgba(0, 0, 0, 0.75); }
.control-number .v-input__slot { min-height: 30px !important; padding: 0 6px !important; }
.control-number input { padding: 3px 0 !important; font-size: 13px; text-align: right; }
.v-expansion-panel-content__wrap { padding: 0 12px 8px 12px; }
.v-expansion-panel-header { min-height: 40px !important; padding: 8px 16px; }
"""
logger = logging.getLogger("warnsim.view")


def one_line(exc: BaseException) -> str:
    """What the page says about an error: the message of a :class:`UserError` (which names a key
    or a scenario by its label, never a server path), else the kind of failure only; the
    traceback of anything else goes to the server's log."""
    if isinstance(exc, UserError):
        text = str(exc)
    elif isinstance(exc, ModelFailure):
        text = f"the model failed ({exc}); the server's log has the details"
    elif isinstance(exc, MemoryError):
        text = "not enough memory on the server for this run: use fewer days or lower rates"
    else:
        logger.error("warnsim view: unexpected error", exc_info=exc)
        text = f"the view failed ({type(exc).__name__}); the server's log has the details"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


# --- controls -----------------------------------------------------------------------------------
def _use_restore(elements: list[Any]) -> Callable[[list[Any]], None]:
    """A function that puts inputs back to the last good values after a refused one. It sets
    the widgets: the page changed them, not a render, so a render with the same values would
    send nothing."""
    widgets = solara.use_ref(cast(list[Any], []))

    def find() -> None:
        widgets.current = [solara.get_widget(e) for e in elements]

    solara.use_effect(find)  # after every render (the elements are new each time)

    def restore(values: list[Any]) -> None:
        for widget, good in zip(widgets.current, values, strict=False):
            widget.v_model = good

    return restore


@solara.component
def Control(spec: Param, value: Any, on_value: Callable[[str, Any], None],
            on_error: Callable[[str], None]) -> None:
    """One declared control: a slider and its value as a number that can be typed (applied on
    Enter or on leaving the field), a select or a checkbox. Whatever the page sends is checked;
    a refused value is one line and the inputs go back to the last good value."""
    info = control(spec)
    inputs: list[Any] = []
    shown: list[Any] = []

    def take(raw: Any) -> None:
        try:
            checked = accept(spec, raw)
        except UserError as exc:
            on_error(one_line(exc))
            restore(shown)
            return
        on_value(spec.name, checked)

    if info["type"] == "Select":
        inputs.append(rv.Select(v_model=value, on_v_model=take, items=info["values"],
                                label=info["label"], dense=True, hide_details=True))
        shown.append(value)
    elif info["type"] == "Checkbox":
        inputs.append(rv.Checkbox(v_model=value, on_v_model=take, label=info["label"],
                                  dense=True, hide_details=True))
        shown.append(value)
    else:
        with solara.Row(gap="8px", style={"align-items": "flex-end", "margin-bottom": "2px"}):
            inputs.append(rv.Slider(
                v_model=value, on_v_model=take, min=info["min"], max=info["max"],
                step=info["step"], label=info["label"], thumb_label=False, hide_details=True,
                dense=True, class_="control-slider", style_="flex:1 1 auto;min-width:80px"))
            inputs.append(rv.TextField(
                v_model=format_value(value), dense=True, hide_details=True, outlined=True,
                class_="control-number", style_="flex:0 0 84px;max-width:84px;font-size:13px",
                attributes={"aria-label": f"{info['label']}: value"}))
            use_change(inputs[1], take)
        shown.extend([value, format_value(value)])
    restore = _use_restore(inputs)


@solara.component
def ScenarioSelect(labels: list[str], value: str, on_value: Callable[[str, Any], None],
                   on_error: Callable[[str], None]) -> None:
    inputs: list[Any] = []

    def take(raw: Any) -> None:
        if not isinstance(raw, str) or raw not in labels:
            on_error(f"scenario: {repr(raw)[:60]} is not offered; allowed: {', '.join(labels)}")
            restore([value])
            return
        on_value(SCENARIO, raw)

    inputs.append(rv.Select(v_model=value, on_v_model=take, items=labels, label="Scenario",
                            dense=True, hide_details=True))
    restore = _use_restore(inputs)


@solara.component
def ErrorLine(error: solara.Reactive[str]) -> None:
    if error.value:
        solara.HTML(tag="div", unsafe_innerHTML=escape(error.value), classes=["view-error"],
                    style={"color": "#b00020", "font-weight": "bold", "padding": "4px 0",
                           "white-space": "nowrap", "overflow-x": "auto"})


@solara.component
def Dashboard(picture: solara.Reactive[str]) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=picture.value, style={"overflow-x": "auto"})


# --- the page -----------------------------------------------------------------------------------
def _start(config: ViewConfig) -> tuple[Session, str, str]:
    """A session with its first model: (session, drawing, error line)."""
    session = ProcessSession(config.limits) if config.isolate else Session(config.limits)
    values = defaults(config.scenario, config.limits)
    try:
        drawing = session.build(config.choices.load(config.scenario), config.scenario,
                                _model_values(values))
        return session, drawing, ""
    except Exception as exc:  # shown as one line; the page still loads
        return session, "", one_line(exc)


def _close(session: Session) -> None:
    session.close()
    release_memory()


def _model_values(values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :class:`ViewModel` from the controls (play settings left out)."""
    return {k: v for k, v in values.items() if k not in {SCENARIO, "step", "speed"}}


def _pending(values: dict[str, Any], built: dict[str, Any]) -> int:
    return sum(1 for k, v in values.items() if k not in {"step", "speed"} and built.get(k) != v)


@solara.component
def Page(scenario: str | None = None) -> None:
    """One session: its model, the controls in the sidebar, the drawing beside them."""
    config = solara.use_memo(lambda: ViewConfig.from_env(scenario), [])
    limits: SessionLimits = config.limits
    started = solara.use_memo(lambda: _start(config), [])
    session: Session = started[0]
    solara.use_effect(lambda: lambda: _close(session), [])  # tab closed or kernel culled
    labels = solara.use_memo(config.choices.labels, [])
    specs = solara.use_memo(lambda: declarations(limits), [])

    # use_reactive follows its argument when it changes between renders: pass constants only
    initial = solara.use_memo(lambda: defaults(config.scenario, limits), [])
    values = solara.use_reactive(initial)
    built = solara.use_reactive(initial)
    picture = solara.use_reactive(started[1])
    error = solara.use_reactive(started[2])
    playing = solara.use_reactive(False)

    def set_value(name: str, value: Any) -> None:
        if values.value.get(name) != value:  # (restoring a refused input sends the same)
            values.set({**values.value, name: value})
            error.set("")

    def draw_result(result: tuple[str, bool] | None) -> None:
        """Show a frame; sending it to the page counts as the session's work too."""
        if result is not None:
            start = session.pacer.clock()
            picture.set(result[0])
            if result[1]:
                playing.set(False)
            session.pacer.spent(start, session.pacer.clock())

    def reset() -> None:
        playing.set(False)
        wanted = dict(values.value)
        try:
            drawing = session.build(config.choices.load(wanted[SCENARIO]), wanted[SCENARIO],
                                    _model_values(wanted))
        except Exception as exc:
            error.set(one_line(exc))
            return
        built.set(wanted)
        picture.set(drawing)
        error.set("")

    def step() -> None:
        if playing.value:
            return
        try:
            draw_result(session.advance(int(values.value["step"]), session.generation))
        except Exception as exc:
            error.set(one_line(exc))

    def play(cancel: Any) -> None:
        if not playing.value:
            return
        frame = Frame.at(values.value["speed"], limits)
        generation = session.generation
        try:
            while not cancel.is_set():
                due = session.pacer.clock() + frame.seconds
                result = session.advance(frame.days, generation, cancel)
                if result is None or cancel.is_set():
                    return
                draw_result(result)
                if result[1]:
                    return
                cancel.wait(max(0.0, due - session.pacer.clock()))
        except Exception as exc:
            error.set(one_line(exc))
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value, values.value["speed"]],
                      intrusive_cancel=False)

    solara.Title("warnsim view")
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text(TITLE)
    with solara.Sidebar():
        with solara.Card("Run", margin=0, classes=["run-card"]):
            with solara.Row(justify="space-between"):
                solara.Button("Reset", color="primary", on_click=reset)
                solara.Button("Pause" if playing.value else "Play", color="primary",
                              on_click=lambda: playing.set(not playing.value))
                solara.Button("Step", color="primary", on_click=step, disabled=playing.value)
            for name, spec in run_settings(limits).items():
                if spec.group == "play":
                    Control(spec, values.value[name], set_value, error.set)
            waiting = _pending(values.value, built.value)
            if waiting:
                solara.HTML(tag="div", unsafe_innerHTML=f"{waiting} change"
                            f"{'s apply' if waiting > 1 else ' applies'} at Reset",
                            classes=["pending"], style={"color": "#b00020", "font-size": "13px"})
        with solara.Card("Limits of a session", margin=0, classes=["limits"]):
            solara.HTML(tag="div", unsafe_innerHTML="<br>".join(escape(x) for x in limits.lines()),
                        style={"font-size": "13px"})
        with solara.Card("Model", margin=0):
            ScenarioSelect(labels, values.value[SCENARIO], set_value, error.set)
            for name, spec in run_settings(limits).items():
                if spec.group == "run":
                    Control(spec, values.value[name], set_value, error.set)
        shown = shown_parameters()
        with rv.ExpansionPanels(multiple=True, accordion=True, v_model=[0], class_="groups"):
            for group in GROUPS:
                members = [p for p in shown if p.group == group]
                if not members:
                    continue
                with rv.ExpansionPanel():
                    rv.ExpansionPanelHeader(children=[group.capitalize()])
                    with rv.ExpansionPanelContent():
                        for spec in members:
                            Control(specs[spec.name], values.value[spec.name], set_value,
                                    error.set)
    with solara.Column(style={"padding": "8px"}):
        ErrorLine(error)
        Dashboard(picture)

