"""The results folder: parts written as runs finish, verified resume, and the final files.

Layout of ``out/``::

    runs.parquet  manifest.json                                          (final, complete)
    warnings.parquet  timeseries.parquet  agents.parquet  dyads.parquet  (the logs recorded)
    .sweep.lock                                                          (while a sweep writes)
    .sweep/state.json                                                    (working storage)
    .sweep/parts/part-<first run_id>-<checksum>.<table>.arrow
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

**Resume verifies before it trusts** (:meth:`Store.scan`): a part counts only if each of its
files has the checksum the part recorded when it was written (:mod:`sim.sweep.parts`), its runs
file carries this experiment's fingerprint and holds exactly the consecutive run ids its name
starts with, it has every log file the experiment records (each within the part's run ids) and
it overlaps no other part. Anything else is deleted, its runs file first (from then on it is no
part), and its runs run again; unfinished temporary parts are deleted. Merging checks every
part's checksums again as it reads it (:class:`DamagedPart`: the engine discards it, runs its
runs again and merges anew), so a byte changed on disk after the scan never reaches the final
files. Working storage missing a piece (``parts/`` or ``state.json``) is made again. A finished
folder is checked against its manifest (:meth:`Store.finished`: each final file's row count
and sha256); a damaged one cannot be rebuilt (its parts are gone) and is reported with the
exact fix.

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

**A sealed place.** A folder holding a symbolic link or a special file where a sweep works (in
it, ``.sweep/``, ``.sweep/parts/``, ``figures/``, ``tables/``: :func:`sim.files.intruders`) is
refused in one line before anything is written, and again under the lock. Every write, rename
and deletion goes through :class:`sim.files.Folder` (descriptors, ``O_NOFOLLOW``, ``O_EXCL``),
so even a link made while the sweep runs is at worst removed itself: nothing outside the folder
is ever written or removed.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import json
import os
import re
import secrets
import stat
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
from sim.files import Cap, Folder, check_sealed, parse_json, read_bytes
from sim.schema import MANIFEST_FILE, RUNS_FILE, SERIES_FILE, WARNINGS_FILE
from sim.sweep.lock import LOCK, FolderLock
from sim.sweep.parts import (
    CHECKSUMS,
    META_KEY,
    PART,
    PART_FILE,
    PARTS,
    WORK,
    Hashing,
    PartSink,
    checksum,
    checksum_of,
    commit,
    digest_of,
    first_of,
    meta,
    open_parts,
    stem_for,
    temporary,
    write_ipc,
)
from sim.sweep.tables import LOGS
from sim.sweep.tasks import STATUS_OK, ChunkResult

RUNS, WARNINGS, SERIES, MANIFEST = RUNS_FILE, WARNINGS_FILE, SERIES_FILE, MANIFEST_FILE
STATE = "state.json"
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


def writer_options(name: str, schema: pa.Schema) -> dict[str, Any]:
    """Parquet writer options for final file ``name``: the defaults, except that the warning
    log keeps column statistics only for its integer columns (run ids, days, plot ids: the
    ones a reader would skip row groups by; no reader in warnsim uses statistics). Values,
    types, column order and schema metadata are unchanged, and so is the file's size (0.1%
    smaller); encoding the log costs the sweep's own process 0.020 rather than 0.024 ms a run
    (6,000 default one-year runs). Storing its float columns plain rather than as a dictionary
    would save 0.005 ms more, but made the README's sweep (common random numbers repeat
    values across rivalry levels) 1.57x larger, and no cheap look at the data tells the two
    apart: the dictionary stays."""
    if name != WARNINGS:
        return {}
    return {"write_statistics": [f.name for f in schema if pa.types.is_integer(f.type)]}


def row_group(schema: pa.Schema) -> int:
    """Rows per row group of a final file with ``schema``."""
    return max(4_096, ROW_GROUP_CELLS // len(schema))


class DamagedPart(Exception):
    """A part whose bytes no longer match its checksums, found as it is merged."""

    def __init__(self, stem: str, problem: str) -> None:
        super().__init__(f"part {stem}: {problem}")
        self.stem, self.problem = stem, problem


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
        self.parts = self.work / PARTS
        self.state_path = self.work / STATE
        self.meta = meta(fingerprint)
        self.sink = PartSink(self.out, fingerprint)
        self._tmp_names = {_tmp_name(f) for f in FINAL_FILES}
        self._log_sums: dict[str, Any] = {}
        """Each part's log checksums, from its runs file as :meth:`merge_runs` verified and read
        it (so :meth:`finish` need not open every runs file again)."""

    # --- reading (no writes) -----------------------------------------------------------------

    def manifest(self) -> dict[str, Any] | None:
        """The manifest if there is a readable warnsim one."""
        found = _json_or_none(self.out / MANIFEST, Cap.MANIFEST)
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
            check_sealed(self.out)
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
        state = _json_or_none(self.state_path, Cap.STATE)
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
        problems = _manifest_problems(manifest)
        sums = manifest.get("checksums")
        for name in self.files if not problems else ():
            path = self.out / name
            expected = (sums or {}).get(name, {})
            rows = _parquet_rows(path)
            if rows is None:
                problems.append(f"{name} is missing" if not path.exists()
                                else f"{name} is not a readable Parquet file")
            elif expected and rows != expected["rows"]:
                problems.append(f"{name} has {rows:,} rows, the manifest records "
                                f"{expected['rows']:,}")
            elif expected and _sha256(path) != expected["sha256"]:
                problems.append(f"{name} differs from the file the sweep wrote (sha256)")
            elif name == RUNS and rows != manifest["runs_total"]:
                problems.append(f"{name} has {rows:,} rows, the sweep had "
                                f"{manifest['runs_total']:,} runs")
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
        with Folder.open(self.out) as root:
            if root.kind(WORK) is not None:
                _discard(root, WORK)
            for name in FINAL_FILES:
                root.remove(name)
                root.remove(_tmp_name(name))

    def tidy(self) -> None:
        """Delete what killed sweeps left (trash, unfinished temporary parts and files) and
        working storage of the wrong kind (``parts`` a file, ``state.json`` a folder)."""
        with Folder.open(self.out) as root:
            for name in root.names():
                if name.startswith(TRASH) or name in self._tmp_names:
                    root.remove(name)
            if not _is_dir(root.kind(WORK)):
                return
            with root.folder(WORK) as work:
                for name, folder in ((PARTS, True), (STATE, False)):
                    mode = work.kind(name)
                    if mode is not None and _is_dir(mode) != folder:
                        work.remove(name)
                if work.kind(PARTS) is None:
                    return
                with work.folder(PARTS) as parts:
                    stems = set(self._stems())
                    for name in parts.names():
                        match = PART_FILE.match(name)
                        if match is None or match.group(1) not in stems:  # temporary, uncommitted
                            parts.remove(name)

    def leftovers(self) -> bool:
        """Whether a killed sweep left trash or temporary files here (for :meth:`tidy`)."""
        return any(p.name.startswith(TRASH) or p.name in self._tmp_names
                   for p in self.out.iterdir())

    def begin(self, state: dict[str, Any]) -> dict[str, Any]:
        """Create working storage (or keep an existing one, making any missing piece again);
        return the stored state. A missing, unreadable or foreign state file is rewritten
        (:meth:`conflict` has already refused a folder whose parts are another
        experiment's)."""
        old = _json_or_none(self.state_path, Cap.STATE)
        with Folder.open(self.out) as root, root.folder(WORK, create=True) as work:
            work.folder(PARTS, create=True).close()  # also when state.json alone survived
            if isinstance(old, dict) and old.get("fingerprint") == self.fingerprint:
                return old
            _write_json(work, STATE, state)
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
                done.notes.append(self.discard(stem, problem))
                continue
            first = first_of(stem)
            candidates.append((first, first + rows - 1, stem))
        end = -1
        for first, last, stem in sorted(candidates):
            if first <= end:
                done.notes.append(self.discard(stem, f"overlaps runs {first}-{end}"))
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
        """("", rows) for a complete, undamaged part of this experiment, else (what is wrong,
        0)."""
        first = first_of(stem)
        try:
            runs = self._file(stem, RUNS)
            if checksum_of(runs) != digest_of(stem):
                return "damaged: its runs file does not match its checksum", 0
            found = _file_meta(runs)
            if found.get("fingerprint") != self.fingerprint:
                return "another experiment's", 0
            ids = _read(runs, ["run_id"])["run_id"]
            n = len(ids)
            if n == 0 or ids.null_count or ids.to_numpy().tolist() != list(range(first, first + n)):
                return "run ids do not match its name", 0
            sums = found.get(CHECKSUMS)
            problem = next(filter(None, (self._log_problem(stem, name, sums, first, n)
                                         for name in self.logs)), "")
        except (OSError, pa.ArrowException, KeyError, ValueError) as exc:
            return f"unreadable: {exc}", 0
        return problem, 0 if problem else n

    def _log_problem(self, stem: str, name: str, sums: Any, first: int, n: int) -> str:
        """What is wrong with one log file of a part ("" if nothing)."""
        path = self._file(stem, name)
        if not path.exists():
            return f"{PART[name]} missing"
        if not (isinstance(sums, dict) and checksum_of(path) == sums.get(name)):
            return f"damaged: {PART[name]} does not match its checksum"
        logged = _read(path, ["run_id"])["run_id"]
        if len(logged) and (pc.min(logged).as_py() < first
                            or pc.max(logged).as_py() > first + n - 1):
            return f"{PART[name]} holds other runs"
        return ""

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
        with Folder.open(self.out) as root:
            root.remove(MANIFEST)
        keep = _ranges_without(0, total - 1, set(failed))
        self._split({f: self.out / f for f in self.files}, keep, _parquet_batches)

    def merge_runs(self) -> tuple[int, str, dict[str, Any]]:
        """Write the final ``runs.parquet`` from the parts; return the number of failed runs,
        a description of the first failure (empty if none) and the file's checksum entry.
        :class:`DamagedPart` if a part fails its checksum (nothing final is written then)."""
        failed, last, first = 0, -1, ""
        self._log_sums = {}
        merged = _Merge(self.out, RUNS, self.schemas[RUNS].with_metadata(self.meta))
        sources = [(stem, self._file(stem, RUNS), digest_of(stem)) for stem in self._stems()]
        for table in merged.write(sources):
            self._log_sums[merged.stem] = merged.part_meta.get(CHECKSUMS)
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
        and sha256), then drop working storage. :class:`DamagedPart` if a log part fails its
        checksum (before the manifest is written: the folder is then an unfinished one)."""
        sums = {RUNS: runs_checksum}
        for name in LOGS:
            if name in self.logs:
                merged = _Merge(self.out, name, self.schemas[name].with_metadata(self.meta))
                for _ in merged.write(self._log_sources(name)):
                    pass
                sums[name] = merged.checksum()
            else:
                with Folder.open(self.out) as root:
                    root.remove(name)
        with Folder.open(self.out) as root:
            _write_json(root, MANIFEST, {**manifest, "checksums": sums})
            _discard(root, WORK)

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

    def _log_sources(self, name: str) -> list[tuple[str, Path, str]]:
        """One log's part files in run-id order, each with the checksum its part recorded."""
        out = []
        for stem in self._stems():
            try:
                sums = (self._log_sums[stem] if stem in self._log_sums
                        else _file_meta(self._file(stem, RUNS)).get(CHECKSUMS))
            except (OSError, pa.ArrowException, ValueError):
                sums = None
            expected = sums.get(name) if isinstance(sums, dict) else None
            out.append((stem, self._file(stem, name), expected if isinstance(expected, str) else ""))
        return out

    def discard(self, stem: str, why: str) -> str:
        """Delete a part; return the note that says so."""
        with open_parts(self.out) as parts:
            _uncommit(parts, stem)
        return f"discarded part {stem} ({why}); its runs are run again"

    def _split(self, sources: dict[str, Path], keep: list[tuple[int, int]], batches: Any,
               replacing: str | None = None) -> None:
        """Write the rows of ``sources`` whose run ids fall in ``keep`` as new parts, at most
        :data:`PIECE_RUNS` runs each, streaming (one batch and one open file at a time); then
        delete part ``replacing`` (uncommitted before the new parts are committed, so the two
        never overlap). The logs are written first: each piece's runs file records their
        checksums."""
        pieces = [(a, min(a + PIECE_RUNS - 1, hi)) for lo, hi in keep
                  for a in range(lo, hi + 1, PIECE_RUNS)]
        tmps = [temporary() for _ in pieces]
        starts = [a for a, _ in pieces]
        sums: list[dict[str, str]] = [{} for _ in pieces]
        with open_parts(self.out) as parts:
            for name in (*self.logs, RUNS) if pieces else ():
                schemas = [self.schemas[name].with_metadata(
                    meta(self.fingerprint, s) if name == RUNS else self.meta) for s in sums]
                writers = _PieceWriters(parts, [f"{t}.{PART[name]}" for t in tmps], schemas)
                for batch in batches(sources[name]):
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
                for piece, digest in enumerate(writers.close()):
                    sums[piece][name] = digest
            if replacing is not None:
                _uncommit(parts, replacing)
            for tmp, (a, _), found in zip(tmps, pieces, sums, strict=True):
                commit(parts, tmp, stem_for(a, found.pop(RUNS)), list(self.logs))


