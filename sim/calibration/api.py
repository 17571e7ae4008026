"""``warnsim calibrate``: run the calibration file's method and write its results.

``method = "abc-smc"`` goes to :func:`sim.calibration.smc.calibrate_abc` (its module says what
it writes). ``method = "rejection"`` runs the prior sample through the sweep engine, scores it
and writes it up, as follows.

What a rejection calibration writes into its results folder (``results/<name>/`` by default, beside the
sweep's own ``runs.parquet`` and ``manifest.json``):

* ``tables/calibration_targets``: each target's range and the share of points meeting it;
* ``tables/calibration_conflicts``: every pair of targets, the share meeting both, and whether
  they conflict;
* ``tables/calibration_posterior``: each parameter's prior range, default, posterior median and
  5-95% range, best-supported value;
* ``tables/calibration_accepted``: the accepted parameter sets with their statistics;
* ``tables/calibration_points.csv``: every point, every statistic, met or not (for re-analysis);
* ``tables/calibration_confirm``: with ``confirm``, every target's statistic with its 95%
  interval at the defaults and at the best-supported set, over ``confirm`` replications;
* ``figures/posterior_marginals`` and ``figures/posterior_pairs``;
* ``tables/best_params.toml``: the best-supported set, for ``warnsim run --params`` and
  ``params =`` in experiment files;
* ``tables/calibration.md``: all of it in one page.

Re-scored with other settings than the file's (``scale``, ``confirm``), the tables and figures go
to a folder beside them named after those settings (``tolerance-x0.5/tables/``...): see
:func:`variant`.

(A sweep's results folder holds only the sweep's files and these two subfolders.) The
confirmation sweep has its own folder beside it, ``<folder>_confirm/<hash of the two sets>``,
so a changed best-supported set never mixes with the runs of an earlier one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.labels import check_label
from sim.analysis.load import load_results
from sim.analysis.tables import Table, to_markdown, write_table
from sim.calibration.config import Calibration, Method
from sim.calibration.scoring import (
    Scores,
    conflict_table,
    posterior_table,
    score,
    target_table,
    values_at_points,
)
from sim.calibration.smc import AbcOutcome, calibrate_abc
from sim.calibration.statistics import evaluate
from sim.errors import UserError
from sim.paramfile import format_params
from sim.params import PARAMETERS, ModelParams
from sim.sweep import run_experiment
from sim.sweep.experiment import DesignKind, DesignSpec
from sim.sweep.tasks import RunFn

PARAMS_FILE = "best_params.toml"
REPORT_FILE = "calibration.md"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a calibration found and where it wrote it: ``out`` is the sweep's results folder,
    ``written`` the folder holding the ``tables/`` and ``figures/`` written (``out`` itself for
    the file's own settings)."""

    out: Path
    scores: Scores
    best: dict[str, Any]
    accepted_best: bool
    tables: dict[str, Table]
    params_file: Path
    report: Path
    failed_runs: int
    written: Path


def calibrate(calibration: Calibration, *, out: str | Path | None = None,
              workers: int | None = None, dask: Any = None, force: bool = False,
              progress: bool = True, run_fn: RunFn | None = None, scale: float = 1.0,
              confirm: int | None = None) -> Outcome | AbcOutcome:
    """Run (or resume) the calibration and write every output.

    ``run_fn`` replaces the model (tests). For rejection, ``scale`` multiplies every target's
    tolerance (value/tolerance targets) and ``confirm`` overrides the file's
    ``[calibration] confirm``; abc-smc has neither (its tolerance schedule and posterior
    predictive checks take their place).
    """
    if calibration.method is Method.ABC_SMC:
        origin = calibration.experiment.origin
        if scale != 1.0:
            raise UserError(f"{origin}: --tolerance-scale: an option of method rejection; "
                            "abc-smc sets its own tolerances ([calibration] min_epsilon)")
        if confirm is not None:
            raise UserError(f"{origin}: --confirm: an option of method rejection; abc-smc "
                            "checks its posterior by simulation ([calibration] predictive)")
        return calibrate_abc(calibration, out=out, workers=workers, dask=dask, force=force,
                             progress=progress, run_fn=run_fn)
    return _rejection(calibration, out=out, workers=workers, dask=dask, force=force,
                      progress=progress, run_fn=run_fn, scale=scale, confirm=confirm)


