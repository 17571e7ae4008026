"""The ``warnsim`` command line.

Subcommands: ``run`` (one run), ``view`` (the run in the browser), ``scenarios``, ``params``,
``cases``, ``init`` (a new experiment file), ``sweep`` (experiments), ``analyze`` and ``plot``
(statistics and figures from a sweep's results), ``validate`` (the validation report),
``calibrate`` (pattern-oriented calibration) and ``plan`` (replications needed, from a pilot).
Every failure prints one line, ``warnsim: error: ...``, without a traceback, and exits with a
documented status (the README's "Exit statuses"): 2 bad input (:class:`sim.errors.UserError`,
and argparse's usage errors), 3 a file that cannot be read or written or a sweep stopped by the
machine, 4 a results folder in use, 128 + N a stop signal N, 141 a closed output pipe
(silently, as ``cat`` does).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.errors import Interrupted, UserError, WarnsimError
from sim.files import cannot_write
from sim.run import MAX_DAYS

BROKEN_PIPE = 128 + 13
"""Exit status after the reader of our output went away (``warnsim params | head -1``): what a
process killed by SIGPIPE reports, without the traceback Python would print."""

FILE_ERROR = 3
"""Exit status of a failure of the machine: a file-system failure (disk full, read-only, name
too long...) or memory running out."""


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line (``warnsim: error: ...``), exit status 2."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("warnsim").strip()
        self.exit(2, f"warnsim: error: {where + ': ' if where else ''}{message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    _standard_streams()
    command = ""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = args.command
        return int(args.func(args))
    except (WarnsimError, MemoryError, KeyboardInterrupt, OSError) as exc:
        message, status = _failure(exc, command)
        if message:
            _say(message)
        return status


LESS_WORK = {"run": "fewer --days", "view": "fewer days",
             "sweep": "fewer design points, replications or days",
             "calibrate": "a smaller sample", "plan": "fewer --pilot replications or --points"}
"""What to ask for when a command runs out of memory (others: free memory only)."""


def _failure(exc: BaseException, command: str = "") -> tuple[str, int]:
    """The one line to print (none after a closed pipe) and the exit status."""
    if isinstance(exc, WarnsimError):
        found = (f"warnsim: error: {printable(str(exc))}", exc.exit_status)
    elif isinstance(exc, MemoryError):
        less = f", or ask for less ({LESS_WORK[command]})" if command in LESS_WORK else ""
        found = (f"warnsim: error: not enough memory for `warnsim {command or '...'}`; free "
                 f"memory or raise the limit (ulimit -v, the container's){less}", FILE_ERROR)
    elif isinstance(exc, Interrupted):
        found = (f"warnsim: {exc}; finished runs are kept: run the same command to resume",
                 exc.exit_status)
    elif isinstance(exc, KeyboardInterrupt):
        found = ("warnsim: interrupted", 130)
    elif isinstance(exc, BrokenPipeError):
        _discard_stdout()
        found = ("", BROKEN_PIPE)
    else:
        assert isinstance(exc, OSError)
        found = (f"warnsim: error: {printable(_os_error(exc))}", FILE_ERROR)
    return found


def printable(text: str) -> str:
    """``text`` as one line that shows what it holds: control and format characters (line
    breaks, which ``str.splitlines`` also finds in ``\\x1c``-``\\x1e``; terminal escapes;
    bidirectional overrides) written as escapes. Messages quote keys, values and file names from
    the user's files, which may hold any of them."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
                   or c == "\t" else c.encode("unicode_escape").decode("ascii") for c in text)


