"""The world of one run, drawn in bulk before day 0: types, plots, false leads, detections,
fabrications, and every uniform number a later decision compares against.

Everything random about a run comes from here (a handful of vectorised numpy calls on child
streams of ``model.rng``); the daily loop then only compares numbers, which keeps a one-year run
within a few milliseconds and makes results independent of the order in which agents act.

Mechanisms (``../shared/MODEL-BRIEF.md``, mechanisms 1-2):

* **Types** (Kydd 2005; Sobel 1985). Each agency draws a propensity to manipulate ``u ~ U(0, 1)``;
  it fabricates warnings to an agency it regards as a rival when ``u < manipulative_share_rival``
  and to one it does not when ``u < manipulative_share_ally``. The true share of manipulative
  senders among rivals and among allies is therefore exactly the declared share, and (when the
  ally share is the smaller, as it is by default) a sender manipulative toward allies is
  manipulative toward rivals too. A scenario may fix an agency's
  type (``manipulative = true``: toward its rivals; ``false``: never).
* **Ability** (Mayer, Davis & Schoorman 1995): each agency also draws one of three equally likely
  ability levels, which multiply its discriminability by ``exp(ability_spread x z_k)``
  (:func:`sim.inference.ability_multipliers`): services of the same capability differ in how well
  their analysts tell real plots from false leads, and recipients must learn which is which.
* **Plots** arrive against each country as a Poisson process (``plot_rate``). Lead time to the
  attack date is gamma (``lead_time_shape``, mean ``lead_time_mean``, at least ``lead_time_min``
  days; Crocus 2024: warned 15 days before). Deaths of an unmitigated attack are
  ``floor(lethality_scale x (U^(-1/(alpha - 1)) - 1))``: a Lomax (Pareto II) law whose tail has
  exponent ``lethality_alpha`` (Clauset, Young & Gleditsch 2007: about 2.4) and in which most
  attacks kill few or none (Europol TE-SAT 2020; GTD 2019: about 1.7 deaths per attack).
* **False leads** arrive at ``false_lead_rate`` per real plot and carry an apparent attack date.
* **Home security**: the target's own services learn of a real plot with the agency's
  ``home_security`` on a day uniform within its lead time, and on a later day try to end it by
  arrests; whether they succeed is decided on that day (protective actions in force divert
  security, :mod:`sim.consequences`), against the uniform drawn here.
* **Foreign detection** (signal detection): each other agency detects each plot or false lead with
  ``detection_rate x capability`` within the first ``detection_window`` of its lead time; its
  assessed credibility is ``Phi(x)`` with ``x ~ N(+d/2, 1)`` for real plots and ``N(-d/2, 1)`` for
  false leads, ``d = discriminability x capability x ability multiplier``; it learns each of the three details with
  ``detail_rate x capability factor`` (``capability_floor + (1 - capability_floor) x capability``).
  The detection uniform is kept: a sender whose sources are burned later in the run loses the
  detections its lower capability would not have made.
* **Fabrications**: for every ordered pair, invented warnings at ``fabrication_rate`` per day; each
  claims each detail with ``fabrication_detail_rate`` and an attack ``lead_time_min`` to
  ``fabrication_lead_max`` days ahead. Whether one is sent depends on the sender's type toward
  the recipient on the day (rivalry can change).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from sim.params import ModelParams
from sim.scenarios import Scenario

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
    """Columns of the per-warning uniform draws: one column per later random comparison."""

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


@dataclass(slots=True)
class Threats:
    """Plots and false leads, one entry each (struct of arrays; fate fields change in the run)."""

    target: IntArray
    emerge: IntArray
    planned_day: IntArray  # the attack date the plotters first chose (what detectors learn)
    attack_day: IntArray  # apparent date for false leads; moves when attackers adapt
    lethality: IntArray  # deaths of an unmitigated attack; 0 for false leads
    is_real: BoolArray
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
    lead: IntArray  # claimed days to the attack
    delay: IntArray
    shift: IntArray
    u: FloatArray  # (n, N_UNIFORMS)


THREAT_DTYPE = np.dtype([
    ("target", np.int64), ("emerge", np.int64), ("planned_day", np.int64),
    ("attack_day", np.int64), ("lethality", np.int64), ("is_real", np.bool_),
    ("aware_day", np.int64), ("home_try_day", np.int64), ("home_u", np.float64),
    ("fate", np.int64), ("fate_day", np.int64), ("mitigated", np.bool_), ("shifted", np.bool_),
    ("casualties", np.int64), ("protected", np.bool_),
])
"""One record per plot or false lead (:class:`Threats` plus the run's state of it: its fate,
whether its target has taken protective action on it)."""

DETECTION_DTYPE = np.dtype([
    ("threat", np.int64), ("agency", np.int64), ("trigger_day", np.int64),
    ("credibility", np.float64), ("day", np.int64), ("known", np.uint8, (N_DETAILS,)),
    ("detect_u", np.float64), ("delay", np.int64), ("shift", np.int64),
    ("u", np.float64, (N_UNIFORMS,)),
])
"""One record per foreign detection (:class:`Detections`)."""

FABRICATION_DTYPE = np.dtype([
    ("sender", np.int64), ("recipient", np.int64), ("day", np.int64),
    ("claimed", np.uint8, (N_DETAILS,)), ("lead", np.int64), ("delay", np.int64),
    ("shift", np.int64), ("u", np.float64, (N_UNIFORMS,)),
])
"""One record per fabrication event (:class:`Fabrications`)."""


class World(NamedTuple):
    """Everything drawn at the start of a run, as the kernels read it: one record array per
    table (:data:`THREAT_DTYPE`, :data:`DETECTION_DTYPE`, :data:`FABRICATION_DTYPE`), viewed
    as :class:`numpy.recarray` so that ``world.threats.fate`` and ``world.threats[k].fate`` read
    the same in Python and in compiled code. The threats' state fields change during the run."""

    threats: np.recarray
    detections: np.recarray
    fabrications: np.recarray
    propensity: FloatArray  # each agency's propensity to manipulate (types, see module doc)
    ability: IntArray  # each agency's ability level (0 .. ABILITY_LEVELS - 1)

    @classmethod
    def of(cls, threats: Threats, detections: Detections, fabrications: Fabrications,
           propensity: FloatArray, ability: IntArray) -> World:
        return cls(threats=_records(threats, THREAT_DTYPE),
                   detections=_records(detections, DETECTION_DTYPE),
                   fabrications=_records(fabrications, FABRICATION_DTYPE),
                   propensity=np.asarray(propensity, dtype=np.float64),
                   ability=np.asarray(ability, dtype=np.int64))

    def copy(self) -> World:
        """A copy whose state a run may change (a world can be replayed)."""
        return World(self.threats.copy(), self.detections.copy(), self.fabrications.copy(),
                     self.propensity.copy(), self.ability.copy())


