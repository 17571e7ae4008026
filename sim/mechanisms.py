"""The mechanisms through which rivalry acts, as data: what switching each one off means.

A reviewer's first question about a finding such as "rivals' warnings are heeded less" is which
mechanism produces it. Each entry here names a mechanism of the model and the parameter values
that switch it off while leaving the rest of the model as it is; the decomposition
(``warnsim decompose``, :mod:`sim.decompose`) runs the default world with each switched off in
turn, on the same seeds, and reports the share of the gradient each explains. Like the Axelrod
library's strategies, the mechanisms describe themselves; adding one here adds it to the
decomposition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.params import ModelParams


@dataclass(frozen=True, slots=True)
class Mechanism:
    """A mechanism and how to switch it off. ``values`` gives the parameter values that do so
    from a base parameter set: most are constants, but "believed shares equal" must read the
    base's ally share, or a decomposition under ``--set believed_manipulative_ally=...`` would
    leave rivals and allies believed different."""

    name: str
    label: str
    description: str
    values: Callable[[ModelParams], Mapping[str, Any]]

    @property
    def switches(self) -> tuple[str, ...]:
        """The parameters this mechanism's switch sets."""
        return tuple(self.values(ModelParams()))

    def off(self, params: ModelParams) -> dict[str, Any]:
        """The values that switch the mechanism off, starting from ``params``."""
        return dict(self.values(params))

    def switched_off(self, params: ModelParams) -> ModelParams:
        return params.replace(**self.off(params))

    def active(self, params: ModelParams) -> bool:
        """Whether the mechanism is on in ``params`` (switching it off changes something)."""
        return any(getattr(params, k) != v for k, v in self.off(params).items())


def _off(**values: Any) -> Callable[[ModelParams], Mapping[str, Any]]:
    return lambda _params: values


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("suspicion", "Declared suspicion of rivals",
              "recipients suspect rivals only as far as rivals' incentives warrant "
              "(suspicion_bias 0: rational suspicion only)", _off(suspicion_bias=0.0)),
    Mechanism("opportunism", "A rival's losses as a gain",
              "no sender gains from a rival's costs, so none fabricates or warns to impose them "
              "(rivalry_gain 0)", _off(rivalry_gain=0.0)),
    Mechanism("doctrine", "Doctrines that exclude rivals",
              "every agency warns everyone (ICD 191), so no sender's doctrine makes its warnings "
              "to rivals suspect", _off(doctrine="warn_all")),
    Mechanism("exposure", "Sources exposed to rivals",
              "a detail passed to a rival burns a source no more often than one passed to an "
              "ally, so senders sanitise and waive alike (exposure_rivalry_weight 0)",
              _off(exposure_rivalry_weight=0.0)),
    Mechanism("political", "Political cost of a rival's intelligence",
              "acting on a rival's warning costs nothing politically, public or not",
              _off(rival_action_cost=0.0)),
    Mechanism("face", "Face cost of heeding in public", "heeding a rival in public costs nothing",
              _off(face_cost=0.0)),
    Mechanism("class", "Evidence pooled by rivalry class",
              "allies' and onlookers' evidence about a sender counts whatever the sender's "
              "rivalry toward them (class_pooling off)", _off(class_pooling=False)),
    Mechanism("diplomacy", "Intelligence diplomacy",
              "confirmed warnings leave rivalry as it is (diplomacy_effect 0)",
              _off(diplomacy_effect=0.0)),
)
"""Every mechanism the decomposition switches off, in the order of the table."""

BY_NAME: dict[str, Mechanism] = {m.name: m for m in MECHANISMS}


def active(params: ModelParams | None = None) -> tuple[Mechanism, ...]:
    """The mechanisms that are on in ``params`` (default: the defaults): a decomposition has
    nothing to switch off for the others (intelligence diplomacy, ``diplomacy_effect`` 0 by
    default)."""
    base = params or ModelParams()
    return tuple(m for m in MECHANISMS if m.active(base))


def all_off(params: ModelParams | None = None) -> dict[str, Any]:
    """The null world: the parameter values under which nothing depends on rivalry (every
    mechanism switched off at once), from ``params`` (default: the defaults). Every headline
    is reported as its difference from this world."""
    base = params or ModelParams()
    out: dict[str, Any] = {}
    for m in MECHANISMS:
        out |= m.off(base)
    return out
