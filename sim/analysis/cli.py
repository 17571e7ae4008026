"""The ``analyze`` and ``plot`` subcommands (registered by ``sim/cli.py``).

Heavy imports (pandas, statsmodels, matplotlib) happen inside the handlers, so registering
the subcommands costs nothing for ``warnsim run`` or ``warnsim sweep``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import UserError

DEFAULT_CONFIDENCE = 0.95
"""The interval level of the committed tables."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``analyze DIR``, ``plot DIR``, ``discover``, ``decompose`` and ``explore DIR`` to
    the main parser's subcommands."""
    from sim.sweep.cli import port

    analyze = subparsers.add_parser(
        "analyze", help="tables with confidence intervals, tests and sensitivity indices",
        description="Write statistics tables (CSV, Markdown, LaTeX) into DIR/tables/ and print "
        "the key ones. Reads only the files of a sweep's results folder.",
    )
    analyze.add_argument("directory", metavar="DIR", type=Path, help="a sweep's results folder")
    analyze.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE,
                         help="interval level (default 0.95)")
    analyze.add_argument("--by", nargs="+", metavar="FACTOR",
                         help="split the rivalry tables by these swept factors (default: every "
                         "swept factor other than rivalry; 'none' pools them, and the captions say so)")
    analyze.add_argument("--contrast", metavar="FACTOR=A:B",
                         help="instead of the tables: the paired contrast of --outcome between two "
                         "levels of a swept factor (A minus B, same-seed runs paired), per stratum "
                         "of --by, written as a table and a figure; FACTOR may be a parameter, "
                         "scenario or a scenario trait (e.g. liaison.A:C=false:true)")
    analyze.add_argument("--where", metavar="EXPR",
                         help="with --contrast: only the warnings this expression keeps, over the "
                         "warning log's columns and sender_bloc, recipient_bloc, bloc_pair "
                         "(e.g. \"channel == 'relay' and rivalry < 0.2\")")
    analyze.add_argument("--outcome", default="heed_rate",
                         help="with --contrast: an outcome of runs.parquet or a metric; with "
                         "--where: heed_rate, warnings (per run) or a warning-log column "
                         "(default heed_rate)")
    shown = analyze.add_mutually_exclusive_group()
    analyze.add_argument("--force", action="store_true",
                         help="let --by or --confidence replace committed tables in DIR/tables/")
    shown.add_argument("--verbose", action="store_true", help="print every table, not only the key one")
    shown.add_argument("--quiet", action="store_true", help="write the tables, print only their paths")
    analyze.set_defaults(func=analyze_handler)

    plot = subparsers.add_parser(
        "plot", help="publication figures (PDF and 300-dpi PNG; SVG on request)",
        description="Without --outcome, --x, --hue or --facet: draw every figure the results "
        "support into DIR/figures/ and say which were skipped and why. With any of them: draw "
        "one outcome against one factor (--x), one series per level of a second (--hue) and "
        "one panel per level of a third (--facet), into DIR/figures/OUTCOME-by-X[-hue-H]"
        "[-facet-F]. A role not given is filled from the factors that vary, so that as little "
        "as possible is pooled; every factor pooled is named in the figure and on the terminal.",
    )
    plot.add_argument("directory", metavar="DIR", type=Path, help="a sweep's results folder")
    plot.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures")
    plot.add_argument("--outcome", metavar="OUTCOME",
                      help="the outcome on the y axis (default heed_rate when x, hue or facet is given)")
    plot.add_argument("--x", metavar="FACTOR", help="the factor on the x axis (a swept "
                      "parameter, scenario or a scenario trait; default: rivalry if it varies, "
                      "else the numeric factor with the most levels)")
    plot.add_argument("--hue", metavar="FACTOR", help="one line per level of this factor, or none")
    plot.add_argument("--facet", metavar="FACTOR", help="one panel per level of this factor, or none")
    plot.add_argument("--pool", nargs="+", metavar="FACTOR",
                      help="the factors that may be pooled; any other not shown is refused "
                      "(none: refuse to pool any)")
    plot.add_argument("--format", default=None, metavar="LIST",
                      help="comma-separated formats among png, pdf, svg (default png,pdf)")
    plot.add_argument("--out", type=Path, metavar="FOLDER",
                      help="write the figures here (default DIR/figures)")
    plot.set_defaults(func=plot_handler)

    discover = subparsers.add_parser(
        "discover", help="scenario discovery (PRIM): which parameter ranges make an outcome cross a threshold",
        description="Find boxes of parameter ranges where the design points' outcome is at or "
        "above THRESHOLD (or below, with --below), by PRIM (Friedman & Fisher 1999). Writes "
        "the boxes and the peeling trajectory into DIR/tables/ and the figure discovery into "
        "DIR/figures/. Best on a sampled (LHS) sweep.",
    )
    discover.add_argument("directory", metavar="DIR", type=Path, help="a sweep's results folder")
    discover.add_argument("--outcome", required=True, help="an outcome column, e.g. heed_rate")
    discover.add_argument("--threshold", required=True, type=float,
                          help="cases of interest: points whose outcome is >= this")
    discover.add_argument("--below", action="store_true", help="cases of interest are <= the threshold")
    discover.add_argument("--boxes", type=int, default=2, help="boxes to find, one after another (default 2)")
    discover.add_argument("--alpha", type=float, default=0.05, help="share peeled per step (default 0.05)")
    discover.add_argument("--min-mass", type=float, default=0.05,
                          help="smallest box, as a share of all points (default 0.05)")
    discover.add_argument("--min-coverage", type=float, default=0.5,
                          help="the box reported is the densest with at least this coverage (default 0.5)")
    discover.add_argument("--contrast", metavar="FACTOR=A:B",
                          help="the outcome at FACTOR=A minus at FACTOR=B, design points otherwise "
                          "equal (e.g. doctrine=non_rivals:warn_all)")
    discover.set_defaults(func=discover_handler)

    decompose = subparsers.add_parser(
        "decompose", help="the share of the rivalry gradient each mechanism explains",
        description="Read a sweep of experiments/decomposition.toml (the defaults, each mechanism "
        "of sim/mechanisms.py switched off alone, and all off, on the same seeds) and write the "
        "share of the gap between low- and high-rivalry heed rates each mechanism explains, with "
        "bootstrap intervals, into DIR/tables/decomposition.{csv,md,tex}.")
    decompose.add_argument("directory", metavar="DIR", type=Path, help="the decomposition sweep's results folder")
    decompose.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    decompose.set_defaults(func=decompose_handler)

    robustness = subparsers.add_parser(
        "robustness", help="where the results hold and where they flip (the robustness map)",
        description="Read the sweeps of experiments/robustness.toml (DIR) and "
        "experiments/robustness_gradient.toml (DIR_gradient, or --gradient) and write, cell by "
        "cell over action_cost x lethality_scale and the three least-sourced parameters, the "
        "rivalry gradient, the doctrine result in deaths and in net harm and the reliability "
        "crossover with their verdicts into DIR/tables/robustness*.{csv,md,tex} and "
        "robustness_summary.md, and the map into DIR/figures/robustness.{pdf,png}.")
    robustness.add_argument("directory", metavar="DIR", type=Path,
                            help="the robustness sweep's results folder")
    robustness.add_argument("--gradient", type=Path, metavar="DIR",
                            help="the gradient sweep's results folder (default DIR_gradient)")
    robustness.add_argument("--quiet", action="store_true", help="no progress, only the paths")
    robustness.set_defaults(func=robustness_handler)

    explore = subparsers.add_parser(
        "explore", help="explore a sweep's results in the browser (needs warnsim[viz])",
        description="Serve an offline page over DIR on 127.0.0.1: parallel coordinates of the "
        "design points over factors and outcomes, filters, the paired contrast, the plot "
        "choices, and exports of figures and rows into DIR/explore/. Stop with Ctrl-C.")
    explore.add_argument("directory", metavar="DIR", type=Path, help="a sweep's results folder")
    explore.add_argument("--port", type=port, default=8766,
                         help="port on 127.0.0.1 (default 8766)")
    explore.set_defaults(func=explore_handler)


