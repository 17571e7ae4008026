"""Which registered checks the model meets somewhere in the calibration's prior box, and which
it meets nowhere there (``warnsim attainability``).

When the calibrated posterior does not validate, the question becomes whether any parameter
values would. This study answers it as far as a finite design can: it evaluates **every check
of the validation suite** (the same studies, statistics and verdict rule as ``warnsim
validate``, through :func:`sim.validation.api.measure`; nothing is re-implemented) at

* a Latin hypercube of ``n`` points over the box the calibration file's ``[sample.ranges]``
  declare (its prior; drawn by the sweep engine's own sampler, :func:`sim.sweep.design.
  build_design`, from ``numpy.random.SeedSequence(seed)``; the seed is recorded),
* the model's defaults (``defaults``) and
* the calibration's posterior medians (``posterior_median``, read from its
  ``tables/posterior_median.toml``),

with the calibration file's ``[fixed]`` values at every point. The sampled points run the
studies' reduced (``--quick``) replications unless told otherwise; the defaults and the
posterior medians run the full report's (:class:`References`), so that their verdicts, which
the report compares to say what the calibration changed, are as sure as the report's own (at
the defaults they are the committed report's numbers, seed for seed). Every study keeps its
root seed (replication k has the same seed at every point), so points differ by their
parameters, not by their draws.

The pipeline is one way. The runner (:func:`run`) writes each point's ``validation.json``
(and its ``point.json``, which marks it done, so a rerun resumes point by point); the study's
tables (:func:`tabulate`, :func:`summarise`) read those files only; the validation report's
calibration section reads the tables. Written into ``DIR`` (default ``results/attainability``):

* ``points/<point>/validation.json``, ``point.json`` (the studies' runs are deleted once a
  point is measured: its statistics are in the JSON);
* ``tables/attainability.{csv,md,tex}``: per check, its range, the least and greatest value
  over the points, at how many points the verdict is within, at how many the 95% interval
  reaches the range, the verdicts at the defaults and the posterior medians, and the finding;
* ``tables/attainability_points.csv``: every check at every point (long form);
* ``tables/attainability_design.csv``: the points; ``tables/attainability.json``: what made
  it (seed, sizes, files and their hashes, git commit, run time).

**The finding is about the points evaluated**, not about every parameter value: a check met
at none of them is "met at none of the N points evaluated in the prior box", which a finer
design or another region could still contradict; a check met at some is met there at reduced
replications (its interval column says how sure).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.params import PARAMETERS, ModelParams
from sim.validation.report import NOT_APPLICABLE, WITHIN, counted

DEFAULT_OUT = Path("results/attainability")
DEFAULT_POINTS = 24
DEFAULT_SEED = 1818
"""Root of the design's SeedSequence (recorded in ``tables/attainability.json``)."""
DEFAULTS, POSTERIOR, SAMPLED = "defaults", "posterior_median", "lhs"
TABLE, POINTS_TABLE, DESIGN_TABLE, MANIFEST = ("attainability", "attainability_points",
                                               "attainability_design", "attainability.json")
POINT_FILE = "point.json"
MET, NOWHERE = "met somewhere in the box", "met nowhere in the box"


class References(StrEnum):
    """How many replications the defaults and the posterior medians get."""

    FULL = "full"  # the full report's (``warnsim validate``): their verdicts are compared
    SAME = "same"  # the sampled points' (a trial, or a test)


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """One point of the study: its id (the folder name), kind and parameter values (the
    calibrated parameters and the calibration file's fixed values)."""

    id: str
    kind: str
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Options:
    calibration: Path
    out: Path = DEFAULT_OUT
    points: int = DEFAULT_POINTS
    seed: int = DEFAULT_SEED
    replications: int | None = None
    references: References = References.FULL
    posterior: Path | None = None
    workers: int | None = None
    progress: bool = True
    force: bool = False
    only: tuple[str, ...] = ()
    """Check ids to evaluate (empty: every check of the suite)."""
    run_fn: Any = None


@dataclass(frozen=True, slots=True)
class Outcome:
    summary: pd.DataFrame
    out: Path
    seconds: float
    ran: int
    resumed: int
    failed_runs: int


# --- the design --------------------------------------------------------------------------------

