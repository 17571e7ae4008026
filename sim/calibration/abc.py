"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), model-agnostic.

**The method.** Population Monte Carlo ABC (Beaumont, Cornuet, Marin & Robert 2009,
*Biometrika* 96:983; Toni et al. 2009, *J R Soc Interface* 6:187) with an adaptive tolerance
schedule (Del Moral, Doucet & Jasra 2012, *Stat Comput* 22:1009, in the quantile form of
Drovandi & Pettitt 2011, *Biometrics* 67:225, which is pyabc's default):

* **Generation 0** is a sample of the prior: a Latin hypercube over the prior's quantiles,
  every point simulated and kept with equal weight (tolerance infinite), except points whose
  distance is undefined (a statistic that cannot be computed, a failed run).
* **Generation t >= 1** has tolerance ``eps_t``: the weighted ``quantile`` of generation t-1's
  distances (or the t-th value of a fixed list), never below ``min_epsilon``. When that
  quantile does not fall (a discrete statistic: many particles tied at the tolerance), the
  largest of generation t-1's distances below its tolerance. A proposal picks
  an ancestor of generation t-1 by weight and perturbs it with the kernel; proposals outside
  the prior's support are drawn again without being simulated. Each proposal is simulated and
  accepted when its distance is at most ``eps_t``, until ``population`` are accepted. Weights:
  ``w_i = prior(theta_i) / sum_j W_j K(theta_i | theta_j)`` (Beaumont et al. 2009).
* **Kernels.** ``mvn``: a Gaussian with twice the weighted covariance of generation t-1
  (Beaumont et al. 2009, who show the factor 2 minimises the Kullback-Leibler divergence between
  successive proposals). ``local``: the optimal local covariance matrix (OLCM) of Filippi,
  Barnes, Cornebise & Stumpf (2013, *Stat Appl Genet Mol Biol* 12:87): ancestor j's covariance
  ``sum_k w~_k (theta_k - theta_j)(theta_k - theta_j)^T`` over the particles of t-1 already
  within ``eps_t`` (weights w~ renormalised), that is ``C + d_j d_j^T`` with ``C`` their
  covariance and ``d_j`` the distance of their mean from ``theta_j``: wide where the ancestor
  lies far from the region the new tolerance keeps, narrow inside it.
* **Distance.** Each target's distance in units of its own tolerance (the caller's
  ``discrepancy``), combined over the targets by ``rms``, ``mean`` or ``max``: a distance of 1
  is "at the edge of the tolerance" on average (rms, mean) or for the worst target (max).
* **Stops**, checked after each generation: ``generations`` reached, ``eps_t <= min_epsilon``,
  an acceptance rate below ``min_acceptance``, ``budget`` simulations spent (a generation the
  budget cuts short is discarded: every population has ``population`` particles), or a
  tolerance that stopped falling (the quantile of a population whose distances are all equal).

**Reproducibility.** Every random draw comes from a :class:`numpy.random.Generator` made from
``SeedSequence(seed, spawn_key=(KEY, generation, batch, role))``: the Latin hypercube and the
proposals (role 0) and each proposal's particle seed (role 1: 63 bits of
``generate_state``), which the caller's ``evaluate`` turns into model runs. Generations are
simulated in batches whose sizes follow only from earlier results (never from timing), and a
batch's accepted particles are taken in proposal order, so the populations do not depend on
how, where or by how many workers a batch is evaluated. Numpy's global state is never touched.
A run continues from stored populations (:func:`run`'s ``history``) to the same result as
without the interruption.

**Why hand-written rather than pyabc** (measured with ``benchmarks/bench_abc.py`` on
2026-12-07: pyabc 0.13.0, numpy 2.4, two shared cores; the guide prefers kept libraries).
pyabc installs cleanly beside this project's pins, but:

1. it draws every random number from numpy's *global* state (``np.random.choice`` and
   ``np.random.multivariate_normal`` in its transitions, scipy ``rvs`` without a
   ``random_state`` for the prior), and its model functions receive no seed, so a run is
   reproducible only after ``np.random.seed``: global seeding, which the project forbids;
