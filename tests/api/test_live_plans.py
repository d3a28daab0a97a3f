"""The live day over HTTP: a re-plan at 10:30 from what the technicians reported keeps every frozen fact and
starts nothing new before 10:30; recommend ranks places for an emergency entered since the plan; assign puts
it there; publishing it gives the technicians version 2 with what changed for them. Every plan goes through
the independent re-plan check with the day's events (GET /days/{date}/events.csv) and the plan before."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest

from api.auth.models import Role, User
from api.auth.security import create_access_token
from api.plans import views
from api.technicians import service as technicians
from api.technicians.schemas import TechnicianCreate
from dispatch.analysis.checker import format_report
from dispatch.analysis.replan_check import check_replan
from dispatch.io.events import events_from_csv_bytes
from tests.api.conftest import SECRET, TECH, World
from tests.api.planning import (
    CUSTOMERS,
    DATE,
    ORDERS,
    PLAN,
    checked,
    seed_day,
    stored_day,
    thread_runner,
    wait,
)

AT = datetime(2026, 11, 24, 10, 30)
LIVE = {"time_limit": 30, "seed": 1, "solution_limit": 5}


def _t(hh_mm: str) -> str:
    return f"{DATE.isoformat()}T{hh_mm}:00"


@pytest.fixture
def live(world: World, password_hash: str) -> World:
    """The world with technicians TC and TD too (users tech_c, tech_d), three customers and a modest day:
    28 hvac orders around Lyon, known since the day before (seeded, no windows, no pins)."""
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        for tid, name in (("TC", "tech_c"), ("TD", "tech_d")):
            technicians.create(session, data=TechnicianCreate(id=tid, name=f"Tech {tid}", **TECH))
            user = User(username=name, role=Role.technician.value, technician_id=tid, hashed_password=password_hash)
            session.add(user)
            session.flush()
            world.headers[name] = {"Authorization": "Bearer " + create_access_token(
                subject=str(user.id), role=user.role, secret_key=SECRET, minutes=10)}
        session.commit()
    c, h = world.client, world.as_("disp")
    for customer in CUSTOMERS:
        assert c.post("/api/v1/customers", json=customer, headers=h).status_code == 201
    rng = random.Random(12)
    for i in range(1, 29):
        order = {"id": f"O{i:02d}", "customer_id": CUSTOMERS[i % 3]["id"], "lat": round(rng.uniform(45.73, 45.79), 4),
                 "lon": round(rng.uniform(4.81, 4.88), 4), "priority": rng.choice(["P2", "P3", "P4"]),
                 "duration_min": rng.choice([30, 45, 60]), "required_skills": ["hvac"],
                 "created_at": "2026-11-23T09:00:00"}
        assert c.post("/api/v1/orders", json=order, headers=h).status_code == 201
    return world


USERS = {"TA": "tech_a", "TB": "tech_b", "TC": "tech_c", "TD": "tech_d"}


def _visit(world: World, tech: str, order_id: str, **times: Any) -> None:
    body = {"order_id": order_id, "date": DATE.isoformat()} | times
    r = world.client.post("/api/v1/visits", json=body, headers=world.as_(USERS[tech]))
    assert r.status_code == 201, r.text


def _morning(world: World) -> dict[str, Any]:
    """The day planned and published (version 1)."""
    c, h = world.client, world.as_("disp")
    body = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)
    checked(world, body)
    r = c.post(f"/api/v1/plans/{body['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    return body


def _routes(plan: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {r["technician_id"]: r["stops"] for r in plan["routes"]}


def _stops(plan: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """order id -> (technician, stop) of each of its stops, in route order."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for r in plan["routes"]:
        for s in r["stops"]:
            out.setdefault(s["order_id"], []).append((r["technician_id"], s))
    return out


