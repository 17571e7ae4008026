"""The recipient's inference and response: what a warning is worth, and what to do about it.

**Types.** Trust is a belief about the other's type (Kydd 2005), and a warning is worth what its
sender is worth in two respects (Mayer, Davis & Schoorman 1995: ability and benevolence): its
**intent** (benevolent, or manipulative: it also sends fabrications to intimidate or mislead,
Sobel 1985) and its **ability** (how well its analysts tell real plots from false leads). A
recipient holds a posterior over ``2 x K`` hypotheses: intent in {benevolent, manipulative} times
``K = 3`` ability levels (the world's discriminability multipliers ``exp(ability_spread x z_k)``,
``z_k`` the normal quantiles at ``(k + 1/2)/K``, equally likely: :mod:`sim.world` draws every
agency's level from exactly that distribution). The prior on intent is derived per dyad from
the senders' incentives (rational suspicion, Kydd 2005): the share of senders drawn from the
common-knowledge law of preferences that would take a fabrication opportunity toward this
recipient, at the fixed point where that share is also the prior their reputation is judged
from (:func:`rational_suspicion`); ``suspicion_bias`` adds declared suspicion of rivals. For a
discretionary sender a warning is also read through why each type would send it
(:func:`why_warn`: a hostile type rarely sends a genuine warning it may withhold).

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
foil anyway, times the action's effectiveness), ``C`` the cost of protective action (a fixed part
rising with the actions already in force, warning overload, plus ``stake_cost`` per death a real
plot of the indicated scale would cause: :func:`sim.consequences.action_cost`) and ``F`` the face cost of heeding a public
warning (``face_cost x rivalry``). Investigating costs ``investigation_cost`` and
``investigation_days``, then reveals a signal (positive with ``investigation_power x capability
factor`` for a real plot, ``investigation_false_positive`` otherwise), after which the recipient
heeds or dismisses: its value is the expected value of that later choice, or nothing if the warned
date comes first. Dismissing is worth 0. The choice is a multinomial logit with
``choice_temperature`` (quantal response, McKelvey & Palfrey 1995).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri, zeta
from scipy.stats import beta as beta_dist
from scipy.stats import gamma as gamma_dist

from sim.consequences import (
    action_cost,
    burn_chance,
    diversion_deaths,
    interdiction_chance,
    investigate,
    political_loss,
    protect_on,
)
from sim.enums import Response, ResponsePolicy
from sim.jit import kernel
from sim.ledger import bring_all, log_weights, observe_arrival, rebuild_pools
from sim.outcomes import NET_HARM_COMPONENTS
from sim.params import ModelParams
from sim.protocol import PUBLIC, bound, excludes, is_public, reachable, route
from sim.world import ABILITY_LEVELS, N_DETAILS, SCALES, Scale, U, ability_multipliers

LOG_BOUND = 50.0
"""Log-likelihoods of an impossible observation are bounded at -50 (a factor of 2e-22) rather
than -inf, so that conclusive evidence can still fade. Numerical, not a modelling assumption."""

HYPOTHESES = 2 * ABILITY_LEVELS
"""Hypotheses ``h = intent x K + level``: benevolent levels first, then manipulative ones."""

_LEAD_QUANTILES = 64
_EXP_FLOOR = math.exp(-LOG_BOUND)

_RESPONSES = list(Response)
HEEDED, INVESTIGATED, DISMISSED = (_RESPONSES.index(r) for r in
                                   (Response.HEEDED, Response.INVESTIGATED, Response.DISMISSED))
_POLICIES = list(ResponsePolicy)
POLICY_MODEL, HEED_ALL, DISMISS_ALL = (_POLICIES.index(r) for r in
                                       (ResponsePolicy.MODEL, ResponsePolicy.HEED_ALL,
                                        ResponsePolicy.DISMISS_ALL))


UNSPECIFIED_SCALE, SMALL_SCALE, MASS_SCALE = int(Scale.UNSPECIFIED), int(Scale.SMALL), int(Scale.MASS)
""":class:`sim.world.Scale` as plain integers for the kernels."""

ARRIVAL, REAL, FABRICATED, WEIGHTS, PROBS, SHARED, EARLIER, PROBE, PROBE_PROBS, OUTCOME = range(10)
"""Rows of the run's scratch space (``st.scratch``, one vector per hypothesis each): the
recipient's model of a sender, its log weights and posterior, allies' shared evidence, the
cry-wolf probe's vectors, an outcome's log-likelihood."""
SCRATCH = 10

W_DEATHS, W_PROTECTION, W_INVESTIGATION, W_POLITICAL, W_SOURCES = (
    NET_HARM_COMPONENTS.index(name) for name in (
        "casualties", "protective_cost", "investigative_cost", "political_cost", "sources_cost"))
"""The components of ``net_harm`` (:data:`sim.outcomes.NET_HARM_COMPONENTS`), as the
recipient's expected harm (:func:`expected_harm`) and the run's outcomes both index them."""


class DyadModel(NamedTuple):
    """A recipient's model of one sender, per hypothesis (:func:`dyad_model`), for reading a
    run's state from Python: the log-likelihood of a quiet day and of an arrival, the chance a
    warning is about a real plot and that it is fabricated."""

    silence: NDArray[np.float64]
    arrival: NDArray[np.float64]
    real: NDArray[np.float64]
    fabricated: NDArray[np.float64]

    def real_chance(self, probs: NDArray[np.float64]) -> float:
        """P(real | arrival) under a posterior (before the warning's own evidence)."""
        return float(weighted(np.asarray(probs, dtype=float), self.real))

    def outcome(self, confirmed: bool, q: float) -> NDArray[np.float64]:
        """Log-likelihood of a warning's outcome, given it arrived (:func:`outcome_loglik`)."""
        return outcome_loglik(self.real, confirmed, q)


class Choice(NamedTuple):
    """The choice probabilities of the three responses to one warning."""

    heed: float
    investigate: float
    dismiss: float


# --- scalar arithmetic ---------------------------------------------------------------------------

@kernel
def logistic(x: float) -> float:
    """1 / (1 + exp(-x)), without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@kernel
def safe_log(x: float) -> float:
    """``log(x)``, bounded below at ``-LOG_BOUND``."""
    return math.log(x) if x > _EXP_FLOOR else -LOG_BOUND


@kernel
def log_ratio(p: float, q: float) -> float:
    """``log(p / q)`` for probabilities, bounded; 0 when both are 0 (no information)."""
    return safe_log(p) - safe_log(q) if (p > 0.0 or q > 0.0) else 0.0


@kernel
def log_odds(p: float) -> float:
    return log_ratio(p, 1.0 - p)


@kernel
def posterior(log_weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Normalised probabilities from unnormalised log weights (sums from the left)."""
    return posterior_into(log_weights, np.empty(log_weights.shape[0]))


@kernel
def posterior_into(log_weights: NDArray[np.float64], out: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`posterior`, written into ``out`` (the day's loop reuses the run's scratch rows
    rather than allocating a vector per warning)."""
    n = log_weights.shape[0]
    top = log_weights[0]
    for h in range(1, n):
        if log_weights[h] > top:
            top = log_weights[h]
    total = 0.0
    for h in range(n):
        out[h] = math.exp(log_weights[h] - top)
        total += out[h]
    for h in range(n):
        out[h] = out[h] / total
    return out


@kernel
def benevolence(probs: NDArray[np.float64]) -> float:
    """Posterior probability of a benevolent type."""
    total = 0.0
    for k in range(ABILITY_LEVELS):
        total += probs[k]
    return total


@kernel
def weighted(probs: NDArray[np.float64], values: NDArray[np.float64]) -> float:
    """``sum_h P(h) x value_h``, from the left."""
    total = 0.0
    for h in range(probs.shape[0]):
        total += probs[h] * values[h]
    return total


@kernel
def credibility(prior_real: float, evidence: float) -> float:
    """P(real | arrival, evidence): the prior's odds times the evidence's likelihood ratio."""
    return logistic(log_odds(prior_real) + evidence)


@kernel
def update(kappa: float, likely_if_real: float, likely_if_not: float) -> float:
    """Bayes' rule for one binary observation."""
    num = kappa * likely_if_real
    den = num + (1.0 - kappa) * likely_if_not
    return num / den if den > 0 else kappa


@kernel
def positive_part(x: float) -> float:
    return x if x > 0.0 else 0.0


# --- the recipient's model of a sender -----------------------------------------------------------

@kernel
def dyad_model(st: Any, s: int, r: int, factor: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """What ``r``'s model predicts of sender ``s``, per hypothesis: the log-likelihood of a
    warning's arrival, the chance a warning is about a real plot, and the chance it is
    fabricated. ``factor`` is the share of the sender's triggered genuine warnings to ``r`` that
    survive its doctrine, the channel and the sources waiver at the dyad's rivalry
    (:func:`refresh_beliefs`). The vectors are rows of the run's scratch space, valid until
    the next call."""
    for k in range(ABILITY_LEVELS):
        genuine = st.genuine_base[s, r, k] * factor
        model_row(st, s, r, k, genuine, genuine)
    arrival = st.scratch[ARRIVAL]
    real = st.scratch[REAL]
    fabricated = st.scratch[FABRICATED]
    return arrival, real, fabricated


@kernel
def model_row(st: Any, s: int, r: int, k: int, genuine_b: float, genuine_m: float) -> None:
    """Ability level ``k``'s entries of the scratch rows :func:`dyad_model` writes, when the
    sender's genuine warnings reach ``r`` at ``genuine_b`` a day under the benevolent type and
    ``genuine_m`` under the manipulative one (which also sends fabrications)."""
    fab = st.params[0].fabrication_rate
    hit = st.hit_rate[s, r, k]
    phi = fab / (fab + genuine_m) if fab > 0.0 else 0.0
    st.scratch[ARRIVAL, k] = safe_log(genuine_b)
    st.scratch[ARRIVAL, ABILITY_LEVELS + k] = safe_log(genuine_m + fab)
    st.scratch[REAL, k] = hit
    st.scratch[REAL, ABILITY_LEVELS + k] = (1.0 - phi) * hit
    st.scratch[FABRICATED, k] = 0.0
    st.scratch[FABRICATED, ABILITY_LEVELS + k] = phi


@kernel
def send_shares(st: Any, s: int, r: int, scale: int, details: int,
                send_b: NDArray[np.float64], send_m: NDArray[np.float64]) -> None:
    """Why ``s`` would warn ``r``: the chance that a sender drawn from the common-knowledge law
    of preferences sends a triggered genuine warning passing ``details`` details that claims
    ``scale``, under the rule of :func:`sim.senders.screen` for a sender no duty binds, at the
    dyad's start (expected response ``START_RESPONSE``, no record), per ability level ``k``
    (its credibility: the hit rate ``a_k``), averaged over the opportunism quantiles ``o_j``
    weighted by the chance each takes a fabrication opportunity (``send_m``, the
    manipulative type of ``r``'s model) or not (``send_b``). Sending is worth
    ``(concern - g_j) e a_k V + g_j e C + reputation_weight (a_k B_confirmed + (1 - a_k)
    B_false - B_now) - source_value x burn x details``, ``g_j = rivalry_gain o_j rivalry``: a
    rival's deaths are a hostile sender's gain (``deaths_as_gain``), so a sender whose
    opportunism outweighs its concern withholds warnings of large ``V``. ``V`` is ``r``'s own
    table at the claimed scale; a warning that claims none was sent by a sender that knew the
    indicated scale (mass with ``indicated_mass``). ``concern`` is the law's mean (the
    recipient does not average over concern). The sender's public-alert choice is left out
    (the private cost ``C``)."""
    p = st.params[0]
    m = math.exp(st.priors[r, s, ABILITY_LEVELS])
    size = 2 * st.opportunism_grid.shape[0]
    gains, weights = np.empty(size), np.empty(size)
    if not fabrication_gains(st, s, r, gains, weights):
        send_b[:] = 1.0
        send_m[:] = 1.0
        return
    arrival, real, _ = dyad_model(st, s, r, st.genuine[s, r])
    after_false, after_confirmed = start_reputation(st, m, arrival, real)
    loss = p.reputation_weight * ((1.0 - m) - after_false) + p.fabrication_cost
    tau = p.choice_temperature
    e = START_RESPONSE
    cost = (p.action_cost + p.stake_cost * st.agencies[r].dismissed_deaths[scale]
            + political_loss(st, r, s))
    at_risk = p.source_value * burn_chance(st, s, r) * details
    mu = st.derived[0].indicated_mass
    if scale == UNSPECIFIED_SCALE:
        v_hi, v_lo, w_hi = (harm_averted(st, r, details, MASS_SCALE),
                            harm_averted(st, r, details, SMALL_SCALE), mu)
    else:
        v_hi, v_lo, w_hi = harm_averted(st, r, details, scale), 0.0, 1.0
    grid = st.opportunism_grid
    n = grid.shape[0]
    for k in range(ABILITY_LEVELS):
        kappa = st.hit_rate[s, r, k]
        rep = p.reputation_weight * (kappa * after_confirmed + (1.0 - kappa) * after_false
                                     - (1.0 - m))
        sum_b = sum_m = w_b = w_m = 0.0
        for j in range(n):
            g = p.rivalry_gain * grid[j] * st.rivalry[s, r]
            f = 0.0
            for public in range(2):
                f += weights[2 * j + public] * n * logistic((gains[2 * j + public] - loss) / tau)
            lives = (p.concern - g) * e * kappa
            base = g * e * cost + rep - at_risk
            send = w_hi * logistic((lives * v_hi + base) / tau)
            if w_hi < 1.0:
                send += (1.0 - w_hi) * logistic((lives * v_lo + base) / tau)
            sum_m += f * send
            w_m += f
            sum_b += (1.0 - f) * send
            w_b += 1.0 - f
        send_b[k] = sum_b / w_b if w_b > 0.0 else 1.0
        send_m[k] = sum_m / w_m if w_m > 0.0 else 1.0


@kernel
def why_warn(st: Any, s: int, r: int, factor: float, scale: int, details: int) -> None:
    """Rewrite ``r``'s model of ``s`` (the scratch rows :func:`dyad_model` wrote with
    ``factor``) for a warning that claims ``scale`` with ``details`` details, when no duty
    binds ``s`` (doctrine ``discretion``) and a rival's deaths are an opportunist's gain: under
    each type its genuine warnings reach ``r`` at ``w_k`` times the share that type sends
    (:func:`send_shares`), so a warning a hostile type would have withheld is, under that
    type, mostly fabricated (``phi_k = f / (f + w_k sigma_M)``): the credibility of this
    warning falls, per warning, with the reason the sender would have to send it (Kydd 2005;
    Crawford & Sobel 1982). Nothing changes for a bound sender, with ``deaths_as_gain`` off
    or ``rivalry_gain`` 0."""
    p = st.params[0]
    if not p.deaths_as_gain or p.rivalry_gain == 0.0 or bound(st.agencies[s].doctrine):
        return
    send_b, send_m = np.empty(ABILITY_LEVELS), np.empty(ABILITY_LEVELS)
    send_shares(st, s, r, scale, details, send_b, send_m)
    for k in range(ABILITY_LEVELS):
        genuine = st.genuine_base[s, r, k] * factor
        model_row(st, s, r, k, genuine * send_b[k], genuine * send_m[k])


@kernel
def claimed_scale(st: Any, r: int, details: int) -> int:
    """The scale a fabricator claims with its location detail (:func:`sim.senders.fabricate`):
    the one under which ``r``'s own table (:func:`harm_averted`) says acting on the warning
    averts more, which is also the one whose protective action costs ``r`` most (the stake part
    of :func:`sim.consequences.action_cost` grows with the deaths at stake). An opportunist gains
    in proportion to how often ``r`` acts and what acting costs it (the gain in
    :func:`sim.senders.fabricate`); with a stake-priced cost a mass claim makes ``r`` act more
    often only where its credibility clears the stake price, but it always raises the cost it
    imposes, so the rule is the dominant claim under the modelled gain. A claim that maximises the
    recipient's cost is the claim of a sender whose interests are opposed to it (Crawford &
    Sobel 1982)."""
    mass = harm_averted(st, r, details, MASS_SCALE)
    small = harm_averted(st, r, details, SMALL_SCALE)
    return MASS_SCALE if mass >= small else SMALL_SCALE


@kernel
def claim_evidence(st: Any, r: int, scale: int, details: int) -> None:
    """Condition ``r``'s model of a sender (the scratch rows :func:`dyad_model` last wrote) on
    the scale the
    warning claims. A genuine warning, about a real plot or a false lead, indicates a
    mass-casualty scale with ``mu = indicated_mass`` (:class:`Inference`; the same for both,
    so the scale says nothing about real against false lead); a fabrication claims
    :func:`claimed_scale` (probability ``delta_x`` 1 or 0). Under hypothesis ``h`` with
    fabricated share ``phi_h`` the claim ``x`` has probability ``l_h = (1 - phi_h) mu_x +
    phi_h delta_x``: its log is added to the arrival's log-likelihood (the claim is evidence
    about the sender's type, and the ledger records it), and the chances that the warning is
    real or fabricated become ``real_h mu_x / l_h`` and ``phi_h delta_x / l_h`` (so its
    credibility and its outcome's likelihood are read given the claim). Nothing is learned
    when no scale is claimed (no location detail) or with ``claim_evidence`` off. Whether a
    location is claimed at all is not read (the recipient does not model how often senders
    pass it)."""
    if not st.params[0].claim_evidence or scale == UNSPECIFIED_SCALE:
        return
    arrival = st.scratch[ARRIVAL]
    real = st.scratch[REAL]
    fabricated = st.scratch[FABRICATED]
    mu = st.derived[0].indicated_mass
    genuine = mu if scale == MASS_SCALE else 1.0 - mu
    fake = 1.0 if claimed_scale(st, r, details) == scale else 0.0
    for h in range(arrival.shape[0]):
        phi = fabricated[h]
        like = (1.0 - phi) * genuine + phi * fake
        arrival[h] += safe_log(like)
        if like > 0.0:
            real[h] = real[h] * genuine / like
            fabricated[h] = phi * fake / like
        else:
            real[h] = 0.0
            fabricated[h] = 0.0


@kernel
def outcome_loglik(real: NDArray[np.float64], confirmed: bool, q: float) -> NDArray[np.float64]:
    """Log-likelihood of a warning's outcome given it arrived (``q``: the chance a real plot
    warned about ends visibly within the window)."""
    return outcome_into(real, confirmed, q, np.empty(real.shape[0]))


@kernel
def outcome_into(real: NDArray[np.float64], confirmed: bool, q: float,
                 out: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`outcome_loglik`, written into ``out``."""
    for h in range(real.shape[0]):
        x = real[h] * q
        out[h] = safe_log(x if confirmed else 1.0 - x)
    return out


@kernel
def expected_hit_rate(st: Any, s: int, r: int, probs: NDArray[np.float64]) -> float:
    total = 0.0
    for k in range(ABILITY_LEVELS):
        total += (probs[k] + probs[ABILITY_LEVELS + k]) * st.hit_rate[s, r, k]
    return total


@kernel
def refresh_beliefs(st: Any, through: int, suspicion: bool = True) -> None:
    """Recompute what depends on the rivalry matrix: which dyads count as rivals, whether each
    sender's genuine warnings reach the recipient (its doctrine and the channel allow them;
    recipients do not model the sender's own choice to withhold), and with it the
    log-likelihood of a quiet day in every dyad (:mod:`sim.ledger`), and, with ``suspicion``,
    the priors derived from senders' incentives at the new rivalry (:func:`rational_suspicion`;
    a run starts from its template's, derived once). The quiet days through ``through`` are
    counted at the old rate first."""
    p = st.params[0]
    bring_all(st, through)
    n = st.rivalry.shape[0]
    fab = p.fabrication_rate
    for s in range(n):
        for r in range(n):
            st.rival[s, r] = st.rivalry[s, r] >= p.rival_threshold
    for s in range(n):
        agency = st.agencies[s]
        for r in range(n):
            excluded = excludes(p, agency.doctrine, st.rivalry[s, r])
            st.genuine[s, r] = 1.0 if st.reachable[s, r] and not excluded else 0.0
            if p.learning:
                for k in range(ABILITY_LEVELS):
                    rate = st.genuine_base[s, r, k] * st.genuine[s, r]
                    quiet = -rate
                    quiet_m = -(rate + fab)
                    if not st.reachable[s, r]:
                        quiet = 0.0
                        quiet_m = 0.0
                    st.silence[r, s, k] = quiet
                    st.silence[r, s, ABILITY_LEVELS + k] = quiet_m
    if suspicion:
        derive_priors(st)
    if p.learning and p.deaths_as_gain and p.rivalry_gain != 0.0:
        # A discretionary sender's silence: each type sends the share of its triggered genuine
        # warnings that its payoffs make worth sending (a bare warning; sim.inference.send_shares).
        send_b, send_m = np.empty(ABILITY_LEVELS), np.empty(ABILITY_LEVELS)
        for s in range(n):
            if bound(st.agencies[s].doctrine):
                continue
            for r in range(n):
                if r == s or not st.reachable[s, r] or st.genuine[s, r] == 0.0:
                    continue
                send_shares(st, s, r, UNSPECIFIED_SCALE, 0, send_b, send_m)
                for k in range(ABILITY_LEVELS):
                    rate = st.genuine_base[s, r, k] * st.genuine[s, r]
                    st.silence[r, s, k] = -rate * send_b[k]
                    st.silence[r, s, ABILITY_LEVELS + k] = -(rate * send_m[k] + fab)
    rebuild_pools(st, through)


@kernel
def derive_priors(st: Any) -> None:
    """Every dyad's prior that the sender is manipulative, from its incentives
    (:func:`rational_suspicion`), with ``suspicion_bias`` toward rivals."""
    p = st.params[0]
    n = st.rivalry.shape[0]
    size = 2 * st.opportunism_grid.shape[0]
    gains, weights = np.empty(size), np.empty(size)
    # Dyads with the same inputs have the same fixed point (scenarios repeat agency profiles):
    # it is found once per distinct key. The key is everything rational_suspicion reads of the
    # dyad (the three ability levels of sim.world.ABILITY_LEVELS written out, and the deaths at
    # stake in the recipient's country, which price the protective action a fabrication costs it).
    found = dict()
    for s in range(n):
        for r in range(n):
            if r == s:
                continue
            key = (st.rivalry[s, r], st.rivalry[r, s], 1.0 if st.liaison[s, r] else 0.0,
                   1.0 if st.relays[s, r] >= 0 else 0.0, st.genuine[s, r],
                   st.genuine_base[s, r, 0], st.genuine_base[s, r, 1], st.genuine_base[s, r, 2],
                   st.hit_rate[s, r, 0], st.hit_rate[s, r, 1], st.hit_rate[s, r, 2],
                   st.agencies[r].dismissed_deaths[MASS_SCALE])
            if key in found:
                m = found[key]
            else:
                m = rational_suspicion(st, s, r, gains, weights)
                found[key] = m
            if st.rival[s, r] and p.suspicion_bias != 0.0:
                m = logistic(log_odds(m) + p.suspicion_bias)
            prior_into(m, st.priors[r, s])


# --- rational suspicion: the prior derived from senders' incentives ------------------------------

PRIOR_FLOOR = 0.001
"""The derived prior that a sender is manipulative is kept within [0.001, 0.999] (the range of
the declared shares it replaces): a prior of exactly 0 or 1 could never be revised."""

START_RESPONSE = 0.5
"""The response a sender expects from a recipient it has no record with: Laplace's rule,
``(0 + 1) / (0 + 2)`` (:func:`sim.senders.expected_response`)."""

SUSPICION_GRID = 64
"""Quantiles of the opportunism law over which recipients average the fabrication rule."""


@kernel
def prior_into(manipulative: float, out: NDArray[np.float64]) -> NDArray[np.float64]:
    """Log prior over the hypotheses (:func:`prior_vector`), written into ``out``."""
    b, m = safe_log(1.0 - manipulative), safe_log(manipulative)
    for k in range(ABILITY_LEVELS):
        out[k] = b
        out[ABILITY_LEVELS + k] = m
    return out


@kernel
def fabrication_gains(st: Any, s: int, r: int, gains: NDArray[np.float64],
                      weights: NDArray[np.float64]) -> bool:
    """What does not depend on the prior in :func:`fabrication_chance`: for each quantile
    ``o_j`` of the opportunism law and each choice of a public alert, what fabricating gains
    the sender (``gains[2 j + public]``) and the chance of that channel choice
    (``weights``, divided by the number of quantiles). False when no channel reaches ``r``."""
    p = st.params[0]
    liaison = st.liaison[s, r]
    if not reachable(p, liaison):
        return False
    cost = (p.action_cost + p.stake_cost * st.agencies[r].dismissed_deaths[MASS_SCALE]
            + political_loss(st, r, s))
    face = face_loss(st, r, s, True)
    has_relay = st.relays[s, r] >= 0
    tau = p.choice_temperature
    grid = st.opportunism_grid
    size = grid.shape[0]
    for j in range(size):
        g = p.rivalry_gain * grid[j] * st.rivalry[s, r] * START_RESPONSE
        alert = logistic((p.public_alert_value + g * face) / tau)
        for public in range(2):
            shown = route(p, liaison, has_relay, public == 1) == PUBLIC or public == 1
            gains[2 * j + public] = g * (cost + face if shown else cost)
            weights[2 * j + public] = (alert if public == 1 else 1.0 - alert) / size
    return True


@kernel
def reputation_at_stake(st: Any, manipulative: float, arrival: NDArray[np.float64],
                        real: NDArray[np.float64]) -> float:
    """What a false alarm costs a sender at the dyad's start: ``reputation_weight`` times the
    recipient's belief in its benevolence now (``1 - manipulative``, no record) less after one
    arrival that proves a false alarm, plus ``fabrication_cost``."""
    p = st.params[0]
    after_false_alarm, _ = start_reputation(st, manipulative, arrival, real)
    return (p.reputation_weight * ((1.0 - manipulative) - after_false_alarm)
            + p.fabrication_cost)


@kernel
def start_reputation(st: Any, manipulative: float, arrival: NDArray[np.float64],
                     real: NDArray[np.float64]) -> tuple[float, float]:
    """The recipient's belief in a sender's benevolence after one arrival from it, with no
    record and prior ``manipulative``, that proved a false alarm, and that was confirmed."""
    beliefs = [0.0, 0.0]
    for confirmed in (False, True):
        weights = prior_into(manipulative, st.scratch[WEIGHTS])
        outcome = outcome_into(real, confirmed, 1.0, st.scratch[OUTCOME])
        for h in range(outcome.shape[0]):
            outcome[h] = weights[h] + arrival[h] + outcome[h]
        beliefs[int(confirmed)] = benevolence(posterior_into(outcome, st.scratch[PROBE_PROBS]))
    return beliefs[0], beliefs[1]


@kernel
def taken_share(gains: NDArray[np.float64], weights: NDArray[np.float64], loss: float,
                tau: float) -> float:
    """The logit fabrication rule averaged over the quantiles and channel choices."""
    total = 0.0
    for i in range(gains.shape[0]):
        total += weights[i] * logistic((gains[i] - loss) / tau)
    return total


@kernel
def fabrication_chance(st: Any, s: int, r: int, manipulative: float) -> float:
    """The chance that a sender drawn from the common-knowledge law of preferences takes a
    fabrication opportunity against ``r`` at the start of the dyad, under the fabrication rule
    of :func:`sim.senders.fabricate`, when ``r``'s prior that it is manipulative is
    ``manipulative``: no record (the sender expects a response of ``START_RESPONSE``), ``r``'s
    belief in its benevolence ``1 - manipulative`` now and as after one warning proved a false
    alarm (its reputational loss), protective action at no load, the political cost and, if the
    channel is public, the face cost. The public alert (:func:`sim.senders.goes_public`) and the
    fabrication are independent logit choices, so the chance is exact given the opportunism:
    it is averaged over the law's quantiles (``st.opportunism_grid``)."""
    size = 2 * st.opportunism_grid.shape[0]
    gains, weights = np.empty(size), np.empty(size)
    if not fabrication_gains(st, s, r, gains, weights):
        return 0.0
    arrival, real, _ = dyad_model(st, s, r, st.genuine[s, r])
    loss = reputation_at_stake(st, manipulative, arrival, real)
    return taken_share(gains, weights, loss, st.params[0].choice_temperature)


@kernel
def rational_suspicion(st: Any, s: int, r: int, gains: NDArray[np.float64],
                       weights: NDArray[np.float64]) -> float:
    """``r``'s prior that ``s`` is manipulative, derived from ``s``'s incentives (rational
    suspicion, Kydd 2005; Crawford & Sobel 1982; Sobel 1985): the share ``m`` of senders, under
    the common-knowledge law of preferences, whom fabrication would pay at this dyad's
    rivalry, as a fixed point ``m = fabrication_chance(m)`` (the reputation a false alarm
    costs depends on the prior itself). ``h(m) = m - fabrication_chance(m)`` is continuous on
    [PRIOR_FLOOR, 1 - PRIOR_FLOOR]; its root is bracketed and found by the Illinois variant of
    regula falsi (to 1e-10; when several roots exist, the one the bracket converges to).
    ``gains`` and ``weights`` are working vectors of twice the grid's size."""
    if not fabrication_gains(st, s, r, gains, weights):
        return PRIOR_FLOOR
    tau = st.params[0].choice_temperature
    arrival, real, _ = dyad_model(st, s, r, st.genuine[s, r])
    lo, hi = PRIOR_FLOOR, 1.0 - PRIOR_FLOOR
    h_lo = lo - taken_share(gains, weights, reputation_at_stake(st, lo, arrival, real), tau)
    if h_lo >= 0.0:
        return lo
    h_hi = hi - taken_share(gains, weights, reputation_at_stake(st, hi, arrival, real), tau)
    if h_hi <= 0.0:
        return hi
    side = 0
    m = lo
    for _ in range(100):
        m = (lo * h_hi - hi * h_lo) / (h_hi - h_lo)
        h = m - taken_share(gains, weights, reputation_at_stake(st, m, arrival, real), tau)
        if h == 0.0 or hi - lo < 1e-10:
            break
        if h < 0.0:
            lo, h_lo = m, h
            if side == -1:
                h_hi *= 0.5
            side = -1
        else:
            hi, h_hi = m, h
            if side == 1:
                h_lo *= 0.5
            side = 1
        if abs(h) < 1e-12:
            break
    return m


# --- the response --------------------------------------------------------------------------------

@kernel
def expected_harm(st: Any, r: int, kappa: float, details: int, scale: int, act: float,
                  political: float, diversion: float, days_left: int, out: Any) -> Any:
    """``out[response, component]``: the harm the recipient expects from each response (rows in
    :class:`~sim.enums.Response` order), in each component of ``net_harm``
    (:data:`sim.outcomes.NET_HARM_COMPONENTS`), under its beliefs: the plot is real with
    ``kappa``; heeding costs ``act`` (protective action), ``political`` (face and political
    cost) and ``diversion`` (expected deaths from security diverted) and changes the expected
    deaths of a real plot from the dismissed to the heeded level; investigating costs
    ``investigation_cost``, then the recipient heeds or dismisses as the result makes best
    (unless the warned date comes first: the row is then NaN). Sources are sunk by then: the
    same (zero) for every response."""
    p = st.params[0]
    me = st.agencies[r]
    dismissed = me.dismissed_deaths[scale]
    heeded = me.heeded_deaths[details * SCALES + scale]
    out[:, :] = 0.0
    out[DISMISSED, W_DEATHS] = kappa * dismissed
    out[HEEDED, W_DEATHS] = kappa * heeded + diversion
    out[HEEDED, W_PROTECTION] = act
    out[HEEDED, W_POLITICAL] = political
    if days_left <= p.investigation_days:
        out[INVESTIGATED, :] = np.nan
        return out
    s1 = me.probe_real
    s0 = p.investigation_false_positive
    positive = kappa * s1 + (1.0 - kappa) * s0
    for found in (True, False):
        weight = positive if found else 1.0 - positive
        after = update(kappa, s1, s0) if found else update(kappa, 1.0 - s1, 1.0 - s0)
        if after * (dismissed - heeded) - act - political - diversion > 0.0:  # then heed
            out[INVESTIGATED, W_DEATHS] += weight * (after * heeded + diversion)
            out[INVESTIGATED, W_PROTECTION] += weight * act
            out[INVESTIGATED, W_POLITICAL] += weight * political
        else:
            out[INVESTIGATED, W_DEATHS] += weight * after * dismissed
    out[INVESTIGATED, W_INVESTIGATION] += p.investigation_cost
    return out


@kernel
def choose(st: Any, harm: Any) -> tuple[float, float, float]:
    """Probabilities of heeding, investigating and dismissing: a policy imposed on all, or the
    multinomial logit over the responses' expected harm (``harm``: :func:`expected_harm`;
    quantal response, McKelvey & Palfrey 1995, with ``choice_temperature``)."""
    p = st.params[0]
    if p.response_policy == HEED_ALL:
        return 1.0, 0.0, 0.0
    if p.response_policy == DISMISS_ALL:
        return 0.0, 0.0, 1.0
    t = p.choice_temperature
    utility = np.zeros(3)
    for a in range(3):
        for c in range(harm.shape[1]):
            utility[a] -= harm[a, c]
    options = 2 if np.isnan(utility[INVESTIGATED]) else 3
    top = utility[HEEDED]  # the first of the largest, as Python's max() picks
    if utility[DISMISSED] > top:
        top = utility[DISMISSED]
    if options == 3 and utility[INVESTIGATED] > top:
        top = utility[INVESTIGATED]
    w_heed = math.exp((utility[HEEDED] - top) / t)
    w_dismiss = math.exp((utility[DISMISSED] - top) / t)
    total = w_heed + w_dismiss
    w_investigate = 0.0
    if options == 3:
        w_investigate = math.exp((utility[INVESTIGATED] - top) / t)
        total += w_investigate
    return w_heed / total, w_investigate / total, w_dismiss / total


@kernel
def heed_after(st: Any, kappa: float, value: float, cost: float) -> float:
    """Binary-logit probability of heeding once an investigation has reported (``value``: the
    deaths heeding averts if the plot is real; ``cost``: every cost of heeding)."""
    return logistic((kappa * value - cost) / st.params[0].choice_temperature)


@kernel
def evidence(st: Any, r: int, details: int, verified: int, corroborated: bool) -> float:
    """Log likelihood ratio (real : not real) of the details' checks and the corroboration."""
    table = st.agencies[r].evidence
    return (verified * table[0] + (details - verified) * table[1]
            + (table[2] if corroborated else table[3]))


@kernel
def visibility(st: Any, heeded: bool, details: int, public: bool) -> float:
    """``q``: chance a real plot warned about ends visibly (attack, arrests) within the window."""
    p = st.params[0]
    silent = (1.0 - interdiction_chance(st, details)) * p.deterrence_effect if heeded else 0.0
    return (1.0 - silent) * (1.0 - st.derived[0].shift_beyond_window if public else 1.0)


@kernel
def face_loss(st: Any, r: int, s: int, public: bool) -> float:
    """The face cost of heeding a public warning: ``face_cost`` times rivalry toward the sender."""
    return st.params[0].face_cost * st.rivalry[r, s] if public else 0.0


@kernel
def judge(st: Any, c: int, day: int) -> None:
    """The recipient judges a delivered warning and responds: the arrival is evidence about the
    sender, the details are checked and the recipient's own intelligence consulted, then it
    heeds, investigates or dismisses, weighing the harm each response is expected to bring in
    every component of ``net_harm`` (PADM, Lindell & Perry 2012)."""
    p = st.params[0]
    cab = st.cables[c]
    r = cab.recipient
    s = cab.sender
    me = st.agencies[r]
    u = st.fabrications[cab.row].u if cab.fabricated else st.detections[cab.row].u
    me.received += 1
    rivalry = st.rivalry[r, s]
    factor = st.genuine[s, r]
    arrival, real, fabricated = dyad_model(st, s, r, factor)
    why_warn(st, s, r, factor, cab.scale, cab.details_passed)
    claim_evidence(st, r, cab.scale, cab.details_passed)
    observe_arrival(st, r, s, arrival, day)
    prior = st.priors[r, s]
    weights = log_weights(st, r, s, prior, day)
    probs = posterior_into(weights, st.scratch[PROBS])
    details = cab.details_passed
    check = me.verify_real if cab.is_real else p.false_verification_rate
    verified = 0
    if cab.timing and u[U.VERIFY] < check:
        verified += 1
    if cab.location and u[U.VERIFY + 1] < check:
        verified += 1
    if cab.perpetrators and u[U.VERIFY + 2] < check:
        verified += 1
    corroborate = me.corroborate_real if cab.is_real else me.corroborate_false
    corroborated = u[U.CORROBORATE] < corroborate
    llr = evidence(st, r, details, verified, corroborated)
    public = is_public(cab.channel)
    act = action_cost(st, r, cab.scale)
    face = face_loss(st, r, s, public)
    political = political_loss(st, r, s)
    diversion = diversion_deaths(st, r)
    days_left = cab.warned_day - day
    kappa = credibility(weighted(probs, real), llr)
    harm = expected_harm(st, r, kappa, details, cab.scale, act, political + face, diversion,
                         days_left, st.harm)
    heed, inv, dismiss = choose(st, harm)
    if not st.heard_from[r, s]:
        st.heard_from[r, s] = True
        if st.state[0].probes:
            cry_wolf_probe(st, cab, weights, arrival, real, llr, act, political + face,
                           diversion, days_left)
    draw = u[U.RESPOND]
    if draw < heed:
        response = HEEDED
    elif draw < heed + inv:
        response = INVESTIGATED
    else:
        response = DISMISSED
    cab.delivered_day = day
    cab.rivalry = rivalry
    cab.judge_genuine = factor
    cab.perceived_benevolence = benevolence(probs)
    cab.hit_rate = expected_hit_rate(st, s, r, probs)
    cab.p_fabricated = weighted(probs, fabricated)
    cab.details_verified = verified
    cab.corroborated = corroborated
    cab.evidence_llr = llr
    cab.perceived_credibility = kappa
    cab.harm_averted = harm_averted(st, r, details, cab.scale)
    cab.heed_cost = act
    cab.face_loss = face
    cab.political_loss = political
    cab.diversion_deaths = diversion
    cab.p_heed = heed
    cab.p_investigate = inv
    cab.p_dismiss = dismiss
    cab.response = response
    if response == HEEDED:
        protect_on(st, c, day)
    elif response == DISMISSED:
        cab.heeded = 0
        cab.decided_day = day
        st.answered[r, s] += 1
    else:
        investigate(st)
        cab.decided_day = -1


@kernel
def harm_averted(st: Any, r: int, details: int, scale: int) -> float:
    """``V``: the deaths protective action averts if the plot is real."""
    me = st.agencies[r]
    return me.dismissed_deaths[scale] - me.heeded_deaths[details * SCALES + scale]


@kernel
def cry_wolf_probe(st: Any, cab: Any, weights: NDArray[np.float64], arrival: NDArray[np.float64],
                   real: NDArray[np.float64], llr: float, act: float, political: float,
                   diversion: float, days_left: int) -> None:
    """For the first warning a recipient receives from a sender: the heed probability the same
    warning would have had after one earlier warning from that sender, not acted upon and
    followed by nothing (a false alarm), or confirmed (the model's cry-wolf sensitivity,
    Breznitz 1984)."""
    r = cab.recipient
    earlier = st.scratch[EARLIER]
    for h in range(HYPOTHESES):
        earlier[h] = weights[h] + arrival[h]
    for confirmed in (False, True):
        outcome = outcome_into(real, confirmed, 1.0, st.scratch[PROBE])
        for h in range(HYPOTHESES):
            outcome[h] = earlier[h] + outcome[h]
        probs = posterior_into(outcome, st.scratch[PROBE_PROBS])
        kappa = credibility(weighted(probs, real), llr)
        harm = expected_harm(st, r, kappa, cab.details_passed, cab.scale, act, political,
                             diversion, days_left, st.harm)
        heed, _, _ = choose(st, harm)
        if confirmed:
            cab.p_heed_after_confirmation = heed
        else:
            cab.p_heed_after_false_alarm = heed
    cab.probed = True


@kernel
def resolve(st: Any, c: int, day: int) -> None:
    """An investigation reports: update the credibility, then heed or dismiss."""
    p = st.params[0]
    cab = st.cables[c]
    r = cab.recipient
    u = st.fabrications[cab.row].u if cab.fabricated else st.detections[cab.row].u
    s1 = st.agencies[r].probe_real
    s0 = p.investigation_false_positive
    chance = s1 if cab.is_real else s0
    positive = u[U.PROBE] < chance
    kappa = cab.perceived_credibility
    kappa = update(kappa, s1, s0) if positive else update(kappa, 1.0 - s1, 1.0 - s0)
    cost = (action_cost(st, r, cab.scale) + cab.political_loss + cab.face_loss
            + diversion_deaths(st, r))
    p_heed = heed_after(st, kappa, cab.harm_averted, cost)
    cab.investigation_positive = 1 if positive else 0
    cab.credibility_after_investigation = kappa
    if u[U.RESOLVE] < p_heed:
        protect_on(st, c, day)
    else:
        cab.heeded = 0
        cab.decided_day = day
        st.answered[r, cab.sender] += 1


# --- what recipients know of the world's structure (computed once per parameter set) ------------

def prior_vector(manipulative: float) -> NDArray[np.float64]:
    """Log prior over the hypotheses: intent from the prior that the sender is manipulative,
    ability levels equally likely."""
    b, m = safe_log(1.0 - manipulative), safe_log(manipulative)
    return np.array([b] * ABILITY_LEVELS + [m] * ABILITY_LEVELS)


def opportunism_grid(p: ModelParams) -> NDArray[np.float64]:
    """The mid-quantiles ``(j + 1/2) / SUSPICION_GRID`` of the senders' opportunism law
    (``Beta(opportunism nu, (1 - opportunism) nu)``, :func:`sim.world.beta`; a mean of 0 or 1
    is that value, and so is a shape parameter below the smallest normal float, whose law is
    that point mass to within it and whose quantiles scipy cannot compute)."""
    q = (np.arange(SUSPICION_GRID) + 0.5) / SUSPICION_GRID
    mean, nu = p.opportunism, p.preference_spread
    a, b = mean * nu, (1.0 - mean) * nu
    tiny = np.finfo(np.float64).tiny
    if mean <= 0.0 or a < tiny:
        return np.zeros(SUSPICION_GRID)
    if mean >= 1.0 or b < tiny:
        return np.ones(SUSPICION_GRID)
    return np.asarray(beta_dist.ppf(q, a, b), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Inference:
    """What recipients know of the world's structure, computed once per parameter set and
    scenario (numpy; the kernels read the arrays).

    ``genuine_base[s, r, k]`` and ``hit_rate[s, r, k]`` are per dyad and ability level; the
    ``[r]`` arrays are the recipient's own checks; ``evidence_table[r]`` holds the
    log-ratios of a verified and an unverified detail and of corroboration and its absence;
    ``dismissed_deaths[r, scale]`` and ``heeded_deaths[r, details, scale]`` are the deaths a
    real plot of the indicated scale is expected to cause if the recipient dismisses or heeds
    a warning passing ``details`` details (their difference is ``V``, the harm protective action
    averts); ``diversion[r]`` the deaths one more action in force costs through the home
    security it diverts (at no load).
    """

    hit_rate: NDArray[np.float64]
    genuine_base: NDArray[np.float64]
    evidence_table: NDArray[np.float64]
    dismissed_deaths: NDArray[np.float64]
    heeded_deaths: NDArray[np.float64]
    diversion: NDArray[np.float64]
    verify_real: NDArray[np.float64]
    corroborate_real: NDArray[np.float64]
    corroborate_false: NDArray[np.float64]
    probe_real: NDArray[np.float64]
    shift_beyond_window: float  # chance a public alert moves a real attack past the window
    mass_share: float  # share of real plots that are mass-casualty
    indicated_mass: float  # share of detections that indicate a mass-casualty plot

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
        by_scale = deaths_by_scale(p)  # [unspecified, small, mass]
        w = p.interdiction_detail_weight
        heeded_share = np.empty((len(capability), N_DETAILS + 1))
        for details in range(N_DETAILS + 1):
            p_int = p.interdiction_effect * (1.0 - w + w * details / N_DETAILS)
            heeded_share[:, details] = (1.0 - p_int) * (1.0 - d) * (1.0 - m) * unfoiled
        # Security diverted: home services try arrests at plot_rate x home_security a day, each
        # succeeding with home_interdiction x (1 - diversion) per action in force; one more
        # action for protection_days makes diversion x that share of them fail, and a failed
        # plot the services know of kills its mitigated share.
        diversion = (p.plot_rate * home_security * p.protection_days * hi * p.diversion
                     * expected_deaths(p) * (1.0 - m))
        return cls(
            hit_rate=hit,
            genuine_base=detected[:, None, None] * total,
            evidence_table=np.array(evidence_table, dtype=np.float64).reshape(-1, 4),
            dismissed_deaths=if_dismissed[:, None] * by_scale[None, :],
            heeded_deaths=heeded_share[:, :, None] * by_scale[None, None, :],
            diversion=diversion,
            verify_real=p.verification_rate * factor,
            corroborate_real=p.corroboration_rate * factor,
            corroborate_false=p.false_corroboration * factor,
            probe_real=p.investigation_power * factor,
            shift_beyond_window=shift / p.max_attack_shift,
            mass_share=mass_share(p),
            indicated_mass=(p.scale_accuracy * mass_share(p)
                            + (1.0 - p.scale_accuracy) * (1.0 - mass_share(p))),
        )


@lru_cache(maxsize=64)
def _build(p: ModelParams, capability: tuple[float, ...], home: tuple[float, ...]) -> Inference:
    inference = Inference._compute(p, np.array(capability), np.array(home))
    for array in (inference.hit_rate, inference.genuine_base, inference.evidence_table,
                  inference.dismissed_deaths, inference.heeded_deaths, inference.diversion,
                  inference.verify_real, inference.corroborate_real, inference.corroborate_false,
                  inference.probe_real):
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


@lru_cache(maxsize=256)
def mass_share(p: ModelParams) -> float:
    """Share of real plots that are mass-casualty (``lethality >= mass_threshold``):
    ``P(L >= T) = (1 + T / scale)^-(alpha - 1)``."""
    return float((1.0 + p.mass_threshold / p.lethality_scale) ** -(p.lethality_alpha - 1.0))


@lru_cache(maxsize=256)
def deaths_by_scale(p: ModelParams) -> NDArray[np.float64]:
    """Expected deaths of an unmitigated real plot given the scale a warning indicates
    (:class:`sim.world.Scale`: unspecified, small, mass), the indication right with
    ``scale_accuracy``. With ``P(L >= k) = (1 + k/s)^-b`` (``b = alpha - 1``), ``E[L; L >= T] = T
    P(L >= T) + s^b zeta(b, s + T + 1)``."""
    b, s, t = p.lethality_alpha - 1.0, p.lethality_scale, p.mass_threshold
    total = expected_deaths(p)
    share = mass_share(p)
    in_mass = t * share + float(s**b * zeta(b, s + t + 1.0))
    mass = in_mass / share
    small = (total - in_mass) / (1.0 - share)
    a = p.scale_accuracy
    says_mass = a * share / (a * share + (1.0 - a) * (1.0 - share))
    says_small = (1.0 - a) * share / ((1.0 - a) * share + a * (1.0 - share))
    return np.array([total, says_small * mass + (1.0 - says_small) * small,
                     says_mass * mass + (1.0 - says_mass) * small])
