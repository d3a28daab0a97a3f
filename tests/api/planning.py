"""Helpers of the plan, route and visit tests: a small named day, a thread-backed job runner, solving to done."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from api import deps
from api.jobs import JobRunner, make_executor
from api.plans import service as plans_service
from api.plans import solving
from dispatch.analysis.checker import check_plan
from dispatch.domain import Day
from dispatch.io.day_json import day_from_dict
from tests.api.conftest import World

DATE = date(2026, 11, 24)  # a Tuesday: technicians TA and TB work (Monday to Friday)
# stop once this many improving solutions are found: a count, not the clock, bounds the test solves
SOLUTION_LIMIT = 5
PLAN = {"date": DATE.isoformat(), "time_limit": 30, "seed": 1, "solution_limit": SOLUTION_LIMIT}

# the small day: three customers in Lyon, two technicians (TA, TB: hvac, 08:00-17:00, at 45.76, 4.84)
CUSTOMERS = [{"id": "C1", "name": "Hôtel Dieu", "address": "1 place de l'Hôpital, Lyon", "phone": "+33 4 00 00 00 01"},
             {"id": "C2", "name": "Boulangerie Croix-Rousse", "address": "12 bd de la Croix-Rousse, Lyon"},
             {"id": "C3", "name": "Gare Part-Dieu"}]
ORDERS = [
    {"id": "O1", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P1", "duration_min": 60,
     "required_skills": ["hvac"], "created_at": "2026-11-24T07:00:00", "address": "1 place de l'Hôpital, Lyon"},
    {"id": "O2", "customer_id": "C2", "lat": 45.7746, "lon": 4.8317, "priority": "P2", "duration_min": 45,
     "required_skills": ["hvac"], "created_at": "2026-11-23T16:00:00",
     "window_start": "2026-11-24T10:00:00", "window_end": "2026-11-24T12:00:00"},
    {"id": "O3", "customer_id": "C3", "lat": 45.7606, "lon": 4.8590, "priority": "P3", "duration_min": 30,
     "required_skills": ["hvac"], "created_at": "2026-11-23T09:00:00", "notes": "badge at the desk"},
    {"id": "O4", "customer_id": "C1", "lat": 45.7500, "lon": 4.8500, "priority": "P4", "duration_min": 30,
     "required_skills": ["hvac"], "created_at": "2026-11-22T09:00:00"},
]
# pinned, so that each technician surely has stops: O1, O2 for TA; O3, O4 for TB
PINNED = [o | {"pinned_technician_id": "TA" if o["id"] in ("O1", "O2") else "TB"} for o in ORDERS]


@contextmanager
def plan_solve(client: TestClient, solve: Any) -> Iterator[None]:
    """Plan jobs of the app compute `solve` instead of the real solve, through the app's runner."""
    overrides = client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[deps.plan_solve] = lambda: solve
    try:
        yield
    finally:
        overrides.pop(deps.plan_solve, None)


@contextmanager
def thread_runner(client: TestClient, solve: Any = solving.solve) -> Iterator[JobRunner]:
    """The app's job runner replaced by one computing on a thread (monkeypatchable, no process start-up)."""
    overrides = client.app.dependency_overrides  # type: ignore[attr-defined]
    runner = JobRunner(make_compute=lambda: make_executor("thread", 1))
    overrides[deps.plan_runner] = lambda: runner
    try:
        with plan_solve(client, solve):
            yield runner
    finally:
        runner.shutdown(wait=True)
        overrides.pop(deps.plan_runner, None)


def seed_day(world: World, orders: list[dict[str, Any]] | None = None) -> None:
    c, h = world.client, world.as_("disp")
    for customer in CUSTOMERS:
        assert c.post("/api/v1/customers", json=customer, headers=h).status_code == 201
    for order in ORDERS if orders is None else orders:
        r = c.post("/api/v1/orders", json=order, headers=h)
        assert r.status_code == 201, r.text


def wait(client: TestClient, plan_id: str, headers: dict[str, str], *, give_up_s: float = 120) -> dict[str, Any]:
    """Poll until the job is finished (a bound against hanging, not a timing assertion)."""
    stop = time.monotonic() + give_up_s
    while True:
        r = client.get(f"/api/v1/plans/{plan_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] not in ("queued", "running"):
            return body
        assert time.monotonic() < stop, f"plan {plan_id} still {body['status']} after {give_up_s} s"
        time.sleep(0.05)


def stored_day(world: World, body: dict[str, Any]) -> Day:
    """The Day a done job was made from, as the job stored it."""
    assert body["status"] == "done", body
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        from api.plans.models import PlanJob

        job = session.get(PlanJob, body["id"])
        assert job is not None
        assert job.input is not None
        return day_from_dict(job.input)


def checked(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """The plan of a done job, after the independent checker passed it against the Day it was made from."""
    day = stored_day(world, body)
    report = check_plan(day, body["plan"])
    assert report.ok, report.violations
    return body["plan"]


def solve_and_publish(world: World, **overrides: Any) -> dict[str, Any]:
    c, h = world.client, world.as_("disp")
    r = c.post("/api/v1/plans", json=PLAN | overrides, headers=h)
    assert r.status_code == 202, r.text
    body = wait(c, r.json()["id"], h)
    plan = checked(world, body)
    r = c.post(f"/api/v1/plans/{body['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    return body | {"plan": plan}


__all__ = ["DATE", "PLAN", "checked", "plan_solve", "plans_service", "seed_day", "solve_and_publish", "thread_runner", "wait"]
