"""Many solves as dask.distributed futures: a local cluster by default, a real cluster by address.

`DaskExecutor` is the one place that turns "run these solves" into futures. Without an address it starts a
`LocalCluster` of worker processes on demand and closes it on exit; with one (an explicit `address=`, else the
`DISPATCH_SCHEDULER` environment variable, read in `scheduler_address` only) it connects to a scheduler that
someone else runs, so the same code scales out by adding `dask worker` processes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_ENV = "DISPATCH_SCHEDULER"


def scheduler_address(address: str | None = None) -> str | None:
    """The scheduler to use: `address` if given, else DISPATCH_SCHEDULER, else None (a local cluster)."""
    if address:
        return address
    return os.environ.get(SCHEDULER_ENV) or None


class DaskExecutor:
    """Runs a function over items on dask.distributed and returns the results in item order.

    Use as a context manager (or call `close`); the local cluster, if any, is created on first use.
    """

    def __init__(self, address: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1,
                 processes: bool = True) -> None:
        if n_workers < 1 or threads_per_worker < 1:
            raise ValueError(f"n_workers {n_workers} and threads_per_worker {threads_per_worker} must be >= 1")
        self.address = scheduler_address(address)
        self.n_workers = n_workers
        self.threads_per_worker = threads_per_worker
        self.processes = processes
        self._cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The distributed Client, connecting (or starting the local cluster) on first use."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.address:
                log.info("connecting to dask scheduler %s", self.address)
                self._client = Client(self.address, timeout="30s")
            else:
                # one thread per worker: each solve is single-threaded CPU work, so processes give the parallelism
                self._cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=self.threads_per_worker,
                                             processes=self.processes, dashboard_address=None)
                self._client = Client(self._cluster)
                log.info("started a local dask cluster of %d workers", self.n_workers)
        return self._client

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, on_done: Callable[[int], None] | None = None,
            progress: bool = False) -> list[R]:
        """`[fn(x) for x in items]` as futures. `on_done(i)` is called as item i finishes (CLI progress bars);
        `progress=True` shows dask's own progress bar (notebooks)."""
        from distributed import as_completed

        if not items:
            return []
        client = self.client
        # pure=False: two equal scenarios are still two solves the caller asked for
        futures = [client.submit(fn, item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        if progress:
            from distributed import progress as dask_progress

            dask_progress(futures, notebook=False)
        for future in as_completed(futures):
            if future.status == "error":
                future.result()  # re-raises the worker's exception here
            if on_done is not None:
                on_done(index[future.key])
        return list(client.gather(futures))

    def submit(self, fn: Callable[..., R], /, *args: Any) -> Any:
        """One call `fn(*args)` as a `distributed.Future` (the service's plan jobs). pure=False: two equal
        requests are still two solves, never one result served twice from the cluster's memory."""
        return self.client.submit(fn, *args, pure=False)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, timeout: float = 20) -> None:
        """`close` under the name of concurrent.futures executors, bounded by `timeout` seconds each for the
        client and the local cluster (a service stopping must not hang on a cluster in trouble). Closing the
        client cancels its futures whatever `wait` and `cancel_futures` say; a remote scheduler and its
        workers keep running."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        for part in (client, cluster):
            if part is None:
                continue
            try:
                part.close(timeout=timeout)
            except Exception as e:  # a timeout, or a cluster already half gone: nothing left to wait for
                log.warning("closing %s failed: %s: %s", type(part).__name__, type(e).__name__, e)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def in_dask_worker() -> bool:
    """Whether this code runs as a task on a dask worker (a service plan job, a what-if scenario)."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def run_all(fn: Callable[[T], R], items: Sequence[T], *, executor: DaskExecutor | None = None,
            on_done: Callable[[int], None] | None = None, progress: bool = False) -> list[R]:
    """`[fn(x) for x in items]`, in item order: as futures on `executor` when given; inside a dask worker,
    on that worker's own cluster (the task secedes while it waits, so it holds no worker thread); else here,
    one after the other. The one place that chooses where a set of solves runs."""
    items = list(items)
    if executor is not None:
        return executor.map(fn, items, on_done=on_done, progress=progress)
    if in_dask_worker() and items:
        from distributed import worker_client

        with worker_client() as client:
            results = list(client.gather(client.map(fn, items, pure=False)))
        if on_done is not None:
            for i in range(len(items)):
                on_done(i)
        return results
    out = []
    for i, x in enumerate(items):
        out.append(fn(x))
        if on_done is not None:
            on_done(i)
    return out


def parallelism(executor: DaskExecutor | None = None) -> int:
    """How many solves `run_all` runs side by side with this executor (1 in this process)."""
    if executor is not None:
        return max(1, sum(executor.client.nthreads().values()))
    if in_dask_worker():
        from distributed import get_client

        return max(1, sum(get_client().nthreads().values()))
    return 1
