"""The recipient's inference and response: what a warning is worth, and what to do about it.

**Types.** Trust is a belief about the other's type (Kydd 2005), and a warning is worth what its
sender is worth in two respects (Mayer, Davis & Schoorman 1995: ability and benevolence): its
**intent** (benevolent, or manipulative: it also sends fabrications to intimidate or mislead,
Sobel 1985) and its **ability** (how well its analysts tell real plots from false leads). A
recipient holds a posterior over ``2 x K`` hypotheses: intent in {benevolent, manipulative} times
``K = 3`` ability levels (the world's discriminability multipliers ``exp(ability_spread x z_k)``,
``z_k`` the normal quantiles at ``(k + 1/2)/K``, equally likely: :mod:`sim.world` draws every
agency's level from exactly that distribution). The prior on intent is the believed share of
manipulative senders among rivals or allies (rational suspicion, which can be well founded or not:
the true shares are separate parameters).

**What each hypothesis predicts.** Recipients know the world's structure (plot and false-lead
rates, the trigger, waivers, their own checks) but not who is which type. Under ability level
``k`` a sender's *genuine* warnings reach the recipient at rate ``w_k`` (the dyad's plots times the
sender's detection and trigger chances, after the doctrine and the sources waiver at the dyad's
rivalry) and are about real plots with its **hit rate** ``a_k``. A manipulative sender also sends
fabrications at ``fabrication_rate``; it passes true warnings too, so a share
``phi_k = fabrication_rate / (fabrication_rate + w_k)`` of what it sends is fabricated. Each
observation adds its log-likelihood under every hypothesis (:mod:`sim.ledger` accumulates them):

* a day without a warning from the sender: ``-w_k`` (benevolent), ``-(w_k + fabrication_rate)``
  (manipulative): silence is evidence of benevolence (a manipulator would have sent fabrications);
* a warning arrives: ``log w_k`` or ``log(w_k + fabrication_rate)``;
* its outcome, given it arrived (``q``: the chance a real plot ends visibly, attack or arrests,
  within the window, which depends on the recipient's own response): confirmed ``log(a_k q)`` or
  ``log((1 - phi_k) a_k q)``; nothing visible ``log(1 - a_k q)`` or ``log(1 - (1 - phi_k) a_k q)``.

Together these are the likelihood of the sender's whole record, each quantity entering once. A
confirmed warning is nearly neutral about intent (a manipulator passes true warnings as often)
but raises the belief in ability; a false alarm lowers both. With hit rates above one half the
loss from a false alarm exceeds the gain from a confirmation: trust is easier to lose than to win
(Slovic 1993), as Bayesian updating gives when confirmations are weakly diagnostic (Sobel 1985).

**The warning's own evidence** (cheap talk vs verifiable disclosure). Each detail passed is
checked: a real plot's detail checks out with ``v1 = verification_rate x capability factor``, a
false one with ``v0 = false_verification_rate``; the recipient's own intelligence corroborates a
real plot with ``c1 = corroboration_rate x capability factor``, a false one with
``c0 = false_corroboration x capability factor``. The log likelihood ratio (real : not real) adds
``log(v1/v0)`` per verified detail, ``log((1-v1)/(1-v0))`` per unverified one, and ``log(c1/c0)`` or
``log((1-c1)/(1-c0))``. These are exactly the processes the model runs, so more details make real
warnings more credible and fabrications less (each claimed detail is one more chance to fail).

**Credibility** ``kappa = P(real | record, arrival, evidence)``: the posterior-weighted hit rate,
``sum_k P(B, k) a_k + P(M, k) (1 - phi_k) a_k``, in odds form times the evidence's ratio.

**Response** (Lindell & Perry 2012's PADM: protective action, information search, or continue as
normal), in death-equivalents. Heeding is worth ``kappa x V - C - F``: ``V`` the harm protective
action averts if the plot is real (expected deaths, less what the recipient's own services would
foil anyway, times the action's effectiveness), ``C`` the cost of protective action (rising with
the actions already in force: warning overload) and ``F`` the face cost of heeding a public
warning (``face_cost x rivalry``). Investigating costs ``investigation_cost`` and
``investigation_days``, then reveals a signal (positive with ``investigation_power x capability
factor`` for a real plot, ``investigation_false_positive`` otherwise), after which the recipient
heeds or dismisses: its value is the expected value of that later choice, or nothing if the warned
date comes first. Dismissing is worth 0. The choice is a multinomial logit with
``choice_temperature`` (quantal response, McKelvey & Palfrey 1995).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri, zeta
from scipy.stats import gamma as gamma_dist

from sim.params import ModelParams

LOG_BOUND = 50.0
"""Log-likelihoods of an impossible observation are bounded at -50 (a factor of 2e-22) rather
than -inf, so that conclusive evidence can still fade. Numerical, not a modelling assumption."""

ABILITY_LEVELS = 3
"""Ability levels K (tertiles of the ability distribution; see the module docstring)."""
HYPOTHESES = 2 * ABILITY_LEVELS
"""Hypotheses ``h = intent x K + level``: benevolent levels first, then manipulative ones."""

N_DETAILS = 3
_LEAD_QUANTILES = 64
_EXP_FLOOR = math.exp(-LOG_BOUND)

Vector = list[float]
"""A value per hypothesis (plain floats: per-warning arithmetic on six numbers is faster in
Python than through numpy's per-call overhead)."""


def logistic(x: float) -> float:
    """1 / (1 + exp(-x)), without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def safe_log(x: float) -> float:
    """``log(x)``, bounded below at ``-LOG_BOUND``."""
    return math.log(x) if x > _EXP_FLOOR else -LOG_BOUND


def log_ratio(p: float, q: float) -> float:
    """``log(p / q)`` for probabilities, bounded; 0 when both are 0 (no information)."""
    return safe_log(p) - safe_log(q) if (p > 0.0 or q > 0.0) else 0.0


def log_odds(p: float) -> float:
    return log_ratio(p, 1.0 - p)


def ability_multipliers(spread: float) -> NDArray[np.float64]:
    """Discriminability multipliers of the ability levels: ``exp(spread x z_k)``."""
    z = ndtri((np.arange(ABILITY_LEVELS) + 0.5) / ABILITY_LEVELS)
    return np.exp(spread * z)


def prior_vector(believed_manipulative: float) -> Vector:
    """Log prior over the hypotheses: intent from the believed share, ability levels equally likely."""
    b, m = safe_log(1.0 - believed_manipulative), safe_log(believed_manipulative)
    return [b] * ABILITY_LEVELS + [m] * ABILITY_LEVELS


def posterior(log_weights: Sequence[float]) -> Vector:
    """Normalised probabilities from unnormalised log weights."""
    top = max(log_weights)
    w = [math.exp(x - top) for x in log_weights]
    total = sum(w)
    return [x / total for x in w]


class Dyad:
    """What a recipient's model predicts about one sender toward it, per hypothesis.

    Built once per dyad (and again when rivalry changes); the per-warning arithmetic then reads
    precomputed six-number vectors.
    """

    __slots__ = ("_outcomes", "arrival", "fabricated", "fabricated_weight", "fabrication_rate",
                 "genuine", "hit", "real_weight", "silence")

    def __init__(self, genuine: Vector, hit: Vector, fabrication_rate: float) -> None:
        """``genuine``: genuine warnings per day and ``hit``: hit rate, per ability level."""
        fab = fabrication_rate
        phi = [fab / (fab + x) if fab > 0.0 else 0.0 for x in genuine]
        self.genuine, self.hit, self.fabrication_rate = genuine, hit, fab
        self.fabricated = phi  # phi_k
        self.arrival = [safe_log(x) for x in genuine] + [safe_log(x + fab) for x in genuine]
        self.silence = [-x for x in genuine] + [-(x + fab) for x in genuine]
        self.real_weight = hit + [(1.0 - f) * a for f, a in zip(phi, hit, strict=True)]
        self.fabricated_weight = [0.0] * ABILITY_LEVELS + phi
        self._outcomes: dict[tuple[bool, float], Vector] = {}

    def outcome(self, confirmed: bool, q: float) -> Vector:
        """Log-likelihood of a warning's outcome, given it arrived."""
        key = (confirmed, q)
        cached = self._outcomes.get(key)
        if cached is None:
            hits = [x * q for x in self.real_weight]
            cached = [safe_log(x if confirmed else 1.0 - x) for x in hits]
            self._outcomes[key] = cached
        return cached

    def real_chance(self, probs: Sequence[float]) -> float:
        """P(real | arrival) under a posterior (before the warning's own evidence)."""
        return sum(p * x for p, x in zip(probs, self.real_weight, strict=True))

    def fabricated_chance(self, probs: Sequence[float]) -> float:
        """P(fabricated | arrival) under a posterior."""
        return sum(p * x for p, x in zip(probs, self.fabricated_weight, strict=True))

    def expected_hit_rate(self, probs: Sequence[float]) -> float:
        return sum((probs[k] + probs[ABILITY_LEVELS + k]) * self.hit[k]
                   for k in range(ABILITY_LEVELS))


def benevolence(probs: Sequence[float]) -> float:
    return sum(probs[:ABILITY_LEVELS])


def credibility(prior_real: float, evidence: float) -> float:
    """P(real | arrival, evidence): the prior's odds times the evidence's likelihood ratio."""
    return logistic(log_odds(prior_real) + evidence)


def update(kappa: float, likely_if_real: float, likely_if_not: float) -> float:
    """Bayes' rule for one binary observation."""
    num = kappa * likely_if_real
    den = num + (1.0 - kappa) * likely_if_not
    return num / den if den > 0 else kappa


@dataclass(frozen=True, slots=True)
class Choice:
    """The choice probabilities of the three responses to one warning."""

    heed: float
    investigate: float
    dismiss: float


@dataclass(frozen=True, slots=True)
class Inference:
    """What recipients know of the world's structure, computed once per run, and their rules.

    ``genuine_base[s, r, k]`` and ``hit_rate[s, r, k]`` are per dyad and ability level; the
    ``[r]`` arrays are the recipient's own checks.
    """

    hit_rate: NDArray[np.float64]
    genuine_base: NDArray[np.float64]
    evidence_table: list[tuple[float, float, float, float]]  # [r]: log-ratios, see evidence()
    harm_table: list[list[float]]  # [r][details]: harm_averted
    verify_real: NDArray[np.float64]
    verify_false: float
    corroborate_real: NDArray[np.float64]
    corroborate_false: NDArray[np.float64]
    probe_real: NDArray[np.float64]
    probe_false: float
    fabrication_rate: float
    interdiction_effect: float
    interdiction_detail_weight: float
    deterrence_effect: float
    casualty_reduction: float
    shift_beyond_window: float  # chance a public alert moves a real attack past the window
    face_cost: float
    investigation_cost: float
    investigation_days: int
    temperature: float

    @classmethod
    def build(cls, p: ModelParams, capability: NDArray[np.float64],
              home_security: NDArray[np.float64]) -> Inference:
        """The recipients' model for these parameters and agencies (cached: a sweep builds the
        same one for every replication)."""
        return _build(p, tuple(capability.tolist()), tuple(home_security.tolist()))

    @classmethod
    def _compute(cls, p: ModelParams, capability: NDArray[np.float64],
                 home_security: NDArray[np.float64]) -> Inference:
        factor = p.capability_floor + (1.0 - p.capability_floor) * capability
        real_trig, false_trig = trigger_rates(p, capability[:, None] * ability_multipliers(
            p.ability_spread)[None, :])  # [s, k]
        aware = home_security * aware_before_trigger(p)  # [r]
        real_sent = real_trig[:, None, :] * (1.0 - aware)[None, :, None]  # [s, r, k]
        false_sent = p.false_lead_rate * np.broadcast_to(false_trig[:, None, :], real_sent.shape)
        total = real_sent + false_sent
        hit = np.divide(real_sent, total, out=np.full_like(total, 1.0 / (1.0 + p.false_lead_rate)),
                        where=total > 0)
        detected = p.plot_rate * p.detection_rate * capability * specific_share(p, capability)
        shift = p.attacker_adaptation * max(0, p.max_attack_shift - p.confirmation_window)
        v1, v0 = p.verification_rate * factor, p.false_verification_rate
        c1, c0 = p.corroboration_rate * factor, p.false_corroboration * factor
        evidence_table = [
            (log_ratio(a1, v0), log_ratio(1.0 - a1, 1.0 - v0), log_ratio(b1, b0),
             log_ratio(1.0 - b1, 1.0 - b0))
            for a1, b1, b0 in zip(v1.tolist(), c1.tolist(), c0.tolist(), strict=True)
        ]
        # Home services learn of a warned plot (one they did not know of when the warning was
        # triggered) with h' = h (1 - f) / (1 - h f); they then end it with home_interdiction, or
        # protect against it (casualty_reduction) if they fail.
        before = aware_before_trigger(p)
        later = home_security * (1.0 - before) / (1.0 - home_security * before)
        d, m, hi = p.deterrence_effect, p.casualty_reduction, p.home_interdiction
        if_dismissed = (1.0 - later) + later * (1.0 - hi) * (1.0 - m)
        unfoiled = 1.0 - later * hi
        deaths = expected_deaths(p)
        w = p.interdiction_detail_weight
        harm_table = []
        for dismissed, left in zip(if_dismissed.tolist(), unfoiled.tolist(), strict=True):
            row = []
            for details in range(N_DETAILS + 1):
                p_int = p.interdiction_effect * (1.0 - w + w * details / N_DETAILS)
                heeded = (1.0 - p_int) * (1.0 - d) * (1.0 - m) * left
                row.append(deaths * (dismissed - heeded))
            harm_table.append(row)
        return cls(
            hit_rate=hit,
            genuine_base=detected[:, None, None] * total,
            evidence_table=evidence_table,
            harm_table=harm_table,
            verify_real=p.verification_rate * factor,
            verify_false=p.false_verification_rate,
            corroborate_real=p.corroboration_rate * factor,
            corroborate_false=p.false_corroboration * factor,
            probe_real=p.investigation_power * factor,
            probe_false=p.investigation_false_positive,
            fabrication_rate=p.fabrication_rate,
            interdiction_effect=p.interdiction_effect,
            interdiction_detail_weight=p.interdiction_detail_weight,
            deterrence_effect=p.deterrence_effect,
            casualty_reduction=p.casualty_reduction,
            shift_beyond_window=shift / p.max_attack_shift,
            face_cost=p.face_cost,
            investigation_cost=p.investigation_cost,
            investigation_days=p.investigation_days,
            temperature=p.choice_temperature,
        )

    def dyad(self, s: int, r: int, genuine_factor: float) -> Dyad:
        """The recipient's model of sender ``s``; ``genuine_factor`` is the share of its
        triggered genuine warnings to ``r`` that survive the doctrine, the channel and the
        sources waiver at the dyad's current rivalry."""
        return Dyad(genuine=(self.genuine_base[s, r] * genuine_factor).tolist(),
                    hit=self.hit_rate[s, r].tolist(), fabrication_rate=self.fabrication_rate)

    def interdiction_chance(self, details: int) -> float:
        w = self.interdiction_detail_weight
        return self.interdiction_effect * (1.0 - w + w * details / N_DETAILS)

    def harm_averted(self, r: int, details: int) -> float:
        """``V``: expected deaths protective action averts if the plot is real: the deaths
        expected if dismissed (the home services may still end it, or mitigate it) less those
        expected if heeded (arrests, else abandonment, else measures that cut deaths)."""
        return self.harm_table[r][details]

    def visibility(self, *, heeded: bool, details: int, public: bool) -> float:
        """``q``: chance a real plot warned about ends visibly (attack, arrests) within the window."""
        silent = (1.0 - self.interdiction_chance(details)) * self.deterrence_effect if heeded else 0.0
        return (1.0 - silent) * (1.0 - self.shift_beyond_window if public else 1.0)

    # --- the warning's own evidence -----------------------------------------------------------
    def evidence(self, r: int, details: int, verified: int, corroborated: bool) -> float:
        """Log likelihood ratio (real : not real) of the details' checks and the corroboration."""
        ok, not_ok, corr, no_corr = self.evidence_table[r]
        return verified * ok + (details - verified) * not_ok + (corr if corroborated else no_corr)

    # --- the response --------------------------------------------------------------------------
    def choose(self, r: int, kappa: float, *, value: float, cost: float, face: float,
               days_left: int) -> Choice:
        """Multinomial-logit probabilities of heeding, investigating and dismissing."""
        t = self.temperature
        options = [(kappa * value - cost - face) / t, 0.0]
        if days_left > self.investigation_days:
            s1, s0 = float(self.probe_real[r]), self.probe_false
            positive = kappa * s1 + (1.0 - kappa) * s0
            after = (max(0.0, update(kappa, s1, s0) * value - cost - face) * positive
                     + max(0.0, update(kappa, 1.0 - s1, 1.0 - s0) * value - cost - face)
                     * (1.0 - positive))
            options.append((after - self.investigation_cost) / t)
        top = max(options)
        weights = [math.exp(o - top) for o in options]
        total = sum(weights)
        investigate = weights[2] / total if len(weights) == 3 else 0.0
        return Choice(heed=weights[0] / total, investigate=investigate, dismiss=weights[1] / total)

    def resolve(self, r: int, kappa: float, positive: bool) -> float:
        """Credibility once an investigation has reported."""
        s1, s0 = float(self.probe_real[r]), self.probe_false
        return update(kappa, s1, s0) if positive else update(kappa, 1.0 - s1, 1.0 - s0)

    def heed_after(self, kappa: float, value: float, cost: float, face: float) -> float:
        """Binary-logit probability of heeding once an investigation has reported."""
        return logistic((kappa * value - cost - face) / self.temperature)


@lru_cache(maxsize=64)
def _build(p: ModelParams, capability: tuple[float, ...], home: tuple[float, ...]) -> Inference:
    inference = Inference._compute(p, np.array(capability), np.array(home))
    for array in (inference.hit_rate, inference.genuine_base, inference.verify_real,
                  inference.corroborate_real, inference.corroborate_false, inference.probe_real):
        array.flags.writeable = False  # shared between runs
    return inference


# --- the world's structure, as recipients compute it ---------------------------------------------

def trigger_rates(p: ModelParams, capability: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Chance a detection by a service of this (ability-weighted) capability is credible enough
    to trigger, for a real plot and for a false lead (credibility ``Phi(x)``, ``x ~ N(+-d/2, 1)``)."""
    d = p.discriminability * capability
    if p.credibility_threshold <= 0.0:
        return np.ones_like(d), np.ones_like(d)
    if p.credibility_threshold >= 1.0:
        return np.zeros_like(d), np.zeros_like(d)
    z = ndtri(p.credibility_threshold)
    return 1.0 - ndtr(z - d / 2.0), 1.0 - ndtr(z + d / 2.0)


def specific_share(p: ModelParams, capability: NDArray[np.float64]) -> NDArray[np.float64]:
    """Chance a detection carries enough details to count as specific: at least ``needed`` of
    three independent details, each learned with ``rate``."""
    rate = p.detail_rate * (p.capability_floor + (1.0 - p.capability_floor) * capability)
    needed = math.ceil(p.specificity_threshold * N_DETAILS - 1e-9)
    share = np.zeros_like(rate)
    for j in range(max(needed, 0), N_DETAILS + 1):
        share += math.comb(N_DETAILS, j) * rate**j * (1.0 - rate) ** (N_DETAILS - j)
    return share


@lru_cache(maxsize=256)
def aware_before_trigger(p: ModelParams) -> float:
    """Chance the target's services, if they learn of a plot at all, know before a foreign
    detection of it triggers: awareness is uniform over the lead time, the trigger comes at
    ``max(detection, attack - impending_horizon)`` with detection uniform in the first
    ``detection_window`` of the lead. Averaged over the lead-time distribution's quantiles."""
    probs = (np.arange(_LEAD_QUANTILES) + 0.5) / _LEAD_QUANTILES
    leads = np.maximum(p.lead_time_min, gamma_dist.ppf(
        probs, p.lead_time_shape, scale=p.lead_time_mean / p.lead_time_shape))
    w = p.detection_window
    c = np.clip(1.0 - p.impending_horizon / leads, 0.0, None)
    share = np.where(c >= w, c, w / 2.0 + c**2 / (2.0 * w))
    return float(share.mean())


@lru_cache(maxsize=256)
def expected_deaths(p: ModelParams) -> float:
    """Mean of ``floor(scale x (U^(-1/(alpha-1)) - 1))``: ``sum_k (1 + k/scale)^-(alpha-1)``,
    a Hurwitz zeta value."""
    beta, s = p.lethality_alpha - 1.0, p.lethality_scale
    return float(s**beta * zeta(beta, s + 1.0))
