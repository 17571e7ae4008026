"""Reference pages generated from the code's declarations, for the documentation site.

A page of ``docs/`` holds a line ``<!-- generated: NAME -->``; the site's build
(``docs/_build/hooks.py``) replaces it with :func:`render` of NAME. The command-line reference is
drawn from the argparse parser of :mod:`sim.cli`; the parameters, outcomes, result columns and
file formats from their single declarations (:mod:`sim.params`, :mod:`sim.outcomes`,
:mod:`sim.schema`, :mod:`sim.sweep.experiment`, :mod:`sim.scenarios`, :mod:`sim.cases`,
:mod:`sim.calibration.config`). What the user types and what the pages say are then the same
objects, and a new option or key appears in the documentation without anyone writing it there.

Written here rather than taken from an MkDocs plugin: the only argparse renderer for MkDocs on
PyPI (``mkdocs-argparse`` 0.0.1) is a first release that cannot show ``--set``'s repeatable
``KEY=VALUE`` or the hidden developer options, and the file formats are warnsim's own
declarations, which no plugin knows.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from enum import Enum

from sim.keys import Key


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _plain(text: str) -> str:
    """Help text as Markdown that shows it as written: square brackets outside code spans are
    escaped, so that usage such as ``OUTCOME-by-X[-hue-H][-facet-F]`` is not read as a link."""
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("[", "\\[").replace("]", "\\]")
                    for i, p in enumerate(parts))


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (pipes in cells escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# --- the command line ------------------------------------------------------------------------
def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers only there
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help_of(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _option_rows(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    formatter = parser._get_formatter()
    rows = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(
                action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.option_strings:
            args = "" if action.nargs == 0 else " " + formatter._format_args(
                action, action.dest.upper())
            flags = ", ".join(f"`{flag}{args}`" for flag in action.option_strings)
        else:
            flags = f"`{formatter._metavar_formatter(action, action.dest)(1)[0]}`"
        meaning = _plain(formatter._expand_help(action)) if action.help else ""
        if isinstance(action, argparse._AppendAction) and "repeatable" not in meaning:
            meaning += " (repeatable)"
        rows.append((flags, meaning))
    return rows


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """Every ``warnsim`` subcommand: what it does, its usage line and its options."""
    if parser is None:
        from sim.cli import build_parser

        parser = build_parser()
    commands = _subcommands(parser)
    parts = [table(("command", "what it does"),
                   [(f"[`warnsim {name}`](#warnsim-{name})", _plain(_help_of(parser, name)))
                    for name in commands])]
    for name, sub in commands.items():
        # the usage without its "usage: " prefix, continuation lines dedented to match
        usage = "\n".join(line.removeprefix(" " * len("usage: "))
                          for line in sub.format_usage().removeprefix("usage: ").strip().split("\n"))
        parts.append(f"## `warnsim {name}` {{#warnsim-{name}}}\n")
        parts.append(_plain(sub.description or _help_of(parser, name)) + "\n")
        parts.append(f"```text\n{usage}\n```\n")
        rows = _option_rows(sub)
        if rows:
            parts.append(table(("argument", "meaning"), rows))
        if sub.epilog:
            parts.append(_plain(sub.epilog) + "\n")
    return "\n".join(parts)


# --- declarations ----------------------------------------------------------------------------
def keys_table(keys: Iterable[Key], *, column: str = "key") -> str:
    return table((column, "required", "takes", "meaning"),
                 [(f"`{k.name}`", "yes" if k.required else "", k.takes, k.doc) for k in keys])


def parameters() -> str:
    from sim import paramtable

    return paramtable.markdown()


def outcomes() -> str:
    from sim.outcomes import OUTCOMES

    def kind(o: object) -> str:
        value = o.kind.value  # type: ignore[attr-defined]
        if o.numerator:  # type: ignore[attr-defined]
            return f"{value}: `{o.numerator}` / `{o.denominator}`"  # type: ignore[attr-defined]
        return value

    return table(("name", "label", "kind", "unit", "meaning"),
                 [(f"`{o.name}`", o.label, kind(o), o.unit, o.doc) for o in OUTCOMES])


def _columns(fields: Iterable[object]) -> str:
    return table(("column", "type", "meaning"),
                 [(f"`{c.name}`", c.dtype.value, c.doc) for c in fields])  # type: ignore[attr-defined]


def experiment_keys() -> str:
    from sim.sweep.experiment import KEYS

    return table(("key", "takes"), [(f"`{k}`", v) for k, v in KEYS.items()])


def calibration_keys() -> str:
    from sim.calibration.config import TARGET_KEYS, options_markdown

    return ("`[targets.ID]`, one table per target:\n\n" + keys_table(TARGET_KEYS)
            + "\n`[calibration]`: the method and its settings (a key of the other method is "
            "refused):\n\n" + options_markdown() + "\n")


def scenario_keys() -> str:
    from sim import scenarios as s

    parts = [("Top level", s.TOP_KEYS), ("`[[agency]]`", s.AGENCY_KEYS),
             ("`[[pair]]`", s.PAIR_KEYS), ("`[liaison]`", s.LIAISON_KEYS),
             ("`[[shift]]`", s.SHIFT_KEYS)]
    return "\n".join(f"### {title}\n\n{keys_table(keys)}" for title, keys in parts)


def scenario_factors() -> str:
    from sim.scenarios import AGENCY_FACTORS, BLOC_FACTOR_MAX, factor

    rows = [(f"`agency.NAME.{trait}`", factor(f"agency.X.{trait}").allowed(), meaning)
            for trait, meaning in AGENCY_FACTORS.items()]
    bloc = factor("bloc_rivalry.A:B")
    rows.append(("`bloc_rivalry.A:B`", f"a number in [0, {BLOC_FACTOR_MAX:g}]",
                 bloc.doc + "; symmetric: `B:A` is the same factor"))
    liaison = factor("liaison.A:B")
    rows.append(("`liaison.A:B`", liaison.allowed(),
                 liaison.doc + "; A and B are blocs or agencies; symmetric, and it replaces "
                 "what the file's `[liaison]` says about those pairs"))
    return table(("dotted name", "values", "meaning"), rows)


def case_columns() -> str:
    from sim.cases import COLUMN_GROUPS, Case

    defaults = {f.name: f.default for f in dataclasses.fields(Case)
                if f.default is not dataclasses.MISSING}

    def shown(name: str) -> str:
        if name not in defaults:
            return ""
        value = defaults[name]
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value in (None, "", ()):
            return ""
        return f"{value.value if isinstance(value, Enum) else value}"

    return table(("column", "kind", "takes", "default", "meaning"),
                 [(f"`{k.name}`", group, k.takes, shown(k.name), k.doc)
                  for group, keys in COLUMN_GROUPS.items() for k in keys])


def runs_columns() -> str:
    from sim.sweep.tables import META

    meta = {"run_id": "`point_id` x replications + `replication`",
            "point_id": "the design point", "replication": "the replication (0, 1, ...)",
            "seed": "the run's seed (SeedSequence of the root seed, spawned per replication)"}
    assert set(meta) == set(META), "describe every column of sim.sweep.tables.META"
    rows = [(f"`{name}`", meta[name]) for name in META]
    rows += [("`days`", "days simulated"),
             ("`scenario`", "a built-in name, or a scenario file's path as written in the "
              "experiment file"),
             ("every model parameter", "under its declared name and type (the parameters table)"),
             ("each scenario factor", "set or swept by dotted name, with its declared type"),
             ("every outcome", "under its declared name (the outcomes table)"),
             ("each `[metrics]` entry", "a float"),
             ("`status`", "`ok` or `failed`"),
             ("`error`", "a failed run's error (empty otherwise)")]
    return table(("column", "meaning"), rows)


def warning_columns() -> str:
    from sim.schema import WARNING_FIELDS

    return _columns(WARNING_FIELDS)


def series_columns() -> str:
    from sim.schema import SERIES_FIELDS

    return _columns(SERIES_FIELDS)


def agent_columns() -> str:
    from sim.schema import AGENT_FIELDS

    return _columns(AGENT_FIELDS)


def dyad_columns() -> str:
    from sim.schema import DYAD_FIELDS

    return _columns(DYAD_FIELDS)


GENERATORS: dict[str, Callable[[], str]] = {
    "cli": cli_reference, "parameters": parameters, "outcomes": outcomes,
    "experiment_keys": experiment_keys, "calibration_keys": calibration_keys,
    "scenario_keys": scenario_keys, "scenario_factors": scenario_factors,
    "case_columns": case_columns, "runs_columns": runs_columns,
    "warning_columns": warning_columns, "series_columns": series_columns,
    "agent_columns": agent_columns, "dyad_columns": dyad_columns,
}
"""What a page may ask for with ``<!-- generated: NAME -->``."""


def render(name: str) -> str:
    """The Markdown for ``<!-- generated: NAME -->``; an unknown name fails the build."""
    if name not in GENERATORS:
        raise KeyError(f"<!-- generated: {name} -->: unknown; allowed: {', '.join(GENERATORS)}")
    return GENERATORS[name]().rstrip("\n") + "\n"
