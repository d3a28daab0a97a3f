"""The independent check of a re-plan: a correct re-plan passes, then each tampering is caught and named.

The day: T1 lives at (45.76, 4.84), T2 at (45.76, 4.90); no breaks. Windows pin the morning's sequence:
  T1: O1 (window 08:00-08:30), O2 (10:00-10:15), O3 (12:30-13:00), all pinned to T1;
  T2: O4 (08:00-08:30), O5 (11:00-11:15), pinned to T2; O6 (14:00-15:00) goes to whoever.
  O7 comes in at 11:00, after the re-plan's `at`.
At 10:30 the phones have said: T1 did O1 and is in service at O2; T2 did O4 and left for O5 at 10:20.
The correct re-plan keeps the morning's times (the solver's plan, made without O7) with those statuses,
adds O7 as not known yet (unserved P3: +10,000) and lists no change.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch.analysis.checker import check_plan, format_report
from dispatch.analysis.replan_check import check_replan
from dispatch.domain import Day
from dispatch.io.events import events_from_csv_bytes
from dispatch.planning import solve_day
from dispatch.policy import Policy
from tests.factories import at, make_day, make_order, make_tech

AT = at("10:30")
HEADER = "time,technician_id,order_id,event,note\n"


def orders(with_o7: bool = True):
    def w(a: str, b: str) -> dict[str, datetime]:
        return {"window_start": at(a), "window_end": at(b)}

    out = [make_order("O1", lat=45.77, pinned_technician="T1", **w("08:00", "08:30")),
           make_order("O2", lat=45.78, pinned_technician="T1", **w("10:00", "10:15")),
           make_order("O3", lat=45.80, pinned_technician="T1", **w("12:30", "13:00")),
           make_order("O4", lat=45.77, lon=4.90, pinned_technician="T2", **w("08:00", "08:30")),
           make_order("O5", lat=45.78, lon=4.90, pinned_technician="T2", **w("11:00", "11:15")),
           make_order("O6", lat=45.77, lon=4.87, **w("14:00", "15:00"))]
    return out + ([make_order("O7", lat=45.75, created_at=at("11:00"))] if with_o7 else [])


TECHS = [make_tech("T1"), make_tech("T2", home_lon=4.90)]
DAY = make_day(TECHS, orders())


@pytest.fixture(scope="module")
def morning() -> dict[str, Any]:
    plan = solve_day(make_day(TECHS, orders(with_o7=False)), Policy(time_limit=5, solution_limit=20))
    return plan.to_dict()


def stop_of(plan: dict[str, Any], order_id: str) -> dict[str, Any]:
    return next(s for r in plan["routes"] for s in r["stops"] if s["order_id"] == order_id)


def route_of(plan: dict[str, Any], tech: str) -> dict[str, Any]:
    return next(r for r in plan["routes"] if r["technician_id"] == tech)


def tech_of(plan: dict[str, Any], order_id: str) -> str:
    return next(r["technician_id"] for r in plan["routes"] for s in r["stops"] if s["order_id"] == order_id)


def hhmmss(plan: dict[str, Any], order_id: str, key: str) -> str:
    return stop_of(plan, order_id)[key]


def morning_events(m: dict[str, Any], extra: str = "") -> str:
    """What the phones said by 10:30, at the morning plan's own times."""
    rows = [f"{hhmmss(m, 'O1', 'start')},T1,O1,started,", f"{hhmmss(m, 'O1', 'end')},T1,O1,done,",
            f"{hhmmss(m, 'O2', 'start')},T1,O2,started,",
            f"{hhmmss(m, 'O4', 'start')},T2,O4,started,", f"{hhmmss(m, 'O4', 'end')},T2,O4,done,",
            "2026-11-24T10:20:00,T2,O5,departed,"]
    return HEADER + "\n".join(rows) + "\n" + extra


def events_of(text: str, day: Day = DAY):
    return events_from_csv_bytes(text.encode(), day)


def good_replan(m: dict[str, Any]) -> dict[str, Any]:
    plan = copy.deepcopy(m)
    for r in plan["routes"]:
        for s in r["stops"]:
            s["status"] = "planned"
    stop_of(plan, "O1")["status"] = stop_of(plan, "O4")["status"] = "done"
    stop_of(plan, "O2")["status"] = "in_service"
    o5 = stop_of(plan, "O5")
    o5["status"] = "en_route"
    o5["arrival"] = "2026-11-24T10:25:00"  # left 10:20; the morning had it waiting on site since 09:1x
    plan["unassigned"].append({"order_id": "O7", "reason": "not known at 10:30", "rule": "not known yet"})
    plan["objective"]["unserved"] += 10_000
    plan["objective"]["total"] += 10_000
    plan["at"] = "2026-11-24T10:30:00"
    plan["changes"] = []
    plan["kpis"]["churn"] = {"reassigned": 0, "shifted_over_15_min": 0, "max_eta_shift_minutes": 0.0,
                             "technicians_affected": 0}
    return plan


