"""Plan jobs on dask: the service's own local cluster, and a separately started scheduler with two workers.

Every plan goes through the independent checker; solves are bounded by a solution count, not the clock.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.jobs import ComputeLostError, JobRunner, ProcessSlots, make_executor
from api.main import create_app
from api.plans import solving
from dispatch.parallel import DaskExecutor
from tests.api.conftest import Database, World, make_settings
from tests.api.planning import PLAN, checked, plan_solve, seed_day, wait
from tests.dispatch.test_parallel import DaskProcesses, dask_processes

# a solve that runs until its time limit (no solution count to stop it): a worker surely holds it for a while
LONG = {"solution_limit": None, "time_limit": 60}


def dask_client(client: TestClient) -> Any:
    """The distributed.Client the service's plan runner uses."""
    compute = client.app.state.plan_runner._compute  # type: ignore[attr-defined]
    assert isinstance(compute, DaskExecutor)
    return compute.client


def solve_keys(dask: Any) -> set[str]:
    """The keys of the `solve` tasks each worker's own transition log recorded (it lives in the worker)."""
    logs = dask.run(lambda dask_worker: sorted({str(t[0]) for t in dask_worker.state.log}))
    return {key for keys in logs.values() for key in keys if key.startswith("solve-")}


def on_a_worker(dask: Any, prefix: str, *, give_up_s: float = 60) -> str:
    """The address of the worker processing a task named `prefix-...` (a bounded wait for it to get there)."""
    stop = time.monotonic() + give_up_s
    while True:
        for worker, keys in dask.processing().items():
            if any(str(k).startswith(prefix + "-") for k in keys):
                return str(worker)
        assert time.monotonic() < stop, f"no {prefix} task reached a worker in {give_up_s} s"
        time.sleep(0.05)


def solve_when_released(flag: str, day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """The real solve, once the file `flag` exists; each call leaves a mark, so a test can count the calls.
    (Runs on a dask worker, which imports it from this module.)"""
    Path(f"{flag}.{os.getpid()}.{time.monotonic_ns()}").touch()
    stop = time.monotonic() + 60
    while not Path(flag).exists() and time.monotonic() < stop:
        time.sleep(0.02)
    return solving.solve(day, policy)


def as_world(world: World, client: TestClient) -> World:
    """The same users (and tokens) talking to another app over the same database."""
    return World(client, world.headers, world.users)


@pytest.fixture
def day(world: World) -> World:
    seed_day(world)
    return world


# --- the service's own local cluster ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def local_dask(database: Database) -> Iterator[TestClient]:
    """The service with PLAN_EXECUTOR=dask and no scheduler: it starts a local cluster of one worker process,
    and closes it when it stops."""
    settings = make_settings(database, plan_executor="dask", plan_workers=1, dispatch_scheduler=None)
    with TestClient(create_app(settings, engine_args=database.engine_args)) as client:
        executor = client.app.state.plan_runner._compute  # type: ignore[attr-defined]
        assert isinstance(executor, DaskExecutor)
        cluster = executor._cluster  # started with the service, not at the first job
        assert cluster is not None
        assert len(cluster.workers) == 1
        assert executor.client.scheduler_info()["workers"]  # a worker process of its own
        # a worker busy in the solver (which holds the GIL) sends no heartbeats: it must not be dropped for that
        assert executor.client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.worker_ttl) is None
        yield client
    assert cluster.status.name == "closed"
    assert executor._client is None


def test_a_plan_job_on_the_local_cluster_gives_the_process_executors_plan(day: World,
                                                                          local_dask: TestClient) -> None:
    c, h = local_dask, day.as_("disp")
    before = solve_keys(dask_client(c))
    r = c.post("/api/v1/plans", json=PLAN, headers=h)
    assert r.status_code == 202, r.text
    body = wait(c, r.json()["id"], h)
    plan = checked(as_world(day, c), body)
    assert len(solve_keys(dask_client(c)) - before) == 1  # solved by the cluster's worker
    # the same request to the service on its default executor, a process pool
    default = day.client
    assert isinstance(default.app.state.plan_runner._compute, ProcessSlots)  # type: ignore[attr-defined]
    reference = checked(day, wait(default, default.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h))
    assert plan["routes"] == reference["routes"]
    assert plan["unassigned"] == reference["unassigned"]
    assert plan["kpis"]["objective"] == reference["kpis"]["objective"]


