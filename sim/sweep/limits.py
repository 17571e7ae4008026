"""How big a sweep may be: declared limits, checked before anything is built or written.

Each value of an experiment file has its own range (``replications`` up to a million, a grid
axis up to 100,000 values), but their product is what costs memory, time and disk: a million
replications of 1,000 grid points, or three 100,000-value axes, are each valid on their own and
would build a billion tasks. :func:`check_size` refuses such designs when the file is read (so
``--dry-run`` refuses them too) and :func:`check_memory` compares what the design itself needs
in memory with what this process may still use.

The engine's memory does not grow with the number of runs: tasks are generated lazily, one
chunk at a time, seeds are derived on demand and finished runs are tracked as run-id
intervals. What it holds is the design (a sampled design as a float64 matrix, a design CSV as
parsed rows), one cached seed per replication and one row group of the final files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UserError
from sim.files import Cap

MAX_POINTS = 1_000_000
"""Design points (each point's values are held in memory)."""

MAX_RUNS = 100_000_000
"""Runs: design points x replications."""

MAX_RUN_DAYS = 100_000_000_000
"""Simulated days over all runs (runs x days): about a CPU-day at today's 0.3 ms per run-year
(a CPU-year at the 3 ms before the compiled engine)."""

MAX_SERIES_ROWS = 1_000_000_000
"""Rows of ``timeseries.parquet`` (runs x days) when ``record_series = true``: tens of GB; the
same limit holds for ``agents.parquet`` (x agencies) and ``dyads.parquet`` (x ordered pairs)."""

MAX_DESIGN_FILE_BYTES = int(Cap.DESIGN)
"""Size of a design CSV (read whole, within this cap, before it is parsed)."""

SAMPLER_COPIES = 4
"""Peak memory of drawing a Latin hypercube or Saltelli design, in copies of its float64 matrix
(measured with scipy.stats.qmc: about 3 for LHS)."""

ROW_BYTES = 64
"""Memory of one parsed value of a design CSV (a Python float or str in a tuple)."""


@dataclass(frozen=True, slots=True)
class Size:
    """What an experiment's size depends on, known before its design is built."""

    points: int
    parameters: int
    replications: int
    days: int
    record_series: bool
    sampled: bool
    csv: bool = False
    agents: int = 0  # rows of agents.parquet per run-day (0: not recorded)
    dyads: int = 0  # rows of dyads.parquet per run-day (0: not recorded)
    every: int = 1  # the per-day files record every this many days and the last day

    @property
    def recorded_days(self) -> int:
        """Days a run's per-day files hold a row for (:func:`sim.run.recorded_days`)."""
        return self.days // self.every + (1 if self.days % self.every else 0)

    @property
    def runs(self) -> int:
        return self.points * self.replications

    def memory_bytes(self) -> int:
        """What building and holding the design needs, plus the seed cache."""
        cells = self.points * max(self.parameters, 1)
        if self.sampled:
            design = SAMPLER_COPIES * 8 * cells
        elif self.csv:
            design = ROW_BYTES * cells
        else:  # a grid holds only its axes' values
            design = 0
        return design + 9 * self.replications


def check_points(points: int, origin: str) -> None:
    """Refuse more than :data:`MAX_POINTS` design points (before any point is made)."""
    if points > MAX_POINTS:
        raise UserError(f"{origin}: design too large: {points:,} design points; allowed: at "
                        f"most {MAX_POINTS:,} (use fewer design points, replications or days)")


def check_size(size: Size, origin: str) -> None:
    """Refuse a design whose total size exceeds a declared limit (one line naming the product)."""
    check_points(size.points, origin)
    what = f"{size.points:,} design points x {size.replications:,} replications"
    checks = [
        (size.runs, MAX_RUNS, f"{what} = {size.runs:,} runs"),
        (size.runs * size.days, MAX_RUN_DAYS,
         f"{what} x {size.days:,} days = {size.runs * size.days:,} run-days"),
    ]
    recorded = size.runs * size.recorded_days
    for key, per_day, file in (("record_series", int(size.record_series), "timeseries.parquet"),
                               ("record_agents", size.agents, "agents.parquet"),
                               ("record_dyads", size.dyads, "dyads.parquet")):
        if per_day:
            checks.append((recorded * per_day, MAX_SERIES_ROWS,
                           f"{key}: {recorded * per_day:,} rows of {file}"))
    for got, limit, text in checks:
        if got > limit:
            raise UserError(f"{origin}: design too large: {text}; allowed: at most {limit:,} "
                            "(use fewer design points, replications or days)")


def check_memory(size: Size, origin: str) -> None:
    """Refuse a design that needs more memory than this process may still use."""
    need = size.memory_bytes()
    free = available_memory()
    if free is not None and need > free:
        raise UserError(
            f"{origin}: design too large for this machine: about {_mb(need)} to hold "
            f"{size.points:,} design points of {size.parameters} parameters, {_mb(free)} "
            "available here; allowed: a design that fits (fewer points or parameters)")


def available_memory() -> int | None:
    """Bytes this process can still allocate: the smallest of the system's available memory,
    the address-space limit (``ulimit -v``) left and the cgroup's limit left; None if unknown."""
    found = [_meminfo_available(), _rlimit_left(), _cgroup_left()]
    known = [b for b in found if b is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _rlimit_left() -> int | None:
    try:
        import resource
    except ImportError:  # not on POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(0, soft - _status_kb("VmSize") * 1024)


def _cgroup_left() -> int | None:
    try:
        rel = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
        base = Path("/sys/fs/cgroup") / rel.lstrip("/")
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(0, int(limit) - int((base / "memory.current").read_text()))
    except (OSError, ValueError, IndexError):
        return None


def _status_kb(key: str) -> int:
    try:
        for line in Path(f"/proc/{os.getpid()}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _mb(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"
