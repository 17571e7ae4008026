"""The validation suite as data: the designs it runs and the checks it makes on them.

A **study** is a sweep the suite runs through the sweep engine: its design points (computed
from the parameter set being validated, so that ``--set`` overrides carry through), the
parameters it fixes, its run length and its replications (full and ``--quick``). A **check**
is one claim with its source, the published value or range, the statistic that measures it on
the studies' result files, the range within which the model's value counts as reproducing the
claim, what would make it fail, its role and when it was registered. The checks are declared in
``sim/validation/registry.toml`` (the pre-registered suite, with its changelog beside it:
:mod:`sim.validation.registry`, ``docs/validation.md``); this module turns each entry into a
:class:`Check`. Adding an entry there adds it to ``warnsim validate``, to ``validation.json``, to
the report and to the table in ``docs/ODD.md`` (section 6.4).

**Verdict rule** (:func:`sim.validation.report.verdict`): a check is ``within`` when the model's
estimate lies in the range (ends included), ``outside`` when it does not, and
``not_applicable`` when the check declares no range (a diagnostic or descriptive entry) or its
statistic is undefined for the results. The 95% interval says how sure the verdict is: it is
*decisive* when the whole interval lies on the verdict's side of the range's ends. The rule does
not change with the number of replications; only decisiveness does, which is why ``--quick``
gives the same verdicts in expectation with wider intervals. Only checks whose role is
``validation`` count toward the tally; checks that hold by construction are reported apart.

A model value outside a published range is a finding to report, not a range to retune: a
registered range changes only with a changelog record (why, value before and after).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any

from sim.errors import UserError
from sim.mechanisms import active
from sim.params import ModelParams
from sim.validation.registry import Entry, RangeBasis, Role, registry


class CheckKind(StrEnum):
    PATTERN = "pattern"  # a qualitative pattern the model should show (pattern-oriented modelling)
    ANCHOR = "anchor"  # a published number or range from warning research or threat data
    CASE = "case"  # a documented warning scored by the model (face validation)


@dataclass(frozen=True, slots=True)
class Point:
    """One design point: a label the statistics use and the parameter values that define it."""

    label: str
    values: Mapping[str, Any]


def _fixed(**values: Any) -> Mapping[str, Any]:
    return MappingProxyType(values)


@dataclass(frozen=True, slots=True)
class Study:
    """A sweep the suite runs. ``points(base)`` gives its design points for the validated
    parameter set ``base`` (an empty tuple: one point, ``base`` itself); ``fixed`` values hold
    in every run and take precedence over ``--set`` (the report says when they do)."""

    name: str
    question: str
    replications: int
    quick: int
    days: int = 365
    minimum: int = 2  # fewest replications its statistics accept
    record_warnings: bool = False
    record_agents: bool = False
    record_every: int = 1  # the per-agency series every this many days (and the last day)
    fixed: Mapping[str, Any] = field(default_factory=_fixed)
    points: Callable[[ModelParams], tuple[Point, ...]] = lambda base: ()

    def design(self, base: ModelParams) -> tuple[Point, ...]:
        """The design points, checked: distinct and all defining the same parameters."""
        points = self.points(base)
        keys = {tuple(p.values) for p in points}
        if len(keys) > 1:
            raise ValueError(f"study {self.name}: points define different parameters")
        seen: dict[tuple[Any, ...], str] = {}
        for p in points:
            key = tuple(p.values.values())
            if key in seen:
                raise UserError(
                    f"validation study {self.name}: design points {seen[key]!r} and {p.label!r} "
                    f"coincide ({dict(p.values)}) at the parameters given; they must differ "
                    "for the study to measure anything")
            seen[key] = p.label
        return points

    def runs(self, quick: bool) -> int:
        return self.quick if quick else self.replications


@dataclass(frozen=True, slots=True)
class Check:
    """One validation check, as registered (``sim/validation/registry.toml``).
    ``range_low``/``range_high`` bound the values that count as ``within`` (None: an open end;
    both None: a diagnostic or descriptive entry, verdict ``not_applicable``). ``statistic``
    names a function of :mod:`sim.validation.statistics` (or of :mod:`sim.validation.scoring`
    for case checks) and ``args`` its arguments. ``role`` says whether the verdict counts
    (:class:`~sim.validation.registry.Role`); ``registered`` is the date the check took its
    present statistic, range, criterion and role."""

    id: str
    kind: CheckKind
    claim: str
    source: str
    published: str
    definition: str
    range_reason: str
    statistic: str
    studies: tuple[str, ...] = ()
    range_low: float | None = None
    range_high: float | None = None
    unit: str = ""
    args: Mapping[str, Any] = field(default_factory=_fixed)
    role: Role = field(kw_only=True)
    registered: dt.date = field(kw_only=True)
    range_basis: RangeBasis = field(kw_only=True)
    fails_if: str = field(kw_only=True)
    why_by_construction: str = ""
    diagnostic_for: str = ""
    label: str = field(default="", kw_only=True)
    """A short human name for figures and tables (``Wickens & Dixon: crossover``); the id is
    what the CLI, validation.json and calibration files use."""

    @property
    def has_range(self) -> bool:
        return self.range_low is not None or self.range_high is not None

    @property
    def by_construction(self) -> bool:
        return self.role is Role.BY_CONSTRUCTION

    @property
    def counted(self) -> bool:
        """Whether the verdict counts toward the validation tally."""
        return self.role is Role.VALIDATION


# --- the studies ------------------------------------------------------------------------------

RELIABILITY_LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0)
"""Multiples of the validated ``false_lead_rate`` and ``fabrication_rate`` (scaled together):
at the defaults the true-alarm share of warnings sent runs from 1 (no false alarm) down to
about 0.16, covering Bliss's 25/50/75% and the Wickens & Dixon range."""
POLICIES: tuple[str, ...] = ("model", "heed_all", "dismiss_all")
SUSPICION_WORLD = _fixed(rivalry_gain=0.0, suspicion_bias=5.0)
"""Unfounded suspicion: nobody gains from a rival's losses (``rivalry_gain`` 0), so rivals
fabricate no more often than allies (rarely, by the choice noise alone), and rational suspicion
derives a prior near its floor for everyone (0.001-0.004 in the default scenario);
``suspicion_bias`` 5 adds declared suspicion of rivals (log-odds +5: a prior of about 0.15-0.35
toward rivals, against 0.001-0.004 toward allies)."""
DETAIL_ARMS: dict[str, float] = {"open": 0.0, "guarded": 20.0}
"""The details study's ``source_value`` arms: sources worth nothing (every known detail that
saves lives is passed) against sources worth more than any detail saves (none is passed)."""
SUSPICION_YEARS = 5
FEW_FALSE_LEADS, MANY_FALSE_LEADS = 0.25, 4.0
"""The cry-wolf study's false-lead rates, as multiples of the validated value."""


