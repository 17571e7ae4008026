"""A results folder as the DataFrames the next question needs.

:class:`~sim.analysis.load.Results` holds the files as they are (``runs``, ``warnings``,
``series``). This module adds the views a researcher otherwise writes by hand:

* :func:`warning_frame`: the warning log with each warning's design point, replication and
  swept factors, and the blocs of its sender and recipient (``sender_bloc``,
  ``recipient_bloc``, ``bloc_pair``: the two blocs in sorted order, ``"A:C"``, spelled as
  the scenario factor ``liaison.A:C``), read from the scenarios the manifest records;
* :func:`select_warnings`: the rows a ``--where`` expression keeps, the expression first
  checked against an allow-list (:func:`check_where`) so that it can only compare columns
  with constants: no attribute access, calls or variables, which pandas' ``query`` would
  otherwise evaluate (the explorer page takes the same text from a browser);
* :func:`point_frame`: one row per design point, its swept factors and every outcome (a rate
  pooled over its runs, anything else averaged), with the runs behind it.

Nothing here runs the model: the blocs come from the scenario texts in ``manifest.json`` (a
built-in scenario, whose text a manifest does not copy, from the package's own file).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.outcomes import OUTCOMES, Kind


class Results(Protocol):
    """What these views read of a loaded results folder (:class:`sim.analysis.load.Results`,
    whose methods ``warnings_frame`` and ``points_frame`` call them): declared here, so this
    module does not import the one that imports it."""

    directory: Path
    runs: pd.DataFrame
    manifest: dict[str, Any]
    design: Any
    warnings: pd.DataFrame | None

    @property
    def ok(self) -> pd.DataFrame: ...

RUN_COLUMNS: tuple[str, ...] = ("point_id", "replication", "seed", "scenario")
"""Run identity joined to every warning (``run_id`` is in the log already)."""
BLOC_COLUMNS: tuple[str, ...] = ("sender_bloc", "recipient_bloc", "bloc_pair")
"""Columns derived from the scenarios: where each warning went, by bloc."""
CLASH_PREFIX = "run_"
"""A swept factor whose name is a log column (``rivalry``: the dyad's rivalry in the log, the
parameter in the design) joins the warnings as ``run_rivalry``."""
MAX_WHERE = 500
"""Longest ``--where`` expression accepted (characters)."""

_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_OPERATORS = (ast.BitAnd, ast.BitOr, ast.Add, ast.Sub, ast.Mult, ast.Div)
_UNARY = (ast.Not, ast.USub, ast.UAdd, ast.Invert)
WHERE_GRAMMAR = ("comparisons of columns with numbers, text in quotes, true/false or lists of "
                 "them, joined by and, or, not (e.g. \"channel == 'relay' and rivalry < 0.2\")")


# --- the warning log ---------------------------------------------------------------------

def warning_frame(results: Results) -> pd.DataFrame:
    """Every warning of the finished runs with its run's identity, swept factors (a name the
    log has too gets :data:`CLASH_PREFIX`) and, where the scenarios are known, the blocs of
    its sender and recipient."""
    log = results.warnings
    if log is None:
        raise UserError(f"{results.directory}: no warnings.parquet (the warning log); sweep "
                        "with record_warnings = true")
    factors = [p for p in results.design.parameters if p not in RUN_COLUMNS]
    runs = results.ok[["run_id", *RUN_COLUMNS, *factors]]
    runs = runs.loc[:, ~runs.columns.duplicated()]
    runs = runs.rename(columns={p: CLASH_PREFIX + p for p in factors if p in log.columns})
    frame = log.merge(runs, on="run_id", how="inner", validate="many_to_one")
    blocs = scenario_blocs(results)
    if blocs:
        members = pd.DataFrame([(label, agency, bloc) for label, found in blocs.items()
                                for agency, bloc in found.items()],
                               columns=["scenario", "agency", "bloc"])
        for role in ("sender", "recipient"):
            named = members.rename(columns={"agency": role, "bloc": f"{role}_bloc"})
            frame = frame.merge(named, on=["scenario", role], how="left", validate="many_to_one")
        known = frame["sender_bloc"].notna() & frame["recipient_bloc"].notna()
        low = np.minimum(frame["sender_bloc"].astype(str), frame["recipient_bloc"].astype(str))
        high = np.maximum(frame["sender_bloc"].astype(str), frame["recipient_bloc"].astype(str))
        frame["bloc_pair"] = (pd.Series(low, index=frame.index) + ":"
                              + pd.Series(high, index=frame.index)).where(known)
    return frame


def scenario_blocs(results: Results) -> dict[str, dict[str, str]]:
    """Each scenario label of the runs -> {agency: bloc}, from the scenario texts the manifest
    records (a built-in scenario from the package's file); a scenario that cannot be read is
    left out, and its warnings get no blocs."""
    from sim.scenarios import load_scenario, parse_scenario, scenario_names

    texts: dict[str, str | None] = {}
    for entry in results.manifest.get("scenarios") or ():
        if isinstance(entry, dict) and isinstance(entry.get("scenario"), str):
            texts[entry["scenario"]] = entry.get("text")
    if not texts:
        label = results.manifest.get("experiment", {}).get("scenario")
        if isinstance(label, str):
            texts[label] = results.manifest.get("scenario_text")
    out: dict[str, dict[str, str]] = {}
    for label, text in texts.items():
        try:
            if isinstance(text, str):
                scenario = parse_scenario(text, origin=label)
            elif label in scenario_names():
                scenario = load_scenario(label)
            else:
                continue
        except UserError:
            continue
        out[label] = {a.name: a.bloc for a in scenario.agencies}
    return out


def check_where(expression: str, columns: list[str] | tuple[str, ...] | pd.Index,
                option: str = "--where") -> str:
    """``expression`` in the form pandas evaluates (``true``/``false`` as Python's), if it
    only compares ``columns`` with constants; else a :class:`UserError` naming ``option``,
    the problem and what is allowed."""
    text = expression.strip()
    if not text:
        raise UserError(f"{option}: empty; allowed: {WHERE_GRAMMAR}")
    if len(text) > MAX_WHERE:
        raise UserError(f"{option}: {len(text)} characters; allowed: at most {MAX_WHERE}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise UserError(f"{option}: not a valid expression ({exc.msg}); allowed: "
                        f"{WHERE_GRAMMAR}") from None
    names = set(columns)
    for node in ast.walk(tree):
        _check_node(node, names, option)
    return ast.unparse(_Booleans().visit(tree))


class _Booleans(ast.NodeTransformer):
    """``true`` and ``false`` (as in TOML and the tables) as Python's True and False."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("true", "false"):
            return ast.copy_location(ast.Constant(node.id == "true"), node)
        return node


def _check_node(node: ast.AST, names: set[str], option: str) -> None:
    allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.Compare, ast.BinOp,
               ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
               *_COMPARISONS, *_OPERATORS, *_UNARY)
    if not isinstance(node, allowed):
        what = {ast.Attribute: "attribute access", ast.Call: "a call",
                ast.Subscript: "indexing"}.get(type(node), type(node).__name__)
        raise UserError(f"{option}: {what} is not allowed; allowed: {WHERE_GRAMMAR}")
    if isinstance(node, ast.Name) and node.id not in names and node.id not in ("true", "false"):
        raise UserError(f"{option}: unknown column {node.id!r}; allowed: "
                        + ", ".join(sorted(n for n in names if n.isidentifier())))
    if isinstance(node, ast.Constant) and (
            node.value is None or not isinstance(node.value, str | int | float | bool)):
        raise UserError(f"{option}: constant {node.value!r} is not allowed; allowed: "
                        "numbers, text in quotes, true or false")


def select_warnings(frame: pd.DataFrame, where: str | None, option: str = "--where") -> pd.DataFrame:
    """The rows of ``frame`` (a :func:`warning_frame`) that ``where`` keeps (all without it);
    a comparison with a missing value (a bloc the manifest does not know) keeps no row."""
    if where is None:
        return frame
    text = check_where(where, list(frame.columns), option)
    try:
        mask = frame.eval(text, engine="python")
    except Exception as exc:  # pandas raises many types for an expression it cannot evaluate
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{option}: cannot evaluate {text!r} ({detail})") from None
    if isinstance(mask, pd.Series) and mask.dtype == object:
        try:
            mask = mask.astype("boolean")
        except (TypeError, ValueError):
            pass
    if not (isinstance(mask, pd.Series) and pd.api.types.is_bool_dtype(mask.dtype)):
        raise UserError(f"{option}: {text!r} does not give true or false for each warning; "
                        f"allowed: {WHERE_GRAMMAR}")
    return frame[mask.fillna(False).astype(bool).to_numpy()]


# --- design points -----------------------------------------------------------------------

def point_frame(results: Results, outcomes: list[str] | None = None) -> pd.DataFrame:
    """One row per design point: ``point_id``, the swept factors, ``runs`` (finished runs at
    the point) and each outcome: a rate pooled over the point's runs (sum of numerators over
    sum of denominators, NaN without any), any other outcome or metric averaged over runs."""
    runs = results.ok
    factors = [p for p in dict.fromkeys(results.design.parameters) if p in runs.columns]
    names = outcomes if outcomes is not None else [
        o.name for o in OUTCOMES if o.name in runs.columns] + metric_columns(results)
    groups = runs.groupby("point_id", sort=True)
    frame = groups[factors].first() if factors else pd.DataFrame(index=groups.size().index)
    frame["runs"] = groups.size()
    by_name = {o.name: o for o in OUTCOMES}
    for name in names:
        spec = by_name.get(name)
        if spec is not None and spec.kind is Kind.RATE:
            assert spec.numerator is not None and spec.denominator is not None
            sums = groups[[spec.numerator, spec.denominator]].sum()
            den = sums[spec.denominator].astype(float)
            frame[name] = np.where(den > 0, sums[spec.numerator] / den.where(den > 0), np.nan)
        else:
            frame[name] = groups[name].mean()
    return frame.reset_index()


def metric_columns(results: Results) -> list[str]:
    """The experiment's own ``[metrics]`` columns present in ``runs.parquet``."""
    metrics = results.manifest.get("experiment", {}).get("metrics") or {}
    return [m for m in metrics if m in results.runs.columns]
