"""Pattern-oriented calibration (``warnsim calibrate``): which parameter values reproduce the
targets. See :mod:`sim.calibration.scoring` for the method and :mod:`sim.calibration.api` for
what a calibration writes."""
