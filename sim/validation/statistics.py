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

from sim.analysis.load import Results, load_results
from sim.params import ModelParams
from sim.schema import band_of
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
    """Read a study's results folder and label its runs by design point."""
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
    return StudyData(name, results, runs, warnings, replications, len(bad), base)


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
        rng = np.random.default_rng([zlib.crc32(seed.encode()), draws])
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=draws)
        sums = weights @ x
        boot = np.asarray(fn(dict(zip(names, sums.T, strict=True)), n))
    boot = boot.reshape(draws, -1)
    undefined = int(np.isnan(boot).any(axis=1).sum())
    tail = (1 - CONFIDENCE) / 2
    low = np.full(boot.shape[1], math.nan)
    high = np.full(boot.shape[1], math.nan)
    for j in range(boot.shape[1]):
        column = boot[:, j][~np.isnan(boot[:, j])]
        if column.size:
            low[j], high[j] = np.quantile(column, [tail, 1 - tail], method="inverted_cdf")
    return estimate.reshape(-1), low, high, undefined


def _scalar(check: Check, columns: Mapping[str, np.ndarray], fn: Callable[[Totals, int], np.ndarray],
            n: int, **extra: Any) -> Measurement:
    value, low, high, undefined = paired(columns, fn, seed=check.id)
    if math.isnan(value[0]):
        raise Undefined("the statistic is undefined for these results (a denominator is zero)")
    note = (f"{undefined} of {DRAWS} bootstrap draws undefined and left out"
            if undefined else "")
    return Measurement(float(value[0]), float(low[0]), float(high[0]), n, note=note, **extra)


def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.full(np.shape(a), math.nan), where=np.asarray(b) != 0)


# --- the default world -------------------------------------------------------------------------

