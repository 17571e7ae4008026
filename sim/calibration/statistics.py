"""What calibration targets measure: statistics the validation suite does not check.

**Calibrate on data you do not validate on** (the project's guide). A target's statistic may
not be one the validation suite checks: :func:`validation_checks` lists every registered
check's id and statistic, and :func:`statistic` refuses those names with the check and its
source. What a target may measure:

* **a declared outcome** (:mod:`sim.outcomes`) that no check uses, pooled over a parameter
  set's replications: a rate as the sum of its numerators over the sum of its denominators,
  anything else as the mean over runs (NaN runs skipped);
* **a metric** of the calibration file's ``[metrics]`` (:mod:`sim.metrics`), the mean over
  runs (NaN runs skipped). A metric can compute what a check measures under another name:
  the source a target names is what keeps it apart from the validation data;
* **the calibration half of the documented cases**: ``cases_calibration_brier`` and
  ``cases_calibration_log_loss``, the multiclass Brier score and the log-loss
  (:mod:`sim.validation.scoring`) of the cases in the calibration half of the cases file, split
  by the codebook's rule (:func:`sim.cases.halves`: every ``seen`` case, then the earliest
  deliveries; the hold-out half is for validation). They need no runs: the model's
  probabilities of each response at the parameter set.

One formula serves both methods: rejection (:func:`evaluate`: a value per design point with a
bootstrap interval over replications) and ABC-SMC (:meth:`Statistic.per_particle`: a value per
particle from its runs' outcomes, computed in the worker that ran them). A
:class:`Statistic` is plain data, so it travels to worker processes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.load import Results
from sim.cases import Case, Half, builtin_cases, cases_in, load_cases
from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind
from sim.params import PARAMETERS, ModelParams

Totals = Mapping[str, np.ndarray]
"""Sums of each per-run quantity over a point's (resampled) replications; arrays of one shape."""

CASE_MEASURES = {"cases_calibration_brier": "brier", "cases_calibration_log_loss": "log_loss"}
"""Statistics of the calibration half of the cases, and the score each computes."""


class Form(StrEnum):
    RATE = "rate"  # sum of a numerator over sum of a denominator
    MEAN = "mean"  # mean over runs (NaN skipped)
    CASES = "cases"  # a score of the cases at the parameter set (no runs)


@dataclass(frozen=True, slots=True)
class Values:
    """One statistic at every design point: ``value``, and its bootstrap ``low``/``high``."""

    point_id: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic: its name, what it measures, its form, the outcome columns it reads
    (rate: numerator and denominator; mean: the outcome) or, for the cases, the cases scored
    and the score (``brier`` or ``log_loss``)."""

    name: str
    description: str
    form: Form
    columns: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()
    measure: str = ""

    def quantities(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-run quantities whose sums over runs :meth:`combine` turns into the value."""
        if self.form is Form.RATE:
            num, den = self.columns
            return {"num": np.asarray(columns[num], float), "den": np.asarray(columns[den], float)}
        values = np.asarray(columns[self.columns[0]], dtype=float)
        finite = np.isfinite(values)
        return {"sum": np.where(finite, values, 0.0), "n": finite.astype(float)}

    def combine(self, totals: Totals) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.form is Form.RATE:
                return ratio(totals["num"], totals["den"])
            return ratio(totals["sum"], totals["n"])

    def of_params(self, params: ModelParams) -> float:
        """A case statistic's value at ``params``."""
        from sim.cases import score
        from sim.validation.scoring import brier, log_loss, probabilities, recorded_index

        cases = list(self.cases)
        fn = brier if self.measure == "brier" else log_loss
        return fn(probabilities(score(cases, params)), recorded_index(cases))

    def per_particle(self, columns: Mapping[str, np.ndarray],
                     params: list[ModelParams]) -> np.ndarray:
        """One value per particle: ``columns`` hold each outcome as an array [particle,
        replication]; ``params`` are the particles' parameter sets."""
        if self.form is Form.CASES:
            return np.array([self.of_params(p) for p in params], dtype=float)
        q = self.quantities(columns)
        return np.asarray(self.combine({k: v.sum(axis=1) for k, v in q.items()}), dtype=float)


def evaluate(stat: Statistic, results: Results, *, confidence: float = 0.95, draws: int = 400,
             seed: int = 0) -> Values:
    """``stat`` at each design point of ``results`` (finished runs only)."""
    if stat.form is Form.CASES:
        return _cases_at_points(stat, results)
    return _pooled(stat, results, confidence, draws, seed)


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, math.nan), where=b != 0)


