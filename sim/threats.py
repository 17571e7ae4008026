"""Threats, detections and fabrications, drawn in bulk at the start of a run.

Everything random about the world (which plots and false leads emerge, when, how lethal, who
detects them, what they learn, and the uniform numbers each later protocol and decision step
compares against) is drawn here with a handful of vectorised numpy calls. The daily loop then
only compares numbers, which keeps a 365-day run far below 0.1 s and makes the results
independent of the order in which agents act.

Mechanisms (``../shared/MODEL-BRIEF.md``, mechanisms 1-2):

* real plots arrive against each country as a Poisson process (``plot_rate``); lead time to the
  attack date is gamma with shape 2 and mean ``lead_time_mean`` (at least 2 days; Crocus 2024:
  warned 15 days before); unmitigated lethality is a power law with exponent
  ``lethality_alpha`` above ``lethality_min`` (Clauset, Young & Gleditsch 2007 find about 2.4 for
  deaths in terrorist events), capped at ``lethality_max``;
* false leads arrive at ``false_lead_rate`` per real plot and carry an apparent attack date;
* the target's own services learn of a real plot with probability ``home_security`` (on a day
  uniformly within its lead time) and then end it by arrests with ``home_interdiction``;
* a foreign agency detects each plot or false lead with ``detection_rate x capability``, within
  the first half of its lead time; its assessed credibility is ``Phi(x)`` with ``x ~ N(+d/2, 1)``
  for real plots and ``N(-d/2, 1)`` for false leads, ``d = discriminability x capability``
  (signal detection: real plots look more credible on average, with overlap); it learns each
  of the three details (timing, location, perpetrators) with ``detail_rate x (1 + capability)/2``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from sim.params import ModelParams
from sim.scenarios import Scenario

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

N_DETAILS = 3


class U:
    """Columns of the per-detection uniform draws: one column per later random decision.

    Plain integer constants rather than an Enum: they index arrays in the daily loop, where
    Enum attribute lookups cost more than the comparisons they serve.
    """

    WAIVER = 0
    PUBLIC = 1
    SANITISE = 2  # three columns: 2, 3, 4
    ADAPT = 5
    DECIDE = 6
    CORROBORATE = 7
    INTERDICT = 8
    DETER = 9
    WHEN = 10


N_UNIFORMS = 11


@dataclass(slots=True)
class Threats:
    """Plots and false leads, one entry each (struct of arrays; fate fields change in the run)."""

    target: IntArray
    emerge: IntArray
    planned_day: IntArray  # the attack date the plotters first chose (what detectors learn)
    attack_day: IntArray  # apparent date for false leads; moves when attackers adapt
    lethality: IntArray  # 0 for false leads
    is_real: BoolArray
    aware_day: IntArray  # day the target's own services learn of it, -1 never
    home_interdict_day: IntArray  # day of arrests by the target's own services, -1 never
    fate: NDArray[np.int8]
    fate_day: IntArray
    mitigated: BoolArray
    shifted: BoolArray
    casualties: IntArray

    @property
    def size(self) -> int:
        return len(self.target)


class FateCode(IntEnum):
    PENDING = 0
    ATTACK = 1
    INTERDICTED = 2
    DETERRED = 3


@dataclass(frozen=True, slots=True)
class Detections:
    """Foreign detections, one entry per (threat, detecting agency)."""

    threat: IntArray
    agency: IntArray
    trigger_day: IntArray  # day the protocol looks at it (detected and impending); -1 never
    credibility: FloatArray
    day: IntArray  # day of detection
    known: BoolArray  # (n, 3): which details the detector learned
    delay: IntArray
    shift: IntArray
    u: FloatArray  # (n, N_UNIFORMS)

    @property
    def size(self) -> int:
        return len(self.threat)


@dataclass(frozen=True, slots=True)
class Fabrications:
    """Warnings a manipulative agency invents to intimidate a rival."""

    sender: IntArray
    recipient: IntArray
    day: IntArray
    details: IntArray  # how many invented details it claims (1-3)
    lead: IntArray  # claimed days to the attack
    delay: IntArray
    u: FloatArray  # (n, N_UNIFORMS)


def draw_threats(rng: np.random.Generator, p: ModelParams, home_security: FloatArray, days: int,
                 *, real: bool) -> Threats:
    """Real plots (``real``) or false leads against every country, over ``days`` days."""
    n = len(home_security)
    rate = p.plot_rate if real else p.plot_rate * p.false_lead_rate
    target = np.repeat(np.arange(n), rng.poisson(rate * days, n))
    size = target.size
    is_real = np.full(size, real)
    emerge = rng.integers(0, max(days, 1), size)
    lead = np.maximum(2, np.rint(rng.gamma(2.0, p.lead_time_mean / 2.0, size))).astype(np.int64)
    attack_day = emerge + lead
    u_leth = rng.random(size)
    raw = p.lethality_min * (1.0 - u_leth) ** (-1.0 / (p.lethality_alpha - 1.0))
    lethality = np.where(is_real, np.floor(np.minimum(raw, p.lethality_max)), 0).astype(np.int64)
    u_home = rng.random((size, 3))
    aware = is_real & (u_home[:, 0] < home_security[target])
    aware_day = np.where(aware, emerge + np.floor(u_home[:, 1] * lead).astype(np.int64), -1)
    interdicts = aware & (u_home[:, 2] < p.home_interdiction)
    # Arrests follow awareness by a uniform share of the time left before the attack.
    gap = np.maximum(attack_day - aware_day - 1, 0)
    when = aware_day + np.floor(rng.random(size) * (gap + 1)).astype(np.int64)
    home_interdict_day = np.where(interdicts, np.minimum(when, attack_day - 1), -1)
    return Threats(
        target=target, emerge=emerge, planned_day=attack_day.copy(), attack_day=attack_day,
        lethality=lethality,
        is_real=is_real, aware_day=aware_day, home_interdict_day=home_interdict_day,
        fate=np.zeros(size, np.int8), fate_day=np.full(size, -1), mitigated=aware & ~interdicts,
        shifted=np.zeros(size, bool), casualties=np.zeros(size, np.int64),
    )


def draw_detections(rng: np.random.Generator, p: ModelParams, threats: Threats,
                    capability: FloatArray) -> Detections:
    n = len(capability)
    hit = rng.random((threats.size, n)) < p.detection_rate * capability
    hit[np.arange(threats.size), threats.target] = False
    threat, agency = np.nonzero(hit)
    size = threat.size
    cap = capability[agency]
    real = threats.is_real[threat]
    lead = threats.attack_day[threat] - threats.emerge[threat]
    day = threats.emerge[threat] + np.floor(rng.random(size) * (lead / 2.0)).astype(np.int64)
    signal = rng.standard_normal(size) + np.where(real, 0.5, -0.5) * p.discriminability * cap
    credibility = ndtr(signal)
    known = rng.random((size, N_DETAILS)) < (p.detail_rate * (1.0 + cap) / 2.0)[:, None]
    return Detections(
        threat=threat, agency=agency,
        trigger_day=trigger_days(p, credibility, known, day, threats.attack_day[threat]),
        credibility=credibility, day=day, known=known,
        delay=rng.poisson(p.delivery_delay, size),
        shift=rng.integers(1, p.max_attack_shift + 1, size),
        u=rng.random((size, N_UNIFORMS)),
    )


def trigger_days(p: ModelParams, credibility: FloatArray, known: BoolArray, detected: IntArray,
                 attack_day: IntArray) -> IntArray:
    """The ICD 191 trigger: the day a detection is credible, specific and impending, else -1.

    Credible: assessed credibility >= ``credibility_threshold``. Specific: the share of the
    three details learned >= ``specificity_threshold``. Impending: within ``impending_horizon``
    days of the attack date, so a detection made earlier waits until then.
    """
    triggered = (credibility >= p.credibility_threshold) & (
        known.sum(axis=1) / N_DETAILS >= p.specificity_threshold - 1e-9
    )
    impending = np.maximum(detected, attack_day - p.impending_horizon)
    return np.where(triggered, impending, -1)


@dataclass(frozen=True, slots=True)
class World:
    """Everything drawn at the start of a run; the model's only source of chance after that."""

    threats: Threats
    detections: Detections
    fabrications: Fabrications
    manipulative: BoolArray


