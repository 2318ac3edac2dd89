"""Observations on the emulator's scale with their variances (shared by history matching, inference and the report).

For an observation of a series of N patients with within-series log-SD s (reported, or the
simulated one when the paper gives no spread) and coefficient of variation cv:

* a mean: Var(log mean) = cv^2 / N (delta method; cv = sqrt(exp(s^2) - 1) from a reported spread);
* a median: Var(log median) = (1.2533 s)^2 / N (asymptotic variance of a sample median, pi/2 x s^2/N);
* one case: s^2 (one patient's predictive spread);
* a proportion k/N: binomial (history matching uses logit((k + 0.5)/(N + 1)) with variance 1/((N + 1) p (1 - p))).

Converted summaries add ``conversion_sd``^2, estimated blood loss adds ``ebl_measurement_sd``^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .settings import Settings
from .targets import Observation

MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)  # SE of a normal sample median / SE of the mean, 1.2533


@dataclass(frozen=True)
class Spread:
    """Simulated within-series spread of one observation (median over the design points)."""

    cv: float
    log_sd: float


def spreads(training: pd.DataFrame) -> dict[str, Spread]:
    """Per observation key, the design's median simulated cv and log-SD (``design.collect`` output)."""
    g = training.groupby("key")
    return {k: Spread(float(g.cv.median()[k]), float(g.log_sd.median()[k])) for k in g.groups}


def sampling_variance(o: Observation, spread: Spread, settings: Settings) -> float:
    """Variance of the published figure about the centre's true value, on the log scale (not for proportions)."""
    s = o.log_sd if o.log_sd is not None else spread.log_sd
    if o.statistic == "case":
        var = s**2
    elif o.statistic == "median":
        var = (MEDIAN_EFFICIENCY * s) ** 2 / o.n
    else:
        cv = math.sqrt(math.expm1(s**2)) if o.log_sd is not None else spread.cv
        var = cv**2 / o.n
    if o.converted:
        var += settings.conversion_sd.value ** 2
    if o.estimated:
        var += settings.ebl_measurement_sd.value ** 2
    return var


def on_emulator_scale(o: Observation, spread: Spread, settings: Settings) -> tuple[float, float]:
    """(value, variance) of the observation on the emulator's scale (log, or logit for a proportion)."""
    if o.statistic == "proportion":
        p = (o.y + 0.5) / (o.n + 1)
        return math.log(p / (1 - p)), 1.0 / ((o.n + 1) * p * (1 - p))
    return o.y, sampling_variance(o, spread, settings)


@dataclass(frozen=True)
class Arrays:
    """All observations as arrays (model order), for the likelihood."""

    keys: tuple[str, ...]
    y: np.ndarray  # log value, or events
    n: np.ndarray
    var: np.ndarray  # sampling (+ conversion, measurement) variance; 0 for proportions
    binomial: np.ndarray  # bool
    weight: np.ndarray
    series: np.ndarray  # index into series
    output: np.ndarray  # index into output types
    centre: np.ndarray  # index into centre components, -1 for none
    series_names: tuple[str, ...]
    output_names: tuple[str, ...]


def arrays(observations: list[Observation], spread: dict[str, Spread], settings: Settings) -> Arrays:
    series = tuple(dict.fromkeys(o.series for o in observations))
    outputs = tuple(settings.outputs)
    centres = settings.centre_types
    var = [0.0 if o.statistic == "proportion" else sampling_variance(o, spread[o.key], settings) for o in observations]
    return Arrays(
        tuple(o.key for o in observations), np.array([o.y for o in observations]), np.array([o.n for o in observations]),
        np.array(var), np.array([o.statistic == "proportion" for o in observations]),
        np.array([o.weight for o in observations]), np.array([series.index(o.series) for o in observations]),
        np.array([outputs.index(o.output) for o in observations]),
        np.array([centres.index(o.output) if o.centre else -1 for o in observations]), series, outputs,
    )
