"""The patient: the inputs a tumour board would state, and vertebral levels."""

from __future__ import annotations

import re
from typing import Literal, get_args

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
Region = Literal["cervical", "thoracic", "thoracolumbar", "lumbar", "lower_lumbar", "sacral"]
REGIONS: tuple[str, ...] = get_args(Region)
# Anatomical definition (not an effect size): the region of each vertebral level. The thoracolumbar
# junction is T11-L2 and the lower lumbar spine L4-L5 (iliac vessels and their bifurcation in front).
_REGION_OF = {
    **{f"C{i}": "cervical" for i in range(1, 8)},
    **{f"T{i}": "thoracic" for i in range(1, 11)},
    "T11": "thoracolumbar", "T12": "thoracolumbar", "L1": "thoracolumbar", "L2": "thoracolumbar",
    "L3": "lumbar", "L4": "lower_lumbar", "L5": "lower_lumbar",
    **{f"S{i}": "sacral" for i in range(1, 6)},
}
Histology = Literal[
    "unspecified", "renal_cell", "thyroid", "hepatocellular", "myeloma", "chordoma", "chondrosarcoma",
    "osteosarcoma", "ewing_sarcoma", "giant_cell", "breast", "lung", "prostate", "other",
]
Vascularity = Literal["low", "moderate", "high"]


def region_of(levels: tuple[str, ...]) -> str:
    """The region of a block of levels: that of its middle level (the lower of two middles)."""
    return _REGION_OF[levels[len(levels) // 2]]


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
        2, ge=1, le=5, description="ASA physical status, 1-5; adults: each class above 2 raises the odds of "
        "death and respiratory complications (parameters.complication_factors; an assumption, no en bloc figure)."
    )
    height_cm: Number | None = Field(
        None, ge=40, le=230, description="Height, cm (40-230). Gives the BMI (wound infection, blood clots, "
        "visual loss) and, in adults, the blood volume by Nadler's formula; unknown: no BMI effect, blood "
        "volume by age.")
    histology: Histology = Field(
        "unspecified", description="Tumour type. Renal cell, thyroid, hepatocellular and myeloma are "
        "hypervascular and bleed more in the bone and tumour phases; unspecified: the reference.")
    vascularity_grade: Vascularity | None = Field(
        None, description="Angiographic vascularity (low, moderate, high), if an angiogram was done; it "
        "replaces the tumour type's usual vascularity.")
    tumour_volume_cm3: Number | None = Field(
        None, ge=5, le=1000, description="Tumour volume including soft-tissue extension, cm3 (5-1000; one "
        "adult lumbar vertebral body is about 40 cm3). Bleeding and time of the tumour phases grow with it; "
        "unknown: the reference.")
    frailty_mfi5: Count | None = Field(
        None, ge=0, le=5, description="Modified 5-item frailty index, 0-5 points (diabetes, hypertension on "
        "treatment, COPD or pneumonia, heart failure, dependent functional status); adults only; unknown: "
        "the reference (no effect).")
    prior_radiotherapy: bool = Field(False, description="Radiotherapy to the operative field before surgery (wound complications).")
    chemotherapy_weeks_before_surgery: Number | None = Field(
        None, ge=0, le=104, description="Weeks from the last chemotherapy dose to surgery (0-104); within 3 "
        "weeks raises wound complications; none or unknown: no effect.")
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
        problems.append(plausibility.bmi_error(self.weight_kg, self.height_cm, self.bmi))
        problems = [p for p in problems if p]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def warnings(self) -> list[tuple[str, str]]:
        """(field, message) for possible but extreme inputs: printed, never refused."""
        return plausibility.warnings(self.age_years, self.weight_kg, self.level_list)

    @property
    def region(self) -> str:
        """cervical, thoracic, thoracolumbar (T11-L2), lumbar (L3), lower_lumbar (L4-L5) or sacral."""
        return region_of(self.level_list)

    @property
    def bmi(self) -> float | None:
        """Body-mass index, kg/m2, when the height is known."""
        return None if self.height_cm is None else self.weight_kg / (self.height_cm / 100.0) ** 2

    @property
    def level_list(self) -> tuple[str, ...]:
        return parse_levels(self.levels)

    @property
    def implant_levels(self) -> tuple[str, ...]:
        return parse_levels(self.retained_implants) if self.retained_implants else ()
