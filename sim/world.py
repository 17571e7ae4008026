"""The world of one run, drawn before day 0: the senders' preferences, plots, false leads,
detections, fabrication opportunities, and every uniform number a later decision compares
against.

Everything random about a run comes from here, drawn in compiled code (:func:`draw`) from the
run's streams (:mod:`sim.rng`: children of ``SeedSequence(seed)``, one per part of the world);
the daily loop then only compares numbers, which makes results independent of the order in
which agents act.

* **Preferences** (Crawford & Sobel 1982; Kydd 2005): each agency draws its **concern** for
  lives in other countries and its **opportunism** (how much a rival's losses count as its own
  gain) from Beta laws with means ``concern`` and ``opportunism`` and concentration
  ``preference_spread``: one distribution for every agency, whatever its rivalries. Whether a
  sender fabricates toward a recipient is its choice, made from these preferences, the dyad's
  rivalry and what it stands to lose in reputation (:mod:`sim.protocol`); how often rivals
  fabricate is an outcome. A scenario may fix an agency's preferences.
* **Ability** (Mayer, Davis & Schoorman 1995): each agency also draws one of three equally likely
  ability levels, which multiply its discriminability by ``exp(ability_spread x z_k)``
  (:func:`ability_multipliers`): services of the same capability differ in how well their
  analysts tell real plots from false leads, and recipients must learn which is which.
* **Plots** arrive against each country as a Poisson process (``plot_rate``). Lead time to the
  attack date is gamma (``lead_time_shape``, mean ``lead_time_mean``, at least ``lead_time_min``
  days; Crocus 2024: warned 15 days before). Deaths of an unmitigated attack are
  ``floor(lethality_scale x (U^(-1/(alpha - 1)) - 1))``: a Lomax (Pareto II) law whose tail has
  exponent ``lethality_alpha`` (Clauset, Young & Gleditsch 2007: about 2.4) and in which most
  attacks kill few or none (Europol TE-SAT 2020; GTD 2019: about 1.7 deaths per attack). A plot
  that would kill ``mass_threshold`` or more is **mass-casualty**; its scale is what a warning's
  location detail reveals (crowds at a concert, churches).
* **False leads** arrive at ``false_lead_rate`` per real plot, carry an apparent attack date and
  an apparent scale (mass-casualty as often as real plots are).
* **Home security**: the target's own services learn of a real plot with the agency's
  ``home_security`` on a day uniform within its lead time, and on a later day try to end it by
  arrests; whether they succeed is decided on that day (protective actions in force divert
  security, :mod:`sim.consequences`), against the uniform drawn here.
* **Foreign detection** (signal detection): each other agency detects each plot or false lead with
  ``detection_rate x capability`` within the first ``detection_window`` of its lead time; its
  assessed credibility is ``Phi(x)`` with ``x ~ N(+d/2, 1)`` for real plots and ``N(-d/2, 1)`` for
  false leads, ``d = discriminability x capability x ability multiplier``; it learns each of the
  three details with ``detail_rate x capability factor`` (``capability_floor + (1 -
  capability_floor) x capability``), and reads the threat's scale right with
  ``scale_accuracy``. The detection uniform is kept: a sender whose sources are burned later in
  the run loses the detections its lower capability would not have made.
* **Fabrication opportunities**: for every ordered pair, chances to plant an invented warning at
  ``fabrication_rate`` per day; each would claim each detail with ``fabrication_detail_rate``,
  the scale a genuine warning would (it imitates one), and an attack ``lead_time_min`` to
  ``fabrication_lead_max`` days ahead. Whether the sender takes one is decided on the day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from sim import rng
from sim.jit import kernel, readable, records
from sim.params import ModelParams

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

N_DETAILS = 3

ABILITY_LEVELS = 3
"""Ability levels K (tertiles of the ability distribution; see :mod:`sim.inference`)."""


def ability_multipliers(spread: float) -> FloatArray:
    """Discriminability multipliers of the ability levels: ``exp(spread x z_k)``, ``z_k`` the
    standard normal quantiles at ``(k + 1/2) / K``."""
    z = ndtri((np.arange(ABILITY_LEVELS) + 0.5) / ABILITY_LEVELS)
    return np.exp(spread * z)


class U(IntEnum):
    """Columns of the per-warning uniform draws: one column per later random comparison
    (``WAIVER``: the sender's warn-or-withhold choice for a detection, take-or-leave for a
    fabrication opportunity; ``SANITISE``: its pass-or-withhold choice per detail)."""

    WAIVER = 0
    PUBLIC = 1
    SANITISE = 2  # three columns: one per detail
    ADAPT = 5
    RESPOND = 6
    RESOLVE = 7
    VERIFY = 8  # three columns: one per detail
    CORROBORATE = 11
    PROBE = 12
    INTERDICT = 13
    DETER = 14
    WHEN = 15
    BURN = 16  # three columns: one per detail


N_UNIFORMS = 19


class FateCode(IntEnum):
    """How a threat ended."""

    PENDING = 0
    ATTACK = 1
    INTERDICTED = 2
    DETERRED = 3


class Scale(IntEnum):
    """The scale of harm a warning indicates: none (its location detail was not passed), a
    plot below ``mass_threshold`` deaths, or a mass-casualty plot."""

    UNSPECIFIED = 0
    SMALL = 1
    MASS = 2


SCALES = 3


@dataclass(slots=True)
class Threats:
    """Plots and false leads, one entry each (struct of arrays; fate fields change in the run)."""

    target: IntArray
    emerge: IntArray
    planned_day: IntArray  # the attack date the plotters first chose (what detectors learn)
    attack_day: IntArray  # apparent date for false leads; moves when attackers adapt
    lethality: IntArray  # deaths of an unmitigated attack; 0 for false leads
    is_real: BoolArray
    scale: IntArray  # Scale.SMALL or MASS (apparent, for false leads)
    aware_day: IntArray  # day the target's own services learn of it, -1 never
    home_try_day: IntArray  # day they try to end it by arrests, -1 never
    home_u: FloatArray  # compared with the home interdiction chance on that day
    fate: NDArray[np.int8]
    fate_day: IntArray
    mitigated: BoolArray
    shifted: BoolArray
    casualties: IntArray

    @property
    def size(self) -> int:
        return len(self.target)


@dataclass(frozen=True, slots=True)
class Detections:
    """Foreign detections, one entry per (threat, detecting agency)."""

    threat: IntArray
    agency: IntArray
    trigger_day: IntArray  # day the protocol looks at it (credible, specific, impending); -1 never
    credibility: FloatArray
    day: IntArray  # day of detection
    known: BoolArray  # (n, 3): which details the detector learned
    detect_u: FloatArray  # the detection draw: detected while < detection_rate x capability
    indicated: IntArray  # the scale the detector reads (Scale.SMALL or MASS)
    delay: IntArray
    shift: IntArray
    u: FloatArray  # (n, N_UNIFORMS)

    @property
    def size(self) -> int:
        return len(self.threat)


@dataclass(frozen=True, slots=True)
class Fabrications:
    """Invented warnings, one per (sender, recipient, day) event; sent only by manipulators."""

    sender: IntArray
    recipient: IntArray
    day: IntArray
    claimed: BoolArray  # (n, 3): which details it claims
    scale: IntArray  # the scale it would claim with its location (Scale.SMALL or MASS)
    lead: IntArray  # claimed days to the attack
    delay: IntArray
    shift: IntArray
    u: FloatArray  # (n, N_UNIFORMS)


THREAT_DTYPE = np.dtype([
    ("target", np.int64), ("emerge", np.int64), ("planned_day", np.int64),
    ("attack_day", np.int64), ("lethality", np.int64), ("is_real", np.bool_),
    ("scale", np.int64), ("aware_day", np.int64), ("home_try_day", np.int64),
    ("home_u", np.float64), ("round_u", np.float64), ("fate", np.int64), ("fate_day", np.int64),
    ("mitigated", np.bool_), ("shifted", np.bool_), ("casualties", np.int64),
    ("protected", np.bool_),
])
"""One record per plot or false lead (:class:`Threats` plus the run's state of it: its fate,
whether its target has taken protective action on it; ``round_u`` rounds a mitigated attack's
deaths)."""

DETECTION_DTYPE = np.dtype([
    ("threat", np.int64), ("agency", np.int64), ("trigger_day", np.int64),
    ("credibility", np.float64), ("day", np.int64), ("known", np.uint8, (N_DETAILS,)),
    ("detect_u", np.float64), ("indicated", np.int64), ("delay", np.int64),
    ("shift", np.int64), ("u", np.float64, (N_UNIFORMS,)),
])
"""One record per foreign detection (:class:`Detections`)."""

FABRICATION_DTYPE = np.dtype([
    ("sender", np.int64), ("recipient", np.int64), ("day", np.int64),
    ("claimed", np.uint8, (N_DETAILS,)), ("scale", np.int64), ("lead", np.int64),
    ("delay", np.int64), ("shift", np.int64), ("u", np.float64, (N_UNIFORMS,)),
])
"""One record per fabrication opportunity (:class:`Fabrications`)."""


class World(NamedTuple):
    """Everything drawn at the start of a run, as the kernels read it: one record array per
    table (:data:`THREAT_DTYPE`, :data:`DETECTION_DTYPE`, :data:`FABRICATION_DTYPE`), viewed
    as :class:`numpy.recarray` so that ``world.threats.fate`` and ``world.threats[k].fate`` read
    the same in Python and in compiled code. The threats' state fields change during the run."""

    threats: np.recarray
    detections: np.recarray
    fabrications: np.recarray
    concern: FloatArray  # each agency's concern for lives in other countries
    opportunism: FloatArray  # each agency's opportunism (a rival's losses as its gain)
    ability: IntArray  # each agency's ability level (0 .. ABILITY_LEVELS - 1)

    @classmethod
    def of(cls, threats: Threats, detections: Detections, fabrications: Fabrications,
           concern: FloatArray, opportunism: FloatArray, ability: IntArray) -> World:
        return cls(threats=_records(threats, THREAT_DTYPE),
                   detections=_records(detections, DETECTION_DTYPE),
                   fabrications=_records(fabrications, FABRICATION_DTYPE),
                   concern=np.asarray(concern, dtype=np.float64),
                   opportunism=np.asarray(opportunism, dtype=np.float64),
                   ability=np.asarray(ability, dtype=np.int64))

    def copy(self) -> World:
        """A copy whose state a run may change (a world can be replayed)."""
        return World(self.threats.copy(), self.detections.copy(), self.fabrications.copy(),
                     self.concern.copy(), self.opportunism.copy(), self.ability.copy())