def robustness_handler(args: argparse.Namespace) -> int:
    import sys

    from sim.analysis.robustness import (
        load_sweeps,
        robustness_table,
        shares_table,
        summary,
        write_map,
    )
    from sim.analysis.tables import to_markdown

    sweeps = load_sweeps(args.directory, args.gradient)

    def progress(done: int, total: int) -> None:
        if not args.quiet and (done == total or done % 10 == 0):
            print(f"\rcells {done}/{total}", end="\n" if done == total else "", file=sys.stderr,
                  flush=True)

    table = robustness_table(sweeps, progress)
    paths = write_map(sweeps, table, sweeps.arms.directory)
    if not args.quiet:
        print(f"{to_markdown(shares_table(table, sweeps.factors))}\n")
        print(summary(table, sweeps.factors) + "\n")
    print(f"wrote {len(paths)} files: " + ", ".join(str(p) for p in paths))
    return 0


def explore_handler(args: argparse.Namespace) -> int:
    from sim.explore.server import serve

    return serve(args.directory, args.port)


PRINT_ROWS = 12
"""Rows of the key table ``analyze`` prints (the files have all of them)."""


def analyze_handler(args: argparse.Namespace) -> int:
    from sim.analysis.load import load_results
    from sim.analysis.report import KEY_STEM, TABLE_EXTENSIONS, TABLE_STEMS, analyses, check_by
    from sim.analysis.tables import markdown_document, remove_stale, to_markdown, write_table

    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence: got {args.confidence}; allowed: a number in (0, 1)")
    by = None if args.by is None else [] if args.by == ["none"] else args.by
    if args.contrast is not None:
        return contrast_handler(args, by)
    if args.where is not None:
        raise UserError("--where: only with --contrast FACTOR=A:B")
    if args.outcome != "heed_rate":
        raise UserError("--outcome: only with --contrast FACTOR=A:B")
    results = load_results(args.directory)
    check_by(results, by)  # before anything is written
    out = results.directory / "tables"
    changed = [flag for flag, used in (("--by", by is not None),
                                      ("--confidence", args.confidence != DEFAULT_CONFIDENCE))
               if used]
    if changed:
        from sim.committed import refuse_replacing

        refuse_replacing([out], why="tables made with " + " and ".join(changed), force=args.force,
                         instead="sweep into another folder (warnsim sweep FILE --out DIR) and "
                         "analyze that")
    print(f"{results.name}: {len(results.ok)} runs ok, {results.n_failed} failed")
    if results.manifest.get("complete") is False:
        print("note: the sweep has not finished; these tables cover the runs done so far")
    written: list[str] = []
    messages: list[str] = []
    for table, note in analyses(results, args.confidence, by):
        if table is None:
            messages.append(f"skipped: {note}")
            continue
        write_table(table, out)
        written.append(table.stem)
        if note:
            messages.append(f"note: {note}")
        if args.verbose:
            print(f"\n{markdown_document(table)}")
        elif not args.quiet and table.stem == KEY_STEM:
            frame = table.frame.head(PRINT_ROWS)
            more = len(table.frame) - len(frame)
            print(f"\n{table.title}\n\n{to_markdown(frame)}", end="")
            if more:
                print(f"... {more} more rows in {out / (KEY_STEM + '.md')}")
            print()
    print(f"wrote {len(written)} tables to {out}/ (each as .csv, .md, .tex): {', '.join(written)}")
    for message in messages:
        print(message)
    # Tables this design no longer supports (e.g. a folder re-swept with another design).
    for path in remove_stale(out, set(TABLE_STEMS) - set(written), TABLE_EXTENSIONS):
        print(f"removed stale {path}")
    return 0


