"""``python -m sim`` is the ``warnsim`` command."""

from sim.cli import main

raise SystemExit(main())
