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

from typing import Any, NamedTuple

import numpy as np

from sim import queues, rng
from sim.consequences import (
    ATTACK,
    INTERDICTED,
    adapt,
    burn,
    end_plots,
    still_detects,
    visibly_ended,
)
from sim.enums import Doctrine, NoLiaisonRoute
from sim.inference import (
    HYPOTHESES,
    INVESTIGATED,
    OUTCOME,
    SCRATCH,
    Inference,
    claim_evidence,
    dyad_model,
    judge,
    opportunism_grid,
    outcome_into,
    positive_part,
    refresh_beliefs,
    resolve,
    visibility,
    why_warn,
)
from sim.jit import jit_disabled, kernel, readable, records
from sim.ledger import observe_outcome
from sim.log import CABLE_DTYPE
from sim.outcomes import NET_HARM_COMPONENTS
from sim.params import ModelParams, params_record
from sim.protocol import PUBLIC, RELAY, is_public, relay_matrix
from sim.scenarios import Scenario
from sim.senders import fabricate, screen
from sim.world import (
    N_DETAILS,
    ORDER,
    SCALES,
    STREAMS,
    U,
    World,
    ability_multipliers,
    draw,
    empty_world,
)

_DOCTRINES = list(Doctrine)

ACT_DETECTION, ACT_FABRICATION = 0, 1

STATE_DTYPE = np.dtype([
    ("day", np.int64), ("cables", np.int64), ("nodes", np.int64), ("sent", np.int64),
    ("heeded", np.int64), ("investigated", np.int64), ("protective_cost", np.float64),
    ("investigative_cost", np.float64), ("political_cost", np.float64),
    ("sources_burned", np.int64), ("probes", np.bool_),
])
"""The run's scalars: the next day, table sizes, the per-day series' running counts, costs."""

DERIVED_DTYPE = np.dtype([("fade", np.float64), ("shift_beyond_window", np.float64),
                          ("mass_share", np.float64), ("indicated_mass", np.float64)])
"""Constants derived from the parameters once per run: the ledger's daily fading, the chance a
public alert moves a real attack past the confirmation window, the share of plots that are
mass-casualty and of detections that indicate so (:class:`sim.inference.Inference`)."""

AGENCY_DTYPE = np.dtype([
    ("capability", np.float64), ("home_security", np.float64), ("sensitivity", np.float64),
    ("doctrine", np.int64), ("fixed_concern", np.float64), ("fixed_opportunism", np.float64),
    ("concern", np.float64), ("opportunism", np.float64), ("capable", np.bool_),
    ("bloc", np.int64), ("verify_real", np.float64), ("corroborate_real", np.float64),
    ("corroborate_false", np.float64), ("probe_real", np.float64),
    ("evidence", np.float64, (4,)), ("dismissed_deaths", np.float64, (SCALES,)),
    ("heeded_deaths", np.float64, ((N_DETAILS + 1) * SCALES,)), ("diversion", np.float64),
    ("sent", np.int64), ("received", np.int64), ("heeded", np.int64),
    ("sources_burned", np.int64), ("load", np.int64),
])
"""One record per agency: its traits (``fixed_*``: a scenario's fixed preferences, -1 drawn;
``capable``: one of the scenario's two most capable services), its preferences in this run, the
recipient's own checks and expected deaths (:class:`Inference`: of a real plot by the scale a
warning indicates, if dismissed and if heeded with ``d`` details at ``d x SCALES + scale``; from
security diverted by one more action), and its running state (capability falls as its sources
burn; ``load``: protective actions in force)."""

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
    priors: np.ndarray  # [r, s, h]: r's log prior about s (rational suspicion, refresh_beliefs)
    opportunism_grid: np.ndarray  # quantiles of the senders' opportunism law (common knowledge)
    heard_from: np.ndarray  # [r, s]: r has received a warning from s
    answered: np.ndarray  # [r, s]: s's warnings r has decided on
    acted: np.ndarray  # [r, s]: ... and acted on
    fabricated: np.ndarray  # [r, s]: fabricated warnings s sent r
    direct: np.ndarray  # the ledger, [r, s, h]
    public: np.ndarray
    silence: np.ndarray
    through: np.ndarray  # [r, s]: the day r's evidence about s stands through
    pool: np.ndarray  # [bloc, s, class, h]: a bloc's direct evidence about s (sim.ledger)
    pool_silence: np.ndarray  # [bloc, s, class, h]: its members' quiet-day log-likelihoods
    pool_through: np.ndarray  # [bloc, s, class]: the day the pool stands through
    pool_count: np.ndarray  # [bloc, s, class]: its members
    fading_table: np.ndarray  # [days, 2]: sim.ledger.fading for 0 .. days - 1 days
    scratch: np.ndarray  # working vectors of the day's inference (sim.inference.SCRATCH rows)
    harm: np.ndarray  # working matrix of a response's expected harm (sim.inference.expected_harm)
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


