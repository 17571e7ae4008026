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

import numpy as np

_DESIGN_KEY = 2**40
"""Spawn key of the design sampler's stream: far beyond any replication's key (0, 1, ...)."""


def replication_seeds(root: int, replications: int) -> list[int]:
    """The integer seed of each replication (shared by every design point)."""
    children = np.random.SeedSequence(root).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def design_stream(root: int) -> np.random.Generator:
    """The random generator that samples the design (independent of every run's stream)."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(_DESIGN_KEY,)))