def _records(columns: Any, dtype: np.dtype) -> np.recarray:
    size = len(getattr(columns, dtype.names[0]))
    out = np.zeros(size, dtype=dtype)
    for name in dtype.names:
        value = getattr(columns, name, None)
        if value is not None:
            out[name] = value
    return readable(out)


def trigger_days(p: ModelParams, credibility: FloatArray, known: BoolArray,
                 detected: IntArray, attack_day: IntArray) -> IntArray:
    """The ICD 191 trigger (:mod:`sim.protocol`): the day a detection is credible, specific and
    impending, else -1."""
    triggered = (credibility >= p.credibility_threshold) & (
        known.sum(axis=1) / N_DETAILS >= p.specificity_threshold - 1e-9
    )
    impending = np.maximum(detected, attack_day - p.impending_horizon)
    return np.where(triggered, impending, -1)


@kernel
def round_half_even(x: float) -> int:
    """Python's ``round(x)`` and numpy's ``rint``: the nearest integer, halves to the even one."""
    low = math.floor(x)
    rest = x - low
    if rest > 0.5 or (rest == 0.5 and low % 2 == 1):
        low += 1
    return int(low)


# --- the draw, compiled -----------------------------------------------------------------------------

TYPES, PLOTS, PLOT_DETECTION, LEADS, LEAD_DETECTION, FABRICATIONS, ORDER = range(7)
"""The run's random streams: children of ``SeedSequence(seed)`` (:func:`sim.rng.streams`).
Each part of the world comes from its own stream, so that a parameter changing how many draws
one part needs leaves the others untouched: with the same seed, the real plots and who detects
them are the same whatever the false-lead or fabrication rate (common random numbers across
design points). ``ORDER`` orders the agencies acting on the same day."""
STREAMS = 7


