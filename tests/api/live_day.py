"""The live day of the status and watch tests: two technicians, a long morning job before an emergency.

TA (08:00-17:00, home 45.76, 4.84): A1 (P4, 120 min, to start 08:00-08:30), then E1, a P1 created at 07:30 (its
deadline 11:30), to start from 10:00. TB: C1 (P3, 30 min) and C2 (P3, 30 min), both due tomorrow.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World
from tests.api.planning import CUSTOMERS, DATE, seed_day, solve_and_publish, thread_runner


def at(hhmm: str) -> str:
    return f"{DATE}T{hhmm}:00"


ORDERS = [
    {"id": "A1", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P4", "duration_min": 120,
     "required_skills": ["hvac"], "created_at": "2026-11-23T09:00:00", "window_start": at("08:00"),
     "window_end": at("08:30"), "pinned_technician_id": "TA"},
    {"id": "E1", "customer_id": "C2", "lat": 45.7746, "lon": 4.8317, "priority": "P1", "duration_min": 30,
     "required_skills": ["hvac"], "created_at": at("07:30"), "window_start": at("10:00"),
     "pinned_technician_id": "TA"},
    {"id": "C1", "customer_id": "C3", "lat": 45.7606, "lon": 4.8590, "priority": "P3", "duration_min": 30,
     "required_skills": ["hvac"], "created_at": at("07:00"), "window_start": at("08:00"), "window_end": at("08:30"),
     "pinned_technician_id": "TB"},
    {"id": "C2", "customer_id": "C1", "lat": 45.7500, "lon": 4.8500, "priority": "P3", "duration_min": 30,
     "required_skills": ["hvac"], "created_at": at("07:00"), "window_start": at("09:30"),
     "pinned_technician_id": "TB"},
]


def live_day(world: World) -> dict[str, Any]:
    """The day above, solved, checked and published; the plan job's body."""
    seed_day(world, ORDERS)
    with thread_runner(world.client):
        return solve_and_publish(world)


def visit(world: World, who: str, order_id: str, **times: str) -> dict[str, Any]:
    """`who` records a visit of `order_id` with these HH:MM times (arrived_at, started_at, done_at)."""
    body: dict[str, Any] = {"order_id": order_id, "date": DATE.isoformat()} | {k: at(v) for k, v in times.items()}
    r = world.client.post("/api/v1/visits", json=body, headers=world.as_(who))
    assert r.status_code == 201, r.text
    return r.json()


__all__ = ["CUSTOMERS", "DATE", "ORDERS", "at", "live_day", "report", "visit"]


def report(world: World, who: str, event: str, hhmm: str, **fields: Any) -> dict[str, Any]:
    """`who` reports `event` at `hhmm` through the phone's endpoint (the dispatcher names the technician)."""
    body = {"time": at(hhmm), "event": event} | fields
    r = world.client.post("/api/v1/events", json=body, headers=world.as_(who))
    assert r.status_code == 201, r.text
    return r.json()
