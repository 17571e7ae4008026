"""Memory: a 200-agency run without the warning log holds no per-cable Python objects (the
first model held about 4.7 KB of Python objects a cable, 98 MiB at 200 agencies).

The run's state is arrays allocated once when it starts (:func:`sim.engine.start`); numba's
allocations are traced by :mod:`tracemalloc` like numpy's, so the traced peak of a whole run is
bounded by those arrays' bytes, plus one copy of the two ledger tensors (read out at the end),
plus 1 MiB for everything else. A size, not a timing."""

from __future__ import annotations

import gc
import re
import tracemalloc
from pathlib import Path

from sim.engine import start, template
from sim.params import ModelParams
from sim.run import RunSpec, simulate, warm
from sim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
MIB = 2**20


def scaled(n: int, folder: Path) -> str:
    """The default scenario's agencies repeated to ``n`` (renamed, same blocs), no missing
    liaison: a scenario file for :func:`sim.run.simulate`."""
    text = (ROOT / "sim" / "data" / "scenarios" / "default.toml").read_text(encoding="utf-8")
    head, rest = text.split("[[agency]]", 1)
    blocks = ("[[agency]]" + rest).split("[liaison]")[0].split("[[agency]]")[1:]
    agencies = [re.sub(r'name = "(\w+)"', lambda m, i=i: f'name = "{m.group(1)}-{i}"',
                       "[[agency]]" + blocks[i % len(blocks)], count=1) for i in range(n)]
    path = folder / f"scaled-{n}.toml"
    path.write_text(head + "\n".join(agencies), encoding="utf-8")
    return str(path)


def test_a_200_agency_run_without_the_log_holds_only_its_arrays(tmp_path):
    path = scaled(200, tmp_path)
    assert len(load_scenario(path).agencies) == 200
    warm()
    simulate(RunSpec(scenario=path, seed=1, days=1, record_warnings=False))  # parse, template
    arrays = start(template(load_scenario(path), ModelParams()), 1, 365, probes=False).arrays
    run_bytes = sum(getattr(arrays, f).nbytes for f in arrays._fields)
    bound = run_bytes + arrays.direct.nbytes + arrays.public.nbytes + MIB
    del arrays
    gc.collect()
    tracemalloc.start()
    try:
        result = simulate(RunSpec(scenario=path, seed=1, record_warnings=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sent = result.outcomes["warnings_sent"]
    assert result.warnings is None and sent > 5_000
    assert (bound - run_bytes) / sent < 1024  # the slack could not hide a 1 KiB object a cable
    assert peak < bound, f"peak {peak / MIB:.1f} MiB, bound {bound / MIB:.1f} MiB, {sent} cables"
