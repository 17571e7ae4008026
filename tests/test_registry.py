"""The pre-registered suite: the registry and its changelog agree, every range names its source,
bad registry files are refused naming the key, and the statistics of the sources' own protocols
give hand-computed values on scripted inputs (warning logs, outcome rows, regressions)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.load import Results
from sim.errors import UserError
from sim.params import ModelParams
from sim.validation.registry import (
    Change,
    RangeBasis,
    Record,
    Role,
    changelog,
    disagreements,
    parse_changelog,
    parse_registry,
    pending,
    registry,
)
from sim.validation.statistics import (
    STATISTICS,
    StudyData,
    Undefined,
    after_outcomes,
    at_share,
    cohen_h,
    fitted_crossover,
    poisson_slope,
    weighted_sd,
)
from sim.validation.suite import CASE_PREFIX, STUDY, by_id, checks

ROOT = Path(__file__).resolve().parents[1]


# --- the registry and its changelog --------------------------------------------------------------

def test_the_registry_and_its_changelog_agree_and_no_value_is_pending():
    assert disagreements(registry(), changelog()) == []
    assert pending(changelog()) == []


def test_a_registry_that_moved_without_a_changelog_record_is_caught():
    reg = registry()
    moved = dataclasses.replace(reg.checks[0], range_low=0.1)
    problems = disagreements(dataclasses.replace(reg, checks=(moved, *reg.checks[1:])), changelog())
    assert problems == [f"{moved.id}: range_low is 0.1 in the registry but 0.2 in its latest "
                        "changelog record (2026-12-07)"]
    log = changelog()
    dropped = tuple(r for r in log if r.id != "bliss_25")
    assert disagreements(reg, dropped) == ["bliss_25: registered but has no changelog record"]
    silent = Record("wickens_dixon", log[-1].date, Change.RANGE, "narrower",
                    statistic="crossover_regression", range_low=0.6, range_high=0.75,
                    role=Role.VALIDATION)
    assert disagreements(reg, (*log, silent)) == [
        "wickens_dixon: range_low is 0.55 in the registry but 0.6 in its latest changelog "
        "record (2026-12-07)",
        "wickens_dixon: the range change of 2026-12-07 needs value_before and value_after"]
    removed = Record("rivalry", log[-1].date, Change.REMOVED, "gone", value_before="x",
                     value_after="y")
    assert disagreements(reg, (*log, removed)) == [
        "rivalry: registered, but its latest changelog record removes it"]


def test_every_range_names_its_source_and_how_it_was_derived():
    for e in registry().entries():
        assert e.source.strip() and e.claim.strip() and e.fails_if.strip(), e.id
        if e.has_range:
            assert e.range_basis is not RangeBasis.NONE and e.range_reason.strip(), e.id
        if e.role is Role.VALIDATION:
            assert e.has_range, e.id
            assert e.range_basis in (RangeBasis.SOURCE, RangeBasis.TRANSFORMATION,
                                     RangeBasis.CONVENTION, RangeBasis.PROJECT), e.id
        if e.range_basis in (RangeBasis.SOURCE, RangeBasis.TRANSFORMATION):
            ends = [x for x in (e.range_low, e.range_high) if x is not None]
            # the derivation written next to the range gives the numbers it produced
            assert all(_shown(x, e.range_reason) for x in ends), (e.id, e.range_reason)


def _shown(x: float, text: str) -> bool:
    return any(f"{x:.{d}f}".rstrip("0").rstrip(".") in text for d in (0, 1, 2, 3, 4)) or (
        math.isclose(x, 2 / 3) and "2/3" in text) or (math.isclose(x, 1 / 3) and "1/3" in text) \
        or (math.isclose(x, math.log(3)) and "ln 3" in text) or (x == 0.0 and "0-" in text)


def test_the_suite_is_the_registry():
    reg = {e.id: e for e in registry().checks}
    made = by_id()
    for check_id, e in reg.items():
        c = made[check_id]
        assert (c.statistic, c.range_low, c.range_high, c.role, c.registered, dict(c.args)) == (
            e.statistic, e.range_low, e.range_high, e.role, e.registered, dict(e.args))
        assert c.statistic in STATISTICS or c.kind.value == "case", check_id
        assert set(c.studies) <= set(STUDY), check_id
    family = [c for c in checks() if c.id.startswith("decomposition_")]
    assert family and all(c.role is Role.DESCRIPTIVE and not c.has_range for c in family)
    # the per-case entries take their range from the registry's family
    from sim.validation.scoring import UNINFORMED

    case = registry().family(CASE_PREFIX)
    assert (case.range_low, case.range_high) == (pytest.approx(UNINFORMED), 1.0)


def test_checks_that_hold_by_construction_say_why_and_are_not_counted():
    held = {c.id for c in checks() if c.by_construction}
    assert {"details_fabrications", "corroboration", "asymmetry"} <= held
    assert all(by_id()[i].why_by_construction and not by_id()[i].counted for i in held)
    # the sources' protocols replaced the former statistics, kept as diagnostics beside them
    diagnostics = {c.id: c.diagnostic_for for c in checks() if c.role is Role.DIAGNOSTIC}
    assert diagnostics == {"breznitz_probe": "breznitz", "bliss_slope": "bliss_25",
                           "wickens_dixon_heed_all": "wickens_dixon",
                           "simmons_sutter_elasticity": "simmons_sutter",
                           "foiled_share": "foiled_share_capable", "rivalry_crude": "rivalry"}


def test_no_counted_check_passes_on_a_sign_alone():
    """A direction check (>= 0 or <= 0) cannot fail on any real effect (the validation review)."""
    for c in checks():
        if c.counted and c.kind.value != "case":
            assert not (c.range_high is None and c.range_low == 0.0), c.id
            assert not (c.range_low is None and c.range_high == 0.0), c.id


GOOD = '''schema = 1
[[check]]
id = "x"
kind = "anchor"
role = "validation"
registered = 2026-12-07
claim = "c"
source = "s"
published = "p"
statistic = "foiled_share"
studies = ["defaults"]
definition = "d"
range_low = 0.1
range_basis = "source"
range_reason = "r"
fails_if = "f"
unit = "u"
[[family]]
id = "case_<case>"
kind = "case"
role = "descriptive"
registered = 2026-12-07
claim = "c"
source = "s"
published = "p"
statistic = "cases"
studies = []
definition = "d"
range_basis = "none"
range_reason = "r"
fails_if = "f"
unit = "u"
'''


@pytest.mark.parametrize(("change", "message"), [
    (('unit = "u"\n[[family]]', 'unit = "u"\ncolour = "red"\n[[family]]'),
     "t.toml: check 'x': colour: unknown key; allowed: id, kind"),
    (('role = "validation"', 'role = "maybe"'),
     "t.toml: check 'x': role: got 'maybe'; allowed: validation, by_construction, diagnostic"),
    (("range_low = 0.1\n", "range_low = 0.1\nrange_high = 0.05\n"),
     "t.toml: check 'x': range_low 0.1 > range_high 0.05; allowed: range_low <= range_high"),
    (("range_low = 0.1\n", ""),
     "t.toml: check 'x': a validation check needs a range and its basis"),
    (('source = "s"\npublished', 'source = ""\npublished'),
     "t.toml: check 'x': source: got ''; allowed: a non-empty string"),
    (("registered = 2026-12-07\nclaim = \"c\"\nsource = \"s\"\npublished = \"p\"\n"
      "statistic = \"foiled_share\"", "registered = \"soon\"\nclaim = \"c\"\nsource = \"s\"\n"
      "published = \"p\"\nstatistic = \"foiled_share\""),
     "t.toml: check 'x': registered: got 'soon'; allowed: a date"),
    (('role = "validation"', 'role = "by_construction"'),
     "t.toml: check 'x': by_construction: says why a check holds by construction"),
])
def test_a_bad_registry_is_refused_naming_the_check_and_key(change, message):
    old, new = change
    assert old in GOOD
    parse_registry(GOOD, origin="t.toml")  # the unchanged text is valid
    with pytest.raises(UserError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("'", "'")):
        parse_registry(GOOD.replace(old, new, 1), origin="t.toml")


def test_a_changelog_going_back_in_time_is_refused():
    text = ('[[change]]\nid = "x"\ndate = 2026-12-07\nchange = "registered"\nwhy = "w"\n'
            'statistic = "s"\n[[change]]\nid = "x"\ndate = 2026-12-01\nchange = "range"\n'
            'why = "w"\nstatistic = "s"\n')
    with pytest.raises(UserError, match="record 'x': date: 2026-12-01 before the previous"):
        parse_changelog(text, origin="c.toml")


# --- scripted inputs for the statistics --------------------------------------------------------

def study(runs: pd.DataFrame, warnings: pd.DataFrame | None = None, *, name: str = "defaults",
          manifest: dict | None = None, agents: pd.DataFrame | None = None) -> StudyData:
    """A study's data as load_study makes it, from hand-written tables."""
    results = Results(directory=Path("scripted"), runs=runs, design=None,  # type: ignore[arg-type]
                      manifest=manifest or {}, warnings=warnings)
    reps = np.sort(runs["replication"].unique())
    if warnings is not None:
        warnings = warnings.join(runs.set_index("run_id")[["point", "replication"]], on="run_id")
    return StudyData(name, results, runs, warnings, reps, 0, ModelParams(), agents=agents)


