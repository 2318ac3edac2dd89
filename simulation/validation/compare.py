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

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats

from ..model.uncertainty import Uncertainty
from ..runs import analysis
from ..runs.analysis import wilson
from ..runs.runner import simulate_block
from ..scenario.records import column, label
from ..scenario.schema import Scenario
from .cohorts import COMPARED_WITH, INTERVAL, Cohort

SAMPLING_DRAWS = 4000  # resampled cohorts for the interval of a mean or median of N patients
DEFAULT_REPLICATIONS = 1000  # simulated patients per cohort behind docs/validation.md's results table
DEFAULT_SEED = 20240501  # the seed of that table; any integer >= 0 works
PATIENTS_PER_CENTRE = 40  # with parameter and centre uncertainty: simulated patients of one published series' centre
UncertaintyFor = Callable[[Scenario], Uncertainty | None]  # a cohort group's parameter and centre draws


# --- simulation ----------------------------------------------------------------------------------
def shares(sizes: list[int], total: int) -> list[int]:
    """``total`` split in proportion to ``sizes`` (largest remainder; every group gets at least one)."""
    exact = np.array(sizes, dtype=float) * total / sum(sizes)
    counts = np.maximum(np.floor(exact).astype(int), 1)
    for i in np.argsort(-(exact - np.floor(exact)))[: max(total - counts.sum(), 0)]:
        counts[i] += 1
    return counts.tolist()