class _PieceWriters:
    """One Arrow IPC file per piece (each with its schema), opened when its first rows come,
    and an empty (typed) file for every piece that gets none; each hashed as it is written."""

    def __init__(self, folder: Folder, names: list[str], schemas: list[pa.Schema]) -> None:
        self.folder, self.names, self.schemas = folder, names, schemas
        self.current: tuple[int, Hashing, pa.ipc.RecordBatchFileWriter] | None = None
        self.digests: dict[int, str] = {}

    def write(self, piece: int, batch: pa.RecordBatch) -> None:
        if self.current is None or self.current[0] != piece:
            self._close_current()
            sink = Hashing(self.folder.create(self.names[piece]))
            self.current = (piece, sink, pa.ipc.new_file(sink, self.schemas[piece]))
        schema = self.schemas[piece]
        self.current[2].write_batch(batch.cast(schema) if not batch.schema.equals(schema)
                                    else batch)

    def _close_current(self) -> None:
        if self.current is not None:
            piece, sink, writer = self.current
            writer.close()
            sink.close()
            self.digests[piece] = sink.hexdigest()
            self.current = None

    def close(self) -> list[str]:
        """Close every file; each piece's checksum, in order."""
        self._close_current()
        for i, name in enumerate(self.names):
            if i not in self.digests:
                self.digests[i] = write_ipc(self.folder, name, self.schemas[i].empty_table())
        return [self.digests[i] for i in range(len(self.names))]


