"""Model-wide parameters (scenarios/parameters.yaml): transfusion, anaesthesia, staging,
latent patient factors, modifiers, events, complications, ICU, stay, PSA widening, worst cases,
oncology (``scenario.oncology``)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, field_validator, model_validator

from .distributions import FROZEN, Distribution, Number, Probability, Sourced, Value, within
from .oncology import Oncology
from .patient import Histology, Region
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


Covariate = Literal[
    "stage_hours_insult", "stage_blood_insult", "cumulative_operative_hours", "cumulative_blood_volumes",
    "revision_severity", "more_than_two_levels", "cord_level", "staged", "transfused", "massive_transfusion",
    "combined_approach", "chest_opened", "bilateral_chest_one_stage", "longest_prone_anaesthetic_hours",
]
"""Covariates of the complication log-odds (``simulation.model.outcomes.covariates`` defines each)."""

Period = Literal["early", "late"]
PERIODS: dict[str, str] = {"early": "in hospital or within 30 days", "late": "after discharge, within about 2 years"}


class ComplicationType(BaseModel):
    """A post-operative complication: baseline probability, odds ratios on the simulated course,
    and hazards over the days in bed between stages."""

    model_config = FROZEN

    label: str
    plain_label: str = Field(description="Words a family would use.")
    time_frame: str = Field(description="When the risk applies as the source defines it, e.g. 'within 30 days'.")
    period: Period = Field(description="early: in hospital or within 30 days; late: after discharge, up to about 2 years.")
    definition: str = Field(min_length=1, description="The published definition the baseline counts.")
    baseline: Probability = Field(description="Probability at the reference covariates (or the cohort average, see cohort).")
    baseline_child: Probability | None = Field(None, description="Baseline for a child, where child evidence exists.")
    cohort: str | None = Field(
        None, description="Key of complications.cohorts: the baseline is that cohort's average, and the reference "
        "log-odds subtract each covariate's cohort mean times its log odds ratio (no double counting)."
    )
    major_fraction: Value = Field(description="Share of these complications counted as major, 0-1.")
    odds_ratios: dict[Covariate, Value] = Field(default_factory=dict)
    per_event: dict[str, Value] = Field(default_factory=dict, description="Odds ratio per intra-operative event.")
    hazard_per_day_between_stages: Value | None = Field(
        None, description="Hazard per day in bed between stages, per day: P = 1 - (1 - p) exp(-h * days)."
    )


class StageInsult(BaseModel):
    """The physiological insult of one anaesthetic: ``min(max(0, x_s - threshold), max_excess) ** convexity``
    for each stage s, summed over stages (for x = operative hours and x = blood volumes lost in the stage):
    the convex curve is not extrapolated beyond the longest and bloodiest stages the evidence describes."""

    model_config = FROZEN

    threshold_hours: Value = Field(description="Operative hours of one stage below which it adds no insult, hours.")
    threshold_blood_volumes: Value = Field(description="Blood volumes lost in one stage below which it adds none.")
    convexity: Value = Field(description="Exponent k >= 1 of the per-stage excess (1 linear, 2 quadratic).")
    max_excess_hours: Value | None = Field(
        None, description="Excess operative hours of one stage beyond which the insult grows no further, hours."
    )
    max_excess_blood_volumes: Value | None = Field(
        None, description="Excess blood volumes lost in one stage beyond which the insult grows no further."
    )

    @model_validator(mode="after")
    def _convex(self):
        if self.convexity.value < 1:
            raise ValueError(f"convexity {self.convexity.value:g} must be at least 1 (a convex function of each stage)")
        return self


class RevisionSeverity(BaseModel):
    """One factor for previous surgery and scar (they are nearly collinear): the larger of the two scores."""

    model_config = FROZEN

    revision: Value = Field(description="Score of a revision (previous surgery at the site).")
    scar: dict[Literal["none", "mild", "moderate", "heavy"], Value] = Field(description="Score of each scar grade.")


class DeathChains(BaseModel):
    """Death within 2 months as independent chains: P(survive) is the product of surviving each."""

    model_config = FROZEN

    lethality_per_event: dict[str, Probability] = Field(
        default_factory=dict, description="Probability that one intra-operative event of this type kills."
    )
    lethality_per_major_complication: Probability = Field(
        description="Probability that one major early complication kills (failure to rescue)."
    )


class ComplicationModel(BaseModel):
    model_config = FROZEN

    reference_operative_hours: Value = Field(description="Total operative time at which the baselines apply, hours.")
    reference_blood_volumes: Value = Field(description="Total blood loss at which the baselines apply, blood volumes.")
    stage_insult: StageInsult
    revision_severity: RevisionSeverity
    cord_levels: tuple[str, ...] = Field(description="Levels where the resection is next to the spinal cord (not cauda equina).")
    cohorts: dict[str, dict[Covariate, Value]] = Field(
        default_factory=dict, description="Covariate means of the cohorts whose averages are used as baselines."
    )
    death_type: str = Field("death", description="The complication type whose probability combines the death chains.")
    death: DeathChains
    child_below_age_years: Value = Field(description="Patients younger than this use the child baselines, years.")
    child_early_odds_ratio: Value | None = Field(
        None, description="Odds ratio a child's early complication types take where they have no child baseline of their own."
    )
    types: dict[str, ComplicationType] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_keys(self):
        for key, ct in self.types.items():
            if ct.cohort is not None and ct.cohort not in self.cohorts:
                raise ValueError(f"types.{key}.cohort: '{ct.cohort}' is not a cohort; allowed: {', '.join(self.cohorts)}")
        if self.death_type not in self.types:
            raise ValueError(f"death_type: '{self.death_type}' is not a complication type; allowed: {', '.join(self.types)}")
        return self


class Modifier(BaseModel):
    """Multipliers a patient condition applies to the phases that scale with it."""

    model_config = FROZEN

    duration: Ratio | None = Field(None, description="Duration multiplier, 0.1 to 10 (at most tenfold).")
    bleeding: Ratio | None = Field(None, description="Bleeding-rate multiplier, 0.1 to 10 (at most tenfold).")
    event_odds: dict[str, Ratio] = Field(default_factory=dict, description="Odds ratio per event, 0.1 to 10.")


class Modifiers(BaseModel):
    model_config = FROZEN

    reference_levels: Value = Field(description="Levels the phase library durations are written for.")
    reference_blood_volume_ml: Value = Field(description="Estimated blood volume the phase library's bleeding rates are written for, mL.")
    per_doubling_blood_volume: Modifier = Field(
        description="Applied log2(blood volume / reference) times to the bleeding of every phase (body size).")
    per_extra_level: Modifier = Field(description="Applied once per level beyond the reference.")
    per_implant_level: Modifier = Field(description="Applied once per level of retained implants.")
    revision: Modifier
    scar: dict[Literal["mild", "moderate", "heavy"], Modifier]
    vessel_adhesion: Modifier
    psoas_extension: Modifier


class BloodVolumeBand(Value):
    max_age_years: Number = Field(gt=0)


class CellSalvage(Sourced):
    """Intra-operative cell salvage as a centre policy (its provenance is the policy's): shed blood is
    collected, processed in batches and its red cells returned."""

    enabled: bool = Field(description="Whether the centre salvages in tumour surgery.")
    recovery: Distribution = Field(description="Share of shed red cells returned (one draw per patient), 0-1.")
    min_collected_ml: Value = Field(description="Shed blood collected before the first batch is processed, mL.")
    processing_min: Value = Field(description="Time from a full reservoir to the return of the washed cells, minutes.")

    @model_validator(mode="after")
    def _sane(self):
        for name in ("min_collected_ml", "processing_min"):
            if getattr(self, name).value < 0:
                raise ValueError(f"{name} {getattr(self, name).value:g} must be 0 or more")
        return self


class Haemostasis(BaseModel):
    """Plasma, fibrinogen and platelets in massive haemorrhage, and dilutional coagulopathy.

    The coagulopathy proxy is the blood volumes lost in a stage not matched by plasma (or fibrinogen):
    ``(shed mL - plasma mL - fibrinogen cover mL) / EBV``.
    """

    model_config = FROZEN

    plasma_after_blood_volumes: Value = Field(description="Order plasma when the proxy reaches this, blood volumes.")
    plasma_dose_ml_per_kg: Value = Field(description="One plasma dose, mL/kg (issued as units of the red-cell dose volume).")
    plasma_to_red_cell_ratio: Value = Field(description="Plasma units per red-cell unit once the first plasma has arrived.")
    plasma_thaw_min: Value = Field(description="Order-to-bedside time of thawed plasma, minutes.")
    fibrinogen_after_blood_volumes: Value = Field(description="Give fibrinogen when the proxy reaches this, blood volumes.")
    fibrinogen_covers_blood_volumes: Value = Field(description="Dilution one fibrinogen dose makes good, blood volumes.")
    platelets_after_blood_volumes: Value = Field(description="A platelet dose per this many blood volumes lost in a stage.")
    coagulopathy_after_blood_volumes: Value = Field(description="Proxy above which bleeding is faster, blood volumes.")
    coagulopathy_bleeding_multiplier: Value = Field(description="Bleeding-rate multiplier while coagulopathic.")

    @model_validator(mode="after")
    def _positive(self):
        for name in type(self).model_fields:
            v = getattr(self, name).value
            if v < 0 or (name != "plasma_thaw_min" and v == 0):
                raise ValueError(f"{name} {v:g} must be positive")
        if self.coagulopathy_bleeding_multiplier.value < 1:
            raise ValueError(f"coagulopathy_bleeding_multiplier {self.coagulopathy_bleeding_multiplier.value:g} must be at least 1")
        return self


class TransfusionPolicy(BaseModel):
    """Red-cell transfusion by age group, anticipation in active haemorrhage, peri-operative loss and
    what the surgeon records."""

    model_config = FROZEN

    trigger_hb_g_dl: Value = Field(description="Children: transfuse when Hb falls to this, g/dL.")
    target_hb_g_dl: Value = Field(description="Children: order enough units to reach this, g/dL.")
    adult_trigger_hb_g_dl: Value = Field(description="Adults (haemorrhage context): transfuse when Hb falls to this, g/dL.")
    adult_target_hb_g_dl: Value = Field(description="Adults: order enough units to reach this, g/dL.")
    active_bleeding_ml_per_kg_h: Value = Field(
        description="Bleeding at or above this rate is active haemorrhage: blood is given ahead of the trigger, mL/kg/h."
    )
    anticipation_min: Value = Field(
        description="In active haemorrhage, transfuse when Hb would reach the trigger within this time, minutes."
    )
    pre_stage_hb_g_dl: Value = Field(description="Hb restored (iron, then red cells) before a further stage, g/dL.")
    iron_rise_g_dl_per_day: Value = Field(description="Hb recovery between stages with iron, g/dL per day.")
    postop_loss_fraction: Distribution = Field(
        description="Drain and hidden loss after a stage, as a multiple of the stage's intra-operative loss."
    )
    postop_loss_max_blood_volumes: Value = Field(description="Largest drain and hidden loss after one stage, blood volumes.")
    ebl_ratio: Distribution = Field(description="Recorded (estimated) blood loss / true intra-operative loss.")
    unit_volume_ml: Annotated[Value, within(1, 1000, "mL")] = Field(
        description="Volume of one red-cell unit, mL; 1 to 1000 (a unit holds 250-350 mL).")
    max_dose_ml_per_kg: Value = Field(
        description="Largest dose given as one unit, mL/kg: a small child gets an aliquot of the unit."
    )
    unit_haematocrit: Value = Field(description="Haematocrit of a red-cell unit, 0-1.")
    cell_salvage: CellSalvage
    haemostasis: Haemostasis
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
        for prefix in ("", "adult_"):
            trig, tgt = getattr(self, f"{prefix}trigger_hb_g_dl").value, getattr(self, f"{prefix}target_hb_g_dl").value
            if not 3 <= trig <= 15:
                raise ValueError(f"{prefix}trigger_hb_g_dl {trig} must lie between 3 and 15 g/dL")
            if tgt <= trig:
                raise ValueError(f"{prefix}target_hb_g_dl {tgt} must exceed {prefix}trigger_hb_g_dl {trig}")
        for name in ("active_bleeding_ml_per_kg_h", "anticipation_min", "iron_rise_g_dl_per_day"):
            if getattr(self, name).value < 0:
                raise ValueError(f"{name} {getattr(self, name).value:g} must be 0 or more")
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


class Restage(Sourced):
    """The phases an unplanned stage break adds for one approach (ids in ``staging.restage_phases``)."""

    close: str = Field(description="Closes this approach's wound when the stage stops in it.")
    prep: str = Field(description="Positions and preps for this approach when the next stage starts with it.")
    reopen: str = Field(description="Reopens this approach's wound when the next stage carries on in it.")


class Staging(BaseModel):
    model_config = FROZEN

    interval_days: Days = Field(description="Default days between stages; 99.9th percentile at most 365 (a year).")
    restage_phases: tuple[Phase, ...] = Field(
        description="The phases an unplanned stage break can add (closures, preps, reopenings)."
    )
    restage: dict[str, Restage] = Field(
        min_length=1,
        description="Approach -> its closure, prep and reopening: the break closes the wound of the phase it "
        "follows and preps (and, in the same wound, reopens) for the phase that follows.",
    )

    @model_validator(mode="after")
    def _known_phases(self):
        ids = [ph.id for ph in self.restage_phases]
        for approach, r in self.restage.items():
            for role in ("close", "prep", "reopen"):
                if getattr(r, role) not in ids:
                    raise ValueError(
                        f"restage.{approach}.{role}: '{getattr(r, role)}' is not in restage_phases ({', '.join(ids)})"
                    )
        return self


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
    extra_days_major: Value = Field(description="Extra days per major early complication.")
    extra_days_minor: Value = Field(description="Extra days per minor early complication.")
    ward_days_per_day_between_stages: Value = Field(
        description="Deconditioning: extra ward days after the last stage per day in bed between stages."
    )


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


VascularityClass = Literal["reference", "low", "moderate", "high"]
"""A tumour's vascularity class; 'reference' is the series average the phase library describes."""


def _require_keys(mapping: dict, keys, name: str) -> None:
    """Every key of the Literal ``keys`` present in ``mapping`` (the model looks each one up)."""
    missing = [k for k in get_args(keys) if k not in mapping]
    if missing:
        raise ValueError(f"{name}: give every key; missing: {', '.join(missing)}")


class HistologyClass(Sourced):
    """The usual vascularity of a tumour type."""

    vascularity: VascularityClass


BloodVolumeTerm = Literal["per_height_m_cubed", "per_weight_kg", "constant"]


class PatientFactors(BaseModel):
    """How the patient and tumour inputs scale the phases and the blood volume (the complication odds
    ratios are in ``ComplicationFactors``)."""

    model_config = FROZEN

    region: dict[Region, Modifier] = Field(description="Multipliers on the phases that scale with 'region'.")
    histology: dict[Histology, HistologyClass] = Field(description="Usual vascularity of each tumour type.")
    vascularity: dict[VascularityClass, Modifier] = Field(
        description="Multipliers on the phases that scale with 'vascularity', by vascularity class.")
    reference_tumour_volume_cm3: Value = Field(description="Tumour volume the phase library describes, cm3.")
    per_doubling_tumour_volume: Modifier = Field(
        description="Applied log2(volume / reference) times to the phases that scale with 'tumour_volume'.")
    adult_blood_volume_l: dict[Literal["female", "male"], dict[BloodVolumeTerm, Value]] = Field(
        description="Adult blood volume, litres = a * height(m)^3 + b * weight(kg) + c (Nadler), when the height is known.")
    anaemia_below_hb_g_dl: dict[Literal["female", "male"], tuple[BloodVolumeBand, ...]] = Field(
        description="Anaemia: baseline Hb below this, g/dL, by sex and age band (upper age, years).")
    bmi_reference: Value = Field(description="BMI above which wound infection rises per 5 kg/m2, kg/m2.")
    obesity_bmi: Value = Field(description="BMI from which a patient counts as obese, kg/m2.")
    recent_chemotherapy_weeks: Value = Field(description="Chemotherapy this close before surgery counts as recent, weeks.")

    @model_validator(mode="after")
    def _complete(self):
        _require_keys(self.region, Region, "region")
        _require_keys(self.histology, Histology, "histology")
        _require_keys(self.vascularity, VascularityClass, "vascularity")
        for sex in ("female", "male"):
            _require_keys(self.adult_blood_volume_l.get(sex, {}), BloodVolumeTerm, f"adult_blood_volume_l.{sex}")
            if not self.anaemia_below_hb_g_dl.get(sex):
                raise ValueError(f"anaemia_below_hb_g_dl.{sex}: give at least one age band")
        return self


class Embolisation(BaseModel):
    """Pre-operative embolisation: multipliers on the phases that scale with 'vascularity', by class."""

    model_config = FROZEN

    by_vascularity: dict[VascularityClass, Modifier] = Field(
        description="Effect when surgery follows within full_effect_within_hours, by vascularity class.")
    full_effect_within_hours: Value = Field(description="Surgery this soon after embolisation gets the full effect, hours.")
    late_fraction: Value = Field(description="Share of the (log) effect kept when surgery is later, 0-1.")
    stay_days: Value = Field(description="Hospital days the embolisation adds before surgery, days.")

    @model_validator(mode="after")
    def _sane(self):
        _require_keys(self.by_vascularity, VascularityClass, "by_vascularity")
        if not 0 <= self.late_fraction.value <= 1:
            raise ValueError(f"late_fraction {self.late_fraction.value:g} must lie between 0 and 1")
        if self.stay_days.value < 0:
            raise ValueError(f"stay_days {self.stay_days.value:g} must be 0 or more")
        return self


class PolicyEffects(BaseModel):
    """What each peri-operative policy a strategy may adopt does (``Strategy.policies`` switches them)."""

    model_config = FROZEN

    embolisation: Embolisation
    tranexamic_acid: Modifier = Field(description="Multipliers on every phase while tranexamic acid is given.")
    controlled_hypotension: Modifier = Field(description="Multipliers on every phase under controlled hypotension.")


FactorCovariate = Literal[
    "region_thoracolumbar", "region_lumbar", "bmi_per_5_above_reference", "obese", "frailty_mfi5", "asa_above_2",
    "anaemia", "prior_radiotherapy", "recent_chemotherapy", "embolised", "tranexamic_acid", "controlled_hypotension",
]
"""Covariates of patient factors and policies (``simulation.model.factors.covariates`` defines each)."""


class ComplicationFactors(BaseModel):
    """Odds ratios of patient factors and policies on complication types, beside ``complications.types``."""

    model_config = FROZEN

    cohorts: dict[str, dict[FactorCovariate, Value]] = Field(
        default_factory=dict, description="Covariate means of the baseline cohorts (complications.cohorts keys).")
    types: dict[str, dict[FactorCovariate, Value]] = Field(description="Complication type -> covariate -> odds ratio.")


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
    oncology: Oncology = Field(description="Margin by approach and anatomy (expert judgement), its consequences, "
                               "and days until fit for adjuvant therapy.")
    patient_factors: PatientFactors
    policies: PolicyEffects
    complication_factors: ComplicationFactors

    @model_validator(mode="after")
    def _known_wound_types(self):
        for key in self.oncology.adjuvant.wound_delay_days:
            if key not in self.complications.types:
                raise ValueError(f"oncology.adjuvant.wound_delay_days: '{key}' is not a complication type; "
                                 f"allowed: {', '.join(self.complications.types)}")
        return self

    @model_validator(mode="after")
    def _factor_keys(self):
        cf, cm = self.complication_factors, self.complications
        for key in cf.types:
            if key not in cm.types:
                raise ValueError(f"complication_factors.types.{key}: not a complication type; allowed: {', '.join(cm.types)}")
        for key in cf.cohorts:
            if key not in cm.cohorts:
                raise ValueError(f"complication_factors.cohorts.{key}: not a cohort; allowed: {', '.join(cm.cohorts)}")
        return self
