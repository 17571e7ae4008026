"""The results folder: parts written as runs finish, resume, and the final files.

Layout of ``out/``::

    runs.parquet  warnings.parquet  timeseries.parquet  manifest.json   (final, complete)
    .sweep/state.json                                                    (working storage)
    .sweep/parts/part-<first run_id>-<token>/{runs,warnings,timeseries}.arrow

Each chunk's tables are written as uncompressed Arrow IPC files (several times faster to write
and read back than Parquet; they are working storage only) into a temporary directory that is then renamed into
``parts/`` (a rename is atomic on POSIX), so a part is either entirely there or not at all and
a killed sweep loses only the runs in flight. The set of finished runs is the union of the
parts' ``run_id`` columns. When every run is done the parts are merged (in ``run_id`` order)
into the final files, each written to a temporary name and renamed into place; the manifest is
written last and the working storage removed after it, so a sweep killed at any moment either
still has its parts or already has complete final files.

``state.json`` holds the experiment's fingerprint: a later sweep into the same folder with a
different experiment (or design file, or size) is refused instead of silently mixing results.

A sweep writes only into a folder it recognises: a new or empty one, one holding just
``figures/`` and ``tables/`` (committed in the repository, so a fresh clone has them), or one
made by an earlier sweep (``.sweep/`` working storage or a warnsim ``manifest.json``). Any other
non-empty folder is refused, even with ``--force``, so a mistyped ``--out`` never overwrites or
deletes files that are not a sweep's.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import feather

from sim.errors import UserError
from sim.outcomes import OUTCOMES, Kind
from sim.params import PARAMETERS
from sim.schema import MANIFEST_FILE, RUNS_FILE, SERIES_FILE, WARNINGS_FILE
from sim.sweep.tasks import ChunkResult

RUNS, WARNINGS, SERIES, MANIFEST = RUNS_FILE, WARNINGS_FILE, SERIES_FILE, MANIFEST_FILE
WORK = ".sweep"
PART = {RUNS: "runs.arrow", WARNINGS: "warnings.arrow", SERIES: "timeseries.arrow"}
FINAL_FILES = (RUNS, WARNINGS, SERIES, MANIFEST)
ALLOWED_IN_NEW = ("figures", "tables")
"""Subfolders that may exist in a results folder before its first sweep (the analysis writes
them, and the repository commits them)."""
MANIFEST_KEYS = ("fingerprint", "experiment_file", "runs_total")
"""Keys every warnsim manifest has: a manifest.json without them is not a sweep's."""


def runs_schema() -> pa.Schema:
    """The fixed schema of ``runs.parquet`` (counts stay integers even with failed runs)."""
    kinds = {int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    fields = [pa.field(n, pa.int64()) for n in ("run_id", "point_id", "replication", "seed", "days")]
    fields.append(pa.field("scenario", pa.string()))
    fields += [pa.field(p.name, kinds.get(p.kind, pa.string())) for p in PARAMETERS.values()]
    fields += [pa.field(o.name, pa.int64() if o.kind is Kind.COUNT else pa.float64())
               for o in OUTCOMES]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string())]
    return pa.schema(fields)