class _Merge:
    """Concatenate part files in order into one Parquet file, streaming (memory bounded by one
    row group and one part, not by the number of runs). Parts cover disjoint, increasing
    run-id ranges, so concatenation in that order is run-id order; every part is cast to the
    declared schema, so the result does not depend on how runs were chunked. Each part's bytes
    are checked against its checksum before its rows are used (:class:`DamagedPart`), and the
    final file's checksum is computed from the bytes as they are written."""

    def __init__(self, root: Path, name: str, schema: pa.Schema) -> None:
        self.root, self.name, self.schema = root, name, schema
        self.rows = 0
        self.sha256 = ""
        self.stem = ""
        self.part_meta: dict[str, Any] = {}
        """The warnsim metadata of the part last yielded (as read, before any cast)."""

    def write(self, sources: Iterable[tuple[str, Path, str]]) -> Iterator[pa.Table]:
        """Write the file, yielding each part's table on the way."""
        tmp = _tmp_name(self.name)
        group = row_group(self.schema)
        pending: list[pa.Table] = []
        rows = 0
        with Folder.open(self.root) as root:
            root.remove(tmp)
            sink = Hashing(root.create(tmp), hashlib.sha256)
            try:
                with pq.ParquetWriter(sink, self.schema,
                                      **writer_options(self.name, self.schema)) as writer:
                    for stem, source, expected in sources:
                        table = _verified(stem, source, expected)
                        self.stem, self.part_meta = stem, _meta_of(table.schema)
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
                    if rows:  # contiguous, as every group: a table in pieces may be paged
                        # differently, and writes slower (0.003 against 0.0023 ms a run)
                        writer.write_table(pa.concat_tables(pending).combine_chunks(),
                                           row_group_size=group)
                        self.rows += rows
            except BaseException:
                sink.close()
                root.remove(tmp)
                raise
            sink.close()
            self.sha256 = sink.hexdigest()
            root.replace(tmp, self.name)

    def checksum(self) -> dict[str, Any]:
        return {"rows": self.rows, "sha256": self.sha256}


