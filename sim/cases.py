"""Documented warnings: the case file, its codings, and the model's judgement of each case.

``warnsim cases [FILE]`` puts the probabilities the model gives each of the three responses
(heed, investigate, dismiss) to a documented historical warning next to the response recorded for
it. The built-in file (``sim/data/cases.csv``) is a dataset of documented inter-state warnings
about terrorist plots coded by the rules of ``docs/cases-codebook.md``: every column, its
measurement rule and source, how uncertain facts are marked, and the split of the cases into a
calibration half and a hold-out half (:func:`halves`), all fixed before any new case was scored.

A case is judged as the first warning from its sender, received on day 0: the recipient has no
record of the sender (no quiet days, nothing shared by allies or seen in public), only its prior
(the believed share of manipulative senders among rivals or allies, or the case's own
``prior_manipulative``) and the warning's arrival, judged with the same formulas as in a run
(:mod:`sim.inference`). The sender's ability is unknown to the recipient, as in a run. The
details' checks and the corroboration are random in the model; a case's probabilities average
over them, given whether the warning was about a real plot (column ``real``). :func:`predict` is
the one call into the model: a new model's judgement replaces its body.

The columns of a case file are declared once, in :data:`COLUMN_GROUPS` (what each takes and
means; the codebook gives each coding rule, :class:`Case` the defaults): the loader accepts
exactly those and the file-format reference is generated from them. The required ones, the
details passed (``details``, 0-3, or the three :data:`DETAIL_COLUMNS`, yes/no/unknown, whose
number of yes ``details`` then is), the model's other inputs, two columns coded for the next
model, and the record.
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import datetime as dt
import io
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np

from sim import files
from sim.consequences import action_cost, diversion_deaths, political_loss
from sim.engine import Run, start, template
from sim.enums import Channel, Doctrine, Response, _Named
from sim.errors import UserError
from sim.inference import (
    Choice,
    benevolence,
    choose,
    claim_evidence,
    credibility,
    dyad_model,
    evidence,
    expected_harm,
    face_loss,
    posterior,
    prior_vector,
    weighted,
    why_warn,
)
from sim.keys import Key, required
from sim.outcomes import NET_HARM_COMPONENTS
from sim.params import ModelParams
from sim.scenarios import AgencyProfile, Scenario
from sim.world import Scale as ModelScale
from sim.world import empty_world


class Known(_Named):
    """Whether the warning passed a detail, as the public record shows it."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Scale(_Named):
    """The scale of harm the warning indicated (codebook: ``scale``)."""

    MASS = "mass"  # crowds, large gatherings, transport, several sites, public places
    TARGETED = "targeted"  # a named person, a VIP, a small identified group
    UNSPECIFIED = "unspecified"  # no target named (e.g. a person's radicalisation)


class Outcome(_Named):
    """What followed the warning: an attack, a plot foiled (arrests, interception), or nothing."""

    ATTACK = "attack"
    FOILED = "foiled"
    NONE = "none"


