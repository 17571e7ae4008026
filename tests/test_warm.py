"""Compilation never gets in the way of a sweep: its parent compiles or loads every kernel before
its workers start (:func:`sim.run.warm`), so workers inherit the compiled code and never compile
at the same time, and that warm-up reaches every kernel and signature a run uses.

Both checks run in a fresh interpreter and read numba's own record of what each kernel holds
compiled in that process (``Dispatcher.signatures``); nothing is patched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.jit import jit_disabled

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(jit_disabled(), reason="nothing is compiled as plain Python")

_COMPILED = """
import json, sys
from numba.core.registry import CPUDispatcher

def compiled():
    '''Every kernel of the package that holds compiled code in this process, and how many
    signatures.'''
    found = {}
    for name, module in list(sys.modules.items()):
        if name == "sim" or name.startswith("sim."):
            for attr, value in vars(module).items():
                if isinstance(value, CPUDispatcher) and value.signatures:
                    found[value.py_func.__module__ + "." + value.py_func.__qualname__] = len(
                        value.signatures)
    return found
"""

SWEEP = """
name = "warm"
question = "test"
scenario = "default"
days = 30
replications = 4
seed = 3
record_series = true
[grid]
rivalry = [0.1, 0.9]
"""


def _python(code: str, tmp_path: Path) -> dict[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", _COMPILED + code], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_sweep_with_workers_compiles_in_its_parent_first(tmp_path):
    """A two-worker sweep runs no model in its own process: kernels compiled there after it
    can only come from the warm-up before the pool started."""
    (tmp_path / "warm.toml").write_text(SWEEP)
    found = _python(
        "from sim.sweep import run_experiment\n"
        "summary = run_experiment('warm.toml', out='out', workers=2, progress=False)\n"
        "assert summary.ok, summary\n"
        "print(json.dumps(compiled()))\n", tmp_path)
    assert {"sim.engine.run_days", "sim.engine.step_day"} <= found.keys()


def test_the_warm_up_reaches_every_kernel_a_run_uses(tmp_path):
    """After :func:`sim.run.warm`, whole runs, runs observed day by day with every log, runs of
    both scenarios and a Mesa model stepped and read compile nothing more."""
    found = _python(
        "from sim.run import RunSpec, simulate, warm\n"
        "from sim.model import WarningModel\n"
        "warm()\n"
        "before = compiled()\n"
        "for scenario in ('default', 'world-2024'):\n"
        "    simulate(RunSpec(scenario=scenario, days=20, seed=1))\n"
        "    simulate(RunSpec(scenario=scenario, days=20, seed=1, record_warnings=False))\n"
        "    simulate(RunSpec(scenario=scenario, days=20, seed=1, record_series=True,\n"
        "                     record_agents=True, record_dyads=True))\n"
        "    simulate(RunSpec(scenario=scenario, days=20, seed=1, record_series=True))\n"
        "model = WarningModel(days=20, seed=2, record_series=True, record_agents=True)\n"
        "while model.running:\n"
        "    model.step()\n"
        "model.outcomes(), model.warning_log(), model.series(), model.agent_series()\n"
        "whole = WarningModel(days=20, seed=2)\n"
        "whole.run()\n"
        "whole.outcomes()\n"
        "after = compiled()\n"
        "assert before == after, {k: (before.get(k), v) for k, v in after.items()\n"
        "                         if before.get(k) != v}\n"
        "print(json.dumps(after))\n", tmp_path)
    assert {"sim.engine.run_days", "sim.engine.step_day"} <= found.keys()
