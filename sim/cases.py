"""Single-warning vignettes scored with the model's own decision rule.

``warnsim cases [FILE]`` puts the heed probability the model gives a warning next to the
response recorded for it, for face validation (``../shared/MODEL-BRIEF.md``, cases table).
The built-in cases (``sim/data/cases.csv``) are coded as documented assumptions, not fitted:

* Crocus City Hall 2024, US -> Russia: rivalry 0.9; two details (timing "within 48 hours",
  location "large gatherings including concerts"); written liaison cable plus a public embassy
  alert (``both``); not corroborated by Russia's own services (none reported).
* Kerman 2024, US -> Iran: rivalry 1.0 (no diplomatic relations); two details (the ceremony
  for Qassem Soleimani, its date); passed by a third-party route, coded ``relay``.
* Venezuela 2004, US -> Venezuela: rivalry 0.7; one detail (the target, President Chavez).
* Tsarnaev 2011, Russia -> US: rivalry 0.6; one detail (a named individual, no plot details);
  the recorded response is ``investigated`` (judged not a threat, file closed).

The probability comes from :class:`sim.decision.Judgement` with the given (or default) model
parameters; ``prior_trust``, when given, replaces the rivalry-based prior of the sender's
benevolence (no track record is assumed).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.decision import Judgement
from sim.enums import Channel, Response
from sim.errors import UserError
from sim.params import ModelParams

REQUIRED = ("case", "sender", "recipient", "rivalry", "details", "channel", "response")
OPTIONAL = ("prior_trust", "corroborated")


@dataclass(frozen=True, slots=True)
class Case:
    case: str
    sender: str
    recipient: str
    rivalry: float
    details: int
    channel: Channel
    prior_trust: float | None
    corroborated: bool
    response: Response


@dataclass(frozen=True, slots=True)
class Scored:
    case: Case
    perceived_intent: float
    perceived_credibility: float
    heed_probability: float

    def as_dict(self) -> dict[str, object]:
        c = self.case
        return {
            "case": c.case, "sender": c.sender, "recipient": c.recipient, "rivalry": c.rivalry,
            "details": c.details, "channel": c.channel.value, "prior_trust": c.prior_trust,
            "corroborated": c.corroborated, "perceived_intent": self.perceived_intent,
            "perceived_credibility": self.perceived_credibility,
            "heed_probability": self.heed_probability, "response": c.response.value,
        }


def builtin_cases() -> list[Case]:
    text = (resources.files("sim") / "data" / "cases.csv").read_text("utf-8")
    return parse_cases(text, origin="built-in cases")


def load_cases(path: str | Path) -> list[Case]:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: cannot read as UTF-8 text ({exc})") from None
    return parse_cases(text, origin=str(p))


def parse_cases(text: str, *, origin: str) -> list[Case]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise UserError(f"{origin}: column {repeated[0]!r} appears more than once")
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise UserError(
            f"{origin}: unknown column {unknown[0]!r}; allowed: {', '.join(REQUIRED + OPTIONAL)}"
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"{origin}: missing column {missing[0]!r}; required: {', '.join(REQUIRED)}")
    cases = []
    for row in reader:
        if None in row:
            raise UserError(f"{origin}, line {reader.line_num}: more fields than columns")
        cleaned = {k.strip(): (v or "").strip() for k, v in row.items()}
        cases.append(_row(cleaned, reader.line_num, origin))
    if not cases:
        raise UserError(f"{origin}: no cases")
    return cases


def _row(row: dict[str, str], line: int, origin: str) -> Case:
    where = f"{origin}, line {line}"

    def number(key: str, low: float, high: float, integer: bool = False) -> float:
        text = row.get(key, "")
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high or (integer and not value.is_integer()):
            kind = "an integer" if integer else "a number"
            raise UserError(f"{where}: {key}: got {text!r}; allowed: {kind} in [{low:g}, {high:g}]")
        return value

    def choice(key: str, enum: type[Channel] | type[Response]) -> Channel | Response:
        try:
            return enum(row.get(key, "").lower())
        except ValueError:
            raise UserError(
                f"{where}: {key}: got {row.get(key, '')!r}; allowed: {enum.allowed()}"
            ) from None

    for key in ("case", "sender", "recipient"):
        if not row.get(key):
            raise UserError(f"{where}: {key}: empty; allowed: any non-empty text")
    corroborated = row.get("corroborated", "").lower()
    if corroborated not in ("", "yes", "no"):
        raise UserError(f"{where}: corroborated: got {corroborated!r}; allowed: yes, no (or empty)")
    return Case(
        case=row["case"], sender=row["sender"], recipient=row["recipient"],
        rivalry=number("rivalry", 0, 1), details=int(number("details", 0, 3, integer=True)),
        channel=choice("channel", Channel),  # type: ignore[arg-type]
        prior_trust=number("prior_trust", 0, 1) if row.get("prior_trust") else None,
        corroborated=corroborated == "yes",
        response=choice("response", Response),  # type: ignore[arg-type]
    )


def score(cases: list[Case], params: ModelParams | None = None) -> list[Scored]:
    """The model's perceived intent, credibility and heed probability for each case."""
    j = Judgement.from_params(params or ModelParams())
    out = []
    for c in cases:
        intent = j.intent(c.rivalry, prior=c.prior_trust)
        credibility = j.credibility(intent, c.details, c.corroborated)
        p = j.heed_probability(credibility, c.rivalry, c.channel.is_public)
        out.append(Scored(c, intent, credibility, p))
    return out
