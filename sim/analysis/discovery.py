"""Scenario discovery: under which combinations of parameter values does an outcome cross a
threshold? (``warnsim discover``).

**PRIM**, the Patient Rule Induction Method (Friedman & Fisher 1999, *Statistics and
Computing* 9:123), as used for scenario discovery by Bryant & Lempert (2010, *Technological
Forecasting and Social Change* 77:34) and EMA Workbench (Kwakkel 2017, *Environmental
Modelling & Software* 96:239). The cases of interest are the design points whose expected
outcome (mean over replications, rates pooled) is at or above the threshold (or below, with
``below``). Starting from the whole sampled space, each peeling step removes a slice of
``alpha`` (a quantile) of the points still in the box from the low or the high end of one
parameter, whichever leaves the highest share of cases of interest in the box; peeling stops
when the box holds less than ``min_mass`` of all points. Every step is a box on the *peeling
trajectory*, with

* **coverage**: the share of all cases of interest inside the box (how much it explains);
* **density**: the share of the points inside the box that are cases of interest (how
  pure it is);
* **mass**: the share of all points inside the box.

The box reported is the densest one on the trajectory whose coverage is still at least
``min_coverage`` (ties: the larger coverage), the usual trade-off in scenario discovery. It is
"patient" because each step removes only a small slice, so an early step cannot lock in a
poor direction. Further boxes (``boxes`` > 1) are found by the covering approach: the points
of the earlier boxes are set aside and PRIM runs again on the rest, while the rest still holds
cases of interest and the new box is mostly cases (density above one half and above the
rest's base rate). Pasting (re-growing a box after peeling)
is left out: on the smooth responses of a sampled sweep it changes a box by less than a
peeling step. Only numeric parameters take part (a sampled design has no others).

**Contrasts** (``contrast=(factor, a, b)``): with a design that repeats every sample at each
level of a categorical factor (a points design, e.g. every condition under two doctrines), the
outcome of a point is the difference between its value at level ``a`` and at level ``b`` with
the other parameters equal; replications share their seeds across levels (common random
numbers), so the difference is paired. "Under which conditions does warning rivals lower net
harm?" is ``net_harm`` contrasted ``doctrine=non_rivals:warn_all`` at threshold 0.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import UserError


@dataclass(frozen=True, slots=True)
class Box:
    """One box: its limits on every parameter and how well it captures the cases."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    cases: int
    points: int

    def restricted(self, full: dict[str, tuple[float, float]]) -> list[str]:
        """Parameters whose limits are narrower than the full range ``full``."""
        return [p for p, (lo, hi) in self.limits.items()
                if lo > full[p][0] + 1e-12 or hi < full[p][1] - 1e-12]

    def contains(self, x: pd.DataFrame) -> np.ndarray:
        inside = np.ones(len(x), bool)
        for p, (lo, hi) in self.limits.items():
            values = x[p].to_numpy(float)
            inside &= (values >= lo) & (values <= hi)
        return inside


@dataclass(frozen=True, slots=True)
class Trajectory:
    """The boxes of one peeling run, in order, and the one chosen."""

    boxes: list[Box]
    chosen: int

    @property
    def box(self) -> Box:
        return self.boxes[self.chosen]


def peel(x: pd.DataFrame, y: np.ndarray, *, total_cases: int, total_points: int,
         alpha: float = 0.05, min_mass: float = 0.05, min_coverage: float = 0.5) -> Trajectory:
    """One PRIM peeling trajectory over the points ``x`` (numeric columns) with cases ``y``.

    Coverage and mass are relative to ``total_cases`` / ``total_points`` (all points, also
    those set aside by earlier boxes of the covering approach).
    """
    values = {p: x[p].to_numpy(float) for p in x.columns}
    limits = {p: (float(v.min()), float(v.max())) for p, v in values.items()}
    inside = np.ones(len(x), bool)
    boxes = [_box(limits, inside, y, total_cases, total_points)]
    while True:
        best: tuple[float, float, str, tuple[float, float], np.ndarray] | None = None
        n_in = int(inside.sum())
        for p, v in values.items():
            vin = v[inside]
            for side in ("low", "high"):
                if side == "low":  # drop the lowest alpha of the points (at least one value)
                    keep = inside & (v >= np.quantile(vin, alpha))
                    if keep.sum() == n_in:
                        keep = inside & (v > vin.min())
                else:
                    keep = inside & (v <= np.quantile(vin, 1 - alpha))
                    if keep.sum() == n_in:
                        keep = inside & (v < vin.max())
                n_keep = int(keep.sum())
                if n_keep in (0, n_in) or n_keep < min_mass * total_points:
                    continue
                score = (float(y[keep].mean()), n_keep)
                if best is None or score > best[:2]:
                    lo, hi = limits[p]
                    new = (float(v[keep].min()), hi) if side == "low" else (lo, float(v[keep].max()))
                    best = (*score, p, new, keep)
        if best is None:
            break
        _, _, p, new, keep = best
        limits = {**limits, p: new}
        inside = keep
        boxes.append(_box(limits, inside, y, total_cases, total_points))
    eligible = [i for i, b in enumerate(boxes) if b.coverage >= min_coverage] or [0]
    chosen = max(eligible, key=lambda i: (boxes[i].density, boxes[i].coverage))
    return Trajectory(boxes, chosen)


