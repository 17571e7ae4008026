"""The checks' statistics, computed from the studies' result files only (one-way pipeline).

Every statistic is a function of **sums over replications** of a few per-replication
quantities (heeded and delivered warnings in a band, deaths at a design point, probe
probabilities, ...). Replication ``k`` has the same seed at every design point, so a
replication is the unit that keeps comparisons paired: the 95% interval is a percentile
bootstrap that resamples replications (all design points of a replication together), and the
estimate is the statistic of the totals. Ratios are therefore pooled (a run with 200 warnings
weighs more than one with 2), and a replication with a failed run at any design point of a
study is left out of that study whole, so the pairing holds.

Each function here is named by a check's ``statistic`` (:mod:`sim.validation.suite`) and returns
a :class:`Measurement`: the value and its interval, further numbers for the report
(``details``) and tables for the figures (``curves``). A statistic that the results cannot
define (no warning of the kind it needs, say) raises :class:`Undefined`; the check is then
reported ``not_applicable`` with the reason.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.gradient import COUNTS as GRADIENT_COUNTS
from sim.analysis.gradient import crude, mantel_haenszel, stratified_counts
from sim.analysis.load import Results, load_results
from sim.params import ModelParams
from sim.schema import AGENTS_FILE, band_of
from sim.validation.suite import RELIABILITY_LEVELS, SUSPICION_YEARS, Check, Point, level_label

DRAWS = 2000
"""Bootstrap resamples per interval."""
CONFIDENCE = 0.95
MATCHING_WINDOW = (0.2, 0.8)
"""Bliss: the true-alarm shares over which the matching slope is fitted (25-75% and a margin)."""
SIMMONS_LEVELS = (0.5, 2.0)
"""Simmons & Sutter: the reliability levels either side of the validated parameters."""


class Undefined(ValueError):
    """The results do not define the statistic (the check is then not applicable)."""


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    low: float
    high: float
    n: int
    details: dict[str, Any] = field(default_factory=dict)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)
    note: str = ""


@dataclass(slots=True)
class StudyData:
    """One study's results, reduced to what the statistics read: finished runs of complete
    replications with each run's design-point label, and the warning log joined to them."""

    name: str
    results: Results
    runs: pd.DataFrame
    warnings: pd.DataFrame | None
    replications: np.ndarray
    dropped: int
    base: ModelParams
    cache: dict[str, Any] = field(default_factory=dict)
    agents: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        return len(self.replications)

    def at(self, label: str) -> pd.DataFrame:
        return self.runs[self.runs["point"] == label]

    def per_rep(self, frame: pd.DataFrame, values: Any) -> np.ndarray:
        """Sum of ``values`` (aligned with ``frame``) per replication, in replication order."""
        series = pd.Series(np.asarray(values, dtype=float), index=frame.index)
        sums = series.groupby(frame["replication"]).sum()
        return sums.reindex(self.replications, fill_value=0.0).to_numpy()

    def delivered(self) -> pd.DataFrame:
        if self.warnings is None:
            raise Undefined(f"study {self.name} recorded no warning log")
        w = self.warnings
        return w[w["delivered_day"] >= 0]


def load_study(name: str, folder: Path, points: tuple[Point, ...], base: ModelParams) -> StudyData:
    """Read a study's results folder and label its runs by design point (and, when the study
    recorded the per-agency series, each agency's totals at the end of every run)."""
    results = load_results(folder)
    runs = results.runs.copy()
    runs["point"] = _labels(runs, points)
    bad = runs.loc[runs["status"] != "ok", "replication"].unique()
    runs = runs[~runs["replication"].isin(bad)]
    replications = np.sort(runs["replication"].unique())
    warnings = results.warnings
    if warnings is not None:
        meta = runs.set_index("run_id")[["point", "replication"]]
        warnings = warnings.join(meta, on="run_id", how="inner")
    return StudyData(name, results, runs, warnings, replications, len(bad), base,
                     agents=agency_totals(folder))


AGENT_TOTALS = ("attacks_suffered", "casualties_suffered")
"""The per-agency series columns the statistics read (cumulative counts: their last value is
the run's total)."""


def agency_totals(folder: Path) -> pd.DataFrame | None:
    """Each agency's totals at the end of each run (``agents.parquet``; None when the study did
    not record the per-agency series): columns run_id, agency and :data:`AGENT_TOTALS`."""
    path = folder / AGENTS_FILE
    if not path.is_file():
        return None
    agents = pd.read_parquet(path, columns=["run_id", "agency", *AGENT_TOTALS])
    return agents.groupby(["run_id", "agency"], as_index=False, sort=True)[list(AGENT_TOTALS)].max()


def _labels(runs: pd.DataFrame, points: tuple[Point, ...]) -> pd.Series:
    if not points:
        return pd.Series("base", index=runs.index)
    by_id = runs.groupby("point_id", sort=True).first()
    names: dict[int, str] = {}
    for point_id, row in by_id.iterrows():
        match = [p.label for p in points if all(_same(row[k], v) for k, v in p.values.items())]
        if len(match) != 1:
            raise ValueError(f"design point {point_id} matches {len(match)} declared points")
        names[int(point_id)] = match[0]
    return runs["point_id"].map(names)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, bool):
        return bool(a) == b
    if isinstance(b, int | float):
        return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=1e-15))
    return str(a) == str(getattr(b, "value", b))


# --- the paired bootstrap ---------------------------------------------------------------------

Totals = Mapping[str, np.ndarray]
"""Sums over the (re)sampled replications of each named quantity; arrays of shape [m]."""


def bootstrap_weights(n: int, seed: str, draws: int = DRAWS) -> np.ndarray:
    """[draw, replication] counts of each replication in each bootstrap resample (seeded by
    the statistic's name, so every statistic's draws are reproducible)."""
    rng = np.random.default_rng([zlib.crc32(seed.encode()), draws])
    return rng.multinomial(n, np.full(n, 1.0 / n), size=draws)


