"""The validation suite as data: the designs it runs and the checks it makes on them.

A **study** is a sweep the suite runs through the sweep engine: its design points (computed
from the parameter set being validated, so that ``--set`` overrides carry through), the
parameters it fixes, its run length and its replications (full and ``--quick``). A **check**
is one claim with its source, the published value or range, the statistic that measures it on
the studies' result files, and the range within which the model's value counts as
reproducing the claim. Adding a check here adds it to ``warnsim validate``, to
``validation.json``, to the report and to the table in ``docs/ODD.md`` (section 6.4).

**Verdict rule** (:func:`sim.validation.report.verdict`): a check is ``within`` when the model's
estimate lies in the range (ends included), ``outside`` when it does not, and
``not_applicable`` when the check declares no range (a descriptive entry) or its statistic is
undefined for the results. The 95% interval says how sure the verdict is: it is *decisive*
when the whole interval lies on the verdict's side of the range's ends. The rule does not
change with the number of replications; only decisiveness does, which is why ``--quick``
gives the same verdicts in expectation with wider intervals.

Every range is written down here before any result is seen; where the source gives no
interval, the range's reason says whose choice it is. A model value outside a published range
is a finding to report, not a check to retune.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sim.errors import UserError
from sim.mechanisms import MECHANISMS
from sim.params import ModelParams


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
    """One validation check. ``range_low``/``range_high`` bound the values that count as
    ``within`` (None: an open end; both None: descriptive, verdict ``not_applicable``).
    ``statistic`` names a function of :mod:`sim.validation.statistics` (or of
    :mod:`sim.validation.cases` for case checks) and ``args`` its arguments."""

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
    label: str = ""
    """A short human name for figures and tables (``Wickens & Dixon: crossover``); the id is
    what the CLI, validation.json and calibration files use."""

    @property
    def has_range(self) -> bool:
        return self.range_low is not None or self.range_high is not None


# --- the studies ------------------------------------------------------------------------------

RELIABILITY_LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0)
"""Multiples of the validated ``false_lead_rate`` and ``fabrication_rate`` (scaled together):
at the defaults the true-alarm share of warnings sent runs from 1 (no false alarm) down to
about 0.16, covering Bliss's 25/50/75% and the Wickens & Dixon range."""
POLICIES: tuple[str, ...] = ("model", "heed_all", "dismiss_all")
SUSPICION_WORLD = _fixed(manipulative_share_rival=0.05, manipulative_share_ally=0.05,
                         believed_manipulative_rival=0.5, believed_manipulative_ally=0.05)
"""Unfounded suspicion: rivals are no more often manipulative than allies but are believed
to be (as in ``tests/test_patterns.py``)."""
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
    return tuple(Point(f"sanitise{s:g}/claim{c:g}", {"sanitisation": s, "fabrication_detail_rate": c})
                 for s, c in itertools.product((0.0, 1.0), (0.0, 1.0)))


def _decomposition(base: ModelParams) -> tuple[Point, ...]:
    from sim.analysis.decomposition import design_rows

    return tuple(Point(name, values) for name, values in design_rows(base))


STUDIES: tuple[Study, ...] = (
    Study("defaults", "The world at the validated parameters: one-year runs with the warning log",
          replications=1000, quick=150, record_warnings=True),
    Study("details", "More details for real warnings and for fabrications (sanitising all "
          "known details or none; fabrications claiming every detail or none); no sources "
          "waiver, so that sanitising changes the details passed and not which warnings go out",
          replications=800, quick=100, record_warnings=True,
          fixed=_fixed(source_waiver_weight=0.0), points=_details),
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
    Study("decomposition", "The default world, each mechanism of sim/mechanisms.py switched off "
          "alone, and all of them off", replications=400, quick=60, minimum=10,
          points=_decomposition),
)
STUDY: dict[str, Study] = {s.name: s for s in STUDIES}


# --- the checks -------------------------------------------------------------------------------

