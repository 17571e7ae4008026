"""Observing a run: its outcomes, its trust and the rows of its per-day series, compiled.

Everything here reads the run's state (:class:`sim.engine.Arrays`) and changes nothing: the
trust matrix (each recipient's perceived benevolence of each sender, the ledger's evidence
brought to the day without writing it), the outcome statistics declared in
:mod:`sim.outcomes` (one record, :func:`outcome_record`), and what the per-day, per-agency and
per-dyad series record. ``WarningModel`` (Mesa) and :func:`sim.run.simulate` both observe
through these kernels. Sums and means run from the left over the agencies' order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.consequences import ATTACK, DETERRED, INTERDICTED, PENDING
from sim.inference import INVESTIGATED, posterior_into
from sim.jit import kernel, records
from sim.outcomes import OUTCOME_NAMES, record_dtype
from sim.protocol import (
    DOCTRINE_EXCLUDES,
    NO_CHANNEL,
    RECIPIENT_AWARE,
    SOURCES_AT_RISK,
    WITHHELD,
    is_public,
)
from sim.world import ABILITY_LEVELS

OUTCOME_DTYPE = record_dtype()


@kernel
def trust_matrix(st: Any, day: int) -> np.ndarray:
    """Perceived benevolence ``[recipient, sender]`` through ``day`` (diagonal NaN): the prior
    of the sender's class toward the recipient, plus the recipient's direct and public evidence
    and what its allies share, the evidence faded and its quiet days counted up to ``day``."""
    p = st.params[0]
    n = st.rivalry.shape[0]
    size = st.direct.shape[2]
    fade = st.derived[0].fade
    evidence = np.empty((n, n, size))
    public = np.empty((n, n, size))
    for r in range(n):
        for s in range(n):
            factor = 1.0
            gain = 0.0
            days = day - st.through[r, s]
            if days > 0 and p.learning:
                factor = fade ** float(days)
                gain = (1.0 - factor) / (1.0 - fade)
            for h in range(size):
                evidence[r, s, h] = st.direct[r, s, h] * factor + st.silence[r, s, h] * gain
                public[r, s, h] = st.public[r, s, h] * factor
    sharing = p.ally_sharing if p.learning else 0.0
    # shared[b, c, s, h]: the evidence about s held by the agencies of bloc b that s regards
    # as rivals (c = 1) or not (c = 0); an agency's allies' share is its bloc's less its own
    blocs = 0
    for x in range(n):
        blocs = max(blocs, st.agencies[x].bloc + 1)
    shared = np.zeros((blocs, 2, n, size))
    if sharing != 0.0:
        for s in range(n):
            for x in range(n):
                if x != s:
                    c = 1 if st.rival[s, x] and p.class_pooling else 0
                    for h in range(size):
                        shared[st.agencies[x].bloc, c, s, h] += evidence[x, s, h]
    out = np.empty((n, n))
    value = np.empty(size)
    probs = np.empty(size)
    for r in range(n):
        for s in range(n):
            if r == s:
                out[r, s] = np.nan
                continue
            prior = st.priors[r, s]
            c = 1 if st.rival[s, r] and p.class_pooling else 0
            b = st.agencies[r].bloc
            for h in range(size):
                value[h] = prior[h] + evidence[r, s, h] + public[r, s, h]
                if sharing != 0.0:
                    value[h] += sharing * (shared[b, c, s, h] - evidence[r, s, h])
            posterior_into(value, probs)
            total = 0.0
            for k in range(ABILITY_LEVELS):
                total += probs[k]
            out[r, s] = total
    return out


@kernel
def band(rivalry: float) -> int:
    """The rivalry band: low [0, 1/3), mid [1/3, 2/3), high [2/3, 1] (:data:`sim.schema.BANDS`)."""
    return min(int(rivalry * 3), 2)


@kernel
def rate(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else np.nan


@kernel
def outcome_record(st: Any, days: int, trust: np.ndarray) -> np.ndarray:
    """The run's outcome statistics so far, one record (:func:`sim.outcomes.record_dtype`);
    ``trust`` is :func:`trust_matrix` now."""
    out = records(np.zeros(1, dtype=OUTCOME_DTYPE))
    o = out[0]
    state = st.state[0]
    potential = 0
    for k in range(st.threats.shape[0]):
        t = st.threats[k]
        if not t.is_real:
            o.false_leads += 1
            continue
        o.plots += 1
        o.casualties += t.casualties
        if t.fate == ATTACK:
            o.attacks += 1
        elif t.fate == INTERDICTED:
            o.interdicted += 1
        elif t.fate == DETERRED:
            o.deterred += 1
        else:
            o.pending += 1
        if t.fate != PENDING:
            potential += t.lethality
            if st.agencies[t.target].capable:
                o.plots_ended_capable += 1
                if t.fate == INTERDICTED or t.fate == DETERRED:
                    o.foiled_capable += 1
        if t.shifted:
            o.attacks_shifted += 1
    o.plots_ended = o.plots - o.pending
    o.foiled = o.interdicted + o.deterred
    o.foiled_share = rate(o.foiled, o.plots_ended)
    o.foiled_share_capable = rate(o.foiled_capable, o.plots_ended_capable)
    o.potential_casualties = potential
    o.lives_saved = potential - o.casualties
    for i in range(st.detections.shape[0]):
        if st.detections[i].day < days:
            o.detections += 1
    delivered = np.zeros(3, dtype=np.int64)
    heeded = np.zeros(3, dtype=np.int64)
    fabricated = np.zeros(3, dtype=np.int64)
    believed = np.zeros(3)
    for c in range(state.cables):
        cab = st.cables[c]
        if not cab.fabricated:
            o.warnings_triggered += 1
        reason = cab.waiver_reason
        if reason >= 0:
            o.warnings_waived += 1
            if reason == DOCTRINE_EXCLUDES:
                o.waived_doctrine_excludes += 1
            elif reason == RECIPIENT_AWARE:
                o.waived_recipient_aware += 1
            elif reason == SOURCES_AT_RISK:
                o.waived_sources_at_risk += 1
            elif reason == NO_CHANNEL:
                o.waived_no_channel += 1
            elif reason == WITHHELD:
                o.waived_withheld += 1
            continue
        o.warnings_sent += 1
        if cab.fabricated:
            o.fabricated_warnings += 1
        if is_public(cab.channel):
            o.public_alerts += 1
        if not cab.is_real:
            o.false_alarms += 1
        o.details_withheld += cab.details_known - cab.details_passed
        if cab.delivered_day < 0:
            continue
        o.warnings_delivered += 1
        b = band(cab.rivalry)
        delivered[b] += 1
        believed[b] += cab.p_fabricated
        if cab.fabricated:
            fabricated[b] += 1
        if cab.response == INVESTIGATED:
            o.warnings_investigated += 1
        if cab.heeded == 1:
            o.warnings_heeded += 1
            heeded[b] += 1
            if not cab.is_real:
                o.false_alarms_heeded += 1
            if cab.fabricated:
                o.fabrications_heeded += 1
        elif cab.heeded < 0:
            o.investigations_open += 1
        if cab.confirmed == 1:
            o.confirmations += 1
        elif cab.confirmed == 0:
            o.disconfirmations += 1
    o.sources_burned = state.sources_burned
    o.warnings_dismissed = o.warnings_delivered - o.warnings_heeded - o.investigations_open
    o.heed_rate = rate(o.warnings_heeded, o.warnings_delivered)
    o.delivered_low_rivalry = delivered[0]
    o.heeded_low_rivalry = heeded[0]
    o.heed_rate_low_rivalry = rate(heeded[0], delivered[0])
    o.fabricated_low_rivalry = fabricated[0]
    o.fabricated_share_low_rivalry = rate(fabricated[0], delivered[0])
    o.believed_fabricated_low_rivalry = rate(believed[0], delivered[0])
    o.delivered_mid_rivalry = delivered[1]
    o.heeded_mid_rivalry = heeded[1]
    o.heed_rate_mid_rivalry = rate(heeded[1], delivered[1])
    o.fabricated_mid_rivalry = fabricated[1]
    o.fabricated_share_mid_rivalry = rate(fabricated[1], delivered[1])
    o.believed_fabricated_mid_rivalry = rate(believed[1], delivered[1])
    o.delivered_high_rivalry = delivered[2]
    o.heeded_high_rivalry = heeded[2]
    o.heed_rate_high_rivalry = rate(heeded[2], delivered[2])
    o.fabricated_high_rivalry = fabricated[2]
    o.fabricated_share_high_rivalry = rate(fabricated[2], delivered[2])
    o.believed_fabricated_high_rivalry = rate(believed[2], delivered[2])
    o.false_alarm_share = rate(o.false_alarms, o.warnings_sent)
    o.protective_cost = state.protective_cost
    o.investigative_cost = state.investigative_cost
    o.political_cost = state.political_cost
    o.sources_cost = state.sources_burned * st.params[0].source_value
    o.net_harm = (o.casualties + o.protective_cost + o.investigative_cost + o.political_cost
                  + o.sources_cost)  # the components, sim.outcomes.NET_HARM_COMPONENTS
    trust_by_band(st, trust, o)
    trust_by_type(st, trust, o)
    return out


@kernel
def trust_by_band(st: Any, trust: np.ndarray, o: Any) -> None:
    """Mean perceived benevolence over every ordered dyad and per rivalry band now."""
    n = trust.shape[0]
    total = np.zeros(4)
    count = np.zeros(4)
    for r in range(n):
        for s in range(n):
            if r != s:
                b = band(st.rivalry[r, s])
                total[b] += trust[r, s]
                count[b] += 1
                total[3] += trust[r, s]
                count[3] += 1
    o.mean_trust = rate(total[3], count[3])
    o.mean_trust_low_rivalry = rate(total[0], count[0])
    o.mean_trust_mid_rivalry = rate(total[1], count[1])
    o.mean_trust_high_rivalry = rate(total[2], count[2])


@kernel
def trust_by_type(st: Any, trust: np.ndarray, o: Any) -> None:
    """Mean perceived benevolence of senders that fabricated warnings to the recipient
    (weighted by how many) and of those that fabricated none: how well learning has identified
    the manipulators."""
    n = trust.shape[0]
    manipulators = 0.0
    n_manipulators = 0
    benevolent = 0.0
    n_benevolent = 0
    for r in range(n):
        for s in range(n):
            if r == s:
                continue
            if st.fabricated[r, s] > 0:
                manipulators += st.fabricated[r, s] * trust[r, s]
                n_manipulators += st.fabricated[r, s]
            else:
                benevolent += trust[r, s]
                n_benevolent += 1
    o.trust_in_manipulators = rate(manipulators, n_manipulators)
    o.trust_in_benevolent = rate(benevolent, n_benevolent)


@kernel
def mean_rivalry(st: Any) -> float:
    n = st.rivalry.shape[0]
    total = 0.0
    for r in range(n):
        for s in range(n):
            if r != s:
                total += st.rivalry[r, s]
    return total / (n * (n - 1)) if n > 1 else np.nan


@kernel
def agent_values(st: Any, trust: np.ndarray) -> np.ndarray:
    """Per agency (rows): attacks and deaths its country suffered so far, and the mean
    perceived benevolence it holds of the others and they of it (columns in that order)."""
    n = trust.shape[0]
    out = np.zeros((n, 4))
    for k in range(st.threats.shape[0]):
        t = st.threats[k]
        if t.fate == ATTACK:
            out[t.target, 0] += 1
        out[t.target, 1] += t.casualties
    for a in range(n):
        given = 0.0
        received = 0.0
        for b in range(n):
            if a != b:
                given += trust[a, b]
                received += trust[b, a]
        out[a, 2] = given / (n - 1) if n > 1 else np.nan
        out[a, 3] = received / (n - 1) if n > 1 else np.nan
    return out


@kernel
def cable_table(st: Any) -> np.ndarray:
    """The cables written so far."""
    return st.cables[: st.state[0].cables]


@kernel
def final(st: Any, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At the end of a run: the trust matrix, the rivalry matrix and the outcome record."""
    trust = trust_matrix(st, days - 1)
    return trust, st.rivalry.copy(), outcome_record(st, days, trust)


