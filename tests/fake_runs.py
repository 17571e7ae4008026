"""Run functions that stand in for the model where the engine, not the model, is under test.

They are deterministic functions of the run's seed and parameters with every declared outcome
and log column (derived from :mod:`sim.outcomes` and :mod:`sim.schema`, so they follow the
declarations), cost microseconds and never import Mesa, so a test can start many sweep
processes quickly. Importable by child processes as ``tests.fake_runs`` (cwd = repository).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from sim.outcomes import OUTCOMES, Kind
from sim.run import RunResult, RunSpec
from sim.schema import AGENT_FIELDS, DYAD_FIELDS, SERIES_FIELDS, WARNING_FIELDS, Dtype

AGENCIES = ["X", "Y", "Z"]
"""The fake runs' agencies (for the final matrices, the agent and the dyad series)."""


def _value(dtype: Dtype, seed: int, i: int) -> Any:
    if dtype is Dtype.INT:
        return (seed >> 8) % 100 + i
    if dtype is Dtype.FLOAT:
        return ((seed >> 16) % 1000 + i) / 1000
    if dtype is Dtype.BOOL:
        return (seed + i) % 2 == 0
    return f"s{(seed >> 24) % 5}-{i}"


def fake(spec: RunSpec) -> RunResult:
    """A run with ``seed % 4`` warnings and, when asked, ``days`` series rows, ``days x 3``
    agent rows and ``days x 6`` dyad rows; ``trust_matrix[r][s]`` is ``(r + 1) / (s + 2)``
    times a number of the seed, ``rivalry_matrix[r][s]`` is ``(r + s) / 4``."""
    seed = spec.seed
    outcomes: dict[str, float | int] = {
        o.name: (seed >> 4) % 50 if o.kind is Kind.COUNT else ((seed >> 12) % 997) / 997
        for o in OUTCOMES
    }
    rows = seed % 4
    warnings = {c.name: [_value(c.dtype, seed, i) for i in range(rows)] for c in WARNING_FIELDS}
    series = ({c.name: [_value(c.dtype, seed, d) for d in range(spec.days)]
               for c in SERIES_FIELDS} if spec.record_series else None)
    n = len(AGENCIES)
    level = ((seed >> 20) % 89) / 100
    trust = [[None if r == s else level * (r + 1) / (s + 2) for s in range(n)] for r in range(n)]
    rivalry = [[0.0 if r == s else (r + s) / 4 for s in range(n)] for r in range(n)]
    agents = ({c.name: [_value(c.dtype, seed, i) for i in range(spec.days * n)]
               for c in AGENT_FIELDS} if spec.record_agents else None)
    dyads = ({c.name: [_value(c.dtype, seed, i) for i in range(spec.days * n * (n - 1))]
              for c in DYAD_FIELDS} if spec.record_dyads else None)
    return RunResult(outcomes, warnings if spec.record_warnings else None, series,
                     agencies=list(AGENCIES), trust_matrix=trust, rivalry_matrix=rivalry,
                     agents=agents, dyads=dyads)


def quiet(spec: RunSpec) -> RunResult:
    """A run in which nothing is ever warned (an empty warning log)."""
    result = fake(spec)
    return RunResult(result.outcomes, {c.name: [] for c in WARNING_FIELDS}, result.series)


def failing_odd_replications(spec: RunSpec) -> RunResult:
    """Fails every run whose seed is odd (deterministic, so a retry fails them again)."""
    if spec.seed % 2:
        raise RuntimeError(f"odd seed {spec.seed}")
    return fake(spec)


def gated(spec: RunSpec) -> RunResult:
    """Waits until the file named by $WARNSIM_TEST_GATE exists: keeps a sweep (and its lock)
    alive until the test lets it go. Also writes $WARNSIM_TEST_GATE.running once started."""
    gate = Path(os.environ["WARNSIM_TEST_GATE"])
    gate.with_suffix(".running").touch()
    while not gate.exists():
        time.sleep(0.01)
    return fake(spec)


def sigint_after(n: int):
    """A run function that sends this process a real SIGINT (Ctrl-C) at its ``n``-th call."""
    calls = [0]

    def run(spec: RunSpec) -> RunResult:
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGINT)
        return fake(spec)

    return run


def trust_spread(outcomes, trust_matrix, rivalry_matrix, agencies) -> float:
    """A metric function (``{ function = "tests.fake_runs.trust_spread" }``): the largest
    minus the smallest trust in the final matrix."""
    import numpy as np

    return float(np.nanmax(trust_matrix) - np.nanmin(trust_matrix))


def broken_metric(outcomes, trust_matrix, rivalry_matrix, agencies) -> float:
    """A metric function that fails for every run whose number of plots is odd."""
    if outcomes["plots"] % 2:
        raise ZeroDivisionError("odd number of plots")
    return 1.0


def noisy_dyads(spec: RunSpec) -> RunResult:
    """:func:`fake` with dyad trust and rivalry drawn at random from the seed: columns of
    distinct floats, which Parquet stores plain in pages of 1 MB, not as a dictionary."""
    import dataclasses

    import numpy as np

    result = fake(spec)
    rng = np.random.default_rng(spec.seed)
    rows = spec.days * len(AGENCIES) * (len(AGENCIES) - 1)
    noisy = {**result.dyads, "trust": rng.random(rows), "rivalry": rng.random(rows)}
    return dataclasses.replace(result, dyads=noisy)
