"""Observing a run: its outcomes, its trust and the rows of its per-day series.

Everything here reads the run's state (:class:`sim.engine.Run`) and changes nothing: the
trust matrix (perceived benevolence, :func:`sim.ledger.benevolence_matrix`), the outcome
statistics declared in :mod:`sim.outcomes`, and the rows the per-day, per-agency and per-dyad
series record. ``WarningModel`` (Mesa) and :func:`sim.run.simulate` both observe through
these functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.enums import WaiverReason
from sim.inference import INVESTIGATED
from sim.ledger import benevolence_matrix
from sim.protocol import BOTH, PUBLIC
from sim.schema import BANDS
from sim.world import FateCode

_ATTACK, _INTERDICTED, _DETERRED, _PENDING = (
    FateCode.ATTACK, FateCode.INTERDICTED, FateCode.DETERRED, FateCode.PENDING)


def prior_tensor(st: Any) -> np.ndarray:
    """``[r, s, h]``: ``r``'s log prior over ``s``'s type, from ``s``'s class toward ``r``."""
    rival_to_me = st.rival.T[:, :, None]  # [r, s] = s regards r as a rival
    return np.where(rival_to_me, st.priors[0], st.priors[1])


def trust_matrix(st: Any, day: int) -> np.ndarray:
    """Perceived benevolence ``[recipient, sender]`` through ``day`` (diagonal NaN)."""
    out = benevolence_matrix(st, day, prior_tensor(st))
    np.fill_diagonal(out, np.nan)
    return out


def manipulated(st: Any) -> np.ndarray:
    """``[r, s]``: ``s`` is a manipulative type toward ``r`` now (:func:`sim.protocol.manipulates`)."""
    p = st.params[0]
    rival = st.rival  # [s, r]
    declared = st.agencies.declared[:, None]
    share = np.where(rival, p.manipulative_share_rival, p.manipulative_share_ally)
    drawn = st.agencies.propensity[:, None] < share
    out = np.where(declared >= 0, (declared == 1) & rival, drawn).T
    return out & ~np.eye(len(out), dtype=bool)


def trust_by_band(st: Any, trust: np.ndarray) -> dict[str, float]:
    off = ~np.eye(len(trust), dtype=bool)
    bands = np.minimum((st.rivalry * 3).astype(int), 2)
    out = {"mean_trust": float(trust[off].mean())}
    for b, name in enumerate(BANDS):
        mask = off & (bands == b)
        out[f"mean_trust_{name}_rivalry"] = float(trust[mask].mean()) if mask.any() else math.nan
    return out


def trust_by_type(st: Any, trust: np.ndarray) -> dict[str, float]:
    manip = manipulated(st)
    honest = ~manip & ~np.eye(len(manip), dtype=bool)
    return {
        "trust_in_manipulators": float(trust[manip].mean()) if manip.any() else math.nan,
        "trust_in_benevolent": float(trust[honest].mean()) if honest.any() else math.nan,
    }


