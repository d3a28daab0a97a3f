"""The phone reports the day: events stored as sent (the phone's time) and received (the server's), applied to
the visits (orders close and reopen, parts leave the van, the outcome reaches the dispatcher), exported as the
events.csv contract the re-plan reads; retries count once; bad events are refused naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from api.plans.days import build_live_day
from api.plans.service import build_day
from api.visits.events import day_events
from dispatch.io.events import events_from_csv_bytes
from tests.api.conftest import World
from tests.api.planning import DATE, PINNED, seed_day, solve_and_publish, thread_runner

EVENTS = "/api/v1/events"


@pytest.fixture
def routes(world: World) -> World:
    """The small day planned (checked by the independent checker) and published: O1, O2 are TA's; O3, O4 TB's."""
    seed_day(world, PINNED)
    with thread_runner(world.client):
        body = solve_and_publish(world)
    owner = {s["order_id"]: r["technician_id"] for r in body["plan"]["routes"] for s in r["stops"]}
    assert owner == {"O1": "TA", "O2": "TA", "O3": "TB", "O4": "TB"}
    return world


def at(hhmm: str) -> str:
    return f"{DATE}T{hhmm}:00"


def post(world: World, who: str, event: str, hhmm: str, order_id: str | None = None, key: str | None = None,
         **fields: Any) -> Any:
    headers = world.as_(who) | ({"Idempotency-Key": key} if key else {})
    body = {"time": at(hhmm), "event": event, "order_id": order_id} | fields
    return world.client.post(EVENTS, json=body, headers=headers)


def ok(world: World, who: str, event: str, hhmm: str, order_id: str | None = None, **fields: Any) -> dict[str, Any]:
    r = post(world, who, event, hhmm, order_id, **fields)
    assert r.status_code == 201, r.text
    return dict(r.json())


def stock_van(world: World, part_id: str, quantity: int, van: str = "VAN-TA") -> None:
    c, h = world.client, world.as_("store")
    assert c.post("/api/v1/parts", json={"id": part_id, "name": "filter", "unit_cost": "12.50"},
                  headers=h).status_code == 201
    r = c.post("/api/v1/stock/receipts", json={"part_id": part_id, "location_id": van, "quantity": quantity},
               headers=h)
    assert r.status_code == 201, r.text


def van(world: World, location: str = "VAN-TA") -> dict[str, int]:
    items = world.client.get(f"/api/v1/stock?location_id={location}", headers=world.as_("store")).json()["items"]
    return {i["part_id"]: i["quantity"] for i in items}


def order(world: World, order_id: str) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/orders/{order_id}", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_day_reported_from_the_phones_closes_reopens_and_exports(routes: World) -> None:
    c, disp = routes.client, routes.as_("disp")
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        morning = build_day(session, day=DATE)  # the day as planned, before anything happened
    stock_van(routes, "P-FLT", 5)

    # TA: on the way to O1, there, service, done (fixed) with a filter used and a score
    first = ok(routes, "tech_a", "departed", "08:40", "O1")
    assert set(first) == {"id", "date", "time", "received_at", "technician_id", "order_id", "event", "reason", "note"}
    assert (first["date"], first["time"], first["technician_id"], first["event"]) == (
        DATE.isoformat(), at("08:40"), "TA", "departed")
    # the server's own receipt time is kept apart from the phone's (the phone's day is in the past here)
    assert datetime.fromisoformat(first["received_at"]) > datetime.fromisoformat(first["time"])
    ok(routes, "tech_a", "arrived", "09:00", "O1")
    assert order(routes, "O1")["status"] == "open"  # on site: not finished
    ok(routes, "tech_a", "started", "09:05", "O1")
    ok(routes, "tech_a", "done", "09:50", "O1", parts=[{"part_id": "P-FLT", "quantity": 1}], customer_score=5,
       note="filter changed")
    o1 = order(routes, "O1")
    assert o1["status"] == "done"
    assert o1["last_outcome"] == {"event": "done", "reason": None, "note": "filter changed", "time": at("09:50"),
                                  "technician_id": "TA"}
    assert van(routes) == {"P-FLT": 4}
    visits = {v["order_id"]: v for v in c.get(f"/api/v1/visits?date={DATE}", headers=disp).json()}
    v1 = visits["O1"]
    assert (v1["arrived_at"], v1["started_at"], v1["done_at"]) == (at("09:00"), at("09:05"), at("09:50"))
    assert (v1["fixed_first_time"], v1["resolved"], v1["customer_score"]) == (True, True, 5)

    # TA: O2 needs another visit (a part is missing): back to the pool with the reason for the dispatcher
    ok(routes, "tech_a", "departed", "10:00", "O2")
    ok(routes, "tech_a", "arrived", "10:20", "O2")
    ok(routes, "tech_a", "unresolved", "10:50", "O2", reason="part_missing", note="compressor")
    o2 = order(routes, "O2")
    assert o2["status"] == "open"
    assert o2["last_outcome"] == {"event": "unresolved", "reason": "part_missing", "note": "compressor",
                                  "time": at("10:50"), "technician_id": "TA"}
    listed = {o["id"]: o for o in c.get("/api/v1/orders?limit=50", headers=disp).json()["items"]}
    assert listed["O2"]["last_outcome"]["reason"] == "part_missing"
    assert listed["O3"]["last_outcome"] is None  # never visited
    ok(routes, "tech_a", "break", "12:00")

    # TB arrives at O3, then goes home sick: the dispatcher reports them absent; O4's customer cancels
    ok(routes, "tech_b", "arrived", "09:30", "O3")
    absent = ok(routes, "disp", "absent", "11:00", technician_id="TB", note="sick")
    assert absent["technician_id"] == "TB"
    ok(routes, "disp", "cancelled", "08:15", "O4", note="fixed it himself")
    assert order(routes, "O4")["status"] == "cancelled"

    # the day's log: everyone's for the office, one's own for a technician, in time order
    log = c.get(f"/api/v1/days/{DATE}/events", headers=disp).json()
    assert [(e["time"][11:16], e["technician_id"], e["order_id"], e["event"]) for e in log] == [
        ("08:15", None, "O4", "cancelled"),
        ("08:40", "TA", "O1", "departed"),
        ("09:00", "TA", "O1", "arrived"),
        ("09:05", "TA", "O1", "started"),
        ("09:30", "TB", "O3", "arrived"),
        ("09:50", "TA", "O1", "done"),
        ("10:00", "TA", "O2", "departed"),
        ("10:20", "TA", "O2", "arrived"),
        ("10:50", "TA", "O2", "unresolved"),
        ("11:00", "TB", None, "absent"),
        ("12:00", "TA", None, "break"),
    ]
    assert [e["reason"] for e in log if e["event"] == "unresolved"] == ["part_missing"]
    mine = c.get(f"/api/v1/days/{DATE}/events", headers=routes.as_("tech_b")).json()
    assert {e["technician_id"] for e in mine} == {"TB"}

    # the export is the events.csv contract, departures, break and absence included, and the reader takes it
    r = c.get(f"/api/v1/days/{DATE}/events.csv", headers=disp)
    assert r.status_code == 200, r.text
    assert r.text.splitlines() == [
        "time,technician_id,order_id,event,note",
        "2026-11-24T08:15:00,,O4,cancelled,fixed it himself",
        "2026-11-24T08:40:00,TA,O1,departed,",
        "2026-11-24T09:00:00,TA,O1,arrived,",
        "2026-11-24T09:05:00,TA,O1,started,",
        "2026-11-24T09:30:00,TB,O3,arrived,",  # on site: the phone says "started" on its own
        "2026-11-24T09:50:00,TA,O1,done,",
        "2026-11-24T10:00:00,TA,O2,departed,",
        "2026-11-24T10:20:00,TA,O2,arrived,",
        "2026-11-24T10:20:00,TA,O2,started,",
        "2026-11-24T10:50:00,TA,O2,unresolved,part_missing: compressor",
        "2026-11-24T11:00:00,TB,,absent,sick",
        "2026-11-24T12:00:00,TA,,break,",
    ]
    events = events_from_csv_bytes(r.content, morning)
    assert [e.kind.value for e in events].count("departed") == 2
    assert {e.kind.value for e in events} == {"cancelled", "departed", "arrived", "started", "done", "unresolved",
                                              "absent", "break"}


def test_a_retry_with_the_same_key_records_once(routes: World) -> None:
    stock_van(routes, "P-FLT", 5)
    ok(routes, "tech_a", "arrived", "09:00", "O1")
    done = {"parts": [{"part_id": "P-FLT", "quantity": 2}], "customer_score": 4}
    first = post(routes, "tech_a", "done", "09:40", "O1", key="phone-1-done-O1", **done)
    assert first.status_code == 201, first.text
    again = post(routes, "tech_a", "done", "09:40", "O1", key="phone-1-done-O1", **done)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    log = routes.client.get(f"/api/v1/days/{DATE}/events", headers=routes.as_("disp")).json()
    assert [e["event"] for e in log] == ["arrived", "done"]
    assert van(routes) == {"P-FLT": 3}  # the parts left the van once
    assert order(routes, "O1")["status"] == "done"
    # the same key for another request is refused, naming the key
    other = post(routes, "tech_a", "arrived", "10:00", "O2", key="phone-1-done-O1")
    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    # a second tap with a new key on a finished stop (another phone recorded it) is a conflict, not a record
    late = post(routes, "tech_a", "done", "09:45", "O1", key="phone-2-done-O1")
    assert late.status_code == 409
    assert "already recorded as done" in late.json()["detail"]


def test_a_refused_event_writes_nothing(routes: World) -> None:
    stock_van(routes, "P-FLT", 1)
    ok(routes, "tech_a", "arrived", "09:00", "O1")
    r = post(routes, "tech_a", "done", "09:40", "O1", parts=[{"part_id": "P-FLT", "quantity": 2}])
    assert r.status_code == 409, r.text  # the van holds one
    assert r.json()["errors"][0] | {"have": 1, "asked": 2} == r.json()["errors"][0]
    assert order(routes, "O1")["status"] == "open"
    assert van(routes) == {"P-FLT": 1}
    log = routes.client.get(f"/api/v1/days/{DATE}/events", headers=routes.as_("disp")).json()
    assert [e["event"] for e in log] == ["arrived"]
    visit = routes.client.get(f"/api/v1/visits?date={DATE}", headers=routes.as_("tech_a")).json()[0]
    assert visit["done_at"] is None


@pytest.mark.parametrize(("before", "event", "fields", "field"), [
    ([], "done", {"order_id": "O1"}, "event"),  # done before arrived
    ([("arrived", "09:00", "O1")], "done", {"order_id": "O1", "time": at("08:30")}, "time"),
    ([("arrived", "09:00", "O1")], "started", {"order_id": "O1", "time": at("08:59")}, "time"),
    ([("arrived", "09:00", "O1")], "departed", {"order_id": "O1"}, "event"),  # departed after arrived
    ([("departed", "09:00", "O1")], "arrived", {"order_id": "O1", "time": at("08:50")}, "time"),
    ([("arrived", "09:00", "O1")], "arrived", {"order_id": "O2"}, "order_id"),  # still at O1
    ([("arrived", "09:00", "O1")], "unresolved", {"order_id": "O1"}, "reason"),
    ([("arrived", "09:00", "O1")], "unresolved", {"order_id": "O1", "reason": "bored"}, "reason"),
    ([], "arrived", {"order_id": "O1", "reason": "other"}, "reason"),
    ([], "teleported", {"order_id": "O1"}, "event"),
    ([], "break", {"order_id": "O1"}, "order_id"),
    ([], "arrived", {"order_id": None}, "order_id"),
    ([], "arrived", {"order_id": "O1", "technician_id": "TB"}, "technician_id"),
    ([], "arrived", {"order_id": "O1", "time": "09:00"}, "time"),
    ([], "arrived", {"order_id": "O1", "time": "0001-01-01T00:30:00+14:00"}, "time"),  # year 0 in Lyon
    ([], "arrived", {"order_id": "O1", "parts": [{"part_id": "P-FLT", "quantity": 1}]}, "parts"),
    ([("arrived", "09:00", "O1")], "done", {"order_id": "O1", "customer_score": 6}, "customer_score"),
    ([("arrived", "09:00", "O1")], "done", {"order_id": "O1", "parts": [{"part_id": "NOPE", "quantity": 1}]},
     "parts"),
    ([], "arrived", {"order_id": "O1", "note": "x" * 2001}, "note"),
])
def test_bad_events_are_422_naming_the_field(routes: World, before: list[tuple[str, str, str]], event: str,
                                             fields: dict[str, Any], field: str) -> None:
    for step in before:
        ok(routes, "tech_a", *step)
    body = {"time": at("10:00"), "event": event} | fields
    r = routes.client.post(EVENTS, json=body, headers=routes.as_("tech_a"))
    assert r.status_code == 422, r.text
    items = r.json().get("errors") or r.json()["detail"]
    assert ["body", field] in [list(e["loc"])[:2] for e in items], r.text
    log = routes.client.get(f"/api/v1/days/{DATE}/events", headers=routes.as_("disp")).json()
    assert len(log) == len(before)  # nothing half-written


def test_a_phone_sending_its_time_with_an_offset_records_the_plan_areas_time(routes: World) -> None:
    r = routes.client.post(EVENTS, json={"time": f"{DATE}T10:00:00+02:00", "event": "arrived", "order_id": "O1"},
                           headers=routes.as_("tech_a"))
    assert r.status_code == 201, r.text
    assert r.json()["time"] == at("09:00")  # Lyon is at +01:00 in November


def test_who_may_report_what(routes: World) -> None:
    # an order not on my published route (B's, or on another date) is "not found", naming it
    r = post(routes, "tech_a", "arrived", "09:00", "O3")
    assert r.status_code == 404
    assert "order 'O3' is not on your published route of 2026-11-24" in r.json()["detail"]
    r = routes.client.post(EVENTS, json={"time": "2026-11-25T09:00:00", "event": "arrived", "order_id": "O1"},
                           headers=routes.as_("tech_a"))
    assert r.status_code == 404
    assert "O1" in r.json()["detail"]
    # the dispatcher names the technician, who must exist; a storekeeper reports nothing
    r = post(routes, "disp", "absent", "11:00")
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "technician_id"]
    r = post(routes, "disp", "absent", "11:00", technician_id="NOBODY")
    assert r.status_code == 422
    assert r.json()["errors"][0]["input"] == "NOBODY"
    assert post(routes, "store", "break", "12:00").status_code == 403
    # a technician does not cancel a customer's order; the dispatcher does
    assert post(routes, "tech_a", "cancelled", "08:00", "O1").status_code == 403
    # absent: no new work afterwards
    ok(routes, "disp", "absent", "08:30", technician_id="TB")
    r = post(routes, "tech_b", "arrived", "09:00", "O3")
    assert r.status_code == 422
    assert "absent since 08:30" in r.text


def test_the_phones_outcomes_count_in_the_kpis_and_alerts(routes: World) -> None:
    c, disp = routes.client, routes.as_("disp")
    stock_van(routes, "P-FLT", 5)
    # O1 fixed on the first visit, with two filters and a poor score; O2 needs another visit
    ok(routes, "tech_a", "arrived", "09:00", "O1")
    ok(routes, "tech_a", "done", "10:00", "O1", parts=[{"part_id": "P-FLT", "quantity": 2}], customer_score=2)
    ok(routes, "tech_a", "arrived", "10:30", "O2")
    ok(routes, "tech_a", "unresolved", "11:00", "O2", reason="second_technician")
    k = c.get(f"/api/v1/kpis/daily?date={DATE}", headers=disp).json()
    # two first visits done, one fixed: 1/2 (a Done that sent no outcome read 0 % before)
    assert k["first_time_fix"] == {"first_visits_done": 2, "fixed": 1, "rate": 0.5}
    assert k["resolution"] == {"orders_done": 2, "resolved": 1, "rate": 0.5}
    assert k["parts_cost"] == "25.00"  # 2 x 12.50 out of the van onto O1
    alerts = c.get("/api/v1/alerts", headers=disp).json()
    assert [(a["order_id"], a["technician_id"]) for a in alerts] == [("O1", "TA")]  # a score below 3


def test_done_and_on_my_way_in_the_same_minute_export_in_the_order_they_happened(routes: World) -> None:
    """A phone taps "Done" at O1 and "On my way" to O2 within one minute: the export (what a re-plan reads)
    keeps the finished visit first, so the day reads without a contradiction."""
    ok(routes, "tech_a", "departed", "08:40", "O1")
    ok(routes, "tech_a", "arrived", "09:00", "O1")
    ok(routes, "tech_a", "done", "09:50", "O1")
    ok(routes, "tech_a", "departed", "09:50", "O2")
    ok(routes, "tech_a", "arrived", "09:50", "O2")  # next door
    text = routes.client.get(f"/api/v1/days/{DATE}/events.csv", headers=routes.as_("disp")).text
    rows = [line.split(",")[1:4] for line in text.splitlines()[1:]]
    assert rows == [["TA", "O1", "departed"], ["TA", "O1", "arrived"], ["TA", "O1", "started"],
                    ["TA", "O1", "done"], ["TA", "O2", "departed"], ["TA", "O2", "arrived"]]
    maker = routes.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        day = build_live_day(session, day=DATE, events=day_events(session, day=DATE))
    events_from_csv_bytes(text.encode(), day)  # raises on a contradiction


def test_arrived_without_started_reads_on_site_until_the_phone_says_started(routes: World) -> None:
    ok(routes, "tech_a", "departed", "08:40", "O1")
    ok(routes, "tech_a", "arrived", "09:00", "O1")

    def state(hhmm: str) -> str:
        r = routes.client.get(f"/api/v1/days/{DATE}/status", params={"at": at(hhmm)}, headers=routes.as_("disp"))
        assert r.status_code == 200, r.text
        return str(next(t["state"] for t in r.json()["technicians"] if t["technician_id"] == "TA"))

    assert state("09:02") == "on_site"
    ok(routes, "tech_a", "started", "09:04", "O1")
    assert state("09:05") == "in_service"
