"""The view's controls, generated from declarations (never listed by hand), and the one place
where a value sent by the page is checked.

Every declared model parameter outside the ``structure`` group (functional-form constants, which
a user watching a run rarely moves) becomes one control: a slider over its declared range beside
a field showing its value as a number, which can be typed; a select of an enum's values; or a
checkbox, labelled with its declared label and unit. The run settings come first, declared here
the same way (:func:`run_settings`): the scenario, the seed and the run length, whose maximum is
the session's ``days`` limit; then how the run is played (days per Step, speed).

The page can send anything for any control (the websocket carries JSON, not the widget's type),
so :func:`accept` checks every value against its declaration and turns a bad one into a
one-line message naming the key and what is allowed (``Param.parse`` and ``Param.coerce``, as
``--set`` does).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from sim.errors import UserError
from sim.params import GROUPS, PARAMETERS, Param
from sim.viz.limits import SessionLimits
from sim.viz.viewmodel import VIEW_DAYS

HIDDEN_GROUPS: frozenset[str] = frozenset({"structure"})
"""Parameter groups without a control (they keep their defaults in the view)."""

SLIDER_STEPS = 100
"""A float slider moves in about this many steps across its declared range."""

SCENARIO = "scenario"
"""The key of the scenario control (a select of :meth:`ScenarioChoices.labels`)."""


def _setting(name: str, kind: type, default: Any, *, low: float, high: float, unit: str,
             label: str, doc: str, group: str) -> Param:
    return Param(name=name, kind=kind, default=default, low=low, high=high, unit=unit,
                 label=label, doc=doc, group=group, source="")


def run_settings(limits: SessionLimits) -> dict[str, Param]:
    """The model's run settings (applied at Reset) and how it is played (applied at once)."""
    return {p.name: p for p in (
        _setting("seed", int, 0, low=0, high=99_999, unit="", label="Seed",
                 doc="Seed of the run (the same as `warnsim run --seed`)", group="run"),
        _setting("days", int, min(VIEW_DAYS, limits.days), low=10, high=limits.days,
                 unit="days", label="Run length", doc="Days the run lasts", group="run"),
        _setting("step", int, 1, low=1, high=365, unit="days", label="Step",
                 doc="Days the Step button simulates", group="play"),
        _setting("speed", float, min(10.0, limits.speed), low=1, high=limits.speed,
                 unit="days a second", label="Speed", doc="Days a second while playing",
                 group="play"),
    )}


def nice_step(low: float, high: float, default: float, steps: int = SLIDER_STEPS) -> float:
    """The largest round step (1, 2 or 5 times a power of ten) that gives at least ``steps``
    steps over [low, high] and puts the default on the slider's grid (``low + k step``): a
    slider snaps its value to that grid, so an off-grid default would change the parameter as
    soon as the page loads."""
    raw = (high - low) / steps
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for _ in range(12):
        for factor in (5, 2, 1):
            step = round(factor * power, 12)
            if step <= raw * (1 + 1e-9) and _on_grid(default - low, step):
                return step
        power /= 10
    return round(power, 12)


def _on_grid(offset: float, step: float) -> bool:
    k = offset / step
    return abs(k - round(k)) < 1e-6


def label(spec: Param) -> str:
    return f"{spec.label} ({spec.unit})" if spec.unit and spec.unit != "-" else spec.label


def control(spec: Param) -> dict[str, Any]:
    """The input for one declaration: type, current value, range and step, label."""
    default = spec.default
    if issubclass(spec.kind, Enum):
        return {"type": "Select", "value": default.value, "values": list(spec.choices or ()),
                "label": label(spec)}
    if spec.kind is bool:
        return {"type": "Checkbox", "value": default, "label": label(spec)}
    assert spec.low is not None and spec.high is not None
    if spec.kind is int:
        return {"type": "SliderInt", "value": default, "min": int(spec.low),
                "max": int(spec.high), "step": 1, "label": label(spec)}
    return {"type": "SliderFloat", "value": default, "min": spec.low, "max": spec.high,
            "step": nice_step(spec.low, spec.high, default), "label": label(spec)}


def shown_parameters() -> list[Param]:
    """The parameters with a control, in the order of their groups."""
    order = {g: k for k, g in enumerate(GROUPS)}
    shown = [p for p in PARAMETERS.values() if p.group not in HIDDEN_GROUPS]
    return sorted(shown, key=lambda p: order.get(p.group, len(order)))


def declarations(limits: SessionLimits) -> dict[str, Param]:
    """Every control's declaration but the scenario's: run settings, then parameters."""
    return {**run_settings(limits), **{p.name: p for p in shown_parameters()}}


def defaults(scenario: str, limits: SessionLimits) -> dict[str, Any]:
    """The value of every control when a session starts."""
    return {SCENARIO: scenario,
            **{k: control(p)["value"] for k, p in declarations(limits).items()}}


def accept(spec: Param, raw: Any) -> Any:
    """The value the page sent for ``spec``, checked: a number from a slider or as typed text
    (ASCII, finite, in range), a choice of an enum, a boolean; else a one-line
    :class:`UserError` naming the key and what is allowed."""
    if isinstance(raw, str):
        if spec.kind is bool:
            raise UserError(f"{spec.name}: got {raw[:40]!r}; allowed: {spec.allowed()}")
        if len(raw) > 40:
            raise UserError(f"{spec.name}: got {raw[:37]!r}...; allowed: {spec.allowed()}")
        value = spec.parse(raw)
    else:
        value = spec.coerce(raw)
    return value.value if isinstance(value, Enum) else value


def format_value(value: Any) -> str:
    """A control's value as its number field shows it."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
