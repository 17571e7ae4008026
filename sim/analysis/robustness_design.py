"""The robustness map's design: which parameters it spans, at which levels, with which arms.

``scripts/robustness_design.py`` calls :func:`screen_table` on the Morris screen's sweep
(``experiments/morris.toml``), writes the indices the rule reads to
``experiments/robustness_screen.csv``, and from that file :func:`design_files` writes the two
experiments of the map (:mod:`sim.analysis.robustness` explains them and the rule). Everything
here is deterministic, so a test can check that the committed experiments are what the
committed screen gives.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.analysis.load import Results
from sim.errors import UserError
from sim.params import PARAMETERS, Basis, ModelParams

MAP_AXES: tuple[str, str] = ("stake_cost", "lethality_scale")
"""The map's two axes (x, y of every panel): the cost of acting per death at stake and the
deaths at stake (:mod:`sim.analysis.robustness` says why these two). ``stake_cost`` replaced
``action_cost`` when the cost of protective action was priced by the deaths it covers
(``action_cost`` became its fixed part, 0 at the defaults, where a doubling grid through the
default has a single level)."""
AXIS_STEPS: tuple[int, ...] = (-2, -1, 0, 1)
"""Levels of each axis: its default times 2**k for these k, clipped to its plausible range
(the Morris range): a doubling grid through the default."""
CHOSEN = 3
"""How many further parameters the rule picks."""
SCREEN_OUTCOMES: tuple[str, ...] = ("heed_rate_low_rivalry", "heed_rate_high_rivalry",
                                    "casualties", "net_harm")
"""The outcomes the four results rest on: the heed rates of the two bands the gradient
compares, deaths and net harm."""
ARM_PARAMETERS: tuple[str, ...] = ("false_lead_rate", "fabrication_rate", "response_policy",
                                   "doctrine")
"""What the arms of a cell set (the reliability and doctrine studies of the validation)."""
ARM_POLICIES: tuple[str, ...] = ("model", "dismiss_all")
"""The reliability study's policies the map runs: the crossover compares the recipients' choice
with dismissing every warning (``crossover_regression``); the ``heed_all`` arms serve only a
diagnostic, and leaving them out saves a third of the runs."""
SCREEN_COLUMNS: tuple[str, ...] = ("outcome", "parameter", "basis", "mu_star", "mu_star_low",
                                   "mu_star_high", "noise", "relative")
NAME, GRADIENT_NAME = "robustness", "robustness_gradient"
"""The experiments' names (and so their results folders, ``results/NAME``)."""
SCREEN_FILE = "robustness_screen.csv"
POINTS_FILE = "robustness_points.csv"
GRADIENT_POINTS_FILE = "robustness_gradient_points.csv"
REPLICATIONS = 300
"""Paired replications of every arm of every cell: at the defaults the crossover's 95%
interval fits within the reliabilities studied from about 300-400 replications (a probe of
100, 200 and 400 on the default world); 300 keeps the sweep near ten minutes on two cores."""
GRADIENT_REPLICATIONS = 200
SEED = 2051
"""Root seed of both sweeps: replication k of every point of either has the same seed."""


@dataclass(frozen=True, slots=True)
class Choice:
    """A parameter the rule chose: its score (largest relative mu* over the screen's outcomes),
    the outcome where it is largest, and that outcome's mu* with its 95% interval."""

    parameter: str
    score: float
    outcome: str
    mu_star: float
    mu_star_low: float
    mu_star_high: float


@dataclass(frozen=True, slots=True)
class Design:
    """The map's factors, each with its levels (the two axes first, then the chosen in rank
    order), and the choices behind the last three."""

    factors: tuple[tuple[str, tuple[float, ...]], ...]
    choices: tuple[Choice, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.factors)

    @property
    def cells(self) -> int:
        """Axis combinations times slices (:func:`slices`)."""
        axes = math.prod(len(levels) for _, levels in self.factors[:len(MAP_AXES)])
        return axes * (1 + sum(len(levels) - 1 for _, levels in self.factors[len(MAP_AXES):]))


def screen_table(morris: Results) -> pd.DataFrame:
    """The Morris indices of :data:`SCREEN_OUTCOMES` (:func:`sim.analysis.morris.morris_table`)
    with each parameter's basis: what the rule reads."""
    from sim.analysis.morris import morris_table

    parts = [morris_table(morris, outcome).assign(outcome=outcome) for outcome in SCREEN_OUTCOMES]
    frame = pd.concat(parts, ignore_index=True)
    frame["basis"] = frame["parameter"].map(lambda p: PARAMETERS[p].basis.value)
    return frame[list(SCREEN_COLUMNS)]


def screen_csv(screen: pd.DataFrame) -> str:
    return screen.to_csv(index=False, lineterminator="\n")


