"""The outcomes of one run, declared once.

Every outcome has one snake_case name used everywhere: ``warnsim run --json``, the sweep's
``runs.parquet`` columns and the analysis tables. Rates declare their numerator and denominator
so the statistics can pool them over warnings with the run as the cluster instead of averaging
per-run rates (which would weight a run with 2 warnings like one with 200).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sim.enums import WaiverReason
from sim.schema import BANDS, band_of

__all__ = ["BANDS", "BY_NAME", "NET_HARM_COMPONENTS", "OUTCOMES", "OUTCOME_NAMES", "Kind", "Outcome",
           "band_of", "is_integer", "record_dtype"]


class Kind(Enum):
    COUNT = "count"  # a non-negative integer tally
    AMOUNT = "amount"  # a non-negative real total (deaths, costs)
    RATE = "rate"  # numerator / denominator, in [0, 1], NaN when the denominator is 0
    MEAN = "mean"  # a mean of a quantity in [0, 1], NaN when there is nothing to average


@dataclass(frozen=True, slots=True)
class Outcome:
    """One outcome: its name, kind, short human label (table headers), meaning and unit.

    A rate names its numerator and denominator counts. **Undefined values**: a rate whose
    denominator is 0 in a run (no warnings of that kind) and a mean over an empty set (no dyads
    in a band) are NaN for that run; the statistics pool rates over runs (so such a run adds
    nothing) and skip NaN means, reporting how many runs they used.
    """

    name: str
    kind: Kind
    label: str
    doc: str
    unit: str = ""
    numerator: str | None = None
    denominator: str | None = None


_DEATHS = "death-eq."
"""Death-equivalents: one unit is the harm of one death (costs are declared in this unit)."""


def _declare() -> tuple[Outcome, ...]:
    C, A, R, M = Kind.COUNT, Kind.AMOUNT, Kind.RATE, Kind.MEAN
    out = [
        Outcome("plots", C, "Plots", "Real plots that emerged", "plots"),
        Outcome("false_leads", C, "False leads",
                "False leads that emerged (reporting that looks like a plot)", "leads"),
        Outcome("attacks", C, "Attacks", "Plots that ended in an attack", "plots"),
        Outcome("casualties", A, "Deaths", "Deaths in attacks", "deaths"),
        Outcome("interdicted", C, "Interdicted", "Plots ended by arrests (visible prevention)", "plots"),
        Outcome("deterred", C, "Deterred", "Plots silently abandoned after protective action", "plots"),
        Outcome("pending", C, "Pending", "Plots not yet ended when the run stopped", "plots"),
        Outcome("plots_ended", C, "Plots ended", "Plots ended by attack, arrests or abandonment", "plots"),
        Outcome("foiled", C, "Foiled", "Plots interdicted or deterred", "plots"),
        Outcome("foiled_share", R, "Share foiled", "Share of ended plots that were foiled", "share",
                "foiled", "plots_ended"),
        Outcome("plots_ended_capable", C, "Plots ended (capable)",
                "Plots ended against the scenario's two most capable services", "plots"),
        Outcome("foiled_capable", C, "Foiled (capable)",
                "Plots foiled against the scenario's two most capable services", "plots"),
        Outcome("foiled_share_capable", R, "Share foiled (capable)",
                "Share of ended plots foiled, against the two most capable services", "share",
                "foiled_capable", "plots_ended_capable"),
        Outcome("potential_casualties", A, "Potential deaths",
                "Deaths the ended plots would have caused unmitigated", "deaths"),
        Outcome("lives_saved", A, "Lives saved", "potential_casualties minus casualties", "deaths"),
        Outcome("detections", C, "Detections",
                "Foreign detections of plots and false leads made during the run", "detections"),
        Outcome("warnings_triggered", C, "Triggered",
                "Detections that met the trigger (credible, specific, impending) and were screened; "
                "plots already ended in the open and detections lost with burned sources are skipped",
                "warnings"),
        Outcome("warnings_waived", C, "Waived", "Triggered warnings waived, any reason", "warnings"),
        *(Outcome(f"waived_{r.value}", C, f"Waived: {r.value.replace('_', ' ')}",
                  f"Waived: {_WAIVER_DOCS[r]}", "warnings") for r in WaiverReason),
        Outcome("warnings_sent", C, "Sent", "Warnings sent, fabricated ones included", "warnings"),
        Outcome("fabricated_warnings", C, "Fabricated",
                "Fabricated warnings sent (senders that took an opportunity to fabricate)",
                "warnings"),
        Outcome("public_alerts", C, "Public alerts", "Warnings sent (also) as a public alert", "warnings"),
        Outcome("attacks_shifted", C, "Attacks moved",
                "Plots whose date attackers moved after a public alert", "plots"),
        Outcome("details_withheld", C, "Details withheld", "Known details withheld by sanitisation",
                "details"),
        Outcome("sources_burned", C, "Sources burned",
                "Sender sources exposed by the details they passed", "sources"),
        Outcome("warnings_delivered", C, "Delivered",
                "Warnings that reached the recipient's decision-makers", "warnings"),
        Outcome("warnings_heeded", C, "Heeded",
                "Delivered warnings acted upon (at once or after investigating)", "warnings"),
        Outcome("warnings_investigated", C, "Investigated",
                "Delivered warnings investigated before deciding", "warnings"),
        Outcome("warnings_dismissed", C, "Dismissed",
                "Delivered warnings not acted upon (at once or after investigating)", "warnings"),
        Outcome("investigations_open", C, "Investigations open",
                "Investigations not yet reported when the run stopped", "warnings"),
        Outcome("heed_rate", R, "Heed rate", "Heeded share of delivered warnings", "share",
                "warnings_heeded", "warnings_delivered"),
    ]
    for b in BANDS:
        out += [
            Outcome(f"delivered_{b}_rivalry", C, f"Delivered ({b} rivalry)",
                    f"Delivered warnings in {b}-rivalry dyads", "warnings"),
            Outcome(f"heeded_{b}_rivalry", C, f"Heeded ({b} rivalry)",
                    f"Heeded warnings in {b}-rivalry dyads", "warnings"),
            Outcome(f"heed_rate_{b}_rivalry", R, f"Heed rate ({b} rivalry)",
                    f"Heed rate in {b}-rivalry dyads", "share",
                    f"heeded_{b}_rivalry", f"delivered_{b}_rivalry"),
            Outcome(f"fabricated_{b}_rivalry", C, f"Fabricated ({b} rivalry)",
                    f"Delivered warnings in {b}-rivalry dyads that were fabricated", "warnings"),
            Outcome(f"fabricated_share_{b}_rivalry", R, f"Share fabricated ({b} rivalry)",
                    f"Share of delivered warnings in {b}-rivalry dyads that were fabricated: what "
                    "senders chose", "share", f"fabricated_{b}_rivalry", f"delivered_{b}_rivalry"),
            Outcome(f"believed_fabricated_{b}_rivalry", M, f"Believed fabricated ({b} rivalry)",
                    f"Mean probability recipients gave a delivered warning in a {b}-rivalry dyad "
                    "of being fabricated: suspicion, to compare with the share that was",
                    "probability"),
        ]
    out += [
        Outcome("false_alarms", C, "False alarms",
                "Warnings sent about false leads or fabricated", "warnings"),
        Outcome("false_alarm_share", R, "False-alarm share", "False-alarm share of warnings sent",
                "share", "false_alarms", "warnings_sent"),
        Outcome("false_alarms_heeded", C, "False alarms heeded",
                "Protective actions taken on warnings not about a real plot", "warnings"),
        Outcome("fabrications_heeded", C, "Fabrications heeded",
                "Protective actions taken on fabricated warnings", "warnings"),
        Outcome("protective_cost", A, "Protective cost",
                "Cost of the protective actions taken", _DEATHS),
        Outcome("investigative_cost", A, "Investigative cost",
                "Cost of the investigations made", _DEATHS),
        Outcome("political_cost", A, "Political cost",
                "Face and political cost of the protective actions taken on rivals' warnings",
                _DEATHS),
        Outcome("sources_cost", A, "Sources cost",
                "Sources burned times the value of a source (source_value)", _DEATHS),
        Outcome("net_harm", A, "Net harm",
                "The sum of its components: deaths, protective, investigative, political and "
                "sources costs (NET_HARM_COMPONENTS)", _DEATHS),
        Outcome("confirmations", C, "Confirmations",
                "Warning evaluations where an attack or arrests followed", "warnings"),
        Outcome("disconfirmations", C, "Disconfirmations",
                "Warning evaluations where nothing visible followed", "warnings"),
        Outcome("mean_trust", M, "Mean trust",
                "Mean perceived benevolence over all ordered dyads at the end", "probability"),
    ]
    out += [
        Outcome(f"mean_trust_{b}_rivalry", M, f"Mean trust ({b} rivalry)",
                f"Mean perceived benevolence in {b}-rivalry dyads at the end", "probability")
        for b in BANDS
    ]
    out += [
        Outcome("trust_in_manipulators", M, "Trust in manipulators",
                "Mean perceived benevolence, at the end, of senders that fabricated warnings to "
                "the recipient, weighted by how many (how well learning has identified them)",
                "0-1"),
        Outcome("trust_in_benevolent", M, "Trust in benevolent",
                "Mean perceived benevolence, at the end, of senders that fabricated no warning "
                "to the recipient", "0-1"),
    ]
    return tuple(out)


_WAIVER_DOCS: dict[WaiverReason, str] = {
    WaiverReason.DOCTRINE_EXCLUDES: "the sender's doctrine excludes the recipient",
    WaiverReason.RECIPIENT_AWARE: "the recipient already knew",
    WaiverReason.SOURCES_AT_RISK: "warning would endanger sources and methods",
    WaiverReason.NO_CHANNEL: "no channel to the recipient",
    WaiverReason.WITHHELD: "no duty binds the sender and warning does not pay it",
}


OUTCOMES: tuple[Outcome, ...] = _declare()

NET_HARM_COMPONENTS: tuple[str, ...] = (
    "casualties", "protective_cost", "investigative_cost", "political_cost", "sources_cost")
"""The components of ``net_harm``, each an outcome in death-equivalents: ``net_harm`` is their
sum, and a recipient's choice weighs the same components under its beliefs
(:func:`sim.inference.expected_harm`)."""
OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}


def is_integer(outcome: Outcome) -> bool:
    """Counts and deaths are whole numbers; costs, rates and means are not."""
    return outcome.kind is Kind.COUNT or outcome.unit == "deaths"


def record_dtype() -> Any:
    """The outcomes as one numpy record, in declaration order (what the compiled observation
    :func:`sim.observe.outcome_record` fills)."""
    import numpy as np

    return np.dtype([(o.name, np.int64 if is_integer(o) else np.float64) for o in OUTCOMES])
