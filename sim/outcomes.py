"""The outcomes of one run, declared once.

Every outcome has one snake_case name used everywhere: ``warnsim run --json``, the sweep's
``runs.parquet`` columns and the analysis tables. Rates declare their numerator and denominator
so the statistics can pool them over warnings with the run as the cluster instead of averaging
per-run rates (which would weight a run with 2 warnings like one with 200).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sim.schema import BANDS, band_of

__all__ = ["BANDS", "BY_NAME", "OUTCOMES", "OUTCOME_NAMES", "Kind", "Outcome", "band_of"]


class Kind(Enum):
    COUNT = "count"  # a non-negative integer tally
    AMOUNT = "amount"  # a non-negative real total (deaths)
    RATE = "rate"  # numerator / denominator, in [0, 1], NaN when the denominator is 0
    MEAN = "mean"  # a mean of a quantity in [0, 1], NaN when there is nothing to average


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    kind: Kind
    doc: str
    unit: str = ""
    numerator: str | None = None
    denominator: str | None = None




def _declare() -> tuple[Outcome, ...]:
    C, A, R, M = Kind.COUNT, Kind.AMOUNT, Kind.RATE, Kind.MEAN
    out = [
        Outcome("plots", C, "Real plots that emerged", "plots"),
        Outcome("false_leads", C, "False leads that emerged (reporting that looks like a plot)", "leads"),
        Outcome("attacks", C, "Plots that ended in an attack", "plots"),
        Outcome("casualties", A, "Deaths in attacks", "deaths"),
        Outcome("interdicted", C, "Plots ended by arrests (visible prevention)", "plots"),
        Outcome("deterred", C, "Plots silently abandoned after a heeded warning", "plots"),
        Outcome("pending", C, "Plots not yet ended when the run stopped", "plots"),
        Outcome("potential_casualties", A, "Deaths the ended plots would have caused unmitigated", "deaths"),
        Outcome("lives_saved", A, "potential_casualties minus casualties", "deaths"),
        Outcome("detections", C, "Foreign detections of plots and false leads made during the run", "detections"),
        Outcome("warnings_triggered", C, "Detections that met the trigger (credible, specific, impending) and were screened; plots already ended by arrests are skipped", "warnings"),
        Outcome("warnings_waived", C, "Triggered warnings waived, any reason", "warnings"),
        Outcome("waived_doctrine_excludes", C, "Waived: the sender's doctrine excludes the recipient", "warnings"),
        Outcome("waived_recipient_aware", C, "Waived: the recipient already knew", "warnings"),
        Outcome("waived_sources_at_risk", C, "Waived: warning would endanger sources and methods", "warnings"),
        Outcome("waived_no_channel", C, "Waived: no channel to the recipient", "warnings"),
        Outcome("warnings_sent", C, "Warnings sent, fabricated ones included", "warnings"),
        Outcome("fabricated_warnings", C, "Warnings fabricated by manipulative senders", "warnings"),
        Outcome("public_alerts", C, "Warnings sent (also) as a public alert", "warnings"),
        Outcome("attacks_shifted", C, "Plots whose date attackers moved after a public alert", "plots"),
        Outcome("details_withheld", C, "Known details withheld by sanitisation", "details"),
        Outcome("warnings_delivered", C, "Warnings that reached the recipient's decision-makers", "warnings"),
        Outcome("warnings_heeded", C, "Delivered warnings acted upon", "warnings"),
        Outcome("warnings_dismissed", C, "Delivered warnings dismissed", "warnings"),
        Outcome("heed_rate", R, "Heeded share of delivered warnings", "share",
                "warnings_heeded", "warnings_delivered"),
    ]
    for b in BANDS:
        out += [
            Outcome(f"delivered_{b}_rivalry", C, f"Delivered warnings in {b}-rivalry dyads", "warnings"),
            Outcome(f"heeded_{b}_rivalry", C, f"Heeded warnings in {b}-rivalry dyads", "warnings"),
            Outcome(f"heed_rate_{b}_rivalry", R, f"Heed rate in {b}-rivalry dyads", "share",
                    f"heeded_{b}_rivalry", f"delivered_{b}_rivalry"),
        ]
    out += [
        Outcome("false_alarms", C, "Warnings sent about false leads or fabricated", "warnings"),
        Outcome("false_alarm_share", R, "False-alarm share of warnings sent", "share",
                "false_alarms", "warnings_sent"),
        Outcome("confirmations", C, "Warning evaluations that confirmed the sender", "warnings"),
        Outcome("disconfirmations", C, "Warning evaluations where nothing visible happened", "warnings"),
        Outcome("mean_trust", M, "Mean perceived benevolence over all dyads at the end", "probability"),
    ]
    out += [
        Outcome(f"mean_trust_{b}_rivalry", M, f"Mean perceived benevolence in {b}-rivalry dyads at the end",
                "probability")
        for b in BANDS
    ]
    return tuple(out)


OUTCOMES: tuple[Outcome, ...] = _declare()
OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