def posterior_file(name: str) -> Path:
    """Where ``warnsim calibrate FILE`` writes the posterior medians of the calibration
    ``name`` (its default folder, ``results/<name>/``)."""
    return Path("results") / name / "tables" / "posterior_median.toml"


def design(calibration: Any, *, n: int, seed: int,
           posterior: Mapping[str, Any]) -> tuple[DesignPoint, ...]:
    """The defaults, the posterior medians and ``n`` Latin-hypercube points of the box of
    ``calibration``'s ``[sample.ranges]``, each with the file's ``[fixed]`` values."""
    from sim.sweep.design import build_design

    e = calibration.experiment
    spec = dataclasses.replace(e.design, n=n)
    sampled = build_design(dataclasses.replace(e, design=spec, seed=seed))
    names = tuple(spec.parameters)
    fixed = dict(e.fixed)
    missing = [p for p in names if p not in posterior]
    if missing:
        raise UserError(f"posterior medians: {missing[0]} missing; allowed: a parameter file "
                        f"giving every calibrated parameter ({', '.join(names)})")
    defaults = ModelParams()
    points = [DesignPoint(DEFAULTS, DEFAULTS, fixed | {p: getattr(defaults, p) for p in names}),
              DesignPoint(POSTERIOR, POSTERIOR, fixed | {p: posterior[p] for p in names})]
    width = len(str(max(n - 1, 0)))
    points += [DesignPoint(f"{SAMPLED}_{i:0{width}d}", SAMPLED, fixed | sampled.point(i))
               for i in range(n)]
    return tuple(points)


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)
    return value.item() if hasattr(value, "item") else value


# --- the runner ------------------------------------------------------------------------------

def run(options: Options, *, command: str = "") -> Outcome:
    """Measure every point not yet measured with the same recipe, then write the tables."""
    from sim.calibration.config import load_calibration
    from sim.paramfile import read_params
    from sim.validation.api import ValidationOptions, measure
    from sim.validation.report import write_json

    started = time.perf_counter()
    if options.points < 1:
        raise UserError(f"--points: got {options.points}; allowed: an integer of at least 1")
    if options.replications is not None and options.replications < 2:
        raise UserError(f"--replications: got {options.replications}; allowed: an integer >= 2 "
                        "(intervals resample replications)")
    from sim.validation.suite import select

    select(list(options.only))  # unknown ids fail here, before anything runs
    calibration = load_calibration(options.calibration)
    name = calibration.experiment.name
    posterior_path = options.posterior or posterior_file(name)
    if not posterior_path.is_file():
        raise UserError(f"--posterior: {posterior_path} not found; allowed: the posterior "
                        f"medians `warnsim calibrate {options.calibration}` writes, or a "
                        "parameter file given with --posterior FILE")
    posterior = read_params(posterior_path)
    points = design(calibration, n=options.points, seed=options.seed,
                    posterior=posterior.values)
    for p in points:  # every point a valid parameter set before anything runs
        ModelParams.from_mapping(p.values, origin=f"attainability point {p.id}")
    out = Path(options.out)
    recipe = _recipe(options, calibration, posterior, points)
    _check_out(out, recipe, options.force)
    out.mkdir(parents=True, exist_ok=True)
    ran = resumed = failed = 0
    for i, p in enumerate(points, start=1):
        folder = out / "points" / p.id
        key = _key(recipe, p)
        if _done(folder, key):
            resumed += 1
            _say(options, f"attainability: point {i}/{len(points)} {p.id}: measured already "
                 "(resumed)")
            continue
        t0 = time.perf_counter()
        if folder.exists() and not (folder / "runs").is_dir():
            shutil.rmtree(folder)  # an earlier recipe's point: measured afresh
        quick, replications = sizes(options, p)
        if not quick and replications is None:  # over a minute without a line otherwise
            _say(options, f"attainability: point {i}/{len(points)} {p.id}: measuring at the "
                 "full report's replications")
        m = measure(ValidationOptions(
            quick=quick, replications=replications,
            workers=options.workers, overrides=dict(p.values), progress=False,
            only=options.only, run_fn=options.run_fn), folder)
        write_json(m.entries, folder / "validation.json")
        seconds = time.perf_counter() - t0
        ran += 1
        if m.failed_runs:  # not done: a rerun resumes its studies and runs what failed
            failed += m.failed_runs
            _say(options, f"attainability: point {i}/{len(points)} {p.id}: {m.failed_runs} "
                 "runs failed (left out of its statistics; a rerun runs them again)")
            continue
        shutil.rmtree(folder / "runs", ignore_errors=True)
        record = {"key": key, "point": p.id, "kind": p.kind, "quick": quick,
                  "replications": replications,
                  "values": {k: _plain(v) for k, v in p.values.items()},
                  "runs": sum(r.prepared.runs for r in m.ran), "failed_runs": m.failed_runs,
                  "seconds": seconds}
        _write(folder / POINT_FILE, json.dumps(record, indent=2) + "\n")
        within = sum(e["verdict"] == WITHIN for e in m.entries if counted(e))
        total = sum(counted(e) for e in m.entries)
        _say(options, f"attainability: point {i}/{len(points)} {p.id}: {within} of {total} "
             f"validation checks within ({seconds:.0f} s)")
    seconds = time.perf_counter() - started
    manifest = recipe | {"command": command, "git_commit": _git_commit(),
                         "seconds": _seconds(out, points)}
    summary = write_tables(out, points, manifest)
    return Outcome(summary, out, seconds, ran, resumed, failed)


