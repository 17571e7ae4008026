"""The interactive view: a Solara page of one run, day by day (``warnsim view``).

Needs the ``viz`` extra (``pip install 'warnsim[viz]'``): Solara with its assets package, so
the page works without internet. Modules:

* :mod:`sim.viz.limits`: the bounds of a browser session, declared once;
* :mod:`sim.viz.config`: what ``warnsim view`` was started with, and the scenarios offered;
* :mod:`sim.viz.controls`: the controls, generated from the declarations, and the check of every
  value the page sends;
* :mod:`sim.viz.viewmodel`: :class:`ViewModel` (the model as the page builds it), the memory
  estimate, the pace of play and :class:`Session` (a session's model in this process);
* :mod:`sim.viz.worker`: a session's model in a process of its own (what ``warnsim view`` does);
* :mod:`sim.viz.figures` and :mod:`sim.viz.svg`: the drawing (SVG and HTML, no Solara);
* :mod:`sim.viz.app`: the Solara components and the page;
* :mod:`sim.viz.server`: ``warnsim view``, which serves the page on 127.0.0.1 by default.
  (``solara run sim.viz.app`` serves it too, without the limits on processes and idle sessions.)

Nothing here is imported by the model, the runner or the sweep.
"""
