"""Human names for columns, axes and captions, derived from the declarations.

A paper's table header or axis label reads "Heed rate (share)", not ``heed_rate``. Parameters
and outcomes take their label from their declaration (:data:`sim.params.PARAMETERS`,
:data:`sim.outcomes.BY_NAME`, a scenario factor's :func:`sim.scenarios.factor`: a ``label``
attribute when the declaration has one, else a readable form of the name) and their unit from
it too. Columns the analysis itself adds
(``rate``, ``low``, ``clusters``...) are described here, once, so every table's caption can
explain each of its columns.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.outcomes import BY_NAME, Kind
from sim.params import PARAMETERS, Param, ParameterError
from sim.scenarios import factor, is_dotted, load_scenario


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    """Header and one-line meaning of a column the analysis computes."""

    header: str
    doc: str


ANALYSIS_COLUMNS: dict[str, ColumnDoc] = {
    "scenario": ColumnDoc("Scenario", "the scenario run: a built-in name, or a scenario file as written in the experiment file"),
    "point_id": ColumnDoc("Point", "design point (its runs share point_id in runs.parquet)"),
    "outcome": ColumnDoc("Outcome", "the outcome summarised (warnsim params / run --json names)"),
    "unit": ColumnDoc("Unit", "the outcome's unit"),
    "n": ColumnDoc("Runs", "finished runs behind the row"),
    "mean": ColumnDoc("Estimate", "mean over runs; for a rate the pooled rate (sum of numerators / sum of denominators)"),
    "sd_per_run": ColumnDoc("SD", "standard deviation of the per-run values (run-to-run spread, not a standard error)"),
    "low": ColumnDoc("Low", "lower bound of the interval"),
    "high": ColumnDoc("High", "upper bound of the interval"),
    "interval": ColumnDoc("Interval", "how the interval was computed"),
    "level": ColumnDoc("Level", "level of the factor"),
    "rate": ColumnDoc("Heed rate", "heeded / delivered warnings, pooled over the runs of the row"),
    "runs": ColumnDoc("Runs", "simulation runs pooled in the row"),
    "clusters": ColumnDoc("Clusters", "independent clusters behind the interval: replications in a grid (common random numbers pair runs across points), runs in a sample"),
    "trials": ColumnDoc("Warnings", "delivered warnings (the rate's denominator)"),
    "stratum": ColumnDoc("Stratum", "the runs the row covers: all, or one combination of other swept factors"),
    "slope": ColumnDoc("Slope", "change in heed rate per unit of the level (cluster-robust weighted least squares)"),
    "statistic": ColumnDoc("t", "t statistic of the slope (G \u2212 1 degrees of freedom, G clusters)"),
    "p_value": ColumnDoc("p", "two-sided p-value"),
    "note": ColumnDoc("Note", "why no estimate could be made"),
    "a": ColumnDoc("Level a", "first level of the pair"),
    "b": ColumnDoc("Level b", "second level of the pair"),
    "rate_a": ColumnDoc("Rate a", "pooled heed rate at level a"),
    "rate_b": ColumnDoc("Rate b", "pooled heed rate at level b"),
    "difference": ColumnDoc("Diff.", "risk difference, rate b \u2212 rate a (paired by cluster)"),
    "diff_low": ColumnDoc("Diff. low", "lower bound of the difference's interval"),
    "diff_high": ColumnDoc("Diff. high", "upper bound of the difference's interval"),
    "odds_ratio": ColumnDoc("OR", "odds ratio of heeding, b against a"),
    "or_low": ColumnDoc("OR low", "lower bound of the odds ratio's interval"),
    "or_high": ColumnDoc("OR high", "upper bound of the odds ratio's interval"),
    "p_holm": ColumnDoc("p (Holm)", "p-value adjusted for all pairs of the same table part (Holm)"),
    "term": ColumnDoc("Term", "regressor (dyad rivalry, a swept parameter, or a level against the first)"),
    "coefficient": ColumnDoc("Coef.", "log odds of heeding per unit of the term"),
    "std_error": ColumnDoc("SE", "cluster-robust standard error of the coefficient"),
    "t": ColumnDoc("t", "t statistic (G \u2212 1 degrees of freedom)"),
    "warnings": ColumnDoc("Warnings", "delivered warnings in the regression"),
    "parameter": ColumnDoc("Parameter", "the sampled parameter"),
    "S1": ColumnDoc("S1", "first-order Sobol index: share of variance due to the parameter alone"),
    "S1_low": ColumnDoc("S1 low", "lower bound of S1's bootstrap interval"),
    "S1_high": ColumnDoc("S1 high", "upper bound of S1's bootstrap interval"),
    "ST": ColumnDoc("ST", "total Sobol index: share of variance involving the parameter, interactions included"),
    "ST_low": ColumnDoc("ST low", "lower bound of ST's bootstrap interval"),
    "ST_high": ColumnDoc("ST high", "upper bound of ST's bootstrap interval"),
    "rows": ColumnDoc("Rows", "complete Saltelli rows used"),
    "prcc": ColumnDoc("PRCC", "partial rank correlation of the outcome with the parameter"),
    "points": ColumnDoc("Points", "design points used"),
    "box": ColumnDoc("Box", "PRIM box number (boxes are found one after another, each on the points the earlier ones leave)"),
    "coverage": ColumnDoc("Coverage", "share of all cases of interest that fall in the box"),
    "density": ColumnDoc("Density", "share of the points in the box that are cases of interest"),
    "mass": ColumnDoc("Mass", "share of all design points that fall in the box"),
    "restricted": ColumnDoc("Restricted", "parameters whose range the box restricts"),
    "step": ColumnDoc("Step", "peeling (or pasting) step along the trajectory"),
    "box_low": ColumnDoc("Box low", "lower edge of the box in this parameter"),
    "box_high": ColumnDoc("Box high", "upper edge of the box in this parameter"),
    "range_low": ColumnDoc("Range low", "lowest sampled value of the parameter"),
    "range_high": ColumnDoc("Range high", "highest sampled value of the parameter"),
    "cases": ColumnDoc("Cases", "cases of interest in the box"),
    "mu_star": ColumnDoc("\u03bc*", "mean absolute elementary effect (change in the outcome across the parameter's sampled range): overall influence"),
    "mu_star_low": ColumnDoc("\u03bc* low", "lower bound of \u03bc*'s bootstrap interval"),
    "mu_star_high": ColumnDoc("\u03bc* high", "upper bound of \u03bc*'s bootstrap interval"),
    "mu": ColumnDoc("\u03bc", "mean elementary effect (signed: the direction of a monotone effect)"),
    "mu_low": ColumnDoc("\u03bc low", "lower bound of \u03bc's bootstrap interval"),
    "mu_high": ColumnDoc("\u03bc high", "upper bound of \u03bc's bootstrap interval"),
    "sigma": ColumnDoc("\u03c3", "standard deviation of the elementary effects: interactions or non-linearity"),
    "sigma_low": ColumnDoc("\u03c3 low", "lower bound of \u03c3's bootstrap interval"),
    "sigma_high": ColumnDoc("\u03c3 high", "upper bound of \u03c3's bootstrap interval"),
    "noise": ColumnDoc("Noise", "mean absolute elementary effect replication noise alone would give"),
    "effects": ColumnDoc("Effects", "elementary effects behind the row (one per trajectory)"),
    "relative": ColumnDoc("Relative", "\u03bc* as a share of the outcome's largest \u03bc*"),
    "influential": ColumnDoc("Influential", "the screening counts the parameter as influential for the outcome"),
    "pilot": ColumnDoc("Pilot", "replications of the pilot at the point"),
    "estimate": ColumnDoc("Estimate", "the pilot's estimate (mean, or pooled rate)"),
    "sd": ColumnDoc("SD", "standard deviation of the per-replication contributions"),
    "pilot_width": ColumnDoc("Pilot width", "full width of the pilot's own interval"),
    "replications": ColumnDoc("Replications", "replications needed for the interval width"),
    "replications_low": ColumnDoc("Repl. low", "replications needed if the SD is at the low end of its interval"),
    "replications_high": ColumnDoc("Repl. high", "replications needed if the SD is at the high end of its interval (plan on this)"),
    "kept": ColumnDoc("Kept", "influential for at least one outcome: kept for the Sobol analysis"),
    "influential_for": ColumnDoc("Influential for", "the outcomes for which it is influential"),
    "most_for": ColumnDoc("Most for", "the outcome for which its relative mu* is largest"),
}
"""Columns computed by the analysis (the parameters and outcomes describe themselves)."""

_PLAIN_UNITS = {"", "-"}


def readable(name: str) -> str:
    """``heed_rate_high_rivalry`` -> ``Heed rate high rivalry``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _parameter(name: str) -> Param | None:
    """A model parameter's or scenario factor's (``agency.FSB.capability``) declaration."""
    if name in PARAMETERS:
        return PARAMETERS[name]
    try:
        return factor(name) if is_dotted(name) else None
    except ParameterError:
        return None


