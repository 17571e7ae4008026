"""Where the results flip: the robustness map (``warnsim robustness DIR``).

Four results of the model are mapped over ``stake_cost`` x ``lethality_scale`` (what acting on
a warning costs per death at stake, and how many deaths are at stake) and the three
least-sourced parameters that drive the results most. A protective action costs
``action_cost x (1 + load / attention_capacity) + stake_cost x`` the deaths a dismissed real
plot of the indicated scale is expected to cause (:func:`sim.consequences.action_cost`); the
fixed part is 0 at the defaults, so ``stake_cost`` carries what ``action_cost`` carried before:
heeding pays at a credibility of about ``stake_cost`` / 0.7 whatever the scale (acting averts
0.6-0.75 of the deaths at stake), and the gradient is steepest in it (docs/ODD.md 4.2 and 7.15).
Because the cost is priced by the stake, ``lethality_scale`` moves the cost of acting and the
harm a heed averts together, so it leaves that credibility where it is; it still moves what a
fabricator gains (the recipient's cost of acting), the lives a sender weighs against its
sources, and the deaths and net harm of the doctrine result:

* the **rivalry gradient** (the validation's ``rivalry`` check: the Mantel-Haenszel heed-rate
  difference between low- and high-rivalry dyads, recipient by recipient,
  :mod:`sim.analysis.gradient`); it holds where it is at least the registered 0.2;
* the **doctrine result in deaths** (the ``doctrine`` check: the share of deaths that warning
  everyone averts against never warning, paired seeds); it holds where it is at least the
  registered 0.107 (a registered check is judged by its registered criterion);
* the **doctrine result in net harm** (never minus warn_all, mean net harm per run, paired
  seeds: the same comparison in the welfare measure, death-equivalents); no criterion is
  registered for it, so it holds where warning averts net harm (> 0);
* the **reliability crossover** (the ``wickens_dixon`` check: where the regression of the
  benefit of choosing over dismissing everything on reliability crosses zero); it holds where
  the crossover lies within the reliabilities studied. (The validation's
  ``wickens_dixon_heed_all`` diagnostic needs the ``heed_all`` arms, which the map does not
  run.)

Each statistic is the validation's own function of :mod:`sim.validation.statistics`, applied
cell by cell, so the map's cell at the defaults reports what ``warnsim validate`` does, with the
same paired bootstrap (replications resampled, 95% percentile intervals).

**Verdict** of a result in a cell: *holds* when its whole 95% interval meets the criterion,
*fails* when the whole interval lies on the other side, *undecided* otherwise (and
*undefined* when the cell's runs do not define the statistic).

**The three parameters** are chosen by a rule fixed before the map was drawn
(:func:`choose`): among the parameters whose default is an assumption (``basis``
``assumption`` in :mod:`sim.params`), the three with the largest Morris ``mu*`` relative to
the outcome's largest (as the Morris tables normalise it), taking for each parameter its
largest over the outcomes these results rest on (:data:`SCREEN_OUTCOMES`); the map's two axes
and the parameters the arms themselves set are excluded. ``scripts/robustness_design.py``
applies it to the Morris screen (``experiments/morris.toml``) and writes the experiments.

**Two sweeps.** The gradient needs the warning log, which for every arm of every cell would
be about 30 times larger than needed; so ``experiments/robustness_gradient.toml`` runs the
default arm of every cell with the log, and ``experiments/robustness.toml`` the doctrine and
reliability arms (as the validation's ``doctrine`` and ``reliability`` studies define them)
without it, on the same root seed (replication k of every point has the same seed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.load import Results, load_results
from sim.analysis.robustness_design import ARM_PARAMETERS, MAP_AXES, arms, tidy
from sim.errors import UserError
from sim.params import PARAMETERS, ModelParams

# --- the results -------------------------------------------------------------------------------

class Verdict(StrEnum):
    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"
    UNDEFINED = "undefined"


class Criterion(StrEnum):
    AT_LEAST = "at_least"  # holds: interval >= threshold; fails: interval < threshold
    ABOVE = "above"  # holds: interval > threshold; fails: interval < threshold
    WITHIN_LEVELS = "within_levels"  # holds: interval within the reliabilities studied


@dataclass(frozen=True, slots=True)
class Finding:
    """A result the map tests: its column stem, label, the registered check whose statistic
    (and, for ``AT_LEAST`` without a threshold, whose lower range end) it uses, the criterion
    and its unit."""

    name: str
    label: str
    check: str
    criterion: Criterion
    unit: str
    claim: str
    threshold: float | None = None

    def limit(self) -> float:
        """The threshold: declared here, or the registered check's lower range end."""
        if self.threshold is not None:
            return self.threshold
        from sim.validation.suite import by_id

        low = by_id()[self.check].range_low
        assert low is not None, self.check
        return float(low)

    def criterion_text(self) -> str:
        if self.criterion is Criterion.WITHIN_LEVELS:
            return "within the levels studied"
        sign = ">=" if self.criterion is Criterion.AT_LEAST else ">"
        return f"{sign} {self.limit():g}"

    def verdict(self, low: float, high: float,  # noqa: PLR0911 (one return per case)
                span: tuple[float, float] = (math.nan, math.nan)) -> Verdict:
        """The verdict from the 95% interval (``span``: the reliabilities studied)."""
        if math.isnan(low) or math.isnan(high):
            return Verdict.UNDEFINED
        if self.criterion is Criterion.WITHIN_LEVELS:
            r_min, r_max = span
            if r_min <= low and high <= r_max:
                return Verdict.HOLDS
            if low > r_max or high < r_min:
                return Verdict.FAILS
            return Verdict.UNDECIDED
        t = self.limit()
        if low >= t if self.criterion is Criterion.AT_LEAST else low > t:
            return Verdict.HOLDS
        if high < t:
            return Verdict.FAILS
        return Verdict.UNDECIDED


