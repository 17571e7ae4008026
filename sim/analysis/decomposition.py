"""Decomposition of the rivalry gradient by mechanism (``warnsim decompose DIR``).

The gradient is the difference between the heed rates of low-rivalry and high-rivalry dyads
(bands of :mod:`sim.schema`) in the default world, recipient by recipient
(:mod:`sim.analysis.gradient`: the Mantel-Haenszel difference, from the warning log). The decomposition experiment
(``experiments/decomposition.toml``) runs the defaults, each mechanism of
:mod:`sim.mechanisms` switched off alone, and all of them off, on the same seeds (common random
numbers). A mechanism's **share** is ``1 - G_off / G``: the part of the gradient that goes when
it is switched off. Shares need not add up to one (mechanisms interact: suspicion matters only
where fabrications make it rational, for instance); the all-off row shows what is left. The
intervals are percentile bootstraps over replications, resampled jointly across design points so
that the pairing is kept.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.gradient import COUNTS, mantel_haenszel, stratified_counts
from sim.errors import UserError
from sim.mechanisms import MECHANISMS, active, all_off
from sim.params import ModelParams

BASELINE, ALL = "baseline", "all"
BOOTSTRAP = 2000


def design_rows(base: ModelParams | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The decomposition's design points, by name, with every switched parameter's value.

    ``base`` is the parameter set whose gradient is decomposed (default: the defaults); each
    mechanism that is on in it is switched off from it (:meth:`sim.mechanisms.Mechanism.off`;
    one already off, like intelligence diplomacy at the defaults, has no row of its own)."""
    base = base or ModelParams()
    columns = list(dict.fromkeys(k for m in MECHANISMS for k in m.switches))
    defaults = base.to_dict()
    rows = [(BASELINE, {c: defaults[c] for c in columns})]
    rows += [(m.name, {c: m.off(base).get(c, defaults[c]) for c in columns})
             for m in active(base)]
    rows.append((ALL, {c: all_off(base).get(c, defaults[c]) for c in columns}))
    return rows


def design_csv(base: ModelParams | None = None) -> str:
    rows = design_rows(base)
    frame = pd.DataFrame([values for _, values in rows])
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def _label_points(runs: pd.DataFrame, base: ModelParams | None = None) -> pd.Series:
    """Each point's row name, matched on its parameter values (whatever the CSV's row order)."""
    rows = design_rows(base)
    columns = list(rows[0][1])
    missing = [c for c in columns if c not in runs]
    if missing:
        raise UserError(f"not a decomposition sweep: no column {missing[0]!r} in runs.parquet "
                        "(run `warnsim sweep experiments/decomposition.toml`)")
    points = runs.groupby("point_id", sort=True)[columns].first()
    names = {}
    for point_id, values in points.iterrows():
        for name, wanted in rows:
            if all(_same(values[c], v) for c, v in wanted.items()):
                names[point_id] = name
                break
    found = set(names.values())
    absent = [name for name, _ in rows if name not in found]
    if absent:
        raise UserError(f"not a decomposition sweep: no design point for {absent[0]!r} "
                        "(regenerate experiments/decomposition_points.csv)")
    return pd.Series(names)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, bool) or isinstance(a, (bool, np.bool_)):
        return bool(a) == bool(b)
    if isinstance(b, int | float) and not isinstance(b, bool):
        return bool(np.isclose(float(a), float(b)))
    return str(a) == str(b)


def decomposition_table(results, confidence: float = 0.95,
                        base: ModelParams | None = None) -> pd.DataFrame:
    """One row per mechanism (and the baseline and all-off rows): the gradient with it switched
    off, the share of the baseline gradient it explains, and intervals. ``base``: the
    parameter set the sweep decomposed, when it is not the defaults (:func:`design_rows`)."""
    runs = results.ok
    names = _label_points(runs, base)
    runs = runs.assign(row=runs["point_id"].map(names)).dropna(subset=["row"])
    if results.warnings is None:
        raise UserError("the decomposition needs the warning log: the sweep recorded none "
                        "(record_warnings = true in experiments/decomposition.toml)")
    reps = np.sort(runs["replication"].unique())
    if len(reps) < 10:
        raise UserError(f"{len(reps)} replications: the decomposition's intervals need at least 10")
    order = [name for name, _ in design_rows(base)]
    log = results.warnings.merge(runs[["run_id", "row", "replication"]], on="run_id")
    counts = stratified_counts(log, ["replication", "row"])
    counts = counts[counts["row"].isin(order)]
    recipients = sorted(counts["recipient"].unique())
    full = pd.MultiIndex.from_product([reps, order, recipients],
                                      names=["replication", "row", "recipient"])
    counts = counts.set_index(["replication", "row", "recipient"]).reindex(full, fill_value=0.0)
    shape = (len(reps), len(order) * len(recipients))
    flat = np.concatenate([counts[c].to_numpy(float).reshape(shape) for c in COUNTS], axis=1)

    def gradient(weights: np.ndarray) -> np.ndarray:
        """[m, row] gradients from [m, replication] weights (1 for the estimate; the
        multinomial counts of a bootstrap resample otherwise)."""
        totals = (weights @ flat).reshape(len(weights), len(COUNTS), len(order), len(recipients))
        return mantel_haenszel(*(totals[:, k] for k in range(len(COUNTS))))

    point = gradient(np.ones((1, len(reps))))[0]
    rng = np.random.default_rng(0)
    boot = gradient(rng.multinomial(len(reps), np.full(len(reps), 1 / len(reps)), BOOTSTRAP))
    share = 1.0 - point / point[0]
    boot_share = 1.0 - boot / boot[:, :1]
    lo, hi = (1 - confidence) / 2, 1 - (1 - confidence) / 2
    labels = {m.name: (m.label, m.description) for m in MECHANISMS}
    labels |= {BASELINE: ("None (the defaults)", "every mechanism on"),
               ALL: ("All of them", "every mechanism above switched off at once")}
    rows = []
    for j, name in enumerate(order):
        rows.append({
            "mechanism": name, "switched_off": labels[name][0], "meaning": labels[name][1],
            "gradient": point[j], "gradient_low": np.quantile(boot[:, j], lo),
            "gradient_high": np.quantile(boot[:, j], hi),
            "share_explained": share[j], "share_low": np.quantile(boot_share[:, j], lo),
            "share_high": np.quantile(boot_share[:, j], hi),
            "replications": len(reps),
        })
    return pd.DataFrame(rows)

