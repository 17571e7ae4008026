"""``warnsim analyze``: every table a results folder supports, each step skipping cleanly.

The steps, in order: per-point summary of every outcome (and a short table of the key ones);
heed rate by rivalry level with a trend test, overall and within each combination of the
other swept parameters, and all pairwise differences; the warning-level heed regression; and
for sampled designs the sensitivity indices. A step whose inputs are missing (no warning
log, rivalry not varied, not a sampled design) yields a message instead of a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from sim.analysis import compare, sensitivity
from sim.analysis.intervals import CONFIDENCE
from sim.analysis.load import DesignKind, Results
from sim.analysis.summary import key_table, summarise
from sim.errors import UserError


@dataclass(frozen=True, slots=True)
class Table:
    stem: str
    caption: str
    frame: pd.DataFrame


Step = tuple[Table | None, str]

TABLE_STEMS: tuple[str, ...] = (
    "summary", "key_outcomes", "heed_by_rivalry", "heed_trend", "heed_pairwise",
    "heed_regression", "sobol", "prcc",
)
"""Every table ``analyses`` can write; ``analyze`` removes those it skipped this time."""
TABLE_EXTENSIONS: tuple[str, ...] = ("csv", "md", "tex")


def analyses(results: Results, confidence: float = CONFIDENCE) -> Iterator[Step]:
    """Yield each table (or a reason it was skipped) in report order."""
    summary = summarise(results, confidence)
    yield Table("summary", f"Every outcome by design point: mean and {confidence:.0%} interval", summary), ""
    yield Table("key_outcomes", f"Key outcomes by design point, mean [{confidence:.0%} interval]", key_table(summary)), ""
    yield from rivalry_comparisons(results, confidence)
    yield guarded(lambda: Table(
        "heed_regression",
        "Logistic regression of heeding on dyad rivalry and swept parameters "
        f"({_cluster_text(results)}-clustered SE)",
        compare.heed_regression(results, confidence),
    ))
    yield from sensitivity_tables(results, confidence)


@dataclass(frozen=True, slots=True)
class RivalryLevels:
    """Where the rivalry levels come from: the swept parameter, else each run's dyad bands."""

    by_parameter: bool
    strata: list[str]
    cluster: str = compare.REPLICATION

    @property
    def name(self) -> str:
        return "rivalry" if self.by_parameter else "rivalry band (0 low, 1 mid, 2 high)"

    def cells(self, runs: pd.DataFrame) -> pd.DataFrame:
        if self.by_parameter:
            return compare.cells_by_parameter(runs, "rivalry", cluster=self.cluster)
        return compare.cells_by_band(runs, cluster=self.cluster)


def rivalry_levels(results: Results) -> RivalryLevels:
    varying = [p for p in results.design.parameters if results.ok[p].nunique() > 1]
    cluster = compare.cluster_column(results.design.kind)
    if "rivalry" in varying:
        return RivalryLevels(True, [p for p in varying if p != "rivalry"], cluster)
    return RivalryLevels(False, varying, cluster)


def rivalry_comparisons(results: Results, confidence: float) -> Iterator[Step]:
    """Heed rate by rivalry level, trend tests (overall and per stratum), pairwise table."""
    if results.design.kind.is_sample:
        yield None, "heed by rivalry: skipped for a sampled design (see the sensitivity tables)"
        return
    runs, spec = results.ok, rivalry_levels(results)
    cells = spec.cells(runs)
    if cells["level"].nunique() < 2:
        yield None, "heed by rivalry: fewer than two rivalry levels with delivered warnings"
        return
    levels = compare.rate_by_level(cells, confidence).rename(columns={"level": spec.name})
    caption = "Pooled heed rate by rivalry level (clustered Wilson interval; clusters = "
    caption += f"{_cluster_text(results)}s)"
    yield Table("heed_by_rivalry", caption, levels), ""
    groups = [("all", runs)]
    if spec.strata:
        groups += [(_stratum(k, spec.strata), g) for k, g in runs.groupby(spec.strata)]
    rows = []
    for name, group in groups:
        try:
            trend = compare.trend_test(spec.cells(group), confidence)
        except UserError as exc:
            rows.append({"stratum": name, "note": str(exc)})
            continue
        rows.append({"stratum": name, **asdict(trend)})
    yield Table("heed_trend", f"Trend of heed rate in {spec.name}: slope = change in heed rate per unit", pd.DataFrame(rows)), ""
    pairs = compare.pairwise(cells, confidence).rename(columns={"level_a": "a", "level_b": "b"})
    caption = f"Pairwise differences in heed rate (b - a), paired by {_cluster_text(results)}, Holm-adjusted p"
    yield Table("heed_pairwise", caption, pairs), ""


def sensitivity_tables(results: Results, confidence: float) -> Iterator[Step]:
    kind = results.design.kind
    make: Callable[[Results, str, float], Any]
    if kind is DesignKind.SOBOL:
        make, stem, caption = sensitivity.sobol_table, "sobol", "Sobol indices (first order S1, total ST)"
    elif kind is DesignKind.LHS:
        make, stem, caption = sensitivity.prcc_table, "prcc", "Partial rank correlation coefficients"
    else:
        yield None, "sensitivity: not a sampled design"
        return
    parts, notes = [], []
    for outcome in sensitivity.SENSITIVITY_OUTCOMES:
        try:
            parts.append(make(results, outcome, confidence).assign(outcome=outcome))
        except UserError as exc:
            notes.append(f"{outcome}: {exc}")
    if parts:
        frame = pd.concat(parts, ignore_index=True)
        frame = frame[["outcome", *[c for c in frame.columns if c != "outcome"]]]
        yield Table(stem, f"{caption} with {confidence:.0%} intervals", frame), "; ".join(notes)
    else:
        yield None, "sensitivity: " + "; ".join(notes)


def guarded(make) -> Step:
    """Run one table step; a UserError (missing input) becomes a skip message."""
    try:
        table = make()
    except UserError as exc:
        return None, str(exc)
    return table, ""


def _cluster_text(results: Results) -> str:
    return "replication" if compare.cluster_column(results.design.kind) == compare.REPLICATION else "run"


def _stratum(key: object, names: list[str]) -> str:
    values = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