if jit_disabled():
    RunRef: Any = Arrays
else:
    from numba.core import types as _types
    from numba.experimental import structref as _structref

    @_structref.register
    class RunType(_types.StructRef):
        """The numba type of :class:`RunRef` (defined at module level, so that a kernel cached on
        disk finds it again)."""

        def preprocess_fields(self, fields: Any) -> Any:
            return tuple((name, _types.unliteral(t)) for name, t in fields)

    class RunRef(_structref.StructRefProxy):  # type: ignore[no-redef]
        """A run's arrays as compiled code holds them: one pointer to all of them. Kernels take
        it as their first argument ``st``; a named tuple of thirty arrays in its place made every
        kernel's compiled signature hundreds of machine arguments long, which cost several times
        the compile time and tens of microseconds per call from Python."""

    _structref.define_proxy(RunRef, RunType, list(Arrays._fields))
"""What kernels take as ``st``: the StructRef proxy, or :class:`Arrays` itself when kernels
run as plain Python."""


class Run:
    """A run's state: ``ref``, what the kernels take, and ``arrays`` (:class:`Arrays`, the same
    arrays, record arrays viewed as :class:`numpy.recarray`) for reading from Python."""

    __slots__ = ("_arrays", "ref")

    def __init__(self, ref: Any) -> None:
        self.ref = ref
        self._arrays: Arrays | None = None

    @property
    def arrays(self) -> Arrays:
        if self._arrays is None:
            fields = unpack(self.ref)
            self._arrays = Arrays(*(x.view(np.recarray) if x.dtype.names else x for x in fields))
        return self._arrays


@kernel
def unpack(st: Any) -> Any:
    """The run's arrays, in :class:`Arrays` order."""
    return (st.params, st.derived, st.state, st.agencies, st.rivalry, st.rival, st.liaison,
            st.reachable, st.relays, st.same_bloc, st.genuine, st.genuine_base, st.hit_rate,
            st.priors, st.opportunism_grid, st.heard_from, st.answered, st.acted, st.fabricated, st.direct, st.public,
            st.silence, st.through, st.pool, st.pool_silence, st.pool_through, st.pool_count,
            st.fading_table,
            st.scratch, st.harm, st.threats,
            st.detections, st.fabrications, st.cables, st.queue_first, st.queue_last,
            st.node_next, st.node_value, st.act_start, st.act_kind, st.act_row, st.shifts,
            st.shift_pairs)


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
        refresh_beliefs(st, day - 1)


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
    if queues.head(st, queues.DELIVER, day) < 0:
        return
    cables = queues.queued(st, queues.DELIVER, day)
    p = st.params[0]
    state = st.state[0]
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
    p = st.params[0]
    node = queues.head(st, queues.EVALUATE, day)
    while node >= 0:  # evaluating schedules nothing for today: the list can be walked as is
        c = st.node_value[node]
        node = st.node_next[node]
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
        why_warn(st, s, r, cab.judge_genuine, cab.scale, cab.details_passed)
        claim_evidence(st, r, cab.scale, cab.details_passed)  # rewrites real in place
        loglik = outcome_into(real, confirmed, visible, st.scratch[OUTCOME])
        observe_outcome(st, r, s, loglik, public, day)
        if confirmed and p.diplomacy_effect > 0:
            st.rivalry[r, s] = positive_part(st.rivalry[r, s] - p.diplomacy_effect)
            st.rivalry[s, r] = positive_part(st.rivalry[s, r] - p.diplomacy_effect)
            refresh_beliefs(st, day)


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