FINDINGS: tuple[Finding, ...] = (
    Finding("gradient", "Rivalry gradient", "rivalry", Criterion.AT_LEAST, "heed-rate difference",
            "rivals' warnings are heeded less (gradient at least the registered 0.2)"),
    Finding("doctrine_deaths", "Doctrine: deaths", "doctrine", Criterion.AT_LEAST,
            "share of deaths", "warning everyone averts deaths against never warning (at "
            "least the registered 0.107 of them)"),
    Finding("doctrine_net_harm", "Doctrine: net harm", "doctrine", Criterion.ABOVE,
            "death-equivalents per run",
            "warning everyone averts net harm against never warning", threshold=0.0),
    Finding("crossover", "Reliability crossover", "wickens_dixon", Criterion.WITHIN_LEVELS,
            "reliability", "below some reliability, using warnings does worse than dismissing "
            "them all (a crossover within the reliabilities studied)"),
)
BY_NAME: dict[str, Finding] = {f.name: f for f in FINDINGS}

ARM_OUTCOMES: tuple[str, ...] = ("casualties", "net_harm", "false_alarms", "warnings_sent",
                                 "warnings_heeded", "warnings_delivered", "heeded_high_rivalry",
                                 "delivered_high_rivalry")
"""The outcome columns the doctrine and reliability statistics read."""
GRADIENT_OUTCOMES: tuple[str, ...] = tuple(f"{q}_{b}_rivalry" for q in ("heeded", "delivered")
                                           for b in ("low", "mid", "high"))
WARNING_COLUMNS: tuple[str, ...] = ("run_id", "recipient", "rivalry", "delivered_day", "heeded")
"""The warning-log columns the gradient reads."""
GRADIENT_SUFFIX = "_gradient"
"""The gradient sweep's folder is the map's folder with this suffix (``results/robustness``
and ``results/robustness_gradient``), unless ``--gradient`` names another."""


