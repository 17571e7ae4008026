"""The recipient's judgement of a warning: intent, credibility, and the heed/dismiss choice.

Three stages, each a pure function of numbers so that the model, the case vignettes
(``warnsim cases``) and the tests use exactly the same formulas:

1. **Perceived intent** ``pi``: the probability that the sender is a benevolent type
   (Kydd 2005: trust as a belief about the other's type). It is the mean of a beta belief
   (Josang & Ismail 2002, beta reputation): prior mean set by rivalry, linearly from
   ``prior_trust_ally`` at rivalry 0 to ``prior_trust_rival`` at rivalry 1, with
   ``prior_weight`` pseudo-observations; ``r`` confirmations and ``s`` (weighted)
   disconfirmations update it: ``pi = (w m0 + r) / (w + r + s)``. With ``w = 2, m0 = 1/2`` this
   is Josang's ``(r + 1) / (r + s + 2)``.
2. **Perceived credibility** ``kappa``: a bare assertion is worth what the sender is worth: a
   benevolent sender's warning is right with probability ``sender_accuracy``, a manipulative
   one's never, so the prior is ``pi * sender_accuracy``. Each verifiable detail multiplies the
   odds by ``detail_evidence`` (cheap talk vs verifiable disclosure: details can be checked,
   assertions cannot), and corroboration by the recipient's own intelligence by
   ``corroboration_evidence`` (Bayes' rule in odds form).
3. **Heed choice**: the Protective Action Decision Model (Lindell & Perry 2012) weighs threat
   perception against the cost of protective action and the source's trustworthiness. Net
   value ``u = kappa * heed_benefit - action_cost - face_cost * rivalry * m`` where ``m`` is
   ``public_face_multiplier`` for a public warning (heeding a rival in public looks like
   weakness) and 1 otherwise. The choice is a logit (quantal response, McKelvey & Palfrey 1995):
   ``P(heed) = 1 / (1 + exp(-u / choice_temperature))``, so heed rates move smoothly with the
   inputs instead of jumping at a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from sim.params import ModelParams

Num = TypeVar("Num", float, np.ndarray)
"""A float (one warning) or an array (the model's whole trust matrix)."""

_EPS = 1e-9


def logistic(x: float) -> float:
    """1 / (1 + exp(-x)), without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The recipient-side parameters (judging and learning), handed to each agency at creation.

    The methods work on plain floats (one warning at a time is the common case, where Python
    arithmetic beats numpy's per-call overhead); :meth:`prior_mean` and :meth:`intent` use only
    arithmetic operators, so they also accept numpy arrays (the model's trust matrix).
    """

    prior_trust_ally: float
    prior_trust_rival: float
    prior_weight: float
    sender_accuracy: float
    log_detail_evidence: float
    log_corroboration_evidence: float
    heed_benefit: float
    action_cost: float
    face_cost: float
    public_face_multiplier: float
    choice_temperature: float
    false_corroboration: float
    cry_wolf_penalty: float

    @classmethod
    def from_params(cls, p: ModelParams) -> Judgement:
        return cls(
            prior_trust_ally=p.prior_trust_ally,
            prior_trust_rival=p.prior_trust_rival,
            prior_weight=p.prior_weight,
            sender_accuracy=p.sender_accuracy,
            log_detail_evidence=math.log(p.detail_evidence),
            log_corroboration_evidence=math.log(p.corroboration_evidence),
            heed_benefit=p.heed_benefit,
            action_cost=p.action_cost,
            face_cost=p.face_cost,
            public_face_multiplier=p.public_face_multiplier,
            choice_temperature=p.choice_temperature,
            false_corroboration=p.false_corroboration,
            cry_wolf_penalty=p.cry_wolf_penalty,
        )

    def prior_mean(self, rivalry: Num) -> Num:
        """Prior probability that a sender at this rivalry is benevolent."""
        return self.prior_trust_ally + (self.prior_trust_rival - self.prior_trust_ally) * rivalry

    def intent(self, rivalry: Num, confirmations: Num | float = 0.0,
               disconfirmations: Num | float = 0.0, prior: float | None = None) -> Num:
        """Perceived probability that the sender is benevolent (beta-reputation mean)."""
        m0 = self.prior_mean(rivalry) if prior is None else prior
        w = self.prior_weight
        return (w * m0 + confirmations) / (w + confirmations + disconfirmations)  # type: ignore[return-value]

    def credibility(self, intent: float, details: int, corroborated: bool) -> float:
        """Perceived probability that the warning is about a real plot."""
        prior = min(max(intent * self.sender_accuracy, _EPS), 1.0 - _EPS)
        log_odds = (
            math.log(prior / (1.0 - prior))
            + details * self.log_detail_evidence
            + (self.log_corroboration_evidence if corroborated else 0.0)
        )
        return logistic(log_odds)

    def heed_probability(self, credibility: float, rivalry: float, public: bool) -> float:
        """Logit choice probability of heeding, from the PADM net value of protective action."""
        face = self.face_cost * rivalry * (self.public_face_multiplier if public else 1.0)
        net = credibility * self.heed_benefit - self.action_cost - face
        return logistic(net / self.choice_temperature)
