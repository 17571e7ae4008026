"""Experiment files: load a TOML file into a frozen, fully validated :class:`Experiment`.

Everything a sweep needs is checked here, before any output folder is touched, so a typo in
the 40th line of an experiment file costs the user one line of error message, not a
half-written results folder. Model parameter keys and values are checked against the single
declaration in :mod:`sim.params`; the experiment's own keys are declared in :data:`KEYS`.

Besides model parameters, ``[fixed]`` and the design take **scenario factors** by dotted name
(``agency.FSB.capability``, ``bloc_rivalry.west:russia``, ``liaison.west:russia``:
:func:`sim.scenarios.factor`), checked
against every scenario the experiment runs, and the design may sweep ``scenario`` itself (built-in
names or scenario files). ``[metrics]`` (:mod:`sim.metrics`) is parsed here too.

Every error is a :class:`~sim.errors.UserError` naming the file, the key and what is allowed.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from sim import files
from sim import params as P
from sim.enums import DoctrineSetting
from sim.errors import UserError
from sim.metrics import UNTRUSTED, Metric, MetricError, parse_metrics
from sim.scenarios import DOTTED, Scenario, check_factor, factor, is_dotted
from sim.sweep.limits import MAX_DESIGN_FILE_BYTES, MAX_POINTS, Size, check_points, check_size


class DesignKind(StrEnum):
    """How the design points of an experiment are chosen."""

    GRID = "grid"  # full factorial over [grid] value lists
    LHS = "lhs"  # Latin hypercube sample over [sample.ranges]
    SOBOL = "sobol"  # Saltelli design (Sobol indices) over [sample.ranges]
    MORRIS = "morris"  # Morris trajectories (elementary effects) over [sample.ranges]
    POINTS = "points"  # explicit table of points from a CSV file


KEYS: dict[str, str] = {
    "name": "a folder-safe name (letters, digits, _ and -); default: the file's stem",
    "question": "the question the experiment answers (text)",
    "scenario": "a scenario name, or the path of a scenario .toml file relative to this file",
    "days": "an integer in [1, 100000]",
    "replications": "an integer in [1, 1000000]",
    "seed": "a non-negative integer (root of every run's seed)",
    "record_warnings": "true or false (default true): write warnings.parquet",
    "record_series": "true or false (default false): write timeseries.parquet",
    "record_agents": "true or false (default false): write agents.parquet, one row per agency "
                     "per day",
    "record_dyads": "true or false (default false): write dyads.parquet, trust and rivalry of "
                    "every ordered pair of agencies per day (large)",
    "record_every": "an integer in [1, 100000] (default 1): record the per-day files "
                    "(timeseries, agents, dyads) every this many days and on the last day; "
                    "set it to `days` to keep each run's final state only",
    "metrics": "a table of name = \"expression\" (or { function = \"module.name\" }): your own "
               "columns of runs.parquet (sim/metrics.py documents the language)",
    "params": "the path of a parameter file (name = value lines, e.g. from `warnsim calibrate`), "
              "relative to this file: the base every run starts from, under [fixed] and the design",
    "fixed": "a table of model parameter overrides applied to every run (also scenario factors "
             "by dotted name: agency.NAME.ATTRIBUTE, bloc_rivalry.BLOC:BLOC, liaison.SIDE:SIDE)",
    "grid": "a table of parameter = [values] or {start, stop, num}; also scenario = [names or "
            "files] and scenario factors by dotted name",
    "sample": "a table with method (lhs or sobol) and n, or method morris with trajectories and "
              "levels; and [sample.ranges]",
    "design": "the path of a CSV file of design points (relative to the experiment file)",
}
"""The top-level keys of an experiment file and what each takes."""

SCENARIO_LEVELS = "a built-in scenario name or the path of a scenario .toml file"

CALIBRATION_KEYS = ("targets", "calibration")
"""Top-level keys of a calibration file (:mod:`sim.calibration`) beyond an experiment's."""
SAMPLED = frozenset({DesignKind.LHS, DesignKind.SOBOL, DesignKind.MORRIS})
"""Design kinds drawn by a sampler over [sample.ranges] (held as a matrix of points)."""
SAMPLE_KEYS = ("method", "n", "ranges", "trajectories", "levels")
MORRIS_LEVELS = 4
"""Default number of levels of a Morris design (Morris 1991; Campolongo et al. 2007 use 4)."""
LINSPACE_KEYS = ("start", "stop", "num")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True, slots=True)
class DesignSpec:
    """The design as written in the file (values checked, not yet expanded into points).

    ``values`` holds the grid's value lists, ``ranges`` the sample's ``[low, high]`` per
    parameter, ``rows`` the CSV's points; only the fields of ``kind`` are filled. For a Morris
    design ``n`` is the number of trajectories and ``levels`` the grid's levels per parameter.
    """

    kind: DesignKind
    values: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    ranges: tuple[tuple[str, float, float], ...] = ()
    n: int | None = None
    rows: tuple[tuple[Any, ...], ...] = ()
    columns: tuple[str, ...] = ()
    file: str | None = None
    file_sha256: str | None = None
    file_text: str | None = None
    levels: int | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        """The swept parameters, in the file's order."""
        if self.kind is DesignKind.GRID:
            return tuple(name for name, _ in self.values)
        if self.kind is DesignKind.POINTS:
            return self.columns
        return tuple(name for name, _, _ in self.ranges)

    @property
    def points(self) -> int:
        """How many design points the design expands into (computed, not built)."""
        if self.kind is DesignKind.GRID:
            return math.prod(len(vals) for _, vals in self.values)
        if self.kind is DesignKind.POINTS:
            return len(self.rows)
        assert self.n is not None
        if self.kind is DesignKind.SOBOL:
            return self.n * (len(self.ranges) + 2)
        if self.kind is DesignKind.MORRIS:
            return self.n * (len(self.ranges) + 1)
        return self.n


