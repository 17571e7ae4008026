"""Single-warning vignettes scored with the model's own judgement and response rule.

``warnsim cases [FILE]`` puts the probabilities the model gives each of the three responses
(heed, investigate, dismiss) to a documented historical warning next to the response recorded for
it: face validation (``../shared/MODEL-BRIEF.md``, the cases tables). A case is judged as the
first warning from its sender, received on day 0: the recipient has no record of the sender
(no quiet days, nothing shared by allies or seen in public), only its prior (the believed share of
manipulative senders among rivals or allies, or the case's own ``prior_manipulative``) and the
warning's arrival, judged with the same formulas as in a run (:mod:`sim.inference`).
The sender's ability is unknown to the recipient, as in a run. The details' checks and the
corroboration are random in the model; a case's probabilities average over them, given whether
the warning was about a real plot (column ``real``).

Every coding is a documented assumption (``sim/data/cases.csv``, column ``source`` gives the
public record it rests on); no number in it is measured. Columns:

* required: ``case``, ``sender``, ``recipient``, ``rivalry`` (0-1, the recipient's toward the
  sender), ``details`` (0-3 passed), ``channel`` (private, public, both, relay), ``response``
  (heeded, investigated, dismissed);
* optional: ``real`` (yes/no, default yes), ``corroborated`` (yes/no/empty: empty averages over
  the model's corroboration chance), ``days_left`` (days from delivery to the warned date, default
  30), ``load`` (protective actions the recipient already has in force: warning overload, default
  0), ``sender_capability``, ``recipient_capability`` (default 0.8), ``recipient_home_security``
  (default 0.75), ``prior_manipulative`` (replaces the believed share), ``source`` (text).
"""

from __future__ import annotations

import csv
import io
import math
import sys
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sim import files
from sim.enums import Channel, Response
from sim.errors import UserError
from sim.inference import Choice, Inference, benevolence, credibility, posterior, prior_vector
from sim.params import ModelParams
from sim.protocol import Protocol

REQUIRED = ("case", "sender", "recipient", "rivalry", "details", "channel", "response")
OPTIONAL = ("real", "corroborated", "days_left", "load", "sender_capability",
            "recipient_capability", "recipient_home_security", "prior_manipulative", "source")
MAX_FIELD = 10_000
"""Longest text accepted in one field of a case file."""
_SENSITIVITY = 0.5


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
    source: str = ""


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
            "case": c.case, "sender": c.sender, "recipient": c.recipient, "rivalry": c.rivalry,
            "details": c.details, "channel": c.channel.value, "real": c.real,
            "corroborated": c.corroborated, "days_left": c.days_left, "load": c.load,
            "perceived_benevolence": self.perceived_benevolence,
            "perceived_credibility": self.perceived_credibility,
            "p_heed": self.choice.heed, "p_investigate": self.choice.investigate,
            "p_dismiss": self.choice.dismiss, "predicted": self.predicted.value,
            "response": c.response.value, "source": c.source,
        }


