"""Presentation constants and formatting: display units of record columns, number formats,
run defaults and limits, the disclaimer, and a one-line patient description.

Labels come from ``simulation.RESULT_FIELDS``; this module only decides units a reader prefers
(hours rather than minutes) and how many digits to print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulation import MAIN_STRATEGIES, RESULT_FIELDS, Scenario

MAX_REPLICATIONS = 20_000  # per strategy: keeps a run under about 10 s on a 2-core machine
DEFAULT_REPLICATIONS = 1_000
DEFAULT_SEED = 2018  # the year of the index case; any integer >= 0 works
DEFAULT_STRATEGIES = MAIN_STRATEGIES
DISCLAIMER = (
    "Decision support and education only: a simulation built mostly on assumptions, "
    "not a validated clinical prediction rule."
)


@dataclass(frozen=True)
class Shown:
    """A continuous record column as displayed: ``value * scale`` in ``unit`` with ``digits``."""

    column: str
    unit: str
    scale: float = 1.0
    digits: int = 0

    @property
    def label(self) -> str:
        return RESULT_FIELDS[self.column][0]

    @property
    def title(self) -> str:
        return f"{self.label} ({self.unit})"

    def fmt(self, value: float) -> str:
        return number(value * self.scale, self.digits)


CONTINUOUS = (
    Shown("operative_time_min", "h", 1 / 60, 1),
    Shown("anaesthesia_time_min", "h", 1 / 60, 1),
    Shown("blood_loss_ml", "mL", 1, 0),
    Shown("blood_loss_bv", "blood volumes", 1, 2),
    Shown("rbc_units", "units", 1, 1),
    Shown("icu_days", "days", 1, 1),
    Shown("los_days", "days", 1, 1),
)
SHOWN = {s.column: s for s in CONTINUOUS}


def number(value: float, digits: int = 0) -> str:
    """``1234.5 -> '1,234'`` (thousands separators); NaN -> an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent_mcse(p: float, mcse: float) -> str:
    """A simulated probability with its Monte Carlo standard error: ``'23.4% ± 1.3'``."""
    return f"{100 * p:.1f}% ± {100 * mcse:.1f}"


def patient_line(scenario: Scenario) -> str:
    """``'9-year-old girl, 28 kg, Hb 12.0 g/dL; L2-L4 (3 levels), revision, ...'``."""
    patient, blood_volume_ml, young = scenario.patient, scenario.blood_volume_ml, scenario.is_child
    noun = {("female", True): "girl", ("male", True): "boy", ("female", False): "woman", ("male", False): "man"}
    facts = [
        f"{patient.age_years:g}-year-old {noun[patient.sex, young]}, {patient.weight_kg:g} kg, "
        f"Hb {patient.baseline_hb_g_dl:.1f} g/dL",
        f"{patient.levels} ({len(patient.level_list)} level{'s' if len(patient.level_list) > 1 else ''})",
        "revision surgery" if patient.revision else "first operation at the site",
    ]
    if patient.retained_implants:
        facts.append(f"implants {patient.retained_implants} to remove")
    if patient.scar_severity != "none":
        facts.append(f"{patient.scar_severity} scarring")
    if patient.great_vessel_adhesion:
        facts.append("great vessels adherent")
    if patient.psoas_extension:
        facts.append("psoas extension")
    facts.append(f"estimated blood volume {number(blood_volume_ml)} mL")
    return "; ".join([facts[0], ", ".join(facts[1:])])
