"""``warnsim explore DIR``: check the folder and the port, then serve :mod:`sim.explore.app`.

The page listens on 127.0.0.1 only: it reads a results folder and writes exports into it, and
has no login, so it is never offered to other machines. Solara's scripts and styles come from
``solara-assets`` (the ``viz`` extra), so the page works without internet; Solara's version
check and usage telemetry are off (as for ``warnsim view``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from sim.errors import UserError

HOST = "127.0.0.1"
REQUIRED = ("solara", "solara_assets", "matplotlib")
"""Modules the page needs."""


def serve(directory: Path, port: int) -> int:
    """Load the folder (a bad one fails here, in one line), then run Solara until stopped."""
    from sim.analysis.load import load_results
    from sim.explore.app import DIRECTORY_VARIABLE
    from sim.viz.server import check_port, quiet_solara

    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError("explore needs the viz extra: pip install 'warnsim[viz]' "
                        f"(missing: {', '.join(missing)})")
    results = load_results(directory)
    check_port(HOST, port)
    os.environ[DIRECTORY_VARIABLE] = str(results.directory.resolve())
    quiet_solara()
    from solara.__main__ import run

    print(f"warnsim explore: {results.name} on http://{HOST}:{port}/ (Ctrl-C stops it)",
          flush=True)
    run.main(args=["sim.explore.app", "--host", HOST, "--port", str(port), "--production",
                   "--no-check-version", "--no-open"], prog_name="warnsim explore",
             standalone_mode=False)
    return 0