_POSITIVE = ("the direction of the pattern: any positive value; the interval says whether the "
             "replications show it decisively")
P, A, C = CheckKind.PATTERN, CheckKind.ANCHOR, CheckKind.CASE

CHECKS: tuple[Check, ...] = (
    Check("rivalry", P, "The heed rate falls as rivalry rises.",
          "MODEL-BRIEF (validation by patterns); Kydd 2005 (rational suspicion)",
          "qualitative: lower heed rates between rivals",
          "Pooled heed rate (heeded / delivered warnings) of low-rivalry dyads (rivalry < 1/3) "
          "minus that of high-rivalry dyads (>= 2/3), the default world, one-year runs: "
          "sum of heeded_low_rivalry / sum of delivered_low_rivalry minus the same for high.",
          _POSITIVE, "rivalry_gradient", ("defaults",), 0.0, None, "heed-rate difference", label='Rivalry gradient in heeding'),
    Check("details", P, "More verifiable details raise the heed rate of warnings about real plots.",
          "MODEL-BRIEF (mechanism 4: verifiable detail vs cheap talk); issue 7",
          "qualitative: more details, more heeding of real warnings",
          "Pooled heed rate of delivered warnings about real plots when senders pass every "
          "known detail (sanitisation 0) minus when they withhold most (sanitisation 1), "
          "sources waiver off in both, paired seeds, pooled over the fabrication arms.",
          _POSITIVE, "details_real", ("details",), 0.0, None, "heed-rate difference", label='Details raise heeding'),
    Check("details_fabrications", P,
          "More claimed details do not make fabrications more credible.",
          "issue 7 (more details must not make fabrications more credible than real warnings)",
          "qualitative: no gain for fabrications",
          "Pooled heed rate of delivered fabricated warnings when fabrications claim all three "
          "details (fabrication_detail_rate 1) minus when they claim none (0), paired seeds, "
          "pooled over the sanitisation arms.",
          "no gain: any value at or below 0 (each claimed detail is one more chance to fail "
          "the check)", "details_fabricated", ("details",), None, 0.0, "heed-rate difference", label='No credit for fabricated details'),
    Check("corroboration", P, "The recipient's own corroboration raises heeding.",
          "MODEL-BRIEF (mechanism 4: the recipient checks against its own intelligence)",
          "qualitative: corroborated warnings heeded more",
          "Pooled heed rate of delivered warnings the recipient's own intelligence corroborated "
          "minus that of the others, the default world (an observational contrast within the "
          "runs, as in tests/test_patterns.py: corroborated warnings are also more often real).",
          _POSITIVE, "corroboration", ("defaults",), 0.0, None, "heed-rate difference", label='Corroboration raises heeding'),
    Check("cry_wolf", P, "Frequent false alarms lower trust in senders (cry wolf).",
          "Breznitz 1984; Dixon et al. 2007 (false alarms reduce compliance and reliance)",
          "qualitative: more false alarms, less trust",
          f"Mean over runs of trust_in_benevolent (recipients' end-of-year probability that "
          f"senders which are in fact benevolent are benevolent) with {FEW_FALSE_LEADS:g} times "
          f"the validated false_lead_rate minus with {MANY_FALSE_LEADS:g} times it, paired seeds.",
          _POSITIVE, "cry_wolf", ("cry_wolf",), 0.0, None, "trust difference", label='Cry wolf'),
    Check("prevention_paradox", P,
          "Prevention nobody can see builds less trust than visible prevention.",
          "MODEL-BRIEF (mechanism 7: the prevention paradox)",
          "qualitative: silent deterrence slows trust growth",
          "Mean trust_in_benevolent at the end of one-year runs when protective action ends plots "
          "by arrests (interdiction_effect 0.9, deterrence_effect 0) minus when the same share is "
          "silently deterred (0 and 0.9), paired seeds.",
          _POSITIVE, "prevention_paradox", ("prevention",), 0.0, None, "trust difference", label='Prevention paradox'),
    Check("doctrine", P,
          "Warning everyone saves lives compared with never warning, even though rivals mostly "
          "dismiss.",
          "MODEL-BRIEF (validation by patterns: doctrines that warn rivals save lives overall); "
          "ICD 191", "qualitative: fewer deaths when agencies warn",
          "Share of deaths averted by doctrine warn_all against never: 1 - mean deaths per run "
          "under warn_all / mean deaths per run under never, paired seeds. Whether warning "
          "lowers net harm once costs count is the wickens_dixon check's question.",
          _POSITIVE, "doctrine", ("doctrine",), 0.0, None, "share of deaths", label='Warning everyone saves lives'),
    Check("suspicion_erodes", P,
          "Learning erodes unfounded suspicion: the rivalry gap in heeding shrinks as evidence "
          "accumulates, because of learning.",
          "MODEL-BRIEF (rational suspicion; evidence can correct it); Kydd 2005",
          "qualitative: the gap shrinks with learning",
          f"World with rivals no more often manipulative than allies (true shares 0.05) but "
          f"believed to be (0.5 against 0.05), {SUSPICION_YEARS}-year runs. Gap = pooled heed "
          f"rate of low- minus high-rivalry dyads among warnings delivered in a year; shrink = "
          f"gap in year 1 minus gap in year {SUSPICION_YEARS}. Value: shrink with learning minus "
          f"shrink without (learning = false), paired seeds.",
          _POSITIVE, "suspicion_erodes", ("suspicion",), 0.0, None, "heed-rate difference", label='Learning erodes suspicion'),
    Check("overload", P,
          "An ally can dismiss a specific warning through warning overload, not only by chance.",
          "MODEL-BRIEF (counter-cases: Sri Lanka 2019, Brussels 2016); ODD P12",
          "qualitative: overloaded recipients dismiss more",
          "Among delivered warnings from allies (rivalry < 1/3) passing two or more details, the "
          "pooled share not heeded when the recipient already has protective actions in force "
          "(its cost of protective action, heed_cost in the log, above the unloaded action_cost) "
          "minus the share when it has none, the default world (observational).",
          _POSITIVE, "overload", ("defaults",), 0.0, None, "dismissal-share difference", label='Warning overload'),
    Check("breznitz", A, "One false alarm cuts the response to the next warning by close to 50%.",
          "Breznitz 1984, Cry Wolf: The Psychology of False Alarms",
          "close to 50% (one false alarm halved the fear reaction)",
          "On every dyad's first warning in the default world, the probe columns give the heed "
          "probability of that same warning had one earlier warning from the sender been a false "
          "alarm: 1 - sum of p_heed_after_false_alarm / sum of p_heed (pooled over runs).",
          "0.35-0.65: close to 50% within 15 points, the design range of issue 7 (Breznitz "
          "reports no interval)", "breznitz", ("defaults",), 0.35, 0.65, "share of heed probability", label='Breznitz: one false alarm'),
    Check("asymmetry", A, "Trust is easier to lose than to win.",
          "Slovic 1993 (the asymmetry principle)",
          "qualitative: negative events weigh more than positive ones",
          "On rival dyads' first warnings (rivalry >= 2/3) in the default world: mean fall of the "
          "heed probability after one false alarm (p_heed - p_heed_after_false_alarm) minus mean "
          "rise after one confirmation (p_heed_after_confirmation - p_heed).",
          "any value at or above 0: a confirmation moves a rival's heed probability no more than "
          "a false alarm does (issue 7)", "asymmetry", ("defaults",), 0.0, None,
          "heed-probability difference", label='Asymmetry of trust'),
    Check("bliss", A, "Response rates match the alarm's true-alarm rate (probability matching).",
          "Bliss 1993 (about 90% of subjects matched their response rate to 25/50/75% "
          "reliability)", "slope 1: the response rate rises one for one with the true-alarm rate",
          "Reliability levels made by scaling false_lead_rate and fabrication_rate together; at "
          "each level the pooled true-alarm share of warnings sent (1 - false_alarms / "
          "warnings_sent) and the pooled heed rate under the recipients' own choice. Value: the "
          "least-squares slope of heed rate on true-alarm share over the levels whose share lies "
          "in 0.2-0.8 (Bliss's 25-75% with a margin). The slope, not the level, transfers from "
          "a laboratory alarm task: how much recipients heed at a given reliability depends on "
          "the cost of acting, which differs between pressing a button and protective action.",
          "0.8-1.2: matching within 20% (our tolerance; Bliss reports shares of matching subjects, "
          "not a slope)", "bliss", ("reliability",), 0.8, 1.2, "heed rate per true-alarm share", label='Bliss: probability matching'),
    Check("wickens_dixon", A,
          "Below some reliability, acting on every warning is worse than acting on none "
          "(the reliability crossover).",
          "Wickens & Dixon 2007 (about 0.70, 20 studies); a later Bayesian meta-analysis: 0.67, "
          "credible interval 0.55-0.75",
          "0.67 (0.55-0.75)",
          "At each reliability level, the mean over paired runs of net_harm (deaths plus "
          "protective and investigation costs) under heed_all minus under dismiss_all, against "
          "the pooled true-alarm share of warnings sent under the two policies. Value: the "
          "reliability at which the difference changes sign, by linear interpolation between "
          "the highest level where heeding all is worse and the next more reliable level.",
          "0.55-0.75: the meta-analysis's credible interval", "wickens_dixon", ("reliability",),
          0.55, 0.75, "reliability", label='Wickens & Dixon: crossover'),
    Check("simmons_sutter", A,
          "More false alarms cost lives: a rise of one standard deviation in the false-alarm "
          "ratio raised fatalities by 12-29%.",
          "Simmons & Sutter 2009 (tornado warnings, false-alarm ratio of the warning office)",
          "12-29% more fatalities per SD of the false-alarm ratio",
          "Elasticity of deaths to the false-alarm ratio (FAR) at the validated parameters: "
          "b = (log mean deaths at 2x - log mean deaths at 0.5x) / (FAR at 2x - FAR at 0.5x), "
          "false leads and fabrications scaled together, recipients' own choice, paired seeds. "
          "The SD is the model's own cross-sectional spread, as Simmons & Sutter's is across "
          "warning offices: the SD over the scenario's recipient agencies of the FAR of the "
          "warnings sent to each (pooled over the runs of the default world). Value: "
          "exp(b x SD) - 1.",
          "0.12-0.29: the published range", "simmons_sutter", ("reliability", "defaults"),
          0.12, 0.29, "relative rise in deaths", label='Simmons & Sutter: false alarms'),
    Check("foiled_share", A, "Most plots against states with capable services are foiled.",
          "Heritage Foundation 2013 (60 plots against the US from 9/11 to mid-2013, 56 foiled)",
          "56 of 60 = 0.93 (Wilson 95% 0.84-0.97) for the US",
          "Pooled share of ended plots that were foiled (interdicted or deterred), the default "
          "world: sum of foiled / sum of plots_ended.",
          "0.6-0.95: the anchor is one state with the most capable services (0.93); the default "
          "scenario mixes capabilities 0.35-0.9 and home security 0.5-0.85, so the range runs "
          "from 'most' with a margin to the anchor (ODD P11; tests/test_patterns.py)",
          "foiled_share", ("defaults",), 0.6, 0.95, "share", label='Share of plots foiled'),
    Check("deaths_per_attack", A, "Most attacks kill few.",
          "GTD 2019 (about 14,840 killed in 8,500 attacks: 1.7 per attack); Europol TE-SAT 2020 "
          "(119 foiled, failed and completed attacks in the EU in 2019, 10 deaths)",
          "about 1.7 deaths per attack (GTD); far fewer in the EU",
          "Pooled deaths per attack, the default world: sum of casualties / sum of attacks.",
          "0.5-5: from the EU's order of magnitude to three times the world mean (ODD P11; "
          "tests/test_patterns.py)", "deaths_per_attack", ("defaults",), 0.5, 5.0,
          "deaths per attack", label='Deaths per attack'),
    Check("decomposition", P,
          "The rivalry gradient emerges from the model's mechanisms rather than from a "
          "hard-wired discount.",
          "MODEL-BRIEF (rational suspicion: a gradient that is a fixed function of rivalry "
          "restates its assumption); issue 7",
          "qualitative: switching the mechanisms off removes the gradient",
          "Share of the defaults' rivalry gradient (as in the rivalry check) explained by all "
          "mechanisms of sim/mechanisms.py together: 1 - gradient with every mechanism off / "
          "gradient at the defaults, paired seeds; percentile bootstrap over replications "
          "(sim.analysis.decomposition).",
          "at least 0.9: no more than a tenth of the gradient left to what no declared mechanism "
          "explains (which dyads are rivals, their services' capabilities)",
          "decomposition_share", ("decomposition",), 0.9, None, "share of gradient",
          _fixed(mechanism="all"), label='Mechanisms explain the gradient'),
    *(Check(f"decomposition_{m.name}", P, f"Share of the rivalry gradient due to: {m.label.lower()}.",
            "sim/mechanisms.py (descriptive)", "none (descriptive)",
            f"1 - gradient with this mechanism switched off ({m.description}) / gradient at the "
            f"defaults, paired seeds.", "none: a descriptive entry (no claim about one "
            "mechanism's share)", "decomposition_share", ("decomposition",), None, None,
            "share of gradient", _fixed(mechanism=m.name), label=f"Share due to {m.label.lower()}")
      for m in MECHANISMS),
    Check("cases_brier", C,
          "The documented warnings' recorded responses are predicted better than by chance.",
          "sim/data/cases.csv (seven cases, each with its source line)",
          "none: a face-validity score",
          "Multiclass Brier score over the case set: mean over cases of the sum over the three "
          "responses of (model probability - 1 if recorded else 0)^2, in [0, 2]. Interval: "
          "percentile bootstrap over cases.",
          "0-0.667: better than the uninformed forecast (1/3 for each response, Brier 2/3)",
          "cases_brier", (), 0.0, 2 / 3, "Brier score", label='Cases: Brier score'),
    Check("cases_log_loss", C,
          "The documented warnings' recorded responses are predicted better than by chance.",
          "sim/data/cases.csv", "none: a face-validity score",
          "Mean over cases of -ln(model probability of the recorded response), probabilities "
          "clipped below at 1e-6 (a response the model deems impossible costs ln 1e6 = 13.8). "
          "Interval: percentile bootstrap over cases.",
          "0-1.099: better than the uninformed forecast (ln 3)", "cases_log_loss", (),
          0.0, 1.0986122886681098, "nats", label='Cases: log loss'),
)
"""Every check of the suite, in report order (per-case entries are added by the cases module)."""

BY_ID: dict[str, Check] = {c.id: c for c in CHECKS}
CASE_PREFIX = "case_"
"""Per-case entries of validation.json: ``case_<slug of the case's name>``."""


def select(only: list[str] | tuple[str, ...] | None) -> tuple[Check, ...]:
    """The checks to run: all, or those named (in suite order); unknown ids are an error."""
    if not only:
        return CHECKS
    unknown = [i for i in only if i not in BY_ID]
    if unknown:
        raise UserError(f"--only: unknown check {unknown[0]!r}; allowed: {', '.join(BY_ID)}")
    wanted = set(only)
    return tuple(c for c in CHECKS if c.id in wanted)


def studies_for(checks: tuple[Check, ...]) -> tuple[Study, ...]:
    """The studies the checks need, in suite order."""
    needed = {s for c in checks for s in c.studies}
    return tuple(s for s in STUDIES if s.name in needed)
