"""Hand-written worlds: replay a particular sequence of plots, detections and fabrications.

A :class:`~sim.world.World` is normally drawn at random; building one by hand lets a user
replay a historical episode step by step (e.g. one warning before Crocus City Hall) and lets the
tests check each mechanism in isolation through the public model interface. Every random
comparison a later step makes is against a uniform number that defaults to 0.5 here and can be
set per event (``uniforms={U.RESPOND: 0.0}`` makes a heed certain whenever its probability is
above 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.inference import ABILITY_LEVELS
from sim.params import ModelParams
from sim.protocol import trigger_days
from sim.world import N_DETAILS, N_UNIFORMS, Detections, Fabrications, Scale, Threats, U, World

_TRIPLES = (U.SANITISE, U.VERIFY, U.BURN)
"""Uniform columns that come three at a time (one per detail): setting the first sets all three."""


@dataclass(frozen=True, slots=True)
class Plot:
    """A real plot (or, with ``real=False``, a false lead) against agency ``target``'s country."""

    target: int
    emerge: int
    attack_day: int
    lethality: int = 100
    real: bool = True
    aware_day: int = -1  # the target's own services learn of it on this day (-1: never)
    home_try_day: int = -1  # and try to arrest the plotters on this day (-1: never)
    home_u: float = 0.0  # compared with the home interdiction chance on that day


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
    detect_u: float = 0.0
    uniforms: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Fabrication:
    """Agency ``sender`` has an opportunity to invent a warning to ``recipient`` on ``day``."""

    sender: int
    recipient: int
    day: int
    details: int = 2  # claims the first ``details`` of timing, location, perpetrators
    lead: int = 10
    delay: int = 0
    shift: int = 5
    uniforms: Mapping[int, float] = field(default_factory=dict)


def ints(values: Iterable[int]) -> np.ndarray:
    return np.array(list(values), dtype=np.int64)


def _uniforms(rows: Sequence[Mapping[int, float]]) -> np.ndarray:
    u = np.full((len(rows), N_UNIFORMS), 0.5)
    for i, row in enumerate(rows):
        for column, value in row.items():
            width = N_DETAILS if column in _TRIPLES else 1
            u[i, column : column + width] = value
    return u


def build_world(
    params: ModelParams,
    n_agencies: int,
    plots: Sequence[Plot],
    *,
    sightings: Sequence[Sighting] = (),
    fabrications: Sequence[Fabrication] = (),
    opportunist: Sequence[int] = (),
    ability: Sequence[int] | None = None,
) -> World:
    """A world with exactly these events; the trigger rule is the model's own.

    Every agency's concern for lives is 1; agencies in ``opportunist`` have opportunism 1 (a
    rival's losses count fully as their gain), the others 0. A scripted fabrication
    opportunity is taken unless its ``uniforms`` say otherwise (its ``U.WAIVER`` draw defaults
    to 0; see :func:`sim.senders.fabricate`). ``ability`` gives each agency's ability level
    (default: the middle level, multiplier 1).
    """
    size = len(plots)
    threats = Threats(
        target=ints(p.target for p in plots),
        emerge=ints(p.emerge for p in plots),
        planned_day=ints(p.attack_day for p in plots),
        attack_day=ints(p.attack_day for p in plots),
        lethality=ints(p.lethality if p.real else 0 for p in plots),
        is_real=np.array([p.real for p in plots], dtype=bool),
        scale=ints(Scale.MASS if p.lethality >= params.mass_threshold else Scale.SMALL
                   for p in plots),
        aware_day=ints(p.aware_day for p in plots),
        home_try_day=ints(p.home_try_day for p in plots),
        home_u=np.array([p.home_u for p in plots], dtype=float),
        fate=np.zeros(size, np.int8),
        fate_day=np.full(size, -1, dtype=np.int64),
        mitigated=np.zeros(size, bool),
        shifted=np.zeros(size, bool),
        casualties=np.zeros(size, np.int64),
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
        detect_u=np.array([s.detect_u for s in sightings], dtype=float),
        indicated=ints(Scale.MASS if plots[s.threat].lethality >= params.mass_threshold
                       else Scale.SMALL for s in sightings),
        delay=ints(s.delay for s in sightings),
        shift=ints(s.shift for s in sightings),
        u=_uniforms([s.uniforms for s in sightings]),
    )
    claimed = np.array([[i < f.details for i in range(N_DETAILS)] for f in fabrications],
                       dtype=bool).reshape(-1, N_DETAILS)
    fabricated = Fabrications(
        sender=ints(f.sender for f in fabrications),
        recipient=ints(f.recipient for f in fabrications),
        day=ints(f.day for f in fabrications),
        claimed=claimed,
        scale=ints(Scale.SMALL for _ in fabrications),
        lead=ints(f.lead for f in fabrications),
        delay=ints(f.delay for f in fabrications),
        shift=ints(f.shift for f in fabrications),
        u=_uniforms([{U.WAIVER: 0.0, **f.uniforms} for f in fabrications]),
    )
    opportunism = np.zeros(n_agencies)
    opportunism[list(opportunist)] = 1.0
    levels = [ABILITY_LEVELS // 2] * n_agencies if ability is None else list(ability)
    return World.of(threats=threats, detections=detections, fabrications=fabricated,
                    concern=np.ones(n_agencies), opportunism=opportunism,
                    ability=np.array(levels, dtype=np.int64))