def as_dict(record: np.ndarray) -> dict[str, float | int]:
    """An outcome record (:func:`outcome_record`) as a dict: names as declared, counts and
    deaths as ints."""
    return dict(zip(OUTCOME_NAMES, record[0].item(), strict=True))


def outcomes(ref: Any, days: int, trust: np.ndarray) -> dict[str, float | int]:
    """The outcome record as a dict (names as declared, counts and deaths as ints)."""
    return dict(zip(OUTCOME_NAMES, outcome_record(ref, days, trust)[0].item(), strict=True))


def agent_rows(ref: Any, arrays: Any, day: int, trust: np.ndarray,
               names: list[str]) -> dict[str, list[Any]]:
    """The agent reporters' values for ``day``, one list entry per agency (by index)."""
    n = len(names)
    a = arrays.agencies
    values = agent_values(ref, trust)
    return {
        "day": [day] * n, "agency": names,
        "warnings_sent": a.sent.tolist(),
        "warnings_received": a.received.tolist(),
        "warnings_heeded": a.heeded.tolist(),
        "capability": a.capability.tolist(),
        "sources_burned": a.sources_burned.tolist(),
        "actions_in_force": a.load.tolist(),
        "attacks_suffered": values[:, 0].astype(int).tolist(),
        "casualties_suffered": values[:, 1].astype(int).tolist(),
        "trust_given": values[:, 2].tolist(),
        "trust_received": values[:, 3].tolist(),
    }


