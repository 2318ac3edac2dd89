"""Calibration method settings (``scenarios/calibration/settings.yaml``): output types, priors, run sizes."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from ..scenario.distributions import FROZEN
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.kept import per_version
from ..scenario.loader import BUNDLED, read_yaml

FOLDER = "calibration"


class Stated(BaseModel):
    """A method number with its justification: a ``source`` (reference id) or an ``assumption``."""

    model_config = FROZEN

    value: float = Field(ge=0)
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _justified(self):
        if not (self.source or self.assumption):
            raise ValueError("give a source: (reference id) or an assumption: sentence")
        return self


class OutputType(BaseModel):
    """Record columns of one output type (``fnmatch`` patterns), its centre effect and discrepancy prior."""

    model_config = FROZEN

    outcomes: tuple[str, ...] = Field(min_length=1)
    centre_effect: bool
    discrepancy_sd: Stated


class Predictions(BaseModel):
    """Whether runs draw from the stored posterior when no posterior is named, and why."""

    model_config = FROZEN

    use_stored_posterior: bool
    why: str = Field(min_length=1)


class Run(BaseModel):
    """Run sizes and seeds (method settings, not clinical numbers)."""

    model_config = FROZEN

    design_points: int = Field(ge=8, le=5000)
    replications: int = Field(ge=10, le=100_000, description="Simulated patients per point and target.")
    design_width_sd: float = Field(gt=0, le=5)
    seed: int = Field(ge=0)
    holdout_fraction: float = Field(gt=0, lt=0.5)
    history_samples: int = Field(ge=100, le=1_000_000)
    implausibility_cutoff: float = Field(gt=0)
    chains: int = Field(ge=1, le=8)
    warmup: int = Field(ge=50)
    draws: int = Field(ge=50)
    target_accept: float = Field(gt=0.5, lt=1)


class Settings(BaseModel):
    model_config = FROZEN

    outputs: dict[str, OutputType] = Field(min_length=1)
    centre_sd: Stated
    centre_lkj_eta: Stated
    ebl_measurement_sd: Stated
    conversion_sd: Stated
    case_weight: Stated
    predictions: Predictions
    run: Run

    @property
    def centre_types(self) -> tuple[str, ...]:
        """Output types with a centre effect, in file order: the components of u_j."""
        return tuple(name for name, o in self.outputs.items() if o.centre_effect)

    def output_type(self, outcome: str) -> str | None:
        """The output type whose patterns match a record column (first match), or None."""
        return next((name for name, o in self.outputs.items() if any(fnmatch(outcome, p) for p in o.outcomes)), None)


def load_settings(path: str | Path | None = None, root: Path = BUNDLED) -> Settings:
    """The settings file (default ``scenarios/calibration/settings.yaml``), validated; read once per version
    of the file (every run asks whether the stored posterior is the default)."""
    return _settings(Path(path) if path else root / FOLDER / "settings.yaml")


@per_version
def _settings(path: Path) -> Settings:
    settings = validate(Settings, read_yaml(path), str(path))
    if len(settings.centre_types) == 0:
        raise ScenarioError([Issue(str(path), "outputs", "at least one output type needs centre_effect: true")])
    return settings
