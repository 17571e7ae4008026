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

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, logit

from sim.params import ModelParams

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Judgement:
    """The recipient-side parameters, handed to each agency at creation."""

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

    @classmethod
    def from_params(cls, p: ModelParams) -> Judgement:
        return cls(
            prior_trust_ally=p.prior_trust_ally,
            prior_trust_rival=p.prior_trust_rival,
            prior_weight=p.prior_weight,
            sender_accuracy=p.sender_accuracy,
            log_detail_evidence=float(np.log(p.detail_evidence)),
            log_corroboration_evidence=float(np.log(p.corroboration_evidence)),
            heed_benefit=p.heed_benefit,
            action_cost=p.action_cost,
            face_cost=p.face_cost,
            public_face_multiplier=p.public_face_multiplier,
            choice_temperature=p.choice_temperature,
        )

    def prior_mean(self, rivalry: ArrayLike) -> FloatArray:
        """Prior probability that a sender at this rivalry is benevolent."""
        rivalry = np.asarray(rivalry, dtype=float)
        return self.prior_trust_ally + (self.prior_trust_rival - self.prior_trust_ally) * rivalry

    def intent(self, rivalry: ArrayLike, confirmations: ArrayLike = 0.0,
               disconfirmations: ArrayLike = 0.0, prior: ArrayLike | None = None) -> FloatArray:
        """Perceived probability that the sender is benevolent (beta-reputation mean)."""
        m0 = self.prior_mean(rivalry) if prior is None else np.asarray(prior, dtype=float)
        w = self.prior_weight
        r = np.asarray(confirmations, dtype=float)
        s = np.asarray(disconfirmations, dtype=float)
        return (w * m0 + r) / (w + r + s)

    def credibility(self, intent: ArrayLike, details: ArrayLike, corroborated: ArrayLike) -> FloatArray:
        """Perceived probability that the warning is about a real plot."""
        prior = np.clip(np.asarray(intent, dtype=float) * self.sender_accuracy, 1e-9, 1 - 1e-9)
        log_odds = (
            logit(prior)
            + np.asarray(details, dtype=float) * self.log_detail_evidence
            + np.asarray(corroborated, dtype=float) * self.log_corroboration_evidence
        )
        return expit(log_odds)

    def heed_probability(self, credibility: ArrayLike, rivalry: ArrayLike, public: ArrayLike) -> FloatArray:
        """Logit choice probability of heeding, from the PADM net value of protective action."""
        face = self.face_cost * np.asarray(rivalry, dtype=float) * np.where(
            np.asarray(public, dtype=bool), self.public_face_multiplier, 1.0
        )
        net = np.asarray(credibility, dtype=float) * self.heed_benefit - self.action_cost - face
        return expit(net / self.choice_temperature)
