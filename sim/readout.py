"""What the Mesa model (:class:`sim.model.WarningModel`) shows of its run, kept out of the glue:
its DataCollector (the run's outcomes after every step, optionally the per-day series' own
columns and the per-agency series), the per-dyad series as columns, and a read-only view of
the trust ledger (:mod:`sim.ledger`).

The reporters read the model's snapshot of the day (computed once a day by the model from the
kernels' state, :mod:`sim.observe`), so ``mesa.batch_run`` reports the outcomes at any
collection period without computing them once per column.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim.ledger import evidence_at
from sim.log import typed
from sim.outcomes import OUTCOME_NAMES
from sim.schema import (
    AGENT_COLUMNS,
    AGENT_FIELDS,
    DYAD_COLUMNS,
    DYAD_FIELDS,
    SERIES_COLUMNS,
    SERIES_FIELDS,
)


def collector(*, record_series: bool, record_agents: bool) -> mesa.DataCollector:
    """The model's DataCollector: every outcome (:mod:`sim.outcomes`), plus ``day`` and
    ``mean_rivalry`` with ``record_series``, plus the per-agency columns with ``record_agents``."""
    reporters = {name: _reporter(name) for name in OUTCOME_NAMES}
    if record_series:
        reporters |= {name: _reporter(name) for name in ("day", "mean_rivalry")}
    return mesa.DataCollector(
        model_reporters=reporters,
        agent_reporters={name: _agent_reporter(name) for name in AGENT_COLUMNS}
        if record_agents else None,
    )


def _reporter(name: str) -> Any:
    """A DataCollector reporter reading one value of the day's snapshot (computed once a day)."""
    return lambda model: model._snapshot[name]


def _agent_reporter(name: str) -> Any:
    """A DataCollector agent reporter reading one column of the day's per-agency snapshot."""
    return lambda agent: agent.model._agent_snapshot[name][agent.index]


def series_columns(recorded: mesa.DataCollector | None, *, as_arrow: bool) -> Any:
    """The per-day series (:data:`sim.schema.SERIES_FIELDS`) the DataCollector ``recorded``
    (empty when None): lists, or an Arrow record batch (``as_arrow``)."""
    if recorded is None:
        columns: dict[str, list[Any]] = {name: [] for name in SERIES_COLUMNS}
    else:
        columns = {name: list(recorded.model_vars[name]) for name in SERIES_COLUMNS}
    return typed(columns, SERIES_FIELDS) if as_arrow else columns


def agent_columns(recorded: mesa.DataCollector | None, *, as_arrow: bool) -> Any:
    """The per-agency series (:data:`sim.schema.AGENT_FIELDS`) the DataCollector ``recorded``
    (empty when None), rows ordered by day, then agency: lists, or an Arrow record batch."""
    if recorded is None:
        columns: dict[str, Any] = {name: [] for name in AGENT_COLUMNS}
    else:
        frame = recorded.get_agent_vars_dataframe()
        columns = {name: frame[name].to_numpy() if as_arrow else frame[name].tolist()
                   for name in AGENT_COLUMNS}
    return typed(columns, AGENT_FIELDS) if as_arrow else columns


def dyad_columns(rows: list[tuple[int, np.ndarray, np.ndarray]], names: list[str], *,
                 as_arrow: bool) -> Any:
    """The per-dyad series (:data:`sim.schema.DYAD_FIELDS`) from the model's daily rows
    ``(day, trust, rivalry)`` of the off-diagonal pairs: per day, every ordered pair
    (recipient, sender) in row-major order; lists, or an Arrow record batch (``as_arrow``)."""
    if not rows:
        empty: dict[str, list[Any]] = {name: [] for name in DYAD_COLUMNS}
        return typed(empty, DYAD_FIELDS) if as_arrow else empty
    n = len(names)
    recipient, sender = np.nonzero(~np.eye(n, dtype=bool))
    labels = np.array(names, dtype=object)
    columns = {
        "day": np.repeat(np.array([d for d, _, _ in rows], dtype=np.int64), len(recipient)),
        "recipient": np.tile(labels[recipient], len(rows)),
        "sender": np.tile(labels[sender], len(rows)),
        "trust": np.concatenate([x for _, x, _ in rows]),
        "rivalry": np.concatenate([x for _, _, x in rows]),
    }
    return typed(columns, DYAD_FIELDS) if as_arrow else {k: v.tolist() for k, v in columns.items()}


class LedgerView:
    """The ledger of a run, for reading: ``direct`` and ``public`` evidence, ``through`` (the
    day each dyad's evidence stands through) and :meth:`evidence_at`."""

    __slots__ = ("_arrays",)

    def __init__(self, arrays: Any) -> None:
        self._arrays = arrays

    @property
    def direct(self) -> np.ndarray:
        return _read_only(self._arrays.direct)

    @property
    def public(self) -> np.ndarray:
        return _read_only(self._arrays.public)

    @property
    def through(self) -> np.ndarray:
        """``[r, s]``: the day ``r``'s evidence about ``s`` stands through (fading is applied
        to a dyad when it is next read or written)."""
        return _read_only(self._arrays.through)

    def evidence_at(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the direct and public evidence as they would stand through ``day``."""
        return evidence_at(self._arrays, day)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
