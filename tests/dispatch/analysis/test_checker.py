"""The independent plan checker: a hand-written valid plan passes, then each rule bites when broken.

The day (in Lyon, points 0.02 degrees of latitude apart; numbers from geodesic x 1.3 at 40 km/h):
  H1 (45.76, 4.84) -> O1 (45.78, 4.84): geodesic 2.2229 km, road 2.8898 km, 4.335 min
  O1 -> O2 (45.80, 4.84):               the same, 2.8898 km, 4.335 min
  O2 -> H1:                             geodesic 4.4459 km, road 5.7796 km, 8.669 min
  H2 (45.76, 4.90) <-> O3 (45.78, 4.90): 2.8898 km, 4.335 min each way
T1 (hvac, english; 08:00-17:00; 30 min break in 12:00-13:30; max 3 orders; van F1 x2):
  leaves 08:00, O1 arrive 08:04:30, serve 08:05-09:05; O2 arrive 09:09:30, wait, break 12:00-12:30,
  serve 13:00-13:45 (window 13:00-14:00); home 13:45 + 8.669 min = 13:53:40, back 13:54.
  km = 2.8898 + 2.8898 + 5.7796 = 11.5592.
T2 (elevator; 08:00-16:00; no break): leaves 08:00, O3 arrive 08:04:30, serve 08:05-08:35, back 08:40.
  km = 2 x 2.8898 = 5.7796.
Lateness: O1 (P1, created 07:00, deadline 11:00) 0; O3 (P2, created 06:00, deadline 14:00) 0;
  O2 (P3, created the day before at 10:00, deadline 24 h later = 10:00) starts 13:00: 180 min late.
Objective (DESIGN.md defaults): unserved O4 (P4) 3,000 + lateness 180 x 10 = 1,800
  + travel 17.3388 km x 1 = 17.3388 -> total 4,817.3388.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.analysis.checker import check_plan, format_report
from dispatch.domain import Day
from dispatch.plan import Plan
from dispatch.policy import Policy
from tests.factories import at, make_day, make_order, make_tech

DAY_BEFORE = datetime(2026, 11, 23)


def the_day(tech: dict[str, dict[str, Any]] | None = None, order: dict[str, dict[str, Any]] | None = None) -> Day:
    """The day of the module docstring, with per-id field overrides."""
    tech, order = tech or {}, order or {}
    techs = {
        "T1": dict(
            skills={"hvac", "english"}, home_lat=45.76, home_lon=4.84, break_start=at("12:00"),
            break_end=at("13:30"), break_minutes=30, max_orders=3, van_stock={"F1": 2},
        ),
        "T2": dict(skills={"elevator"}, home_lat=45.76, home_lon=4.90, shift_end=at("16:00")),
    }
    orders = {
        "O1": dict(priority="P1", lat=45.78, lon=4.84, created_at=at("07:00"), required_parts={"F1": 1}),
        "O2": dict(
            priority="P3", lat=45.80, lon=4.84, duration_min=45, created_at=at("10:00", DAY_BEFORE),
            window_start=at("13:00"), window_end=at("14:00"),
        ),
        "O3": dict(
            priority="P2", lat=45.78, lon=4.90, duration_min=30, required_skills={"elevator"},
            created_at=at("06:00"), pinned_technician="T2",
        ),
        "O4": dict(priority="P4", required_skills={"boiler"}),
    }
    return make_day(
        [make_tech(i, **(kw | tech.get(i, {}))) for i, kw in techs.items()],
        [make_order(i, **(kw | order.get(i, {}))) for i, kw in orders.items()],
    )


def stop(order_id: str, arrival: str, start: str, end: str, km: float, minutes: float, late: float) -> dict:
    return {
        "order_id": order_id, "arrival": f"2026-11-24T{arrival}", "start": f"2026-11-24T{start}",
        "end": f"2026-11-24T{end}", "travel_km": km, "travel_minutes": minutes, "late_minutes": late,
    }


def valid_plan() -> dict[str, Any]:
    return {
        "date": "2026-11-24",
        "routes": [
            {
                "technician_id": "T1",
                "depart": "2026-11-24T08:00:00",
                "stops": [
                    stop("O1", "08:04:30", "08:05:00", "09:05:00", 2.890, 4.34, 0),
                    stop("O2", "09:09:30", "13:00:00", "13:45:00", 2.890, 4.34, 180),
                ],
                "break": {"start": "2026-11-24T12:00:00", "end": "2026-11-24T12:30:00"},
                "back": "2026-11-24T13:54:00",
                "travel_km": 11.559, "return_km": 5.780, "return_minutes": 8.67,
            },
            {
                "technician_id": "T2",
                "depart": "2026-11-24T08:00:00",
                "stops": [stop("O3", "08:04:30", "08:05:00", "08:35:00", 2.890, 4.34, 0)],
                "break": None,
                "back": "2026-11-24T08:40:00",
                "travel_km": 5.780, "return_km": 2.890, "return_minutes": 4.34,
            },
        ],
        "unassigned": [{"order_id": "O4", "reason": "no technician has skill 'boiler'", "rule": "required skill"}],
        "objective": {"unserved": 3000.0, "response deadline": 1800.0, "travel": 17.339, "total": 4817.339},
        "policy": Policy().to_dict(),
    }


def rules(day: Day, plan: dict[str, Any]) -> set[str]:
    return check_plan(day, plan).rules


def t1(plan: dict[str, Any]) -> dict[str, Any]:
    return plan["routes"][0]


# --- the valid plan ---


def test_valid_plan_passes_with_recomputed_numbers() -> None:
    report = check_plan(the_day(), valid_plan())
    assert report.ok, format_report(report)
    assert report.route_km["T1"] == pytest.approx(11.5592, abs=1e-3)
    assert report.route_km["T2"] == pytest.approx(5.7796, abs=1e-3)
    assert report.late_minutes == {"O1": 0.0, "O2": 180.0, "O3": 0.0}
    obj = report.objective
    assert obj["unserved"] == 3000.0
    assert obj["unserved P4"] == 1
    assert obj["unserved P1"] == 0
    assert obj["late minutes P3"] == 180.0
    assert obj["response deadline"] == 1800.0
    assert obj["travel"] == pytest.approx(17.3388, abs=1e-3)
    assert obj["total"] == pytest.approx(4817.3388, abs=1e-3)


def test_plan_object_is_checked_like_its_json() -> None:
    plan = Plan.from_dict(valid_plan())
    assert check_plan(the_day(), plan).ok
    assert check_plan(the_day(), Plan.from_json(plan.to_json())).ok


def test_depart_and_back_are_inferred_when_absent() -> None:
    # T1 leaves 08:04:30 - 4.335 min = 08:00:10; back 13:45 + 8.669 min = 13:53:40, inside 08:00-17:00
    plan = valid_plan()
    for r in plan["routes"]:
        del r["depart"], r["back"], r["return_km"], r["return_minutes"]
    assert check_plan(the_day(), plan).ok


def test_idle_technician_needs_no_break() -> None:
    # T1 unused: its orders go unassigned, so no break is due
    plan = valid_plan()
    t1(plan).update(stops=[], travel_km=0.0, depart=None, back=None, **{"break": None})
    plan["unassigned"] += [{"order_id": o, "reason": "fully booked"} for o in ("O1", "O2")]
    # unserved: P1 100,000 + P3 10,000 + P4 3,000; travel: T2 only 5.7796 km
    plan["objective"] = {"unserved": 113000.0, "response deadline": 0.0, "travel": 5.78, "total": 113005.78}
    report = check_plan(the_day(), plan)
    assert report.ok, format_report(report)


def test_format_report_lists_verdict_and_objective_parts() -> None:
    text = format_report(check_plan(the_day(), valid_plan()))
    assert text.startswith("plan check: OK")
    for part in ("unserved", "response deadline", "travel", "total", "4817.3", "P3:180.0", "17.3 km"):
        assert part in text


# --- coverage and ids ---


def test_order_missing() -> None:
    plan = valid_plan()
    plan["unassigned"] = []
    report = check_plan(the_day(), plan)
    assert report.rules == {"coverage"}
    assert report.violations[0].order_id == "O4"
    assert report.objective["unserved"] == 3000.0  # a missing order still counts as unserved


def test_order_twice() -> None:
    plan = valid_plan()
    plan["unassigned"].append({"order_id": "O1", "reason": "duplicate"})
    assert rules(the_day(), plan) == {"coverage"}


def test_unassigned_needs_a_reason() -> None:
    plan = valid_plan()
    plan["unassigned"][0]["reason"] = "  "
    assert rules(the_day(), plan) == {"coverage"}


def test_technician_with_two_routes() -> None:
    plan = valid_plan()
    plan["routes"].append({"technician_id": "T2", "stops": [], "break": None, "travel_km": 0.0})
    assert rules(the_day(), plan) == {"coverage"}


def test_unknown_ids() -> None:
    plan = valid_plan()
    plan["routes"].append({"technician_id": "T9", "stops": [], "break": None, "travel_km": 0.0})
    plan["unassigned"].append({"order_id": "O99", "reason": "who knows"})
    report = check_plan(the_day(), plan)
    assert report.rules == {"unknown id"}
    assert {v.technician_id or v.order_id for v in report.violations} == {"T9", "O99"}


def test_plan_date() -> None:
    plan = valid_plan()
    plan["date"] = "2026-11-25"
    assert "plan date" in rules(the_day(), plan)


def test_unreadable_stop_is_reported_not_raised() -> None:
    plan = valid_plan()
    t1(plan)["stops"][1]["arrival"] = "soon"
    report = check_plan(the_day(), plan)
    assert "plan format" in report.rules
    # O2 is still counted as placed on T1's route; T1's km are unknown, so the objective is not compared
    assert report.rules == {"plan format"}


def test_arrival_after_start() -> None:
    plan = valid_plan()
    t1(plan)["stops"][0]["arrival"] = "2026-11-24T08:06:00"
    assert "plan format" in rules(the_day(), plan)


# --- per stop ---


def test_wrong_skill() -> None:
    # T1 has hvac and english but not gas: ALL required skills are needed
    assert rules(the_day(order={"O1": {"required_skills": {"hvac", "gas"}}}), valid_plan()) == {"required skill"}


def test_window_missed() -> None:
    # O2 starts 13:00, the window now opens 14:00
    day = the_day(order={"O2": {"window_start": at("14:00"), "window_end": at("15:00")}})
    assert rules(day, valid_plan()) == {"appointment window"}


def test_lone_window_end_applies_alone() -> None:
    # O1 starts 08:05; a window closing 08:03 alone is missed, one closing 08:04 holds within the minute
    assert rules(the_day(order={"O1": {"window_end": at("08:03")}}), valid_plan()) == {"appointment window"}
    assert check_plan(the_day(order={"O1": {"window_end": at("08:04")}}), valid_plan()).ok


def test_pin_ignored() -> None:
    assert rules(the_day(order={"O1": {"pinned_technician": "T2"}}), valid_plan()) == {"pinned technician"}


def test_service_duration() -> None:
    # O1 lasts 60 min: 08:05-09:03 is two minutes short
    plan = valid_plan()
    t1(plan)["stops"][0]["end"] = "2026-11-24T09:03:00"
    assert rules(the_day(), plan) == {"service duration"}


# --- per route ---


def test_shift_overrun() -> None:
    # T1 back 13:54, the shift now ends 13:30
    assert rules(the_day(tech={"T1": {"shift_end": at("13:30")}}), valid_plan()) == {"shift"}


def test_inferred_departure_before_shift() -> None:
    # without "depart", T2 leaves 08:04:30 - 4.335 min = 08:00:10, more than a minute before an 08:02 shift start
    plan = valid_plan()
    del plan["routes"][1]["depart"]
    assert rules(the_day(tech={"T2": {"shift_start": at("08:02")}}), plan) == {"shift"}


def test_break_missing() -> None:
    plan = valid_plan()
    t1(plan)["break"] = None
    assert rules(the_day(), plan) == {"break"}


def test_break_too_short() -> None:
    plan = valid_plan()
    t1(plan)["break"]["end"] = "2026-11-24T12:20:00"  # 20 of 30 minutes
    assert rules(the_day(), plan) == {"break"}


def test_break_outside_its_window() -> None:
    plan = valid_plan()
    t1(plan)["break"] = {"start": "2026-11-24T11:00:00", "end": "2026-11-24T11:30:00"}
    assert rules(the_day(), plan) == {"break"}


def test_break_overlapping_a_service() -> None:
    # 13:00-13:30 lies in the break window but inside O2's service 13:00-13:45
    plan = valid_plan()
    t1(plan)["break"] = {"start": "2026-11-24T13:00:00", "end": "2026-11-24T13:30:00"}
    report = check_plan(the_day(), plan)
    assert report.rules == {"break"}
    assert report.violations[0].order_id == "O2"


def test_break_and_drive_must_both_fit_between_visits() -> None:
    # break window moved to 09:00-13:30, O2 window lifted; O1 ends 09:05, break 09:05-09:35, O2 starts 09:30:
    # 25 min between the visits cannot hold the 4.3 min drive and the 30 min break
    day = the_day(tech={"T1": {"break_start": at("09:00")}}, order={"O2": {"window_start": None, "window_end": None}})
    plan = valid_plan()
    t1(plan)["break"] = {"start": "2026-11-24T09:05:00", "end": "2026-11-24T09:35:00"}
    s = t1(plan)["stops"][1]
    s.update(start="2026-11-24T09:30:00", end="2026-11-24T10:15:00", late_minutes=0)
    t1(plan)["back"] = "2026-11-24T10:24:00"
    plan["objective"] = {}
    report = check_plan(day, plan)
    assert report.rules == {"break"}, format_report(report)
    # with the service at 09:40 (35 min after 09:05) it fits: 4.3 + 30 = 34.3 min
    s.update(start="2026-11-24T09:40:00", end="2026-11-24T10:25:00")
    t1(plan)["back"] = "2026-11-24T10:34:00"
    assert check_plan(day, plan).ok


def test_van_stock_exceeded() -> None:
    # O1 needs F1 x1, O2 now F1 x2: 3 on the route, the van carries 2
    assert rules(the_day(order={"O2": {"required_parts": {"F1": 2}}}), valid_plan()) == {"van stock"}


def test_part_not_in_the_van() -> None:
    assert rules(the_day(order={"O2": {"required_parts": {"P-310": 1}}}), valid_plan()) == {"van stock"}


def test_max_orders() -> None:
    assert rules(the_day(tech={"T1": {"max_orders": 1}}), valid_plan()) == {"max orders"}


def test_travel_too_fast() -> None:
    # O2 reached 09:07, 2 min after leaving O1 at 09:05; the drive takes 4.3 min
    plan = valid_plan()
    t1(plan)["stops"][1]["arrival"] = "2026-11-24T09:07:00"
    report = check_plan(the_day(), plan)
    assert report.rules == {"travel time"}
    assert report.violations[0].order_id == "O2"


def test_first_leg_too_fast() -> None:
    # leaves 08:02, at O1 08:04:30: 2.5 min for a 4.3 min drive
    plan = valid_plan()
    t1(plan)["depart"] = "2026-11-24T08:02:00"
    assert rules(the_day(), plan) == {"travel time"}


def test_back_home_too_soon() -> None:
    # O2 ends 13:45, back 13:50: 5 min for an 8.7 min drive
    plan = valid_plan()
    t1(plan)["back"] = "2026-11-24T13:50:00"
    assert rules(the_day(), plan) == {"travel time"}


def test_leg_minutes_misreported() -> None:
    plan = valid_plan()
    t1(plan)["stops"][0]["travel_minutes"] = 6.0  # recomputed 4.335
    assert rules(the_day(), plan) == {"travel time"}


def test_leg_km_misreported() -> None:
    plan = valid_plan()
    t1(plan)["stops"][0]["travel_km"] = 3.2  # recomputed 2.8898
    assert rules(the_day(), plan) == {"travel distance"}


def test_route_km_without_the_drive_home() -> None:
    # 5.78 km: the two legs out, forgetting the 5.78 km home; the objective still uses recomputed km
    plan = valid_plan()
    t1(plan)["travel_km"] = 5.78
    assert rules(the_day(), plan) == {"travel distance"}


def test_lateness_misreported() -> None:
    plan = valid_plan()
    t1(plan)["stops"][1]["late_minutes"] = 0
    assert rules(the_day(), plan) == {"response deadline"}


def test_a_customer_contract_makes_a_visit_late() -> None:
    # O3 (P2, created 06:00): the policy's 8 h give 14:00, a 2 h contract 08:00; started 08:05: 5 min late
    day = the_day(order={"O3": {"sla_hours": 2}})
    report = check_plan(day, valid_plan())
    assert report.late_minutes["O3"] == pytest.approx(5.0)
    assert "response deadline" in report.rules
    assert any("late_minutes reported as 0.0, recomputed 5.0 (deadline 2026-11-24 08:00" in str(v)
               for v in report.violations)
    # the plan that says so, lateness and cost (5 min x 30 = 150 more), passes
    plan = valid_plan()
    plan["routes"][1]["stops"][0]["late_minutes"] = 5
    plan["objective"] = {"unserved": 3000.0, "response deadline": 1950.0, "travel": 17.339, "total": 4967.339}
    report = check_plan(day, plan)
    assert report.ok, format_report(report)
    assert report.objective["late minutes P2"] == pytest.approx(5.0)
    # ... and without the contract that same plan overstates the lateness
    assert "response deadline" in rules(the_day(), plan)


def test_a_looser_contract_changes_nothing() -> None:
    # 10 h for a P2 is looser than the policy's 8 h
    report = check_plan(the_day(order={"O3": {"sla_hours": 10}}), valid_plan())
    assert report.ok, format_report(report)
    assert report.late_minutes["O3"] == 0.0


def test_a_stated_deadline_is_checked_against_the_contract() -> None:
    # the plan states the policy's 14:00 though the day's contract gives 08:00
    day = the_day(order={"O3": {"sla_hours": 2}})
    plan = valid_plan()
    plan["routes"][1]["stops"][0].update(deadline="2026-11-24T14:00:00", late_minutes=5)
    plan["objective"] = {"unserved": 3000.0, "response deadline": 1950.0, "travel": 17.339, "total": 4967.339}
    report = check_plan(day, plan)
    assert report.rules == {"response deadline"}
    assert "deadline stated as 2026-11-24 14:00, recomputed 2026-11-24 08:00" in str(report.violations[0])
    plan["routes"][1]["stops"][0]["deadline"] = "2026-11-24T08:00:00"
    assert check_plan(day, plan).ok


def test_sla_and_weights_come_from_the_plan_policy() -> None:
    # P3 deadline 30 h: O2 due 16:00 on the plan date, so not late; per km 2: travel 34.6776
    policy = Policy.from_dict(Policy().to_dict() | {"sla_hours": {"P1": 4, "P2": 8, "P3": 30, "P4": 72}})
    plan = valid_plan()
    plan["policy"] = policy.to_dict()
    plan["policy"]["weights"]["per_km"] = 2.0
    t1(plan)["stops"][1]["late_minutes"] = 0
    plan["objective"] = {"unserved": 3000.0, "response deadline": 0.0, "travel": 34.678, "total": 3034.678}
    report = check_plan(the_day(), plan)
    assert report.ok, format_report(report)
    assert report.objective["travel"] == pytest.approx(34.6776, abs=1e-3)


def test_objective_misreported() -> None:
    plan = valid_plan()
    plan["objective"]["total"] = 5000.0  # recomputed 4,817.34
    report = check_plan(the_day(), plan)
    assert report.rules == {"objective"}
    assert "FAILED, 1 violation" in format_report(report)


# --- the tolerance edge: everything just inside ---


def test_just_inside_every_tolerance() -> None:
    plan = valid_plan()
    o1, o2 = t1(plan)["stops"]
    # O2 reached 09:08:30, 3.5 min after O1 ends; the drive takes 4.335 min: 0.835 min short, under a minute
    o2["arrival"] = "2026-11-24T09:08:30"
    # O2 starts 12:59:05, 55 s before its window opens; ends 13:44:05 + 50 s (45 min + 50 s long)
    o2["start"], o2["end"] = "2026-11-24T12:59:05", "2026-11-24T13:44:55"
    # late 179.08 min recomputed, 180 reported: 0.92 min apart
    # route km 11.5592 recomputed, tolerance 0.5 % (0.0578) + 0.05 = 0.1078; 11.66 is 0.1008 off
    t1(plan)["travel_km"] = 11.66
    o1["travel_km"] = 2.93  # 2.8898 +- (0.0144 + 0.05)
    o1["travel_minutes"] = 5.3  # 4.335 + 0.965
    # a 29 min 10 s break starting 11:59:10, 50 s before its window opens
    t1(plan)["break"] = {"start": "2026-11-24T11:59:10", "end": "2026-11-24T12:28:20"}
    # T2 back 08:40 with a shift now ending 08:39:10: 50 s over
    day = the_day(tech={"T2": {"shift_end": at("08:39").replace(second=10)}})
    report = check_plan(day, plan)
    assert report.ok, format_report(report)


def test_just_outside_the_km_tolerance() -> None:
    plan = valid_plan()
    t1(plan)["travel_km"] = 11.68  # 0.1208 off, over 0.1078
    assert rules(the_day(), plan) == {"travel distance"}


# --- breaks at the ends of a route, and breaks that are not due ---


def t2_with_break_on_the_way_home(back: str | None, **t2: Any) -> tuple[Day, dict[str, Any]]:
    # T2 gets a 30 min break in 08:30-10:00: O3 ends 08:35, break 08:35-09:05, home 4.335 min later (09:09:20)
    t2 = {"break_start": at("08:30"), "break_end": at("10:00"), "break_minutes": 30} | t2
    day = the_day(tech={"T2": t2})
    plan = valid_plan()
    t2 = plan["routes"][1]
    t2["break"] = {"start": "2026-11-24T08:35:00", "end": "2026-11-24T09:05:00"}
    if back is None:
        del t2["back"]
    else:
        t2["back"] = f"2026-11-24T{back}"
    return day, plan


def test_break_on_the_way_home() -> None:
    assert check_plan(*t2_with_break_on_the_way_home("09:10:00")).ok
    # inferred: 08:35 + 4.335 min drive + 30 min break = 09:09:20; a 09:05 shift end is then overrun
    assert check_plan(*t2_with_break_on_the_way_home(None)).ok
    assert rules(*t2_with_break_on_the_way_home(None, shift_end=at("09:05"))) == {"shift"}


def test_break_on_the_way_home_must_fit_before_back() -> None:
    # back 08:40 leaves 5 min after O3 for a 4.3 min drive and a 30 min break
    assert rules(*t2_with_break_on_the_way_home("08:40:00")) == {"break"}


def test_break_window_outside_the_shift_is_not_due() -> None:
    # T2's shift ends 16:00; a break window 16:30-17:30 cannot be used, so no break is required
    day = the_day(tech={"T2": {"break_start": at("16:30"), "break_end": at("17:30"), "break_minutes": 30}})
    report = check_plan(day, valid_plan())
    assert report.ok, format_report(report)
    assert any("no break required" in n for n in report.notes)


def test_break_without_a_rule_still_cannot_overlap_a_service() -> None:
    # T2 has no break rule; a break 08:10-08:20 inside O3's service 08:05-08:35 is still not a break between visits
    plan = valid_plan()
    plan["routes"][1]["break"] = {"start": "2026-11-24T08:10:00", "end": "2026-11-24T08:20:00"}
    assert rules(the_day(), plan) == {"break"}


# --- objective details ---


def test_unknown_order_on_a_route() -> None:
    # O99 on T1's route: unknown id; T1's timeline and km are then not recomputed, nor compared
    plan = valid_plan()
    t1(plan)["stops"].append(stop("O99", "14:00:00", "14:00:00", "14:30:00", 1.0, 1.5, 0))
    report = check_plan(the_day(), plan)
    assert report.rules == {"unknown id"}, format_report(report)
    assert any("not compared" in n for n in report.notes)


def test_workload_balance_is_recomputed_and_counts_in_the_total() -> None:
    # work is service and driving: T1 45 + 60 min service + 4.335 + 4.335 + 8.669 min driving = 122.339 min,
    # T2 30 + 2 x 4.335 = 38.670 min; spread 83.669 min x 0.5 = 41.835; total 4,817.339 + 41.835 = 4,859.174
    plan = valid_plan()
    plan["policy"]["weights"]["balance_per_minute"] = 0.5
    plan["objective"] |= {"workload balance": 41.835, "total": 4859.174}
    report = check_plan(the_day(), plan)
    assert report.ok, format_report(report)
    assert report.objective["workload balance"] == pytest.approx(41.835, abs=0.01)
    assert report.objective["total"] == pytest.approx(4859.174, abs=0.02)


def test_a_misreported_workload_balance_is_flagged() -> None:
    plan = valid_plan()
    plan["policy"]["weights"]["balance_per_minute"] = 0.5
    plan["objective"] |= {"workload balance": 12.5, "total": 4829.839}
    report = check_plan(the_day(), plan)
    assert "objective" in report.rules
    assert any("workload balance reported as 12.5" in str(v) for v in report.violations)


def test_no_balance_weight_means_no_balance_cost() -> None:
    plan = valid_plan()
    report = check_plan(the_day(), plan)
    assert report.ok, format_report(report)
    assert report.objective["workload balance"] == 0.0


# --- a malformed plan yields violations, never an exception ---


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        out += _paths(child, (*prefix, key))
    return out


JSON_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    st.sampled_from(["O1", "T2", "2026-11-24T25:00", "2026-11-24T08:00:00+01:00", "0001-01-01T00:00:00"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_malformed_plans_are_reported_not_raised(data: st.DataObject) -> None:
    plan = valid_plan()
    path = data.draw(st.sampled_from(_paths(plan)))
    parent = plan
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(JSON_JUNK)
    report = check_plan(the_day(), plan)
    assert isinstance(report.ok, bool)
    format_report(report)


def test_a_plan_that_is_not_an_object() -> None:
    assert check_plan(the_day(), ["not", "a", "plan"]).rules == {"plan format"}  # type: ignore[arg-type]
