"""Complaints over HTTP, with the service clock set by the test: intake, assignment, a first response within 24 h
and a resolution within 3 working days, an alert once when a clock runs out; follow-up calls missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.live import watch
from tests.api.conftest import ServiceClock, World, service_clock
from tests.api.planning import DATE, PINNED, seed_day, solve_and_publish, thread_runner

URL = "/api/v1/complaints"


@pytest.fixture
def clock(world: World) -> Iterator[ServiceClock]:
    """The service's clock, set by the test (Tuesday 2026-11-24 12:00 to begin with)."""
    with service_clock(world, f"{DATE}T12:00:00") as held:
        yield held


@pytest.fixture
def customers(world: World) -> World:
    seed_day(world)  # customers C1 (Hôtel Dieu: orders O1, O4), C2 (O2), C3 (O3); no plan
    return world


@pytest.fixture
def routes(world: World) -> World:
    seed_day(world, PINNED)  # TA: O1 (P1), O2 (P2); TB: O3 (P3), O4 (P4)
    with thread_runner(world.client):
        solve_and_publish(world)
    return world


def _post(world: World, path: str, body: dict[str, Any], who: str = "disp") -> dict[str, Any]:
    r = world.client.post(path, json=body, headers=world.as_(who))
    assert r.status_code in (200, 201), r.text
    return r.json()


def _complaint(world: World, who: str = "disp", **fields: Any) -> dict[str, Any]:
    body = {"customer_id": "C1", "channel": "phone", "text": "the heating is still cold"} | fields
    r = world.client.post(URL, json=body, headers=world.as_(who))
    assert r.status_code == 201, r.text
    return r.json()


def _alerts(world: World, query: str = "") -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/alerts{query}", headers=world.as_("super"))
    assert r.status_code == 200, r.text
    return [a for a in r.json() if a["complaint_id"] is not None]


def test_a_complaint_walks_from_intake_to_outcome_with_its_clocks(routes: World, clock: ServiceClock) -> None:
    c, w = routes.client, routes
    # TA visited O1 (of C1) this morning: the complaint about O1 is about TA's visit
    r = c.post("/api/v1/visits", json={"order_id": "O1", "date": str(DATE), "arrived_at": f"{DATE}T09:00:00",
                                       "done_at": f"{DATE}T10:10:00"}, headers=w.as_("tech_a"))
    assert r.status_code == 201, r.text
    # received Tuesday 12:00 (now): a first response is due 24 h later, Wednesday 12:00; the resolution 3
    # working days later, Friday 2026-11-27 12:00
    k = _complaint(w, order_id="O1", channel="email")
    assert (k["customer_id"], k["order_id"], k["technician_id"], k["channel"]) == ("C1", "O1", "TA", "email")
    assert (k["received_at"], k["response_due"], k["resolution_due"]) == (
        "2026-11-24T12:00:00", "2026-11-25T12:00:00", "2026-11-27T12:00:00")
    assert (k["status"], k["response_overdue"], k["resolution_overdue"]) == ("open", False, False)
    assert (k["recorded_by"], k["assigned_to"]) == (w.users["disp"].id, None)
    path = f"{URL}/{k['id']}"

    # assigned to the supervisor at 13:00
    clock.set(f"{DATE}T13:00:00")
    a = _post(w, f"{path}/assign", {"user_id": w.users["super"].id})
    assert (a["assigned_to"], a["assigned_at"]) == (w.users["super"].id, "2026-11-24T13:00:00")

    # Wednesday 12:00 sharp the response clock has not run out yet; a minute later it has: one alert
    clock.set("2026-11-25T12:00:00")
    assert _alerts(w) == []
    clock.set("2026-11-25T12:01:00")
    [alert] = _alerts(w)
    assert (alert["kind"], alert["complaint_id"], alert["order_id"], alert["technician_id"]) == (
        "complaint response overdue", k["id"], "O1", "TA")
    assert alert["message"] == (f"complaint {k['id']} of customer C1 (Hôtel Dieu, order O1): its first response "
                                "was due 2026-11-25 12:00")
    assert alert["created_at"] == "2026-11-25T12:01:00"
    assert len(_alerts(w)) == 1  # read again: still one
    now = c.get(path, headers=w.as_("super")).json()
    assert (now["status"], now["response_overdue"], now["resolution_overdue"]) == ("open", True, False)
    assert [x["id"] for x in c.get(f"{URL}?status=overdue", headers=w.as_("plan")).json()] == [k["id"]]

    # answered late (12:30): the response clock stops, the complaint stays marked late, the alert stays open
    clock.set("2026-11-25T12:30:00")
    rr = _post(w, f"{path}/respond", {"response": "a technician comes back on Thursday"}, who="super")
    assert (rr["status"], rr["responded_at"], rr["response_overdue"]) == ("responded", "2026-11-25T12:30:00", True)
    assert [x["id"] for x in c.get(f"{URL}?status=overdue", headers=w.as_("disp")).json()] == []
    assert [a["closed_at"] for a in _alerts(w)] == [None]

    # Friday 12:01 the resolution clock has run out too: the second alert, once
    clock.set("2026-11-27T12:01:00")
    got = c.get(path, headers=w.as_("store")).json()
    assert (got["status"], got["resolution_overdue"]) == ("responded", True)
    kinds = sorted(a["kind"] for a in _alerts(w))
    assert kinds == ["complaint resolution overdue", "complaint response overdue"]
    late = _alerts(w, "?kind=complaint resolution overdue")
    assert [a["message"] for a in late] == [
        f"complaint {k['id']} of customer C1 (Hôtel Dieu, order O1): its resolution was due 2026-11-27 12:00"]
    assert len(_alerts(w)) == 2

    # resolved at 15:00 with its outcome; the same resolution again changes nothing, another one is refused
    clock.set("2026-11-27T15:00:00")
    done = _post(w, f"{path}/resolve", {"outcome": "upheld", "resolution": "valve replaced, one month free"})
    assert (done["status"], done["outcome"], done["resolved_at"]) == ("resolved", "upheld", "2026-11-27T15:00:00")
    assert (done["responded_at"], done["response"]) == ("2026-11-25T12:30:00", "a technician comes back on Thursday")
    clock.set("2026-11-27T16:00:00")
    again = c.post(f"{path}/resolve", json={"outcome": "upheld", "resolution": "valve replaced, one month free"},
                   headers=w.as_("super"))
    assert again.status_code == 200
    assert again.json() == done
    other = c.post(f"{path}/resolve", json={"outcome": "not_upheld", "resolution": "no fault found"},
                   headers=w.as_("super"))
    assert other.status_code == 409
    assert "resolved at 2026-11-27 15:00 (upheld)" in other.json()["detail"]
    # a second, different response is refused too; the same one is not
    assert c.post(f"{path}/respond", json={"response": "sorry"}, headers=w.as_("disp")).status_code == 409
    same = c.post(f"{path}/respond", json={"response": "a technician comes back on Thursday"}, headers=w.as_("disp"))
    assert same.status_code == 200
    # reassigning a resolved complaint is refused; the alerts stay until a supervisor closes them
    assert c.post(f"{path}/assign", json={"user_id": w.users["disp"].id}, headers=w.as_("disp")).status_code == 409
    assert len(_alerts(w)) == 2
    assert [x["status"] for x in c.get(f"{URL}?status=resolved", headers=w.as_("disp")).json()] == ["resolved"]


