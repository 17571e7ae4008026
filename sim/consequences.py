"""Consequences: what warning, heeding and investigating do to plots, to costs and to sources.

Every choice has a price on both sides (Lindell & Perry 2012; Breznitz 1984; Carnegie &
Carson 2020):

* **Protective action** (a heeded warning) costs ``action_cost`` x ``1 + load / attention_capacity``
  plus ``stake_cost`` x the deaths a real plot of the indicated scale is expected to cause if
  dismissed (the action covers the people at risk, so its cost grows with its scope), in
  death-equivalents; ``load`` is the protective actions the recipient already has in force (warning
  overload: an overstretched service pays more for each further action's fixed part, which is how
  an ally comes to dismiss a specific warning: Sri Lanka 2019, Brussels 2016). Each action stays in
  force ``protection_days`` and diverts security: while ``k`` are in force the home services'
  interdiction chance is multiplied by ``(1 - diversion)^k`` (false alarms cost lives, not only
  money: Breznitz 1984; Simmons & Sutter 2009). On a real, still pending plot the action leads to
  arrests with ``interdiction_effect x (1 - w + w x details/3)`` (visible prevention), else to
  silent abandonment with ``deterrence_effect`` (the prevention paradox), else to measures that
  cut the deaths of the attack by ``casualty_reduction``.
* **Investigation** costs ``investigation_cost``.
* **Disclosure** (Carnegie & Carson 2020): each detail a sender passes burns one of its sources
  with ``burn_risk x sensitivity x (1 - w + w x rivalry)`` (:func:`burn_chance`); each burned
  source costs it ``burn_loss`` of its capability, so it detects less for the rest of the run,
  and ``source_value`` death-equivalents in ``net_harm``.
* **Political cost**: acting on a rival's intelligence costs the recipient ``rival_action_cost x
  rivalry``, public or not (:func:`political_loss`); a public warning adds the face cost.
* **Public alerts** warn the plotters too: with ``attacker_adaptation`` they move their date later
  by the drawn shift (at most ``max_attack_shift`` days).

The common unit is the death-equivalent (one unit = the harm of one death); ``net_harm`` is the
sum of its components (:data:`sim.outcomes.NET_HARM_COMPONENTS`): deaths, protective,
investigative, political and sources costs. A mitigated attack's deaths are rounded at random
(``floor(deaths x (1 - casualty_reduction) + U)``), so that they average what recipients expect. The material state (the threats' fates, the
agencies' capability and actions in force, the costs) lives in the run's state
(:mod:`sim.engine`); the day's scheduled events (arrests, attacks, expiries) in its queues.
"""

from __future__ import annotations

import math
from typing import Any

from sim import queues
from sim.jit import kernel
from sim.world import N_DETAILS, FateCode, U

PENDING, ATTACK, INTERDICTED, DETERRED = (
    FateCode.PENDING, FateCode.ATTACK, FateCode.INTERDICTED, FateCode.DETERRED)



# --- the sender's side -----------------------------------------------------------------------------

@kernel
def still_detects(st: Any, agency: int, detect_u: float) -> bool:
    """Whether a detection drawn at the initial capability survives the burned sources."""
    return detect_u < st.params[0].detection_rate * st.agencies[agency].capability


@kernel
def burn(st: Any, c: int) -> None:
    """Burn the sender's sources for the details its cable passed."""
    p = st.params[0]
    cab = st.cables[c]
    s = cab.sender
    u = st.detections[cab.row].u
    sender = st.agencies[s]
    risk = burn_chance(st, s, cab.recipient)
    burned = 0
    if cab.timing and u[U.BURN] < risk:
        burned += 1
    if cab.location and u[U.BURN + 1] < risk:
        burned += 1
    if cab.perpetrators and u[U.BURN + 2] < risk:
        burned += 1
    if burned:
        sender.capability = sender.capability * (1.0 - p.burn_loss) ** float(burned)
        st.state[0].sources_burned += burned
    cab.sources_burned = burned
    sender.sources_burned += burned


@kernel
def burn_chance(st: Any, s: int, r: int) -> float:
    """Chance that passing one detail to ``r`` burns one of ``s``'s sources: ``burn_risk x
    sensitivity x (1 - w + w x rivalry)``, ``w = exposure_rivalry_weight`` (Carnegie & Carson
    2020: a rival service exploits what it learns)."""
    p = st.params[0]
    w = p.exposure_rivalry_weight
    return p.burn_risk * st.agencies[s].sensitivity * (1.0 - w + w * st.rivalry[s, r])


@kernel
def adapt(st: Any, k: int, shift: int) -> None:
    """The plotters of real plot ``k`` move their date after a public alert."""
    threat = st.threats[k]
    if threat.fate == PENDING:
        threat.attack_day += shift
        threat.shifted = True
        queues.push(st, queues.ATTACK, threat.attack_day, k)


@kernel
def visibly_ended(st: Any, k: int) -> bool:
    """Whether threat ``k`` is a real plot that ended in the open (arrests or attack)."""
    threat = st.threats[k]
    return threat.is_real and (threat.fate == ATTACK or threat.fate == INTERDICTED)


# --- the recipient's side --------------------------------------------------------------------------

