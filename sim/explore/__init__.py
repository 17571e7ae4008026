"""``warnsim explore DIR``: an offline page over a sweep's results (parallel coordinates,
filters, the paired contrast, the plot choices, exports), served on 127.0.0.1 with Solara.

:mod:`sim.explore.data` holds everything the page computes; :mod:`sim.explore.app` lays it
out; :mod:`sim.explore.server` checks the folder and starts the server.
"""
