"""What calibration targets are scored on: one value per design point, with its interval.

Two sources, so that calibration and validation judge a parameter set by the same numbers:

* **The validation suite's checks** (:mod:`sim.validation`) that one parameter set's own runs
  define: those whose only study is the default world (``rivalry``, ``corroboration``,
  ``overload``, ``breznitz``, ``asymmetry``, ``foiled_share``, ``deaths_per_attack``), computed
  at each design point by the suite's own statistic on that point's runs (each point is that
  study for its parameter set), with the suite's paired bootstrap interval over replications;
  and the case scores (``cases_brier``, ``cases_log_loss``), which need no runs. A target
  naming a check takes the check's published range unless it gives its own. Checks that
  compare several parameter sets (cry wolf, doctrine, the reliability crossover...) need
  studies of their own per point and are refused with the reason.
* **Any declared outcome** by its name: pooled over the point's replications for a rate (sum of
  numerators over sum of denominators), the mean over runs otherwise, with a percentile
  bootstrap interval over replications.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.load import Results
from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind
from sim.params import PARAMETERS, ModelParams

Totals = Mapping[str, np.ndarray]
"""Sums of each per-run quantity over a point's (resampled) replications; arrays of one shape."""

PER_POINT_STUDY = "defaults"
"""The validation study a calibration design point stands in for: one parameter set's runs."""


@dataclass(frozen=True, slots=True)
class Values:
    """One statistic at every design point: ``value``, and its bootstrap ``low``/``high``."""

    point_id: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True, slots=True)
class Statistic:
    """A statistic: its name, what it measures, whether it reads the warning log, the range
    its source publishes (checks; None for outcomes) and how it is evaluated at every point
    (``compute(results, confidence, draws, seed)``)."""

    name: str
    description: str
    compute: Callable[[Results, float, int, int], Values]
    needs_warnings: bool = False
    range_low: float | None = None
    range_high: float | None = None

    @property
    def has_range(self) -> bool:
        return self.range_low is not None or self.range_high is not None


def evaluate(stat: Statistic, results: Results, *, confidence: float = 0.95, draws: int = 400,
             seed: int = 0) -> Values:
    """``stat`` at each design point of ``results`` (finished runs only)."""
    return stat.compute(results, confidence, draws, seed)


# --- outcomes ---------------------------------------------------------------------------------

def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(a, b, out=np.full(np.broadcast(a, b).shape, math.nan), where=b != 0)


def pooled(quantities: Callable[[pd.DataFrame], pd.DataFrame],
           combine: Callable[[Totals], np.ndarray]) -> Callable[[Results, float, int, int], Values]:
    """Evaluation of a statistic of sums over replications: the value from each point's totals,
    the interval a percentile bootstrap over its replications (``draws`` resamples; draws where
    a denominator is zero are left out)."""
    def compute(results: Results, confidence: float, draws: int, seed: int) -> Values:
        runs = results.ok
        per_run = quantities(runs)
        names = list(per_run.columns)
        frame = per_run.assign(point_id=runs["point_id"].to_numpy())
        totals = frame.groupby("point_id", sort=True)[names].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.asarray(combine({n: totals[n].to_numpy() for n in names}), dtype=float)
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
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = np.asarray(combine({n: sums[:, j] for j, n in enumerate(names)}), float)
            boot = boot[np.isfinite(boot)]
            if boot.size:
                low[i], high[i] = np.quantile(boot, [tail, 1 - tail])
        return Values(totals.index.to_numpy(), value, low, high)
    return compute