@dataclass(frozen=True, slots=True)
class WorldRows:
    """Python-list copies of a world's fixed arrays.

    The daily loop reads one element at a time; indexing a list is several times cheaper than
    indexing a numpy array and converting the result, so the copies are made once per run.
    """

    target: list[int]
    is_real: list[bool]
    planned_day: list[int]
    aware_day: list[int]
    det_threat: list[int]
    det_credibility: list[float]
    det_known: list[list[bool]]
    det_delay: list[int]
    det_shift: list[int]
    det_u: list[list[float]]
    fab_delay: list[int]
    fab_u: list[list[float]]

    @classmethod
    def of(cls, world: World) -> WorldRows:
        t, d, f = world.threats, world.detections, world.fabrications
        return cls(
            target=t.target.tolist(), is_real=t.is_real.tolist(),
            planned_day=t.planned_day.tolist(), aware_day=t.aware_day.tolist(),
            det_threat=d.threat.tolist(), det_credibility=d.credibility.tolist(),
            det_known=d.known.tolist(), det_delay=d.delay.tolist(), det_shift=d.shift.tolist(),
            det_u=d.u.tolist(), fab_delay=f.delay.tolist(), fab_u=f.u.tolist(),
        )


def draw_world(rng: np.random.Generator, p: ModelParams, scenario: Scenario, days: int) -> World:
    """Draw a world for ``scenario``: manipulative agencies, threats, detections, fabrications.

    Each part comes from its own child stream of ``rng`` (``Generator.spawn``), so that a
    parameter changing how many draws one part needs leaves the others untouched: with the
    same seed, the real plots and who detects them are the same whatever the false-lead or
    fabrication rate. This keeps common random numbers meaningful across design points.
    """
    s_manip, s_plots, s_plot_det, s_false, s_false_det, s_fab = rng.spawn(6)
    profiles = scenario.agencies
    drawn = s_manip.random(len(profiles)) < p.manipulative_share
    manipulative = np.array(
        [drawn[i] if a.manipulative is None else a.manipulative for i, a in enumerate(profiles)]
    )
    home = np.array([a.home_security for a in profiles])
    capability = np.array([a.capability for a in profiles])
    plots = draw_threats(s_plots, p, home, days, real=True)
    leads = draw_threats(s_false, p, home, days, real=False)
    threats = concat_threats(plots, leads)
    detections = concat_detections(
        draw_detections(s_plot_det, p, plots, capability),
        draw_detections(s_false_det, p, leads, capability), offset=plots.size,
    )
    return World(
        threats=threats,
        detections=detections,
        fabrications=draw_fabrications(s_fab, p, manipulative, days),
        manipulative=manipulative,
    )