def choose(screen: pd.DataFrame, n: int = CHOSEN) -> tuple[Choice, ...]:
    """The rule: the ``n`` parameters with the largest relative mu* (its largest over
    :data:`SCREEN_OUTCOMES`) among those whose default is an assumption, the map's axes and the
    arms' parameters excluded; ties by name."""
    missing = [o for o in SCREEN_OUTCOMES if o not in set(screen["outcome"])]
    if missing:
        raise UserError(f"the Morris screen has no outcome {missing[0]!r}; it needs "
                        f"{', '.join(SCREEN_OUTCOMES)}")
    unknown = sorted(set(screen["parameter"]) - set(PARAMETERS))
    if unknown:
        raise UserError(f"the Morris screen names {unknown[0]!r}, which is not a parameter")
    excluded = {*MAP_AXES, *ARM_PARAMETERS}
    eligible = screen[screen["outcome"].isin(SCREEN_OUTCOMES)
                      & screen["parameter"].map(lambda p: PARAMETERS[p].basis is Basis.ASSUMPTION)
                      & ~screen["parameter"].isin(excluded)]
    best = (eligible.sort_values(["relative", "parameter"], ascending=[False, True], kind="stable")
            .drop_duplicates("parameter").head(n))
    if len(best) < n:
        raise UserError(f"the Morris screen has {len(best)} eligible parameters; the map needs {n}")
    return tuple(Choice(r.parameter, float(r.relative), r.outcome, float(r.mu_star),
                        float(r.mu_star_low), float(r.mu_star_high))
                 for r in best.itertuples())


def tidy(x: float) -> float:
    """A level as a reader would write it (12 significant digits: 0.1 x 3 is 0.3, not
    0.30000000000000004)."""
    return float(f"{x:.12g}")


def axis_levels(name: str, ranges: Mapping[str, Sequence[float]]) -> tuple[float, ...]:
    """An axis's levels: default x 2**k (:data:`AXIS_STEPS`), clipped to the range."""
    low, high = (float(v) for v in ranges[name])
    default = float(PARAMETERS[name].default)
    return tuple(sorted({tidy(min(max(default * 2.0**k, low), high)) for k in AXIS_STEPS}))


def chosen_levels(name: str, ranges: Mapping[str, Sequence[float]]) -> tuple[float, ...]:
    """A chosen parameter's levels: the ends of its plausible range and its default (two
    levels when the default is an end, as ``action_cost``'s 0 is)."""
    low, high = (float(v) for v in ranges[name])
    return tuple(sorted({tidy(low), tidy(float(PARAMETERS[name].default)), tidy(high)}))


def make_design(screen: pd.DataFrame, ranges: Mapping[str, Sequence[float]]) -> Design:
    """The map's factors from the Morris screen and the plausible ranges (``morris.toml``)."""
    choices = choose(screen)
    absent = [p for p in (*MAP_AXES, *(c.parameter for c in choices)) if p not in ranges]
    if absent:
        raise UserError(f"experiments/morris.toml: no range for {absent[0]!r}")
    factors = [(name, axis_levels(name, ranges)) for name in MAP_AXES]
    factors += [(c.parameter, chosen_levels(c.parameter, ranges)) for c in choices]
    return Design(tuple(factors), choices)


def arms(base: ModelParams | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The arms of every cell, by label, with the values of :data:`ARM_PARAMETERS`: the
    validation's ``reliability`` study (each reliability level under the recipients' choice,
    dismiss_all: not heed_all, :data:`ARM_POLICIES`) and its ``doctrine`` study (warn_all, never), as
    :mod:`sim.validation.suite` defines them from ``base``."""
    from sim.validation.suite import STUDY

    base = base or ModelParams()
    plain = {k: getattr(v, "value", v) for k, v in base.to_dict().items()}
    rows = []
    for study in ("reliability", "doctrine"):
        for point in STUDY[study].design(base):
            if point.values.get("response_policy", "model") not in ARM_POLICIES:
                continue
            values = {k: plain[k] for k in ARM_PARAMETERS} | dict(point.values)
            rows.append((point.label, {k: getattr(v, "value", v) for k, v in values.items()}))
    return rows


def slices(design: Design) -> list[dict[str, float]]:
    """The map's slices: the chosen parameters all at their defaults, then each moved alone to
    the low and the high end of its range (the others at their defaults): one at a time, not
    crossed, so the sweep stays near ten minutes (1 + 2 x 3 = 7 slices, not 27; one fewer for
    each chosen parameter whose default is an end of its range)."""
    chosen = design.factors[len(MAP_AXES):]
    default = {name: tidy(float(PARAMETERS[name].default)) for name, _ in chosen}
    out = [default]
    for name, levels in chosen:
        out += [default | {name: level} for level in levels if level != default[name]]
    return out


def cell_grid(design: Design) -> pd.DataFrame:
    """Every cell of the map: each slice (:func:`slices`) at every combination of the axes'
    levels."""
    axes = pd.MultiIndex.from_product([levels for _, levels in design.factors[:len(MAP_AXES)]],
                                      names=list(MAP_AXES)).to_frame(index=False)
    return axes.merge(pd.DataFrame(slices(design)), how="cross")[list(design.names)]


def _csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def points_csv(design: Design) -> str:
    """The arms' design points (every arm in every cell), as ``robustness.toml`` reads them."""
    return _csv(cell_grid(design).merge(pd.DataFrame([v for _, v in arms()]), how="cross"))


