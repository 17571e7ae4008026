"""``warnsim analyze``: every table a results folder supports, each step skipping cleanly.

The steps, in order: per-point summary of every outcome (and a short table of the key ones);
heed rate by rivalry level with a trend test and all pairwise differences; the warning-level
heed regression; and for sampled designs the sensitivity indices. A step whose inputs are
missing (no warning log, rivalry not varied, not a sampled design) yields a message instead of
a table.

**No silent pooling.** The rivalry tables are written per level of the ``by`` factors (by
default every swept factor other than rivalry, the x axis): ``heed_by_rivalry`` and
``heed_pairwise`` get one block of rows per level combination, with Holm's adjustment within
each block, and ``heed_trend`` one row per block plus the pooled row ``all``. A factor left
out of ``by`` (``analyze --by none`` pools them all) is pooled, and the caption says so with
its number of levels: with ``doctrine = never`` among the levels, a pooled heed rate mixes
two different protocols and can reverse a per-level trend (Simpson's paradox).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from sim.analysis import compare, morris, sensitivity
from sim.analysis.intervals import CONFIDENCE
from sim.analysis.labels import doc, lower
from sim.analysis.load import DesignKind, Results
from sim.analysis.summary import key_table, summarise
from sim.analysis.tables import Table
from sim.errors import UserError

Step = tuple[Table | None, str]

TABLE_STEMS: tuple[str, ...] = (
    "summary", "key_outcomes", "heed_by_rivalry", "heed_trend", "heed_pairwise",
    "heed_regression", "sobol", "prcc", "morris", "morris_screen",
)
"""Every table ``analyses`` can write; ``analyze`` removes those it skipped this time."""
TABLE_EXTENSIONS: tuple[str, ...] = ("csv", "md", "tex")
KEY_STEM = "key_outcomes"
"""The table ``analyze`` prints by default."""


def analyses(
    results: Results, confidence: float = CONFIDENCE, by: list[str] | None = None
) -> Iterator[Step]:
    """Yield each table (or a reason it was skipped) in report order.

    ``by``: the factors the rivalry tables are split by (None: every swept factor other than
    rivalry; ``[]``: pool them all, and say so).
    """
    conf = f"{confidence:.0%}"
    summary = summarise(results, confidence)
    params = [c for c in summary.columns if c in results.design.parameters]
    sample = design_sentence(results) if results.design.kind.is_sample else ""
    yield Table(
        "summary", f"Every outcome at every design point: estimate and {conf} interval", summary,
        pooled=sample, keys=("point_id", *params, "outcome"), group="outcome",
        notes={"low": f"lower bound of the {conf} interval", "high": f"upper bound of the {conf} interval"},
    ), ""
    key = key_table(summary)
    yield Table(
        KEY_STEM, f"Key outcomes at each design point: estimate [{conf} interval]", key,
        pooled=sample, keys=("point_id", *params),
        notes={o: f"{doc(o)}; estimate [{conf} interval]" for o in key.columns
               if o not in ("point_id", *params)},
    ), ""
    yield from rivalry_comparisons(results, confidence, by)
    yield guarded(lambda: Table(
        "heed_regression",
        "Logistic regression of heeding a delivered warning on the dyad's rivalry and every "
        f"swept parameter ({_cluster_text(results)}-clustered standard errors, {conf} intervals)",
        compare.heed_regression(results, confidence), keys=("term",),
        pooled="nothing is pooled: each swept parameter is a regressor",
    ))
    yield from sensitivity_tables(results, confidence)


def design_sentence(results: Results) -> str:
    """'pooled over the 64 points of the lhs design (rivalry, ...)'."""
    n = results.ok["point_id"].nunique()
    names = ", ".join(lower(p) for p in results.design.parameters)
    return f"pooled over the {n} points of the {results.design.kind.value} design ({names})"


@dataclass(frozen=True, slots=True)
class RivalryLevels:
    """Where the rivalry levels come from: the swept parameter, else each run's dyad bands."""

    by_parameter: bool
    strata: list[str]
    cluster: str = compare.REPLICATION

    @property
    def name(self) -> str:
        return "rivalry" if self.by_parameter else "rivalry_band"

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