2. its parallel samplers (``MulticoreEvalParallelSampler``, ``MappingSampler``, the Redis and
   Dask ones) reseed numpy's global generator from OS entropy in every worker and keep whichever
   particles finish first, so two runs differ even after the global seed, with one process as
   with two (posterior means of the benchmark's normal mean, two runs each: 2.243 and 2.210
   with one process, 2.211 and 2.184 with two; its single-core sampler after the global seed:
   2.220 twice; this module from one SeedSequence: 2.1475 twice, and through ``warnsim
   calibrate`` the same particles with one worker and two);
3. it spends 0.73 ms of CPU of its own per simulation (0.91 ms with its SQLite history in a
   file), twice the compiled model's 0.3 ms, where this module spends 0.03 ms and the whole
   calibration machinery (parameters, seeds, statistics, stored populations) 0.11 ms
   (1,000 particles, four generations, one process; CPU time, so the other users of the
   machine do not count).

Its SQLite history (SQLAlchemy) is a good store, but a Parquet file per calibration is what the
rest of warnsim reads. ``tests/test_abc.py`` checks that this module and pyabc recover the same
known posterior of a normal mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import qmc

KEY = 2**41
"""First entry of every spawn key this module uses (the sweep's design stream uses 2**40)."""
PROPOSALS, SEEDS = 0, 1
"""Roles: the stream of proposals (and generation 0's Latin hypercube), the particle seeds."""
PREDICTIVE = -1
"""Generation number of the posterior predictive draws' stream."""
MAX_BATCH_FACTOR = 20
"""A batch is at most this many populations' worth of simulations."""
BATCH_MARGIN = 1.1
"""A batch asks for this many times the simulations the acceptance rate so far predicts."""
MAX_REDRAWS = 1000
"""Rounds of redrawing proposals outside the prior's support before giving up."""


class Distance(StrEnum):
    """How the targets' distances (each in units of its tolerance) combine into one."""

    RMS = "rms"  # root mean square
    MEAN = "mean"  # mean absolute
    MAX = "max"  # the worst target (every target within eps tolerances)

    def combine(self, parts: np.ndarray) -> np.ndarray:
        """One distance per row of ``parts`` (rows: particles, columns: targets); NaN in a row
        (an undefined statistic) makes its distance infinite."""
        parts = np.where(np.isnan(parts), np.inf, np.abs(parts))
        if self is Distance.RMS:
            return np.sqrt(np.mean(parts**2, axis=1))
        if self is Distance.MEAN:
            return np.mean(parts, axis=1)
        return np.max(parts, axis=1)


class Kernel(StrEnum):
    """The perturbation kernel (see the module docstring)."""

    MVN = "mvn"
    LOCAL = "local"


class Schedule(StrEnum):
    """How each generation's tolerance is chosen."""

    QUANTILE = "quantile"  # adaptive: a quantile of the previous generation's distances
    FIXED = "fixed"  # a given decreasing list


class Stop(StrEnum):
    """Why a run stopped."""

    GENERATIONS = "generations"
    MIN_EPSILON = "min_epsilon"
    MIN_ACCEPTANCE = "min_acceptance"
    BUDGET = "budget"
    STALLED = "stalled"  # the tolerance stopped falling
    SCHEDULE = "schedule"  # a fixed schedule's list is used up


@dataclass(frozen=True, slots=True)
class Settings:
    """An ABC-SMC run's settings (validated by :mod:`sim.calibration.config`).

    ``generations`` counts generations after the prior sample (generation 0); ``budget``
    counts simulations (one particle's evaluation each), generation 0's included.
    """

    population: int = 1000
    generations: int = 20
    min_epsilon: float = 0.0
    min_acceptance: float = 0.0
    budget: int = 1_000_000
    schedule: Schedule = Schedule.QUANTILE
    quantile: float = 0.5
    epsilons: tuple[float, ...] = ()
    distance: Distance = Distance.RMS
    kernel: Kernel = Kernel.MVN

    def trajectory(self) -> dict[str, Any]:
        """The settings that decide the populations (the stop rules decide only how many):
        what a stored run must match to be continued."""
        out: dict[str, Any] = {"population": self.population, "schedule": self.schedule.value,
                               "distance": self.distance.value, "kernel": self.kernel.value,
                               "min_epsilon": self.min_epsilon}
        if self.schedule is Schedule.QUANTILE:
            out["quantile"] = self.quantile
        else:
            out["epsilons"] = list(self.epsilons)
        return out