class Template(NamedTuple):
    """What every run of a scenario and parameter set starts from (kept across a sweep's
    replications): the constants, and the initial values of the state that changes."""

    params: np.ndarray  # one record: every parameter (Enums by their position)
    derived: np.ndarray
    agencies: np.ndarray
    multipliers: np.ndarray  # the ability levels' discriminability multipliers
    rivalry: np.ndarray
    liaison: np.ndarray
    reachable: np.ndarray
    relays: np.ndarray
    same_bloc: np.ndarray
    genuine_base: np.ndarray
    hit_rate: np.ndarray
    opportunism_grid: np.ndarray  # quantiles of the opportunism law (rational suspicion)
    priors: np.ndarray  # [r, s, h]: the derived priors at the initial rivalry (empty: derive)
    shifts: np.ndarray
    shift_pairs: np.ndarray


def template(scenario: Scenario, params: ModelParams) -> Template:
    """The template of runs of ``scenario`` under ``params``."""
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
    bloc = np.array([blocs[a.bloc] for a in profiles], dtype=np.int64)

    agencies = np.zeros(n, dtype=AGENCY_DTYPE)
    agencies["capability"] = capability
    agencies["home_security"] = home
    agencies["sensitivity"] = [a.source_sensitivity for a in profiles]
    agencies["doctrine"] = [_DOCTRINES.index(p.doctrine.resolve(a.doctrine)) for a in profiles]
    agencies["fixed_concern"] = [-1.0 if a.concern is None else a.concern for a in profiles]
    agencies["fixed_opportunism"] = [-1.0 if a.opportunism is None else a.opportunism
                                     for a in profiles]
    agencies["capable"] = np.isin(np.arange(n), np.argsort(-capability, kind="stable")[:2])
    agencies["bloc"] = bloc
    agencies["verify_real"] = inference.verify_real
    agencies["corroborate_real"] = inference.corroborate_real
    agencies["corroborate_false"] = inference.corroborate_false
    agencies["probe_real"] = inference.probe_real
    agencies["evidence"] = inference.evidence_table
    agencies["dismissed_deaths"] = inference.dismissed_deaths
    agencies["heeded_deaths"] = inference.heeded_deaths.reshape(n, -1)
    agencies["diversion"] = inference.diversion
    derived = np.zeros(1, dtype=DERIVED_DTYPE)
    derived["fade"] = 0.5 ** (1.0 / p.evidence_half_life)
    derived["shift_beyond_window"] = inference.shift_beyond_window
    derived["mass_share"] = inference.mass_share
    derived["indicated_mass"] = inference.indicated_mass
    shifts, pairs = _shifts(scenario)
    out = Template(
        params=readable(params_record(p)), derived=readable(derived),
        agencies=readable(agencies),
        multipliers=ability_multipliers(p.ability_spread), rivalry=rivalry, liaison=liaison,
        reachable=reachable, relays=relay_matrix(liaison, rivalry),
        same_bloc=(bloc[:, None] == bloc[None, :]) & ~eye,
        genuine_base=np.array(inference.genuine_base), hit_rate=np.array(inference.hit_rate),
        opportunism_grid=opportunism_grid(p),
        priors=np.zeros((0, 0, HYPOTHESES)),
        shifts=readable(shifts), shift_pairs=pairs,
    )
    # Rational suspicion at the initial rivalry is the same for every run of the template: it
    # is derived once here (a fixed point per dyad, sim.inference.rational_suspicion), on a run
    # of no day, rather than at the start of every replication.
    first = start(out, 0, 0, probes=False, world=empty_world(n))
    out = out._replace(priors=np.array(first.arrays.priors))
    for array in out:
        array.flags.writeable = False  # shared by every run of the template
    return out