def unit_of(name: str) -> str:
    """The declared unit of a parameter or outcome ('' if none); counts are per run."""
    declared = _parameter(name)
    if declared is not None:
        return declared.unit
    if name in BY_NAME:
        out = BY_NAME[name]
        if out.kind in (Kind.COUNT, Kind.AMOUNT) and out.unit:
            words = name_of(name).lower().split()
            return "per run" if out.unit.lower() in words else f"{out.unit} per run"
        return out.unit
    return ""


def name_of(name: str) -> str:
    """The human name without unit: a declaration's ``label`` if it has one, else readable."""
    declaration = _parameter(name) or BY_NAME.get(name)
    text = getattr(declaration, "label", None)
    if text:
        return str(text)
    if name in ANALYSIS_COLUMNS:
        return ANALYSIS_COLUMNS[name].header
    return readable(name)


def header(name: str) -> str:
    """Column header or axis label with unit: ``Heed rate (share)``, ``Rivalry (0-1)``."""
    unit = unit_of(name)
    text = name_of(name)
    if unit in _PLAIN_UNITS or unit.lower() in text.lower().split():  # "Share foiled", not "(share)"
        return text
    return f"{text} ({unit})"


def lower(name: str) -> str:
    """The human name in running text ('pooled over doctrine')."""
    text = name_of(name)
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def doc(name: str) -> str:
    """One-line meaning of a column: the declaration's doc, or the analysis column's."""
    declared = _parameter(name)
    if declared is not None:
        return declared.doc
    if name in BY_NAME:
        return BY_NAME[name].doc
    if name in ANALYSIS_COLUMNS:
        return ANALYSIS_COLUMNS[name].doc
    return readable(name)


