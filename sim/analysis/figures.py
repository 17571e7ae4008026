"""Every figure ``warnsim plot`` draws, by name, and drawing one to its files.

The registry sits above the modules that build figures (:mod:`sim.analysis.plots` and
:mod:`sim.analysis.morris_figure`, which uses the house style and helpers of the former), so
neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from sim.analysis.load import Results
from sim.analysis.morris_figure import morris_scatter
from sim.analysis.plots import (
    TRUST,
    Drawing,
    FigureResult,
    heatmap,
    heed_vs_rivalry,
    outcome_distributions,
    outcomes_vs_parameter,
    save,
    sensitivity_bars,
    style,
    trust_trajectories,
    waiver_reasons,
)

FIGURES: dict[str, Callable[[Results], Drawing]] = {
    "heed_vs_rivalry": heed_vs_rivalry,
    "outcomes_vs_parameter": outcomes_vs_parameter,
    "heatmap_heed_rate": partial(heatmap, outcome="heed_rate"),
    f"heatmap_{TRUST}": partial(heatmap, outcome=TRUST),
    "outcome_distributions": outcome_distributions,
    "trust_trajectories": trust_trajectories,
    "waiver_reasons": waiver_reasons,
    "sensitivity": sensitivity_bars,
    "morris": morris_scatter,
}
"""Every figure by name (the CLI's ``--only`` choices), in the order they are drawn."""


def draw(name: str, results: Results, out_dir: Path) -> FigureResult:
    """Build figure ``name`` and save it as ``name.pdf`` and ``name.png`` in ``out_dir``."""
    with style():
        fig, message = FIGURES[name](results)
    if fig is None:
        return None, message
    return save(fig, out_dir, name), message