def _columns(**columns: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Per-run quantities that are columns of runs.parquet (new name = column)."""
    def quantities(runs: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({new: runs[old].to_numpy(float) for new, old in columns.items()},
                            index=runs.index)
    return quantities


def outcome_statistic(name: str) -> Statistic:
    """A declared outcome as a statistic: a pooled rate, or the mean over runs."""
    spec = BY_NAME[name]
    if spec.kind is Kind.RATE:
        assert spec.numerator is not None and spec.denominator is not None
        return Statistic(name, f"{spec.doc} (pooled: sum of {spec.numerator} / sum of "
                         f"{spec.denominator})",
                         pooled(_columns(num=spec.numerator, den=spec.denominator),
                                lambda t: ratio(t["num"], t["den"])))

    def quantities(runs: pd.DataFrame) -> pd.DataFrame:
        values = runs[name].to_numpy(float)
        finite = np.isfinite(values)
        return pd.DataFrame({"sum": np.where(finite, values, 0.0), "n": finite.astype(float)},
                            index=runs.index)

    return Statistic(name, f"{spec.doc} (mean over runs)",
                     pooled(quantities, lambda t: ratio(t["sum"], t["n"])))


# --- the validation suite's checks -----------------------------------------------------------

def point_params(runs: pd.DataFrame) -> ModelParams:
    """The parameter set of a design point's runs (every parameter is a column of runs.parquet)."""
    row = runs.iloc[0]
    return ModelParams.from_mapping({n: _plain(row[n]) for n in PARAMETERS})


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def check_statistic(check_id: str) -> Statistic:
    """A check of the validation suite as a per-point statistic (see the module)."""
    from sim.validation import statistics as vs
    from sim.validation.suite import BY_ID, CheckKind

    check = BY_ID[check_id]
    if check.kind is CheckKind.CASE:
        def compute(results: Results, confidence: float, draws: int, seed: int) -> Values:
            from sim.validation.scoring import evaluate as score_cases

            points, value, low, high = [], [], [], []
            for point_id, runs in results.ok.groupby("point_id", sort=True):
                scored = score_cases(point_params(runs))
                m = scored.brier if check.statistic == "cases_brier" else scored.log_loss
                points.append(point_id)
                value.append(m.value)
                low.append(m.low)
                high.append(m.high)
            return Values(np.array(points), np.array(value), np.array(low), np.array(high))
    else:
        function = vs.STATISTICS[check.statistic]

        def compute(results: Results, confidence: float, draws: int, seed: int) -> Values:
            runs = results.ok
            warnings = results.warnings
            if warnings is not None:
                warnings = warnings.join(runs.set_index("run_id")[["point_id", "replication"]],
                                         on="run_id", how="inner")
            logs = dict(iter(warnings.groupby("point_id"))) if warnings is not None else {}
            points: list[int] = []
            value: list[float] = []
            low: list[float] = []
            high: list[float] = []
            for point_id, point_runs in runs.groupby("point_id", sort=True):
                study = vs.StudyData(
                    PER_POINT_STUDY, results, point_runs.assign(point="base"),
                    None if warnings is None else logs.get(point_id, warnings.iloc[:0]),
                    np.sort(point_runs["replication"].unique()), 0, point_params(point_runs))
                try:
                    m = function(check, {PER_POINT_STUDY: study})
                    measured = (m.value, m.low, m.high)
                except vs.Undefined:
                    measured = (math.nan,) * 3
                points.append(point_id)
                for out, v in zip((value, low, high), measured, strict=True):
                    out.append(v)
            return Values(np.array(points), np.array(value, dtype=float),
                          np.array(low, dtype=float), np.array(high, dtype=float))

    return Statistic(check.id, f"validation check {check.id}: {check.definition}", compute,
                     needs_warnings=check.id in WARNING_CHECKS, range_low=check.range_low,
                     range_high=check.range_high)


WARNING_CHECKS = frozenset({"corroboration", "overload", "breznitz", "breznitz_probe", "asymmetry"})
"""Checks that read the warning log (the others read runs.parquet)."""


def per_point_checks() -> dict[str, str]:
    """Checks one parameter set defines, by id, and the other checks with why they do not."""
    from sim.validation.suite import CHECKS, CheckKind

    usable: dict[str, str] = {}
    for c in CHECKS:
        if c.kind is CheckKind.CASE or c.studies == (PER_POINT_STUDY,):
            usable[c.id] = ""
        else:
            usable[c.id] = (f"it compares the studies {', '.join(c.studies)}, not one "
                            "parameter set's runs")
    return usable


def statistic(name: str, *, origin: str) -> Statistic:
    """The statistic called ``name``: a validation check one parameter set defines, or an
    outcome."""
    checks = per_point_checks()
    if name in checks:
        if checks[name]:
            raise UserError(f"{origin}: statistic: {name}: a validation check that cannot score "
                            f"one design point ({checks[name]}); allowed: "
                            f"{', '.join(c for c, why in checks.items() if not why)}, or an "
                            "outcome name")
        return check_statistic(name)
    if name in BY_NAME:
        return outcome_statistic(name)
    raise UserError(f"{origin}: statistic: got {name!r}; allowed: a validation check "
                    f"({', '.join(c for c, why in checks.items() if not why)}) or an outcome "
                    "name (see `warnsim run --json`)")
