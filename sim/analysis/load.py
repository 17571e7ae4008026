"""Read a sweep's results folder (``results/<experiment>/``) into DataFrames and a design.

Analysis and figures depend only on these files, never on the model: a folder copied from a
cluster, or archived with a paper, can be re-analysed without the simulation installed.
Everything that is wrong with a folder (missing, not a sweep's output, missing columns) is a
:class:`~sim.errors.UserError`, so the CLI prints one line instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UserError
from sim.files import Cap, check_sealed, parse_json, read_bytes
from sim.schema import WARNING_COLUMNS

SCATTERED_LEVELS = 41
"""A points-file parameter with more values than this (the densest grid the figures are tested
on) may make the design a scattered sample (see ``Results.scattered``)."""

RUN_KEYS: tuple[str, ...] = ("run_id", "point_id", "replication", "seed", "status")
"""Columns every ``runs.parquet`` must have (besides the parameters and outcomes)."""


class DesignKind(Enum):
    """How the sweep chose its design points (``manifest["design"]["kind"]``)."""

    GRID = "grid"
    LHS = "lhs"
    SOBOL = "sobol"
    POINTS = "points"
    MORRIS = "morris"

    @property
    def is_sample(self) -> bool:
        """Continuous samples: every point is distinct, so points are not grouped into levels."""
        return self in (DesignKind.LHS, DesignKind.SOBOL, DesignKind.MORRIS)


@dataclass(frozen=True, slots=True)
class Design:
    """The swept parameters, in the sweep's order, and for samples their ranges and base size
    (for Morris designs: the number of trajectories, and ``levels``)."""

    kind: DesignKind
    parameters: tuple[str, ...]
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    n: int | None = None
    levels: int | None = None


@dataclass(frozen=True, slots=True)
class Results:
    """One results folder: runs (all of them, failed included), optional logs, the design."""

    directory: Path
    runs: pd.DataFrame
    design: Design
    manifest: dict[str, Any]
    warnings: pd.DataFrame | None = None
    series: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return str(self.manifest.get("experiment", {}).get("name") or self.directory.name)

    @property
    def ok(self) -> pd.DataFrame:
        """Finished runs only: failed runs have no outcomes to analyse."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def n_failed(self) -> int:
        return int((self.runs["status"] != "ok").sum())

    def warnings_frame(self, where: str | None = None) -> pd.DataFrame:
        """The warning log of the finished runs with each run's identity and swept factors
        and the senders' and recipients' blocs, the rows ``where`` keeps
        (:func:`sim.analysis.frames.warning_frame`)."""
        from sim.analysis.frames import select_warnings, warning_frame

        return select_warnings(warning_frame(self), where, option="where")

    def points_frame(self, outcomes: list[str] | None = None) -> pd.DataFrame:
        """One row per design point: swept factors, runs and outcomes
        (:func:`sim.analysis.frames.point_frame`)."""
        from sim.analysis.frames import point_frame

        return point_frame(self, outcomes)

    @property
    def scattered(self) -> bool:
        """Whether the design points sample a continuous space rather than take levels: a
        sampled design, or a points file whose numeric parameters vary together, each value of
        one of them (more than SCATTERED_LEVELS values) fixing all the others, as in a Latin
        hypercube written out by a script (experiments/discovery.toml). A "level" of such a
        parameter is a single condition: a heat map of them is nearly all empty cells, and a
        table or a line per level says nothing. A dense grid written as points is not
        scattered: each of its levels recurs with every level of the other parameters."""
        if self.design.kind.is_sample:
            return True
        if self.design.kind is not DesignKind.POINTS:
            return False
        ok = self.ok
        numeric = [p for p in self.design.parameters
                   if pd.api.types.is_numeric_dtype(ok[p])
                   and not pd.api.types.is_bool_dtype(ok[p]) and ok[p].nunique() > 1]
        if len(numeric) < 2:
            return False
        conditions = len(ok[numeric].drop_duplicates())
        return any(SCATTERED_LEVELS < ok[p].nunique() == conditions for p in numeric)


def load_results(directory: str | Path, *, columns: Sequence[str] | None = None,
                 warning_columns: Sequence[str] | None = None) -> Results:
    """Read ``runs.parquet``, ``manifest.json`` and, when present, the warning and series logs.

    ``columns`` reads only those outcome columns of the runs (with the run keys, the swept
    parameters and ``error``), ``warning_columns`` only those of the warning log (an empty
    list: not the log) and then not the series: for sweeps of millions of runs, whose files do
    not fit in memory whole."""
    path = Path(directory)
    if not path.is_dir():
        raise UserError(f"{path}: no such results folder; {_sweep_hint(path)}")
    check_sealed(path)  # tables/ and figures/ are written here: no link may lead elsewhere
    manifest = _read_manifest(path / "manifest.json")
    design = parse_design(manifest, origin=path / "manifest.json")
    wanted = None if columns is None else [*RUN_KEYS, *design.parameters, "error", *columns]
    runs = _read_parquet(path / "runs.parquet", required=True, columns=wanted)
    assert runs is not None
    _check_columns(runs, (*RUN_KEYS, *design.parameters), path / "runs.parquet")
    _check_numeric(runs, design.parameters, path / "runs.parquet")
    if runs.empty:
        raise UserError(f"{path / 'runs.parquet'}: no runs")
    if not (runs["status"] == "ok").any():
        first = f"; first error: {runs['error'].iloc[0]}" if "error" in runs else ""
        raise UserError(f"{path / 'runs.parquet'}: every run failed ({len(runs)} runs{first}); "
                        "nothing to analyse: fix the cause, then `warnsim sweep FILE "
                        "--retry-failed`")
    return Results(
        directory=path,
        runs=runs,
        design=design,
        manifest=manifest,
        warnings=_warnings(path / "warnings.parquet", warning_columns),
        series=None if warning_columns is not None else _read_parquet(
            path / "timeseries.parquet", required=False),
    )


