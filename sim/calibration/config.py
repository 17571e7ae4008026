"""Calibration files: an experiment (the prior) plus the targets and the method.

A calibration file is an experiment file (:mod:`sim.sweep.experiment`) whose design is a Latin
hypercube over the uncertain parameters, ``[sample] method = "lhs"`` with ``[sample.ranges]``:
each range is the parameter's uniform prior. Two more tables say what to reproduce and how:

``[targets.ID]`` (one per target)
    ``statistic``: an outcome no validation check uses, a metric of the file's ``[metrics]``,
    or a score of the calibration half of the cases (:mod:`sim.calibration.statistics`; a validation check's statistic is refused:
    calibrate on data you do not validate on); then either ``value`` and ``tolerance``
    (accepted: within ``value +- tolerance``) or ``low`` and/or ``high`` (accepted: within the
    range, ends included; one end may be open); ``source``: where the value comes from.
``[calibration]``
    ``method``: ``rejection`` (the default: every point of the Latin hypercube run and
    accepted when it meets every target; :mod:`sim.calibration.scoring`) or ``abc-smc``
    (sequential Monte Carlo, :mod:`sim.calibration.abc`: the hypercube of ``[sample] n``
    points is generation 0 and ``n`` is the population of every generation). The other keys
    are each method's settings, declared in :data:`OPTIONS` (one line each in error messages
    and in ``docs/guide/calibration.md``).

For rejection, targets and ``[calibration]`` do not enter the sweep's fingerprint: changing a
tolerance or adding a target re-scores the same runs instead of running the model again. (So
the manifest's ``experiment_sha256`` is the hash of the file's other keys as canonical JSON,
not of its text; ``experiment_text`` is the whole file as it was.) For ABC-SMC the targets
steer the sampler, so they are part of what a results folder was made with
(:mod:`sim.calibration.smc`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sim.calibration.abc import Distance, Kernel, Schedule, Settings
from sim.calibration.statistics import Statistic, statistic
from sim.errors import UserError
from sim.keys import Key
from sim.sweep.experiment import (
    CALIBRATION_KEYS,
    DesignKind,
    Experiment,
    declaration,
    parse_experiment,
    read_text,
)


class Method(StrEnum):
    REJECTION = "rejection"
    ABC_SMC = "abc-smc"


R, S = (Method.REJECTION,), (Method.ABC_SMC,)
_SMC = Settings()


@dataclass(frozen=True, slots=True)
class Option:
    """One key of ``[calibration]``: the methods it applies to, what it allows, its default
    and what it does."""

    key: str
    methods: tuple[Method, ...]
    allowed: str
    default: Any
    doc: str


OPTIONS: dict[str, Option] = {o.key: o for o in (
    Option("method", (*R, *S), ", ".join(m.value for m in Method), Method.REJECTION.value,
           "rejection: accept the Latin hypercube's points that meet every target; abc-smc: "
           "sequential Monte Carlo from that hypercube"),
    Option("cases", (*R, *S), "the path of a cases CSV (relative to this file) whose unseen "
           "cases are dated", "the built-in sim/data/cases.csv",
           "the cases whose calibration half (the codebook's rule) the case statistics score"),
    Option("confirm", R, "an integer in [0, 100000]", 0,
           "replications of a confirmation sweep of the defaults and the best-supported set "
           "(0: none)"),
    Option("generations", S, "an integer in [1, 1000]", _SMC.generations,
           "most generations after generation 0 (the prior sample)"),
    Option("budget", S, "an integer in [1, 1000000000], at least [sample] n",
           _SMC.budget, "most simulations (a particle's replications each), generation 0's "
           "included; a generation the budget cuts short is discarded"),
    Option("min_epsilon", S, "a number >= 0", _SMC.min_epsilon,
           "stop after the generation whose tolerance reaches this (no tolerance is lower)"),
    Option("min_acceptance", S, "a number in [0, 1)", _SMC.min_acceptance,
           "stop after a generation whose acceptance rate is below this"),
    Option("schedule", S, ", ".join(s.value for s in Schedule), _SMC.schedule.value,
           "quantile: each tolerance is a quantile of the previous generation's distances "
           "(adaptive); fixed: the list epsilons"),
    Option("quantile", S, "a number in (0, 1)", _SMC.quantile,
           "the quantile of the adaptive schedule"),
    Option("epsilons", S, "a list of decreasing numbers > 0", None,
           "the tolerances of generations 1, 2, ... (schedule = \"fixed\")"),
    Option("distance", S, ", ".join(d.value for d in Distance), _SMC.distance.value,
           "how the targets' distances (each in units of its tolerance) combine: root mean "
           "square, mean, or the largest"),
    Option("kernel", S, ", ".join(k.value for k in Kernel), _SMC.kernel.value,
           "mvn: Gaussian, twice the population's covariance (Beaumont et al. 2009); local: "
           "optimal local covariance (Filippi et al. 2013)"),
    Option("predictive", S, "an integer in [0, 100000]", 200,
           "posterior draws simulated afresh for the posterior predictive checks (0: none)"),
)}
"""Every key of ``[calibration]``, declared once."""


def options_markdown() -> str:
    """The ``[calibration]`` keys as a Markdown table (``docs/guide/calibration.md`` holds it
    between markers; a test compares the two)."""
    rows = ["| key | method | allowed | default | what it does |", "|---|---|---|---|---|"]
    for o in OPTIONS.values():
        default = (f'"{o.default}"' if isinstance(o.default, str) and o.key in
                   ("method", "schedule", "distance", "kernel") else
                   "none" if o.default is None else
                   f"{o.default:,}" if isinstance(o.default, int) else str(o.default))
        methods = ", ".join(m.value for m in o.methods)
        rows.append(f"| `{o.key}` | {methods} | {o.allowed} | {default} | {o.doc} |")
    return "\n".join(rows)


TARGET_KEYS: tuple[Key, ...] = (
    Key("statistic", "an outcome, a metric or a case statistic", "what the target measures: "
        "an outcome no validation check uses (a rate pooled over a parameter set's runs, "
        "anything else the mean over runs), a metric of the file's `[metrics]`, or "
        "`cases_calibration_brier` / `cases_calibration_log_loss` (the calibration half of the "
        "cases); a validation check's statistic is refused", required=True),
    Key("value", "a number", "accepted within `value` +- `tolerance` (with `tolerance`)"),
    Key("tolerance", "a number > 0", "the half-width around `value` (rejection's "
        "`--tolerance-scale` multiplies it; abc-smc measures distances in units of it)"),
    Key("low", "a number", "accepted at or above `low` (instead of `value`; one end may be open)"),
    Key("high", "a number", "accepted at or below `high`"),
    Key("source", "text", "where the observed value comes from (printed in the tables)"),
)
"""The keys of one ``[targets.ID]`` table (those of ``[calibration]`` are :data:`OPTIONS`)."""
_TARGET_NAMES = tuple(k.name for k in TARGET_KEYS)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Target:
    """One target: a statistic and the values that count as reproducing it.

    ``value``/``tolerance`` targets are scaled by :meth:`bounds` (a smaller ``scale`` is a
    tighter tolerance); ``low``/``high`` ranges are fixed.
    """

    id: str
    statistic: Statistic
    low: float | None = None
    high: float | None = None
    value: float | None = None
    tolerance: float | None = None
    source: str = ""

    def bounds(self, scale: float = 1.0) -> tuple[float, float]:
        """The accepted range, ends included (infinite for an open end)."""
        if self.value is not None and self.tolerance is not None:
            return self.value - scale * self.tolerance, self.value + scale * self.tolerance
        return (-math.inf if self.low is None else self.low,
                math.inf if self.high is None else self.high)

    def met(self, values: np.ndarray, scale: float = 1.0) -> np.ndarray:
        low, high = self.bounds(scale)
        v = np.asarray(values, dtype=float)
        return np.isfinite(v) & (v >= low) & (v <= high)

    def distance(self, values: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Distance from the target in half-widths of the accepted range: 0 at its centre, 1
        at its ends. A one-sided range gives 0 inside and, outside, the distance to its end
        in units of the statistic's own value (1 + |v - end| / max(|end|, 1)); NaN: undefined."""
        low, high = self.bounds(scale)
        v = np.asarray(values, dtype=float)
        if math.isfinite(low) and math.isfinite(high):
            half = (high - low) / 2
            return np.abs(v - (low + high) / 2) / half if half > 0 else np.where(v == low, 0.0, np.inf)
        end = low if math.isfinite(low) else high
        outside = np.maximum(low - v, 0) + np.maximum(v - high, 0)
        return np.where(outside > 0, 1 + outside / max(abs(end), 1.0), 0.0)

    def spec(self) -> dict[str, Any]:
        """What the target asks for, as plain data (a results folder's fingerprint)."""
        return {"statistic": self.statistic.name, "value": self.value,
                "tolerance": self.tolerance, "low": self.low, "high": self.high}

    def describe(self) -> str:
        """The accepted range as text: 'value 0.93 +- 0.05', 'at least 0', '0.5 to 5'."""
        if self.value is not None:
            return f"{self.value:g} +- {self.tolerance:g}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g} to {self.high:g}"
        return f"at least {self.low:g}" if self.low is not None else f"at most {self.high:g}"


