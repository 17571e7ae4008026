"""The run's state as arrays, and the day: one implementation of the daily mechanisms.

A run is a :class:`Run`: a named tuple of numpy arrays (record arrays for the tables, plain
arrays for the dyad matrices and the trust ledger) that the compiled kernels of
:mod:`sim.protocol`, :mod:`sim.inference`, :mod:`sim.ledger` and :mod:`sim.consequences`
read and write. :func:`step_day` runs one day; :func:`run_days` runs a span of days by calling
it, in compiled code. ``WarningModel.step()`` (Mesa) calls :func:`step_day` for one day and
``WarningModel.run()`` calls :func:`run_days` for the whole run, so a run stepped day by day
and the same run made whole are the same computation.

Order of events within a day (the ODD's process overview, ``docs/ODD.md``):

1. scheduled rivalry shifts take effect (scenario ``[[shift]]``);
2. agencies with work today act, in random order: the duty-to-warn protocol on detections
   that became impending today, then fabrications from manipulative senders; sending burns
   sources and a public alert may move the attack;
3. warnings reaching their recipient today are judged, in a fixed order (real ones by
   detection, then fabrications): the arrival is evidence about the sender, the warning's
   details are checked, and the recipient heeds, investigates or dismisses;
4. investigations due today report, and the recipient heeds or dismisses;
5. plots end: arrests, home services' arrest attempts, then attacks; protective actions expire;
6. warnings whose date plus ``confirmation_window`` has passed are judged by their outcome (an
   attack or arrests confirm, nothing visible does not) and the outcome is evidence about the
   sender for the recipient, its allies and, for public warnings, everyone; a confirmation
   lowers the dyad's rivalry by ``diplomacy_effect`` (intelligence diplomacy).

Scheduled events wait in per-day queues (:func:`push`), first in first out, each a linked list
through one node pool sized for every event the run's world can make; events scheduled for a
day beyond the run are never processed, so they are not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from sim import queues
from sim.consequences import (
    ATTACK, INTERDICTED, adapt, burn, end_plots, still_detects, visibly_ended,
)
from sim.enums import Doctrine, NoLiaisonRoute
from sim.inference import (
    HYPOTHESES, INVESTIGATED, Inference, dyad_model, judge, outcome_loglik, positive_part,
    prior_vector, refresh_beliefs, resolve, visibility,
)
from sim.jit import jit_disabled, kernel
from sim.ledger import advance, observe_outcome
from sim.log import empty_cables
from sim.params import PARAMETERS, ModelParams
from sim.protocol import PUBLIC, RELAY, fabricate, is_public, relay_matrix, screen
from sim.scenarios import Scenario
from sim.world import U, World

_DOCTRINES = list(Doctrine)

ACT_DETECTION, ACT_FABRICATION = 0, 1

STATE_DTYPE = np.dtype([
    ("day", np.int64), ("cables", np.int64), ("nodes", np.int64), ("sent", np.int64),
    ("heeded", np.int64), ("investigated", np.int64), ("protective_cost", np.float64),
    ("investigative_cost", np.float64), ("sources_burned", np.int64),
    ("ledger_through", np.int64), ("has_public", np.bool_), ("probes", np.bool_),
])
"""The run's scalars: the next day, table sizes, the per-day series' running counts, costs."""

DERIVED_DTYPE = np.dtype([("fade", np.float64), ("shift_beyond_window", np.float64)])
"""Constants derived from the parameters once per run."""

AGENCY_DTYPE = np.dtype([
    ("capability", np.float64), ("home_security", np.float64), ("sensitivity", np.float64),
    ("doctrine", np.int64), ("declared", np.int64), ("propensity", np.float64),
    ("bloc", np.int64), ("verify_real", np.float64), ("corroborate_real", np.float64),
    ("corroborate_false", np.float64), ("probe_real", np.float64),
    ("evidence", np.float64, (4,)), ("harm", np.float64, (4,)),
    ("sent", np.int64), ("received", np.int64), ("heeded", np.int64),
    ("sources_burned", np.int64), ("load", np.int64),
])
"""One record per agency: its traits, the recipient's own checks (:class:`Inference`), its
doctrine and declared type (-1: drawn; 0, 1), and its running state (capability falls as its
sources burn; ``load``: protective actions in force)."""

SHIFT_DTYPE = np.dtype([("day", np.int64), ("rivalry", np.float64), ("directed", np.bool_),
                        ("start", np.int64), ("stop", np.int64)])
"""A scheduled rivalry shift; its dyads are ``shift_pairs[start:stop]``."""


class Arrays(NamedTuple):
    """The state of one run: the arrays the kernels read and write."""

    params: np.recarray  # one record: every parameter (Enums by their position)
    derived: np.recarray
    state: np.recarray
    agencies: np.recarray
    rivalry: np.ndarray  # [i, j]: rivalry of i toward j now
    rival: np.ndarray  # rivalry >= rival_threshold
    liaison: np.ndarray
    reachable: np.ndarray  # [s, r]: some channel reaches r from s
    relays: np.ndarray  # [s, r]: the relaying agency, -1 none
    same_bloc: np.ndarray  # [r, x]: x is r's ally (same bloc, not r)
    genuine: np.ndarray  # [s, r]: share of s's genuine warnings to r that survive
    genuine_base: np.ndarray  # [s, r, k]: genuine warnings a day under ability level k
    hit_rate: np.ndarray  # [s, r, k]
    priors: np.ndarray  # [0]: log prior toward a rival sender, [1]: toward a non-rival
    heard_from: np.ndarray  # [r, s]: r has received a warning from s
    direct: np.ndarray  # the ledger, [r, s, h]
    public: np.ndarray
    silence: np.ndarray
    threats: np.recarray
    detections: np.recarray
    fabrications: np.recarray
    cables: np.recarray
    queue_first: np.ndarray  # [queue, day]: first node, -1 none
    queue_last: np.ndarray
    node_next: np.ndarray
    node_value: np.ndarray
    act_start: np.ndarray  # [day]: first of the day's acts in act_kind / act_row
    act_kind: np.ndarray
    act_row: np.ndarray
    shifts: np.recarray
    shift_pairs: np.ndarray


def _kernel_handle_type() -> Any:
    """The proxy class through which compiled code holds one run's arrays: a numba StructRef,
    one pointer to all of them. Kernels take it as their first argument ``st``; a named tuple of
    thirty arrays in its place made every kernel's compiled signature hundreds of machine
    arguments long, which cost several times the compile time and a dispatch of tens of
    microseconds per call from Python (``benchmarks/bench_compile.py``)."""
    from numba.core import types
    from numba.experimental import structref

    @structref.register
    class RunType(types.StructRef):
        def preprocess_fields(self, fields: Any) -> Any:
            return tuple((name, types.unliteral(t)) for name, t in fields)

    class RunRef(structref.StructRefProxy):
        """One run's arrays, as compiled code holds them (no Python attributes)."""

    structref.define_proxy(RunRef, RunType, list(Arrays._fields))
    return RunRef


