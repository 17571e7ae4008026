"""Every model parameter, declared once.

Each field of :class:`ModelParams` carries its type (the annotation), default, valid range,
unit, one-line meaning, group and, where one exists, the published anchor it rests on.
TOML experiment files, ``--set key=value``, the sampler ranges and the ODD parameter table
(``docs/ODD.md``) are all derived from these declarations via :data:`PARAMETERS`.

Unknown keys, wrong types and out-of-range values raise :class:`ParameterError`, whose message
names the key and what is allowed; the CLI turns it into one line and exit status 2.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sim.enums import DoctrineSetting, NoLiaisonRoute, ResponsePolicy
from sim.errors import UserError


class ParameterError(UserError, ValueError):
    """A parameter value or key that the declarations do not allow."""

    def __init__(self, key: str, problem: str, *, origin: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.origin = origin
        where = f"{origin}: " if origin else ""
        super().__init__(f"{where}{key}: {problem}")


class Basis(Enum):
    """Where a parameter's default value comes from."""

    DATA = "data"  # a source's figures, or a derivation from them written beside it
    CALIBRATED = "calibrated"  # the posterior of `warnsim calibrate` on data the validation does not use
    ASSUMPTION = "assumption"  # a documented assumption: a source may motivate the mechanism, not the value
    NOT_A_VALUE = "-"  # a switch or mode (categorical, boolean): a choice, not a magnitude


@dataclass(frozen=True, slots=True)
class Param:
    """The declaration of one parameter (derived from a :class:`ModelParams` field)."""

    name: str
    kind: type
    default: Any
    low: float | None
    high: float | None
    unit: str
    label: str
    doc: str
    group: str
    source: str
    basis: Basis = Basis.ASSUMPTION

    @property
    def is_numeric(self) -> bool:
        return self.kind in (int, float)

    @property
    def type_name(self) -> str:
        """``real``, ``integer``, ``categorical`` or ``boolean`` (EMA Workbench's vocabulary)."""
        if issubclass(self.kind, Enum):
            return "categorical"
        return {float: "real", int: "integer", bool: "boolean"}[self.kind]

    @property
    def choices(self) -> tuple[str, ...] | None:
        return tuple(m.value for m in self.kind) if issubclass(self.kind, Enum) else None

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if issubclass(self.kind, Enum):
            return "one of " + ", ".join(m.value for m in self.kind)
        if self.kind is bool:
            return "true or false"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    def describe(self) -> dict[str, Any]:
        """Plain data for ``warnsim params --json`` and other tools."""
        default = self.default.value if isinstance(self.default, Enum) else self.default
        return {
            "name": self.name, "type": self.type_name, "default": default,
            "low": self.low, "high": self.high,
            "choices": list(self.choices) if self.choices else None,
            "unit": self.unit, "group": self.group, "label": self.label, "meaning": self.doc,
            "source": self.source, "basis": self.basis.value,
        }

    def coerce(self, value: Any, *, origin: str | None = None) -> Any:
        """Check a typed value (from TOML or Python) and return it as the declared type."""
        def bad() -> ParameterError:  # built only on failure: checking is on every run's path
            return ParameterError(self.name, f"got {_short(value)}; allowed: {self.allowed()}",
                                  origin=origin)

        if issubclass(self.kind, Enum):
            if isinstance(value, self.kind):
                return value
            if isinstance(value, str):
                try:
                    return self.kind(value.strip().lower())
                except ValueError:
                    raise bad() from None
            raise bad()
        if self.kind is bool:
            if _is_bool(value):
                return bool(value)
            raise bad()
        # numbers.Real covers Python and numpy ints and floats (design tables hold numpy values)
        if _is_bool(value) or not isinstance(value, numbers.Real):
            raise bad()
        try:
            as_float = float(value)
        except OverflowError:
            raise bad() from None
        if not math.isfinite(as_float):
            raise bad()
        typed: int | float = as_float
        if self.kind is int:
            if not as_float.is_integer():
                raise bad()
            typed = int(as_float)
        assert self.low is not None and self.high is not None
        if not self.low <= typed <= self.high:
            raise bad()  # names the value as given (50, not 50.0)
        return typed

    def parse(self, text: str, *, origin: str | None = None) -> Any:
        """Parse a command-line string (``--set key=value``) into the declared type."""
        text = text.strip()
        value: Any = text
        if self.kind is bool:
            lowered = text.lower()
            if lowered in {"true", "yes", "1", "on"}:
                value = True
            elif lowered in {"false", "no", "0", "off"}:
                value = False
        elif self.kind in (int, float):
            if not text.isascii():
                # int() and float() read full-width and other Unicode digits; a value in a
                # paper's design file should read the same in every tool.
                raise ParameterError(
                    self.name, f"{text!r} is not {self.allowed()}", origin=origin
                )
            try:
                value = int(text) if self.kind is int else float(text)
            except ValueError:
                try:
                    value = float(text)
                except ValueError:
                    raise ParameterError(
                        self.name, f"{text!r} is not {self.allowed()}", origin=origin
                    ) from None
        return self.coerce(value, origin=origin)