def percentile_interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of bootstrap values, NaN draws left out."""
    finite = values[~np.isnan(values)]
    if not finite.size:
        return math.nan, math.nan
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(finite, [tail, 1 - tail], method="inverted_cdf")
    return float(low), float(high)


def paired(columns: Mapping[str, np.ndarray], fn: Callable[[Totals, int], np.ndarray], *,
           seed: str, draws: int = DRAWS) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Estimate and percentile interval of ``fn`` of the totals of per-replication ``columns``.

    ``fn(totals, n)`` is vectorised: each total has shape [m] (m = 1 for the estimate, the
    number of draws for the bootstrap) and the result shape [m] or [m, k] for k values at once.
    Returns (estimate, low, high, undefined draws); undefined draws (NaN) are left out of the
    interval and counted.
    """
    names = list(columns)
    x = np.column_stack([np.asarray(columns[c], dtype=float) for c in names])
    n = x.shape[0]
    if n == 0:
        raise Undefined("no complete replication")
    total = x.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.asarray(fn(dict(zip(names, total.T, strict=True)), n))[0]
        sums = bootstrap_weights(n, seed, draws) @ x
        boot = np.asarray(fn(dict(zip(names, sums.T, strict=True)), n))
    boot = boot.reshape(draws, -1)
    undefined = int(np.isnan(boot).any(axis=1).sum())
    low = np.full(boot.shape[1], math.nan)
    high = np.full(boot.shape[1], math.nan)
    for j in range(boot.shape[1]):
        low[j], high[j] = percentile_interval(boot[:, j])
    return estimate.reshape(-1), low, high, undefined


def _scalar(check: Check, columns: Mapping[str, np.ndarray], fn: Callable[[Totals, int], np.ndarray],
            n: int, note: str = "", **extra: Any) -> Measurement:
    value, low, high, undefined = paired(columns, fn, seed=check.id)
    if math.isnan(value[0]):
        raise Undefined("the statistic is undefined for these results (a denominator is zero)")
    notes = [note] if note else []
    if undefined:
        notes.append(f"{undefined} of {DRAWS} bootstrap draws undefined and left out")
    return Measurement(float(value[0]), float(low[0]), float(high[0]), n, note="; ".join(notes),
                       **extra)


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.full(np.shape(a), math.nan), where=np.asarray(b) != 0)


def cohen_h(p1: Any, p2: Any) -> np.ndarray:
    """Cohen's h between proportions: ``2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`` (Cohen 1988,
    ch. 6; 0.2 is a small effect). NaN where either proportion is undefined."""
    return arcsine(p1) - arcsine(p2)


def arcsine(p: Any) -> np.ndarray:
    """The variance-stabilising transform of a proportion, ``2 asin(sqrt(p))``."""
    return 2 * np.arcsin(np.sqrt(np.clip(np.asarray(p, dtype=float), 0.0, 1.0)))


BANDS = ("low", "mid", "high")


# --- the default world -------------------------------------------------------------------------

