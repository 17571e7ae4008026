"""The mechanisms through which rivalry acts, as data: what switching each one off means.

A reviewer's first question about a finding such as "rivals' warnings are heeded less" is which
mechanism produces it. Each entry here names a mechanism of the model and the parameter values
that switch it off while leaving the rest of the model as it is; the decomposition
(``warnsim decompose``, :mod:`sim.analysis.decomposition`) runs the default world with each
switched off in turn, on the same seeds, and reports the share of the gradient each explains.
Like the Axelrod library's strategies, the mechanisms describe themselves; adding one here adds
it to the decomposition.

Recipients' suspicion of rivals is not a mechanism of its own here: it is derived from the
senders' incentives (:func:`sim.inference.rational_suspicion`), so it goes with
``rivalry_gain`` (``opportunism``); only a declared bias beyond it (``suspicion_bias``) is
switched separately. A mechanism that is off in the base parameters (at the defaults: declared
suspicion, the political and face costs, intelligence diplomacy) has nothing to switch off and
is not decomposed (:func:`active`), but it is still switched off in the null world
(:func:`all_off`), so that a decomposition of another base keeps a null world in which nothing
depends on rivalry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.params import ModelParams


@dataclass(frozen=True, slots=True)
class Mechanism:
    """A mechanism and how to switch it off. ``values`` gives the parameter values that do so
    from a base parameter set: a function of the base, so that a switch can be relative to it
    (every switch below is a constant; the base's other values are kept,
    :meth:`switched_off`)."""

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
              "no sender gains from a rival's costs or deaths, so none fabricates, sanitises or "
              "withholds to impose them, and recipients derive no suspicion of rivals from "
              "senders' incentives (rivalry_gain 0)", _off(rivalry_gain=0.0)),
    Mechanism("hostility", "A rival's deaths as a gain",
              "senders still gain from a rival's costs but not from its deaths, so a hostile "
              "sender passes the details and sends the warnings its concern for lives warrants, "
              "and recipients do not read a discretionary sender's warning through why a hostile "
              "one would send it (deaths_as_gain off)", _off(deaths_as_gain=False)),
    Mechanism("doctrine", "Doctrines that exclude rivals",
              "every agency is bound to warn everyone (ICD 191), so no sender's doctrine "
              "excludes rivals or leaves it free to withhold (doctrine warn_all)",
              _off(doctrine="warn_all")),
    Mechanism("exposure", "Sources exposed to rivals",
              "a detail passed to a rival burns a source no more often than one passed to an "
              "ally, so senders sanitise and waive alike (exposure_rivalry_weight 0)",
              _off(exposure_rivalry_weight=0.0)),
    Mechanism("political", "Political cost of a rival's intelligence",
              "acting on a rival's warning costs nothing politically, public or not "
              "(rival_action_cost 0)", _off(rival_action_cost=0.0)),
    Mechanism("face", "Face cost of heeding in public",
              "heeding a rival in public costs nothing (face_cost 0)", _off(face_cost=0.0)),
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
    is reported as its difference from this world. With ``rivalry_gain`` 0 no sender gains
    from anything a rival loses, so ``deaths_as_gain`` off changes nothing here (a sender's
    hostility is ``rivalry_gain`` times its opportunism and rivalry, :func:`sim.senders.hostility`;
    the recipients' reading of why a sender warns needs ``rivalry_gain`` > 0,
    :func:`sim.inference.why_warn`); it is switched off all the same, so that the null world
    does not rest on one switch covering another."""
    base = params or ModelParams()
    out: dict[str, Any] = {}
    for m in MECHANISMS:
        out |= m.off(base)
    return out