def contrast_handler(args: argparse.Namespace, by: list[str] | None) -> int:
    """``analyze DIR --contrast FACTOR=A:B``: the contrast printed, its table and figure written."""
    from sim.analysis.contrasts import ContrastSpec, contrast
    from sim.analysis.tables import to_markdown

    spec = ContrastSpec.parse(args.contrast)
    found = contrast(args.directory, spec.factor, spec.a, spec.b, outcome=args.outcome,
                     where=args.where, by=by, confidence=args.confidence)
    paths = found.save()
    if not args.quiet:
        table = found.to_table()
        print(f"{table.heading}\n\n{to_markdown(table.frame)}")
        for line in found.sentences():
            print(line)
    print(f"wrote {paths[0].with_suffix('.{csv,md,tex}')} and "
          f"{paths[3].with_suffix('.{pdf,png}')}")
    return 0


def plot_handler(args: argparse.Namespace) -> int:
    from sim.analysis.figures import FIGURES, draw, parse_formats, plot
    from sim.analysis.load import load_results
    from sim.analysis.plots import FIGURE_EXTENSIONS, FORMATS
    from sim.analysis.tables import remove_stale

    formats = parse_formats(args.format) if args.format is not None else FIGURE_EXTENSIONS
    chosen = {k: getattr(args, k) for k in ("outcome", "x", "hue", "facet", "pool")}
    custom = any(v is not None for v in chosen.values())
    if custom and args.only:
        raise UserError("--only: draws registered figures; allowed: --only, or --outcome/--x/"
                        "--hue/--facet/--pool for one chosen figure, not both")
    names = args.only or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise UserError(f"--only: unknown figure {', '.join(unknown)}; allowed: {', '.join(FIGURES)}")
    results = load_results(args.directory)
    out = args.out or results.directory / "figures"
    if custom:
        pool = None if args.pool is None else [] if args.pool == ["none"] else args.pool
        drawn = plot(results, outcome=args.outcome or "heed_rate", x=args.x or "auto",
                     hue=args.hue or "auto", facet=args.facet or "auto", pool=pool,
                     formats=formats, out=out)
        print(f"wrote {_brace(drawn.paths)}: {drawn.message}")
        return 0
    for name in names:
        paths, message = draw(name, results, out, formats)
        if paths is None:
            print(f"skipped {name}: {message}")
            # A figure these results no longer support must not survive from an earlier sweep.
            for path in remove_stale(out, {name}, FORMATS):
                print(f"removed stale {path}")
        else:
            print(f"wrote {_brace(paths)}: {message}")
    return 0