def _seconds(out: Path, points: Sequence[DesignPoint]) -> float:
    """Time spent measuring the points (each point's own record; resuming adds nothing)."""
    total = 0.0
    for p in points:
        try:
            total += json.loads((out / "points" / p.id / POINT_FILE).read_text("utf-8"))["seconds"]
        except (OSError, ValueError, KeyError):
            pass
    return round(total, 1)


def _recipe(options: Options, calibration: Any, posterior: Any,
            points: Sequence[DesignPoint]) -> dict[str, Any]:
    from sim.sweep.code import model_sha256

    spec = calibration.experiment.design
    return {
        "calibration": str(options.calibration),
        "calibration_sha256": calibration.experiment.sha256,
        "ranges": {k: [lo, hi] for k, lo, hi in spec.ranges},
        "fixed": {k: _plain(v) for k, v in calibration.experiment.fixed.items()},
        "design": "Latin hypercube (scipy.stats.qmc via sim.sweep.design) over the ranges, "
                  "plus the defaults and the posterior medians",
        "seed": options.seed, "sampled_points": options.points, "points": len(points),
        "only": list(options.only),
        "replications": options.replications or "quick (each study's --quick replications)",
        "references": options.references.value,
        "posterior": str(posterior.path), "posterior_sha256": posterior.sha256,
        "model_sha256": model_sha256(), "validation_sha256": _validation_sha256(),
    }


def sizes(options: Options, point: DesignPoint) -> tuple[bool, int | None]:
    """``(quick, replications)`` of a point's validation: the full report's for the defaults
    and the posterior medians (unless ``references`` is ``same``), else the sampled points'."""
    if point.kind != SAMPLED and options.references is References.FULL:
        return False, None
    return options.replications is None, options.replications


def sizes_text(recipe: Mapping[str, Any], point: DesignPoint) -> str:
    if point.kind != SAMPLED and recipe["references"] == References.FULL.value:
        return "full"
    return str(recipe["replications"])


