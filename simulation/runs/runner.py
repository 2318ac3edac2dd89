"""Replications of several strategies for one patient: serial or on a process pool.

Work is cut into blocks of replications; a block's results depend only on (scenario, strategy,
seed, replication numbers), so the frames are bit-identical whatever the number of workers or
the block size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..model.operation import Course, Operation, simulate
from ..model.outcomes import assemble
from ..model.plan import compile_plan
from ..model.sampling import draw, draw_raw, transform
from ..model.uncertainty import Uncertainty
from ..scenario.schema import Scenario
from .files import table_writers
from .limits import cores
from .pools import process_pool

BLOCK = 500  # replications per task
RECORD_KEYS = ["strategy", "replication"]  # the order of records and of stage rows
STAGE_KEYS = ["strategy", "replication", "stage"]


@dataclass(frozen=True)
class Results:
    """Tidy results: ``records`` keyed by (strategy, replication), ``stages`` by (…, stage).

    ``strategy`` is a categorical in the order the strategies were asked for.
    """

    records: pd.DataFrame
    stages: pd.DataFrame
    seed: int
    replications: int
    scenario_digest: str  # with the uncertainty's digest when parameters or a centre were drawn
    uncertainty: Uncertainty | None = None
    uncertainty_note: str = ""  # what the run drew, for the provenance line


def simulate_block(
    scenario: Scenario,
    strategies: str | Sequence[str],
    seed: int,
    replications: Iterable[int],
    point: int | None = None,
    uncertainty: Uncertainty | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records and stage rows of ``replications`` of one or more strategies.

    The raw random numbers (with each replication's parameter row and centre effect, given
    ``uncertainty``) are drawn once per replication and shared by the strategies (common random
    numbers); each strategy's results are the same as if it ran alone.
    """
    names = [strategies] if isinstance(strategies, str) else list(strategies)
    plans = [compile_plan(scenario, name) for name in names]
    raw = draw_raw(seed, replications, plans, point, uncertainty)
    parts = []
    for plan in plans:
        draws = transform(plan, raw)
        courses = simulate(plan, draws)
        parts.append(assemble(plan, draws, courses))
    records, stages = (pd.concat([p[k] for p in parts], ignore_index=True) for k in (0, 1))
    for frame in (records, stages):
        frame["strategy"] = pd.Categorical(frame["strategy"], categories=names)
    return records, stages


def trace(scenario: Scenario, strategy: str, seed: int, replication: int, uncertainty: Uncertainty | None = None) -> Course:
    """One replication with its timeline (stages, phases, repairs, transfusions), for display."""
    plan = compile_plan(scenario, strategy)
    return Operation(plan, draw(plan, seed, [replication], uncertainty=uncertainty), 0, trace=True).run()


def iter_blocks(
    scenario: Scenario,
    names: Sequence[str],
    seed: int,
    replications: range,
    pool: Executor | None = None,
    block_size: int = BLOCK,
    window: int | None = None,
    uncertainty: Uncertainty | None = None,
) -> Iterator[tuple[range, tuple[pd.DataFrame, pd.DataFrame]]]:
    """(block, (records, stages)) for ``replications`` block by block, in block order, on ``pool`` if
    given. At most ``window`` blocks (default two per core) are submitted and not yet yielded, so
    memory stays bounded however many replications are asked for."""
    blocks = (range(a, min(a + block_size, replications.stop)) for a in range(replications.start, replications.stop, block_size))
    if pool is None:
        for block in blocks:
            yield block, simulate_block(scenario, names, seed, block, uncertainty=uncertainty)
        return
    window = window or 2 * cores()
    pending: deque[tuple[range, Future]] = deque()
    try:
        for block in blocks:
            pending.append((block, pool.submit(simulate_block, scenario, names, seed, block, None, uncertainty)))
            if len(pending) >= window:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        for _, future in pending:
            future.cancel()