@dataclass(frozen=True, slots=True)
class ScenarioSource:
    """A scenario an experiment runs: ``label`` is what results record (a built-in name, or a
    file's path as written in the experiment file, normalised); a file also has its absolute
    ``path``, its ``sha256`` (a changed file changes the results) and its ``text`` (for the
    manifest)."""

    label: str
    path: Path | None = None
    sha256: str | None = None
    text: str | None = None

    @property
    def load(self) -> str:
        """What :func:`sim.scenarios.load_scenario` takes."""
        return str(self.path) if self.path is not None else self.label


@dataclass(frozen=True, slots=True)
class Experiment:
    """A validated experiment: what to run, how often and with which root seed.

    ``text`` and ``sha256`` are the experiment file's exact text and hash (recorded in the
    manifest and used to refuse mixing results of a changed file into an old folder);
    ``scenario_text`` is a scenario file's text (None for a built-in scenario), recorded in the
    manifest with the design CSV's text so a results folder documents its own inputs.

    ``scenario`` is what results record (the ``scenario`` column, the manifest): a built-in
    name, or a scenario file's path as written in the experiment file, normalised and relative
    to it, so it does not depend on the directory a sweep is started from;
    ``scenario_path`` is where that file is (absolute), for loading it. ``params_file`` is the
    parameter file named by ``params`` (as written); its values are already in ``fixed``
    (under the file's own [fixed] values and the design's), so results record them.

    ``scenario_levels`` are the scenarios a design sweeping ``scenario`` runs (then the
    top-level ``scenario`` is unused); ``fixed_factors`` the scenario factors (dotted names)
    set in ``[fixed]``; ``metrics`` the ``[metrics]``; ``agencies`` the most agencies of any
    scenario the experiment runs (for the size of ``dyads.parquet``).
    """

    name: str
    question: str
    scenario: str
    days: int
    replications: int
    seed: int
    fixed: Mapping[str, Any]
    design: DesignSpec
    record_warnings: bool = True
    record_series: bool = False
    path: Path | None = None
    scenario_sha256: str | None = None
    scenario_text: str | None = None
    text: str = ""
    sha256: str = ""
    scenario_path: Path | None = None
    record_agents: bool = False
    record_dyads: bool = False
    record_every: int = 1
    scenario_levels: tuple[ScenarioSource, ...] = ()
    fixed_factors: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    agencies: int = 0
    params_file: str | None = None

    @property
    def sources(self) -> tuple[ScenarioSource, ...]:
        """Every scenario the runs use: the swept levels, or the top-level scenario."""
        return self.scenario_levels or (ScenarioSource(self.scenario, self.scenario_path,
                                                       self.scenario_sha256, self.scenario_text),)

    @property
    def code(self) -> tuple[Metric, ...]:
        """The metrics that run Python code (``{ function = ... }``)."""
        return tuple(m for m in self.metrics if m.runs_code)

    def trusting(self) -> Experiment:
        """This experiment allowed to run its metrics' code (``--trust-code``): each function
        is imported now, so a missing module or name is one line before anything is written."""
        try:
            return dataclasses.replace(self, metrics=tuple(m.trust() for m in self.metrics))
        except MetricError as exc:
            raise UserError(f"{self.origin}: {exc}") from None

    def check_trusted(self) -> None:
        """Refuse to run code the user has not opted in to (one line naming the metric)."""
        for m in self.code:
            if not m.trusted:
                raise UserError(f"{self.origin}: metrics.{m.name}: {UNTRUSTED.format(m.function)}")

    @property
    def factors(self) -> tuple[str, ...]:
        """The scenario factors set or swept (dotted names), each a column of runs.parquet."""
        return tuple(dict.fromkeys([*self.fixed_factors,
                                    *(p for p in self.design.parameters if is_dotted(p))]))

    @property
    def origin(self) -> str:
        """The experiment file as the user typed it (for messages)."""
        return str(self.path) if self.path else f"experiment {self.name!r}"

    @property
    def file(self) -> str | None:
        """The experiment file's absolute path (for the manifest: typed paths vary)."""
        return str(self.path.resolve()) if self.path else None

    @property
    def size(self) -> Size:
        d = self.design
        return Size(points=d.points, parameters=len(d.parameters),
                    replications=self.replications, days=self.days,
                    record_series=self.record_series,
                    sampled=d.kind in SAMPLED,
                    csv=d.kind is DesignKind.POINTS,
                    agents=self.agencies if self.record_agents else 0,
                    dyads=self.agencies * (self.agencies - 1) if self.record_dyads else 0,
                    every=self.record_every)

    def shrunk(self, *, days: int | None = None, replications: int | None = None,
               n: int | None = None) -> Experiment:
        """A smaller copy for smoke tests and trials: fewer days, replications or sample rows.

        The copy's :meth:`describe` (and so its output fingerprint) differs from the original,
        so a shrunk trial never resumes into, or is mixed with, the full experiment's results.
        """
        design = self.design
        if n is not None and design.kind in SAMPLED:
            design = dataclasses.replace(design, n=_check_n(design.kind, n, self.origin))
        copy = dataclasses.replace(
            self,
            days=self.days if days is None else _int_in("days", days, 1, 100_000, self.origin),
            replications=self.replications if replications is None
            else _int_in("replications", replications, 1, 1_000_000, self.origin),
            design=design,
        )
        check_size(copy.size, self.origin)
        return copy

    def describe(self) -> dict[str, Any]:
        """The parsed experiment as plain JSON-ready data (for the manifest and fingerprint).
        What older experiment files cannot say (swept scenarios, agents and dyads, metrics) is
        added only when used, so their fingerprints stay what they were."""
        out: dict[str, Any] = {
            "name": self.name,
            "question": self.question,
            "scenario": ([s.label for s in self.scenario_levels] if self.scenario_levels
                         else self.scenario),
            "days": self.days,
            "replications": self.replications,
            "seed": self.seed,
            "fixed": {k: plain(v) for k, v in {**self.fixed, **self.fixed_factors}.items()},
            "record_warnings": self.record_warnings,
            "record_series": self.record_series,
        }
        for key in ("record_agents", "record_dyads"):
            if getattr(self, key):
                out[key] = True
        if self.record_every != 1:
            out["record_every"] = self.record_every
        if self.metrics:
            out["metrics"] = {m.name: {"function": m.function} if m.function else m.text
                              for m in self.metrics}
        if self.params_file:
            out["params"] = self.params_file
        return out


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; raise :class:`UserError` on any problem."""
    path = Path(path)
    return parse_experiment(read_text(path, "experiment file"), path=path)


def read_text(path: Path, what: str) -> str:
    """A UTF-8 TOML file's contents, read within :attr:`~sim.files.Cap.TOML`; a missing,
    special, oversized or unreadable file is one :class:`UserError`."""
    return files.read_text(path, cap=files.Cap.TOML, what=what)


def parse_experiment(text: str, *, path: Path | None = None, name: str | None = None,
                     extra: tuple[str, ...] = ()) -> Experiment:
    """Validate experiment TOML ``text``; ``path`` (if any) names it in messages and anchors
    a relative ``design`` CSV path. Top-level keys in ``extra`` are left to the caller (a
    calibration file's ``targets``, say)."""
    origin = str(path) if path else "<experiment>"
    data = files.parse_toml(text, origin=origin)
    data = {k: v for k, v in data.items() if k not in extra}
    for key in data:
        if key not in KEYS:
            hint = ""
            if key in P.PARAMETERS:
                hint = " (model parameters go under [fixed], [grid] or [sample.ranges])"
            elif key in CALIBRATION_KEYS:
                hint = " (a calibration file: run `warnsim calibrate FILE`)"
            raise UserError(
                f"{origin}: {key}: unknown key{hint}; allowed: {', '.join(KEYS)}"
            )
    default_name = name or (path.stem if path else None)
    exp_name = _text(data, "name", origin, default=default_name)
    if not exp_name or not _NAME.match(exp_name):
        raise UserError(f"{origin}: name: got {exp_name!r}; allowed: {KEYS['name']}")
    top_scenario = _text(data, "scenario", origin, default="default")  # checked unless swept
    factors = _Factors(path, origin)
    where_fixed = f"{origin} [fixed]"
    fixed = _flatten(_table(data, "fixed", origin), where_fixed)
    if "scenario" in fixed:
        raise UserError(f"{where_fixed}: scenario: not a model parameter; allowed: the top-level "
                        "key scenario = \"NAME\", or scenario in [grid] or a design CSV")
    fixed_values = P.check_mapping({k: v for k, v in fixed.items() if not is_dotted(k)},
                                   origin=where_fixed)
    fixed_factors = {k: factors.spec(k, where_fixed).coerce(v, origin=where_fixed)
                     for k, v in fixed.items() if is_dotted(k)}
    params_file = _params_file(data, path, origin)
    design_keys = [k for k in ("grid", "sample", "design") if k in data]
    if len(design_keys) > 1:
        raise UserError(
            f"{origin}: {', '.join(design_keys)}: use only one of [grid], [sample] or design"
        )
    kind = design_keys[0] if design_keys else "grid"
    if kind == "grid":
        design = _grid(_flatten(_table(data, "grid", origin), f"{origin} [grid]"), origin,
                       factors)
    elif kind == "sample":
        design = _sample(_table(data, "sample", origin), origin, factors)
    else:
        design = _points(data["design"], path, origin, factors)
    fixed_keys = {_same(k): k for k in (*fixed_values, *fixed_factors)}
    for swept in design.parameters:
        if _same(swept) in fixed_keys:
            raise UserError(
                f"{origin}: {swept}: set both in [fixed] and in the design; keep one"
            )
    if params_file is not None:  # the file is the base: [fixed] and the design override it
        fixed_values = {**{k: v for k, v in params_file.values.items()
                           if k not in design.parameters}, **fixed_values}
    if factors.levels and "scenario" in data:
        raise UserError(f"{origin}: scenario: set both at the top level and in the design; "
                        "keep one")
    scenarios = dict(factors.levels) if factors.levels else dict(
        [_scenario(top_scenario, path, origin)])
    scenario, (scenario_source, _) = next(iter(scenarios.items()))
    factors.check(scenarios, fixed_values, design.parameters)
    metrics = _metrics(data.get("metrics", {}), scenarios, origin)
    experiment = Experiment(
        name=exp_name,
        question=_text(data, "question", origin, default=""),
        scenario=scenario,
        days=_int_in("days", data.get("days", 365), 1, 100_000, origin),
        replications=_int_in("replications", data.get("replications", 1), 1, 1_000_000, origin),
        seed=_int_in("seed", data.get("seed", 0), 0, 2**63 - 1, origin),
        fixed=fixed_values,
        design=design,
        record_warnings=_flag(data, "record_warnings", True, origin),
        record_series=_flag(data, "record_series", False, origin),
        path=path,
        scenario_sha256=None if factors.levels else scenario_source.sha256,
        scenario_text=None if factors.levels else scenario_source.text,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        scenario_path=None if factors.levels else scenario_source.path,
        record_agents=_flag(data, "record_agents", False, origin),
        record_dyads=_flag(data, "record_dyads", False, origin),
        record_every=_int_in("record_every", data.get("record_every", 1), 1, 100_000, origin),
        scenario_levels=tuple(source for source, _ in factors.levels.values()),
        fixed_factors=fixed_factors,
        metrics=metrics,
        agencies=max(s.size for _, s in scenarios.values()),
        params_file=None if params_file is None else _label(data["params"]),
    )
    check_size(experiment.size, origin)
    return experiment


def _params_file(data: Mapping[str, Any], path: Path | None, origin: str) -> Any:
    """The parameter file named by ``params`` (None without one), read and checked."""
    from sim.paramfile import read_params

    if "params" not in data:
        return None
    value = data["params"]
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{origin}: params: got {value!r}; allowed: {KEYS['params']}")
    file = Path(value)
    if not file.is_absolute() and path is not None:
        file = path.parent / file
    return read_params(file)


# --- the three design forms -----------------------------------------------------------------


def _grid(table: Mapping[str, Any], origin: str, factors: _Factors) -> DesignSpec:
    where = f"{origin} [grid]"
    # The product of the axes' lengths first: three 100,000-value axes are refused before
    # 300,000 values are made.
    check_points(math.prod(_int_in(f"{key}.num", raw.get("num"), 1, 100_000, where)
                           if isinstance(raw, Mapping) and "num" in raw
                           else len(raw) if isinstance(raw, list) else 1
                           for key, raw in table.items()), origin)
    values: list[tuple[str, tuple[Any, ...]]] = []
    for key, raw in table.items():
        spec = factors.spec(key, where)
        if isinstance(raw, Mapping):
            items = _linspace(spec, raw, where)
        elif isinstance(raw, list) and raw:
            items = [spec.coerce(v, origin=where) for v in raw]
        else:
            raise UserError(
                f"{where}: {key}: got {raw!r}; allowed: a non-empty list of values "
                f"({spec.allowed()}) or {{start, stop, num}}"
            )
        if len(set(items)) != len(items):
            raise UserError(f"{where}: {key}: duplicate values in {raw!r}")
        values.append((key, tuple(items)))
    return DesignSpec(kind=DesignKind.GRID, values=tuple(values))


def _linspace(spec: P.Param | _ScenarioLevels, raw: Mapping[str, Any],
              where: str) -> list[Any]:
    if set(raw) != set(LINSPACE_KEYS):
        raise UserError(
            f"{where}: {spec.name}: got keys {sorted(raw)}; allowed: exactly start, stop, num"
        )
    if not spec.is_numeric:
        raise UserError(f"{where}: {spec.name}: start/stop/num needs a numeric parameter; "
                        f"list the values instead ({spec.allowed()})")
    assert isinstance(spec, P.Param)
    num = _int_in(f"{spec.name}.num", raw["num"], 1, 100_000, where)
    start = spec.coerce(raw["start"], origin=where)
    stop = spec.coerce(raw["stop"], origin=where)
    if num == 1:
        return [start]
    step = (stop - start) / (num - 1)
    # Endpoints exact; interior points rounded to 12 significant digits so 0.1-steps print
    # as 0.1, 0.2, ... in tables and file names rather than 0.30000000000000004.
    return [spec.coerce(start if i == 0 else stop if i == num - 1
                        else float(f"{start + i * step:.12g}"), origin=where)
            for i in range(num)]


def _sample(table: Mapping[str, Any], origin: str, factors: _Factors) -> DesignSpec:
    where = f"{origin} [sample]"
    for key in table:
        if key not in SAMPLE_KEYS:
            raise UserError(f"{where}: {key}: unknown key; allowed: {', '.join(SAMPLE_KEYS)}")
    method = table.get("method")
    kinds = {k.value for k in SAMPLED}
    if method not in kinds:
        raise UserError(f"{where}: method: got {method!r}; allowed: lhs, sobol, morris")
    kind = DesignKind(method)
    size_key, other = (("trajectories", "n") if kind is DesignKind.MORRIS
                       else ("n", "trajectories"))
    for key in (other, *(("levels",) if kind is not DesignKind.MORRIS else ())):
        if key in table:
            raise UserError(f"{where}: {key}: not an option of method {method}; allowed: "
                            + ("trajectories, levels" if kind is DesignKind.MORRIS else "n"))
    if size_key not in table:
        example = "trajectories = 20" if kind is DesignKind.MORRIS else "n = 256"
        what = "the number of Morris trajectories" if kind is DesignKind.MORRIS else "the base sample size"
        raise UserError(f"{where}: {size_key}: missing; allowed: {what}, e.g. {example}")
    n = _check_n(kind, table[size_key], where)
    levels = None
    if kind is DesignKind.MORRIS:
        levels = _int_in("levels", table.get("levels", MORRIS_LEVELS), 2, 1000, where)
        if levels % 2:
            raise UserError(f"{where}: levels: got {levels}; allowed: an even integer of at "
                            "least 2 (with an odd number the steps are not balanced: Morris 1991)")
    raw_ranges = table.get("ranges")
    if not isinstance(raw_ranges, Mapping) or not raw_ranges:
        raise UserError(f"{where}: ranges: missing or empty; allowed: a table [sample.ranges] "
                        "of name = [low, high]")
    where_r = f"{origin} [sample.ranges]"
    ranges: list[tuple[str, float, float]] = []
    for key, pair in _flatten(raw_ranges, where_r).items():
        if key == "scenario":
            raise UserError(f"{where_r}: scenario: a sample draws numbers; allowed: scenarios "
                            "in [grid] or a design CSV")
        spec = factors.spec(key, where_r)
        assert isinstance(spec, P.Param)
        if not spec.is_numeric:
            raise UserError(f"{where_r}: {key}: only numeric parameters can be sampled; "
                            f"put it in [fixed] ({spec.allowed()})")
        if not (isinstance(pair, list) and len(pair) == 2):
            raise UserError(f"{where_r}: {key}: got {pair!r}; allowed: [low, high] within "
                            f"{spec.allowed()}")
        low, high = (spec.coerce(v, origin=where_r) for v in pair)
        if not low < high:
            raise UserError(f"{where_r}: {key}: got [{low}, {high}]; allowed: [low, high] "
                            f"with low < high within {spec.allowed()}")
        if levels is not None and spec.kind is int and high - low < levels - 1:
            raise UserError(f"{where_r}: {key}: got [{low}, {high}], {high - low + 1} integers "
                            f"for {levels} levels; allowed: an integer range of at least "
                            f"{levels} values (or fewer levels)")
        ranges.append((key, low, high))
    return DesignSpec(kind=kind, ranges=tuple(ranges), n=n, levels=levels)


def _check_n(kind: DesignKind, value: Any, where: str) -> int:
    if kind is DesignKind.MORRIS:
        return _int_in("trajectories", value, 2, 1_000_000, where)
    n = _int_in("n", value, 1, 10_000_000, where)
    if kind is DesignKind.SOBOL and (n < 2 or n & (n - 1)):
        raise UserError(f"{where}: n: got {n}; allowed: a power of 2 of at least 2 for sobol "
                        "(Sobol' points lose their balance otherwise), e.g. 256")
    return n


def _points(value: Any, path: Path | None, origin: str, factors: _Factors) -> DesignSpec:
    """A design CSV. Every design point once: a repeated row would be run with the same seeds
    (common random numbers), giving identical results counted twice; more runs per point come
    from ``replications``. Numbers in ASCII digits only (Python's ``float`` also reads
    full-width digits such as U+FF10..U+FF19, which no spreadsheet writes on purpose)."""
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{origin}: design: got {value!r}; allowed: {KEYS['design']}")
    csv_path, raw = _read_beside(value, path, "design", origin, cap=MAX_DESIGN_FILE_BYTES)
    where = str(csv_path)
    try:
        text = raw.decode("utf-8")
        physical = text.removeprefix("\ufeff").splitlines()
        if sum(1 for line in physical if line.strip()) > MAX_POINTS + 1:  # + the header
            raise UserError(f"{where}: design too large: more than {MAX_POINTS:,} rows; "
                            f"allowed: at most {MAX_POINTS:,} design points")
        lines = csv.reader(physical)
        header = next((row for row in lines if any(cell.strip() for cell in row)), None)
        if header is None:
            raise UserError(f"{where}: needs a header of parameter names and at least one row")
        columns = tuple(c.strip() for c in header)
        specs = [factors.spec(c, f"{where} header") for c in columns]
        if len(set(columns)) != len(columns):
            raise UserError(f"{where} header: duplicate column names in {list(columns)}")
        rows: list[tuple[Any, ...]] = []
        first_line: dict[tuple[Any, ...], int] = {}
        for row in lines:
            if not any(cell.strip() for cell in row):
                continue
            number = lines.line_num
            if len(row) != len(columns):
                raise UserError(f"{where} line {number}: got {len(row)} values; allowed: "
                                f"{len(columns)} (one per header column)")
            parsed = tuple(_cell(s, cell, f"{where} line {number}")
                           for s, cell in zip(specs, row, strict=True))
            if parsed in first_line:
                raise UserError(f"{where} line {number}: repeats line {first_line[parsed]}; "
                                "allowed: each design point once (more runs of a point: "
                                "replications)")
            first_line[parsed] = number
            rows.append(parsed)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{where}: malformed CSV: {exc}") from None
    if not rows:
        raise UserError(f"{where}: needs a header of parameter names and at least one row")
    return DesignSpec(kind=DesignKind.POINTS, rows=tuple(rows), columns=columns,
                      file=_label(value), file_sha256=hashlib.sha256(raw).hexdigest(),
                      file_text=text)


def _cell(spec: P.Param | _ScenarioLevels, cell: str, where: str) -> Any:
    if not cell.isascii() and spec.name != "scenario":
        raise UserError(f"{where}: {spec.name}: got {cell.strip()!r}; allowed: "
                        f"{spec.allowed()}, in ASCII characters")
    return spec.parse(cell, origin=where)


# --- small typed getters ----------------------------------------------------------------------


def _text(data: Mapping[str, Any], key: str, origin: str, *, default: str | None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise UserError(f"{origin}: {key}: got {value!r}; allowed: {KEYS[key]}")
    return value


def _table(data: Mapping[str, Any], key: str, origin: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise UserError(f"{origin}: {key}: got {value!r}; allowed: {KEYS[key]}")
    return value


def _flag(data: Mapping[str, Any], key: str, default: bool, origin: str) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise UserError(f"{origin}: {key}: got {value!r}; allowed: {KEYS[key]}")
    return value


def _int_in(key: str, value: Any, low: int, high: int, origin: str) -> int:
    """An integer key. A float with an integer value (``days = 30.0``, ``n = 1e4``) is that
    integer, as for integer model parameters; beyond 2**53 a float is not exact, so refused."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if (isinstance(value, float) and math.isfinite(value) and value.is_integer()
            and abs(value) <= 2**53):
        value, ok = int(value), True
    if not ok or not low <= value <= high:
        raise UserError(f"{origin}: {key}: got {value!r}; allowed: an integer in [{low}, {high}]")
    return value


def _read_beside(name: str, path: Path | None, key: str, origin: str,
                 cap: int) -> tuple[Path, bytes]:
    """A file named in the experiment file, relative to it, with its bytes (for the hash),
    read within ``cap`` bytes (:func:`sim.files.read_bytes`)."""
    file = Path(name)
    if not file.is_absolute() and path is not None:
        file = path.parent / file
    try:
        return file, files.read_bytes(file, cap=cap, what=f"{key} file")
    except files.Unreadable as exc:
        if exc.problem.startswith("no such"):
            raise UserError(f"{origin}: {key}: no such file {str(file)!r}") from None
        raise UserError(f"{origin}: {key}: {str(file)!r} {exc.problem}") from None


def _label(name: str) -> str:
    """A path as written in the experiment file, normalised (``./a/../b.csv`` is ``b.csv``):
    what results record, the same whatever directory the sweep runs from."""
    return Path(os.path.normpath(name)).as_posix()


def _scenario(name: str, path: Path | None,
              origin: str) -> tuple[str, tuple[ScenarioSource, Scenario]]:
    """A built-in scenario name, or a scenario file (relative to the experiment file), checked
    now and returned as its label (see :class:`Experiment`), its source and the scenario."""
    from sim.scenarios import load_scenario, parse_scenario, scenario_names

    if name.endswith(".toml"):
        file, raw = _read_beside(name, path, "scenario", origin, cap=files.Cap.TOML)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(f"{origin}: scenario: {str(file)!r} is not UTF-8 text: {exc}") from None
        scenario = parse_scenario(text, origin=str(file))
        label = _label(name)
        return label, (ScenarioSource(label, file.resolve(), hashlib.sha256(raw).hexdigest(),
                                      text), scenario)
    names = scenario_names()
    if name not in names:
        raise UserError(f"{origin}: scenario: got {name!r}; allowed: {', '.join(names)} "
                        "or the path of a scenario .toml file")
    return name, (ScenarioSource(name), load_scenario(name))


# --- scenario factors ------------------------------------------------------------------------


class _ScenarioLevels:
    """``scenario`` as a design factor, in the place of a parameter declaration: each value is
    a built-in name or a scenario file (relative to the experiment file), kept as a level."""

    name = "scenario"
    is_numeric = False

    def __init__(self, factors: _Factors) -> None:
        self.factors = factors

    def allowed(self) -> str:
        return SCENARIO_LEVELS

    def coerce(self, value: Any, *, origin: str | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{origin}: scenario: got {value!r}; allowed: {SCENARIO_LEVELS}")
        label, found = _scenario(value.strip(), self.factors.path,
                                 origin or self.factors.origin)
        self.factors.levels.setdefault(label, found)
        return label

    def parse(self, text: str, *, origin: str | None = None) -> str:
        return self.coerce(text, origin=origin)


class _Factors:
    """What the names in ``[fixed]`` and the design mean: a model parameter, ``scenario``
    (its levels are collected) or a dotted scenario factor (where it was met is kept, to name
    it when :meth:`check` finds a scenario without its agency or blocs)."""

    def __init__(self, path: Path | None, origin: str) -> None:
        self.path, self.origin = path, origin
        self.levels: dict[str, tuple[ScenarioSource, Scenario]] = {}
        self.dotted: dict[str, str] = {}

    def spec(self, name: str, where: str) -> P.Param | _ScenarioLevels:
        if name == "scenario":
            return _ScenarioLevels(self)
        if "." in name and not is_dotted(name):
            raise P.ParameterError(name, "unknown name; allowed: a model parameter (`warnsim "
                                   f"params` lists them), scenario or {DOTTED}", origin=where)
        if not is_dotted(name):
            return P.get(name, origin=where)
        try:
            declared = factor(name)
        except P.ParameterError as exc:
            raise P.ParameterError(name, exc.problem, origin=where) from None
        self.dotted.setdefault(name, where)
        return declared

    def check(self, scenarios: Mapping[str, tuple[ScenarioSource, Scenario]],
              fixed: Mapping[str, Any], swept: tuple[str, ...]) -> None:
        """Refuse a dotted factor that a scenario of the experiment cannot take, the same
        factor twice (``bloc_rivalry.a:b`` is ``bloc_rivalry.b:a``; so for ``liaison``), and
        an agency's doctrine while the parameter ``doctrine`` imposes one on every agency in
        every run."""
        seen: dict[str, str] = {}
        for name, where in self.dotted.items():
            if _same(name) in seen and seen[_same(name)] != name:
                raise UserError(f"{where}: {name}: the same factor as {seen[_same(name)]}; "
                                "keep one")
            seen[_same(name)] = name
            for label, (_, scenario) in scenarios.items():
                try:
                    check_factor(name, scenario, label=label)
                except P.ParameterError as exc:
                    raise P.ParameterError(name, exc.problem, origin=where) from None
            imposed = fixed.get("doctrine", P.PARAMETERS["doctrine"].default)
            if (name.endswith(".doctrine") and "doctrine" not in swept
                    and imposed is not DoctrineSetting.SCENARIO):
                raise UserError(f"{where}: {name}: no effect while the parameter doctrine = "
                                f"{imposed.value!r} imposes one doctrine on every agency; "
                                "allowed: with doctrine = \"scenario\" (the default)")


def _flatten(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A table's keys with scenario factors written as TOML dotted keys
    (``agency.FSB.capability = ...`` is ``{"agency": {"FSB": {"capability": ...}}}`` to TOML)
    joined back into their dotted names; a name given twice is refused."""
    out: dict[str, Any] = {}

    def add(key: str, value: Any) -> None:
        if key in out:
            raise UserError(f"{where}: {key}: given twice; keep one")
        out[key] = value

    for key, value in table.items():
        if key == "agency" and isinstance(value, Mapping):
            for agency, traits in value.items():
                if not isinstance(traits, Mapping):
                    raise UserError(f"{where}: agency.{agency}: got {traits!r}; allowed: "
                                    f"{DOTTED}")
                for trait, v in traits.items():
                    add(f"agency.{agency}.{trait}", v)
        elif key in ("bloc_rivalry", "liaison") and isinstance(value, Mapping):
            for pair, v in value.items():
                add(f"{key}.{pair}", v)
        else:
            add(key, value)
    return out


def _same(name: str) -> str:
    """One spelling per factor: a bloc (or liaison) pair in sorted order."""
    prefix, dot, pair = name.partition(".")
    if dot and prefix in ("bloc_rivalry", "liaison"):
        return f"{prefix}." + ":".join(sorted(pair.split(":")))
    return name


def _metrics(table: Any, scenarios: Mapping[str, tuple[ScenarioSource, Scenario]],
             origin: str) -> tuple[Metric, ...]:
    """``[metrics]``, checked now: an agency a metric names must be in every scenario run."""
    if isinstance(table, Mapping) and not table:
        return ()
    from sim.sweep.tables import META

    reserved = (*META, "days", "scenario", *P.PARAMETERS, "status", "error")
    parsed: list[tuple[Metric, ...]] = []
    for label, (_, scenario) in scenarios.items():
        try:
            parsed.append(parse_metrics(table, agencies=[a.name for a in scenario.agencies],
                                        reserved=reserved))
        except MetricError as exc:
            which = f" (scenario {label!r})" if len(scenarios) > 1 else ""
            raise UserError(f"{origin}: {exc}{which}") from None
    return parsed[0]


def declaration(name: str) -> P.Param:
    """The declaration of a numeric or categorical factor: a model parameter, or a dotted
    scenario factor (type and range)."""
    return factor(name) if is_dotted(name) else P.PARAMETERS[name]


def plain(value: Any) -> Any:
    """An Enum as its string value (for JSON and tables), anything else as it is."""
    return value.value if isinstance(value, Enum) else value
