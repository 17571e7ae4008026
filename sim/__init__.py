"""warnsim: an agent-based simulation of warning diplomacy under a duty-to-warn protocol.

Importing the package is cheap and has no side effects; the model (and Mesa) load only when a
run is made. The main entry points:

* :class:`sim.params.ModelParams` - every parameter, declared once;
* :func:`sim.run.simulate` with a :class:`sim.run.RunSpec` - one run;
* :mod:`sim.sweep` - experiments over parameter designs;
* :mod:`sim.analysis` - statistics and figures from a sweep's result files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("warnsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
