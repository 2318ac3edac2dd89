"""The calibration pipeline: inputs -> design runs -> emulators -> history matching -> posterior.

``load_inputs`` reads and cross-checks the settings, parameters and targets (one-line errors);
``simulate_design`` runs the design through the sweep engine (resumable); ``calibrate`` fits and
checks the emulators, history-matches and samples the posterior; ``provenance`` says what the
posterior was fitted to. The CLI (``resectsim calibrate``) and the tests call these in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario.loader import BUNDLED
from . import emulator as emulators
from .bayes import Calibrator, Fit
from .design import collect, design_z, group_plans, run_design
from .history import HistoryMatch, match
from .observed import Spread, arrays, spreads
from .parameters import ParameterSpec, check_paths, load_parameters, prior_arrays
from .settings import Settings, load_settings
from .targets import Observation, Target, load_targets, scenario_hash, targets_hash


@dataclass(frozen=True)
class Inputs:
    settings: Settings
    params: tuple[ParameterSpec, ...]
    params_file: str
    targets: list[Target]

    @property
    def observations(self) -> list[Observation]:
        return [o for t in self.targets for o in t.observations]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]


def load_inputs(targets_dir: str | Path | None = None, settings: Settings | None = None,
                parameters: str | Path | None = None, root: Path = BUNDLED) -> Inputs:
    """Settings, parameters and targets, checked against each other (every path exists in some target)."""
    settings = settings or load_settings(root=root)
    params, file = load_parameters(parameters, root)
    targets = load_targets(targets_dir, settings, root)
    check_paths(params, [g.scenario for t in targets for g in t.cohort.groups], file)
    return Inputs(settings, params, file, targets)


def simulate_design(inputs: Inputs, store, backend, progress=None) -> tuple[np.ndarray, pd.DataFrame]:
    """The design points (unconstrained scale) and the emulator training table; only missing points run."""
    z = design_z(inputs.params, inputs.settings)
    plans = group_plans(inputs.targets, inputs.params, z, inputs.settings, inputs.params_file)
    with backend:
        run_design(plans, store, backend, progress)
    return z, collect(plans, inputs.targets, store)


@dataclass
class Result:
    inputs: Inputs
    z: np.ndarray
    training: pd.DataFrame
    spread: dict[str, Spread]
    emulator: emulators.Emulator
    check: pd.DataFrame
    history: HistoryMatch
    calibrator: Calibrator
    fit: Fit

    def provenance(self) -> dict:
        s = self.inputs.settings
        return {
            "targets_hash": targets_hash(self.inputs.targets), "scenario_hash": scenario_hash(self.inputs.targets),
            "targets": [t.name for t in self.inputs.targets],
            "parameters": [{"name": p.name, "label": p.label, "transform": p.transform, "prior_mean": p.prior.mean,
                            "prior_sd": p.prior.sd, "paths": list(p.paths)} for p in self.inputs.params],
            "design": {"points": int(len(self.z)), "replications": s.run.replications, "seed": s.run.seed},
            "emulator_check": {"within_2sd": float(self.check.within_2sd.mean()),
                               "worst_key": self.check.sort_values("within_2sd").key.iloc[0],
                               "rmse_median": float(self.check.rmse.median())},
            "history": {"non_implausible_share": self.history.non_implausible_share,
                        "misfits": self.history.targets.key[self.history.targets.misfit].tolist()},
            "diagnostics": {"max_r_hat": self.fit.max_r_hat, "min_ess_bulk": self.fit.min_ess,
                            "divergent": self.fit.divergent, "sampler": "numpyro NUTS",
                            "chains": s.run.chains, "draws_per_chain": s.run.draws, "seconds": self.fit.seconds},
        }


def calibrate(inputs: Inputs, z: np.ndarray, training: pd.DataFrame, seed: int | None = None) -> Result:
    """Emulators (checked on held-out points, then refitted on all), history matching and the posterior."""
    s = inputs.settings
    obs = inputs.observations
    keys = [o.key for o in obs]
    y = emulators.matrices(training, z, keys)
    mean, sd = prior_arrays(inputs.params)
    checked = emulators.check(z, y, keys, mean, sd, s.run.holdout_fraction)
    emu = emulators.fit(z, y, keys, mean, sd, checked)
    spread = spreads(training)
    history = match(emu, obs, spread, s, inputs.names)
    calibrator = Calibrator(emu, arrays(obs, spread, s), s)
    fit = calibrator.fit(s.run.seed if seed is None else seed)
    return Result(inputs, z, training, spread, emu, checked, history, calibrator, fit)