def level_label(k: float, policy: str) -> str:
    return f"x{k:g}/{policy}"


def _reliability(base: ModelParams) -> tuple[Point, ...]:
    return tuple(
        Point(level_label(k, policy), {"false_lead_rate": k * base.false_lead_rate,
                                       "fabrication_rate": k * base.fabrication_rate,
                                       "response_policy": policy})
        for k in RELIABILITY_LEVELS for policy in POLICIES)


def _details(base: ModelParams) -> tuple[Point, ...]:
    return tuple(Point(f"{arm}/claim{c:g}", {"source_value": value, "fabrication_detail_rate": c})
                 for (arm, value), c in itertools.product(DETAIL_ARMS.items(), (0.0, 1.0)))


def _decomposition(base: ModelParams) -> tuple[Point, ...]:
    from sim.analysis.decomposition import design_rows

    return tuple(Point(name, values) for name, values in design_rows(base))


STUDIES: tuple[Study, ...] = (
    Study("defaults", "The world at the validated parameters: one-year runs with the warning log",
          replications=1000, quick=150, record_warnings=True),
    Study("details", "More details for real warnings and for fabrications (senders whose "
          "sources are worth nothing pass the known details, senders whose sources are worth "
          "more than any detail saves pass none, and neither invokes the sources waiver; "
          "fabrications claiming every detail or none)",
          replications=800, quick=100, record_warnings=True, points=_details),
    Study("cry_wolf", f"Few ({FEW_FALSE_LEADS:g}x) against many ({MANY_FALSE_LEADS:g}x) false leads",
          replications=600, quick=100,
          points=lambda b: (Point("few", {"false_lead_rate": FEW_FALSE_LEADS * b.false_lead_rate}),
                            Point("many", {"false_lead_rate": MANY_FALSE_LEADS * b.false_lead_rate}))),
    Study("prevention", "Protection delivered as visible arrests against silent deterrence",
          replications=600, quick=100,
          points=lambda b: (Point("visible", {"interdiction_effect": 0.9, "deterrence_effect": 0.0}),
                            Point("silent", {"interdiction_effect": 0.0, "deterrence_effect": 0.9}))),
    Study("doctrine", "Every agency warns everyone (ICD 191) against no agency warning anyone",
          replications=2000, quick=200,
          points=lambda b: (Point("warn_all", {"doctrine": "warn_all"}),
                            Point("never", {"doctrine": "never"}))),
    Study("suspicion", f"Unfounded suspicion of rivals over {SUSPICION_YEARS}-year runs, with and "
          "without learning", replications=400, quick=60, days=SUSPICION_YEARS * 365,
          record_warnings=True, fixed=SUSPICION_WORLD,
          points=lambda b: (Point("learning", {"learning": True}),
                            Point("no_learning", {"learning": False}))),
    Study("reliability", "Sender reliability varied by scaling false leads and fabrications "
          "together, under the recipients' own choice and the reference policies heed_all and "
          "dismiss_all", replications=1000, quick=60, points=_reliability),
    Study("far", "The world at the validated parameters with each agency's own record (attacks, "
          "deaths) and the warning log: realised false-alarm ratios per recipient (Simmons & "
          "Sutter's protocol)", replications=600, quick=100, minimum=10, record_warnings=True,
          record_agents=True, record_every=365),
    Study("decomposition", "The default world, each mechanism of sim/mechanisms.py switched off "
          "alone, and all of them off", replications=400, quick=60, minimum=10,
          record_warnings=True, points=_decomposition),
)
STUDY: dict[str, Study] = {s.name: s for s in STUDIES}


