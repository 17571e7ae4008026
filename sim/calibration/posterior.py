"""What an ABC-SMC posterior says: generations, marginals, identifiability, predictive checks.

Each function turns weighted particles (:class:`sim.calibration.abc.Population`) into one
table's rows; :mod:`sim.calibration.smc` writes them.

**Identifiability** (which parameters the targets pin and which they leave at the prior),
per parameter, from the final population against its prior:

* ``sd_ratio``: posterior sd / prior sd, and ``contraction`` = 1 - sd_ratio^2 (the share of
  the prior's variance the data remove: Schad, Betancourt & Vasishth 2021, *Psychol Methods*
  26:103);
* ``shift``: |posterior mean - prior mean| / prior sd;
* ``kl``: the Kullback-Leibler divergence of the posterior marginal from the prior, in nats,
  over :data:`KL_BINS` bins of equal prior probability (so the prior's share of each is
  1/KL_BINS whatever its shape). From a finite sample a marginal equal to the prior still
  shows about (KL_BINS - 1) / (2 ESS) (Miller 1955's bias of the plug-in estimate), given in
  ``kl_floor``.

The **rule** (:func:`verdict`): ``pinned`` when sd_ratio <= :data:`PINNED` (the targets at
least halve the prior's spread); ``left at the prior`` when sd_ratio >= :data:`AT_PRIOR` and
shift <= :data:`AT_PRIOR_SHIFT` (neither narrower by more than a tenth nor moved by more than
a fifth of a prior sd, about four standard errors of the estimates from 1,000 particles);
``informed`` otherwise (narrowed or moved, not pinned). The thresholds are this project's
choice, fixed here before any calibration was run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.calibration.abc import Outcome, Population, Prior, weighted_quantiles
from sim.calibration.config import Target

PINNED = 0.5
AT_PRIOR = 0.9
AT_PRIOR_SHIFT = 0.2
KL_BINS = 20
QUANTILES = (0.025, 0.5, 0.975)


def generations(outcome: Outcome, replications: int) -> pd.DataFrame:
    """One row per generation: tolerance, simulations (and model runs), acceptance, ESS."""
    rows = []
    total = 0
    for p in outcome.populations:
        total += p.simulations
        rows.append({"generation": p.generation, "epsilon": p.epsilon,
                     "simulations": p.simulations, "cumulative": total,
                     "model_runs": p.simulations * replications, "accepted": p.accepted,
                     "acceptance_rate": p.acceptance_rate, "particles": p.size,
                     "ess": p.ess, "batches": p.batches})
    return pd.DataFrame(rows)


def marginals(names: Sequence[str], priors: Sequence[Prior], labels: Sequence[str],
              defaults: Sequence[float], final: Population) -> pd.DataFrame:
    """Each parameter's prior, default and weighted posterior summaries."""
    rows = []
    for j, name in enumerate(names):
        x, w = final.theta[:, j], final.weights
        mean = float(np.average(x, weights=w))
        sd = math.sqrt(float(np.average((x - mean) ** 2, weights=w)))
        q = weighted_quantiles(x, w, QUANTILES)
        rows.append({"parameter": name, "prior": labels[j], "default": defaults[j],
                     "prior_mean": float(priors[j].mean()), "prior_sd": float(priors[j].std()),
                     "posterior_mean": mean, "posterior_sd": sd, "q025": q[0], "median": q[1],
                     "q975": q[2]})
    return pd.DataFrame(rows)


def identifiability(names: Sequence[str], priors: Sequence[Prior],
                    final: Population) -> pd.DataFrame:
    """Each parameter's contraction, shift, KL divergence from its prior and verdict."""
    rows = []
    floor = (KL_BINS - 1) / (2 * final.ess)
    for j, name in enumerate(names):
        x, w = final.theta[:, j], final.weights
        prior_mean, prior_sd = float(priors[j].mean()), float(priors[j].std())
        mean = float(np.average(x, weights=w))
        sd = math.sqrt(float(np.average((x - mean) ** 2, weights=w)))
        ratio = sd / prior_sd
        shift = abs(mean - prior_mean) / prior_sd
        rows.append({"parameter": name, "prior_sd": prior_sd, "posterior_sd": sd,
                     "sd_ratio": ratio, "contraction": 1 - ratio**2, "shift": shift,
                     "kl": kl_from_prior(x, w, priors[j]), "kl_floor": floor,
                     "verdict": verdict(ratio, shift)})
    return pd.DataFrame(rows)


def verdict(sd_ratio: float, shift: float) -> str:
    """The identifiability rule of the module docstring."""
    if sd_ratio <= PINNED:
        return "pinned"
    if sd_ratio >= AT_PRIOR and shift <= AT_PRIOR_SHIFT:
        return "left at the prior"
    return "informed"


def kl_from_prior(x: np.ndarray, w: np.ndarray, prior: Prior) -> float:
    """KL(posterior marginal || prior) over bins of equal prior probability."""
    u = np.clip(prior.cdf(x), 0.0, 1.0 - 1e-12)
    p = np.bincount((u * KL_BINS).astype(int), weights=w, minlength=KL_BINS)
    p = p / p.sum()
    nonzero = p > 0
    return float(np.sum(p[nonzero] * np.log(p[nonzero] * KL_BINS)))


def predictive(targets: Sequence[Target], stats: np.ndarray) -> pd.DataFrame:
    """Each target's posterior predictive distribution (``stats``: one row per draw
    simulated afresh at a posterior particle) against its observed value.

    ``covered``: the observed value (a range's centre for a two-sided range) lies within the
    central 95% predictive interval; ``share_met``: the share of draws meeting the target;
    ``p_value``: two-sided, 2 min(P(s <= observed), P(s >= observed)) over the draws."""
    rows = []
    for k, t in enumerate(targets):
        s = stats[:, k]
        defined = s[np.isfinite(s)]
        observed = _observed(t)
        if defined.size:
            q = np.quantile(defined, QUANTILES)
            p = (2 * min(np.mean(defined <= observed), np.mean(defined >= observed))
                 if math.isfinite(observed) else math.nan)
            covered = bool(q[0] <= observed <= q[2]) if math.isfinite(observed) else None
        else:
            q, p, covered = (math.nan,) * 3, math.nan, None
        rows.append({"target": t.id, "measure": t.statistic.name,
                     "accepted_range": t.describe(), "observed": observed,
                     "predictive_mean": float(defined.mean()) if defined.size else math.nan,
                     "q025": q[0], "median": q[1], "q975": q[2],
                     "share_met": float(t.met(s).mean()) if len(s) else math.nan,
                     "covered": covered, "p_value": min(p, 1.0), "undefined": int(len(s) - defined.size)})
    return pd.DataFrame(rows)


def _observed(t: Target) -> float:
    """The value a target observes: its value, or the centre of a two-sided range (NaN for a
    one-sided range: there the share meeting it says all)."""
    if t.value is not None:
        return t.value
    low, high = t.bounds()
    return (low + high) / 2 if math.isfinite(low) and math.isfinite(high) else math.nan