def test_cancel_a_job_queued_on_the_cluster(day: World, local_dask: TestClient, tmp_path: Path) -> None:
    """The one worker holds the first solve; the second waits its turn on the cluster, is cancelled, never runs."""
    c, h = local_dask, day.as_("disp")
    flag = tmp_path / "release"
    dask = dask_client(c)
    try:
        with plan_solve(c, functools.partial(solve_when_released, str(flag))):
            first = c.post("/api/v1/plans", json=PLAN, headers=h).json()
            on_a_worker(dask, "solve_when_released")
            second = c.post("/api/v1/plans", json=PLAN, headers=h).json()
            stop = time.monotonic() + 60
            while c.get(f"/api/v1/plans/{second['id']}", headers=h).json()["phase"] != "solving":
                assert time.monotonic() < stop, "the second job never reached the cluster"
                time.sleep(0.02)  # until its coordinator handed it to the cluster
            r = c.post(f"/api/v1/plans/{second['id']}/cancel", headers=h)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "cancelled"
            flag.touch()
            checked(as_world(day, c), wait(c, first["id"], h))
    finally:
        flag.touch()
    # a third job after it: the cluster runs a client's tasks in the order they came, so had the cancelled
    # solve stayed on the cluster, it would have run before this one is done
    checked(as_world(day, c), wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h))
    cancelled = wait(c, second["id"], h)
    assert (cancelled["status"], cancelled["plan"], cancelled["error"]) == ("cancelled", None, None)
    assert len(list(tmp_path.glob("release.*"))) == 1  # only the first solve ever started


# --- a separately started scheduler and two workers ------------------------------------------------------

@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskProcesses]:
    """`dask scheduler` + two `dask worker` processes. A solve whose worker dies fails at once, rather than
    being retried on the other worker (dask's default retries it up to 3 times)."""
    with dask_processes(2, env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}) as processes:
        yield processes


@pytest.fixture(scope="module")
def remote_dask(database: Database, cluster: DaskProcesses) -> Iterator[TestClient]:
    """The service with only DISPATCH_SCHEDULER set (which implies PLAN_EXECUTOR=dask)."""
    settings = make_settings(database, dispatch_scheduler=cluster.address)
    assert settings.plan_executor == "dask"
    with TestClient(create_app(settings, engine_args=database.engine_args)) as client:
        yield client


@pytest.fixture
def workers(remote_dask: TestClient) -> Any:
    """The service's client, once both workers are up (a previous test may have killed one)."""
    dask = dask_client(remote_dask)
    dask.wait_for_workers(2, timeout=60)
    return dask


def test_plan_jobs_run_on_the_separately_started_workers(day: World, remote_dask: TestClient,
                                                         cluster: DaskProcesses, workers: Any) -> None:
    c, h = remote_dask, day.as_("disp")
    before = solve_keys(workers)
    body = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)
    checked(as_world(day, c), body)
    executor = c.app.state.plan_runner._compute  # type: ignore[attr-defined]
    assert (executor.address, executor._cluster) == (cluster.address, None)  # connected, no cluster of its own
    # the solve is in the log of a worker process whose parent is one of the `dask worker` processes started
    # above: it cannot have run in this process
    assert len(solve_keys(workers) - before) == 1
    parents = workers.run(os.getppid)
    assert set(parents.values()) <= {p.pid for p in cluster.workers}
    assert os.getpid() not in set(workers.run(os.getpid).values())


def test_a_worker_killed_mid_solve_fails_the_job_with_a_clear_error(day: World, remote_dask: TestClient,
                                                                    workers: Any) -> None:
    c, h = remote_dask, day.as_("disp")
    pids = workers.run(os.getpid)  # asked now: a worker busy in the solver does not answer until it is done
    job = c.post("/api/v1/plans", json=PLAN | LONG, headers=h).json()
    worker = on_a_worker(workers, "solve")
    os.kill(pids[worker], signal.SIGKILL)
    body = wait(c, job["id"], h, give_up_s=60)  # a bound against a hang, not a timing assertion
    assert body["status"] == "failed"
    assert body["plan"] is None
    assert body["error"].startswith("ComputeLostError: the dask worker solving it died")
    assert worker in body["error"]  # dask names the worker that died
    assert c.post(f"/api/v1/plans/{job['id']}/publish", headers=h).status_code == 409
    # the service carries on: the nanny restarts the worker and the next job solves
    workers.wait_for_workers(2, timeout=60)
    checked(as_world(day, c), wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h))


# --- the runner alone, against clusters in trouble -------------------------------------------------------

def test_no_worker_within_the_timeout_and_a_lost_scheduler_fail_instead_of_hanging() -> None:
    with dask_processes(0) as alone:  # a scheduler without workers: the task can only wait
        runner = JobRunner(make_compute=lambda: make_executor("dask", scheduler=alone.address))
        try:
            with pytest.raises(ComputeLostError, match=r"no result from the dask scheduler at .* after 1 s"):
                runner.compute(sum, [1, 2], timeout=1)
            lost: list[BaseException] = []

            def compute() -> None:
                try:
                    runner.compute(max, [1, 2], timeout=60)
                except BaseException as e:
                    lost.append(e)

            waiting = threading.Thread(target=compute)
            waiting.start()
            first = runner._compute
            assert isinstance(first, DaskExecutor)
            stop = time.monotonic() + 30
            while not first.client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
                assert time.monotonic() < stop, "the task never reached the scheduler"
                time.sleep(0.05)  # until the scheduler holds the task
            alone.scheduler.kill()
            waiting.join(30)
            assert not waiting.is_alive()
            assert isinstance(lost[0], ComputeLostError)
            assert "lost the connection to the dask scheduler" in str(lost[0])
            assert runner._compute is not first  # the next job connects anew
        finally:
            runner.shutdown()
