"""A technician pulls their route of the published plan: JSON, iCalendar (RFC 5545) and GeoJSON ([lon, lat])."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from api.plans.route_export import skill_words
from tests.api.conftest import World
from tests.api.planning import DATE, ORDERS, seed_day, solve_and_publish, thread_runner

BY_ID = {o["id"]: o for o in ORDERS}
PARIS = ZoneInfo("Europe/Paris")  # the default TIMEZONE


@pytest.fixture
def published(world: World) -> tuple[World, dict[str, Any]]:
    seed_day(world)
    with thread_runner(world.client):
        body = solve_and_publish(world)
    return world, body


def _route_of(plan: dict[str, Any], tech: str) -> dict[str, Any] | None:
    return next((r for r in plan["routes"] if r["technician_id"] == tech), None)


def test_route_json_has_ordered_stops_etas_addresses_and_parts(published: tuple[World, dict[str, Any]]) -> None:
    world, body = published
    c = world.client
    for tech, user in (("TA", "tech_a"), ("TB", "tech_b")):
        r = c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_(user))
        assert r.status_code == 200, r.text
        route = r.json()
        assert route["technician_id"] == tech
        assert route["plan_id"] == body["id"]
        planned = _route_of(body["plan"], tech)
        expected = [s["order_id"] for s in planned["stops"]] if planned else []
        assert [s["order_id"] for s in route["stops"]] == expected
        assert [s["seq"] for s in route["stops"]] == list(range(1, len(expected) + 1))
        for stop, plan_stop in zip(route["stops"], planned["stops"] if planned else [], strict=True):
            assert stop["eta"] == plan_stop["arrival"]
            assert stop["start"] == plan_stop["start"]
            order = BY_ID[stop["order_id"]]
            assert stop["lat"] == order["lat"]
            assert stop["lon"] == order["lon"]
        starts = [s["start"] for s in route["stops"]]
        assert starts == sorted(starts)
    o1 = next(s for tech in ("tech_a", "tech_b")
              for s in c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_(tech)).json()["stops"]
              if s["order_id"] == "O1")
    assert o1["address"] == "1 place de l'Hôpital, Lyon"
    assert o1["customer_name"] == "Hôtel Dieu"


def test_parts_to_bring(world: World) -> None:
    c = world.client
    seed_day(world, [])
    assert c.post("/api/v1/parts", json={"id": "P-FLT", "name": "filter"}, headers=world.as_("store")).status_code == 201
    order = BY_ID["O3"] | {"required_parts": {"P-FLT": 2}, "pinned_technician_id": "TA"}
    assert c.post("/api/v1/orders", json=order, headers=world.as_("disp")).status_code == 201
    # the plan sees the van stock of the ledger: 5 filters in TA's van
    r = c.post("/api/v1/stock/receipts", json={"part_id": "P-FLT", "location_id": "VAN-TA", "quantity": 5},
               headers=world.as_("store"))
    assert r.status_code == 201, r.text
    with thread_runner(c):
        body = solve_and_publish(world)
    assert [s["order_id"] for s in _route_of(body["plan"], "TA")["stops"]] == ["O3"]
    route = c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_("tech_a")).json()
    assert route["stops"][0]["parts"] == [{"part_id": "P-FLT", "name": "filter", "quantity": 2}]
    assert route["parts_to_bring"] == [{"part_id": "P-FLT", "name": "filter", "quantity": 2}]
    assert route["stops"][0]["notes"] == "badge at the desk"


def test_route_as_icalendar(published: tuple[World, dict[str, Any]]) -> None:
    world, body = published
    r = world.client.get(f"/api/v1/me/route.ics?date={DATE}", headers=world.as_("tech_a"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    assert str(cal["VERSION"]) == "2.0"
    assert "PRODID" in cal
    events = list(cal.walk("VEVENT"))
    planned = _route_of(body["plan"], "TA")
    stops = planned["stops"] if planned else []
    assert len(events) == len(stops)
    for ev, stop in zip(events, stops, strict=True):
        # the plan's local times, to the minute, in the service area's zone (not floating)
        assert ev.decoded("DTSTART") == datetime.fromisoformat(stop["start"]).replace(second=0, tzinfo=PARIS)
        assert ev.decoded("DTEND") == datetime.fromisoformat(stop["end"]).replace(second=0, tzinfo=PARIS)
        assert ev["DTSTART"].params["TZID"] == "Europe/Paris"
        assert str(ev["UID"]) == f"dispatch-{DATE}-{stop['order_id']}@dispatch"
        order = BY_ID[stop["order_id"]]
        geo = ev["GEO"]
        assert (geo.latitude, geo.longitude) == pytest.approx((order["lat"], order["lon"]))
        assert stop["order_id"] in str(ev["SUMMARY"])
        assert str(ev["LOCATION"])
    # UIDs are stable: pulling again gives the same calendar events
    again = Calendar.from_ical(world.client.get(f"/api/v1/me/route.ics?date={DATE}",
                                                headers=world.as_("tech_a")).content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]


def test_the_calendar_reads_like_the_job_card(world: World) -> None:
    """Address as LOCATION, times to the minute with their zone, parts by name once, the job and the phone."""
    c = world.client
    seed_day(world, [])
    assert c.post("/api/v1/parts", json={"id": "GSK-8", "name": "Gasket 8 mm"},
                  headers=world.as_("store")).status_code == 201
    order = BY_ID["O1"] | {"required_parts": {"GSK-8": 4}, "pinned_technician_id": "TA",
                           "notes": "Boiler room behind the kitchen."}
    assert c.post("/api/v1/orders", json=order, headers=world.as_("disp")).status_code == 201
    assert c.post("/api/v1/stock/receipts", json={"part_id": "GSK-8", "location_id": "VAN-TA", "quantity": 9},
                  headers=world.as_("store")).status_code == 201
    with thread_runner(c):
        solve_and_publish(world)
    route = c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_("tech_a")).json()
    assert route["stops"][0]["skill_words"] == ["heating and air conditioning"]
    text = c.get(f"/api/v1/me/route.ics?date={DATE}", headers=world.as_("tech_a")).text
    assert "BEGIN:VTIMEZONE" in text
    assert "TZID:Europe/Paris" in text
    assert "DTSTART;TZID=Europe/Paris:" in text
    assert all(line.endswith("00") for line in text.splitlines() if line.startswith(("DTSTART", "DTEND")))
    (ev,) = Calendar.from_ical(text.encode()).walk("VEVENT")
    assert str(ev["LOCATION"]) == "1 place de l'Hôpital, Lyon"
    assert str(ev["SUMMARY"]) == "Hôtel Dieu · P1 · O1"
    description = str(ev["DESCRIPTION"])
    assert "Bring: 4 × Gasket 8 mm (GSK-8)" in description
    assert description.count("GSK-8") == 1
    assert "Job: Boiler room behind the kitchen." in description
    assert "Needs: heating and air conditioning" in description
    assert "Call: +33 4 00 00 00 01" in description
    assert "https://www.google.com/maps/dir/?api=1&destination=45.759700%2C4.842200" in description


def test_skills_in_words_trades_first_then_languages() -> None:
    assert skill_words(["english", "hvac", "crane-licence"]) == ["heating and air conditioning", "crane licence",
                                                                 "speaks English"]
    assert skill_words([]) == []


def test_the_calendar_names_the_configured_zone(world: World) -> None:
    seed_day(world)
    with thread_runner(world.client):
        solve_and_publish(world)
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    before = settings.timezone
    settings.timezone = "America/Chicago"
    try:
        text = world.client.get(f"/api/v1/me/route.ics?date={DATE}", headers=world.as_("tech_a")).text
    finally:
        settings.timezone = before
    assert "DTSTART;TZID=America/Chicago:" in text
    assert "Europe/Paris" not in text


def test_route_as_geojson_puts_longitude_first(published: tuple[World, dict[str, Any]]) -> None:
    world, body = published
    r = world.client.get(f"/api/v1/me/route.geojson?date={DATE}", headers=world.as_("tech_b"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    planned = _route_of(body["plan"], "TB")
    stops = planned["stops"] if planned else []
    points = [f for f in fc["features"] if f["properties"]["kind"] == "stop"]
    assert [p["properties"]["order_id"] for p in points] == [s["order_id"] for s in stops]
    for p in points:
        order = BY_ID[p["properties"]["order_id"]]
        assert p["geometry"] == {"type": "Point", "coordinates": [order["lon"], order["lat"]]}
    home = [4.84, 45.76]  # [lon, lat] of the technicians' home in conftest.TECH
    lines = [f for f in fc["features"] if f["geometry"]["type"] == "LineString"]
    if stops:
        (line,) = lines
        coords = line["geometry"]["coordinates"]
        assert coords[0] == home
        assert coords[-1] == home
        assert coords[1:-1] == [[BY_ID[s["order_id"]]["lon"], BY_ID[s["order_id"]]["lat"]] for s in stops]
    else:
        assert lines == []


def test_no_published_plan_no_route(world: World) -> None:
    seed_day(world)
    with thread_runner(world.client):
        from tests.api.planning import PLAN, wait

        c, h = world.client, world.as_("disp")
        wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)  # done, not published
    for suffix in ("", ".ics", ".geojson"):
        r = c.get(f"/api/v1/me/route{suffix}?date={DATE}", headers=world.as_("tech_a"))
        assert r.status_code == 404
        assert "no plan is published" in r.json()["detail"]


def test_only_technicians_have_a_route_and_only_their_own(published: tuple[World, dict[str, Any]]) -> None:
    world, _ = published
    c = world.client
    assert c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_("disp")).status_code == 403
    assert c.get(f"/api/v1/me/route?date={DATE}").status_code == 401
    # there is no way to name another technician: the route is the caller's own
    r = c.get(f"/api/v1/me/route?date={DATE}&technician_id=TB", headers=world.as_("tech_a"))
    assert r.json()["technician_id"] == "TA"


def test_route_pull_refuses_a_deactivated_technician_at_once(published: tuple[World, dict[str, Any]]) -> None:
    # the route pull reads the user row with the route in one query; deactivation must still hold on the next pull
    world, _ = published
    c = world.client
    assert c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_("tech_a")).status_code == 200
    from api.auth.models import User

    with c.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        user = session.get(User, world.users["tech_a"].id)
        assert user is not None
        user.is_active = False
        session.commit()
    assert c.get(f"/api/v1/me/route?date={DATE}", headers=world.as_("tech_a")).status_code == 401


def test_route_pull_refuses_bad_tokens(published: tuple[World, dict[str, Any]]) -> None:
    world, _ = published
    c = world.client
    assert c.get(f"/api/v1/me/route?date={DATE}", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    from api.auth.security import create_access_token

    ghost = create_access_token(subject="999999", role="technician", secret_key=c.app.state.settings.secret_key,  # type: ignore[attr-defined]
                                minutes=5)
    assert c.get(f"/api/v1/me/route?date={DATE}", headers={"Authorization": f"Bearer {ghost}"}).status_code == 401
