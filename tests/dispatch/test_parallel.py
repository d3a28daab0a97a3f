"""Scenario solves as dask futures: on an embedded LocalCluster and on a separately started scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from dispatch.demo_days import generate_day
from dispatch.parallel import SCHEDULER_ENV, DaskExecutor, run_all, scheduler_address
from dispatch.policy import Policy
from dispatch.whatif import (
    Scenario,
    add_skill,
    add_technicians,
    close_part,
    remove_technicians,
    run_scenarios,
    scale_demand,
    set_sla_hours,
    solve_scenarios,
)
from tests.factories import PLAN_DATE, assert_valid
from tests.uvicorn_server import free_port

DASK = Path(sys.executable).with_name("dask")
ROOT = Path(__file__).resolve().parents[2]  # workers import this checkout's dispatch


def eight_scenarios() -> list[Scenario]:
    day = generate_day(orders=20, technicians=4, seed=5, plan_date=PLAN_DATE)
    b = Scenario.from_day(day, policy=Policy(time_limit=5, solution_limit=20))
    return [
        b,
        add_technicians(b, 2, skills="hvac;french").named("two more hvac"),
        remove_technicians(b, n=1).named("one fewer"),
        scale_demand(b, 1.3, seed=1).named("30% more orders"),
        scale_demand(b, 0.7, seed=1).named("30% fewer orders"),
        set_sla_hours(b, P1=2).named("P1 in 2h"),
        add_skill(b, "boiler", to=2).named("train boiler"),
        close_part(b, "CAP-45").named("no capacitors"),
    ]


def square(x: int) -> int:
    return x * x


def test_scheduler_address_prefers_the_argument(monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://elsewhere:8786")
    assert scheduler_address("tcp://here:8786") == "tcp://here:8786"
    assert scheduler_address() == "tcp://elsewhere:8786"
    monkeypatch.delenv(SCHEDULER_ENV)
    assert scheduler_address() is None


def test_executor_rejects_zero_workers():
    with pytest.raises(ValueError, match="n_workers 0"):
        DaskExecutor(n_workers=0)


def test_eight_scenarios_on_a_local_cluster_all_valid(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    scenarios = eight_scenarios()
    done: list[int] = []
    with DaskExecutor(n_workers=2) as ex:
        results = solve_scenarios(scenarios, executor=ex, on_done=done.append)
        assert len(ex.client.scheduler_info()["workers"]) == 2
    assert sorted(done) == list(range(8))
    assert [r.scenario.name for r in results] == [s.name for s in scenarios]
    for r in results:
        assert_valid(r.scenario.day(), r.plan)
    assert [r.row["orders"] for r in results][3] == 26


def test_local_cluster_is_closed_after_use():
    with DaskExecutor(n_workers=1) as ex:
        assert ex.map(square, [1, 2, 3]) == [1, 4, 9]
        cluster = ex._cluster
    assert ex._client is None
    assert cluster.status.name == "closed"


def test_worker_errors_come_back_to_the_caller():
    with pytest.raises(ZeroDivisionError), DaskExecutor() as ex:
        run_all(lambda x: 1 // x, [1, 0], executor=ex)


@dataclass(frozen=True)
class DaskProcesses:
    """A separately started dask cluster: its address and processes (a worker's is its nanny's)."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


@contextmanager
def dask_processes(workers: int = 2, *, env: dict[str, str] | None = None) -> Iterator[DaskProcesses]:
    """A `dask scheduler` and `workers` `dask worker` processes (one thread each) on localhost, stopped on exit.

    They run with this checkout on PYTHONPATH, so that workers import its dispatch/ and api/; `env` adds
    variables (dask configuration such as DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES).
    """
    address = f"tcp://127.0.0.1:{free_port()}"
    environ = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    environ |= env or {}
    environ.pop(SCHEDULER_ENV, None)

    def start(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([str(DASK), *args, "--no-dashboard"], cwd=ROOT, env=environ,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    scheduler = start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1])
    procs = [scheduler]
    try:
        procs += [start("worker", address, "--nworkers", "1", "--nthreads", "1") for _ in range(workers)]
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:  # the scheduler may not listen yet; a bounded wait, not a timing assertion
            try:
                with Client(address, timeout="5s") as c:
                    if workers:
                        c.wait_for_workers(workers, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield DaskProcesses(address, scheduler, procs[1:])
    finally:  # workers first, while their scheduler still answers their goodbye
        for group in (procs[1:], procs[:1]):
            for p in group:
                if p.poll() is None:
                    p.terminate()
            for p in group:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture
def external_scheduler() -> Iterator[str]:
    """A `dask scheduler` and two `dask worker` processes on localhost, stopped after the test."""
    with dask_processes(2) as cluster:
        yield cluster.address


def test_same_code_runs_on_a_separately_started_scheduler(external_scheduler, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, external_scheduler)  # the setting, not an argument
    scenarios = eight_scenarios()
    with DaskExecutor() as ex:
        assert ex.address == external_scheduler
        df = run_scenarios(scenarios, executor=ex)
        assert len(ex.client.scheduler_info()["workers"]) == 2
        assert ex._cluster is None
    assert list(df.index) == [s.name for s in scenarios]
    assert df["valid"].all()
