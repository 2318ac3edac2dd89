"""Posterior predictive draws of every observation, for a calibrated centre or a new one."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

INTERVALS = (50, 80, 95)  # central predictive intervals whose coverage the report states


def centre_effects(fit, new: bool, rng: np.random.Generator) -> np.ndarray:
    """[draws, series, components]: each series' fitted effect, or a new centre's u ~ MVN(0, Sigma) per draw."""
    tau, chol, e = fit.flat("tau"), fit.flat("L"), fit.flat("e")
    if new:
        e = rng.standard_normal(e.shape)
    scale = tau[:, :, None] * chol
    return np.einsum("sjc,skc->sjk", e, scale)


def draws(calibrator, fit, rng: np.random.Generator, new_centre: bool) -> np.ndarray:
    """[draws, observations] predictive draws on the observation scale (log value, or events)."""
    a = calibrator.arrays
    mu = calibrator.predict_means(fit.flat("z"))
    u = centre_effects(fit, new_centre, rng)
    centre = np.where(a.centre >= 0, u[:, a.series, np.maximum(a.centre, 0)], 0.0)
    mu = mu + centre + fit.flat("delta")[:, a.output]
    normal = mu + rng.standard_normal(mu.shape) * np.sqrt(calibrator.variance)
    counts = rng.binomial(a.n, expit(mu)).astype(float)
    return np.where(a.binomial, counts, normal)


def judge(observed: np.ndarray, rep: np.ndarray, binomial: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Per observation: predictive median and mean, z-score, (randomised) PIT, and whether the
    observation lies in each central interval of ``INTERVALS``."""
    below = (rep < observed).mean(axis=0)
    tie = (rep == observed).mean(axis=0)
    pit = below + np.where(binomial, rng.uniform(size=len(observed)) * tie, 0.5 * tie)
    out = {"observed": observed, "predicted_median": np.median(rep, axis=0), "predicted_mean": rep.mean(axis=0),
           "z": (observed - rep.mean(axis=0)) / np.maximum(rep.std(axis=0), 1e-12), "pit": pit}
    for level in INTERVALS:
        lo, hi = np.percentile(rep, [50 - level / 2, 50 + level / 2], axis=0)
        out[f"low_{level}"], out[f"high_{level}"] = lo, hi
        out[f"inside_{level}"] = (observed >= lo) & (observed <= hi)
    return pd.DataFrame(out)