def _records(columns: Any, dtype: np.dtype) -> np.recarray:
    size = len(getattr(columns, dtype.names[0]))
    out = np.zeros(size, dtype=dtype).view(np.recarray)
    for name in dtype.names:
        value = getattr(columns, name, None)
        if value is not None:
            out[name] = value
    return out


def trigger_days(p: ModelParams, credibility: FloatArray, known: BoolArray,
                 detected: IntArray, attack_day: IntArray) -> IntArray:
    """The ICD 191 trigger (:mod:`sim.protocol`): the day a detection is credible, specific and
    impending, else -1."""
    triggered = (credibility >= p.credibility_threshold) & (
        known.sum(axis=1) / N_DETAILS >= p.specificity_threshold - 1e-9
    )
    impending = np.maximum(detected, attack_day - p.impending_horizon)
    return np.where(triggered, impending, -1)


def capability_factor(p: ModelParams, capability: FloatArray | float) -> FloatArray | float:
    """``floor + (1 - floor) x capability``: how capability scales learning and checking details."""
    return p.capability_floor + (1.0 - p.capability_floor) * capability


def lead_times(rng: np.random.Generator, p: ModelParams, size: int) -> IntArray:
    raw = rng.gamma(p.lead_time_shape, p.lead_time_mean / p.lead_time_shape, size)
    return np.maximum(p.lead_time_min, np.rint(raw)).astype(np.int64)


def draw_threats(rng: np.random.Generator, p: ModelParams, home_security: FloatArray, days: int,
                 *, real: bool) -> Threats:
    """Real plots (``real``) or false leads against every country, over ``days`` days."""
    n = len(home_security)
    rate = p.plot_rate if real else p.plot_rate * p.false_lead_rate
    target = np.repeat(np.arange(n), rng.poisson(rate * days, n))
    size = target.size
    emerge = rng.integers(0, max(days, 1), size)
    lead = lead_times(rng, p, size)
    attack_day = emerge + lead
    u_leth = rng.random(size)
    deaths = p.lethality_scale * ((1.0 - u_leth) ** (-1.0 / (p.lethality_alpha - 1.0)) - 1.0)
    lethality = np.floor(deaths).astype(np.int64) if real else np.zeros(size, np.int64)
    u_home = rng.random((size, 3))
    aware = real & (u_home[:, 0] < home_security[target])
    aware_day = np.where(aware, emerge + np.floor(u_home[:, 1] * lead).astype(np.int64), -1)
    # The arrest attempt follows awareness by a uniform share of the time left before the attack.
    gap = np.maximum(attack_day - aware_day - 1, 0)
    when = aware_day + np.floor(rng.random(size) * (gap + 1)).astype(np.int64)
    home_try_day = np.where(aware, np.minimum(when, attack_day - 1), -1)
    return Threats(
        target=target, emerge=emerge, planned_day=attack_day.copy(), attack_day=attack_day,
        lethality=lethality, is_real=np.full(size, real), aware_day=aware_day,
        home_try_day=home_try_day, home_u=u_home[:, 2],
        fate=np.zeros(size, np.int8), fate_day=np.full(size, -1), mitigated=np.zeros(size, bool),
        shifted=np.zeros(size, bool), casualties=np.zeros(size, np.int64),
    )