def _replications(cohort: Cohort, replications: int, patients: int | None) -> list[np.ndarray]:
    """Replication numbers of each subgroup. Without centres, subgroup k takes the k-th slice, so no
    two patients share draws and the result does not depend on how the cohort is cut. With centres
    of ``patients`` replications each (``r // patients``), every centre is split among the subgroups
    in proportion, so each simulated series holds the cohort's whole mix at one centre."""
    sizes = [g.n for g in cohort.groups]
    if patients is None:
        bounds = np.cumsum([0, *shares(sizes, replications)])
        return [np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    within = np.cumsum([0, *shares(sizes, patients)])
    centres = np.arange(max(replications // patients, 1))[:, None] * patients
    return [(centres + np.arange(a, b)[None, :]).ravel() for a, b in zip(within[:-1], within[1:])]


def simulate(cohort: Cohort, replications: int, seed: int, uncertainty: UncertaintyFor | None = None) -> pd.DataFrame:
    """Records of ``replications`` simulated patients of the cohort's mix under its strategy, with
    each replication's parameter row and centre effect when ``uncertainty(scenario)`` gives them
    (then a ``centre`` column numbers the simulated series, one parameter draw and centre each)."""
    drawn = [uncertainty(g.scenario) if uncertainty is not None else None for g in cohort.groups]
    on = any(u is not None and (u.centre_on or u.parameters_on) for u in drawn)
    patients = PATIENTS_PER_CENTRE if on else None
    frames = []
    for group, unc, reps in zip(cohort.groups, drawn, _replications(cohort, replications, patients)):
        unc = unc.nested(patients, 1) if patients and unc is not None else unc
        records, _ = simulate_block(group.scenario, cohort.strategy, seed, reps, uncertainty=unc)
        frames.append(records.assign(group=group.label))
    records = pd.concat(frames, ignore_index=True)
    if patients:
        records["centre"] = records.replication // patients
    return records


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


def _centre_rates(values: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each simulated centre's event rate, shrunk toward the overall rate by the method of moments
    (between-centre variance = variance of the centre rates less their binomial noise), so a rate
    from 40 patients does not add its own sampling noise to the spread between centres."""
    idx = np.unique(centres, return_inverse=True)[1]
    n = np.bincount(idx).astype(float)
    rates = np.bincount(idx, weights=values) / n
    overall = float(values.mean())
    noise = float(np.mean(rates * (1 - rates) / n))
    between = max(float(rates.var()) - noise, 0.0)
    weight = between / (between + overall * (1 - overall) / n) if between > 0 else np.zeros_like(n)
    return overall + weight * (rates - overall)


def _cohorts(values: np.ndarray, centres: np.ndarray | None, n: int, rng: np.random.Generator, draws: int) -> np.ndarray:
    """[draws, n] simulated series of n patients: from all replications, or each from one centre."""
    if centres is None:
        return values[rng.integers(0, len(values), size=(draws, n))]
    labels, idx = np.unique(centres, return_inverse=True)
    members = np.argsort(idx, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(idx))])
    pick = rng.integers(0, len(labels), size=draws)
    size = (starts[pick + 1] - starts[pick])[:, None]
    at = starts[pick][:, None] + (rng.random((draws, n)) * size).astype(np.int64)
    return values[members[at]]


def compare(values: np.ndarray, statistic: str, published: float, n: int, rng: np.random.Generator,
            draws: int = SAMPLING_DRAWS, centres: np.ndarray | None = None) -> Comparison:
    """Compare one published figure with simulated per-patient ``values``.

    ``published`` is the value for case/mean/median and the proportion k/n for a proportion. With
    ``centres`` (the simulated centre of each value), a series of n patients comes from one centre,
    so the interval carries the differences between centres and parameter draws too.
    """
    values = np.asarray(values, dtype=float)
    nan = float("nan")
    if statistic == "proportion":
        rate = float(values.mean())
        low, high = (float(x) for x in wilson(rate, len(values)))
        if centres is None:
            counts = rng.binomial(n, rate, draws)
        else:
            counts = rng.binomial(n, _centre_rates(values, centres)[rng.integers(0, len(np.unique(centres)), draws)])
        k_low, k_high = (stats.binom.ppf([INTERVAL[0] / 100, INTERVAL[1] / 100], n, rate) if centres is None
                         else np.percentile(counts, INTERVAL, method="inverted_cdf"))
        k = round(published * n)
        return Comparison(nan, nan, nan, rate, low, high, k_low / n, k_high / n, bool(k_low <= k <= k_high), counts / n)
    median = float(np.median(values))
    pi_low, pi_high = np.percentile(values, INTERVAL)
    if statistic == "case":
        dist = values
    else:
        cohorts = _cohorts(values, centres, n, rng, draws)
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


def compare_cohort(cohort: Cohort, records: pd.DataFrame, seed: int,
                   calibrated: frozenset[str] = frozenset()) -> list[tuple[dict, np.ndarray]]:
    """Rows (dicts) and compared distributions for every figure of one simulated cohort; a cohort
    named in ``calibrated`` (a target of the posterior the run drew from) counts as calibration."""
    rows = []
    centres = records["centre"].to_numpy() if "centre" in records else None
    role = "calibration" if cohort.name in calibrated else cohort.spec.role
    for i, fig in enumerate(cohort.spec.figures):
        n = fig.n or cohort.spec.n
        published = fig.events / n if fig.statistic == "proportion" else fig.value
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
        c = compare(analysis.outcome_values(records, fig.outcome), fig.statistic, published, n, rng, centres=centres)
        rows.append(({
            "cohort": cohort.name, "cohort_label": cohort.spec.label, "role": role,
            "reference": cohort.spec.reference, "strategy": cohort.strategy, "outcome": fig.outcome,
            "figure": figure_label(fig.outcome), "unit": unit(fig.outcome), "statistic": fig.statistic,
            "n": n, "events": fig.events, "published": published, "source": fig.source, "note": fig.note,
            "compared_with": COMPARED_WITH[fig.statistic],
            **{f.name: getattr(c, f.name) for f in fields(Comparison) if f.name != "distribution"},
            "replications": len(records),
        }, c.distribution))
    return rows


def run_validation(cohorts: list[Cohort], replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED,
                   progress=None, uncertainty: UncertaintyFor | None = None,
                   calibrated: frozenset[str] = frozenset()) -> Validation:
    """Simulate every cohort (same seed, fixed replications) and compare each published figure.

    ``uncertainty(scenario)``: parameter draws and centre effects (the calibrated model); ``calibrated``: the
    cohorts that posterior was fitted to, reported as calibration figures. ``progress(done, total)``
    is called after each cohort.
    """
    pairs = []
    for done, cohort in enumerate(cohorts, start=1):
        pairs += compare_cohort(cohort, simulate(cohort, replications, seed, uncertainty), seed, calibrated)
        if progress is not None:
            progress(done, len(cohorts))
    table = pd.DataFrame([row for row, _ in pairs])
    table["events"] = table["events"].astype("Int64")
    table["seed"] = seed
    return Validation(table, tuple(dist for _, dist in pairs))