def check_by(results: Results, by: list[str] | None) -> list[str]:
    """The factors to split the rivalry tables by, checked against the swept factors."""
    if results.scattered:
        return []
    allowed = rivalry_levels(results).strata
    if by is None:
        return allowed
    unknown = [b for b in by if b not in allowed]
    if unknown:
        choices = ", ".join(allowed) if allowed else "none (no other factor varies)"
        raise UserError(f"--by: {', '.join(unknown)} is not a swept factor other than the x "
                        f"axis; allowed: {choices}, or none")
    return list(by)


def pooling_sentence(runs: pd.DataFrame, by: list[str], pooled: list[str]) -> str:
    """'per level of doctrine; pooled over false lead rate (3 levels)'."""
    parts = []
    if by:
        parts.append("one block of rows per level of " + " x ".join(lower(b) for b in by))
    if pooled:
        parts.append("pooled over " + ", ".join(
            f"{lower(p)} ({runs[p].nunique()} levels)" for p in pooled
        ))
    return "; ".join(parts)


def _blocks(runs: pd.DataFrame, by: list[str]) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    if not by:
        return [({}, runs)]
    return [(dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)), group)
            for key, group in runs.groupby(by, sort=True)]


def rivalry_comparisons(results: Results, confidence: float, by: list[str] | None = None) -> Iterator[Step]:
    """Heed rate by rivalry level, trend tests and pairwise differences, per level of ``by``."""
    if results.design.kind.is_sample:
        yield None, "heed by rivalry: skipped for a sampled design (see the sensitivity tables)"
        return
    if results.scattered:
        yield None, ("heed by rivalry: skipped for design points scattered over the parameter "
                     "space (no levels; see `warnsim discover`)")
        return
    runs, spec = results.ok, rivalry_levels(results)
    by = check_by(results, by)
    pooled = [p for p in spec.strata if p not in by]
    if spec.cells(runs)["level"].nunique() < 2:
        yield None, "heed by rivalry: fewer than two rivalry levels with delivered warnings"
        return
    sentence = pooling_sentence(runs, by, pooled)
    blocks = _blocks(runs, by)
    conf = f"{confidence:.0%}"
    level_note = ("the swept rivalry between blocs" if spec.by_parameter
                  else "rivalry band of the dyad (0 low < 1/3 <= 1 mid < 2/3 <= 2 high)")
    notes = {spec.name: level_note, "low": f"lower bound of the {conf} clustered Wilson interval",
             "high": f"upper bound of the {conf} clustered Wilson interval"}
    levels = pd.concat([
        compare.rate_by_level(spec.cells(g), confidence).rename(columns={"level": spec.name})
        .assign(**labels) for labels, g in blocks
    ], ignore_index=True)
    levels = levels[[*by, *[c for c in levels.columns if c not in by]]]
    yield Table(
        "heed_by_rivalry",
        f"Heed rate by rivalry level, {conf} clustered Wilson intervals "
        f"(clusters: {_cluster_text(results)}s)",
        levels, pooled=sentence, keys=(*by, spec.name), notes=notes,
    ), ""
    rows = []
    for name, group in [("all", runs)] + [(_stratum(lb), g) for lb, g in blocks if by]:
        try:
            trend = compare.trend_test(spec.cells(group), confidence)
        except UserError as exc:
            rows.append({"stratum": name, "note": str(exc)})
            continue
        rows.append({"stratum": name, **asdict(trend)})
    trend_pooled = "the row all pools over " + (
        ", ".join(f"{lower(p)} ({runs[p].nunique()} levels)" for p in spec.strata) or "nothing"
    )
    if by:
        trend_pooled += "; the other rows are one level of " + " x ".join(lower(b) for b in by) + " each"
    elif pooled:
        trend_pooled = sentence
    yield Table(
        "heed_trend",
        f"Linear trend of the heed rate in {spec.name.replace('_', ' ')} (cluster-robust, "
        f"{conf} intervals)", pd.DataFrame(rows), pooled=trend_pooled, keys=("stratum",),
        notes={"low": f"lower bound of the slope's {conf} interval",
               "high": f"upper bound of the slope's {conf} interval",
               "trials": "delivered warnings in the stratum"},
    ), ""
    pairs = pd.concat([
        compare.pairwise(spec.cells(g), confidence).rename(columns={"level_a": "a", "level_b": "b"})
        .assign(**labels) for labels, g in blocks
    ], ignore_index=True)
    pairs = pairs[[*by, *[c for c in pairs.columns if c not in by]]]
    holm = "Holm's adjustment within each block" if by else "Holm's adjustment over all pairs"
    yield Table(
        "heed_pairwise",
        f"Pairwise differences in heed rate between {spec.name.replace('_', ' ')} levels "
        f"(b - a), paired by {_cluster_text(results)}; {holm}",
        pairs, pooled=sentence, keys=(*by, "a", "b"),
    ), ""


