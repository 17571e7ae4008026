"""The trust ledger: every recipient's evidence about every sender's type, and its fading.

Trust is a belief about the sender's type (Kydd 2005) in intent and ability (Mayer, Davis &
Schoorman 1995): the ledger holds, for each ordered pair, the log-likelihood of the evidence
under each hypothesis of :mod:`sim.inference`; the recipient's posterior is the prior times
their exponential, normalised.

Evidence a recipient ``r`` holds about a sender ``s``, so that learning moves at a realistic
speed (reputations form from few warnings a year per dyad, travel through third parties and
allies, and fade over years):

* **direct**: warnings ``s`` sent to ``r`` (arrivals and outcomes) and the days on which ``s`` sent
  nothing (silence), for every sender that can reach ``r``;
* **shared by allies**: each agency of ``r``'s bloc shares its direct evidence about ``s`` with
  weight ``ally_sharing`` (allies share assessments), when ``s`` stands in the same rivalry class
  toward it as toward ``r`` (then ``s``'s intent toward both is the same, :mod:`sim.world`);
* **public**: the outcome of a public warning from ``s`` to an agency in the same class is seen
  by every other agency, with weight ``public_observation`` (third parties see public warnings and
  what followed).

All evidence fades toward the prior with half-life ``evidence_half_life`` (Josang & Ismail 2002's
forgetting factor, on a scale of years). Fading and silence are applied when the ledger is next
written or read: :func:`advance` brings the whole ledger up to the day asked for in one pass, so
idle days cost nothing.

The tensors (``[recipient, sender, hypothesis]``) live in the run's state (:mod:`sim.engine`):
``direct``, ``public`` and ``silence`` (the log-likelihood of one quiet day, set by
:func:`sim.inference.refresh_beliefs`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.jit import kernel
from sim.world import ABILITY_LEVELS


@kernel
def advance(st: Any, day: int) -> None:
    """Bring the evidence through ``day``: fade it and add each quiet day's log-likelihood."""
    state = st.state[0]
    days = day - state.ledger_through
    if days <= 0:
        return
    state.ledger_through = day
    if not st.params[0].learning:
        return
    factor, gain = fading(st, days)
    direct = st.direct
    silence = st.silence
    n = direct.shape[0]
    for r in range(n):
        for s in range(n):
            for h in range(direct.shape[2]):
                direct[r, s, h] = direct[r, s, h] * factor + silence[r, s, h] * gain
    if state.has_public:
        public = st.public
        for r in range(n):
            for s in range(n):
                for h in range(direct.shape[2]):
                    public[r, s, h] = public[r, s, h] * factor


@kernel
def fading(st: Any, days: int) -> tuple[float, float]:
    """The fading factor over ``days`` and the summed weight of their quiet days."""
    fade = st.derived[0].fade
    factor = fade ** float(days)
    return factor, (1.0 - factor) / (1.0 - fade)  # sum of fade^k, k = 0 .. days-1


@kernel
def log_weights(st: Any, r: int, s: int, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """``r``'s unnormalised log posterior about ``s``: its own and public evidence, and what
    allies share of theirs when ``s`` regards them as it regards ``r``."""
    p = st.params[0]
    size = st.direct.shape[2]
    value = np.empty(size)
    for h in range(size):
        value[h] = st.direct[r, s, h] + st.public[r, s, h]
    sharing = p.ally_sharing if p.learning else 0.0
    if sharing != 0.0:
        shared = np.zeros(size)
        found = False
        for x in range(st.direct.shape[0]):
            if (x != r and x != s and st.same_bloc[r, x]
                    and st.rival[s, x] == st.rival[s, r]):
                for h in range(size):
                    shared[h] = st.direct[x, s, h] if not found else shared[h] + st.direct[x, s, h]
                found = True
        if found:
            for h in range(size):
                value[h] += sharing * shared[h]
    for h in range(size):
        value[h] = prior[h] + value[h]
    return value


@kernel
def observe_arrival(st: Any, r: int, s: int, loglik: NDArray[np.float64]) -> None:
    if st.params[0].learning:
        for h in range(loglik.shape[0]):
            st.direct[r, s, h] += loglik[h]


@kernel
def observe_outcome(st: Any, r: int, s: int, loglik: NDArray[np.float64], public: bool) -> None:
    """The outcome of a warning from ``s`` to ``r``; a public one is seen by every agency that
    does not already share ``r``'s evidence and stands in ``s``'s same class."""
    p = st.params[0]
    if not p.learning:
        return
    size = loglik.shape[0]
    for h in range(size):
        st.direct[r, s, h] += loglik[h]
    weight = p.public_observation
    if public and weight != 0.0:
        for x in range(st.direct.shape[0]):
            if (x != r and x != s and not st.same_bloc[r, x]
                    and st.rival[s, x] == st.rival[s, r]):
                for h in range(size):
                    st.public[x, s, h] += weight * loglik[h]
                st.state[0].has_public = True


def evidence_at(st: Any, day: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Copies of the direct and public evidence as they stand through ``day``, leaving the
    ledger itself untouched: observing the run must not change how it is computed."""
    state = st.state[0]
    days = day - int(state.ledger_through)
    if days <= 0 or not st.params[0].learning:
        return st.direct.copy(), st.public.copy()
    fade = float(st.derived[0].fade)
    factor = fade**days
    gain = (1.0 - factor) / (1.0 - fade)
    return st.direct * factor + st.silence * gain, st.public * factor


def benevolence_matrix(st: Any, day: int, prior: NDArray[np.float64]) -> NDArray[np.float64]:
    """``[r, s]``: posterior probability, through ``day``, that ``s`` is benevolent toward
    ``r`` (``prior[r, s, h]``: log prior; diagonal meaningless)."""
    p = st.params[0]
    direct, public = evidence_at(st, day)
    value = prior + direct
    if st.state[0].has_public:
        value += public
    sharing = float(p.ally_sharing) if p.learning else 0.0
    if sharing:
        n = len(direct)
        rival = st.rival
        same = st.same_bloc.astype(float)
        rival_t = rival.T[:, :, None]  # [x, s] = rival[s, x]
        # shared[r, s] = sum over allies x of r in s's same class of direct[x, s]
        to_rivals = (same @ (direct * rival_t).reshape(n, -1)).reshape(direct.shape)
        to_others = (same @ (direct * ~rival_t).reshape(n, -1)).reshape(direct.shape)
        value += sharing * np.where(rival.T[:, :, None], to_rivals, to_others)
    value = value - value.max(axis=2, keepdims=True)
    weights = np.exp(value)
    return weights[:, :, :ABILITY_LEVELS].sum(axis=2) / weights.sum(axis=2)
