"""The results folder: parts written as runs finish, verified resume, and the final files.

Layout of ``out/``::

    runs.parquet  manifest.json                                          (final, complete)
    warnings.parquet  timeseries.parquet  agents.parquet  dyads.parquet  (the logs recorded)
    .sweep.lock                                                          (while a sweep writes)
    .sweep/state.json                                                    (working storage)
    .sweep/parts/part-<first run_id>-<token>.<table>.arrow
    .trash-<token>/                                                      (being deleted)

**Parts** (:mod:`sim.sweep.parts`). Each chunk's tables are written, by the local worker that
ran it (or here, for Dask), as uncompressed Arrow IPC files (several times faster to write and
read back than Parquet; they are working storage only), each under a
temporary name then renamed into place (a rename is atomic on POSIX); the runs file is renamed
last and is the part's commit: a part exists if and only if its runs file does, and a log file
without one is left over from a kill and deleted. So a killed sweep loses only the runs in
flight. Parts are flat files, not folders: on some file systems a ``rmdir`` costs milliseconds,
which per part was most of the engine's cost per run. Every file a sweep writes carries the
experiment's fingerprint in its schema metadata, so it vouches for itself even when
``state.json`` or ``manifest.json`` is lost.

**Resume verifies before it trusts** (:meth:`Store.scan`): a part counts only if its runs file
is readable, carries this experiment's fingerprint, holds exactly the consecutive run ids its
name starts with, has every log file the experiment records (each readable, within the part's
run ids) and overlaps no other part. Anything else is deleted, its runs file first (from
then on it is no part), and its runs run again; unfinished temporary parts are deleted. A
finished folder is checked against its manifest (:meth:`Store.finished`: each final file's row
count and sha256); a damaged one cannot be rebuilt (its parts are gone) and is reported with
the exact fix.

**Final files.** When every run is done the parts are merged (in ``run_id`` order) into the
final files, each written to a temporary name and renamed into place; the manifest (with each
file's rows and sha256) is written last. Then the working storage is renamed to
``.trash-<token>`` (one atomic step) and deleted. Anything named ``.trash-*`` is deleted on
sight, so a kill during that deletion leaves either a complete ``.sweep`` (and the next run
merges again, to the same bytes) or none.

**Which folders a sweep may write into** (:meth:`Store.recognise`): a new or empty one, one
holding just ``figures/`` and ``tables/`` (committed in the repository, so a fresh clone has
them), or one made by an earlier sweep. A final file name (``runs.parquet``...) counts as a
sweep's only if the file says so in its metadata or a warnsim manifest is beside it; an empty
``.sweep/`` proves nothing. Any other file is refused, even with ``--force``, so a mistyped
``--out`` never overwrites or deletes files that are not a sweep's.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import feather

from sim.errors import SweepStopped, UserError
from sim.schema import MANIFEST_FILE, RUNS_FILE, SERIES_FILE, WARNINGS_FILE
from sim.sweep.lock import LOCK, FolderLock
from sim.sweep.parts import (
    META_KEY,
    PART,
    PART_FILE,
    PartSink,
    first_of,
    stem_for,
    temporary,
    write_ipc,
)
from sim.sweep.tables import LOGS
from sim.sweep.tasks import STATUS_OK, ChunkResult

RUNS, WARNINGS, SERIES, MANIFEST = RUNS_FILE, WARNINGS_FILE, SERIES_FILE, MANIFEST_FILE
WORK = ".sweep"
TRASH = ".trash-"
DATA_FILES = (RUNS, *LOGS)
"""The tables a sweep may write (each a Parquet file carrying the fingerprint)."""
FINAL_FILES = (*DATA_FILES, MANIFEST)
ALLOWED_IN_NEW = ("figures", "tables")
"""Subfolders that may exist in a results folder before its first sweep (the analysis writes
them, and the repository commits them)."""
MANIFEST_KEYS = ("fingerprint", "experiment_file", "runs_total")
"""Keys every warnsim manifest has: a manifest.json without them is not a sweep's."""
PIECE_RUNS = 4_096
"""Most runs in one part re-made from a finished folder (``--retry-failed``)."""
ROW_GROUP_CELLS = 1 << 21
"""Values (rows x columns) per Parquet row group of the final files, whatever the chunking: the
files' layout then depends only on their contents and schema, and merging holds about one row
group (16 MB of 8-byte values) and one part. Narrow logs get long row groups (fast to write,
well compressed), the wide runs table short ones."""


