"""Visits: a technician records arrival, outcome and customer score on their own stops, and on nobody else's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from api.orders.models import Order
from api.plans.service import build_day
from dispatch.io.events import events_from_csv_bytes
from tests.api.conftest import World
from tests.api.planning import DATE, PINNED, seed_day, solve_and_publish, thread_runner


@pytest.fixture
def routes(world: World) -> World:
    seed_day(world, PINNED)
    with thread_runner(world.client):
        body = solve_and_publish(world)
    owner = {s["order_id"]: r["technician_id"] for r in body["plan"]["routes"] for s in r["stops"]}
    assert owner == {"O1": "TA", "O2": "TA", "O3": "TB", "O4": "TB"}
    return world


def visit(order_id: str, **fields: Any) -> dict[str, Any]:
    return {"order_id": order_id, "date": DATE.isoformat(), "arrived_at": f"{DATE}T09:00:00"} | fields


def test_record_a_visit_on_my_stop_then_finish_it(routes: World) -> None:
    c, h = routes.client, routes.as_("tech_a")
    r = c.post("/api/v1/visits", json=visit("O1"), headers=h)
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["technician_id"] == "TA"
    assert v["done_at"] is None
    assert v["plan_id"]
    r = c.patch(f"/api/v1/visits/{v['id']}", json={"done_at": f"{DATE}T10:00:00", "fixed_first_time": True,
                                                     "customer_score": 5, "notes": "filter changed"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["resolved"] is True
    assert r.json()["customer_score"] == 5
    assert [x["id"] for x in c.get("/api/v1/visits", headers=h).json()] == [v["id"]]
    assert c.get(f"/api/v1/visits/{v['id']}", headers=h).status_code == 200
    # a staff member reads every visit
    assert len(c.get(f"/api/v1/visits?date={DATE}", headers=routes.as_("disp")).json()) == 1


def test_a_second_record_of_the_same_stop_is_a_conflict(routes: World) -> None:
    c, h = routes.client, routes.as_("tech_a")
    assert c.post("/api/v1/visits", json=visit("O1"), headers=h).status_code == 201
    r = c.post("/api/v1/visits", json=visit("O1"), headers=h)
    assert r.status_code == 409
    assert "already recorded" in r.json()["detail"]


@pytest.mark.parametrize("score", [0, 6, -1, 100])
def test_a_score_outside_1_to_5_is_422_naming_the_field(routes: World, score: int) -> None:
    r = routes.client.post("/api/v1/visits", json=visit("O1", customer_score=score), headers=routes.as_("tech_a"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "customer_score"]


@pytest.mark.parametrize(("fields", "name"), [
    ({"done_at": f"{DATE}T08:00:00"}, "done_at"),
    ({"started_at": f"{DATE}T08:30:00"}, "started_at"),
    ({"customer_score": "good"}, "customer_score"),
    ({"technician_id": "TB"}, "technician_id"),  # mass assignment: nobody records a visit for someone else
    ({"notes": "x" * 2001}, "notes"),
])
def test_bad_visits_name_the_field(routes: World, fields: dict[str, Any], name: str) -> None:
    r = routes.client.post("/api/v1/visits", json=visit("O1", **fields), headers=routes.as_("tech_a"))
    assert r.status_code == 422, r.text
    locs = [e["loc"] for e in r.json().get("errors") or r.json()["detail"]]
    assert ["body", name] in [list(loc) for loc in locs], r.text


def test_technician_a_cannot_touch_b_stops_or_visits(routes: World) -> None:
    c = routes.client
    # A on B's stop: not on A's route
    r = c.post("/api/v1/visits", json=visit("O3"), headers=routes.as_("tech_a"))
    assert r.status_code == 404
    assert "not on your published route" in r.json()["detail"]
    b = c.post("/api/v1/visits", json=visit("O3"), headers=routes.as_("tech_b")).json()
    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"customer_score": 1}})):
        r = c.request(method, f"/api/v1/visits/{b['id']}", headers=routes.as_("tech_a"), **kwargs)
        assert r.status_code == 404, r.text
    assert c.get("/api/v1/visits", headers=routes.as_("tech_a")).json() == []
    assert c.get("/api/v1/visits?technician_id=TB", headers=routes.as_("tech_a")).json() == []
    assert c.get(f"/api/v1/visits/{b['id']}", headers=routes.as_("tech_b")).json()["customer_score"] is None


def test_only_technicians_record_visits_and_only_on_published_stops(routes: World) -> None:
    c = routes.client
    assert c.post("/api/v1/visits", json=visit("O1"), headers=routes.as_("disp")).status_code == 403
    other_day = visit("O1") | {"date": "2026-11-25"}
    assert c.post("/api/v1/visits", json=other_day, headers=routes.as_("tech_a")).status_code == 404


def test_an_unfixed_first_visit_leaves_the_order_unresolved(routes: World) -> None:
    c, h = routes.client, routes.as_("tech_a")
    first = c.post("/api/v1/visits", json=visit("O2", done_at=f"{DATE}T11:00:00", fixed_first_time=False),
                   headers=h)
    assert first.status_code == 201
    assert first.json()["resolved"] is None


def _stock_van(world: World, part_id: str, quantity: int, van: str = "VAN-TA", cost: str = "12.50") -> None:
    c, h = world.client, world.as_("store")
    assert c.post("/api/v1/parts", json={"id": part_id, "name": "filter", "unit_cost": cost},
                  headers=h).status_code == 201
    r = c.post("/api/v1/stock/receipts", json={"part_id": part_id, "location_id": van, "quantity": quantity},
               headers=h)
    assert r.status_code == 201, r.text


def _van(world: World, who: str, van: str) -> dict[str, int]:
    items = world.client.get(f"/api/v1/stock?location_id={van}", headers=world.as_(who)).json()["items"]
    return {i["part_id"]: i["quantity"] for i in items}


def test_parts_used_on_my_visit_are_consumed_once_per_idempotency_key(routes: World) -> None:
    c, h = routes.client, routes.as_("tech_a")
    _stock_van(routes, "P-FLT", 5)
    v = c.post("/api/v1/visits", json=visit("O2"), headers=h).json()  # O2 is TA's, not pinned-only: on the route
    key = {"Idempotency-Key": "visit-O2-filter-1"}
    first = c.post(f"/api/v1/visits/{v['id']}/parts", json={"part_id": "P-FLT", "quantity": 2}, headers=h | key)
    assert first.status_code == 201, first.text
    again = c.post(f"/api/v1/visits/{v['id']}/parts", json={"part_id": "P-FLT", "quantity": 2}, headers=h | key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    body = first.json()
    assert (body["kind"], body["order_id"], body["technician_id"], body["quantity"]) == ("consume", "O2", "TA", 2)
    assert _van(routes, "store", "VAN-TA") == {"P-FLT": 3}
    too_many = c.post(f"/api/v1/visits/{v['id']}/parts", json={"part_id": "P-FLT", "quantity": 4}, headers=h)
    assert too_many.status_code == 409
    bad = c.post(f"/api/v1/visits/{v['id']}/parts", json={"part_id": "P-FLT", "quantity": 0}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "quantity"]


def test_technician_a_cannot_use_parts_on_b_visits(routes: World) -> None:
    c = routes.client
    _stock_van(routes, "P-FLT", 5, van="VAN-TB")
    b = c.post("/api/v1/visits", json=visit("O3"), headers=routes.as_("tech_b")).json()
    r = c.post(f"/api/v1/visits/{b['id']}/parts", json={"part_id": "P-FLT", "quantity": 1},
               headers=routes.as_("tech_a"))
    assert r.status_code == 404
    assert _van(routes, "store", "VAN-TB") == {"P-FLT": 5}


def test_a_solved_visit_closes_its_order_and_an_unsolved_one_sends_it_back(routes: World) -> None:
    c, a, disp = routes.client, routes.as_("tech_a"), routes.as_("disp")

    def status(order_id: str) -> str:
        return str(c.get(f"/api/v1/orders/{order_id}", headers=disp).json()["status"])

    v = c.post("/api/v1/visits", json=visit("O1"), headers=a).json()
    assert status("O1") == "open"  # on site: not finished
    c.patch(f"/api/v1/visits/{v['id']}", json={"done_at": f"{DATE}T10:00:00"}, headers=a)
    assert status("O1") == "done"  # finished with nothing else said: solved
    unsolved = visit("O2", done_at=f"{DATE}T11:00:00", fixed_first_time=False, notes="part missing")
    assert c.post("/api/v1/visits", json=unsolved, headers=a).status_code == 201
    assert status("O2") == "open"  # back to the pool
    # a correction of the outcome follows it; the next plan of the day leaves the done order out
    c.patch(f"/api/v1/visits/{v['id']}", json={"resolved": False}, headers=disp)
    assert status("O1") == "open"
    c.patch(f"/api/v1/visits/{v['id']}", json={"resolved": True}, headers=disp)
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        assert {o.id for o in build_day(session, day=DATE).orders} == {"O2", "O3", "O4"}


def test_the_day_exports_as_events_csv_that_the_replan_reads(routes: World) -> None:
    c, a, b = routes.client, routes.as_("tech_a"), routes.as_("tech_b")
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        morning = build_day(session, day=DATE)  # the day as planned, before anything happened
    done = c.post("/api/v1/visits", json=visit("O1", done_at=f"{DATE}T10:00:00", fixed_first_time=True), headers=a)
    assert done.status_code == 201
    again = visit("O2", arrived_at=f"{DATE}T11:00:00", started_at=f"{DATE}T11:10:00", done_at=f"{DATE}T11:50:00",
                  fixed_first_time=False, notes="part missing")
    assert c.post("/api/v1/visits", json=again, headers=a).status_code == 201
    assert c.post("/api/v1/visits", json=visit("O3", arrived_at=f"{DATE}T09:30:00"), headers=b).status_code == 201
    disp = routes.as_("disp")
    assert c.post("/api/v1/orders/O4/cancel", json={"reason": "fixed it himself"}, headers=disp).status_code == 200
    with maker() as session:  # the cancellation happened that morning (the endpoint stamps the wall clock)
        session.get(Order, "O4").cancelled_at = datetime(2026, 11, 24, 8, 15)
        session.commit()

    r = c.get(f"/api/v1/days/{DATE}/events.csv", headers=disp)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="events-{DATE}.csv"'
    assert r.text.splitlines() == [
        "time,technician_id,order_id,event,note",
        "2026-11-24T08:15:00,,O4,cancelled,fixed it himself",
        "2026-11-24T09:00:00,TA,O1,arrived,",
        "2026-11-24T09:00:00,TA,O1,started,",
        "2026-11-24T09:30:00,TB,O3,arrived,",
        "2026-11-24T09:30:00,TB,O3,started,",
        "2026-11-24T10:00:00,TA,O1,done,",
        "2026-11-24T11:00:00,TA,O2,arrived,",
        "2026-11-24T11:10:00,TA,O2,started,",
        "2026-11-24T11:50:00,TA,O2,unresolved,part missing",
    ]
    # the contract's own reader takes it against the morning's day: no bad cell, no contradiction
    events = events_from_csv_bytes(r.content, morning)
    assert [(e.order_id, e.kind.value) for e in events][-1] == ("O2", "unresolved")
    # a day with nothing recorded is the header alone; technicians do not read the day's log
    assert c.get("/api/v1/days/2026-11-25/events.csv", headers=disp).text == "time,technician_id,order_id,event,note\r\n"
    assert c.get(f"/api/v1/days/{DATE}/events.csv", headers=a).status_code == 403