def _runs(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"run_id": range(n), "replication": range(n), "point": "base",
                         "status": "ok", **columns})


def test_foiled_share_capable_pools_the_lead_columns_and_is_not_applicable_without_them():
    check = by_id()["foiled_share_capable"]
    d = study(_runs(foiled_capable=[9, 1, 8], plots_ended_capable=[10, 2, 8], foiled=[0, 0, 0],
                    plots_ended=[1, 1, 1]))
    m = STATISTICS[check.statistic](check, {"defaults": d})
    assert m.value == pytest.approx(18 / 20)
    assert m.low <= m.value <= m.high
    bare = study(_runs(foiled=[1, 2], plots_ended=[3, 4]))
    with pytest.raises(Undefined, match="no outcome column foiled_capable"):
        STATISTICS[check.statistic](check, {"defaults": bare})


SCENARIO = """name = "pair"
description = "two agencies"
[[agency]]
name = "A"
bloc = "A"
capability = 0.9
home_security = 0.8
source_sensitivity = 0.5
doctrine = "warn_all"
[[agency]]
name = "B"
bloc = "B"
capability = 0.5
home_security = 0.5
source_sensitivity = 0.5
doctrine = "warn_all"
"""


def test_attacks_and_deaths_per_country_year_divide_by_agencies_and_years():
    manifest = {"scenario_text": SCENARIO, "experiment": {"days": 730}}  # 2 agencies x 2 years
    d = study(_runs(attacks=[1, 3, 0, 4], casualties=[0, 5, 0, 2]), manifest=manifest)
    for check_id, total in (("attacks_per_country_year", 8), ("deaths_per_country_year", 7)):
        check = by_id()[check_id]
        m = STATISTICS[check.statistic](check, {"defaults": d})
        assert m.value == pytest.approx(total / (4 * 2 * 2)), check_id


