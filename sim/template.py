"""``warnsim init NAME``: a commented experiment file to start a new study from.

``pip install warnsim`` ships no ``experiments/`` folder, so a new user needs a file that runs
as written and explains itself. Everything in it is generated: the top-level keys and their
meaning from the experiment loader's declaration (:data:`sim.sweep.experiment.KEYS`), every
model parameter with its default, range, unit and meaning from :data:`sim.params.PARAMETERS`,
the scenarios from the built-in list. The file is written atomically and never over an
existing one unless asked.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path

from sim.errors import UserError
from sim.files import cannot_write
from sim.params import GROUPS, PARAMETERS, Param
from sim.scenarios import scenario_names

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_WIDTH = 96


def _value(param: Param) -> str:
    """The default as TOML."""
    v = param.default
    if isinstance(v, Enum):
        return f'"{v.value}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


def _wrap(text: str, prefix: str = "# ") -> list[str]:
    words, lines, line = text.split(), [], prefix.rstrip()
    for word in words:
        if len(line) + len(word) + 1 > _WIDTH and line.strip() != prefix.strip():
            lines.append(line)
            line = prefix.rstrip()
        line += " " + word
    lines.append(line)
    return lines


def _parameter_lines() -> list[str]:
    out: list[str] = []
    by_group = {g: [p for p in PARAMETERS.values() if p.group == g] for g in GROUPS}
    extra = [p for p in PARAMETERS.values() if p.group not in by_group]
    if extra:
        by_group["other"] = extra
    for group, params in by_group.items():
        if not params:
            continue
        out += ["", f"# --- {group} ---"]
        for p in params:
            unit = f", {p.unit}" if p.unit and p.unit != "-" else ""
            out += _wrap(f"{p.label}: {p.doc} ({p.allowed()}{unit})", "# ")
            out.append(f"# {p.name} = {_value(p)}")
    return out


def render(name: str) -> str:
    """The text of a new experiment file called ``name``."""
    from sim.sweep.experiment import KEYS

    def doc(key: str) -> list[str]:
        return _wrap(f"{key}: {KEYS[key]}", "# ") if key in KEYS else []

    scenarios = ", ".join(scenario_names())
    lines = [
        f"# {name}: an experiment for `warnsim sweep {name}.toml` (written by `warnsim init`).",
        "# A sweep runs every design point below for `replications` runs of `days` days and",
        "# writes tidy tables (runs.parquet: one row per run) to results/<name>/; then",
        f"# `warnsim analyze results/{name}` and `warnsim plot results/{name}` give the",
        "# statistics and figures. Lines starting with # are comments; uncomment to use.",
        "",
        *doc("name"), f'name = "{name}"',
        "",
        *doc("question"), 'question = "How does the heed rate change with rivalry between blocs?"',
        "",
        *doc("scenario"), f"# built in: {scenarios}; or the path of your own scenario .toml file",
        'scenario = "default"',
        "",
        *doc("days"), "days = 365",
        "",
        *doc("replications"),
        "# (each design point runs this many times with its own recorded seed)",
        "replications = 20",
        "",
        *doc("seed"), "# (the same seed reproduces the same results on any machine)", "seed = 1",
    ]
    for key in KEYS:
        if key.startswith("record_"):
            default = {"record_warnings": "true", "record_every": "1"}.get(key, "false")
            lines += ["", *doc(key), f"{key} = {default}"]
    lines += ["", *doc("params"), '# params = "calibrated.toml"']
    if "metrics" in KEYS:
        lines += [
            "", *doc("metrics"),
            "# One expression each, over the run's outcomes (the keys of `warnsim run --json`),",
            "# trust_matrix and rivalry_matrix; functions mean, median, sum, min, max, count, abs,",
            "# sqrt, log, exp, if, ifnan, transpose. A bad expression stops the sweep before it",
            "# runs, naming the metric.",
            "[metrics]",
            'heed_gap = "heed_rate_low_rivalry - heed_rate_high_rivalry"',
            '# trust_in_rivals = "mean(trust_matrix[rivalry_matrix >= 0.5])"',
            '# my_metric = { function = "mypackage.metrics.my_metric" }',
        ]
    lines += [
        "", *doc("grid"),
        "# The design: choose ONE of [grid], [sample] or design = \"points.csv\".",
        "[grid]",
        "rivalry = { start = 0.0, stop = 1.0, num = 5 }",
        '# doctrine = ["scenario", "never"]',
        "# Scenarios and their agencies' traits are factors too (quote a dotted name; each is",
        "# checked against every scenario the experiment runs, and recorded in runs.parquet):",
        f"# scenario = {json.dumps(scenario_names())}",
        '# "agency.A1.capability" = [0.5, 0.9]   # or home_security, source_sensitivity,',
        "#                                       # doctrine, concern, opportunism",
        '# "bloc_rivalry.A:B" = [1.0, 1.4]       # a bloc-pair rivalry factor',
        '# "liaison.A:C" = [true, false]         # liaison channels between two blocs or agencies',
        "",
        *doc("sample"),
        "# [sample]",
        '# method = "lhs"',
        "# n = 200",
        '# (or method = "morris" with trajectories = 20 and levels = 4: screening by elementary',
        "# effects; or method = \"sobol\" with n a power of 2: Sobol indices)",
        "# [sample.ranges]",
        "# rivalry = [0.0, 1.0]",
        "# face_cost = [0.0, 2.0]",
        "",
        *doc("design"),
        '# design = "points.csv"',
        "",
        *doc("fixed"),
        "# Every model parameter, with its default (uncomment a line to change it in every run;",
        "# a parameter in the design must not also be set here):",
        "[fixed]",
        *_parameter_lines(),
        "",
    ]
    return "\n".join(lines)


def write_template(name: str, folder: Path, *, force: bool = False) -> Path:
    """Write ``folder/name.toml``; refuse a bad name or an existing file (unless ``force``)."""
    if not _NAME.match(name):
        raise UserError(f"init: {name!r}: allowed: letters, digits, _ and - (not starting with _ or -)")
    path = folder / f"{name}.toml"
    if path.exists() and not force:
        raise UserError(f"init: {path} already exists; use --force to overwrite it")
    text = render(name)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # the same read-only or full file system: nothing more to undo
            pass
        raise cannot_write(path, exc, where="init") from None
    return path