def start(t: Template, seed: int, days: int, *, probes: bool,
          world: World | None = None) -> Run:
    """A run on day 0: its world drawn from ``seed`` (:func:`sim.world.draw`), or ``world``
    used as is (its threats' state changes as the run goes); the agencies acting on the same
    day act in an order drawn from the seed's ``ORDER`` stream. ``probes`` computes the
    cry-wolf probes of each dyad's first warning (exported with the log)."""
    if world is None:
        return Run(start_drawn(*t, seed, days, probes))
    return Run(start_scripted(*t, world.threats, world.detections, world.fabrications,
                              world.concern, world.opportunism, seed, days, probes))


@kernel
def start_drawn(params, derived, agencies, multipliers, rivalry, liaison, reachable, relays,  # type: ignore[no-untyped-def]
                same_bloc, genuine_base, hit_rate, opportunism_grid, priors, shifts, shift_pairs, seed, days,
                probes):
    streams = rng.streams(seed, STREAMS)
    threats, detections, fabrications, concern, opportunism, _ = draw(
        params[0], derived[0], agencies, multipliers, days, streams)
    return assemble(params, derived, agencies, rivalry, liaison, reachable, relays, same_bloc,
                    genuine_base, hit_rate, opportunism_grid, priors, shifts, shift_pairs, threats, detections,
                    fabrications, concern, opportunism, streams[ORDER], days, probes)


@kernel
def start_scripted(params, derived, agencies, multipliers, rivalry, liaison, reachable, relays,  # type: ignore[no-untyped-def]
                   same_bloc, genuine_base, hit_rate, opportunism_grid, priors, shifts, shift_pairs, threats,
                   detections, fabrications, concern, opportunism, seed, days, probes):
    streams = rng.streams(seed, STREAMS)
    return assemble(params, derived, agencies, rivalry, liaison, reachable, relays, same_bloc,
                    genuine_base, hit_rate, opportunism_grid, priors, shifts, shift_pairs, threats, detections,
                    fabrications, concern, opportunism, streams[ORDER], days, probes)


@kernel
def assemble(params, derived, agencies0, rivalry0, liaison, reachable, relays, same_bloc,  # type: ignore[no-untyped-def]
             genuine_base, hit_rate, opportunism_grid, priors, shifts, shift_pairs, threats, detections,
             fabrications, concern, opportunism, order, days, probes):
    """The run's state on day 0, around its world."""
    n = agencies0.shape[0]
    hypotheses = HYPOTHESES
    agencies = records(agencies0.copy())
    blocs = 0
    for i in range(n):
        blocs = max(blocs, agencies[i].bloc + 1)
    for i in range(n):
        agencies[i].concern = concern[i]
        agencies[i].opportunism = opportunism[i]
    act_start, act_kind, act_row = schedule_acts(detections, fabrications, n, days, order)
    capacity = act_row.shape[0]
    nodes = 6 * capacity + 2 * threats.shape[0] + 1
    derived_here = priors.shape[0] != n  # the template's priors, or derive them (template)
    start_priors = np.zeros((n, n, hypotheses))
    if not derived_here:
        start_priors[:, :, :] = priors
    state = records(np.zeros(1, dtype=STATE_DTYPE))
    state[0].probes = probes
    st = RunRef(params, derived, state, agencies, rivalry0.copy(),
                np.zeros((n, n), dtype=np.bool_), liaison, reachable, relays, same_bloc,
                np.zeros((n, n)), genuine_base, hit_rate, start_priors, opportunism_grid,
                np.zeros((n, n), dtype=np.bool_), np.zeros((n, n), dtype=np.int64),
                np.zeros((n, n), dtype=np.int64), np.zeros((n, n), dtype=np.int64),
                np.zeros((n, n, hypotheses)), np.zeros((n, n, hypotheses)),
                np.zeros((n, n, hypotheses)), np.full((n, n), -1, dtype=np.int64),
                np.zeros((blocs, n, 2, hypotheses)), np.zeros((blocs, n, 2, hypotheses)),
                np.full((blocs, n, 2), -1, dtype=np.int64), np.zeros((blocs, n, 2), dtype=np.int64),
                fading_table(derived[0].fade, days),
                np.zeros((SCRATCH, hypotheses)), np.zeros((3, len(NET_HARM_COMPONENTS))), threats,
                detections, fabrications, records(np.zeros(capacity, dtype=CABLE_DTYPE)),
                np.full((queues.QUEUES, days), -1, dtype=np.int64),
                np.full((queues.QUEUES, days), -1, dtype=np.int64),
                np.empty(nodes, dtype=np.int64), np.empty(nodes, dtype=np.int64),
                act_start, act_kind, act_row, shifts, shift_pairs)
    refresh_beliefs(st, -1, derived_here)
    schedule_threats(st, days)
    return st


