"""Replications of several strategies for one patient: serial or on a process pool.

Work is cut into blocks of replications; a block's results depend only on (scenario, strategy,
seed, replication numbers), so the frames are bit-identical whatever the number of workers or
the block size.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

import pandas as pd

from .model import Course, Operation
from .outcomes import assemble
from .plan import compile_plan
from .sampling import draw
from .scenario import Scenario

BLOCK = 500  # replications per task


@dataclass(frozen=True)
class Results:
    """Tidy results: ``records`` keyed by (strategy, replication), ``stages`` by (…, stage)."""

    records: pd.DataFrame
    stages: pd.DataFrame
    seed: int
    replications: int
    scenario_digest: str


def simulate_block(
    scenario: Scenario, strategy: str, seed: int, replications: Iterable[int], point: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records and stage rows of ``replications`` of one strategy."""
    plan = compile_plan(scenario, strategy)
    draws = draw(plan, seed, replications, point)
    courses = [Operation(plan, draws, i).run() for i in range(len(draws.replications))]
    return assemble(plan, draws, courses)


def trace(scenario: Scenario, strategy: str, seed: int, replication: int) -> Course:
    """One replication with its timeline (stages, phases, repairs, transfusions), for display."""
    plan = compile_plan(scenario, strategy)
    return Operation(plan, draw(plan, seed, [replication]), 0, trace=True).run()


def _blocks(n: int, size: int):
    return [range(a, min(a + size, n)) for a in range(0, n, size)]


def run(
    scenario: Scenario,
    replications: int,
    seed: int,
    strategies: Iterable[str] | None = None,
    workers: int = 1,
    block_size: int = BLOCK,
    progress: Callable[[int, int], None] | None = None,
) -> Results:
    """Run ``replications`` of each strategy (default: all in the scenario).

    ``progress(done, total)`` is called with replications done after each block.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    names = list(strategies) if strategies is not None else [s.name for s in scenario.strategies]
    for name in names:
        scenario.strategy(name)  # raises KeyError naming the known strategies
    tasks = [(name, block) for name in names for block in _blocks(replications, block_size)]
    total, done = replications * len(names), 0
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    if workers <= 1:
        for name, block in tasks:
            parts.append(simulate_block(scenario, name, seed, block))
            done += len(block)
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(simulate_block, scenario, name, seed, block) for name, block in tasks]
            for (name, block), fut in zip(tasks, futures):
                parts.append(fut.result())
                done += len(block)
                if progress:
                    progress(done, total)
    records = pd.concat([r for r, _ in parts], ignore_index=True)
    stages = pd.concat([s for _, s in parts], ignore_index=True)
    return Results(records, stages, seed, replications, scenario.digest())