class Precision(_Named):
    """How precisely the public record dates a delivery."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


DETAIL_COLUMNS = ("timing", "location", "perpetrators")
"""The three details a warning can pass, as the duty to warn defines a specific threat
(ICD 191: timing, location, perpetrators; docs/ODD.md, the protocol)."""
NUMBERS: dict[str, tuple[float, float, bool]] = {
    "rivalry": (0, 1, False), "details": (0, 3, True), "days_left": (0, 3650, True),
    "load": (0, 1000, True), "sender_capability": (0, 1, False),
    "recipient_capability": (0, 1, False), "recipient_home_security": (0, 1, False),
    "prior_manipulative": (0.001, 0.999, False), "deaths": (0, 100_000, True),
}
"""The numeric columns: (low, high, integer), for the loader and the reference alike."""


def _takes(name: str) -> str:
    low, high, integer = NUMBERS[name]
    return f"{'an integer' if integer else 'a number'} in [{low:g}, {high:g}]"


_YES_NO = "yes, no"
COLUMN_GROUPS: dict[str, tuple[Key, ...]] = {
    "required": (
        Key("case", "text", "the case's name (unique in the file)", required=True),
        Key("sender", "text", "the state (or agency) that warned", required=True),
        Key("recipient", "text", "the state (or agency) warned", required=True),
        Key("rivalry", _takes("rivalry"), "the recipient's rivalry toward the sender",
            required=True),
        Key("channel", Channel.allowed(), "how the warning was passed", required=True),
        Key("response", Response.allowed(), "the response on record", required=True),
    ),
    "model input": (
        Key("details", _takes("details"), "details passed (timing, location, perpetrators); "
            "required unless the three detail columns are given, and then equal to their "
            "number of yes"),
        *(Key(d, Known.allowed(), f"whether the warning passed the {d} (the three go "
              "together)") for d in DETAIL_COLUMNS),
        Key("real", _YES_NO, "whether the warning was about a real plot"),
        Key("corroborated", f"{_YES_NO} or empty", "whether the recipient's own intelligence "
            "corroborated it; empty: averaged over the model's corroboration chance"),
        Key("days_left", _takes("days_left"), "days from delivery to the warned date"),
        Key("load", _takes("load"), "the recipient's concurrent demands: protective actions "
            "already in force (warning overload)"),
        Key("sender_capability", _takes("sender_capability"), "the sender's collection "
            "capability"),
        Key("recipient_capability", _takes("recipient_capability"),
            "the recipient's collection capability"),
        Key("recipient_home_security", _takes("recipient_home_security"),
            "the recipient's home security"),
        Key("prior_manipulative", _takes("prior_manipulative"), "the recipient's prior that "
            "the sender is manipulative, replacing the believed share among rivals or allies"),
    ),
    "next model": (
        Key("scale", Scale.allowed(), "the scale of harm the warning indicated (read by the "
            "third model: mass attacks are worth more to prevent)"),
        Key("relations", _YES_NO, "whether the two states had diplomatic relations (not read "
            "by the current model)"),
    ),
    "record": (
        Key("date", "YYYY-MM-DD, YYYY-MM or YYYY", "the (first) delivery, at the precision the "
            "record gives; places an unseen case in its half"),
        Key("outcome", Outcome.allowed(), "what followed the warning"),
        Key("deaths", _takes("deaths"), "people killed in the attack (0 unless the outcome is "
            "attack)"),
        Key("seen", _YES_NO, "the case was used in building the model before the dataset, so "
            "it can only be in the calibration half"),
        Key("source", "text", "the public record the coding rests on"),
        Key("uncertain", "column names separated by ;", "the codings that are not certain"),
        Key("note", "text", "the coder's reasons for codings that needed judgement"),
    ),
}
"""The columns of a case file (CSV with a header row, any order), by what they are for:
declared once for the loader and the reference (``docs/cases-codebook.md`` defines each
coding)."""
COLUMNS: tuple[Key, ...] = tuple(k for group in COLUMN_GROUPS.values() for k in group)
COLUMN_NAMES = tuple(k.name for k in COLUMNS)
REQUIRED = required(COLUMNS)
"""Always required; the details passed are also required, as ``details`` or the three
:data:`DETAIL_COLUMNS`."""
MODEL_INPUTS = tuple(k.name for k in COLUMN_GROUPS["model input"])
NEXT_MODEL = tuple(k.name for k in COLUMN_GROUPS["next model"])
"""Coded when the dataset was fixed, for the model that followed it: the third model reads
``scale``; ``relations`` is recorded, not read."""
RECORD = tuple(k.name for k in COLUMN_GROUPS["record"])
OPTIONAL = tuple(c for c in COLUMN_NAMES if c not in REQUIRED)
NOT_UNCERTAIN = ("case", "uncertain", "note")
"""Columns that ``uncertain`` cannot name (they are labels, not facts)."""
MAX_FIELD = 10_000
"""Longest text accepted in one field of a case file."""
_SENSITIVITY = 0.5
E = TypeVar("E", bound=_Named)
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True, slots=True)
class CaseDate:
    """A delivery date at the precision the record gives: a day, a month or a year."""

    start: dt.date
    precision: Precision

    @property
    def end(self) -> dt.date:
        """The last day the delivery can have fallen on."""
        if self.precision is Precision.DAY:
            return self.start
        if self.precision is Precision.MONTH:
            last = calendar.monthrange(self.start.year, self.start.month)[1]
            return self.start.replace(day=last)
        return self.start.replace(month=12, day=31)

    def __str__(self) -> str:
        return {Precision.DAY: self.start.isoformat(), Precision.MONTH: self.start.isoformat()[:7],
                Precision.YEAR: str(self.start.year)}[self.precision]

    @classmethod
    def parse(cls, text: str) -> CaseDate | None:
        """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; None when the text is none of them."""
        match = _DATE.fullmatch(text) if text.isascii() else None
        if match is None:
            return None
        year, month, day = match.groups()
        try:
            start = dt.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            return None
        precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
        return cls(start, precision)


@dataclass(frozen=True, slots=True)
class Case:
    case: str
    sender: str
    recipient: str
    rivalry: float
    details: int
    channel: Channel
    response: Response
    real: bool = True
    corroborated: bool | None = None
    days_left: int = 30
    load: int = 0
    sender_capability: float = 0.8
    recipient_capability: float = 0.8
    recipient_home_security: float = 0.75
    prior_manipulative: float | None = None
    bound: bool | None = None  # None: by the codebook's rule (section 3.11, bound_sender)
    source: str = ""
    timing: Known | None = None
    location: Known | None = None
    perpetrators: Known | None = None
    scale: Scale | None = None
    relations: bool | None = None
    date: CaseDate | None = None
    outcome: Outcome | None = None
    deaths: int | None = None
    seen: bool = False
    uncertain: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scored:
    """A case and the model's judgement of it (averaged over the random checks)."""

    case: Case
    perceived_benevolence: float
    perceived_credibility: float
    choice: Choice

    def probability(self, response: Response) -> float:
        return {Response.HEEDED: self.choice.heed, Response.INVESTIGATED: self.choice.investigate,
                Response.DISMISSED: self.choice.dismiss}[response]

    @property
    def predicted(self) -> Response:
        """The most probable response."""
        return max(Response, key=self.probability)

    def as_dict(self) -> dict[str, object]:
        c = self.case
        return {
            "case": c.case, "sender": c.sender, "recipient": c.recipient,
            "date": None if c.date is None else str(c.date), "rivalry": c.rivalry,
            "details": c.details, "timing": _value(c.timing), "location": _value(c.location),
            "perpetrators": _value(c.perpetrators), "channel": c.channel.value, "real": c.real,
            "corroborated": c.corroborated, "days_left": c.days_left, "load": c.load,
            "sender_capability": c.sender_capability,
            "recipient_capability": c.recipient_capability,
            "recipient_home_security": c.recipient_home_security,
            "scale": _value(c.scale), "relations": c.relations,
            "perceived_benevolence": self.perceived_benevolence,
            "perceived_credibility": self.perceived_credibility,
            "p_heed": self.choice.heed, "p_investigate": self.choice.investigate,
            "p_dismiss": self.choice.dismiss, "predicted": self.predicted.value,
            "response": c.response.value, "outcome": _value(c.outcome), "deaths": c.deaths,
            "uncertain": list(c.uncertain), "source": c.source,
        }


