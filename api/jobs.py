"""Background jobs: long computations (plan solves) run off the request thread.

A job runs in two steps. A *coordinator* thread does the database work of the job (mark it running, read its
input, store its result or its failure); it hands the pure computation to a *compute* executor and waits for
it. The compute executor is a local process or thread pool, or a `dispatch.parallel.DaskExecutor` (a local
dask cluster, or the scheduler of a real one, so that the service scales out by adding dask workers), which is
why the computation gets plain picklable values and returns plain values, and never touches the database.

On dask, whatever takes the computation away from its job (the worker solving it died, the connection to the
scheduler was lost, no worker answered in time) raises `ComputeLostError` with a message a dispatcher can pass on,
so the job fails instead of waiting for ever.

A cancelled job stops its computation, whatever the executor: a process pool kills the worker process that
solves it (with anything that process forked) and puts a fresh one in its place; on dask the task is cancelled,
and a task already running kills the child process it solves in (`run_stoppable`). Only a thread cannot be
stopped: it runs on, and its result is dropped. The same happens when a job's time runs out (`timeout`), and
when the job stops being wanted elsewhere (`still_wanted`: a cancel handled by another service worker).

Job *state* lives in the database (see api.plans); a runner only keeps the handles of the futures it started
and a stop flag per job. Nothing here is module-level state: the app owns one runner.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
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

POLL_S = 0.1  # how often a waiting coordinator looks at its job's stop flag and deadline
CHECK_S = 0.5  # how often it asks `still_wanted` (a primary-key read): a cancel elsewhere stops it within 2 s
STOP_KEPT_S = 60.0  # a dask task's stop event outlives the task's cancel this long (it looks 4 times a second)


class ComputeLostError(RuntimeError):
    """The computation was lost on the way: its worker died, the scheduler went away, or nothing answered."""


class ComputeCancelledError(RuntimeError):
    """The job was cancelled while its computation waited on (or ran on) the dask cluster."""


class ComputeExecutor(Protocol):
    """What the runner needs of a compute backend; concurrent.futures executors and DaskExecutor have it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


def _own_process_group() -> None:
    """A pool worker leads a process group of its own, so that killing the group also kills what it forked."""
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)


def _kill_tree(pid: int) -> None:
    """Kill process `pid` and its process group (the group it leads, if it leads one)."""
    try:
        os.killpg(pid, signal.SIGKILL)  # type: ignore[attr-defined,unused-ignore]
        return
    except (AttributeError, ProcessLookupError, PermissionError):
        pass  # no group of its own (yet), or no killpg on this platform
    with contextlib.suppress(AttributeError, ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)  # type: ignore[attr-defined,unused-ignore]


class ProcessSlots:
    """`workers` pools of one process each: a job takes a free slot, and killing that slot's process (a cancel,
    a deadline) stops that one job. One pool of several processes could not do that: a killed worker breaks
    the whole pool, and every other job running in it would fail."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._free: queue.Queue[ProcessPoolExecutor] = queue.Queue()
        self._lock = threading.Lock()
        self._pools: set[ProcessPoolExecutor] = set()
        self._closed = False
        for _ in range(workers):
            self._free.put(self._new())

    def _new(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent holds database connections and threads that a fork would copy half-way
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_own_process_group)
        with self._lock:
            self._pools.add(pool)
        return pool

    def take(self) -> ProcessPoolExecutor | None:
        """A free slot, or None when every slot is busy."""
        try:
            return self._free.get_nowait()
        except queue.Empty:
            return None

    def give_back(self, pool: ProcessPoolExecutor, *, kill: bool) -> None:
        """Return a slot after its job; with `kill` (stopped, or its process died) its process is killed and
        a fresh pool takes the slot (its process starts with the next job)."""
        if kill:
            self._kill(pool)
            pool = self._new()
        with self._lock:
            closed = self._closed
        if closed:
            self._kill(pool)
        else:
            self._free.put(pool)

    def pids(self) -> list[int]:
        """The slots' live worker processes."""
        with self._lock:
            pools = list(self._pools)
        return [pid for pool in pools for pid in list(getattr(pool, "_processes", None) or {})]

    def _kill(self, pool: ProcessPoolExecutor) -> None:
        for pid in list(getattr(pool, "_processes", None) or {}):
            _kill_tree(pid)
        pool.shutdown(wait=False, cancel_futures=True)  # its manager thread reaps the killed process
        with self._lock:
            self._pools.discard(pool)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pools = list(self._pools)
        for pool in pools:
            if wait:
                pool.shutdown(wait=True, cancel_futures=cancel_futures)
            else:
                # the jobs of a stopping service are marked failed by the caller: stop their solves, not wait
                self._kill(pool)


