"""The documented cases scored per half against two baselines (``docs/cases-codebook.md``, 6-7).

For each half of the case file (:func:`sim.cases.halves`), three forecasts of the recorded
responses are scored with the multiclass Brier score and the log-loss of
:mod:`sim.validation.scoring` (one definition for ``warnsim cases`` and ``warnsim validate``):

* the model (:func:`sim.cases.predict`);
* the **base rate**: each response's share in the calibration half with Jeffreys smoothing,
  ``(count + 1/2) / (n + 3/2)`` (the posterior mean under a Dirichlet(1/2, 1/2, 1/2) prior), so
  that a response absent from the calibration half does not get probability 0;
* a **multinomial logistic regression** on the coded columns (:func:`features`), fitted on the
  calibration half: the maximum a posteriori estimate under independent normal priors on the
  slopes (ridge), whose SD is chosen from :data:`PRIOR_SDS` by leave-one-out log-loss on the
  calibration half. Separation is certain with ~16 cases and 14 predictors, so the maximum
  likelihood estimate does not exist; 2.5 is rstanarm's default weakly informative prior
  (Gelman et al. 2008, Ann. Appl. Stat. 2(4): weakly informative priors for logistic regression
  under separation).

Why the regression is fitted here rather than by statsmodels: statsmodels offers a penalised
multinomial logit only with an L1 penalty solved by SLSQP, which took 0.2-3 s a fit on the
calibration half (16 cases, 13 predictors) against 0.03-0.07 s for the ridge fit below on the same
loaded machine (``benchmarks/bench_case_scores.py``), and the leave-one-out choice of the penalty
needs ~100 fits. The ridge objective is smooth and convex: a few exact-Hessian Newton steps
(scipy's ``trust-exact``) solve it. Without a penalty it is the likelihood statsmodels'
``MNLogit`` maximises: the tests check that the two agree on data without separation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import log_softmax

from sim.cases import DETAIL_COLUMNS, Case, Half, Scale, Scored, halves, predict, recodings
from sim.enums import Channel
from sim.params import ModelParams
from sim.validation.scoring import RESPONSES, brier, log_loss, probabilities

PRIOR_SDS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Candidate prior SDs of the regression's standardised slopes (codebook, section 6)."""
JEFFREYS = 0.5
GRADIENT_TOLERANCE = 1e-6
"""Largest gradient component accepted at the regression's optimum (probabilities are then
exact to about 1e-7)."""

FloatArray = NDArray[np.float64]


# --- the coded columns as predictors ----------------------------------------------------------

def features(cases: list[Case]) -> tuple[list[str], FloatArray]:
    """The regression's predictors (codebook, section 6), before standardisation. A predictor
    from a column that not every case codes (``scale``, ``relations``) is left out."""
    columns: dict[str, list[float]] = {
        "rivalry": [c.rivalry for c in cases],
        "details": [float(c.details) for c in cases],
        "channel_public": [float(c.channel.is_public) for c in cases],
        "channel_relay": [float(c.channel is Channel.RELAY) for c in cases],
        "real": [float(c.real) for c in cases],
        "corroborated": [{True: 1.0, False: -1.0, None: 0.0}[c.corroborated] for c in cases],
        "log1p_days_left": [math.log1p(c.days_left) for c in cases],
        "load": [float(c.load) for c in cases],
        "sender_capability": [c.sender_capability for c in cases],
        "recipient_capability": [c.recipient_capability for c in cases],
        "recipient_home_security": [c.recipient_home_security for c in cases],
    }
    if all(c.scale is not None for c in cases):
        columns["scale_mass"] = [float(c.scale is Scale.MASS) for c in cases]
        columns["scale_targeted"] = [float(c.scale is Scale.TARGETED) for c in cases]
    if all(c.relations is not None for c in cases):
        columns["relations"] = [float(bool(c.relations)) for c in cases]
    names = list(columns)
    return names, np.array([columns[n] for n in names], dtype=float).T


@dataclass(frozen=True, slots=True)
class Standardiser:
    """Centre and scale fixed on the calibration half; constant and duplicate predictors out."""

    keep: tuple[int, ...]
    mean: FloatArray
    sd: FloatArray

    @classmethod
    def fit(cls, x: FloatArray) -> Standardiser:
        mean, sd = x.mean(axis=0), x.std(axis=0)
        keep: list[int] = []
        for j in range(x.shape[1]):
            if sd[j] <= 1e-12:
                continue
            z = (x[:, j] - mean[j]) / sd[j]
            if any(np.allclose(z, (x[:, k] - mean[k]) / sd[k]) for k in keep):
                continue
            keep.append(j)
        index = list(keep)
        return cls(tuple(keep), mean[index], sd[index])

    def __call__(self, x: FloatArray) -> FloatArray:
        return (x[:, list(self.keep)] - self.mean) / self.sd


# --- the ridge multinomial logit --------------------------------------------------------------

