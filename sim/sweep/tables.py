"""The Arrow schemas of a sweep's tables, derived from the declarations.

``runs``: the run's identity, every model parameter (:mod:`sim.params`), every outcome
(:mod:`sim.outcomes`), ``status`` and ``error``. The warning log and the series: ``run_id``
then the columns :mod:`sim.schema` declares, with their declared types, so a table with no rows
(a sweep in which nothing was ever warned) still has typed columns rather than nulls.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import pyarrow as pa

from sim.outcomes import OUTCOMES, Kind
from sim.params import PARAMETERS
from sim.schema import SERIES_FIELDS, WARNING_FIELDS, Column, Dtype

ARROW: dict[Dtype, pa.DataType] = {Dtype.INT: pa.int64(), Dtype.FLOAT: pa.float64(),
                                   Dtype.BOOL: pa.bool_(), Dtype.STRING: pa.string()}

META = ("run_id", "point_id", "replication", "seed")
"""Each run's identity, the first columns of ``runs.parquet``."""


@cache
def runs_schema() -> pa.Schema:
    """The fixed schema of ``runs.parquet`` (counts stay integers even with failed runs)."""
    kinds = {int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
    fields = [pa.field(n, pa.int64()) for n in (*META, "days")]
    fields.append(pa.field("scenario", pa.string()))
    fields += [pa.field(p.name, kinds.get(p.kind, pa.string())) for p in PARAMETERS.values()]
    fields += [pa.field(o.name, pa.int64() if o.kind is Kind.COUNT else pa.float64())
               for o in OUTCOMES]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string())]
    return pa.schema(fields)


@cache
def log_schema(fields: Sequence[Column]) -> pa.Schema:
    """``run_id`` and the declared columns of a per-run log."""
    return pa.schema([pa.field("run_id", pa.int64()),
                      *(pa.field(c.name, ARROW[c.dtype]) for c in fields)])


def warnings_schema() -> pa.Schema:
    return log_schema(WARNING_FIELDS)


def series_schema() -> pa.Schema:
    return log_schema(SERIES_FIELDS)
