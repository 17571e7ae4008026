"""Agencies: the model's agents, as Mesa sees them.

An :class:`Agency` is a view of one row of the run's state (:class:`sim.engine.Run`): its
traits and running counts live in the arrays the compiled kernels read and write, so that a
run stepped through Mesa and the same run made whole in one call are the same computation.
What an agency does as a sender (the duty-to-warn protocol, :mod:`sim.protocol`) and as a
recipient (inference and response, :mod:`sim.inference`) is in those kernels; reading an
agent's attributes shows the state they leave.
"""

from __future__ import annotations

from typing import Any

import mesa

from sim.enums import Doctrine
from sim.scenarios import AgencyProfile


class Agency(mesa.Agent):
    """An intelligence agency: detects threats abroad, warns under its doctrine, judges warnings."""

    def __init__(self, model: mesa.Model, index: int, profile: AgencyProfile) -> None:
        """``model`` is a :class:`sim.model.WarningModel`, whose ``arrays`` hold the state."""
        super().__init__(model)
        self.index = index
        self.profile = profile
        self.name = profile.name

    @property
    def _row(self) -> Any:
        return self.model.arrays.agencies[self.index]  # type: ignore[attr-defined]

    @property
    def doctrine(self) -> Doctrine:
        """The doctrine this agency follows in this run (its own, or one imposed on all)."""
        return list(Doctrine)[int(self._row.doctrine)]

    @property
    def sent(self) -> int:
        """Warnings sent so far, fabricated ones included."""
        return int(self._row.sent)

    @property
    def received(self) -> int:
        """Warnings delivered to this agency so far."""
        return int(self._row.received)

    @property
    def heeded(self) -> int:
        """Warnings this agency heeded so far (at once or after investigating)."""
        return int(self._row.heeded)

    @property
    def sources_burned(self) -> int:
        """Its sources exposed by the details it passed, so far."""
        return int(self._row.sources_burned)

    @property
    def capability(self) -> float:
        """Collection capability now (falls as its sources are burned)."""
        return float(self._row.capability)

    @property
    def load(self) -> int:
        """Protective actions it has in force (its warning load)."""
        return int(self._row.load)
