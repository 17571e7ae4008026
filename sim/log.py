"""The warning log: one record ("cable") per triggered warning, as ICD 191 requires.

Every warning or waiver is documented (ICD 191, section E): the record holds what was known,
what was passed, by which channel, why it was waived, and later how the recipient judged it
(its belief about the sender, the warning's evidence, the choice probabilities and the
response) and whether events confirmed it. The exported columns and their meaning are declared
in :mod:`sim.schema`; the kernels write the records (:data:`CABLE_DTYPE`, one array per run,
sized for every cable the run's world can make) and :func:`batch` turns them into the
declared columns, with nulls where a value is not (yet) known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from sim.enums import Channel, Response, WaiverReason
from sim.jit import kernel
from sim.schema import WARNING_COLUMNS, WARNING_FIELDS, Column, arrow_schema

if TYPE_CHECKING:
    import pyarrow as pa

_I, _F, _B = np.int64, np.float64, np.bool_

CABLE_DTYPE = np.dtype([
    ("warning_id", _I), ("day", _I), ("sender", _I), ("recipient", _I), ("plot_id", _I),
    ("is_real", _B), ("fabricated", _B), ("credibility", _F), ("warned_day", _I),
    ("details_known", _I), ("details_passed", _I), ("timing", _B), ("location", _B),
    ("perpetrators", _B), ("channel", _I), ("waiver_reason", _I), ("relay", _I),
    ("sources_burned", _I), ("rivalry", _F), ("delivered_day", _I),
    ("perceived_benevolence", _F), ("hit_rate", _F), ("p_fabricated", _F),
    ("details_verified", _I), ("corroborated", _B), ("evidence_llr", _F),
    ("scale", _I), ("perceived_credibility", _F), ("harm_averted", _F), ("heed_cost", _F),
    ("face_loss", _F), ("political_loss", _F), ("diversion_deaths", _F),
    ("p_heed", _F), ("p_investigate", _F), ("p_dismiss", _F),
    ("p_heed_after_false_alarm", _F), ("p_heed_after_confirmation", _F), ("probed", _B),
    ("response", _I), ("investigation_positive", _I), ("credibility_after_investigation", _F),
    ("heeded", _I), ("decided_day", _I), ("confirmed", _I),
    # bookkeeping, not exported
    ("threat", _I), ("row", _I), ("judge_genuine", _F),
])
"""A cable as the kernels hold it. Codes: ``channel``, ``waiver_reason`` and ``response`` are
positions in their Enums (-1: none); ``sender``, ``recipient`` and ``relay`` are agency indices
(-1: no relay); ``investigation_positive``, ``heeded`` and ``confirmed`` are -1 (not known), 0
or 1. ``threat`` indexes the threats (-1 for fabrications), ``row`` the detections or the
fabrications; ``judge_genuine`` is the dyad's genuine-warning factor when the recipient judged
(the recipient's model of the sender at that moment, :func:`sim.inference.dyad_model`)."""

UNKNOWN = -1

_DELIVERED_ONLY = frozenset({
    "perceived_benevolence", "hit_rate", "p_fabricated", "details_verified", "corroborated",
    "evidence_llr", "perceived_credibility", "harm_averted", "heed_cost", "face_loss",
    "political_loss", "diversion_deaths", "p_heed", "p_investigate", "p_dismiss", "decided_day",
})
_TRISTATE = frozenset({"investigation_positive", "heeded", "confirmed"})
_CODES: dict[str, tuple[str, ...]] = {
    "scale": ("unspecified", "small", "mass"),  # sim.world.Scale
    "channel": tuple(m.value for m in Channel),
    "waiver_reason": tuple(m.value for m in WaiverReason),
    "response": tuple(m.value for m in Response),
}


@kernel
def open_cable(st: Any, day: int, sender: int, recipient: int, rivalry: float) -> int:
    """Append a blank cable (no channel, no waiver, nothing known of the response yet)."""
    state = st.state[0]
    c = state.cables
    state.cables = c + 1
    cab = st.cables[c]
    cab.warning_id = c
    cab.day = day
    cab.sender = sender
    cab.recipient = recipient
    cab.plot_id = -1
    cab.threat = -1
    cab.rivalry = rivalry
    cab.channel = UNKNOWN
    cab.waiver_reason = UNKNOWN
    cab.relay = UNKNOWN
    cab.delivered_day = -1
    cab.response = UNKNOWN
    cab.investigation_positive = UNKNOWN
    cab.heeded = UNKNOWN
    cab.decided_day = -1
    cab.confirmed = UNKNOWN
    return c


def empty_cables(capacity: int) -> np.recarray:
    return np.zeros(capacity, dtype=CABLE_DTYPE).view(np.recarray)


def batch(cables: np.ndarray, names: Sequence[str]) -> pa.RecordBatch:
    """The cables as one Arrow record batch in the declared schema
    (:data:`sim.schema.WARNING_FIELDS`), null where a value is not known: the judgement until
    the warning is delivered, the investigation's result until it reports, the cry-wolf probes
    but for a dyad's first warning.

    The export is on every logged run's path, so the numeric and boolean columns are made a
    storage type at a time: one copy of the columns into one matrix, one packing of its null
    flags (and booleans) into bits, then each column's Arrow array over its row's buffers
    (:meth:`pyarrow.Array.from_buffers`): the arrays ``pyarrow.array(values, mask=...)``
    makes, each owning only its own bytes, at a quarter of the cost."""
    import pyarrow as pa

    layout = _layout()
    cables = cables.view(np.ndarray)  # a record array's field access costs more
    size = len(cables)
    nulls = _Nulls(cables)
    arrays: list[Any] = [None] * len(layout.schema)
    for kind, dtype, group in layout.groups:
        if dtype is None:  # strings
            for at, name in group:
                labels = _labels(name, names)
                arrays[at] = pa.array([labels[i] for i in cables[name].tolist()], type=kind)
            continue
        data = np.empty((len(group), size), dtype)
        null = np.zeros((len(group), size), np.bool_)
        for row, (_, name) in enumerate(group):
            data[row] = cables[name] == 1 if name in _TRISTATE else cables[name]
            mask = nulls.mask(name)
            if mask is not None:
                null[row] = mask
        if dtype == np.bool_:
            data = np.packbits(data, axis=1, bitorder="little")
        counts = null.sum(axis=1).tolist()
        valid = np.packbits(~null, axis=1, bitorder="little")
        for row, (at, _) in enumerate(group):
            count = counts[row]
            arrays[at] = pa.Array.from_buffers(
                kind, size, [pa.py_buffer(valid[row]) if count else None, pa.py_buffer(data[row])],
                null_count=count)  # no validity buffer when nothing is null, as pyarrow.array
    return pa.RecordBatch.from_arrays(arrays, schema=layout.schema)


def columns(cables: np.ndarray, names: Sequence[str]) -> dict[str, list[Any]]:
    """The cables as columns of Python values, None as null: ``batch(cables,
    names).to_pydict()`` (the same values, types, order and nulls) without Arrow, whose
    per-value conversion cost more than the run's compiled year (``RunResult.warnings``)."""
    cables = cables.view(np.ndarray)
    nulls = _Nulls(cables)
    out: dict[str, list[Any]] = {}
    for name in WARNING_COLUMNS:
        values = cables[name]
        if name in _AGENCIES or name in _CODES:
            labels = _labels(name, names)
            out[name] = [labels[i] for i in values.tolist()]
            continue
        column = (values == 1 if name in _TRISTATE else values).tolist()
        mask = nulls.mask(name)
        if mask is not None:
            for i in np.flatnonzero(mask).tolist():
                column[i] = None
        out[name] = column
    return out


_AGENCIES = frozenset({"sender", "recipient", "relay"})
_PROBES = frozenset({"p_heed_after_false_alarm", "p_heed_after_confirmation"})


def _labels(name: str, names: Sequence[str]) -> list[str]:
    """The strings a coded column's values index; index -1 (none) reads ""."""
    return [*(names if name in _AGENCIES else _CODES[name]), ""]


class _Nulls:
    """Where each exported column of some cables is null (see :func:`batch`)."""

    __slots__ = ("cables", "undelivered")

    def __init__(self, cables: np.ndarray) -> None:
        self.cables = cables
        self.undelivered = cables["delivered_day"] < 0

    def mask(self, name: str) -> np.ndarray | None:
        """True where column ``name`` is null; None for a column that never is."""
        if name in _TRISTATE:
            return self.cables[name] < 0
        if name in _DELIVERED_ONLY:
            return self.undelivered
        if name in _PROBES:
            return ~self.cables["probed"]
        if name == "credibility_after_investigation":
            return self.cables["investigation_positive"] < 0
        return None


class _Layout(NamedTuple):
    schema: pa.Schema
    groups: tuple[tuple[pa.DataType, np.dtype | None, tuple[tuple[int, str], ...]], ...]
    """Per storage type: the Arrow type, the numpy dtype of its values (None: strings, made
    from labels) and its columns as (position in the schema, name)."""


@cache
def _layout() -> _Layout:
    """The warning log's schema and its columns by storage type, checked once against the
    records' dtypes (a numeric or boolean column's bytes become its Arrow array's buffer, so
    the two must agree)."""
    import pyarrow as pa

    schema = arrow_schema(WARNING_FIELDS)
    by_type: dict[pa.DataType, list[tuple[int, str]]] = {}
    for at, f in enumerate(schema):
        by_type.setdefault(f.type, []).append((at, f.name))
        if f.name in _AGENCIES or f.name in _CODES:
            if f.type != pa.string():
                raise TypeError(f"cable field {f.name}: labels, declared {f.type}")
            continue
        stored = np.dtype(np.bool_) if f.name in _TRISTATE else CABLE_DTYPE[f.name]
        if stored != np.dtype(f.type.to_pandas_dtype()):
            raise TypeError(f"cable field {f.name}: {stored} is not {f.type}")
    return _Layout(schema, tuple(
        (kind, None if kind == pa.string() else np.dtype(kind.to_pandas_dtype()), tuple(group))
        for kind, group in by_type.items()))


class Cables(NamedTuple):
    """One run's warning log as the kernels wrote it: its cable records (a copy, not a view of
    the run's arrays) and the agencies' names their indices refer to. What a sweep's worker
    keeps for each run of a chunk, to export the chunk with one :func:`batch` call per run of
    consecutive runs of the same agencies (:func:`gathered`) rather than one call a run."""

    records: np.ndarray
    names: tuple[str, ...]


def gathered(logs: Sequence[Cables]) -> list[pa.RecordBatch]:
    """The logs of consecutive runs as record batches: one per stretch of runs with the same
    agencies, its rows those of each run's :func:`batch` in order, so the batches make the same
    table (:meth:`pyarrow.Table.from_batches`, then ``combine_chunks``) as one batch a run."""
    out = []
    start = 0
    for stop in range(1, len(logs) + 1):
        if stop == len(logs) or logs[stop].names != logs[start].names:
            records = np.concatenate([log.records for log in logs[start:stop]])
            out.append(batch(records, logs[start].names))
            start = stop
    return out


def typed(columns: Mapping[str, Any], fields: tuple[Column, ...]) -> pa.RecordBatch:
    """Columns (lists of Python values, or numpy arrays) as one Arrow record batch in the
    schema ``fields`` declare, None as null.

    One batch per run rather than one array per column: a sweep then gathers a chunk of runs
    with one call (:meth:`pyarrow.Table.from_batches`) instead of one per column and run."""
    import pyarrow as pa

    schema = arrow_schema(fields)
    return pa.RecordBatch.from_arrays(
        [pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)


class CableRow:
    """One cable of an exported log, its columns as attributes, the modes as Enums (None where
    the column is empty): for reading in tests, the view and notebooks (sweeps read columns)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._values[name]
        except KeyError:
            raise AttributeError(name) from None
        enum = _ENUMS.get(name)
        return value if enum is None else (enum(value) if value else None)

    @property
    def sent(self) -> bool:
        """Not waived."""
        return self._values["waiver_reason"] == ""

    @property
    def public(self) -> bool:
        """Sent (also) as a public alert."""
        return self._values["channel"] in (Channel.PUBLIC.value, Channel.BOTH.value)

    def __repr__(self) -> str:
        return f"CableRow({self._values!r})"


_ENUMS: dict[str, type[Channel] | type[WaiverReason] | type[Response]] = {
    "channel": Channel, "waiver_reason": WaiverReason, "response": Response}


class CableLog(Sequence[CableRow]):
    """The warning log as a sequence of :class:`CableRow`."""

    def __init__(self, rows: list[CableRow]) -> None:
        self.cables = rows

    @classmethod
    def of(cls, columns: Mapping[str, list[Any]]) -> CableLog:
        names = list(columns)
        size = len(columns[names[0]]) if names else 0
        return cls([CableRow({n: columns[n][i] for n in names}) for i in range(size)])

    def __len__(self) -> int:
        return len(self.cables)

    def __getitem__(self, i: Any) -> Any:
        return self.cables[i]
