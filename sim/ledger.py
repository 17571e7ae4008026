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
forgetting factor, on a scale of years). Fading and silence are applied to a dyad when its
evidence is next read or written (:func:`bring`: ``through[r, s]`` is the day it stands through),
so idle days and dyads nobody reads cost nothing: with 200 agencies, fading the whole ledger on
every day with a delivery or an evaluation took most of a run's time.

What allies share is read from **pools**: for each bloc, sender and class (whether the sender
regards the members as rivals, when ``class_pooling`` is on), the sum of the members' direct
evidence, kept up to date as evidence arrives and faded as a whole (fading and quiet days are
linear, so a pool fades exactly as the sum of its members would). An agency's allies' evidence
is its pool less its own. Summing the allies one by one on every judgement made ally sharing
most of a 200-agency run's time (O(N) per judgement); a pool makes it O(1). The sum is formed in
a different order than one by one, so results agree with that to rounding, not bit for bit.

The tensors (``[recipient, sender, hypothesis]``) live in the run's state (:mod:`sim.engine`):
``direct``, ``public``, ``silence`` (the log-likelihood of one quiet day, set by
:func:`sim.inference.refresh_beliefs`) and ``through``; the pools ``pool``, ``pool_silence``,
``pool_through`` and ``pool_count`` (``[bloc, sender, class]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.jit import kernel


@kernel
def bring(st: Any, r: int, s: int, day: int) -> None:
    """Bring ``r``'s evidence about ``s`` through ``day``: fade it over the days since it was
    last brought and add those quiet days' log-likelihood (public evidence fades alike)."""
    days = day - st.through[r, s]
    if days <= 0:
        return
    st.through[r, s] = day
    if not st.params[0].learning:
        return
    factor, gain = fading(st, days)
    for h in range(st.direct.shape[2]):
        st.direct[r, s, h] = st.direct[r, s, h] * factor + st.silence[r, s, h] * gain
        st.public[r, s, h] = st.public[r, s, h] * factor


@kernel
def fading(st: Any, days: int) -> tuple[float, float]:
    """The fading factor over ``days`` and the summed weight of their quiet days (from the
    run's table, :func:`sim.engine.fading_table`, which holds every span a run can ask for)."""
    table = st.fading_table
    if days < table.shape[0]:
        return table[days, 0], table[days, 1]
    fade = st.derived[0].fade
    factor = fade ** float(days)
    return factor, (1.0 - factor) / (1.0 - fade)  # sum of fade^k, k = 0 .. days-1


@kernel
def bring_all(st: Any, day: int) -> None:
    """Bring every dyad's evidence through ``day`` (before the quiet-day log-likelihood
    changes, :func:`sim.inference.refresh_beliefs`)."""
    n = st.direct.shape[0]
    for r in range(n):
        for s in range(n):
            bring(st, r, s, day)


@kernel
def log_weights(st: Any, r: int, s: int, prior: NDArray[np.float64],
                day: int) -> NDArray[np.float64]:
    """``r``'s unnormalised log posterior about ``s`` on ``day``: its own and public evidence,
    and what allies share of theirs when ``s`` regards them as it regards ``r`` (a row of the
    run's scratch space, valid until the next call)."""
    p = st.params[0]
    bring(st, r, s, day)
    size = st.direct.shape[2]
    value = st.scratch[3]  # sim.inference.WEIGHTS
    for h in range(size):
        value[h] = st.direct[r, s, h] + st.public[r, s, h]
    sharing = p.ally_sharing if p.learning else 0.0
    if sharing != 0.0:
        b = st.agencies[r].bloc
        c = pool_class(st, s, r)
        if st.pool_count[b, s, c] > 1:  # allies besides r itself
            bring_pool(st, b, s, c, day)
            for h in range(size):
                value[h] += sharing * (st.pool[b, s, c, h] - st.direct[r, s, h])
    for h in range(size):
        value[h] = prior[h] + value[h]
    return value


@kernel
def pool_class(st: Any, s: int, x: int) -> int:
    """The pool ``x``'s evidence about ``s`` joins: 1 if ``s`` regards ``x`` as a rival and
    evidence is pooled by class, else 0 (:func:`same_class`)."""
    return 1 if st.params[0].class_pooling and st.rival[s, x] else 0


@kernel
def bring_pool(st: Any, b: int, s: int, c: int, day: int) -> None:
    """Bring a pool through ``day``, as :func:`bring` brings each of its members."""
    days = day - st.pool_through[b, s, c]
    if days <= 0:
        return
    st.pool_through[b, s, c] = day
    factor, gain = fading(st, days)
    for h in range(st.pool.shape[3]):
        st.pool[b, s, c, h] = st.pool[b, s, c, h] * factor + st.pool_silence[b, s, c, h] * gain


@kernel
def pool_add(st: Any, x: int, s: int, loglik: NDArray[np.float64], day: int) -> None:
    """``x``'s direct evidence about ``s`` grew by ``loglik`` on ``day``: so does its pool."""
    b = st.agencies[x].bloc
    c = pool_class(st, s, x)
    bring_pool(st, b, s, c, day)
    for h in range(loglik.shape[0]):
        st.pool[b, s, c, h] += loglik[h]


@kernel
def rebuild_pools(st: Any, day: int) -> None:
    """Form every pool from its members' evidence, all brought through ``day``
    (:func:`sim.inference.refresh_beliefs`, after which membership and quiet days change)."""
    st.pool[:] = 0.0
    st.pool_silence[:] = 0.0
    st.pool_count[:] = 0
    st.pool_through[:] = day
    n = st.direct.shape[0]
    for x in range(n):
        b = st.agencies[x].bloc
        for s in range(n):
            if x == s:
                continue
            c = pool_class(st, s, x)
            st.pool_count[b, s, c] += 1
            for h in range(st.direct.shape[2]):
                st.pool[b, s, c, h] += st.direct[x, s, h]
                st.pool_silence[b, s, c, h] += st.silence[x, s, h]


@kernel
def same_class(st: Any, s: int, x: int, r: int) -> bool:
    """Whether evidence ``x`` holds about ``s`` bears on ``r``: ``s`` regards them alike (both
    rivals or neither), or ``class_pooling`` is off."""
    return not st.params[0].class_pooling or st.rival[s, x] == st.rival[s, r]


@kernel
def observe_arrival(st: Any, r: int, s: int, loglik: NDArray[np.float64], day: int) -> None:
    bring(st, r, s, day)
    if st.params[0].learning:
        for h in range(loglik.shape[0]):
            st.direct[r, s, h] += loglik[h]
        pool_add(st, r, s, loglik, day)


@kernel
def observe_outcome(st: Any, r: int, s: int, loglik: NDArray[np.float64], public: bool,
                    day: int) -> None:
    """The outcome of a warning from ``s`` to ``r`` on ``day``; a public one is seen by every
    agency that does not already share ``r``'s evidence and stands in ``s``'s same class."""
    p = st.params[0]
    if not p.learning:
        return
    bring(st, r, s, day)
    size = loglik.shape[0]
    for h in range(size):
        st.direct[r, s, h] += loglik[h]
    pool_add(st, r, s, loglik, day)
    weight = p.public_observation
    if public and weight != 0.0:
        for x in range(st.direct.shape[0]):
            if (x != r and x != s and not st.same_bloc[r, x]
                    and same_class(st, s, x, r)):
                bring(st, x, s, day)
                for h in range(size):
                    st.public[x, s, h] += weight * loglik[h]


def evidence_at(st: Any, day: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Copies of the direct and public evidence as they would stand through ``day``, leaving
    the ledger itself untouched: observing the run must not change how it is computed."""
    direct, public = st.direct.copy(), st.public.copy()
    if not st.params[0].learning:
        return direct, public
    fade = float(st.derived[0].fade)
    days = np.maximum(day - st.through, 0)[:, :, None]
    factor = fade**days
    return direct * factor + st.silence * (1.0 - factor) / (1.0 - fade), public * factor
