"""The model as the view builds it, one browser session's state, and the bounds on both.

* :class:`ViewModel`: a :class:`sim.model.WarningModel` recording its per-day series, refused
  before it is built when it asks for more days or (estimated) memory than the session may have,
  and never stepping past its run length;
* :func:`memory_estimate`: an upper bound on a run's memory from its parameters, before it is
  built (:class:`sim.viz.limits.SessionLimits` ``memory``);
* :class:`Pacer`: the session's pace: days per frame and the pause after each frame or Step,
  so that a session plays at most ``speed`` days a second and keeps at most ``cpu`` of a core
  busy;
* :class:`Session`: one browser session's model in this process (only the newest is kept),
  its lock and its pacer; closed with its tab or its kernel (``warnsim view`` puts each
  session's model in a process of its own: :mod:`sim.viz.worker`).

Nothing here imports Solara, so all of it runs in plain tests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import UserError
from sim.model import WarningModel
from sim.params import ModelParams
from sim.run import release
from sim.scenarios import Scenario, load_scenario
from sim.viz.figures import dashboard_html
from sim.viz.limits import SessionLimits

VIEW_DAYS = 3650
"""Default run length in the view: ten years, so that learning has time to show."""

FRAMES_PER_SECOND = 4
"""Frames a playing session draws each second at most (a frame takes the browser about 100 ms
on two cores: benchmarks/bench_view.py); faster play takes several days a frame."""

# Bytes of model memory, measured with tracemalloc (peak over a whole run, series recorded) over
# both built-in scenarios and parameter points that stress each term (benchmarks/bench_view.py
# --memory prints measured/estimated for each; tests/test_view_server.py checks the bound).
BASE_BYTES = 1_000_000
BYTES_PER_DAY = 1_200
BYTES_PER_THREAT = 600
BYTES_PER_DETECTION = 700
BYTES_PER_FABRICATION = 2_000


@dataclass(frozen=True, slots=True)
class RunSize:
    """Expected counts of what a run draws when it is built (sim.world's mechanisms): plots and
    false leads (Poisson, ``plot_rate`` per country-day, ``false_lead_rate`` false leads per
    plot), foreign detections (each other agency with ``detection_rate`` x its capability) and
    fabricated-warning events (``fabrication_rate`` per ordered pair-day, counted as if every
    sender could manipulate)."""

    days: int
    threats: float
    detections: float
    fabrications: float

    @property
    def bytes(self) -> float:
        return (BASE_BYTES + BYTES_PER_DAY * self.days + BYTES_PER_THREAT * self.threats
                + BYTES_PER_DETECTION * self.detections
                + BYTES_PER_FABRICATION * self.fabrications)


def run_size(params: ModelParams, scenario: Scenario, days: int) -> RunSize:
    capability = np.array([a.capability for a in scenario.agencies], dtype=float)
    n = len(capability)
    per_country = days * params.plot_rate * (1.0 + params.false_lead_rate)
    detected = per_country * params.detection_rate * (n - 1) * float(capability.sum())
    return RunSize(days=days, threats=per_country * n, detections=detected,
                   fabrications=n * (n - 1) * params.fabrication_rate * days)


def memory_estimate(params: ModelParams, scenario: Scenario, days: int) -> float:
    """An upper bound (bytes) on the memory of a run of ``days`` days, known before it is built:
    a model draws its whole world at construction, so a run of in-range parameters can need
    gigabytes (36,500 days at the largest rates: 5.6 GB and two minutes before its first day)."""
    return run_size(params, scenario, days).bytes


class ViewModel(WarningModel):
    """A :class:`WarningModel` recording the per-day series, built from the view's controls.

    The seed is passed as ``rng`` like :func:`sim.run.simulate` does, so the view at seed ``N``
    shows the run ``warnsim run --seed N`` reports. A run longer than the session's ``days``
    limit, or whose :func:`memory_estimate` exceeds its ``memory`` limit, is refused with one
    line before anything is drawn."""

    def __init__(self, *, scenario: str | Scenario = "default", seed: int = 0,
                 days: int = VIEW_DAYS, session: Session | None = None,
                 limits: SessionLimits | None = None, scenario_name: str | None = None,
                 **kwargs: Any) -> None:
        limits = limits or (session.limits if session is not None else SessionLimits())
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limits.days:
            raise UserError(f"days: got {days!r}; allowed: an integer in [1, {limits.days}] "
                            "(the view's limit; `warnsim run` has none)")
        profile = load_scenario(scenario) if isinstance(scenario, str) else scenario
        params = ModelParams().replace(**kwargs)
        need = memory_estimate(params, profile, days) / 1e6
        if need > limits.memory:
            raise UserError(
                f"this run would need about {need:,.0f} MB, over the view's limit of "
                f"{limits.memory:,g} MB a session: use fewer days or lower rates (plot_rate, "
                "false_lead_rate, detection_rate, fabrication_rate), or `warnsim run`")
        super().__init__(scenario=profile, rng=int(seed), days=days, params=params,
                         record_series=True)
        self.seed_value = int(seed)
        self.scenario_name = scenario_name or (scenario if isinstance(scenario, str)
                                               else profile.name)
        self.memory_mb = need
        defaults = ModelParams().to_dict()
        self.changed = {k: v for k, v in self.params.to_dict().items()
                        if not _same(v, defaults[k])}
        if session is not None:
            session.adopt(self)

    def step(self) -> None:
        """One day; nothing once the run is over (the day never passes the run length)."""
        if self.day >= self.days:
            self.running = False
            return
        super().step()


def _same(a: Any, b: Any) -> bool:
    """Equal, or equal floats up to a slider's rounding (0.1 + 9 x 0.1 is not 1.0)."""
    if isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@dataclass(frozen=True, slots=True)
class Frame:
    """How a session plays at a requested speed: ``days`` a frame, one frame every ``seconds``."""

    days: int
    seconds: float

    @classmethod
    def at(cls, speed: float, limits: SessionLimits) -> Frame:
        speed = min(max(float(speed), 1.0), limits.speed)
        days = max(1, math.ceil(speed / FRAMES_PER_SECOND))
        return cls(days=days, seconds=days / speed)


class Pacer:
    """Keeps a session's work (stepping, drawing, sending the drawing to the page) to about a
    share ``cpu`` of one core: after work that took ``t`` seconds, the next work may start
    ``t (1 / cpu - 1)`` seconds later."""

    __slots__ = ("clock", "cpu", "free_at")

    def __init__(self, cpu: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cpu = cpu
        self.clock = clock
        self.free_at = -math.inf

    def wait(self, cancel: threading.Event | None = None) -> bool:
        """Sleep until work may start; False when ``cancel`` was set meanwhile."""
        delay = self.free_at - self.clock()
        if delay > 0:
            if cancel is None:
                time.sleep(delay)
            elif cancel.wait(delay):
                return False
        return not (cancel is not None and cancel.is_set())

    def spent(self, start: float, end: float) -> None:
        """Work from ``start`` to ``end``; work that follows other work (drawing after a
        step) adds its pause to the pause still due."""
        self.free_at = max(self.free_at, end) + (end - start) * (1.0 / self.cpu - 1.0)


class Session:
    """One browser session's model in this process (Jupyter, tests; ``warnsim view`` runs each
    in its own process: :class:`sim.viz.worker.ProcessSession`): only the newest model is kept
    (Mesa 3.3.1 keeps every model alive through ``Agent._ids`` otherwise), every use of it holds
    the session's lock, and :meth:`advance` is paced. ``generation`` counts the models built,
    so a frame asked for a model that has since been replaced is dropped."""

    def __init__(self, limits: SessionLimits | None = None) -> None:
        self.limits = limits or SessionLimits()
        self.model: ViewModel | None = None
        self.lock = threading.RLock()
        self.pacer = Pacer(self.limits.cpu)
        self.generation = 0
        self.closed = False

    def adopt(self, model: ViewModel) -> None:
        with self.lock:
            if self.model is not None and self.model is not model:
                release(self.model)
            self.model = model
            self.generation += 1

    def build(self, scenario: Scenario, name: str, values: dict[str, Any]) -> str:
        """A new model from the controls' values (a :class:`UserError` if refused): its
        drawing. The previous model stays when the new one is refused."""
        with self.lock:
            return dashboard_html(ViewModel(scenario=scenario, scenario_name=name,
                                            limits=self.limits, session=self, **values))

    def advance(self, days: int, generation: int,
                cancel: threading.Event | None = None) -> tuple[str, bool] | None:
        """After the pacer's pause, step the model up to ``days`` days (never past its run
        length) and draw it: (the drawing, whether the run is over); None if the session
        closed, ``cancel`` was set or the model was replaced meanwhile."""
        if not self.pacer.wait(cancel):
            return None
        with self.lock:
            if self.closed or generation != self.generation:
                return None
            start = time.monotonic()
            result = self.step(days)
            self.pacer.spent(start, time.monotonic())
            return result

    def step(self, days: int) -> tuple[str, bool] | None:
        """Up to ``days`` days and the drawing, unpaced (the caller holds the lock)."""
        model = self.model
        if model is None:
            return None
        for _ in range(days):
            if model.day >= model.days:
                break
            model.step()
        return dashboard_html(model), model.day >= model.days

    def close(self) -> None:
        """Free the model (its tab closed or its kernel was culled)."""
        with self.lock:
            self.closed = True
            if self.model is not None:
                release(self.model)
                self.model = None
