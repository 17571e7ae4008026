"""Verdicts, ``validation.json`` and the report (``report.md``, ``report.html``, figures).

``validation.json`` is a JSON list with one object per check (and one per documented case):
``id``, ``kind`` (pattern / anchor / case), ``claim``, ``source``, ``published``, ``definition``,
``range_reason``, ``unit``, ``value``, ``ci_low``, ``ci_high`` (the 95% interval), ``range_low``,
``range_high`` (null for an open end), ``verdict`` (within / outside / not_applicable),
``decisive`` (whether the whole interval lies on the verdict's side of the range's ends; null
without an interval), ``n`` (replications or cases), ``studies``, ``note`` and ``details``; and
from the registry (``sim/validation/registry.toml``): ``registered`` (the date, ISO 8601, the
check took its present form), ``by_construction`` (true when the check holds by construction,
with the reason in ``why_by_construction``), ``role`` (validation / by_construction /
diagnostic / descriptive; only ``validation`` counts toward the tally), ``range_basis`` and
``fails_if`` (the criterion in words). A value that is not a finite number (a crossover beyond
the levels studied) is null with its meaning in ``value_text``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.tables import format_value
from sim.params import ModelParams
from sim.validation.document import (
    Block,
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
)
from sim.validation.registry import Entry, Role
from sim.validation.statistics import Measurement
from sim.validation.suite import Check

WITHIN, OUTSIDE, NOT_APPLICABLE = "within", "outside", "not_applicable"


def verdict(value: float | None, low: float | None, high: float | None,
            range_low: float | None, range_high: float | None) -> tuple[str, bool | None]:
    """``within`` if the estimate lies in [range_low, range_high] (None: open), else ``outside``;
    ``not_applicable`` without a range or a value. Decisive: the whole interval lies on the
    verdict's side (inside the range, or beyond one of its ends)."""
    if (range_low is None and range_high is None) or value is None or math.isnan(value):
        return NOT_APPLICABLE, None
    lo = -math.inf if range_low is None else range_low
    hi = math.inf if range_high is None else range_high
    inside = lo <= value <= hi
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return (WITHIN if inside else OUTSIDE), None
    if inside:
        return WITHIN, bool(lo <= low and high <= hi)
    return OUTSIDE, bool(high < lo or low > hi)


def entry(check: Check, measurement: Measurement | None, reason: str = "") -> dict[str, Any]:
    """The validation.json object of ``check`` (``measurement`` None: undefined, ``reason``)."""
    out: dict[str, Any] = {
        "id": check.id, "kind": check.kind.value, "claim": check.claim, "source": check.source,
        "published": check.published, "definition": check.definition,
        "range_reason": check.range_reason, "unit": check.unit,
        "value": None, "ci_low": None, "ci_high": None,
        "range_low": check.range_low, "range_high": check.range_high,
        "verdict": NOT_APPLICABLE, "decisive": None, "n": None,
        "studies": list(check.studies), "note": reason, "details": {},
        **registration(check),
    }
    if measurement is None:
        return out
    m = measurement
    out["verdict"], out["decisive"] = verdict(m.value, m.low, m.high, check.range_low,
                                              check.range_high)
    out |= {"value": _number(m.value), "ci_low": _number(m.low), "ci_high": _number(m.high),
            "n": m.n, "note": m.note, "details": {k: _plain(v) for k, v in m.details.items()}}
    if math.isinf(m.value):
        out["value_text"] = m.note
    if math.isinf(m.low) or math.isinf(m.high):
        # an interval running beyond the levels studied (a crossover in some resamples only)
        out["ci_text"] = f"[{_end(m.low)}, {_end(m.high)}]"
    return out


def registration(check: Check | Entry) -> dict[str, Any]:
    """The registry's fields of a check's validation.json object."""
    role = check.role
    return {"registered": check.registered.isoformat(), "role": role.value,
            "by_construction": role is Role.BY_CONSTRUCTION,
            "why_by_construction": (check.why_by_construction if isinstance(check, Check)
                                    else check.by_construction),
            "range_basis": check.range_basis.value, "fails_if": check.fails_if,
            **({"diagnostic_for": check.diagnostic_for} if check.diagnostic_for else {})}


def counted(e: Mapping[str, Any]) -> bool:
    """Whether an entry's verdict counts toward the validation tally."""
    return e.get("role", Role.VALIDATION.value) == Role.VALIDATION.value