def test_a_resolution_without_a_response_answers_the_customer_too(customers: World, clock: ServiceClock) -> None:
    c, w = customers.client, customers
    k = _complaint(w, customer_id="C2", order_id="O2", channel="web", assigned_to=w.users["super"].id)
    assert (k["technician_id"], k["assigned_to"], k["assigned_at"]) == (None, w.users["super"].id,
                                                                        "2026-11-24T12:00:00")
    clock.set(f"{DATE}T16:00:00")
    done = _post(w, f"{URL}/{k['id']}/resolve", {"outcome": "withdrawn", "resolution": "the customer withdrew"},
                 who="super")
    # the response clock stopped with the resolution, in time: nothing is late, and nothing ever alerts
    assert (done["responded_at"], done["response"], done["resolved_at"]) == (
        "2026-11-24T16:00:00", None, "2026-11-24T16:00:00")
    assert (done["response_overdue"], done["resolution_overdue"]) == (False, False)
    clock.set("2026-12-31T12:00:00")
    assert _alerts(w) == []
    r = c.post(f"{URL}/{k['id']}/respond", json={"response": "we are on it"}, headers=w.as_("super"))
    assert r.status_code == 409
    assert "answered by its resolution" in r.json()["detail"]


def test_the_resolution_clock_counts_working_days(customers: World, clock: ServiceClock) -> None:
    clock.set("2026-11-30T09:00:00")
    # Saturday 10:00: counted from Monday 00:00, 3 working days end on Thursday 2026-12-03 00:00; the response
    # clock runs through the weekend: Sunday 10:00
    sat = _complaint(customers, received_at="2026-11-28T10:00:00")
    assert (sat["response_due"], sat["resolution_due"]) == ("2026-11-29T10:00:00", "2026-12-03T00:00:00")
    # Friday 15:00: Monday, Tuesday, Wednesday -> Wednesday 2026-12-02 15:00
    fri = _complaint(customers, received_at="2026-11-27T15:00:00")
    assert fri["resolution_due"] == "2026-12-02T15:00:00"
    # a time with an offset is taken in the service's zone (Europe/Paris, +01:00 in winter)
    utc = _complaint(customers, received_at="2026-11-27T14:00:00Z")
    assert utc["received_at"] == "2026-11-27T15:00:00"
    # now Monday 09:00: both Sunday response clocks ran out, no resolution clock did
    listed = customers.client.get(f"{URL}?status=overdue", headers=customers.as_("disp")).json()
    assert sorted(x["id"] for x in listed) == sorted([sat["id"], fri["id"], utc["id"]])
    assert {a["kind"] for a in _alerts(customers)} == {"complaint response overdue"}
    assert len(_alerts(customers)) == 3


