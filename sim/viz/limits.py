"""The bounds of one browser session of ``warnsim view``, declared once.

Anyone who can reach the view's port gets a session (one per tab) with its own model, and can
ask it for a long run, a fast play or parameters that draw a large world. Each bound below is a
field of :class:`SessionLimits` with its label, unit and allowed range; ``warnsim view --limit
KEY=VALUE`` sets one (checked like ``--set``), the page's "Limits" card lists them
(:meth:`SessionLimits.lines`) and docs/view.md describes them. Where each is enforced:

* ``days``: the Days control's maximum, checked again when a model is built
  (:class:`sim.viz.viewmodel.ViewModel`);
* ``speed`` and ``cpu``: the play loop's pace and every Step (:class:`sim.viz.viewmodel.Pacer`);
* ``memory``: a model whose estimated memory is larger is refused before it is built
  (:func:`sim.viz.viewmodel.memory_estimate`), and the session's process cannot grow by more
  than twice the limit plus 64 MB (:mod:`sim.viz.worker`);
* ``idle``: Solara's kernel cull timeout (:func:`sim.viz.server.serve`): a session whose tabs
  have all disconnected is freed after this long (Solara keeps it 24 hours by default); a tab
  that is closed frees its session at once.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any

from sim.params import Param, ParameterError
from sim.run import MAX_DAYS


def _limit(default: Any, label: str, doc: str, *, low: float, high: float, unit: str) -> Any:
    return field(default=default, metadata={"low": low, "high": high, "unit": unit,
                                            "label": label, "doc": doc})


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLimits:
    """What one session may ask for (values checked against :data:`LIMITS` on construction)."""

    days: int = _limit(
        7300, "Run length", "Longest run a session may build (twenty years)",
        low=10, high=MAX_DAYS, unit="days")
    speed: float = _limit(
        100.0, "Speed", "Fastest a session plays a run", low=1, high=10_000,
        unit="days a second")
    cpu: float = _limit(
        0.5, "Processor", "Largest share of one core a session keeps busy (stepping and "
        "drawing), averaged over its steps and frames", low=0.05, high=1, unit="of a core")
    memory: float = _limit(
        64.0, "Memory", "Largest estimated memory of a session's model: a larger run is refused "
        "before it is built (and the session's process cannot grow by more than twice this "
        "plus 64 MB)", low=1, high=65_536, unit="MB")
    idle: int = _limit(
        120, "Idle", "Seconds after its last tab disconnects that a session is freed (a closed "
        "tab frees it at once)", low=1, high=86_400, unit="s")

    def __post_init__(self) -> None:
        for spec in LIMITS.values():
            object.__setattr__(self, spec.name, spec.coerce(getattr(self, spec.name),
                                                            origin="--limit"))

    @classmethod
    def parse(cls, items: list[str]) -> SessionLimits:
        """From ``--limit key=value`` strings; an unknown key or a bad value is a one-line error
        naming the key and what is allowed."""
        values: dict[str, Any] = {}
        for item in items:
            key, sep, text = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ParameterError(item, "expected key=value", origin="--limit")
            if key not in LIMITS:
                raise ParameterError(key, "unknown limit; allowed: " + ", ".join(LIMITS),
                                     origin="--limit")
            values[key] = LIMITS[key].parse(text, origin="--limit")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in LIMITS}

    def lines(self) -> list[str]:
        """One line per limit for the page, e.g. ``Run length: up to 7,300 days``."""
        return [f"{spec.label}: {_phrase(spec.name, getattr(self, spec.name))}"
                for spec in LIMITS.values()]


def _phrase(name: str, value: float) -> str:
    if name == "cpu":
        return f"at most {value:.0%} of a core"
    if name == "idle":
        return f"freed {_duration(int(value))} after its tabs disconnect"
    unit = LIMITS[name].unit
    return f"up to {value:,.0f} {unit}" if value == int(value) else f"up to {value:,g} {unit}"


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _declarations() -> dict[str, Param]:
    hints = typing.get_type_hints(SessionLimits)
    return {
        f.name: Param(name=f.name, kind=hints[f.name], default=f.default, low=f.metadata["low"],
                      high=f.metadata["high"], unit=f.metadata["unit"],
                      label=f.metadata["label"], doc=f.metadata["doc"], group="limits",
                      source="")
        for f in dataclasses.fields(SessionLimits)
    }


LIMITS: dict[str, Param] = _declarations()
"""Name -> declaration of each session limit, in declaration order."""


TABLE_BEGIN = "<!-- limits-table:begin (generated from sim/viz/limits.py: sim.viz.limits.markdown) -->"
TABLE_END = "<!-- limits-table:end -->"


def markdown() -> str:
    """The limits as the Markdown table docs/view.md embeds between its markers (a test checks
    that they agree)."""
    lines = ["| key | default | allowed | unit | meaning |", "|---|---|---|---|---|"]
    for spec in LIMITS.values():
        lines.append(f"| `{spec.name}` | {spec.default:g} | {spec.low:g} to {spec.high:g} | "
                     f"{spec.unit} | {spec.doc} |")
    return "\n".join(lines) + "\n"
