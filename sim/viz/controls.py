"""The view's controls, generated from the parameter declarations (never listed by hand).

Every declared parameter outside the ``structure`` group (functional-form constants, which a
user watching a run rarely moves) becomes one SolaraViz input: a float slider over its declared
range, an integer slider, a select of an enum's values or a checkbox, labelled with its
declared label and unit. The scenario, the seed and the run length come first.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

from sim.params import GROUPS, PARAMETERS, Param
from sim.run import MAX_DAYS
from sim.scenarios import scenario_names

HIDDEN_GROUPS: frozenset[str] = frozenset({"structure"})
"""Parameter groups without a control (they keep their defaults in the view)."""

SLIDER_STEPS = 100
"""A float slider moves in about this many steps across its declared range."""

VIEW_DAYS = 3650
"""Default run length in the view: ten years, so that learning has time to show."""


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


def control(spec: Param) -> dict[str, Any]:
    """The SolaraViz input for one declared parameter."""
    label = f"{spec.label} ({spec.unit})" if spec.unit and spec.unit != "-" else spec.label
    default = spec.default
    if issubclass(spec.kind, Enum):
        return {"type": "Select", "value": default.value, "values": list(spec.choices or ()),
                "label": label}
    if spec.kind is bool:
        return {"type": "Checkbox", "value": default, "label": label}
    assert spec.low is not None and spec.high is not None
    if spec.kind is int:
        return {"type": "SliderInt", "value": default, "min": int(spec.low), "max": int(spec.high),
                "step": 1, "label": label}
    step = nice_step(spec.low, spec.high, default)
    return {"type": "SliderFloat", "value": default, "min": spec.low, "max": spec.high,
            "step": step, "label": label}


def shown_parameters() -> list[Param]:
    """The parameters with a control, in the order of their groups."""
    order = {g: k for k, g in enumerate(GROUPS)}
    shown = [p for p in PARAMETERS.values() if p.group not in HIDDEN_GROUPS]
    return sorted(shown, key=lambda p: order.get(p.group, len(order)))


def model_params(scenario: str = "default", seed: int = 0, days: int = VIEW_DAYS,
                 session: Any = None) -> dict[str, Any]:
    """SolaraViz ``model_params``: run settings first, then one control per shown parameter.

    ``scenario`` is a built-in name or a scenario file (offered beside the built-in names);
    ``session`` is passed unchanged to every model the page builds (:class:`ViewModel`).
    """
    scenarios = scenario_names()
    if scenario not in scenarios:
        scenarios = [scenario, *scenarios]
    out: dict[str, Any] = {
        "scenario": {"type": "Select", "value": scenario, "values": scenarios, "label": "Scenario"},
        "seed": {"type": "SliderInt", "value": seed, "min": 0, "max": 999, "step": 1,
                 "label": "Seed"},
        "days": {"type": "SliderInt", "value": days, "min": 10, "max": min(MAX_DAYS, 36500),
                 "step": 10, "label": "Days"},
    }
    for spec in shown_parameters():
        out[spec.name] = control(spec)
    if session is not None:
        out["session"] = session  # a fixed parameter: not a dict, so SolaraViz shows no input
    return out