def _box(limits: dict[str, tuple[float, float]], inside: np.ndarray, y: np.ndarray,
         total_cases: int, total_points: int) -> Box:
    cases = int(y[inside].sum())
    points = int(inside.sum())
    return Box(
        limits=dict(limits), coverage=cases / total_cases if total_cases else float("nan"),
        density=cases / points if points else float("nan"), mass=points / total_points,
        cases=cases, points=points,
    )


def prim(x: pd.DataFrame, y: np.ndarray, *, boxes: int = 1, alpha: float = 0.05,
         min_mass: float = 0.05, min_coverage: float = 0.5) -> list[Trajectory]:
    """Up to ``boxes`` PRIM boxes by the covering approach (see the module docstring)."""
    y = np.asarray(y, bool)
    if not 0 < alpha < 0.5:
        raise UserError(f"--alpha: got {alpha}; allowed: a number in (0, 0.5)")
    if not 0 < min_mass < 1:
        raise UserError(f"--min-mass: got {min_mass}; allowed: a number in (0, 1)")
    if not 0 < min_coverage <= 1:
        raise UserError(f"--min-coverage: got {min_coverage}; allowed: a number in (0, 1]")
    total_cases, total_points = int(y.sum()), len(y)
    if total_cases in (0, total_points):
        raise UserError(f"{total_cases} of {total_points} design points are cases of interest; "
                        "PRIM needs some that are and some that are not (change --threshold)")
    found: list[Trajectory] = []
    remaining = np.ones(total_points, bool)
    for _ in range(boxes):
        rest_cases = int(y[remaining].sum())
        if rest_cases == 0 or remaining.sum() < 10:
            break
        base = rest_cases / remaining.sum()
        trajectory = peel(x[remaining].reset_index(drop=True), y[remaining],
                          total_cases=total_cases, total_points=total_points, alpha=alpha,
                          min_mass=min_mass, min_coverage=min_coverage * rest_cases / total_cases)
        if found and trajectory.box.density <= max(0.5, base):
            break  # the rest is noise: a later box must be mostly cases and denser than the rest
        found.append(trajectory)
        remaining &= ~trajectory.box.contains(x)
    return found