RunRef = None if jit_disabled() else _kernel_handle_type()


@kernel
def link(params, derived, state, agencies, rivalry, rival, liaison, reachable, relays,  # type: ignore[no-untyped-def]
         same_bloc, genuine, genuine_base, hit_rate, priors, heard_from, direct, public,
         silence, threats, detections, fabrications, cables, queue_first, queue_last, node_next,
         node_value, act_start, act_kind, act_row, shifts, shift_pairs):
    """The compiled handle on a run's arrays (:data:`RunRef`), in :class:`Arrays` order."""
    return RunRef(params, derived, state, agencies, rivalry, rival, liaison, reachable, relays,
                  same_bloc, genuine, genuine_base, hit_rate, priors, heard_from, direct, public,
                  silence, threats, detections, fabrications, cables, queue_first, queue_last,
                  node_next, node_value, act_start, act_kind, act_row, shifts, shift_pairs)


class Run:
    """A run's state: ``arrays`` (:class:`Arrays`, read by Python) and ``ref``, what the
    kernels take (the same arrays; ``arrays`` itself when kernels run as plain Python)."""

    __slots__ = ("arrays", "ref")

    def __init__(self, arrays: Arrays) -> None:
        self.arrays = arrays
        self.ref = arrays if jit_disabled() else link(*arrays)


# --- the day -----------------------------------------------------------------------------------------

@kernel
def run_days(st: Any, stop: int) -> None:
    """Run from the state's next day up to (not including) ``stop``."""
    for day in range(st.state[0].day, stop):
        step_day(st, day)


@kernel
def step_day(st: Any, day: int) -> None:
    """One day of the run (the order is the module docstring's)."""
    apply_shifts(st, day)
    act(st, day)
    deliver(st, day)
    report(st, day)
    end_plots(st, day)
    evaluate(st, day)
    st.state[0].day = day + 1