def _is_bool(value: Any) -> bool:
    """A Python or numpy boolean (without importing numpy: importing sim.params stays cheap)."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"


def _short(value: Any) -> str:
    text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _p(
    default: Any,
    label: str,
    doc: str,
    *,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    group: str,
    source: str = "",
    basis: Basis = Basis.ASSUMPTION,
) -> Any:
    return field(
        default=default,
        metadata={"low": low, "high": high, "unit": unit, "label": label, "doc": doc,
                  "group": group, "source": source, "basis": basis},
    )


GROUPS: tuple[str, ...] = (
    "relations", "threats", "detection", "protocol", "senders", "types", "evidence", "decision",
    "consequences", "learning", "structure",
)
"""Parameter groups, in the order the ODD table and ``warnsim params`` list them."""

_DEATHS = "death-eq."
"""The common unit of harm and cost: one unit is the harm of one death (a documented normalisation)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelParams:
    """All model parameters of one run (immutable; validated on construction)."""

    # --- relations -----------------------------------------------------------------------
    rivalry: float = _p(
        0.7, "Rivalry",
        "Rivalry between agencies of different blocs, times the scenario's bloc-pair factor",
        low=0, high=1, unit="0-1", group="relations",
    )
    within_bloc_rivalry: float = _p(
        0.1, "Within-bloc rivalry", "Rivalry between agencies of the same bloc",
        low=0, high=1, unit="0-1", group="relations",
    )
    rival_threshold: float = _p(
        0.5, "Rival threshold",
        "Rivalry at or above which a dyad counts as rivals (doctrine, types, beliefs)",
        low=0, high=1, unit="0-1", group="relations",
    )
    diplomacy_effect: float = _p(
        0.0, "Diplomacy effect",
        "Drop in a dyad's rivalry (both directions) per confirmed warning: intelligence diplomacy",
        low=0, high=0.5, unit="per confirmation", group="relations",
    )
    # --- threats -------------------------------------------------------------------------
    plot_rate: float = _p(
        0.0035, "Plot rate", "Real plots arriving against each country",
        low=0, high=0.2, unit="per country-day", group="threats",
        source="Heritage Foundation 2013: 60 plots against the US in 12 years; Europol TE-SAT 2020",
        basis=Basis.DATA,
    )
    false_lead_rate: float = _p(
        0.7, "False leads", "False leads (reporting that looks like a plot) per real plot",
        low=0, high=20, unit="per plot", group="threats",
    )
    lead_time_mean: float = _p(
        21.0, "Mean lead time", "Mean days from a plot's emergence to its attack date (gamma)",
        low=3, high=180, unit="days", group="threats",
        source="Crocus 2024: warned 15 days before the attack",
    )
    lethality_scale: float = _p(
        1.0, "Lethality scale",
        "Scale of the Lomax (Pareto II) deaths of an unmitigated attack (rounded down)",
        low=0.1, high=100, unit="deaths", group="threats",
        source="GTD 2019: about 1.7 deaths per attack; Europol TE-SAT 2020",
        basis=Basis.DATA,
    )
    lethality_alpha: float = _p(
        2.4, "Lethality tail", "Tail exponent of attack deaths (power law)",
        low=2.05, high=5, unit="-", group="threats",
        source="Clauset, Young & Gleditsch 2007: about 2.4 for deaths in terrorist events",
        basis=Basis.DATA,
    )
    home_interdiction: float = _p(
        0.9, "Home interdiction",
        "Chance the target's own services, once aware of a plot, end it by arrests",
        low=0, high=1, unit="probability", group="threats",
        source="Heritage Foundation 2013: 56 of 60 known plots against the US foiled",
        basis=Basis.DATA,
    )
    # --- detection -----------------------------------------------------------------------
    detection_rate: float = _p(
        0.25, "Detection rate",
        "Chance a foreign agency of full capability detects a given plot or false lead",
        low=0, high=1, unit="probability", group="detection",
    )
    discriminability: float = _p(
        2.0, "Discriminability",
        "Signal-detection d' between real plots and false leads at full capability",
        low=0, high=5, unit="SD", group="detection",
        source="signal detection theory: real plots look more credible on average, with overlap",
    )
    detail_rate: float = _p(
        0.6, "Detail rate",
        "Chance of learning each detail (timing, location, perpetrators) at full capability",
        low=0, high=1, unit="probability", group="detection",
    )
    # --- protocol ------------------------------------------------------------------------
    doctrine: DoctrineSetting = _p(
        DoctrineSetting.SCENARIO, "Doctrine",
        "Whom agencies warn: each agency's own doctrine, or one imposed on all",
        group="protocol", source="ICD 191 (2015): warn friend and foe",
    )
    credibility_threshold: float = _p(
        0.5, "Credibility threshold", "Assessed credibility needed to trigger the duty to warn",
        low=0, high=1, unit="probability", group="protocol", source="ICD 191: credible",
    )
    specificity_threshold: float = _p(
        0.33, "Specificity threshold", "Share of the three details needed to trigger the duty to warn",
        low=0, high=1, unit="share", group="protocol",
        source="ICD 191: specific (timing, location, perpetrators)",
    )
    impending_horizon: int = _p(
        30, "Impending horizon", "Days before the attack date from which a threat counts as impending",
        low=1, high=365, unit="days", group="protocol", source="ICD 191: impending",
    )
    no_liaison_route: NoLiaisonRoute = _p(
        NoLiaisonRoute.RELAY, "No-liaison route",
        "Channel to a recipient without liaison: relay via a third agency, public alert, or none",
        group="protocol", source="US-Iran 2024: no diplomatic relations, a third-party route",
    )
    relay_delay: int = _p(
        2, "Relay delay", "Extra days a relayed warning takes", low=0, high=30, unit="days",
        group="protocol",
    )
    delivery_delay: float = _p(
        1.0, "Delivery delay",
        "Mean extra days a cable takes to reach a decision-maker (Poisson)", low=0, high=30,
        unit="days", group="protocol",
    )
    attacker_adaptation: float = _p(
        0.5, "Attacker adaptation", "Chance a public alert makes the attackers move their date later",
        low=0, high=1, unit="probability", group="protocol",
        source="a public alert warns the plotters too, who can shift their timing",
    )
    max_attack_shift: int = _p(
        14, "Attack shift, max", "Largest delay attackers add after a public alert",
        low=1, high=90, unit="days", group="protocol",
    )
    # --- senders: preferences and strategy ------------------------------------------------
    concern: float = _p(
        0.8, "Concern for lives",
        "Mean weight a sender puts on lives in the recipient's country (drawn per agency, Beta)",
        low=0, high=1, unit="per death", group="senders",
        source="ICD 191 (2015): the duty to warn rests on the value of innocent lives",
    )
    opportunism: float = _p(
        0.3, "Opportunism",
        "Mean of the senders' opportunism (drawn per agency, Beta): how much a rival's losses "
        "count as its own gain",
        low=0, high=1, unit="weight", group="senders",
        source="Crawford & Sobel 1982; Kydd 2005: suspicion of rivals rests on diverging interests",
    )
    preference_spread: float = _p(
        4.0, "Preference concentration",
        "Concentration of the Beta laws of concern and opportunism (higher: senders more alike)",
        low=0.5, high=100, unit="-", group="senders",
    )
    rivalry_gain: float = _p(
        3.0, "Gain from a rival's losses",
        "Death-equivalents an opportunist (opportunism 1) gains per death-equivalent its rival "
        "spends on a protective action, political cost or embarrassment, at rivalry 1",
        low=0, high=10, unit="per death-eq.", group="senders",
        source="Crawford & Sobel 1982: diverging interests make messages suspect; the value "
        "is an assumption",
    )
    reputation_weight: float = _p(
        0.2, "Reputation weight",
        "Death-equivalents a sender loses per unit of the recipient's belief in its benevolence "
        "(the value of future influence)",
        low=0, high=50, unit=_DEATHS, group="senders",
        source="Sobel 1985: a sender of uncertain type values its credibility for later use; "
        "the value is an assumption (at 1 a false alarm's cost deters every fabrication)",
    )
    source_value: float = _p(
        0.3, "Value of a source",
        "Death-equivalents a burned source costs its agency (in the sender's choice and in "
        "net_harm)", low=0, high=20, unit=_DEATHS, group="senders",
        source="Carnegie & Carson 2020: the disclosure dilemma",
    )
    fabrication_cost: float = _p(
        0.1, "Cost of fabricating",
        "Death-equivalents planting a fabricated warning costs its sender, whatever the "
        "recipient does (assets used, the risk of exposure beyond the recipient)",
        low=0, high=20, unit=_DEATHS, group="senders",
    )
    public_alert_value: float = _p(
        -0.02, "Value of a public alert",
        "Death-equivalents a sender gains from also warning in public (consular duty to its own "
        "citizens, credit with onlookers)", low=-5, high=5, unit=_DEATHS, group="senders",
        source="Crocus 2024: the US cable was doubled by a public embassy alert",
    )
    # --- types (rational suspicion) --------------------------------------------------------
    suspicion_bias: float = _p(
        0.0, "Suspicion bias",
        "Log-odds added to recipients' derived prior that a rival sender is manipulative "
        "(declared suspicion beyond what senders' incentives warrant; 0: rational suspicion only)",
        low=-10, high=10, unit="log-odds", group="types",
        source="Kydd 2005: trust as a belief about the other's type; rational suspicion derives "
        "it from the other's incentives",
    )
    deaths_as_gain: bool = _p(
        True, "A rival's deaths as gain",
        "An opportunist counts the recipient's deaths among the losses it gains from (at "
        "rivalry_gain x opportunism x rivalry per death, as its costs): a hostile sender has a "
        "reason to withhold or sanitise genuine warnings, and recipients that know the law of "
        "preferences read a discretionary sender's warning through why it would send it "
        "(sim.inference.why_warn)",
        group="types",
        source="Kydd 2005; Crawford & Sobel 1982: with diverging interests a receiver reads a "
        "message through the sender's incentive to send it",
    )
    claim_evidence: bool = _p(
        False, "Claims as evidence",
        "Recipients know that fabricators claim the scale whose protective action costs most "
        "(mass-casualty: sim.inference.claimed_scale) and read a warning's claimed scale as "
        "evidence about whether it is fabricated (off: the scale is read as uninformative)",
        group="types",
        source="Crawford & Sobel 1982; Kydd 2005: a receiver reads a message through the "
        "sender's incentive to send it",
    )
    ability_spread: float = _p(
        3.0, "Ability spread",
        "Spread of agencies' ability: three equally likely levels multiply discriminability by "
        "exp(-0.97 s), 1 and exp(0.97 s)",
        low=0, high=4, unit="log SD", group="types",
        source="Mayer, Davis & Schoorman 1995: trust rests on ability as well as benevolence",
    )
    fabrication_rate: float = _p(
        0.0015, "Fabrication opportunities",
        "Opportunities a sender has to plant a fabricated warning on each other agency (it takes "
        "one when that pays, sim/protocol.py); recipients believe a manipulative type takes them all",
        low=0, high=0.05, unit="per dyad-day", group="types",
        source="Sobel 1985: a manipulator mixes true and false messages",
    )
    # --- evidence ------------------------------------------------------------------------
    verification_rate: float = _p(
        0.3, "Verification rate",
        "Chance a passed detail of a real plot checks out (times the recipient's capability factor)",
        low=0, high=1, unit="probability", group="evidence",
        source="Milgrom 1981; Crawford & Sobel 1982: verifiable disclosure vs cheap talk",
    )
    false_verification_rate: float = _p(
        0.05, "False verification",
        "Chance a passed detail of a false lead or fabrication seems to check out",
        low=0, high=1, unit="probability", group="evidence",
    )
    corroboration_rate: float = _p(
        0.15, "Corroboration rate",
        "Chance the recipient's own intelligence corroborates a real plot (times its capability factor)",
        low=0, high=1, unit="probability", group="evidence",
        source="the recipient checks a warning against its own intelligence",
    )
    false_corroboration: float = _p(
        0.05, "False corroboration",
        "Chance own intelligence seems to corroborate a warning that is not about a real plot "
        "(times the capability factor)", low=0, high=1, unit="probability", group="evidence",
    )
    # --- decision ------------------------------------------------------------------------
    response_policy: ResponsePolicy = _p(
        ResponsePolicy.MODEL, "Response policy",
        "Recipients choose their response (model), or every warning is heeded or dismissed",
        group="decision", source="Wickens & Dixon 2007: reference policies of the crossover",
    )
    action_cost: float = _p(
        0.0, "Action cost",
        "Cost of one protective action when the recipient has no other in force", low=0, high=20,
        unit=_DEATHS, group="decision", source="Lindell & Perry 2012: PADM",
    )
    stake_cost: float = _p(
        0.2, "Stake cost",
        "Cost of one protective action per death a real plot of the indicated scale is expected "
        "to cause if dismissed (the action covers the people at risk), added to action_cost",
        low=0, high=5, unit="death-eq per death", group="decision",
        source="Lindell & Perry 2012: PADM (the action's cost grows with its scope); the "
        "value is an assumption, the gradient's steepest driver (robustness map)",
    )
    attention_capacity: float = _p(
        3.0, "Attention capacity",
        "Protective actions in force at which the fixed part (action_cost) of the next one "
        "costs twice as much (warning overload)",
        low=0.1, high=50, unit="actions", group="decision",
        source="Sri Lanka 2019, Brussels 2016: institutional capacity (counter-cases)",
    )
    face_cost: float = _p(
        0.0, "Face cost", "Cost of being seen to heed a public warning, times rivalry toward the sender",
        low=0, high=20, unit=_DEATHS, group="decision",
        source="Fearon 1994: audience costs; heeding a rival in public looks like weakness",
    )
    rival_action_cost: float = _p(
        0.0, "Rival action cost",
        "Cost of acting on a sworn enemy's intelligence, public or not; toward a rival, times "
        "(rivalry - rival threshold) / (1 - rival threshold); nothing toward others",
        low=0, high=100, unit=_DEATHS, group="decision",
        source="Walsh 2010: states discount intelligence from partners whose interests diverge; "
        "Fearon 1994: domestic audience costs",
    )
    investigation_cost: float = _p(
        0.05, "Investigation cost", "Cost of investigating a warning before deciding",
        low=0, high=5, unit=_DEATHS, group="decision", source="Lindell & Perry 2012: information search",
    )
    investigation_days: int = _p(
        5, "Investigation days", "Days an investigation takes before the recipient decides",
        low=1, high=60, unit="days", group="decision",
    )
    investigation_power: float = _p(
        0.6, "Investigation power",
        "Chance an investigation confirms a real plot (times the recipient's capability factor)",
        low=0, high=1, unit="probability", group="decision",
    )
    investigation_false_positive: float = _p(
        0.1, "Investigation false hits",
        "Chance an investigation seems to confirm a warning that is not about a real plot",
        low=0, high=1, unit="probability", group="decision",
    )
    choice_temperature: float = _p(
        0.02, "Choice temperature",
        "Logit noise of the response choice (bounded rationality); lower is more decisive",
        low=0.01, high=10, unit=_DEATHS, group="decision",
        source="McKelvey & Palfrey 1995: logit quantal response",
    )
    # --- consequences --------------------------------------------------------------------
    interdiction_effect: float = _p(
        0.4, "Interdiction effect",
        "Chance protective action on a fully specific warning ends the plot in arrests",
        low=0, high=1, unit="probability", group="consequences",
    )
    deterrence_effect: float = _p(
        0.3, "Deterrence effect",
        "Chance protective action that makes no arrests makes the plotters silently abandon",
        low=0, high=1, unit="probability", group="consequences",
    )
    casualty_reduction: float = _p(
        0.5, "Casualty reduction",
        "Share of deaths avoided by protective measures if the attack still happens",
        low=0, high=1, unit="share", group="consequences",
    )
    protection_days: int = _p(
        14, "Protection days", "Days a protective action stays in force (and occupies attention)",
        low=1, high=180, unit="days", group="consequences",
    )
    diversion: float = _p(
        0.1, "Security diversion",
        "Share of home interdiction lost for each protective action in force",
        low=0, high=1, unit="share per action", group="consequences",
        source="Breznitz 1984; Simmons & Sutter 2009: protective action diverts resources and attention",
    )
    burn_risk: float = _p(
        0.2, "Source burn risk",
        "Chance each detail passed burns a source, times sender sensitivity (and rivalry, see "
        "exposure_rivalry_weight)",
        low=0, high=1, unit="probability", group="consequences",
        source="Carnegie & Carson 2020: disclosure exposes sources",
    )
    burn_loss: float = _p(
        0.1, "Loss per burned source", "Share of a sender's capability lost with each burned source",
        low=0, high=1, unit="share", group="consequences",
    )
    # --- learning ------------------------------------------------------------------------
    learning: bool = _p(
        True, "Learning", "Recipients update their beliefs about senders' types from evidence",
        group="learning", source="Kydd 2005; Josang & Ismail 2002",
    )
    class_pooling: bool = _p(
        True, "Pooling by class",
        "Allies' and onlookers' evidence about a sender counts only when the sender regards them "
        "as it regards the recipient (rival or not); off: it always counts",
        group="learning", source="Kydd 2005: a sender's intent toward rivals differs from that toward allies",
    )
    confirmation_window: int = _p(
        7, "Confirmation window",
        "Days after the warned date within which an attack or arrests confirm a warning",
        low=0, high=60, unit="days", group="learning",
    )
    evidence_half_life: float = _p(
        1095.0, "Evidence half-life", "Days for evidence about a sender to lose half its weight",
        low=7, high=36500, unit="days", group="learning",
        source="Josang & Ismail 2002: forgetting factor",
    )
    ally_sharing: float = _p(
        0.5, "Ally sharing", "Weight of an ally's own evidence about a sender, shared in its bloc",
        low=0, high=1, unit="weight", group="learning",
        source="allies share assessments",
    )
    public_observation: float = _p(
        0.5, "Public observation",
        "Weight of the outcome of a public warning for agencies that watched it",
        low=0, high=1, unit="weight", group="learning",
        source="third parties see public warnings and their outcomes",
    )
    # --- structure: functional-form constants ------------------------------------------------
    lead_time_shape: float = _p(
        2.0, "Lead-time shape", "Gamma shape of the lead time (1 = exponential)",
        low=0.5, high=20, unit="-", group="structure",
    )
    lead_time_min: int = _p(
        2, "Shortest lead time", "Fewest days between a plot's emergence and its attack date",
        low=1, high=30, unit="days", group="structure",
    )
    detection_window: float = _p(
        0.5, "Detection window", "Share of a threat's lead time within which foreign detection happens",
        low=0.05, high=1, unit="share", group="structure",
    )
    capability_floor: float = _p(
        0.5, "Capability floor",
        "Capability factor = floor + (1 - floor) x capability: scales details learned, details "
        "verified, corroboration and investigation",
        low=0, high=1, unit="-", group="structure",
    )
    exposure_rivalry_weight: float = _p(
        0.5, "Exposure by rivalry",
        "A passed detail's chance of burning a source scales with 1 - weight + weight x rivalry "
        "(a rival service exploits what it learns)",
        low=0, high=1, unit="-", group="structure", source="Carnegie & Carson 2020",
    )
    mass_threshold: int = _p(
        10, "Mass-casualty threshold",
        "Deaths from which a plot counts as mass-casualty: the scale a warning can indicate",
        low=1, high=1000, unit="deaths", group="structure",
        source="Crocus 2024 (large gatherings), Sri Lanka 2019 (churches): warnings name the target",
    )
    scale_accuracy: float = _p(
        0.8, "Scale accuracy",
        "Chance the scale a detection indicates (mass-casualty or not) is right",
        low=0.5, high=1, unit="probability", group="structure",
    )
    interdiction_detail_weight: float = _p(
        0.75, "Arrests by detail",
        "Arrest chance scales with 1 - weight + weight x share of details passed",
        low=0, high=1, unit="-", group="structure",
    )
    fabrication_detail_rate: float = _p(
        0.5, "Fabricated details", "Chance a fabricated warning claims each of the three details",
        low=0, high=1, unit="probability", group="structure",
    )
    fabrication_lead_max: int = _p(
        30, "Fabricated lead, max", "Most days ahead a fabricated warning puts its attack date",
        low=1, high=180, unit="days", group="structure",
    )

    def __post_init__(self) -> None:
        for name, kind, low, high in _FAST_CHECKS:
            value = getattr(self, name)
            if type(value) is kind and (low is None or low <= value <= high):
                continue  # what coerce returns unchanged: no call on every run's path
            checked = PARAMETERS[name].coerce(value)
            if checked is not value:
                object.__setattr__(self, name, checked)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, origin: str | None = None) -> ModelParams:
        """Build from typed values (e.g. a TOML table), failing loudly on unknown keys."""
        return cls(**check_mapping(values, origin=origin))

    def replace(self, **changes: Any) -> ModelParams:
        return dataclasses.replace(self, **check_mapping(changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain values (enums as their strings), in declaration order."""
        return {
            name: (v.value if isinstance(v := getattr(self, name), Enum) else v)
            for name in PARAMETERS
        }


def _declarations() -> dict[str, Param]:
    hints = typing.get_type_hints(ModelParams)
    out: dict[str, Param] = {}
    for f in dataclasses.fields(ModelParams):
        m = f.metadata
        out[f.name] = Param(
            name=f.name, kind=hints[f.name], default=f.default, low=m["low"], high=m["high"],
            unit=m["unit"], label=m["label"], doc=m["doc"], group=m["group"], source=m["source"],
            basis=m["basis"] if m["low"] is not None else Basis.NOT_A_VALUE,
        )
    return out


PARAMETERS: dict[str, Param] = _declarations()
"""Name -> declaration, in declaration order."""


def _fast_check(spec: Param) -> tuple[str, type, float | None, float | None]:
    """``(name, kind, low, high)``: a value whose type is exactly ``kind`` and which lies in
    [low, high] (bounds None, for booleans and Enums: any value of the type) is one
    :meth:`Param.coerce` returns unchanged. Numeric bounds are finite (so NaN and infinities
    fail the comparison and go to coerce) and integers' within 2**53 (so
    ``int(float(v)) == v``); a declaration outside that gets bounds no value meets, and so
    always goes to coerce."""
    low, high = spec.low, spec.high
    if spec.kind is bool or issubclass(spec.kind, Enum):
        return spec.name, spec.kind, None, None
    exact = low is not None and high is not None and math.isfinite(low) and math.isfinite(high) \
        and (spec.kind is not int or max(abs(low), abs(high)) <= 2**53)
    return (spec.name, spec.kind, low, high) if exact else (spec.name, spec.kind, 1.0, 0.0)


_FAST_CHECKS: tuple[tuple[str, type, float | None, float | None], ...] = tuple(
    _fast_check(spec) for spec in PARAMETERS.values())
"""Per parameter, the check :meth:`ModelParams.__post_init__` makes before calling
:meth:`Param.coerce`: building parameters is on every run's path (a ``RunSpec()`` builds the
defaults), and coercing 71 values cost about 75 us, a quarter of a one-year run."""


@functools.lru_cache(maxsize=256)
def params_record(p: ModelParams) -> Any:
    """The parameters as one numpy record (a read-only array of length 1; Enums by their
    position in the Enum): what the compiled kernels read (``st.params[0].action_cost``)."""
    import numpy as np

    fields = []
    values = []
    for spec in PARAMETERS.values():
        value = getattr(p, spec.name)
        if spec.choices is not None:
            fields.append((spec.name, np.int64))
            values.append(list(spec.kind).index(value))
        else:
            fields.append((spec.name, {float: np.float64, int: np.int64, bool: np.bool_}[spec.kind]))
            values.append(value)
    record = np.array([tuple(values)], dtype=fields)
    record.flags.writeable = False
    return record


def _unknown(key: str, origin: str | None) -> ParameterError:
    import difflib

    close = difflib.get_close_matches(key, PARAMETERS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ParameterError(
        key, f"unknown parameter{hint}; run `warnsim params` for the list", origin=origin
    )


def get(name: str, *, origin: str | None = None) -> Param:
    """The declaration of ``name``, or a :class:`ParameterError` suggesting the closest one."""
    try:
        return PARAMETERS[name]
    except KeyError:
        raise _unknown(name, origin) from None


def check_mapping(values: Mapping[str, Any], *, origin: str | None = None) -> dict[str, Any]:
    """Validate and coerce typed values; unknown keys are errors."""
    return {k: get(k, origin=origin).coerce(v, origin=origin) for k, v in values.items()}


def parse_assignments(items: list[str], *, origin: str = "--set") -> dict[str, Any]:
    """Parse ``key=value`` strings from the command line."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(item, "expected key=value", origin=origin)
        out[key] = get(key, origin=origin).parse(text, origin=origin)
    return out
