"""Validation: run published cohorts through the model and compare with what was published.

A cohort file (``scenarios/validation/*.yaml``, schema ``CohortSpec``) names a published series
or case, the patient as reported (a bundled patient or a mapping, with overrides and, for a
series that mixes patients, subgroups with their sizes), the strategy (a bundled one or a file
in ``scenarios/validation/strategies/``) and the published figures. Each figure is compared with
the distribution that matches what was published:

* a value from one patient (``case``): the model's 95% predictive interval for one patient
  (2.5th-97.5th percentile of the replications);
* the ``mean`` (or ``median``) of a series of N patients: the 95% interval of the mean (median)
  of N simulated patients, from resampling N replications at a time. A cohort mean is an
  average over N patients, so it varies far less than one patient does; comparing it with the
  individual predictive interval would call almost any mean "inside". The individual median and
  95% predictive interval are reported alongside for context;
* a ``proportion`` k/N: the model rate p with its 95% Monte Carlo confidence interval (Wilson),
  and whether k lies in the central 95% of Binomial(N, p), the number of events the model
  predicts among N patients.

Files are ordered by file name (``00-seed-case.yaml`` first). Loading checks everything the run
needs (reference ids, patient fields, strategy phases, outcome columns) and raises
``ScenarioError`` naming file, field, value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats

from ..runs import analysis
from ..runs.analysis import wilson
from ..runs.runner import simulate_block
from ..scenario.records import column, label
from .cohorts import COMPARED_WITH, INTERVAL, Cohort

SAMPLING_DRAWS = 4000  # resampled cohorts for the interval of a mean or median of N patients
DEFAULT_REPLICATIONS = 1000  # simulated patients per cohort behind docs/validation.md's results table
DEFAULT_SEED = 20240501  # the seed of that table; any integer >= 0 works


# --- simulation ----------------------------------------------------------------------------------
def shares(sizes: list[int], total: int) -> list[int]:
    """``total`` split in proportion to ``sizes`` (largest remainder; every group gets at least one)."""
    exact = np.array(sizes, dtype=float) * total / sum(sizes)
    counts = np.maximum(np.floor(exact).astype(int), 1)
    for i in np.argsort(-(exact - np.floor(exact)))[: max(total - counts.sum(), 0)]:
        counts[i] += 1
    return counts.tolist()


def simulate(cohort: Cohort, replications: int, seed: int) -> pd.DataFrame:
    """Records of ``replications`` simulated patients of the cohort's mix under its strategy.

    Subgroup k takes the k-th slice of replication numbers, so no two patients share draws and
    the result does not depend on how the cohort is cut.
    """
    counts = shares([g.n for g in cohort.groups], replications)
    start, frames = 0, []
    for group, count in zip(cohort.groups, counts):
        records, _ = simulate_block(group.scenario, cohort.strategy, seed, range(start, start + count))
        frames.append(records.assign(group=group.label))
        start += count
    return pd.concat(frames, ignore_index=True)


# --- comparison ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """A published figure against the model; ``distribution`` is what the figure was compared with."""

    model_median: float
    pi_low: float
    pi_high: float
    rate: float
    rate_low: float
    rate_high: float
    interval_low: float
    interval_high: float
    inside: bool
    distribution: np.ndarray


def compare(values: np.ndarray, statistic: str, published: float, n: int, rng: np.random.Generator,
            draws: int = SAMPLING_DRAWS) -> Comparison:
    """Compare one published figure with simulated per-patient ``values``.

    ``published`` is the value for case/mean/median and the proportion k/n for a proportion.
    """
    values = np.asarray(values, dtype=float)
    nan = float("nan")
    if statistic == "proportion":
        rate = float(values.mean())
        low, high = (float(x) for x in wilson(rate, len(values)))
        k_low, k_high = stats.binom.ppf([INTERVAL[0] / 100, INTERVAL[1] / 100], n, rate)
        k = round(published * n)
        return Comparison(nan, nan, nan, rate, low, high, k_low / n, k_high / n, bool(k_low <= k <= k_high),
                          rng.binomial(n, rate, draws) / n)
    median = float(np.median(values))
    pi_low, pi_high = np.percentile(values, INTERVAL)
    if statistic == "case":
        dist = values
    else:
        cohorts = values[rng.integers(0, len(values), size=(draws, n))]
        dist = cohorts.mean(axis=1) if statistic == "mean" else np.median(cohorts, axis=1)
    low, high = np.percentile(dist, INTERVAL)
    return Comparison(median, float(pi_low), float(pi_high), nan, nan, nan, float(low), float(high),
                      bool(low <= published <= high), dist)


@dataclass(frozen=True)
class Validation:
    """The comparison table (one row per figure, cohorts in run order) and each row's distribution."""

    table: pd.DataFrame
    distributions: tuple[np.ndarray, ...]


def figure_label(column: str) -> str:
    return label(column).replace("Intra-operative events: ", "Events: ")


def unit(key: str) -> str:
    """The unit a figure is published in: the recorded unit, or a share for a complication."""
    c = column(key)
    return "share" if c.kind == "severity" else c.unit


def compare_cohort(cohort: Cohort, records: pd.DataFrame, seed: int) -> list[tuple[dict, np.ndarray]]:
    """Rows (dicts) and compared distributions for every figure of one simulated cohort."""
    rows = []
    for i, fig in enumerate(cohort.spec.figures):
        n = fig.n or cohort.spec.n
        published = fig.events / n if fig.statistic == "proportion" else fig.value
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        c = compare(analysis.outcome_values(records, fig.outcome), fig.statistic, published, n, rng)
        rows.append(({
            "cohort": cohort.name, "cohort_label": cohort.spec.label, "role": cohort.spec.role,
            "reference": cohort.spec.reference, "strategy": cohort.strategy, "outcome": fig.outcome,
            "figure": figure_label(fig.outcome), "unit": unit(fig.outcome), "statistic": fig.statistic,
            "n": n, "events": fig.events, "published": published, "source": fig.source, "note": fig.note,
            "compared_with": COMPARED_WITH[fig.statistic],
            **{f.name: getattr(c, f.name) for f in fields(Comparison) if f.name != "distribution"},
            "replications": len(records),
        }, c.distribution))
    return rows


def run_validation(cohorts: list[Cohort], replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED,
                   progress=None) -> Validation:
    """Simulate every cohort (same seed, fixed replications) and compare each published figure.

    ``progress(done, total)`` is called after each cohort.
    """
    pairs = []
    for done, cohort in enumerate(cohorts, start=1):
        pairs += compare_cohort(cohort, simulate(cohort, replications, seed), seed)
        if progress is not None:
            progress(done, len(cohorts))
    table = pd.DataFrame([row for row, _ in pairs])
    table["events"] = table["events"].astype("Int64")
    table["seed"] = seed
    return Validation(table, tuple(dist for _, dist in pairs))
