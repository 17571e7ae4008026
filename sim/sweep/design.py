"""Expanding an experiment's design into numbered design points, lazily.

A design point is a mapping of the swept parameters to values; ``point_id`` is its position in
the design. For Saltelli (Sobol') designs the position encodes the structure the statistics need
to estimate Sobol' indices: with base size ``n`` and ``d`` swept parameters,
``block = point_id // n`` (0 = matrix A, 1 = matrix B, ``2 + i`` = AB_i, that is A with column
``i`` taken from B) and ``row = point_id % n``.

Points are made on demand (:meth:`Design.point`): a grid point is decoded from its number
(mixed radix, first key slowest), a sampled design is kept as one float64 matrix, so a design of
a million points costs megabytes, not a million dictionaries.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from sim.sweep.experiment import DesignKind, DesignSpec, Experiment, declaration, plain
from sim.sweep.seeds import design_stream


@dataclass(frozen=True, slots=True, eq=False)
class Design:
    """The design: its kind, swept parameters and a way to make any point by number.

    ``axes`` holds a grid's value lists, ``matrix`` a sampled design (one row per point,
    already scaled to the ranges), ``rows`` a design CSV's points.
    """

    kind: DesignKind
    parameters: tuple[str, ...]
    size: int
    ranges: dict[str, tuple[float, float]] | None = None
    n: int | None = None
    file: str | None = None
    values: dict[str, tuple[Any, ...]] | None = None
    matrix: np.ndarray | None = None
    rows: tuple[tuple[Any, ...], ...] = ()

    def point(self, point_id: int) -> dict[str, Any]:
        """The swept values of one design point."""
        if not 0 <= point_id < self.size:
            raise IndexError(f"design point {point_id} of {self.size}")
        if self.kind is DesignKind.GRID:
            assert self.values is not None
            out: dict[str, Any] = {}
            rest = point_id
            for name in reversed(self.parameters):  # the last key varies fastest
                axis = self.values[name]
                rest, i = divmod(rest, len(axis))
                out[name] = axis[i]
            return {name: out[name] for name in self.parameters}
        if self.kind is DesignKind.POINTS:
            return dict(zip(self.parameters, self.rows[point_id], strict=True))
        assert self.matrix is not None
        row = self.matrix[point_id]
        return {name: _python(row[j], name) for j, name in enumerate(self.parameters)}

    @property
    def points(self) -> Points:
        """Every point, as a lazy sequence (``len``, indexing, iteration)."""
        return Points(self)

    def describe(self) -> dict[str, Any]:
        """The manifest's ``design`` entry."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "parameters": list(self.parameters),
            "points": self.size,
        }
        if self.ranges is not None:
            out["ranges"] = {k: [lo, hi] for k, (lo, hi) in self.ranges.items()}
            out["n"] = self.n
        if self.values is not None:
            out["values"] = {k: [plain(v) for v in vals] for k, vals in self.values.items()}
        if self.file is not None:
            out["file"] = self.file
        return out


class Points(Sequence[dict[str, Any]]):
    """A design's points made on demand."""

    def __init__(self, design: Design) -> None:
        self._design = design

    def __len__(self) -> int:
        return self._design.size

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._design.point(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return self._design.point(index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._design.point(i) for i in range(len(self)))


def build_design(experiment: Experiment) -> Design:
    """The design of ``experiment`` (deterministic given the root seed); a sampled design is
    drawn here, a grid or a design CSV is only indexed."""
    spec = experiment.design
    if spec.kind is DesignKind.GRID:
        return Design(spec.kind, spec.parameters, spec.points, values=dict(spec.values))
    if spec.kind is DesignKind.POINTS:
        return Design(spec.kind, spec.columns, spec.points, file=spec.file, rows=spec.rows)
    unit = _unit_sample(spec, experiment.seed)
    for j, (name, lo, hi) in enumerate(spec.ranges):
        unit[:, j] = _scale(unit[:, j], name, lo, hi)
    return Design(spec.kind, spec.parameters, unit.shape[0],
                  ranges={name: (lo, hi) for name, lo, hi in spec.ranges}, n=spec.n,
                  matrix=unit)


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
    out = np.empty(((d + 2) * n, d))
    out[:n], out[n:2 * n] = a, b
    for i in range(d):
        block = out[(2 + i) * n:(3 + i) * n]
        block[:] = a
        block[:, i] = b[:, i]
    return out


def _scale(u: np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    if declaration(name).kind is int:
        # Each of the high - low + 1 integers gets an equal share of the unit interval.
        return np.minimum(low + np.floor(u * (high - low + 1)), high)
    return low + u * (high - low)


def _python(value: np.floating, name: str) -> Any:
    spec = declaration(name)
    return spec.coerce(int(value) if spec.kind is int else float(value))