def builtin_cases() -> list[Case]:
    text = (resources.files("sim") / "data" / "cases.csv").read_text("utf-8")
    return parse_cases(text, origin="built-in cases")


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
        repeated = sorted(c for c, n in Counter(columns).items() if n > 1)  # linear: a file
        # may have 100,000 columns
        if repeated:
            raise UserError(f"{origin}: column {repeated[0]!r} appears more than once")
        unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
        if unknown:
            raise UserError(
                f"{origin}: unknown column {unknown[0]!r}; allowed: {', '.join(REQUIRED + OPTIONAL)}"
            )
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise UserError(
                f"{origin}: missing column {missing[0]!r}; required: {', '.join(REQUIRED)}")
        cases = []
        for row in reader:
            if None in row:
                raise UserError(f"{origin}, line {reader.line_num}: more fields than columns")
            cleaned = {k.strip(): (v or "").strip() for k, v in row.items()}
            cases.append(_row(cleaned, reader.line_num, origin))
    except csv.Error as exc:
        raise UserError(f"{origin}: malformed CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)
    if not cases:
        raise UserError(f"{origin}: no cases")
    return cases


def _row(row: dict[str, str], line: int, origin: str) -> Case:
    where = f"{origin}, line {line}"
    for key, value in row.items():
        if len(value) > MAX_FIELD:
            raise UserError(f"{where}: {key}: longer than {MAX_FIELD} characters")

    def number(key: str, low: float, high: float, integer: bool = False) -> float:
        text = row.get(key, "")
        try:
            value = float(text) if text.isascii() else math.nan
        except ValueError:
            value = math.nan
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

    def yes_no(key: str) -> bool | None:
        text = row.get(key, "").lower()
        if text not in ("", "yes", "no"):
            raise UserError(f"{where}: {key}: got {text!r}; allowed: yes, no (or empty)")
        return None if text == "" else text == "yes"

    for key in ("case", "sender", "recipient"):
        if not row.get(key):
            raise UserError(f"{where}: {key}: empty; allowed: any non-empty text")
    optional: dict[str, int | float] = {}
    for key, low, high, integer in (("days_left", 0, 3650, True), ("load", 0, 1000, True),
                                    ("sender_capability", 0, 1, False),
                                    ("recipient_capability", 0, 1, False),
                                    ("recipient_home_security", 0, 1, False),
                                    ("prior_manipulative", 0.001, 0.999, False)):
        if row.get(key):
            number_value = number(key, low, high, integer)
            optional[key] = int(number_value) if integer else number_value
    real = yes_no("real")
    return Case(
        case=row["case"], sender=row["sender"], recipient=row["recipient"],
        rivalry=number("rivalry", 0, 1), details=int(number("details", 0, 3, integer=True)),
        channel=choice("channel", Channel),  # type: ignore[arg-type]
        response=choice("response", Response),  # type: ignore[arg-type]
        real=True if real is None else real, corroborated=yes_no("corroborated"),
        source=row.get("source", ""), **optional,  # type: ignore[arg-type]
    )


def score(cases: list[Case], params: ModelParams | None = None) -> list[Scored]:
    """The model's judgement of each case (see the module docstring)."""
    p = params or ModelParams()
    return [_score(c, p) for c in cases]


def _score(c: Case, p: ModelParams) -> Scored:
    sender, recipient = 0, 1
    capability = np.array([c.sender_capability, c.recipient_capability])
    home = np.array([c.recipient_home_security, c.recipient_home_security])
    inference = Inference.build(p, capability, home)
    rival = c.rivalry >= p.rival_threshold
    # The sender warned, so its doctrine admits the recipient and a channel reached it; its
    # genuine warnings survive the sources waiver at a middling sensitivity (0.5).
    genuine = 1.0 - Protocol.from_params(p).source_waiver_chance(c.rivalry, _SENSITIVITY)
    dyad = inference.dyad(sender, recipient, genuine)
    believed = c.prior_manipulative if c.prior_manipulative is not None else (
        p.believed_manipulative_rival if rival else p.believed_manipulative_ally)
    weights = [w + a for w, a in zip(prior_vector(believed), dyad.arrival, strict=True)]
    probs = posterior(weights)
    value = inference.harm_averted(recipient, c.details)
    cost = p.action_cost * (1.0 + c.load / p.attention_capacity)
    face = p.face_cost * c.rivalry if c.channel.is_public else 0.0
    v1 = float(inference.verify_real[recipient]) if c.real else inference.verify_false
    c1 = float((inference.corroborate_real if c.real else inference.corroborate_false)[recipient])
    corroboration = ([(c.corroborated, 1.0)] if c.corroborated is not None
                     else [(True, c1), (False, 1.0 - c1)])
    heed = investigate = kappa_mean = 0.0
    for corroborated, p_corr in corroboration:
        for verified in range(c.details + 1):
            weight = p_corr * math.comb(c.details, verified) * v1**verified * (
                1.0 - v1) ** (c.details - verified)
            if weight == 0.0:
                continue
            llr = inference.evidence(recipient, c.details, verified, corroborated)
            kappa = credibility(dyad.real_chance(probs), llr)
            choice = inference.choose(recipient, kappa, value=value, cost=cost, face=face,
                                      days_left=c.days_left)
            heed += weight * choice.heed
            investigate += weight * choice.investigate
            kappa_mean += weight * kappa
    return Scored(c, benevolence(probs), kappa_mean,
                  Choice(heed=heed, investigate=investigate, dismiss=1.0 - heed - investigate))
