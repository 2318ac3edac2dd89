"""The validated scenario: patient, strategies (stages -> exposures -> phases) and model parameters.

Everything here is a frozen pydantic model built from the YAML files in ``scenarios/``; the
model reads it and never writes to it. Units are in the field names (``_min``, ``_ml``,
``_g_dl``, ``_kg``) or in the field descriptions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from .distributions import FROZEN
from .parameters import Parameters
from .patient import Patient
from .procedure import Strategy, strategy_event_keys

Confidence = Literal["read", "read-partial", "inferred", "unverified"]
Access = Literal["abstract", "full-text", "web", "case-report"]
Population = Literal["paediatric", "adult", "mixed"]


class Reference(BaseModel):
    """One entry of the evidence register (scenarios/references.yaml), keyed by its reference id."""

    model_config = FROZEN

    citation: str = Field(min_length=1)
    doi: str | None = None
    url: str | None = None
    note: str | None = None
    n: int | None = Field(
        description="Patients in the series (studies for a meta-analysis that gives no patient total); "
        "null when not applicable or not reported.",
        ge=1,
    )
    design: str = Field(min_length=1, description="Short design: case report, retrospective series, meta-analysis, ...")
    taken: str = Field(min_length=1, description="One sentence: what the model takes from the source.")
    confidence: Confidence = Field(
        description="Evidence flag of the figures taken (evidence.md): read, read-partial, inferred or unverified."
    )
    access: Access = Field(description="What was read: abstract, full-text, web (a web page or calculator) or case-report.")
    population: Population = Field(description="Who was studied: paediatric, adult or mixed.")


class Scenario(BaseModel):
    """A patient, the strategies to compare for them, and everything the model needs."""

    model_config = FROZEN

    patient: Patient
    strategies: tuple[Strategy, ...] = Field(min_length=1)
    parameters: Parameters
    references: dict[str, Reference]

    @model_validator(mode="after")
    def _cross_references(self):
        names = [s.name for s in self.strategies]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"strategy names must be unique; repeated: {', '.join(sorted(dup))}")
        events = set(self.parameters.events)
        for path, src in source_keys(self):
            if src not in self.references:
                raise ValueError(f"{path}: source '{src}' is not a key of references.yaml")
        for path, ev in _event_keys(self):
            if ev not in events:
                raise ValueError(f"{path}: event '{ev}' is not one of {', '.join(sorted(events))}")
        restage = self.parameters.staging.restage
        for s in self.strategies:
            for i, st in enumerate(s.stages if s.stop_and_stage else ()):
                for j, ex in enumerate(st.exposures):
                    if ex.approach not in restage:
                        raise ValueError(
                            f"strategies.{s.name}.stages[{i}].exposures[{j}].approach: '{ex.approach}' has no "
                            f"unplanned-break phases in parameters.staging.restage (known: {', '.join(restage)}); "
                            "a strategy with a stop-and-stage rule needs them for every approach"
                        )
        return self

    def strategy(self, name: str) -> Strategy:
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(f"unknown strategy '{name}'; known: {', '.join(s.name for s in self.strategies)}")

    @property
    def blood_volume_ml(self) -> float:
        """Estimated blood volume of the patient, mL: the patient's own mL/kg if given; else Nadler's
        formula for an adult with a known height; else mL/kg by age band."""
        pt = self.patient
        if pt.blood_volume_ml_per_kg is None and pt.height_cm is not None and not self.is_child:
            c = self.parameters.patient_factors.adult_blood_volume_l[pt.sex]
            litres = (c["per_height_m_cubed"].value * (pt.height_cm / 100.0) ** 3
                      + c["per_weight_kg"].value * pt.weight_kg + c["constant"].value)
            return 1000.0 * litres
        return pt.weight_kg * self._blood_volume_ml_per_kg_by_age

    @property
    def is_child(self) -> bool:
        """Whether the patient is young enough for the child baselines (and child wording)."""
        return self.patient.age_years < self.parameters.complications.child_below_age_years.value

    @property
    def red_cell_dose_ml(self) -> float:
        """Volume of one transfused unit for this patient, mL: the unit, or an aliquot of it."""
        tp = self.parameters.transfusion
        return min(tp.unit_volume_ml.value, tp.max_dose_ml_per_kg.value * self.patient.weight_kg)

    @property
    def blood_volume_method(self) -> str:
        """How the blood volume was estimated: 'given', 'Nadler' or 'by age'."""
        pt = self.patient
        if pt.blood_volume_ml_per_kg is not None:
            return "given"
        return "Nadler" if pt.height_cm is not None and not self.is_child else "by age"

    @property
    def blood_volume_ml_per_kg(self) -> float:
        """Estimated blood volume per kg of body weight, mL/kg."""
        return self.blood_volume_ml / self.patient.weight_kg

    @property
    def _blood_volume_ml_per_kg_by_age(self) -> float:
        if self.patient.blood_volume_ml_per_kg is not None:
            return self.patient.blood_volume_ml_per_kg
        for band in sorted(self.parameters.blood_volume_ml_per_kg, key=lambda b: b.max_age_years):
            if self.patient.age_years <= band.max_age_years:
                return band.value
        return max(self.parameters.blood_volume_ml_per_kg, key=lambda b: b.max_age_years).value

    def digest(self) -> str:
        """Short SHA-256 of the canonical JSON of the scenario: the provenance hash."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def source_keys(model: BaseModel) -> Iterator[tuple[str, str]]:
    """(path of the ``source`` field, key) for every number in ``model`` that names a source."""
    stack: list[tuple[str, object]] = [("", model.model_dump(exclude={"references"} if isinstance(model, Scenario) else None))]
    while stack:
        path, obj = stack.pop()
        if isinstance(obj, dict):
            if isinstance(obj.get("source"), str):
                yield (f"{path}.source" if path else "source"), obj["source"]
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in obj.items()]
        elif isinstance(obj, (list, tuple)):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(obj)]


def _event_keys(scenario: Scenario) -> Iterator[tuple[str, str]]:
    for s in scenario.strategies:
        for path, ev in strategy_event_keys(s):
            yield f"strategies.{s.name}.{path}", ev
    for k, ph in enumerate(scenario.parameters.staging.restage_phases):
        for m, er in enumerate(ph.events):
            yield f"parameters.staging.restage_phases[{k}].events[{m}].event", er.event
    mods = scenario.parameters.modifiers
    for name in type(mods).model_fields:  # every modifier, a new one included: no list of names to keep
        value = getattr(mods, name)
        for where, mod in value.items() if isinstance(value, dict) else [("", value)]:
            for ev in getattr(mod, "event_odds", {}):
                yield f"parameters.modifiers.{name}{'.' + where if where else ''}.event_odds", ev
    for name, ct in scenario.parameters.complications.types.items():
        for ev in ct.per_event:
            yield f"parameters.complications.types.{name}.per_event", ev