def row_group(schema: pa.Schema) -> int:
    """Rows per row group of a final file with ``schema``."""
    return max(4_096, ROW_GROUP_CELLS // len(schema))


@dataclass(frozen=True, slots=True)
class Finished:
    """A finished folder's manifest and what is wrong with its files (empty: all verified)."""

    manifest: dict[str, Any]
    problems: tuple[str, ...]


@dataclass(slots=True)
class Done:
    """What the parts hold: run-id intervals ``[first, last]`` in order, the failed runs (if
    asked for) and a note for each part discarded."""

    intervals: list[tuple[int, int]] = field(default_factory=list)
    failed: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(b - a + 1 for a, b in self.intervals)


class Store:
    """One experiment's output folder. ``schemas`` maps each file the experiment writes
    (``runs.parquet`` and the logs it records) to its declared schema."""

    def __init__(self, out_dir: Path, fingerprint: str, schemas: Mapping[str, pa.Schema],
                 origin: str = "") -> None:
        self.out = Path(out_dir)
        self.fingerprint = fingerprint
        self.schemas = dict(schemas)
        self.logs = tuple(name for name in LOGS if name in schemas)
        self.files = (RUNS, *self.logs)
        self.origin = origin or str(self.out)
        self.work = self.out / WORK
        self.parts = self.work / "parts"
        self.state_path = self.work / "state.json"
        self.meta = {META_KEY: json.dumps({"fingerprint": fingerprint}).encode()}
        self.sink = PartSink(self.parts, self.meta)
        self._tmp_names = {_tmp_name(f) for f in FINAL_FILES}

    # --- reading (no writes) -----------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        """The manifest if there is a readable warnsim one."""
        found = _json_or_none(self.out / MANIFEST)
        return found if _is_manifest(found) else None

    def recognise(self) -> None:
        """Refuse an output path that cannot be a results folder, or a folder holding files
        that are not a sweep's (writes nothing). Run before :meth:`clear`: ``--force``
        discards an earlier sweep's files, never a folder that is not a sweep's."""
        where = f"{self.origin}: the output folder {str(self.out)!r}"
        try:
            for parent in self.out.parents:
                if parent.exists() and not parent.is_dir():
                    raise UserError(f"{where} is inside {str(parent)!r}, which is a file; "
                                    "allowed: a folder path")
            if not self.out.exists():
                return
            if not self.out.is_dir():
                raise UserError(f"{where} is a file; allowed: a folder, new or made by an "
                                "earlier sweep")
            entries = sorted(self.out.iterdir())
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise UserError(f"{self.origin}: the output folder path is too long "
                                f"({len(str(self.out))} characters); allowed: a path the "
                                "file system accepts") from None
            raise UserError(f"{where}: cannot be read ({exc.strerror or exc})") from None
        has_manifest = self.manifest() is not None
        others = [p.name for p in entries if not self._ours(p, has_manifest)]
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise UserError(
                f"{where} is not empty ({shown}) and holds no warnsim sweep results there; "
                "choose a new or empty folder with --out, or empty this one yourself"
            )

    def _ours(self, path: Path, has_manifest: bool) -> bool:
        name = path.name
        if name in ALLOWED_IN_NEW or name == WORK:
            return path.is_dir()
        if name == LOCK or name.startswith(TRASH):
            return True
        if name == MANIFEST:
            return has_manifest or any(_parquet_meta(self.out / f) is not None
                                       for f in DATA_FILES)
        if name in DATA_FILES:
            return has_manifest or _parquet_meta(path) is not None
        return name in self._tmp_names

    def conflict(self) -> str:
        """Why the folder cannot take this experiment's runs ("" if it can): it holds results
        (parts or final files) of a different experiment, or of an earlier version of this
        one. A folder with nothing to lose (only a state file, say) is no conflict."""
        found: list[tuple[str, str]] = []  # (fingerprint, experiment file)
        state = _json_or_none(self.state_path)
        if isinstance(state, dict) and self._has_parts():
            found.append((state.get("fingerprint", ""), state.get("experiment_file", "?")))
        manifest = self.manifest()
        if manifest is not None and (self.out / RUNS).exists():
            found.append((manifest.get("fingerprint", ""), manifest.get("experiment_file", "?")))
        for name in (RUNS, *self.logs):
            meta = _parquet_meta(self.out / name)
            if meta is not None:
                found.append((meta.get("fingerprint", ""), "?"))
        part = self._first_part_meta()
        if part is not None:
            found.append((part.get("fingerprint", ""), "?"))
        for fingerprint, other in found:
            if fingerprint != self.fingerprint:
                return (f"{self.origin}: the output folder {str(self.out)!r} holds results "
                        f"of {self._whose(other)}; use --force to start over or --out for "
                        "another folder")
        return ""

    def _whose(self, other: str) -> str:
        """Describe the experiment file that made other results (recorded resolved; "?" when
        only a file's metadata is known)."""
        if other == "?":
            return "a different experiment, or an earlier version of this one"
        if other in (self.origin, _resolved(self.origin)):
            return ("an earlier version of this experiment (the file, its design or scenario "
                    "file, its size, or the model's code changed since)")
        return f"a different experiment ({other})"

    def check(self) -> None:
        """:meth:`recognise`, then refuse a :meth:`conflict` (writes nothing)."""
        self.recognise()
        problem = self.conflict()
        if problem:
            raise UserError(problem)

    def finished(self) -> Finished | None:
        """The verified state of a finished folder (manifest complete, no working storage);
        None if the folder is not finished."""
        manifest = self.manifest()
        if (manifest is None or manifest.get("complete") is not True
                or manifest.get("fingerprint") != self.fingerprint or self.work.exists()):
            return None
        problems = []
        sums = manifest.get("checksums")
        for name in self.files:
            path = self.out / name
            expected = (sums or {}).get(name, {})
            rows = _parquet_rows(path)
            if rows is None:
                problems.append(f"{name} is missing" if not path.exists()
                                else f"{name} is not a readable Parquet file")
            elif expected and rows != expected.get("rows"):
                problems.append(f"{name} has {rows:,} rows, the manifest records "
                                f"{expected.get('rows'):,}")
            elif expected and _sha256(path) != expected.get("sha256"):
                problems.append(f"{name} differs from the file the sweep wrote (sha256)")
            elif name == RUNS and rows != manifest.get("runs_total"):
                problems.append(f"{name} has {rows:,} rows, the sweep had "
                                f"{manifest.get('runs_total')} runs")
        return Finished(manifest, tuple(problems))

    def done_count(self) -> int:
        """Runs in parts that look complete (for ``--dry-run``: reads names and row counts,
        verifies nothing, writes nothing)."""
        total = 0
        for stem in self._stems():
            try:
                total += _ipc_rows(self._file(stem, RUNS))
            except (OSError, pa.ArrowException):
                continue
        return total

    # --- writing (under the folder lock) -----------------------------------------------------

    def lock(self) -> FolderLock:
        return FolderLock(self.out, self.origin)

    def clear(self) -> None:
        """``--force``: remove this sweep's files (and nothing else: figures stay). Only for a
        folder :meth:`recognise` accepts."""
        if self.work.exists():
            self._discard(self.work)
        for name in FINAL_FILES:
            (self.out / name).unlink(missing_ok=True)
            (self.out / _tmp_name(name)).unlink(missing_ok=True)

    def tidy(self) -> None:
        """Delete what killed sweeps left (trash, unfinished temporary parts and files) and
        working storage of the wrong kind (``parts`` a file, ``state.json`` a folder)."""
        for entry in self.out.iterdir():
            if entry.name.startswith(TRASH) or entry.name in self._tmp_names:
                _remove(entry)
        for path, folder in ((self.parts, True), (self.state_path, False)):
            if path.exists() and path.is_dir() != folder:
                _remove(path)
        if self.parts.is_dir():
            stems = set(self._stems())
            for entry in self.parts.iterdir():
                match = PART_FILE.match(entry.name)
                if match is None or match.group(1) not in stems:  # temporary, uncommitted
                    _remove(entry)

    def leftovers(self) -> bool:
        """Whether a killed sweep left trash or temporary files here (for :meth:`tidy`)."""
        return any(p.name.startswith(TRASH) or p.name in self._tmp_names
                   for p in self.out.iterdir())

    def begin(self, state: dict[str, Any]) -> dict[str, Any]:
        """Create working storage (or keep an existing one); return the stored state. A
        missing, unreadable or foreign state file is rewritten (:meth:`conflict` has already
        refused a folder whose parts are another experiment's)."""
        old = _json_or_none(self.state_path)
        if isinstance(old, dict) and old.get("fingerprint") == self.fingerprint:
            return old
        self.parts.mkdir(parents=True, exist_ok=True)
        _write_json(self.state_path, state)
        return state

    def scan(self, *, failed: bool = False) -> Done:
        """Verify every part (see the module docstring), discard the bad ones, and return
        the finished run ids as intervals; with ``failed`` also each part's failed runs.
        Run after :meth:`tidy`, which leaves only committed parts' files."""
        done = Done()
        candidates = []
        for stem in self._stems():
            problem, rows = self._verify(stem)
            if problem:
                done.notes.append(self._drop(stem, problem))
                continue
            first = first_of(stem)
            candidates.append((first, first + rows - 1, stem))
        end = -1
        for first, last, stem in sorted(candidates):
            if first <= end:
                done.notes.append(self._drop(stem, f"overlaps runs {first}-{end}"))
                continue
            end = last
            if done.intervals and done.intervals[-1][1] == first - 1:
                done.intervals[-1] = (done.intervals[-1][0], last)
            else:
                done.intervals.append((first, last))
            if failed:
                status = _read(self._file(stem, RUNS), ["run_id", "status"])
                bad = pc.filter(status["run_id"], pc.not_equal(status["status"], STATUS_OK))
                if len(bad):
                    done.failed[stem] = bad.to_pylist()
        return done

    def _verify(self, stem: str) -> tuple[str, int]:
        """("", rows) for a complete part of this experiment, else (what is wrong, 0)."""
        first = first_of(stem)
        try:
            runs = self._file(stem, RUNS)
            if _file_meta(runs).get("fingerprint") != self.fingerprint:
                return "another experiment's", 0
            ids = _read(runs, ["run_id"])["run_id"]
            n = len(ids)
            if n == 0 or ids.null_count or ids.to_numpy().tolist() != list(range(first, first + n)):
                return "run ids do not match its name", 0
            for name in self.logs:
                path = self._file(stem, name)
                if not path.exists():
                    return f"{PART[name]} missing", 0
                logged = _read(path, ["run_id"])["run_id"]
                if len(logged) and (pc.min(logged).as_py() < first
                                    or pc.max(logged).as_py() > first + n - 1):
                    return f"{PART[name]} holds other runs", 0
        except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
            return f"unreadable: {exc}", 0
        return "", n

    def write_part(self, result: ChunkResult) -> None:
        """Write a chunk's part from its tables (a Dask worker's: local workers write their
        parts themselves, see :mod:`sim.sweep.parts`)."""
        assert result.runs is not None
        self.sink.write(result.runs, result.logs)

    def drop_failed(self, done: Done) -> int:
        """``--retry-failed`` on working storage: rewrite each part holding failed runs as
        parts of its successful runs only (a run-id range each). Returns how many runs left."""
        dropped = 0
        for stem, bad in done.failed.items():
            first = first_of(stem)
            last = first + _ipc_rows(self._file(stem, RUNS)) - 1
            keep = _ranges_without(first, last, set(bad))
            self._split({f: self._file(stem, f) for f in self.files}, keep, _ipc_batches,
                        replacing=stem)
            dropped += len(bad)
        return dropped

    def reopen(self, failed: list[int], total: int) -> None:
        """``--retry-failed`` on a finished folder: turn its final files back into parts
        without the failed runs, then forget the manifest; the final files are rewritten at
        the end. Killed half-way, the runs not yet in parts are run again."""
        (self.out / MANIFEST).unlink()
        keep = _ranges_without(0, total - 1, set(failed))
        self._split({f: self.out / f for f in self.files}, keep, _parquet_batches)

    def merge_runs(self) -> tuple[int, str, dict[str, Any]]:
        """Write the final ``runs.parquet`` from the parts; return the number of failed runs,
        a description of the first failure (empty if none) and the file's checksum entry."""
        failed, last, first = 0, -1, ""
        merged = _Merge(self.out / RUNS, self.schemas[RUNS].with_metadata(self.meta))
        for table in merged.write(self._sources(RUNS)):
            ids = table["run_id"]
            if pc.min(ids).as_py() <= last:  # scan() keeps no overlapping parts
                raise RuntimeError(f"{self.parts}: parts overlap at run {last}")
            last = pc.max(ids).as_py()
            not_ok = pc.not_equal(table["status"], STATUS_OK)
            if pc.any(not_ok).as_py():
                bad = table.filter(not_ok)
                if not first:
                    row = bad.slice(0, 1).select(["run_id", "seed", "error"]).to_pylist()[0]
                    first = f"run {row['run_id']} (seed {row['seed']}): {row['error']}"
                failed += bad.num_rows
        return failed, first, merged.checksum()

    def finish(self, manifest: dict[str, Any], runs_checksum: dict[str, Any]) -> None:
        """Merge the logs into their final files, write the manifest (with every file's rows
        and sha256), then drop working storage."""
        sums = {RUNS: runs_checksum}
        for name in LOGS:
            if name in self.logs:
                merged = _Merge(self.out / name, self.schemas[name].with_metadata(self.meta))
                for _ in merged.write(self._sources(name)):
                    pass
                sums[name] = merged.checksum()
            else:
                (self.out / name).unlink(missing_ok=True)
        _write_json(self.out / MANIFEST, {**manifest, "checksums": sums})
        self._discard(self.work)

    # --- helpers -----------------------------------------------------------------------------

    def _stems(self) -> list[str]:
        """The committed parts (those with a runs file), in run-id order."""
        if not self.parts.is_dir():
            return []
        return sorted(m.group(1) for m in map(PART_FILE.match, os.listdir(self.parts))
                      if m is not None and m.group(3) == "runs")

    def _file(self, stem: str, name: str) -> Path:
        return self.sink.file(stem, name)

    def _has_parts(self) -> bool:
        return bool(self._stems())

    def _first_part_meta(self) -> dict[str, Any] | None:
        for stem in self._stems():
            try:
                return _file_meta(self._file(stem, RUNS))
            except (OSError, pa.ArrowException, ValueError):
                continue
        return None

    def _sources(self, name: str) -> list[Path]:
        """One table's part files in run-id order."""
        return [self._file(stem, name) for stem in self._stems()]

    def _drop(self, stem: str, why: str) -> str:
        self._uncommit(stem)
        return f"discarded part {stem} ({why}); its runs are run again"

    def _uncommit(self, stem: str) -> None:
        """Delete a part, its runs file first: from then on the part does not exist."""
        for name in PART:
            self._file(stem, name).unlink(missing_ok=True)

    def _discard(self, path: Path) -> None:
        """Move ``path`` out of the way in one rename, then delete it (a kill in between
        leaves trash that the next run deletes, never a half-deleted part)."""
        trash = self.out / f"{TRASH}{secrets.token_hex(6)}"
        os.replace(path, trash)
        _remove(trash)

    def _split(self, sources: dict[str, Path], keep: list[tuple[int, int]], batches: Any,
               replacing: str | None = None) -> None:
        """Write the rows of ``sources`` whose run ids fall in ``keep`` as new parts, at most
        :data:`PIECE_RUNS` runs each, streaming (one batch and one open file at a time); then
        delete part ``replacing`` (uncommitted before the new parts are committed, so the two
        never overlap)."""
        pieces = [(a, min(a + PIECE_RUNS - 1, hi)) for lo, hi in keep
                  for a in range(lo, hi + 1, PIECE_RUNS)]
        tmps = [temporary() for _ in pieces]
        starts = [a for a, _ in pieces]
        for name, path in sources.items() if pieces else ():
            schema = self.schemas[name].with_metadata(self.meta)
            writers = _PieceWriters([self._file(t, name) for t in tmps], schema)
            for batch in batches(path):
                ids = batch.column("run_id").to_numpy()
                if not len(ids):
                    continue
                piece = max(0, bisect.bisect_right(starts, int(ids[0])) - 1)
                while piece < len(pieces) and pieces[piece][0] <= ids[-1]:
                    a, b = pieces[piece]
                    lo, hi = np.searchsorted(ids, [a, b + 1])
                    if hi > lo:
                        writers.write(piece, batch.slice(lo, hi - lo))
                    piece += 1
            writers.close()
        if replacing is not None:
            self._uncommit(replacing)
        for tmp, (a, _) in zip(tmps, pieces, strict=True):
            self.sink.commit(tmp, stem_for(a), list(self.logs))


class _PieceWriters:
    """One Arrow IPC file per piece, opened when its first rows come, and an empty (typed)
    file for every piece that gets none."""

    def __init__(self, paths: list[Path], schema: pa.Schema) -> None:
        self.paths, self.schema = paths, schema
        self.current: tuple[int, pa.ipc.RecordBatchFileWriter] | None = None
        self.written: set[int] = set()

    def write(self, piece: int, batch: pa.RecordBatch) -> None:
        if self.current is None or self.current[0] != piece:
            self._close_current()
            self.current = (piece, pa.ipc.new_file(str(self.paths[piece]), self.schema))
            self.written.add(piece)
        self.current[1].write_batch(batch.cast(self.schema) if batch.schema != self.schema
                                    else batch)

    def _close_current(self) -> None:
        if self.current is not None:
            self.current[1].close()
            self.current = None

    def close(self) -> None:
        self._close_current()
        for i, path in enumerate(self.paths):
            if i not in self.written:
                write_ipc(self.schema.empty_table(), path)


class _Merge:
    """Concatenate part files in order into one Parquet file, streaming (memory bounded by one
    row group and one part, not by the number of runs). Parts cover disjoint, increasing
    run-id ranges, so concatenation in that order is run-id order; every part is cast to the
    declared schema, so the result does not depend on how runs were chunked."""

    def __init__(self, target: Path, schema: pa.Schema) -> None:
        self.target, self.schema = target, schema
        self.rows = 0

    def write(self, sources: Iterable[Path]) -> Iterator[pa.Table]:
        """Write the file, yielding each part's table on the way."""
        tmp = self.target.with_name(_tmp_name(self.target.name))
        group = row_group(self.schema)
        pending: list[pa.Table] = []
        rows = 0
        with pq.ParquetWriter(tmp, self.schema) as writer:
            for source in sources:
                table = feather.read_table(source, memory_map=True)  # no copy of a part
                if not table.schema.equals(self.schema):  # parts are written in it: rare
                    table = table.select(self.schema.names).cast(self.schema)
                yield table
                pending.append(table)
                rows += table.num_rows
                if rows >= group:
                    whole = pa.concat_tables(pending).combine_chunks()
                    cut = rows - rows % group
                    writer.write_table(whole.slice(0, cut), row_group_size=group)
                    self.rows += cut
                    pending, rows = [whole.slice(cut)], rows - cut
            if rows:
                writer.write_table(pa.concat_tables(pending), row_group_size=group)
                self.rows += rows
        os.replace(tmp, self.target)

    def checksum(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": _sha256(self.target)}



def _ranges_without(first: int, last: int, drop: set[int]) -> list[tuple[int, int]]:
    """The maximal run-id ranges in ``[first, last]`` that contain no id of ``drop``."""
    out, start = [], first
    for i in sorted(x for x in drop if first <= x <= last):
        if i > start:
            out.append((start, i - 1))
        start = i + 1
    if start <= last:
        out.append((start, last))
    return out


def _ipc_batches(path: Path) -> Iterator[pa.RecordBatch]:
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(path).iter_batches(batch_size=4_096)



def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    return feather.read_table(path, columns=columns, memory_map=False)


def _ipc_rows(path: Path) -> int:
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_file(source)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def _file_meta(path: Path) -> dict[str, Any]:
    with pa.memory_map(str(path)) as source:
        meta = pa.ipc.open_file(source).schema.metadata or {}
    return json.loads(meta.get(META_KEY, b"{}"))


def _parquet_meta(path: Path) -> dict[str, Any] | None:
    """A Parquet file's warnsim metadata; None if it is not a sweep's (or not Parquet)."""
    try:
        meta = pq.read_schema(path).metadata or {}
        found = json.loads(meta[META_KEY])
    except (OSError, pa.ArrowException, KeyError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _parquet_rows(path: Path) -> int | None:
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _remove(path: Path) -> None:
    """Delete a file or a folder tree, as far as possible (trash: the next run tries again)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _tmp_name(name: str) -> str:
    return f".{name}.tmp"


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def _is_manifest(found: Any) -> bool:
    return isinstance(found, dict) and all(k in found for k in MANIFEST_KEYS)


def _json_or_none(path: Path) -> Any:
    """A JSON file's contents; None if it is missing or damaged (callers decide what that
    means: a damaged state file is rewritten, a damaged manifest makes the folder unverified)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(_tmp_name(path.name))
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def stopped_by(exc: OSError, folder: str) -> SweepStopped:
    """A file-system failure as one line: which file (or folder), why, and that finished runs
    are kept. Arrow's I/O errors carry neither file name nor errno, only "[errno N]" in text."""
    where = exc.filename if exc.filename is not None else f"in {folder}"
    found = re.search(r"\[errno (\d+)\]", str(exc))
    reason = os.strerror(int(found.group(1))) if found else exc.strerror or str(exc)
    return SweepStopped(f"cannot write {where} ({reason}); finished runs are kept: fix the "
                        "cause and run the same command to resume")
