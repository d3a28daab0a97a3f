"""Two-person jobs through the service, on both databases: an order needing two technicians is imported,
planned (the plan checked by the independent checker: the crew starts together) and published; each member
pulls the stop with the other named, reports their own visit; the lead's finish closes the order and gives
the parts, once; the KPIs count the order's visit once and each member's time on site. The live day: a
re-plan keeps a begun crew job on both routes at its common start and plans one not begun together (both
checked by the independent re-plan check); recommend and assign work around crew jobs, begun or not (one not
begun keeps its start on both routes), place an order for two on both routes at one start, and say why an
order for more technicians than work that day has no place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from dispatch.analysis.checker import format_report
from dispatch.analysis.replan_check import check_replan
from dispatch.io.events import events_from_csv_bytes
from tests.api.conftest import World
from tests.api.planning import DATE, solve_and_publish, stored_day, thread_runner, wait

EVENTS = "/api/v1/events"
HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
          "required_parts,pinned_technician,technicians_needed")
# K1 needs two hvac technicians and two filters (out of one van); S1 is an ordinary job
ROWS = ["K1,Hôtel Dieu,45.7597,4.8422,P2,hvac,60,2026-11-24T07:00:00,,,P-FLT:2,,2",
        "S1,Gare Part-Dieu,45.7606,4.8590,P3,hvac,30,2026-11-23T09:00:00,,,,,"]


def at(hhmm: str) -> str:
    return f"{DATE}T{hhmm}:00"


def report(world: World, who: str, event: str, hhmm: str, order_id: str | None, **fields: Any) -> Any:
    body = {"time": at(hhmm), "event": event, "order_id": order_id} | fields
    return world.client.post(EVENTS, json=body, headers=world.as_(who))


def ok(world: World, who: str, event: str, hhmm: str, order_id: str | None, **fields: Any) -> None:
    r = report(world, who, event, hhmm, order_id, **fields)
    assert r.status_code == 201, r.text


def van(world: World, location: str) -> dict[str, int]:
    items = world.client.get(f"/api/v1/stock?location_id={location}", headers=world.as_("store")).json()["items"]
    return {i["part_id"]: i["quantity"] for i in items}


def order_status(world: World, order_id: str) -> str:
    r = world.client.get(f"/api/v1/orders/{order_id}", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


def route(world: World, who: str) -> dict[str, Any]:
    r = world.client.get("/api/v1/me/route", params={"date": DATE.isoformat()}, headers=world.as_(who))
    assert r.status_code == 200, r.text
    return dict(r.json())


def import_crew_day(world: World) -> None:
    c = world.client
    store = world.as_("store")
    assert c.post("/api/v1/parts", json={"id": "P-FLT", "name": "filter", "unit_cost": "12.50"},
                  headers=store).status_code == 201
    for location in ("VAN-TA", "VAN-TB"):  # either may lead: the plan says whose van gives the parts
        r = c.post("/api/v1/stock/receipts", json={"part_id": "P-FLT", "location_id": location, "quantity": 5},
                   headers=store)
        assert r.status_code == 201, r.text
    content = "\n".join([HEADER, *ROWS]) + "\n"
    r = c.post(f"/api/v1/orders/import?plan_date={DATE}", files={"file": ("orders.csv", content.encode(), "text/csv")},
               headers=world.as_("disp"))
    assert r.status_code == 201, r.text
    assert c.get("/api/v1/orders/K1", headers=world.as_("disp")).json()["technicians_needed"] == 2


@pytest.fixture
def crew(world: World) -> tuple[World, dict[str, Any], str, str]:
    """The crew day imported, planned (checked) and published: (world, the plan job, lead, member) where the
    lead and the member are the users of the crew's technicians (tech_a for TA, tech_b for TB)."""
    import_crew_day(world)
    with thread_runner(world.client):
        body = solve_and_publish(world)
    stops = [s for r in body["plan"]["routes"] for s in r["stops"] if s["order_id"] == "K1"]
    assert len(stops) == 2
    assert sorted(stops[0]["crew"]) == ["TA", "TB"]
    assert stops[0]["start"] == stops[1]["start"]
    user = {"TA": "tech_a", "TB": "tech_b"}
    lead, member = stops[0]["crew"]
    return world, body, user[lead], user[member]


