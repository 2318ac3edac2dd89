"""The patient: the inputs a tumour board would state, and vertebral levels."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from . import plausibility
from .distributions import FROZEN, Count, Number

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
ScarSeverity = Literal["none", "mild", "moderate", "heavy"]


class Patient(BaseModel):
    """One patient: the inputs a tumour board would state."""

    model_config = FROZEN

    name: str = Field(min_length=1)
    description: str = ""
    family_label: str | None = Field(None, description="How the family reads who this is, e.g. 'A 9-year-old girl'.")
    family_description: str | None = Field(
        None, description="The patient in plain words (about grade 6-8 reading level) for the family handout."
    )
    age_years: Number = Field(gt=0, le=110, description="Age, years.")
    sex: Literal["female", "male"]
    weight_kg: Number = Field(ge=2, le=300, description="Body weight, kg.")
    baseline_hb_g_dl: Number = Field(ge=5, le=20, description="Pre-operative haemoglobin, g/dL.")
    blood_volume_ml_per_kg: Number | None = Field(
        None, ge=40, le=110, description="Estimated blood volume, mL/kg; default by age from the evidence table."
    )
    levels: str = Field(description="Vertebral levels resected, e.g. 'L2-L4'.")
    revision: bool = Field(description="Previous surgery at the site.")
    retained_implants: str | None = Field(None, description="Levels with implants to remove, e.g. 'L1-L5'.")
    scar_severity: ScarSeverity = "none"
    great_vessel_adhesion: bool = False
    psoas_extension: bool = Field(False, description="Soft-tissue (psoas) extension of the tumour.")
    roots_sacrificed: Literal["none", "one side", "both sides"] = Field(
        "none", description="Nerve roots at the resected levels cut on purpose (the planned deficit)."
    )
    asa_class: Count = Field(
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

    @model_validator(mode="after")
    def _plausible(self):
        """Weight for age, one block of levels, implants near it (``plausibility`` gives the rules)."""
        problems = [plausibility.weight_error(self.age_years, self.weight_kg)]
        problems += plausibility.level_errors(self.level_list, self.implant_levels, VERTEBRAE)
        problems = [p for p in problems if p]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def warnings(self) -> list[tuple[str, str]]:
        """(field, message) for possible but extreme inputs: printed, never refused."""
        return plausibility.warnings(self.age_years, self.weight_kg, self.level_list)

    @property
    def level_list(self) -> tuple[str, ...]:
        return parse_levels(self.levels)

    @property
    def implant_levels(self) -> tuple[str, ...]:
        return parse_levels(self.retained_implants) if self.retained_implants else ()
