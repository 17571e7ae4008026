"""``warnsim view``: serve the page of :mod:`sim.viz.app` with Solara's server.

The page listens on 127.0.0.1 unless ``--host`` says otherwise: anyone who can reach the port
can run the model and change its parameters (there is no login), so another host prints a
warning first. Whoever reaches it gets sessions bounded by :class:`sim.viz.limits.SessionLimits`
(``--limit``) and scenarios from the built-in ones and ``--scenarios DIR`` only
(:mod:`sim.viz.config`). Solara's JavaScript and CSS come from the ``solara-assets`` package
(the ``viz`` extra), so the page works without internet; the version check against PyPI and the
usage telemetry are switched off.

Stopping: Ctrl-C (SIGINT), SIGTERM or SIGHUP shut the server down and ``warnsim view`` exits
with 128 + the signal's number (130 for Ctrl-C) after one line, never a traceback. Uvicorn
catches the signal, closes the connections and raises it again once it has stopped; the
handler installed here turns that into :class:`Stopped`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import errno
import gc
import importlib.util
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from sim.errors import UserError
from sim.viz.config import CONFIG_VARIABLE, ViewConfig
from sim.viz.limits import SessionLimits

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REQUIRED = ("solara", "solara_assets", "reacton", "networkx", "matplotlib")
"""Modules the page needs."""

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(Exception):
    """A stop signal ended the server."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def missing_modules() -> list[str]:
    out = []
    for name in REQUIRED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            out.append(name.split(".")[0])
    return out


def quiet_solara() -> None:
    """Before Solara is imported: no usage telemetry, no hook-rule check of the page."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    os.environ.setdefault("SOLARA_CHECK_HOOKS", "off")


def check_port(host: str, port: int) -> None:
    """Fail with one line when the address cannot be served (in use, not ours, bad host)."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UserError(f"--host: cannot resolve {host!r}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise UserError(f"--port {port}: cannot listen on {host}:{port} ({reason})") from None


def release_memory(delay: float = 2.0) -> None:
    """Soon after a session closes (its widgets are closed after the page's own clean-up):
    collect garbage and hand freed heap back to the system (glibc ``malloc_trim``), so the
    server's memory returns near where it was before the session."""

    def trim() -> None:
        gc.collect()
        name = ctypes.util.find_library("c")
        if name and sys.platform.startswith("linux"):
            try:
                ctypes.CDLL(name).malloc_trim(0)
            except (OSError, AttributeError):  # not glibc
                pass

    timer = threading.Timer(delay, trim)
    timer.daemon = True
    timer.start()


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


def serve(scenario: str, host: str, port: int, *, folder: str | Path | None = None,
          limits: SessionLimits | None = None) -> int:
    """Check everything, then run Solara's server until a stop signal; the exit status."""
    missing = missing_modules()
    if missing:
        raise UserError("view needs the viz extra: pip install 'warnsim[viz]' "
                        f"(missing: {', '.join(missing)})")
    limits = limits or SessionLimits()
    config = dataclasses.replace(ViewConfig.start(scenario, folder, limits), isolate=True)
    check_port(host, port)
    if host not in LOCAL_HOSTS:
        print(f"warnsim: warning: --host {host}: anyone who can reach port {port} on this "
              "address can run the model and change its parameters (the view has no login)",
              file=sys.stderr)
    os.environ[CONFIG_VARIABLE] = config.to_env()
    quiet_solara()
    from sim.viz.worker import prepare

    prepare()  # the fork server of the sessions' processes, before the first tab
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stopped)
    try:
        import click
        import solara.server.settings
        from solara.__main__ import run

        solara.server.settings.kernel.cull_timeout = f"{limits.idle}s"
        run.main(args=["sim.viz.app", "--host", host, "--port", str(port), "--production",
                       "--no-check-version", "--no-open"], prog_name="warnsim view",
                 standalone_mode=False)
    except Stopped as exc:
        return _stopped(exc.signum)
    except (click.exceptions.Abort, KeyboardInterrupt):  # a signal Click saw first
        return _stopped(signal.SIGINT)
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT
                          else signal.default_int_handler)
    return 0


def _stopped(signum: int) -> int:
    print(f"warnsim: view stopped ({signal.Signals(signum).name})", file=sys.stderr, flush=True)
    return 128 + signum
