"""Process pools whose workers never outlive the process that started them.

A worker of ``concurrent.futures.ProcessPoolExecutor`` waits for tasks on a queue whose write end
it holds itself, so when its coordinator is killed (SIGKILL, out of memory) it waits for ever,
and keeps the forkserver and the resource tracker alive with it. Every pool made here runs
``guard`` in each worker: a daemon thread that waits for the coordinator to exit (a Linux pidfd,
or a check once a second elsewhere) and then ends the worker at once.

``guard`` also freezes what the worker holds when it starts (``gc.freeze``: the imported modules
and their objects, about 120,000 with the model and its libraries). The garbage collector's full
collections then look only at what the worker's tasks made: a block of 4 x 500 replications
otherwise paid one such collection of 60-100 ms, about a tenth of its time.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

ORPHAN_EXIT = 70  # the exit status of a worker whose coordinator died
POLL_S = 1.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for_exit(pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the process has exited
    else:
        while _alive(pid):
            time.sleep(POLL_S)
    os._exit(ORPHAN_EXIT)


def guard(coordinator: int) -> None:
    """Pool initializer: end this worker as soon as process ``coordinator`` exits; freeze what it holds now."""
    gc.freeze()
    try:
        pidfd = os.pidfd_open(coordinator)
    except ProcessLookupError:  # gone already
        os._exit(ORPHAN_EXIT)
    except (AttributeError, OSError):  # no pidfd on this platform or kernel: poll
        pidfd = None
    threading.Thread(target=_wait_for_exit, args=(coordinator, pidfd), daemon=True, name="orphan-guard").start()


MODEL = ("simulation.runs.runner",)  # what a worker of the model imports (once, in the forkserver)
SERVER_WORKERS = 2  # warm workers a long-lived server keeps (this machine has 2 cores; fewer cores: none)


def process_pool(workers: int, context: str = "forkserver", preload: tuple[str, ...] = MODEL) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` of ``workers`` guarded workers (``context``: a multiprocessing start
    method; ``preload``: modules a forkserver imports once for all workers).

    Forkserver by default: a worker forked from a process with threads (the dashboard's server, JAX
    after a calibration) can inherit a lock another thread held and wait for ever. The forkserver
    starts once per process (1.6 s on this machine, importing ``preload``; forking took 0.02 s); workers
    then start from it in milliseconds."""
    ctx = multiprocessing.get_context(context)
    if preload:
        ctx.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=guard, initargs=(os.getpid(),))


def started_pool(workers: int) -> tuple[ProcessPoolExecutor, list[Future]]:
    """A pool of ``workers`` guarded workers (``process_pool``), started now rather than at its first
    task; the futures are done once each worker answers. A long-lived server keeps one warm this way."""
    pool = process_pool(workers)
    return pool, [pool.submit(os.getpid) for _ in range(workers)]
