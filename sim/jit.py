"""The one decorator every compiled kernel uses, and the cache that keeps compiling rare.

Every daily mechanism of the model is a function decorated with :func:`kernel`: numba's
``njit`` with ``cache=True`` and none of the fast-math flags (results must not depend on the
compiler's freedom to reassociate sums, so that a run is reproducible bit for bit on every
machine and equal to its pure-Python execution). Setting the environment variable
``NUMBA_DISABLE_JIT=1`` before Python starts runs the very same functions as plain Python
(slowly, with the same results): for debugging, and for platforms without numba wheels.

**Why a cache locator of our own.** numba stamps each cached kernel with a hash of the source
file the function is defined in, and nothing else. A kernel in one module that calls a kernel
of another module would then load stale machine code after the callee changed. The kernels
here live in one module per mechanism and call across modules, so :class:`_PackageLocator`
stamps every kernel of the package with one hash over all the package's kernel modules
(:func:`kernel_modules`, found from the imports): any change to any of them recompiles all of
them, once. The cache lives next to the sources
(``__pycache__``), or in the user's cache folder when the package folder is read-only.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PACKAGE = Path(__file__).resolve().parent

_IMPORT = re.compile(r"^\s*(?:from\s+sim\.(\w+)[\w.]*\s+import|import\s+sim\.(\w+))", re.M)


@cache
def kernel_modules() -> tuple[str, ...]:
    """The package's modules that define or shape kernels: every module that imports this one,
    and every package module they import, transitively (enum values, record layouts and
    parameters are frozen into compiled code). Derived from the sources, so that a new kernel
    module cannot be forgotten (a forgotten one would load stale machine code)."""
    seeds = [f.name for f in sorted(PACKAGE.glob("*.py"))
             if "from sim.jit import" in f.read_text(encoding="utf-8")]
    todo, found = ["jit.py", *seeds], set()
    while todo:
        name = todo.pop()
        if name in found or not (PACKAGE / name).exists():
            continue
        found.add(name)
        text = (PACKAGE / name).read_text(encoding="utf-8")
        todo += [f"{a or b}.py" for a, b in _IMPORT.findall(text)]
    return tuple(sorted(found))


@cache
def sources_stamp() -> bytes:
    """SHA-256 over the kernel modules' bytes."""
    h = hashlib.sha256()
    for name in kernel_modules():
        h.update(name.encode())
        h.update((PACKAGE / name).read_bytes())
    return h.digest()


def _install_locators() -> None:
    """Put the package's locators first in numba's list (once per process)."""
    from numba.core import caching

    if any(getattr(c, "_warnsim", False) for c in caching.CacheImpl._locator_classes):
        return

    def inside(py_file: str) -> bool:
        return Path(py_file).resolve().parent == PACKAGE

    class _PackageLocator(caching.InTreeCacheLocator):
        _warnsim = True

        def get_source_stamp(self) -> bytes:
            return sources_stamp()

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            return super().from_function(py_func, py_file) if inside(py_file) else None

    class _PackageUserWideLocator(caching.UserWideCacheLocator):
        _warnsim = True

        def get_source_stamp(self) -> bytes:
            return sources_stamp()

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            return super().from_function(py_func, py_file) if inside(py_file) else None

    caching.CacheImpl._locator_classes[:0] = [_PackageLocator, _PackageUserWideLocator]


def _quiet_wrapping(module: str) -> None:
    """As plain Python, the kernels' unsigned 64-bit arithmetic (:mod:`sim.rng`) runs on numpy
    scalars, which wrap as compiled code does but warn of it: silence that warning for the
    package's modules (only ever in this debugging mode)."""
    import warnings

    warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning,
                            module=module.replace(".", r"\."))


def jit_disabled() -> bool:
    """Whether kernels run as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    return os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def kernel(func: F) -> F:
    """Compile ``func`` with numba (cached on disk, no fast-math), or leave it as Python when
    ``NUMBA_DISABLE_JIT=1``."""
    if jit_disabled():
        _quiet_wrapping(func.__module__)
        return func
    import numba

    _install_locators()
    return numba.njit(cache=True, fastmath=False, boundscheck=False)(func)  # type: ignore[no-any-return]


def _same(array: Any) -> Any:
    return array


def _as_recarray(array: Any) -> Any:
    import numpy as np

    return array.view(np.recarray)


records: Callable[[Any], Any] = _as_recarray if jit_disabled() else kernel(_same)
"""A record array made in a kernel, readable by field as an attribute (``a[i].fate``) in both
modes: compiled code reads it so as it is; plain Python views it as :class:`numpy.recarray`."""


def readable(array: Any) -> Any:
    """A record array made in Python for the kernels: as it is for compiled code (numba reads
    plain structured arrays fastest), viewed as :class:`numpy.recarray` for plain Python."""
    return _as_recarray(array) if jit_disabled() else array
