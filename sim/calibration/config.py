"""Calibration files: an experiment (the prior sample) plus the targets it is scored against.

A calibration file is an experiment file (:mod:`sim.sweep.experiment`) whose design is a Latin
hypercube over the uncertain parameters, ``[sample] method = "lhs"`` with ``[sample.ranges]``:
each range is the parameter's uniform prior. Two more tables say what to reproduce:

``[targets.ID]`` (one per target)
    ``statistic``: a check of the validation suite that one parameter set defines, or any
    outcome name (:mod:`sim.calibration.statistics`); then either ``value`` and ``tolerance``
    (accepted: within ``value +- tolerance``) or ``low`` and/or ``high`` (accepted: within the
    range, ends included; one end may be open), or neither for a check: the check's own range;
    ``source``: where the value comes from (text, for the tables; a check's by default).
``[calibration]``
    ``confirm``: replications of a confirmation sweep of the defaults and of the best-supported
    set (0: none; default 0).

Targets and ``[calibration]`` do not enter the sweep's fingerprint: changing a tolerance or
adding a target re-scores the same runs instead of running the model again. (So the manifest's
``experiment_sha256`` is the hash of the file's other keys as canonical JSON, not of its text;
``experiment_text`` is the whole file as it was.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.statistics import Statistic, statistic
from sim.errors import UserError
from sim.keys import Key
from sim.sweep.experiment import (
    CALIBRATION_KEYS,
    DesignKind,
    Experiment,
    parse_experiment,
    read_text,
)

TARGET_KEYS: tuple[Key, ...] = (
    Key("statistic", "a check id or an outcome name", "what the target measures: a check of the "
        "validation suite that one parameter set defines, a case score (`cases_brier`, "
        "`cases_log_loss`) or any outcome (rates pooled over the point's runs)", required=True),
    Key("value", "a number", "accepted within `value` +- `tolerance` (with `tolerance`)"),
    Key("tolerance", "a number > 0", "the half-width around `value` (`--tolerance-scale` "
        "multiplies it)"),
    Key("low", "a number", "accepted at or above `low` (instead of `value`; one end may be open)"),
    Key("high", "a number", "accepted at or below `high`"),
    Key("source", "text", "where the value comes from (for the tables; a check's own source by "
        "default)"),
)
"""The keys of one ``[targets.ID]`` table; without value, tolerance, low or high a check's
target takes the validation suite's range."""
OPTION_KEYS: tuple[Key, ...] = (
    Key("confirm", "an integer >= 0", "replications of a confirmation sweep of the defaults and "
        "of the best-supported set, side by side (0: none; default 0)"),
)
"""The keys of the ``[calibration]`` table."""
_TARGET_NAMES = tuple(k.name for k in TARGET_KEYS)
_OPTION_NAMES = tuple(k.name for k in OPTION_KEYS)
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


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

    def describe(self) -> str:
        """The accepted range as text: 'value 0.93 +- 0.05', 'at least 0', '0.5 to 5'."""
        if self.value is not None:
            return f"{self.value:g} +- {self.tolerance:g}"
        if self.low is not None and self.high is not None:
            return f"{self.low:g} to {self.high:g}"
        return f"at least {self.low:g}" if self.low is not None else f"at most {self.high:g}"


@dataclass(frozen=True, slots=True)
class Calibration:
    """A loaded calibration file: the prior sample as an experiment, targets, options."""

    experiment: Experiment
    targets: tuple[Target, ...]
    confirm: int = 0

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.experiment.design.parameters


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
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, Mapping) or not raw_targets:
        raise UserError(f"{origin}: targets: missing or empty; allowed: one table "
                        "[targets.ID] per target with statistic and value/tolerance or low/high")
    targets = tuple(_target(key, raw, origin) for key, raw in raw_targets.items())
    if any(t.statistic.needs_warnings for t in targets) and not experiment.record_warnings:
        name = next(t.id for t in targets if t.statistic.needs_warnings)
        raise UserError(f"{origin}: record_warnings: target {name} needs the warning log; "
                        "allowed: record_warnings = true (the default)")
    options = data.get("calibration", {})
    if not isinstance(options, Mapping):
        raise UserError(f"{origin}: calibration: got {options!r}; allowed: a table with "
                        f"{', '.join(_OPTION_NAMES)}")
    for key in options:
        if key not in _OPTION_NAMES:
            raise UserError(f"{origin} [calibration]: {key}: unknown key; allowed: "
                            f"{', '.join(_OPTION_NAMES)}")
    confirm = options.get("confirm", 0)
    if isinstance(confirm, bool) or not isinstance(confirm, int) or not 0 <= confirm <= 100_000:
        raise UserError(f"{origin} [calibration]: confirm: got {confirm!r}; allowed: an integer "
                        "in [0, 100000] (replications of the confirmation sweep; 0: none)")
    # Only the experiment's own keys determine the runs: targets are re-scored, never re-run.
    runs_part = {k: v for k, v in data.items() if k not in CALIBRATION_KEYS}
    digest = hashlib.sha256(json.dumps(runs_part, sort_keys=True, default=str).encode()).hexdigest()
    experiment = dataclasses.replace(experiment, sha256=digest)
    return Calibration(experiment, targets, confirm)


def _target(key: str, raw: Any, origin: str) -> Target:
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
    stat = statistic(name, origin=where)
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
        if stat.has_range:  # a validation check: the range the suite declares for it
            from sim.validation.suite import BY_ID

            return Target(key, stat, low=stat.range_low, high=stat.range_high,
                          source=source or BY_ID[stat.name].source)
        raise UserError(f"{where}: no accepted values; allowed: value and tolerance, or low "
                        "and/or high (only a validation check has a range of its own)")
    low, high = numbers.get("low"), numbers.get("high")
    if low is not None and high is not None and not low <= high:
        raise UserError(f"{where}: got low {low:g} > high {high:g}; allowed: low <= high")
    return Target(key, stat, low=low, high=high, source=source)


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where}: {key}: got {value!r}; allowed: a finite number")
    return float(value)