@kernel
def draw(p: Any, d: Any, agencies: Any, multipliers: Any, days: int,
         streams: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """A world for these agencies (records: capability, home_security, fixed preferences) over
    ``days`` days: preferences and ability levels, plots, false leads, their detections,
    fabrication opportunities. ``d``: the derived constants (the mass-casualty share)."""
    n = agencies.shape[0]
    types = streams[TYPES]
    concern = np.empty(n)
    opportunism = np.empty(n)
    ability = np.empty(n, dtype=np.int64)
    for i in range(n):
        concern[i] = beta(types, p.concern, p.preference_spread)
        opportunism[i] = beta(types, p.opportunism, p.preference_spread)
        ability[i] = rng.below(types, ABILITY_LEVELS)
        if agencies[i].fixed_concern >= 0.0:
            concern[i] = agencies[i].fixed_concern
        if agencies[i].fixed_opportunism >= 0.0:
            opportunism[i] = agencies[i].fixed_opportunism
    plots = draw_threats(p, d, agencies, days, streams[PLOTS], True)
    leads = draw_threats(p, d, agencies, days, streams[LEADS], False)
    threats = records(np.concatenate((plots, leads)))
    detections = records(np.concatenate((
        draw_detections(p, agencies, multipliers, ability, threats, 0, plots.shape[0],
                        streams[PLOT_DETECTION]),
        draw_detections(p, agencies, multipliers, ability, threats, plots.shape[0],
                        threats.shape[0], streams[LEAD_DETECTION]))))
    fabrications = draw_fabrications(p, d, n, days, streams[FABRICATIONS])
    return threats, detections, fabrications, concern, opportunism, ability


@kernel
def beta(state: Any, mean: float, concentration: float) -> float:
    """A Beta draw with this mean and concentration (a ratio of gamma draws); the mean itself
    at 0 or 1."""
    if mean <= 0.0 or mean >= 1.0:
        return min(max(mean, 0.0), 1.0)
    x = rng.gamma(state, mean * concentration, 1.0)
    y = rng.gamma(state, (1.0 - mean) * concentration, 1.0)
    return x / (x + y)


@kernel
def draw_threats(p: Any, d: Any, agencies: Any, days: int, state: Any, real: bool) -> Any:
    """Real plots (``real``) or false leads against every country, over ``days`` days: a
    Poisson count per country, each with its emergence, lead time, lethality and scale, and
    what the target's own services learn of it (see the module docstring)."""
    n = agencies.shape[0]
    rate = p.plot_rate if real else p.plot_rate * p.false_lead_rate
    counts = np.empty(n, dtype=np.int64)
    for i in range(n):
        counts[i] = rng.poisson(state, rate * days)
    out = records(np.zeros(counts.sum(), dtype=THREAT_DTYPE))
    k = 0
    exponent = -1.0 / (p.lethality_alpha - 1.0)
    for target in range(n):
        for _ in range(counts[target]):
            t = out[k]
            t.target = target
            t.emerge = rng.below(state, max(days, 1))
            lead = lead_time(p, state)
            t.attack_day = t.emerge + lead
            t.planned_day = t.attack_day
            deaths = p.lethality_scale * ((1.0 - rng.uniform(state)) ** exponent - 1.0)
            if real:
                t.lethality = int(math.floor(deaths))
                t.scale = Scale.MASS if t.lethality >= p.mass_threshold else Scale.SMALL
            else:  # an apparent scale, as often mass-casualty as a real plot's
                t.scale = Scale.MASS if rng.uniform(state) < d.mass_share else Scale.SMALL
            t.is_real = real
            aware = real and rng.uniform(state) < agencies[target].home_security
            u_day = rng.uniform(state)
            t.home_u = rng.uniform(state)
            u_when = rng.uniform(state)
            t.round_u = rng.uniform(state)
            if aware:
                t.aware_day = t.emerge + int(math.floor(u_day * lead))
                # the arrest attempt follows awareness by a uniform share of the time left
                gap = max(t.attack_day - t.aware_day - 1, 0)
                t.home_try_day = min(t.aware_day + int(math.floor(u_when * (gap + 1))),
                                     t.attack_day - 1)
            else:
                t.aware_day = -1
                t.home_try_day = -1
            t.fate_day = -1
            k += 1
    return out


@kernel
def lead_time(p: Any, state: Any) -> int:
    """Days from emergence to the attack date: gamma, rounded, at least ``lead_time_min``."""
    raw = rng.gamma(state, p.lead_time_shape, p.lead_time_mean / p.lead_time_shape)
    return max(p.lead_time_min, round_half_even(raw))


@kernel
def draw_detections(p: Any, agencies: Any, multipliers: Any, ability: Any, threats: Any,
                    start: int, stop: int, state: Any) -> Any:
    """Foreign detections of threats ``start:stop``: every other agency detects each with
    ``detection_rate x capability``, then learns its credibility (signal detection), its
    details, its scale and when it learns them (see the module docstring)."""
    n = agencies.shape[0]
    hits = np.empty(((stop - start) * n, 3), dtype=np.float64)
    found = 0
    for k in range(start, stop):
        for a in range(n):
            u = rng.uniform(state)
            if a != threats[k].target and u < p.detection_rate * agencies[a].capability:
                hits[found, 0] = k
                hits[found, 1] = a
                hits[found, 2] = u
                found += 1
    out = records(np.zeros(found, dtype=DETECTION_DTYPE))
    for i in range(found):
        det = out[i]
        k = int(hits[i, 0])
        a = int(hits[i, 1])
        threat = threats[k]
        capability = agencies[a].capability
        det.threat = k
        det.agency = a
        det.detect_u = hits[i, 2]
        lead = threat.attack_day - threat.emerge
        det.day = threat.emerge + int(math.floor(rng.uniform(state) * lead * p.detection_window))
        discrimination = p.discriminability * capability * multipliers[ability[a]]
        half = 0.5 * discrimination if threat.is_real else -0.5 * discrimination
        det.credibility = 0.5 * math.erfc(-(rng.normal(state) + half) / math.sqrt(2.0))
        rate = p.detail_rate * (p.capability_floor + (1.0 - p.capability_floor) * capability)
        known = 0
        for j in range(N_DETAILS):
            if rng.uniform(state) < rate:
                det.known[j] = 1
                known += 1
        right = rng.uniform(state) < p.scale_accuracy
        wrong = Scale.SMALL if threat.scale == Scale.MASS else Scale.MASS
        det.indicated = threat.scale if right else wrong
        triggered = (det.credibility >= p.credibility_threshold
                     and known / N_DETAILS >= p.specificity_threshold - 1e-9)
        det.trigger_day = max(det.day, threat.attack_day - p.impending_horizon) if triggered else -1
        det.delay = rng.poisson(state, p.delivery_delay)
        det.shift = 1 + rng.below(state, p.max_attack_shift)
        for j in range(N_UNIFORMS):
            det.u[j] = rng.uniform(state)
    return out


@kernel
def draw_fabrications(p: Any, d: Any, n: int, days: int, state: Any) -> Any:
    """Fabrication opportunities for every ordered pair; the sender decides on the day whether
    to take one (:func:`sim.protocol.fabricate`)."""
    counts = np.zeros((n, n), dtype=np.int64)
    for s in range(n):
        for r in range(n):
            if s != r:
                counts[s, r] = rng.poisson(state, p.fabrication_rate * days)
    out = records(np.zeros(counts.sum(), dtype=FABRICATION_DTYPE))
    longest = max(p.lead_time_min, p.fabrication_lead_max)
    i = 0
    for s in range(n):
        for r in range(n):
            for _ in range(counts[s, r]):
                f = out[i]
                f.sender = s
                f.recipient = r
                f.day = rng.below(state, max(days, 1))
                for j in range(N_DETAILS):
                    if rng.uniform(state) < p.fabrication_detail_rate:
                        f.claimed[j] = 1
                f.scale = Scale.MASS if rng.uniform(state) < d.indicated_mass else Scale.SMALL
                f.lead = p.lead_time_min + rng.below(state, longest - p.lead_time_min + 1)
                f.delay = rng.poisson(state, p.delivery_delay)
                f.shift = 1 + rng.below(state, p.max_attack_shift)
                for j in range(N_UNIFORMS):
                    f.u[j] = rng.uniform(state)
                i += 1
    return out


def empty_world(n: int) -> World:
    """A world with no threats, detections or fabrications for ``n`` agencies."""
    return World(threats=readable(np.zeros(0, THREAT_DTYPE)),
                 detections=readable(np.zeros(0, DETECTION_DTYPE)),
                 fabrications=readable(np.zeros(0, FABRICATION_DTYPE)),
                 concern=np.ones(n), opportunism=np.zeros(n), ability=np.ones(n, dtype=np.int64))
