"""Expanding an experiment's design into numbered design points.

A design point is a mapping of the swept parameters to values; ``point_id`` is its position in
:attr:`Design.points`. For Saltelli (Sobol') designs the position encodes the structure the
statistics need to estimate Sobol' indices: with base size ``n`` and ``d`` swept parameters,
``block = point_id // n`` (0 = matrix A, 1 = matrix B, ``2 + i`` = AB_i, that is A with column
``i`` taken from B) and ``row = point_id % n``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import params as P
from sim.sweep.experiment import DesignKind, DesignSpec, Experiment, plain
from sim.sweep.seeds import design_stream


@dataclass(frozen=True, slots=True)
class Design:
    """The expanded design: every point's swept values, in ``point_id`` order."""

    kind: DesignKind
    parameters: tuple[str, ...]
    points: tuple[dict[str, Any], ...]
    ranges: dict[str, tuple[float, float]] | None = None
    n: int | None = None
    file: str | None = None
    values: dict[str, tuple[Any, ...]] | None = None

    def describe(self) -> dict[str, Any]:
        """The manifest's ``design`` entry."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "parameters": list(self.parameters),
            "points": len(self.points),
        }
        if self.ranges is not None:
            out["ranges"] = {k: [lo, hi] for k, (lo, hi) in self.ranges.items()}
            out["n"] = self.n
        if self.values is not None:
            out["values"] = {k: [plain(v) for v in vals] for k, vals in self.values.items()}
        if self.file is not None:
            out["file"] = self.file
        return out


def build_design(experiment: Experiment) -> Design:
    """Expand ``experiment.design`` into its points (deterministic given the root seed)."""
    spec = experiment.design
    if spec.kind is DesignKind.GRID:
        names = spec.parameters
        combos = itertools.product(*(vals for _, vals in spec.values))
        points = tuple(dict(zip(names, combo, strict=True)) for combo in combos)
        return Design(spec.kind, names, points, values=dict(spec.values))
    if spec.kind is DesignKind.POINTS:
        points = tuple(dict(zip(spec.columns, row, strict=True)) for row in spec.rows)
        return Design(spec.kind, spec.columns, points, file=spec.file)
    unit = _unit_sample(spec, experiment.seed)
    names = spec.parameters
    scaled = np.column_stack([_scale(unit[:, j], name, lo, hi)
                              for j, (name, lo, hi) in enumerate(spec.ranges)])
    points = tuple({name: _python(scaled[i, j], name) for j, name in enumerate(names)}
                   for i in range(scaled.shape[0]))
    return Design(spec.kind, names, points,
                  ranges={name: (lo, hi) for name, lo, hi in spec.ranges}, n=spec.n)


def _unit_sample(spec: DesignSpec, root: int) -> np.ndarray:
    """Points in the unit cube; for Sobol' the Saltelli stack A, B, AB_0, ..., AB_{d-1}."""
    from scipy.stats import qmc  # half a second to import: only for sampled designs

    d, n = len(spec.ranges), spec.n
    assert n is not None
    rng = design_stream(root)
    if spec.kind is DesignKind.LHS:
        return qmc.LatinHypercube(d, rng=rng).random(n)
    base = qmc.Sobol(2 * d, scramble=True, rng=rng).random(n)
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


def _scale(u: np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    if P.PARAMETERS[name].kind is int:
        # Each of the high - low + 1 integers gets an equal share of the unit interval.
        return np.minimum(low + np.floor(u * (high - low + 1)), high)
    return low + u * (high - low)


def _python(value: np.floating, name: str) -> Any:
    return P.PARAMETERS[name].coerce(int(value) if P.PARAMETERS[name].kind is int else float(value))

