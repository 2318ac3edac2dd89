"""Gaussian-process emulators (scikit-learn) of each observation's simulated summary as a function of the parameters.

Inputs are the parameters on their unconstrained scale, standardised by the prior (``x = (z - mean)
/ sd``). Each observation gets a linear trend (least squares; the response is close to log-linear
in the multipliers) plus a ``GaussianProcessRegressor`` on the residuals with an ARD squared-
exponential kernel and a white-noise term for the Monte Carlo error of a finite cohort.

``check`` fits on the design points minus a held-out share (the last rows; Latin hypercube rows
are in random order) and scores the held-out points: standardised errors ``(y - mean) / sd``
should lie within +-2 for about 95% (Bastos & O'Hagan 2009). ``export`` gives what the inference
code needs to evaluate the same predictor: training inputs, weights, length scales.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

RESTARTS = 1  # extra optimiser starts per GP fit (cost grows linearly)


def _gp(d: int):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    # The noise is at least 1e-5 of the output's variance over the design (normalize_y): with common random
    # numbers the design is so smooth that a free noise term collapses to ~0 and the GP then claims an
    # exactness that held-out points contradict (0 of 6 within 2 SD in the synthetic pipeline test).
    kernel = ConstantKernel(1.0, (1e-3, 1e2)) * RBF(np.full(d, 2.0), (0.05, 1e3)) + WhiteKernel(1e-2, (1e-5, 1.0))
    return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=RESTARTS, random_state=0)


@dataclass
class Fitted:
    """One observation's emulator: linear trend ``beta`` and a GP on the residuals."""

    beta: np.ndarray  # [d + 1]: intercept, slopes
    gp: object

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        trend = self.beta[0] + x @ self.beta[1:]
        mean, sd = self.gp.predict(x, return_std=True)
        return trend + mean, sd


def fit_one(x: np.ndarray, y: np.ndarray) -> Fitted:
    a = np.column_stack([np.ones(len(x)), x])
    beta = np.linalg.lstsq(a, y, rcond=None)[0]
    gp = _gp(x.shape[1])
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # a length scale at its bound (a flat direction) is expected, not a failure
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(x, y - a @ beta)
    return Fitted(beta, gp)


@dataclass
class Emulator:
    keys: tuple[str, ...]
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    fitted: list[Fitted]
    variance: np.ndarray  # per key: emulator error variance used by the likelihood (held-out mean squared error)

    def standardise(self, z: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(z) - self.prior_mean) / self.prior_sd

    def predict(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means and SDs [points, keys] at parameter values ``z`` [points, parameters]."""
        x = self.standardise(z)
        out = [f.predict(x) for f in self.fitted]
        return np.column_stack([m for m, _ in out]), np.column_stack([s for _, s in out])

    def export(self) -> dict[str, np.ndarray]:
        """Arrays of the predictive mean: m(x) = b0 + x.b + y_mean + y_std * sum_i alpha_i amp exp(-|x - X_i|^2_l / 2)."""
        gps = [f.gp for f in self.fitted]
        return {
            "X": np.stack([g.X_train_ for g in gps]),
            "alpha": np.stack([g.alpha_.ravel() for g in gps]),
            "lengthscale": np.stack([np.broadcast_to(g.kernel_.k1.k2.length_scale, (g.X_train_.shape[1],)) for g in gps]),
            "amp": np.array([g.kernel_.k1.k1.constant_value for g in gps]),
            "y_mean": np.array([float(np.ravel(g._y_train_mean)[0]) for g in gps]),
            "y_std": np.array([float(np.ravel(g._y_train_std)[0]) for g in gps]),
            "beta": np.stack([f.beta for f in self.fitted]),
            "prior_mean": self.prior_mean, "prior_sd": self.prior_sd,
        }


def matrices(training: pd.DataFrame, z: np.ndarray, keys: list[str]) -> np.ndarray:
    """[points, keys] training values from ``design.collect``'s long table (every point must be present)."""
    wide = training.pivot(index="point", columns="key", values="value").reindex(columns=keys)
    return wide.reindex(range(len(z))).to_numpy()


def check(z: np.ndarray, y: np.ndarray, keys: list[str], prior_mean, prior_sd, holdout_fraction: float) -> pd.DataFrame:
    """Held-out check: fit on the first points, predict the last ``holdout_fraction``; one row per key."""
    n = len(z)
    k = max(2, int(round(holdout_fraction * n)))
    x = (z - prior_mean) / prior_sd
    rows = []
    for j, key in enumerate(keys):
        f = fit_one(x[: n - k], y[: n - k, j])
        mean, sd = f.predict(x[n - k:])
        err = y[n - k:, j] - mean
        std = err / np.maximum(sd, 1e-12)
        rows.append({"key": key, "held_out": k, "rmse": float(np.sqrt(np.mean(err**2))),
                     "r2": float(1 - np.sum(err**2) / max(np.sum((y[n - k:, j] - y[n - k:, j].mean()) ** 2), 1e-12)),
                     "within_2sd": float(np.mean(np.abs(std) <= 2)), "max_abs_std_error": float(np.max(np.abs(std)))})
    return pd.DataFrame(rows)


def fit(z: np.ndarray, y: np.ndarray, keys: list[str], prior_mean, prior_sd, checked: pd.DataFrame) -> Emulator:
    """Emulators fitted on all design points; their error variance is the held-out mean squared error."""
    x = (z - prior_mean) / prior_sd
    fitted = [fit_one(x, y[:, j]) for j in range(len(keys))]
    variance = checked.set_index("key").rmse.reindex(keys).to_numpy() ** 2
    return Emulator(tuple(keys), np.asarray(prior_mean, float), np.asarray(prior_sd, float), fitted, variance)
