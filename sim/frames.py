"""One run's results as pandas DataFrames: the accessors of :class:`sim.run.RunResult`.

A run keeps its logs as columns of Python values (or, for a sweep, as Arrow record batches):
cheap to make and to send between processes. A researcher wants DataFrames. Each accessor
builds one through the log's declared Arrow schema (:mod:`sim.schema`), so a run's frame has
exactly the columns and types a sweep's ``warnings.parquet`` (less ``run_id``),
``timeseries.parquet``, ``agents.parquet`` and ``dyads.parquet`` have, and code written for one
works on the other. pandas and pyarrow are imported on first use, not with the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.schema import AGENT_FIELDS, DYAD_FIELDS, SERIES_FIELDS, WARNING_FIELDS, Column

if TYPE_CHECKING:
    import pandas as pd


def log_frame(log: Any, fields: tuple[Column, ...], flag: str) -> pd.DataFrame:
    """``log`` (columns of values, or one Arrow record batch) as a DataFrame in the declared
    types of ``fields``; a log that was not recorded (None) is a ValueError naming ``flag``,
    the :class:`~sim.run.RunSpec` switch that records it."""
    import pyarrow as pa

    from sim.schema import arrow_schema

    if log is None:
        raise ValueError(f"this log was not recorded; run with RunSpec({flag}=True)")
    schema = arrow_schema(fields)
    batch = log if isinstance(log, pa.RecordBatch) else pa.RecordBatch.from_pydict(
        {c.name: log[c.name] for c in fields}, schema=schema)
    return batch.to_pandas()


def matrix_frame(matrix: list[list[Any]], agencies: list[str], rows: str,
                 columns: str) -> pd.DataFrame:
    """A square agency-by-agency matrix, rows and columns named by agency (NaN on the
    diagonal), the index called ``rows`` and the columns ``columns``."""
    import numpy as np
    import pandas as pd

    values = np.array([[np.nan if x is None else x for x in row] for row in matrix], dtype=float)
    return pd.DataFrame(values.reshape(len(agencies), len(agencies)),
                        index=pd.Index(agencies, name=rows),
                        columns=pd.Index(agencies, name=columns))


class RunFrames:
    """DataFrame accessors for :class:`~sim.run.RunResult` (the attributes stay as they are)."""

    __slots__ = ()
    outcomes: dict[str, float | int]
    warnings: Any
    series: Any
    agents: Any
    dyads: Any
    agencies: list[str]
    trust_matrix: list[list[float | None]]
    rivalry_matrix: list[list[float]]

    def outcomes_frame(self) -> pd.DataFrame:
        """The outcomes as a one-row DataFrame (the columns of a sweep's ``runs.parquet``)."""
        import pandas as pd

        return pd.DataFrame([self.outcomes])

    def warnings_frame(self) -> pd.DataFrame:
        """The warning log, one row per triggered warning (waived ones included)."""
        return log_frame(self.warnings, WARNING_FIELDS, "record_warnings")

    def series_frame(self) -> pd.DataFrame:
        """The per-day series, one row per day (recorded with ``record_series``)."""
        return log_frame(self.series, SERIES_FIELDS, "record_series")

    def agents_frame(self) -> pd.DataFrame:
        """The per-agency series, one row per agency and day (``record_agents``)."""
        return log_frame(self.agents, AGENT_FIELDS, "record_agents")

    def dyads_frame(self) -> pd.DataFrame:
        """Trust and rivalry of every ordered pair, one row per pair and day (``record_dyads``)."""
        return log_frame(self.dyads, DYAD_FIELDS, "record_dyads")

    def trust_frame(self) -> pd.DataFrame:
        """End-of-run trust: row = recipient, column = sender (perceived benevolence)."""
        return matrix_frame(self.trust_matrix, self.agencies, "recipient", "sender")

    def rivalry_frame(self) -> pd.DataFrame:
        """End-of-run rivalry: row ``i``, column ``j`` = rivalry of ``i`` toward ``j``."""
        return matrix_frame(self.rivalry_matrix, self.agencies, "agency", "toward")