@kernel
def apply_shifts(st: Any, day: int) -> None:
    for i in range(st.shifts.shape[0]):
        shift = st.shifts[i]
        if shift.day != day:
            continue
        for j in range(shift.start, shift.stop):
            a = st.shift_pairs[j, 0]
            b = st.shift_pairs[j, 1]
            st.rivalry[a, b] = shift.rivalry
            if not shift.directed:
                st.rivalry[b, a] = shift.rivalry
        refresh_beliefs(st)


@kernel
def act(st: Any, day: int) -> None:
    """The agencies with work today act, in the day's order: each runs the protocol on its
    detections that became impending today, then sends its fabrications due. A plot already
    ended in the open triggers nothing; one silently abandoned still does, since nobody can see
    that it was. A detection the agency's capability, reduced by burned sources, would no
    longer have made is dropped."""
    for i in range(st.act_start[day], st.act_start[day + 1]):
        row = st.act_row[i]
        if st.act_kind[i] == ACT_DETECTION:
            det = st.detections[row]
            if visibly_ended(st, det.threat) or not still_detects(st, det.agency, det.detect_u):
                continue
            dispatch(st, screen(st, row, day))
        else:
            c = fabricate(st, row, day)
            if c >= 0:
                dispatch(st, c)


@kernel
def dispatch(st: Any, c: int) -> None:
    """A cable is recorded; if sent, it burns sources, is queued for delivery, and a public
    alert about a real plot may make the plotters move their date."""
    p = st.params[0]
    cab = st.cables[c]
    if cab.waiver_reason >= 0:
        return
    st.state[0].sent += 1
    st.agencies[cab.sender].sent += 1
    if cab.fabricated:
        fab = st.fabrications[cab.row]
        delay = fab.delay
        shift = fab.shift
        u_adapt = fab.u[U.ADAPT]
    else:
        det = st.detections[cab.row]
        delay = det.delay
        shift = det.shift
        u_adapt = det.u[U.ADAPT]
        burn(st, c)
    if cab.channel == PUBLIC:
        delay = 0
    elif cab.channel == RELAY:
        delay += p.relay_delay
    queues.push(st, queues.DELIVER, cab.day + delay, c)
    if is_public(cab.channel) and cab.is_real and u_adapt < p.attacker_adaptation:
        adapt(st, cab.threat, shift)


@kernel
def deliver(st: Any, day: int) -> None:
    """Warnings reaching their recipients today are judged, in a fixed order whatever order the
    agencies acted in: real ones by detection, then fabrications."""
    cables = queues.queued(st, queues.DELIVER, day)
    if cables.shape[0] == 0:
        return
    p = st.params[0]
    state = st.state[0]
    advance(st, day)
    order = by_detection_then_fabrication(st, cables)
    for i in range(order.shape[0]):
        c = order[i]
        judge(st, c, day)
        cab = st.cables[c]
        due = max(day, cab.warned_day + p.confirmation_window)
        if cab.response == INVESTIGATED:
            state.investigated += 1
            reported = day + p.investigation_days
            queues.push(st, queues.RESOLVE, reported, c)
            due = max(due, reported)
        elif cab.heeded == 1:
            state.heeded += 1
        queues.push(st, queues.EVALUATE, due, c)


@kernel
def by_detection_then_fabrication(st: Any, cables: np.ndarray) -> np.ndarray:
    """The cables sorted by (fabricated, row): an insertion sort (a day's deliveries are few)."""
    out = cables.copy()
    for i in range(1, out.shape[0]):
        c = out[i]
        key = sort_key(st, c)
        j = i - 1
        while j >= 0 and sort_key(st, out[j]) > key:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = c
    return out


@kernel
def sort_key(st: Any, c: int) -> int:
    cab = st.cables[c]
    return cab.row + (1 << 40) if cab.fabricated else cab.row


@kernel
def report(st: Any, day: int) -> None:
    """Investigations due today report."""
    node = queues.head(st, queues.RESOLVE, day)
    while node >= 0:
        c = st.node_value[node]
        resolve(st, c, day)
        if st.cables[c].heeded == 1:
            st.state[0].heeded += 1
        node = st.node_next[node]


