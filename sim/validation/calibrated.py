"""The validation report's calibration section: the posterior, and what it changed.

It reads files only (the pipeline is one way): the committed calibration's
``tables/calibration.json`` (what ``warnsim calibrate`` writes: the run's counts, the posterior
marginals, the identifiability verdicts, the posterior predictive checks) and the attainability
study's tables (``warnsim attainability``: every check at the defaults, at the posterior
medians and over the prior box; :mod:`sim.validation.attainability`). Nothing here runs the
model, and nothing is written in advance: every number and every conclusion in the section is
derived from those files and from the parameter set the report validates.

What it changed is decided by two rules stated in the section itself:

* a validated parameter **is at its posterior median** when it lies within
  :data:`AT_MEDIAN` of the 95% posterior interval's width from the median;
* the posterior **validates** when, at the posterior medians, no registered validation check is
  outside that is within at the defaults and more checks are within (both measured by the
  attainability study, at the same replications and seeds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.tables import format_p
from sim.errors import UserError
from sim.validation import attainability as A
from sim.validation.document import Block, Heading, Paragraph, Table
from sim.validation.report import WITHIN, fmt, range_cell

CALIBRATION = Path("results/calibration")
"""Where the committed calibration is (``warnsim calibrate experiments/calibration.toml``)."""
ATTAINABILITY = A.DEFAULT_OUT
AT_MEDIAN = 0.05
"""A parameter is at its posterior median within this share of its 95% interval's width."""


@dataclass(frozen=True, slots=True)
class Calibrated:
    """The calibration's record (``calibration.json``) and the attainability study, if any."""

    record: Mapping[str, Any]
    folder: Path
    study: A.Study | None


def load(calibration: Path | None, attainability: Path | None) -> Calibrated | None:
    """The files the section reads (None when the calibration folder holds no ABC-SMC
    record); an unreadable file is a :class:`UserError` naming it."""
    if calibration is None:
        return None
    path = Path(calibration) / "tables" / "calibration.json"
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the calibration ({exc}); allowed: the "
                        "calibration.json `warnsim calibrate` writes") from None
    missing = [k for k in ("method", "abc_posterior", "abc_identifiability", "abc_generations")
               if k not in record]
    if record.get("method") != "abc-smc" or missing:
        raise UserError(f"{path}: {('key ' + missing[0] + ' missing') if missing else 'method'}"
                        "; allowed: the record of an abc-smc calibration")
    study = A.load(attainability) if attainability is not None else None
    return Calibrated(record, Path(calibration), study)


def section(c: Calibrated, validated: Mapping[str, Any], model_sha256: str) -> list[Block]:
    """The section's blocks. ``validated`` is the parameter set the report validates (to say
    whether it is the posterior's); ``model_sha256`` the model the report ran, to say whether
    the attainability study ran the same one."""
    r = c.record
    post = pd.DataFrame(r["abc_posterior"])
    ident = pd.DataFrame(r["abc_identifiability"]).set_index("parameter")["verdict"]
    final = r["abc_generations"][-1]
    blocks: list[Block] = [Heading(2, "Calibration: the posterior and what it changed")]
    blocks.append(Paragraph(
        f"From `{c.folder.as_posix()}/tables/calibration.json` (`warnsim calibrate`): ABC-SMC "
        f"stopped by {str(r.get('stop', '?')).replace('_', ' ')} after generation "
        f"{final['generation']}, {r['simulations']:,} simulations ({r['model_runs']:,} model "
        f"runs), final tolerance {fmt(final['epsilon'])}, {final['particles']:,} particles "
        f"(effective sample size {final['ess']:.0f}). Its targets are data the checks above do "
        "not use (`docs/guide/calibration.md`). The identifiability verdict is the calibration's "
        "rule: pinned when the posterior sd is at most half the prior's, left at the prior when "
        "it is at least 0.9 of it and the mean has moved by at most 0.2 prior sds."))
    rows = []
    at_median = []
    for p in post.itertuples():
        value = validated.get(p.parameter)
        near = value is not None and abs(float(value) - p.median) <= AT_MEDIAN * (p.q975 - p.q025)
        inside = value is not None and p.q025 <= float(value) <= p.q975
        at_median.append(near)
        rows.append((f"`{p.parameter}`", str(p.prior), fmt(p.median), f"[{fmt(p.q025)}, "
                     f"{fmt(p.q975)}]", str(ident.get(p.parameter, "-")), fmt(value),
                     "yes" if inside else "no", "yes" if near else "no"))
    blocks.append(Table(("parameter", "prior", "posterior median", "95% interval",
                         "identifiability", "validated value", "in the 95% interval",
                         "at the median"), tuple(rows),
                        (False, False, True, True, False, True, False, False)))
    if r.get("abc_predictive"):
        pred = pd.DataFrame(r["abc_predictive"])
        blocks.append(Paragraph(
            "Posterior predictive checks: posterior draws simulated afresh; *covered* when the "
            "observed value lies in the draws' 95% interval, *share met* the share of draws "
            "meeting the target."))
        blocks.append(Table(
            ("target", "accepted range", "observed", "predictive median [95%]", "share met",
             "covered", "p"),
            tuple((f"`{q.target}`", str(q.accepted_range), fmt(q.observed),
                   f"{fmt(q.median)} [{fmt(q.q025)}, {fmt(q.q975)}]", fmt(q.share_met),
                   "yes" if _true(q.covered) else "no", format_p(q.p_value))
                  for q in pred.itertuples()),
            (False, False, True, True, True, False, True)))
    blocks += _changed(c, post, at_median, model_sha256)
    if c.study is not None:
        blocks += _attainability(c.study)
    return blocks


