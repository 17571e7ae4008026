"""Validation as a command: ``warnsim validate`` checks the model against the patterns and
published anchors of warning research and threat data and the documented cases, and writes a
report.

* :mod:`sim.validation.suite` declares the studies and the checks (as data);
* :mod:`sim.validation.studies` runs the studies through the sweep engine;
* :mod:`sim.validation.statistics` computes each check from the result files;
* :mod:`sim.validation.scoring` scores the documented cases (Brier, log-loss, coding);
* :mod:`sim.validation.report`, :mod:`sim.validation.document` and
  :mod:`sim.validation.figures` write ``validation.json``, ``report.md``, ``report.html``;
* :func:`sim.validation.api.validate` ties them together.
"""
