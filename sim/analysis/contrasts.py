"""Paired contrasts: an outcome at one level of a factor minus the same at another, run by run.

``warnsim analyze DIR --contrast FACTOR=A:B`` (and :func:`contrast` from Python) answers "does
FACTOR change the outcome, and by how much?" for any swept factor: a model parameter, the
``scenario`` (built-in names or files, matched by their label or by the ``name`` the file
declares) or a scenario trait by dotted name (``agency.B1.capability``, ``bloc_rivalry.A:B``,
``liaison.A:C``), optionally on the warnings a ``--where`` filter keeps (``channel ==
'relay'``, ``bloc_pair == 'A:C' and rivalry < 0.2``: :mod:`sim.analysis.frames`).

**Pairs.** A sweep gives replication k of every design point the same seed (common random
numbers, :mod:`sim.sweep.seeds`). The run at FACTOR = A and the run at FACTOR = B with the same
value of every other swept factor and the same replication therefore share their random draws
and differ only in the factor; their difference is a paired one, free of most of the noise two
independent runs would add (Law 2015, *Simulation Modeling and Analysis*, 5th ed., section
11.2). Pairs are checked to have the same seed; a run without its partner (a failed run) is
left out and counted.

**Estimators**, the project's own (:mod:`sim.analysis.compare`, :mod:`sim.analysis.intervals`):

* a *rate* (a rate outcome of ``runs.parquet`` such as ``heed_rate``, or the share of the
  filtered warnings with a true/false column true) and a *mean per warning* (a numeric column
  of the log) are ratios pooled over the pairs' runs (sum over sum, so a run with many warnings
  weighs more). Their difference gets the cluster linearisation variance of
  :func:`~sim.analysis.compare.pairwise`, the cluster being the replication (both runs of a
  pair are in it, so their shared noise cancels), with a t reference on G - 1 degrees of
  freedom; a rate also gets the odds ratio of A against B;
* a *run value* (a count, amount or mean outcome, an experiment's metric, or ``warnings``: the
  number of warnings the filter keeps in a run) is differenced within each pair, averaged
  within each replication and then over replications, with the paired-t interval and test on
  the replications' mean differences (Law 2015, section 10.2.1): the cluster-robust variance of
  a mean with the replication as the cluster and a t reference on G - 1 degrees of freedom, as
  for the ratios, so that the interval and the p-value always agree.

**Strata.** The other swept factors split the pairs into strata, one row each (``by``:
default every other factor that varies, as ``analyze --by`` does; ``[]`` or ``--by none``
pools them). With more than one stratum a last row, ``all``, pools every pair (clustered by
replication again, so it stays paired); factors neither split nor shown are named in the
table's caption and the figure's note, never pooled silently. A filter on a column the factor
itself can change (the channel, the dyad's rivalry when judged, the response) selects warnings
after the treatment: the runs stay paired, but the warnings compared need not be the same ones.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.compare import REPLICATION, pair_difference
from sim.analysis.frames import metric_columns, select_warnings, warning_frame
from sim.analysis.intervals import CONFIDENCE
from sim.analysis.labels import scenario_names
from sim.analysis.load import Results, load_results
from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind
from sim.schema import WARNING_FIELDS, Dtype

WARNINGS = "warnings"
"""The outcome "warnings the filter keeps, per run" (a count, compared as a run value)."""
HEED = "heed_rate"
ALL = "all"
"""The stratum label of the row that pools every pair."""
_LOG_TYPES = {c.name: c.dtype for c in WARNING_FIELDS}


class Estimator(Enum):
    """How a contrast compares its two levels (see the module docstring)."""

    RATIO = "ratio pooled over runs, cluster-robust (linearised) interval"
    PAIRED_MEAN = "mean of paired differences over replications, paired-t interval"


@dataclass(frozen=True, slots=True)
class ContrastSpec:
    """``FACTOR=A:B``: the factor and the two levels as typed."""

    factor: str
    a: str
    b: str

    @classmethod
    def parse(cls, text: str, option: str = "--contrast") -> ContrastSpec:
        """``liaison.A:C=false:true`` -> (``liaison.A:C``, ``false``, ``true``): the factor is
        what precedes the first ``=``, the levels are split at the first ``:`` after it."""
        factor, sep, levels = text.partition("=")
        a, colon, b = levels.partition(":")
        if not (sep and colon and factor.strip() and a.strip() and b.strip()):
            raise UserError(f"{option}: got {text!r}; allowed: FACTOR=A:B, e.g. "
                            "doctrine=non_rivals:warn_all or liaison.A:C=false:true")
        return cls(factor.strip(), a.strip(), b.strip())


@dataclass(frozen=True, slots=True)
class Measure:
    """What each run contributes: ``source`` is ``runs`` (runs.parquet) or ``warnings`` (the
    filtered log); ``column`` the runs' or the log's column (None for ``warnings``)."""

    outcome: str
    estimator: Estimator
    is_rate: bool
    source: str
    column: str | None = None

    @property
    def percent_points(self) -> bool:
        """Differences of shares read best in percentage points."""
        return self.is_rate


@dataclass(frozen=True)
class Contrast:
    """A paired contrast and everything needed to print, draw and save it.

    ``table`` has one row per stratum (then ``all``): ``stratum``, the ``by`` factors,
    ``a`` and ``b`` (the levels), ``value_a`` and ``value_b``, ``difference`` (A - B),
    ``low``/``high`` (its interval), ``p_value``, for rates ``odds_ratio``/``or_low``/
    ``or_high``, ``pairs``, ``clusters`` (replications) and, for ratios, ``trials_a`` and
    ``trials_b`` (warnings or runs' denominators behind each rate). ``pairs`` holds one row
    per pair of runs with what each contributed.
    """

    spec: ContrastSpec
    measure: Measure
    where: str | None
    by: tuple[str, ...]
    pooled: tuple[str, ...]
    confidence: float
    table: pd.DataFrame
    pairs: pd.DataFrame
    unpaired: int
    levels: tuple[str, str]
    directory: Path
    name: str
    default_by: bool = True
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def factor_text(self) -> str:
        from sim.analysis.labels import name_of

        return name_of(self.spec.factor)

    @property
    def title(self) -> str:
        from sim.analysis.labels import lower

        a, b = self.levels
        text = (f"Paired contrast of {lower(self.measure.outcome)} between "
                f"{lower(self.spec.factor)} = {a} and {b}")
        if self.where:
            text += f", warnings with {self.where}"
        return text

    @property
    def pooled_sentence(self) -> str:
        """What the rows pool over (for captions and the figure's note)."""
        from sim.analysis.labels import lower

        runs = self.pairs
        parts = []
        if self.pooled:
            parts.append("pooled over " + ", ".join(
                f"{lower(p)} ({runs[p].nunique()} levels)" for p in self.pooled))
        if self.by and len(self.table) > 1:
            parts.append(f"the row '{ALL}' pools every stratum")
        pairs, replications = len(self.pairs), self.pairs[REPLICATION].nunique()
        parts.append(f"{_count(pairs, 'pair')} of same-seed runs in "
                     f"{_count(replications, 'replication')}"
                     + (f"; {_count(self.unpaired, 'run')} without a partner left out"
                        if self.unpaired else ""))
        parts.append(f"{self.confidence:.0%} intervals: {self.measure.estimator.value}")
        return "; ".join(parts)

    @property
    def stem(self) -> str:
        """File stem of the table and figure, from the contrast's choices."""
        parts = ["contrast", self.measure.outcome, self.spec.factor, *self.levels_raw]
        if not self.default_by:
            parts.append("by-" + "-".join(self.by) if self.by else "pooled")
        if self.where:
            parts.append("where-" + hashlib.sha256(self.where.encode()).hexdigest()[:8])
        if not math.isclose(self.confidence, CONFIDENCE):
            parts.append(f"ci{self.confidence * 100:g}")
        return "_".join(_slug(p) for p in parts)

    @property
    def levels_raw(self) -> tuple[str, str]:
        return self.spec.a, self.spec.b

    def to_table(self):
        """The :class:`~sim.analysis.tables.Table` written as CSV, Markdown and LaTeX."""
        from sim.analysis.tables import Table

        frame = self.table.drop(columns=list(self.by))
        return Table(self.stem, self.title, frame, pooled=self.pooled_sentence,
                     keys=("stratum",), notes=self.notes)

    def figure(self):
        """The contrast drawn: each stratum's two levels, and their paired difference."""
        return contrast_figure(self)

    def save(self, directory: str | Path | None = None,
             formats: tuple[str, ...] = ("pdf", "png")) -> list[Path]:
        """Write the table (``tables/STEM.{csv,md,tex}``) and the figure
        (``figures/STEM.<format>``, each of ``formats``: pdf, png, svg) under ``directory``
        (default: the results folder)."""
        from sim.analysis.plots import save
        from sim.analysis.tables import write_table

        root = Path(directory) if directory is not None else self.directory
        paths = write_table(self.to_table(), root / "tables")
        return paths + save(self.figure(), root / "figures", self.stem, formats)

    def sentences(self) -> list[str]:
        """One line per row, as the CLI prints them."""
        a, b = self.levels
        out = []
        for row in self.table.itertuples():
            diff = _number(row.difference, self.measure)
            text = (f"{row.stratum}: {_number(row.value_a, self.measure, False)} at {a} vs "
                    f"{_number(row.value_b, self.measure, False)} at {b}; difference {diff}")
            if np.isfinite(row.low):
                text += (f" [{_number(row.low, self.measure, unit=False)}, "
                         f"{_number(row.high, self.measure, unit=False)}]")
            if np.isfinite(row.p_value):
                text += f", p = {_p(row.p_value)}"
            text += f" ({row.pairs} pairs)"
            out.append(text)
        return out


def contrast(results: Results | str | Path, factor: str, a: Any, b: Any, *,
             outcome: str = HEED, where: str | None = None, by: list[str] | None = None,
             confidence: float = CONFIDENCE) -> Contrast:
    """The paired contrast of ``outcome`` between ``factor`` = ``a`` and ``factor`` = ``b``
    (``a`` minus ``b``), per stratum of ``by`` (default: every other swept factor; ``[]``
    pools them), on the warnings ``where`` keeps. ``results`` is a loaded folder or its path;
    levels may be given as typed (``"false"``, ``"0.2"``) or as values (``False``, ``0.2``).
    """
    if not 0 < confidence < 1:
        raise UserError(f"--confidence: got {confidence}; allowed: a number in (0, 1)")
    if not isinstance(results, Results):
        results = load_results(results)
    spec = ContrastSpec(factor, _typed(a), _typed(b))
    runs = results.ok
    swept = list(results.design.parameters)
    if factor not in swept:
        raise UserError(f"--contrast: {factor!r} is not a swept factor of {results.name}; "
                        f"allowed: {', '.join(swept) or 'none (nothing was swept)'}")
    names = scenario_names(results.manifest)
    value_a = _level(runs[factor], a, factor, names if factor == "scenario" else {})
    value_b = _level(runs[factor], b, factor, names if factor == "scenario" else {})
    if _same(value_a, value_b):
        raise UserError(f"--contrast: {factor}={spec.a}:{spec.b} names one level twice; "
                        "allowed: two different levels")
    others = [p for p in swept if p != factor and runs[p].nunique() > 1]
    strata, default_by = _strata(results, others, by)
    measure = _measure(results, outcome, where)
    values = _run_values(results, measure, where)
    pairs, unpaired = _pairs(results, factor, value_a, value_b, values)
    rows = []
    if strata:
        rows = [_row(group, measure, confidence, _stratum(strata, key, names))
                | _keys(strata, key)
                for key, group in pairs.groupby(strata, sort=True, dropna=False)]
    if len(rows) != 1:  # no strata, or several: a row for all pairs
        rows.append(_row(pairs, measure, confidence, ALL) | dict.fromkeys(strata))
    table = pd.DataFrame(rows)
    shown = names if factor == "scenario" else {}
    labels = (_level_text(value_a, shown), _level_text(value_b, shown))
    table.insert(1, "a", labels[0])
    table.insert(2, "b", labels[1])
    columns = ["stratum", *strata, "a", "b", "value_a", "value_b", "difference", "low", "high",
               "p_value"]
    if measure.is_rate:
        columns += ["odds_ratio", "or_low", "or_high"]
    columns += ["pairs", "clusters"]
    if measure.estimator is Estimator.RATIO:
        columns += ["trials_a", "trials_b"]
    table = table[columns]
    return Contrast(spec=spec, measure=measure, where=where, by=tuple(strata),
                    pooled=tuple(p for p in others if p not in strata), confidence=confidence,
                    table=table, pairs=pairs, unpaired=unpaired, levels=labels,
                    directory=results.directory, name=results.name, default_by=default_by,
                    notes=_notes(measure, labels, where))


# --- what is compared --------------------------------------------------------------------

def _measure(results: Results, outcome: str, where: str | None) -> Measure:
    runs = results.ok
    metrics = metric_columns(results)
    log_columns = [c for c, t in _LOG_TYPES.items() if t is not Dtype.STRING]
    if where is None and outcome != WARNINGS and (outcome in BY_NAME or outcome in metrics):
        if outcome not in runs.columns:
            raise UserError(f"--outcome: {outcome!r} is not in these runs; allowed: "
                            + ", ".join(o for o in [*BY_NAME, *metrics] if o in runs.columns))
        rate = outcome in BY_NAME and BY_NAME[outcome].kind is Kind.RATE
        return Measure(outcome, Estimator.RATIO if rate else Estimator.PAIRED_MEAN, rate,
                       "runs", outcome)
    if outcome == HEED:
        return Measure(outcome, Estimator.RATIO, True, WARNINGS, "heeded")
    if outcome == WARNINGS:
        return Measure(outcome, Estimator.PAIRED_MEAN, False, WARNINGS, None)
    if outcome in log_columns:
        rate = _LOG_TYPES[outcome] is Dtype.BOOL
        return Measure(outcome, Estimator.RATIO, rate, WARNINGS, outcome)
    allowed = f"{HEED}, {WARNINGS} or a true/false or numeric warning-log column ({', '.join(log_columns)})"
    if where is not None:
        raise UserError(f"--outcome: {outcome!r} cannot be computed from the filtered warning "
                        f"log; allowed with --where: {allowed}")
    raise UserError(f"--outcome: unknown outcome {outcome!r}; allowed: an outcome of "
                    f"runs.parquet ({', '.join(o for o in BY_NAME if o in runs.columns)}), "
                    f"an experiment metric, or {allowed}")


def _run_values(results: Results, measure: Measure, where: str | None) -> pd.DataFrame:
    """Per finished run (index run_id): ``num`` and ``den`` for a ratio, ``value`` else."""
    runs = results.ok.set_index("run_id")
    if measure.source == "runs":
        if measure.estimator is Estimator.RATIO:
            spec = BY_NAME[measure.outcome]
            return pd.DataFrame({"num": runs[spec.numerator].astype(float),
                                 "den": runs[spec.denominator].astype(float)})
        return pd.DataFrame({"value": pd.to_numeric(runs[measure.outcome], errors="coerce")
                             .astype(float)})
    log = select_warnings(warning_frame(results), where)
    if measure.column is None:
        counts = log.groupby("run_id").size()
        return pd.DataFrame({"value": counts.reindex(runs.index, fill_value=0).astype(float)})
    column = log[measure.column]
    kept = log[column.notna()]
    if measure.outcome == HEED:
        kept = kept[kept["delivered_day"] >= 0]
    numbers = kept[measure.column].astype(float)
    sums = numbers.groupby(kept["run_id"]).agg(["sum", "size"])
    return pd.DataFrame({"num": sums["sum"].reindex(runs.index, fill_value=0.0),
                         "den": sums["size"].reindex(runs.index, fill_value=0).astype(float)})


# --- levels and pairs --------------------------------------------------------------------

def _typed(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return str(value).strip()


def _level(column: pd.Series, wanted: Any, factor: str, names: dict[str, str]) -> Any:
    """The value of ``column`` that ``wanted`` (typed text or a value) means."""
    values = list(pd.unique(column.dropna()))
    text = _typed(wanted)
    found: list[Any] = []
    if pd.api.types.is_bool_dtype(column):
        truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        if text.lower() in truth:
            found = [v for v in values if bool(v) is truth[text.lower()]]
    elif pd.api.types.is_numeric_dtype(column):
        try:
            x = float(text)
        except ValueError:
            x = math.nan
        found = [v for v in values if math.isclose(float(v), x, rel_tol=1e-9, abs_tol=1e-12)]
    else:
        found = [v for v in values if str(v) == text]
        if not found and names:
            found = [v for v in values if names.get(str(v)) == text]
    if not found:
        shown = ", ".join(sorted(_level_text(v, names) for v in values))
        raise UserError(f"--contrast: {factor} has no level {text!r}; allowed: {shown}")
    return found[0]


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float | np.floating) and isinstance(y, float | np.floating):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12)
    return bool(x == y)


def _level_text(value: Any, names: dict[str, str]) -> str:
    from sim.analysis.tables import format_value

    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | float | np.number):
        return format_value(value, 6)
    return names.get(str(value), str(value))


