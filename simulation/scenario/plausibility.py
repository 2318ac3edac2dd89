"""Weight-for-age bands (``scenarios/plausibility.yaml``) and the check behind the patient form's
plausibility note: a combination outside its band is probably a typing error, never an error.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .errors import validate
from .loader import BUNDLED, read_yaml
from .patient import Patient

FILE = "plausibility.yaml"


class WeightBand(BaseModel):
    """Plausible body weights (kg) for ages ``age_from`` <= age < ``age_to`` (years)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    age_from: float = Field(ge=0)
    age_to: float = Field(gt=0)
    min_kg: float = Field(gt=0)
    max_kg: float = Field(gt=0)


class Plausibility(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    assumption: str = Field(min_length=1)
    weight_for_age: tuple[WeightBand, ...] = Field(min_length=1)


def load_plausibility(root: Path = BUNDLED) -> Plausibility:
    """The bands, validated (``ScenarioError`` naming the file and field otherwise)."""
    path = root / FILE
    return validate(Plausibility, read_yaml(path), str(path))


def implausible_weight(patient: Patient, bands: Plausibility) -> WeightBand | None:
    """The band the patient's weight falls outside of, or None when it is plausible for the age."""
    for band in bands.weight_for_age:
        if band.age_from <= patient.age_years < band.age_to:
            return None if band.min_kg <= patient.weight_kg <= band.max_kg else band
    return None