def _value(member: _Named | None) -> str | None:
    return None if member is None else member.value


def builtin_cases() -> list[Case]:
    text = (resources.files("sim") / "data" / "cases.csv").read_text("utf-8")
    return parse_cases(text, origin="sim/data/cases.csv")


def load_cases(path: str | Path) -> list[Case]:
    p = Path(path)
    try:  # -sig: spreadsheets often write a BOM
        text = files.read_text(p, cap=files.Cap.CASES, what="file", encoding="utf-8-sig")
    except files.Unreadable as exc:
        if exc.problem.startswith("cannot be read as UTF-8"):
            raise UserError(f"{p}: {exc.problem.replace('cannot be read', 'cannot read')}") from None
        raise
    return parse_cases(text, origin=str(p))


def parse_cases(text: str, *, origin: str) -> list[Case]:
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
        columns = [c.strip() for c in reader.fieldnames or []]
        _check_columns(columns, origin)
        cases = []
        for row in reader:
            if None in row:
                raise UserError(f"{origin}, line {reader.line_num}: more fields than columns")
            cleaned = {k.strip(): (v or "").strip() for k, v in row.items()}
            cases.append(_row(cleaned, reader.line_num, origin, columns))
    except csv.Error as exc:
        raise UserError(f"{origin}: malformed CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)
    if not cases:
        raise UserError(f"{origin}: no cases")
    names = [c.case for c in cases]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UserError(f"{origin}: case {repeated[0]!r} appears more than once; allowed: "
                        "one row per case")
    return cases


def _check_columns(columns: list[str], origin: str) -> None:
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)  # linear: a file may
    # have 100,000 columns
    if repeated:
        raise UserError(f"{origin}: column {repeated[0]!r} appears more than once")
    unknown = [c for c in columns if c not in COLUMN_NAMES]
    if unknown:
        raise UserError(f"{origin}: unknown column {unknown[0]!r}; allowed: "
                        f"{', '.join(COLUMN_NAMES)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"{origin}: missing column {missing[0]!r}; required: {', '.join(REQUIRED)}")
    have = [c for c in DETAIL_COLUMNS if c in columns]
    if have and len(have) < len(DETAIL_COLUMNS):
        absent = next(c for c in DETAIL_COLUMNS if c not in columns)
        raise UserError(f"{origin}: missing column {absent!r}; the details go together: "
                        f"{', '.join(DETAIL_COLUMNS)}")
    if not have and "details" not in columns:
        raise UserError(f"{origin}: missing column 'details'; required: details (0-3) or "
                        f"{', '.join(DETAIL_COLUMNS)}")


def _row(row: dict[str, str], line: int, origin: str, columns: list[str]) -> Case:
    where = f"{origin}, line {line}"
    for key, value in row.items():
        if len(value) > MAX_FIELD:
            raise UserError(f"{where}: {key}: longer than {MAX_FIELD} characters")

    def fail(key: str, allowed: str) -> UserError:
        return UserError(f"{where}: {key}: got {row.get(key, '')!r}; allowed: {allowed}")

    def number(key: str, low: float, high: float, integer: bool = False) -> float:
        text = row.get(key, "")
        try:
            value = float(text) if text.isascii() else math.nan
        except ValueError:
            value = math.nan
        if not low <= value <= high or (integer and not value.is_integer()):
            kind = "an integer" if integer else "a number"
            raise fail(key, f"{kind} in [{low:g}, {high:g}]")
        return value

    def choice(key: str, enum: type[E], empty: bool = False) -> E | None:
        text = row.get(key, "").lower()
        if empty and text == "":
            return None
        try:
            return enum(text)
        except ValueError:
            raise fail(key, enum.allowed() + (" (or empty)" if empty else "")) from None

    def yes_no(key: str) -> bool | None:
        text = row.get(key, "").lower()
        if text not in ("", "yes", "no"):
            raise fail(key, "yes, no (or empty)")
        return None if text == "" else text == "yes"

    for key in ("case", "sender", "recipient"):
        if not row.get(key):
            raise UserError(f"{where}: {key}: empty; allowed: any non-empty text")
    optional: dict[str, object] = {}
    for key in OPTIONAL:
        if key in NUMBERS and key != "details" and row.get(key):
            low, high, integer = NUMBERS[key]
            number_value = number(key, low, high, integer)
            optional[key] = int(number_value) if integer else number_value
    passed = {key: choice(key, Known) for key in DETAIL_COLUMNS if key in columns}
    count = sum(known is Known.YES for known in passed.values())
    details = (int(number("details", *NUMBERS["details"])) if row.get("details") or not passed
               else count)
    if passed and details != count:
        raise fail("details", f"{count}, the number of yes among {', '.join(DETAIL_COLUMNS)} "
                              "(or empty)")
    date = None
    if row.get("date"):
        date = CaseDate.parse(row["date"])
        if date is None:
            raise fail("date", "a date YYYY-MM-DD, YYYY-MM or YYYY")
    real, outcome = yes_no("real"), choice("outcome", Outcome, empty=True)
    if outcome in (Outcome.ATTACK, Outcome.FOILED) and real is False:
        raise fail("real", f"yes (or empty): the outcome is {outcome}, so a plot existed")
    if optional.get("deaths") and outcome is not Outcome.ATTACK:
        raise fail("deaths", f"0 (or empty): the outcome is {outcome or 'not given'}, not attack")
    uncertain = tuple(u.strip() for u in row.get("uncertain", "").split(";") if u.strip())
    bad = [u for u in uncertain if u not in columns or u in NOT_UNCERTAIN]
    if bad:
        allowed = ", ".join(c for c in columns if c not in NOT_UNCERTAIN)
        raise UserError(f"{where}: uncertain: got {bad[0]!r}; allowed: columns of the file "
                        f"separated by ';' ({allowed})")
    return Case(
        case=row["case"], sender=row["sender"], recipient=row["recipient"],
        rivalry=number("rivalry", *NUMBERS["rivalry"]), details=details,
        channel=choice("channel", Channel),  # type: ignore[arg-type]
        response=choice("response", Response),  # type: ignore[arg-type]
        real=True if real is None else real, corroborated=yes_no("corroborated"),
        source=row.get("source", ""), timing=passed.get("timing"),
        location=passed.get("location"), perpetrators=passed.get("perpetrators"),
        scale=choice("scale", Scale, empty=True), relations=yes_no("relations"), date=date,
        outcome=outcome, seen=bool(yes_no("seen")), uncertain=uncertain,
        note=row.get("note", ""), **optional,  # type: ignore[arg-type]
    )


def score(cases: list[Case], params: ModelParams | None = None) -> list[Scored]:
    """The model's judgement of each case (see the module docstring)."""
    p = params or ModelParams()
    return [predict(c, p) for c in cases]


def predict(c: Case, p: ModelParams) -> Scored:
    """The model's response probabilities for one case, judged with the model's own kernels
    (:mod:`sim.inference`: :func:`~sim.inference.expected_harm` and
    :func:`~sim.inference.choose`) on a two-agency run on day 0: the sender (0) and the
    recipient (1), nothing observed but the arrival."""
    sender, recipient = 0, 1
    run = _case_run(c, p)
    st = run.ref
    # The sender warned, so its doctrine admits the recipient and a channel reached it.
    scale = _SCALES[c.scale.value if c.scale is not None else "unspecified"]
    model = dyad_model(st, sender, recipient, 1.0)
    why_warn(st, sender, recipient, 1.0, int(scale), c.details)  # why this sender would send it
    claim_evidence(st, recipient, int(scale), c.details)  # the claimed scale, as judge reads it
    arrival, real, _ = (x.copy() for x in model)
    # The recipient's prior: the case's own, or rational suspicion at the case's rivalry
    # (derived from senders' incentives when the run starts, sim.inference.rational_suspicion).
    prior = (prior_vector(c.prior_manipulative) if c.prior_manipulative is not None
             else run.arrays.priors[recipient, sender].copy())
    probs = posterior(prior + arrival)
    agency = run.arrays.agencies[recipient]
    public = c.channel.is_public
    cost = float(action_cost(st, recipient, int(scale)))
    political = float(political_loss(st, recipient, sender) + face_loss(st, recipient, sender,
                                                                        public))
    diversion = float(diversion_deaths(st, recipient))
    v1 = float(agency.verify_real) if c.real else p.false_verification_rate
    c1 = float(agency.corroborate_real if c.real else agency.corroborate_false)
    corroboration = ([(c.corroborated, 1.0)] if c.corroborated is not None
                     else [(True, c1), (False, 1.0 - c1)])
    heed = investigate = kappa_mean = 0.0
    harm = np.zeros((3, len(NET_HARM_COMPONENTS)))
    for corroborated, p_corr in corroboration:
        for verified in range(c.details + 1):
            weight = p_corr * math.comb(c.details, verified) * v1**verified * (
                1.0 - v1) ** (c.details - verified)
            if weight == 0.0:
                continue
            llr = evidence(st, recipient, c.details, verified, corroborated)
            kappa = credibility(weighted(probs, real), llr)
            expected_harm(st, recipient, kappa, c.details, int(scale), cost, political,
                          diversion, c.days_left, harm)
            h, i, _ = choose(st, harm)
            heed += weight * h
            investigate += weight * i
            kappa_mean += weight * kappa
    return Scored(c, float(benevolence(probs)), kappa_mean,
                  Choice(heed=heed, investigate=investigate, dismiss=1.0 - heed - investigate))


_SCALES = {"mass": ModelScale.MASS, "targeted": ModelScale.SMALL,
           "unspecified": ModelScale.UNSPECIFIED}
"""A case's coded scale (the codebook's mass, targeted, unspecified) as the model's
(:class:`sim.world.Scale`: a targeted plot is below the mass-casualty threshold)."""


DUTY_TO_WARN: dict[str, dt.date] = {"US": dt.date(2015, 7, 21)}
"""Senders bound by a published duty-to-warn directive, from the day it took effect
(docs/cases-codebook.md, section 3.11): the US Intelligence Community Directive 191, *Duty to
Warn*, of 21 July 2015. No other state has published one (as far as the coder knows); their
services share at their discretion."""


def bound_sender(c: Case) -> bool:
    """Whether the case's sender was bound by a published duty to warn on the delivery date
    (a warning dated only by its month or year counts from the period's first day; an undated
    case keeps the duty, the model's default doctrine)."""
    if c.bound is not None:
        return c.bound
    since = DUTY_TO_WARN.get(c.sender)
    if since is None:
        return False
    return c.date is None or c.date.start >= since


def _case_run(c: Case, p: ModelParams) -> Run:
    """A two-agency run on day 0 with the case's capabilities, rivalry and the recipient's load;
    the sender warns everyone when a published duty binds it, else at its discretion."""
    sender = Doctrine.WARN_ALL if bound_sender(c) else Doctrine.DISCRETION
    profiles = tuple(
        AgencyProfile(name=name, country=name, bloc=name, capability=capability,
                      home_security=c.recipient_home_security, source_sensitivity=_SENSITIVITY,
                      doctrine=doctrine)
        for name, capability, doctrine in (("sender", c.sender_capability, sender),
                                           ("recipient", c.recipient_capability,
                                            Doctrine.WARN_ALL)))
    scenario = Scenario(name="case", description=c.case, agencies=profiles, bloc_factors={},
                        pair_rivalry={(0, 1): c.rivalry, (1, 0): c.rivalry},
                        no_liaison=frozenset(), shifts=())
    run = start(template(scenario, p), 0, 0, probes=False, world=empty_world(2))
    run.arrays.agencies.load[1] = c.load
    return run

# --- the halves (docs/cases-codebook.md, section 5) ----------------------------------------------

class Half(_Named):
    """The codebook's split: cases to fit or calibrate on, and cases held out to test."""

    CALIBRATION = "calibration"
    HOLDOUT = "holdout"


def halves(cases: list[Case]) -> list[Half] | None:
    """Each case's half by the codebook's rule, fixed before scoring: every ``seen`` case to the
    calibration half; the others by the first day of their delivery date (then by name), the
    earliest joining the calibration half until it holds ``ceil(n/2)`` cases. None when an
    unseen case has no date (it cannot be placed)."""
    unseen = [i for i, c in enumerate(cases) if not c.seen]
    if any(cases[i].date is None for i in unseen):
        return None
    room = max(0, math.ceil(len(cases) / 2) - (len(cases) - len(unseen)))
    order = sorted(unseen, key=lambda i: (cases[i].date.start, cases[i].case))  # type: ignore[union-attr]
    calibration = {i for i, c in enumerate(cases) if c.seen} | set(order[:room])
    return [Half.CALIBRATION if i in calibration else Half.HOLDOUT for i in range(len(cases))]


def cases_in(half: Half, cases: list[Case] | None = None, *,
             origin: str = "sim/data/cases.csv") -> list[Case]:
    """The cases of one half (default: the built-in dataset; ``origin`` names the file in
    errors). Calibration reads only ``cases_in(Half.CALIBRATION)``; the hold-out half is for
    testing."""
    cases = builtin_cases() if cases is None else cases
    split = halves(cases)
    if split is None:
        undated = next(c.case for c in cases if not c.seen and c.date is None)
        raise UserError(f"{origin}: date: case {undated!r} is not marked seen and has no date, "
                        "so the cases cannot be split into halves (docs/cases-codebook.md, "
                        "section 5); allowed: a date YYYY-MM-DD, YYYY-MM or YYYY, or seen = yes")
    return [c for c, h in zip(cases, split, strict=True) if h is half]


# --- sensitivity to the coding (docs/cases-codebook.md, section 7) -------------------------------

LEVELS = (0.1, 0.3, 0.7, 0.9)
"""The rivalry rule's four levels (codebook 3.1)."""
CAPABILITY_STEP = 0.1
PERIOD_HALF_DAYS = {Precision.MONTH: 15, Precision.YEAR: 182}


def recodings(case: Case) -> list[tuple[str, str, Case]]:
    """``(column, label, case)`` for every recoding of the codebook's sensitivity table: one
    coding moved at a time, for every column coded by a rule."""
    out: list[tuple[str, str, Case]] = []

    def add(column: str, label: str, **changes: object) -> None:
        out.append((column, label, dataclasses.replace(case, **changes)))  # type: ignore[arg-type]

    below = [v for v in LEVELS if v < case.rivalry - 1e-9]
    above = [v for v in LEVELS if v > case.rivalry + 1e-9]
    for level in ([below[-1]] if below else []) + ([above[0]] if above else []):
        add("rivalry", f"rivalry {level:g}", rivalry=level)
    if case.load > 0:
        add("load", f"load {case.load - 1}", load=case.load - 1)
    add("load", f"load {case.load + 1}", load=case.load + 1)
    for column in ("sender_capability", "recipient_capability", "recipient_home_security"):
        value = getattr(case, column)
        for shifted in (round(value - CAPABILITY_STEP, 10), round(value + CAPABILITY_STEP, 10)):
            if 0.0 <= shifted <= 1.0:
                add(column, f"{column} {shifted:g}", **{column: shifted})
    half_period = PERIOD_HALF_DAYS.get(case.date.precision, 0) if case.date else 0
    if half_period:
        for days in sorted({max(0, case.days_left - half_period), case.days_left + half_period}):
            if days != case.days_left:
                add("days_left", f"days_left {days}", days_left=days)
    bound = bound_sender(case)
    add("bound", f"bound {'no' if bound else 'yes'}", bound=not bound)
    for corroborated in (True, False, None):
        if corroborated is not case.corroborated:
            label = {True: "yes", False: "no", None: "empty"}[corroborated]
            add("corroborated", f"corroborated {label}", corroborated=corroborated)
    for column in DETAIL_COLUMNS:
        if getattr(case, column) is Known.UNKNOWN:
            add(column, f"{column} yes", **{column: Known.YES, "details": case.details + 1})
    for details in (case.details - 1, case.details + 1):
        if 0 <= details <= 3:
            add("details", f"details {details}", details=details)
    for channel in Channel:
        if channel is not case.channel:
            add("channel", f"channel {channel.value}", channel=channel)
    if not case.real:
        add("real", "real yes", real=True)
    if case.scale is not None:  # read by the model since Model 3 (the harm averted, the cost)
        for scale in Scale:
            if scale is not case.scale:
                add("scale", f"scale {scale.value}", scale=scale)
    return out