def draw_detections(rng: np.random.Generator, p: ModelParams, threats: Threats,
                    capability: FloatArray, ability: FloatArray) -> Detections:
    """Foreign detections; ``ability`` is each agency's discriminability multiplier."""
    n = len(capability)
    draws = rng.random((threats.size, n))
    hit = draws < p.detection_rate * capability
    hit[np.arange(threats.size), threats.target] = False
    threat, agency = np.nonzero(hit)
    size = threat.size
    cap = capability[agency]
    real = threats.is_real[threat]
    lead = threats.attack_day[threat] - threats.emerge[threat]
    day = threats.emerge[threat] + np.floor(
        rng.random(size) * lead * p.detection_window).astype(np.int64)
    d = p.discriminability * cap * ability[agency]
    signal = rng.standard_normal(size) + np.where(real, 0.5, -0.5) * d
    credibility = ndtr(signal)
    rate = p.detail_rate * capability_factor(p, cap)
    known = rng.random((size, N_DETAILS)) < np.asarray(rate)[:, None]
    return Detections(
        threat=threat, agency=agency,
        trigger_day=trigger_days(p, credibility, known, day, threats.attack_day[threat]),
        credibility=credibility, day=day, known=known, detect_u=draws[threat, agency],
        delay=rng.poisson(p.delivery_delay, size),
        shift=rng.integers(1, p.max_attack_shift + 1, size),
        u=rng.random((size, N_UNIFORMS)),
    )


def draw_fabrications(rng: np.random.Generator, p: ModelParams, could: BoolArray,
                      days: int) -> Fabrications:
    """Invented-warning events for every ordered pair whose sender ``could`` manipulate someone;
    the sender's type toward the recipient on the day decides which are sent."""
    n = len(could)
    senders = np.repeat(np.arange(n), n)
    recipients = np.tile(np.arange(n), n)
    keep = (senders != recipients) & could[senders]
    senders, recipients = senders[keep], recipients[keep]
    counts = rng.poisson(p.fabrication_rate * days, senders.size)
    sender, recipient = np.repeat(senders, counts), np.repeat(recipients, counts)
    size = sender.size
    longest = max(p.lead_time_min, p.fabrication_lead_max)
    return Fabrications(
        sender=sender, recipient=recipient, day=rng.integers(0, max(days, 1), size),
        claimed=rng.random((size, N_DETAILS)) < p.fabrication_detail_rate,
        lead=rng.integers(p.lead_time_min, longest + 1, size),
        delay=rng.poisson(p.delivery_delay, size),
        shift=rng.integers(1, p.max_attack_shift + 1, size),
        u=rng.random((size, N_UNIFORMS)),
    )


def draw_world(rng: np.random.Generator, p: ModelParams, scenario: Scenario, days: int) -> World:
    """Draw a world for ``scenario``: types, threats, detections, fabrications.

    Each part comes from its own child stream of ``rng`` (``Generator.spawn``), so that a
    parameter changing how many draws one part needs leaves the others untouched: with the
    same seed, the real plots and who detects them are the same whatever the false-lead or
    fabrication rate. This keeps common random numbers meaningful across design points.
    """
    s_types, s_plots, s_plot_det, s_false, s_false_det, s_fab = rng.spawn(6)
    profiles = scenario.agencies
    n = len(profiles)
    home = np.array([a.home_security for a in profiles])
    capability = np.array([a.capability for a in profiles])
    propensity = s_types.random(n)
    ability = s_types.integers(0, ABILITY_LEVELS, n)
    multiplier = ability_multipliers(p.ability_spread)[ability]
    plots = draw_threats(s_plots, p, home, days, real=True)
    leads = draw_threats(s_false, p, home, days, real=False)
    # Fabrication events of senders that can never manipulate anyone are never sent: drop them.
    could = [a.manipulative if a.manipulative is not None
             else propensity[i] < max(p.manipulative_share_rival, p.manipulative_share_ally)
             for i, a in enumerate(profiles)]
    return World.of(
        threats=concat_threats(plots, leads),
        detections=concat_detections(
            draw_detections(s_plot_det, p, plots, capability, multiplier),
            draw_detections(s_false_det, p, leads, capability, multiplier), offset=plots.size,
        ),
        fabrications=draw_fabrications(s_fab, p, np.array(could, dtype=bool), days),
        propensity=propensity,
        ability=ability,
    )


def concat_threats(a: Threats, b: Threats) -> Threats:
    return Threats(**{
        f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Threats)
    })


def concat_detections(a: Detections, b: Detections, *, offset: int) -> Detections:
    """``a`` then ``b``, with ``b``'s threat indices shifted past ``a``'s threats."""
    parts = {f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)])
             for f in fields(Detections)}
    parts["threat"] = np.concatenate([a.threat, b.threat + offset])
    return Detections(**parts)


def empty_world(n: int) -> World:
    """A world with no threats, detections or fabrications for ``n`` agencies."""
    return World(threats=np.zeros(0, THREAT_DTYPE).view(np.recarray),
                 detections=np.zeros(0, DETECTION_DTYPE).view(np.recarray),
                 fabrications=np.zeros(0, FABRICATION_DTYPE).view(np.recarray),
                 propensity=np.ones(n), ability=np.ones(n, dtype=np.int64))