# --- from a results folder ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Discovery:
    """PRIM on a results folder: the question, the points, the boxes found."""

    outcome: str
    threshold: float
    below: bool
    x: pd.DataFrame
    y: np.ndarray
    ranges: dict[str, tuple[float, float]]
    trajectories: list[Trajectory]
    dropped: int
    contrast: tuple[str, str, str] | None = None

    @property
    def observed(self) -> dict[str, tuple[float, float]]:
        """Each parameter's lowest and highest sampled value: a box restricts a parameter
        only where peeling moved one of its edges inside these."""
        return {p: (float(self.x[p].min()), float(self.x[p].max())) for p in self.x.columns}

    def edges(self, box: Box, parameter: str) -> tuple[float, float]:
        """The box's edges on ``parameter``, an edge not peeled shown as the sampled range's."""
        (lo, hi), (olo, ohi), (rlo, rhi) = box.limits[parameter], self.observed[parameter], self.ranges[parameter]
        return (rlo if lo <= olo else lo), (rhi if hi >= ohi else hi)

    @property
    def rule(self) -> str:
        what = self.outcome
        if self.contrast is not None:
            factor, a, b = self.contrast
            what = f"{self.outcome}[{factor}={a}] - {self.outcome}[{factor}={b}]"
        return f"{what} {'<=' if self.below else '>='} {self.threshold:g}"

    @property
    def statement(self) -> str:
        """The rule as a reader says it, by the declared labels: 'net harm (death-eq. per
        run) with doctrine non rivals minus with doctrine warn all \u2265 0'."""
        from sim.analysis.labels import header, level_name, lower
        what = header(self.outcome)
        what = what[:1].lower() + what[1:]
        if self.contrast is not None:
            factor, a, b = self.contrast
            what = (f"{what} with {lower(factor)} {level_name(a)} minus with "
                    f"{lower(factor)} {level_name(b)}")
        sign = "\u2264" if self.below else "\u2265"
        return f"{what} {sign} " + f"{self.threshold:g}".replace("-", "\u2212")

    def box_table(self) -> pd.DataFrame:
        """One row per (box, restricted parameter), with the box's statistics."""
        rows = []
        for i, t in enumerate(self.trajectories, start=1):
            box = t.box
            stats = {"box": i, "coverage": box.coverage, "density": box.density,
                     "mass": box.mass, "cases": box.cases, "points": box.points}
            restricted = box.restricted(self.observed) or [None]
            for p in restricted:
                lo, hi = self.edges(box, p) if p else (np.nan, np.nan)
                full = self.ranges[p] if p else (np.nan, np.nan)
                rows.append({**stats, "parameter": p or "(none)", "box_low": lo, "box_high": hi,
                             "range_low": full[0], "range_high": full[1]})
        return pd.DataFrame(rows)

    def trajectory_table(self) -> pd.DataFrame:
        rows = []
        for i, t in enumerate(self.trajectories, start=1):
            for step, box in enumerate(t.boxes):
                rows.append({"box": i, "step": step, "coverage": box.coverage,
                             "density": box.density, "mass": box.mass,
                             "restricted": len(box.restricted(self.observed)),
                             "chosen": step == t.chosen})
        return pd.DataFrame(rows)


def discover(results, outcome: str, threshold: float, *, below: bool = False, boxes: int = 2,
             alpha: float = 0.05, min_mass: float = 0.05, min_coverage: float = 0.5,
             contrast: tuple[str, str, str] | None = None) -> Discovery:
    """PRIM on the design points of a results folder (see the module docstring)."""
    from sim.analysis.sensitivity import point_values
    from sim.outcomes import BY_NAME

    runs = results.ok
    if outcome not in BY_NAME or outcome not in runs:
        numeric = [o for o in BY_NAME if o in runs]
        raise UserError(f"--outcome: {outcome!r} is not an outcome of these runs; allowed: "
                        + ", ".join(numeric))
    params = [p for p in results.design.parameters
              if pd.api.types.is_numeric_dtype(runs[p]) and not pd.api.types.is_bool_dtype(runs[p])
              and runs[p].nunique() > 1]
    if not params:
        raise UserError(f"{results.directory}: no numeric swept parameter varies; nothing to discover")
    x = runs.groupby("point_id", sort=True)[params].first().astype(float)
    value = point_values(runs, outcome).reindex(x.index)
    if contrast is not None:
        x, value = _contrasted(results, x, value, contrast)
    keep = value.notna().to_numpy()
    if keep.sum() < 20:
        raise UserError(f"{int(keep.sum())} design points have a value of {outcome}; PRIM needs at least 20")
    x, value = x[keep].reset_index(drop=True), value[keep].to_numpy(float)
    y = value <= threshold if below else value >= threshold
    ranges = {p: results.design.ranges.get(p, (float(x[p].min()), float(x[p].max()))) for p in params}
    found = prim(x, y, boxes=boxes, alpha=alpha, min_mass=min_mass, min_coverage=min_coverage)
    return Discovery(outcome, threshold, below, x, y, ranges, found, int((~keep).sum()), contrast)


