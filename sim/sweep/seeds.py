"""Per-run seeds from one root seed, with common random numbers across design points.

Replication ``k`` of every design point gets the same seed: the ``k``-th child of
``numpy.random.SeedSequence(root).spawn(replications)``. Comparing two design points
replication by replication then holds the model's random draws as nearly fixed as the model
allows (common random numbers), so differences reflect the parameters more than the noise and
paired comparisons need far fewer replications. The integer given to the model (and recorded
in ``runs.parquet``) is 63 bits drawn from the child's state, so it fits a signed int64 column
and two replications practically never collide.

The design sampler (Latin hypercube, Sobol') draws from a separate child of the same root
(:func:`design_stream`), so adding replications never changes the sampled design points.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np

_DESIGN_KEY = 2**40
"""Spawn key of the design sampler's stream: far beyond any replication's key (0, 1, ...)."""


def replication_seeds(root: int, replications: int) -> list[int]:
    """The integer seed of each replication (shared by every design point)."""
    children = np.random.SeedSequence(root).spawn(replications)
    return [_integer(child) for child in children]


def replication_seed(root: int, k: int) -> int:
    """The seed of replication ``k`` alone: ``SeedSequence(root).spawn(n)[k]`` is
    ``SeedSequence(root, spawn_key=(k,))``, so no other child need be made."""
    return _integer(np.random.SeedSequence(root, spawn_key=(k,)))


def _integer(child: np.random.SeedSequence) -> int:
    return int(child.generate_state(1, dtype=np.uint64)[0]) >> 1


class Seeds(Sequence[int]):
    """Every replication's seed, each derived when first asked for and then kept (nine bytes
    a replication), so a million replications cost nothing until they run."""

    def __init__(self, root: int, replications: int) -> None:
        self.root = root
        self._values = np.zeros(replications, dtype=np.int64)
        self._known = np.zeros(replications, dtype=bool)

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, k: int) -> int: ...

    @overload
    def __getitem__(self, k: slice) -> list[int]: ...

    def __getitem__(self, k: int | slice) -> int | list[int]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        if not self._known[k]:
            self._values[k] = replication_seed(self.root, int(k) % len(self))
            self._known[k] = True
        return int(self._values[k])


def design_stream(root: int) -> np.random.Generator:
    """The random generator that samples the design (independent of every run's stream)."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(_DESIGN_KEY,)))
