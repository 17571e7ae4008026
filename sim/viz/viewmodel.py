"""The model as the view builds it: keyword parameters as SolaraViz passes them, series on.

SolaraViz rebuilds the model on reset with ``Model(**values_of_the_controls)`` and checks the
names against the constructor's signature (Mesa 3.3.1 accepts extra keywords only through a
parameter literally named ``kwargs``), so :class:`ViewModel` takes ``**kwargs`` and hands them
to :class:`sim.model.WarningModel`, which checks each against the declarations.

A page session builds a new model at every reset; Mesa 3.3.1 keeps each one alive through
``Agent._ids``. :class:`Session` frees the session's previous model when the next one is built.
"""

from __future__ import annotations

import math
from typing import Any

from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.viz.controls import VIEW_DAYS


class Session:
    """One browser session's models: only the newest is kept."""

    __slots__ = ("model",)

    def __init__(self) -> None:
        self.model: WarningModel | None = None

    def adopt(self, model: WarningModel) -> None:
        if self.model is not None and self.model is not model:
            release(self.model)
        self.model = model


class ViewModel(WarningModel):
    """A :class:`WarningModel` recording the per-day series, built from the view's controls.

    The seed is passed as ``rng`` like :func:`sim.run.simulate` does, so the view at seed ``N``
    shows the run ``warnsim run --seed N`` reports."""

    def __init__(self, *, scenario: str = "default", seed: int = 0, days: int = VIEW_DAYS,
                 session: Session | None = None, **kwargs: Any) -> None:
        super().__init__(scenario=scenario, rng=int(seed), days=int(days), record_series=True,
                         record_agents=True,
                         **kwargs)
        self.seed_value = int(seed)
        self.scenario_name = scenario
        defaults = ModelParams().to_dict()
        self.changed = {k: v for k, v in self.params.to_dict().items()
                        if not _same(v, defaults[k])}
        if session is not None:
            session.adopt(self)


def _same(a: Any, b: Any) -> bool:
    """Equal, or equal floats up to a slider's rounding (0.1 + 9 x 0.1 is not 1.0)."""
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b