def tally(entries: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Verdicts of the entries that count (role validation)."""
    return {v: sum(e["verdict"] == v for e in entries if counted(e))
            for v in (WITHIN, OUTSIDE, NOT_APPLICABLE)}


def _end(x: float) -> str:
    if x == -math.inf:
        return "below the levels studied"
    if x == math.inf:
        return "above the levels studied"
    return fmt(x)


def case_entry(raw: dict[str, Any], family: Entry) -> dict[str, Any]:
    """A per-case entry from :mod:`sim.validation.scoring` with its verdict and the
    registration of the per-case family (``case_<case>`` in the registry)."""
    out = {k: _plain(v) for k, v in raw.items()}
    out["verdict"], out["decisive"] = verdict(raw["value"], None, None, raw["range_low"],
                                              raw["range_high"])
    out.setdefault("n", 1)
    return out | registration(family)


def _number(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return _number(value)
    if hasattr(value, "item"):
        return _plain(value.item())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_json(entries: list[dict[str, Any]], path: Path) -> None:
    _write(path, json.dumps(entries, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# --- the document ----------------------------------------------------------------------------------

def fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "-"
    return format_value(x, digits)


def value_cell(e: Mapping[str, Any]) -> str:
    if e["value"] is None:
        return e.get("value_text") or "undefined"
    text = fmt(e["value"])
    if e.get("ci_text"):
        text += f" {e['ci_text']}"
    elif e.get("ci_low") is not None and e.get("ci_high") is not None:
        text += f" [{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]"
    return text


def range_cell(e: Mapping[str, Any]) -> str:
    lo, hi = e["range_low"], e["range_high"]
    if lo is None and hi is None:
        return "none"
    if hi is None:
        return f">= {fmt(lo)}"
    if lo is None:
        return f"<= {fmt(hi)}"
    return f"{fmt(lo)} to {fmt(hi)}"


def verdict_cell(e: Mapping[str, Any]) -> str:
    return e["verdict"]


def decisive_cell(e: Mapping[str, Any]) -> str:
    return {True: "yes", False: "no", None: "-"}[e.get("decisive")]


@dataclass(frozen=True, slots=True)
class StudyRow:
    name: str
    question: str
    points: int
    replications: int
    days: int
    runs: int
    ran: int
    failed: int
    dropped: int
    seconds: float
    folder: str
    superseded: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the report says besides the entries."""

    version: str
    commits: tuple[str, ...]
    quick: bool
    base: ModelParams
    overrides: Mapping[str, Any]
    studies: tuple[StudyRow, ...]
    seconds: float
    command: str
    only: tuple[str, ...]
    replications: int | None = None
    calibration: tuple[Block, ...] = ()
    """The calibration section, rendered from the calibration and attainability files by
    :func:`sim.validation.calibrated.section` (empty: no section)."""


def document(ctx: Context, entries: list[dict[str, Any]], figures: Mapping[str, Path],
             tables: Mapping[str, Any]) -> Document:
    doc = Document("warnsim validation report")
    counts = tally(entries)
    mode = "quick (fewer replications, wider intervals)" if ctx.quick else "full"
    if ctx.replications:
        mode = f"{ctx.replications} replications per design point in every study (--replications)"
    commit = ", ".join(ctx.commits) if ctx.commits else "not recorded"
    if len(ctx.commits) > 1:
        commit += " (**the studies' runs come from different commits**)"
    overrides = ", ".join(f"`{k} = {_param(v)}`" for k, v in ctx.overrides.items())
    doc.add(Paragraph(
        f"warnsim {ctx.version}, git commit {commit} (from the runs' manifests). Parameter set "
        f"validated: the defaults of `sim/params.py`"
        + (f" with {overrides}" if overrides else "") + f", scenario `default`. Mode: {mode}"
        + (f"; only the checks {', '.join(ctx.only)}" if ctx.only else "")
        + f". {sum(s.runs for s in ctx.studies):,} runs in {len(ctx.studies)} studies; the report "
        f"took {_duration(ctx.seconds)}. Command: `{ctx.command}`."))
    validation = [e for e in entries if counted(e)]
    aside = {role: [e for e in entries if e.get("role") == role.value]
             for role in (Role.BY_CONSTRUCTION, Role.DIAGNOSTIC, Role.DESCRIPTIVE)}
    doc.add(Paragraph(
        f"{len(validation)} validation checks (documented cases included): **{counts[WITHIN]} "
        f"within**, **{counts[OUTSIDE]} outside**, {counts[NOT_APPLICABLE]} not applicable "
        f"(undefined for these results). Not counted: {len(aside[Role.BY_CONSTRUCTION])} checks "
        f"that hold by construction, {len(aside[Role.DIAGNOSTIC])} diagnostics and "
        f"{len(aside[Role.DESCRIPTIVE])} descriptive entries."))
    doc.add(Paragraph(
        "Every check is registered in `sim/validation/registry.toml` with its source, the "
        "derivation of its range, what would make it fail and the date it took its present "
        "form; `registry-changelog.toml` records every change with the value before and after "
        "(`docs/validation.md`). Not every range was declared before any result was seen: the "
        "changelog says which were set or moved after a value was known."))
    doc.add(Heading(2, "Verdicts"))
    main = [e for e in validation if not e["id"].startswith("case_")]
    doc.add(_verdict_table(main))
    doc.add(Paragraph(
        "**How to read it.** A check is *within* when the model's estimate lies in the range "
        "counted as within (ends included), *outside* when it does not, and *not applicable* "
        "when the results do not define its statistic. The interval is a 95% percentile "
        "bootstrap that resamples replications (replication k has the same seed at every design "
        "point, so each comparison stays paired); a verdict is *decisive* when the whole "
        "interval lies on its side of the range's ends. Ratios are pooled over runs (sums of "
        "numerators over sums of denominators). *Basis* says where the range comes from: the "
        "source's own interval (source), a computation on the source's figures (transformation), "
        "Cohen's small effect where the source reports no magnitude (convention) or the "
        "project's own threshold (project). What would make each check fail is in its section "
        "below. An outside verdict is a finding about the model, not a failure of the report."))
    if aside[Role.BY_CONSTRUCTION]:
        doc.add(Heading(2, "Checks that hold by construction (not counted)"))
        doc.add(Paragraph(
            "These patterns follow from the model's declared formulas: a correct implementation "
            "cannot fail them, so they verify the code rather than validate the model. Each "
            "check's section below says why it holds by construction."))
        doc.add(_verdict_table(aside[Role.BY_CONSTRUCTION]))
    diagnostics = aside[Role.DIAGNOSTIC] + [e for e in aside[Role.DESCRIPTIVE]
                                            if not e["id"].startswith("decomposition_")]
    if diagnostics:
        doc.add(Heading(2, "Diagnostics (not counted)"))
        doc.add(Paragraph(
            "Former statistics kept beside the checks that replaced them with the sources' own "
            "protocols; they have no range and no verdict."))
        doc.add(Table(("diagnostic", "beside", "claim", "model value [95% interval]"),
                      tuple((f"`{e['id']}`", f"`{e.get('diagnostic_for', '-')}`", e["claim"],
                             value_cell(e)) for e in diagnostics), (False, False, False, True)))
    if "verdicts" in figures:
        doc.add(Figure(figures["verdicts"], "Each check's estimate and 95% interval against the "
                       "range counted as within (grey; open ends run to the panel's edge).",
                       "verdicts"))
    doc.add(Heading(2, "What each check measures"))
    for e in entries:
        if e["id"].startswith("case_"):
            continue
        doc.add(Heading(3, f"`{e['id']}` ({e['kind']}, {e['role'].replace('_', ' ')}): "
                        f"{e['claim']}"))
        items = [f"**Registered**: {e['registered']} (`sim/validation/registry.toml`; changes "
                 "in `registry-changelog.toml`)",
                 f"**Source**: {e['source']}", f"**Published**: {e['published']}",
                 f"**Statistic**: {e['definition']}",
                 f"**Counted as within** ({e['range_basis']}): {e['range_reason']}",
                 f"**Fails if**: {e['fails_if']}"]
        if e.get("by_construction"):
            items.append(f"**Holds by construction**: {e['why_by_construction']}")
        items.append(
            f"**Result**: {value_cell(e)} ({e['unit']}); verdict **{e['verdict']}**"
            + (f", decisive: {decisive_cell(e)}" if e.get("decisive") is not None else "")
            + ("" if counted(e) else " (not counted)")
            + (f"; {e['n']} replications" if e.get("n") and e["kind"] != "case" else "")
            + (f" (study: {', '.join(e['studies'])})" if e.get("studies") else ""))
        if e.get("details"):
            items.append("**Details**: " + "; ".join(f"{k}: {fmt(v)}" for k, v in e["details"].items()))
        if e.get("note"):
            items.append(f"**Note**: {e['note']}")
        doc.add(Bullets(tuple(items)))
    _figures_section(doc, figures)
    if "decomposition" in tables:
        _decomposition_section(doc, tables["decomposition"], figures)
    if "cases" in tables:
        _cases_section(doc, tables["cases"], [e for e in entries if e["id"].startswith("case_")],
                       figures)
    doc.add(*ctx.calibration)
    _studies_section(doc, ctx)
    _parameters_section(doc, ctx)
    return doc


def _verdict_table(entries: Sequence[Mapping[str, Any]]) -> Table:
    rows = tuple((f"`{e['id']}`", e["kind"], e["claim"], value_cell(e), range_cell(e),
                  e["range_basis"], e["registered"], e["verdict"], decisive_cell(e))
                 for e in entries)
    return Table(("check", "kind", "claim", "model value [95% interval]", "within if", "basis",
                  "registered", "verdict", "decisive"), rows,
                 (False, False, False, True, True, False, False, False, False))


def _figures_section(doc: Document, figures: Mapping[str, Path]) -> None:
    captions = {
        "rivalry": "Pooled heed rate of delivered warnings by the dyad's rivalry band, the default "
                   "world, 95% bootstrap intervals over replications (the rivalry check).",
        "reliability": "Reliability study: (a) net harm per run under heed_all minus dismiss_all "
                       "against the true-alarm share of warnings sent (the crossover, grey: "
                       "Wickens & Dixon's range); (b) heed rate under the recipients' own choice "
                       "against the true-alarm share, with the matching line (Bliss; open "
                       "markers: levels in the slope fit); (c) mean deaths per run against the "
                       "false-alarm ratio (Simmons & Sutter). Bands: 95% bootstrap intervals.",
        "learning": "Unfounded suspicion: the gap between the heed rates of low- and "
                    "high-rivalry dyads, year by year, with and without learning (the "
                    "suspicion_erodes check); bands: 95% bootstrap intervals.",
    }
    present = [k for k in captions if k in figures]
    if present:
        doc.add(Heading(2, "Figures"))
        for key in present:
            doc.add(Figure(figures[key], captions[key], key))


def _decomposition_section(doc: Document, table: Any, figures: Mapping[str, Path]) -> None:
    doc.add(Heading(2, "Decomposition of the rivalry gradient"))
    doc.add(Paragraph(
        "The gradient is the pooled heed rate of low- minus high-rivalry dyads. Each row switches "
        "one mechanism of `sim/mechanisms.py` off (the last row all of them) on the same seeds; "
        "its share is 1 - gradient off / gradient at the defaults, with 95% percentile "
        "bootstrap intervals over replications. Shares need not add up to one: mechanisms "
        "interact."))
    rows = tuple((str(r.mechanism), str(r.switched_off), f"{fmt(r.gradient)} [{fmt(r.gradient_low)}, "
                  f"{fmt(r.gradient_high)}]", f"{fmt(r.share_explained)} [{fmt(r.share_low)}, "
                  f"{fmt(r.share_high)}]") for r in table.itertuples())
    doc.add(Table(("mechanism", "switched off", "gradient [95%]", "share explained [95%]"), rows,
                  (False, False, True, True)))
    if "decomposition" in figures:
        doc.add(Figure(figures["decomposition"], "Share of the rivalry gradient each mechanism "
                       "explains, with 95% bootstrap intervals.", "decomposition"))


def _cases_section(doc: Document, results: Any, case_entries: list[dict[str, Any]],
                   figures: Mapping[str, Path]) -> None:
    doc.add(Heading(2, "Documented cases"))
    doc.add(Paragraph(
        "Each case of `sim/data/cases.csv` is judged by the model's own formulas as the first "
        "warning from its sender (`warnsim cases`). A case is *within* when the model gives its "
        "recorded response at least the chance of an uninformed forecast (1/3). The codings are "
        "our documented assumptions; the last columns show how much the verdict rests on them: "
        "the probability of the recorded response over the alternative codings (details +-1, "
        "rivalry +-0.1, every other channel, one at a time) and the alternatives under which "
        "the model's most probable response changes."))
    t = results.table
    verdicts = {e["id"]: e for e in case_entries}
    rows: list[tuple[str, ...]] = []
    for r, e in zip(t.itertuples(), verdicts.values(), strict=True):
        rows.append((str(r.case), str(r.dyad), fmt(r.p_heed, 2), fmt(r.p_investigate, 2),
                     fmt(r.p_dismiss, 2), str(r.predicted), str(r.recorded), fmt(r.p_recorded, 2),
                     f"{fmt(r.p_recorded_low, 2)} to {fmt(r.p_recorded_high, 2)}", e["verdict"],
                     ", ".join(e["verdict_changes_with"]) or "-",
                     str(r.prediction_changes_with)))
    doc.add(Table(("case", "dyad", "p heed", "p investigate", "p dismiss", "predicted", "recorded",
                   "P(recorded)", "over codings", "verdict", "verdict changes with",
                   "prediction changes with"), tuple(rows),
                  (False, False, True, True, True, False, False, True, True, False, False, False)))
    b, ll = results.brier, results.log_loss
    doc.add(Paragraph(
        f"Over the {b.n} cases: Brier score {fmt(b.value)} [{fmt(b.low)}, {fmt(b.high)}] (the "
        f"uninformed forecast scores {fmt(b.details['uninformed forecast (1/3 each)'])}, the "
        f"recorded responses' own base rates {fmt(b.details['base rates of the recorded responses (in-sample)'])}; "
        f"over one-at-a-time recodings {fmt(b.details['lowest over one-at-a-time recodings'])} to "
        f"{fmt(b.details['highest over one-at-a-time recodings'])}); log-loss {fmt(ll.value)} "
        f"[{fmt(ll.low)}, {fmt(ll.high)}] (uninformed {fmt(ll.details['uninformed forecast (1/3 each)'])}, "
        f"base rates {fmt(ll.details['base rates of the recorded responses (in-sample)'])}; over "
        f"recodings {fmt(ll.details['lowest over one-at-a-time recodings'])} to "
        f"{fmt(ll.details['highest over one-at-a-time recodings'])}). Intervals: percentile "
        f"bootstrap over cases (seven cases: a rough guide)."))
    if "cases" in figures:
        doc.add(Figure(figures["cases"], "The model's response probabilities for each case "
                       "(star: the recorded response) and the probability of the recorded "
                       "response at the coding and over alternative codings.", "cases"))
    s = results.sensitivity
    recodings = tuple((str(r.case), str(r.coding), fmt(r.p_recorded, 2), str(r.predicted))
                      for r in s.itertuples())
    doc.add(Heading(3, "Sensitivity to coding"))
    doc.add(Table(("case", "alternative coding", "P(recorded)", "predicted"), recodings,
                  (False, False, True, False)))


def _studies_section(doc: Document, ctx: Context) -> None:
    if not ctx.studies:
        return
    doc.add(Heading(2, "Studies and runs"))
    doc.add(Paragraph(
        "Every study is an experiment file run by the sweep engine (seeded with root seed "
        "8008, replication k with the same seed everywhere; parallel; resumable): its TOML and "
        "design CSV sit beside its results folder and rerun with `warnsim sweep`. A replication "
        "with a failed run is left out of its study whole."))
    rows = tuple((s.name, s.question, str(s.points), str(s.replications), str(s.days),
                  f"{s.runs:,}", f"{s.ran:,}", str(s.failed), str(s.dropped),
                  f"{s.seconds:.0f}", f"`{s.folder}`",
                  ", ".join(s.superseded) or "-") for s in ctx.studies)
    doc.add(Table(("study", "design", "points", "replications", "days", "runs", "run now",
                   "failed", "replications left out", "seconds", "folder",
                   "--set values the study overrides"), rows,
                  (False, False, True, True, True, True, True, True, True, True, False, False)))


def _parameters_section(doc: Document, ctx: Context) -> None:
    doc.add(Heading(2, "Parameter set"))
    values = ctx.base.to_dict()
    rows = tuple((f"`{k}`", _param(v), "set" if k in ctx.overrides else "default")
                 for k, v in values.items())
    doc.add(Table(("parameter", "value", "origin"), rows, (False, True, False)))


def _param(value: Any) -> str:
    value = getattr(value, "value", value)
    if isinstance(value, bool):
        return str(value).lower()
    return format_value(value, 6) if isinstance(value, float) else str(value)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def verdict_lines(entries: list[dict[str, Any]]) -> str:
    """A compact text table for the terminal."""
    header = ("check", "value [95%]", "within if", "verdict", "role")
    rows = [(e["id"], value_cell(e), range_cell(e), e["verdict"],
             e.get("role", Role.VALIDATION.value).replace("_", " ")) for e in entries]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
