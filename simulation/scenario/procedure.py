"""The procedure tree of a strategy: stages -> exposures -> phases, their intra-operative
event risks and the stop-and-stage rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .distributions import FROZEN, Count, Distribution, Number, Probability, Sourced, within

MAX_EVENT_PROBABILITY = 0.95
# Anaesthetics one simulated patient can have: planned stages, plus one if a stop-and-stage rule may
# add one. The model reserves random draws per stage for this many (model.sampling).
MAX_STAGES = 6
# Schema limits (not model inputs): numbers beyond them are typing errors, not patients. Every
# duration is also finite, so a phase always ends.
MAX_PHASE_MIN = 1440.0  # one phase, repair or anaesthetic step: a day
MAX_BLEEDING_ML_PER_MIN = 1000.0  # an average rate over a phase; faster is exsanguination
MAX_STAGE_HOURS = 72.0  # stop-rule limits: far above any simulated stage (seed case: up to 29 h, 12 volumes)
MAX_BLOOD_VOLUMES = 50.0
MAX_DAYS = 365.0  # days between stages, in ICU or on the ward: a year

Minutes = Annotated[Distribution, within(0, MAX_PHASE_MIN, "min")]
"""A duration of one step (minutes): 99.9th percentile at most 1440 min (24 h: no step lasts a day)."""
Days = Annotated[Distribution, within(0, MAX_DAYS, "days")]
"""A stay or interval (days): 99.9th percentile at most 365 days (a year)."""


ModifierFamily = Literal[
    "revision", "scar", "vessel_adhesion", "psoas_extension", "levels", "implants", "region", "vascularity",
    "tumour_volume",
]
LabelCondition = Literal["revision", "scar", "vessel_adhesion", "psoas_extension"]


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
    duration_min: Minutes = Field(
        description="Duration for the reference patient, minutes; its 99.9th percentile at most 1440 min "
        "(24 h: no step of an operation lasts a day).")
    bleeding_ml_per_min: Annotated[Distribution, within(0, MAX_BLEEDING_ML_PER_MIN, "mL/min")] = Field(
        description="Blood loss rate for the reference patient, mL/min; its 99.9th percentile at most 1000 mL/min "
        "(an adult's whole blood volume in five minutes, averaged over a phase, is beyond surgery).")
    events: tuple[EventRisk, ...] = ()
    scales_with: tuple[ModifierFamily, ...] = Field((), description="Patient modifiers that apply to this phase.")
    requires: Literal["implants"] | None = Field(None, description="Skip the phase unless the patient has this.")
    before_incision: bool = Field(False, description="Positioning and prep: anaesthesia time, not operative time.")
    stage_break_allowed: bool = Field(
        False,
        description="The spine and the field are in a state a stage may end in after this phase (a natural "
        "break: posterior release with rods locked; anterior release before the first destabilising cut). "
        "Never between en bloc removal and reconstruction, never with the great vessels dissected and the "
        "column unreconstructed.",
    )
    repositions: bool = Field(
        False, description="A repositioning within one anaesthetic; an unplanned stage break replaces it by a new prep."
    )
    alert: Probability | None = Field(
        None, description="Probability of an intra-operative alert (e.g. a neuromonitoring change) in this phase."
    )
    label_when: dict[LabelCondition, str] = Field(
        default_factory=dict, description="Label for a patient with this condition, e.g. {psoas_extension: "
        "'En bloc removal with the psoas'}; the first condition the patient has wins.")


class Exposure(BaseModel):
    model_config = FROZEN

    approach: str = Field(description="e.g. posterior_midline, left_thoracoabdominal.")
    label: str
    position: str = Field(description="Patient position, e.g. prone, right lateral decubitus.")
    phases: tuple[Phase, ...] = Field(min_length=1)
    label_when: dict[LabelCondition, str] = Field(
        default_factory=dict, description="Label for a patient with this condition, e.g. {revision: "
        "'Left thoracoabdominal (revision)'}; the first condition the patient has wins.")


class Stage(BaseModel):
    """One anaesthetic."""

    model_config = FROZEN

    label: str
    exposures: tuple[Exposure, ...] = Field(min_length=1)


class StagingRule(Sourced):
    """Stop and stage when a clinical trigger fires: the stage ends at the next safe break point
    (``Phase.stage_break_allowed``) and the rest of the plan moves to a new stage."""

    max_blood_volumes: Number | None = Field(
        None, gt=0, le=MAX_BLOOD_VOLUMES, description="Blood loss limit, estimated blood volumes; at most 50 "
        "(far above any simulated stage: a higher limit would stop nothing).")
    max_hours: Number | None = Field(
        None, gt=0, le=MAX_STAGE_HOURS, description="Operative time limit for one stage, hours; at most 72 "
        "(far above any simulated stage: a higher limit would stop nothing).")
    max_blood_volumes_without_plasma: Number | None = Field(
        None, gt=0, le=MAX_BLOOD_VOLUMES, description="Coagulopathy proxy: blood volumes lost in the stage not "
        "matched by plasma; at most 50.")
    on_alert: bool = Field(False, description="Stop at the next safe point after an intra-operative alert.")

    @model_validator(mode="after")
    def _some_limit(self):
        limits = (self.max_blood_volumes, self.max_hours, self.max_blood_volumes_without_plasma)
        if all(v is None for v in limits) and not self.on_alert:
            raise ValueError("give max_blood_volumes, max_hours, max_blood_volumes_without_plasma or on_alert: true")
        return self


Condition = Literal["great_vessel_adhesion", "psoas_extension", "revision", "heavy_scar", "more_than_two_levels"]


class Contraindication(BaseModel):
    """A patient condition under which the plan is not offered in practice (the run still works, for research)."""

    model_config = FROZEN

    when: Condition = Field(description="The patient condition that makes the plan unsuitable.")
    reason: str = Field(min_length=1, description="One sentence a tumour board would give.")


ApproachClass = Literal["posterior_only", "combined", "anterior_only"]
"""How a plan reaches the tumour, for the margin judgement (``scenario.oncology``)."""


def derived_approach_class(stages) -> ApproachClass:
    """From the exposures: posterior only, anterior only, or both (combined)."""
    posterior = [ex.approach.startswith("posterior") for st in stages for ex in st.exposures]
    return "combined" if any(posterior) and not all(posterior) else "posterior_only" if all(posterior) else "anterior_only"


class Policies(BaseModel):
    """Peri-operative policies of a plan (their effects and risks: parameters.policies and
    parameters.complication_factors); blood stock left unset keeps the centre's (parameters.transfusion)."""

    model_config = FROZEN

    embolisation: bool = Field(False, description="Pre-operative embolisation of the tumour's feeding vessels.")
    embolisation_hours_before_surgery: Number = Field(
        24, ge=0, le=720, description="Hours from embolisation to surgery (0-720); within 24 h the full effect.")
    tranexamic_acid: bool = Field(False, description="Intravenous tranexamic acid through the operation.")
    controlled_hypotension: bool = Field(False, description="Controlled (deliberate) hypotension while bleeding.")
    cell_salvage: bool | None = Field(
        None, description="Intra-operative cell salvage with a leucocyte-depletion filter; unset: the centre's policy.")
    units_in_theatre: Count | None = Field(
        None, ge=0, le=100, description="Cross-matched red-cell units in theatre at the start (0-100); unset: the centre's.")
    units_per_delivery: Count | None = Field(
        None, ge=1, le=100, description="Units per blood-bank delivery, the massive-haemorrhage pack (1-100); "
        "unset: the centre's.")


