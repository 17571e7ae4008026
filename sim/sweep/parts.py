"""Parts: one chunk's tables as flat Arrow IPC files in ``<out>/.sweep/parts/``.

A part is ``part-<first run_id>-<token>.<table>.arrow``, one file for the runs and one for each
log the experiment records (``warnings``, ``timeseries``, ``agents``, ``dyads``). Each file is
written under a temporary name (``.tmp-<token>.<table>.arrow``) and renamed into place, the runs
file last: that rename commits the part (a part exists if and only if its runs file does).
Every file carries the experiment's fingerprint in its schema metadata.

Both the sweep's own process and its local workers write parts (:class:`PartSink`): a worker
that writes its chunk itself spares the parent converting, receiving and writing it, which is
what bounds a sweep's throughput once the model is fast. Dask workers, which need not share the
results folder's file system, send their tables back instead.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pyarrow import feather

from sim.schema import AGENTS_FILE, DYADS_FILE, RUNS_FILE, SERIES_FILE, WARNINGS_FILE

PART = {RUNS_FILE: "runs.arrow", WARNINGS_FILE: "warnings.arrow", SERIES_FILE: "timeseries.arrow",
        AGENTS_FILE: "agents.arrow", DYADS_FILE: "dyads.arrow"}
"""Each table's file name within a part."""

PART_FILE = re.compile(r"^(part-(\d{10})-[0-9a-f]+)\.(runs|warnings|timeseries|agents|dyads)"
                       r"\.arrow$")
"""A part's files: ``<stem>.<table>.arrow``; the stem starts with the part's first run id."""

META_KEY = b"warnsim"
"""Schema metadata key of every file a sweep writes: ``{"fingerprint": ...}``."""


@dataclass(frozen=True, slots=True)
class PartSink:
    """Where a chunk's part goes: the parts folder and the metadata every file carries."""

    folder: Path
    meta: dict[bytes, bytes]

    def file(self, stem: str, name: str) -> Path:
        return self.folder / f"{stem}.{PART[name]}"

    def write(self, runs: pa.Table, logs: dict[str, pa.Table]) -> None:
        """Write and commit one part (``logs``: final file name -> table)."""
        tmp = temporary()
        for name, table in [*logs.items(), (RUNS_FILE, runs)]:
            write_ipc(table.replace_schema_metadata(self.meta), self.file(tmp, name))
        self.commit(tmp, stem_for(runs["run_id"][0].as_py()), list(logs))

    def commit(self, tmp: str, stem: str, logs: list[str]) -> None:
        """Rename a part's files into place, the runs file last (the commit)."""
        for name in [*logs, RUNS_FILE]:
            os.replace(self.file(tmp, name), self.file(stem, name))


def temporary() -> str:
    return f".tmp-{secrets.token_hex(6)}"


def stem_for(first: int) -> str:
    return f"part-{first:010d}-{secrets.token_hex(4)}"


def first_of(stem: str) -> int:
    return int(stem.split("-")[1])


def write_ipc(table: pa.Table, path: Path) -> None:
    feather.write_feather(table, path, compression="uncompressed")