def _header(design: Design) -> list[str]:
    """The comment lines both experiments start with: the rule and what it chose."""
    lines = [
        "# Written by scripts/robustness_design.py from experiments/robustness_screen.csv (the",
        "# Morris screen of experiments/morris.toml); do not edit by hand.",
        "#",
        "# Where the results flip (sim/analysis/robustness.py): the rivalry gradient, the doctrine",
        "# result (warn_all against never) in deaths and in net harm, and the reliability crossover,",
        f"# cell by cell over {' x '.join(MAP_AXES)} and the three least-sourced parameters",
        "# that drive them most. The rule, fixed before the map was drawn: among the parameters",
        "# whose default is an assumption (basis in sim/params.py), the three with the largest",
        "# Morris mu* relative to the outcome's largest, taking each parameter's largest over",
        f"# {', '.join(SCREEN_OUTCOMES)}; the map's axes and the parameters",
        f"# the arms set ({', '.join(ARM_PARAMETERS)}) excluded. It chose:",
    ]
    for c in design.choices:
        lines.append(f"#   {c.parameter}: relative mu* {c.score:.3f} for {c.outcome} "
                     f"(mu* {c.mu_star:.4g}, 95% interval {c.mu_star_low:.4g}-{c.mu_star_high:.4g})")
    lines += [
        "# Levels: the axes at default x 2^k (k = -2..1) within the plausible ranges of",
        "# morris.toml; the three chosen at their defaults, and each alone at the ends of its",
        f"# range (one at a time, not crossed: {len(slices(design))} slices).",
        "# Cells: " + " x ".join(f"{len(v)}" for _, v in design.factors[:len(MAP_AXES)])
        + f" x {len(slices(design))} slices = {design.cells}. `warnsim robustness results/{NAME}` reads both sweeps and writes",
        f"# results/{NAME}/tables/robustness.{{csv,md,tex}}, robustness_summary.md and",
        f"# results/{NAME}/figures/robustness.{{png,pdf}}.",
    ]
    return lines


def arms_toml(design: Design) -> str:
    n_arms = len(arms())
    runs = design.cells * n_arms * REPLICATIONS
    lines = [
        *_header(design),
        "#",
        f"# This sweep: the arms of every cell, {n_arms} design points each ({POINTS_FILE}):",
        "# the validation's reliability study (false_lead_rate and fabrication_rate scaled",
        "# together, each level under the recipients' choice and dismiss_all) and its",
        "# doctrine study (warn_all, never). The rivalry gradient needs the warning log, so it",
        f"# has its own sweep ({GRADIENT_NAME}.toml, same seed); this one records none.",
        f"# {design.cells} x {n_arms} = {design.cells * n_arms:,} points x {REPLICATIONS} "
        f"replications = {runs:,} one-year runs.",
        f'name = "{NAME}"',
        'question = "Where do the rivalry gradient, the doctrine result and the reliability '
        'crossover hold, and where do they flip?"',
        'scenario = "default"',
        "days = 365",
        f"replications = {REPLICATIONS}",
        f"seed = {SEED}",
        "record_warnings = false",
        f'design = "{POINTS_FILE}"',
    ]
    return "\n".join(lines) + "\n"


def gradient_toml(design: Design) -> str:
    runs = design.cells * GRADIENT_REPLICATIONS
    lines = [
        *_header(design),
        "#",
        "# This sweep: the default arm of every cell with the warning log, for the rivalry",
        f"# gradient (recipient by recipient, sim/analysis/gradient.py; {GRADIENT_POINTS_FILE}).",
        f"# {design.cells} points x "
        f"{GRADIENT_REPLICATIONS}",
        f"# replications = {runs:,} one-year runs, same root seed as {NAME}.toml.",
        f'name = "{GRADIENT_NAME}"',
        'question = "The rivalry gradient in every cell of the robustness map"',
        'scenario = "default"',
        "days = 365",
        f"replications = {GRADIENT_REPLICATIONS}",
        f"seed = {SEED}",
        "record_warnings = true",
        f'design = "{GRADIENT_POINTS_FILE}"',
    ]
    return "\n".join(lines) + "\n"


def design_files(screen: pd.DataFrame, ranges: Mapping[str, Sequence[float]]) -> dict[str, str]:
    """The files of ``experiments/`` the map needs, by name, from the screen and the ranges."""
    design = make_design(screen, ranges)
    return {f"{NAME}.toml": arms_toml(design), POINTS_FILE: points_csv(design),
            f"{GRADIENT_NAME}.toml": gradient_toml(design),
            GRADIENT_POINTS_FILE: _csv(cell_grid(design))}