def sensitivity_tables(results: Results, confidence: float) -> Iterator[Step]:
    kind = results.design.kind
    if kind is DesignKind.MORRIS:
        yield from morris_tables(results, confidence)
        return
    make: Callable[[Results, str, float], Any]
    if kind is DesignKind.SOBOL:
        make, stem, title = sensitivity.sobol_table, "sobol", "Sobol indices (first order S1, total ST)"
    elif kind is DesignKind.LHS:
        make, stem, title = sensitivity.prcc_table, "prcc", "Partial rank correlation coefficients"
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
        conf = f"{confidence:.0%}"
        yield Table(
            stem, f"{title} with {conf} intervals, per outcome", frame, keys=("outcome", "parameter"),
            pooled="replications of a design point are averaged first (rates pooled)",
            notes={"low": f"lower bound of the {conf} interval", "high": f"upper bound of the {conf} interval"},
        ), "; ".join(notes)
    else:
        yield None, "sensitivity: " + "; ".join(notes)


def morris_tables(results: Results, confidence: float) -> Iterator[Step]:
    """Elementary effects per outcome, and which parameters the screening keeps."""
    parts, notes = [], []
    for outcome in sensitivity.SENSITIVITY_OUTCOMES:
        try:
            parts.append(morris.morris_table(results, outcome, confidence).assign(outcome=outcome))
        except UserError as exc:
            notes.append(f"{outcome}: {exc}")
    if not parts:
        yield None, "morris: " + "; ".join(notes)
        return
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[["outcome", *[c for c in frame.columns if c != "outcome"]]]
    conf = f"{confidence:.0%}"
    r = results.design.n
    rule = (f"influential: the lower end of mu*'s interval above the noise and mu* at least "
            f"{morris.RELATIVE_CUT:g} of the outcome's largest")
    yield Table(
        "morris", f"Morris elementary effects per outcome ({r} trajectories, "
        f"{results.design.levels} levels) with {conf} bootstrap intervals over trajectories, "
        "ranked by mu*", frame, keys=("outcome", "parameter"),
        pooled="replications of a design point are averaged first (rates pooled); effects are "
        "per normalised range (the change in the outcome across the parameter's sampled range)",
        notes={"influential": rule},
    ), "; ".join(notes)
    yield Table(
        "morris_screen", "Morris screening: the parameters kept (influential for at least one "
        f"of {', '.join(sorted(frame['outcome'].unique()))})", morris.screen_table(frame),
        keys=("parameter",), notes={"relative": "largest mu* over the outcomes, as a share of "
                                    "that outcome's largest mu*"},
    ), ""


def guarded(make) -> Step:
    """Run one table step; a UserError (missing input) becomes a skip message."""
    try:
        table = make()
    except UserError as exc:
        return None, str(exc)
    return table, ""


def _cluster_text(results: Results) -> str:
    return "replication" if compare.cluster_column(results.design.kind) == compare.REPLICATION else "run"


def _stratum(labels: dict[str, Any]) -> str:
    return ", ".join(f"{n}={v}" for n, v in labels.items())