def _rejection(calibration: Calibration, *, out: str | Path | None, workers: int | None,
               dask: Any, force: bool, progress: bool, run_fn: RunFn | None, scale: float,
               confirm: int | None) -> Outcome:
    e = calibration.experiment
    summary = run_experiment(e, out=out, workers=workers, dask=dask, force=force,
                             progress=progress, run_fn=run_fn)
    results = load_results(summary.out_dir)
    values = values_at_points(results, calibration)
    scores = score(results, calibration, scale, values)
    ranges = {name: (lo, hi) for name, lo, hi in e.design.ranges}
    best_row = scores.best()
    best = {name: PARAMETERS[name].coerce(_plain(best_row[name])) for name in calibration.parameters}
    tables = _tables(scores, ranges)
    replications = calibration.confirm if confirm is None else confirm
    where = summary.out_dir / variant(scale, None if replications == calibration.confirm
                                      else replications)
    if where != summary.out_dir:  # said even with --quiet: it is where the results are
        print(f"warnsim: re-scored with other settings than the file's: writing to {where}/ "
              f"({summary.out_dir}/tables/ and figures/ keep the file's own)", file=sys.stderr)
    if replications > 0:
        tables["calibration_confirm"] = _confirm(calibration, best, replications, summary.out_dir,
                                                 workers=workers, dask=dask, progress=progress,
                                                 run_fn=run_fn)
    for table in tables.values():
        write_table(table, where / "tables")
    scores.points.to_csv(where / "tables" / "calibration_points.csv", index=False,
                         lineterminator="\n")
    _figures(scores, ranges, where / "figures")
    accepted = bool(best_row["accepted"])
    params_file = where / "tables" / PARAMS_FILE
    params_file.write_text(_params_text(calibration, best, best_row, accepted, scores),
                           encoding="utf-8")
    report = where / "tables" / REPORT_FILE
    report.write_text(_report(calibration, scores, tables, best, accepted), encoding="utf-8")
    return Outcome(summary.out_dir, scores, best, accepted, tables, params_file, report,
                   summary.failed, where)


def variant(scale: float, confirm: int | None) -> Path:
    """Where a calibration's tables and figures go, relative to its results folder: ``.`` for
    the file's own settings (``tables/``, ``figures/``), else a folder named after the
    settings that differ (``tolerance-x0.5``, ``confirm-0``), so that re-scoring never replaces
    the tables of the file's own calibration (which may be committed) with different ones."""
    parts = ([] if scale == 1 else [f"tolerance-x{scale:g}"]) + (
        [] if confirm is None else [f"confirm-{confirm}"])
    return Path("_".join(parts) or ".")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _tables(scores: Scores, ranges: dict[str, tuple[float, float]]) -> dict[str, Table]:
    n, k = len(scores.points), len(scores.accepted)
    scale = "" if scores.scale == 1 else f", tolerances x {scores.scale:g}"
    accepted_cols = ["point_id", *scores.parameters,
                     *[c for t in scores.targets for c in (t.id, f"{t.id}_low", f"{t.id}_high")],
                     "distance"]
    accepted = scores.accepted[accepted_cols].sort_values("distance", kind="stable")
    notes = {"distance": "root mean square over the targets of the distance from each target's "
             "centre, in half-widths of its accepted range (1: at the edge)"}
    for t in scores.targets:
        notes[t.id] = f"{t.statistic.description}; point estimate over the point's replications"
        notes[f"{t.id}_low"] = f"lower end of the 95% bootstrap interval of {t.id}"
        notes[f"{t.id}_high"] = f"upper end of the 95% bootstrap interval of {t.id}"
    return {
        "calibration_targets": Table(
            "calibration_targets", f"Calibration targets: share of the {n} prior points that "
            f"meet each{scale}", target_table(scores), keys=("target",),
            notes={"target": "the target's name in the calibration file",
                   "measure": "the statistic measured at each design point",
                   "accepted_range": "values that meet the target (ends included)",
                   "share_met": "share of all design points meeting the target",
                   "share_met_given_others": "share meeting it among the points meeting every "
                   "other target: low means this target rejects what the others accept",
                   "points_undefined": "design points where the statistic is undefined (a zero "
                   "denominator)", "median_value": "median of the statistic over the points",
                   "source": "where the target's value comes from"}),
        "calibration_conflicts": Table(
            "calibration_conflicts", "Pairs of targets: how often the prior points meet both",
            conflict_table(scores), keys=("target_a", "target_b"),
            notes={"target_a": "first target", "target_b": "second target",
                   "share_a": "share of points meeting a", "share_b": "share meeting b",
                   "share_both": "share meeting both",
                   "lift": "share_both / (share_a x share_b): 1 if independent, below 1 if the "
                   "targets pull the parameters apart",
                   "verdict": "conflict: no point meets both; tension: lift below 0.8"}),
        "calibration_posterior": Table(
            "calibration_posterior", f"Posterior of each calibrated parameter: {k} of {n} "
            f"prior points accepted (every target met{scale})", posterior_table(scores, ranges),
            keys=("parameter",),
            notes={"prior_low": "lower end of the uniform prior", "prior_high": "upper end",
                   "default": "the model's default (sim/params.py)",
                   "posterior_median": "median over the accepted points",
                   "posterior_q05": "5th percentile over the accepted points",
                   "posterior_q95": "95th percentile over the accepted points",
                   "width_share": "(q95 - q05) / prior width: below 1 the targets inform it",
                   "best": "value in the best-supported set (tables/best_params.toml)"}),
        "calibration_accepted": Table(
            "calibration_accepted", f"The {k} accepted parameter sets, closest to the targets "
            "first", accepted, keys=("point_id",), notes=notes,
            headers={t.id: check_label(t.id) for t in scores.targets}),
    }


