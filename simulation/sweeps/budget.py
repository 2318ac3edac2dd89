"""What a sweep will cost before it runs: simulated operations, time, disk and memory per worker.

``sweep check`` prints the estimate; ``sweep check`` and ``sweep run`` refuse a sweep over
``MAX_OPERATIONS`` unless forced, and one whose workers would together hold more records than the
memory budget (``runs.limits.memory_budget``) in any case. Times come from the measured rate
``runs.limits.OPERATIONS_PER_CORE_S`` (an assumption: the model's speed varies with the scenario
and the machine), so they are announced as estimates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from ..runs.limits import (
    OPERATIONS_PER_CORE_S,
    RECORD_DISK_BYTES,
    held_bytes,
    megabytes,
    memory_budget,
)

# Assumption: about 14 hours of simulation on two cores at the measured rate; larger sweeps are
# meant for a cluster and must be asked for on purpose (--force).
MAX_OPERATIONS = 100_000_000
# Assumption: bytes per stored summary or contrast row in DuckDB (ids, names and seven doubles), rounded up.
SUMMARY_ROW_BYTES = 120


@dataclass(frozen=True)
class Estimate:
    """The cost of running a sweep's points on ``workers`` workers."""

    points: int
    operations: int  # points x strategies x replications
    workers: int
    disk_bytes: int  # summaries and contrasts, and kept records
    worker_bytes: int  # peak memory of one worker: one point's records

    @property
    def core_seconds(self) -> float:
        return self.operations / OPERATIONS_PER_CORE_S

    @property
    def wall_seconds(self) -> float:
        return self.core_seconds / self.workers

    def lines(self) -> list[str]:
        """The estimate, one fact a line, with its assumption."""
        return [
            f"{self.operations:,} simulated operations ({self.points:,} points)",
            f"about {timedelta(seconds=round(self.wall_seconds))} on {self.workers} worker{'s' * (self.workers != 1)} "
            f"(assumed {OPERATIONS_PER_CORE_S:,} operations per second per worker, measured on the seed case)",
            f"about {megabytes(self.disk_bytes)} on disk; about {megabytes(self.worker_bytes)} of memory per worker",
        ]

    def problems(self, force: bool = False) -> list[str]:
        """Why this sweep should not run here (empty: it may)."""
        found = []
        if self.operations > MAX_OPERATIONS and not force:
            found.append(f"{self.operations:,} simulated operations is over the limit of {MAX_OPERATIONS:,} for one sweep "
                         f"(about {timedelta(seconds=round(self.wall_seconds))} here); use fewer points or replications, "
                         "or give --force to run it anyway (e.g. on a cluster with --scheduler)")
        budget = memory_budget()
        if self.worker_bytes * self.workers > budget:
            found.append(f"replications: {self.workers} worker(s) would each hold about {megabytes(self.worker_bytes)} "
                         f"of records for one point, over the memory budget of {megabytes(budget)} ($RESECTSIM_MEMORY_MB); "
                         "use fewer replications per point or fewer --workers")
        return found


def estimate(plan, workers: int) -> Estimate:
    """The cost of every point of ``plan`` (a ``SweepPlan``) on ``workers`` workers."""
    spec, strategies = plan.spec, len(plan.strategies)
    points = len(plan.points)
    per_point = strategies * spec.replications
    pairs = len(list(itertools.combinations(range(strategies), 2)))
    rows = points * len(spec.outcomes) * (strategies + pairs)
    disk = rows * SUMMARY_ROW_BYTES + (points * per_point * RECORD_DISK_BYTES if spec.keep_records else 0)
    return Estimate(points, points * per_point, max(1, workers), disk, held_bytes(per_point))
