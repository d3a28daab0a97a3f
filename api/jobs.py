"""Background jobs: long computations (plan solves) run off the request thread.

A job runs in two steps. A *coordinator* thread does the database work of the job (mark it running, read its
input, store its result or its failure); it hands the pure computation to a *compute* executor and waits for
it. The compute executor is anything with `submit(fn, *args) -> future`: a process pool now, a
`dask.distributed.Client` later (issue 5), which is why the computation gets plain picklable values and
returns plain values, and never touches the database.

Job *state* lives in the database (see api.plans); a runner only keeps the handles of the futures it started,
so that it can cancel one that has not begun yet. Nothing here is module-level state: the app owns one runner.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Literal, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
ExecutorKind = Literal["process", "thread"]


class ComputeExecutor(Protocol):
    """What the runner needs of a compute backend; concurrent.futures executors and dask's Client have it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


def make_executor(kind: ExecutorKind = "process", workers: int = 1) -> Executor:
    """A local compute executor: processes keep a CPU-bound solve from slowing the request threads (the GIL)."""
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compute")
    # spawn, not fork: the parent holds database connections and threads that a fork would copy half-way
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


class JobRunner:
    """Runs `coordinate(job_id, runner)` on a coordinator thread; `coordinate` calls `runner.compute(...)`.

    `make_compute` builds the compute executor, again after a worker process died (a broken pool stays broken).
    """

    def __init__(self, *, make_compute: Callable[[], Executor], coordinators: int = 2) -> None:
        self._make_compute = make_compute
        self._compute = make_compute()
        self._coordinators = ThreadPoolExecutor(max_workers=coordinators, thread_name_prefix="job")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[None]] = {}

    def submit(self, job_id: str, coordinate: Callable[[str, JobRunner], None]) -> None:
        future = self._coordinators.submit(self._run, job_id, coordinate)
        with self._lock:
            self._futures[job_id] = future
        future.add_done_callback(lambda _f: self._forget(job_id))

    def _run(self, job_id: str, coordinate: Callable[[str, JobRunner], None]) -> None:
        try:
            coordinate(job_id, self)
        except Exception:  # coordinate records failures itself; this only keeps the thread pool clean
            log.exception("job %s: coordinator failed", job_id)

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._futures.pop(job_id, None)

    def compute(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Run `fn(*args)` on the compute executor and wait; a dead worker raises and the pool is renewed."""
        with self._lock:
            compute = self._compute
        try:
            return compute.submit(fn, *args).result()
        except BrokenExecutor:
            with self._lock:
                if self._compute is compute:
                    log.error("a compute worker died; starting a new pool")
                    compute.shutdown(wait=False, cancel_futures=True)
                    self._compute = self._make_compute()
            raise

    def cancel(self, job_id: str) -> bool:
        """Cancel a job that has not started yet; False when it is running (it finishes, its result is dropped)."""
        with self._lock:
            future = self._futures.get(job_id)
        return future is not None and future.cancel()

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._futures)

    def shutdown(self, *, wait: bool = False) -> None:
        self._coordinators.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            compute = self._compute
            # a process pool's workers would finish (or hang in) their solve after the service is gone;
            # their jobs are marked failed by the caller, so the workers are stopped, not waited for
            workers = list(getattr(compute, "_processes", None) or {}) if not wait else []
            processes = getattr(compute, "_processes", None) or {}
            compute.shutdown(wait=wait, cancel_futures=True)
            for pid in workers:
                process = processes.get(pid)
                if process is not None and process.is_alive():
                    process.terminate()
