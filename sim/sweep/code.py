"""A hash of the code that turns a run's parameters and seed into its rows.

A sweep's fingerprint covers its experiment, design and scenario files; without the model's
code a folder made by an older model would be resumed, or reported finished, by a newer one,
and a paper's figure would mix two models' runs. The hash covers the model package's own
modules and data (``sim/*.py`` and ``sim/data``) and the sweep modules that derive seeds and
build the rows (:mod:`sim.sweep.seeds`, :mod:`sim.sweep.tasks`, :mod:`sim.sweep.tables`). The
command line, the analysis, the figures and the view are left out: changing them changes no
run.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent  # the sim package
_NOT_MODEL = frozenset({"cli.py", "__main__.py", "template.py", "paramtable.py"})
_SWEEP = ("seeds.py", "tasks.py", "tables.py")


def model_files(root: Path = _ROOT) -> list[Path]:
    """The files :func:`model_sha256` hashes in the package at ``root``, in a fixed order."""
    files = [p for p in root.glob("*.py") if p.name not in _NOT_MODEL]
    files += [p for p in (root / "data").rglob("*") if p.is_file()]
    files += [root / "sweep" / name for name in _SWEEP]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


@cache
def model_sha256(root: Path = _ROOT) -> str:
    """SHA-256 over each model file's path (relative to the package) and bytes."""
    digest = hashlib.sha256()
    for path in model_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
