"""Face validation on the documented cases: scores over the set and sensitivity to coding.

Each case of ``sim/data/cases.csv`` is judged by the model's own formulas (:func:`sim.cases.score`:
the three response probabilities for the warning judged as the first from its sender). Over the
set:

* the **multiclass Brier score** ``(1/n) sum_i sum_k (p_ik - o_ik)^2``, ``o_ik`` = 1 for the
  recorded response, 0 otherwise (Brier 1950; 0 is perfect, 2 the worst, 2/3 the uninformed
  forecast of 1/3 for each response);
* the **log-loss** ``-(1/n) sum_i ln p_i,recorded``, probabilities clipped below at
  :data:`EPSILON` so that a response the model deems impossible costs ``ln 1e6`` = 13.8 rather
  than infinity (ln 3 = 1.10 for the uninformed forecast).

Every coding is a documented assumption, so each case is rescored with its coding moved one
step at a time (details +-1, rivalry +-0.1, every other channel): the report shows how much a
verdict rests on the coding.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.cases import Case, Scored, builtin_cases, score
from sim.enums import Channel, Response
from sim.params import ModelParams
from sim.validation.statistics import Measurement, paired
from sim.validation.suite import CASE_PREFIX

RESPONSES: tuple[Response, ...] = (Response.HEEDED, Response.INVESTIGATED, Response.DISMISSED)
EPSILON = 1e-6
"""Smallest probability the log-loss uses."""
UNINFORMED = 1 / 3
"""A case is ``within`` when the model gives its recorded response at least this chance."""
RIVALRY_STEP = 0.1


def probabilities(scored: list[Scored]) -> np.ndarray:
    """[case, response] probabilities in :data:`RESPONSES` order."""
    return np.array([[s.probability(r) for r in RESPONSES] for s in scored], dtype=float)


def recorded_index(cases: list[Case]) -> np.ndarray:
    return np.array([RESPONSES.index(c.response) for c in cases], dtype=int)


def brier_terms(p: np.ndarray, recorded: np.ndarray) -> np.ndarray:
    """Each case's Brier term: the squared distance of its probabilities from the outcome."""
    outcome = np.zeros_like(p)
    outcome[np.arange(len(recorded)), recorded] = 1.0
    return ((p - outcome) ** 2).sum(axis=1)


def log_loss_terms(p: np.ndarray, recorded: np.ndarray) -> np.ndarray:
    return -np.log(np.clip(p[np.arange(len(recorded)), recorded], EPSILON, 1.0))


def brier(p: np.ndarray, recorded: np.ndarray) -> float:
    """Multiclass Brier score of probabilities ``p`` [case, response] for the recorded indices."""
    return float(brier_terms(p, recorded).mean())


def log_loss(p: np.ndarray, recorded: np.ndarray) -> float:
    return float(log_loss_terms(p, recorded).mean())


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def alternatives(case: Case) -> list[tuple[str, Case]]:
    """The case with one coding moved: details +-1, rivalry +-0.1 (within their ranges), and
    every other channel."""
    out: list[tuple[str, Case]] = []
    for step in (-1, 1):
        details = case.details + step
        if 0 <= details <= 3:
            out.append((f"details {details}", dataclasses.replace(case, details=details)))
    for shift in (-RIVALRY_STEP, RIVALRY_STEP):
        rivalry = round(case.rivalry + shift, 10)
        if 0.0 <= rivalry <= 1.0:
            out.append((f"rivalry {rivalry:g}", dataclasses.replace(case, rivalry=rivalry)))
    for channel in Channel:
        if channel is not case.channel:
            out.append((f"channel {channel.value}", dataclasses.replace(case, channel=channel)))
    return out


@dataclass(frozen=True, slots=True)
class CaseResults:
    """The scored cases, their sensitivity to coding, and the set's scores."""

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    brier: Measurement
    log_loss: Measurement
    entries: list[dict[str, object]]