def _standard_streams() -> None:
    """Give closed standard streams (``2>&-``) a sink. Otherwise the first file warnsim opens
    gets descriptor 2 and anything written to stderr (a warning from a library, a worker)
    lands in a result file; and Python sets ``sys.stderr`` to None, so a plain ``print`` fails."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # takes the lowest free descriptor: ``fd``
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr, flush=True)
    except OSError:  # stderr itself is gone: nowhere left to say it
        pass


def _discard_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "a file"
    return f"cannot use {where} ({exc.strerror or exc})"


def build_parser() -> argparse.ArgumentParser:
    from sim import __version__
    from sim.analysis.cli import register as register_analysis
    from sim.calibration.cli import register as register_calibration
    from sim.plan import register as register_plan
    from sim.sweep.cli import port
    from sim.sweep.cli import register as register_sweep
    from sim.validation.cli import register as register_validation

    parser = _Parser(
        prog="warnsim",
        description="Agent-based simulation of warning diplomacy under a duty-to-warn protocol.",
    )
    parser.add_argument("--version", action="version", version=f"warnsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run", help="one run of a scenario; prints its outcome table",
        description="Simulate one scenario for a number of days with one seed and print every "
        "outcome, the waivers by reason, heed rates and trust by rivalry band, and the first "
        "rows of the warning log (or one JSON object with --json).",
    )
    run.add_argument("--scenario", default="default", help="built-in name or .toml path (default: default)")
    run.add_argument("--days", type=_days, default=365,
                     help=f"days to simulate, 0-{MAX_DAYS} (default 365)")
    run.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    run.add_argument("--params", type=Path, metavar="FILE",
                     help="start from the parameter values in FILE (name = value lines, as "
                     "`warnsim calibrate` writes them); --set overrides them")
    _set_option(run, "override a model parameter (repeatable; see `warnsim params`) or a "
                "scenario factor by dotted name (agency.NAME.ATTRIBUTE, bloc_rivalry.A:B, liaison.A:B)")
    run.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    run.add_argument("--log", type=Path, metavar="FILE",
                     help="write the full warning log (.csv or .parquet)")
    run.add_argument("--series", type=Path, metavar="FILE",
                     help="record the per-day series (DataCollector) and write it (.csv or .parquet)")
    run.add_argument("--agents", type=Path, metavar="FILE",
                     help="record the per-agency series (agent reporters) and write it (.csv or .parquet)")
    run.add_argument("--dyads", type=Path, metavar="FILE",
                     help="record trust and rivalry per ordered pair per day and write it (.csv or .parquet)")
    run.add_argument("--record-every", type=_every, default=1, metavar="DAYS",
                     help="record --series, --agents and --dyads every DAYS days and on the "
                     "last day (default 1: every day)")
    run.add_argument("--log-rows", type=_non_negative_int, default=15, metavar="N",
                     help="warning-log rows to print (default 15)")
    run.set_defaults(func=_cmd_run)

    scen = sub.add_parser(
        "scenarios", help="list the built-in scenarios, or show one fully resolved",
        description="Without NAME, list the built-in scenarios. With a built-in name or the path "
        "of a scenario .toml file, show its agencies, bloc factors, pair overrides, the resolved "
        "rivalry and liaison matrices (at the parameters given with --set) and scheduled shifts. "
        "The file format is documented in docs/scenarios.md.")
    scen.add_argument("name", nargs="?", help="a built-in scenario or a scenario .toml file")
    _set_option(scen, "resolve the rivalry matrix with a model parameter or a dotted scenario "
                "factor changed (repeatable)")
    scen.add_argument("--template", type=Path, metavar="FILE",
                      help="write an annotated example scenario file to FILE (refuses to overwrite)")
    scen.set_defaults(func=_cmd_scenarios)

    params = sub.add_parser("params", help="the model's parameters (name, type, default, range, unit)")
    # A developer's tool (keeps docs/ODD.md in step with sim/params.py): hidden from --help.
    params.add_argument("--update-odd", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    params.add_argument("--json", action="store_true",
                        help="print the declarations as a JSON list (name, type, default, low, "
                        "high, choices, unit, group, label, meaning, source)")
    params.set_defaults(func=_cmd_params)

    cases = sub.add_parser(
        "cases", help="score documented warnings against recorded responses, per half",
        description="The model's probabilities of heeding, investigating and dismissing each "
        "documented warning (judged as the first from its sender), beside the recorded response; "
        "then, for the calibration and hold-out halves of docs/cases-codebook.md, the Brier "
        "score and log-loss of the model, of the base rates and of a ridge multinomial logistic "
        "regression on the coded columns (both fitted on the calibration half).")
    cases.add_argument("file", nargs="?", type=Path,
                       help="CSV of cases (default: the built-in dataset, sim/data/cases.csv)")
    cases.add_argument("--params", type=Path, metavar="FILE",
                       help="score with the parameter values in FILE; --set overrides them")
    _set_option(cases, "score with a model parameter changed (repeatable); see `warnsim params`")
    cases.add_argument("--json", action="store_true",
                       help="print the scored cases as a JSON list instead of a table (each row "
                       "with its half and the baselines' probabilities)")
    cases.add_argument("--sensitivity", action="store_true",
                       help="rescore every case with each rule-coded column moved one step at a "
                       "time (codebook, section 7): per column, how often the prediction changes")
    cases.set_defaults(func=_cmd_cases)

    view = sub.add_parser(
        "view", help="watch one run day by day in the browser (Solara; needs warnsim[viz])",
        description="Serve an interactive page of the model (Solara): the agencies as a network "
        "with trust and warnings, live plots, the warning log and controls for every parameter. "
        "Each browser tab is a session with its own model, within the limits below (docs/view.md)."
        " Listens on 127.0.0.1 unless --host says otherwise; stop with Ctrl-C (exit status 130).")
    view.add_argument("--scenario", default="default",
                      help="the first scenario: a built-in name, a .toml file under --scenarios, "
                      "or without --scenarios the path of the one file to offer (default: default)")
    view.add_argument("--scenarios", metavar="DIR", default=None,
                      help="offer the .toml scenario files under DIR beside the built-in ones "
                      "(nothing else on the server can be chosen)")
    view.add_argument("--limit", action="append", default=[], metavar="KEY=VALUE",
                      help="a bound on each browser session (repeatable): "
                      + "; ".join(f"{k} ({p.unit}, default {p.default:g})"
                                  for k, p in _view_limits().items()))
    view.add_argument("--port", type=port, default=8765, help="port, 0 for any free one (default 8765)")
    view.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only)")
    view.set_defaults(func=_cmd_view)

    init = sub.add_parser(
        "init", help="write a commented experiment file to start from",
        description="Write NAME.toml into the current folder: an experiment file with every "
        "section explained and every model parameter listed from the declarations, ready for "
        "`warnsim sweep NAME.toml`.")
    init.add_argument("name", help="experiment name (letters, digits, _ and -)")
    init.add_argument("--force", action="store_true", help="overwrite an existing NAME.toml")
    init.set_defaults(func=_cmd_init)

    register_sweep(sub)
    register_analysis(sub)
    register_validation(sub)
    register_calibration(sub)
    register_plan(sub)
    return parser


def _days(text: str) -> int:
    days = _non_negative_int(text)
    if days > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{days} is too many; allowed: an integer in [0, {MAX_DAYS}]")
    return days


def _every(text: str) -> int:
    every = _non_negative_int(text)
    if not 1 <= every <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"got {every}; allowed: an integer in [1, {MAX_DAYS}]")
    return every


def _set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--set KEY=VALUE`` (repeatable), collected as ``args.assignments``."""
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="KEY=VALUE", type=_ascii, help=help)