def replan_checked(world: World, body: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The re-plan of a done job, after the independent re-plan check passed it: the Day it was made from,
    the day's events as the service exports them, its moment and the plan it started from."""
    day = stored_day(world, body)
    r = world.client.get(f"/api/v1/days/{DATE}/events.csv", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    events = events_from_csv_bytes(r.content, day)
    plan = body["plan"]
    report = check_replan(day, plan, events, datetime.fromisoformat(plan["at"]), previous)
    assert report.ok, format_report(report)
    return plan


def _event(world: World, who: str, body: dict[str, Any]) -> None:
    r = world.client.post("/api/v1/events", json=body, headers=world.as_(who))
    assert r.status_code == 201, r.text


def _report_the_morning(world: World, morning: dict[str, Any], *, absent: bool = True) -> dict[str, dict[str, Any]]:
    """What the phones reported by 10:30: on the two busiest routes done, unresolved, done, and a visit in
    service since 10:05 (recorded through /visits); the third technician on the way to their first stop since
    10:20, the fourth reported absent at 10:00 by the dispatcher (through /events). Returns order id -> the
    fact (technician, status, start, end), and "absent" -> the absent technician."""
    routes = sorted(_routes(morning["plan"]).items(), key=lambda r: (-len(r[1]), r[0]))
    (t1, r1), (t2, r2), (t3, r3), (t4, _) = routes[:4]
    assert len(r1) >= 2
    assert len(r2) >= 2
    assert r3
    _event(world, USERS[t3], {"time": _t("10:20"), "event": "departed", "order_id": r3[0]["order_id"]})
    if absent:
        _event(world, "disp", {"time": _t("10:00"), "event": "absent", "technician_id": t4, "note": "sick"})
    _visit(world, t1, r1[0]["order_id"], arrived_at=_t("08:30"), started_at=_t("08:35"), done_at=_t("09:20"),
           fixed_first_time=True)
    _visit(world, t1, r1[1]["order_id"], arrived_at=_t("10:00"), started_at=_t("10:05"))
    _visit(world, t2, r2[0]["order_id"], arrived_at=_t("08:40"), done_at=_t("09:30"), resolved=False,
           fixed_first_time=False, notes="part missing")
    _visit(world, t2, r2[1]["order_id"], arrived_at=_t("09:50"), done_at=_t("10:20"), fixed_first_time=True)
    return {
        r1[0]["order_id"]: {"tech": t1, "status": "done", "start": _t("08:35"), "end": _t("09:20")},
        r1[1]["order_id"]: {"tech": t1, "status": "in_service", "start": _t("10:05")},
        r2[0]["order_id"]: {"tech": t2, "status": "unresolved", "start": _t("08:40"), "end": _t("09:30")},
        r2[1]["order_id"]: {"tech": t2, "status": "done", "start": _t("09:50"), "end": _t("10:20")},
        r3[0]["order_id"]: {"tech": t3, "status": "en_route"},
    } | ({"absent": {"tech": t4, "status": "absent"}} if absent else {})


def test_a_replan_at_1030_keeps_every_frozen_fact_and_plans_nothing_new_before(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
        facts = _report_the_morning(live, morning)
        r = c.post(f"/api/v1/plans/{morning['id']}/replan", json=LIVE | {"at": AT.isoformat()}, headers=h)
        assert r.status_code == 202, r.text
        body = wait(c, r.json()["id"], h)
    plan = replan_checked(live, body, morning["plan"])
    assert body["parent_id"] == morning["id"]
    assert body["at"] == AT.isoformat()
    assert plan["at"] == AT.isoformat()
    stops = _stops(plan)
    absent = facts.pop("absent")["tech"]
    for order_id, fact in facts.items():
        # the fact's own stop (an unresolved order may be on another route too, to visit again)
        tech, stop = next(((t, s) for t, s in stops[order_id] if t == fact["tech"]), stops[order_id][0])
        assert (tech, stop["status"]) == (fact["tech"], fact["status"])
        if fact["status"] == "en_route":  # the next stop of that technician, reached after 10:30
            assert next(s for s in _routes(plan)[tech] if s["status"] != "done")["order_id"] == order_id
            assert stop["arrival"] >= AT.isoformat()
            continue
        assert stop["start"] == fact["start"]
        if "end" in fact:
            assert stop["end"] == fact["end"]
        else:  # in service since 10:05 for its duration, and at least until 10:30
            assert stop["end"] >= AT.isoformat()
    # the absent technician takes nothing more; what they had is handed over (reassigned) or left out
    assert all(s["status"] != "planned" for s in _routes(plan).get(absent, []))
    theirs = [s["order_id"] for s in _routes(morning["plan"])[absent]]
    assert theirs
    for order_id in theirs:
        change = next(ch for ch in plan["changes"] if ch["order_id"] == order_id)
        assert change["from_technician"] == absent
        assert change["change"] in ("reassigned", "dropped")
    planned = [s for r in plan["routes"] for s in r["stops"] if s["status"] == "planned"]
    assert planned
    assert min(s["arrival"] for s in planned) >= AT.isoformat()
    assert min(s["start"] for s in planned) >= AT.isoformat()
    # finished orders never come back; the unresolved one is to visit again (or left out with a reason)
    done = [o for o, f in facts.items() if f["status"] == "done"]
    assert all(len(stops[o]) == 1 for o in done)
    assert all(o not in {u["order_id"] for u in plan["unassigned"]} for o in done)
    unresolved = next(o for o, f in facts.items() if f["status"] == "unresolved")
    again = [s for _, s in stops[unresolved][1:]] + [u for u in plan["unassigned"] if u["order_id"] == unresolved]
    assert len(again) == 1
    assert isinstance(plan["changes"], list)
    assert set(plan["kpis"]["churn"]) >= {"reassigned", "shifted_over_15_min", "max_eta_shift_minutes",
                                          "technicians_affected"}

    # later in the day, from the re-plan: still nothing finished comes back, and a plain plan of the date
    # (the morning's way) leaves the done orders out altogether
    with thread_runner(c):
        later = wait(c, c.post(f"/api/v1/plans/{body['id']}/replan", json=LIVE | {"at": _t("11:00")},
                               headers=h).json()["id"], h)
        fresh = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)
    second = replan_checked(live, later, plan)
    assert all(len(_stops(second)[o]) == 1 and _stops(second)[o][0][1]["status"] == "done" for o in done)
    fresh_plan = checked(live, fresh)
    named = {s["order_id"] for r in fresh_plan["routes"] for s in r["stops"]} | {
        u["order_id"] for u in fresh_plan["unassigned"]}
    assert not named & set(done)


def test_a_replan_of_another_day_without_at_plans_the_date_afresh(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
        body = wait(c, c.post(f"/api/v1/plans/{morning['id']}/replan", json=LIVE, headers=h).json()["id"], h)
    plan = checked(live, body)
    assert body["at"] is None
    assert "at" not in plan or plan["at"] is None


def test_on_a_modest_day_a_replan_with_an_emergency_reassigns_at_most_5_percent(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
        # the phones report the morning as planned up to 10:30
        for tech, stops in _routes(morning["plan"]).items():
            for s in stops:
                if s["start"] > AT.isoformat():
                    continue
                times = {"arrived_at": s["arrival"], "started_at": s["start"]}
                if s["end"] <= AT.isoformat():
                    times |= {"done_at": s["end"], "fixed_first_time": True}
                _visit(live, tech, s["order_id"], **times)
        emergency = {"id": "E1", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P1",
                     "duration_min": 45, "required_skills": ["hvac"], "created_at": _t("10:20")}
        assert c.post("/api/v1/orders", json=emergency, headers=h).status_code == 201
        body = wait(c, c.post(f"/api/v1/plans/{morning['id']}/replan", json=LIVE | {"at": AT.isoformat()},
                              headers=h).json()["id"], h)
    plan = replan_checked(live, body, morning["plan"])
    assert any(s["order_id"] == "E1" and s["status"] == "planned" for r in plan["routes"] for s in r["stops"])
    not_begun = [s for stops in _routes(morning["plan"]).values() for s in stops if s["start"] > AT.isoformat()]
    assert len(not_begun) >= 10
    # 5 % of the visits not yet begun, and one more for each order the re-plan serves beside them (the
    # emergency, or one the morning left out that now pays): never a reshuffle of the whole day
    added = [ch for ch in plan["changes"] if ch["change"] == "added"]
    assert plan["kpis"]["churn"]["reassigned"] <= 0.05 * len(not_begun) + len(added)
    assert {"order_id": "E1", "change": "added"}.items() <= next(
        ch for ch in plan["changes"] if ch["order_id"] == "E1").items()


def _emergency(world: World) -> None:
    emergency = {"id": "E1", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P1",
                 "duration_min": 45, "required_skills": ["hvac"], "created_at": _t("10:35")}
    r = world.client.post("/api/v1/orders", json=emergency, headers=world.as_("disp"))
    assert r.status_code == 201, r.text


def test_an_emergency_recommended_assigned_and_published_reaches_the_technician_as_version_2(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
    facts = _report_the_morning(live, morning)
    _emergency(live)
    at = _t("10:40")
    r = c.get(f"/api/v1/plans/{morning['id']}/recommend", params={"order_id": "E1", "at": at, "top": 3}, headers=h)
    assert r.status_code == 200, r.text
    ranked = r.json()
    assert (ranked["order_id"], ranked["at"]) == ("E1", at)
    places = ranked["placements"]
    assert 1 <= len(places) <= 3
    totals = [p["cost_delta"]["total"] for p in places]
    assert totals == sorted(totals)
    assert all(p["eta"] >= at and p["arrival"] >= at for p in places)
    assert places[0]["cost_delta"]["unserved"] < 0  # serving the P1 saves its unserved cost
    best = places[0]

    ask = {"order_id": "E1", "technician_id": best["technician_id"], "position": best["position"], "at": at}
    keyed = h | {"Idempotency-Key": "assign-E1"}
    r = c.post(f"/api/v1/plans/{morning['id']}/assign", headers=keyed, json=ask)
    assert r.status_code == 201, r.text
    body = r.json()
    # a retry (a double click, a lost answer) gets the same plan and makes no second one
    again = c.post(f"/api/v1/plans/{morning['id']}/assign", headers=keyed, json=ask)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    assert sorted(p["id"] for p in c.get(f"/api/v1/plans?date={DATE}", headers=h).json()) == sorted(
        [morning["id"], body["id"]])
    assert (body["status"], body["parent_id"], body["at"]) == ("done", morning["id"], at)
    assert r.headers["Location"].endswith(f"/plans/{body['id']}")
    plan = replan_checked(live, body, morning["plan"])
    route = _routes(plan)[best["technician_id"]]
    assert route[best["position"]]["order_id"] == "E1"
    assert route[best["position"]]["start"] == best["eta"]
    assert {"order_id": "E1", "change": "added", "to_technician": best["technician_id"]}.items() <= next(
        ch for ch in plan["changes"] if ch["order_id"] == "E1").items()
    assert plan["kpis"]["churn"]["reassigned"] == 0
    absent = facts.pop("absent")["tech"]
    for order_id, fact in facts.items():  # what happened stays
        assert _stops(plan)[order_id][0][0] == fact["tech"]
        assert _stops(plan)[order_id][0][1]["status"] == fact["status"]

    # publish: the technician who takes it sees version 2 with the change; everybody is on version 2
    r = c.post(f"/api/v1/plans/{body['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    mine = c.get("/api/v1/me/route", params={"date": DATE.isoformat()}, headers=live.as_(USERS[best["technician_id"]]))
    assert mine.status_code == 200, mine.text
    route_read = mine.json()
    assert (route_read["version"], route_read["plan_id"]) == (2, body["id"])
    assert any(ch["order_id"] == "E1" and ch["change"] == "added" for ch in route_read["changes"])
    assert any(s["order_id"] == "E1" for s in route_read["stops"])
    # each stop says what the day made of it: what is behind the technician is not to do again
    statuses = {s["order_id"]: s["status"] for s in route_read["stops"]}
    assert statuses["E1"] == "planned"
    for order_id, fact in facts.items():
        if fact["tech"] == best["technician_id"]:
            assert statuses[order_id] == fact["status"]
    for tech, user in USERS.items():
        other = c.get("/api/v1/me/route", params={"date": DATE.isoformat()}, headers=live.as_(user)).json()
        assert other["version"] == 2
        assert all(tech in (ch["from_technician"], ch["to_technician"]) for ch in other["changes"])
    # the absent technician, with nothing left in the new version, sees which of their visits went
    gone = c.get("/api/v1/me/route", params={"date": DATE.isoformat()}, headers=live.as_(USERS[absent])).json()
    assert gone["stops"] == []
    assert {ch["order_id"] for ch in gone["changes"]} == {s["order_id"] for s in _routes(morning["plan"])[absent]}


def test_before_any_change_a_published_route_is_version_1_with_no_changes(live: World) -> None:
    c = live.client
    with thread_runner(c):
        _morning(live)
    for user in USERS.values():
        route = c.get("/api/v1/me/route", params={"date": DATE.isoformat()}, headers=live.as_(user)).json()
        assert (route["version"], route["changes"]) == (1, [])


def test_recommend_and_assign_name_the_bad_field(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
    facts = _report_the_morning(live, morning)
    _emergency(live)
    url = f"/api/v1/plans/{morning['id']}"
    done = next(o for o, f in facts.items() if f["status"] == "done")
    r = c.get(f"{url}/recommend", params={"order_id": done, "at": _t("10:40")}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["query", "order_id"]
    r = c.get(f"{url}/recommend", params={"order_id": "E1", "at": "2026-11-25T10:40:00"}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["query", "at"]
    # a place that is not on the route: the position is named (the technician is one recommend offers, so
    # that the position is the one thing wrong however full the morning plan is)
    anyone = {"id": "E2", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P1", "duration_min": 30,
              "required_skills": [], "created_at": _t("10:36")}
    assert c.post("/api/v1/orders", json=anyone, headers=h).status_code == 201
    r = c.get(f"{url}/recommend", params={"order_id": "E2", "at": _t("10:40")}, headers=h)
    assert r.status_code == 200, r.text
    taker = r.json()["placements"][0]["technician_id"]
    r = c.post(f"{url}/assign", json={"order_id": "E2", "technician_id": taker, "position": 999, "at": _t("10:40")},
               headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "position"], r.text
    r = c.post(f"{url}/assign", json={"order_id": "E1", "technician_id": "T-NOBODY", "at": _t("10:40")}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "technician_id"]
    assert r.json()["errors"][0]["input"] == "T-NOBODY"
    # nothing was written by the refused requests
    assert [p["id"] for p in c.get(f"/api/v1/plans?date={DATE}", headers=h).json()] == [morning["id"]]
    assert c.get(f"{url}/recommend", params={"order_id": "E1"}, headers=live.as_("tech_a")).status_code == 403


@contextmanager
def day_clock(world: World, moment: datetime) -> Iterator[None]:
    """The service's moment of the day set to `moment` (the date of the test day is not today)."""
    overrides = world.client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[views.day_clock] = lambda: moment
    try:
        yield
    finally:
        overrides.pop(views.day_clock, None)


def test_without_at_the_replan_and_recommend_work_at_the_services_moment_of_the_day(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
        _report_the_morning(live, morning)
        _emergency(live)
        with day_clock(live, datetime(2026, 11, 24, 10, 45)):
            r = c.post(f"/api/v1/plans/{morning['id']}/replan", json=LIVE, headers=h)
            ranked = c.get(f"/api/v1/plans/{morning['id']}/recommend", params={"order_id": "E1"}, headers=h)
        assert r.status_code == 202, r.text
        body = wait(c, r.json()["id"], h)
    assert ranked.status_code == 200, ranked.text
    assert ranked.json()["at"] == _t("10:45")
    plan = replan_checked(live, body, morning["plan"])
    assert body["at"] == plan["at"] == _t("10:45")
    assert all(s["start"] >= _t("10:45") for r in plan["routes"] for s in r["stops"] if s["status"] == "planned")


def test_a_live_replan_keeps_the_pins_it_is_given(live: World) -> None:
    c, h = live.client, live.as_("disp")
    with thread_runner(c):
        morning = _morning(live)
        facts = _report_the_morning(live, morning, absent=False)
        # a visit not yet begun, pinned to the technician with the least work that day
        routes = _routes(morning["plan"])
        target = min(sorted(USERS), key=lambda t: len(routes.get(t, [])))
        owner, order_id = next((t, s["order_id"]) for t, stops in sorted(routes.items())
                               if t != target for s in stops[2:] if s["order_id"] not in facts)
        ask = LIVE | {"at": AT.isoformat(), "pins": {order_id: target}}
        keyed = h | {"Idempotency-Key": "replan-pin"}
        r = c.post(f"/api/v1/plans/{morning['id']}/replan", json=ask, headers=keyed)
        assert r.status_code == 202, r.text
        # the same request again (a double click): the same job, no second solve
        again = c.post(f"/api/v1/plans/{morning['id']}/replan", json=ask, headers=keyed)
        assert (again.status_code, again.headers["Idempotent-Replayed"]) == (202, "true")
        assert again.json()["id"] == r.json()["id"]
        body = wait(c, r.json()["id"], h)
    assert len(c.get(f"/api/v1/plans?date={DATE}", headers=h).json()) == 2
    plan = replan_checked(live, body, morning["plan"])
    assert body["pins"][order_id] == target
    tech, stop = _stops(plan)[order_id][0]
    assert (tech, stop["status"]) == (target, "planned")
    assert {"order_id": order_id, "change": "reassigned", "from_technician": owner, "to_technician": target}.items() \
        <= next(ch for ch in plan["changes"] if ch["order_id"] == order_id).items()


def test_parts_used_on_a_visit_today_are_not_taken_out_of_the_van_twice(world: World) -> None:
    # van A holds 1 filter, which OP needs; TA fits it at 08:30 and books it off the van (the ledger's
    # consumption): the re-plan takes OP's filter out of the van as of the morning, not out of the empty van
    c, h, store = world.client, world.as_("disp"), world.as_("store")
    assert c.post("/api/v1/parts", json={"id": "P-1", "name": "Filter"}, headers=store).status_code == 201
    assert c.post("/api/v1/stock/receipts", json={"part_id": "P-1", "location_id": "VAN-TA", "quantity": 1},
                  headers=store).status_code == 201
    seed_day(world, [*ORDERS, {"id": "OP", "customer_id": "C2", "lat": 45.7700, "lon": 4.8300, "priority": "P2",
                               "duration_min": 30, "required_skills": ["hvac"], "required_parts": {"P-1": 1},
                               "created_at": "2026-11-23T09:00:00"}])
    with thread_runner(c):
        morning = _morning(world)
        assert any(s["order_id"] == "OP" for s in _routes(morning["plan"])["TA"])
        r = c.post("/api/v1/visits", json={"order_id": "OP", "date": DATE.isoformat(), "arrived_at": _t("08:30"),
                                           "done_at": _t("09:00"), "fixed_first_time": True},
                   headers=world.as_("tech_a"))
        assert r.status_code == 201, r.text
        used = c.post(f"/api/v1/visits/{r.json()['id']}/parts", json={"part_id": "P-1", "quantity": 1},
                      headers=world.as_("tech_a"))
        assert used.status_code == 201, used.text
        body = wait(c, c.post(f"/api/v1/plans/{morning['id']}/replan", json=LIVE | {"at": AT.isoformat()},
                              headers=h).json()["id"], h)
    plan = replan_checked(world, body, morning["plan"])
    first = _routes(plan)["TA"][0]
    assert (first["order_id"], first["status"]) == ("OP", "done")