@dataclass(frozen=True, slots=True)
class Calibration:
    """A loaded calibration file: the prior as an experiment, targets, the method and its
    settings (``abc`` for abc-smc, whose population is the hypercube's ``n``)."""

    experiment: Experiment
    targets: tuple[Target, ...]
    confirm: int = 0
    method: Method = Method.REJECTION
    abc: Settings | None = None
    predictive: int = 0
    cases_file: Path | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.experiment.design.parameters

    def shrunk(self, *, days: int | None = None, replications: int | None = None,
               population: int | None = None, generations: int | None = None,
               predictive: int | None = None) -> Calibration:
        """A smaller copy for smoke tests and trials (see :meth:`Experiment.shrunk`):
        ``population`` is the hypercube's ``n`` (and abc-smc's population)."""
        e = self.experiment.shrunk(days=days, replications=replications, n=population)
        abc = self.abc
        if abc is not None:
            abc = dataclasses.replace(
                abc, population=e.design.n or abc.population,
                generations=abc.generations if generations is None else generations,
                budget=max(abc.budget, e.design.n or 0))
        return dataclasses.replace(
            self, experiment=e, abc=abc,
            predictive=self.predictive if predictive is None else predictive)


def load_calibration(path: str | Path) -> Calibration:
    path = Path(path)
    return parse_calibration(read_text(path, "calibration file"), path=path)


