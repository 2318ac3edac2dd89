"""Model-wide parameters (scenarios/parameters.yaml): transfusion, anaesthesia, staging,
latent patient factors, modifiers, events, complications, ICU, stay, PSA widening, worst cases."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .distributions import FROZEN, Distribution, Number, Probability, Sourced, Value, within
from .procedure import Days, Minutes, Phase

# Schema limits (not model inputs): beyond them a number is a typing error, not a plan.
MAX_EVENT_LOSS_ML = 50_000.0  # about ten adult blood volumes lost in one repair
RATIO_RANGE = (0.1, 10.0)  # one patient condition's multiplier on a phase: at most tenfold either way
MAX_UNITS = 100.0  # red-cell units held or sent at once: more than a massive-transfusion pack holds many times over
Ratio = Annotated[Value, within(*RATIO_RANGE, "x")]
"""A multiplier of one patient condition: 0.1 to 10 (no effect in the evidence is near tenfold)."""


class EventType(BaseModel):
    model_config = FROZEN

    label: str
    repair_min: Minutes = Field(description="Extra operating time to repair, minutes; 99.9th percentile at most "
                                "1440 min (a day).")
    blood_loss_ml: Annotated[Distribution, within(0, MAX_EVENT_LOSS_ML, "mL")] = Field(
        description="Extra blood loss during the repair, mL; 99.9th percentile at most 50,000 mL (about ten adult "
        "blood volumes).")


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

    duration: Ratio | None = Field(None, description="Duration multiplier, 0.1 to 10 (at most tenfold).")
    bleeding: Ratio | None = Field(None, description="Bleeding-rate multiplier, 0.1 to 10 (at most tenfold).")
    event_odds: dict[str, Ratio] = Field(default_factory=dict, description="Odds ratio per event, 0.1 to 10.")


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
    max_age_years: Number = Field(gt=0)


class CellSalvage(Sourced):
    enabled: bool
    recovery_fraction: Number = Field(ge=0, le=1, description="Share of shed red cells returned, 0-1.")


class TransfusionPolicy(BaseModel):
    model_config = FROZEN

    trigger_hb_g_dl: Value = Field(description="Transfuse when Hb falls to this, g/dL.")
    target_hb_g_dl: Value = Field(description="Order enough units to reach this, g/dL.")
    unit_volume_ml: Annotated[Value, within(1, 1000, "mL")] = Field(
        description="Volume of one red-cell unit, mL; 1 to 1000 (a unit holds 250-350 mL).")
    max_dose_ml_per_kg: Value = Field(
        description="Largest dose given as one unit, mL/kg: a small child gets an aliquot of the unit."
    )
    unit_haematocrit: Value = Field(description="Haematocrit of a red-cell unit, 0-1.")
    cell_salvage: CellSalvage
    units_in_theatre: Annotated[Value, within(0, MAX_UNITS, "units")] = Field(
        description="Cross-matched units already in theatre (no delay); 0 to 100 units.")
    units_per_delivery: Annotated[Value, within(1, MAX_UNITS, "units")] = Field(
        description="Units the blood bank sends per order (a pack); 1 to 100 units.")
    reorder_level_units: Annotated[Value, within(0, MAX_UNITS, "units")] = Field(
        description="Order another pack when theatre stock falls below this; 0 to 100 units.")
    delivery_delay_min: Minutes = Field(description="Blood bank issue-to-theatre delay, minutes; 99.9th percentile "
                                        "at most 1440 min (a day).")
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

    induction_min: Minutes = Field(description="Induction, lines and monitoring per stage, minutes (at most a day).")
    emergence_min: Minutes = Field(description="Emergence and transfer per stage, minutes (at most a day).")
    turnover_min: Minutes = Field(description="Room set-up and clean-up per stage (OR time), minutes (at most a day).")


class Staging(BaseModel):
    model_config = FROZEN

    interval_days: Days = Field(description="Default days between stages; 99.9th percentile at most 365 (a year).")
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
    days_if_admitted: Days = Field(description="ICU days when admitted, days; 99.9th percentile at most 365.")


class HospitalStay(BaseModel):
    model_config = FROZEN

    ward_days: Days = Field(description="Days on the ward after the last stage (after ICU), days; at most 365.")
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
        from .records import RESULT_FIELDS

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
