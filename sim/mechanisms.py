"""The mechanisms behind the rivalry gradient, as data: what switching each one off means.

A reviewer's first question about a finding such as "rivals' warnings are heeded less" is which
mechanism produces it. Each entry here names a mechanism of the model and the parameter values
that switch it off while leaving the rest of the model as it is; the decomposition
(``warnsim decompose``, :mod:`sim.decompose`) runs the default world with each switched off in
turn, on the same seeds, and reports the share of the gradient each explains. Like the Axelrod
library's strategies, the mechanisms describe themselves; adding one here adds it to the
decomposition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sim.params import ModelParams


@dataclass(frozen=True, slots=True)
class Mechanism:
    name: str
    label: str
    description: str
    off: Mapping[str, Any]

    def switched_off(self, params: ModelParams) -> ModelParams:
        return params.replace(**self.off)


def _off(**values: Any) -> Mapping[str, Any]:
    return MappingProxyType(values)


_DEFAULTS = ModelParams()

MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("suspicion", "Prior suspicion of rivals",
              "recipients believe rivals no more often manipulative than allies "
              "(believed shares equal)",
              _off(believed_manipulative_rival=_DEFAULTS.believed_manipulative_ally)),
    Mechanism("manipulation", "Fabrications",
              "no sender fabricates warnings (the manipulative types send nothing extra, and "
              "recipients know it)", _off(fabrication_rate=0.0)),
    Mechanism("doctrine", "Doctrines that exclude rivals",
              "every agency warns everyone (ICD 191), so no sender's doctrine makes its warnings "
              "to rivals suspect", _off(doctrine="warn_all")),
    Mechanism("sanitisation", "Sanitising details for rivals",
              "no detail is withheld, whatever the rivalry", _off(sanitisation=0.0)),
    Mechanism("sources_waiver", "Sources-and-methods waiver",
              "no warning is waived to protect sources", _off(source_waiver_weight=0.0)),
    Mechanism("face", "Face cost of heeding in public", "heeding a rival in public costs nothing",
              _off(face_cost=0.0)),
    Mechanism("learning", "Learning from evidence",
              "recipients keep their priors: no arrival, silence or outcome is evidence",
              _off(learning=False)),
)
"""Every mechanism the decomposition switches off, in the order of the table."""

BY_NAME: dict[str, Mechanism] = {m.name: m for m in MECHANISMS}


def all_off() -> dict[str, Any]:
    """The parameter values that switch every mechanism off at once."""
    out: dict[str, Any] = {}
    for m in MECHANISMS:
        out |= dict(m.off)
    return out