def simulate_range(
    scenario: Scenario,
    names: Sequence[str],
    seed: int,
    replications: range,
    pool: Executor | None = None,
    block_size: int = BLOCK,
    done: Callable[[int], None] | None = None,
    uncertainty: Uncertainty | None = None,
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(records, stages) of ``replications`` block by block, on ``pool`` if given, in block order;
    ``done(k)`` is called after each block of k replications."""
    parts = []
    for block, part in iter_blocks(scenario, names, seed, replications, pool, block_size, uncertainty=uncertainty):
        parts.append(part)
        if done is not None:
            done(len(block))
    return parts


def run_digest(scenario: Scenario, uncertainty: Uncertainty | None) -> str:
    """The scenario's digest, joined with the uncertainty's when a run draws parameters or a centre."""
    if uncertainty is None or not (uncertainty.parameters_on or uncertainty.centre_on):
        return scenario.digest()
    return f"{scenario.digest()}+{uncertainty.digest[:6]}"


def collect(parts: list[tuple[pd.DataFrame, pd.DataFrame]], scenario: Scenario, seed: int, replications: int,
            uncertainty: Uncertainty | None = None, note: str = "") -> Results:
    """The parts as one tidy ``Results``, ordered by (strategy, replication[, stage])."""

    def tidy(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values(keys, kind="stable").reset_index(drop=True)

    records = tidy([r for r, _ in parts], RECORD_KEYS)
    stages = tidy([s for _, s in parts], STAGE_KEYS)
    return Results(records, stages, seed, replications, run_digest(scenario, uncertainty), uncertainty, note)


def run(
    scenario: Scenario,
    replications: int,
    seed: int,
    strategies: Iterable[str] | None = None,
    workers: int = 1,
    block_size: int = BLOCK,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    uncertainty: Uncertainty | None = None,
    note: str = "",
) -> Results:
    """Run ``replications`` of each strategy (default: all in the scenario).

    ``workers > 1`` runs blocks on a new process pool (``pools.process_pool``: its workers start fresh,
    so a script that asks for one needs the usual ``if __name__ == "__main__":`` guard); pass
    ``executor`` to reuse a pool of your own (a long-lived server should). ``progress(done, total)`` is called after each block with
    the operations simulated so far. ``uncertainty`` draws parameters and centres per replication
    (``model.uncertainty``; None: the scenario's numbers as they stand); ``note`` says what it is.
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
        return simulate_range(scenario, names, seed, range(replications), pool, block_size, done, uncertainty)

    if executor is not None:
        parts = on(executor)
    elif workers > 1:
        with process_pool(workers) as pool:
            parts = on(pool)
    else:
        parts = on(None)
    return collect(parts, scenario, seed, replications, uncertainty, note)


def run_to_files(
    scenario: Scenario,
    strategy: str,
    replications: int,
    seed: int,
    records: str | Path,
    stages: str | Path | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    uncertainty: Uncertainty | None = None,
) -> tuple[int, int]:
    """Run ``replications`` of one strategy, writing its records (and stage rows) block by block;
    returns (records, stage rows) written. Memory stays bounded whatever ``replications``; the rows
    and their order are those of ``run``, and the files replace their targets together only when
    the run finishes (``files.table_writers``)."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1 (got {replications})")
    names = check_strategies(scenario, [strategy])
    paths = [records] if stages is None else [records, stages]
    with table_writers(*paths) as writers, (process_pool(workers) if workers > 1 else nullcontext()) as pool:
        blocks = iter_blocks(scenario, names, seed, range(replications), pool, uncertainty=uncertainty)
        for block, (block_records, block_stages) in blocks:
            writers[0].write(block_records.sort_values(RECORD_KEYS, kind="stable"))
            if stages is not None:
                writers[1].write(block_stages.sort_values(STAGE_KEYS, kind="stable"))
            if progress:
                progress(block.stop, replications)
    return writers[0].rows, writers[-1].rows if stages is not None else 0


def check_strategies(scenario: Scenario, strategies: Iterable[str] | None) -> list[str]:
    """The strategy names asked for (default: all in the scenario); an unknown one raises KeyError."""
    names = list(strategies) if strategies is not None else [s.name for s in scenario.strategies]
    for name in names:
        scenario.strategy(name)  # raises KeyError naming the known strategies
    return names
