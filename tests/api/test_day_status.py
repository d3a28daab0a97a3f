"""The status of a day at a moment, on the published plan and the visits recorded: each technician's state
and delay, each order's predicted start, and the orders at risk of missing their response deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.api.conftest import World
from tests.api.live_day import DATE, at, live_day, report, visit


def status(world: World, hhmm: str, who: str = "disp") -> dict[str, Any]:
    r = world.client.get(f"/api/v1/days/{DATE}/status?at={at(hhmm)}", headers=world.as_(who))
    assert r.status_code == 200, r.text
    return r.json()


def stops(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["order_id"]: s for r in plan["routes"] for s in r["stops"]}


def minutes(a: str, b: str) -> int:
    return round((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 60)


def iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def test_the_status_follows_the_day_technician_by_technician(world: World) -> None:
    body = live_day(world)
    plan = stops(body["plan"])
    # TA: A1 then E1; TB: C1 then C2 (pinned; windows fix the order)
    assert [s["order_id"] for r in body["plan"]["routes"] for s in r["stops"]] == ["A1", "E1", "C1", "C2"]

    # before anyone starts: as planned
    s = status(world, "07:50")
    assert s["plan_id"] == body["id"]
    techs = {t["technician_id"]: t for t in s["technicians"]}
    assert {t: (x["state"], x["order_id"], x["next_order_id"], x["delay_minutes"]) for t, x in techs.items()} == {
        "TA": ("not_started", None, "A1", 0), "TB": ("not_started", None, "C1", 0)}
    assert techs["TA"]["name"] == "Tech TA"
    assert techs["TA"]["next_eta"] == plan["A1"]["start"]
    orders = {o["order_id"]: o for o in s["orders"]}
    assert {i: o["status"] for i, o in orders.items()} == dict.fromkeys(plan, "planned")
    assert all(o["predicted_start"] == o["planned_start"] == plan[i]["start"] for i, o in orders.items())
    assert orders["E1"]["deadline"] == at("11:30")  # P1 created 07:30: 4 h
    assert s["at_risk"] == []

    # TA starts A1 twenty minutes late; TB does C1 and is at C2's door when its window opens
    visit(world, "tech_a", "A1", arrived_at="08:15", started_at="08:20")
    visit(world, "tech_b", "C1", arrived_at="08:00", done_at="08:30")
    s = status(world, "09:00")
    techs = {t["technician_id"]: t for t in s["technicians"]}
    orders = {o["order_id"]: o for o in s["orders"]}
    # TA in service since 08:20: it ends at 10:20 instead of the plan's end, and E1 follows a leg later
    assert (techs["TA"]["state"], techs["TA"]["order_id"], techs["TA"]["next_order_id"]) == ("in_service", "A1", "E1")
    assert techs["TA"]["delay_minutes"] == minutes(plan["A1"]["end"], at("10:20"))
    e1 = datetime.fromisoformat(at("10:20")) + timedelta(minutes=plan["E1"]["travel_minutes"])
    assert abs((datetime.fromisoformat(orders["E1"]["predicted_start"]) - e1).total_seconds()) <= 1
    assert techs["TA"]["next_eta"] == orders["E1"]["predicted_start"]
    assert (orders["A1"]["status"], orders["A1"]["predicted_start"]) == ("in_service", at("08:20"))
    # TB done with C1, waiting for C2's window at 09:30: idle, on plan
    assert (techs["TB"]["state"], techs["TB"]["order_id"], techs["TB"]["next_order_id"]) == ("idle", None, "C2")
    assert techs["TB"]["delay_minutes"] == 0
    assert (orders["C1"]["status"], orders["C1"]["predicted_start"]) == ("done", at("08:00"))
    assert orders["C1"]["planned_start"] == plan["C1"]["start"]
    assert s["at_risk"] == []

    # 10:58, A1 still in service: E1 now starts after 11:00, its deadline 11:30 minus the 30 min margin
    visit(world, "tech_b", "C2", arrived_at="09:30", done_at="10:00")
    s = status(world, "10:58")
    techs = {t["technician_id"]: t for t in s["technicians"]}
    orders = {o["order_id"]: o for o in s["orders"]}
    assert techs["TA"]["delay_minutes"] == minutes(plan["A1"]["end"], at("10:58"))
    assert techs["TB"]["state"] == "finished"
    assert (techs["TB"]["next_order_id"], techs["TB"]["next_eta"], techs["TB"]["delay_minutes"]) == (None, None, 0)
    e1 = datetime.fromisoformat(at("10:58")) + timedelta(minutes=plan["E1"]["travel_minutes"])
    assert orders["E1"]["predicted_start"] == iso(e1)
    assert orders["E1"]["at_risk"] is True
    assert orders["E1"]["late_minutes"] == 0
    assert s["at_risk"] == ["E1"]

    # 11:40: the deadline has passed and E1 is still to come
    s = status(world, "11:40")
    orders = {o["order_id"]: o for o in s["orders"]}
    e1 = datetime.fromisoformat(at("11:40")) + timedelta(minutes=plan["E1"]["travel_minutes"])
    assert orders["E1"]["late_minutes"] == minutes(at("11:30"), iso(e1))
    assert s["at_risk"] == ["E1"]

    # E1 started at 11:55: late, no longer at risk (service begun)
    visit(world, "tech_a", "E1", arrived_at="11:50", started_at="11:55")
    s = status(world, "12:00")
    orders = {o["order_id"]: o for o in s["orders"]}
    assert (orders["E1"]["status"], orders["E1"]["late_minutes"], orders["E1"]["at_risk"]) == ("in_service", 25, False)
    assert s["at_risk"] == []


def test_the_phones_reports_show_who_is_on_the_way_on_a_break_or_absent(world: World) -> None:
    # TA takes a 30 min break between 10:00 and 14:00
    r = world.client.patch("/api/v1/technicians/TA", json={"break_start": "10:00", "break_end": "14:00",
                                                            "break_minutes": 30}, headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    body = live_day(world)
    plan = stops(body["plan"])

    report(world, "tech_a", "departed", "08:00", order_id="A1")
    s = status(world, "08:05")
    ta = next(t for t in s["technicians"] if t["technician_id"] == "TA")
    # on the way since 08:00, a few hundred metres: there now, so A1 starts at 08:05
    assert (ta["state"], ta["order_id"], ta["next_order_id"]) == ("en_route", "A1", "E1")
    assert ta["delay_minutes"] == minutes(plan["A1"]["start"], at("08:05"))
    a1 = next(o for o in s["orders"] if o["order_id"] == "A1")
    assert (a1["status"], a1["technician_id"], a1["predicted_start"]) == ("en_route", "TA", at("08:05"))

    # the dispatcher reports TB absent from 08:30: TB's orders have nobody to do them
    report(world, "disp", "absent", "08:30", technician_id="TB")
    s = status(world, "09:00")
    tb = next(t for t in s["technicians"] if t["technician_id"] == "TB")
    assert (tb["state"], tb["order_id"], tb["next_order_id"], tb["next_eta"]) == ("absent", None, None, None)
    orders = {o["order_id"]: o for o in s["orders"]}
    assert [(orders[i]["status"], orders[i]["technician_id"], orders[i]["predicted_start"]) for i in ("C1", "C2")] \
        == [("unassigned", None, None)] * 2

    # TA done with A1 at 10:00, on the break from 10:05 to 10:35: E1 after it
    report(world, "tech_a", "arrived", "08:05", order_id="A1")
    report(world, "tech_a", "done", "10:00", order_id="A1")
    report(world, "tech_a", "break", "10:05")
    s = status(world, "10:15")
    ta = next(t for t in s["technicians"] if t["technician_id"] == "TA")
    assert (ta["state"], ta["order_id"], ta["next_order_id"]) == ("on_break", None, "E1")
    e1 = datetime.fromisoformat(at("10:35")) + timedelta(minutes=plan["E1"]["travel_minutes"])
    assert ta["next_eta"] == iso(e1)
    assert ta["delay_minutes"] == minutes(plan["E1"]["start"], iso(e1))
    assert next(o for o in s["orders"] if o["order_id"] == "A1")["status"] == "done"
    # after the break, not yet on the way: idle
    assert next(t for t in status(world, "10:40")["technicians"] if t["technician_id"] == "TA")["state"] == "idle"


def test_an_unresolved_visit_and_a_cancelled_order(world: World) -> None:
    body = live_day(world)
    plan = stops(body["plan"])
    # TB finds a part missing at C1; the customer of C2 cancels
    report(world, "tech_b", "arrived", "08:00", order_id="C1")
    report(world, "tech_b", "unresolved", "08:20", order_id="C1", reason="part_missing")
    report(world, "disp", "cancelled", "08:40", order_id="C2")
    s = status(world, "09:00")
    orders = {o["order_id"]: o for o in s["orders"]}
    assert {k: orders["C1"][k] for k in ("status", "technician_id", "planned_start", "predicted_start")} == {
        "status": "unresolved", "technician_id": "TB", "planned_start": plan["C1"]["start"],
        "predicted_start": at("08:00")}
    assert {k: orders["C2"][k] for k in ("status", "technician_id", "predicted_start", "late_minutes")} == {
        "status": "cancelled", "technician_id": None, "predicted_start": None, "late_minutes": 0}
    tb = next(t for t in s["technicians"] if t["technician_id"] == "TB")
    assert (tb["state"], tb["order_id"], tb["next_order_id"]) == ("finished", None, None)
    assert "C1" not in s["at_risk"]
    assert "C2" not in s["at_risk"]


def test_an_order_nobody_is_to_visit_is_at_risk_near_its_deadline(world: World) -> None:
    live_day(world)  # (nobody reports anything: E1 is at risk too, by then)
    # an emergency after the plan was published: P1 created at 10:00, due 14:00, on nobody's route
    r = world.client.post("/api/v1/orders", json={
        "id": "E2", "customer_id": "C3", "lat": 45.76, "lon": 4.85, "priority": "P1", "duration_min": 30,
        "required_skills": ["hvac"], "created_at": at("10:00")}, headers=world.as_("disp"))
    assert r.status_code == 201, r.text
    assert "E2" not in {o["order_id"] for o in status(world, "09:59")["orders"]}  # not known yet
    e2 = next(o for o in status(world, "13:00")["orders"] if o["order_id"] == "E2")
    assert e2 == {"order_id": "E2", "technician_id": None, "status": "unassigned", "planned_start": None,
                  "predicted_start": None, "deadline": at("14:00"), "late_minutes": 0, "at_risk": False}
    assert "E2" not in status(world, "13:00")["at_risk"]
    assert "E2" in status(world, "13:31")["at_risk"]  # past 14:00 minus 30 min
    s = status(world, "14:10")
    e2 = next(o for o in s["orders"] if o["order_id"] == "E2")
    assert (e2["late_minutes"], e2["at_risk"]) == (10, True)


def test_the_status_without_a_published_plan_lists_the_open_orders(world: World) -> None:
    from tests.api.live_day import ORDERS
    from tests.api.planning import seed_day

    seed_day(world, ORDERS)
    s = status(world, "11:10")
    assert (s["plan_id"], s["version"]) == (None, None)
    assert {t["technician_id"]: t["state"] for t in s["technicians"]} == {"TA": "idle", "TB": "idle"}
    orders = {o["order_id"]: o for o in s["orders"]}
    assert {o["status"] for o in orders.values()} == {"unassigned"}
    assert s["at_risk"] == ["E1"]  # 11:10 is past its deadline 11:30 minus 30 min


def test_the_status_is_for_staff_and_checks_its_input(world: World) -> None:
    live_day(world)
    c = world.client
    assert c.get(f"/api/v1/days/{DATE}/status", headers=world.as_("tech_a")).status_code == 403
    assert c.get(f"/api/v1/days/{DATE}/status", headers=world.as_("plan")).status_code == 200  # at: now
    r = c.get(f"/api/v1/days/{DATE}/status?at=soon", headers=world.as_("disp"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "at"]
    assert c.get("/api/v1/days/2026-13-01/status", headers=world.as_("disp")).status_code == 422
