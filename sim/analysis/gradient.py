"""The rivalry gradient: how much less often a recipient heeds warnings from its rivals than
from its allies, compared recipient by recipient.

The gradient is the Mantel-Haenszel risk difference (Mantel & Haenszel 1959; Greenland &
Robins 1985, whose weights these are) between the heed rate of delivered warnings in the
low-rivalry band and in the high-rivalry band (:func:`sim.schema.band_of`), with each recipient
agency a stratum::

    G = sum_k (a_k n0_k - c_k n1_k) / N_k  /  sum_k n1_k n0_k / N_k

``a_k`` of ``n1_k`` low-band warnings to recipient ``k`` heeded, ``c_k`` of ``n0_k`` high-band
ones, ``N_k = n1_k + n0_k``; a recipient with no warning in either band carries no weight.

Why stratify: the crude difference of pooled rates also compares *different recipients*. In a
scenario of like blocs (``default``) an agency's allies are the other members of its bloc, never
a service of its own profile, while its rivals include one; so the low band over-represents the
recipients whose allies are the most capable senders (the weak services, which heed more), and
the crude difference is positive even in the null world where nothing depends on rivalry
(:func:`sim.mechanisms.all_off`). Within a recipient the comparison is between its own
responses to rivals and to allies, which is what "rivals' warnings are heeded less" means.
The crude difference is kept as a diagnostic (``rivalry_crude`` in the validation report).

Everything here is vectorised over a leading axis so that the bootstraps of
:mod:`sim.validation.statistics` and :mod:`sim.analysis.decomposition` evaluate all their draws
at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.schema import band_of

COUNTS = ("heeded_low", "delivered_low", "heeded_high", "delivered_high")
"""The four counts per stratum, in the order :func:`stratified_counts` returns them."""


def mantel_haenszel(heeded_low: np.ndarray, delivered_low: np.ndarray,
                    heeded_high: np.ndarray, delivered_high: np.ndarray) -> np.ndarray:
    """The Mantel-Haenszel risk difference over the last axis (the strata); NaN where no
    stratum has warnings in both bands."""
    a, n1, c, n0 = (np.asarray(x, dtype=float) for x in
                    (heeded_low, delivered_low, heeded_high, delivered_high))
    total = n1 + n0
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.where(total > 0, (a * n0 - c * n1) / total, 0.0).sum(axis=-1)
        den = np.where(total > 0, n1 * n0 / total, 0.0).sum(axis=-1)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def crude(heeded_low: np.ndarray, delivered_low: np.ndarray, heeded_high: np.ndarray,
          delivered_high: np.ndarray) -> np.ndarray:
    """The crude difference of pooled heed rates (strata summed), NaN where a band is empty."""
    sums = [np.asarray(x, dtype=float).sum(axis=-1)
            for x in (heeded_low, delivered_low, heeded_high, delivered_high)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return sums[0] / sums[1] - sums[2] / sums[3]


def stratified_counts(warnings: pd.DataFrame, unit: str | list[str]) -> pd.DataFrame:
    """The four :data:`COUNTS` per ``unit`` (a column or columns, e.g. ``replication``) and
    recipient, from a warning log (delivered warnings only; other bands are left out).

    Columns: ``unit``, ``recipient`` and :data:`COUNTS`; every unit has a row for every
    recipient that appears anywhere in the log, and every combination of the units' values that
    appear in it (zeros where there was no warning), so that the rows reshape into a
    [unit..., recipient] array (:func:`as_arrays`)."""
    units = [unit] if isinstance(unit, str) else list(unit)
    w = warnings[warnings["delivered_day"] >= 0]
    band = w["rivalry"].map(band_of)
    heeded = w["heeded"].eq(True).astype(float)
    frame = pd.DataFrame({**{u: w[u] for u in units}, "recipient": w["recipient"],
                          "heeded_low": heeded.where(band == "low", 0.0),
                          "delivered_low": (band == "low").astype(float),
                          "heeded_high": heeded.where(band == "high", 0.0),
                          "delivered_high": (band == "high").astype(float)})
    sums = frame.groupby([*units, "recipient"], observed=True)[list(COUNTS)].sum()
    levels = [sorted(warnings[u].unique()) for u in units]
    full = pd.MultiIndex.from_product([*levels, sorted(warnings["recipient"].unique())],
                                      names=[*units, "recipient"])
    return sums.reindex(full, fill_value=0.0).reset_index()


def as_arrays(counts: pd.DataFrame, unit: str | list[str]) -> dict[str, np.ndarray]:
    """:func:`stratified_counts` as arrays [unit..., recipient], one per count."""
    units = [unit] if isinstance(unit, str) else list(unit)
    shape = [counts[u].nunique() for u in [*units, "recipient"]]
    ordered = counts.sort_values([*units, "recipient"])
    return {c: ordered[c].to_numpy(float).reshape(shape) for c in COUNTS}
