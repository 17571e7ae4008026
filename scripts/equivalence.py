"""Record and compare a model's results, run by run: the proof that an implementation change
left the model's results unchanged, bit for bit.

``record`` runs a fixed design through the public interface only (:func:`sim.run.simulate`),
so the same script runs on any commit, and writes one JSON line per run: the run's spec, every
outcome (floats by ``repr``, which round-trips exactly), and a digest of every column of every
log it recorded plus the final trust and rivalry matrices::

    python scripts/equivalence.py record --out base.jsonl.gz            # full design
    python scripts/equivalence.py record --out sample.jsonl.gz --sample # the test's sample

The test's sample lives in ``tests/data/equivalence-sample.jsonl.gz`` and
``tests/test_equivalence.py`` requires the working code to reproduce it exactly. After a
deliberate model change (in its own commit, saying so), regenerate it with::

    PYTHONPATH=. python scripts/equivalence.py record --sample --out tests/data/equivalence-sample.jsonl.gz

``compare A B`` reports every run, outcome and log column that differs; ``check --baseline REF``
records the full design at the git commit ``REF`` (in a temporary worktree, with that commit's
code) and here, and compares them; ``check --baseline A --against B`` compares two commits.
The design: 1,000 seeds of each built-in scenario, every mechanism switched off (alone and all
at once), every categorical mode, and 50 Latin-hypercube points over the numeric parameters; a fifth of the default seeds also record the per-day,
per-agency and per-dyad series. The sample (``--sample``) is a slice of the same design that
``tests/test_equivalence.py`` replays in a few seconds.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

SCENARIOS = ("default", "world-2024")
SEEDS = 1000
LHS_POINTS = 50
LHS_SEEDS = 4
SWITCH_SEEDS = 100
MODE_SEEDS = 50
SERIES_EVERY = 5
SAMPLE_SEEDS = 20
SAMPLE_LHS_POINTS = 8
DAYS = 365
LHS_DAYS = 200


def _canonical(value: Any) -> str:
    """One value as text that distinguishes every float bit pattern (and None from NaN)."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def digest(values: list[Any]) -> str:
    h = hashlib.sha256()
    for v in values:
        h.update(_canonical(v).encode())
        h.update(b"\x00")
    return h.hexdigest()[:20]


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return value


def design(sample: bool = False) -> Iterator[dict[str, Any]]:
    """The runs, each a plain dict: ``case``, ``scenario``, ``seed``, ``days``, ``set``
    (parameter values by name) and ``series`` (record the per-day logs too)."""
    from sim.mechanisms import MECHANISMS, all_off
    from sim.params import PARAMETERS, ModelParams

    seeds = range(SAMPLE_SEEDS) if sample else range(SEEDS)
    for scenario in SCENARIOS:
        for seed in seeds:
            yield {"case": f"{scenario}/seed", "scenario": scenario, "seed": seed, "days": DAYS,
                   "set": {}, "series": seed % SERIES_EVERY == 0}
    base = ModelParams()
    switches = [(m.name, m.off(base)) for m in MECHANISMS] + [("all_off", all_off(base))]
    for name, values in switches:
        for seed in range(2 if sample else SWITCH_SEEDS):
            yield {"case": f"switch/{name}", "scenario": "default", "seed": seed, "days": DAYS,
                   "set": {k: getattr(v, "value", v) for k, v in values.items()},
                   "series": False}
    for spec in PARAMETERS.values():
        if spec.choices is None:
            continue
        for choice in spec.choices:
            if choice == getattr(spec.default, "value", spec.default):
                continue
            for seed in range(2 if sample else MODE_SEEDS):
                yield {"case": f"mode/{spec.name}={choice}", "scenario": "default",
                       "seed": seed, "days": DAYS, "set": {spec.name: choice}, "series": False}
    for i, point in enumerate(_lhs_points()):
        if sample and i >= SAMPLE_LHS_POINTS:
            break
        for seed in range(1 if sample else LHS_SEEDS):
            yield {"case": f"lhs/{i}", "scenario": SCENARIOS[i % 2], "seed": seed,
                   "days": LHS_DAYS, "set": point, "series": i % 10 == 0}


def _lhs_points() -> list[dict[str, Any]]:
    """Latin-hypercube points over every numeric parameter's declared range (a fixed seed), and
    the boolean ones drawn at random; integers rounded."""
    import numpy as np
    from scipy.stats import qmc

    from sim.params import PARAMETERS

    numeric = [p for p in PARAMETERS.values() if p.is_numeric]
    flags = [p for p in PARAMETERS.values() if p.kind is bool]
    unit = qmc.LatinHypercube(d=len(numeric), seed=np.random.default_rng(20261207)).random(LHS_POINTS)
    rng = np.random.default_rng(7)
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for p, u in zip(numeric, row, strict=True):
            lo, hi = float(p.low), float(p.high)
            if p.name in _NARROW:
                lo, hi = _NARROW[p.name]
            x = lo + float(u) * (hi - lo)
            point[p.name] = round(x) if p.kind is int else x
        for p in flags:
            point[p.name] = bool(rng.random() < 0.8)
        points.append(point)
    return points


