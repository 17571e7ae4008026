"""Result schemas: the columns of every table a run or a sweep writes, declared once.

This module is the ground of the model layer: it imports nothing from the model, so the model,
the warning log, the run interface, the sweep engine and the analysis all read column names and
types from here without import cycles. Each column carries its storage type (used to write a
declared Parquet schema even for an empty table) and a one-line meaning (used in docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


class Dtype(StrEnum):
    """Storage type of a column (Arrow/Parquet logical type). Every column is nullable."""

    INT = "int64"
    FLOAT = "float64"
    BOOL = "bool"
    STRING = "string"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: Dtype
    doc: str


@cache
def arrow_schema(fields: tuple[Column, ...]) -> pa.Schema:
    """The Arrow schema of declared columns, in their order. pyarrow is imported here, on first
    use, so that the model runs without it unless a log is asked for as Arrow."""
    import pyarrow as pa

    types = {Dtype.INT: pa.int64(), Dtype.FLOAT: pa.float64(), Dtype.BOOL: pa.bool_(),
             Dtype.STRING: pa.string()}
    return pa.schema([pa.field(c.name, types[c.dtype]) for c in fields])


RUNS_FILE = "runs.parquet"
WARNINGS_FILE = "warnings.parquet"
SERIES_FILE = "timeseries.parquet"
DYADS_FILE = "dyads.parquet"
AGENTS_FILE = "agents.parquet"
MANIFEST_FILE = "manifest.json"

BANDS: tuple[str, ...] = ("low", "mid", "high")
"""Rivalry bands: low [0, 1/3), mid [1/3, 2/3), high [2/3, 1]."""


def band_of(rivalry: float) -> str:
    """The band of a rivalry value in [0, 1]."""
    return BANDS[min(int(rivalry * 3), 2)]


_I, _F, _B, _S = Dtype.INT, Dtype.FLOAT, Dtype.BOOL, Dtype.STRING

WARNING_FIELDS: tuple[Column, ...] = (
    # --- the sender's record (ICD 191: every warning or waiver is documented) ---------------
    Column("warning_id", _I, "Position of the warning in the run's log"),
    Column("day", _I, "Day the warning was triggered (and sent, unless waived)"),
    Column("sender", _S, "Sending agency"),
    Column("recipient", _S, "Recipient agency (the target country's service)"),
    Column("plot_id", _I, "Index of the real plot warned about; -1 for false leads and fabrications"),
    Column("is_real", _B, "The warning is about a real plot"),
    Column("fabricated", _B, "The warning was invented by a manipulative sender"),
    Column("credibility", _F, "The sender's assessed credibility of its detection (NaN for fabrications)"),
    Column("warned_day", _I, "The attack date the warning points to"),
    Column("details_known", _I, "Details (timing, location, perpetrators) the sender knew"),
    Column("details_passed", _I, "Details passed after sanitisation (claimed, for fabrications)"),
    Column("timing", _B, "The timing detail was passed"),
    Column("location", _B, "The location detail was passed"),
    Column("perpetrators", _B, "The perpetrators detail was passed"),
    Column("scale", _S, "The scale of harm the warning indicated: mass (a mass-casualty plot), "
           "small, or unspecified (no location passed)"),
    Column("channel", _S, "private, public, both or relay; empty when waived"),
    Column("waiver_reason", _S, "Why the duty to warn was waived; empty when sent"),
    Column("relay", _S, "Third agency that relayed the warning; empty otherwise"),
    Column("sources_burned", _I, "Sender's sources exposed by the details this warning passed"),
    # --- the recipient's judgement (null until delivered) -------------------------------------
    Column("rivalry", _F, "Recipient's rivalry toward the sender when it judged (else when sent)"),
    Column("delivered_day", _I, "Day the warning reached the recipient's decision-makers; -1 never"),
    Column("perceived_benevolence", _F,
           "Recipient's probability that the sender is a benevolent type, after the warning arrived"),
    Column("hit_rate", _F, "Recipient's expected hit rate of the sender's genuine warnings (its ability)"),
    Column("p_fabricated", _F, "Recipient's probability that the warning is fabricated, before checking it"),
    Column("details_verified", _I, "Passed details that checked out against the recipient's holdings"),
    Column("corroborated", _B, "The recipient's own intelligence corroborated the warning"),
    Column("evidence_llr", _F, "Log likelihood ratio (real : not real) of the details and corroboration"),
    Column("perceived_credibility", _F, "Recipient's probability that the warning is about a real plot"),
    Column("harm_averted", _F, "Expected harm protective action averts if the plot is real (death-equivalents)"),
    Column("heed_cost", _F, "Cost of protective action for this recipient now (death-equivalents)"),
    Column("face_loss", _F, "Face cost of heeding this warning (death-equivalents; public warnings only)"),
    Column("political_loss", _F, "Political cost of acting on this warning (death-equivalents; "
           "rivals' warnings only, public or not)"),
    Column("diversion_deaths", _F, "Deaths the recipient expected from the home security one "
           "more protective action would divert"),
    Column("p_heed", _F, "Probability of heeding at once, from the recipient's choice rule"),
    Column("p_investigate", _F, "Probability of investigating first"),
    Column("p_dismiss", _F, "Probability of dismissing"),
    Column("p_heed_after_false_alarm", _F,
           "First warning of a dyad only: p_heed had the recipient seen one earlier false alarm "
           "from the sender (the model's cry-wolf sensitivity, Breznitz 1984)"),
    Column("p_heed_after_confirmation", _F,
           "First warning of a dyad only: p_heed had one earlier warning been confirmed"),
    Column("response", _S, "heeded, investigated or dismissed (the response on delivery)"),
    Column("investigation_positive", _B, "The investigation seemed to confirm the warning (investigated only)"),
    Column("credibility_after_investigation", _F, "Perceived credibility once the investigation reported"),
    Column("heeded", _B, "The recipient took protective action (at once or after investigating)"),
    Column("decided_day", _I, "Day the recipient's final decision was taken; -1 while investigating"),
    Column("confirmed", _B, "An attack or arrests confirmed the warning within the window"),
)
"""The warning log (the "cable"): one row per triggered warning, waived ones included."""

SERIES_FIELDS: tuple[Column, ...] = (
    Column("day", _I, "Day of the run"),
    Column("mean_trust", _F, "Mean perceived benevolence over all ordered dyads, end of day"),
    *(Column(f"mean_trust_{b}_rivalry", _F, f"Mean perceived benevolence in {b}-rivalry dyads")
      for b in BANDS),
    Column("mean_rivalry", _F, "Mean rivalry over all ordered dyads"),
    Column("warnings_sent", _I, "Warnings sent so far"),
    Column("warnings_heeded", _I, "Warnings heeded so far (at once or after investigating)"),
    Column("warnings_investigated", _I, "Warnings investigated so far"),
    Column("attacks", _I, "Attacks so far"),
    Column("casualties", _I, "Deaths so far"),
    Column("interdicted", _I, "Plots ended by arrests so far"),
    Column("deterred", _I, "Plots silently abandoned so far"),
    Column("sources_burned", _I, "Sources exposed by disclosure so far"),
    Column("net_harm", _F, "Deaths plus protective, investigative, political and sources costs so far "
           "(death-equivalents)"),
    Column("trust_in_manipulators", _F,
           "Mean perceived benevolence of senders that do manipulate the recipient, end of day"),
    Column("trust_in_benevolent", _F,
           "Mean perceived benevolence of senders that do not manipulate the recipient, end of day"),
)
"""The per-day series (cumulative counts, end-of-day trust), recorded only when asked for."""

WARNING_COLUMNS: tuple[str, ...] = tuple(c.name for c in WARNING_FIELDS)
SERIES_COLUMNS: tuple[str, ...] = tuple(c.name for c in SERIES_FIELDS)

AGENT_FIELDS: tuple[Column, ...] = (
    Column("day", _I, "Day of the run"),
    Column("agency", _S, "The agency (agent) the row describes"),
    Column("warnings_sent", _I, "Warnings this agency sent so far, fabricated ones included"),
    Column("warnings_received", _I, "Warnings delivered to this agency so far"),
    Column("warnings_heeded", _I, "Warnings this agency heeded so far (at once or after investigating)"),
    Column("capability", _F, "Collection capability now (falls as its sources are burned)"),
    Column("sources_burned", _I, "This agency's sources exposed by the details it passed, so far"),
    Column("actions_in_force", _I, "Protective actions this agency has in force (its warning load)"),
    Column("attacks_suffered", _I, "Attacks on this agency's country so far"),
    Column("casualties_suffered", _I, "Deaths in attacks on this agency's country so far"),
    Column("trust_given", _F, "Mean perceived benevolence this agency holds of the others, end of day"),
    Column("trust_received", _F, "Mean perceived benevolence the others hold of this agency, end of day"),
)
"""The per-agency series (the DataCollector's agent reporters): one row per agency per day,
recorded with the per-day series."""

DYAD_FIELDS: tuple[Column, ...] = (
    Column("day", _I, "Day of the run"),
    Column("recipient", _S, "The agency that holds the belief"),
    Column("sender", _S, "The agency the belief is about"),
    Column("trust", _F, "Recipient's perceived benevolence of the sender (probability of a "
           "benevolent type), end of day"),
    Column("rivalry", _F, "Recipient's rivalry toward the sender, end of day"),
)
"""The dyad-level series: one row per ordered pair of agencies per day (``n (n - 1)`` rows a
day), recorded only when asked for (``record_dyads``) since it is large."""

AGENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in AGENT_FIELDS)
DYAD_COLUMNS: tuple[str, ...] = tuple(c.name for c in DYAD_FIELDS)
