"""Replications of several strategies for one patient: serial or on a process pool.

Work is cut into blocks of replications; a block's results depend only on (scenario, strategy,
seed, replication numbers), so the frames are bit-identical whatever the number of workers or
the block size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from ..model.operation import Course, Operation
from ..model.outcomes import assemble
from ..model.plan import compile_plan
from ..model.sampling import draw, draw_raw, transform
from ..scenario.schema import Scenario

BLOCK = 500  # replications per task


@dataclass(frozen=True)
class Results:
    """Tidy results: ``records`` keyed by (strategy, replication), ``stages`` by (…, stage).

    ``strategy`` is a categorical in the order the strategies were asked for.
    """

    records: pd.DataFrame
    stages: pd.DataFrame
    seed: int
    replications: int
    scenario_digest: str


def simulate_block(
    scenario: Scenario,
    strategies: str | Sequence[str],
    seed: int,
    replications: Iterable[int],
    point: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records and stage rows of ``replications`` of one or more strategies.

    The raw random numbers are drawn once per replication and shared by the strategies
    (common random numbers); each strategy's results are the same as if it ran alone.
    """
    names = [strategies] if isinstance(strategies, str) else list(strategies)
    plans = [compile_plan(scenario, name) for name in names]
    raw = draw_raw(seed, replications, plans, point)
    parts = []
    for plan in plans:
        draws = transform(plan, raw)
        courses = [Operation(plan, draws, i).run() for i in range(len(raw.replications))]
        parts.append(assemble(plan, draws, courses))
    records, stages = (pd.concat([p[k] for p in parts], ignore_index=True) for k in (0, 1))
    for frame in (records, stages):
        frame["strategy"] = pd.Categorical(frame["strategy"], categories=names)
    return records, stages


def trace(scenario: Scenario, strategy: str, seed: int, replication: int) -> Course:
    """One replication with its timeline (stages, phases, repairs, transfusions), for display."""
    plan = compile_plan(scenario, strategy)
    return Operation(plan, draw(plan, seed, [replication]), 0, trace=True).run()


def simulate_range(
    scenario: Scenario,
    names: Sequence[str],
    seed: int,
    replications: range,
    pool: Executor | None = None,
    block_size: int = BLOCK,
    done: Callable[[int], None] | None = None,
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(records, stages) of ``replications`` block by block, on ``pool`` if given, in block order;
    ``done(k)`` is called after each block of k replications."""
    blocks = [range(a, min(a + block_size, replications.stop)) for a in range(replications.start, replications.stop, block_size)]
    futures = [pool.submit(simulate_block, scenario, names, seed, b) for b in blocks] if pool is not None else None
    parts = []
    for i, block in enumerate(blocks):
        parts.append(futures[i].result() if futures is not None else simulate_block(scenario, names, seed, block))
        if done is not None:
            done(len(block))
    return parts


def collect(parts: list[tuple[pd.DataFrame, pd.DataFrame]], scenario: Scenario, seed: int, replications: int) -> Results:
    """The parts as one tidy ``Results``, ordered by (strategy, replication[, stage])."""

    def tidy(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values(keys, kind="stable").reset_index(drop=True)

    records = tidy([r for r, _ in parts], ["strategy", "replication"])
    stages = tidy([s for _, s in parts], ["strategy", "replication", "stage"])
    return Results(records, stages, seed, replications, scenario.digest())


def run(
    scenario: Scenario,
    replications: int,
    seed: int,
    strategies: Iterable[str] | None = None,
    workers: int = 1,
    block_size: int = BLOCK,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> Results:
    """Run ``replications`` of each strategy (default: all in the scenario).

    ``workers > 1`` runs blocks on a new process pool; pass ``executor`` to reuse a pool of your
    own (a long-lived server should). ``progress(done, total)`` is called after each block with
    the operations simulated so far.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    names = check_strategies(scenario, strategies)
    total, counted = replications * len(names), 0

    def done(k: int) -> None:
        nonlocal counted
        counted += k * len(names)
        if progress:
            progress(counted, total)

    def on(pool: Executor | None) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
        return simulate_range(scenario, names, seed, range(replications), pool, block_size, done)

    if executor is not None:
        parts = on(executor)
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = on(pool)
    else:
        parts = on(None)
    return collect(parts, scenario, seed, replications)


def check_strategies(scenario: Scenario, strategies: Iterable[str] | None) -> list[str]:
    """The strategy names asked for (default: all in the scenario); an unknown one raises KeyError."""
    names = list(strategies) if strategies is not None else [s.name for s in scenario.strategies]
    for name in names:
        scenario.strategy(name)  # raises KeyError naming the known strategies
    return names