def _unpack(theta: FloatArray, k: int, p: int) -> tuple[FloatArray, FloatArray]:
    intercepts = np.concatenate([[0.0], theta[: k - 1]])
    return intercepts, theta[k - 1:].reshape(k, p)


def _design(z: FloatArray, k: int) -> FloatArray:
    """``J[i, c, :]``: the derivative of case i's linear predictor for class c with respect to
    the parameters (the intercepts of classes 2..k, then the k slope vectors)."""
    n, p = z.shape
    jac = np.zeros((n, k, k - 1 + k * p))
    for c in range(k):
        if c > 0:
            jac[:, c, c - 1] = 1.0
        jac[:, c, k - 1 + c * p: k - 1 + (c + 1) * p] = z
    return jac


def ridge_objective(theta: FloatArray, z: FloatArray, y: NDArray[np.int_], k: int,
                    prior_sd: float) -> tuple[float, FloatArray, FloatArray]:
    """Negative log posterior (up to a constant), its gradient and its Hessian: the multinomial
    log-likelihood with the first class's intercept fixed at 0, and a normal(0, prior_sd^2)
    prior on every slope (each class has its own slope vector, so the penalty does not depend on
    the order of the classes)."""
    n, p = z.shape
    jac = _design(z, k)
    log_p = log_softmax(jac @ theta, axis=1)  # [case, class]
    prob = np.exp(log_p)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    penalty = np.concatenate([np.zeros(k - 1), np.full(k * p, 1.0 / prior_sd**2)])
    value = -float(log_p[np.arange(n), y].sum()) + 0.5 * float((penalty * theta**2).sum())
    grad = np.einsum("ic,icq->q", prob - onehot, jac) + penalty * theta
    weight = prob[:, :, None] * np.eye(k)[None] - prob[:, :, None] * prob[:, None, :]
    hess = np.einsum("icq,icd,idr->qr", jac, weight, jac) + np.diag(penalty)
    return value, grad, hess


@dataclass(frozen=True, slots=True)
class RidgeLogit:
    """A fitted ridge multinomial logit over the classes present in its training data."""

    classes: tuple[int, ...]
    intercepts: FloatArray
    slopes: FloatArray

    @classmethod
    def fit(cls, z: FloatArray, y: NDArray[np.int_], prior_sd: float) -> RidgeLogit:
        classes = tuple(sorted(set(y.tolist())))
        k, p = len(classes), z.shape[1]
        if k == 1:
            return cls(classes, np.zeros(1), np.zeros((1, p)))
        local = np.searchsorted(np.array(classes), y)
        def value_grad(theta: FloatArray) -> tuple[float, FloatArray]:
            return ridge_objective(theta, z, local, k, prior_sd)[:2]

        def hess(theta: FloatArray) -> FloatArray:
            return ridge_objective(theta, z, local, k, prior_sd)[2]

        # Newton steps in a trust region: the objective is smooth and convex, so a few
        # exact-Hessian steps reach the optimum. The solver can stop with a precision warning a
        # hair from it (gradient ~1e-8), so convergence is judged by the gradient itself.
        result = minimize(value_grad, np.zeros(k - 1 + k * p), jac=True, hess=hess,
                          method="trust-exact", options={"gtol": 1e-9, "maxiter": 1000})
        if np.abs(value_grad(result.x)[1]).max() > GRADIENT_TOLERANCE:  # pragma: no cover
            raise RuntimeError(f"ridge logit did not converge: {result.message}")
        intercepts, slopes = _unpack(result.x, k, p)
        return cls(classes, intercepts, slopes)

    def predict(self, z: FloatArray) -> FloatArray:
        """Probabilities [case, response] over all three responses (0 for an absent class)."""
        out = np.zeros((z.shape[0], len(RESPONSES)))
        out[:, list(self.classes)] = np.exp(log_softmax(self.intercepts + z @ self.slopes.T, axis=1))
        return out


def choose_prior_sd(z: FloatArray, y: NDArray[np.int_]) -> tuple[float, dict[float, float]]:
    """The prior SD with the lowest leave-one-out log-loss (ties: the smaller SD)."""
    losses: dict[float, float] = {}
    for sd in PRIOR_SDS:
        held = np.zeros((len(y), len(RESPONSES)))
        for i in range(len(y)):
            rest = np.arange(len(y)) != i
            held[i] = RidgeLogit.fit(z[rest], y[rest], sd).predict(z[i:i + 1])[0]
        losses[sd] = log_loss(held, y)
    best = min(PRIOR_SDS, key=lambda sd: (round(losses[sd], 12), sd))
    return best, losses


# --- the per-half scores ----------------------------------------------------------------------

def base_rates(y: NDArray[np.int_]) -> FloatArray:
    """Each response's Jeffreys-smoothed share: ``(count + 1/2) / (n + 3/2)``."""
    counts = np.bincount(y, minlength=len(RESPONSES)).astype(float)
    return (counts + JEFFREYS) / (len(y) + JEFFREYS * len(RESPONSES))