def _brace(paths) -> str:
    """``a/b.{pdf,png}`` for one stem in several formats."""
    paths = list(paths)
    if len(paths) == 1:
        return str(paths[0])
    return str(paths[0].with_suffix("")) + ".{" + ",".join(p.suffix[1:] for p in paths) + "}"


def discover_handler(args: argparse.Namespace) -> int:
    from sim.analysis.discovery import discover, discovery_figure
    from sim.analysis.load import load_results
    from sim.analysis.plots import save, style
    from sim.analysis.tables import Table, to_markdown, write_table

    if args.boxes < 1:
        raise UserError(f"--boxes: got {args.boxes}; allowed: an integer >= 1")
    contrast = None
    if args.contrast is not None:
        factor, sep, levels = args.contrast.partition("=")
        a, colon, b = levels.partition(":")
        if not (sep and colon and factor and a and b):
            raise UserError(f"--contrast: got {args.contrast!r}; allowed: FACTOR=A:B, "
                            "e.g. doctrine=non_rivals:warn_all")
        contrast = (factor.strip(), a.strip(), b.strip())
    results = load_results(args.directory)
    found = discover(results, args.outcome, args.threshold, below=args.below, boxes=args.boxes,
                     alpha=args.alpha, min_mass=args.min_mass, min_coverage=args.min_coverage,
                     contrast=contrast)
    with style():
        fig = discovery_figure(found)
    question = f"cases of interest: design points where {found.statement}"
    boxes = Table("discovery_boxes", f"PRIM boxes ({question}), each with the parameter ranges it restricts",
                  found.box_table(), keys=("box", "parameter"), group="parameter",
                  grouped=("box_low", "box_high", "range_low", "range_high"),
                  pooled="replications of a design point are averaged first (rates pooled)")
    steps = Table("discovery_trajectory", f"PRIM peeling trajectories ({question})",
                  found.trajectory_table(), keys=("box", "step"),
                  notes={"chosen": "the box reported for this trajectory"})
    out = results.directory
    for table in (boxes, steps):
        write_table(table, out / "tables")
    paths = save(fig, out / "figures", "discovery")
    n, cases = len(found.y), int(found.y.sum())
    print(f"{results.name}: {cases} of {n} design points have {found.rule}"
          + (f" ({found.dropped} points without a value left out)" if found.dropped else ""))
    print(f"\n{boxes.title}\n\n{to_markdown(boxes.frame, boxes.group, grouped=boxes.grouped)}")
    print(f"wrote {out / 'tables'}/discovery_boxes and discovery_trajectory (.csv, .md, .tex), "
          f"{paths[0].with_suffix('.{pdf,png}')}")
    return 0


def decompose_handler(args: argparse.Namespace) -> int:
    from sim.analysis.decomposition import decomposition_table
    from sim.analysis.load import load_results
    from sim.analysis.tables import Table, to_markdown, write_table

    if not 0 < args.confidence < 1:
        raise UserError(f"--confidence: got {args.confidence}; allowed: a number in (0, 1)")
    results = load_results(args.directory)
    frame = decomposition_table(results, args.confidence)
    level = f"{args.confidence:.0%}"
    table = Table(
        "decomposition",
        "Decomposition of the rivalry gradient (pooled heed rate of low- minus high-rivalry "
        f"dyads) by mechanism: the gradient with each switched off and the share of the "
        f"defaults' gradient it explains, {level} bootstrap intervals over replications",
        frame, keys=("switched_off",), hidden=("mechanism",),
        notes={"switched_off": "the mechanism switched off (sim/mechanisms.py)",
               "meaning": "what switching it off changes",
               "gradient": "heed rate of low- minus high-rivalry dyads with the mechanism off",
               "gradient_low": f"lower bound of the {level} bootstrap interval",
               "share_explained": "1 \u2212 gradient / gradient of the defaults",
               "share_low": f"lower bound of the {level} bootstrap interval",
               "replications": "paired replications (same seeds at every design point)"})
    write_table(table, results.directory / "tables")
    print(f"\n{table.title}\n\n{to_markdown(table.frame)}")
    print(f"wrote {results.directory / 'tables'}/decomposition (.csv, .md, .tex)")
    return 0