def _verified(stem: str, path: Path, expected: str) -> pa.Table:
    """A part file's table, read only after its bytes match the checksum ``expected``."""
    try:
        with pa.memory_map(str(path)) as source:
            buffer = source.read_buffer()
        if checksum(buffer) != expected:
            raise DamagedPart(stem, f"{path.name} does not match its checksum")
        return pa.ipc.open_file(buffer).read_all()
    except (OSError, pa.ArrowException) as exc:
        raise DamagedPart(stem, f"{path.name} is unreadable ({exc})") from None


def _uncommit(parts: Folder, stem: str) -> None:
    """Delete a part, its runs file first: from then on the part does not exist."""
    for name in PART.values():
        parts.remove(f"{stem}.{name}")


def _discard(root: Folder, name: str) -> None:
    """Move ``name`` out of the way in one rename, then delete it (a kill in between leaves
    trash that the next run deletes, never a half-deleted part)."""
    trash = f"{TRASH}{secrets.token_hex(6)}"
    root.replace(name, trash)
    root.remove(trash)


def _is_dir(mode: int | None) -> bool:
    return mode is not None and stat.S_ISDIR(mode)


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


def _meta_of(schema: pa.Schema) -> dict[str, Any]:
    """A part's warnsim metadata from its schema ({} if it has none or it is damaged)."""
    try:
        found = json.loads((schema.metadata or {}).get(META_KEY, b"{}"))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


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


