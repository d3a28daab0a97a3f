"""Object-level authorization: technician A on each of technician B's ids gets 403 or 404, on every id endpoint.

The endpoints are taken from the app's own OpenAPI schema, so a new route with an id is covered (or this test
fails, asking for the id to be classified) without anyone remembering to add it here.
"""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import World

# one object of technician B per path parameter; the world fixture and `b_objects` create them
B_IDS = {
    "technician_id": "TB",
    "order_id": "OB",
    "customer_id": "CB",
    "location_id": "VAN-TB",
    "plan_id": "PLAN-B",  # plans are dispatchers' objects: a technician is refused by role
    "visit_id": "1",  # B's visits are covered with real ids in test_visits.py
    "alert_id": "1",
    "follow_up_id": "1",  # follow-up calls and customer notifications are staff's: refused by role
    "complaint_id": "0",  # set by `b_objects` to a complaint about B's order: staff's, refused by role
    "notification_id": "00000000-0000-4000-8000-000000000001",
    "movement_id": "0",  # set by `b_objects` to a stock movement into B's van (ids come from a sequence)
    "day": "2026-11-24",  # the day's events.csv holds every technician's: staff only, refused by role
    "date": "2026-11-24",  # a technician's changed shift of a date: dispatchers' (shift days), refused by role
}
# lists under an id that each caller reads filtered to their own: A gets 200 with none of B's
OWN_LISTS = {"/api/v1/days/{day}/events", "/api/v1/technicians/days/{date}"}
# ids of things no technician owns (a catalogue everyone reads): reads allowed, writes refused by role
SHARED = {"part_id": "P-1"}

BODIES = {"/cancel": {"reason": "probe"}, "/parts": {"part_id": "P-1", "quantity": 1}}


@pytest.fixture
def b_objects(world: World) -> World:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "CB", "name": "B's customer"}, headers=h).status_code == 201
    order = {"id": "OB", "customer_id": "CB", "lat": 45.75, "lon": 4.85, "priority": "P2", "duration_min": 30,
             "required_skills": ["hvac"], "pinned_technician_id": "TB"}
    assert c.post("/api/v1/orders", json=order, headers=h).status_code == 201
    part = {"id": "P-1", "name": "filter"}
    assert c.post("/api/v1/parts", json=part, headers=world.as_("store")).status_code == 201
    receipt = {"part_id": "P-1", "location_id": "VAN-TB", "quantity": 3}
    r = c.post("/api/v1/stock/receipts", json=receipt, headers=world.as_("store"))
    assert r.status_code == 201, r.text
    B_IDS["movement_id"] = str(r.json()["id"])
    r = c.post("/api/v1/complaints", json={"customer_id": "CB", "order_id": "OB", "channel": "phone",
                                           "text": "nobody came"}, headers=h)
    assert r.status_code == 201, r.text
    B_IDS["complaint_id"] = str(r.json()["id"])
    r = c.post("/api/v1/events", json={"time": "2026-11-24T12:00:00", "event": "break"}, headers=world.as_("tech_b"))
    assert r.status_code == 201, r.text
    r = c.put("/api/v1/technicians/TB/days/2026-11-24", json={"shift_end": "18:30"}, headers=h)
    assert r.status_code == 200, r.text
    return world


def _id_operations(world: World) -> list[tuple[str, str, list[str]]]:
    schema = world.client.get("/api/v1/openapi.json").json()
    out = []
    for path, item in schema["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if params:
            out.extend((method.upper(), path, params) for method in item)
    return out


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def test_every_id_parameter_is_classified(world: World) -> None:
    names = {p for _, _, params in _id_operations(world) for p in params}
    unknown = names - B_IDS.keys() - SHARED.keys()
    assert not unknown, f"add an object of technician B for {sorted(unknown)} to B_IDS (or to SHARED)"


def test_technician_a_never_reaches_technician_b_objects(b_objects: World) -> None:
    world = b_objects
    ops = _id_operations(world)
    assert len(ops) >= 8  # technicians, customers, orders (+cancel), parts, stock locations
    checked = 0
    for method, path, params in ops:
        if not set(params) <= B_IDS.keys():
            continue
        url = _fill(path, B_IDS)
        body = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), {})
        kwargs = {"json": body} if method in ("POST", "PATCH", "PUT") else {}
        r = world.client.request(method, url, headers=world.as_("tech_a"), **kwargs)
        if path in OWN_LISTS:
            assert r.status_code == 200, r.text
            assert r.json() == [], f"{method} {url} as technician A showed B's: {r.text}"
            assert world.client.request(method, url, headers=world.as_("tech_b")).json() != []
            continue
        assert r.status_code in (403, 404), f"{method} {url} as technician A gave {r.status_code}: {r.text}"
        checked += 1
    assert checked >= 7
    # B's things are untouched, and B (or a dispatcher) does reach them, so the ids were real
    order = world.client.get("/api/v1/orders/OB", headers=world.as_("tech_b"))
    assert order.status_code == 200
    assert order.json()["status"] == "open"
    assert world.client.get("/api/v1/technicians/TB", headers=world.as_("tech_b")).status_code == 200
    assert world.client.get("/api/v1/stock-locations/VAN-TB", headers=world.as_("tech_b")).status_code == 200
    movement = f"/api/v1/stock/movements/{B_IDS['movement_id']}"
    assert world.client.get(movement, headers=world.as_("tech_b")).status_code == 200


def test_shared_catalogue_is_read_only_for_technicians(b_objects: World) -> None:
    world = b_objects
    for method, path, params in _id_operations(world):
        if not set(params) <= SHARED.keys():
            continue
        url = _fill(path, SHARED)
        r = world.client.request(method, url, headers=world.as_("tech_a"),
                                 **({"json": {}} if method != "GET" else {}))
        assert r.status_code == (200 if method == "GET" else 403), f"{method} {url}: {r.status_code}"


def test_lists_hold_only_the_technicians_own_objects(b_objects: World) -> None:
    c, h = b_objects.client, b_objects.as_("tech_a")
    assert [t["id"] for t in c.get("/api/v1/technicians", headers=h).json()["items"]] == ["TA"]
    assert c.get("/api/v1/orders", headers=h).json()["total"] == 0
    assert c.get("/api/v1/orders?technician_id=TB", headers=h).json()["total"] == 0
    vans = [loc["id"] for loc in c.get("/api/v1/stock-locations?kind=van", headers=h).json()["items"]]
    assert vans == ["VAN-TA"]
    assert c.get("/api/v1/customers", headers=h).status_code == 403
