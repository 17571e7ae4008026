"""The Arrow schemas of a sweep's tables, derived from the declarations.

``runs``: the run's identity, every model parameter (:mod:`sim.params`), the experiment's
scenario factors (dotted names, :mod:`sim.scenarios`), every outcome (:mod:`sim.outcomes`), the
experiment's metrics (:mod:`sim.metrics`), ``status`` and ``error``. The per-run logs (warnings,
series, agents, dyads): ``run_id`` then the columns :mod:`sim.schema` declares, with their
declared types, so a table with no rows (a sweep in which nothing was ever warned) still has
typed columns rather than nulls.
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from sim.outcomes import OUTCOMES, Kind
from sim.params import PARAMETERS
from sim.schema import (
    AGENT_FIELDS,
    AGENTS_FILE,
    DYAD_FIELDS,
    DYADS_FILE,
    SERIES_FIELDS,
    SERIES_FILE,
    WARNING_FIELDS,
    WARNINGS_FILE,
    Column,
    arrow_schema,
)

META = ("run_id", "point_id", "replication", "seed")
"""Each run's identity, the first columns of ``runs.parquet``."""

LOGS: dict[str, tuple[str, tuple[Column, ...]]] = {
    WARNINGS_FILE: ("warnings", WARNING_FIELDS),
    SERIES_FILE: ("series", SERIES_FIELDS),
    AGENTS_FILE: ("agents", AGENT_FIELDS),
    DYADS_FILE: ("dyads", DYAD_FIELDS),
}
"""Each per-run log a sweep may write: its final file, the name it has in
:class:`~sim.run.RunResult` (and ``record_<name>`` in :class:`~sim.run.RunSpec` and experiment
files; ``record_series`` for the series) and its declared columns."""

_KINDS = {int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def arrow_type(kind: type) -> pa.DataType:
    """The column type of a declared parameter or factor type (an Enum is its text)."""
    return _KINDS.get(kind, pa.string())


@cache
def runs_schema(factors: tuple[tuple[str, type], ...] = (),
                metrics: tuple[str, ...] = ()) -> pa.Schema:
    """The schema of ``runs.parquet`` (counts stay integers even with failed runs), with an
    experiment's scenario ``factors`` (name, declared type) after the parameters and its
    ``metrics`` (floats) after the outcomes."""
    fields = [pa.field(n, pa.int64()) for n in (*META, "days")]
    fields.append(pa.field("scenario", pa.string()))
    fields += [pa.field(p.name, arrow_type(p.kind)) for p in PARAMETERS.values()]
    fields += [pa.field(name, arrow_type(kind)) for name, kind in factors]
    fields += [pa.field(o.name, pa.int64() if o.kind is Kind.COUNT else pa.float64())
               for o in OUTCOMES]
    fields += [pa.field(name, pa.float64()) for name in metrics]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string())]
    return pa.schema(fields)


@cache
def log_schema(fields: tuple[Column, ...]) -> pa.Schema:
    """``run_id`` and the declared columns of a per-run log (:func:`sim.schema.arrow_schema`,
    the schema of the record batch a run returns)."""
    return pa.schema([pa.field("run_id", pa.int64()), *arrow_schema(fields)])
