"""Sobol indices on the Ishigami function (analytic values known) and PRCC on known functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import qmc

from sim.analysis.load import Design, DesignKind, Results
from sim.analysis.sensitivity import prcc, prcc_table, saltelli_estimates, sobol_table
from sim.errors import UserError

# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic first-order and total indices
# (Ishigami & Homma 1990; values as in Saltelli et al. 2010).
S1 = (0.314, 0.442, 0.0)
ST = (0.558, 0.442, 0.244)


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def saltelli_runs(n: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Ishigami evaluated on a Saltelli design, as the sweep's runs table lays it out."""
    base = -np.pi + 2 * np.pi * qmc.Sobol(6, rng=np.random.default_rng(3)).random(n)
    a, b = base[:, :3], base[:, 3:]
    stack = [a, b]
    for i in range(3):
        ab = a.copy()
        ab[:, i] = b[:, i]
        stack.append(ab)
    x = np.vstack(stack)
    runs = pd.DataFrame(x, columns=["x1", "x2", "x3"]).assign(
        run_id=np.arange(len(x)), point_id=np.arange(len(x)), replication=0, status="ok",
        casualties=ishigami(x),
    )
    return runs, np.array([ishigami(s) for s in stack])


def results_of(runs: pd.DataFrame, kind: DesignKind, n: int | None) -> Results:
    design = Design(kind, ("x1", "x2", "x3"), {k: (-np.pi, np.pi) for k in ("x1", "x2", "x3")}, n)
    return Results(directory=Path("memory"), runs=runs, design=design, manifest={})


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    runs, _ = saltelli_runs(1024)
    table = sobol_table(results_of(runs, DesignKind.SOBOL, 1024), "casualties").set_index("parameter")
    assert table["S1"].to_numpy() == pytest.approx(S1, abs=0.03)
    assert table["ST"].to_numpy() == pytest.approx(ST, abs=0.03)
    s1, st = np.array(S1), np.array(ST)
    assert (table["S1_low"].to_numpy() <= s1).all() and (s1 <= table["S1_high"].to_numpy()).all()
    assert (table["ST_low"].to_numpy() <= st).all() and (st <= table["ST_high"].to_numpy()).all()


def test_estimates_equal_scipy_sobol_indices():
    _, blocks = saltelli_runs(256)
    ours = saltelli_estimates(blocks, np.arange(256))
    ref = stats.sobol_indices(
        func={"f_A": blocks[0][None], "f_B": blocks[1][None], "f_AB": blocks[2:, None, :]}, n=256
    )
    assert ours[0] == pytest.approx(ref.first_order)
    assert ours[1] == pytest.approx(ref.total_order)


def test_replications_are_averaged_before_the_indices():
    runs, _ = saltelli_runs(256)
    noisy = pd.concat([runs.assign(casualties=runs["casualties"] + e, replication=k)
                       for k, e in enumerate((-1.0, 1.0))], ignore_index=True)
    exact = sobol_table(results_of(runs, DesignKind.SOBOL, 256), "casualties")
    averaged = sobol_table(results_of(noisy, DesignKind.SOBOL, 256), "casualties")
    assert averaged["S1"].to_numpy() == pytest.approx(exact["S1"].to_numpy())


def test_sobol_needs_a_sobol_design():
    runs, _ = saltelli_runs(64)
    with pytest.raises(UserError):
        sobol_table(results_of(runs, DesignKind.GRID, None), "casualties")


def test_prcc_ranks_a_monotone_function():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((300, 3)), columns=["up", "down", "none"])
    y = np.exp(4 * x["up"]) - x["down"] ** 3 + 0.01 * rng.normal(size=300)
    table = prcc(x, y).set_index("parameter")
    assert table.at["up", "prcc"] > 0.95
    assert table.at["down", "high"] < -0.5
    assert table.at["none", "low"] < 0 < table.at["none", "high"]
    assert table.at["none", "p_value"] > 0.05


def test_prcc_table_reads_a_latin_hypercube_design():
    x = qmc.LatinHypercube(3, rng=np.random.default_rng(4)).random(100)
    runs = pd.DataFrame(x, columns=["x1", "x2", "x3"]).assign(
        run_id=np.arange(100), point_id=np.arange(100), replication=0, status="ok",
        casualties=10 * x[:, 1] ** 3 + x[:, 0],
    )
    table = prcc_table(results_of(runs, DesignKind.LHS, 100), "casualties").set_index("parameter")
    assert table.at["x2", "prcc"] > 0.95 and table.at["x1", "prcc"] > 0.5
    assert table.at["x3", "low"] < 0 < table.at["x3", "high"]
