"""Hand-written worlds: replay a particular sequence of plots, detections and fabrications.

A :class:`~sim.threats.World` is normally drawn at random; building one by hand lets a user
replay a historical episode step by step (e.g. one warning before Crocus City Hall) and lets the
tests check each mechanism in isolation through the public model interface. Every random
comparison a later step makes is against a uniform number that defaults to 0.5 here and can be
set per event (``uniforms={U.DECIDE: 0.0}`` makes a heed certain whenever its probability is
above 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.params import ModelParams
from sim.threats import (
    N_DETAILS,
    N_UNIFORMS,
    Detections,
    Fabrications,
    Threats,
    U,
    World,
    trigger_days,
)


@dataclass(frozen=True, slots=True)
class Plot:
    """A real plot (or, with ``real=False``, a false lead) against agency ``target``'s country."""

    target: int
    emerge: int
    attack_day: int
    lethality: int = 100
    real: bool = True
    aware_day: int = -1  # the target's own services learn of it on this day (-1: never)
    home_interdict_day: int = -1  # and arrest the plotters on this day (-1: never)


@dataclass(frozen=True, slots=True)
class Sighting:
    """Agency ``agency`` detects threat number ``threat`` (index into the plots) on ``day``."""

    threat: int
    agency: int
    day: int
    credibility: float = 0.9
    known: tuple[bool, bool, bool] = (True, True, True)
    delay: int = 0
    shift: int = 5
    uniforms: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fabrication:
    """Manipulative agency ``sender`` invents a warning to ``recipient`` on ``day``."""

    sender: int
    recipient: int
    day: int
    details: int = 2
    lead: int = 10
    delay: int = 0
    uniforms: Mapping[int, float] = field(default_factory=dict)


def ints(values: Iterable[int]) -> np.ndarray:
    return np.array(list(values), dtype=np.int64)


def _uniforms(rows: Sequence[Mapping[int, float]]) -> np.ndarray:
    u = np.full((len(rows), N_UNIFORMS), 0.5)
    for i, row in enumerate(rows):
        for column, value in row.items():
            if column == U.SANITISE:
                u[i, U.SANITISE : U.SANITISE + N_DETAILS] = value
            else:
                u[i, column] = value
    return u


def build_world(
    params: ModelParams,
    n_agencies: int,
    plots: Sequence[Plot],
    *,
    sightings: Sequence[Sighting] = (),
    fabrications: Sequence[Fabrication] = (),
    manipulative: Sequence[int] = (),
) -> World:
    """A world with exactly these events; the trigger rule is the model's own."""
    threats = Threats(
        target=ints(p.target for p in plots),
        emerge=ints(p.emerge for p in plots),
        planned_day=ints(p.attack_day for p in plots),
        attack_day=ints(p.attack_day for p in plots),
        lethality=ints(p.lethality if p.real else 0 for p in plots),
        is_real=np.array([p.real for p in plots], dtype=bool),
        aware_day=ints(p.aware_day for p in plots),
        home_interdict_day=ints(p.home_interdict_day for p in plots),
        fate=np.zeros(len(plots), np.int8),
        fate_day=np.full(len(plots), -1, dtype=np.int64),
        mitigated=np.array([p.aware_day >= 0 and p.home_interdict_day < 0 for p in plots], dtype=bool),
        shifted=np.zeros(len(plots), bool),
        casualties=np.zeros(len(plots), np.int64),
    )
    known = np.array([s.known for s in sightings], dtype=bool).reshape(-1, N_DETAILS)
    credibility = np.array([s.credibility for s in sightings], dtype=float)
    threat = ints(s.threat for s in sightings)
    detections = Detections(
        threat=threat,
        agency=ints(s.agency for s in sightings),
        trigger_day=trigger_days(params, credibility, known, ints(s.day for s in sightings),
                                 threats.attack_day[threat]),
        credibility=credibility,
        day=ints(s.day for s in sightings),
        known=known,
        delay=ints(s.delay for s in sightings),
        shift=ints(s.shift for s in sightings),
        u=_uniforms([s.uniforms for s in sightings]),
    )
    fabricated = Fabrications(
        sender=ints(f.sender for f in fabrications),
        recipient=ints(f.recipient for f in fabrications),
        day=ints(f.day for f in fabrications),
        details=ints(f.details for f in fabrications),
        lead=ints(f.lead for f in fabrications),
        delay=ints(f.delay for f in fabrications),
        u=_uniforms([f.uniforms for f in fabrications]),
    )
    flags = np.zeros(n_agencies, dtype=bool)
    flags[list(manipulative)] = True
    return World(threats=threats, detections=detections, fabrications=fabricated, manipulative=flags)
