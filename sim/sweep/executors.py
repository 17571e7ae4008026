"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three are :class:`concurrent.futures.Executor` objects, so the engine has one code path.

Two Mesa 3.3.1 facts shape the local pool. Importing ``mesa`` calls
``multiprocessing.set_start_method("spawn", force=True)``, which would make every pool start
fresh interpreters (about a second of start-up, and functions defined in a notebook's
``__main__`` cannot be pickled to them, which is why ``mesa.batch_run`` hangs in Jupyter). So
the pool takes an explicit context: ``fork`` on Linux, where the children inherit the already
imported model and any function defined in a notebook, and ``spawn`` elsewhere (macOS and
Windows, where fork is unsafe or missing). The pool's processes are started before the engine
starts any thread of its own (the progress bar's), so the fork never copies a held lock.

Workers belong to the sweep that started them. Each worker asks the kernel to kill it when its
parent dies (Linux ``PR_SET_PDEATHSIG``; elsewhere a thread watching the parent's pid), so a
SIGKILLed ``warnsim sweep`` leaves no orphan holding memory and the inherited stdout/stderr
(a reader of the output gets end-of-file). Workers ignore SIGINT and SIGHUP: the parent
receives them too (Ctrl-C and a closed terminal reach the whole process group), stops the sweep
keeping what finished, and kills its workers itself, so a signal never turns into a "failed"
run. SIGTERM keeps its default in workers: the pool itself terminates workers with it when one
of them dies.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sim.errors import UserError

CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler before giving up (before anything is written)."""

DASK_ADDRESS = "a running Dask scheduler's address tcp://host:port, e.g. tcp://scheduler:8786"


class ExecutorKind(StrEnum):
    SERIAL = "serial"  # in this process, one run after another
    PROCESSES = "processes"  # a local pool of worker processes
    DASK = "dask"  # a Dask distributed cluster


@dataclass(frozen=True, slots=True)
class ExecutorSpec:
    """Which executor and how big. ``address`` is a Dask scheduler address (``tcp://...``)
    or an existing ``distributed.Client``; ``workers`` is the local pool size."""

    kind: ExecutorKind = ExecutorKind.PROCESSES
    workers: int | None = None
    address: Any = None

    @classmethod
    def choose(cls, workers: int | None = None, dask: Any = None) -> ExecutorSpec:
        """The executor the CLI means: Dask if an address is given, else ``workers`` local
        processes (default all usable cores), with one worker meaning in-process."""
        if dask is not None:
            return cls(ExecutorKind.DASK, address=dask)
        cores = usable_cores()
        n = cores if workers is None else workers
        if n < 1:
            raise UserError(f"--workers: got {n}; allowed: an integer of at least 1")
        if n > cores:  # more processes than cores only add memory (each holds the model) and
            # switching: results are identical whatever the number of workers
            _note(f"--workers {n}: this machine gives warnsim {cores} core(s); using {cores}")
            n = cores
        return cls(ExecutorKind.SERIAL if n == 1 else ExecutorKind.PROCESSES, workers=n)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value}
        if self.kind is ExecutorKind.DASK:
            out["address"] = self.address if isinstance(self.address, str) else "client"
        else:
            out["workers"] = self.workers or 1
        return out


def _note(text: str) -> None:
    """A note on stderr (best effort: a closed stderr must not stop a sweep)."""
    try:
        print(f"warnsim: note: {text}", file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


def usable_cores() -> int:
    """Cores this process may run on (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """``fork`` on Linux (fast start, works from notebooks), ``spawn`` elsewhere."""
    if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
        return "fork"
    return "spawn"


class SerialExecutor(cf.Executor):
    """Runs each submitted call at once in this process (no pickling, no start-up)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _noop() -> None:
    return None


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal this process gets when its parent dies."""

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))
"""What stops a sweep (SIGHUP: not on Windows); the parent handles them (see
:mod:`sim.sweep.engine`)."""


def _worker_init(parent: int) -> None:
    """Runs first in every local worker: leave the group's stop signals to the parent, die
    with it."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.SIG_IGN)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` (its parent now) ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
        if armed:
            if os.getppid() != parent:  # the parent died before the signal was armed
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="warnsim-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """The portable fallback: once reparented, the parent is gone."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


@dataclass(frozen=True, slots=True)
class Pool:
    """An open executor: where to submit, how many chunks run at once and, for a local pool,
    its worker processes (to notice a stopped one and to kill them when the sweep stops)."""

    executor: cf.Executor
    slots: int
    workers: tuple[Any, ...] = ()

    @property
    def serial(self) -> bool:
        return isinstance(self.executor, SerialExecutor)

    def stopped(self) -> list[int]:
        """Pids of workers that are stopped (SIGSTOP, Ctrl-Z on them, a debugger)."""
        return [p.pid for p in self.workers if p.pid is not None and _state(p.pid) in ("T", "t")]

    def kill(self) -> None:
        """SIGKILL every worker still alive (works on stopped ones too)."""
        for p in self.workers:
            if p.is_alive():
                p.kill()


def _state(pid: int) -> str:
    """A process's state letter from /proc (R running, S sleeping, T stopped...); "" if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


@contextmanager
def open_executor(spec: ExecutorSpec) -> Iterator[Pool]:
    """Yield the open :class:`Pool`. If the body raises (a stop signal, a lost worker, a full
    disk), local workers are killed at once rather than left to finish their chunks."""
    if spec.kind is ExecutorKind.SERIAL:
        yield Pool(SerialExecutor(), 1)
        return
    if spec.kind is ExecutorKind.PROCESSES:
        workers = spec.workers or usable_cores()
        before = set(mp.active_children())
        pool = cf.ProcessPoolExecutor(max_workers=workers,
                                      mp_context=mp.get_context(start_method()),
                                      initializer=_worker_init, initargs=(os.getpid(),))
        handle = Pool(pool, workers)
        try:
            # A fork-context pool starts all its processes at the first submit: do it now,
            # before the caller starts threads.
            started = pool.submit(_noop)
            handle = Pool(pool, workers, tuple(p for p in mp.active_children()
                                               if p not in before))
            started.result()
            yield handle
        except BaseException:
            handle.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    with _dask_client(spec.address) as client:
        yield Pool(client.get_executor(pure=False), max(1, sum(client.nthreads().values())))


@contextmanager
def _dask_client(address: Any) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise UserError("--dask: needs the optional Dask extra: pip install 'warnsim[dask]'") from None
    if isinstance(address, Client):
        yield address
        return
    from distributed.comm import get_address_host_port

    try:  # checked before any Client exists: a Client failing on a bad address can hang
        if not str(address).startswith("inproc://"):  # in-process LocalCluster: no port
            get_address_host_port(address)
    except (ValueError, TypeError) as exc:  # no port, unknown scheme, not a string
        raise UserError(f"--dask: got {address!r} ({exc}); allowed: {DASK_ADDRESS}") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise UserError(f"--dask: cannot reach the scheduler at {address!r} ({exc}); "
                        f"allowed: {DASK_ADDRESS}") from None
    except (ValueError, TypeError) as exc:  # malformed: no port, unknown scheme, not a string
        raise UserError(f"--dask: got {address!r} ({exc}); allowed: {DASK_ADDRESS}") from None
    try:
        yield client
    finally:
        client.close()
