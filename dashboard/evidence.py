"""Tables for the evidence page: the evidence register arranged for reading, and the patient.

The register itself (every sourced number with its value in words, unit, reference, confidence
flag, labels and PSA widening) is ``simulation.evidence.register``, and the phase plans and
patient modifiers are ``simulation.evidence.phase_plan`` and ``modifier_table``; this module
arranges the register for reading and tabulates the patient.
"""

from __future__ import annotations

import pandas as pd

from simulation import Scenario

SHOWN = ["Parameter", "Value", "5–95%", "Unit", "Basis", "Source or assumption", "Confidence", "Labels", "Widening"]


def readable(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``simulation.evidence.register`` for reading: the meaning under the parameter, no section column."""
    name = [f"{p} — {m}" if m else p for p, m in zip(rows.Parameter, rows.Meaning)]
    widening = [f"×{w:.3g}" if w != 1 else "" for w in rows.Widening]
    return rows.assign(Parameter=name, Widening=widening)[SHOWN]


def patient_table(scenario: Scenario) -> pd.DataFrame:
    """The patient's values; assumed ones carry their sentence, a published case its citation."""
    p = scenario.patient
    case = scenario.references[p.source].citation if p.source else ""
    rows = []
    for name, field in type(p).model_fields.items():
        if name in ("name", "description", "source", "assumptions"):
            continue
        assumed = p.assumptions.get(name)
        value = getattr(p, name)
        if name == "blood_volume_ml_per_kg" and value is None:
            value = f"{scenario.blood_volume_ml_per_kg:.3g} ({scenario.blood_volume_method})"
            assumed = ("Nadler's formula from height, weight and sex (parameters.patient_factors.adult_blood_volume_l)."
                       if scenario.blood_volume_method == "Nadler"
                       else "Default for the age band in parameters.blood_volume_ml_per_kg.")
        rows.append({
            "Field": name, "Meaning": field.description or "", "Value": str(value),
            "Basis": "assumption" if assumed else ("case report" if case else "as entered"),
            "Source or assumption": assumed or case,
        })
    return pd.DataFrame(rows)