def evaluate(params: ModelParams, cases: list[Case] | None = None) -> CaseResults:
    """Score the cases (default: the built-in set) at ``params``."""
    cases = builtin_cases() if cases is None else cases
    scored = score(cases, params)
    p = probabilities(scored)
    recorded = recorded_index(cases)
    own = p[np.arange(len(cases)), recorded]
    rows, sens_rows, entries, changes = [], [], [], []
    brier_alt, loss_alt = [], []
    for i, (case, s) in enumerate(zip(cases, scored, strict=True)):
        alt = alternatives(case)
        alt_scored = score([c for _, c in alt], params)
        alt_p = probabilities(alt_scored)
        alt_own = alt_p[:, recorded[i]]
        flips = [name for (name, _), a in zip(alt, alt_scored, strict=True)
                 if a.predicted is not s.predicted]
        changes.append(flips)
        verdict_flips = [name for (name, _), q in zip(alt, alt_own, strict=True)
                         if (q >= UNINFORMED) != (own[i] >= UNINFORMED)]
        rows.append({"case": case.case, "dyad": f"{case.sender} -> {case.recipient}",
                     "p_heed": p[i, 0], "p_investigate": p[i, 1], "p_dismiss": p[i, 2],
                     "predicted": s.predicted.value, "recorded": case.response.value,
                     "p_recorded": own[i]})
        for (name, _), q, a in zip(alt, alt_own, alt_scored, strict=True):
            sens_rows.append({"case": case.case, "coding": name, "p_recorded": q,
                              "predicted": a.predicted.value})
            changed = p.copy()
            changed[i] = [a.probability(r) for r in RESPONSES]
            brier_alt.append(brier(changed, recorded))
            loss_alt.append(log_loss(changed, recorded))
        entries.append(_case_entry(case, s, own[i], alt_own, flips=flips,
                                   verdict_flips=verdict_flips))
    table = pd.DataFrame(rows)
    sensitivity = pd.DataFrame(sens_rows)
    summary = sensitivity.groupby("case", sort=False)["p_recorded"].agg(["min", "max"])
    table["p_recorded_low"] = table["case"].map(summary["min"])
    table["p_recorded_high"] = table["case"].map(summary["max"])
    table["prediction_changes_with"] = [", ".join(f) or "-" for f in changes]
    frequencies = np.bincount(recorded, minlength=3) / len(recorded)
    climatology = np.tile(frequencies, (len(cases), 1))
    uniform = np.full_like(p, UNINFORMED)
    scores = []
    for check_id, terms, alt_scores, fn in (
            ("cases_brier", brier_terms(p, recorded), brier_alt, brier),
            ("cases_log_loss", log_loss_terms(p, recorded), loss_alt, log_loss)):
        value, low, high, _ = paired({"t": terms}, lambda t, n: t["t"] / n, seed=check_id)
        details = {"uninformed forecast (1/3 each)": fn(uniform, recorded),
                   "base rates of the recorded responses (in-sample)": fn(climatology, recorded),
                   "lowest over one-at-a-time recodings": min(alt_scores),
                   "highest over one-at-a-time recodings": max(alt_scores),
                   "cases": len(cases)}
        scores.append(Measurement(float(value[0]), float(low[0]), float(high[0]), len(cases),
                                  details, note="interval: percentile bootstrap over cases"))
    return CaseResults(table, sensitivity, scores[0], scores[1], entries)


def _case_entry(case: Case, s: Scored, own: float, alt_own: np.ndarray, *, flips: list[str],
                verdict_flips: list[str]) -> dict[str, object]:
    """One ``case_<slug>`` entry of validation.json (the report adds the verdict)."""
    recorded = case.response.value
    return {
        "id": CASE_PREFIX + slug(case.case),
        "kind": "case",
        "claim": f"{case.case} ({case.sender} -> {case.recipient}): the model gives the recorded "
                 f"response ({recorded}) at least the chance an uninformed forecast does (1/3).",
        "source": case.source,
        "published": f"recorded response: {recorded}",
        "value": own,
        "ci_low": None,
        "ci_high": None,
        "range_low": UNINFORMED,
        "range_high": 1.0,
        "unit": "probability of the recorded response",
        "predicted": s.predicted.value,
        "recorded": recorded,
        "p_heed": s.choice.heed, "p_investigate": s.choice.investigate,
        "p_dismiss": s.choice.dismiss,
        "coding_low": float(alt_own.min()) if alt_own.size else math.nan,
        "coding_high": float(alt_own.max()) if alt_own.size else math.nan,
        "prediction_changes_with": flips,
        "verdict_changes_with": verdict_flips,
    }
