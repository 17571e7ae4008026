"""Statistics, tables and figures from a sweep's results folder (``warnsim analyze`` / ``plot``).

Reads only the files a sweep wrote (``runs.parquet``, ``warnings.parquet``,
``timeseries.parquet``, ``manifest.json``); never imports or runs the model. The names below
load on first use, so importing the package costs nothing::

    from sim.analysis import load_results, contrast

    results = load_results("results/relay")
    results.points_frame()                       # one row per design point
    results.warnings_frame("channel == 'relay'")  # the warning log, filtered
    contrast(results, "liaison.A:C", False, True, where="bloc_pair == 'A:C'").table
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "load_results": "sim.analysis.load",
    "Results": "sim.analysis.load",
    "contrast": "sim.analysis.contrasts",
    "Contrast": "sim.analysis.contrasts",
    "ContrastSpec": "sim.analysis.contrasts",
    "warning_frame": "sim.analysis.frames",
    "point_frame": "sim.analysis.frames",
    "select_warnings": "sim.analysis.frames",
}

__all__ = ["Contrast", "ContrastSpec", "Results", "contrast", "load_results", "point_frame",
           "select_warnings", "warning_frame"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim.analysis' has no attribute {name!r}")