def _true(x: Any) -> bool:
    return x is True or str(x).lower() == "true"


def _changed(c: Calibrated, post: pd.DataFrame, at_median: Sequence[bool],
             model_sha256: str) -> list[Block]:
    moved = all(at_median)
    off = [f"`{name}`" for name, near in zip(post["parameter"], at_median, strict=True)
           if not near]
    blocks: list[Block] = [Heading(3, "What the calibration changed")]
    where = (f"The parameter set this report validates is at the posterior medians (each "
             f"within {AT_MEDIAN:g} of its 95% interval's width)." if moved else
             f"The parameter set this report validates is not the posterior's: "
             f"{', '.join(off)} lie further than {AT_MEDIAN:g} of their 95% interval's width "
             "from the posterior median.")
    s = c.study
    if s is None:
        blocks.append(Paragraph(
            where + " No attainability study was found (`warnsim attainability "
            "experiments/calibration.toml` writes it), so the report cannot compare the "
            "verdicts at the defaults and at the posterior medians."))
        return blocks
    counts = s.counts.set_index("point")
    if not {A.DEFAULTS, A.POSTERIOR} <= set(counts.index):
        blocks.append(Paragraph(where + " The attainability study holds no defaults or "
                                "posterior-median point to compare."))
        return blocks
    d, p = counts.loc[A.DEFAULTS], counts.loc[A.POSTERIOR]
    long = s.long[s.long["role"] == "validation"]
    verdicts = long.pivot_table(index="check", columns="point", values="verdict",
                                aggfunc="first")
    order = list(dict.fromkeys(long["check"]))
    verdicts = verdicts.reindex(order)
    lost = [k for k in order if verdicts.at[k, A.DEFAULTS] == WITHIN
            and verdicts.at[k, A.POSTERIOR] != WITHIN]
    gained = [k for k in order if verdicts.at[k, A.POSTERIOR] == WITHIN
              and verdicts.at[k, A.DEFAULTS] != WITHIN]
    validates = not lost and p["within"] > d["within"]
    text = (f"{where} Measured by the attainability study ({_reference_reps(s.manifest)}, "
            f"the same seeds at both): at the defaults **{d['within']} within**, {d['outside']} outside; "
            f"at the posterior medians **{p['within']} within**, {p['outside']} outside. "
            f"Within only at the posterior medians: {_ids(gained)}. Within at the defaults but "
            f"not at the posterior medians: {_ids(lost)}. ")
    rule = ("(the rule: the posterior validates when every validation check within at the "
            "defaults stays within at the posterior medians and more checks are within there)")
    if validates:
        text += (f"The posterior validates {rule}: the case for moving the defaults to it.")
    else:
        why = ("it loses checks the defaults meet" if lost else
               "it meets no more checks than the defaults")
        text += f"The posterior does not validate as a whole {rule}: {why}."
    medians = " ".join(f"--set {p.parameter}={p.median:.4g}" for p in post.itertuples())
    command = f"`warnsim validate --out results/validation-posterior {medians}`"
    if s.manifest.get("references") == A.References.FULL.value:
        text += f" The full report at the posterior medians: {command}."
    else:
        text += (" At reduced replications a verdict near a range's end can be noise; the full "
                 f"report at the posterior medians settles it: {command}.")
    if s.manifest.get("model_sha256") not in (None, model_sha256):
        text += (" **The attainability study ran another version of the model than this "
                 "report** (model hash differs): rerun it before reading these counts.")
    blocks.append(Paragraph(text))
    return blocks


