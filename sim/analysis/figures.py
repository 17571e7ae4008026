"""Every figure ``warnsim plot`` draws, by name, drawing one to its files, and :func:`plot`:
one outcome against chosen factors (``warnsim plot DIR --outcome --x --hue --facet``).

The registry sits above the modules that build figures (:mod:`sim.analysis.plots`,
:mod:`sim.analysis.chart` and :mod:`sim.analysis.morris_figure`, which use the house style and
helpers of the first), so none imports another back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure

from sim.analysis.chart import AUTO, Chart, Roles, chart
from sim.analysis.load import Results, load_results
from sim.analysis.morris_figure import morris_scatter
from sim.analysis.plots import (
    FIGURE_EXTENSIONS,
    FORMATS,
    TRUST,
    Drawing,
    FigureResult,
    heatmap,
    heed_vs_dyad_rivalry,
    heed_vs_rivalry,
    outcome_distributions,
    outcomes_vs_parameter,
    save,
    sensitivity_bars,
    style,
    trust_trajectories,
    waiver_reasons,
)
from sim.errors import UserError

FIGURES: dict[str, Callable[[Results], Drawing]] = {
    "heed_vs_rivalry": heed_vs_rivalry,
    "heed_vs_dyad_rivalry": heed_vs_dyad_rivalry,
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


def draw(name: str, results: Results, out_dir: Path,
         formats: Sequence[str] = FIGURE_EXTENSIONS) -> FigureResult:
    """Build figure ``name`` and save it as ``name.<format>`` in ``out_dir`` (PDF and PNG by
    default)."""
    with style():
        fig, message = FIGURES[name](results)
    if fig is None:
        return None, message
    return save(fig, out_dir, name, tuple(formats)), message


@dataclass(frozen=True, slots=True)
class Plot:
    """What :func:`plot` drew: the figure, the factor in each role and those pooled (named in
    the figure's note too), a one-line description, and the files written (if any)."""

    figure: Figure
    roles: Roles
    message: str
    paths: tuple[Path, ...] = ()

    @property
    def pooled(self) -> tuple[str, ...]:
        """Factors that vary in the results but are on no axis, hue or facet."""
        return self.roles.pooled

    @property
    def stem(self) -> str:
        """The file name the figure is saved under: ``heed_rate-by-rivalry-hue-doctrine``."""
        return stem(self.roles)


def stem(roles: Roles) -> str:
    """``OUTCOME-by-X[-hue-H][-facet-F]`` (dots and colons of scenario traits as ``_``)."""
    parts = [roles.outcome, "by", roles.x]
    if roles.hue:
        parts += ["hue", roles.hue]
    if roles.facet:
        parts += ["facet", roles.facet]
    return "-".join(p.replace(".", "_").replace(":", "_") for p in parts)


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """``"png,pdf"`` or ``["png", "pdf"]`` -> ``("png", "pdf")``, checked against FORMATS."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    chosen = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in items if f.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UserError(f"--format: got {','.join(items) or 'nothing'!r}; allowed: a "
                        f"comma-separated list of {', '.join(FORMATS)}")
    return chosen


def plot(results: Results | str | Path, *, outcome: str = "heed_rate", x: str = AUTO,
         hue: str = AUTO, facet: str = AUTO, pool: Iterable[str] | None = None,
         formats: str | Iterable[str] | None = None, out: str | Path | None = None) -> Plot:
    """One outcome against one factor, one series per ``hue`` level, one panel per ``facet``
    level: what ``warnsim plot DIR --outcome --x --hue --facet --format`` draws.

    ``results``: a sweep's results folder, or loaded :class:`~sim.analysis.load.Results`
    (for instance with fewer runs: ``dataclasses.replace(results, runs=results.runs[mask])``).
    ``x``, ``hue``, ``facet``: a factor that varies in the results (a swept parameter,
    ``scenario``, a scenario trait), ``"auto"`` to fill the role from the factors not given
    one, or ``"none"`` (hue and facet) to leave it empty. Every factor left on no role is
    pooled and named in the figure's note and in :attr:`Plot.pooled`; ``pool``, when given,
    lists the factors that may be pooled, and any other would be refused with a
    :class:`~sim.errors.UserError` of one line. ``formats`` (``"png,pdf,svg"``): write the
    figure in these formats into ``out`` (default: the folder's ``figures/``) as
    :attr:`Plot.stem`; without it nothing is written.

    >>> p = plot("results/specificity_rivalry", outcome="heed_rate", x="rivalry")  # doctest: +SKIP
    >>> p.roles.hue, p.pooled  # doctest: +SKIP
    ('specificity_threshold', ())
    """
    loaded = results if isinstance(results, Results) else load_results(results)
    chosen = parse_formats(formats) if formats is not None else ()
    with style():
        drawn: Chart = chart(loaded, outcome, x=x, hue=hue, facet=facet, pool=pool)
    paths: tuple[Path, ...] = ()
    if chosen:
        folder = Path(out) if out is not None else loaded.directory / "figures"
        paths = tuple(save(drawn.figure, folder, stem(drawn.roles), chosen))
    return Plot(drawn.figure, drawn.roles, drawn.message, paths)