class Prior(Protocol):
    """Independent marginals: scipy frozen continuous distributions, one per parameter."""

    def ppf(self, q: np.ndarray) -> np.ndarray: ...
    def logpdf(self, x: np.ndarray) -> np.ndarray: ...
    def mean(self) -> float: ...
    def std(self) -> float: ...
    def cdf(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Problem:
    """What to calibrate. ``evaluate(theta, seeds)`` simulates each row of ``theta`` (one
    particle: values in ``names`` order) with its particle seed and returns its statistics
    (rows: particles, columns: statistics; NaN where undefined); ``discrepancy(stats)`` turns
    them into each target's non-negative distance in units of its tolerance."""

    names: tuple[str, ...]
    prior: tuple[Prior, ...]
    evaluate: Callable[[np.ndarray, np.ndarray], np.ndarray]
    discrepancy: Callable[[np.ndarray], np.ndarray]

    def log_prior(self, theta: np.ndarray) -> np.ndarray:
        out = np.zeros(len(theta))
        for j, marginal in enumerate(self.prior):
            out += marginal.logpdf(theta[:, j])
        return out


@dataclass(frozen=True, slots=True)
class Population:
    """One generation's accepted particles: parameters (rows), normalised weights, distances,
    statistics and particle seeds; its tolerance and how many simulations it took (and how
    many of them were accepted, extra ones of its last batch included)."""

    generation: int
    epsilon: float
    theta: np.ndarray
    weights: np.ndarray
    distance: np.ndarray
    stats: np.ndarray
    seeds: np.ndarray
    simulations: int
    accepted: int
    batches: int = 1

    @property
    def size(self) -> int:
        return len(self.weights)

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.simulations if self.simulations else math.nan

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished run: every population in order, why it stopped, all simulations spent
    (those of a generation the budget cut short included)."""

    populations: tuple[Population, ...]
    stop: Stop
    simulations: int
    discarded: int = 0

    @property
    def final(self) -> Population:
        return self.populations[-1]


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress event: ``generation`` with tolerance ``epsilon`` has ``accepted`` of
    ``needed`` particles after ``simulations`` simulations (all generations: ``total``)."""

    generation: int
    epsilon: float
    accepted: int
    needed: int
    simulations: int
    total: int


@dataclass(slots=True)
class Observer:
    """Callbacks: ``progress`` after each batch, ``finished`` after each generation (to store
    it); both optional."""

    progress: Callable[[Progress], None] | None = None
    finished: Callable[[Population], None] | None = None


def generator(seed: int, generation: int, batch: int, role: int) -> np.random.Generator:
    return np.random.default_rng(stream(seed, generation, batch, role))


def stream(seed: int, generation: int, batch: int, role: int) -> np.random.SeedSequence:
    """The seed sequence of one role of one batch of one generation (see the module)."""
    return np.random.SeedSequence(seed, spawn_key=(KEY, generation % 2**32, batch, role))


def particle_seeds(seed: int, generation: int, batch: int, m: int) -> np.ndarray:
    """``m`` particle seeds (63-bit integers) of one batch."""
    state = stream(seed, generation, batch, SEEDS).generate_state(m, np.uint64)
    return (state >> np.uint64(1)).astype(np.int64)


# --- kernels ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fitted:
    """A kernel fitted to a population: ``propose`` draws perturbed ancestors, ``log_density``
    gives log sum_j W_j K(theta | theta_j) for each row of ``theta``."""

    centres: np.ndarray
    weights: np.ndarray
    chol: np.ndarray  # the shared (mvn) or common (local) covariance's Cholesky factor
    offsets: np.ndarray | None = None  # local: d_j for each ancestor (rows)

    def propose(self, rng: np.random.Generator, m: int) -> np.ndarray:
        n, dim = self.centres.shape
        ancestors = rng.choice(n, size=m, p=self.weights)
        z = rng.standard_normal((m, dim))
        out = self.centres[ancestors] + z @ self.chol.T
        if self.offsets is not None:
            out += self.offsets[ancestors] * rng.standard_normal((m, 1))
        return out

    def log_density(self, theta: np.ndarray) -> np.ndarray:
        dim = theta.shape[1]
        whiten = np.linalg.inv(self.chol)  # covariance = chol chol^T
        u, c = theta @ whiten.T, self.centres @ whiten.T
        squares = cdist(u, c, "sqeuclidean")  # (new, ancestor)
        log_det = 2 * np.sum(np.log(np.diag(self.chol)))
        if self.offsets is not None:  # Sherman-Morrison for C + d d^T, in whitened coordinates
            e = self.offsets @ whiten.T
            s = np.sum(e**2, axis=1)
            projection = u @ e.T - np.sum(c * e, axis=1)
            squares = squares - projection**2 / (1 + s)
            log_det = log_det + np.log1p(s)
        log_k = -0.5 * (squares + log_det + dim * math.log(2 * math.pi))
        return logsumexp(log_k, axis=1, b=self.weights)


def fit_kernel(kind: Kernel, population: Population, epsilon: float) -> _Fitted:
    """The kernel for the generation after ``population`` (tolerance ``epsilon``)."""
    theta, w = population.theta, population.weights
    if kind is Kernel.MVN:
        return _Fitted(theta, w, _cholesky(2.0 * _cov(theta, w)))
    inside = population.distance <= epsilon
    if inside.sum() <= theta.shape[1]:  # too few to estimate a covariance: all of them
        inside = np.ones(len(w), dtype=bool)
    wi = w[inside] / w[inside].sum()
    mean = wi @ theta[inside]
    return _Fitted(theta, w, _cholesky(_cov(theta[inside], wi)), mean - theta)


def _cov(theta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance (normalised weights, no bias correction), always 2-D."""
    return np.atleast_2d(np.cov(theta.T, aweights=w, bias=True))


def _cholesky(cov: np.ndarray) -> np.ndarray:
    """Cholesky factor, with a tiny ridge when a parameter has collapsed to one value."""
    scale = np.maximum(np.diag(cov), 1e-300)
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return np.linalg.cholesky(cov + np.diag(1e-10 * scale.max() + 1e-12 * scale))


# --- the run ------------------------------------------------------------------------------------


def prior_sample(problem: Problem, settings: Settings, seed: int) -> np.ndarray:
    """Generation 0's points: a Latin hypercube of the prior's quantiles."""
    rng = generator(seed, 0, 0, PROPOSALS)
    u = qmc.LatinHypercube(d=len(problem.names), rng=rng).random(settings.population)
    return np.column_stack([m.ppf(u[:, j]) for j, m in enumerate(problem.prior)])


def next_epsilon(settings: Settings, previous: Population) -> float | None:
    """Generation ``previous.generation + 1``'s tolerance (None: a fixed list is used up)."""
    t = previous.generation + 1
    if settings.schedule is Schedule.FIXED:
        if t > len(settings.epsilons):
            return None
        eps = settings.epsilons[t - 1]
    else:
        eps = float(np.quantile(previous.distance, settings.quantile,
                                weights=previous.weights, method="inverted_cdf"))
        below = previous.distance[previous.distance < previous.epsilon]
        if eps >= previous.epsilon and below.size:  # a discrete statistic: many ties
            eps = float(below.max())
    return max(eps, settings.min_epsilon)


def stop_after(settings: Settings, population: Population, total: int) -> Stop | None:
    """The rule that stops the run after ``population`` (None: go on)."""
    if population.generation >= settings.generations:
        return Stop.GENERATIONS
    if population.generation > 0 and population.epsilon <= settings.min_epsilon:
        return Stop.MIN_EPSILON
    if population.generation > 0 and population.acceptance_rate < settings.min_acceptance:
        return Stop.MIN_ACCEPTANCE
    if total >= settings.budget:
        return Stop.BUDGET
    return None


def run(problem: Problem, settings: Settings, seed: int, *,
        history: Sequence[Population] = (), observer: Observer | None = None) -> Outcome:
    """Run ABC-SMC, continuing from ``history`` (populations stored by an earlier run with the
    same problem, seed and :meth:`Settings.trajectory`; those the current stop rules would not
    have reached are dropped)."""
    observer = observer or Observer()
    populations: list[Population] = []
    total = 0
    for stored in history:  # replay the stored generations under the current rules
        if populations and (stop_after(settings, populations[-1], total)
                            or next_epsilon(settings, populations[-1]) != stored.epsilon
                            or total + stored.simulations > settings.budget):
            break
        populations.append(stored)
        total += stored.simulations
    if not populations:
        first = _generation_zero(problem, settings, seed, observer)
        populations.append(first)
        total = first.simulations
        if observer.finished:
            observer.finished(first)
    while True:
        previous = populations[-1]
        stop = stop_after(settings, previous, total)
        if stop is not None:
            return Outcome(tuple(populations), stop, total)
        eps = next_epsilon(settings, previous)
        if eps is None:
            return Outcome(tuple(populations), Stop.SCHEDULE, total)
        if previous.generation > 0 and eps >= previous.epsilon:
            return Outcome(tuple(populations), Stop.STALLED, total)
        made = _generation(problem, settings, seed, previous, eps=eps, total=total,
                           observer=observer)
        if isinstance(made, int):  # the budget ran out within the generation
            return Outcome(tuple(populations), Stop.BUDGET, total + made, discarded=made)
        populations.append(made)
        total += made.simulations
        if observer.finished:
            observer.finished(made)


def _generation_zero(problem: Problem, settings: Settings, seed: int,
                     observer: Observer) -> Population:
    theta = prior_sample(problem, settings, seed)
    seeds = particle_seeds(seed, 0, 0, len(theta))
    stats = np.asarray(problem.evaluate(theta, seeds), dtype=float)
    distance = settings.distance.combine(problem.discrepancy(stats))
    keep = np.isfinite(distance)
    if not keep.any():
        raise ValueError("no point of the prior sample has a defined distance: every target's "
                         "statistic is undefined (or every run failed) across the prior")
    n = int(keep.sum())
    if observer.progress:
        observer.progress(Progress(0, math.inf, n, len(theta), len(theta), len(theta)))
    return Population(0, math.inf, theta[keep], np.full(n, 1.0 / n), distance[keep],
                      stats[keep], seeds[keep], len(theta), n)


def _generation(problem: Problem, settings: Settings, seed: int, previous: Population, *,
                eps: float, total: int, observer: Observer) -> Population | int:
    """Generation ``previous.generation + 1`` at tolerance ``eps``; or, when the budget runs
    out first, the number of simulations it spent."""
    t, n = previous.generation + 1, settings.population
    kernel = fit_kernel(settings.kernel, previous, eps)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    accepted = hits = simulations = batch = 0
    while accepted < n:
        rate = hits / simulations if simulations else 1.0
        wanted = math.ceil(BATCH_MARGIN * (n - accepted) / max(rate, 1e-6))
        m = min(max(wanted, n - accepted), MAX_BATCH_FACTOR * n,
                settings.budget - total - simulations)
        if m <= 0:
            return simulations
        theta = _propose(problem, kernel, generator(seed, t, batch, PROPOSALS), m)
        seeds = particle_seeds(seed, t, batch, m)
        stats = np.asarray(problem.evaluate(theta, seeds), dtype=float)
        distance = settings.distance.combine(problem.discrepancy(stats))
        ok = np.flatnonzero(distance <= eps)
        hits += len(ok)
        take = ok[: n - accepted]
        parts.append((theta[take], distance[take], stats[take], seeds[take]))
        accepted += len(take)
        simulations += m
        batch += 1
        if observer.progress:
            observer.progress(Progress(t, eps, accepted, n, simulations, total + simulations))
    theta, distance, stats, seeds = (np.concatenate(x) for x in zip(*parts, strict=True))
    log_w = problem.log_prior(theta) - kernel.log_density(theta)
    w = np.exp(log_w - log_w.max())
    return Population(t, eps, theta, w / w.sum(), distance, stats, seeds, simulations, hits,
                      batch)


def _propose(problem: Problem, kernel: _Fitted, rng: np.random.Generator, m: int) -> np.ndarray:
    """``m`` proposals inside the prior's support (those outside are drawn again)."""
    theta = kernel.propose(rng, m)
    for _ in range(MAX_REDRAWS):
        outside = np.flatnonzero(~np.isfinite(problem.log_prior(theta)))
        if not len(outside):
            return theta
        theta[outside] = kernel.propose(rng, len(outside))
    raise RuntimeError(f"the kernel keeps proposing outside the prior's support after "
                       f"{MAX_REDRAWS} rounds of redrawing")


# --- summaries of weighted particles ------------------------------------------------------------


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of weighted particles (inverse of the weighted empirical distribution)."""
    return np.quantile(x, list(q), weights=w, method="inverted_cdf")