@kernel
def action_cost(st: Any, r: int, scale: int) -> float:
    """``C``: the cost of one more protective action for ``r`` now (warning overload), on a
    warning indicating ``scale``: a fixed part and a part in proportion to the deaths at stake."""
    p = st.params[0]
    stake = p.stake_cost * st.agencies[r].dismissed_deaths[scale]
    return p.action_cost * (1.0 + st.agencies[r].load / p.attention_capacity) + stake


@kernel
def political_loss(st: Any, r: int, s: int) -> float:
    """The political cost to ``r`` of acting on ``s``'s intelligence, public or not (Walsh
    2010; Fearon 1994): ``rival_action_cost`` times how far beyond the rival threshold ``r``'s
    rivalry toward ``s`` lies, ``(rivalry - threshold) / (1 - threshold)``; nothing toward a
    non-rival, the whole of it toward a sworn enemy."""
    p = st.params[0]
    beyond = st.rivalry[r, s] - p.rival_threshold
    if beyond <= 0.0 or p.rival_threshold >= 1.0:
        return 0.0
    return p.rival_action_cost * beyond / (1.0 - p.rival_threshold)


@kernel
def diversion_deaths(st: Any, r: int) -> float:
    """Expected deaths from the home security one more protective action diverts while in
    force (the agency's rate at no load, :class:`sim.inference.Inference`, times the share of
    interdiction the actions already in force leave)."""
    p = st.params[0]
    return st.agencies[r].diversion * (1.0 - p.diversion) ** float(st.agencies[r].load)


@kernel
def interdiction_chance(st: Any, details: int) -> float:
    """Chance protective action on a warning passing ``details`` details ends a real plot in
    arrests."""
    p = st.params[0]
    w = p.interdiction_detail_weight
    return p.interdiction_effect * (1.0 - w + w * details / N_DETAILS)


@kernel
def investigate(st: Any) -> None:
    st.state[0].investigative_cost += st.params[0].investigation_cost


@kernel
def protect_on(st: Any, c: int, day: int) -> None:
    """The recipient heeds cable ``c``: it takes protective action on the threat warned of."""
    cab = st.cables[c]
    r = cab.recipient
    st.agencies[r].heeded += 1
    st.answered[r, cab.sender] += 1
    st.acted[r, cab.sender] += 1
    cab.heeded = 1
    cab.decided_day = day
    u = st.fabrications[cab.row].u if cab.fabricated else st.detections[cab.row].u
    if protect(st, r, day, cab.threat, interdiction_chance(st, cab.details_passed), u, cab.scale):
        st.state[0].political_cost += cab.political_loss + cab.face_loss


@kernel
def protect(st: Any, r: int, day: int, k: int, interdiction: float, u: Any, scale: int) -> bool:
    """Protective action by ``r`` on a warning about threat ``k`` (-1: a fabrication); whether
    it was taken.

    Warnings about the same threat are recognisable (same target, date and details): a
    threat already acted upon needs no second action, so a later warning about it costs and
    changes nothing."""
    p = st.params[0]
    if k >= 0 and st.threats[k].protected:
        return False
    state = st.state[0]
    state.protective_cost += action_cost(st, r, scale)
    st.agencies[r].load += 1
    queues.push(st, queues.EXPIRE, day + p.protection_days, r)
    if k < 0:
        return True
    threat = st.threats[k]
    threat.protected = True
    if not threat.is_real or threat.fate != PENDING or threat.attack_day <= day:
        return True
    if u[U.INTERDICT] < interdiction:
        when = day + int(u[U.WHEN] * (threat.attack_day - day))
        queues.push(st, queues.INTERDICT, when, k)
    elif u[U.DETER] < p.deterrence_effect:
        threat.fate = DETERRED
        threat.fate_day = day
    else:
        threat.mitigated = True
    return True


# --- the day's end -----------------------------------------------------------------------------------

@kernel
def end_plots(st: Any, day: int) -> None:
    """Arrests due today (after protective action, then by home services), then attacks, then
    protective actions expire."""
    p = st.params[0]
    node = queues.head(st, queues.INTERDICT, day)
    while node >= 0:
        threat = st.threats[st.node_value[node]]
        if threat.fate == PENDING:
            threat.fate = INTERDICTED
            threat.fate_day = day
        node = st.node_next[node]
    node = queues.head(st, queues.HOME, day)
    while node >= 0:
        threat = st.threats[st.node_value[node]]
        node = st.node_next[node]
        if threat.fate != PENDING:
            continue
        load = st.agencies[threat.target].load
        chance = p.home_interdiction * (1.0 - p.diversion) ** float(load)
        if threat.home_u < chance:
            threat.fate = INTERDICTED
            threat.fate_day = day
        else:
            threat.mitigated = True  # the services know of it: protective measures at home
    node = queues.head(st, queues.ATTACK, day)
    while node >= 0:
        threat = st.threats[st.node_value[node]]
        node = st.node_next[node]
        if threat.fate == PENDING and threat.attack_day == day:
            threat.fate = ATTACK
            threat.fate_day = day
            lethal = threat.lethality
            if threat.mitigated:  # rounded at random, so deaths average what recipients expect
                expected = lethal * (1.0 - p.casualty_reduction)
                threat.casualties = int(math.floor(expected + threat.round_u))
            else:
                threat.casualties = lethal
    node = queues.head(st, queues.EXPIRE, day)
    while node >= 0:
        st.agencies[st.node_value[node]].load -= 1
        node = st.node_next[node]
