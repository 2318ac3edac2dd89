"""A centre's profile: its calibrated effects on log time, log bleeding and the complication logit.

The profile is a small YAML of aggregates (no patient rows), written by ``resectsim centre fit``
(``caselog.fit_centre``): per axis the posterior mean and SD of the centre's effect, the prior it was
shrunk toward (0 and the published between-centre SD), the cases that informed it, and the case
types the log lacks. ``digest`` enters the run's scenario digest and its provenance line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, Field

from ..model.uncertainty import CENTRE_AXES
from ..scenario.distributions import FROZEN
from ..scenario.errors import validate
from ..scenario.loader import read_yaml


class AxisEffect(BaseModel):
    """One axis of a centre's effect: posterior mean and SD, the prior, and the cases behind it."""

    model_config = FROZEN

    mean: float = Field(ge=-5, le=5)
    sd: float = Field(ge=0, le=5)
    prior_mean: float = Field(ge=-5, le=5)
    prior_sd: float = Field(gt=0, le=5)
    cases: int = Field(ge=0)
    minimum_cases: int = Field(ge=1)

    @property
    def moved(self) -> float:
        """How far the centre's data moved the estimate, in prior SDs."""
        return (self.mean - self.prior_mean) / self.prior_sd

    @property
    def shrinkage(self) -> float:
        """Weight of the prior in the posterior mean, 0-1 (1: the data said nothing)."""
        return (self.sd / self.prior_sd) ** 2


class CentreProfile(BaseModel):
    """A calibrated centre (``resectsim centre fit``)."""

    model_config = FROZEN

    centre: str = Field(min_length=1, max_length=80)
    posterior: str = Field(description="The published posterior the effects were shrunk toward (file and targets hash).")
    effects: dict[str, AxisEffect] = Field(description="time, bleeding, complication")
    cases: int = Field(ge=0, description="Operations in the case log.")
    period: str = Field("", description="First and last operation dates in the log, if given.")
    absent_case_types: tuple[str, ...] = Field((), description="Case types the log lacks (the effect is extrapolated to them).")
    warnings: tuple[str, ...] = ()

    def means(self) -> np.ndarray:
        return np.array([self.effects[a].mean if a in self.effects else 0.0 for a in CENTRE_AXES])

    def sds(self) -> np.ndarray:
        return np.array([self.effects[a].sd if a in self.effects else 0.0 for a in CENTRE_AXES])

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:12]

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
        return path


def load_profile(path: str | Path) -> CentreProfile:
    """A centre profile file; a bad one raises ``ScenarioError`` (one line per problem)."""
    return validate(CentreProfile, read_yaml(Path(path)), str(path))
