"""The validated scenario: patient, strategies (stages -> exposures -> phases) and model parameters.

Everything here is a frozen pydantic model built from the YAML files in ``scenarios/``; the
model reads it and never writes to it. Units are in the field names (``_min``, ``_ml``,
``_g_dl``, ``_kg``) or in the field descriptions.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .distributions import Distribution, Probability, Sourced, Value

FROZEN = ConfigDict(frozen=True, extra="forbid")

_REGIONS = (("C", 7), ("T", 12), ("L", 5), ("S", 5))
VERTEBRAE = tuple(f"{r}{i}" for r, n in _REGIONS for i in range(1, n + 1))
_LEVEL_RE = re.compile(r"^\s*([CTLS]\d{1,2})\s*(?:[-–]\s*([CTLS]\d{1,2}))?\s*$")


def parse_levels(text: str) -> tuple[str, ...]:
    """``'L2-L4'`` -> ``('L2', 'L3', 'L4')``; a single label or a comma-separated list also works."""
    levels: list[str] = []
    for part in str(text).split(","):
        m = _LEVEL_RE.match(part)
        if not m or m.group(1) not in VERTEBRAE or (m.group(2) and m.group(2) not in VERTEBRAE):
            raise ValueError(f"'{part.strip()}' is not a vertebral level or range like 'L2-L4' (C1-C7, T1-T12, L1-L5, S1-S5)")
        lo, hi = VERTEBRAE.index(m.group(1)), VERTEBRAE.index(m.group(2) or m.group(1))
        if hi < lo:
            raise ValueError(f"range '{part.strip()}' runs backwards; write the upper level first")
        levels += VERTEBRAE[lo : hi + 1]
    return tuple(dict.fromkeys(levels))


MAX_LEVELS = 6
MAX_EVENT_PROBABILITY = 0.95
ScarSeverity = Literal["none", "mild", "moderate", "heavy"]


class Patient(BaseModel):
    """One patient: the inputs a tumour board would state."""

    model_config = FROZEN

    name: str = Field(min_length=1)
    description: str = ""
    age_years: float = Field(gt=0, le=110, description="Age, years.")
    sex: Literal["female", "male"]
    weight_kg: float = Field(ge=2, le=300, description="Body weight, kg.")
    baseline_hb_g_dl: float = Field(ge=5, le=20, description="Pre-operative haemoglobin, g/dL.")
    blood_volume_ml_per_kg: float | None = Field(
        None, ge=40, le=110, description="Estimated blood volume, mL/kg; default by age from the evidence table."
    )
    levels: str = Field(description="Vertebral levels resected, e.g. 'L2-L4'.")
    revision: bool = Field(description="Previous surgery at the site.")
    retained_implants: str | None = Field(None, description="Levels with implants to remove, e.g. 'L1-L5'.")
    scar_severity: ScarSeverity = "none"
    great_vessel_adhesion: bool = False
    psoas_extension: bool = Field(False, description="Soft-tissue (psoas) extension of the tumour.")
    asa_class: int = Field(
        2, ge=1, le=5, description="ASA physical status; recorded for reports, not used by the risk models "
        "(no en bloc effect size was found)."
    )
    source: str | None = Field(None, description="Reference key for the case, if it is a published case.")
    assumptions: dict[str, str] = Field(default_factory=dict, description="Field -> why this value was assumed.")

    @field_validator("levels", "retained_implants")
    @classmethod
    def _valid_levels(cls, v, info):
        if v is not None:
            n = len(parse_levels(v))
            if info.field_name == "levels" and n > MAX_LEVELS:
                raise ValueError(
                    f"{n} levels is outside the model's range (at most {MAX_LEVELS}; published en bloc series go up to 5)"
                )
        return v

    @property
    def level_list(self) -> tuple[str, ...]:
        return parse_levels(self.levels)

    @property
    def implant_levels(self) -> tuple[str, ...]:
        return parse_levels(self.retained_implants) if self.retained_implants else ()


ModifierFamily = Literal["revision", "scar", "vessel_adhesion", "psoas_extension", "levels", "implants"]


class EventRisk(BaseModel):
    """An intra-operative event a phase can cause, with its probability per phase.

    Counts are Poisson with mean -ln(1 - p), so p is the chance of at least one event.
    """

    model_config = FROZEN

    event: str = Field(description="Key into parameters.events.")
    probability: Probability

    @model_validator(mode="after")
    def _not_certain(self):
        if self.probability.value > MAX_EVENT_PROBABILITY:
            raise ValueError(
                f"probability {self.probability.value:g} of {self.event} in one phase is above "
                f"{MAX_EVENT_PROBABILITY} (the model counts events as Poisson with mean -ln(1 - p))"
            )
        return self


class Phase(BaseModel):
    """One step of an exposure: how long it takes, how fast it bleeds, what can go wrong."""

    model_config = FROZEN

    id: str
    label: str
    duration_min: Distribution = Field(description="Duration for the reference patient, minutes.")
    bleeding_ml_per_min: Distribution = Field(description="Blood loss rate for the reference patient, mL/min.")
    events: tuple[EventRisk, ...] = ()
    scales_with: tuple[ModifierFamily, ...] = Field((), description="Patient modifiers that apply to this phase.")
    requires: Literal["implants"] | None = Field(None, description="Skip the phase unless the patient has this.")
    before_incision: bool = Field(False, description="Positioning and prep: anaesthesia time, not operative time.")
    stage_break_allowed: bool = Field(True, description="The stop-and-stage rule may stop after this phase.")


class Exposure(BaseModel):
    model_config = FROZEN

    approach: str = Field(description="e.g. posterior_midline, left_thoracoabdominal.")
    label: str
    position: str = Field(description="Patient position, e.g. prone, right lateral decubitus.")
    phases: tuple[Phase, ...] = Field(min_length=1)


class Stage(BaseModel):
    """One anaesthetic."""

    model_config = FROZEN

    label: str
    exposures: tuple[Exposure, ...] = Field(min_length=1)


class StagingRule(Sourced):
    """Stop and stage when blood loss or stage time passes a limit; the rest moves to a new stage."""

    max_blood_volumes: float | None = Field(None, gt=0, description="Blood loss limit, estimated blood volumes.")
    max_hours: float | None = Field(None, gt=0, description="Operative time limit for one stage, hours.")

    @model_validator(mode="after")
    def _some_limit(self):
        if self.max_blood_volumes is None and self.max_hours is None:
            raise ValueError("give max_blood_volumes, max_hours or both")
        return self


class Strategy(BaseModel):
    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str
    description: str = ""
    stages: tuple[Stage, ...] = Field(min_length=1)
    interval_days: Distribution | None = Field(None, description="Days between stages; default from parameters.")
    stop_and_stage: StagingRule | None = None


class EventType(BaseModel):
    model_config = FROZEN

    label: str
    repair_min: Distribution = Field(description="Extra operating time to repair, minutes.")
    blood_loss_ml: Distribution = Field(description="Extra blood loss during the repair, mL.")


class ComplicationType(BaseModel):
    """A post-operative complication: baseline probability and odds ratios on the simulated course."""

    model_config = FROZEN

    label: str
    plain_label: str = Field(description="Words a family would use.")
    time_frame: str = Field(description="When the risk applies, e.g. 'in hospital'.")
    baseline: Probability = Field(description="Probability at the reference covariates.")
    baseline_child: Probability | None = Field(None, description="Baseline for a child, where it differs.")
    major_fraction: Value = Field(description="Share of these complications counted as major, 0-1.")
    odds_ratios: dict[
        Literal[
            "per_operative_hour", "revision", "more_than_two_levels", "per_extra_stage",
            "transfused", "massive_transfusion", "per_blood_volume_lost",
        ],
        Value,
    ] = Field(default_factory=dict)
    per_event: dict[str, Value] = Field(default_factory=dict, description="Odds ratio per intra-operative event.")


class ComplicationModel(BaseModel):
    model_config = FROZEN

    reference_operative_hours: Value = Field(description="Operative time at which the baselines apply, hours.")
    reference_blood_volumes: Value = Field(description="Blood loss at which the baselines apply, blood volumes.")
    child_below_age_years: Value = Field(description="Patients younger than this use the child baselines, years.")
    types: dict[str, ComplicationType] = Field(min_length=1)


class Modifier(BaseModel):
    """Multipliers a patient condition applies to the phases that scale with it."""

    model_config = FROZEN

    duration: Value | None = None
    bleeding: Value | None = None
    event_odds: dict[str, Value] = Field(default_factory=dict)


class Modifiers(BaseModel):
    model_config = FROZEN

    reference_levels: Value = Field(description="Levels the phase library durations are written for.")
    per_extra_level: Modifier = Field(description="Applied once per level beyond the reference.")
    per_implant_level: Modifier = Field(description="Applied once per level of retained implants.")
    revision: Modifier
    scar: dict[Literal["mild", "moderate", "heavy"], Modifier]
    vessel_adhesion: Modifier
    psoas_extension: Modifier


class BloodVolumeBand(Value):
    max_age_years: float = Field(gt=0)


class CellSalvage(Sourced):
    enabled: bool
    recovery_fraction: float = Field(ge=0, le=1, description="Share of shed red cells returned, 0-1.")


class TransfusionPolicy(BaseModel):
    model_config = FROZEN

    trigger_hb_g_dl: Value = Field(description="Transfuse when Hb falls to this, g/dL.")
    target_hb_g_dl: Value = Field(description="Order enough units to reach this, g/dL.")
    unit_volume_ml: Value = Field(description="Volume of one red-cell unit, mL.")
    max_dose_ml_per_kg: Value = Field(
        description="Largest dose given as one unit, mL/kg: a small child gets an aliquot of the unit."
    )
    unit_haematocrit: Value = Field(description="Haematocrit of a red-cell unit, 0-1.")
    cell_salvage: CellSalvage
    units_in_theatre: Value = Field(description="Cross-matched units already in theatre (no delay).")
    units_per_delivery: Value = Field(description="Units the blood bank sends per order (a pack).")
    reorder_level_units: Value = Field(description="Order another pack when theatre stock falls below this.")
    delivery_delay_min: Distribution = Field(description="Blood bank issue-to-theatre delay, minutes.")
    massive_transfusion_ml_per_kg: Value = Field(description="Massive transfusion threshold, mL/kg of red cells.")

    @model_validator(mode="after")
    def _sane(self):
        trig, tgt = self.trigger_hb_g_dl.value, self.target_hb_g_dl.value
        if not 3 <= trig <= 15:
            raise ValueError(f"trigger_hb_g_dl {trig} must lie between 3 and 15 g/dL")
        if tgt <= trig:
            raise ValueError(f"target_hb_g_dl {tgt} must exceed trigger_hb_g_dl {trig}")
        if not 0 < self.unit_haematocrit.value < 1:
            raise ValueError(f"unit_haematocrit {self.unit_haematocrit.value} must lie between 0 and 1")
        for name in ("unit_volume_ml", "max_dose_ml_per_kg"):
            if getattr(self, name).value <= 0:
                raise ValueError(f"{name} {getattr(self, name).value} must be positive")
        if self.units_per_delivery.value < 1:
            raise ValueError(f"units_per_delivery {self.units_per_delivery.value} must be at least 1")
        for name in ("units_in_theatre", "units_per_delivery", "reorder_level_units"):
            v = getattr(self, name).value
            if v < 0 or v != int(v):
                raise ValueError(f"{name} {v} must be a whole number of units, 0 or more")
        return self


class Anaesthesia(BaseModel):
    model_config = FROZEN

    induction_min: Distribution = Field(description="Induction, lines and monitoring per stage, minutes.")
    emergence_min: Distribution = Field(description="Emergence and transfer per stage, minutes.")
    turnover_min: Distribution = Field(description="Room set-up and clean-up per stage (OR time), minutes.")


class Staging(BaseModel):
    model_config = FROZEN

    interval_days: Distribution = Field(description="Default days between stages.")
    restage_phases: tuple[Phase, ...] = Field(
        description="Phases added when the stop-and-stage rule fires: close now, prep and reopen next time."
    )


class Latent(BaseModel):
    """Share of between-patient variance that one patient factor carries across phases (0-1)."""

    model_config = FROZEN

    duration: Value
    bleeding: Value
    events: Value
    complications: Value
    recovery: Value

    @model_validator(mode="after")
    def _shares(self):
        for name in type(self).model_fields:
            share = getattr(self, name).value
            if not 0 <= share <= 1:
                raise ValueError(f"{name}: share {share:g} must be between 0 (independent) and 1 (identical)")
        return self


class IntensiveCare(BaseModel):
    model_config = FROZEN

    admission: Probability = Field(description="Probability of ICU admission after a stage at reference blood loss.")
    odds_ratios: dict[Literal["per_blood_volume_lost", "massive_transfusion", "major_complication"], Value]
    days_if_admitted: Distribution = Field(description="ICU days when admitted, days.")


class HospitalStay(BaseModel):
    model_config = FROZEN

    ward_days: Distribution = Field(description="Days on the ward after the last stage (after ICU), days.")
    extra_days_major: Value = Field(description="Extra days per major complication.")
    extra_days_minor: Value = Field(description="Extra days per minor complication.")


class Widening(BaseModel):
    """How much wider the parameter uncertainty of a labelled number is in probabilistic sensitivity analysis.

    One factor per label (``simulation.evidence.LABELS``); the factors of all labels that apply
    to a number multiply. A ratio's log-SD is multiplied by the product; an events/n proportion
    keeps its point value while its effective sample size is divided by the product squared.
    """

    model_config = FROZEN

    assumption: Value = Field(description="A number the team assumed (no source).")
    inferred: Value = Field(description="A number derived from its source by arithmetic (evidence flag I).")
    abstract_only: Value = Field(description="A number read in an abstract only (label abstract-only).")
    adult_to_child: Value = Field(description="An adult figure applied to a child (label adult-to-child).")

    @model_validator(mode="after")
    def _at_least_one(self):
        for name in type(self).model_fields:
            factor = getattr(self, name).value
            if factor < 1:
                raise ValueError(f"{name} factor {factor:g} must be at least 1 (a label never narrows the uncertainty)")
        return self


class WorstCase(BaseModel):
    """A "how often" question the views ask of every plan: P(``column`` > ``above``)."""

    model_config = FROZEN

    column: str = Field(description="A record column (simulation.RESULT_FIELDS).")
    text: str = Field(min_length=1, description="The question as shown, e.g. 'ICU stay > 2 days'.")
    above: Value = Field(description="Threshold in the column's unit.")

    @field_validator("column")
    @classmethod
    def _known_column(cls, v):
        from .outcomes import RESULT_FIELDS  # here, not at the top: outcomes imports this module

        if v not in RESULT_FIELDS:
            raise ValueError(f"'{v}' is not a record column; allowed: {', '.join(RESULT_FIELDS)}")
        return v


class Parameters(BaseModel):
    """Model-wide parameters (scenarios/parameters.yaml)."""

    model_config = FROZEN

    blood_volume_ml_per_kg: tuple[BloodVolumeBand, ...] = Field(min_length=1)
    transfusion: TransfusionPolicy
    anaesthesia: Anaesthesia
    staging: Staging
    latent: Latent
    modifiers: Modifiers
    events: dict[str, EventType]
    complications: ComplicationModel
    icu: IntensiveCare
    stay: HospitalStay
    widening: Widening = Field(description="Wider parameter uncertainty for labelled numbers (PSA).")
    worst_cases: tuple[WorstCase, ...] = Field(description="The 'how often' questions the views ask of every plan.")


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
        return self

    def strategy(self, name: str) -> Strategy:
        for s in self.strategies:
            if s.name == name:
                return s
        raise KeyError(f"unknown strategy '{name}'; known: {', '.join(s.name for s in self.strategies)}")

    @property
    def blood_volume_ml(self) -> float:
        """Estimated blood volume of the patient, mL."""
        return self.patient.weight_kg * self.blood_volume_ml_per_kg

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
    def blood_volume_ml_per_kg(self) -> float:
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


def strategy_event_keys(strategy: Strategy) -> Iterator[tuple[str, str]]:
    """(path of the ``event`` field, key) for every event the strategy's phases can cause."""
    for i, st in enumerate(strategy.stages):
        for j, ex in enumerate(st.exposures):
            for k, ph in enumerate(ex.phases):
                for m, risk in enumerate(ph.events):
                    yield f"stages[{i}].exposures[{j}].phases[{k}].events[{m}].event", risk.event


def _event_keys(scenario: Scenario) -> Iterator[tuple[str, str]]:
    for s in scenario.strategies:
        for path, ev in strategy_event_keys(s):
            yield f"strategies.{s.name}.{path}", ev
    for k, ph in enumerate(scenario.parameters.staging.restage_phases):
        for m, er in enumerate(ph.events):
            yield f"parameters.staging.restage_phases[{k}].events[{m}].event", er.event
    mods = scenario.parameters.modifiers
    for name in ("per_extra_level", "per_implant_level", "revision", "vessel_adhesion", "psoas_extension"):
        for ev in getattr(mods, name).event_odds:
            yield f"parameters.modifiers.{name}.event_odds", ev
    for sev, mod in mods.scar.items():
        for ev in mod.event_odds:
            yield f"parameters.modifiers.scar.{sev}.event_odds", ev
    for name, ct in scenario.parameters.complications.types.items():
        for ev in ct.per_event:
            yield f"parameters.complications.types.{name}.per_event", ev