FORECASTS = ("model", "base_rate", "logit")
MIN_FIT = 2
"""Fewest calibration-half cases the regression is fitted on: its prior SD is chosen by
leaving one out, which needs a case left to fit. With fewer, the regression baseline is not
reported (a file of one case is scored by the model and the base rate only)."""


@dataclass(frozen=True, slots=True)
class CaseScores:
    """The scored cases, their halves and the three forecasts' probabilities and scores."""

    scored: list[Scored]
    half: list[Half] | None
    forecasts: dict[str, FloatArray]  # name -> [case, response]
    recorded: NDArray[np.int_]
    prior_sd: float | None
    loo_log_loss: dict[float, float]
    predictors: list[str]

    def rows(self) -> list[dict[str, object]]:
        """One row per half and forecast: n, Brier score, log-loss."""
        out: list[dict[str, object]] = []
        if self.half is None:
            return out
        for half in Half:
            index = np.array([h is half for h in self.half])
            for name in (f for f in FORECASTS if f in self.forecasts):
                p, r = self.forecasts[name][index], self.recorded[index]
                out.append({"half": half.value, "forecast": name, "n": int(index.sum()),
                            "brier": brier(p, r) if index.any() else math.nan,
                            "log_loss": log_loss(p, r) if index.any() else math.nan})
        return out

    def case_dicts(self) -> list[dict[str, object]]:
        """``Scored.as_dict()`` with the half and the baselines' probabilities."""
        out = []
        for i, s in enumerate(self.scored):
            row = s.as_dict()
            row["half"] = None if self.half is None else self.half[i].value
            for name in FORECASTS[1:]:
                if name in self.forecasts:
                    for j, key in enumerate(("heed", "investigate", "dismiss")):
                        row[f"{name}_{key}"] = float(self.forecasts[name][i, j])
            out.append(row)
        return out


def evaluate(cases: list[Case], params: ModelParams) -> CaseScores:
    """Score the cases, split them into halves, fit the baselines on the calibration half."""
    scored = [predict(c, params) for c in cases]
    recorded = np.array([RESPONSES.index(c.response) for c in cases], dtype=int)
    forecasts = {"model": probabilities(scored)}
    half = halves(cases)
    if half is None:
        return CaseScores(scored, None, forecasts, recorded, None, {}, [])
    calibration = np.array([h is Half.CALIBRATION for h in half])
    forecasts["base_rate"] = np.tile(base_rates(recorded[calibration]), (len(cases), 1))
    if calibration.sum() < MIN_FIT:
        return CaseScores(scored, half, forecasts, recorded, None, {}, [])
    names, x = features(cases)
    standardise = Standardiser.fit(x[calibration])
    z = standardise(x)
    prior_sd, losses = choose_prior_sd(z[calibration], recorded[calibration])
    fitted = RidgeLogit.fit(z[calibration], recorded[calibration], prior_sd)
    forecasts["logit"] = fitted.predict(z)
    return CaseScores(scored, half, forecasts, recorded, prior_sd, losses,
                      [names[j] for j in standardise.keep])


# --- sensitivity to the coding ----------------------------------------------------------------

def sensitivity(cases: list[Case], params: ModelParams) -> list[dict[str, object]]:
    """Every recoding of the codebook's sensitivity table, rescored: one row per case and
    recoding, with the probability of the recorded response and the predicted response before
    and after."""
    half = halves(cases)
    rows: list[dict[str, object]] = []
    for i, case in enumerate(cases):
        base = predict(case, params)
        for column, label, recoded in recodings(case):
            s = predict(recoded, params)
            rows.append({
                "case": case.case, "half": None if half is None else half[i].value,
                "column": column, "coding": label,
                "uncertain": column in case.uncertain or (
                    column == "details" and any(d in case.uncertain for d in DETAIL_COLUMNS)),
                "p_heed": s.choice.heed, "p_investigate": s.choice.investigate,
                "p_dismiss": s.choice.dismiss,
                "p_recorded_before": base.probability(case.response),
                "p_recorded": s.probability(case.response),
                "predicted_before": base.predicted.value, "predicted": s.predicted.value,
            })
    return rows


def sensitivity_summary(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per column: recodings, how many change the predicted response, and the largest and mean
    absolute move in the probability of the recorded response."""
    out = []
    for column in dict.fromkeys(str(r["column"]) for r in rows):
        mine = [r for r in rows if r["column"] == column]
        moves = [abs(float(r["p_recorded"]) - float(r["p_recorded_before"]))  # type: ignore[arg-type]
                 for r in mine]
        out.append({"column": column, "recodings": len(mine),
                    "cases": len({r["case"] for r in mine}),
                    "prediction_changes": sum(r["predicted"] != r["predicted_before"] for r in mine),
                    "mean_abs_move": float(np.mean(moves)), "max_abs_move": float(np.max(moves))})
    return out