@dataclass(frozen=True, slots=True)
class Sweeps:
    """The two sweeps of a robustness map, read with only the columns the map needs."""

    arms: Results
    gradient: Results
    factors: tuple[str, ...]
    base: ModelParams


def gradient_folder(directory: Path) -> Path:
    return directory.with_name(directory.name + GRADIENT_SUFFIX)


def _not_map(directory: Path, why: str) -> UserError:
    return UserError(f"{directory}: not a robustness sweep: {why} (run `warnsim sweep "
                     "experiments/robustness.toml` and experiments/robustness_gradient.toml)")


def load_sweeps(directory: Path | str, gradient: Path | str | None = None) -> Sweeps:
    """Read the arms' sweep ``directory`` and the gradient sweep (default: its sibling with
    :data:`GRADIENT_SUFFIX`), checking that they are the two halves of one map."""
    directory = Path(directory)
    gradient = gradient_folder(directory) if gradient is None else Path(gradient)
    arms_results = load_results(directory, columns=ARM_OUTCOMES, warning_columns=())
    swept = arms_results.design.parameters
    absent = [p for p in (*ARM_PARAMETERS, *MAP_AXES) if p not in swept]
    if absent:
        raise _not_map(directory, f"{absent[0]!r} is not swept")
    factors = tuple(p for p in swept if p not in ARM_PARAMETERS)
    _require(arms_results.runs, ARM_OUTCOMES, directory / "runs.parquet")
    if not gradient.is_dir():
        raise UserError(f"{gradient}: no such results folder: the rivalry gradient's sweep "
                        "(run `warnsim sweep experiments/robustness_gradient.toml`, or name "
                        "it with --gradient)")
    gradient_results = load_results(gradient, columns=GRADIENT_OUTCOMES,
                                    warning_columns=WARNING_COLUMNS)
    if set(gradient_results.design.parameters) != set(factors):
        raise _not_map(gradient, f"it sweeps {', '.join(gradient_results.design.parameters)}; "
                       f"the map's cells are over {', '.join(factors)}")
    if gradient_results.warnings is None:
        raise _not_map(gradient, "no warnings.parquet (record_warnings = true)")
    _require(gradient_results.runs, GRADIENT_OUTCOMES, gradient / "runs.parquet")
    _require(gradient_results.warnings, WARNING_COLUMNS, gradient / "warnings.parquet")
    fixed = [r.manifest.get("experiment", {}).get("fixed") or {}
             for r in (arms_results, gradient_results)]
    if fixed[0] != fixed[1]:
        raise UserError(f"{directory} and {gradient}: the two sweeps fix different parameters "
                        f"({fixed[0]} against {fixed[1]}); they must be one map")
    try:
        base = ModelParams().replace(**{k: v for k, v in fixed[0].items() if k in PARAMETERS})
    except UserError as exc:
        raise UserError(f"{directory / 'manifest.json'}: {exc}") from None
    return Sweeps(arms_results, gradient_results, factors, base)


