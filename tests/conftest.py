"""Shared fixtures: a three-agency scenario for scripted runs."""

from __future__ import annotations

import pytest

from sim.scenarios import Scenario, parse_scenario

TRIO = """
name = "trio"
description = "sender S and third party T in bloc A, recipient R in bloc B"
[[agency]]
name = "S"
bloc = "A"
capability = 0.8
home_security = 0.3
source_sensitivity = 1.0
doctrine = "warn_all"
[[agency]]
name = "R"
bloc = "B"
capability = 0.5
home_security = 0.3
source_sensitivity = 0.5
doctrine = "warn_all"
[[agency]]
name = "T"
bloc = "A"
capability = 0.5
home_security = 0.3
source_sensitivity = 0.5
doctrine = "non_rivals"
"""

S, R, T = 0, 1, 2


@pytest.fixture
def trio() -> Scenario:
    return parse_scenario(TRIO, origin="trio")


@pytest.fixture
def trio_without_liaison() -> Scenario:
    return parse_scenario(TRIO + '[liaison]\nnone = [["S", "R"]]\n', origin="trio")