def _warnings(path: Path, columns: Sequence[str] | None) -> pd.DataFrame | None:
    """The warning log: whole and checked against its declared columns, only ``columns`` of it,
    or none (``columns`` empty)."""
    if columns is not None and not columns:
        return None
    log = _read_parquet(path, required=False, columns=columns)
    return _checked(log, WARNING_COLUMNS if columns is None else tuple(columns), path)


def parse_design(manifest: dict[str, Any], *, origin: Path | str = "manifest.json") -> Design:
    """The ``design`` entry of a manifest, checked."""
    raw = manifest.get("design")
    if not isinstance(raw, dict) or "kind" not in raw:
        raise UserError(f"{origin}: no 'design' with a 'kind'")
    try:
        kind = DesignKind(raw["kind"])
    except ValueError:
        allowed = ", ".join(k.value for k in DesignKind)
        raise UserError(f"{origin}: design kind {raw['kind']!r}; allowed: {allowed}") from None
    parameters = raw.get("parameters") or ()
    if not (isinstance(parameters, list | tuple) and all(isinstance(p, str) for p in parameters)):
        raise UserError(f"{origin}: design parameters {parameters!r}; allowed: a list of names")
    parameters = tuple(parameters)
    try:
        ranges = {k: (float(v[0]), float(v[1])) for k, v in (raw.get("ranges") or {}).items()}
    except (TypeError, ValueError, IndexError, KeyError, AttributeError):
        raise UserError(f"{origin}: design ranges {raw.get('ranges')!r}; allowed: "
                        "{name: [low, high]} with numbers") from None
    n = raw.get("n")
    if kind is DesignKind.SOBOL and not isinstance(n, int):
        raise UserError(f"{origin}: a Sobol design needs its base size 'n'")
    if kind is DesignKind.MORRIS and not (isinstance(n, int) and set(ranges) == set(parameters)):
        raise UserError(f"{origin}: a Morris design needs its trajectories 'n' and the "
                        "'ranges' of every parameter")
    levels = raw.get("levels")
    return Design(kind=kind, parameters=parameters, ranges=ranges, n=n,
                  levels=levels if isinstance(levels, int) else None)


def _sweep_hint(folder: Path) -> str:
    """The command that makes a sweep's results in ``folder``: results are not committed (only
    their tables and figures are), so a fresh clone has to run the sweep first."""
    experiment = Path("experiments") / f"{folder.name}.toml"
    if experiment.is_file() and folder.resolve() == (Path("results") / folder.name).resolve():
        return f"make it with `warnsim sweep {experiment.as_posix()}`"
    return f"make it with `warnsim sweep FILE --out {folder}` (FILE: your experiment file)"


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"{path}: missing, so {path.parent} holds no sweep's runs; "
                        f"{_sweep_hint(path.parent)}")
    data = parse_json(read_bytes(path, cap=Cap.MANIFEST, what="manifest"), origin=str(path))
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    for key in ("experiment", "design", "checksums"):
        if key in data and not isinstance(data[key], dict):
            raise UserError(f"{path}: {key}: got {type(data[key]).__name__}; allowed: a JSON "
                            "object, as a sweep writes it")
    return data


def _read_parquet(path: Path, *, required: bool,
                  columns: Sequence[str] | None = None) -> pd.DataFrame | None:
    """A parquet file, whole or ``columns`` of it (each once; those it lacks are left out, and
    the callers' checks name them)."""
    if not path.exists():  # a file, or a folder of parts (pyarrow reads both)
        if required:
            raise UserError(f"{path}: missing; is {path.parent} the output folder of a sweep?")
        return None
    try:
        if columns is None:
            return pd.read_parquet(path)
        import pyarrow.parquet as pq

        present = set(pq.ParquetDataset(path).schema.names)
        return pd.read_parquet(path, columns=[c for c in dict.fromkeys(columns) if c in present])
    except Exception as exc:  # pyarrow raises several unrelated types for a corrupt file
        raise UserError(f"{path}: not a readable parquet file ({exc})") from None


def _checked(frame: pd.DataFrame | None, columns: tuple[str, ...],
             path: Path) -> pd.DataFrame | None:
    """A log with its declared columns (None stays None)."""
    if frame is not None:
        _check_columns(frame, columns, path)
    return frame


def _check_numeric(runs: pd.DataFrame, parameters: tuple[str, ...], path: Path) -> None:
    """Refuse a numeric parameter (by its declaration) whose column holds something else."""
    from sim.analysis.labels import _parameter as declared

    for name in parameters:
        spec = declared(name)
        if spec is not None and spec.is_numeric and not (
                pd.api.types.is_numeric_dtype(runs[name]) and not pd.api.types.is_bool_dtype(runs[name])):
            raise UserError(f"{path}: {name}: holds {runs[name].dtype} values; allowed: numbers "
                            f"({spec.allowed()})")


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        more = f", ... ({len(missing)} of the {len(columns)} declared)" if len(missing) > 5 else ""
        raise UserError(f"{path}: missing columns {', '.join(missing[:5])}{more}")