def _reference_reps(manifest: Mapping[str, Any]) -> str:
    """The replications of the defaults and the posterior medians."""
    if manifest.get("references") == A.References.FULL.value:
        return "the full report's replications"
    return _reps(manifest.get("replications"))


def _reps(reps: Any) -> str:
    return (f"{reps} replications per design point in every study" if isinstance(reps, int)
            else "each study's --quick replications")


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids) if ids else "none"


def _attainability(s: A.Study) -> list[Block]:
    m, summary = s.manifest, s.summary
    v = summary[summary["role"] == "validation"]
    nowhere = v[v["within"] == 0]
    n = int(m.get("points", len(s.design)))
    counts = s.counts
    best = counts.loc[counts["within"].idxmax()] if len(counts) else None
    ranges = "; ".join(f"`{k}` {fmt(lo)}-{fmt(hi)}" for k, (lo, hi) in m.get("ranges", {}).items())
    blocks: list[Block] = [Heading(3, "Which checks the model meets nowhere in the prior box")]
    blocks.append(Paragraph(
        f"From `{s.folder.as_posix()}/tables/` (`{m.get('command') or 'warnsim attainability'}`): "
        f"every registered check evaluated at {n} points, {m.get('sampled_points')} of them a "
        f"Latin hypercube over the calibration's prior box ({ranges}; design seed "
        f"{m.get('seed')}, `numpy.random.SeedSequence`), plus the defaults and the posterior "
        f"medians; {_reps(m.get('replications'))} at the sampled points, "
        f"{_reference_reps(m)} at the defaults and the posterior medians"
        + (f"; {m['seconds'] / 60:.1f} min of measuring" if m.get("seconds") else "")
        + f". **{len(v) - len(nowhere)} of {len(v)} "
        f"validation checks are within at one point or more; {len(nowhere)} are within at none "
        f"of the {n} points evaluated**"
        + (f": {_ids(list(nowhere['check']))}." if len(nowhere) else ".")
        + (f" The most checks within at one point: {int(best['within'])} of {len(v)} "
           f"(`{best['point']}`)." if best is not None else "")
        + " This is a finding about the points evaluated, not about every parameter value: a "
        "finer design or values outside the box could meet a check met nowhere here; and a "
        "verdict at reduced replications is less sure (the column *interval reaches* counts "
        "the points whose 95% interval overlaps the range)."))
    rows = tuple((f"`{r.check}`", _range(r.range_low, r.range_high),
                  _span(r.lowest, r.highest), f"{int(r.within)} of {int(r.points)}",
                  str(int(r.reached)), str(r.at_defaults), str(r.at_posterior_median),
                  "met somewhere" if r.within else "met nowhere")
                 for r in v.itertuples())
    blocks.append(Table(("check", "within if", "range over the points", "within at",
                         "interval reaches", "at defaults", "at posterior medians", "in the box"),
                        rows, (False, True, True, True, True, False, False, False)))
    return blocks


def _span(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "undefined"
    return f"{fmt(lo)} to {fmt(hi)}"


def _range(lo: Any, hi: Any) -> str:
    def end(x: Any) -> Any:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else x

    return range_cell({"range_low": end(lo), "range_high": end(hi)})