def _log(rows: list[tuple]) -> pd.DataFrame:
    """Warning rows: (run, id, sender, recipient, delivered, evaluated, is_real, fabricated,
    confirmed, heeded)."""
    names = ("run_id", "warning_id", "sender", "recipient", "delivered_day", "evaluated_day",
             "is_real", "fabricated", "confirmed", "heeded")
    frame = pd.DataFrame(rows, columns=names)
    frame["p_heed"] = frame["heeded"].astype(float) * 0.5 + 0.25
    return frame


SCRIPT = _log([
    # A -> B in run 0: a false alarm judged on day 19, a confirmed warning judged on day 40
    (0, 0, "A", "B", 10, 19, False, False, False, True),
    (0, 1, "A", "B", 15, 40, True, False, True, True),
    (0, 2, "A", "B", 25, 60, True, False, False, False),  # next after the false alarm
    (0, 3, "A", "B", 30, 61, False, False, False, False),  # not the next one: 2 came first
    (0, 4, "A", "B", 45, None, True, False, None, True),  # next after the confirmation
    (0, 5, "A", "B", 40, 70, False, True, False, False),  # delivered the day 1 was judged
    # B -> A: two outcomes judged the same day, so the last one seen is ambiguous
    (0, 6, "B", "A", 5, 10, True, False, True, True),
    (0, 7, "B", "A", 5, 10, False, False, False, True),
    (0, 8, "B", "A", 12, None, True, False, None, True),
    # run 1: no outcome of A -> B seen before this warning (run 0's are another world)
    (1, 9, "A", "B", 50, None, True, False, None, True),
])


