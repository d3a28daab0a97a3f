"""Visits: a technician records arrival, outcome and customer score on their own stops, and on nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

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
