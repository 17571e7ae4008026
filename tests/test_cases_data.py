"""The documented-warnings dataset: the case file's columns, their checks and errors.

The dataset's own contents (size, sources, the codebook's rules) are tested in
``tests/test_cases_dataset.py``; this file checks the loader on small files written here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sim.cases import CaseDate, Known, Outcome, Precision, Scale, parse_cases
from sim.cli import main
from sim.enums import Channel, Response
from sim.errors import UserError

HEADER = ("case,sender,recipient,date,rivalry,timing,location,perpetrators,channel,scale,"
          "relations,real,response,outcome,deaths,seen,source,uncertain\n")
ROW = "A 2019,S,R,2019-04-04,0.3,no,yes,yes,private,mass,yes,yes,dismissed,attack,269,yes,x,deaths\n"


def test_the_new_columns_are_read_and_details_counted_from_the_three():
    (case,) = parse_cases(HEADER + ROW, origin="t.csv")
    assert case.details == 2 and case.timing is Known.NO and case.location is Known.YES
    assert case.date == CaseDate(dt.date(2019, 4, 4), Precision.DAY)
    assert case.scale is Scale.MASS and case.relations is True and case.seen is True
    assert case.outcome is Outcome.ATTACK and case.deaths == 269
    assert case.uncertain == ("deaths",) and case.channel is Channel.PRIVATE
    assert case.response is Response.DISMISSED


def test_unknown_details_count_as_not_passed():
    row = ROW.replace("no,yes,yes,private", "unknown,unknown,yes,private")
    (case,) = parse_cases(HEADER + row, origin="t.csv")
    assert case.details == 1 and case.timing is Known.UNKNOWN


@pytest.mark.parametrize(("text", "start", "end", "precision"), [
    ("2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31), Precision.YEAR),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), Precision.MONTH),
    ("2015-11-12", dt.date(2015, 11, 12), dt.date(2015, 11, 12), Precision.DAY),
])
def test_dates_keep_the_precision_of_the_record(text, start, end, precision):
    date = CaseDate.parse(text)
    assert date is not None and (date.start, date.end, date.precision) == (start, end, precision)
    assert str(date) == text


@pytest.mark.parametrize("text", ["2019-13", "2019-02-30", "March 2019", "19-04-04", "\uff12\uff10\uff11\uff19", ""])
def test_dates_that_are_not_dates(text):
    assert CaseDate.parse(text) is None


def test_the_old_columns_keep_their_meaning():
    text = ("case,sender,recipient,rivalry,details,channel,response\n"
            "x,A,B,0.5,2,relay,investigated\n")
    (case,) = parse_cases(text, origin="old.csv")
    assert (case.details, case.channel, case.response) == (2, Channel.RELAY, Response.INVESTIGATED)
    assert case.date is None and case.timing is None and case.seen is False and case.real


BAD = {
    "details mismatch": (HEADER.replace("rivalry,", "rivalry,details,"),
                         ROW.replace("0.3,", "0.3,3,"),
                         "line 2: details: got '3'; allowed: 2, the number of yes"),
    "bad detail": (HEADER, ROW.replace("no,yes,yes", "maybe,yes,yes"),
                   "timing: got 'maybe'; allowed: yes, no, unknown"),
    "bad date": (HEADER, ROW.replace("2019-04-04", "April 2019"),
                 "date: got 'April 2019'; allowed: a date YYYY-MM-DD, YYYY-MM or YYYY"),
    "bad scale": (HEADER, ROW.replace(",mass,", ",huge,"),
                  "scale: got 'huge'; allowed: mass, targeted, unspecified (or empty)"),
    "bad outcome": (HEADER, ROW.replace(",attack,", ",exploded,"),
                    "outcome: got 'exploded'; allowed: attack, foiled, none (or empty)"),
    "plot without a plot": (HEADER, ROW.replace(",yes,dismissed", ",no,dismissed"),
                            "real: got 'no'; allowed: yes (or empty): the outcome is attack"),
    "deaths without attack": (HEADER, ROW.replace(",attack,269", ",foiled,269"),
                              "deaths: got '269'; allowed: 0 (or empty): the outcome is foiled"),
    "negative deaths": (HEADER, ROW.replace(",269,", ",-1,"),
                        "deaths: got '-1'; allowed: an integer in [0, 100000]"),
    "uncertain column": (HEADER, ROW.replace(",deaths\n", ",deaths;colour\n"),
                         "uncertain: got 'colour'; allowed: columns of the file"),
    "bad seen": (HEADER, ROW.replace(",yes,x,", ",perhaps,x,"),
                 "seen: got 'perhaps'; allowed: yes, no (or empty)"),
    "partial details": (HEADER.replace("perpetrators,", "").replace("yes,yes,private", "yes,private"),
                        ROW.replace("yes,yes,private", "yes,private"),
                        "missing column 'perpetrators'; the details go together"),
    "no details": ("case,sender,recipient,rivalry,channel,response\n", "x,A,B,0.5,private,heeded\n",
                   "missing column 'details'; required: details (0-3) or timing"),
    "same case twice": (HEADER, ROW + ROW, "case 'A 2019' appears more than once"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_rows_name_the_file_line_column_and_what_is_allowed(name, tmp_path: Path, capsys):
    header, row, needle = BAD[name]
    path = tmp_path / "bad.csv"
    path.write_text(header + row, encoding="utf-8")
    with pytest.raises(UserError) as error:
        parse_cases(header + row, origin=str(path))
    assert needle in str(error.value), str(error.value)
    assert main(["cases", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and needle in err and len(err.strip().splitlines()) == 1, err
