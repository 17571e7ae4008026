"""The interactive view: Mesa's SolaraViz page of one run, day by day (``warnsim view``).

Needs the ``viz`` extra (``pip install 'warnsim[viz]'``): Solara with its assets package, so
the page works without internet, and Mesa's visualisation. Modules:

* :mod:`sim.viz.controls`: the parameter controls, generated from :data:`sim.params.PARAMETERS`;
* :mod:`sim.viz.viewmodel`: :class:`ViewModel`, the model as the page builds and resets it;
* :mod:`sim.viz.figures`: the network and the live plots (matplotlib figures, no Solara);
* :mod:`sim.viz.app`: the Solara components and the page (``solara run sim.viz.app``);
* :mod:`sim.viz.server`: ``warnsim view``, which serves the page on 127.0.0.1 by default.

Nothing here is imported by the model, the runner or the sweep.
"""
