"""The warning log: one record ("cable") per triggered warning, as ICD 191 requires.

Every warning or waiver is documented (ICD 191, section E): the record holds what was known,
what was passed, by which channel, why it was waived, and later how the recipient judged it and
whether events confirmed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sim.enums import Channel, WaiverReason
from sim.schema import WARNING_COLUMNS


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
    delivered_day: int = -1
    perceived_intent: float | None = None
    perceived_credibility: float | None = None
    corroborated: bool | None = None
    heed_probability: float | None = None
    heeded: bool | None = None
    confirmed: bool | None = None
    relay: str = ""
    # bookkeeping, not exported
    sender_index: int = -1
    recipient_index: int = -1
    threat: int = -1  # index into Threats, -1 for fabrications
    claimed_day: int = -1  # the attack date the warning points to
    row: int = -1  # index into Detections or Fabrications

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
        """The log as columns (enums as strings, empty string for no channel / no waiver)."""
        out: dict[str, list[Any]] = {name: [] for name in WARNING_COLUMNS}
        for cable in self.cables:
            for name in WARNING_COLUMNS:
                value = getattr(cable, name)
                if name in ("channel", "waiver_reason"):
                    value = "" if value is None else value.value
                out[name].append(value)
        return out