class Store:
    """One sweep's output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out = Path(out_dir)
        self.work = self.out / WORK
        self.parts = self.work / "parts"
        self.state_path = self.work / "state.json"

    # --- opening ---------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        return _read_json(self.out / MANIFEST)

    def state(self) -> dict[str, Any] | None:
        return _read_json(self.state_path)

    def recognise(self, origin: str) -> None:
        """Refuse anything but a new or empty folder, one holding only ``figures/`` and
        ``tables/``, or one an earlier sweep wrote (writes nothing). Run before :meth:`clear`:
        ``--force`` discards an earlier sweep's files, never a folder that is not a sweep's."""
        if not self.out.exists():
            return
        if not self.out.is_dir():
            raise UserError(f"{origin}: the output folder {str(self.out)!r} is a file; "
                            "allowed: a folder, new or made by an earlier sweep")
        if self.work.is_dir() or self._has_warnsim_manifest():
            return
        others = sorted(p.name for p in self.out.iterdir()
                        if not (p.name in ALLOWED_IN_NEW and p.is_dir()))
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise UserError(
                f"{origin}: the output folder {str(self.out)!r} is not empty ({shown}) and holds "
                "no warnsim sweep results; choose a new or empty folder with --out, or empty "
                "this one yourself"
            )

    def _has_warnsim_manifest(self) -> bool:
        try:
            found = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(found, dict) and all(k in found for k in MANIFEST_KEYS)

    def check(self, fingerprint: str, origin: str) -> None:
        """Refuse a folder that is not a sweep's (see :meth:`recognise`) or that holds
        results of a different experiment (writes nothing)."""
        self.recognise(origin)
        for found in (self.state(), self.manifest()):
            if found is not None and found.get("fingerprint") != fingerprint:
                other = found.get("experiment_file", "?")
                what = ("an earlier version of this experiment (the file, its design file or "
                        "its size changed since)" if other == origin
                        else f"a different experiment ({other})")
                raise UserError(
                    f"{origin}: the output folder {str(self.out)!r} holds results of {what}; "
                    "use --force to start over or --out for another folder"
                )

    def is_complete(self, fingerprint: str) -> bool:
        found = self.manifest()
        return (found is not None and found.get("fingerprint") == fingerprint
                and found.get("complete") is True and not self.work.exists()
                and (self.out / RUNS).exists())

    def clear(self) -> None:
        """``--force``: remove this sweep's files (and nothing else: figures stay). Only for a
        folder :meth:`recognise` accepts."""
        shutil.rmtree(self.work, ignore_errors=True)
        for name in FINAL_FILES:
            (self.out / name).unlink(missing_ok=True)

    def begin(self, state: dict[str, Any]) -> dict[str, Any]:
        """Create working storage (or keep an existing one); return the stored state."""
        old = self.state()
        if old is not None:
            return old
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{self.out}: cannot create the results folder: {exc}") from None
        _write_json(self.state_path, state)
        return state

    def done_run_ids(self, *, tidy: bool = False) -> set[int]:
        """The run ids of every complete part; ``tidy`` deletes unfinished temporary parts
        (left by a killed sweep) instead of just ignoring them."""
        done: set[int] = set()
        if not self.parts.exists():
            return done
        for entry in self.parts.iterdir():
            if entry.name.startswith(".tmp"):
                if tidy:
                    shutil.rmtree(entry, ignore_errors=True)
            elif entry.is_dir():
                done.update(_read(entry / PART[RUNS], ["run_id"])["run_id"].to_pylist())
        return done

    # --- writing ---------------------------------------------------------------------------

    def write_part(self, runs: pa.Table, result: ChunkResult) -> None:
        first = runs["run_id"][0].as_py()
        tmp = self.parts / f".tmp-{secrets.token_hex(6)}"
        tmp.mkdir()
        for name, columns in ((WARNINGS, result.warnings), (SERIES, result.series)):
            if columns is not None:
                feather.write_feather(pa.table(columns), tmp / PART[name],
                                      compression="uncompressed")
        feather.write_feather(runs, tmp / PART[RUNS], compression="uncompressed")
        os.replace(tmp, self.parts / f"part-{first:010d}-{secrets.token_hex(4)}")

    def merge_runs(self) -> tuple[int, str]:
        """Write the final ``runs.parquet`` from the parts; return the number of failed runs
        and a description of the first failure (empty if none)."""
        failed, last, first = 0, -1, ""
        for table in _merge(self._parts(RUNS), self.out / RUNS, runs_schema()):
            ids = table["run_id"]
            if pc.min(ids).as_py() <= last:  # would break the run-id order of every file
                raise RuntimeError(f"{self.parts}: parts overlap at run {last}")
            last = pc.max(ids).as_py()
            bad = table.filter(pc.not_equal(table["status"], "ok"))
            if bad.num_rows and not first:
                row = bad.slice(0, 1).select(["run_id", "seed", "error"]).to_pylist()[0]
                first = f"run {row['run_id']} (seed {row['seed']}): {row['error']}"
            failed += bad.num_rows
        return failed, first

    def finish(self, manifest: dict[str, Any], *, warnings: bool, series: bool) -> None:
        """Merge the logs into their final files, write the manifest, drop working storage."""
        for wanted, name in ((warnings, WARNINGS), (series, SERIES)):
            if wanted:
                for _ in _merge(self._parts(name), self.out / name, None):
                    pass
            else:
                (self.out / name).unlink(missing_ok=True)
        _write_json(self.out / MANIFEST, manifest)
        shutil.rmtree(self.work)

    def _parts(self, name: str) -> list[Path]:
        """One table's part files in run-id order (part names start with the first run id)."""
        return sorted(p / PART[name] for p in self.parts.iterdir()
                      if p.is_dir() and not p.name.startswith(".tmp"))


ROW_GROUP = 4_096
"""Rows per Parquet row group of the final files, whatever the chunking: the files' layout
then depends only on their contents, and the writer's per-row-group metadata stays small."""


def _merge(sources: list[Path], target: Path, schema: pa.Schema | None) -> Iterator[pa.Table]:
    """Concatenate part files in order into ``target``, streaming (memory bounded by one row
    group, not by the number of runs), and yield each part's table on the way.

    Parts cover disjoint, increasing run-id ranges, so concatenation in that order is run-id
    order. Column types inferred per part (a column all null in one part, say) are unified
    first, so the result does not depend on how runs were chunked.
    """
    if schema is None:
        schema = pa.unify_schemas([pa.ipc.open_file(s).schema for s in sources],
                                  promote_options="permissive") if sources else pa.schema([])
    tmp = target.with_name(f".{target.name}.tmp")
    pending: list[pa.Table] = []
    rows = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for source in sources:
            table = _read(source).select(schema.names).cast(schema)
            yield table
            pending.append(table)
            rows += table.num_rows
            if rows >= ROW_GROUP:
                whole = pa.concat_tables(pending).combine_chunks()
                cut = rows - rows % ROW_GROUP
                writer.write_table(whole.slice(0, cut), row_group_size=ROW_GROUP)
                pending, rows = [whole.slice(cut)], rows - cut
        if rows:
            writer.write_table(pa.concat_tables(pending))
    os.replace(tmp, target)


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    return feather.read_table(path, columns=columns, memory_map=False)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable ({exc}); use --force to start over") from None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
