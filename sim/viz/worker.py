"""``warnsim view`` runs each session's model in a process of its own.

Why a process: a session's model allocates millions of small Python objects; freed in the
server's process, they leave its heap fragmented, and the server kept about 60 MB of four
closed 20 MB sessions (measured: ``tests/test_view_browser.py``, with the models in the server).
A process gives all of it back when it ends, a model that crashes or runs out of memory ends
only its own session, and its memory can be bounded by the system, not only estimated:

* the worker's data segment (``RLIMIT_DATA``: heap and private mappings, Linux 4.7+) may grow
  by at most twice the session's ``memory`` limit plus 64 MB for drawing beyond what it holds
  when it starts, a backstop behind the estimate (:func:`sim.viz.viewmodel.memory_estimate`)
  that refuses larger runs before they are built; it starts once the kernels are loaded
  (:func:`sim.run.warm`, about 150 MB of data segment and 0.3 s, paid by the first run of any
  process), so the limit bounds the run, not the compiled code;
* workers run at a lower priority (``nice`` 10), so that stepping models never slows the
  server's answers to the pages;
* a worker ignores Ctrl-C (the terminal sends it to the whole process group) and ends when its
  session closes it or when the server goes away (its pipe closes).

Workers are forked from a ``multiprocessing`` fork server that has imported this module (and
so the model) once: starting one costs milliseconds, not the seconds of importing the model.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from sim.errors import UserError
from sim.run import warm
from sim.scenarios import Scenario
from sim.viz.limits import SessionLimits
from sim.viz.viewmodel import Session

DRAWING_HEADROOM_MB = 64
"""Memory a worker may use beyond twice the session's limit (drawing, temporaries)."""

WORKER_NICE = 10

SHARED_MODULES = ("matplotlib.colors", "matplotlib.font_manager", "matplotlib.textpath")
"""Imported once by the fork server besides this module (the drawings' colour map and font
metrics): each worker importing them itself cost 17 MB more."""


class ModelFailure(Exception):
    """A session process failed with an unexpected error (its traceback is in the server's
    log); the message is the error's type."""


@functools.cache
def context() -> Any:
    """The fork-server context, its server importing this module once (started on first use;
    :func:`prepare` starts it ahead)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__, *SHARED_MODULES])
    return ctx


def prepare() -> None:
    """Start the fork server now (from the main thread), so that the first tab does not wait
    for it."""
    from multiprocessing import forkserver

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # one thread a worker (read when numpy loads there)
    context()
    # Started with Ctrl-C ignored, which it keeps through exec: otherwise a Ctrl-C while it
    # imports the model prints a traceback (it ignores SIGINT only once its imports are done).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


class ProcessSession(Session):
    """A session whose model lives in a worker process; the same interface as
    :class:`Session`, each call a message to the worker."""

    def __init__(self, limits: SessionLimits | None = None) -> None:
        super().__init__(limits)
        self._process: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop_worker()
        ours, theirs = context().Pipe()
        process = context().Process(target=serve_worker, args=(theirs, self.limits.to_dict()),
                                    daemon=True, name="warnsim-view-session")
        process.start()
        theirs.close()
        self._process, self._conn = process, ours
        return ours

    def _call(self, *message: Any) -> Any:
        """Send ``message``, wait for the answer; errors come back as one line."""
        if self.closed:
            return None
        conn = self._start()
        try:
            conn.send(message)
            kind, value = conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            if self.closed:
                return None
            code = None
            if self._process is not None:
                self._process.join(timeout=2)  # it closed its pipe by ending: reap it
                code = self._process.exitcode
            self._stop_worker()
            how = (f"signal {-code}" if isinstance(code, int) and code < 0 else f"status {code}")
            raise UserError(f"the session's model process stopped ({how}): Reset starts a new "
                            "one") from None
        if kind == "ok":
            return value
        if kind == "memory":
            self._stop_worker()
        if kind == "bug":
            raise ModelFailure(value)
        raise UserError(value)

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first model and after :meth:`close`)."""
        return self._process.pid if self._process is not None else None

    def build(self, scenario: Scenario, name: str, values: dict[str, Any]) -> str:
        with self.lock:
            drawing = self._call("build", scenario, name, values)
            self.generation += 1
            return drawing

    def step(self, days: int) -> tuple[str, bool] | None:
        return self._call("step", days)

    def close(self) -> None:
        self.closed = True  # before the lock: a call in progress ends with the worker
        self._stop_worker()
        with self.lock:
            self._stop_worker()

    def _stop_worker(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is not None:
            process.kill()
            threading.Thread(target=process.join, daemon=True).start()  # reap it


def _limit_memory(limits: SessionLimits) -> None:
    try:
        import resource

        data_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
                       if line.startswith("VmData:"))
    except (ImportError, OSError, StopIteration):  # not Linux: the estimate alone bounds it
        return
    allowed = data_kb * 1024 + int((2 * limits.memory + DRAWING_HEADROOM_MB) * 2**20)
    resource.setrlimit(resource.RLIMIT_DATA, (allowed, resource.RLIM_INFINITY))


def serve_worker(conn: Connection, limits: dict[str, Any]) -> None:
    """A worker's life: answer ``build`` and ``step`` messages until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # the collector never walks what the fork server made: fewer pages copied
    session_limits = SessionLimits(**limits)
    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass
    warm()  # before the limit: the kernels are the process's, not the run's
    _limit_memory(session_limits)
    session = Session(session_limits)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        op, *args = message
        try:
            if op == "build":
                answer: tuple[str, Any] = ("ok", session.build(*args))
            elif op == "step":
                with session.lock:
                    answer = ("ok", session.step(*args))
            else:
                answer = ("bug", f"unknown message {op!r}")
        except UserError as exc:
            answer = ("user", str(exc))
        except MemoryError:
            answer = ("memory", "this run needs more memory than the view allows a session "
                      f"({session_limits.memory:g} MB): use fewer days or lower rates")
        except Exception as exc:  # a bug: its traceback goes to the server's log
            print(f"warnsim view: session process: {time.strftime('%H:%M:%S')}",
                  file=sys.stderr)
            traceback.print_exc()
            answer = ("bug", type(exc).__name__)
        try:
            conn.send(answer)
        except (OSError, BrokenPipeError):
            return
        if answer[0] == "memory":
            return  # the model may be half-built: this process ends
