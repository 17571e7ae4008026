"""Parts: one chunk's tables as flat Arrow IPC files in ``<out>/.sweep/parts/``.

A part is ``part-<first run_id>-<checksum>.<table>.arrow``, one file for the runs and one for each
log the experiment records (``warnings``, ``timeseries``, ``agents``, ``dyads``). Each file is
written under a temporary name (``.tmp-<token>.<table>.arrow``) and renamed into place, the runs
file last: that rename commits the part (a part exists if and only if its runs file does).
Every file carries the experiment's fingerprint in its schema metadata.

**Checksums.** Each file's CRC-32 is computed from the bytes as they are written (no second
read). The runs file's metadata records the checksum of each of the part's log files, and the
part's name carries the runs file's own: so a part vouches for every byte of itself, and
:mod:`sim.sweep.store` verifies it when a sweep resumes and again as it merges it (a part that
fails is discarded and its runs are made again). CRC-32, as in Parquet pages, gzip and PNG:
parts are working files checked against accidents (a bad disk, a stray write, a truncated copy),
and it costs a quarter of SHA-256 (3.9 against 1.7 GB/s here), twice per part (measured by
``benchmarks/bench_sweep.py`` section 5). The final files' checksums are SHA-256.

**Nothing outside the folder.** Files are created relative to the parts folder's descriptor
(:class:`sim.files.Folder`): the folder is reached without following links, a file is created
only where no name exists, and renames replace whatever is at the target instead of writing
through it.

Both the sweep's own process and its local workers write parts (:class:`PartSink`): a worker
that writes its chunk itself spares the parent converting, receiving and writing it, which is
what bounds a sweep's throughput once the model is fast. Dask workers, which need not share the
results folder's file system, send their tables back instead.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from sim.files import Folder
from sim.schema import AGENTS_FILE, DYADS_FILE, RUNS_FILE, SERIES_FILE, WARNINGS_FILE

WORK = ".sweep"
PARTS = "parts"

PART = {RUNS_FILE: "runs.arrow", WARNINGS_FILE: "warnings.arrow", SERIES_FILE: "timeseries.arrow",
        AGENTS_FILE: "agents.arrow", DYADS_FILE: "dyads.arrow"}
"""Each table's file name within a part."""

PART_FILE = re.compile(r"^(part-(\d{10})-[0-9a-f]+)\.(runs|warnings|timeseries|agents|dyads)"
                       r"\.arrow$")
"""A part's files: ``<stem>.<table>.arrow``; the stem starts with the part's first run id."""

META_KEY = b"warnsim"
"""Schema metadata key of every file a sweep writes: ``{"fingerprint": ...}``; a part's runs
file adds ``"crc32": {log file: checksum}``."""
CHECKSUMS = "crc32"
"""The key of a part's log checksums in its runs file's metadata."""


def meta(fingerprint: str, sums: Mapping[str, str] | None = None) -> dict[bytes, bytes]:
    """The schema metadata of a sweep's files (``sums``: a part's log checksums)."""
    found: dict[str, Any] = {"fingerprint": fingerprint}
    if sums is not None:
        found[CHECKSUMS] = dict(sums)
    return {META_KEY: json.dumps(found).encode()}


def open_parts(root: Path, *, create: bool = False) -> Folder:
    """The parts folder of the results folder ``root``, reached without following links."""
    with Folder.open(root) as top, top.folder(WORK, create=create) as work:
        return work.folder(PARTS, create=create)


@dataclass(frozen=True, slots=True)
class PartSink:
    """Where a chunk's part goes: the results folder and the experiment's fingerprint."""

    root: Path
    fingerprint: str

    @property
    def folder(self) -> Path:
        return self.root / WORK / PARTS

    def file(self, stem: str, name: str) -> Path:
        return self.folder / f"{stem}.{PART[name]}"

    def write(self, runs: pa.Table, logs: dict[str, pa.Table]) -> None:
        """Write and commit one part (``logs``: final file name -> table)."""
        tmp = temporary()
        with open_parts(self.root) as parts:
            sums = {name: write_ipc(parts, f"{tmp}.{PART[name]}",
                                    table.replace_schema_metadata(meta(self.fingerprint)))
                    for name, table in logs.items()}
            digest = write_ipc(parts, f"{tmp}.{PART[RUNS_FILE]}",
                               runs.replace_schema_metadata(meta(self.fingerprint, sums)))
            commit(parts, tmp, stem_for(runs["run_id"][0].as_py(), digest), list(logs))


def commit(parts: Folder, tmp: str, stem: str, logs: list[str]) -> None:
    """Rename a part's files into place, the runs file last (the commit)."""
    for name in [*logs, RUNS_FILE]:
        parts.replace(f"{tmp}.{PART[name]}", f"{stem}.{PART[name]}")


def temporary() -> str:
    return f".tmp-{secrets.token_hex(6)}"


def stem_for(first: int, digest: str) -> str:
    """A part's name: its first run id and the checksum of its runs file."""
    return f"part-{first:010d}-{digest}"


def first_of(stem: str) -> int:
    return int(stem.split("-")[1])


def digest_of(stem: str) -> str:
    """The runs file checksum a part's name carries."""
    return stem.split("-")[2]


class Crc32:
    """CRC-32 with :mod:`hashlib`'s interface (``update``, ``hexdigest``)."""

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: Any) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value:08x}"


def checksum(data: Any) -> str:
    """A part file's checksum (CRC-32, 8 hex digits) of ``data`` (any buffer)."""
    found = Crc32()
    found.update(data)
    return found.hexdigest()


class Hashing:
    """A binary file being written, hashed on the way (``digest``: :class:`Crc32` for parts,
    ``hashlib.sha256`` for final files) and its bytes counted: what pyarrow's writers write
    into (they need ``write``, ``tell``, ``flush`` and ``close``)."""

    def __init__(self, raw: IO[bytes], digest: Callable[[], Any] = Crc32) -> None:
        self.raw = raw
        self.sha = digest()
        self.size = 0
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.sha.update(view)
        self.size += view.nbytes
        return self.raw.write(view)

    def tell(self) -> int:
        return self.size

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.raw.close()

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def write_ipc(folder: Folder, name: str, table: pa.Table) -> str:
    """Write ``table`` as the new Arrow IPC file ``name`` in ``folder``; return its checksum."""
    sink = Hashing(folder.create(name))
    try:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    finally:
        sink.close()
    return sink.hexdigest()


def checksum_of(path: Path) -> str:
    """A part file's checksum, read through a memory map (no copy)."""
    with pa.memory_map(str(path)) as source:
        return checksum(source.read_buffer())
