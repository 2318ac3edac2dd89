"""Where sweep tasks run: a local process pool (default) or a Dask distributed cluster.

A backend maps a task function over chunks and yields results as they finish (in any order):
``with backend: for result in backend.map_unordered(fn, common, items): ...``. ``common`` (the
sweep's shared job) is sent to each worker once. Tasks must be pure functions of their inputs,
so which worker runs which chunk, and how often (Dask re-runs the tasks of a lost worker), never
changes a result.

* ``ProcessPool(workers)``: ``workers`` processes on this machine (forkserver start, so a
  coordinator with threads - the progress bar - forks safely); ``workers=1`` runs in-process.
  Its workers exit when the coordinator dies (``runs.pools``).
* ``DaskCluster(scheduler=None, workers=2)``: a ``LocalCluster`` of ``workers`` single-threaded
  worker processes, or the existing cluster at ``scheduler`` ("tcp://host:port"), whose workers
  must be able to import ``simulation`` (start them from the same environment).

Local workers (a process pool, a ``LocalCluster``) are at most the cores this process may use
(``runs.limits.cores``) unless ``allow_oversubscribe`` is given; a remote cluster has its own.

Worker processes are started fresh (forkserver, Dask's spawn) and import the caller's main
module, so a script that uses a backend needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..runs.limits import LimitError, check_workers
from ..runs.pools import process_pool


class BackendError(ValueError):
    """A backend that cannot start: an unreachable scheduler, a cluster without workers."""


def _local_workers(workers: int, allow_oversubscribe: bool) -> int:
    try:
        return check_workers(workers, allow_oversubscribe)
    except LimitError as exc:
        raise BackendError(str(exc)) from None


class ProcessPool:
    """A local process pool (``workers=1``: serial, in this process)."""

    def __init__(self, workers: int = 2, allow_oversubscribe: bool = False):
        self.workers = _local_workers(workers, allow_oversubscribe)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        if self.workers > 1:
            self._pool = process_pool(self.workers, preload=("simulation.sweeps.run",))
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def describe(self) -> str:
        return "in-process (1 worker)" if self.workers == 1 else f"process pool, {self.workers} workers"

    def map_unordered(self, fn: Callable, common, items: Iterable) -> Iterator:
        if self._pool is None:
            for item in items:
                yield fn(common, item)
            return
        pending = {self._pool.submit(fn, common, item) for item in items}
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()


class DaskCluster:
    """A Dask distributed cluster: a new ``LocalCluster`` or an existing scheduler."""

    def __init__(self, scheduler: str | None = None, workers: int = 2, connect_timeout_s: float = 20.0,
                 allow_oversubscribe: bool = False):
        if scheduler is None:
            workers = _local_workers(workers, allow_oversubscribe)
        self.scheduler = scheduler
        self.connect_timeout_s = connect_timeout_s
        self.n_local = workers
        self.cluster = None
        self.client = None

    def __enter__(self):
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            self.cluster = LocalCluster(
                n_workers=self.n_local, threads_per_worker=1, processes=True, dashboard_address=None,
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its HTTP routes on any free port, not 8787
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout_s}s")
            except (OSError, TimeoutError) as exc:
                raise BackendError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
            if not self.client.scheduler_info(n_workers=-1)["workers"]:
                self.client.close()
                raise BackendError(f"the Dask scheduler at {self.scheduler} has no workers; start some with: "
                                   f"dask worker {self.scheduler}")
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    @property
    def workers(self) -> int:
        """Worker threads in the cluster now (tasks that can run at once)."""
        info = self.client.scheduler_info(n_workers=-1)
        return max(1, sum(w["nthreads"] for w in info["workers"].values()))

    def describe(self) -> str:
        where = "local Dask cluster" if self.cluster is not None else f"Dask scheduler {self.scheduler}"
        return f"{where}, {self.workers} worker threads"

    def map_unordered(self, fn: Callable, common, items: Iterable) -> Iterator:
        from distributed import as_completed

        shared = self.client.scatter(common, broadcast=True, hash=False)
        futures = [self.client.submit(fn, shared, item, pure=False) for item in items]
        try:
            for fut in as_completed(futures):
                result = fut.result()
                fut.release()
                yield result
        finally:
            self.client.cancel(futures)
            self.client.cancel([shared])