def _ascii(text: str) -> str:
    """Option text in ASCII: Python's int() and float() also read full-width and other
    digits ("\uff10.\uff15"), which would pass as numbers."""
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: ASCII characters only")
    return text


def _non_negative_int(text: str) -> int:
    try:
        if not text.strip().isascii():  # int() also reads full-width and other digits
            raise ValueError(text)
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer (ASCII digits)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; allowed: an integer >= 0")
    return value


def params_base(args: argparse.Namespace) -> dict[str, Any]:
    """The values of ``--params FILE`` (none without the option), under ``--set``."""
    return {} if args.params is None else dict(_read_params(args.params).values)


def model_params(args: argparse.Namespace) -> Any:
    """The parameters of ``--params FILE`` (if given) with ``--set`` assignments on top."""
    from sim.params import ModelParams, parse_assignments

    return ModelParams.from_mapping({**params_base(args), **parse_assignments(args.assignments)})


def _read_params(path: Path) -> Any:
    from sim.paramfile import read_params

    try:
        return read_params(path)
    except UserError as exc:
        raise UserError(f"--params: {exc}") from None


# --- run -------------------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace) -> int:
    from sim.run import RunSpec, simulate

    params, changes, _ = _assignments(args.assignments, args.scenario, base=params_base(args))
    outputs = (("--log", args.log), ("--series", args.series), ("--agents", args.agents),
               ("--dyads", args.dyads))
    for flag, path in outputs:
        if path is not None and path.suffix not in (".csv", ".parquet"):
            raise UserError(f"{flag}: {path}: allowed suffixes: .csv, .parquet")
    spec = RunSpec(params=params, scenario=args.scenario, days=args.days, seed=args.seed,
                   changes=changes, record_series=args.series is not None,
                   record_agents=args.agents is not None,
                   record_dyads=args.dyads is not None, record_every=args.record_every)
    result = simulate(spec)
    assert result.warnings is not None
    tables = (result.warnings, result.series, result.agents, result.dyads)
    for (_, path), table in zip(outputs, tables, strict=True):
        if path is not None:
            assert table is not None
            _write_table(table, path)
    if args.json:
        payload = {"scenario": args.scenario, "days": args.days, "seed": args.seed,
                   **result.outcomes}
        # The final matrices, rows and columns in the order of `agencies` (diagonal null).
        payload |= {"agencies": result.agencies, "trust_matrix": result.trust_matrix,
                    "rivalry_matrix": result.rivalry_matrix}
        print(json.dumps(_json_safe(payload)))
    else:
        print(_run_report(spec, result.outcomes, result.warnings, args.log_rows))
    return 0