def _tmp_name(name: str) -> str:
    return f".{name}.tmp"


def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return path


def _is_manifest(found: Any) -> bool:
    return isinstance(found, dict) and all(k in found for k in MANIFEST_KEYS)


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """What is wrong with the parts of a finished manifest the checks use (a hand-edited or
    damaged one): each a problem that makes the folder unverifiable."""
    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    problems = []
    if not count(manifest.get("runs_total")):
        problems.append(f"{MANIFEST}: runs_total is not a count of runs")
    if not count(manifest.get("runs_failed", 0)) or not isinstance(
            manifest.get("first_failure", ""), str):
        problems.append(f"{MANIFEST}: runs_failed or first_failure is damaged")
    sums = manifest.get("checksums")
    if sums is not None and not (isinstance(sums, dict) and all(
            isinstance(v, dict) and count(v.get("rows")) and isinstance(v.get("sha256"), str)
            for v in sums.values())):
        problems.append(f"{MANIFEST}: checksums are damaged")
    return problems


def _json_or_none(path: Path, cap: int) -> Any:
    """A JSON file's contents (a regular file, read within ``cap`` bytes); None if it is
    missing or damaged (callers decide what that means: a damaged state file is rewritten, a
    damaged manifest makes the folder unverified)."""
    try:
        return parse_json(read_bytes(path, cap=cap), origin=str(path))
    except UserError:
        return None


def _write_json(folder: Folder, name: str, data: dict[str, Any]) -> None:
    tmp = _tmp_name(name)
    folder.remove(tmp)
    with folder.create(tmp) as f:
        f.write((json.dumps(data, indent=2, default=str) + "\n").encode("utf-8"))
    folder.replace(tmp, name)


def stopped_by(exc: OSError, folder: str) -> SweepStopped:
    """A file-system failure as one line: which file (or folder), why, and that finished runs
    are kept. Arrow's I/O errors carry neither file name nor errno, only "[errno N]" in text."""
    where = exc.filename if exc.filename is not None else f"in {folder}"
    found = re.search(r"\[errno (\d+)\]", str(exc))
    reason = os.strerror(int(found.group(1))) if found else exc.strerror or str(exc)
    return SweepStopped(f"cannot write {where} ({reason}); finished runs are kept: fix the "
                        "cause and run the same command to resume")
