"""The documented-warnings dataset (``sim/data/cases.csv``) against its codebook
(``docs/cases-codebook.md``): size, sources, the rules' value sets, and the halves."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pytest

from sim.cases import (
    COLUMN_NAMES,
    DETAIL_COLUMNS,
    LEVELS,
    Case,
    Half,
    Known,
    Outcome,
    builtin_cases,
    halves,
)
from sim.enums import Channel, Response

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = (ROOT / "docs" / "cases-codebook.md").read_text(encoding="utf-8")
CASES = builtin_cases()
RAW = list(csv.DictReader((ROOT / "sim" / "data" / "cases.csv").open(encoding="utf-8")))


def test_the_dataset_has_at_least_30_cases_each_with_a_source():
    assert len(CASES) >= 30
    assert all(len(c.source) >= 40 for c in CASES), [c.case for c in CASES if len(c.source) < 40]


def test_the_seven_cases_the_model_was_built_on_are_marked_seen():
    seen = {c.case for c in CASES if c.seen}
    assert seen == {"Crocus City Hall 2024", "Kerman 2024", "Venezuela 2004", "Tsarnaev 2011",
                    "Yemen cargo bombs 2010", "Sri Lanka Easter 2019", "Brussels 2016"}


def test_every_column_of_the_file_is_defined_in_the_codebook():
    for column in RAW[0]:
        assert column in COLUMN_NAMES
        assert f"`{column}`" in CODEBOOK, column


def test_every_case_codes_the_record_and_the_next_models_columns():
    for row, case in zip(RAW, CASES, strict=True):
        empty = [k for k, v in row.items() if not v.strip() and k != "corroborated"]
        assert not empty, (case.case, empty)  # only corroboration may be left unknown
        assert case.date is not None and case.scale is not None and case.relations is not None
        assert case.outcome is not None and case.deaths is not None


def test_codings_follow_the_codebooks_rules():
    for c in CASES:
        assert c.rivalry in LEVELS, c.case  # 3.1: four levels
        assert 0 <= c.load <= 10, c.case  # 3.2: top-coded at 10
        for value in (c.sender_capability, c.recipient_capability):  # 3.3: WGI rank, one decimal
            assert round(value, 1) == value, c.case
        assert c.recipient_home_security == c.recipient_capability, c.case  # 3.3
        assert c.details == sum(getattr(c, d) is Known.YES for d in DETAIL_COLUMNS)  # 3.6
        assert (c.deaths > 0) <= (c.outcome is Outcome.ATTACK), c.case  # 3.9
        if c.outcome in (Outcome.ATTACK, Outcome.FOILED):
            assert c.real, c.case
        if not c.relations:
            assert c.channel.value in ("relay", "public"), c.case  # 3.8


def test_every_case_lists_its_uncertain_codings_by_column_name():
    for c in CASES:
        assert set(c.uncertain) <= set(RAW[0]) - {"case", "uncertain", "note"}, c.case
    # rule 3.4(c): a days_left of 30 without a warned date or an event is always uncertain
    for c in CASES:
        if c.outcome is Outcome.NONE and c.timing is not Known.YES:
            assert c.days_left == 30 and "days_left" in c.uncertain, c.case


def _rule(rows: list[tuple[str, dt.date | None, bool]]) -> list[str]:
    """The codebook's section 5, written out again: seen cases to calibration, the others by
    date then name until calibration holds ceil(n/2)."""
    seen = [name for name, _, s in rows if s]
    others = sorted(((d, name) for name, d, s in rows if not s), key=lambda x: (x[0], x[1]))
    take = math.ceil(len(rows) / 2) - len(seen)
    calibration = set(seen) | {name for _, name in others[:take]}
    return ["calibration" if name in calibration else "holdout" for name, _, _ in rows]


def test_the_halves_follow_the_codebooks_rule_and_its_stated_sizes():
    split = halves(CASES)
    assert split is not None
    expected = _rule([(c.case, c.date.start if c.date else None, c.seen) for c in CASES])
    assert [h.value for h in split] == expected
    sizes = {h: sum(x is h for x in split) for h in Half}
    stated = re.search(r"\*\*calibration (\d+)\*\*.*?\*\*hold-out (\d+)\*\*", CODEBOOK, re.S)
    assert stated, "the codebook states the halves' sizes"
    assert (sizes[Half.CALIBRATION], sizes[Half.HOLDOUT]) == (int(stated[1]), int(stated[2]))
    assert f"With the {len(CASES)} cases" in CODEBOOK
    latest_calibration = max(c.date.start for c, h in zip(CASES, split, strict=True)
                             if h is Half.CALIBRATION and not c.seen)
    earliest_holdout = min(c.date.start for c, h in zip(CASES, split, strict=True)
                           if h is Half.HOLDOUT)
    assert latest_calibration <= earliest_holdout  # the hold-out half is the later one


@pytest.mark.parametrize(("dates", "seen", "expected"), [
    # 5 cases, one seen: calibration 3 = the seen one and the two earliest others
    (["2020", "2001-05", "2001-04-30", "2010", "1999"], [True, False, False, False, False],
     ["calibration", "holdout", "calibration", "holdout", "calibration"]),
    # more seen cases than half: all seen in calibration, every other case held out
    (["2020", "2021", "2022", "1990"], [True, True, True, False],
     ["calibration", "calibration", "calibration", "holdout"]),
    # the same first day: by name
    (["2015-11", "2015-11-01", "2016"], [False, False, False],
     ["calibration", "calibration", "holdout"]),
])
def test_the_halves_on_small_files(dates, seen, expected):
    from sim.cases import parse_cases

    lines = ["case,sender,recipient,date,rivalry,details,channel,response,seen"]
    lines += [f"c{i},A,B,{d},0.1,1,private,heeded,{'yes' if s else 'no'}"
              for i, (d, s) in enumerate(zip(dates, seen, strict=True))]
    cases = parse_cases("\n".join(lines) + "\n", origin="t.csv")
    assert [h.value for h in halves(cases)] == expected
    assert expected == _rule([(c.case, c.date.start, c.seen) for c in cases])


def test_no_halves_when_an_unseen_case_has_no_date():
    from sim.cases import parse_cases

    text = ("case,sender,recipient,date,rivalry,details,channel,response,seen\n"
            "a,A,B,2001,0.1,1,private,heeded,no\nb,A,B,,0.1,1,private,heeded,no\n")
    assert halves(parse_cases(text, origin="t.csv")) is None


def test_the_codebooks_table_of_the_recoded_seen_cases_matches_the_file():
    section = CODEBOOK.split("## 8.")[1].split("## 9.")[0]
    rows = re.findall(r"^\| ([^|]+?) \| [^|]+ \| ([^|]+?) \|$", section, re.M)
    by_name = {c.case: c for c in CASES}
    checked = 0
    for name, now in rows:
        if name not in by_name:
            continue
        c = by_name[name]
        corroborated = {None: "empty", True: "yes", False: "no"}[c.corroborated]
        expected = [f"{c.rivalry:g}", str(c.details), corroborated, str(c.days_left), str(c.load),
                    f"{c.sender_capability:g}", f"{c.recipient_capability:g}",
                    f"{c.recipient_home_security:g}"]
        assert [v.strip() for v in now.split(",")] == expected, name
        checked += 1
    assert checked == sum(c.seen for c in CASES) == 7


def test_cases_in_a_half_partition_the_dataset():
    from sim.cases import cases_in
    from sim.errors import UserError

    calibration, holdout = cases_in(Half.CALIBRATION), cases_in(Half.HOLDOUT)
    assert len(calibration) + len(holdout) == len(CASES)
    assert {c.case for c in calibration}.isdisjoint(c.case for c in holdout)
    assert {c.case for c in CASES if c.seen} <= {c.case for c in calibration}
    undated = [Case("x", "A", "B", 0.1, 1, Channel.PRIVATE, Response.HEEDED)]
    with pytest.raises(UserError, match="no date"):
        cases_in(Half.CALIBRATION, undated)