@kernel
def evaluate(st: Any, day: int) -> None:
    """Warnings due for judgement by their outcome: confirmed if an attack or arrests followed
    by today, and the outcome is evidence about the sender (:func:`sim.ledger.observe_outcome`).
    Warnings about the same threat are recognisable: the recipient knows whether it acted on
    that threat through any of them."""
    cables = queues.queued(st, queues.EVALUATE, day)
    if cables.shape[0] == 0:
        return
    p = st.params[0]
    advance(st, day)
    for i in range(cables.shape[0]):
        c = cables[i]
        cab = st.cables[c]
        k = cab.threat
        confirmed = False
        if cab.is_real:
            threat = st.threats[k]
            confirmed = ((threat.fate == ATTACK or threat.fate == INTERDICTED)
                         and threat.fate_day <= day)
        cab.confirmed = 1 if confirmed else 0
        r = cab.recipient
        s = cab.sender
        acted = st.threats[k].protected if k >= 0 else cab.heeded == 1
        public = is_public(cab.channel)
        visible = visibility(st, acted, cab.details_passed, public)
        _, real, _ = dyad_model(st, s, r, cab.judge_genuine)
        observe_outcome(st, r, s, outcome_loglik(real, confirmed, visible), public)
        if confirmed and p.diplomacy_effect > 0:
            st.rivalry[r, s] = positive_part(st.rivalry[r, s] - p.diplomacy_effect)
            st.rivalry[s, r] = positive_part(st.rivalry[s, r] - p.diplomacy_effect)
            refresh_beliefs(st)


@kernel
def schedule_threats(st: Any, days: int) -> None:
    """Queue every real plot's attack and its target's arrest attempt."""
    for k in range(st.threats.shape[0]):
        threat = st.threats[k]
        if threat.is_real and threat.emerge < max(days, 1):
            queues.push(st, queues.ATTACK, threat.attack_day, k)
            if threat.home_try_day >= 0:
                queues.push(st, queues.HOME, threat.home_try_day, k)


# --- building a run --------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def params_record(p: ModelParams) -> np.recarray:
    """The parameters as one record (Enums by their position in the Enum): what kernels read."""
    fields = []
    values = []
    for spec in PARAMETERS.values():
        value = getattr(p, spec.name)
        if spec.choices is not None:
            fields.append((spec.name, np.int64))
            values.append(list(spec.kind).index(value))
        else:
            fields.append((spec.name, {float: np.float64, int: np.int64, bool: np.bool_}[spec.kind]))
            values.append(value)
    record = np.array([tuple(values)], dtype=fields).view(np.recarray)
    record.flags.writeable = False
    return record


