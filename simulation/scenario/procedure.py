"""The procedure tree of a strategy: stages -> exposures -> phases, their intra-operative
event risks and the stop-and-stage rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .distributions import FROZEN, Distribution, Probability, Sourced

MAX_EVENT_PROBABILITY = 0.95
# Anaesthetics one simulated patient can have: planned stages, plus one if a stop-and-stage rule may
# add one. The model reserves random draws per stage for this many (model.sampling).
MAX_STAGES = 6


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
    family_label: str | None = Field(None, description="The plan's name for families, e.g. 'Two operations'.")
    family_description: str | None = Field(None, description="The plan in plain words (about grade 6-8) for families.")
    stages: tuple[Stage, ...] = Field(min_length=1, max_length=MAX_STAGES)
    interval_days: Distribution | None = Field(None, description="Days between stages; default from parameters.")
    stop_and_stage: StagingRule | None = None

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


def strategy_event_keys(strategy: Strategy) -> Iterator[tuple[str, str]]:
    """(path of the ``event`` field, key) for every event the strategy's phases can cause."""
    for i, st in enumerate(strategy.stages):
        for j, ex in enumerate(st.exposures):
            for k, ph in enumerate(ex.phases):
                for m, risk in enumerate(ph.events):
                    yield f"stages[{i}].exposures[{j}].phases[{k}].events[{m}].event", risk.event