def _confirm(calibration: Calibration, best: dict[str, Any], replications: int, out: Path,
             **run: Any) -> Table:
    """Run the defaults and the best-supported set with ``replications`` each (same seeds)
    and tabulate every target's statistic with its interval at both."""
    e = calibration.experiment
    params = calibration.parameters
    defaults = ModelParams()
    rows = (tuple(getattr(defaults, p) for p in params), tuple(best[p] for p in params))
    text = ",".join(params) + "\n" + "\n".join(",".join(repr(v) for v in r) for r in rows) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    spec = DesignSpec(kind=DesignKind.POINTS, rows=rows, columns=params,
                      file="(calibration: defaults and best-supported set)", file_sha256=digest,
                      file_text=text)
    confirm = dataclasses.replace(e, name=f"{e.name}_confirm", replications=replications,
                                  design=spec)
    summary = run_experiment(confirm, out=out.with_name(f"{out.name}_confirm") / digest[:12],
                             force=False, **run)
    results = load_results(summary.out_dir)
    frames = []
    for i, t in enumerate(calibration.targets):
        v = evaluate(t.statistic, results, draws=2000, seed=i)
        for pid, label in ((0, "defaults"), (1, "best")):
            at = list(v.point_id).index(pid) if pid in v.point_id else None
            value, low, high = ((v.value[at], v.low[at], v.high[at]) if at is not None
                                else (math.nan,) * 3)
            frames.append({"target": t.id, "set": label, "value": value, "low": low,
                           "high": high, "accepted_range": t.describe(),
                           "met": bool(t.met(np.array([value]))[0])})
    return Table("calibration_confirm", f"Every target at the defaults and at the best-supported "
                 f"set, {replications} replications each (paired seeds), 95% bootstrap "
                 "intervals over replications", pd.DataFrame(frames), keys=("target", "set"),
                 notes={"set": "defaults: sim/params.py; best: best_params.toml",
                        "value": "the statistic, pooled over the replications",
                        "met": "the value lies within the accepted range"})


def _figures(scores: Scores, ranges: dict[str, tuple[float, float]], out: Path) -> None:
    from sim.analysis.plots import save, style
    from sim.calibration.figures import REJECTION_FIGURES

    with style():
        figures = {stem: draw(scores, ranges) for stem, draw in REJECTION_FIGURES.items()}
    for stem, fig in figures.items():
        if fig is not None:
            save(fig, out, stem)


def _params_text(calibration: Calibration, best: dict[str, Any], row: pd.Series,
                 accepted: bool, scores: Scores) -> str:
    e = calibration.experiment
    how = ("the accepted point closest to the targets" if accepted else
           "NO point met every target: this is the point meeting most targets, closest among them")
    comments = [
        f"Best-supported parameter set of `warnsim calibrate {e.origin}` (design point "
        f"{int(row['point_id'])}): {how}.",
        "Targets: " + "; ".join(f"{t.id} = {row[t.id]:.4g} ({t.describe()})"
                                for t in scores.targets) + ".",
        *(["With the calibration's fixed values, so that this file reproduces its world."]
          if e.fixed else []),
        "Use: warnsim run --params FILE, or params = \"FILE\" in an experiment file.",
    ]
    return format_params({**e.fixed, **best}, comments)


def _report(calibration: Calibration, scores: Scores, tables: dict[str, Table],
            best: dict[str, Any], accepted: bool) -> str:
    e = calibration.experiment
    n, k = len(scores.points), len(scores.accepted)
    lines = [f"# Calibration: {e.name}", "", *([e.question, ""] if e.question else []),
        f"Prior: uniform Latin hypercube of {n} points over {len(scores.parameters)} parameters "
        f"({', '.join(scores.parameters)}), {e.replications} replications of {e.days} days each "
        f"({e.scenario} scenario). Rejection: a point is accepted when every target's "
        "statistic, pooled over its replications, lies within the target's range"
        + ("" if scores.scale == 1 else f" (tolerances x {scores.scale:g})") + ".",
        "", f"**{k} of {n} points accepted ({k / n:.1%}).** "
        + ("Best-supported set: the accepted point closest to the targets."
           if accepted else "No point met every target; the set below meets the most."), "",
    ]
    for stem in ("calibration_targets", "calibration_conflicts", "calibration_posterior",
                 "calibration_confirm"):
        if stem in tables:
            t = tables[stem]
            lines += [f"## {t.title}", "", to_markdown(t.frame), ""]
    lines += ["## Best-supported set (tables/best_params.toml)", "",
              "| parameter | best | default |", "|---|---|---|",
              *[f"| {p} | {best[p]:.4g} | {PARAMETERS[p].default:g} |" for p in scores.parameters],
              "", "Figures: ../figures/posterior_marginals.png, ../figures/posterior_pairs.png.", ""]
    return "\n".join(lines)