def _band_curve(check: Check, d: StudyData) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The pooled heed rate per rivalry band with its interval (the figure and the details)."""
    cols = {f"{q}_{b}": d.per_rep(d.runs, d.runs[f"{q}_{b}_rivalry"])
            for q in ("heeded", "delivered") for b in BANDS}

    def rates(t: Totals, n: int) -> np.ndarray:
        return np.stack([ratio(t[f"heeded_{b}"], t[f"delivered_{b}"]) for b in BANDS], axis=-1)

    est, low, high, _ = paired(cols, rates, seed=check.id + "/bands")
    curve = pd.DataFrame({"band": BANDS, "heed_rate": est, "low": low, "high": high,
                          "delivered": [cols[f"delivered_{b}"].sum() for b in BANDS]})
    details = {f"heed rate, {b} rivalry": float(e) for b, e in zip(BANDS, est, strict=True)}
    return curve, details


def _stratum_columns(d: StudyData) -> dict[str, np.ndarray]:
    """Per replication and recipient, the four counts of :mod:`sim.analysis.gradient`, as
    columns ``<count>/<recipient>`` for :func:`paired`."""
    counts = stratified_counts(d.delivered(), "replication")
    cols = {}
    for recipient, group in counts.groupby("recipient", sort=True):
        rows = group.set_index("replication")[list(GRADIENT_COUNTS)].reindex(d.replications,
                                                                    fill_value=0.0)
        cols |= {f"{c}/{recipient}": rows[c].to_numpy(float) for c in GRADIENT_COUNTS}
    return cols


def _strata(t: Totals) -> list[np.ndarray]:
    """The bootstrap totals of :func:`_stratum_columns` as four [m, recipient] arrays."""
    return [np.stack([v for k, v in t.items() if k.startswith(f"{c}/")], axis=-1)
            for c in GRADIENT_COUNTS]


def rivalry_gradient_stratified(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    """The rivalry gradient recipient by recipient (:mod:`sim.analysis.gradient`)."""
    d = data["defaults"]
    curve, details = _band_curve(check, d)
    cols = _stratum_columns(d)
    crude_value = float(crude(*_strata({k: v.sum(keepdims=True) for k, v in cols.items()}))[0])
    details |= {"crude difference (pooled rates)": crude_value,
                "recipients (strata)": len(cols) // len(GRADIENT_COUNTS)}
    return _scalar(check, cols, lambda t, n: mantel_haenszel(*_strata(t)), d.n,
                   curves={"bands": curve}, details=details)


def rivalry_gradient_crude(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    """The crude difference of the pooled heed rates of the low and high bands."""
    d = data["defaults"]
    _, details = _band_curve(check, d)
    cols = {f"{q}_{b}": d.per_rep(d.runs, d.runs[f"{q}_{b}_rivalry"])
            for q in ("heeded", "delivered") for b in ("low", "high")}
    return _scalar(check, cols, lambda t, n: (ratio(t["heeded_low"], t["delivered_low"])
                                              - ratio(t["heeded_high"], t["delivered_high"])),
                   d.n, details=details)


def _contrast(check: Check, d: StudyData, frame: pd.DataFrame, outcome: pd.Series,
              groups: Mapping[str, pd.Series], *, h: bool = False) -> Measurement:
    """Pooled share of ``outcome`` in the first of two ``groups`` (masks) minus in the second
    (``h``: Cohen's h between the two shares instead of their difference)."""
    labels = tuple(groups)
    cols = {}
    for name in labels:
        mask = groups[name]
        cols[f"{name}_yes"] = d.per_rep(frame, outcome & mask)
        cols[f"{name}_all"] = d.per_rep(frame, mask)
    a, b = labels

    def diff(t: Totals, n: int) -> np.ndarray:
        first, second = ratio(t[f"{a}_yes"], t[f"{a}_all"]), ratio(t[f"{b}_yes"], t[f"{b}_all"])
        return cohen_h(first, second) if h else first - second

    details = {f"share, {name}": float(cols[f"{name}_yes"].sum() / cols[f"{name}_all"].sum())
               if cols[f"{name}_all"].sum() else math.nan for name in labels}
    details |= {f"warnings, {name}": int(cols[f"{name}_all"].sum()) for name in labels}
    return _scalar(check, cols, diff, d.n, details=details)


def _heeded(w: pd.DataFrame) -> pd.Series:
    return w["heeded"].eq(True)


def corroboration(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    w = d.delivered()
    c = w["corroborated"].eq(True)
    return _contrast(check, d, w, _heeded(w), {"corroborated": c, "not corroborated": ~c})


def overload_h(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    w = d.delivered()
    w = w[(w["rivalry"] < 1 / 3) & (w["details_passed"] >= 2)]
    if d.base.action_cost == 0.0:
        raise Undefined("warning overload raises only the fixed part of the action's cost "
                        "(action_cost), which is 0 here: load changes no decision")
    if d.base.stake_cost != 0.0:
        raise Undefined("the log's heed_cost holds the stake part too (stake_cost > 0), so it "
                        "does not tell a loaded recipient from an unloaded one")
    loaded = w["heed_cost"] > d.base.action_cost * (1 + 1e-9)
    return _contrast(check, d, w, ~_heeded(w), {"loaded": loaded, "unloaded": ~loaded}, h=True)


def _first_warnings(d: StudyData) -> pd.DataFrame:
    w = d.delivered()
    first = w[w["p_heed_after_false_alarm"].notna() & w["p_heed"].notna()]
    if first.empty:
        raise Undefined("no first warning of any dyad was delivered")
    return first


def breznitz_probe(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    f = _first_warnings(d)
    cols = {"p": d.per_rep(f, f["p_heed"]), "fa": d.per_rep(f, f["p_heed_after_false_alarm"])}
    return _scalar(check, cols, lambda t, n: 1 - ratio(t["fa"], t["p"]), d.n,
                   details={"first warnings": len(f),
                            "mean p_heed": float(f["p_heed"].mean()),
                            "mean p_heed after a false alarm": float(f["p_heed_after_false_alarm"].mean())})


def asymmetry(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    f = _first_warnings(d)
    f = f[f["rivalry"] >= 2 / 3]
    if f.empty:
        raise Undefined("no first warning between rivals (rivalry >= 2/3)")
    loss = f["p_heed"] - f["p_heed_after_false_alarm"]
    gain = f["p_heed_after_confirmation"] - f["p_heed"]
    cols = {"loss": d.per_rep(f, loss), "gain": d.per_rep(f, gain), "n": d.per_rep(f, np.ones(len(f)))}
    return _scalar(check, cols, lambda t, n: ratio(t["loss"] - t["gain"], t["n"]), d.n,
                   details={"rival first warnings": len(f),
                            "mean loss after a false alarm": float(loss.mean()),
                            "mean gain after a confirmation": float(gain.mean())})


def evaluation_day(w: pd.DataFrame, runs: pd.DataFrame) -> pd.Series:
    """The day each delivered warning's outcome was judged (known to the recipient from the next
    day): the log's ``evaluated_day`` when it has one, else the latest of the delivery day, the
    warned date plus the run's ``confirmation_window`` and the day of the final decision (an
    investigation's report), as the model schedules it. NaN for warnings never evaluated
    (``confirmed`` null)."""
    if "evaluated_day" in w:
        day = w["evaluated_day"].astype(float)
    else:
        window = w["run_id"].map(runs.set_index("run_id")["confirmation_window"]).astype(float)
        decided = w["decided_day"].astype(float).where(w["decided_day"] >= 0)
        day = pd.concat([w["delivered_day"].astype(float), w["warned_day"] + window, decided],
                        axis=1).max(axis=1)
    return day.where(w["confirmed"].notna())


DYAD = ["run_id", "sender", "recipient"]


def after_outcomes(w: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Breznitz's protocol in a warning log: every delivered warning that is its dyad's next one
    after an outcome the recipient saw from that sender, with that outcome (the prime).

    For each delivered warning W, the prime P is the dyad's warning whose evaluation came last
    before W's delivery day (evaluations happen after the day's deliveries are judged, so an
    outcome judged on day e is known from day e + 1); W counts only when no other warning of
    the dyad was delivered after that evaluation and before W (W is the next warning), and
    when no other warning of the dyad was evaluated on P's day (P is the one last outcome).
    Columns: those of W plus ``prime_is_real``, ``prime_fabricated``, ``prime_confirmed``.
    """
    w = w.assign(_eval=evaluation_day(w, runs), _t=w["delivered_day"].astype(float))
    w = w.sort_values([*DYAD, "_t", "warning_id"], kind="stable")
    w["_previous"] = w.groupby(DYAD, sort=False)["_t"].shift(1)
    done = w[w["_eval"].notna()]
    same_day = done.groupby([*DYAD, "_eval"])["warning_id"].transform("size")
    primes = pd.DataFrame({
        **{k: done[k] for k in DYAD}, "_e": done["_eval"], "_ties": same_day,
        "prime_is_real": done["is_real"].eq(True), "prime_fabricated": done["fabricated"].eq(True),
        "prime_confirmed": done["confirmed"].eq(True)}).sort_values("_e", kind="stable")
    primes = primes.drop_duplicates([*DYAD, "_e"], keep="last")
    probes = pd.merge_asof(w.sort_values("_t", kind="stable"), primes, left_on="_t",
                           right_on="_e", by=DYAD, allow_exact_matches=False,
                           direction="backward")
    next_one = probes["_previous"].isna() | (probes["_previous"] <= probes["_e"])
    keep = probes["_e"].notna() & next_one & probes["_ties"].eq(1)
    primes_seen = probes[keep].drop(columns=["_eval", "_t", "_previous", "_e", "_ties"])
    return primes_seen.astype({c: bool for c in PRIME_COLUMNS})


PRIME_COLUMNS = ("prime_is_real", "prime_fabricated", "prime_confirmed")


def breznitz_realised(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    probes = after_outcomes(d.delivered(), d.runs)
    false_alarm = ~probes["prime_is_real"] & ~probes["prime_fabricated"]
    confirmed = probes["prime_confirmed"]
    heeded = _heeded(probes)
    cols = {"fa_heeded": d.per_rep(probes, heeded & false_alarm),
            "fa_n": d.per_rep(probes, false_alarm),
            "ok_heeded": d.per_rep(probes, heeded & confirmed),
            "ok_n": d.per_rep(probes, confirmed)}
    if not cols["fa_n"].sum() or not cols["ok_n"].sum():
        raise Undefined("no delivered warning followed an honest false alarm and a confirmation "
                        "from the same sender")

    def cut(t: Totals, n: int) -> np.ndarray:
        return 1 - ratio(ratio(t["fa_heeded"], t["fa_n"]), ratio(t["ok_heeded"], t["ok_n"]))

    p_fa, p_ok = probes.loc[false_alarm, "p_heed"], probes.loc[confirmed, "p_heed"]
    details = {
        "warnings after an honest false alarm": int(false_alarm.sum()),
        "warnings after a confirmation": int(confirmed.sum()),
        "heed rate after an honest false alarm": float(heeded[false_alarm].mean()),
        "heed rate after a confirmation": float(heeded[confirmed].mean()),
        "same cut in mean p_heed (heeding at once)": float(1 - p_fa.mean() / p_ok.mean()),
    }
    return _scalar(check, cols, cut, d.n, details=details,
                   note="observational: warnings after a confirmation may differ in other ways")


def _pooled(check: Check, data: Mapping[str, StudyData], num: str, den: str) -> Measurement:
    d = data["defaults"]
    cols = {"num": d.per_rep(d.runs, d.runs[num]), "den": d.per_rep(d.runs, d.runs[den])}
    return _scalar(check, cols, lambda t, n: ratio(t["num"], t["den"]), d.n,
                   details={num: float(cols["num"].sum()), den: float(cols["den"].sum()),
                            "runs": d.n})


def foiled_share(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _pooled(check, data, "foiled", "plots_ended")


def deaths_per_attack(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _pooled(check, data, "casualties", "attacks")


CAPABLE_COLUMNS = ("foiled_capable", "plots_ended_capable")
"""Outcome columns over the plots against the scenario's two most capable agencies (ties by
scenario order): foiled, and ended (by attack, arrests or abandonment)."""


OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {"foiled_share_capable": CAPABLE_COLUMNS}
"""Statistics that read outcome columns the model may not have yet (then not applicable)."""


def foiled_share_capable(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    missing = [c for c in CAPABLE_COLUMNS if c not in d.runs]
    if missing:
        raise Undefined(f"the model has no outcome column {missing[0]} (plots against the two "
                        "most capable agencies) yet")
    return _pooled(check, data, *CAPABLE_COLUMNS)


def country_years(d: StudyData) -> float:
    """Country-years one run of the study covers: agencies in its scenario x days / 365
    (from the results' manifest: the scenario's text, or the name of a built-in one)."""
    from sim.scenarios import load_scenario, parse_scenario

    manifest = d.results.manifest
    experiment = manifest.get("experiment", {})
    text, name = manifest.get("scenario_text"), experiment.get("scenario")
    if text:
        scenario = parse_scenario(text, origin=f"{d.results.directory}/manifest.json")
    elif isinstance(name, str):
        scenario = load_scenario(name)
    else:
        raise Undefined("the results' manifest does not name one scenario")
    return scenario.size * float(experiment["days"]) / 365


def _per_country_year(check: Check, data: Mapping[str, StudyData], outcome: str) -> Measurement:
    d = data["defaults"]
    years = country_years(d)
    cols = {"num": d.per_rep(d.runs, d.runs[outcome]),
            "den": d.per_rep(d.runs, np.full(len(d.runs), years))}
    return _scalar(check, cols, lambda t, n: ratio(t["num"], t["den"]), d.n,
                   details={f"total {outcome}": float(cols["num"].sum()),
                            "country-years per run": years, "runs": d.n})


def attacks_per_country_year(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _per_country_year(check, data, "attacks")


def deaths_per_country_year(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _per_country_year(check, data, "casualties")


# --- two-point contrasts ------------------------------------------------------------------------

def _mean_contrast(check: Check, d: StudyData, outcome: str, a: str, b: str, *,
                   h: bool = False) -> Measurement:
    """Mean over runs of ``outcome`` at point ``a`` minus at point ``b`` (NaN runs skipped;
    ``h``: Cohen's h between the two means, for an outcome that is a probability)."""
    cols = {}
    for label in (a, b):
        runs = d.at(label)
        values = runs[outcome].to_numpy(dtype=float)
        finite = np.isfinite(values)
        cols[f"{label}_sum"] = d.per_rep(runs, np.where(finite, values, 0.0))
        cols[f"{label}_n"] = d.per_rep(runs, finite)

    def diff(t: Totals, n: int) -> np.ndarray:
        first, second = ratio(t[f"{a}_sum"], t[f"{a}_n"]), ratio(t[f"{b}_sum"], t[f"{b}_n"])
        return cohen_h(first, second) if h else first - second

    details = {f"mean {outcome}, {label}": float(cols[f"{label}_sum"].sum() / cols[f"{label}_n"].sum())
               for label in (a, b) if cols[f"{label}_n"].sum()}
    for label in (a, b):
        heeded, delivered = d.at(label)["warnings_heeded"].sum(), d.at(label)["warnings_delivered"].sum()
        details[f"heed rate, {label}"] = float(heeded / delivered) if delivered else math.nan
    return _scalar(check, cols, diff, d.n, details=details)


def cry_wolf_h(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _mean_contrast(check, data["cry_wolf"], "trust_in_benevolent", "few", "many", h=True)


def prevention_paradox(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _mean_contrast(check, data["prevention"], "trust_in_benevolent", "visible", "silent")


def doctrine(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["doctrine"]
    cols = {label: d.per_rep(d.at(label), d.at(label)["casualties"]) for label in ("warn_all", "never")}
    details: dict[str, Any] = {f"mean deaths per run, {k}": float(v.mean()) for k, v in cols.items()}
    warn = d.at("warn_all")
    for label in ("warn_all", "never"):
        details[f"mean net harm per run, {label}"] = float(d.at(label)["net_harm"].mean())
    delivered = warn["delivered_high_rivalry"].sum()
    details["heed rate of high-rivalry dyads under warn_all"] = (
        float(warn["heeded_high_rivalry"].sum() / delivered) if delivered else math.nan)
    return _scalar(check, cols, lambda t, n: 1 - ratio(t["warn_all"], t["never"]), d.n,
                   details=details)


def _fabricated(w: pd.DataFrame) -> pd.Series:
    return w["fabricated"].eq(True)


def details_real(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["details"]
    w = d.delivered()
    real = w["is_real"].eq(True) & ~_fabricated(w)
    guarded = w["point"].str.startswith("guarded/")
    return _contrast(check, d, w, _heeded(w), {"known details passed": real & ~guarded,
                                               "none passed": real & guarded})


def details_credibility(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    """Mean perceived credibility of delivered warnings about real plots, details passed
    (``open/``) minus none passed (``guarded/``)."""
    d = data["details"]
    w = d.delivered()
    real = w["is_real"].eq(True) & ~_fabricated(w)
    guarded = w["point"].str.startswith("guarded/")
    credibility = w["perceived_credibility"].fillna(0.0)
    cols = {}
    for name, mask in (("open", real & ~guarded), ("guarded", real & guarded)):
        cols[f"{name}_sum"] = d.per_rep(w, credibility.where(mask, 0.0))
        cols[f"{name}_n"] = d.per_rep(w, mask)
    details = {f"mean perceived credibility, {k}": float(cols[f"{k}_sum"].sum() / cols[f"{k}_n"].sum())
               for k in ("open", "guarded") if cols[f"{k}_n"].sum()}
    return _scalar(check, cols, lambda t, n: (ratio(t["open_sum"], t["open_n"])
                                              - ratio(t["guarded_sum"], t["guarded_n"])),
                   d.n, details=details)


def details_fabricated(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["details"]
    w = d.delivered()
    fab = _fabricated(w)
    claims_all = w["point"].str.endswith("claim1")
    return _contrast(check, d, w, _heeded(w), {"claiming all details": fab & claims_all,
                                               "claiming none": fab & ~claims_all})


def suspicion_erodes_h(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["suspicion"]
    w = d.delivered()
    year = (w["delivered_day"] // 365).to_numpy()
    band = w["rivalry"].map(band_of)
    years = range(SUSPICION_YEARS)
    cols = {}
    for arm in ("learning", "no_learning"):
        at = w["point"] == arm
        for y in years:
            for b in ("low", "high"):
                mask = at & (year == y) & (band == b)
                cols[f"{arm}/{y}/{b}/h"] = d.per_rep(w, mask & _heeded(w))
                cols[f"{arm}/{y}/{b}/d"] = d.per_rep(w, mask)

    def rates(t: Totals, arm: str, y: int) -> tuple[np.ndarray, np.ndarray]:
        return (ratio(t[f"{arm}/{y}/low/h"], t[f"{arm}/{y}/low/d"]),
                ratio(t[f"{arm}/{y}/high/h"], t[f"{arm}/{y}/high/d"]))

    def gap(t: Totals, arm: str, y: int) -> np.ndarray:
        """The gap as Cohen's h between the bands' heed rates."""
        return cohen_h(*rates(t, arm, y))

    def gap_rates(t: Totals, arm: str, y: int) -> np.ndarray:
        """The gap as a difference of heed rates (the figure's scale)."""
        low, high = rates(t, arm, y)
        return low - high

    last = SUSPICION_YEARS - 1

    def did(t: Totals, n: int) -> np.ndarray:
        return ((gap(t, "learning", 0) - gap(t, "learning", last))
                - (gap(t, "no_learning", 0) - gap(t, "no_learning", last)))

    def gaps(arm: str) -> Callable[[Totals, int], np.ndarray]:
        return lambda t, n: np.stack([gap_rates(t, arm, y) for y in years], axis=-1)

    rows = []
    for arm in ("learning", "no_learning"):
        est, low, high, _ = paired(cols, gaps(arm), seed=f"{check.id}/{arm}")
        rows += [{"arm": arm, "year": y + 1, "gap": e, "low": lo, "high": hi}
                 for y, e, lo, hi in zip(years, est, low, high, strict=True)]
    curve = pd.DataFrame(rows)
    details = {f"heed gap, year {r.year}, {r.arm.replace('_', ' ')}": float(r.gap)
               for r in curve.itertuples() if r.year in (1, SUSPICION_YEARS)}
    return _scalar(check, cols, did, d.n, details=details, curves={"gap_by_year": curve})


# --- reliability --------------------------------------------------------------------------------

def _levels(d: StudyData, policies: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per-replication sums at every reliability level for each policy given."""
    cols = {}
    for k in RELIABILITY_LEVELS:
        for policy in policies:
            runs = d.at(level_label(k, policy))
            for q in ("false_alarms", "warnings_sent", "warnings_heeded", "warnings_delivered",
                      "casualties", "net_harm"):
                cols[f"{k:g}/{policy}/{q}"] = d.per_rep(runs, runs[q])
    return cols


def _reliability(t: Totals, k: float, policies: tuple[str, ...]) -> np.ndarray:
    false = np.sum([t[f"{k:g}/{p}/false_alarms"] for p in policies], axis=0)
    sent = np.sum([t[f"{k:g}/{p}/warnings_sent"] for p in policies], axis=0)
    return 1 - ratio(false, sent)


def _heed(t: Totals, k: float) -> np.ndarray:
    return ratio(t[f"{k:g}/model/warnings_heeded"], t[f"{k:g}/model/warnings_delivered"])


def bliss_slope(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["reliability"]
    cols = _levels(d, ("model",))
    total = {c: v.sum(keepdims=True) for c, v in cols.items()}
    shares = {k: float(_reliability(total, k, ("model",))[0]) for k in RELIABILITY_LEVELS}
    lo, hi = MATCHING_WINDOW
    used = [k for k, r in shares.items() if lo <= r <= hi]
    if len(used) < 2:
        raise Undefined(f"fewer than two reliability levels with a true-alarm share in {lo}-{hi}")

    def curve(t: Totals, n: int) -> np.ndarray:
        return np.stack([_reliability(t, k, ("model",)) for k in RELIABILITY_LEVELS]
                        + [_heed(t, k) for k in RELIABILITY_LEVELS], axis=-1)

    def slope(t: Totals, n: int) -> np.ndarray:
        x = np.stack([_reliability(t, k, ("model",)) for k in used], axis=-1)
        y = np.stack([_heed(t, k) for k in used], axis=-1)
        xc = x - x.mean(axis=-1, keepdims=True)
        return (xc * (y - y.mean(axis=-1, keepdims=True))).sum(-1) / (xc**2).sum(-1)

    est, low, high, _ = paired(cols, curve, seed=check.id + "/curve")
    m = len(RELIABILITY_LEVELS)
    table = pd.DataFrame({"level": RELIABILITY_LEVELS, "reliability": est[:m],
                          "heed_rate": est[m:], "low": low[m:], "high": high[m:],
                          "fitted": [k in used for k in RELIABILITY_LEVELS]})
    y_used = table.loc[table["fitted"], "heed_rate"].to_numpy()
    x_used = table.loc[table["fitted"], "reliability"].to_numpy()
    details = {"levels fitted (true-alarm shares)": ", ".join(f"{x:.2f}" for x in x_used),
               "intercept": float(y_used.mean() - np.polyfit(x_used, y_used, 1)[0] * x_used.mean()),
               "mean heed rate minus true-alarm share over those levels": float((y_used - x_used).mean())}
    return _scalar(check, cols, slope, d.n, curves={"matching": table}, details=details)


def at_share(reliability: np.ndarray, values: np.ndarray, share: float) -> float:
    """``values`` at true-alarm share ``share``, interpolated linearly between the two adjacent
    levels (ordered by their share) that bracket it; NaN when no level lies on either side."""
    ok = ~(np.isnan(reliability) | np.isnan(values))
    r, v = reliability[ok], values[ok]
    if r.size == 0 or not r.min() <= share <= r.max():
        return math.nan
    order = np.argsort(r, kind="stable")
    return float(np.interp(share, r[order], v[order]))


def bliss_level(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["reliability"]
    level = float(check.args["level"])
    cols = _levels(d, ("model",))
    m = len(RELIABILITY_LEVELS)

    def curve(t: Totals, n: int) -> np.ndarray:
        return np.stack([_reliability(t, k, ("model",)) for k in RELIABILITY_LEVELS]
                        + [_heed(t, k) for k in RELIABILITY_LEVELS], axis=-1)

    def value(t: Totals, n: int) -> np.ndarray:
        rows = curve(t, n)
        return np.array([at_share(row[:m], row[m:], level) for row in rows])

    total = curve({c: v.sum(keepdims=True) for c, v in cols.items()}, d.n)[0]
    shares = total[:m]
    below, above = shares[shares <= level], shares[shares >= level]
    if not below.size or not above.size:
        raise Undefined(f"no reliability level on each side of a true-alarm share of {level:g} "
                        f"(levels studied: {', '.join(f'{x:.2f}' for x in sorted(shares))})")
    details = {"true-alarm shares bracketing it": f"{below.max():.3f}, {above.min():.3f}",
               "heed rate minus the true-alarm share": float(value(
                   {c: v.sum(keepdims=True) for c, v in cols.items()}, d.n)[0] - level)}
    return _scalar(check, cols, value, d.n, details=details)


def crossing(reliability: np.ndarray, difference: np.ndarray) -> float:
    """The reliability below which heeding every warning is worse (``difference`` > 0) than
    heeding none: linear interpolation between the most reliable level where it is worse and the
    next more reliable level. ``-inf`` if heeding all is never worse at the levels given (the
    crossover lies below them), ``+inf`` if it is worse even at the most reliable, NaN if a
    value is missing."""
    if np.isnan(reliability).any() or np.isnan(difference).any():
        return math.nan
    order = np.argsort(reliability)
    r, diff = reliability[order], difference[order]
    worse = np.flatnonzero(diff > 0)
    if worse.size == 0:
        return -math.inf
    i = worse[-1]
    if i == len(r) - 1:
        return math.inf
    return float(r[i] + (r[i + 1] - r[i]) * diff[i] / (diff[i] - diff[i + 1]))


def crossover_heed_all(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["reliability"]
    policies = ("heed_all", "dismiss_all")
    cols = _levels(d, policies)

    def curve(t: Totals, n: int) -> np.ndarray:
        rel = [_reliability(t, k, policies) for k in RELIABILITY_LEVELS]
        diff = [(t[f"{k:g}/heed_all/net_harm"] - t[f"{k:g}/dismiss_all/net_harm"]) / n
                for k in RELIABILITY_LEVELS]
        return np.stack(rel + diff, axis=-1)

    m = len(RELIABILITY_LEVELS)

    def cross(t: Totals, n: int) -> np.ndarray:
        values = curve(t, n)
        return np.array([crossing(row[:m], row[m:]) for row in values])

    est, low, high, _ = paired(cols, curve, seed=check.id + "/curve")
    table = pd.DataFrame({"level": RELIABILITY_LEVELS, "reliability": est[:m],
                          "difference": est[m:], "low": low[m:], "high": high[m:]})
    value, lo, hi, _ = paired(cols, cross, seed=check.id)
    r_min, r_max = table["reliability"].min(), table["reliability"].max()
    note = ""
    if math.isinf(value[0]):
        side = "below the least" if value[0] < 0 else "above the most"
        note = f"no crossover between {r_min:.2f} and {r_max:.2f}: it lies {side} reliable level studied"
    details = {f"net-harm difference at reliability {r:.2f}": float(x)
               for r, x in zip(table["reliability"], table["difference"], strict=True)}
    return Measurement(float(value[0]), float(lo[0]), float(hi[0]), d.n, details,
                       {"crossover": table}, note)


def fitted_crossover(reliability: np.ndarray, benefit: np.ndarray) -> float:
    """Where the least-squares line of ``benefit`` on ``reliability`` crosses zero,
    ``-intercept / slope``; ``+inf`` when the slope is not positive (benefit does not rise with
    reliability: no crossover in the meta-analyses' sense); NaN if a value is missing."""
    if np.isnan(reliability).any() or np.isnan(benefit).any():
        return math.nan
    slope, intercept = np.polyfit(reliability, benefit, 1)
    if not slope > 0:
        return math.inf
    return float(-intercept / slope)


def crossover_regression(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["reliability"]
    policies = ("model", "dismiss_all")
    cols = _levels(d, policies)
    m = len(RELIABILITY_LEVELS)

    def curve(t: Totals, n: int) -> np.ndarray:
        rel = [_reliability(t, k, policies) for k in RELIABILITY_LEVELS]
        benefit = [(t[f"{k:g}/dismiss_all/net_harm"] - t[f"{k:g}/model/net_harm"]) / n
                   for k in RELIABILITY_LEVELS]
        return np.stack(rel + benefit, axis=-1)

    def cross(t: Totals, n: int) -> np.ndarray:
        return np.array([fitted_crossover(row[:m], row[m:]) for row in curve(t, n)])

    est, low, high, _ = paired(cols, curve, seed=check.id + "/curve")
    table = pd.DataFrame({"level": RELIABILITY_LEVELS, "reliability": est[:m],
                          "benefit": est[m:], "low": low[m:], "high": high[m:]})
    value, lo, hi, _ = paired(cols, cross, seed=check.id)
    slope, intercept = np.polyfit(table["reliability"], table["benefit"], 1)
    note = ("no crossover: the benefit of using warnings does not rise with reliability"
            if value[0] == math.inf else "")
    details = {"slope of benefit on reliability (death-eq. per run)": float(slope),
               "intercept": float(intercept),
               **{f"benefit at reliability {r:.2f}": float(x)
                  for r, x in zip(table["reliability"], table["benefit"], strict=True)}}
    return Measurement(float(value[0]), float(lo[0]), float(hi[0]), d.n, details,
                       {"benefit": table}, note)


def recipient_far_sd(d: StudyData) -> tuple[float, pd.DataFrame]:
    """SD over recipient agencies of the false-alarm ratio of the warnings sent to each,
    pooled over the runs (the model's analogue of the spread across warning offices)."""
    if d.warnings is None:
        raise Undefined("the default world's warning log was not recorded")
    w = d.warnings
    sent = w[w["waiver_reason"].fillna("") == ""]
    if sent.empty:
        raise Undefined("no warning was sent in the default world")
    false = ~sent["is_real"].eq(True)
    table = false.groupby(sent["recipient"]).agg(["mean", "size"]).rename(
        columns={"mean": "false_alarm_ratio", "size": "warnings_sent"})
    return float(table["false_alarm_ratio"].std(ddof=1)), table.reset_index()


def simmons_sutter_elasticity(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["reliability"]
    sd, table = recipient_far_sd(data["defaults"])
    cols = _levels(d, ("model",))
    a, b = SIMMONS_LEVELS

    def elasticity(t: Totals, n: int) -> np.ndarray:
        far = {k: 1 - _reliability(t, k, ("model",)) for k in (a, b)}
        deaths = {k: t[f"{k:g}/model/casualties"] for k in (a, b)}
        with np.errstate(divide="ignore"):
            slope = (np.log(deaths[b]) - np.log(deaths[a])) / (far[b] - far[a])
        return slope

    def effect(t: Totals, n: int) -> np.ndarray:
        return np.expm1(elasticity(t, n) * sd)

    def curve(t: Totals, n: int) -> np.ndarray:
        reference = t["1/model/casualties"]
        return np.stack([1 - _reliability(t, k, ("model",)) for k in RELIABILITY_LEVELS]
                        + [ratio(t[f"{k:g}/model/casualties"], reference) for k in RELIABILITY_LEVELS],
                        axis=-1)

    est, low, high, _ = paired(cols, curve, seed=check.id + "/curve")
    m = len(RELIABILITY_LEVELS)
    deaths = pd.DataFrame({"level": RELIABILITY_LEVELS, "false_alarm_ratio": est[:m],
                           "deaths": est[m:], "low": low[m:], "high": high[m:]})  # relative to 1x
    total = {c: v.sum(keepdims=True) for c, v in cols.items()}
    slope = float(elasticity(total, d.n)[0])
    details = {"SD of the false-alarm ratio over recipients": sd,
               "slope of log deaths on the false-alarm ratio": slope,
               "rise in deaths per 0.1 of the false-alarm ratio": math.expm1(0.1 * slope)}
    for k in (a, b):
        details[f"false-alarm ratio at {k:g}x"] = float(1 - _reliability(total, k, ("model",))[0])
        details[f"mean deaths per run at {k:g}x"] = float(total[f"{k:g}/model/casualties"][0] / d.n)
    return _scalar(check, cols, effect, d.n, details=details,
                   curves={"far_by_recipient": table, "deaths": deaths})


def far_units(d: StudyData) -> pd.DataFrame:
    """Simmons & Sutter's units: each recipient agency in each run with at least one attack on
    its country and one warning delivered to it, with the false-alarm ratio of the warnings
    delivered to it (``far``: not about a real plot), its ``attacks`` and ``deaths`` and the
    run's ``replication``."""
    if d.agents is None:
        raise Undefined(f"study {d.name} recorded no per-agency series (record_agents)")
    w = d.delivered()
    received = w.assign(false=~w["is_real"].eq(True)).groupby(["run_id", "recipient"]).agg(
        delivered=("false", "size"), false=("false", "sum")).reset_index()
    agents = d.agents.rename(columns={"agency": "recipient", "attacks_suffered": "attacks",
                                      "casualties_suffered": "deaths"})
    units = agents.merge(received, on=["run_id", "recipient"], how="inner")
    units = units.join(d.runs.set_index("run_id")["replication"], on="run_id", how="inner")
    units = units[(units["attacks"] > 0) & (units["delivered"] > 0)]
    if len(units) < 3:
        raise Undefined("fewer than three recipient-runs with an attack and a delivered warning")
    return units.assign(far=units["false"] / units["delivered"]).reset_index(drop=True)


def poisson_slope(x: np.ndarray, y: np.ndarray, offset: np.ndarray, weights: np.ndarray,
                  iterations: int = 100) -> np.ndarray:
    """The slope of a Poisson regression with log link, ``log E[y] = a + b x + offset``, fitted
    by Newton's method for each row of frequency ``weights`` [draw, unit] at once (the bootstrap
    refits thousands of times; tests/test_registry.py checks it against statsmodels' GLM).
    NaN where a fit is undefined (no spread in x, no event)."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    exposure = np.exp(offset)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = np.log((w @ y) / (w @ exposure))
        b = np.zeros(len(w))
        for _ in range(iterations):
            mu = np.exp(a[:, None] + b[:, None] * x + offset)
            residual = w * (y - mu)
            g0, g1 = residual.sum(1), residual @ x
            h00, h01, h11 = (w * mu).sum(1), (w * mu) @ x, (w * mu) @ (x * x)
            det = h00 * h11 - h01 * h01
            step_a, step_b = (h11 * g0 - h01 * g1) / det, (h00 * g1 - h01 * g0) / det
            a, b = a + step_a, b + step_b
            if np.nanmax(np.abs(step_b), initial=0.0) < 1e-12:
                break
    return np.where(np.isfinite(b), b, math.nan)


def weighted_sd(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sample standard deviation of ``x`` under each row of frequency ``weights``."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    total = w.sum(1)
    mean = (w @ x) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((w * (x - mean[:, None]) ** 2).sum(1) / (total - 1))


def simmons_sutter_far(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["far"]
    units = far_units(d)
    x, y = units["far"].to_numpy(float), units["deaths"].to_numpy(float)
    offset = np.log(units["attacks"].to_numpy(float))
    rep = pd.Index(d.replications).get_indexer(units["replication"])

    def effect(weights: np.ndarray) -> np.ndarray:
        slope = poisson_slope(x, y, offset, weights)
        return np.expm1(slope * weighted_sd(x, weights))

    value = float(effect(np.ones(len(x)))[0])
    if math.isnan(value):
        raise Undefined("the regression is undefined (no spread in the false-alarm ratio or no "
                        "death)")
    resamples = bootstrap_weights(d.n, check.id)
    boot = np.concatenate([effect(chunk[:, rep]) for chunk in np.array_split(resamples, 20)])
    low, high = percentile_interval(boot)
    slope = float(poisson_slope(x, y, offset, np.ones(len(x)))[0])
    details = {"recipient-runs": len(units), "mean false-alarm ratio": float(x.mean()),
               "SD of the false-alarm ratio": float(x.std(ddof=1)),
               "coefficient of the false-alarm ratio (log deaths per attack)": slope,
               "deaths per attack": float(y.sum() / np.exp(offset).sum())}
    undefined = int(np.isnan(boot).sum())
    note = f"{undefined} of {DRAWS} bootstrap draws undefined and left out" if undefined else ""
    return Measurement(value, low, high, d.n, details, {"far_units": units}, note)


# --- the decomposition --------------------------------------------------------------------------

def decomposition_share(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    from sim.analysis.decomposition import ALL, decomposition_table

    d = data["decomposition"]
    if "table" not in d.cache:
        d.cache["table"] = decomposition_table(d.results, CONFIDENCE, d.base)
    table = d.cache["table"]
    wanted = check.args["mechanism"]
    rows = table[table["mechanism"] == wanted]
    if rows.empty:  # on at the defaults but off in the validated parameters (--set)
        nan = float("nan")
        return Measurement(nan, nan, nan, 0, note=f"{wanted} is off in the validated "
                           "parameters, so it has no share of their gradient")
    row = rows.iloc[0]
    details = {"gradient at the defaults": float(table.iloc[0]["gradient"]),
               "gradient with it off": float(row["gradient"])}
    curves = {"decomposition": table} if wanted == ALL else {}
    return Measurement(float(row["share_explained"]), float(row["share_low"]),
                       float(row["share_high"]), int(row["replications"]), details, curves)


STATISTICS: dict[str, Callable[[Check, Mapping[str, StudyData]], Measurement]] = {
    f.__name__: f for f in (
        rivalry_gradient_stratified, rivalry_gradient_crude, details_real, details_credibility, details_fabricated, corroboration, cry_wolf_h,
        prevention_paradox, doctrine, suspicion_erodes_h, overload_h, breznitz_realised,
        breznitz_probe, asymmetry, bliss_level, bliss_slope, crossover_regression,
        crossover_heed_all, simmons_sutter_far, simmons_sutter_elasticity, foiled_share,
        foiled_share_capable, attacks_per_country_year, deaths_per_country_year,
        deaths_per_attack, decomposition_share)
}
"""Statistic name (a check's ``statistic``) -> function."""