def test_breznitz_protocol_finds_each_senders_next_warning_after_an_outcome():
    probes = after_outcomes(SCRIPT, pd.DataFrame({"run_id": [0, 1]}))
    got = {int(r.warning_id): (bool(r.prime_is_real), bool(r.prime_fabricated),
                               bool(r.prime_confirmed)) for r in probes.itertuples()}
    # 2 (day 25) is the first delivery after the false alarm was judged (day 19); 3 and 5 came
    # after 2; 4 (day 45) is the first after the confirmation judged on day 40 (5 arrived that
    # day, before the judgement); 8 follows two outcomes judged the same day; 9 is in a run
    # where no outcome was seen
    assert got == {2: (False, False, False), 4: (True, False, True)}


def test_the_evaluation_day_follows_the_models_schedule_when_the_log_has_none():
    log = SCRIPT.drop(columns="evaluated_day").assign(
        warned_day=SCRIPT["delivered_day"] + 2, decided_day=SCRIPT["delivered_day"])
    runs = pd.DataFrame({"run_id": [0, 1], "confirmation_window": [7, 7]})
    probes = after_outcomes(log, runs)
    # judged at warned date + 7 = delivery + 9 (unless never judged): 0 on day 19, 1 on 24,
    # 3 on 39; so 2 (day 25) follows the confirmation of 1 and 5 (day 40) the false alarm 3
    prime = probes.set_index("warning_id")
    assert set(prime.index) == {2, 5}
    assert prime.loc[2, "prime_confirmed"] and not prime.loc[5, "prime_is_real"]


def test_breznitz_realised_is_one_minus_the_ratio_of_pooled_heed_rates():
    check = by_id()["breznitz"]
    # two replications of the script: after the false alarm 0 of 2 probes heeded, after the
    # confirmation 2 of 2: a cut of 1
    log = pd.concat([SCRIPT, SCRIPT.assign(run_id=SCRIPT["run_id"] + 2,
                                           warning_id=SCRIPT["warning_id"] + 10)])
    d = study(pd.DataFrame({"run_id": [0, 1, 2, 3], "replication": [0, 0, 1, 1], "point": "base",
                            "status": "ok"}), log)
    m = STATISTICS[check.statistic](check, {"defaults": d})
    assert m.value == pytest.approx(1.0)
    assert m.details["warnings after an honest false alarm"] == 2
    assert m.details["heed rate after a confirmation"] == 1.0


def test_cohen_h_matches_its_definition():
    assert cohen_h(0.5, 0.5) == 0.0
    assert cohen_h(0.75, 0.25) == pytest.approx(2 * math.asin(math.sqrt(0.75))
                                                - 2 * math.asin(math.sqrt(0.25)))
    assert cohen_h(1.0, 0.0) == pytest.approx(math.pi)
    assert math.isnan(cohen_h(math.nan, 0.5))


