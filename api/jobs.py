"""Background jobs: long computations (plan solves) run off the request thread.

A job runs in two steps. A *coordinator* thread does the database work of the job (mark it running, read its
input, store its result or its failure); it hands the pure computation to a *compute* executor and waits for
it. The compute executor is a local process or thread pool, or a `dispatch.parallel.DaskExecutor` (a local
dask cluster, or the scheduler of a real one, so that the service scales out by adding dask workers), which is
why the computation gets plain picklable values and returns plain values, and never touches the database.

On dask, whatever takes the computation away from its job (the worker solving it died, the connection to the
scheduler was lost, no worker answered in time) raises `ComputeLostError` with a message a dispatcher can pass on,
so the job fails instead of waiting for ever.

Job *state* lives in the database (see api.plans); a runner only keeps the handles of the futures it started,
so that it can cancel one that has not begun yet. Nothing here is module-level state: the app owns one runner.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import (
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from typing import Any, Literal, Protocol, TypeVar

from dispatch.parallel import DaskExecutor

log = logging.getLogger(__name__)

T = TypeVar("T")
ExecutorKind = Literal["process", "thread", "dask"]
Compute = Executor | DaskExecutor


class ComputeLostError(RuntimeError):
    """The computation was lost on the way: its worker died, the scheduler went away, or nothing answered."""


class ComputeCancelledError(RuntimeError):
    """The job was cancelled while its computation waited on (or ran on) the dask cluster."""


class ComputeExecutor(Protocol):
    """What the runner needs of a compute backend; concurrent.futures executors and DaskExecutor have it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


def make_executor(kind: ExecutorKind = "process", workers: int = 1, *, scheduler: str | None = None) -> Compute:
    """A compute executor: processes keep a CPU-bound solve from slowing the request threads (the GIL).

    `dask` connects to `scheduler` (a remote cluster: its workers decide the parallelism), or without one
    starts a local cluster of `workers` processes of one thread each, on first use.
    """
    if kind == "dask":
        executor = DaskExecutor(scheduler, n_workers=workers, threads_per_worker=1)
        executor.address = scheduler  # the caller's settings decide, not the environment DaskExecutor falls back on
        return executor
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compute")
    # spawn, not fork: the parent holds database connections and threads that a fork would copy half-way
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _client(executor: DaskExecutor) -> Any:
    """The executor's distributed.Client, connecting to its scheduler or starting its local cluster.

    The solver's search holds the GIL, so a worker sends no heartbeat while it solves (up to the 600 s a plan
    request may ask for), and a scheduler drops a worker silent for `distributed.scheduler.worker-ttl` (5
    minutes by default). The local cluster's scheduler does without that check: a local worker process that
    dies is seen at once by its closed connection. A remote scheduler's operator sets it (see the README).
    """
    import dask
    import distributed  # noqa: F401 (its configuration defaults first, or leaving the block below drops them)

    with dask.config.set({"distributed.scheduler.worker-ttl": None}):
        return executor.client


