"""One engine, identical results: a run stepped day by day through Mesa equals the same run made
whole, the compiled kernels equal their plain-Python execution, and the working code reproduces
a recorded sample of outcomes and log digests exactly.

The recorded sample is ``tests/data/equivalence-sample.jsonl.gz``, a slice of the design of
``scripts/equivalence.py`` (20 seeds of each built-in scenario, every mechanism switched off
alone and all at once, every categorical mode, 8 Latin-hypercube points; per-day, per-agency and
per-dyad logs on some runs). A deliberate model change regenerates it in its own commit::

    PYTHONPATH=. python scripts/equivalence.py record --sample --out tests/data/equivalence-sample.jsonl.gz

The full design (3,350 runs) against another commit: ``python scripts/equivalence.py check
--baseline REF``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sim.mechanisms import MECHANISMS, all_off
from sim.model import WarningModel
from sim.params import PARAMETERS, ModelParams
from sim.run import RunSpec, simulate

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "equivalence-sample.jsonl.gz"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("equivalence", ROOT / "scripts" / "equivalence.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


eq = _script()


def _columns(batch: Any) -> dict[str, str]:
    """Each column of an Arrow batch as a digest that tells every float bit pattern apart."""
    return {name: eq.digest(batch.column(name).to_pylist()) for name in batch.schema.names} | {
        "rows": batch.num_rows}


def _outcomes(values: dict[str, Any]) -> dict[str, str]:
    return {k: eq._canonical(v) for k, v in values.items()}


def _variants() -> list[tuple[str, str, dict[str, Any]]]:
    base = ModelParams()
    mode = next(p for p in PARAMETERS.values() if p.choices is not None)
    other = next(c for c in mode.choices if c != getattr(mode.default, "value", mode.default))
    return [
        ("default", "default", {}),
        ("world-2024", "world-2024", {}),
        ("high rivalry", "default", {"rivalry": 0.9}),
        (f"{MECHANISMS[0].name} off", "default", MECHANISMS[0].off(base)),
        (f"{MECHANISMS[-1].name} off", "world-2024", MECHANISMS[-1].off(base)),
        ("all off", "default", all_off(base)),
        (f"{mode.name}={other}", "default", {mode.name: other}),
    ]


@pytest.mark.parametrize(("scenario", "values"), [(s, v) for _, s, v in _variants()],
                         ids=[name for name, _, _ in _variants()])
@pytest.mark.parametrize("seed", [0, 7, 42])
def test_stepped_through_mesa_equals_the_whole_run(scenario, values, seed):
    """``WarningModel.step()`` day by day, with and without the per-day logs, against
    ``simulate()``: the run in one compiled call (outcomes, warning log, final matrices) and the
    same run observed each day (series, per-agency and per-dyad logs)."""
    params = ModelParams().replace(**values)
    spec = RunSpec(params=params, scenario=scenario, seed=seed, typed_logs=True)
    whole = simulate(spec)
    observed = simulate(RunSpec(params=params, scenario=scenario, seed=seed, typed_logs=True,
                                record_series=True, record_agents=True, record_dyads=True))

    plain = WarningModel(params=params, scenario=scenario, seed=seed)
    while plain.running:
        plain.step()
    assert plain.steps == 365
    assert _outcomes(plain.outcomes()) == _outcomes(whole.outcomes)
    assert _columns(plain.warning_log(typed=True)) == _columns(whole.warnings)
    assert eq.digest(plain.trust_matrix().tolist()) == eq.digest(
        [[float("nan") if x is None else x for x in row] for row in whole.trust_matrix])
    assert eq.digest(plain.rivalry_matrix().tolist()) == eq.digest(whole.rivalry_matrix)

    logged = WarningModel(params=params, scenario=scenario, seed=seed, record_series=True,
                          record_agents=True, record_dyads=True)
    while logged.running:
        logged.step()
    assert _outcomes(logged.outcomes()) == _outcomes(whole.outcomes)
    assert _columns(logged.warning_log(typed=True)) == _columns(whole.warnings)
    assert _columns(logged.series(typed=True)) == _columns(observed.series)
    assert _columns(logged.agent_series(typed=True)) == _columns(observed.agents)
    assert _columns(logged.dyad_series(typed=True)) == _columns(observed.dyads)
    assert observed.series.num_rows == 365 and whole.warnings.num_rows > 0


def test_the_working_code_reproduces_the_recorded_sample():
    """Every recorded run again: every outcome (integers identical, floats equal bit for bit,
    by ``repr``) and the digest of every column of every log and of the final matrices."""
    recorded = eq.load(SAMPLE)
    cases = {row["case"] for row in recorded}
    assert {f"switch/{m.name}" for m in MECHANISMS} | {"switch/all_off"} <= cases
    assert {"default/seed", "world-2024/seed"} <= cases and any(c.startswith("lhs/") for c in cases)
    assert sum(row["series"] for row in recorded) >= 4
    assert [eq._key(c) for c in eq.design(sample=True)] == [eq._key(r) for r in recorded], (
        "the sample's design changed: regenerate the fixture (see this module's docstring)")
    again = [eq.run_one({k: row[k] for k in ("case", "scenario", "seed", "days", "set", "series")})
             for row in recorded]
    assert eq.differences(recorded, again) == []


_PYTHON_CASES = [
    {"case": "jit/default", "scenario": "default", "seed": 3, "days": 365, "set": {},
     "series": True},
    {"case": "jit/world", "scenario": "world-2024", "seed": 4, "days": 365, "set": {},
     "series": False},
    {"case": "jit/rivalry", "scenario": "default", "seed": 5, "days": 365,
     "set": {"rivalry": 0.9}, "series": False},
    {"case": "jit/all_off", "scenario": "default", "seed": 6, "days": 200,
     "set": {k: getattr(v, "value", v) for k, v in all_off(ModelParams()).items()},
     "series": False},
]

_RUN_AS_PYTHON = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("equivalence", sys.argv[1])
eq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eq)
import numba.core.config, sim.jit
assert numba.core.config.DISABLE_JIT and sim.jit.jit_disabled()
print(json.dumps([eq.run_one(case) for case in json.loads(sys.argv[2])]))
"""


