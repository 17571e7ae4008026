"""The warning log: one record ("cable") per triggered warning, as ICD 191 requires.

Every warning or waiver is documented (ICD 191, section E): the record holds what was known,
what was passed, by which channel, why it was waived, and later how the recipient judged it
(its belief about the sender, the warning's evidence, the choice probabilities and the
response) and whether events confirmed it. The columns and their meaning are declared in
:mod:`sim.schema`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.enums import Channel, Response, WaiverReason
from sim.inference import Dyad
from sim.schema import WARNING_COLUMNS, WARNING_FIELDS, Column, arrow_schema

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(slots=True)
class Cable:
    warning_id: int
    day: int
    sender: str
    recipient: str
    plot_id: int
    is_real: bool
    fabricated: bool
    credibility: float
    details_known: int
    details_passed: int
    timing: bool
    location: bool
    perpetrators: bool
    channel: Channel | None
    waiver_reason: WaiverReason | None
    rivalry: float
    relay: str = ""
    warned_day: int = -1
    sources_burned: int = 0
    delivered_day: int = -1
    perceived_benevolence: float | None = None
    hit_rate: float | None = None
    p_fabricated: float | None = None
    details_verified: int | None = None
    corroborated: bool | None = None
    evidence_llr: float | None = None
    perceived_credibility: float | None = None
    harm_averted: float | None = None
    heed_cost: float | None = None
    face_loss: float | None = None
    p_heed: float | None = None
    p_investigate: float | None = None
    p_dismiss: float | None = None
    p_heed_after_false_alarm: float | None = None
    p_heed_after_confirmation: float | None = None
    response: Response | None = None
    investigation_positive: bool | None = None
    credibility_after_investigation: float | None = None
    heeded: bool | None = None
    decided_day: int | None = None
    confirmed: bool | None = None
    # bookkeeping, not exported
    sender_index: int = -1
    recipient_index: int = -1
    threat: int = -1  # index into Threats, -1 for fabrications
    row: int = -1  # index into Detections or Fabrications
    u: list[float] | None = None  # the row's uniforms
    dyad: Dyad | None = None  # the recipient's model of the sender when it judged
    probe: tuple[list[float], float, float, float, float, int] | None = None  # cry-wolf probe inputs

    @property
    def public(self) -> bool:
        return self.channel is not None and self.channel.is_public

    @property
    def sent(self) -> bool:
        return self.waiver_reason is None


class WarningLog:
    """The ordered list of cables, with a columnar export for tables."""

    __slots__ = ("cables",)

    def __init__(self) -> None:
        self.cables: list[Cable] = []

    def __len__(self) -> int:
        return len(self.cables)

    def __iter__(self) -> Iterator[Cable]:
        return iter(self.cables)

    def add(self, cable: Cable) -> Cable:
        self.cables.append(cable)
        return cable

    def next_id(self) -> int:
        return len(self.cables)

    def columns(self) -> dict[str, list[Any]]:
        """The log as columns: enums as their strings (empty string for no channel, no waiver,
        no response), everything else as recorded (None where not yet known)."""
        out: dict[str, list[Any]] = {}
        for name in WARNING_COLUMNS:
            values = [getattr(c, name) for c in self.cables]
            if name in _ENUM_COLUMNS:
                values = ["" if v is None else v.value for v in values]
            out[name] = values
        return out

    def batch(self) -> pa.RecordBatch:
        """The log as one Arrow record batch in its declared schema
        (:data:`sim.schema.WARNING_FIELDS`), None as null: what a sweep gathers and writes."""
        return typed(self.columns(), WARNING_FIELDS)


_ENUM_COLUMNS = frozenset({"channel", "waiver_reason", "response"})


def typed(columns: Mapping[str, Any], fields: tuple[Column, ...]) -> pa.RecordBatch:
    """Columns (lists of Python values, or numpy arrays) as one Arrow record batch in the
    schema ``fields`` declare, None as null.

    One batch per run rather than one array per column: a sweep then gathers a chunk of runs
    with one call (:meth:`pyarrow.Table.from_batches`) instead of one per column and run, which
    was the largest cost of recording the warning log (issue 11)."""
    import pyarrow as pa

    schema = arrow_schema(fields)
    return pa.RecordBatch.from_arrays(
        [pa.array(columns[f.name], type=f.type) for f in schema], schema=schema)
