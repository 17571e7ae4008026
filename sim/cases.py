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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sim.enums import Channel, Doctrine, Response
from sim.errors import UserError
from sim.consequences import action_cost, diversion_deaths, political_loss
from sim.engine import Run, start, template
from sim.inference import (
    Choice, benevolence, choose, credibility, dyad_model, evidence, expected_harm, face_loss,
    posterior, prior_vector, weighted,
)
from sim.outcomes import NET_HARM_COMPONENTS
from sim.params import ModelParams
from sim.scenarios import AgencyProfile, Scenario
from sim.world import Scale, empty_world

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
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: cannot read as UTF-8 text ({exc})") from None
    return parse_cases(text, origin=str(p))


def parse_cases(text: str, *, origin: str) -> list[Case]:
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
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
    return [predict(c, p) for c in cases]


def predict(c: Case, p: ModelParams) -> Scored:
    """The model's response probabilities for one case, judged with the model's own kernels
    (:mod:`sim.inference`: :func:`~sim.inference.expected_harm` and
    :func:`~sim.inference.choose`) on a two-agency run on day 0: the sender (0) and the
    recipient (1), nothing observed but the arrival."""
    sender, recipient = 0, 1
    run = _case_run(c, p)
    st = run.ref
    rival = c.rivalry >= p.rival_threshold
    # The sender warned, so its doctrine admits the recipient and a channel reached it.
    arrival, real, _ = (x.copy() for x in dyad_model(st, sender, recipient, 1.0))
    believed = c.prior_manipulative if c.prior_manipulative is not None else (
        p.believed_manipulative_rival if rival else p.believed_manipulative_ally)
    probs = posterior(prior_vector(believed) + arrival)
    agency = run.arrays.agencies[recipient]
    scale = _SCALES.get(str(getattr(c, "scale", "") or ""), Scale.UNSPECIFIED)
    public = c.channel.is_public
    cost = float(action_cost(st, recipient))
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


_SCALES = {"mass": Scale.MASS, "targeted": Scale.SMALL, "small": Scale.SMALL,
           "unspecified": Scale.UNSPECIFIED}
"""A case's coded scale (the codebook's mass, targeted, unspecified) as the model's."""


def _case_run(c: Case, p: ModelParams) -> Run:
    """A two-agency run on day 0 with the case's capabilities, rivalry and the recipient's load."""
    profiles = tuple(
        AgencyProfile(name=name, country=name, bloc=name, capability=capability,
                      home_security=c.recipient_home_security, source_sensitivity=_SENSITIVITY,
                      doctrine=Doctrine.WARN_ALL)
        for name, capability in (("sender", c.sender_capability),
                                 ("recipient", c.recipient_capability)))
    scenario = Scenario(name="case", description=c.case, agencies=profiles, bloc_factors={},
                        pair_rivalry={(0, 1): c.rivalry, (1, 0): c.rivalry},
                        no_liaison=frozenset(), shifts=())
    run = start(template(scenario, p), 0, 0, probes=False, world=empty_world(2))
    run.arrays.agencies.load[1] = c.load
    return run