@kernel
def fading_table(fade: float, days: int) -> np.ndarray:
    """:func:`sim.ledger.fading` for 0 .. ``days`` - 1 days, computed as it computes them, so
    that a look-up replaces a power on every read of the ledger (one per ally and onlooker of
    every public warning's outcome: most of a 200-agency run's fading)."""
    table = np.empty((max(days, 1), 2))
    for k in range(table.shape[0]):
        factor = fade ** float(k)
        table[k, 0] = factor
        table[k, 1] = (1.0 - factor) / (1.0 - fade)
    return table


@kernel
def schedule_acts(detections: Any, fabrications: Any, n: int, days: int,
                  order: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The acts of each day in the order they happen: the agencies with work that day (their
    detections becoming impending, their fabrications due) in random order, each with its
    detections, then its fabrications, in row order."""
    start = np.zeros(days + 1, dtype=np.int64)
    for row in range(detections.shape[0]):
        day = detections[row].trigger_day
        if 0 <= day < days:
            start[day + 1] += 1
    for row in range(fabrications.shape[0]):
        day = fabrications[row].day
        if 0 <= day < days:
            start[day + 1] += 1
    for day in range(days):
        start[day + 1] += start[day]
    total = start[days]
    kind = np.empty(total, dtype=np.int64)
    rows = np.empty(total, dtype=np.int64)
    fill = start[:days].copy()
    for row in range(detections.shape[0]):
        day = detections[row].trigger_day
        if 0 <= day < days:
            kind[fill[day]] = ACT_DETECTION
            rows[fill[day]] = row
            fill[day] += 1
    for row in range(fabrications.shape[0]):
        day = fabrications[row].day
        if 0 <= day < days:
            kind[fill[day]] = ACT_FABRICATION
            rows[fill[day]] = row
            fill[day] += 1
    out_kind = np.empty(total, dtype=np.int64)
    out_rows = np.empty(total, dtype=np.int64)
    seen = np.full(n, -1, dtype=np.int64)
    agencies = np.empty(n, dtype=np.int64)
    for day in range(days):
        count = 0
        for i in range(start[day], start[day + 1]):
            a = actor(detections, fabrications, kind[i], rows[i])
            if seen[a] != day:
                seen[a] = day
                agencies[count] = a
                count += 1
        if count > 1:
            rng.shuffle(order, agencies[:count])
        out = start[day]
        for j in range(count):
            for i in range(start[day], start[day + 1]):
                if actor(detections, fabrications, kind[i], rows[i]) == agencies[j]:
                    out_kind[out] = kind[i]
                    out_rows[out] = rows[i]
                    out += 1
    return start, out_kind, out_rows


@kernel
def actor(detections: Any, fabrications: Any, kind: int, row: int) -> int:
    return detections[row].agency if kind == ACT_DETECTION else fabrications[row].sender


def _shifts(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    shifts = np.zeros(len(scenario.shifts), dtype=SHIFT_DTYPE)
    pairs: list[tuple[int, int]] = []
    for i, shift in enumerate(scenario.shifts):
        start = len(pairs)
        pairs += [(a, b) for a in shift.a for b in shift.b if a != b]
        shifts[i] = (shift.day, shift.rivalry, shift.directed, start, len(pairs))
    return shifts, np.array(pairs, dtype=np.int64).reshape(-1, 2)
