"""Parameter sweeps: experiment files, seeded replications, parallel runs, resumable results.

See :mod:`sim.sweep.api` for the functions and the README's "Parameter sweeps" section for the
experiment file format and the results folder.
"""

from sim.sweep.api import (
    Estimate,
    estimate,
    read_agents,
    read_dyads,
    read_manifest,
    read_runs,
    read_series,
    read_warnings,
    run_experiment,
)
from sim.sweep.design import Design, build_design
from sim.sweep.engine import SweepOptions, SweepPlan, SweepSummary, plan
from sim.sweep.executors import ExecutorKind, ExecutorSpec
from sim.sweep.experiment import DesignKind, Experiment, load_experiment, parse_experiment

__all__ = [
    "Design", "DesignKind", "Estimate", "ExecutorKind", "ExecutorSpec", "Experiment",
    "SweepOptions", "SweepPlan", "SweepSummary", "build_design", "estimate", "load_experiment",
    "parse_experiment", "plan", "read_agents", "read_dyads", "read_manifest", "read_runs",
    "read_series", "read_warnings", "run_experiment",
]