def _contrasted(results, x: pd.DataFrame, value: pd.Series,
                contrast: tuple[str, str, str]) -> tuple[pd.DataFrame, pd.Series]:
    """One row per combination of the numeric parameters: value at level a minus at level b."""
    factor, a, b = contrast
    runs = results.ok
    if factor not in results.design.parameters:
        raise UserError(f"--contrast: {factor!r} is not a swept parameter; allowed: "
                        + ", ".join(results.design.parameters))
    levels = runs.groupby("point_id", sort=True)[factor].first().astype(str).reindex(x.index)
    for level in (a, b):
        if level not in set(levels):
            raise UserError(f"--contrast: {factor} has no level {level!r}; allowed: "
                            + ", ".join(sorted(set(levels))))
    frame = x.assign(_level=levels, _value=value)
    params = list(x.columns)
    wide = frame[frame._level.isin([a, b])].pivot_table(
        index=params, columns="_level", values="_value", aggfunc="mean").dropna()
    if wide.empty:
        raise UserError(f"--contrast: no design point appears at both {factor}={a} and {factor}={b}")
    diff = wide[a] - wide[b]
    return wide.index.to_frame(index=False).astype(float), pd.Series(diff.to_numpy())


def discovery_figure(found: Discovery):
    """The PRIM figure (see :func:`_discovery_figure`), built under the house style."""
    from sim.analysis.plots import style

    with style():
        return _discovery_figure(found)


def _discovery_figure(found: Discovery):
    """Left: the peeling trajectory (coverage against density, colour = parameters
    restricted), the chosen boxes ringed. Right: each chosen box's restricted ranges as a
    share of the sampled range, with the values in the labels."""
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    from sim.analysis.labels import name_of
    from sim.analysis.plots import TWO_COLUMNS, legend_above, new_figure
    from sim.analysis.tables import fixed, minus, significant_decimals

    table = found.box_table()
    rows = table[table["parameter"] != "(none)"]
    wrapped = [textwrap.fill(f"box {row.box}: {name_of(row.parameter)}", 26)
               for row in rows.itertuples()]
    # rows are evenly spaced, so the pitch must hold the tallest label (name lines + values)
    tallest = max((name.count("\n") + 2 for name in wrapped), default=2)
    pitch = max(0.28, 0.12 * tallest)
    fig = new_figure(TWO_COLUMNS, max(2.8, 1.6 + pitch * max(1, len(rows))))
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.15))
    markers = ("o", "s", "^", "D")
    most = max(len(t.boxes[-1].restricted(found.observed)) for t in found.trajectories)
    norm = Normalize(0, max(1, most))
    handles, names = [], []
    for i, t in enumerate(found.trajectories):
        cov = [b.coverage for b in t.boxes]
        den = [b.density for b in t.boxes]
        k = [len(b.restricted(found.observed)) for b in t.boxes]
        image = left.scatter(cov, den, c=k, cmap="viridis", norm=norm, s=9,
                             marker=markers[i % len(markers)], linewidths=0)
        left.scatter([t.box.coverage], [t.box.density], s=60, facecolors="none",
                     edgecolors="C1", linewidths=1.0)
        handles.append(Line2D([], [], linestyle="none", marker=markers[i % len(markers)],
                              color="0.4", markersize=3.5))
        names.append(f"box {i + 1} trajectory")
    handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                          markeredgecolor="C1", markersize=7))
    names.append("box chosen")
    bar = fig.colorbar(image, ax=left, label="Parameters restricted")
    bar.set_ticks(range(max(1, most) + 1))
    left.set(xlabel="Coverage (share of all cases in the box)",
             ylabel="Density (share of the box that are cases)", xlim=(0, 1.02), ylim=(0, 1.02))
    labels = []
    for j, row in enumerate(rows.itertuples()):
        span = row.range_high - row.range_low
        lo = (row.box_low - row.range_low) / span if span else 0.0
        hi = (row.box_high - row.range_low) / span if span else 1.0
        right.barh(j, hi - lo, left=lo, height=0.6, color=f"C{(row.box - 1) % 8}")
        name = wrapped[j]
        decimals = significant_decimals(np.array([row.box_low, row.box_high]))
        labels.append(f"{name}\n" + minus(f"{fixed(row.box_low, decimals)} to "
                                           f"{fixed(row.box_high, decimals)}"))
    if labels:
        right.set_yticks(range(len(labels)), labels, fontsize=6.5)
        right.invert_yaxis()
    else:
        right.set_yticks([])
    right.set(xlim=(0, 1), xlabel="Box range (share of sampled range)")
    note = (f"cases of interest, {int(found.y.sum())} of {len(found.y)} design points: "
            f"{found.statement}")
    legend_above(fig, handles, names, None, note)
    return fig
