"""Tables for the evidence page: the evidence register of a scenario, and each strategy's phase plan.

The register itself (every sourced number with its value in words, unit, reference, confidence
flag, labels and PSA widening) is ``simulation.evidence.register``; this module arranges it for
reading. ``phase_plan`` reads the plan ``simulation.plan.compile_plan`` compiles for the patient
(multipliers and event rates).
"""

from __future__ import annotations

import pandas as pd

from simulation import Scenario
from simulation.evidence import describe, number
from simulation.plan import compile_plan, modifier_exposures

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
            value, assumed = f"{scenario.blood_volume_ml_per_kg:g} (by age)", "Default for the age band in parameters.blood_volume_ml_per_kg."
        rows.append({
            "Field": name, "Meaning": field.description or "", "Value": str(value),
            "Basis": "assumption" if assumed else ("case report" if case else "as entered"),
            "Source or assumption": assumed or case,
        })
    return pd.DataFrame(rows)


def modifier_table(scenario: Scenario) -> pd.DataFrame:
    """Patient conditions that scale phases, and how many times each applies to this patient."""
    rows = []
    for family, (mod, times) in modifier_exposures(scenario).items():
        if times <= 0:
            continue
        rows.append({
            "Condition": family.replace("_", " "),
            "Applies": f"{times:g}×",
            "Duration multiplier": number(mod.duration.value ** times) if mod.duration else "",
            "Bleeding multiplier": number(mod.bleeding.value ** times) if mod.bleeding else "",
            "Event odds ratios": ", ".join(f"{k} {number(v.value ** times)}" for k, v in mod.event_odds.items()),
        })
    return pd.DataFrame(rows)


def phase_plan(scenario: Scenario, strategy: str) -> pd.DataFrame:
    """The strategy's phases as this patient meets them: distributions, multipliers, event risks."""
    plan = compile_plan(scenario, strategy)
    events = scenario.parameters.events
    rows = []
    for p in plan.phases:
        rows.append({
            "Stage": p.stage + 1,
            "Exposure": p.exposure,
            "Phase": p.label,
            "Duration (min), reference patient": describe(p.phase.duration_min),
            "Bleeding (mL/min), reference patient": describe(p.phase.bleeding_ml_per_min),
            "Duration ×": number(p.duration_multiplier),
            "Bleeding ×": number(p.bleeding_multiplier),
            "Events, P(at least one) for this patient": "; ".join(
                f"{events[e].label} {100 * prob:.1f}%" for e, prob in p.event_probabilities
            ),
            "Before incision": "yes" if p.phase.before_incision else "",
        })
    return pd.DataFrame(rows)