def settle(plan: dict[str, Any], day: Day = DAY) -> dict[str, Any]:
    """The plan's km and objective as the checker recomputes them (for re-plans whose routes a test edits)."""
    report = check_plan(day, plan)
    for r in plan["routes"]:
        r["travel_km"] = report.route_km[r["technician_id"]]
    plan["objective"] = {k: v for k, v in report.objective.items()
                         if k in ("unserved", "response deadline", "travel", "workload balance", "reassignment",
                                  "eta shift", "total")}
    return plan


def check(plan: dict[str, Any], morning: dict[str, Any], extra_events: str = ""):
    return check_replan(DAY, plan, events_of(morning_events(morning, extra_events)), AT, morning)


def named(report, rule: str) -> set[tuple[str | None, str | None]]:
    return {(v.technician_id, v.order_id) for v in report.violations if v.rule == rule}


def plus(iso: str, minutes: float) -> str:
    return (datetime.fromisoformat(iso) + timedelta(minutes=minutes)).isoformat(timespec="seconds")


# --- correct re-plans pass ---


def test_the_morning_plan_keeps_the_assumed_shape(morning) -> None:
    assert [s["order_id"] for s in route_of(morning, "T1")["stops"]][:3] == ["O1", "O2", "O3"]
    assert [s["order_id"] for s in route_of(morning, "T2")["stops"]][:2] == ["O4", "O5"]
    assert stop_of(morning, "O3")["arrival"] > "2026-11-24T10:30"


def test_a_correct_replan_passes(morning) -> None:
    report = check(good_replan(morning), morning)
    assert report.ok, format_report(report)


def test_an_unresolved_visit_and_its_order_unassigned_again_pass(morning) -> None:
    o2_start = hhmmss(morning, "O2", "start")
    events = morning_events(morning).replace(f"{o2_start},T1,O2,started,\n", "")
    events += f"{o2_start},T1,O2,started,\n{plus(o2_start, 20)},T1,O2,unresolved,part missing\n"
    plan = good_replan(morning)
    o2 = stop_of(plan, "O2")
    o2.update(status="unresolved", end=plus(o2_start, 20))
    plan["unassigned"].append({"order_id": "O2", "reason": "needs another visit", "rule": "fully booked"})
    report = check_replan(DAY, settle(plan), events_of(events), AT, morning)
    assert report.ok, format_report(report)


def test_a_cancelled_order_passes_unassigned_as_cancelled_and_is_listed_as_such(morning) -> None:
    plan = good_replan(morning)
    owner = tech_of(plan, "O6")
    route = route_of(plan, owner)
    route["stops"] = [s for s in route["stops"] if s["order_id"] != "O6"]
    route.update(back=None, return_km=0.0, return_minutes=0.0)
    plan["unassigned"].append({"order_id": "O6", "reason": "the customer cancelled", "rule": "cancelled"})
    plan["changes"] = [{"order_id": "O6", "change": "cancelled", "from_technician": owner, "to_technician": None,
                        "eta_shift_minutes": None}]
    plan["kpis"]["churn"]["technicians_affected"] = 1
    report = check(settle(plan), morning, "2026-11-24T10:00:00,,O6,cancelled,\n")
    assert report.ok, format_report(report)


def shifted_o6(morning: dict[str, Any]) -> dict[str, Any]:
    """O6 starts 30 minutes later, in its window: a shift of +30 costs (30 - 15) x 1 = 15 units."""
    plan = good_replan(morning)
    o6 = stop_of(plan, "O6")
    o6["start"], o6["end"] = plus(o6["start"], 30), plus(o6["end"], 30)
    route = route_of(plan, tech_of(plan, "O6"))
    route["back"] = plus(route["back"], 30)
    plan["changes"] = [{"order_id": "O6", "change": "shifted", "from_technician": route["technician_id"],
                        "to_technician": route["technician_id"], "eta_shift_minutes": 30.0}]
    plan["kpis"]["churn"] = {"reassigned": 0, "shifted_over_15_min": 1, "max_eta_shift_minutes": 30.0,
                             "technicians_affected": 1}
    plan["objective"]["eta shift"] = 15.0
    plan["objective"]["total"] += 15.0
    return plan


def test_a_shifted_visit_listed_with_its_churn_and_cost_passes(morning) -> None:
    report = check(shifted_o6(morning), morning)
    assert report.ok, format_report(report)


# --- each tampering is caught and named ---


def test_a_done_stop_whose_end_moved_is_caught(morning) -> None:
    plan = good_replan(morning)
    stop_of(plan, "O1")["end"] = plus(stop_of(plan, "O1")["end"], 5)
    assert ("T1", "O1") in named(check(plan, morning), "frozen")


def test_an_in_service_visit_moved_to_another_technician_is_caught(morning) -> None:
    plan = good_replan(morning)
    o2 = stop_of(plan, "O2")
    route_of(plan, "T1")["stops"].remove(o2)
    route_of(plan, "T2")["stops"].insert(1, o2)
    report = check(plan, morning)
    assert ("T1", "O2") in named(report, "frozen")  # missing where the events put it
    assert ("T2", "O2") in named(report, "frozen")  # fixed where no event put it


