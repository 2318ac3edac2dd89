"""Replications of several strategies for one patient: serial or on a process pool.

Work is cut into blocks of replications; a block's results depend only on (scenario, strategy,
seed, replication numbers), so the frames are bit-identical whatever the number of workers or
the block size.
"""

from __future__ import annotations

from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import pandas as pd

from .model import Course, Operation
from .outcomes import assemble
from .plan import compile_plan
from .sampling import draw, draw_raw, transform
from .scenario import Scenario

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
    executor: Executor | None = None,
) -> Results:
    """Run ``replications`` of each strategy (default: all in the scenario).

    ``workers > 1`` runs blocks on a new process pool; pass ``executor`` to reuse a pool of your
    own (a long-lived server should). ``progress(done, total)`` is called after each block with
    the operations simulated so far.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    names = list(strategies) if strategies is not None else [s.name for s in scenario.strategies]
    for name in names:
        scenario.strategy(name)  # raises KeyError naming the known strategies
    blocks = _blocks(replications, block_size)
    total, done = replications * len(names), 0
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []

    def collect(part, block):
        nonlocal done
        parts.append(part)
        done += len(block) * len(names)
        if progress:
            progress(done, total)

    def on(pool: Executor) -> None:
        futures = [pool.submit(simulate_block, scenario, names, seed, block) for block in blocks]
        for block, fut in zip(blocks, futures):
            collect(fut.result(), block)

    if executor is not None:
        on(executor)
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            on(pool)
    else:
        for block in blocks:
            collect(simulate_block(scenario, names, seed, block), block)
    def tidy(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values(keys, kind="stable").reset_index(drop=True)

    records = tidy([r for r, _ in parts], ["strategy", "replication"])
    stages = tidy([s for _, s in parts], ["strategy", "replication", "stage"])
    return Results(records, stages, seed, replications, scenario.digest())