def test_the_kernels_as_plain_python_give_the_compiled_results():
    """The same runs with ``NUMBA_DISABLE_JIT=1`` in a fresh interpreter (the kernels as plain
    Python) and compiled here: every outcome and the digest of every log column equal."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _RUN_AS_PYTHON,
                           str(ROOT / "scripts" / "equivalence.py"), json.dumps(_PYTHON_CASES)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    as_python = json.loads(done.stdout)
    compiled = [eq.run_one(case) for case in _PYTHON_CASES]
    assert eq.differences(compiled, as_python) == []
    assert all(row["digests"]["warnings.rows"] > 0 for row in compiled)


@pytest.mark.parametrize(("scenario", "seed", "days"),
                         [("default", 3, 365), ("world-2024", 4, 365), ("default", 5, 0)])
def test_the_log_as_lists_is_the_arrow_batch_as_python(scenario, seed, days):
    """``RunResult.warnings`` as lists (made from the records without Arrow) is the typed log's
    ``to_pydict()``: the same columns in order, and every value of the same type and bits
    (``repr`` tells NaN, -0.0 and None apart), nulls where the batch has them."""
    spec = RunSpec(scenario=scenario, seed=seed, days=days)
    lists = simulate(spec).warnings
    typed = simulate(RunSpec(scenario=scenario, seed=seed, days=days, typed_logs=True)).warnings
    as_python = typed.to_pydict()
    assert list(lists) == list(as_python) == typed.schema.names

    def typed_values(columns: dict[str, list[Any]]) -> dict[str, list[tuple[str, str]]]:
        return {k: [(type(v).__name__, repr(v)) for v in vs] for k, vs in columns.items()}

    assert typed_values(lists) == typed_values(as_python)
    if days:
        assert typed.num_rows > 0 and None in lists["p_heed"] and None in lists["heeded"]


def test_a_chunk_of_cable_records_exports_as_its_runs_batches():
    """What a sweep's worker keeps (``cable_records``) and exports a chunk at a time is the
    table of the runs' own typed logs, runs of different agencies included."""
    import pyarrow as pa

    from sim.log import gathered

    specs = [RunSpec(seed=1), RunSpec(seed=2, days=0), RunSpec(scenario="world-2024", seed=3),
             RunSpec(seed=4, days=200)]
    kept = [simulate(RunSpec(**{**_fields(s), "cable_records": True})).warnings for s in specs]
    batches = [simulate(RunSpec(**{**_fields(s), "typed_logs": True})).warnings for s in specs]
    assert len(gathered(kept)) == 3  # default, world-2024, default
    together = pa.Table.from_batches(gathered(kept)).combine_chunks()
    one_a_run = pa.Table.from_batches(batches).combine_chunks()
    assert together.schema == one_a_run.schema and together.num_rows == one_a_run.num_rows > 0
    assert _columns(together) == _columns(one_a_run)


def _fields(spec: RunSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in RunSpec.__dataclass_fields__}
