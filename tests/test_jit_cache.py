"""The kernel cache never serves stale machine code: a kernel that calls a kernel of another
module is recompiled when that module changes (sim/jit.py stamps every cached kernel with one
hash over all kernel modules, found from their imports)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.jit import jit_disabled, kernel_modules

ROOT = Path(__file__).resolve().parents[1]

CALLER = '''from sim.jit import kernel
from sim.probe_callee import callee


@kernel
def caller() -> int:
    return callee() + 1
'''
CALLEE = '''from sim.jit import kernel


@kernel
def callee() -> int:
    return {value}
'''


def _call(package_root: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["PYTHONPATH"] = str(package_root)
    out = subprocess.run([sys.executable, "-c", "from sim.probe_caller import caller; print(caller())"],
                         env=env, capture_output=True, text=True, check=True, cwd=package_root)
    return out.stdout.strip()


@pytest.mark.skipif(jit_disabled(), reason="the cache exists only for compiled kernels")
def test_a_changed_callee_recompiles_its_callers(tmp_path):
    """A package of two kernel modules beside a copy of sim/jit.py: the caller's cached code is
    reused while nothing changes and recompiled when only the callee's module changes (numba's
    own stamp, the caller's file alone, would serve the old result)."""
    package = tmp_path / "sim"
    package.mkdir()
    shutil.copy(ROOT / "sim" / "__init__.py", package)
    shutil.copy(ROOT / "sim" / "jit.py", package)
    (package / "probe_caller.py").write_text(CALLER)
    (package / "probe_callee.py").write_text(CALLEE.format(value=1))
    assert _call(tmp_path) == "2"
    cached = sorted(p.name for p in (package / "__pycache__").glob("probe_caller*.nbi"))
    assert cached, "the caller was not cached"
    assert _call(tmp_path) == "2"
    (package / "probe_callee.py").write_text(CALLEE.format(value=5))
    assert _call(tmp_path) == "6"


def test_every_module_with_kernels_or_read_by_them_stamps_the_cache():
    package = ROOT / "sim"
    with_kernels = {f.name for f in package.glob("*.py") if "@kernel" in f.read_text()}
    assert with_kernels <= set(kernel_modules())
    assert {"senders.py", "queues.py", "params.py", "enums.py", "world.py"} <= set(kernel_modules())
