"""Technicians, customers, parts and stock locations: create, read, update, filters and the rules they keep."""

from __future__ import annotations

from tests.api.conftest import TECH, World


def test_a_technician_comes_with_a_van(world: World) -> None:
    c, h = world.client, world.as_("disp")
    r = c.post("/api/v1/technicians", json={"id": "T7", "name": "Zoe", **TECH, "skills": ["HVAC", "german"],
                                            "break_start": "12:00", "break_end": "13:30", "break_minutes": 30,
                                            "work_days": [1, 3, 5]}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["skills"] == ["german", "hvac"]
    assert r.json()["van_location_id"] == "VAN-T7"
    van = c.get("/api/v1/stock-locations/VAN-T7", headers=world.as_("store")).json()
    assert (van["kind"], van["technician_id"]) == ("van", "T7")
    assert c.post("/api/v1/technicians", json={"id": "T7", "name": "Again", **TECH}, headers=h).status_code == 409


def test_technician_rules_are_the_domain_rules(world: World) -> None:
    c, h = world.client, world.as_("disp")
    r = c.post("/api/v1/technicians", json={"id": "T8", "name": "Bad", **TECH, "shift_start": "18:00"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"] == "technician T8: shift_end 17:00 is before shift_start 18:00"
    r = c.post("/api/v1/technicians", json={"id": "T8", "name": "Bad", **TECH, "break_start": "12:00",
                                            "break_end": "12:15", "break_minutes": 30}, headers=h)
    assert r.status_code == 422
    assert "break_minutes 30 does not fit" in r.json()["detail"]
    r = c.patch("/api/v1/technicians/TA", json={"shift_end": "07:00"}, headers=h)
    assert r.status_code == 422
    assert c.get("/api/v1/technicians/TA", headers=h).json()["shift_end"] == "17:00:00"  # nothing changed
    r = c.patch("/api/v1/technicians/TA", json={"name": None}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "name"]
    r = c.patch("/api/v1/technicians/TA", json={"id": "TZ"}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "id"]
    r = c.patch("/api/v1/technicians/TA", json={"max_orders": 6, "active": False}, headers=h)
    assert (r.json()["max_orders"], r.json()["active"]) == (6, False)


def test_technician_filters(world: World) -> None:
    c, h = world.client, world.as_("plan")
    world.client.post("/api/v1/technicians", json={"id": "TC", "name": "Carla", **TECH, "skills": ["elevator"]},
                      headers=world.as_("disp"))
    ids = lambda q: [t["id"] for t in c.get(f"/api/v1/technicians?{q}", headers=h).json()["items"]]  # noqa: E731
    assert ids("") == ["TA", "TB", "TC"]
    assert ids("skill=elevator") == ["TC"]
    assert ids("skill=hvac&limit=1&offset=1") == ["TB"]
    assert ids("q=carla") == ["TC"]
    assert c.get("/api/v1/technicians?skill=hvac&limit=1", headers=h).json()["total"] == 2


def test_customers_with_contract_deadlines(world: World) -> None:
    c, h = world.client, world.as_("disp")
    r = c.post("/api/v1/customers", json={"id": "H1", "name": "Hospital", "sla_hours": {"P1": 2}}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["sla_hours"] == {"P1": 2}
    r = c.post("/api/v1/customers", json={"id": "H2", "name": "X", "sla_hours": {"P9": 2}}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:2] == ["body", "sla_hours"]
    r = c.patch("/api/v1/customers/H1", json={"phone": "+33 4 00 00 00 00"}, headers=h)
    assert r.json()["phone"] == "+33 4 00 00 00 00"
    assert c.get("/api/v1/customers?q=hosp", headers=world.as_("store")).json()["total"] == 1
    assert c.get("/api/v1/customers/NOPE", headers=h).status_code == 404


def test_parts_catalogue(world: World) -> None:
    c, h = world.client, world.as_("store")
    r = c.post("/api/v1/parts", json={"id": "P-310", "name": "Compressor", "unit_cost": "412.50",
                                      "low_stock_threshold": 2}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["unit_cost"] == "412.50"
    assert c.post("/api/v1/parts", json={"id": "P-1", "name": "x", "unit_cost": -1}, headers=h).status_code == 422
    assert c.post("/api/v1/parts", json={"id": "P;1", "name": "x"}, headers=h).status_code == 422
    r = c.patch("/api/v1/parts/P-310", json={"unit_cost": 400}, headers=h)
    assert r.json()["unit_cost"] == "400.00"
    assert c.get("/api/v1/parts?q=compr", headers=world.as_("tech_a")).json()["total"] == 1


def test_stock_locations(world: World) -> None:
    c, h = world.client, world.as_("store")
    r = c.post("/api/v1/stock-locations", json={"id": "CENTRAL", "name": "Central store", "lat": 45.7,
                                                "lon": 4.8}, headers=h)
    assert r.status_code == 201
    assert r.json()["kind"] == "central"
    # vans come only with their technician
    r = c.post("/api/v1/stock-locations", json={"id": "V", "name": "v", "kind": "van"}, headers=h)
    assert r.status_code == 422
    kinds = lambda q: [(x["id"], x["kind"]) for x in c.get(f"/api/v1/stock-locations?{q}", headers=h).json()["items"]]  # noqa: E731
    assert kinds("") == [("CENTRAL", "central"), ("VAN-TA", "van"), ("VAN-TB", "van")]
    assert kinds("kind=central") == [("CENTRAL", "central")]
    # a technician sees the central store and their own van
    mine = [x["id"] for x in c.get("/api/v1/stock-locations", headers=world.as_("tech_a")).json()["items"]]
    assert mine == ["CENTRAL", "VAN-TA"]
    assert c.patch("/api/v1/stock-locations/CENTRAL", json={"name": "Main"}, headers=h).json()["name"] == "Main"