def explain_columns(columns: list[str] | tuple[str, ...], overrides: dict[str, str] | None = None) -> str:
    """A caption line explaining every column: ``Columns: Point: ...; Runs: ...``."""
    overrides = overrides or {}
    parts = [f"{header(c)}: {overrides.get(c, doc(c))}" for c in columns]
    return "Columns: " + "; ".join(parts) + "."


SCENARIO = "scenario"
"""The factor whose levels are scenarios (a built-in name or a scenario file's path)."""


def scenario_names(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each scenario a sweep ran, as results record it (a built-in name or a file's path as
    written in the experiment file) -> the scenario's own ``name``, read from the file's text
    the manifest keeps (so a results folder names its scenarios without the files). Two files
    with one name are told apart by their file names."""
    names: dict[str, str] = {}
    for entry in manifest.get("scenarios") or ():
        label = str(entry.get("scenario", ""))
        text = entry.get("text")
        name = None
        if text:
            try:
                name = tomllib.loads(text).get("name")
            except tomllib.TOMLDecodeError:
                name = None
        else:
            try:
                name = load_scenario(label).name
            except UserError:
                name = None
        names[label] = str(name) if isinstance(name, str) and name.strip() else label
    seen: dict[str, int] = {}
    for name in names.values():
        seen[name] = seen.get(name, 0) + 1
    return {label: (f"{name} ({label})" if seen[name] > 1 and name != label else name)
            for label, name in names.items()}


def level_name(value: object, names: Mapping[str, str] | None = None) -> str:
    """A factor's level as a reader sees it: a scenario by its ``name`` (``names`` from
    :func:`scenario_names`), an identifier such as ``warn_all`` as words, ``True`` as yes;
    numbers as they are (tables and figures format those themselves)."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    text = str(value)
    if names and text in names:
        return names[text]
    return text.replace("_", " ") if text.isidentifier() else text


def check_label(check_id: str) -> str:
    """A validation check (or calibration target) by its declared label
    (:data:`sim.validation.suite.CHECKS`): ``wickens_dixon`` -> 'Wickens & Dixon: crossover';
    a per-case entry ``case_<slug>`` by its case; an unknown id made readable."""
    from sim.validation.suite import BY_ID, CASE_PREFIX

    check = BY_ID.get(check_id)
    if check is not None and check.label:
        return check.label
    if check_id.startswith(CASE_PREFIX):
        return "Case: " + check_id.removeprefix(CASE_PREFIX).replace("_", " ").title()
    return readable(check_id)


def plain_value(value: object) -> str:
    """A factor's value in running text: 'yes', 'warn all', '0.0015'."""
    if isinstance(value, bool | np.bool_):
        return level_name(bool(value))
    if isinstance(value, int | float | np.number):
        return f"{float(value):.4g}"
    return level_name(value)


def difference_labels(points: Any) -> tuple[dict[Any, str], str]:
    """Each row of ``points`` (a DataFrame: one design point per row, one column per factor)
    named by the factors in which it differs from the most common value of each ('suspicion
    of rivals 0.05, learning no'; 'reference' for none), and the sentence describing that
    reference. For a points design that changes many factors at once (the decomposition: one
    mechanism switched off per point), where a column per factor would not fit a page."""
    # value_counts keeps a boolean a boolean (mode() may give 1 for True)
    modes = {c: points[c].value_counts(dropna=True).index[0] for c in points.columns}
    labels = {}
    everything = []
    for index, row in points.iterrows():
        differs = [f"{lower(c)} {plain_value(row[c])}" for c in points.columns if row[c] != modes[c]]
        if len(differs) == len(points.columns) > 2:  # too long for a row label: in the note
            labels[index] = "every factor changed"
            everything.append(", ".join(differs))
        else:
            labels[index] = ", ".join(differs) or "reference"
    reference = ("every parameter at its most common value: "
                 + ", ".join(f"{lower(c)} {plain_value(v)}" for c, v in modes.items()))
    if len(everything) == 1:
        reference += f"; every factor changed: {everything[0]}"
    elif everything:  # several such points cannot share a name
        return {i: ", ".join(f"{lower(c)} {plain_value(r[c])}" for c in points.columns
                             if r[c] != modes[c]) or "reference"
                for i, r in points.iterrows()}, reference
    return labels, reference
