"""Cancel stops the work: a cancelled plan job's solver process stops and frees its core, whatever the executor.

Each test starts a real solve of 60 s (no solution count to end it sooner), waits until a process of the
service burns a core with it, cancels the job, and 3 s later samples the CPU use of every process the service
started: none may be solving any more. The only clock bound is that acceptance figure; everything else waits
for states (with generous bounds against a hang).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient

from api.jobs import ComputeLostError, JobRunner, ProcessSlots, make_executor
from api.main import create_app
from tests.api.conftest import Database, World, make_settings
from tests.api.live import live_server
from tests.api.planning import DATE, PLAN, checked, seed_day, wait

# a solve that runs until its time limit: 60 s, the acceptance's case
LONG = PLAN | {"solution_limit": None, "time_limit": 60}
BUSY = 20.0  # % of one core: a process solving uses up to 100 % (less on a busy machine), an idle one about 0
SETTLE_S = 3.0  # the acceptance: no solver process uses the CPU 3 s after the cancel


def spin() -> None:
    """A computation that never ends by itself (runs in a pool process)."""
    while True:
        pass


def cpu_by_process(root: psutil.Process, *, interval: float = 1.0, leaves: bool = False) -> dict[int, float]:
    """pid -> % of a core used over `interval` seconds, for every live descendant of `root` (with `leaves`,
    only those without children of their own)."""
    procs = []
    for p in root.children(recursive=True):
        try:
            if not (leaves and p.children()):
                p.cpu_percent(None)
                procs.append(p)
        except psutil.NoSuchProcess:
            pass
    time.sleep(interval)
    use: dict[int, float] = {}
    for p in procs:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                use[p.pid] = p.cpu_percent(None)
        except psutil.NoSuchProcess:
            pass
    return use


def the_solver(root: psutil.Process, *, give_up_s: float = 90) -> int:
    """The pid of the descendant of `root` that solves: the busiest one without children, twice running (a
    process that starts up or imports is busy for a moment, the solve for its whole time limit; a dask worker
    is the parent of the process its task solves in)."""
    stop = time.monotonic() + give_up_s
    last = None
    while True:
        use = cpu_by_process(root, leaves=True)
        busiest = max(use, key=lambda pid: use[pid], default=None)
        if busiest is not None and use[busiest] > BUSY:
            if busiest == last:
                return busiest
            last = busiest
        assert time.monotonic() < stop, f"no process of the service solved within {give_up_s} s"


def assert_stopped(root: psutil.Process, solver: int | None = None) -> None:
    """3 s after the cancel nothing the service started burns a core, and the process that solved (if given)
    is gone."""
    time.sleep(SETTLE_S)
    use = cpu_by_process(root)
    assert all(u < BUSY for u in use.values()), f"a process still solves: {use}"
    if solver is not None:
        assert solver not in use, f"the cancelled solve's process {solver} still runs ({use.get(solver)} %)"


def solving(get: Any, plan_id: str, headers: dict[str, str], *, give_up_s: float = 90) -> None:
    """Wait until the job's phase is solving (`get` is a TestClient's or httpx's get)."""
    stop = time.monotonic() + give_up_s
    while get(f"/api/v1/plans/{plan_id}", headers=headers).json()["phase"] != "solving":
        assert time.monotonic() < stop, "the job never reached its solve"
        time.sleep(0.05)


@pytest.fixture
def day(world: World) -> World:
    seed_day(world)
    return world


def server_process(url: str) -> psutil.Process:
    """The uvicorn process (a child of this one) that serves `url`."""
    port = url.rsplit(":", 1)[1]
    for p in psutil.Process().children():
        if "uvicorn" in " ".join(p.cmdline()) and port in p.cmdline():
            return p
    raise AssertionError(f"no uvicorn process serves {url}")


