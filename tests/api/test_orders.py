"""Repair orders: create, update, cancel, list with filters and paging; mass assignment is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import World, service_clock

URL = "/api/v1/orders"


def order(id: str, **kw: Any) -> dict[str, Any]:
    base = {"id": id, "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P3", "duration_min": 60,
            "required_skills": ["hvac"], "created_at": "2026-11-24T07:00:00"}
    return base | kw


@pytest.fixture
def disp(world: World) -> World:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "C1", "name": "Hospital"}, headers=h).status_code == 201
    assert c.post("/api/v1/customers", json={"id": "C2", "name": "School"}, headers=h).status_code == 201
    return world


def post(world: World, body: dict[str, Any]):
    return world.client.post(URL, json=body, headers=world.as_("disp"))


def test_create_read_update_cancel(disp: World) -> None:
    c, h = disp.client, disp.as_("disp")
    r = post(disp, order("O1", required_parts={"P-310": 2}, window_start="2026-11-24T09:00:00",
                         window_end="2026-11-24T11:00:00"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    assert r.json()["source"] == "api"
    assert c.get(f"{URL}/O1", headers=h).json()["required_parts"] == {"P-310": 2}
    r = c.patch(f"{URL}/O1", json={"priority": "P1", "required_skills": ["HVAC", "english"]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == "P1"
    assert r.json()["required_skills"] == ["english", "hvac"]
    r = c.post(f"{URL}/O1/cancel", json={"reason": "customer fixed it"}, headers=h)
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["cancel_reason"]) == ("cancelled", "customer fixed it")
    assert r.json()["cancelled_at"] is not None
    again = c.post(f"{URL}/O1/cancel", json={"reason": "twice"}, headers=h)
    assert again.status_code == 409
    assert c.patch(f"{URL}/O1", json={"priority": "P2"}, headers=h).status_code == 409


def test_created_and_cancelled_at_are_the_service_clocks_moment(disp: World) -> None:
    """The area's local time (the service clock), not the server machine's: a deadline counts from it."""
    with service_clock(disp, "2026-12-01T00:30:00"):
        body = order("O1")
        del body["created_at"]
        r = post(disp, body)
        assert r.status_code == 201, r.text
        assert r.json()["created_at"] == "2026-12-01T00:30:00"
        r = disp.client.post(f"{URL}/O1/cancel", json={"reason": "fixed"}, headers=disp.as_("disp"))
        assert r.json()["cancelled_at"] == "2026-12-01T00:30:00"


@pytest.mark.parametrize(("field", "value"), [("status", "cancelled"), ("source", "import:x"),
                                         ("cancelled_at", "2026-11-24T08:00:00"), ("recorded_at", "2026-01-01")])
def test_mass_assignment_is_refused_naming_the_field(disp: World, field: str, value: str) -> None:
    r = post(disp, order("O1", **{field: value}))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", field]
    assert r.json()["detail"][0]["type"] == "extra_forbidden"
    assert post(disp, order("O1")).status_code == 201
    r = disp.client.patch(f"{URL}/O1", json={field: value}, headers=disp.as_("disp"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("lat", 123.4, "less than or equal to 90"),
    ("priority", "P9", "P1"),
    ("duration_min", -5, "greater than or equal to 0"),
    ("required_skills", ["a;b"], "pattern"),
    ("required_parts", {"P-1": 0}, "greater than or equal to 1"),
])
def test_bad_values_get_422_naming_the_field(disp: World, field: str, value: Any, message: str) -> None:
    r = post(disp, order("O1", **{field: value}))
    assert r.status_code == 422
    err = r.json()["detail"][0]
    assert field in err["loc"]
    assert message in err["msg"]


def test_domain_rules_and_references_are_checked(disp: World) -> None:
    r = post(disp, order("O1", window_start="2026-11-24T11:00:00", window_end="2026-11-24T09:00:00"))
    assert r.status_code == 422
    assert r.json()["detail"] == "order O1: window_end 09:00 is before window_start 11:00"
    r = post(disp, order("O1", customer_id="NOPE"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "customer_id"]
    assert "customer 'NOPE' does not exist" in r.json()["detail"]
    r = post(disp, order("O1", pinned_technician_id="T-NOPE"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "pinned_technician_id"]
    assert post(disp, order("O1")).status_code == 201
    assert post(disp, order("O1")).status_code == 409


def test_list_lengths_are_limited(disp: World) -> None:
    r = post(disp, order("O1", required_skills=[f"s{i}" for i in range(21)]))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "required_skills"]


def test_filters_and_paging(disp: World) -> None:
    c, h = disp.client, disp.as_("disp")
    specs = [("O1", "P1", "C1", None, ["hvac"], "06:00"), ("O2", "P3", "C1", "TA", ["elevator"], "07:00"),
             ("O3", "P3", "C2", None, ["hvac", "english"], "08:00"), ("O4", "P4", "C2", "TA", ["hvac"], "09:00"),
             ("O5", "P2", "C1", None, ["plumbing"], "10:00")]
    for oid, prio, cust, pin, skills, hhmm in specs:
        r = post(disp, order(oid, priority=prio, customer_id=cust, pinned_technician_id=pin,
                             required_skills=skills, created_at=f"2026-11-24T{hhmm}:00"))
        assert r.status_code == 201, r.text
    c.post(f"{URL}/O5/cancel", json={"reason": "duplicate"}, headers=h)

    def ids(query: str) -> list[str]:
        r = c.get(f"{URL}?{query}", headers=h)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert ids("") == ["O1", "O5", "O2", "O3", "O4"]  # by priority, then created_at
    assert ids("status=open") == ["O1", "O2", "O3", "O4"]
    assert ids("status=cancelled") == ["O5"]
    assert ids("priority=P3&priority=P4") == ["O2", "O3", "O4"]
    assert ids("customer_id=C2") == ["O3", "O4"]
    assert ids("technician_id=TA") == ["O2", "O4"]
    assert ids("skill=hvac") == ["O1", "O3", "O4"]
    assert ids("skill=HVAC&customer_id=C2") == ["O3", "O4"]
    assert ids("created_from=2026-11-24T07:00:00&created_to=2026-11-24T09:00:00&sort=created_at") == ["O2", "O3"]
    assert ids("sort=-created_at") == ["O5", "O4", "O3", "O2", "O1"]

    page = c.get(f"{URL}?sort=id&limit=2&offset=2", headers=h).json()
    assert [o["id"] for o in page["items"]] == ["O3", "O4"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert c.get(f"{URL}?limit=0", headers=h).status_code == 422
    assert c.get(f"{URL}?limit=501", headers=h).status_code == 422
    assert c.get(f"{URL}?status=closed", headers=h).status_code == 422
    assert c.get(f"{URL}?sort=customer", headers=h).status_code == 422


def test_a_technician_sees_orders_pinned_to_them(disp: World) -> None:
    assert post(disp, order("O1", pinned_technician_id="TA")).status_code == 201
    assert post(disp, order("O2")).status_code == 201
    c, h = disp.client, disp.as_("tech_a")
    assert [o["id"] for o in c.get(URL, headers=h).json()["items"]] == ["O1"]
    assert c.get(f"{URL}/O1", headers=h).status_code == 200
    assert c.get(f"{URL}/O2", headers=h).status_code == 404
    assert c.patch(f"{URL}/O1", json={"priority": "P1"}, headers=h).status_code == 403