def parse_calibration(text: str, *, path: Path | None = None) -> Calibration:
    origin = str(path) if path else "<calibration>"
    experiment = parse_experiment(text, path=path, extra=CALIBRATION_KEYS)
    data = tomllib.loads(text)  # parsed once already: it is valid TOML
    if experiment.design.kind is not DesignKind.LHS:
        raise UserError(f"{origin}: [sample]: got a {experiment.design.kind.value} design; "
                        'allowed: method = "lhs" with [sample.ranges], the uniform prior of '
                        "each uncertain parameter")
    options = data.get("calibration", {})
    if not isinstance(options, Mapping):
        raise UserError(f"{origin}: calibration: got {options!r}; allowed: a table with "
                        f"{', '.join(OPTIONS)}")
    where = f"{origin} [calibration]"
    method = _choice(options, "method", Method, where)
    for key in options:
        if key not in OPTIONS:
            raise UserError(f"{where}: {key}: unknown key; allowed: {', '.join(OPTIONS)}")
        if method not in OPTIONS[key].methods:
            mine = [k for k, o in OPTIONS.items() if method in o.methods]
            raise UserError(f"{where}: {key}: an option of method "
                            f"{OPTIONS[key].methods[0].value}; allowed with method = "
                            f"\"{method.value}\": {', '.join(mine)}")
    cases_file = _cases_file(options, path, where)
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, Mapping) or not raw_targets:
        raise UserError(f"{origin}: targets: missing or empty; allowed: one table "
                        "[targets.ID] per target with statistic and value/tolerance or low/high")
    metrics = tuple(m.name for m in experiment.metrics)
    targets = tuple(_target(key, raw, origin, cases_file, metrics)
                    for key, raw in raw_targets.items())
    confirm = _int(options, "confirm", 0, 100_000, where)
    settings, predictive = None, 0
    if method is Method.ABC_SMC:
        settings = _abc_settings(options, experiment, where)
        predictive = _int(options, "predictive", 0, 100_000, where)
    # Only the experiment's own keys determine a rejection's runs: targets are re-scored.
    runs_part = {k: v for k, v in data.items() if k not in CALIBRATION_KEYS}
    digest = hashlib.sha256(json.dumps(runs_part, sort_keys=True, default=str).encode()).hexdigest()
    experiment = dataclasses.replace(experiment, sha256=digest)
    return Calibration(experiment, targets, confirm, method, settings, predictive, cases_file)


def _abc_settings(options: Mapping[str, Any], experiment: Experiment, where: str) -> Settings:
    origin = experiment.origin
    for name in experiment.design.parameters:
        if declaration(name).kind is not float:
            raise UserError(f"{origin} [sample.ranges]: {name}: abc-smc perturbs parameters "
                            "continuously; allowed: real-valued parameters (put it in [fixed])")
    population = experiment.design.n
    assert population is not None
    schedule = _choice(options, "schedule", Schedule, where)
    if schedule is Schedule.FIXED and "quantile" in options:
        raise UserError(f'{where}: quantile: an option of schedule = "quantile"; allowed with '
                        'schedule = "fixed": epsilons')
    if schedule is Schedule.QUANTILE and "epsilons" in options:
        raise UserError(f'{where}: epsilons: an option of schedule = "fixed"; allowed with '
                        'schedule = "quantile": quantile')
    epsilons: tuple[float, ...] = ()
    if schedule is Schedule.FIXED:
        epsilons = _epsilons(options.get("epsilons"), where)
    budget = _int(options, "budget", 1, 10**9, where)
    if budget < population:
        raise UserError(f"{where}: budget: got {budget}; allowed: {OPTIONS['budget'].allowed} "
                        f"({population}: generation 0 alone takes that many simulations)")
    quantile = _real(options, "quantile", where, lambda x: 0 < x < 1)
    return Settings(
        population=population, generations=_int(options, "generations", 1, 1000, where),
        min_epsilon=_real(options, "min_epsilon", where, lambda x: x >= 0),
        min_acceptance=_real(options, "min_acceptance", where, lambda x: 0 <= x < 1),
        budget=budget, schedule=schedule, quantile=quantile, epsilons=epsilons,
        distance=_choice(options, "distance", Distance, where),
        kernel=_choice(options, "kernel", Kernel, where))