class Strategy(BaseModel):
    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    label: str
    description: str = ""
    family_label: str | None = Field(None, description="The plan's name for families, e.g. 'Two operations'.")
    family_description: str | None = Field(None, description="The plan in plain words (about grade 6-8) for families.")
    stages: tuple[Stage, ...] = Field(min_length=1, max_length=MAX_STAGES)
    interval_days: Days | None = Field(
        None, description="Days between stages; default from parameters; 99.9th percentile at most 365 (a year).")
    stop_and_stage: StagingRule | None = None
    policies: Policies = Field(default_factory=Policies, description="Peri-operative policies of this plan.")
    contraindications: tuple[Contraindication, ...] = Field(
        (), description="Patient conditions under which this plan is not offered (flagged, still simulated)."
    )
    approach_class: ApproachClass | None = Field(
        None, description="posterior_only, combined or anterior_only, for the margin judgement; default from the "
        "exposures (any posterior and any other exposure: combined).")

    @field_validator("stop_and_stage")
    @classmethod
    def _room_for_one_more_stage(cls, rule, info):
        planned = len(info.data.get("stages") or ())
        if rule is not None and planned + 1 > MAX_STAGES:
            raise ValueError(
                f"a stop-and-stage rule may add a stage, and the model simulates at most {MAX_STAGES}: "
                f"a strategy with a rule plans at most {MAX_STAGES - 1} stages (it plans {planned})"
            )
        return rule


def margin_approach(strategy: Strategy) -> ApproachClass:
    """The strategy's approach class for the margin: as declared, else derived from its exposures."""
    return strategy.approach_class or derived_approach_class(strategy.stages)


def strategy_event_keys(strategy: Strategy) -> Iterator[tuple[str, str]]:
    """(path of the ``event`` field, key) for every event the strategy's phases can cause."""
    for i, st in enumerate(strategy.stages):
        for j, ex in enumerate(st.exposures):
            for k, ph in enumerate(ex.phases):
                for m, risk in enumerate(ph.events):
                    yield f"stages[{i}].exposures[{j}].phases[{k}].events[{m}].event", risk.event
