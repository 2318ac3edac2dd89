"""Running a sweep: the task a worker runs (``run_chunk``) and the coordinator (``run_sweep``).

A task is a chunk of points. For each point the worker re-validates the scenario where the
point's values change it, simulates every strategy for the spec's replications with seeds keyed by
(master seed, point, replication, stream), and keeps only summaries (per strategy x outcome)
and paired contrasts (per strategy pair x outcome); per-replication records travel back only
when the spec asks to keep them. A point's numbers depend on nothing but the spec, so results
are identical whatever the backend, the number of workers or the chunking.

The coordinator is the only process that writes to the database (it holds the store's writer
lock while it runs): it stores each finished chunk
in one transaction (``simulation.store``) as it arrives, in whatever order chunks finish.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..runs.analysis import better_worse, outcome_values, summarise
from ..runs.runner import simulate_block
from ..scenario.errors import Issue, ScenarioError
from ..scenario.schema import Scenario
from .paths import Target
from .spec import SweepPlan, point_scenario
from .store import Store

SIMS_PER_TASK = 4000  # replications x strategies per task: about two seconds of work
TASKS_PER_WORKER = 4  # at least this many tasks per worker, for balance


@dataclass(frozen=True)
class Job:
    """What every task of a sweep shares (sent to each worker once)."""

    scenario: Scenario  # the base scenario
    targets: tuple[Target, ...]
    labels: tuple[str, ...]
    strategies: tuple[str, ...]
    outcomes: tuple[str, ...]
    replications: int
    seed: int
    common_random_numbers: bool
    keep_records: bool
    file: str

    @classmethod
    def of(cls, plan: SweepPlan) -> Job:
        s = plan.spec
        return cls(plan.scenario, plan.targets, plan.labels, plan.strategies, s.outcomes, s.replications, s.seed,
                   s.common_random_numbers, s.keep_records, plan.file)


@dataclass(frozen=True)
class ChunkResult:
    points: tuple[int, ...]
    compute_s: tuple[float, ...]  # per point, seconds of simulation and summary (wall clock)
    cpu_s: float = 0.0  # CPU seconds of the whole chunk (below compute_s when the worker waits for a core)
    results: pd.DataFrame | None = None
    contrasts: pd.DataFrame | None = None
    records: pd.DataFrame | None = None
    error: tuple[Issue, ...] = field(default=())  # a point whose scenario is invalid


def contrasts(records: pd.DataFrame, strategies: tuple[str, ...], outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Paired differences a - b for every strategy pair (records ordered by strategy, then replication);
    P(a better) counts a higher value as better for ``analysis.HIGHER_IS_BETTER`` outcomes."""
    rows = []
    for outcome in outcomes:
        x = outcome_values(records, outcome).reshape(len(strategies), -1)
        for (i, a), (j, b) in itertools.combinations(enumerate(strategies), 2):
            d = x[i] - x[j]
            n = len(d)
            rows.append((a, b, outcome, d.mean(), d.std(ddof=1) / math.sqrt(n), *better_worse(d, outcome)))
    return pd.DataFrame(rows, columns=["a", "b", "outcome", "mean_difference", "se", "p_a_better", "p_a_worse"])


def run_point(job: Job, point: int, values) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Summaries, contrasts and records of one point (raises ``ScenarioError`` if it is invalid)."""
    scenario = point_scenario(job.scenario, job.targets, values, job.file, point, job.labels)
    key = None if job.common_random_numbers else point
    records, _ = simulate_block(scenario, job.strategies, job.seed, range(job.replications), point=key)
    records["strategy"] = records["strategy"].astype(str)
    summary = summarise(records, list(job.outcomes))
    summary["sd"] = summary.mcse * np.sqrt(summary.n)
    summary.insert(0, "point", point)
    pairs = contrasts(records, job.strategies, job.outcomes)
    pairs.insert(0, "point", point)
    records.insert(0, "point", point)
    return summary, pairs, records


def run_chunk(job: Job, chunk: tuple[tuple[int, tuple[float, ...]], ...]) -> ChunkResult:
    """The task: run every point of ``chunk`` ((point, values) pairs)."""
    summaries, pairs, kept, seconds = [], [], [], []
    cpu_start = time.process_time()
    for point, values in chunk:
        start = time.perf_counter()
        try:
            summary, contrast, records = run_point(job, point, values)
        except ScenarioError as exc:  # returned, not raised: it must cross process boundaries intact
            return ChunkResult(tuple(p for p, _ in chunk), (), error=tuple(exc.issues))
        seconds.append(time.perf_counter() - start)
        summaries.append(summary)
        pairs.append(contrast)
        if job.keep_records:
            kept.append(records)
    return ChunkResult(
        tuple(p for p, _ in chunk), tuple(seconds), time.process_time() - cpu_start, pd.concat(summaries, ignore_index=True),
        pd.concat(pairs, ignore_index=True), pd.concat(kept, ignore_index=True) if kept else None,
    )


def chunk_size(points: int, replications: int, strategies: int, workers: int) -> int:
    """Points per task: about ``SIMS_PER_TASK`` simulations, and enough tasks to balance the workers."""
    by_work = max(1, round(SIMS_PER_TASK / (replications * strategies)))
    by_balance = max(1, math.ceil(points / (TASKS_PER_WORKER * max(1, workers))))
    return min(by_work, by_balance)


@dataclass(frozen=True)
class RunReport:
    sweep_id: str
    points_total: int
    points_run: int  # this time (the others were done before)
    chunks: int
    simulations: int  # replications x strategies run this time
    wall_s: float
    compute_s: float  # sum over points of worker compute time (wall clock)
    cpu_s: float  # sum over tasks of worker CPU time


def run_sweep(
    plan: SweepPlan,
    store: Store,
    backend,
    chunk_points: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Run the points of ``plan`` not yet done in ``store`` on ``backend``; resumable.

    ``progress(done, total)`` is called with points done (including earlier runs) after each
    stored chunk, and once before the first. Holds the store's writer lock throughout: a second
    runner on the same database gets ``StoreError`` before it changes anything.
    """
    with store.writing():
        return _run_pending(plan, store, backend, chunk_points, progress)


def _run_pending(plan: SweepPlan, store: Store, backend, chunk_points: int | None,
                 progress: Callable[[int, int], None] | None) -> RunReport:
    pending = store.start(plan)
    total = len(plan.points)
    done = total - len(pending)
    if progress:
        progress(done, total)
    size = chunk_points or chunk_size(len(pending), plan.spec.replications, len(plan.strategies), backend.workers)
    chunks = [
        tuple((int(i), tuple(float(x) for x in plan.points[i])) for i in pending[a : a + size])
        for a in range(0, len(pending), size)
    ]
    start, compute, cpu = time.perf_counter(), 0.0, 0.0
    try:
        for result in backend.map_unordered(run_chunk, Job.of(plan), chunks):
            if result.error:
                raise ScenarioError(list(result.error))
            store.write_chunk(plan.name, result)
            compute += sum(result.compute_s)
            cpu += result.cpu_s
            done += len(result.points)
            if progress:
                progress(done, total)
    except (KeyboardInterrupt, SystemExit):
        store.finish(plan.name, "interrupted")
        raise
    except BaseException as exc:
        store.finish(plan.name, "failed", f"{type(exc).__name__}: {exc}" if not isinstance(exc, ScenarioError) else str(exc))
        raise
    store.finish(plan.name, "complete")
    sims = len(pending) * plan.spec.replications * len(plan.strategies)
    return RunReport(plan.name, total, len(pending), len(chunks), sims, time.perf_counter() - start, compute, cpu)
