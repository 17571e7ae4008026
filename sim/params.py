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
import math
import numbers
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sim.enums import DoctrineSetting
from sim.errors import UserError


class ParameterError(UserError, ValueError):
    """A parameter value or key that the declarations do not allow."""

    def __init__(self, key: str, problem: str, *, origin: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.origin = origin
        where = f"{origin}: " if origin else ""
        super().__init__(f"{where}{key}: {problem}")


@dataclass(frozen=True, slots=True)
class Param:
    """The declaration of one parameter (derived from a :class:`ModelParams` field)."""

    name: str
    kind: type
    default: Any
    low: float | None
    high: float | None
    unit: str
    doc: str
    group: str
    source: str

    @property
    def is_numeric(self) -> bool:
        return self.kind in (int, float)

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if issubclass(self.kind, Enum):
            return "one of " + ", ".join(m.value for m in self.kind)
        if self.kind is bool:
            return "true or false"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    def coerce(self, value: Any, *, origin: str | None = None) -> Any:
        """Check a typed value (from TOML or Python) and return it as the declared type."""
        bad = ParameterError(self.name, f"got {_short(value)}; allowed: {self.allowed()}", origin=origin)
        if issubclass(self.kind, Enum):
            if isinstance(value, self.kind):
                return value
            if isinstance(value, str):
                try:
                    return self.kind(value.strip().lower())
                except ValueError:
                    raise bad from None
            raise bad
        if self.kind is bool:
            if _is_bool(value):
                return bool(value)
            raise bad
        # numbers.Real covers Python and numpy ints and floats (design tables hold numpy values)
        if _is_bool(value) or not isinstance(value, numbers.Real):
            raise bad
        try:
            as_float = float(value)
        except OverflowError:
            raise bad from None
        if not math.isfinite(as_float):
            raise bad
        if self.kind is int:
            if not as_float.is_integer():
                raise bad
            value = int(as_float)
        else:
            value = as_float
        assert self.low is not None and self.high is not None
        if not self.low <= value <= self.high:
            raise bad
        return value

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
    doc: str,
    *,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
    group: str,
    source: str = "",
) -> Any:
    return field(
        default=default,
        metadata={"low": low, "high": high, "unit": unit, "doc": doc, "group": group, "source": source},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelParams:
    """All model parameters of one run (immutable; validated on construction)."""

    # --- relations -----------------------------------------------------------------------
    rivalry: float = _p(
        0.7, "Rivalry between agencies of rival blocs (multiplied by the scenario's bloc factors)",
        low=0, high=1, unit="0-1", group="relations",
    )
    within_bloc_rivalry: float = _p(
        0.1, "Rivalry between agencies of the same bloc", low=0, high=1, unit="0-1",
        group="relations",
    )
    rival_threshold: float = _p(
        0.5, "Rivalry at or above which a dyad counts as rivals (doctrine, fabrication)",
        low=0, high=1, unit="0-1", group="relations",
    )
    diplomacy_effect: float = _p(
        0.0, "Drop in a dyad's rivalry (both directions) per confirmed warning: intelligence diplomacy",
        low=0, high=0.5, unit="per confirmation", group="relations",
    )
    # --- threats -------------------------------------------------------------------------
    plot_rate: float = _p(
        0.02, "Real plots arriving against each country", low=0, high=0.5,
        unit="per country-day", group="threats",
    )
    false_lead_rate: float = _p(
        1.0, "False leads (reporting that looks like a plot) per real plot", low=0, high=20,
        unit="per plot", group="threats",
    )
    lead_time_mean: float = _p(
        21.0, "Mean days from a plot's emergence to its attack date (gamma, shape 2)",
        low=3, high=180, unit="days", group="threats",
        source="Crocus 2024: warned 15 days before the attack",
    )
    lethality_min: float = _p(
        5.0, "Lower bound of the power-law lethality of an unmitigated attack", low=1, high=1000,
        unit="deaths", group="threats",
    )
    lethality_alpha: float = _p(
        2.4, "Tail exponent of attack lethality (power law)", low=1.05, high=6, unit="-",
        group="threats", source="Clauset, Young & Gleditsch 2007: alpha about 2.4 for terrorism deaths",
    )
    lethality_max: float = _p(
        1500.0, "Cap on the deaths of one attack", low=10, high=100000, unit="deaths",
        group="threats",
    )
    # --- detection -----------------------------------------------------------------------
    detection_rate: float = _p(
        0.25, "Chance a foreign agency of full capability detects a given plot or false lead",
        low=0, high=1, unit="probability", group="detection",
    )
    discriminability: float = _p(
        1.5, "Signal-detection d' between real plots and false leads at full capability",
        low=0, high=5, unit="SD", group="detection", source="signal detection theory (brief, mechanism 2)",
    )
    detail_rate: float = _p(
        0.6, "Chance of learning each detail (timing, location, perpetrators) at full capability",
        low=0, high=1, unit="probability", group="detection",
    )
    # --- protocol ------------------------------------------------------------------------
    doctrine: DoctrineSetting = _p(
        DoctrineSetting.SCENARIO, "Whom agencies warn: each agency's own doctrine, or one imposed on all",
        group="protocol", source="ICD 191 (2015): warn friend and foe",
    )
    credibility_threshold: float = _p(
        0.5, "Assessed credibility needed to trigger the duty to warn", low=0, high=1,
        unit="probability", group="protocol", source="ICD 191: credible",
    )
    specificity_threshold: float = _p(
        0.33, "Share of the three details needed to trigger the duty to warn", low=0, high=1,
        unit="share", group="protocol", source="ICD 191: specific (timing, location, perpetrators)",
    )
    impending_horizon: int = _p(
        30, "Days before the attack date from which a threat counts as impending", low=1, high=365,
        unit="days", group="protocol", source="ICD 191: impending",
    )
    source_waiver_weight: float = _p(
        0.5, "Sources-and-methods waiver chance = weight x sender sensitivity x rivalry", low=0,
        high=1, unit="-", group="protocol", source="ICD 191 E.2: unduly endanger sources and methods",
    )
    sanitisation: float = _p(
        0.5, "Chance of withholding a known detail = this x sender sensitivity x (1 + rivalry) / 2",
        low=0, high=1, unit="-", group="protocol", source="Carnegie & Carson 2020: disclosure dilemma",
    )
    public_alert_share: float = _p(
        0.1, "Chance a warning also goes out as a public alert (liaison dyads)", low=0, high=1,
        unit="probability", group="protocol", source="Crocus 2024: cable plus public embassy alert",
    )
    relay_when_no_liaison: bool = _p(
        True, "Without a liaison channel, pass a written warning through a third agency linked to both",
        group="protocol", source="third-party route (brief: US-Iran, no diplomatic relations)",
    )
    relay_delay: int = _p(
        2, "Extra days a relayed warning takes", low=0, high=30, unit="days", group="protocol",
    )
    public_when_no_liaison: bool = _p(
        True, "Without liaison or relay, warn by public alert (else waive: no channel)",
        group="protocol", source="Crocus 2024: public embassy alert",
    )
    attacker_adaptation: float = _p(
        0.5, "Chance a public alert makes the attackers move their date later", low=0, high=1,
        unit="probability", group="protocol",
    )
    max_attack_shift: int = _p(
        14, "Largest delay (days) attackers add after a public alert", low=1, high=90, unit="days",
        group="protocol",
    )
    delivery_delay: float = _p(
        1.0, "Mean extra days a liaison cable takes to reach a decision-maker (Poisson)", low=0,
        high=30, unit="days", group="protocol",
    )
    # --- manipulation --------------------------------------------------------------------
    manipulative_share: float = _p(
        0.15, "Share of agencies that also send fabricated warnings to rivals (when the scenario does not say)",
        low=0, high=1, unit="share", group="manipulation", source="Sobel 1985; Kydd 2005",
    )
    fabrication_rate: float = _p(
        0.002, "Fabricated warnings a manipulative agency sends each rival", low=0, high=0.2,
        unit="per dyad-day", group="manipulation",
    )
    # --- recipient decision --------------------------------------------------------------
    prior_trust_ally: float = _p(
        0.85, "Prior probability a sender with rivalry 0 is benevolent", low=0.01, high=0.99,
        unit="probability", group="decision", source="Kydd 2005: trust as belief about type",
    )
    prior_trust_rival: float = _p(
        0.15, "Prior probability a sender with rivalry 1 is benevolent", low=0.01, high=0.99,
        unit="probability", group="decision", source="Kydd 2005",
    )
    prior_weight: float = _p(
        2.0, "Pseudo-observations behind the prior trust (beta prior strength; 2 = Josang's uniform prior)", low=0.1, high=100,
        unit="observations", group="decision", source="Josang & Ismail 2002: beta reputation",
    )
    sender_accuracy: float = _p(
        0.6, "Share of a benevolent sender's warnings the recipient expects to be about real plots",
        low=0.01, high=0.99, unit="probability", group="decision",
    )
    detail_evidence: float = _p(
        2.0, "Likelihood ratio of each verifiable detail passed (cheap talk vs verifiable disclosure)",
        low=1, high=20, unit="ratio", group="decision", source="verifiable disclosure (brief, mechanism 4)",
    )
    corroboration_evidence: float = _p(
        4.0, "Likelihood ratio when the recipient's own intelligence corroborates", low=1, high=100,
        unit="ratio", group="decision",
    )
    false_corroboration: float = _p(
        0.05, "Chance own intelligence seems to corroborate a warning it knows nothing of (x capability)", low=0,
        high=1, unit="probability", group="decision",
    )
    heed_benefit: float = _p(
        1.0, "Value of acting on a certainly-true warning (harm averted, cost units)", low=0,
        high=10, unit="cost units", group="decision", source="Lindell & Perry 2012: PADM",
    )
    action_cost: float = _p(
        0.3, "Cost of protective action", low=0, high=10, unit="cost units", group="decision",
        source="Lindell & Perry 2012: PADM",
    )
    face_cost: float = _p(
        0.3, "Cost of being seen to heed a sender, times rivalry", low=0, high=10,
        unit="cost units", group="decision",
    )
    public_face_multiplier: float = _p(
        2.0, "Face cost multiplier when the warning was public", low=1, high=10, unit="x",
        group="decision",
    )
    choice_temperature: float = _p(
        0.15, "Logit noise of the heed choice (bounded rationality); lower is more decisive",
        low=0.01, high=10, unit="cost units", group="decision", source="McKelvey & Palfrey 1995: logit QRE",
    )
    # --- outcomes ------------------------------------------------------------------------
    home_interdiction: float = _p(
        0.5, "Chance that a plot the target's own services know of ends in arrests", low=0,
        high=1, unit="probability", group="outcomes",
    )
    interdiction_effect: float = _p(
        0.4, "Chance a heeded warning leads to arrests (x (1 + 3 x specificity) / 4)", low=0,
        high=1, unit="probability", group="outcomes",
    )
    deterrence_effect: float = _p(
        0.3, "Chance a heeded, not interdicted warning makes the plotters silently abandon",
        low=0, high=1, unit="probability", group="outcomes",
    )
    casualty_reduction: float = _p(
        0.5, "Share of deaths avoided by protective measures if the attack still happens", low=0,
        high=1, unit="share", group="outcomes",
    )
    # --- learning ------------------------------------------------------------------------
    cry_wolf_penalty: float = _p(
        1.0, "Weight of a warning followed by nothing visible (false alarm or silent prevention)",
        low=0, high=10, unit="observations", group="learning", source="Breznitz 1984: cry wolf",
    )
    confirmation_window: int = _p(
        7, "Days after the warned date within which an attack or arrest confirms a warning",
        low=0, high=60, unit="days", group="learning",
    )
    trust_decay: float = _p(
        0.002, "Daily fading of trust evidence toward the prior", low=0, high=0.1, unit="per day",
        group="learning", source="Josang & Ismail 2002: forgetting factor",
    )

    def __post_init__(self) -> None:
        for spec in PARAMETERS.values():
            value = getattr(self, spec.name)
            checked = spec.coerce(value)
            if checked is not value:
                object.__setattr__(self, spec.name, checked)

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
            unit=m["unit"], doc=m["doc"], group=m["group"], source=m["source"],
        )
    return out


PARAMETERS: dict[str, Param] = _declarations()
"""Name -> declaration, in declaration order."""


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
