"""The trust ledger: every recipient's evidence about every sender's type, and its fading.

Trust is a belief about the sender's type (Kydd 2005) in intent and ability (Mayer, Davis &
Schoorman 1995): the ledger holds, for each ordered pair, the log-likelihood of the evidence
under each hypothesis of :mod:`sim.inference`; the recipient's posterior is the prior times
their exponential, normalised.

Evidence a recipient ``r`` holds about a sender ``s``, so that learning moves at a realistic speed
(the brief: if a dyad exchanges one warning a year and evidence fades in months, nothing is ever
learned):

* **direct**: warnings ``s`` sent to ``r`` (arrivals and outcomes) and the days on which ``s`` sent
  nothing (silence), for every sender that can reach ``r``;
* **shared by allies**: each agency of ``r``'s bloc shares its direct evidence about ``s`` with
  weight ``ally_sharing`` (allies share assessments), when ``s`` stands in the same rivalry class
  toward it as toward ``r`` (then ``s``'s intent toward both is the same, :mod:`sim.world`);
* **public**: the outcome of a public warning from ``s`` to an agency in the same class is seen
  by every other agency, with weight ``public_observation`` (third parties see public warnings and
  what followed).

All evidence fades toward the prior with half-life ``evidence_half_life`` (Josang & Ismail 2002's
forgetting factor, on a scale of years). Fading and silence are applied lazily: a read brings the
whole ledger up to the day asked for in one multiplication, so idle days cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sim.inference import ABILITY_LEVELS, HYPOTHESES


class TrustLedger:
    """Evidence tensors ``[recipient, sender, hypothesis]`` of log-likelihoods."""

    __slots__ = ("_allies", "_buffer", "_fade", "_has_public", "_observers", "_public_weight",
                 "_same_bloc", "_sharing", "_silence", "_through", "direct", "learning", "public")

    def __init__(self, *, blocs: Sequence[str], half_life: float, ally_sharing: float,
                 public_observation: float, learning: bool) -> None:
        n = len(blocs)
        self.direct = np.zeros((n, n, HYPOTHESES))
        self.public = np.zeros((n, n, HYPOTHESES))
        self.learning = learning
        self._silence = np.zeros((n, n, HYPOTHESES))
        self._buffer = np.zeros((n, n, HYPOTHESES))
        self._has_public = False
        self._fade = 0.5 ** (1.0 / half_life)
        self._sharing = ally_sharing if learning else 0.0
        self._public_weight = public_observation
        bloc = np.array(blocs)
        same = (bloc[:, None] == bloc[None, :]) & ~np.eye(n, dtype=bool)
        self._same_bloc = same.astype(float)
        self._allies = [np.flatnonzero(row) for row in same]
        self._observers = [np.flatnonzero(~row & (np.arange(n) != r)) for r, row in enumerate(same)]
        self._through = -1

    def set_silence(self, per_day: NDArray[np.float64]) -> None:
        """``per_day[r, s, h]``: log-likelihood of a day without a warning from ``s`` to ``r``
        (0 where ``s`` cannot reach ``r``). Set again whenever the rivalry matrix changes."""
        if self.learning:
            self._silence = per_day

    def advance(self, day: int) -> None:
        """Bring the evidence through ``day``: fade it and add each quiet day's log-likelihood."""
        days = day - self._through
        if days <= 0:
            return
        self._through = day
        if not self.learning:
            return
        factor, gain = self._fading(days)
        self.direct *= factor
        np.multiply(self._silence, gain, out=self._buffer)
        self.direct += self._buffer
        if self._has_public:
            self.public *= factor

    def _fading(self, days: int) -> tuple[float, float]:
        """The fading factor over ``days`` and the summed weight of their quiet days."""
        factor = self._fade**days
        return factor, (1.0 - factor) / (1.0 - self._fade)  # sum of fade^k, k = 0 .. days-1

    def evidence_at(self, day: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Copies of the direct and public evidence as they stand through ``day``, leaving the
        ledger itself untouched: observing the run must not change how it is computed."""
        days = day - self._through
        if days <= 0 or not self.learning:
            return self.direct.copy(), self.public.copy()
        factor, gain = self._fading(days)
        return self.direct * factor + self._silence * gain, self.public * factor

    # --- reads ----------------------------------------------------------------------------------
    def log_weights(self, r: int, s: int, prior: Sequence[float],
                    rival: NDArray[np.bool_]) -> list[float]:
        """``r``'s unnormalised log posterior about ``s`` (``rival[s, x]``: ``s`` regards ``x``
        as a rival, which decides whose evidence concerns the same intent)."""
        value = self.direct[r, s] + self.public[r, s]
        if self._sharing:
            allies = self._allies[r]
            if allies.size:
                allies = allies[(rival[s, allies] == rival[s, r]) & (allies != s)]
                if allies.size:
                    value += self._sharing * self.direct[allies, s].sum(axis=0)
        return [p + v for p, v in zip(prior, value.tolist(), strict=True)]

    def benevolence_matrix(self, day: int, prior: NDArray[np.float64],
                           rival: NDArray[np.bool_]) -> NDArray:
        """``[r, s]``: posterior probability, through ``day``, that ``s`` is benevolent toward
        ``r`` (``prior[r, s, h]``: log prior; diagonal meaningless)."""
        direct, public = self.evidence_at(day)
        value = prior + direct
        if self._has_public:
            value += public
        if self._sharing:
            n = len(direct)
            rival_t = rival.T[:, :, None]  # [x, s] = rival[s, x]
            # shared[r, s] = sum over allies x of r in s's same class of direct[x, s]
            to_rivals = (self._same_bloc @ (direct * rival_t).reshape(n, -1)).reshape(direct.shape)
            to_others = (self._same_bloc @ (direct * ~rival_t).reshape(n, -1)).reshape(direct.shape)
            value += self._sharing * np.where(rival.T[:, :, None], to_rivals, to_others)
        value = value - value.max(axis=2, keepdims=True)
        weights = np.exp(value)
        return weights[:, :, :ABILITY_LEVELS].sum(axis=2) / weights.sum(axis=2)

    # --- writes ---------------------------------------------------------------------------------
    def observe_arrival(self, r: int, s: int, loglik: Sequence[float]) -> None:
        if self.learning:
            self.direct[r, s] += loglik

    def observe_outcome(self, r: int, s: int, loglik: Sequence[float], *, public: bool,
                        rival: NDArray[np.bool_]) -> None:
        """The outcome of a warning from ``s`` to ``r``; a public one is seen by every agency
        that does not already share ``r``'s evidence and stands in ``s``'s same class."""
        if not self.learning:
            return
        self.direct[r, s] += loglik
        if public and self._public_weight:
            observers = self._observers[r]
            observers = observers[(rival[s, observers] == rival[s, r]) & (observers != s)]
            if observers.size:
                self.public[observers, s] += self._public_weight * np.asarray(loglik)
                self._has_public = True
