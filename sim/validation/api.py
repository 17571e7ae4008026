"""``validate()``: run the declared suite and write the report (what ``warnsim validate`` does).

The pipeline is one way: the studies run through the sweep engine into result folders, the
statistics read those folders only, the report reads the statistics. Nothing is written before
every input has been checked (the ``--set`` values, the ``--only`` ids, each study's design at
the parameters given, the output folder); a rerun with the same options resumes the studies
where they stopped.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.params import ModelParams, ParameterError
from sim.sweep import read_manifest
from sim.validation import figures as fig
from sim.validation import report, scoring, statistics, studies
from sim.validation.suite import CheckKind, case_family, select, studies_for

DEFAULT_OUT = Path("results/validation")
"""Where the full report for the defaults goes (the committed one)."""
QUICK_OUT = Path("results/validation-quick")
"""Where ``--quick`` goes unless told otherwise: a quick report never replaces the full one."""
REPORT_FILES = ("report.md", "report.html", "validation.json")
FIGURES = ("verdicts", "rivalry", "reliability", "learning", "decomposition", "cases")


@dataclass(frozen=True, slots=True)
class ValidationOptions:
    """How to validate: where to write, how big (``quick``, or ``replications`` for every
    study), which checks (``only``; empty: all), at which parameters (``overrides``, as
    ``--set`` gives them), on which executor, and with which run function (tests plant model
    changes through it, as through the sweep's ``run_fn``)."""

    out: Path | None = None
    quick: bool = False
    workers: int | None = None
    dask: Any = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    only: tuple[str, ...] = ()
    replications: int | None = None
    run_fn: studies.RunFn | None = None
    progress: bool = True
    command: str = ""
    force: bool = False
    calibration: Path | None = Path("results/calibration")
    """The calibration the report's calibration section reads (None: no section)."""
    attainability: Path | None = Path("results/attainability")
    """The attainability study that section reads (``warnsim attainability``)."""

    @property
    def full(self) -> bool:
        """The full report for the defaults: what ``results/validation/`` holds."""
        return not (self.quick or self.overrides or self.only or self.replications)


@dataclass(frozen=True, slots=True)
class Validation:
    entries: list[dict[str, Any]]
    out: Path
    seconds: float
    failed_runs: int

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {e["id"]: e for e in self.entries}


@dataclass(frozen=True, slots=True)
class Measured:
    """What the studies measured at one parameter set, before any report is written: the
    entries of ``validation.json`` and what the figures and the report's tables draw on."""

    entries: list[dict[str, Any]]
    curves: dict[str, Any]
    tables: dict[str, Any]
    prepared: list[studies.Prepared]
    ran: list[studies.Ran]
    data: dict[str, statistics.StudyData]
    base: ModelParams
    overrides: dict[str, Any]
    checks: tuple[Any, ...]

    @property
    def failed_runs(self) -> int:
        return sum(r.failed for r in self.ran)


def validate(options: ValidationOptions) -> Validation:
    from sim.sweep.code import model_sha256
    from sim.validation.calibrated import load, section

    started = time.perf_counter()
    out = output_folder(options)
    calibrated = load(options.calibration, options.attainability)  # read before any run
    m = measure(options, out)
    figures = _figures(out / "figures", m.entries, m.curves, m.tables, m.checks,
                       workers=options.workers)
    rows = tuple(_study_row(r, m.data[r.prepared.study.name], out) for r in m.ran)
    commits = tuple(sorted({str(read_manifest(p.folder).get("git_commit")) for p in m.prepared}))
    ctx = report.Context(
        version=_version(), commits=commits, quick=options.quick, base=m.base,
        overrides=m.overrides, studies=rows, seconds=time.perf_counter() - started,
        command=options.command or _command(options), only=tuple(options.only),
        replications=options.replications,
        calibration=() if calibrated is None else tuple(
            section(calibrated, m.base.to_dict(), model_sha256())))
    doc = report.document(ctx, m.entries, figures, m.tables)
    from sim.validation.document import to_html, to_markdown

    report.write_json(m.entries, out / "validation.json")
    report._write(out / "report.md", to_markdown(doc, out))
    report._write(out / "report.html", to_html(doc))
    return Validation(m.entries, out, time.perf_counter() - started, m.failed_runs)


def measure(options: ValidationOptions, out: Path) -> Measured:
    """Run (or resume) the studies the selected checks need into ``out/runs/`` and compute
    every check from their result files: what ``warnsim validate`` reports, and what the
    attainability study (:mod:`sim.validation.attainability`) records at each of its points.
    Every input is checked before anything is written."""
    base = ModelParams.from_mapping(options.overrides, origin="--set")
    overrides = {k: getattr(base, k) for k in options.overrides}
    checks = select(list(options.only))
    if options.replications is not None and options.replications < 2:
        raise UserError(f"--replications: got {options.replications}; allowed: an integer >= 2 "
                        "(intervals resample replications)")
    _check_out(out)
    prepared = []
    for study in studies_for(checks):
        reps = options.replications or study.runs(options.quick)
        if reps < study.minimum:
            raise UserError(f"--replications: got {reps}; allowed: at least {study.minimum} for "
                            f"the {study.name} study's checks")
        _check_design(study, base)
        prepared.append(studies.prepare(study, base, overrides, out, replications=reps,
                                        run_fn=options.run_fn))
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    ran: list[studies.Ran] = []
    try:
        for i, p in enumerate(prepared, start=1):
            studies.announce(i, len(prepared), p, quiet=not options.progress)
            ran.append(studies.run(p, workers=options.workers, dask=options.dask,
                                   progress=options.progress, run_fn=options.run_fn))
    except UserError:
        if created and not ran:  # refused before any run (an unreachable --dask): leave no trace
            shutil.rmtree(out, ignore_errors=True)
        raise
    data = {p.study.name: statistics.load_study(p.study.name, p.folder, p.points, base)
            for p in prepared}
    entries: list[dict[str, Any]] = []
    curves: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    for check in checks:
        if check.kind is CheckKind.CASE:
            continue
        try:
            m = statistics.STATISTICS[check.statistic](check, data)
        except statistics.Undefined as exc:
            entries.append(report.entry(check, None, f"undefined: {exc}"))
            continue
        entries.append(report.entry(check, m))
        curves |= m.curves
    if "decomposition" in curves:
        tables["decomposition"] = curves["decomposition"]
    case_checks = {c.id: c for c in checks if c.kind is CheckKind.CASE}
    if case_checks:
        results = scoring.evaluate(base)
        measured = {"cases_brier": results.brier, "cases_log_loss": results.log_loss}
        entries += [report.entry(c, measured[c.statistic]) for c in case_checks.values()]
        entries += [report.case_entry(raw, case_family()) for raw in results.entries]
        tables["cases"] = results
    return Measured(entries, curves, tables, prepared, ran, data, base, overrides, checks)


def output_folder(options: ValidationOptions) -> Path:
    """The folder to write: ``out`` if given, else ``results/validation/`` (the full report's)
    or, for a quick report, ``results/validation-quick/`` (said on stderr). A report other than
    the full one for the defaults is refused (:mod:`sim.committed`) where it would replace a
    committed report, unless ``force``."""
    out = options.out
    if out is None:
        out = QUICK_OUT if options.quick else DEFAULT_OUT
        if options.quick:  # said even with --quiet: it is where the report is
            print(f"warnsim: --quick writes to {QUICK_OUT}/ ({DEFAULT_OUT}/ holds the full "
                  "report; --out DIR chooses another folder)", file=sys.stderr)
    if not options.full:
        from sim.committed import refuse_replacing

        changed = [flag for flag, used in (("--quick", options.quick),
                                          ("--set", bool(options.overrides)),
                                          ("--only", bool(options.only)),
                                          ("--replications", options.replications is not None))
                   if used]
        refuse_replacing([Path(out)], why="a report made with " + ", ".join(changed),
                         force=options.force, instead="choose another folder with --out")
    return Path(out)


def _check_design(study: Any, base: ModelParams) -> None:
    """Every design point must be a valid parameter set at the validated parameters."""
    for point in study.design(base):
        try:
            base.replace(**dict(study.fixed), **point.values)
        except ParameterError as exc:
            raise UserError(f"validation study {study.name} (design point {point.label}) at the "
                            f"parameters given: {exc}") from None


def _check_out(out: Path) -> None:
    """Write only into a new or empty folder or one holding an earlier validation's files."""
    check_own_folder(out, {"validation.json", studies.RUNS}, "an earlier validation report",
                     "warnsim validation")


def check_own_folder(out: Path, marks: set[str], earlier: str, holds: str) -> None:
    """Refuse ``--out`` unless it is new, empty, or holds one of ``marks`` (a file or folder
    this command writes): one line naming the folder, some of what it holds, and what is
    allowed. ``earlier`` and ``holds`` name the command's own output in the message."""
    if not out.exists():
        return
    if not out.is_dir():
        raise UserError(f"--out: {out} is a file; allowed: a folder, new or holding {earlier}")
    names = {p.name for p in out.iterdir()}
    if names and not names & marks:
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise UserError(f"--out: {out} is not empty ({shown}) and holds no {holds}; "
                        "choose a new or empty folder")


def _figures(out: Path, entries: list[dict[str, Any]], curves: Mapping[str, Any],
             tables: Mapping[str, Any], checks: Any, *,
             workers: int | None = None) -> dict[str, Path]:
    """Draw the report's figures into ``out``, on ``workers`` processes (None: the usable
    cores): drawing and writing PNG and PDF is about a third of a full report's time, and
    the figures are independent."""
    from sim.analysis.tables import remove_stale
    from sim.validation.scoring import UNINFORMED

    jobs: dict[str, tuple[str, tuple[Any, ...]]] = {"verdicts": ("verdicts", (entries,))}
    if "cases" in tables:
        jobs["cases"] = ("cases", (tables["cases"].table, UNINFORMED))
    ranges = {c.id: (c.range_low, c.range_high) for c in checks}
    jobs["reliability"] = ("reliability", (curves.get("crossover"), curves.get("matching"),
                                           curves.get("deaths"), ranges))
    if "decomposition" in tables:
        jobs["decomposition"] = ("decomposition", (tables["decomposition"],))
    if "gap_by_year" in curves:
        jobs["learning"] = ("learning", (curves["gap_by_year"],))
    if "bands" in curves:
        jobs["rivalry"] = ("rivalry", (curves["bands"],))
    drawn = _draw_all(jobs, out, workers)
    made = {k: v for k in FIGURES if (v := drawn.get(k)) is not None}
    remove_stale(out, set(FIGURES) - set(made), ("pdf", "png"))
    return made


def _draw_all(jobs: Mapping[str, tuple[str, tuple[Any, ...]]], out: Path,
              workers: int | None) -> dict[str, Path | None]:
    """Each job's figure (largest first), in worker processes when more than one may run."""
    from sim.sweep.executors import start_method, usable_cores

    slots = min(workers or usable_cores(), len(jobs))
    if slots <= 1:
        return {name: _draw(fn, args, out) for name, (fn, args) in jobs.items()}
    import concurrent.futures as cf
    import multiprocessing as mp

    with cf.ProcessPoolExecutor(slots, mp_context=mp.get_context(start_method())) as pool:
        futures = {name: pool.submit(_draw, fn, args, out) for name, (fn, args) in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


def _draw(function: str, args: tuple[Any, ...], out: Path) -> Path | None:
    return getattr(fig, function)(*args, out)


def _study_row(r: studies.Ran, data: statistics.StudyData, out: Path) -> report.StudyRow:
    p = r.prepared
    return report.StudyRow(
        name=p.study.name, question=p.study.question, points=max(1, len(p.points)),
        replications=p.replications, days=p.study.days, runs=p.runs, ran=r.ran, failed=r.failed,
        dropped=data.dropped, seconds=r.seconds,
        folder=p.folder.relative_to(out).as_posix(), superseded=p.superseded)


def _version() -> str:
    from sim import __version__

    return __version__


def _command(options: ValidationOptions) -> str:
    parts = ["warnsim", "validate"]
    if options.quick:
        parts.append("--quick")
    if options.out is not None and Path(options.out) != DEFAULT_OUT:
        parts += ["--out", str(options.out)]
    for k, v in options.overrides.items():
        parts += ["--set", f"{k}={getattr(v, 'value', v)}"]
    if options.only:
        parts += ["--only", ",".join(options.only)]
    if options.replications:
        parts += ["--replications", str(options.replications)]
    return shlex.join(parts)


def print_summary(result: Validation) -> None:
    print(report.verdict_lines(result.entries))
    counts = report.tally(result.entries)
    aside = sum(not report.counted(e) for e in result.entries)
    print(f"\nvalidation: {counts['within']} within, {counts['outside']} outside, "
          f"{counts['not_applicable']} not applicable ({aside} entries not counted: by "
          f"construction, diagnostic or descriptive); wrote {result.out}/report.md, report.html, "
          f"validation.json and figures/ in {result.seconds:.0f} s")
    if result.failed_runs:
        print(f"warnsim: {result.failed_runs} runs failed; their replications were left out "
              "(see the report's studies table)", file=sys.stderr)