def build(scenario: Scenario, params: ModelParams, days: int, world: World, *,
          shuffle: Callable[[list[int]], None], probes: bool) -> Run:
    """The state of a run on day 0. ``world`` is used as is (its threats' state changes as the
    run goes); ``shuffle`` puts the agencies with work on a day in random order; ``probes``
    computes the cry-wolf probes of each dyad's first warning (exported with the log)."""
    p = params
    profiles = scenario.agencies
    n = len(profiles)
    rivalry = scenario.rivalry_matrix(p)
    liaison = scenario.liaison_matrix()
    capability = np.array([a.capability for a in profiles])
    home = np.array([a.home_security for a in profiles])
    inference = Inference.build(p, capability, home)
    eye = np.eye(n, dtype=bool)
    reachable = liaison | ((p.no_liaison_route is not NoLiaisonRoute.NONE) & ~eye)
    blocs = {b: i for i, b in enumerate(dict.fromkeys(a.bloc for a in profiles))}
    bloc = np.array([blocs[a.bloc] for a in profiles])

    agencies = np.zeros(n, dtype=AGENCY_DTYPE).view(np.recarray)
    agencies.capability = capability
    agencies.home_security = home
    agencies.sensitivity = [a.source_sensitivity for a in profiles]
    agencies.doctrine = [_DOCTRINES.index(p.doctrine.resolve(a.doctrine)) for a in profiles]
    agencies.declared = [-1 if a.manipulative is None else int(a.manipulative) for a in profiles]
    agencies.propensity = world.propensity
    agencies.bloc = bloc
    agencies.verify_real = inference.verify_real
    agencies.corroborate_real = inference.corroborate_real
    agencies.corroborate_false = inference.corroborate_false
    agencies.probe_real = inference.probe_real
    agencies.evidence = inference.evidence_table
    agencies.harm = inference.harm_table

    det, fab = world.detections, world.fabrications
    det_rows = np.flatnonzero((det.trigger_day >= 0) & (det.trigger_day < days))
    fab_rows = np.flatnonzero(fab.day < days)
    act_start, act_kind, act_row = _acts(det, fab, det_rows, fab_rows, days, shuffle)
    capacity = det_rows.size + fab_rows.size
    nodes = 6 * capacity + 2 * world.threats.size + 1

    state = np.zeros(1, dtype=STATE_DTYPE).view(np.recarray)
    state.ledger_through = -1
    state.probes = probes
    derived = np.zeros(1, dtype=DERIVED_DTYPE).view(np.recarray)
    derived.fade = 0.5 ** (1.0 / p.evidence_half_life)
    derived.shift_beyond_window = inference.shift_beyond_window
    shifts, pairs = _shifts(scenario)
    arrays = Arrays(
        params=params_record(p), derived=derived, state=state, agencies=agencies,
        rivalry=rivalry, rival=rivalry >= p.rival_threshold, liaison=liaison,
        reachable=reachable, relays=relay_matrix(liaison, rivalry),
        same_bloc=(bloc[:, None] == bloc[None, :]) & ~eye, genuine=np.zeros((n, n)),
        genuine_base=inference.genuine_base, hit_rate=inference.hit_rate,
        priors=np.array([prior_vector(p.believed_manipulative_rival),
                         prior_vector(p.believed_manipulative_ally)]),
        heard_from=np.zeros((n, n), dtype=bool),
        direct=np.zeros((n, n, HYPOTHESES)), public=np.zeros((n, n, HYPOTHESES)),
        silence=np.zeros((n, n, HYPOTHESES)),
        threats=world.threats, detections=det, fabrications=fab, cables=empty_cables(capacity),
        queue_first=np.full((queues.QUEUES, max(days, 0)), -1, dtype=np.int64),
        queue_last=np.full((queues.QUEUES, max(days, 0)), -1, dtype=np.int64),
        node_next=np.empty(nodes, dtype=np.int64), node_value=np.empty(nodes, dtype=np.int64),
        act_start=act_start, act_kind=act_kind, act_row=act_row, shifts=shifts,
        shift_pairs=pairs,
    )
    run = Run(arrays)
    refresh_beliefs(run.ref)
    schedule_threats(run.ref, days)
    return run


def _acts(det: np.recarray, fab: np.recarray, det_rows: np.ndarray, fab_rows: np.ndarray,
          days: int, shuffle: Callable[[list[int]], None]) -> tuple[np.ndarray, ...]:
    """The acts of each day in the order they happen: the agencies with work that day in random
    order, each with its detections, then its fabrications, in row order."""
    work: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for row, agency, day in zip(det_rows.tolist(), det.agency[det_rows].tolist(),
                                det.trigger_day[det_rows].tolist(), strict=True):
        work.setdefault(day, {}).setdefault(agency, []).append((ACT_DETECTION, row))
    for row, agency, day in zip(fab_rows.tolist(), fab.sender[fab_rows].tolist(),
                                fab.day[fab_rows].tolist(), strict=True):
        work.setdefault(day, {}).setdefault(agency, []).append((ACT_FABRICATION, row))
    start = np.zeros(max(days, 0) + 1, dtype=np.int64)
    kinds: list[int] = []
    rows: list[int] = []
    for day in range(max(days, 0)):
        start[day] = len(kinds)
        by_agency = work.get(day)
        if not by_agency:
            continue
        agencies = list(by_agency)
        if len(agencies) > 1:
            shuffle(agencies)
        for agency in agencies:
            for kind, row in sorted(by_agency[agency]):
                kinds.append(kind)
                rows.append(row)
    start[max(days, 0)] = len(kinds)
    return start, np.array(kinds, dtype=np.int64), np.array(rows, dtype=np.int64)


def _shifts(scenario: Scenario) -> tuple[np.recarray, np.ndarray]:
    shifts = np.zeros(len(scenario.shifts), dtype=SHIFT_DTYPE).view(np.recarray)
    pairs: list[tuple[int, int]] = []
    for i, shift in enumerate(scenario.shifts):
        start = len(pairs)
        pairs += [(a, b) for a in shift.a for b in shift.b if a != b]
        shifts[i] = (shift.day, shift.rivalry, shift.directed, start, len(pairs))
    return shifts, np.array(pairs, dtype=np.int64).reshape(-1, 2)
