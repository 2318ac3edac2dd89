"""Everything the tumour-board page shows, computed once per run (histograms when first drawn): ``build_comparison``.

The run goes through ``simulation.run`` and the statistics through ``simulation.analysis``; this
module only selects outcomes, converts units for display and pre-aggregates chart data
(histograms and quantiles, a few hundred rows per strategy) so the browser never receives the
raw replications.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from simulation import RunUncertainty, Scenario, __version__, honest_summary, run, uncertainty
from simulation.model.uncertainty import Uncertainty
from simulation.present.formats import (
    DIFFERENCES,
    HEADLINE,
    HEADLINE_RISKS,
    Shown,
    oncology_note,
    risk_labels,
)
from simulation.runs.analysis import Z, paired_differences, strategy_rows, summarise
from simulation.runs.runner import BLOCK
from simulation.runs.uncertainty import honest_exceedance, parts_on

PARALLEL_FROM = 2_000  # total replications from which two worker processes can pay for their start-up
ALWAYS_PARALLEL_FROM = 8_000  # ... and from which they do even on a busy machine
IDLE_CORES_FOR_SECOND_WORKER = 1.5  # cores free (cpu count minus 1-minute load average)
WARM_PARALLEL_FROM = 800  # total replications from which warm workers win (4 x 250: 0.34 s against 0.64 s)
HISTOGRAM_BINS = 40
TAIL_SHARE = 0.005  # the top 0.5% of each outcome is collected in the last histogram bar
QUANTILES = np.linspace(0.0, 1.0, 201)


@dataclass(frozen=True)
class Comparison:
    """One run of several strategies for one scenario, summarised for display."""

    scenario_digest: str
    version: str
    strategies: tuple[str, ...]
    labels: dict[str, str]  # strategy name -> label
    replications: int
    seed: int
    records: pd.DataFrame
    stages: pd.DataFrame
    summary: pd.DataFrame  # simulation.analysis.summarise rows
    exceedance: pd.DataFrame  # strategy, question, p, mcse, honest_low, honest_high
    quantiles: pd.DataFrame  # strategy, outcome, q, value (display units)
    risk_labels: dict[str, str]  # risk column -> label with its time frame
    oncology_note: str = ""  # how to read the margin and adjuvant-therapy outputs (formats.oncology_note)
    honest: pd.DataFrame = None  # simulation.honest_summary rows (mean, mcse, sd_*, honest_low, honest_high)
    uncertainty_note: str = ""  # what the run drew (provenance)
    uncertainty_parts: tuple[str, ...] = ()  # "parameter", "centre": what the honest range carries beyond Monte Carlo
    uncertainty: Uncertainty | None = None  # the run's draws (its nesting groups the replications)

    @cached_property
    def histograms(self) -> pd.DataFrame:
        """strategy, outcome, bin_start, bin_end, share, median (display units); made when first asked
        for (the Distributions tab), not after every run."""
        rows = strategy_rows(self.records)
        return pd.concat([histogram(self.records, s, rows) for s in HEADLINE], ignore_index=True)

    @property
    def key(self) -> tuple:
        """What the results depend on (the cache key)."""
        return (self.scenario_digest, self.strategies, self.replications, self.seed, self.version)


def workers_for(total_replications: int) -> int:
    """Worker processes for a run (results are identical for any number).

    Small runs: one (a pool's start-up costs more than it saves). Large runs: two, which also
    win a bigger share of a busy machine. In between: two only when a second core is idle
    (4 x 1,000 on a busy machine took 1.5 s with two workers and 1.05 s with one).
    """
    cores = os.cpu_count() or 1
    if cores < 2 or total_replications < PARALLEL_FROM:
        return 1
    if total_replications >= ALWAYS_PARALLEL_FROM:
        return 2
    return 2 if cores - os.getloadavg()[0] >= IDLE_CORES_FOR_SECOND_WORKER else 1


def build_comparison(
    scenario: Scenario,
    strategies: list[str] | tuple[str, ...],
    replications: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
    drawn: RunUncertainty | None = None,
    workers: tuple[Executor, int] | None = None,
) -> Comparison:
    """Run ``replications`` of each strategy and compute every table and chart data set. ``drawn``: the
    parameter and centre draws (default: ``simulation.uncertainty(scenario)``, the stored posterior).
    ``workers``: a pool of already started worker processes and their number (a server's), used for
    runs from ``WARM_PARALLEL_FROM`` replications in all; without it, ``workers_for`` decides.

    ``make bench`` times this, with the charts, through ``dashboard.compare.charts.bench``.
    """
    strategies = tuple(strategies)
    drawn = drawn or uncertainty(scenario)  # the stored posterior and a centre like those published, or fixed parameters
    on = dict(progress=progress, uncertainty=drawn.uncertainty, note=drawn.note)
    if workers is not None and replications * len(strategies) >= WARM_PARALLEL_FROM:
        pool, count = workers  # one block per worker at least (results do not depend on the blocks)
        results = run(scenario, replications, seed, strategies, executor=pool,
                      block_size=min(BLOCK, math.ceil(replications / count)), **on)
    else:
        results = run(scenario, replications, seed, strategies, workers=workers_for(replications * len(strategies)), **on)
    records = results.records
    outcomes = [s.column for s in HEADLINE] + list(HEADLINE_RISKS) + [f"complication_{k}" for k in scenario.parameters.complications.types]
    summary, honest = summarise(records, outcomes), honest_summary(records, results.uncertainty, outcomes)
    rows = strategy_rows(records)
    if parts_on(results.uncertainty):  # nested draws: the Monte Carlo error of a mean is the nested design's
        summary["mcse"] = honest.mcse.to_numpy()
        summary["ci_low"], summary["ci_high"] = summary["mean"] - Z * summary.mcse, summary["mean"] + Z * summary.mcse
    return Comparison(
        scenario_digest=results.scenario_digest,
        version=__version__,
        strategies=strategies,
        labels={s: scenario.strategy(s).label for s in strategies},
        replications=replications,
        seed=seed,
        records=records,
        stages=results.stages,
        summary=summary,
        exceedance=exceedance_table(scenario, records, results.uncertainty),
        quantiles=pd.concat([quantiles(records, s, rows) for s in HEADLINE], ignore_index=True),
        risk_labels=risk_labels(scenario),
        oncology_note=oncology_note(scenario),
        honest=honest,
        uncertainty_note=results.uncertainty_note,
        uncertainty_parts=parts_on(results.uncertainty),
        uncertainty=results.uncertainty,
    )


def exceedance_table(scenario: Scenario, records: pd.DataFrame, drawn: Uncertainty | None = None) -> pd.DataFrame:
    """P(outcome > threshold) per strategy for each of the scenario's ``worst_cases`` questions: ``p``, its
    Monte Carlo SE and the run's range (``honest_low``, ``honest_high``: with parameters and a centre
    drawn, what they leave uncertain too; within 0-1), as every risk has."""
    found = [honest_exceedance(records, q.column, q.above.value, drawn).assign(question=q.text)
             for q in scenario.parameters.worst_cases]
    return pd.concat(found, ignore_index=True)[["strategy", "question", "p", "mcse", "honest_low", "honest_high"]]


def histogram(records: pd.DataFrame, shown: Shown, rows: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Shares of replications per bin on bins common to all strategies, in display units (``rows``:
    ``strategy_rows(records)``, if already known)."""
    raw = records[shown.column].to_numpy(dtype=float)
    values = raw * shown.scale
    lo, hi = float(values.min()), float(np.quantile(values, 1 - TAIL_SHARE))
    if shown.column == "rbc_units" and hi - lo <= 2 * HISTOGRAM_BINS:
        edges = np.arange(np.floor(lo), np.ceil(hi) + 2) - 0.5
    else:
        edges = np.linspace(lo, hi if hi > lo else lo + 1, HISTOGRAM_BINS + 1)
    rows = rows if rows is not None else strategy_rows(records)
    counts = [np.histogram(np.clip(values[at], edges[0], edges[-1]), edges)[0] / len(at) for at in rows.values()]
    bins = len(edges) - 1
    return pd.DataFrame({
        "strategy": [name for name in rows for _ in range(bins)], "outcome": shown.column,
        "bin_start": np.tile(edges[:-1], len(rows)), "bin_end": np.tile(edges[1:], len(rows)),
        "share": np.concatenate(counts),
        "median": np.repeat([float(np.median(raw[at]) * shown.scale) for at in rows.values()], bins),
    })


def quantiles(records: pd.DataFrame, shown: Shown, rows: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The quantile function on ``QUANTILES`` per strategy (an ECDF in a few hundred points)."""
    values = records[shown.column].to_numpy(dtype=float) * shown.scale
    rows = rows if rows is not None else strategy_rows(records)
    return pd.DataFrame({
        "strategy": [name for name in rows for _ in QUANTILES], "outcome": shown.column,
        "q": np.tile(QUANTILES, len(rows)), "value": np.concatenate([np.quantile(values[at], QUANTILES) for at in rows.values()]),
    })


def differences(comparison: Comparison, reference: str) -> pd.DataFrame:
    """``reference`` minus each other strategy, paired by replication (common random numbers).

    Outcomes are converted to display units (``DIFFERENCES``: ``unit``, ``title``, and ``digits``
    for the mean difference, at least one decimal); ``p_reference_better`` is the share of
    simulated patients for whom the reference plan gave the lower (better) value; each share
    has its Monte Carlo standard error (``mcse_p_reference_better``, ``mcse_p_reference_worse``,
    ``mcse_p_tie``).
    """
    pairs = []
    for other in comparison.strategies:
        if other == reference:
            continue
        d = paired_differences(comparison.records, reference, other, list(DIFFERENCES))
        pairs.append(d.assign(strategy=other))
    if not pairs:
        return pd.DataFrame()
    out = pd.concat(pairs, ignore_index=True)
    shown = out.outcome.map(DIFFERENCES)
    for col in ("mean_difference", "ci_low", "ci_high"):
        out[col] = out[col] * shown.map(lambda s: s.scale)
    out["unit"], out["title"] = shown.map(lambda s: s.unit), shown.map(lambda s: s.title)
    out["digits"] = shown.map(lambda s: max(s.digits, 1))
    return out.rename(columns={"p_a_better": "p_reference_better", "p_a_worse": "p_reference_worse",
                               "mcse_p_a_better": "mcse_p_reference_better", "mcse_p_a_worse": "mcse_p_reference_worse"})