def _assignments(items: list[str], scenario: str, *, base: dict[str, Any] | None = None,
                 ) -> tuple[Any, tuple[tuple[str, Any], ...], Any]:
    """``--set`` items split into model parameters and dotted scenario factors, each parsed
    by its declaration and the factors checked against ``scenario``: (parameters, changes,
    the scenario with the changes applied). ``base``: parameter values under the ``--set``
    ones (a ``--params`` file's)."""
    from sim.params import ModelParams, parse_assignments
    from sim.scenarios import factor, is_dotted, load_scenario, with_changes

    plain = [item for item in items if not is_dotted(item.partition("=")[0].strip())]
    dotted = [item.partition("=") for item in items if item not in plain]
    params = ModelParams.from_mapping({**(base or {}), **parse_assignments(plain)})
    changes = tuple((name.strip(), factor(name.strip()).parse(text, origin="--set"))
                    for name, _, text in dotted)
    return params, changes, with_changes(load_scenario(scenario), changes)


def _json_safe(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in obj.items()}


def _write_table(columns: dict[str, list[Any]], path: Path) -> None:
    """Write columns as CSV or Parquet, atomically (a temporary file renamed into place)."""
    import pandas as pd

    frame = pd.DataFrame(columns)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        tmp.replace(path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # the same read-only or full file system: nothing more to undo
            pass
        raise cannot_write(path, exc) from None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _run_report(spec: Any, out: dict[str, Any], log: dict[str, list[Any]], log_rows: int) -> str:
    from sim.outcomes import BANDS, OUTCOMES

    title = f"warnsim run: scenario {spec.scenario}, {spec.days} days, seed {spec.seed}"
    skip = {o.name for o in OUTCOMES if "_rivalry" in o.name or o.name.startswith("waived_")}
    main_rows = [(o.name, _fmt(out[o.name]), o.doc) for o in OUTCOMES if o.name not in skip]
    waiver_rows = [(o.name.removeprefix("waived_"), _fmt(out[o.name]))
                   for o in OUTCOMES if o.name.startswith("waived_")]
    band_rows = [
        (b, _fmt(out[f"delivered_{b}_rivalry"]), _fmt(out[f"heeded_{b}_rivalry"]),
         _fmt(out[f"heed_rate_{b}_rivalry"]), _fmt(out[f"mean_trust_{b}_rivalry"]))
        for b in BANDS
    ]
    parts = [
        title, "", _table(main_rows, ("outcome", "value", "meaning")),
        "", "Waivers by reason", _table(waiver_rows, ("reason", "warnings")),
        "", "By rivalry band (low < 1/3 <= mid < 2/3 <= high)",
        _table(band_rows, ("band", "delivered", "heeded", "heed_rate", "mean_trust_end")),
    ]
    n = len(log["warning_id"])
    if log_rows and n:
        cols = ("warning_id", "day", "sender", "recipient", "is_real", "fabricated",
                "details_passed", "channel", "waiver_reason", "rivalry", "perceived_credibility",
                "response", "heeded", "confirmed")
        rows = [tuple(_fmt(log[c][i]) if log[c][i] is not None else "" for c in cols)
                for i in range(min(n, log_rows))]
        parts += ["", f"Warning log (first {len(rows)} of {n}; --log FILE writes all)", _table(rows, cols)]
    return "\n".join(parts)


# --- scenarios and params ----------------------------------------------------------------------
def _cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.scenarios import load_scenario, scenario_names, template

    if args.template is not None:
        try:  # a new file only: never over an existing one, nor through a link (O_EXCL)
            fd = os.open(args.template, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise UserError(f"--template: {args.template} exists; choose a new file name") from None
        except OSError as exc:
            raise cannot_write(args.template, exc, where="--template") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(template())
        except OSError as exc:
            args.template.unlink(missing_ok=True)
            raise cannot_write(args.template, exc, where="--template") from None
        print(f"wrote {args.template}; check it with `warnsim scenarios {args.template}`")
        return 0
    if args.name is None:
        rows = []
        for name in scenario_names():
            s = load_scenario(name)
            rows.append((name, str(s.size), s.description))
        print(_table(rows, ("scenario", "agencies", "description")))
        return 0
    params, _, s = _assignments(args.assignments, args.name)
    print(_scenario_report(s, params))
    return 0


def _scenario_report(s: Any, params: Any) -> str:
    """A scenario as the model resolves it: agencies, factors, matrices, shifts."""
    from sim.protocol import relay_matrix

    names = [a.name for a in s.agencies]
    parts = [f"{s.name}: {s.description}", ""]
    agencies = [(a.name, a.country, a.bloc, f"{a.capability:g}", f"{a.home_security:g}",
                 f"{a.source_sensitivity:g}", a.doctrine.value,
                 "drawn" if a.concern is None else f"{a.concern:g}",
                 "drawn" if a.opportunism is None else f"{a.opportunism:g}")
                for a in s.agencies]
    parts.append(_table(agencies, ("agency", "country", "bloc", "capability", "home_security",
                                   "source_sensitivity", "doctrine", "concern", "opportunism")))
    if s.bloc_factors:
        factors = sorted({tuple(sorted(k)): v for k, v in s.bloc_factors.items()}.items())
        parts += ["", "Bloc-pair factors (cross-bloc rivalry = rivalry x factor, clipped to [0, 1])",
                  _table([(f"{a}:{b}", f"{v:g}") for (a, b), v in factors], ("blocs", "factor"))]
    if s.pair_rivalry:
        pairs = [(names[i], names[j], f"{v:g}") for (i, j), v in sorted(s.pair_rivalry.items())]
        parts += ["", "Directed pair overrides", _table(pairs, ("from", "to", "rivalry"))]
    rivalry = s.rivalry_matrix(params)
    parts += ["", f"Rivalry at the start, row toward column (rivalry = {params.rivalry:g}, "
              f"within_bloc_rivalry = {params.within_bloc_rivalry:g}; rivals: >= "
              f"{params.rival_threshold:g})",
              _table([(n, *(("-" if i == j else f"{rivalry[i, j]:.2f}") for j in range(len(names))))
                      for i, n in enumerate(names)], ("", *names))]
    liaison = s.liaison_matrix()
    relays = relay_matrix(liaison, rivalry)
    cells = [(n, *("-" if i == j else "yes" if liaison[i, j]
                   else f"via {names[relays[i, j]]}" if relays[i, j] >= 0 else "no"
                   for j in range(len(names)))) for i, n in enumerate(names)]
    parts += ["", "Liaison, row to column (yes; or the relay a warning goes through without it)",
              _table(cells, ("", *names))]
    if s.shifts:
        rows = [(str(sh.day), ", ".join(names[i] for i in sh.a), ", ".join(names[j] for j in sh.b),
                 f"{sh.rivalry:g}", "yes" if sh.directed else "no") for sh in s.shifts]
        parts += ["", "Scheduled shifts", _table(rows, ("day", "from", "to", "rivalry", "directed"))]
    return "\n".join(parts)


def _cmd_params(args: argparse.Namespace) -> int:
    from sim import paramtable

    if args.update_odd is not None:
        if not args.update_odd.is_file():
            raise UserError(f"--update-odd: {args.update_odd}: no such file")
        changed = paramtable.update(args.update_odd)
        print(f"{args.update_odd}: {'updated' if changed else 'already up to date'}")
        return 0
    if args.json:
        from sim.params import PARAMETERS

        print(json.dumps([p.describe() for p in PARAMETERS.values()], indent=2))
        return 0
    rows = [(r["name"], r["type"], r["default"], r["range"], r["unit"], r["meaning"])
            for r in paramtable.rows()]
    print(_table(rows, ("name", "type", "default", "range", "unit", "meaning")))
    return 0


# --- view and init ------------------------------------------------------------------------------
def _view_limits() -> dict[str, Any]:
    from sim.viz.limits import LIMITS

    return LIMITS


def _cmd_view(args: argparse.Namespace) -> int:
    from sim.viz.limits import SessionLimits
    from sim.viz.server import serve

    return serve(args.scenario, args.host, args.port, folder=args.scenarios,
                 limits=SessionLimits.parse(args.limit))


def _cmd_init(args: argparse.Namespace) -> int:
    from sim.template import write_template

    path = write_template(args.name, Path.cwd(), force=args.force)
    print(f"wrote {path}; run it with: warnsim sweep {path.name}")
    return 0


# --- cases -----------------------------------------------------------------------------------
def _cmd_cases(args: argparse.Namespace) -> int:
    from sim.case_scores import evaluate, sensitivity
    from sim.cases import builtin_cases, load_cases

    params = model_params(args)
    try:
        cases = builtin_cases() if args.file is None else load_cases(args.file)
    except csv.Error as exc:  # e.g. a field over csv's limit of 131,072 characters
        raise UserError(f"{args.file}: malformed CSV: {exc}") from None
    if args.sensitivity:
        rows = sensitivity(cases, params)
        print(json.dumps(rows, indent=2) if args.json else _sensitivity_report(rows))
        return 0
    result = evaluate(cases, params)
    if args.json:
        print(json.dumps(result.case_dicts(), indent=2))
        return 0
    half = result.half
    table = [(s.case.case, "-" if half is None else half[i].value,
             f"{s.case.sender} -> {s.case.recipient}", f"{s.case.rivalry:g}",
             str(s.case.details), s.case.channel.value, f"{s.perceived_benevolence:.2f}",
             f"{s.perceived_credibility:.2f}", f"{s.choice.heed:.2f}", f"{s.choice.investigate:.2f}",
             f"{s.choice.dismiss:.2f}", s.predicted.value, s.case.response.value)
            for i, s in enumerate(result.scored)]
    print(_table(table, ("case", "half", "dyad", "rivalry", "details", "channel", "benevolence",
                        "credibility", "p_heed", "p_investigate", "p_dismiss", "predicted",
                        "recorded")))
    if half is None:
        print("\nno halves and no baselines: a case not marked seen has no date "
              "(docs/cases-codebook.md, section 5)")
        return 0
    print()
    print(_table([(str(r["half"]), str(r["n"]), str(r["forecast"]), _fmt(r["brier"]),
                   _fmt(r["log_loss"])) for r in result.rows()],
                 ("half", "n", "forecast", "brier", "log_loss")))
    from sim.case_scores import MIN_FIT

    logit = (f"logit: ridge multinomial logit on {len(result.predictors)} coded columns fitted "
             f"on the calibration half, prior SD {result.prior_sd:g} (leave-one-out log-loss)"
             if result.prior_sd is not None else
             f"no logit: it needs at least {MIN_FIT} cases in the calibration half")
    print(f"\nbase_rate: Jeffreys-smoothed shares of the calibration half; {logit}. The "
          "hold-out half is the test (docs/cases-codebook.md, section 6).")
    return 0


def _sensitivity_report(rows: list[dict[str, Any]]) -> str:
    from sim.case_scores import sensitivity_summary

    summary = _table([(str(r["column"]), str(r["cases"]), str(r["recodings"]),
                       str(r["prediction_changes"]), _fmt(r["mean_abs_move"]),
                       _fmt(r["max_abs_move"])) for r in sensitivity_summary(rows)],
                     ("column", "cases", "recodings", "prediction_changes", "mean_abs_move",
                      "max_abs_move"))
    changed = [r for r in rows if r["predicted"] != r["predicted_before"]]
    text = [summary, "", f"{len(changed)} of {len(rows)} recodings change the predicted "
            "response (moves: in the model's probability of the recorded response)"]
    if changed:
        text += ["", _table([(r["case"], r["half"] or "-", r["coding"],
                              "yes" if r["uncertain"] else "", r["predicted_before"],
                              r["predicted"],
                              _fmt(r["p_recorded_before"]), _fmt(r["p_recorded"]))
                             for r in changed],
                            ("case", "half", "recoding", "uncertain", "predicted", "recoded",
                             "p_recorded", "recoded"))]
    return "\n".join(text)
