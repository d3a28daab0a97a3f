"""Who could take an order (GET /orders/{id}/candidates) and the re-plan's refusal of a pin nobody could honour."""

from __future__ import annotations

import pytest

from tests.api.conftest import TECH, World
from tests.api.planning import DATE, PLAN, seed_day, thread_runner, wait

# O9 needs refrigeration and a part no van holds; O8 needs refrigeration only
FRIDGE = {"id": "O8", "customer_id": "C1", "lat": 45.76, "lon": 4.85, "priority": "P2", "duration_min": 60,
          "required_skills": ["hvac", "refrigeration"], "created_at": "2026-11-24T07:00:00"}
PART = FRIDGE | {"id": "O9", "required_parts": {"CMP-900": 1}}


@pytest.fixture
def day(world: World) -> World:
    seed_day(world)
    c, h = world.client, world.as_("disp")
    for tech in ({"id": "TC", "name": "Chloé Froid"} | TECH | {"skills": ["hvac", "refrigeration"]},
                 {"id": "TD", "name": "Samedi Seul"} | TECH | {"skills": ["hvac", "refrigeration"], "work_days": [6]}):
        assert c.post("/api/v1/technicians", json=tech, headers=h).status_code == 201
    for order in (FRIDGE, PART):
        assert c.post("/api/v1/orders", json=order, headers=h).status_code == 201
    return world


def _candidates(world: World, order_id: str, who: str = "disp") -> dict[str, dict]:
    r = world.client.get(f"/api/v1/orders/{order_id}/candidates?date={DATE}", headers=world.as_(who))
    assert r.status_code == 200, r.text
    return {c["technician_id"]: c for c in r.json()}


def test_only_the_technician_with_the_skills_who_works_that_day_fits(day: World) -> None:
    got = _candidates(day, "O8")
    assert list(got) == ["TA", "TB", "TC", "TD"]
    assert got["TC"] == {"technician_id": "TC", "name": "Chloé Froid", "fits": True, "reason": None, "rules": []}
    assert got["TA"]["fits"] is False
    assert got["TA"]["reason"] == "lacks refrigeration"
    assert got["TA"]["rules"] == ["required skill"]
    assert got["TD"] == {"technician_id": "TD", "name": "Samedi Seul", "fits": False, "reason": "off that day",
                         "rules": []}


def test_a_part_no_van_holds_is_named_with_the_quantity(day: World) -> None:
    got = _candidates(day, "O9")
    assert got["TC"]["fits"] is False
    assert got["TC"]["reason"] == "van holds 0 of 1 × CMP-900"
    assert got["TA"]["reason"] == "lacks refrigeration; van holds 0 of 1 × CMP-900"


def test_planners_may_ask_and_technicians_and_storekeepers_may_not(day: World) -> None:
    assert len(_candidates(day, "O8", "plan")) == 4
    for who in ("tech_a", "store"):
        r = day.client.get(f"/api/v1/orders/O8/candidates?date={DATE}", headers=day.as_(who))
        assert r.status_code == 403


def test_an_unknown_order_is_404_and_a_bad_date_422(day: World) -> None:
    h = day.as_("disp")
    r = day.client.get(f"/api/v1/orders/O-NONE/candidates?date={DATE}", headers=h)
    assert r.status_code == 404
    assert "O-NONE" in r.json()["detail"]
    r = day.client.get("/api/v1/orders/O8/candidates?date=2026-13-01", headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "date"]


def test_replan_refuses_a_pin_the_technician_cannot_honour_with_the_reason(day: World) -> None:
    c, h = day.client, day.as_("disp")
    with thread_runner(c):
        plan_id = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)["id"]
    for tech, why in (("TA", "lacks refrigeration"), ("TD", "off that day")):
        r = c.post(f"/api/v1/plans/{plan_id}/replan", json={"pins": {"O8": tech}}, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == f"pins: order O8 cannot be pinned to {tech} on {DATE}: {why}"
        assert r.json()["errors"][0]["loc"] == ["body", "pins"]
    # nothing was pinned and no plan was queued
    assert c.get("/api/v1/orders/O8", headers=h).json()["pinned_technician_id"] is None
    assert len(c.get(f"/api/v1/plans?date={DATE}", headers=h).json()) == 1