def _pooled(stat: Statistic, results: Results, confidence: float, draws: int,
            seed: int) -> Values:
    """The value from each point's totals, the interval a percentile bootstrap over its
    replications (``draws`` resamples; draws where a denominator is zero are left out)."""
    runs = results.ok
    per_run = pd.DataFrame(stat.quantities({c: runs[c].to_numpy() for c in stat.columns}),
                           index=runs.index)
    names = list(per_run.columns)
    frame = per_run.assign(point_id=runs["point_id"].to_numpy())
    totals = frame.groupby("point_id", sort=True)[names].sum()
    value = np.asarray(stat.combine({n: totals[n].to_numpy() for n in names}), dtype=float)
    low = np.full(len(totals), math.nan)
    high = np.full(len(totals), math.nan)
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2
    for i, (_, group) in enumerate(frame.groupby("point_id", sort=True)):
        x = group[names].to_numpy(float)
        k = len(x)
        if k < 2:
            continue
        sums = rng.multinomial(k, np.full(k, 1.0 / k), size=draws) @ x
        boot = np.asarray(stat.combine({n: sums[:, j] for j, n in enumerate(names)}), float)
        boot = boot[np.isfinite(boot)]
        if boot.size:
            low[i], high[i] = np.quantile(boot, [tail, 1 - tail])
    return Values(totals.index.to_numpy(), value, low, high)


def _cases_at_points(stat: Statistic, results: Results) -> Values:
    """A case score at each design point's parameters, with the validation suite's percentile
    bootstrap over cases."""
    from sim.validation.scoring import evaluate as score_cases

    points, value, low, high = [], [], [], []
    for point_id, runs in results.ok.groupby("point_id", sort=True):
        scored = score_cases(point_params(runs), list(stat.cases))
        m = scored.brier if stat.measure == "brier" else scored.log_loss
        points.append(point_id)
        value.append(m.value)
        low.append(m.low)
        high.append(m.high)
    return Values(np.array(points), np.array(value, float), np.array(low, float),
                  np.array(high, float))


def point_params(runs: pd.DataFrame) -> ModelParams:
    """The parameter set of a design point's runs (every parameter is a column of runs.parquet)."""
    row = runs.iloc[0]
    return ModelParams.from_mapping({n: _plain(row[n]) for n in PARAMETERS})


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


# --- what a target may measure ------------------------------------------------------------------


def validation_checks() -> dict[str, tuple[str, str]]:
    """Every name the validation suite checks, mapped to (check id, source): the id and the
    statistic of every check the registry declares (:mod:`sim.validation.registry`;
    diagnostics included, families as the suite expands them, one per mechanism) and of every
    family (the per-case checks). The one place calibration reads the suite's declarations."""
    from sim.validation.registry import registry
    from sim.validation.suite import checks

    out: dict[str, tuple[str, str]] = {}
    for c in (*checks(), *registry().families):
        out.setdefault(c.id, (c.id, c.source))
        out.setdefault(c.statistic, (c.id, c.source))
    return out


def allowed_statistics() -> str:
    """What a target may name, for error messages."""
    return (f"an outcome no validation check uses (e.g. {', '.join(_outcome_examples())}; see "
            "`warnsim run --json`), a metric of the file's [metrics], or "
            f"{', '.join(CASE_MEASURES)} (the calibration half of the cases)")


def _outcome_examples() -> list[str]:
    checked = validation_checks()
    return [n for n in ("attacks", "casualties", "heed_rate", "false_alarm_share")
            if n in BY_NAME and n not in checked]


def statistic(name: str, *, origin: str, cases_file: Path | None = None,
              metrics: tuple[str, ...] = ()) -> Statistic:
    """The statistic called ``name`` (see the module); ``cases_file`` is the cases file whose
    calibration half the case statistics score (None: the built-in one), ``metrics`` the
    names of the file's metrics."""
    checked = validation_checks()
    if name in checked:
        check, source = checked[name]
        what = f"validation check {check}" if name == check else f"the statistic of validation check {check}"
        raise UserError(f"{origin}: statistic: {name} is {what} ({source}); calibrate on data "
                        f"you do not validate on; allowed: {allowed_statistics()}")
    if name in CASE_MEASURES:
        cases = calibration_half(cases_file)
        return Statistic(name, f"{CASE_MEASURES[name].replace('_', '-')} score of the "
                         f"{len(cases)} cases of the calibration half", Form.CASES,
                         cases=cases, measure=CASE_MEASURES[name])
    if name in BY_NAME:
        spec = BY_NAME[name]
        if spec.kind is Kind.RATE:
            assert spec.numerator is not None and spec.denominator is not None
            return Statistic(name, f"{spec.doc} (pooled: sum of {spec.numerator} / sum of "
                             f"{spec.denominator})", Form.RATE,
                             (spec.numerator, spec.denominator))
        return Statistic(name, f"{spec.doc} (mean over runs)", Form.MEAN, (name,))
    if name in metrics:
        return Statistic(name, f"metric {name} (mean over runs)", Form.MEAN, (name,))
    raise UserError(f"{origin}: statistic: got {name!r}; allowed: {allowed_statistics()}")


def calibration_half(path: Path | None = None) -> tuple[Case, ...]:
    """The cases of the calibration half of the cases file at ``path`` (None: the built-in
    dataset), split by the codebook's rule (:func:`sim.cases.cases_in`): a file whose unseen
    cases lack a date cannot be split and is refused, naming the case."""
    if path is None:
        return tuple(cases_in(Half.CALIBRATION, builtin_cases()))
    return tuple(cases_in(Half.CALIBRATION, load_cases(path), origin=str(path)))
