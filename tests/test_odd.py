"""The ODD document (docs/ODD.md) stays in step with the model's declarations.

* the parameter table embedded between the ``sim.paramtable`` markers is exactly the one
  generated from ``sim.params`` (a drift test), and that test can fail;
* the seven ODD sections (Grimm et al. 2020) appear in order;
* every declared parameter and outcome is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim import paramtable
from sim.outcomes import OUTCOME_NAMES
from sim.params import PARAMETERS

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
REGENERATE = "regenerate it with `warnsim params --update-odd docs/ODD.md`"

SECTIONS = (
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Initialisation",
    "Input data",
    "Submodels",
)


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


def test_embedded_parameter_table_matches_the_declarations(text: str) -> None:
    embedded = paramtable.embedded(text, origin=str(ODD))
    assert embedded == paramtable.markdown(), (
        "the parameter table in docs/ODD.md differs from the declarations in sim/params.py; "
        + REGENERATE
    )


def test_drift_test_detects_an_altered_row(text: str) -> None:
    table = paramtable.embedded(text, origin=str(ODD))
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    assert rows, "no parameter rows found between the markers"
    row = rows[len(rows) // 2]
    altered_row = row.replace(" | ", " | ALTERED ", 1)
    assert altered_row != row
    altered = text.replace(row, altered_row, 1)
    assert altered != text
    assert paramtable.embedded(altered, origin="altered copy") != paramtable.markdown()


def test_drift_test_detects_a_missing_row(text: str) -> None:
    table = paramtable.embedded(text, origin=str(ODD))
    row = next(line for line in table.splitlines() if "`rivalry`" in line)
    altered = text.replace(row + "\n", "", 1)
    assert paramtable.embedded(altered, origin="altered copy") != paramtable.markdown()


def test_markers_are_the_ones_paramtable_writes(text: str) -> None:
    assert text.count(paramtable.BEGIN) == 1 and text.count(paramtable.END) == 1
    assert text.index(paramtable.BEGIN) < text.index(paramtable.END)


def test_seven_odd_sections_in_order(text: str) -> None:
    headings = re.findall(r"^## (\d+) (.+?)\s*$", text, flags=re.MULTILINE)
    found = [(int(n), title) for n, title in headings]
    expected = list(enumerate(SECTIONS, start=1))
    assert found[: len(SECTIONS)] == expected, found
    positions = [text.index(f"## {n} {title}") for n, title in expected]
    assert positions == sorted(positions)


def test_design_concepts_are_all_covered(text: str) -> None:
    start = text.index("## 4 Design concepts")
    stop = text.index("## 5 Initialisation")
    section = text[start:stop].lower()
    for concept in ("basic principles", "emergence", "adaptation", "objectives", "learning",
                    "prediction", "sensing", "interaction", "stochasticity", "collectives",
                    "observation"):
        assert re.search(rf"^### [\d.]+ {concept}", section, re.MULTILINE), concept


@pytest.mark.parametrize("name", list(PARAMETERS))
def test_every_parameter_is_documented(text: str, name: str) -> None:
    assert f"`{name}`" in text, f"parameter {name} is not in docs/ODD.md"


def test_every_parameter_is_used_outside_the_generated_table(text: str) -> None:
    start = text.index(paramtable.BEGIN)
    stop = text.index(paramtable.END) + len(paramtable.END)
    prose = text[:start] + text[stop:]
    missing = [name for name in PARAMETERS if name not in prose]
    assert not missing, f"parameters only in the generated table, not explained in the text: {missing}"


@pytest.mark.parametrize("name", OUTCOME_NAMES)
def test_every_outcome_is_documented(text: str, name: str) -> None:
    assert f"`{name}`" in text, f"outcome {name} is not in docs/ODD.md"