def test_each_member_pulls_the_crew_stop_with_the_other_named(crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, _, lead, member = crew
    mine = {who: next(s for s in route(world, who)["stops"] if s["order_id"] == "K1") for who in (lead, member)}
    names = {"tech_a": "Tech TA", "tech_b": "Tech TB"}
    for who, stop in mine.items():
        assert [(m["name"], m["lead"]) for m in stop["crew"]] == [(names[lead], True), (names[member], False)]
        assert stop["lead"] is (who == lead)
        assert stop["start"] == mine[lead]["start"]
        assert stop["parts"] == [{"part_id": "P-FLT", "name": "filter", "quantity": 2}]  # what the job needs
    # only the lead brings the filters
    assert {"part_id": "P-FLT", "name": "filter", "quantity": 2} in route(world, lead)["parts_to_bring"]
    assert route(world, member)["parts_to_bring"] == []
    r = world.client.get("/api/v1/me/route.ics", params={"date": DATE.isoformat()}, headers=world.as_(member))
    assert r.status_code == 200, r.text
    text = r.text.replace("\r\n ", "")  # unfolded
    assert f"Crew job with: {names[lead]} (lead)" in text
    assert f"Parts ({names[lead]} brings them): 2 × filter" in text
    # the storekeeper loads the filters on the lead's van only
    r = world.client.get("/api/v1/stock/picklist", params={"date": DATE.isoformat()}, headers=world.as_("store"))
    assert r.status_code == 200, r.text
    loads = {v["technician_id"]: [line["part_id"] for line in v["lines"]] for v in r.json()["vans"]}
    tech = {"tech_a": "TA", "tech_b": "TB"}
    assert (loads.get(tech[lead]), loads.get(tech[member], [])) == (["P-FLT"], [])
    # the member sees the order like one of their own
    r = world.client.get("/api/v1/orders/K1", headers=world.as_(member))
    assert r.status_code == 200, r.text


def test_both_report_the_order_completes_once_and_the_parts_leave_the_leads_van_once(
        crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, _, lead, member = crew
    c, disp = world.client, world.as_("disp")
    vans = {"tech_a": "VAN-TA", "tech_b": "VAN-TB"}
    for who in (lead, member):
        ok(world, who, "departed", "08:30", "K1")
        ok(world, who, "arrived", "08:50", "K1")
        ok(world, who, "started", "09:00", "K1")
    # the board at 09:30: both in service at K1
    status = c.get(f"/api/v1/days/{DATE}/status", params={"at": at("09:30")}, headers=disp)
    assert status.status_code == 200, status.text
    states = {t["technician_id"]: (t["state"], t["order_id"]) for t in status.json()["technicians"]}
    assert states == {"TA": ("in_service", "K1"), "TB": ("in_service", "K1")}
    # the member finishes first: their own record, the order stays open; the parts are the lead's to give
    r = report(world, member, "done", "10:00", "K1", parts=[{"part_id": "P-FLT", "quantity": 2}])
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][-1] == "parts"
    assert "lead's van" in r.text
    ok(world, member, "done", "10:00", "K1")
    assert order_status(world, "K1") == "open"
    ok(world, lead, "done", "10:05", "K1", parts=[{"part_id": "P-FLT", "quantity": 2}], customer_score=5)
    assert order_status(world, "K1") == "done"
    assert van(world, vans[lead])["P-FLT"] == 3
    assert van(world, vans[member])["P-FLT"] == 5
    r = report(world, lead, "done", "10:10", "K1")
    assert r.status_code == 409, r.text  # the lead's visit is finished already: nothing more

    visits = c.get("/api/v1/visits", params={"date": DATE.isoformat()}, headers=disp).json()
    mine = {v["technician_id"]: v for v in visits if v["order_id"] == "K1"}
    assert set(mine) == {"TA", "TB"}
    tech = {"tech_a": "TA", "tech_b": "TB"}
    assert (mine[tech[lead]]["done_at"], mine[tech[member]]["done_at"]) == (at("10:05"), at("10:00"))
    out = c.get("/api/v1/orders/K1", headers=disp).json()["last_outcome"]
    assert (out["event"], out["technician_id"]) == ("done", tech[lead])

    # KPIs: the order's visit once (SLA, first-time fix, parts), each member's hour on site as labour
    kpis = c.get("/api/v1/kpis/daily", params={"date": DATE.isoformat()}, headers=world.as_("super")).json()
    assert (kpis["visits"], kpis["visits_done"]) == (1, 1)
    assert kpis["first_time_fix"] == {"first_visits_done": 1, "fixed": 1, "rate": 1.0}
    assert kpis["sla_compliance"]["P2"]["visits"] == 1
    assert kpis["parts_cost"] == "25.00"
    travel = {who: route(world, who)["travel_minutes"] for who in (lead, member)}
    shift = 9 * 60  # 08:00-17:00, no break
    assert kpis["utilization"][tech[lead]] == round((65 + travel[lead]) / shift, 4)
    assert kpis["utilization"][tech[member]] == round((60 + travel[member]) / shift, 4)

    # the standards over days, per technician: the lead's visit is the order's, the member's hour is labour
    r = c.get("/api/v1/kpis", params={"from": DATE.isoformat(), "to": DATE.isoformat(), "by": "technician"},
              headers=world.as_("super"))
    assert r.status_code == 200, r.text
    figures = r.json()
    assert (figures["total"]["visits"], figures["total"]["first_time_fix"]["first_visits_done"]) == (1, 1)
    assert figures["total"]["sla"]["P2"]["started"] == 1
    rows = {row["key"]: row for row in figures["rows"]}
    assert (rows[tech[lead]]["visits"], rows[tech[member]]["visits"]) == (1, 0)
    assert (rows[tech[lead]]["utilization"], rows[tech[member]]["utilization"]) == \
        (kpis["utilization"][tech[lead]], kpis["utilization"][tech[member]])

    # the board: both technicians finished at K1, the order done
    status = c.get(f"/api/v1/days/{DATE}/status", params={"at": at("10:30")}, headers=disp)
    assert status.status_code == 200, status.text
    rows = {o["order_id"]: o for o in status.json()["orders"]}
    assert rows["K1"]["status"] == "done"

    # the events export has each member's own steps
    csv = c.get(f"/api/v1/days/{DATE}/events.csv", headers=disp).text
    assert {line.split(",")[1] for line in csv.splitlines()[1:] if ",K1,done" in line} == {"TA", "TB"}


def test_a_member_records_their_visit_directly_and_takes_no_parts(crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, _, lead, member = crew
    c = world.client
    day = DATE.isoformat()
    r = c.post("/api/v1/visits", json={"order_id": "K1", "date": day, "arrived_at": at("09:00"),
                                       "done_at": at("10:00")}, headers=world.as_(member))
    assert r.status_code == 201, r.text
    visit = r.json()
    assert order_status(world, "K1") == "open"
    r = c.post(f"/api/v1/visits/{visit['id']}/parts", json={"part_id": "P-FLT", "quantity": 1},
               headers=world.as_(member))
    assert r.status_code == 422, r.text
    r = c.post("/api/v1/visits", json={"order_id": "K1", "date": day, "arrived_at": at("09:00")},
               headers=world.as_(member))
    assert r.status_code == 409, r.text  # their own visit is recorded: update it
    r = c.post("/api/v1/visits", json={"order_id": "K1", "date": day, "arrived_at": at("09:00"),
                                       "done_at": at("10:00")}, headers=world.as_(lead))
    assert r.status_code == 201, r.text
    assert order_status(world, "K1") == "done"


def replanned_checked(world: World, body: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """A done re-plan (or assignment) after the independent re-plan check passed it against the day's events as
    the service exports them and the plan it started from."""
    day = stored_day(world, body)
    r = world.client.get(f"/api/v1/days/{DATE}/events.csv", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    report = check_replan(day, body["plan"], events_from_csv_bytes(r.content, day),
                          datetime.fromisoformat(body["plan"]["at"]), previous)
    assert report.ok, format_report(report)
    return dict(body["plan"])


def stops_of(plan: dict[str, Any], order_id: str) -> dict[str, dict[str, Any]]:
    return {r["technician_id"]: s for r in plan["routes"] for s in r["stops"] if s["order_id"] == order_id}


def test_a_live_replan_recommend_and_assign_keep_a_begun_crew_together(crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, body, lead, member = crew
    c, h = world.client, world.as_("disp")
    tech = {"tech_a": "TA", "tech_b": "TB"}
    # both members report their own visit; the member finishes first, the lead is still at work at 10:30
    for who, started in ((lead, "09:00"), (member, "09:02")):
        ok(world, who, "arrived", "08:50", "K1")
        ok(world, who, "started", started, "K1")
    ok(world, member, "done", "10:00", "K1")
    with thread_runner(c):
        r = c.post(f"/api/v1/plans/{body['id']}/replan", json={"at": at("10:30"), "time_limit": 30, "seed": 1,
                                                                 "solution_limit": 5}, headers=h)
        assert r.status_code == 202, r.text
        again = wait(c, r.json()["id"], h)
    plan = replanned_checked(world, again, body["plan"])
    k1 = stops_of(plan, "K1")
    assert {t: s["status"] for t, s in k1.items()} == {tech[lead]: "in_service", tech[member]: "done"}
    assert k1[tech[lead]]["start"] == k1[tech[member]]["start"] == at("09:00")  # the crew's common start
    assert k1[tech[lead]]["crew"] == [tech[lead], tech[member]]  # the lead still gives the parts
    # recommend and assign place an ordinary order around the begun crew job
    r = c.get(f"/api/v1/plans/{again['id']}/recommend", params={"order_id": "S1", "at": at("10:30")}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["placements"]
    r = c.post(f"/api/v1/plans/{again['id']}/assign", json={"order_id": "S1", "technician_id": tech[member],
                                                              "at": at("10:30")}, headers=h)
    assert r.status_code == 201, r.text
    assigned = replanned_checked(world, wait(c, r.json()["id"], h), plan)
    assert list(stops_of(assigned, "S1")) == [tech[member]]


def test_a_crew_job_not_begun_is_replanned_together_and_recommend_and_assign_keep_its_start(
        crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, body, lead, _ = crew
    c, h = world.client, world.as_("disp")
    k1_start = {s["start"] for s in stops_of(body["plan"], "K1").values()}
    ok(world, lead, "arrived", "08:50", "K1")
    # at 08:00 K1 is still to come: S1 goes where each member is still at K1 by its planned start
    for hhmm, start in (("08:00", k1_start), ("08:55", None)):
        r = c.get(f"/api/v1/plans/{body['id']}/recommend", params={"order_id": "S1", "at": at(hhmm), "top": 50},
                  headers=h)
        assert r.status_code == 200, r.text
        places = r.json()["placements"]
        assert places
        assert all(p["crew"] == [] for p in places)
        place = places[0]
        r = c.post(f"/api/v1/plans/{body['id']}/assign", json={"order_id": "S1", "at": at(hhmm),
                                                                "technician_id": place["technician_id"],
                                                                "position": place["position"]}, headers=h)
        assert r.status_code == 201, r.text
        assigned = replanned_checked(world, wait(c, r.json()["id"], h), body["plan"])
        assert stops_of(assigned, "S1")[place["technician_id"]]["start"] == place["eta"]
        k1 = stops_of(assigned, "K1")
        assert sorted(k1) == ["TA", "TB"]
        # at 08:55 (arrived is not begun) the planned start is past: the crew starts together when both can
        assert len({s["start"] for s in k1.values()}) == 1
        assert start is None or {s["start"] for s in k1.values()} == start
    with thread_runner(c):
        r = c.post(f"/api/v1/plans/{body['id']}/replan", json={"at": at("08:55"), "time_limit": 30, "seed": 1,
                                                                 "solution_limit": 5}, headers=h)
        assert r.status_code == 202, r.text
        again = wait(c, r.json()["id"], h)
    plan = replanned_checked(world, again, body["plan"])
    k1 = stops_of(plan, "K1")
    assert sorted(k1) == ["TA", "TB"]
    assert len({s["start"] for s in k1.values()}) == 1
    # arrived is not begun: a crew job is planned again, all its members together
    assert {s["status"] for s in k1.values()} == {"planned"}


def import_rows(world: World, *rows: str) -> None:
    content = "\n".join([HEADER, *rows]) + "\n"
    r = world.client.post(f"/api/v1/orders/import?plan_date={DATE}",
                          files={"file": ("orders.csv", content.encode(), "text/csv")}, headers=world.as_("disp"))
    assert r.status_code == 201, r.text


def test_an_order_for_two_is_recommended_and_assigned_to_both_at_one_start(
        crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, body, _, _ = crew
    c, h = world.client, world.as_("disp")
    import_rows(world, "K2,Gare Part-Dieu,45.7606,4.8590,P1,hvac,45,2026-11-24T10:50:00,,,P-FLT:1,,2")
    r = c.get(f"/api/v1/plans/{body['id']}/recommend", params={"order_id": "K2", "at": at("11:00")}, headers=h)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["reason"] is None
    best = answer["placements"][0]
    assert len(best["crew"]) == 1
    assert {best["technician_id"], best["crew"][0]["technician_id"]} == {"TA", "TB"}
    member = best["crew"][0]
    r = c.post(f"/api/v1/plans/{body['id']}/assign",
               json={"order_id": "K2", "technician_id": best["technician_id"], "position": best["position"],
                     "crew": [member["technician_id"]], "at": at("11:00")}, headers=h)
    assert r.status_code == 201, r.text
    plan = replanned_checked(world, wait(c, r.json()["id"], h), body["plan"])
    k2 = stops_of(plan, "K2")
    assert sorted(k2) == ["TA", "TB"]
    assert {s["start"] for s in k2.values()} == {best["eta"]}
    assert k2["TA"]["crew"] == k2["TB"]["crew"] == [best["technician_id"], member["technician_id"]]
    # K1, planned before, keeps its crew and its start
    assert len({s["start"] for s in stops_of(plan, "K1").values()}) == 1
    # a crew technician who does not work that day is named
    r = c.post(f"/api/v1/plans/{body['id']}/assign",
               json={"order_id": "K2", "technician_id": "TA", "crew": ["TZ"], "at": at("11:00")}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][-1] == "crew"


def test_an_order_for_three_on_a_day_of_two_gets_the_reason(crew: tuple[World, dict[str, Any], str, str]) -> None:
    world, body, _, _ = crew
    c, h = world.client, world.as_("disp")
    import_rows(world, "K3,Gare Part-Dieu,45.7606,4.8590,P2,hvac,45,2026-11-24T10:50:00,,,,,3")
    r = c.get(f"/api/v1/plans/{body['id']}/recommend", params={"order_id": "K3", "at": at("11:00")}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["placements"] == []
    assert r.json()["reason"].startswith("needs 3 technicians together who hold 'hvac'")
    r = c.post(f"/api/v1/plans/{body['id']}/assign", json={"order_id": "K3", "technician_id": "TA", "at": at("11:00")},
               headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][-1] == "technician_id"
    assert "needs 3 technicians together" in r.text