def test_the_escalation_watch_raises_the_alert_once(customers: World, clock: ServiceClock) -> None:
    k = _complaint(customers, customer_id="C3")  # received Tuesday 12:00, no order: the alert names none
    sessions = customers.client.app.state.sessionmaker  # type: ignore[attr-defined]

    def round_at(now: str) -> None:
        assert watch.run_once(sessions, holder="test", now=datetime.fromisoformat(now), ttl=timedelta(minutes=1))

    round_at("2026-11-25T11:00:00")  # an hour before its response is due: nothing
    assert _alerts(customers) == []
    round_at("2026-11-25T12:05:00")
    round_at("2026-11-25T12:06:00")
    [alert] = _alerts(customers)  # the watch's one, at 12:05 (the read's clock is still Tuesday's)
    assert (alert["kind"], alert["complaint_id"], alert["order_id"], alert["created_at"]) == (
        "complaint response overdue", k["id"], None, "2026-11-25T12:05:00")
    assert alert["message"] == (f"complaint {k['id']} of customer C3 (Gare Part-Dieu): its first response was "
                                "due 2026-11-25 12:00")
    clock.set("2026-11-25T13:00:00")  # a read after the round adds none
    assert len(_alerts(customers)) == 1


def _error(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    return detail[0] if isinstance(detail, list) else r.json()["errors"][0]


def test_bad_input_names_the_field_and_the_value(customers: World, clock: ServiceClock) -> None:
    c, h = customers.client, customers.as_("disp")
    body = {"customer_id": "C1", "channel": "phone", "text": "late again"}
    tech_user = customers.users["tech_a"].id
    cases = [
        (body | {"customer_id": "NOPE"}, "customer_id", "NOPE", "customer 'NOPE' does not exist"),
        (body | {"order_id": "O2"}, "order_id", "O2", "order 'O2' is not an order of customer 'C1'"),
        (body | {"order_id": "O99"}, "order_id", "O99", "order 'O99' does not exist"),
        (body | {"assigned_to": tech_user}, "assigned_to", tech_user, "is a technician"),
        (body | {"assigned_to": 999999}, "assigned_to", 999999, "does not exist"),
        (body | {"received_at": "2026-11-24T12:00:01"}, "received_at", "2026-11-24T12:00:01", "in the future"),
        (body | {"received_at": "0001-01-01T00:30:00+14:00"}, "received_at", "0001-01-01T00:30:00+14:00",
         "out of range"),
    ]
    for sent, field, value, words in cases:
        e = _error(c.post(URL, json=sent, headers=h))
        assert (e["loc"], e["input"]) == (["body", field], value), sent
        assert words in e["msg"], e
    # the schema's own checks name the field and the value too
    e = _error(c.post(URL, json=body | {"channel": "fax"}, headers=h))
    assert (e["loc"], e["input"]) == (["body", "channel"], "fax")
    e = _error(c.post(URL, json=body | {"text": ""}, headers=h))
    assert e["loc"] == ["body", "text"]
    k = _complaint(customers)
    e = _error(c.post(f"{URL}/{k['id']}/assign", json={"user_id": tech_user}, headers=h))
    assert (e["loc"], e["input"]) == (["body", "user_id"], tech_user)
    e = _error(c.post(f"{URL}/{k['id']}/resolve", json={"outcome": "maybe", "resolution": "x"}, headers=h))
    assert (e["loc"], e["input"]) == (["body", "outcome"], "maybe")
    e = _error(c.get(f"{URL}?status=late", headers=h))
    assert (e["loc"], e["input"]) == (["query", "status"], "late")
    # unknown complaints are 404; nothing was stored by the refused requests
    for method, path, sent in (("GET", f"{URL}/999999", None), ("POST", f"{URL}/999999/respond", {"response": "x"}),
                               ("POST", f"{URL}/999999/assign", {"user_id": customers.users["disp"].id})):
        assert c.request(method, path, json=sent, headers=h).status_code == 404, path
    assert [x["id"] for x in c.get(URL, headers=h).json()] == [k["id"]]


def test_supervisors_and_dispatchers_handle_complaints_staff_read_them(customers: World, clock: ServiceClock) -> None:
    c, w = customers.client, customers
    for who in ("super", "disp"):
        k = _complaint(w, who=who)
        assert k["recorded_by"] == w.users[who].id
        path = f"{URL}/{k['id']}"
        assert c.post(f"{path}/assign", json={"user_id": w.users[who].id}, headers=w.as_(who)).status_code == 200
        assert c.post(f"{path}/respond", json={"response": "noted"}, headers=w.as_(who)).status_code == 200
        assert c.post(f"{path}/resolve", json={"outcome": "upheld", "resolution": "fixed"},
                      headers=w.as_(who)).status_code == 200
    k = _complaint(w)
    path = f"{URL}/{k['id']}"
    writes = [(URL, {"customer_id": "C1", "channel": "phone", "text": "x"}),
              (f"{path}/assign", {"user_id": w.users["super"].id}), (f"{path}/respond", {"response": "x"}),
              (f"{path}/resolve", {"outcome": "upheld", "resolution": "x"})]
    for who in ("store", "plan", "tech_a"):
        for url, body in writes:
            assert c.post(url, json=body, headers=w.as_(who)).status_code == 403, (who, url)
    for who in ("store", "plan", "super", "disp"):
        assert len(c.get(URL, headers=w.as_(who)).json()) == 3
        assert c.get(path, headers=w.as_(who)).status_code == 200
    assert c.get(URL, headers=w.as_("tech_a")).status_code == 403
    assert c.get(path, headers=w.as_("tech_a")).status_code == 403
    # a storekeeper or a planner may not be assigned one either: only a dispatcher or a supervisor handles it
    e = _error(c.post(f"{path}/assign", json={"user_id": w.users["plan"].id}, headers=w.as_("super")))
    assert (e["input"], "is a planner" in e["msg"]) == (w.users["plan"].id, True)
    # filters: by status and customer, newest received first
    other = _complaint(w, customer_id="C3", received_at="2026-11-24T11:00:00")
    assert [x["id"] for x in c.get(f"{URL}?status=open", headers=w.as_("plan")).json()] == [k["id"], other["id"]]
    assert [x["id"] for x in c.get(f"{URL}?customer_id=C3", headers=w.as_("plan")).json()] == [other["id"]]
    assert len(c.get(f"{URL}?status=resolved&limit=1", headers=w.as_("plan")).json()) == 1


def test_missed_follow_up_calls_are_listed(routes: World, clock: ServiceClock) -> None:
    c, h = routes.client, routes.as_("super")
    r = c.post("/api/v1/visits", json={"order_id": "O2", "date": str(DATE), "arrived_at": f"{DATE}T10:30:00",
                                       "done_at": f"{DATE}T11:00:00", "major_repair": True},
               headers=routes.as_("tech_a"))
    assert r.status_code == 201, r.text
    # calls due Friday 2026-11-27 (3 days) and Tuesday 2026-12-01 (7 days); on Saturday the first one is missed
    clock.set("2026-11-28T09:00:00")
    calls = c.get("/api/v1/follow-ups", headers=h).json()
    assert [(f["due_date"], f["missed"]) for f in calls] == [("2026-11-27", True), ("2026-12-01", False)]
    missed = c.get("/api/v1/follow-ups?missed=true", headers=h).json()
    assert [f["due_date"] for f in missed] == ["2026-11-27"]
    assert [f["due_date"] for f in c.get("/api/v1/follow-ups?missed=false", headers=h).json()] == ["2026-12-01"]
    # a call due today is not missed yet: on Friday, none was
    clock.set("2026-11-27T18:00:00")
    assert c.get("/api/v1/follow-ups?missed=true", headers=h).json() == []
    # made late (Saturday), the call leaves the missed list; on Wednesday the 7-day call is missed
    clock.set("2026-11-28T10:00:00")
    done = c.post(f"/api/v1/follow-ups/{missed[0]['id']}/complete", json={"outcome": "satisfied"}, headers=h)
    assert done.status_code == 200, done.text
    assert (done.json()["missed"], done.json()["done_at"]) == (False, "2026-11-28T10:00:00")
    assert c.get("/api/v1/follow-ups?missed=true", headers=h).json() == []
    clock.set("2026-12-02T08:00:00")
    assert [f["due_date"] for f in c.get("/api/v1/follow-ups?missed=true", headers=h).json()] == ["2026-12-01"]
    # planners read the list, only dispatchers and supervisors complete a call
    assert c.get("/api/v1/follow-ups?missed=true", headers=routes.as_("plan")).status_code == 200
    second = calls[1]["id"]
    assert c.post(f"/api/v1/follow-ups/{second}/complete", json={"outcome": "no_answer"},
                  headers=routes.as_("plan")).status_code == 403
