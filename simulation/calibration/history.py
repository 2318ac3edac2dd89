"""History matching: rule out parameter regions where the emulated model cannot match the targets.

Implausibility of target f at parameters z (Andrianakis et al. 2015; Vernon et al. 2010)::

    I_f(z) = |y_f - E[f(z)]| / sqrt(Var_emulator(z) + Var_observation + Var_discrepancy + Var_centre)

with the centre variance the prior's expected tau^2 (the centre SD prior's scale squared) for an
output type with a centre effect. A point is non-implausible when its largest I_f is below the
cutoff (3, Pukelsheim's rule). A target whose smallest I_f over the whole box is above the cutoff
cannot be matched by any parameter value: a structural misfit of the model, reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..sweeps import designs
from .observed import Spread, on_emulator_scale
from .settings import Settings
from .targets import Observation


@dataclass(frozen=True)
class HistoryMatch:
    z: np.ndarray  # [samples, parameters] scored points
    implausibility: np.ndarray  # [samples, targets]
    keep: np.ndarray  # bool [samples]: non-implausible
    targets: pd.DataFrame  # per key: observed, min implausibility, share of points it rules out, misfit
    ranges: pd.DataFrame  # per parameter: box and non-implausible range on the unconstrained scale

    @property
    def non_implausible_share(self) -> float:
        return float(self.keep.mean())


def match(emulator, observations: list[Observation], spread: dict[str, Spread], settings: Settings, names: list[str],
          z: np.ndarray | None = None) -> HistoryMatch:
    """Score ``z`` (default: a Latin hypercube of ``history_samples`` points over the design box)."""
    run = settings.run
    if z is None:
        lo = emulator.prior_mean - run.design_width_sd * emulator.prior_sd
        hi = emulator.prior_mean + run.design_width_sd * emulator.prior_sd
        z = designs.latin_hypercube(list(zip(lo, hi)), run.history_samples, designs.design_rng(run.seed + 1))
    mean, sd = emulator.predict(z)
    obs = np.array([on_emulator_scale(o, spread[o.key], settings) for o in observations])
    extra = np.array([settings.outputs[o.output].discrepancy_sd.value ** 2
                      + (settings.centre_sd.value ** 2 if o.centre else 0.0) for o in observations])
    denom = np.sqrt(sd**2 + obs[:, 1] + extra + emulator.variance)
    imp = np.abs(obs[:, 0] - mean) / denom
    cutoff = run.implausibility_cutoff
    keep = imp.max(axis=1) < cutoff
    targets = pd.DataFrame({
        "key": [o.key for o in observations], "observed": obs[:, 0], "min_implausibility": imp.min(axis=0),
        "rules_out": (imp >= cutoff).mean(axis=0), "misfit": imp.min(axis=0) >= cutoff,
    })
    kept = z[keep] if keep.any() else np.full((1, z.shape[1]), np.nan)
    ranges = pd.DataFrame({"parameter": names, "box_low": z.min(axis=0), "box_high": z.max(axis=0),
                           "kept_low": np.nanmin(kept, axis=0), "kept_high": np.nanmax(kept, axis=0)})
    return HistoryMatch(z, imp, keep, targets, ranges)