def _strata(results: Results, others: list[str], by: list[str] | None) -> tuple[list[str], bool]:
    if by is None:
        return ([] if results.scattered else list(others)), True
    unknown = [b for b in by if b not in others]
    if unknown:
        allowed = ", ".join(others) if others else "none (no other factor varies)"
        raise UserError(f"--by: {', '.join(unknown)} is not a swept factor other than the "
                        f"contrasted one; allowed: {allowed}, or none")
    return list(dict.fromkeys(by)), False


def _pairs(results: Results, factor: str, value_a: Any, value_b: Any,
           values: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per pair of same-seed runs at the two levels, with what each contributes."""
    runs = results.ok
    keys = [p for p in results.design.parameters if p != factor] + [REPLICATION]
    keys = list(dict.fromkeys(keys))
    at_a = runs[runs[factor].map(lambda v: _same(v, value_a))][["run_id", "seed", *keys]]
    at_b = runs[runs[factor].map(lambda v: _same(v, value_b))][["run_id", "seed", *keys]]
    try:
        pairs = at_a.merge(at_b, on=keys, suffixes=("_a", "_b"), validate="one_to_one")
    except pd.errors.MergeError:
        raise UserError(f"--contrast: {factor}: the design holds a point twice, so runs "
                        "cannot be paired one to one") from None
    if pairs.empty:
        raise UserError(f"--contrast: no run at {factor} = one level has a same-seed partner "
                        "at the other (the other swept factors never take the same values at "
                        "both levels)")
    differ = pairs["seed_a"] != pairs["seed_b"]
    if differ.any():
        raise UserError(f"--contrast: {int(differ.sum())} pairs of runs with the same "
                        "replication have different seeds; a paired contrast needs common "
                        "random numbers (sweeps made by warnsim have them)")
    for side in ("a", "b"):
        own = values.add_suffix(f"_{side}")
        pairs = pairs.merge(own, left_on=f"run_id_{side}", right_index=True, how="left")
    unpaired = len(at_a) + len(at_b) - 2 * len(pairs)
    return pairs.drop(columns=["seed_b"]).rename(columns={"seed_a": "seed"}), unpaired


def _stratum(strata: list[str], key: Any, names: dict[str, str]) -> str:
    """``rivalry = 0.2, scenario = weak A1``: a scenario by the name its file declares."""
    if not strata:
        return ALL
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{name} = {_level_text(v, names if name == 'scenario' else {})}"
                     for name, v in zip(strata, values, strict=True))


def _keys(strata: list[str], key: Any) -> dict[str, Any]:
    values = key if isinstance(key, tuple) else (key,)
    return dict(zip(strata, values, strict=True)) if strata else {}


# --- estimates ---------------------------------------------------------------------------

def _row(pairs: pd.DataFrame, measure: Measure, confidence: float, stratum: str) -> dict[str, Any]:
    if measure.estimator is Estimator.RATIO:
        return {"stratum": stratum, **_ratio(pairs, measure, confidence)}
    return {"stratum": stratum, **_paired_mean(pairs, confidence)}


def _ratio(pairs: pd.DataFrame, measure: Measure, confidence: float) -> dict[str, Any]:
    """Pooled ratio at each level and their difference, clustered by replication
    (:func:`sim.analysis.compare.pair_difference`, level 1 = A, level 0 = B)."""
    sides = [pd.DataFrame({"cluster": pairs[REPLICATION].to_numpy(),
                           "run": pairs[f"run_id_{s}"].to_numpy(), "level": level,
                           "successes": pairs[f"num_{s}"].to_numpy(float),
                           "trials": pairs[f"den_{s}"].to_numpy(float)})
             for s, level in (("a", 1.0), ("b", 0.0))]
    cells = pd.concat(sides, ignore_index=True)
    cells = cells[cells["trials"] > 0]
    out = {"pairs": len(pairs), "trials_a": float(pairs["den_a"].sum()),
           "trials_b": float(pairs["den_b"].sum())}
    if cells["level"].nunique() < 2:
        return out | {"value_a": _share(pairs, "a"), "value_b": _share(pairs, "b"),
                      "difference": math.nan, "low": math.nan, "high": math.nan,
                      "p_value": math.nan, "odds_ratio": math.nan, "or_low": math.nan,
                      "or_high": math.nan, "clusters": int(cells["cluster"].nunique())}
    found = pair_difference(cells, 0.0, 1.0, confidence)
    return out | {
        "value_a": found["rate_b"], "value_b": found["rate_a"],
        "difference": found["difference"], "low": found["diff_low"], "high": found["diff_high"],
        "p_value": found["p_value"], "odds_ratio": found["odds_ratio"],
        "or_low": found["or_low"], "or_high": found["or_high"], "clusters": found["clusters"],
    }


def _share(pairs: pd.DataFrame, side: str) -> float:
    den = float(pairs[f"den_{side}"].sum())
    return float(pairs[f"num_{side}"].sum()) / den if den > 0 else math.nan


def _paired_mean(pairs: pd.DataFrame, confidence: float) -> dict[str, Any]:
    """Mean paired difference over replications with the paired-t interval and test."""
    used = pairs.dropna(subset=["value_a", "value_b"])
    diff = used["value_a"] - used["value_b"]
    per = pd.DataFrame({"a": used["value_a"], "b": used["value_b"], "d": diff}).groupby(
        used[REPLICATION].to_numpy()).mean()
    d = per["d"].to_numpy(float)
    estimate = float(d.mean()) if d.size else math.nan
    low = high = p = math.nan
    if d.size >= 2 and float(d.std()) > 0:
        test = stats.ttest_1samp(d, 0.0)
        bounds = test.confidence_interval(confidence)
        low, high, p = float(bounds.low), float(bounds.high), float(test.pvalue)
    elif d.size >= 2:  # every pair differs by the same amount: no spread to test against
        low = high = estimate
    return {"value_a": float(per["a"].mean()) if d.size else math.nan,
            "value_b": float(per["b"].mean()) if d.size else math.nan,
            "difference": estimate, "low": low, "high": high, "p_value": p,
            "pairs": len(used), "clusters": int(d.size)}


# --- text --------------------------------------------------------------------------------

def _notes(measure: Measure, levels: tuple[str, str], where: str | None) -> dict[str, str]:
    a, b = levels
    what = {
        Estimator.RATIO: ("pooled over the pairs' runs" + (" (share of the warnings kept)"
                                                           if measure.source == WARNINGS else "")),
        Estimator.PAIRED_MEAN: "mean over replications of the runs' values",
    }[measure.estimator]
    notes = {
        "stratum": "the pairs the row covers: one combination of the other swept factors, or all",
        "a": "the first level (A)", "b": "the second level (B)",
        "value_a": f"the outcome at {a}, {what}", "value_b": f"the outcome at {b}, {what}",
        "difference": f"A - B, paired within replications ({measure.estimator.value})",
        "low": "lower bound of the difference's interval",
        "high": "upper bound of the difference's interval",
        "p_value": "two-sided p-value of no difference",
        "odds_ratio": f"odds at {a} over odds at {b}", "or_low": "lower bound of the odds ratio",
        "or_high": "upper bound of the odds ratio",
        "pairs": "pairs of same-seed runs compared",
        "clusters": "replications behind the interval (each holds whole pairs)",
        "trials_a": f"denominator at {a}: " + ("warnings kept" if measure.source == WARNINGS
                                               else "summed over the runs"),
        "trials_b": f"denominator at {b}",
    }
    if where:
        notes["stratum"] += f"; only warnings with {where}"
    return notes


def _number(x: float, measure: Measure, signed: bool = True, *, unit: bool = True) -> str:
    if not np.isfinite(x):
        return "n/a"
    if measure.percent_points and signed:
        return (f"{x * 100:+.2f}" + (" points" if unit else "")).replace("-", "\u2212")
    text = f"{x:+.4g}" if signed else f"{x:.4g}"
    return text.replace("-", "\u2212")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-") or "x"


# --- figure ------------------------------------------------------------------------------

def contrast_figure(c: Contrast):
    """Left: each row's estimate at A (filled) and B (open); right: the paired difference
    A - B with its interval (percentage points for shares), a line at no difference."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    from sim.analysis.labels import header, lower, unit_of
    from sim.analysis.plots import TWO_COLUMNS, legend_above, new_figure, style, wrap

    table = c.table
    n = len(table)
    with style():
        fig = new_figure(TWO_COLUMNS, 2.2 + 0.3 * n)
        left, right = fig.subplots(1, 2, sharey=True, width_ratios=(1, 1.2))
        y = np.arange(n)[::-1].astype(float)
        if n > 1 and table["stratum"].iloc[-1] == ALL:
            for ax in (left, right):
                ax.axhline(0.5, color="0.8", linewidth=0.6)
        left.hlines(y, table["value_a"], table["value_b"], color="0.7", linewidth=0.8)
        left.plot(table["value_a"], y, "o", color="C0")
        left.plot(table["value_b"], y, "o", markerfacecolor="white", color="C1")
        kept = c.measure.source == WARNINGS and c.measure.column is not None
        left.set_xlabel(f"{header(c.measure.outcome)}" + (", warnings kept" if kept else ""))
        left.set_yticks(y, [wrap(s, 1.6, 7) for s in table["stratum"]])
        nice = [1, 2, 2.5, 5, 10]
        left.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=nice))
        right.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=nice))
        scale = 100.0 if c.measure.percent_points else 1.0
        diff = table["difference"].to_numpy(float) * scale
        errors = np.vstack([diff - table["low"].to_numpy(float) * scale,
                            table["high"].to_numpy(float) * scale - diff])
        right.errorbar(diff, y, xerr=np.where(np.isfinite(errors), errors, 0.0), fmt="s",
                       color="black", markersize=3.5, capsize=2, linewidth=0.9)
        right.axvline(0, color="0.5", linestyle="--", linewidth=0.7)
        unit = "percentage points" if c.measure.percent_points else unit_of(c.measure.outcome)
        what = f"Difference in {lower(c.measure.outcome)}"
        right.set_xlabel(f"{what} ({unit})" if unit else what)
        left.set_ylim(-0.7, n - 0.3)
        a, b = c.levels
        handles = [Line2D([], [], linestyle="none", marker="o", color="C0"),
                   Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                          color="C1"),
                   Line2D([], [], linestyle="-", marker="s", color="black")]
        names = [f"{c.factor_text} = {a}", f"{c.factor_text} = {b}",
                 f"{a} \u2212 {b}, {c.confidence:.0%} interval"]
        note = c.pooled_sentence
        if c.where:
            note = f"warnings with {c.where}; {note}"
        legend_above(fig, handles, names,
                     f"{c.name}: paired contrast of {lower(c.measure.outcome)}", note)
    return fig