def test_the_heed_rate_at_a_reliability_is_interpolated_between_bracketing_levels():
    reliability = np.array([1.0, 0.8, 0.6, 0.4, 0.2])
    heed = np.array([0.9, 0.7, 0.5, 0.3, 0.1])
    assert at_share(reliability, heed, 0.5) == pytest.approx(0.4)
    assert at_share(reliability, heed, 0.25) == pytest.approx(0.15)
    assert math.isnan(at_share(reliability, heed, 0.1))  # no level below it


def test_the_crossover_is_where_the_fitted_line_of_benefit_crosses_zero():
    reliability = np.array([0.2, 0.4, 0.6, 0.8, 1.0])
    benefit = 3.0 * (reliability - 0.7) + np.array([0.1, -0.1, 0.0, 0.1, -0.1])
    slope, intercept = np.polyfit(reliability, benefit, 1)
    assert fitted_crossover(reliability, benefit) == pytest.approx(-intercept / slope)
    assert fitted_crossover(reliability, benefit) == pytest.approx(0.69, abs=0.02)
    assert fitted_crossover(reliability, -benefit) == math.inf  # benefit falls with reliability


def test_the_bootstrap_poisson_fit_matches_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(4)
    x = rng.uniform(0.1, 0.9, 300)
    attacks = rng.integers(1, 5, 300).astype(float)
    y = rng.poisson(attacks * np.exp(-0.3 + 0.8 * x)).astype(float)
    counts = rng.integers(0, 3, (3, 300)).astype(float)
    ours = poisson_slope(x, y, np.log(attacks), np.vstack([np.ones(300), counts]))
    for row, weights in zip(ours, [np.ones(300), *counts], strict=True):
        fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson(), offset=np.log(attacks),
                     freq_weights=weights).fit()
        assert row == pytest.approx(fit.params[1], rel=1e-8)
    sd = weighted_sd(x, counts)
    expanded = np.repeat(x, counts[0].astype(int))
    assert sd[0] == pytest.approx(expanded.std(ddof=1))


def test_simmons_sutter_regresses_deaths_per_attack_on_each_recipients_false_alarm_ratio():
    check = by_id()["simmons_sutter"]
    rng = np.random.default_rng(7)
    rows, agents = [], []
    for run in range(60):
        for recipient, false in (("A", 2 + run % 3), ("B", 6 + run % 3), ("C", 0)):
            rows += [(run, 100 * run + k, "S", recipient, 1, None, k >= false, False, None, False)
                     for k in range(10)]
            attacks = 0 if recipient == "C" else 1 + run % 2  # C never attacked: not a unit
            deaths = rng.poisson(attacks * math.exp(0.2 + 1.5 * false / 10))
            agents.append((run, recipient, attacks, deaths))
    units = pd.DataFrame(agents, columns=["run_id", "agency", "attacks_suffered",
                                          "casualties_suffered"])
    runs = pd.DataFrame({"run_id": range(60), "replication": range(60), "point": "base",
                         "status": "ok"})
    d = study(runs, _log(rows), name="far", agents=units)
    m = STATISTICS[check.statistic](check, {"far": d})
    table = m.curves["far_units"]
    assert len(table) == 120 and set(table["recipient"]) == {"A", "B"}
    assert sorted(table["far"].unique()) == pytest.approx([0.2, 0.3, 0.4, 0.6, 0.7, 0.8])
    import statsmodels.api as sm

    fit = sm.GLM(table["deaths"], sm.add_constant(table["far"]), family=sm.families.Poisson(),
                 offset=np.log(table["attacks"])).fit()
    assert m.value == pytest.approx(math.expm1(fit.params["far"] * table["far"].std(ddof=1)))
    assert m.low <= m.value <= m.high