_NARROW = {"plot_rate": (0.0, 0.04), "false_lead_rate": (0.0, 3.0), "fabrication_rate": (0.0, 0.01)}
"""Ranges narrowed so that no point makes a year of thousands of warnings (the full declared
range of these rates is covered by the sweeps' own tests; here the point is equality)."""


def run_one(case: dict[str, Any]) -> dict[str, Any]:
    from sim.params import ModelParams
    from sim.run import RunSpec, simulate

    params = ModelParams().replace(**case["set"])
    series = case["series"]
    result = simulate(RunSpec(params=params, scenario=case["scenario"], days=case["days"],
                              seed=case["seed"], record_warnings=True, record_series=series,
                              record_agents=series, record_dyads=series, typed_logs=True))
    logs = {"warnings": result.warnings}
    if series:
        logs |= {"series": result.series, "agents": result.agents, "dyads": result.dyads}
    digests = {}
    for log_name, batch in logs.items():
        for name in batch.schema.names:
            digests[f"{log_name}.{name}"] = digest(batch.column(name).to_pylist())
        digests[f"{log_name}.rows"] = batch.num_rows
    digests["trust_matrix"] = digest(result.trust_matrix)
    digests["rivalry_matrix"] = digest(result.rivalry_matrix)
    return {**case, "outcomes": {k: _plain(v) for k, v in result.outcomes.items()},
            "digests": digests}


def record(out: Path, *, sample: bool) -> int:
    rows = 0
    with gzip.open(out, "wt") as f:
        for case in design(sample):
            f.write(json.dumps(run_one(case), sort_keys=True) + "\n")
            rows += 1
    return rows


def load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


def _key(row: dict[str, Any]) -> str:
    return json.dumps({k: row[k] for k in ("case", "scenario", "seed", "days", "set")},
                      sort_keys=True)


def differences(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[str]:
    """Every difference between two recordings, one line each (empty: identical)."""
    out = []
    by_key = {_key(r): r for r in b}
    if len(by_key) != len(a):
        out.append(f"run count differs: {len(a)} against {len(by_key)}")
    for row in a:
        other = by_key.get(_key(row))
        if other is None:
            out.append(f"{_key(row)}: missing")
            continue
        for part in ("outcomes", "digests"):
            x, y = row[part], other[part]
            for name in sorted(set(x) | set(y)):
                if x.get(name) != y.get(name):
                    out.append(f"{row['case']} seed {row['seed']}: {part}.{name} "
                               f"{x.get(name)!r} != {y.get(name)!r}")
    return out


def check(baseline: str, out_dir: Path, against: str | None = None) -> int:
    """Record the full design at ``baseline`` and here (or at the commit ``against``); print
    and count the differences."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = _record_at(baseline, out_dir / f"{baseline}.jsonl.gz")
    if against is None:
        here = out_dir / "here.jsonl.gz"
        subprocess.run([sys.executable, __file__, "record", "--out", str(here)], check=True,
                       cwd=ROOT, env=_env(ROOT))
    else:
        here = _record_at(against, out_dir / f"{against}.jsonl.gz")
    a, b = load(base), load(here)
    diff = differences(a, b)
    for line in diff[:50]:
        print(line)
    runs = len(a)
    cables = sum(r["digests"].get("warnings.rows", 0) for r in a)
    print(f"{runs} runs, {cables} warning-log rows: "
          + ("identical" if not diff else f"{len(diff)} differences"))
    return 1 if diff else 0


def _record_at(ref: str, out: Path) -> Path:
    """Record the full design with the code of the git commit ``ref`` (a temporary worktree,
    running this script's own copy)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
                       check=True, capture_output=True)
        try:
            script = Path(tmp) / "equivalence.py"
            script.write_text(Path(__file__).read_text())
            subprocess.run([sys.executable, str(script), "record", "--out", str(out)],
                           check=True, cwd=tree, env=_env(tree))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)
    return out


def _env(tree: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run the design here and write one JSON line per run")
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--sample", action="store_true", help="the small slice the tests replay")
    cmp_ = sub.add_parser("compare", help="compare two recordings")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    chk = sub.add_parser("check", help="record at a commit and here, and compare")
    chk.add_argument("--baseline", required=True)
    chk.add_argument("--against", metavar="REF",
                     help="compare with this commit instead of the working tree")
    chk.add_argument("--out-dir", type=Path, default=Path(tempfile.gettempdir()) / "equivalence")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(f"{record(args.out, sample=args.sample)} runs recorded in {args.out}")
        return 0
    if args.command == "compare":
        diff = differences(load(args.a), load(args.b))
        for line in diff[:50]:
            print(line)
        print("identical" if not diff else f"{len(diff)} differences")
        return 1 if diff else 0
    return check(args.baseline, args.out_dir, args.against)


if __name__ == "__main__":
    sys.exit(main())
