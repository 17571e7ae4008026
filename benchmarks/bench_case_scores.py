"""Benchmark of the cases' regression baseline: why it is fitted in ``sim.case_scores`` rather
than with statsmodels.

Run with ``python benchmarks/bench_case_scores.py``. On the built-in dataset's calibration half
(its standardised predictors) it times, per fit, statsmodels' only penalised multinomial logit
(``MNLogit.fit_regularized``, L1 penalty solved by SLSQP) at several penalty weights, and the
ridge fit of :class:`sim.case_scores.RidgeLogit` at every candidate prior SD; then one whole
``warnsim cases`` evaluation (model, halves, leave-one-out choice of the prior SD, both
baselines). Median wall times of a few repeats; never asserted in tests.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import statsmodels.api as sm

from sim.case_scores import PRIOR_SDS, RidgeLogit, Standardiser, evaluate, features
from sim.cases import Half, builtin_cases, halves
from sim.params import ModelParams
from sim.validation.scoring import RESPONSES

REPEATS = 3


def median_seconds(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    cases = builtin_cases()
    split = halves(cases)
    assert split is not None
    calibration = np.array([h is Half.CALIBRATION for h in split])
    y = np.array([RESPONSES.index(c.response) for c in cases])[calibration]
    _, x = features(cases)
    z = Standardiser.fit(x[calibration])(x)[calibration]
    print(f"calibration half: {len(y)} cases, {z.shape[1]} standardised predictors")

    exog = sm.add_constant(z)
    for alpha in (0.25, 1.0, 4.0):
        weights = np.full((exog.shape[1], 2), alpha)
        weights[0] = 0.0  # intercepts unpenalised

        def l1(weights: np.ndarray = weights) -> object:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return sm.MNLogit(y, exog).fit_regularized(
                    method="l1", alpha=weights, disp=0, trim_mode="size", acc=1e-7, maxiter=2000)

        print(f"statsmodels MNLogit L1 (SLSQP), alpha {alpha:g}: {median_seconds(l1):.3f} s a fit")
    for sd in PRIOR_SDS:
        print(f"RidgeLogit, prior SD {sd:g}: "
              f"{median_seconds(lambda sd=sd: RidgeLogit.fit(z, y, sd)):.4f} s a fit")
    params = ModelParams()
    print(f"whole evaluation (31 cases, {len(PRIOR_SDS)} x {len(y)} leave-one-out fits): "
          f"{median_seconds(lambda: evaluate(cases, params)):.2f} s")


if __name__ == "__main__":
    main()
