"""``warnsim view``: serve the SolaraViz page of :mod:`sim.viz.app` with Solara's server.

The page listens on 127.0.0.1 unless ``--host`` says otherwise: anyone who can reach the port
can run the model and change its parameters (there is no login), so another host prints a
warning first. Solara's JavaScript and CSS come from the ``solara-assets`` package (the
``viz`` extra), so the page works without internet; the version check against PyPI and the
usage telemetry are switched off.
"""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import sys
from pathlib import Path

from sim.errors import UserError

SCENARIO_VARIABLE = "WARNSIM_VIEW_SCENARIO"
"""How ``warnsim view --scenario`` reaches the page (:func:`sim.viz.app.Page`)."""

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REQUIRED = ("solara", "solara_assets", "mesa.visualization", "networkx", "altair", "matplotlib")
"""Modules the page needs (Mesa's visualisation imports altair and matplotlib)."""


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
    """Before Solara is imported: no usage telemetry, and no hook-rule warning about Mesa's own
    ``ComponentsView`` (Mesa 3.3.1; the view does not use it)."""
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


def serve(scenario: str, host: str, port: int) -> int:
    """Check everything, then run Solara's server until interrupted."""
    from sim.scenarios import load_scenario

    missing = missing_modules()
    if missing:
        raise UserError("view needs the viz extra: pip install 'warnsim[viz]' "
                        f"(missing: {', '.join(missing)})")
    load_scenario(scenario)  # a bad name or file fails here, in one line
    if Path(scenario).suffix == ".toml" and Path(scenario).is_file():
        scenario = str(Path(scenario).resolve())
    check_port(host, port)
    if host not in LOCAL_HOSTS:
        print(f"warnsim: warning: --host {host}: anyone who can reach port {port} on this "
              "address can run the model and change its parameters (the view has no login)",
              file=sys.stderr)
    os.environ[SCENARIO_VARIABLE] = scenario
    quiet_solara()
    from solara.__main__ import run

    run.main(args=["sim.viz.app", "--host", host, "--port", str(port), "--production",
                   "--no-check-version", "--no-open"], prog_name="warnsim view",
             standalone_mode=False)
    return 0
