"""Tables for the evidence page: the evidence register arranged for reading, and the patient.

The register itself (every sourced number with its value in words, unit, reference, confidence
flag, labels and PSA widening) is ``simulation.evidence.register``, and the phase plans and
patient modifiers are ``simulation.evidence.phase_plan`` and ``modifier_table``; this module
arranges the register for reading and tabulates the patient.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation import Scenario
from simulation.present.formats import parameter_name
from simulation.scenario.loader import load_library

SHOWN = ["Parameter", "Value", "5–95%", "Unit", "Basis", "Source or assumption", "Study", "Confidence", "Labels",
         "Widening"]
NOT_REPORTED = "not reported"


def names(scenario: Scenario) -> dict[str, str]:
    """Ids in register paths -> their labels: phases, intra-operative events (also as a phase's
    ``events[i]``), complications and strategies."""
    library = load_library()
    events = {k: e.label for k, e in scenario.parameters.events.items()}
    found = {k: phase["label"] for k, phase in library.items()}
    for k, phase in library.items():
        for i, event in enumerate(phase.get("events") or []):
            found[f"{k}.events[{i}]"] = events.get(event.get("event") if isinstance(event, dict) else None, "event")
    found |= events
    found |= {k: t.label for k, t in scenario.parameters.complications.types.items()}
    return found | {s.name: s.label for s in scenario.strategies}


def section_name(section: str, known: dict[str, str]) -> str:
    """A register section in words: ``'parameters: transfusion'`` -> ``'Model parameters: Transfusion'``,
    ``'strategy: posterior-only'`` -> ``'Plan: Posterior only (one stage)'``, ``'phases'`` -> ``'Phases'``."""
    kind, _, what = section.partition(": ")
    if not what:
        return kind.capitalize()
    head = {"parameters": "Model parameters", "strategy": "Plan", "patient": "Patient"}.get(kind, kind.capitalize())
    return f"{head}: {known.get(what) or parameter_name(what, known)}"


def study(n, design: str, basis: str) -> str:
    """A source's design and size, or 'not reported' for what the reference does not give."""
    if basis != "source":
        return ""
    size = f"N={int(n):,}" if pd.notna(n) else f"N {NOT_REPORTED}"
    return f"{design or f'design {NOT_REPORTED}'}, {size}"


def readable(rows: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Rows of ``simulation.evidence.register`` for reading: the parameter in words (bold) beside its path and
    its meaning, the source's design and N ('not reported' where the reference does not give them), no section."""
    known = names(scenario)
    name = [f"**{parameter_name(p, known)}**  \n`{p}`" + (f" — {m}" if m else "")
            for p, m in zip(rows.Parameter, rows.Meaning)]
    widening = [f"×{w:.3g}" if w != 1 else "" for w in rows.Widening]
    studies = [study(n, d, b) for n, d, b in zip(rows.N, rows.Design, rows.Basis)]
    return rows.assign(Parameter=name, Widening=widening, Study=studies)[SHOWN]


def file_header(path: Path) -> str:
    """The comment block a scenario file opens with (its rationale), as one paragraph per blank ``#`` line."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    return "\n\n".join(" ".join(p.split("\n")) for p in "\n".join(lines).split("\n\n") if p.strip())


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
