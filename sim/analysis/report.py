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
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from sim.analysis import compare, morris, sensitivity
from sim.analysis.intervals import CONFIDENCE
from sim.analysis.labels import difference_labels, doc, lower, name_of, plain_value
from sim.analysis.load import DesignKind, Results
from sim.analysis.summary import key_table, summarise
from sim.analysis.tables import Table
from sim.errors import UserError
from sim.outcomes import BANDS

Step = tuple[Table | None, str]

TABLE_STEMS: tuple[str, ...] = (
    "summary", "summary_by_point", "key_outcomes", "heed_by_rivalry", "heed_trend", "heed_pairwise",
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
    names = PointNames.of(results, params)
    sample = design_sentence(results) if results.design.kind.is_sample else names.sentence
    interval = {"low": f"lower bound of the {conf} interval: clustered Wilson for a rate (pooled "
                "over the runs), BCa bootstrap over runs otherwise",
                "high": f"upper bound of the {conf} interval"}
    summary_table = Table(
        "summary", f"Every outcome at every design point: estimate and {conf} interval", summary,
        pooled=sample, keys=(POINT, "point_id", *params, "outcome"), group="outcome",
        notes={**interval, "outcome": "the outcome, with its unit (the CSV version of this "
               "table gives its column in runs.parquet)"},
        **names.layout(summary, blocks=True),
        hidden=("unit", "interval", *names.hidden, *(("point_id",) if params else ())),
    )
    if results.scattered and not results.design.kind.is_sample:
        # One row per outcome and point of a scattered design: thousands of rows, for re-use
        # (summary_by_point.csv), not print; the printed summary pools the design.
        yield replace(summary_table, stem=BY_POINT_STEM, printable=False), ""
        summary = summarise(results, confidence, pooled=True)
        summary_table = replace(summary_table, frame=summary, pooled=design_sentence(results),
                                keys=("outcome",), blocks=(), hidden=("point_id", "unit", "interval"))
    yield summary_table, ""
    key = key_table(summary)
    yield Table(
        KEY_STEM, f"Key outcomes at each design point: estimate [{conf} interval]", key,
        pooled=summary_table.pooled, keys=(POINT, "point_id", *params),
        notes={**{o: doc(o) for o in key.columns if o in summary["outcome"].to_numpy()},
               **{f"{o}_low": interval["low"] for o in key.columns}},
        **names.layout(key, blocks=False),
        hidden=("point_id", *names.hidden) if params or names.column else (),
    ), ""
    yield from rivalry_comparisons(results, confidence, by)
    yield guarded(lambda: Table(
        "heed_regression",
        "Logistic regression of heeding a delivered warning on the dyad's rivalry and every "
        f"swept parameter ({_cluster_text(results)}-clustered standard errors, {conf} intervals)",
        compare.heed_regression(results, confidence), keys=("term",),
        pooled="nothing is pooled: each swept parameter is a regressor",
        notes={"odds_ratio": "odds ratio of heeding per unit of the term (exp of the coefficient)",
               "or_low": f"lower bound of the odds ratio's {conf} interval"},
    ))
    yield from sensitivity_tables(results, confidence)


@dataclass(frozen=True, slots=True)
class PointNames:
    """How the printed tables name design points and blocks of rows.

    A grid's points are named by their parameter values (columns, or block headings). A
    points design that sets more than :data:`MAX_NAMED_COLUMNS` parameters (the decomposition:
    one mechanism switched off per point) would need as many columns; its points are named
    instead by how they differ from the *reference*: every parameter at its most common value
    across the points, which a note spells out.
    """

    column: str | None = None
    labels: dict[Any, str] = field(default_factory=dict)
    reference: str = ""
    hidden: tuple[str, ...] = ()
    params: tuple[str, ...] = ()

    @classmethod
    def of(cls, results: Results, params: list[str]) -> PointNames:
        varying = [p for p in params if results.ok[p].nunique() > 1]
        if results.design.kind is not DesignKind.POINTS or len(varying) <= MAX_NAMED_COLUMNS \
                or results.scattered:
            return cls(params=tuple(params))
        points = results.ok.groupby("point_id", sort=True)[varying].first()
        labels, reference = difference_labels(points)
        return cls(POINT, labels, reference, tuple(params), tuple(params))

    def layout(self, frame: pd.DataFrame, *, blocks: bool) -> dict[str, Any]:
        """Table fields for a frame with a ``point_id`` column: the point's name as a column
        (or block heading) instead of its parameters, or the parameters as block headings."""
        if self.column is None:
            return {"blocks": self.params if blocks else ()}
        if "point_id" in frame and self.column not in frame:
            frame.insert(1, self.column, frame["point_id"].map(self.labels))
        return {"blocks": (self.column,) if blocks else ()}

    @property
    def sentence(self) -> str:
        return (f"points named by how they differ from the reference, {self.reference}"
                if self.column else "")


MAX_NAMED_COLUMNS = 3
"""A points design varying more parameters than this names its points (see PointNames)."""
POINT = "design_point"
BY_POINT_STEM = "summary_by_point"
"""The per-point summary of a scattered design: CSV only (see ``analyses``)."""


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
        parts.append("one block of rows per level of " + " \u00d7 ".join(lower(b) for b in by))
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
    strata = Strata.of(runs, by)
    if strata.reference:
        sentence = "; ".join(t for t in (sentence, strata.reference) if t)
    conf = f"{confidence:.0%}"
    level_note = ("the swept rivalry between blocs" if spec.by_parameter
                  else "rivalry band of the dyad when the warning was judged (low below 1/3, "
                  "mid below 2/3, high from 2/3)")
    notes = {spec.name: level_note, "low": f"lower bound of the {conf} clustered Wilson interval",
             "high": f"upper bound of the {conf} clustered Wilson interval"}
    levels = pd.concat([
        compare.rate_by_level(spec.cells(g), confidence).rename(columns={"level": spec.name})
        .assign(**strata.columns(labels)) for labels, g in blocks
    ], ignore_index=True)
    levels = levels[[*strata.leading, *[c for c in levels.columns if c not in strata.leading]]]
    if not spec.by_parameter:  # the bands by name (the trend test needed them as 0, 1, 2)
        levels[spec.name] = levels[spec.name].map(dict(enumerate(BANDS)))
    yield Table(
        "heed_by_rivalry",
        f"Heed rate by rivalry level, {conf} clustered Wilson intervals "
        f"(clusters: {_cluster_text(results)}s)",
        levels, pooled=sentence, keys=(*strata.blocks, spec.name), notes=notes,
        blocks=strata.blocks, hidden=strata.hidden,
    ), ""
    rows = []
    for labels, group in [({}, runs)] + [(lb, g) for lb, g in blocks if by]:
        try:
            trend: dict[str, Any] = asdict(compare.trend_test(spec.cells(group), confidence))
        except UserError as exc:
            trend = {"note": str(exc)}
        rows.append({"stratum": strata.name(labels), **strata.columns(labels, point=False), **trend})
    trend_pooled = "the row all pools over " + (
        ", ".join(f"{lower(p)} ({runs[p].nunique()} levels)" for p in spec.strata) or "nothing"
    )
    if by:
        trend_pooled += "; the other rows are one level of " + " \u00d7 ".join(lower(b) for b in by) + " each"
        if strata.reference:
            trend_pooled += f"; {strata.reference}"
    elif pooled:
        trend_pooled = sentence
    frame = pd.DataFrame(rows)
    yield Table(
        "heed_trend",
        f"Linear trend of the heed rate in {spec.name.replace('_', ' ')} (cluster-robust, "
        f"{conf} intervals)", frame, pooled=trend_pooled, keys=("stratum",),
        notes={"low": f"lower bound of the slope's {conf} interval",
               "high": f"upper bound of the slope's {conf} interval",
               "trials": "delivered warnings in the stratum"},
        hidden=tuple(by),
    ), ""
    pairs = pd.concat([
        compare.pairwise(spec.cells(g), confidence).rename(columns={"level_a": "a", "level_b": "b"})
        .assign(**strata.columns(labels)) for labels, g in blocks
    ], ignore_index=True)
    pairs = pairs[[*strata.leading, *[c for c in pairs.columns if c not in strata.leading]]]
    if not spec.by_parameter:
        pairs[["a", "b"]] = pairs[["a", "b"]].apply(lambda c: c.map(dict(enumerate(BANDS))))
    holm = "Holm's adjustment within each block" if by else "Holm's adjustment over all pairs"
    yield Table(
        "heed_pairwise",
        f"Pairwise differences in heed rate between {spec.name.replace('_', ' ')} levels "
        f"(b \u2212 a), paired by {_cluster_text(results)}; {holm}",
        pairs, pooled=sentence, keys=(*strata.blocks, "a", "b"), blocks=strata.blocks,
        hidden=strata.hidden,
    ), ""


@dataclass(frozen=True, slots=True)
class Strata:
    """How the rivalry tables name a block of rows (one level of each ``by`` factor): by
    the factors' values (block headings in print) while they are few, else by how the block
    differs from the reference (see :class:`PointNames`)."""

    by: tuple[str, ...]
    labels: dict[tuple, str] = field(default_factory=dict)
    reference: str = ""

    @classmethod
    def of(cls, runs: pd.DataFrame, by: list[str]) -> Strata:
        if len(by) <= MAX_NAMED_COLUMNS:
            return cls(tuple(by))
        combos = runs.groupby(by, sort=True)[by].first().reset_index(drop=True)
        names, reference = difference_labels(combos)
        labels = {tuple(row): names[i] for i, row in combos.iterrows()}
        return cls(tuple(by), labels, f"blocks named by how they differ from the reference, {reference}")

    @property
    def blocks(self) -> tuple[str, ...]:
        return (POINT,) if self.labels else self.by

    @property
    def hidden(self) -> tuple[str, ...]:
        return self.by if self.labels else ()

    @property
    def leading(self) -> list[str]:
        return [*self.blocks, *self.hidden]

    def columns(self, labels: dict[str, Any], *, point: bool = True) -> dict[str, Any]:
        """The block's factor values (and its name, when named) as columns."""
        if self.labels and point and labels:
            return {POINT: self.labels[tuple(labels[b] for b in self.by)], **labels}
        return dict(labels)

    def name(self, labels: dict[str, Any]) -> str:
        """'all' for the pooled row, else the block's name or its factor values."""
        if not labels:
            return "all"
        if self.labels:
            return self.labels[tuple(labels[b] for b in self.by)]
        return "; ".join(f"{name_of(b)} {plain_value(labels[b])}" for b in self.by)


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
            blocks=("outcome",),
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
    rule = (f"influential: the lower end of \u03bc*'s interval above the noise and \u03bc* at least "
            f"{morris.RELATIVE_CUT:g} of the outcome's largest")
    yield Table(
        "morris", f"Morris elementary effects per outcome ({r} trajectories, "
        f"{results.design.levels} levels) with {conf} bootstrap intervals over trajectories, "
        "ranked by \u03bc*", frame, keys=("outcome", "parameter"), blocks=("outcome",),
        pooled="replications of a design point are averaged first (rates pooled); effects are "
        "per normalised range (the change in the outcome across the parameter's sampled range)",
        notes={"influential": rule},
    ), "; ".join(notes)
    yield Table(
        "morris_screen", "Morris screening: the parameters kept (influential for at least one "
        f"of {', '.join(lower(o) for o in sorted(frame['outcome'].unique()))})",
        morris.screen_table(frame),
        keys=("parameter",), notes={"relative": "largest \u03bc* over the outcomes, as a share of "
                                    "that outcome's largest \u03bc*"},
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