def test_a_planned_stop_before_at_is_caught(morning) -> None:
    plan = good_replan(morning)
    o6 = stop_of(plan, "O6")
    o6.update(arrival="2026-11-24T10:00:00", start="2026-11-24T10:00:00", end="2026-11-24T11:00:00")
    assert (tech_of(plan, "O6"), "O6") in named(check(plan, morning), "before at")


def test_a_missing_change_is_caught(morning) -> None:
    plan = shifted_o6(morning)
    plan["changes"] = []
    assert (None, "O6") in named(check(plan, morning), "changes")


def test_a_change_of_the_wrong_kind_is_caught(morning) -> None:
    plan = shifted_o6(morning)
    plan["changes"][0]["change"] = "reassigned"
    assert (None, "O6") in named(check(plan, morning), "changes")


def test_a_wrong_shift_in_a_change_is_caught(morning) -> None:
    plan = shifted_o6(morning)
    plan["changes"][0]["eta_shift_minutes"] = 20.0
    assert (None, "O6") in named(check(plan, morning), "changes")


def test_a_wrong_churn_count_is_caught(morning) -> None:
    plan = shifted_o6(morning)
    plan["kpis"]["churn"]["shifted_over_15_min"] = 0
    report = check(plan, morning)
    assert any("shifted_over_15_min" in v.message for v in report.violations if v.rule == "churn")


def test_a_wrong_eta_shift_cost_is_caught(morning) -> None:
    plan = shifted_o6(morning)
    plan["objective"]["eta shift"] = 0.0
    plan["objective"]["total"] -= 15.0
    assert "objective" in check(plan, morning).rules


def test_a_missing_order_is_caught(morning) -> None:
    plan = good_replan(morning)
    plan["unassigned"] = [u for u in plan["unassigned"] if u["order_id"] != "O7"]
    assert (None, "O7") in named(check(plan, morning), "coverage")


def test_an_absent_technician_with_a_planned_stop_is_caught(morning) -> None:
    owner = tech_of(morning, "O6")
    report = check(good_replan(morning), morning, f"2026-11-24T10:25:00,{owner},,absent,\n")
    assert (owner, "O6") in named(report, "absent technician")


def test_a_planned_stop_sooner_than_the_drive_from_the_last_fixed_stop_is_caught(morning) -> None:
    plan = good_replan(morning)
    stop_of(plan, "O3")["arrival"] = stop_of(plan, "O2")["end"]  # O2 -> O3 is a 4.3 min drive
    assert ("T1", "O3") in named(check(plan, morning), "travel time")


def test_a_planned_stop_before_a_fixed_one_is_caught(morning) -> None:
    plan = good_replan(morning)
    stops = route_of(plan, "T1")["stops"]
    stops.insert(0, stops.pop(2))  # O3 planned, ahead of O1 done
    assert ("T1", "O3") in named(check_plan(DAY, plan), "frozen")


def test_a_cancelled_order_left_on_its_route_is_caught(morning) -> None:
    report = check(good_replan(morning), morning, "2026-11-24T10:00:00,,O6,cancelled,\n")
    assert (None, "O6") in named(report, "coverage")


def reassigned_o6(morning: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A previous plan that had O6 on the other technician: the re-plan moved it, same start (cost 30)."""
    previous = copy.deepcopy(morning)
    owner = tech_of(morning, "O6")
    other = "T2" if owner == "T1" else "T1"
    o6 = stop_of(previous, "O6")
    route_of(previous, owner)["stops"].remove(o6)
    route_of(previous, other)["stops"].append(o6)
    plan = good_replan(morning)
    plan["changes"] = [{"order_id": "O6", "change": "reassigned", "from_technician": other,
                        "to_technician": owner, "eta_shift_minutes": 0.0}]
    plan["kpis"]["churn"] = {"reassigned": 1, "shifted_over_15_min": 0, "max_eta_shift_minutes": 0.0,
                             "technicians_affected": 2}
    plan["objective"]["reassignment"] = 30.0
    plan["objective"]["total"] += 30.0
    return plan, previous


def test_a_reassigned_visit_listed_with_its_churn_and_cost_passes(morning) -> None:
    plan, previous = reassigned_o6(morning)
    report = check_replan(DAY, plan, events_of(morning_events(morning)), AT, previous)
    assert report.ok, format_report(report)


def test_more_moves_than_max_moves_are_caught(morning) -> None:
    plan, previous = reassigned_o6(morning)
    plan["policy"]["max_moves"] = 0
    report = check_replan(DAY, plan, events_of(morning_events(morning)), AT, previous)
    assert "max moves" in report.rules


def test_a_wrong_technicians_affected_is_caught(morning) -> None:
    plan, previous = reassigned_o6(morning)
    plan["kpis"]["churn"]["technicians_affected"] = 1
    report = check_replan(DAY, plan, events_of(morning_events(morning)), AT, previous)
    assert any("technicians_affected" in v.message for v in report.violations if v.rule == "churn")
