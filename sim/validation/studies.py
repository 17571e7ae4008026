"""Run the suite's studies through the sweep engine (seeded, parallel, resumable, Dask-capable).

Each study becomes an ordinary experiment file (TOML, plus a CSV of design points), written
into ``DIR/runs/`` beside its results folder so that anyone can rerun it with
``warnsim sweep``. The folder and file names carry a hash of the experiment's text (and of the
run function, when one is injected), so a quick and a full report, or reports for different
parameter sets, keep their runs apart and each resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params import ModelParams
from sim.run import RunResult, RunSpec
from sim.sweep import parse_experiment, run_experiment
from sim.sweep.api import conflict
from sim.validation.suite import Point, Study

RunFn = Callable[[RunSpec], RunResult]
"""A replacement for :func:`sim.run.simulate` (the sweep's ``run_fn``)."""

ROOT_SEED = 8008
"""Root seed of every study: replication k of every design point of every study has the same
seed (common random numbers across studies as well as within them)."""
RUNS = "runs"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A study ready to run: its experiment text, design CSV, results folder and what of the
    validated parameter set it overrides."""

    study: Study
    points: tuple[Point, ...]
    toml: str
    csv: str | None
    folder: Path
    replications: int
    superseded: tuple[str, ...]

    @property
    def runs(self) -> int:
        return max(1, len(self.points)) * self.replications


@dataclass(frozen=True, slots=True)
class Ran:
    prepared: Prepared
    ran: int
    skipped: int
    failed: int
    seconds: float


def prepare(study: Study, base: ModelParams, overrides: Mapping[str, Any], out: Path, *,
            replications: int, run_fn: RunFn | None = None) -> Prepared:
    """The experiment file for ``study`` at the validated parameters ``base``.

    ``overrides`` (the user's ``--set``) go into ``[fixed]`` unless the study fixes or varies
    the same parameter; those are listed in ``superseded``.
    """
    points = study.design(base)
    designed = tuple(points[0].values) if points else ()
    fixed = {k: v for k, v in overrides.items() if k not in designed and k not in study.fixed}
    fixed |= dict(study.fixed)
    superseded = tuple(k for k in overrides if k in designed or k in study.fixed)
    csv = _csv(points) if points else None
    recipe = _toml(study, replications, fixed, None) + (csv or "") + _fn_name(run_fn)
    stem = f"{study.name}-{hashlib.sha256(recipe.encode()).hexdigest()[:10]}"
    body = _toml(study, replications, fixed, None if csv is None else f"{stem}.csv")
    return Prepared(study, points, body, csv, out / RUNS / stem, replications, superseded)


def run(prepared: Prepared, *, workers: int | None, dask: Any, progress: bool,
        run_fn: RunFn | None) -> Ran:
    """Write the experiment files and run (or resume) the sweep into ``prepared.folder``."""
    folder = prepared.folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    toml_path = folder.with_suffix(".toml")
    if prepared.csv is not None:
        _write(folder.with_suffix(".csv"), prepared.csv)
    _write(toml_path, prepared.toml)
    experiment = parse_experiment(prepared.toml, path=toml_path)
    # The folder is named by the study's recipe, so runs that do not fit it were made by
    # another version of the model: validate's own cache (never committed), made again.
    stale = folder.exists() and bool(conflict(experiment, folder))
    if stale and progress:
        print(f"validate: study {prepared.study.name}: its runs in {folder} were made by "
              "another version of the model; running them again", file=sys.stderr, flush=True)
    summary = run_experiment(experiment, out=folder, workers=workers, dask=dask, force=stale,
                             progress=progress, run_fn=run_fn)
    return Ran(prepared, summary.ran, summary.skipped, summary.failed, summary.seconds)


def _toml(study: Study, replications: int, fixed: Mapping[str, Any], design: str | None) -> str:
    lines = [
        f"# A study of `warnsim validate` (sim/validation/suite.py): {study.question}",
        f"name = {_value('validation-' + study.name)}",
        f"question = {_value(study.question)}",
        'scenario = "default"',
        f"days = {study.days}",
        f"replications = {replications}",
        f"seed = {ROOT_SEED}",
        f"record_warnings = {_value(study.record_warnings)}",
    ]
    if study.record_agents:
        lines.append(f"record_agents = {_value(study.record_agents)}")
    if study.record_every != 1:
        lines.append(f"record_every = {study.record_every}")
    if design is not None:
        lines.append(f"design = {_value(design)}")
    if fixed:
        lines += ["", "[fixed]", *(f"{k} = {_value(v)}" for k, v in fixed.items())]
    return "\n".join(lines) + "\n"


def _csv(points: tuple[Point, ...]) -> str:
    names = list(points[0].values)
    rows = [",".join(names)]
    rows += [",".join(_cell(p.values[n]) for n in names) for p in points]
    return "\n".join(rows) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(getattr(value, "value", value))


def _value(value: Any) -> str:
    """A TOML value: booleans, integers, floats (shortest round-trip form) and strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    return json.dumps(str(getattr(value, "value", value)), ensure_ascii=False)


def _fn_name(run_fn: RunFn | None) -> str:
    if run_fn is None:
        return ""
    return f"{getattr(run_fn, '__module__', '?')}.{getattr(run_fn, '__qualname__', repr(run_fn))}"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def announce(index: int, total: int, prepared: Prepared, quiet: bool) -> None:
    """One line per study on stderr before its sweep (its progress bar follows)."""
    if quiet:
        return
    s = prepared.study
    points = max(1, len(prepared.points))
    print(f"validate: study {index}/{total} {s.name}: {points} design point(s) x "
          f"{prepared.replications} replications of {s.days} days -> {prepared.folder}",
          file=sys.stderr, flush=True)
