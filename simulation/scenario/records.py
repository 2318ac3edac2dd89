"""The record contract: every per-replication column the model writes, declared once.

Each column has a label, the unit it is recorded in, its kind, which direction is better, and
how people read it (display unit, scale and digits). Summaries, ``compare --json``, sweeps,
validation and every view derive their lists from this table, so a new column is added here
and nowhere else.

Event and complication columns are added per scenario catalogue: ``event_<key>`` (a count of
intra-operative events) and ``complication_<key>`` (a severity: 0 none, 1 minor, 2 major; its
summaries read it as "any severity", a probability).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Kind = Literal["continuous", "count", "yes/no", "severity"]
Better = Literal["lower", "higher", "neither"]


@dataclass(frozen=True)
class Column:
    """One record column: ``value * scale`` is shown in ``display_unit`` with ``digits`` decimals."""

    label: str
    unit: str  # as recorded
    kind: Kind
    better: Better = "lower"
    display_unit: str | None = None  # None: the recorded unit
    scale: float = 1.0  # recorded unit -> display unit
    digits: int = 1

    @property
    def shown_unit(self) -> str:
        return self.display_unit or self.unit

    @property
    def is_probability(self) -> bool:
        """Its mean is a probability: yes/no columns, and severities read as any severity."""
        return self.kind in ("yes/no", "severity")


def _hours(label: str) -> Column:
    return Column(label, "min", "continuous", display_unit="h", scale=1 / 60, digits=1)


RESULT_FIELDS: dict[str, Column] = {
    "operative_time_min": _hours("Operative time (skin to skin)"),
    "anaesthesia_time_min": _hours("Anaesthesia time"),
    "longest_anaesthetic_min": _hours("Longest single anaesthetic"),
    "or_time_min": _hours("Operating-room time"),
    "blood_loss_ml": Column("Blood loss", "mL", "continuous", digits=0),
    "blood_loss_bv": Column("Blood loss", "blood volumes", "continuous", digits=2),
    "ebl_ml": Column("Estimated blood loss (as recorded)", "mL", "continuous", digits=0),
    "postop_blood_loss_ml": Column("Post-operative and hidden blood loss", "mL", "continuous", digits=0),
    "rbc_units": Column("Red-cell units", "units", "continuous"),
    "rbc_ml_per_kg": Column("Red cells transfused", "mL/kg", "continuous"),
    "massive_transfusion": Column("Massive transfusion (in one stage, within 24 h)", "yes/no", "yes/no"),
    "plasma_units": Column("Plasma units", "units", "count"),
    "platelet_doses": Column("Platelet doses", "doses", "count", digits=2),
    "fibrinogen_doses": Column("Fibrinogen doses", "doses", "count", digits=2),
    "salvaged_ml": Column("Blood returned by cell salvage", "mL", "continuous", better="neither", digits=0),
    "coagulopathy": Column("Dilutional coagulopathy", "yes/no", "yes/no"),
    "lowest_hb_g_dl": Column("Lowest haemoglobin", "g/dL", "continuous", better="higher"),
    "anaesthetics": Column("Anaesthetics (stages performed)", "count", "count"),
    "planned_stages": Column("Planned stages", "count", "count", better="neither"),
    "converted_to_staged": Column("Converted to staged by the rule", "yes/no", "yes/no", better="neither"),
    "stop_rule_triggered": Column("Stop-and-stage trigger fired", "yes/no", "yes/no", better="neither"),
    "alerts": Column("Intra-operative alerts (e.g. neuromonitoring)", "count", "count", digits=2),
    "interval_days": Column("Days between stages", "days", "continuous", better="neither"),
    "any_intraoperative_event": Column("Any intra-operative event (during the operation)", "yes/no", "yes/no"),
    "any_complication": Column("Any early complication (in hospital or within 30 days; death apart)", "yes/no", "yes/no"),
    "any_major_complication": Column("Any major early complication (in hospital or within 30 days)", "yes/no", "yes/no"),
    "major_complications": Column("Major early complications (in hospital or within 30 days)", "count", "count", digits=2),
    "minor_complications": Column("Minor early complications (in hospital or within 30 days)", "count", "count", digits=2),
    "any_late_complication": Column("Any late complication (after discharge, within about 2 years)", "yes/no", "yes/no"),
    "death": Column("Death (within 2 months)", "yes/no", "yes/no"),
    "death_risk_other_causes": Column("Death risk, other causes (within 2 months)", "per 100", "continuous", digits=2),
    "death_risk_injury": Column("Death risk from intra-operative injuries (within 2 months)", "per 100", "continuous", digits=2),
    "death_risk_major_complication": Column(
        "Death risk from major early complications (within 2 months)", "per 100", "continuous", digits=2
    ),
    "icu_days": Column("ICU stay", "days", "continuous"),
    "los_days": Column("Hospital stay", "days", "continuous"),
    # Oncological layer (model.oncology): the margin is expert judgement; its consequences Fisher 2011.
    "appropriate_margin": Column("Enneking-appropriate margin (expert judgement; at the operation)", "yes/no", "yes/no",
                                 better="higher"),
    "local_recurrence_risk": Column("Local recurrence risk (over 4-6 years of follow-up)", "per 100", "continuous"),
    "margin_death_hazard_ratio": Column("Death hazard from the margin, vs an appropriate margin (over 4-6 years)",
                                        "ratio", "continuous", digits=2),
    "days_to_adjuvant": Column("Days from the first operation until fit for adjuvant therapy", "days", "continuous"),
    "adjuvant_delayed": Column("Not fit for adjuvant therapy within 21 days of the first operation", "yes/no", "yes/no"),
}
STAGE_FIELDS = ("operative_time_min", "anaesthesia_time_min", "or_time_min", "blood_loss_ml", "rbc_units")
# Per-stage blood and haemostasis (numbers), and where each stage ended (text: "exposure: phase", and
# "plan" or "rule: <trigger>" for an unplanned break).
PERIOPERATIVE_STAGE_FIELDS = (
    "ebl_ml", "postop_blood_loss_ml", "plasma_units", "platelet_doses", "fibrinogen_doses", "salvaged_ml", "alerts",
)
STAGE_END_FIELDS = ("ended_after", "ended_by")
EVENT, COMPLICATION = "event_", "complication_"

# Derived lists (never written by hand): measured or counted columns, and yes/no columns.
CONTINUOUS = tuple(k for k, c in RESULT_FIELDS.items() if c.kind in ("continuous", "count"))
BINARY = tuple(k for k, c in RESULT_FIELDS.items() if c.kind == "yes/no")
HIGHER_IS_BETTER = frozenset(k for k, c in RESULT_FIELDS.items() if c.better == "higher")


def column(key: str) -> Column:
    """The contract of any record column, event and complication columns included (KeyError if none)."""
    if key in RESULT_FIELDS:
        return RESULT_FIELDS[key]
    if key.startswith(EVENT):
        return Column("Intra-operative events: " + key.removeprefix(EVENT).replace("_", " "), "count", "count", digits=2)
    if key.startswith(COMPLICATION):
        return Column("Complication: " + key.removeprefix(COMPLICATION).replace("_", " "), "severity", "severity")
    raise KeyError(f"'{key}' is not a record column; allowed: {', '.join(RESULT_FIELDS)}, {EVENT}<event>, {COMPLICATION}<type>")


def outcome_columns(scenario) -> tuple[str, ...]:
    """Every record column a summary can be asked for in ``scenario`` (a ``Scenario``)."""
    return (
        *RESULT_FIELDS,
        *(f"{EVENT}{k}" for k in scenario.parameters.events),
        *(f"{COMPLICATION}{k}" for k in scenario.parameters.complications.types),
    )


def is_probability(key: str) -> bool:
    """Yes/no outcomes and complications (read as any severity): their mean is a probability."""
    return column(key).is_probability


def label(key: str) -> str:
    """Label with the recorded unit (none for yes/no, counts and severities)."""
    c = column(key)
    return c.label if c.kind != "continuous" else f"{c.label} ({c.unit})"


def complication_columns(records: pd.DataFrame) -> list[str]:
    return [c for c in records.columns if c.startswith(COMPLICATION)]


def event_columns(records: pd.DataFrame) -> list[str]:
    return [c for c in records.columns if c.startswith(EVENT)]


def record_columns(records: pd.DataFrame) -> list[str]:
    """The outcome columns present in ``records`` (every declared column, events, complications)."""
    return [c for c in records.columns if c in RESULT_FIELDS or c.startswith((EVENT, COMPLICATION))]