# --- the checks -------------------------------------------------------------------------------

CASE_PREFIX = "case_"
"""Per-case entries of validation.json: ``case_<slug of the case's name>``."""
DECOMPOSITION_PREFIX = "decomposition_"


def check_of(entry: Entry, **changes: Any) -> Check:
    """The :class:`Check` a registry entry declares (``changes`` replace fields, for the
    entries a family makes)."""
    fields: dict[str, Any] = {
        "id": entry.id, "kind": CheckKind(entry.kind), "claim": entry.claim,
        "source": entry.source, "published": entry.published, "definition": entry.definition,
        "range_reason": entry.range_reason, "statistic": entry.statistic,
        "studies": entry.studies, "range_low": entry.range_low, "range_high": entry.range_high,
        "unit": entry.unit, "args": entry.args, "role": entry.role,
        "registered": entry.registered, "range_basis": entry.range_basis,
        "fails_if": entry.fails_if, "why_by_construction": entry.by_construction,
        "diagnostic_for": entry.diagnostic_for, "label": entry.label}
    return Check(**(fields | changes))


@cache
def checks() -> tuple[Check, ...]:
    """Every check of the suite, in report order: the registry's checks, with one
    ``decomposition_<mechanism>`` entry per mechanism of :mod:`sim.mechanisms` after the
    decomposition check (per-case entries are added by the cases module)."""
    reg = registry()
    family = reg.family(DECOMPOSITION_PREFIX)
    out: list[Check] = []
    for entry in reg.checks:
        out.append(check_of(entry))
        if entry.id == "decomposition":
            out += [check_of(family, id=f"{DECOMPOSITION_PREFIX}{m.name}",
                             claim=f"Share of the rivalry gradient due to: {m.label.lower()}.",
                             definition=f"1 - gradient with this mechanism switched off "
                                        f"({m.description}) / gradient at the defaults, paired "
                                        "seeds.", args=_fixed(mechanism=m.name),
                             label=f"Share due to {m.label.lower()}")
                    for m in active()]
    for c in out:
        if not set(c.studies) <= set(STUDY):
            unknown = sorted(set(c.studies) - set(STUDY))
            raise UserError(f"sim/validation/registry.toml: check {c.id!r}: studies: got "
                            f"{unknown[0]!r}; allowed: {', '.join(STUDY)}")
    return tuple(out)


def by_id() -> dict[str, Check]:
    return {c.id: c for c in checks()}


def case_family() -> Entry:
    """The registry's entry for the per-case checks (``case_<case>``)."""
    return registry().family(CASE_PREFIX)


def __getattr__(name: str) -> Any:
    """``CHECKS`` and ``BY_ID``, built from the registry on first use (no import-time reads)."""
    if name == "CHECKS":
        return checks()
    if name == "BY_ID":
        return by_id()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def select(only: list[str] | tuple[str, ...] | None) -> tuple[Check, ...]:
    """The checks to run: all, or those named (in suite order); unknown ids are an error."""
    every = checks()
    if not only:
        return every
    ids = [c.id for c in every]
    unknown = [i for i in only if i not in ids]
    if unknown:
        raise UserError(f"--only: unknown check {unknown[0]!r}; allowed: {', '.join(ids)}")
    wanted = set(only)
    return tuple(c for c in every if c.id in wanted)


def studies_for(checks: tuple[Check, ...]) -> tuple[Study, ...]:
    """The studies the checks need, in suite order."""
    needed = {s for c in checks for s in c.studies}
    return tuple(s for s in STUDIES if s.name in needed)