def _key(recipe: Mapping[str, Any], point: DesignPoint) -> str:
    """What a point's results depend on: its values, the replications, the model's and the
    validation suite's code. A point with another key is measured again."""
    text = json.dumps({"values": {k: _plain(v) for k, v in point.values.items()},
                       "sizes": sizes_text(recipe, point), "only": recipe["only"],
                       "model": recipe["model_sha256"],
                       "validation": recipe["validation_sha256"]}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _validation_sha256() -> str:
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.py"), *folder.glob("*.toml")]):
        if path.name in ("attainability.py", "report.py", "document.py", "figures.py", "cli.py"):
            continue  # writes reports, does not measure
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _done(folder: Path, key: str) -> bool:
    try:
        record = json.loads((folder / POINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("key") == key and (folder / "validation.json").is_file()


def _check_out(out: Path, recipe: Mapping[str, Any], force: bool) -> None:
    """Write into a new or empty folder or one holding an attainability study. Committed
    tables made with another design (seed, sizes, calibration, posterior) are not replaced
    unless ``force``; the same design regenerates them in place (on a changed model, too)."""
    from sim.validation.api import check_own_folder

    check_own_folder(out, {"points", "tables"}, "an attainability study", "attainability study")
    try:
        earlier = json.loads((out / "tables" / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    design_keys = ("calibration_sha256", "ranges", "fixed", "seed", "sampled_points",
                   "replications", "references", "posterior_sha256", "only")
    changed = [k for k in design_keys if earlier.get(k) != json.loads(json.dumps(recipe[k]))]
    if changed:
        from sim.committed import refuse_replacing

        refuse_replacing([out / "tables"], why=f"another design ({', '.join(changed)} differ)",
                         force=force, instead="choose another folder with --out")


def _say(options: Options, text: str) -> None:
    if options.progress:
        print(text, file=sys.stderr, flush=True)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, timeout=30, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def command_line(options: Options) -> str:
    parts = ["warnsim", "attainability", str(options.calibration)]
    if options.points != DEFAULT_POINTS:
        parts += ["--points", str(options.points)]
    if options.seed != DEFAULT_SEED:
        parts += ["--seed", str(options.seed)]
    if options.replications is not None:
        parts += ["--replications", str(options.replications)]
    if options.references is not References.FULL:
        parts += ["--references", options.references.value]
    if options.posterior is not None:
        parts += ["--posterior", str(options.posterior)]
    if options.only:
        parts += ["--only", ",".join(options.only)]
    if Path(options.out) != DEFAULT_OUT:
        parts += ["--out", str(options.out)]
    return shlex.join(parts)


# --- the statistics: read the points' files ------------------------------------------------------

def tabulate(out: Path, points: Sequence[DesignPoint]) -> pd.DataFrame:
    """Every entry of every point's ``validation.json`` (long form, suite order)."""
    rows = []
    for p in points:
        path = out / "points" / p.id / "validation.json"
        for e in json.loads(path.read_text(encoding="utf-8")):
            if e.get("range_low") is None and e.get("range_high") is None:
                continue  # diagnostics and descriptive entries: no verdict to attain
            rows.append({"point": p.id, "kind": p.kind, "check": e["id"],
                         "role": e.get("role", "validation"), "value": e.get("value"),
                         "ci_low": e.get("ci_low"), "ci_high": e.get("ci_high"),
                         "range_low": e.get("range_low"), "range_high": e.get("range_high"),
                         "verdict": e["verdict"]})
    return pd.DataFrame(rows, columns=["point", "kind", "check", "role", "value", "ci_low",
                                       "ci_high", "range_low", "range_high", "verdict"])


def reaches(row: Mapping[str, Any]) -> bool:
    """Whether the point's 95% interval (or, without one, its value) overlaps the range."""
    lo = -math.inf if _missing(row["range_low"]) else float(row["range_low"])
    hi = math.inf if _missing(row["range_high"]) else float(row["range_high"])
    a, b = row.get("ci_low"), row.get("ci_high")
    if _missing(a) or _missing(b):
        a = b = row.get("value")
    if _missing(a) or _missing(b):
        return False
    return float(a) <= hi and float(b) >= lo


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def summarise(long: pd.DataFrame) -> pd.DataFrame:
    """Per check: its range, the least and greatest value over the points, the points where
    it is within, those whose interval reaches the range, the verdicts at the defaults and
    the posterior medians, and the finding, worded for the points evaluated."""
    rows = []
    n_points = long["point"].nunique()
    for check, g in long.groupby("check", sort=False):
        values = pd.to_numeric(g["value"], errors="coerce").to_numpy(float)
        finite = values[np.isfinite(values)]
        within = int((g["verdict"] == WITHIN).sum())
        defined = int((g["verdict"] != NOT_APPLICABLE).sum())
        reach = int(sum(reaches(r) for r in g.to_dict("records")))
        at = {kind: g.loc[g["kind"] == kind, "verdict"] for kind in (DEFAULTS, POSTERIOR)}
        first = g.iloc[0]
        if within:
            verdict = MET
            finding = f"within at {within} of the {n_points} points evaluated"
        else:
            verdict = f"{NOWHERE} (of {n_points} points)"
            finding = (f"within at none of the {n_points} points evaluated in the prior box"
                       + ("" if defined else "; undefined at every point"))
        rows.append({"check": check, "role": first["role"],
                     "range_low": first["range_low"], "range_high": first["range_high"],
                     "points": n_points, "defined": defined,
                     "lowest": finite.min() if len(finite) else math.nan,
                     "highest": finite.max() if len(finite) else math.nan,
                     "within": within, "reached": reach,
                     "at_defaults": at[DEFAULTS].iloc[0] if len(at[DEFAULTS]) else "",
                     "at_posterior_median": at[POSTERIOR].iloc[0] if len(at[POSTERIOR]) else "",
                     "verdict": verdict, "finding": finding})
    return pd.DataFrame(rows)


def point_counts(long: pd.DataFrame) -> pd.DataFrame:
    """Per point: how many validation checks (role validation) are within and outside."""
    v = long[long["role"] == "validation"]
    out = v.groupby("point", sort=False)["verdict"].agg(
        within=lambda s: int((s == WITHIN).sum()), outside=lambda s: int((s == "outside").sum()))
    kinds = long.drop_duplicates("point").set_index("point")["kind"]
    return out.assign(kind=kinds.reindex(out.index)).reset_index()


NOTES = {
    "check": "the check's id (sim/validation/registry.toml)",
    "role": "validation: counted; by_construction: listed apart",
    "range_low": "lower end of the registered range counted as within (empty: open)",
    "range_high": "upper end (empty: open)",
    "points": "points evaluated (the Latin hypercube's, the defaults and the posterior medians)",
    "defined": "points where the statistic is defined",
    "lowest": "least value over the points", "highest": "greatest value over the points",
    "within": "points where the verdict is within",
    "reached": "points whose 95% interval overlaps the range",
    "at_defaults": "verdict at the defaults", "at_posterior_median": "verdict at the "
    "posterior medians", "verdict": "met somewhere: within at one point or more; met nowhere: "
    "within at none of the points evaluated", "finding": "the same, in words"}
HEADERS = {"check": "Check", "role": "Role", "range_low": "Within from", "range_high":
           "Within to", "points": "Points", "defined": "Defined", "lowest": "Lowest",
           "highest": "Highest", "within": "Within", "reached": "Interval reaches range",
           "at_defaults": "At defaults", "at_posterior_median": "At posterior medians",
           "verdict": "Verdict", "finding": "Finding"}


def write_tables(out: Path, points: Sequence[DesignPoint], manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Read every point's files and write the study's tables (see the module docstring)."""
    from sim.analysis.tables import Table, write_table

    long = tabulate(out, points)
    summary = summarise(long)
    tables = out / "tables"
    n = len(points)
    met = int((summary["within"] > 0).sum())
    write_table(Table(TABLE, f"Registered checks over the calibration's prior box: {n} points "
                      f"({manifest['sampled_points']} Latin-hypercube points, the defaults, the "
                      f"posterior medians); {met} of {len(summary)} checks within somewhere",
                      summary, keys=("check",), notes=NOTES, headers=HEADERS), tables)
    long.to_csv(tables / f"{POINTS_TABLE}.csv", index=False, lineterminator="\n")
    pd.DataFrame([{"point": p.id, "kind": p.kind, **{k: _plain(v) for k, v in p.values.items()}}
                  for p in points]).to_csv(tables / f"{DESIGN_TABLE}.csv", index=False,
                                           lineterminator="\n")
    _write(tables / MANIFEST, json.dumps(dict(manifest), indent=2, default=str) + "\n")
    return summary


# --- what the report reads ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Study:
    """The study's tables as the validation report reads them."""

    summary: pd.DataFrame
    long: pd.DataFrame
    design: pd.DataFrame
    manifest: dict[str, Any]
    folder: Path

    @property
    def counts(self) -> pd.DataFrame:
        return point_counts(self.long)


def load(folder: Path) -> Study | None:
    """The study in ``folder`` (None when it holds none); a damaged file is a UserError."""
    tables = Path(folder) / "tables"
    paths = [tables / f"{TABLE}.csv", tables / f"{POINTS_TABLE}.csv",
             tables / f"{DESIGN_TABLE}.csv", tables / MANIFEST]
    if not paths[0].is_file():
        return None
    try:
        frames = [pd.read_csv(p, keep_default_na=True) for p in paths[:3]]
        manifest = json.loads(paths[3].read_text(encoding="utf-8"))
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserError(f"{tables}: cannot read the attainability study ({exc}); allowed: the "
                        "tables `warnsim attainability` writes") from None
    return Study(frames[0], frames[1], frames[2], manifest, Path(folder))


def parameter_names(design: pd.DataFrame) -> list[str]:
    return [c for c in design.columns if c in PARAMETERS]