class JobRunner:
    """Runs `coordinate(job_id, runner)` on a coordinator thread; `coordinate` calls `runner.compute(...)`.

    `make_compute` builds the compute executor, again after a worker process died (a broken pool stays broken)
    or the connection to the dask scheduler was lost.
    """

    def __init__(self, *, make_compute: Callable[[], Compute], coordinators: int = 2) -> None:
        self._make_compute = make_compute
        self._compute = make_compute()
        self._coordinators = ThreadPoolExecutor(max_workers=coordinators, thread_name_prefix="job")
        self._lock = threading.Lock()
        self._connecting = threading.Lock()  # one connection (or local cluster) at a time, held while it starts
        self._futures: dict[str, Future[None]] = {}
        self._tasks: dict[str, Any] = {}  # job id -> its distributed.Future while it is on the dask cluster
        self._cancelled: set[str] = set()  # keys of dask tasks whose job was cancelled
        self._local = threading.local()  # the job id of the coordinator thread
        self._closing = False

    def submit(self, job_id: str, coordinate: Callable[[str, JobRunner], None]) -> None:
        future = self._coordinators.submit(self._run, job_id, coordinate)
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(lambda _f: self._forget(job_id))

    def _run(self, job_id: str, coordinate: Callable[[str, JobRunner], None]) -> None:
        self._local.job_id = job_id
        try:
            coordinate(job_id, self)
        except Exception:  # coordinate records failures itself; this only keeps the thread pool clean
            log.exception("job %s: coordinator failed", job_id)
        finally:
            self._local.job_id = None

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    def connect(self) -> None:
        """On dask: connect to the scheduler, or start the local cluster, now rather than at the first job."""
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            with self._connecting:
                _client(compute)

    def compute(self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None) -> T:
        """Run `fn(*args)` on the compute executor and wait; a dead worker raises and the pool is renewed.

        `timeout` (seconds) bounds the wait on a dask cluster, where a solve can wait for a worker for ever;
        a local pool always has its workers, and its wait is not bounded.
        """
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            return self._compute_on_dask(compute, fn, args, timeout)  # type: ignore[no-any-return]
        try:
            return compute.submit(fn, *args).result()
        except BrokenExecutor:
            with self._lock:
                if self._compute is compute:
                    log.error("a compute worker died; starting a new pool")
                    compute.shutdown(wait=False, cancel_futures=True)
                    self._compute = self._make_compute()
            raise

    def _compute_on_dask(self, executor: DaskExecutor, fn: Callable[..., Any], args: tuple[Any, ...],
                         timeout: float | None) -> Any:
        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        where = f"the dask scheduler at {executor.address}" if executor.address else "the local dask cluster"
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            with self._connecting:
                _client(executor)
            future = executor.submit(fn, *args)
        except (OSError, TimeoutError, CommClosedError) as e:  # distributed's connect timeout is an OSError
            self._renew(executor)
            raise ComputeLostError(f"could not reach {where}: {e}") from e
        job_id: str | None = getattr(self._local, "job_id", None)
        if job_id is not None:
            with self._lock:
                self._tasks[job_id] = future
        done = threading.Event()
        future.add_done_callback(lambda _f: done.set())
        try:
            if not done.wait(timeout):
                future.cancel()
                raise ComputeLostError(f"no result from {where} after {timeout:.0f} s: no worker took the solve, "
                                       "or it did not finish")
            remaining = None if deadline is None else max(1.0, deadline - time.monotonic())
            return future.result(timeout=remaining)  # the result, or the solve's own exception
        except KilledWorker as e:
            raise ComputeLostError(f"the dask worker solving it died: {e}") from e
        except Exception as e:
            if future.status == "error":
                raise  # the solve's own exception, as raised on the worker
            if isinstance(e, CancelledError):  # distributed's FutureCancelledError: cancelled here, or cut off
                if future.key in self._cancelled:
                    raise ComputeCancelledError("cancelled while on the dask cluster") from e
                if self._closing:
                    raise ComputeLostError("the service stopped before the solve finished") from e
            elif isinstance(e, TimeoutError):  # finished, but its result did not come back in time
                raise ComputeLostError(f"could not fetch the result from {where}: {e}") from e
            elif not isinstance(e, OSError | CommClosedError):
                raise
            self._renew(executor)
            raise ComputeLostError(f"lost the connection to {where}: {e}") from e
        finally:
            with self._lock:
                self._cancelled.discard(future.key)
                if job_id is not None:
                    self._tasks.pop(job_id, None)

    def _renew(self, executor: DaskExecutor) -> None:
        """A new client for the next job when this one lost its scheduler (its futures are gone with it)."""
        client = executor._client
        if client is None or client.status == "running":
            return  # never connected (the next job tries again), or a single task was lost, not the connection
        with self._lock:
            if self._compute is not executor or self._closing:
                return
            log.error("lost %s; the next job connects anew",
                      f"dask scheduler {executor.address}" if executor.address else "the local dask cluster")
            self._compute = self._make_compute()
        executor.shutdown(wait=False)

    def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not started yet; False when it is running (it finishes, its result is dropped).

        On dask a started job's task is cancelled too: still queued on the cluster, it never runs; already
        running on a worker, it runs to its end there and its result is dropped.
        """
        with self._lock:
            future = self._futures.get(job_id)
            task = self._tasks.get(job_id)
            if task is not None:
                self._cancelled.add(task.key)
        if future is not None and future.cancel():
            return True
        if task is not None:
            task.cancel()
        return False

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._futures)

    def shutdown(self, *, wait: bool = False) -> None:
        with self._lock:
            self._closing = True
        self._coordinators.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            # closing the client cancels the futures the coordinators wait on, so they end at once (their jobs
            # are marked failed); a local cluster's worker still solving is stopped after a few seconds, a
            # remote scheduler and its workers keep running
            compute.shutdown(wait=wait)
            return
        with self._lock:
            # a process pool's workers would finish (or hang in) their solve after the service is gone;
            # their jobs are marked failed by the caller, so the workers are stopped, not waited for
            workers = list(getattr(compute, "_processes", None) or {}) if not wait else []
            processes = getattr(compute, "_processes", None) or {}
            compute.shutdown(wait=wait, cancel_futures=True)
            for pid in workers:
                process = processes.get(pid)
                if process is not None and process.is_alive():
                    process.terminate()
