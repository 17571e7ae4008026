"""The documented cases Model 3 must reproduce at the defaults (its acceptance): rivals'
warnings dismissed or investigated by a mechanism that also acts in private, and the allies'
heeded warnings heeded.

Crocus City Hall 2024 is scored as recorded (a private warning and a public alert) and recoded as
private only: the recipient's reason to dismiss must not be the public channel's face cost.
"""

from __future__ import annotations

import dataclasses

import pytest

from sim.cases import Case, builtin_cases, predict
from sim.enums import Channel, Response
from sim.params import ModelParams

RIVALS = ("Crocus City Hall 2024", "Kerman 2024", "Venezuela 2004")
"""Recorded dismissed, from a sender the recipient regards as a rival (rivalry 0.7-0.9)."""
NOT_HEEDED = {Response.DISMISSED, Response.INVESTIGATED}
ALLY = 0.5
"""Below this coded rivalry a dyad is not a rivalry (the codebook's levels 0.1 and 0.3)."""


def _cases() -> dict[str, Case]:
    return {c.case: c for c in builtin_cases()}


@pytest.mark.parametrize("name", RIVALS)
def test_rivals_warnings_are_not_heeded(name: str) -> None:
    scored = predict(_cases()[name], ModelParams())
    assert scored.predicted in NOT_HEEDED, (name, scored.choice)


def test_crocus_sent_in_private_is_not_heeded_either() -> None:
    crocus = _cases()["Crocus City Hall 2024"]
    assert crocus.channel is Channel.BOTH
    private = dataclasses.replace(crocus, channel=Channel.PRIVATE)
    scored = predict(private, ModelParams())
    assert scored.predicted in NOT_HEEDED, scored.choice


def test_the_allies_heeded_warnings_are_heeded() -> None:
    """Yemen 2010 and every other recorded-heeded warning between non-rivals."""
    heeded = [c for c in builtin_cases() if c.response is Response.HEEDED and c.rivalry < ALLY]
    names = {c.case for c in heeded}
    assert "Yemen cargo bombs 2010" in names and len(heeded) >= 10, names
    missed = {c.case: predict(c, ModelParams()).choice for c in heeded
              if predict(c, ModelParams()).predicted is not Response.HEEDED}
    assert not missed, missed