def outcomes(st: Any, days: int, trust: np.ndarray) -> dict[str, float | int]:
    """The run's outcome statistics so far (names declared in :mod:`sim.outcomes`); ``trust``
    is :func:`trust_matrix` now."""
    t = st.threats
    state = st.state[0]
    real = t.is_real
    fate = t.fate[real]
    ended = fate != _PENDING
    potential = int(t.lethality[real][ended].sum())
    casualties = int(t.casualties[real].sum())
    cab = st.cables[: state.cables]
    sent = cab.waiver_reason < 0
    delivered = sent & (cab.delivered_day >= 0)
    heeded_mask = delivered & (cab.heeded == 1)
    heeded = int(heeded_mask.sum())
    n_delivered = int(delivered.sum())
    open_ = int((delivered & (cab.heeded < 0)).sum())
    reasons = list(WaiverReason)
    waived = {r: int((cab.waiver_reason == i).sum()) for i, r in enumerate(reasons)}
    false_alarms = int((sent & ~cab.is_real).sum())
    foiled = int(((fate == _INTERDICTED) | (fate == _DETERRED)).sum())
    public = (cab.channel == PUBLIC) | (cab.channel == BOTH)
    out: dict[str, float | int] = {
        "plots": int(real.sum()),
        "false_leads": int((~real).sum()),
        "attacks": int((fate == _ATTACK).sum()),
        "casualties": casualties,
        "interdicted": int((fate == _INTERDICTED).sum()),
        "deterred": int((fate == _DETERRED).sum()),
        "pending": int((fate == _PENDING).sum()),
        "plots_ended": int(ended.sum()),
        "foiled": foiled,
        "foiled_share": _rate(foiled, int(ended.sum())),
        "potential_casualties": potential,
        "lives_saved": potential - casualties,
        "detections": int((st.detections.day < days).sum()),
        "warnings_triggered": int((~cab.fabricated).sum()),
        "warnings_waived": sum(waived.values()),
        **{f"waived_{r.value}": k for r, k in waived.items()},
        "warnings_sent": int(sent.sum()),
        "fabricated_warnings": int((sent & cab.fabricated).sum()),
        "public_alerts": int((sent & public).sum()),
        "attacks_shifted": int(t.shifted[real].sum()),
        "details_withheld": int((cab.details_known - cab.details_passed)[sent].sum()),
        "sources_burned": int(state.sources_burned),
        "warnings_delivered": n_delivered,
        "warnings_heeded": heeded,
        "warnings_investigated": int((delivered & (cab.response == INVESTIGATED)).sum()),
        "warnings_dismissed": n_delivered - heeded - open_,
        "investigations_open": open_,
        "heed_rate": _rate(heeded, n_delivered),
    }
    bands = np.minimum((cab.rivalry * 3).astype(int), 2)
    for b, band in enumerate(BANDS):
        in_band = delivered & (bands == b)
        h = int((in_band & heeded_mask).sum())
        n = int(in_band.sum())
        out[f"delivered_{band}_rivalry"] = n
        out[f"heeded_{band}_rivalry"] = h
        out[f"heed_rate_{band}_rivalry"] = _rate(h, n)
    judged = delivered & (cab.confirmed >= 0)
    protective = float(state.protective_cost)
    investigative = float(state.investigative_cost)
    out |= {
        "false_alarms": false_alarms,
        "false_alarm_share": _rate(false_alarms, int(sent.sum())),
        "false_alarms_heeded": int((heeded_mask & ~cab.is_real).sum()),
        "fabrications_heeded": int((heeded_mask & cab.fabricated).sum()),
        "protective_cost": protective,
        "investigative_cost": investigative,
        "net_harm": casualties + protective + investigative,
        "confirmations": int((judged & (cab.confirmed == 1)).sum()),
        "disconfirmations": int((judged & (cab.confirmed == 0)).sum()),
        **trust_by_band(st, trust),
        **trust_by_type(st, trust),
    }
    return out


def mean_rivalry(st: Any) -> float:
    off = ~np.eye(len(st.rivalry), dtype=bool)
    return float(st.rivalry[off].mean())


def agent_rows(st: Any, day: int, trust: np.ndarray, names: list[str]) -> dict[str, list[Any]]:
    """The agent reporters' values for ``day``, one list entry per agency (by index)."""
    t = st.threats
    n = len(names)
    a = st.agencies
    attacked = t.fate == _ATTACK
    return {
        "day": [day] * n, "agency": names,
        "warnings_sent": a.sent.tolist(),
        "warnings_received": a.received.tolist(),
        "warnings_heeded": a.heeded.tolist(),
        "capability": a.capability.tolist(),
        "sources_burned": a.sources_burned.tolist(),
        "actions_in_force": a.load.tolist(),
        "attacks_suffered": np.bincount(t.target[attacked], minlength=n).tolist(),
        "casualties_suffered": np.bincount(t.target, weights=t.casualties,
                                           minlength=n).astype(int).tolist(),
        "trust_given": np.nanmean(trust, axis=1).tolist(),
        "trust_received": np.nanmean(trust, axis=0).tolist(),
    }


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan
