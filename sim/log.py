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
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.enums import Channel, Response, WaiverReason
from sim.jit import kernel
from sim.schema import WARNING_FIELDS, Column, arrow_schema

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
    but for a dyad's first warning."""
    import pyarrow as pa

    schema = arrow_schema(WARNING_FIELDS)
    label = np.array(list(names) + [""], dtype=object)  # index -1 reads ""
    delivered = cables["delivered_day"] >= 0
    arrays = []
    for f in schema:
        name = f.name
        values = cables[name]
        mask = None
        if name in ("sender", "recipient", "relay"):
            arrays.append(pa.array(label[values].tolist(), type=f.type))
            continue
        if name in _CODES:
            codes = np.array(_CODES[name] + ("",), dtype=object)
            arrays.append(pa.array(codes[values].tolist(), type=f.type))
            continue
        if name in _TRISTATE:
            mask = values < 0
            values = values == 1
        elif name in _DELIVERED_ONLY:
            mask = ~delivered
        elif name in ("p_heed_after_false_alarm", "p_heed_after_confirmation"):
            mask = ~cables["probed"]
        elif name == "credibility_after_investigation":
            mask = cables["investigation_positive"] < 0
        arrays.append(pa.array(np.ascontiguousarray(values), type=f.type, mask=mask))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


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