Compute = Executor | DaskExecutor | ProcessSlots


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
    return ProcessSlots(workers)


# --- on a dask worker: the solve in a child process the task owns ------------------------------------------

# what the child runs: the parent's import path first, so that it finds the function as the worker did
_CHILD = "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); import api.jobs; api.jobs.child_main()"


def child_main() -> None:
    """The child of `run_stoppable`: read (fn, args) from stdin, write ("ok", result) or ("error", exception)
    to stdout. It dies with the process that started it (Linux), so a killed dask worker leaves no solve."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != int(sys.argv[1]):
            os._exit(1)  # the parent died before the line above
    import cloudpickle

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the solve prints goes to stderr, not into the answer
    fn, args = cloudpickle.load(sys.stdin.buffer)
    answer: tuple[str, Any]
    try:
        answer = ("ok", fn(*args))
    except Exception as e:
        answer = ("error", e)
    try:
        data = cloudpickle.dumps(answer)
    except Exception as e:  # an exception that does not pickle: its text
        data = cloudpickle.dumps(("error", RuntimeError(f"{answer[1]!r} ({type(e).__name__}: {e})")))
    out.write(data)
    out.flush()


def run_stoppable(fn: Callable[..., T], args: tuple[Any, ...], stop: str) -> T | None:
    """On a dask worker: `fn(*args)` in a child process, killed (with what it forked) as soon as the
    `distributed.Event` named `stop` is set: a cancelled task's solve stops instead of holding the worker's
    core until its time limit. The worker's own thread only waits, so it keeps answering the scheduler.
    None when stopped (nobody wants the result any more)."""
    import cloudpickle
    from distributed import Event

    event = Event(stop)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             start_new_session=True)
    sent: bytes | None = pickle.dumps(list(sys.path)) + cloudpickle.dumps((fn, args))
    try:
        while True:
            try:
                out, _ = child.communicate(sent, timeout=0.25)
                break
            except subprocess.TimeoutExpired:
                sent = None  # sent already (communicate keeps what it read so far)
            if event.is_set():
                return None
    finally:
        if child.poll() is None:
            _kill_tree(child.pid)
            child.wait()
    if not out:
        raise ComputeLostError(f"the solve's process ended with exit code {child.returncode} and no answer")
    status, value = cloudpickle.loads(out)
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


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

    `make_compute` builds the compute executor, again after the connection to the dask scheduler was lost.
    """

    def __init__(self, *, make_compute: Callable[[], Compute], coordinators: int = 2) -> None:
        self._make_compute = make_compute
        self._compute = make_compute()
        self._coordinators = ThreadPoolExecutor(max_workers=coordinators, thread_name_prefix="job")
        self._lock = threading.Lock()
        self._connecting = threading.Lock()  # one connection (or local cluster) at a time, held while it starts
        self._futures: dict[str, Future[None]] = {}
        self._stops: dict[str, threading.Event] = {}  # job id -> set when the job is cancelled
        self._tasks: dict[str, Any] = {}  # job id -> its distributed.Future while it is on the dask cluster
        self._cancelled: set[str] = set()  # keys of dask tasks whose job was cancelled
        self._local = threading.local()  # the job id of the coordinator thread
        self._closing = False

    def submit(self, job_id: str, coordinate: Callable[[str, JobRunner], None]) -> None:
        with self._lock:
            self._stops[job_id] = threading.Event()
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
            self._stops.pop(job_id, None)

    def connect(self) -> None:
        """On dask: connect to the scheduler, or start the local cluster, now rather than at the first job."""
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            with self._connecting:
                _client(compute)

    def _stop_flag(self) -> threading.Event:
        job_id: str | None = getattr(self._local, "job_id", None)
        with self._lock:
            stop = self._stops.get(job_id) if job_id is not None else None
        return stop if stop is not None else threading.Event()

    def compute(self, fn: Callable[..., T], /, *args: Any, timeout: float | None = None,
                still_wanted: Callable[[], bool] | None = None) -> T:
        """Run `fn(*args)` on the compute executor and wait; a dead worker raises and its process is replaced.

        The computation is stopped (its process killed, on a pool or a dask worker) when the job is cancelled
        (ComputeCancelledError), when `still_wanted()` (asked every CHECK_S seconds) says False
        (ComputeCancelledError), or after `timeout` seconds (ComputeLostError).
        """
        stop = self._stop_flag()
        if stop.is_set():
            raise ComputeCancelledError("cancelled before its solve started")
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            return self._compute_on_dask(compute, fn, args, timeout, stop, still_wanted)  # type: ignore[no-any-return]
        if isinstance(compute, ProcessSlots):
            return self._compute_in_slot(compute, fn, args, stop, deadline, still_wanted)  # type: ignore[no-any-return]
        future = compute.submit(fn, *args)  # a thread: it cannot be stopped, only left to finish unheard
        why = _wait(future.done, stop=stop, deadline=deadline, still_wanted=still_wanted)
        if why is not None:
            future.cancel()
            raise _stopped(why, "it runs on in its thread, and its result is dropped")
        return future.result()

    def _compute_in_slot(self, slots: ProcessSlots, fn: Callable[..., Any], args: tuple[Any, ...],
                         stop: threading.Event, deadline: float | None,
                         still_wanted: Callable[[], bool] | None) -> Any:
        taken: list[ProcessPoolExecutor] = []

        def got_slot() -> bool:
            pool = slots.take()
            if pool is not None:
                taken.append(pool)
            return bool(taken)

        why = _wait(got_slot, stop=stop, deadline=deadline, still_wanted=still_wanted)
        if why is not None:
            raise _stopped(why, "no process had taken it")
        pool, future = taken[0], None
        try:
            future = pool.submit(fn, *args)
            why = _wait(future.done, stop=stop, deadline=deadline, still_wanted=still_wanted)
            if why is not None:
                raise _stopped(why, "its process was stopped")
            return future.result()
        except BrokenExecutor:
            log.error("a compute worker died; a new process takes its place")
            raise
        finally:
            # a process that answered (a plan, or the solve's own exception) serves the next job; any other
            # (stopped, or dead) is killed and replaced
            answered = future is not None and future.done() and not future.cancelled() \
                and not isinstance(future.exception(), BrokenExecutor)
            slots.give_back(pool, kill=not answered)

    def _compute_on_dask(self, executor: DaskExecutor, fn: Callable[..., Any], args: tuple[Any, ...],
                         timeout: float | None, stop: threading.Event,
                         still_wanted: Callable[[], bool] | None) -> Any:
        from dask.utils import funcname
        from distributed import Event, KilledWorker
        from distributed.comm import CommClosedError

        where = f"the dask scheduler at {executor.address}" if executor.address else "the local dask cluster"
        deadline = None if timeout is None else time.monotonic() + timeout
        stop_name = f"stop-{uuid.uuid4().hex}"
        try:
            with self._connecting:
                client = _client(executor)
            # named after the solve, not the wrapper, so that a cluster's dashboard and logs say what runs
            future = client.submit(run_stoppable, fn, args, stop_name, key=f"{funcname(fn)}-{uuid.uuid4().hex}")
        except (OSError, TimeoutError, CommClosedError) as e:  # distributed's connect timeout is an OSError
            self._renew(executor)
            raise ComputeLostError(f"could not reach {where}: {e}") from e
        job_id: str | None = getattr(self._local, "job_id", None)
        if job_id is not None:
            with self._lock:
                self._tasks[job_id] = future
        done = threading.Event()
        future.add_done_callback(lambda _f: done.set())
        stopped = False
        try:
            why = _wait(done.is_set, stop=stop, deadline=deadline, still_wanted=still_wanted)
            if why is not None:
                stopped = True
                Event(stop_name, client=client).set()  # a running task kills its solve's process
                future.cancel()  # a waiting one never runs
                if why == "timeout":
                    raise ComputeLostError(f"no result from {where} after {timeout:.0f} s: no worker took the "
                                           "solve, or it did not finish; it was stopped")
                raise ComputeCancelledError("cancelled while on the dask cluster")
            remaining = None if deadline is None else max(1.0, deadline - time.monotonic())
            return future.result(timeout=remaining)  # the result, or the solve's own exception
        except KilledWorker as e:
            raise ComputeLostError(f"the dask worker solving it died: {e}") from e
        except (ComputeLostError, ComputeCancelledError):
            raise
        except Exception as e:
            if future.status == "error":
                raise  # the solve's own exception, as raised on the worker
            if isinstance(e, CancelledError):  # distributed's FutureCancelledError: cancelled here, or cut off
                if future.key in self._cancelled or stop.is_set():
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
            if stopped:  # the scheduler forgets a cleared event, once a running task has surely seen it
                timer = threading.Timer(STOP_KEPT_S, _clear_event, (client, stop_name))
                timer.daemon = True
                timer.start()

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
        """Cancel a job: True when it had not started yet (it never will).

        A started job is stopped: its coordinator, waiting on the computation, kills the pool process that
        solves it (a fresh one takes its place), or cancels its dask task, whose running solve is killed on
        its worker. A solve on a thread cannot be stopped: it runs to its end and its result is dropped.
        """
        with self._lock:
            future = self._futures.get(job_id)
            stop = self._stops.get(job_id)
            task = self._tasks.get(job_id)
            if task is not None:
                self._cancelled.add(task.key)
        if future is not None and future.cancel():
            return True
        if stop is not None:
            stop.set()
        return False

    def pending(self) -> list[str]:
        with self._lock:
            return sorted(self._futures)

    def shutdown(self, *, wait: bool = False) -> None:
        with self._lock:
            self._closing = True
            stops = list(self._stops.values()) if not wait else []
        for stop in stops:  # the coordinators give up their jobs, which the caller marks failed
            stop.set()
        self._coordinators.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            compute = self._compute
        if isinstance(compute, DaskExecutor):
            # closing the client cancels the futures the coordinators wait on, so they end at once (their jobs
            # are marked failed); a local cluster's worker still solving is stopped after a few seconds, a
            # remote scheduler and its workers keep running
            compute.shutdown(wait=wait)
            return
        # a pool's processes would finish (or hang in) their solve after the service is gone; their jobs are
        # marked failed by the caller, so the processes are killed, not waited for
        compute.shutdown(wait=wait, cancel_futures=True)


def _clear_event(client: Any, name: str) -> None:
    from distributed import Event

    try:
        Event(name, client=client).clear()
    except Exception as e:  # the connection is gone, and the event with it
        log.debug("clearing %s: %s", name, e)


def _wait(finished: Callable[[], bool], *, stop: threading.Event, deadline: float | None,
          still_wanted: Callable[[], bool] | None) -> str | None:
    """Wait until `finished()`: None then, else why to give up: "cancelled" or "timeout"."""
    next_check = time.monotonic() + CHECK_S
    while not finished():
        now = time.monotonic()
        if stop.is_set():
            return "cancelled"
        if deadline is not None and now >= deadline:
            return "timeout"
        if still_wanted is not None and now >= next_check:
            next_check = now + CHECK_S
            try:
                wanted = still_wanted()
            except Exception as e:  # the database is away: keep solving, ask again later
                log.warning("could not tell whether the job is still wanted: %s", e)
                wanted = True
            if not wanted:
                stop.set()
                return "cancelled"
        stop.wait(POLL_S)
    return None


def _stopped(why: str, what: str) -> Exception:
    if why == "timeout":
        return ComputeLostError(f"the solve did not finish by the job's deadline; {what}")
    return ComputeCancelledError(f"cancelled; {what}")