def test_cancel_a_running_60s_job_of_the_live_server_kills_its_solver(day: World, database: Database) -> None:
    """The acceptance, from outside: the default executor (a process pool) under uvicorn, over HTTP."""
    h = day.as_("disp")
    with live_server(database) as url, httpx.Client(base_url=url, timeout=60) as http:
        server = server_process(url)
        job = http.post("/api/v1/plans", json=LONG, headers=h).json()
        solving(http.get, job["id"], h)
        solver = the_solver(server)
        r = http.post(f"/api/v1/plans/{job['id']}/cancel", headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        assert_stopped(server, solver)
        body = http.get(f"/api/v1/plans/{job['id']}", headers=h).json()
        assert (body["status"], body["plan"], body["error"]) == ("cancelled", None, None)
        assert http.post(f"/api/v1/plans/{job['id']}/publish", headers=h).status_code == 409
        # a fresh process took the killed one's place: the next job solves
        nxt = http.post("/api/v1/plans", json=PLAN, headers=h).json()
        stop = time.monotonic() + 120
        while (body := http.get(f"/api/v1/plans/{nxt['id']}", headers=h).json())["status"] in ("queued", "running"):
            assert time.monotonic() < stop, "the next job never finished"
            time.sleep(0.1)
    assert body["status"] == "done", body
    checked(day, body)


def test_a_cancel_handled_by_another_service_worker_stops_the_solve(day: World, database: Database) -> None:
    """Two service workers over one database: the job solves in the first, the cancel reaches the second;
    the first sees the job's row and kills its solve."""
    c, h = day.client, day.as_("disp")
    me = psutil.Process()
    job = c.post("/api/v1/plans", json=LONG, headers=h).json()
    solving(c.get, job["id"], h)
    solver = the_solver(me)
    with TestClient(create_app(make_settings(database), engine_args=database.engine_args)) as other:
        r = other.post(f"/api/v1/plans/{job['id']}/cancel", headers=h)
        assert r.status_code == 200, r.text
        assert_stopped(me, solver)
    body = wait(c, job["id"], h)
    assert (body["status"], body["plan"]) == ("cancelled", None)
    checked(day, wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h))


def test_a_solve_past_its_deadline_is_killed_and_its_slot_replaced() -> None:
    """The runner alone: a computation past its timeout fails with ComputeLostError, its process killed; the
    slot's next computation runs in a new process."""
    runner = JobRunner(make_compute=lambda: make_executor("process", 1))
    slots = runner._compute
    assert isinstance(slots, ProcessSlots)
    try:
        with pytest.raises(ComputeLostError, match="did not finish by the job's deadline; its process was stopped"):
            runner.compute(spin, timeout=5)
        assert runner.compute(sum, [1, 2]) == 3  # a new process of the slot
        assert all(psutil.Process(pid).cpu_percent(1.0) < BUSY for pid in slots.pids())
    finally:
        runner.shutdown(wait=False)


# --- dask: the service's own local cluster ----------------------------------------------------------------

@pytest.fixture(scope="module")
def local_dask(database: Database) -> Iterator[TestClient]:
    settings = make_settings(database, plan_executor="dask", plan_workers=1, dispatch_scheduler=None)
    with TestClient(create_app(settings, engine_args=database.engine_args)) as client:
        yield client


def test_cancel_a_running_job_on_dask_kills_the_solve_on_its_worker(day: World, local_dask: TestClient) -> None:
    c, h = local_dask, day.as_("disp")
    dask = c.app.state.plan_runner._compute.client  # type: ignore[attr-defined]
    workers = dask.run(os.getpid)
    job = c.post("/api/v1/plans", json=LONG, headers=h).json()
    solving(c.get, job["id"], h)
    me = psutil.Process()
    stop = time.monotonic() + 90
    while not any(psutil.Process(pid).children() for pid in workers.values()):
        assert time.monotonic() < stop, "the task never started its solve"
        time.sleep(0.1)
    the_solver(me)
    r = c.post(f"/api/v1/plans/{job['id']}/cancel", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert_stopped(me)
    # the worker lives on; only the process its task solved in is gone
    assert dask.run(os.getpid) == workers
    assert all(not psutil.Process(pid).children() for pid in workers.values())
    body = wait(c, job["id"], h)
    assert (body["status"], body["plan"], body["error"]) == ("cancelled", None, None)
    after = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)
    assert after["status"] == "done", after
    checked(World(c, day.headers, day.users), after)
    assert after["plan"]["date"] == DATE.isoformat()
