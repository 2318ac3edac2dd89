"""One wording for every view (CLI, dashboard, PDF and validation reports).

Display units, digits and labels are derived from the record contract (``scenario.records``);
this module adds how numbers are written (thousands separators, an en dash for a missing value,
no "-0.0"), which outcomes the views lead with, the risk labels with their time frames, the
patient line, the disclaimer, the provenance line and the run defaults. Strings only: no UI
library is imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scenario.records import RESULT_FIELDS, column
from ..scenario.schema import Scenario

# --- run defaults (the CLI, the dashboard and the bench use the same) ------------------------------
# The four plans the tool compares by default (issue 2); the other bundled strategies are variants.
MAIN_STRATEGIES = (
    "single-stage-three-exposure",
    "posterior-only",
    "two-stage-posterior-then-anterior",
    "three-stage-posterior-anterior-posterior",
)
DEFAULT_SEED = 2018  # the year of the index case; any integer >= 0 works
DEFAULT_REPLICATIONS = 1_000
MAX_REPLICATIONS = 20_000  # per strategy in the dashboard: keeps a run under about 10 s on 2 cores

DISCLAIMER = (
    "Decision support and education only: a simulation built mostly on assumptions, "
    "not a validated clinical prediction rule."
)


# --- numbers ---------------------------------------------------------------------------------------
def number(value: float | None, digits: int = 0, sign: bool = False) -> str:
    """``1234.5 -> '1,234'``; a missing or infinite value -> an en dash; never ``'-0.0'``."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    return text[1:] if text[0] in "+-" and float(text.replace(",", "")) == 0 else text


def percent(p: float, digits: int = 1, sign: bool = False) -> str:
    """A probability as a percentage without the sign: ``0.234 -> '23.4'``."""
    return number(100 * p, digits, sign)


def percent_mcse(p: float, mcse: float) -> str:
    """A simulated probability with its Monte Carlo standard error: ``'23.4% ± 1.3'``."""
    return f"{percent(p)}% ± {percent(mcse)}"


@dataclass(frozen=True)
class Shown:
    """A record column as displayed: ``value * scale`` in ``unit`` with ``digits`` decimals."""

    column: str
    unit: str
    scale: float = 1.0
    digits: int = 0

    @property
    def label(self) -> str:
        return column(self.column).label

    @property
    def title(self) -> str:
        """The label with the display unit (none for yes/no, counts and severities)."""
        c = column(self.column)
        if c.kind != "continuous" or self.label.lower().endswith(self.unit.lower()):
            return self.label
        return f"{self.label} ({self.unit})"

    def fmt(self, value: float, sign: bool = False) -> str:
        return number(value * self.scale, self.digits, sign)


def shown(key: str) -> Shown:
    """How any record column is displayed, from its contract."""
    c = column(key)
    return Shown(key, c.shown_unit, c.scale, c.digits)


def risk_shown(key: str) -> Shown:
    """A probability column displayed as percentage points (paired differences of risks)."""
    return Shown(key, "percentage points", 100.0, 1)


# Outcomes every view leads with: measured outcomes, then the headline risks.
HEADLINE = tuple(shown(k) for k in (
    "operative_time_min", "anaesthesia_time_min", "blood_loss_ml", "blood_loss_bv", "rbc_units",
    "lowest_hb_g_dl", "icu_days", "los_days",
))
SHOWN = {s.column: s for s in HEADLINE}
HEADLINE_RISKS = ("any_major_complication", "massive_transfusion", "death")
DIFFERENCES = {s.column: s for s in (*HEADLINE, *(risk_shown(c) for c in HEADLINE_RISKS))}


def risk_labels(scenario: Scenario) -> dict[str, str]:
    """Risk columns in display order, labelled with their time frame where the scenario gives one."""
    types = scenario.parameters.complications.types
    massive = scenario.parameters.transfusion.massive_transfusion_ml_per_kg.value
    labels = {
        "any_major_complication": RESULT_FIELDS["any_major_complication"].label,
        "massive_transfusion": f"{RESULT_FIELDS['massive_transfusion'].label} (> {massive:g} mL/kg of red cells)",
        "death": f"Death ({types['death'].time_frame})" if "death" in types else "Death",
    }
    for key, t in types.items():
        if key != "death":
            labels[f"complication_{key}"] = f"{t.label} ({t.time_frame})"
    return labels


# --- people and provenance -------------------------------------------------------------------------
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


def provenance_line(version: str, scenario_digest: str, seed: int, replications: int, date: str | None = None) -> str:
    """``'ResectSim 0.1.0 · scenario 1a2b3c · seed 2018 · 1,000 simulated operations per plan'``."""
    parts = [f"ResectSim {version}", f"scenario {scenario_digest}", f"seed {seed}",
             f"{replications:,} simulated operations per plan"]
    return " · ".join(parts + ([date] if date else []))