def _default(key: str) -> Any:
    return OPTIONS[key].default


def _int(options: Mapping[str, Any], key: str, low: int, high: int, where: str) -> int:
    value = options.get(key, _default(key))
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserError(f"{where}: {key}: got {value!r}; allowed: {OPTIONS[key].allowed}")
    return value


def _real(options: Mapping[str, Any], key: str, where: str,
          ok: Callable[[float], bool]) -> float:
    value = options.get(key, _default(key))
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not ok(value)):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: {OPTIONS[key].allowed}")
    return float(value)


def _choice(options: Mapping[str, Any], key: str, enum: type[_E], where: str) -> _E:
    value = options.get(key, _default(key))
    try:
        return enum(value)
    except ValueError:
        raise UserError(f"{where}: {key}: got {value!r}; allowed: {OPTIONS[key].allowed}") from None


def _epsilons(value: Any, where: str) -> tuple[float, ...]:
    ok = (isinstance(value, list) and value
          and all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
                  and x > 0 for x in value)
          and all(a > b for a, b in itertools.pairwise(value)))
    if not ok:
        raise UserError(f"{where}: epsilons: got {value!r}; allowed: "
                        f"{OPTIONS['epsilons'].allowed} (needed with schedule = \"fixed\")")
    return tuple(float(x) for x in value)


def _cases_file(options: Mapping[str, Any], path: Path | None, where: str) -> Path | None:
    if "cases" not in options:
        return None
    value = options["cases"]
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{where}: cases: got {value!r}; allowed: {OPTIONS['cases'].allowed}")
    file = Path(value)
    if not file.is_absolute() and path is not None:
        file = path.parent / file
    if not file.is_file():
        raise UserError(f"{where}: cases: {str(file)!r}: no such file; allowed: "
                        f"{OPTIONS['cases'].allowed}")
    return file


def _target(key: str, raw: Any, origin: str, cases_file: Path | None,
            metrics: tuple[str, ...]) -> Target:
    where = f"{origin} [targets.{key}]"
    if not _ID.match(key):
        raise UserError(f"{where}: the target's name must be letters, digits and _ (starting "
                        "with a letter)")
    if not isinstance(raw, Mapping):
        raise UserError(f"{origin}: targets.{key}: got {raw!r}; allowed: a table with "
                        f"{', '.join(_TARGET_NAMES)}")
    for k in raw:
        if k not in _TARGET_NAMES:
            raise UserError(f"{where}: {k}: unknown key; allowed: {', '.join(_TARGET_NAMES)}")
    name = raw.get("statistic")
    if not isinstance(name, str):
        raise UserError(f"{where}: statistic: got {name!r}; allowed: the name of a statistic "
                        "or an outcome")
    stat = statistic(name, origin=where, cases_file=cases_file, metrics=metrics)
    numbers = {k: _number(raw[k], k, where) for k in ("value", "tolerance", "low", "high") if k in raw}
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise UserError(f"{where}: source: got {source!r}; allowed: text")
    centred = {"value", "tolerance"} & numbers.keys()
    ranged = {"low", "high"} & numbers.keys()
    if centred and ranged:
        raise UserError(f"{where}: got {', '.join(sorted(centred | ranged))}; allowed: value "
                        "and tolerance, or low and/or high, not both")
    if centred:
        if centred != {"value", "tolerance"}:
            missing = ({"value", "tolerance"} - centred).pop()
            raise UserError(f"{where}: {missing}: missing; allowed: value and tolerance together")
        if not numbers["tolerance"] > 0:
            raise UserError(f"{where}: tolerance: got {numbers['tolerance']:g}; allowed: a "
                            "number > 0")
        return Target(key, stat, value=numbers["value"], tolerance=numbers["tolerance"],
                      source=source)
    if not ranged:
        raise UserError(f"{where}: no accepted values; allowed: value and tolerance, or low "
                        "and/or high")
    low, high = numbers.get("low"), numbers.get("high")
    if low is not None and high is not None and not low <= high:
        raise UserError(f"{where}: got low {low:g} > high {high:g}; allowed: low <= high")
    return Target(key, stat, low=low, high=high, source=source)


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: a finite number")
    return float(value)
