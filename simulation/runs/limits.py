"""How much work one command may ask of this machine: worker processes, memory, time and disk.

These are engineering limits, not model inputs. The per-operation figures were measured on the
seed case (five strategies, 2,000 replications, the 2-core development machine, busy) and are
stated as assumptions; they only decide what is refused or announced, never a result.

* Workers: at most the cores this process may run on (``os.sched_getaffinity``), unless the
  caller allows oversubscription (a machine whose cores are not all visible, a cluster).
* Memory: results held in memory (``compare``, a sweep point) may use at most
  ``memory_budget()`` bytes, ``$RESECTSIM_MEMORY_MB`` (default 2000 MB); ``run --out`` streams
  its records to disk in blocks instead and needs no budget.
"""

from __future__ import annotations

import os

# Assumption: peak bytes of memory per simulated operation kept in memory. Measured 246 B of record
# and 102 B of stage rows per operation (pandas, deep), times three for the concatenation and
# sorting copies that exist at the peak.
RECORD_MEMORY_BYTES = 1024
# Assumption: bytes on disk per simulated operation as Parquet: measured 87 B of record and 75 B of
# stage rows (snappy), rounded up.
RECORD_DISK_BYTES = 170
# Assumption: simulated operations per second per core; measured 1,060 (seed case, five strategies,
# busy 2-core machine), rounded down. Only used to estimate run times.
OPERATIONS_PER_CORE_S = 1000
DEFAULT_MEMORY_MB = 2000
MEMORY_ENV = "RESECTSIM_MEMORY_MB"


class LimitError(ValueError):
    """Work beyond what this machine should be asked for; the message says how to proceed."""


def cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def check_workers(workers: int, allow_oversubscribe: bool = False, option: str = "--workers") -> int:
    """``workers`` if this machine has the cores for them (or oversubscription is allowed)."""
    if workers < 1:
        raise LimitError(f"{option}: must be at least 1 (got {workers})")
    if workers > cores() and not allow_oversubscribe:
        raise LimitError(
            f"{option}: at most {cores()} on this machine (the cores this process may use; got {workers}); "
            "more processes than cores only add memory and switching. Give --allow-oversubscribe to start them anyway"
        )
    return workers


def memory_budget() -> int:
    """Bytes that results held in memory may take: ``$RESECTSIM_MEMORY_MB`` megabytes (default 2000)."""
    raw = os.environ.get(MEMORY_ENV, "")
    try:
        mb = float(raw) if raw else DEFAULT_MEMORY_MB
    except ValueError:
        raise LimitError(f"${MEMORY_ENV}: must be a number of megabytes (got {raw!r})") from None
    if not 0 < mb < float("inf"):
        raise LimitError(f"${MEMORY_ENV}: must be a positive number of megabytes (got {raw!r})")
    return int(mb * 1e6)


def held_bytes(operations: int) -> int:
    """Estimated peak memory of ``operations`` simulated operations kept in memory."""
    return operations * RECORD_MEMORY_BYTES


def max_held_operations() -> int:
    """The most simulated operations whose records fit the memory budget."""
    return memory_budget() // RECORD_MEMORY_BYTES


def megabytes(n: float) -> str:
    """``n`` bytes for a message (decimal units): '1.2 GB', '340 MB', '12 kB'."""
    if n >= 1e9:
        return f"{n / 1e9:,.1f} GB"
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{max(n, 1e3) / 1e3:,.0f} kB"