def _require(frame: pd.DataFrame, columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: no column {missing[0]!r}, which the robustness map needs")


def _key(values: Iterable[Any]) -> tuple[Any, ...]:
    """A cell's key from its factor values (floats to 12 significant digits)."""
    return tuple(tidy(float(v)) if isinstance(v, int | float | np.number) else v
                 for v in values)


def _complete(runs: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The runs of the replications whose every run finished (the pairing needs them whole),
    and how many replications were left out."""
    bad = runs.loc[runs["status"] != "ok", "replication"].unique()
    return runs[~runs["replication"].isin(bad)], len(bad)


def _labels(runs: pd.DataFrame, expected: list[tuple[str, dict[str, Any]]],
            directory: Path) -> pd.Series:
    """Each run's arm label, matched on the arm parameters' values."""
    points = runs.groupby("point_id", sort=True)[list(ARM_PARAMETERS)].first()
    names: dict[Any, str] = {}
    for point_id, row in points.iterrows():
        match = [label for label, values in expected
                 if all(_same(row[k], v) for k, v in values.items())]
        if len(match) != 1:
            shown = ", ".join(f"{k}={row[k]}" for k in ARM_PARAMETERS)
            raise _not_map(directory, f"design point {point_id} ({shown}) is none of the "
                           "validation's reliability and doctrine arms")
        names[point_id] = match[0]
    return runs["point_id"].map(names)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, int | float) and not isinstance(b, bool):
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-12))
    return str(a) == str(b)


def robustness_table(sweeps: Sweeps, progress: Callable[[int, int], None] | None = None
                     ) -> pd.DataFrame:
    """One row per cell: the factors' levels, then for every finding its estimate, 95%
    interval and verdict, the reliabilities the crossover is judged within, and the paired
    replications behind the cell (arms and gradient)."""
    from sim.validation.statistics import StudyData

    arms_runs = sweeps.arms.runs
    directory = sweeps.arms.directory
    factors = list(sweeps.factors)
    expected = arms(sweeps.base)
    labels = _labels(arms_runs, expected, directory)
    arms_runs = arms_runs.assign(point=labels)
    grad_runs = sweeps.gradient.runs.assign(point="base")
    assert sweeps.gradient.warnings is not None
    cell_of = grad_runs.set_index("run_id")[factors].apply(_key, axis=1)
    log = sweeps.gradient.warnings
    log = log.assign(cell=log["run_id"].map(cell_of))
    logs = dict(iter(log.groupby("cell", sort=False)))
    gradient_cells = {_key(k if isinstance(k, tuple) else (k,)): g
                      for k, g in grad_runs.groupby(factors, sort=False)}
    rows = []
    groups = list(arms_runs.groupby(factors, sort=True))
    wanted = {label for label, _ in expected}
    for i, (levels, cell_runs) in enumerate(groups):
        key = _key(levels if isinstance(levels, tuple) else (levels,))
        missing = wanted - set(cell_runs["point"])
        if missing:
            raise _not_map(directory, f"the cell {dict(zip(factors, key, strict=True))} has no "
                           f"arm {sorted(missing)[0]!r}")
        if key not in gradient_cells:
            raise _not_map(sweeps.gradient.directory, "no runs for the cell "
                           f"{dict(zip(factors, key, strict=True))}")
        cell_base = sweeps.base.replace(**dict(zip(factors, key, strict=True)))
        runs, dropped = _complete(cell_runs)
        arm_data = StudyData("robustness", sweeps.arms, runs, None,
                             np.sort(runs["replication"].unique()), dropped, cell_base)
        g_runs, g_dropped = _complete(gradient_cells[key])
        g_log = logs.get(key, log.iloc[:0])
        g_log = g_log.merge(g_runs[["run_id", "replication", "point"]], on="run_id")
        grad_data = StudyData("robustness_gradient", sweeps.gradient, g_runs, g_log,
                              np.sort(g_runs["replication"].unique()), g_dropped, cell_base)
        row = dict(zip(factors, key, strict=True))
        row |= cell_findings(arm_data, grad_data)
        row |= {"replications": arm_data.n, "gradient_replications": grad_data.n}
        rows.append(row)
        if progress is not None:
            progress(i + 1, len(groups))
    return pd.DataFrame(rows)


def cell_findings(arm_data, grad_data) -> dict[str, Any]:
    """Every finding's estimate, interval and verdict in one cell, from the validation's
    statistics (arms: a :class:`~sim.validation.statistics.StudyData` labelled with the
    reliability and doctrine studies' points; gradient: the default arm with its log)."""
    from sim.validation.statistics import (
        Undefined,
        crossover_regression,
        doctrine,
        rivalry_gradient_stratified,
    )
    from sim.validation.suite import by_id

    checks = by_id()
    data = {"defaults": grad_data, "doctrine": arm_data, "reliability": arm_data}
    statistics = {"gradient": rivalry_gradient_stratified, "doctrine_deaths": doctrine,
                  "doctrine_net_harm": doctrine_net_harm, "crossover": crossover_regression}
    curves = {"crossover": "benefit"}
    out: dict[str, Any] = {}
    for finding in FINDINGS:
        span = (math.nan, math.nan)
        try:
            m = statistics[finding.name](checks[finding.check], data)
            value, low, high = m.value, m.low, m.high
            if finding.name in curves:
                reliability = m.curves[curves[finding.name]]["reliability"]
                span = (float(reliability.min()), float(reliability.max()))
        except Undefined:
            value = low = high = math.nan
        out |= {finding.name: value, f"{finding.name}_low": low, f"{finding.name}_high": high,
                f"{finding.name}_verdict": finding.verdict(low, high, span).value}
        if finding.name == "crossover":
            out |= {"reliability_min": span[0], "reliability_max": span[1]}
    return out


def doctrine_net_harm(check, data):
    """Net harm averted by warning everyone: mean net harm per run under ``never`` minus under
    ``warn_all`` (death-equivalents), paired seeds; the ``doctrine`` check's comparison in the
    welfare measure (:func:`sim.validation.statistics.doctrine` gives it in deaths)."""
    from sim.validation.statistics import Measurement, Undefined, paired

    d = data["doctrine"]
    cols = {label: d.per_rep(d.at(label), d.at(label)["net_harm"]) for label in ("warn_all", "never")}
    value, low, high, _ = paired(cols, lambda t, n: (t["never"] - t["warn_all"]) / n,
                                 seed=f"{check.id}/net_harm")
    if math.isnan(value[0]):
        raise Undefined("no complete replication")
    details = {f"mean net harm per run, {k}": float(v.mean()) for k, v in cols.items()}
    return Measurement(float(value[0]), float(low[0]), float(high[0]), d.n, details)


# --- in words ------------------------------------------------------------------------------------

def _level(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def _where(cells: pd.DataFrame, mask: pd.Series, factors: Sequence[str]) -> str:
    """The narrowest statement of the levels the ``mask`` cells take, factor by factor
    (only the factors they do not cover entirely), e.g. ``stake_cost <= 0.1 and
    lethality_scale >= 1``."""
    parts = []
    for f in factors:
        levels = sorted(cells[f].unique())
        taken = sorted(cells.loc[mask, f].unique())
        if taken == levels:
            continue
        i, j = levels.index(taken[0]), levels.index(taken[-1])
        if taken != levels[i:j + 1]:
            parts.append(f"{f} in {{{', '.join(_level(v) for v in taken)}}}")
        elif len(taken) == 1:
            parts.append(f"{f} = {_level(taken[0])}")
        elif i == 0:
            parts.append(f"{f} <= {_level(taken[-1])}")
        elif j == len(levels) - 1:
            parts.append(f"{f} >= {_level(taken[0])}")
        else:
            parts.append(f"{_level(taken[0])} <= {f} <= {_level(taken[-1])}")
    return " and ".join(parts)


def _strongest(cells: pd.DataFrame, mask: pd.Series, factors: Sequence[str]) -> str:
    """The factor along which the share of ``mask`` cells changes most, with its share at
    each level (``by stake_cost: 0.05: 100/108, 0.1: ...``)."""
    best, spread = None, -1.0
    for f in factors:
        share = mask.groupby(cells[f]).mean()
        if share.max() - share.min() > spread:
            best, spread = f, float(share.max() - share.min())
    assert best is not None
    counts = mask.groupby(cells[best]).agg(["sum", "size"])
    return f"by {best}: " + ", ".join(f"{_level(level)}: {int(r['sum'])}/{int(r['size'])}"
                                      for level, r in counts.iterrows())


def finding_sentence(table: pd.DataFrame, finding: Finding, factors: Sequence[str],
                     defaults: Mapping[str, Any] | None = None) -> str:
    """Where one finding holds, in words."""
    verdict = table[f"{finding.name}_verdict"]
    n = len(table)
    holds, fails = verdict.eq(Verdict.HOLDS.value), verdict.eq(Verdict.FAILS.value)
    counts = {v: int(verdict.eq(v.value).sum()) for v in Verdict}
    text = (f"{finding.label} ({finding.claim}; criterion {finding.criterion_text()}) holds in "
            f"{counts[Verdict.HOLDS]} of {n} cells, fails in {counts[Verdict.FAILS]} and is "
            f"undecided in {counts[Verdict.UNDECIDED]}")
    if counts[Verdict.UNDEFINED]:
        text += f" (undefined in {counts[Verdict.UNDEFINED]})"
    if counts[Verdict.HOLDS] == n:
        return text + ": everywhere in the map."
    if counts[Verdict.HOLDS]:
        where = _where(table, holds, factors)
        text += (f": only where {where}" if where else ": at every level of every factor, "
                 "though not in every combination")
        text += f" ({_strongest(table, holds, factors)})"
    else:
        text += ": nowhere in the map"
    if counts[Verdict.FAILS]:
        where = _where(table, fails, factors)
        text += "; it fails " + (f"only where {where}" if where else "at every level of "
                                  "every factor in some combination")
    text += "."
    if defaults is not None:
        at = pd.Series(True, index=table.index)
        for f in factors:
            at &= np.isclose(table[f].astype(float), float(defaults[f]))
        if at.sum() == 1:
            row = table[at].iloc[0]
            text += (f" At the defaults it {VERBS[row[f'{finding.name}_verdict']]} "
                     f"({_number(row[finding.name])} [{_number(row[f'{finding.name}_low'])}, "
                     f"{_number(row[f'{finding.name}_high'])}]).")
    return text


VERBS = {Verdict.HOLDS.value: "holds", Verdict.FAILS.value: "fails",
         Verdict.UNDECIDED.value: "is undecided", Verdict.UNDEFINED.value: "is undefined"}


def _number(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "n/a" if math.isnan(x) else f"{x:.3g}"


def summary(table: pd.DataFrame, factors: Sequence[str]) -> str:
    """The map in one paragraph: where each result holds, fails and is undecided (for the
    README and the validation report to quote)."""
    defaults = {f: getattr(ModelParams(), f) for f in factors}
    levels = "; ".join(f"{f} {', '.join(_level(v) for v in sorted(table[f].unique()))}"
                       for f in factors)
    head = (f"Robustness map over {len(table)} cells ({levels}); a result holds in a cell when "
            "its whole 95% bootstrap interval meets the criterion, fails when the whole "
            "interval lies on the other side, and is undecided otherwise.")
    return " ".join([head, *(finding_sentence(table, f, factors, defaults) for f in FINDINGS)])


# --- tables, figure, files -----------------------------------------------------------------------

TABLE_STEMS = ("robustness", "robustness_shares")
FIGURE_STEM = "robustness"
SUMMARY_FILE = "robustness_summary.md"
VALUES_FILE = "robustness_values.csv"
"""Every cell's numbers (estimates, interval ends, verdicts, replications), for reuse."""
VERDICT_COLOURS: dict[str, str] = {
    Verdict.HOLDS.value: "#4477aa", Verdict.UNDECIDED.value: "#dddddd",
    Verdict.FAILS.value: "#ee6677", Verdict.UNDEFINED.value: "#ffffff"}
"""Paul Tol's bright blue and red (colour-blind safe), grey for undecided, white undefined."""


def at_defaults(table: pd.DataFrame, factors: Sequence[str]) -> pd.Series:
    """The cells where every factor is at its default (one, in a map through the defaults)."""
    at = pd.Series(True, index=table.index)
    for f in factors:
        at &= np.isclose(table[f].astype(float), float(getattr(ModelParams(), f)))
    return at


def shares_table(table: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """Per finding: how many cells it holds, fails, is undecided (and undefined, if any) in,
    the share of the map where it holds, and its verdict at the defaults."""
    default = at_defaults(table, factors)
    rows = []
    for finding in FINDINGS:
        verdict = table[f"{finding.name}_verdict"]
        counts = {v.value: int(verdict.eq(v.value).sum()) for v in Verdict}
        rows.append({"result": finding.label, "criterion": finding.criterion_text(), **counts,
                     "share_holds": counts["holds"] / len(table),
                     "at_defaults": verdict[default].iloc[0] if default.sum() == 1 else "n/a"})
    frame = pd.DataFrame(rows)
    # Undefined only when some cell is: the printed table stays narrow enough for one page.
    return frame if frame["undefined"].any() else frame.drop(columns="undefined")


def tables(table: pd.DataFrame, factors: Sequence[str]) -> list:
    """The map as the project's tables (CSV, Markdown, LaTeX): every cell, and the shares."""
    from sim.analysis.tables import Table

    compact = table[list(factors)].copy()
    notes: dict[str, str] = {}
    for f in FINDINGS:
        compact[f.name] = [f"{v}: {_number(x)} [{_number(lo)}, {_number(hi)}]" for v, x, lo, hi
                           in table[[f"{f.name}_verdict", f.name, f"{f.name}_low",
                                     f"{f.name}_high"]].itertuples(index=False)]
        notes[f.name] = (f"{f.label}: verdict ({f.criterion_text()}), estimate ({f.unit}) "
                         "[95% interval]")
    compact["replications"] = table["replications"]
    notes["replications"] = "paired replications of the arms in the cell"
    cells = Table("robustness", "Robustness map: each result's verdict, estimate and 95% "
                  "paired-bootstrap interval in every cell of the map (every number in "
                  f"{VALUES_FILE})", compact, keys=tuple(factors), notes=notes)
    shares = Table("robustness_shares", f"Where each result holds: cells of the map "
                   f"({len(table)}) by verdict", shares_table(table, factors), keys=("result",),
                   notes={"result": "the result mapped", "criterion": "what holding means",
                          "holds": "cells whose whole interval meets the criterion",
                          "fails": "cells whose whole interval lies on the other side",
                          "undecided": "cells whose interval straddles the criterion",
                          "undefined": "cells whose runs do not define the statistic",
                          "share_holds": "holds / cells of the map",
                          "at_defaults": "verdict in the cell of the model's defaults"})
    return [cells, shares]


def _slice_label(row: Mapping[str, Any], chosen: Sequence[str]) -> str:
    moved = [f"{c} = {_level(row[c])}" for c in chosen
             if not math.isclose(float(row[c]), float(getattr(ModelParams(), c)))]
    return "defaults" if not moved else ", ".join(moved)


def figure(table: pd.DataFrame, factors: Sequence[str]):
    """One row of panels per result, one column per slice of the other factors; each panel
    the verdicts over stake_cost (x) and lethality_scale (y), :data:`MAP_AXES`, the defaults'
    cell outlined."""
    from matplotlib.patches import Patch, Rectangle

    from sim.analysis.labels import header
    from sim.analysis.plots import new_figure, wrap
    from sim.params import PARAMETERS

    x_name, y_name = MAP_AXES
    chosen = [f for f in factors if f not in MAP_AXES]
    labels = table.apply(lambda r: _slice_label(r, chosen), axis=1)
    order = ["defaults", *(f"{c} = {_level(v)}" for c in chosen
                           for v in sorted(table[c].unique())
                           if not math.isclose(float(v), float(getattr(ModelParams(), c))))]
    order += [label for label in dict.fromkeys(labels) if label not in order]  # crossed cells
    xs, ys = sorted(table[x_name].unique()), sorted(table[y_name].unique())
    defaults = ModelParams()
    fig = new_figure(7.0, 1.05 * len(FINDINGS) + 1.3)
    axes = fig.subplots(len(FINDINGS), len(order), sharex=True, sharey=True, squeeze=False)
    for i, finding in enumerate(FINDINGS):
        for j, label in enumerate(order):
            ax = axes[i, j]
            part = table[labels == label]
            for _, row in part.iterrows():
                cx, cy = xs.index(row[x_name]), ys.index(row[y_name])
                colour = VERDICT_COLOURS[row[f"{finding.name}_verdict"]]
                ax.add_patch(Rectangle((cx - 0.5, cy - 0.5), 1, 1, facecolor=colour,
                                       edgecolor="white", linewidth=0.6))
            if label == "defaults":
                dx = [k for k, v in enumerate(xs) if math.isclose(v, getattr(defaults, x_name))]
                dy = [k for k, v in enumerate(ys) if math.isclose(v, getattr(defaults, y_name))]
                if dx and dy:
                    ax.add_patch(Rectangle((dx[0] - 0.5, dy[0] - 0.5), 1, 1, fill=False,
                                           edgecolor="black", linewidth=1.2))
            ax.set_xlim(-0.5, len(xs) - 0.5)
            ax.set_ylim(-0.5, len(ys) - 0.5)
            ax.set_aspect("equal")
            ax.set_xticks(range(len(xs)), [_level(v) for v in xs], fontsize=5, rotation=90)
            ax.set_yticks(range(len(ys)), [_level(v) for v in ys], fontsize=5)
            ax.tick_params(length=1.5, pad=1, left=j == 0, bottom=i == len(FINDINGS) - 1)
            for side in ax.spines.values():
                side.set_visible(False)
            if i == 0:
                shown = label
                for name in chosen:  # parameters by their declared labels
                    shown = shown.replace(f"{name} = ", f"{PARAMETERS[name].label} = ")
                ax.set_title(shown.replace(", ", "\n").replace(" = ", "\n= "), fontsize=5.5)
            if j == 0:
                ax.set_ylabel(f"{finding.label}\n{header(y_name)}", fontsize=5.5)
    fig.text(0.5, 0.085, header(x_name) + " (x axis of every panel)", fontsize=6.5,
             ha="center", va="top")
    handles = [Patch(facecolor=c, edgecolor="#999999", linewidth=0.4, label=v)
               for v, c in VERDICT_COLOURS.items()
               if table[[f"{f.name}_verdict" for f in FINDINGS]].eq(v).any(axis=None)]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0),
               ncol=len(handles), fontsize=6, frameon=False)
    fig.get_layout_engine().set(rect=(0, 0.11, 1, 0.845), w_pad=0.01, h_pad=0.01)  # l, b, w, h
    fig.text(0.01, 0.005, wrap("Verdict of each result in each cell from its 95% paired-bootstrap interval "
             "(holds: the whole interval meets the criterion; fails: it lies wholly on the "
             "other side). Columns: the chosen parameters at their defaults, and each moved "
             "alone to an end of its range. Outlined: the model's defaults.", 6.8, 6),
             fontsize=6, fontstyle="italic", va="bottom")
    return fig


def write_map(sweeps: Sweeps, table: pd.DataFrame, out: Path) -> list[Path]:
    """Write the tables, the summary and the figure into ``out`` (tables/, figures/)."""
    from sim.analysis.plots import save
    from sim.analysis.tables import write_table

    made, fig = tables(table, sweeps.factors), figure(table, sweeps.factors)  # then write
    text = "# Robustness map\n\n" + summary(table, sweeps.factors) + "\n"
    paths: list[Path] = []
    for t in made:
        paths += write_table(t, out / "tables")
    table.to_csv(out / "tables" / VALUES_FILE, index=False, lineterminator="\n")
    paths.append(out / "tables" / VALUES_FILE)
    (out / "tables" / SUMMARY_FILE).write_text(text, encoding="utf-8")
    paths.append(out / "tables" / SUMMARY_FILE)
    paths += save(fig, out / "figures", FIGURE_STEM)
    return paths