def concat_threats(a: Threats, b: Threats) -> Threats:
    return Threats(**{
        f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Threats)
    })


def concat_detections(a: Detections, b: Detections, *, offset: int) -> Detections:
    """``a`` then ``b``, with ``b``'s threat indices shifted past ``a``'s threats."""
    parts = {f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Detections)}
    parts["threat"] = np.concatenate([a.threat, b.threat + offset])
    return Detections(**parts)


def draw_fabrications(rng: np.random.Generator, p: ModelParams, manipulative: BoolArray,
                      days: int) -> Fabrications:
    """Invented warnings from each manipulative agency to every other agency.

    Whether the recipient is a rival is checked on the day of sending (rivalry can change), so
    events are drawn for every ordered pair and the sender drops those to non-rivals.
    """
    n = len(manipulative)
    senders = np.repeat(np.flatnonzero(manipulative), n)
    recipients = np.tile(np.arange(n), int(manipulative.sum()))
    keep = senders != recipients
    senders, recipients = senders[keep], recipients[keep]
    counts = rng.poisson(p.fabrication_rate * days, senders.size)
    sender, recipient = np.repeat(senders, counts), np.repeat(recipients, counts)
    size = sender.size
    return Fabrications(
        sender=sender, recipient=recipient, day=rng.integers(0, max(days, 1), size),
        details=rng.integers(1, N_DETAILS + 1, size),
        lead=rng.integers(3, p.impending_horizon + 3, size),
        delay=rng.poisson(p.delivery_delay, size),
        u=rng.random((size, N_UNIFORMS)),
    )
