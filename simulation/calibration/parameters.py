"""Calibrated parameters (``scenarios/calibration/parameters.yaml``): scale factors over sweep paths, with priors.

Every parameter works on an unconstrained scale ``z`` with a normal prior: ``log k`` for a
``multiply`` parameter (a multiplier k > 0), the shift ``s`` itself for a ``logit_shift``. ``sweep_values``
turns a design matrix of ``z`` into the numbers the sweep engine writes into a scenario at each
path (``simulation.sweeps.paths``): a distribution is scaled by k (mode ``scale``), a number
becomes k x its value (modes ``value`` and ``set``), a probability p becomes expit(logit(p) + s).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator
from scipy.special import expit, logit

from ..scenario.distributions import FROZEN
from ..scenario.errors import Issue, ScenarioError, validate
from ..scenario.loader import BUNDLED, read_yaml
from ..scenario.schema import Scenario
from ..sweeps.paths import Mode, PathError, Target, resolve
from .settings import FOLDER

MODES = {"multiply": (Mode.SCALE, Mode.VALUE, Mode.SET), "logit_shift": (Mode.PROBABILITY,)}


class Prior(BaseModel):
    """Normal prior on the unconstrained scale (log multiplier, or logit shift)."""

    model_config = FROZEN

    mean: float
    sd: float = Field(gt=0, le=5)


class ParameterSpec(BaseModel):
    model_config = FROZEN

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    transform: Literal["multiply", "logit_shift"]
    paths: tuple[str, ...] = Field(min_length=1)
    prior: Prior
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _justified(self):
        if not (self.source or self.assumption):
            raise ValueError("give the prior a source: (reference id) or an assumption: sentence")
        return self

    def natural(self, z):
        """The parameter on its natural scale: the multiplier exp(z), or the shift z."""
        return np.exp(z) if self.transform == "multiply" else np.asarray(z, dtype=float)


class ParameterFile(BaseModel):
    model_config = FROZEN

    parameters: tuple[ParameterSpec, ...] = Field(min_length=1)


def load_parameters(path: str | Path | None = None, root: Path = BUNDLED) -> tuple[tuple[ParameterSpec, ...], str]:
    """The parameter file (default ``scenarios/calibration/parameters.yaml``) and its name; names must be unique."""
    path = Path(path) if path else root / FOLDER / "parameters.yaml"
    params = validate(ParameterFile, read_yaml(path), str(path)).parameters
    seen: dict[str, int] = {}
    issues = []
    for i, p in enumerate(params):
        if p.name in seen:
            issues.append(Issue(str(path), f"parameters[{i}].name", f"repeats the name of parameters[{seen[p.name]}]", p.name))
        seen.setdefault(p.name, i)
    if issues:
        raise ScenarioError(issues)
    return params, str(path)


@dataclass(frozen=True)
class Placed:
    """One path of one parameter, resolved in one scenario."""

    parameter: int  # index into the parameter list
    target: Target


def place(params, scenario: Scenario, file: str) -> tuple[list[Placed], dict[tuple[int, int], str]]:
    """The parameters' paths resolved in ``scenario``; paths the scenario lacks are skipped and returned
    as {(parameter, path index): reason}. A path of the wrong kind for its transform, or a place two
    paths move, is an error."""
    tree = scenario.model_dump(mode="json", by_alias=True)
    placed, missing, issues, owner = [], {}, [], {}
    for i, p in enumerate(params):
        for j, path in enumerate(p.paths):
            try:
                target = resolve(tree, path)
            except PathError as exc:
                missing[(i, j)] = str(exc)
                continue
            where = f"parameters[{i}].paths[{j}]"
            if target.mode not in MODES[p.transform]:
                kinds = ", ".join(m.value for m in MODES[p.transform])
                issues.append(Issue(file, where, f"a {p.transform} parameter needs a path of kind {kinds}; "
                                                 f"this one is a {target.mode.value}", path))
                continue
            for loc in target.locations:
                if loc in owner:
                    issues.append(Issue(file, where, f"moves the same number as {owner[loc]}", path))
                owner.setdefault(loc, where)
            placed.append(Placed(i, target))
    if issues:
        raise ScenarioError(issues)
    return placed, missing


def check_paths(params, scenarios: list[Scenario], file: str) -> None:
    """Every path must exist in at least one of ``scenarios`` (else its first reason is reported)."""
    reasons: dict[tuple[int, int], str] = {}
    found: set[tuple[int, int]] = set()
    for scenario in scenarios:
        placed, missing = place(params, scenario, file)
        found |= {(pl.parameter, params[pl.parameter].paths.index(pl.target.path)) for pl in placed}
        for k, why in missing.items():
            reasons.setdefault(k, why)
    issues = [Issue(file, f"parameters[{i}].paths[{j}]", f"not found in any target's scenario: {why}", params[i].paths[j])
              for (i, j), why in sorted(reasons.items()) if (i, j) not in found]
    if issues:
        raise ScenarioError(issues)


def sweep_values(params, placed: list[Placed], z: np.ndarray) -> np.ndarray:
    """[points, len(placed)] numbers to write at each placed path for design ``z`` [points, parameters]."""
    z = np.atleast_2d(np.asarray(z, dtype=float))
    cols = []
    for pl in placed:
        x = z[:, pl.parameter]
        if params[pl.parameter].transform == "logit_shift":
            cols.append(expit(logit(pl.target.base) + x))
        elif pl.target.mode is Mode.SCALE:
            cols.append(np.exp(x))
        else:
            cols.append(pl.target.base * np.exp(x))
    return np.column_stack(cols) if cols else np.zeros((len(z), 0))


def prior_arrays(params) -> tuple[np.ndarray, np.ndarray]:
    """Prior means and SDs on the unconstrained scale."""
    return np.array([p.prior.mean for p in params]), np.array([p.prior.sd for p in params])