def rivalry_gradient(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    cols = {f"{q}_{b}": d.per_rep(d.runs, d.runs[f"{q}_{b}_rivalry"])
            for q in ("heeded", "delivered") for b in ("low", "mid", "high")}
    bands = ("low", "mid", "high")

    def rates(t: Totals, n: int) -> np.ndarray:
        return np.stack([ratio(t[f"heeded_{b}"], t[f"delivered_{b}"]) for b in bands], axis=-1)

    est, low, high, _ = paired(cols, rates, seed=check.id + "/bands")
    curve = pd.DataFrame({"band": bands, "heed_rate": est, "low": low, "high": high,
                          "delivered": [cols[f"delivered_{b}"].sum() for b in bands]})
    return _scalar(check, cols, lambda t, n: rates(t, n)[..., 0] - rates(t, n)[..., 2], d.n,
                   curves={"bands": curve},
                   details={f"heed rate, {b} rivalry": float(e) for b, e in zip(bands, est, strict=True)})


def _contrast(check: Check, d: StudyData, frame: pd.DataFrame, outcome: pd.Series,
              groups: Mapping[str, pd.Series]) -> Measurement:
    """Pooled share of ``outcome`` in the first of two ``groups`` (masks) minus in the second."""
    labels = tuple(groups)
    cols = {}
    for name in labels:
        mask = groups[name]
        cols[f"{name}_yes"] = d.per_rep(frame, outcome & mask)
        cols[f"{name}_all"] = d.per_rep(frame, mask)
    a, b = labels

    def diff(t: Totals, n: int) -> np.ndarray:
        return ratio(t[f"{a}_yes"], t[f"{a}_all"]) - ratio(t[f"{b}_yes"], t[f"{b}_all"])

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


def overload(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["defaults"]
    w = d.delivered()
    w = w[(w["rivalry"] < 1 / 3) & (w["details_passed"] >= 2)]
    loaded = w["heed_cost"] > d.base.action_cost * (1 + 1e-9)
    return _contrast(check, d, w, ~_heeded(w), {"loaded": loaded, "unloaded": ~loaded})


def _first_warnings(d: StudyData) -> pd.DataFrame:
    w = d.delivered()
    first = w[w["p_heed_after_false_alarm"].notna() & w["p_heed"].notna()]
    if first.empty:
        raise Undefined("no first warning of any dyad was delivered")
    return first


def breznitz(check: Check, data: Mapping[str, StudyData]) -> Measurement:
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


# --- two-point contrasts ------------------------------------------------------------------------

def _mean_contrast(check: Check, d: StudyData, outcome: str, a: str, b: str) -> Measurement:
    """Mean over runs of ``outcome`` at point ``a`` minus at point ``b`` (NaN runs skipped)."""
    cols = {}
    for label in (a, b):
        runs = d.at(label)
        values = runs[outcome].to_numpy(dtype=float)
        finite = np.isfinite(values)
        cols[f"{label}_sum"] = d.per_rep(runs, np.where(finite, values, 0.0))
        cols[f"{label}_n"] = d.per_rep(runs, finite)

    def diff(t: Totals, n: int) -> np.ndarray:
        return ratio(t[f"{a}_sum"], t[f"{a}_n"]) - ratio(t[f"{b}_sum"], t[f"{b}_n"])

    details = {f"mean {outcome}, {label}": float(cols[f"{label}_sum"].sum() / cols[f"{label}_n"].sum())
               for label in (a, b) if cols[f"{label}_n"].sum()}
    for label in (a, b):
        heeded, delivered = d.at(label)["warnings_heeded"].sum(), d.at(label)["warnings_delivered"].sum()
        details[f"heed rate, {label}"] = float(heeded / delivered) if delivered else math.nan
    return _scalar(check, cols, diff, d.n, details=details)


def cry_wolf(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    return _mean_contrast(check, data["cry_wolf"], "trust_in_benevolent", "few", "many")


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
    sanitised = w["point"].str.startswith("sanitise1")
    return _contrast(check, d, w, _heeded(w), {"all known details passed": real & ~sanitised,
                                               "most withheld": real & sanitised})


def details_fabricated(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    d = data["details"]
    w = d.delivered()
    fab = _fabricated(w)
    claims_all = w["point"].str.endswith("claim1")
    return _contrast(check, d, w, _heeded(w), {"claiming all details": fab & claims_all,
                                               "claiming none": fab & ~claims_all})


def suspicion_erodes(check: Check, data: Mapping[str, StudyData]) -> Measurement:
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

    def gap(t: Totals, arm: str, y: int) -> np.ndarray:
        return (ratio(t[f"{arm}/{y}/low/h"], t[f"{arm}/{y}/low/d"])
                - ratio(t[f"{arm}/{y}/high/h"], t[f"{arm}/{y}/high/d"]))

    last = SUSPICION_YEARS - 1

    def did(t: Totals, n: int) -> np.ndarray:
        return ((gap(t, "learning", 0) - gap(t, "learning", last))
                - (gap(t, "no_learning", 0) - gap(t, "no_learning", last)))

    def gaps(arm: str) -> Callable[[Totals, int], np.ndarray]:
        return lambda t, n: np.stack([gap(t, arm, y) for y in years], axis=-1)

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


def bliss(check: Check, data: Mapping[str, StudyData]) -> Measurement:
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


def wickens_dixon(check: Check, data: Mapping[str, StudyData]) -> Measurement:
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


def simmons_sutter(check: Check, data: Mapping[str, StudyData]) -> Measurement:
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


# --- the decomposition --------------------------------------------------------------------------

def decomposition_share(check: Check, data: Mapping[str, StudyData]) -> Measurement:
    from sim.analysis.decomposition import ALL, decomposition_table

    d = data["decomposition"]
    if "table" not in d.cache:
        d.cache["table"] = decomposition_table(d.results, CONFIDENCE, d.base)
    table = d.cache["table"]
    wanted = check.args["mechanism"]
    row = table[table["mechanism"] == wanted].iloc[0]
    details = {"gradient at the defaults": float(table.iloc[0]["gradient"]),
               "gradient with it off": float(row["gradient"])}
    curves = {"decomposition": table} if wanted == ALL else {}
    return Measurement(float(row["share_explained"]), float(row["share_low"]),
                       float(row["share_high"]), int(row["replications"]), details, curves)


STATISTICS: dict[str, Callable[[Check, Mapping[str, StudyData]], Measurement]] = {
    f.__name__: f for f in (
        rivalry_gradient, details_real, details_fabricated, corroboration, cry_wolf,
        prevention_paradox, doctrine, suspicion_erodes, overload, breznitz, asymmetry, bliss,
        wickens_dixon, simmons_sutter, foiled_share, deaths_per_attack, decomposition_share)
}
"""Statistic name (a check's ``statistic``) -> function."""

