"""Fixes in the plan contract: every order left out and every late stop carries them, each one applied to
the input and inserted where it says gives a plan the independent checker accepts, and each kind reads as a
dispatcher would say it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.live import replan_day
from dispatch.plan import FIX_FIELDS, Fix, Plan
from dispatch.planning import plan_day
from dispatch.planning.fixes import applied, find_fixes
from dispatch.policy import Policy
from tests.dispatch.live.test_replan import executed
from tests.factories import assert_valid, assert_valid_replan, at, make_day, make_order, make_tech

POLICY = Policy(solution_limit=20, time_limit=600)
# a day with more work than hands: orders are left out and stops are late
BUSY = generate_day(orders=45, technicians=4, seed=8, plan_date=DEFAULT_DATE)


@pytest.fixture(scope="module")
def busy() -> Plan:
    return plan_day(BUSY, POLICY)


def _all_fixes(plan: Plan) -> list[tuple[str, Fix]]:
    return [(u.order_id, f) for u in plan.unassigned for f in u.fixes] + \
           [(s.order_id, f) for r in plan.routes for s in r.stops for f in s.fixes]


def test_every_listed_fix_applied_and_inserted_passes_the_independent_checker(busy: Plan) -> None:
    assert_valid(BUSY, busy)
    listed = _all_fixes(busy)
    assert len(listed) >= 10
    assert len({f.kind for _, f in listed}) >= 3
    late_stops = {s.order_id for r in busy.routes for s in r.stops if s.late_minutes > 0}
    for order_id, fix in listed:
        day, plan = applied(BUSY, busy, order_id, fix)
        assert_valid(day, plan)
        route = next(r for r in plan.routes if r.technician_id == fix.technician_id)
        stop = route.stops[fix.position]
        assert stop.order_id == order_id
        assert abs((stop.start - fix.eta).total_seconds()) <= 1
        assert stop.late_minutes == pytest.approx(fix.late_minutes, abs=0.05)
        if order_id in late_stops:
            assert fix.late_minutes == 0  # a late stop's fix starts it on time


def test_each_order_left_out_and_each_late_stop_carries_at_most_three_cheapest_first(busy: Plan) -> None:
    data = busy.to_dict()
    assert data["unassigned"]
    assert all("fixes" in u for u in data["unassigned"])
    late = [s for r in data["routes"] for s in r["stops"] if s["late_minutes"] > 0]
    assert late
    assert all("fixes" in s for s in late)
    assert all("fixes" not in s for r in data["routes"] for s in r["stops"] if s["late_minutes"] == 0)
    for fixes in [u["fixes"] for u in data["unassigned"]] + [s["fixes"] for s in late]:
        assert len(fixes) <= 3
        totals = [f["cost_delta"]["total"] for f in fixes]
        assert totals == sorted(totals)
        for f in fixes:
            own = set(FIX_FIELDS[f["kind"]]) - {"store"}
            assert own <= set(f)
            assert set(f) - own - {"store"} == {"kind", "technician_id", "position", "arrival", "eta",
                                               "late_minutes", "cost_delta", "text"}
    assert Plan.from_json(busy.to_json()).to_dict() == data


def test_the_fixes_of_a_plan_read_back_are_found_again(busy: Plan) -> None:
    bare = Plan.from_dict(busy.to_dict() | {"unassigned": [u | {"fixes": []} for u in busy.to_dict()["unassigned"]]})
    assert find_fixes(BUSY, bare).unassigned == busy.unassigned


def _plan(techs, orders):  # type: ignore[no-untyped-def]
    day = make_day(techs, orders)
    plan = plan_day(day, POLICY, stores={"VLV-300": [("STORE-N", 1), ("STORE-S", 5)]})
    assert_valid(day, plan)
    return day, plan


def test_each_kind_in_a_dispatchers_words() -> None:
    near = {"lat": 45.761, "lon": 4.841}
    day, plan = _plan(
        [make_tech("T1", skills={"hvac"}, shift_end=at("10:00")), make_tech("T2", skills={"elevator"})],
        [make_order("SKILL", required_skills={"hvac", "elevator"}, **near),
         make_order("PART", required_skills={"elevator"}, required_parts={"VLV-300": 2}, **near),
         make_order("WINDOW", required_skills={"hvac"}, window_start=at("06:00"), window_end=at("07:00"), **near),
         make_order("LONG", required_skills={"hvac"}, duration_min=150, **near)])
    fixes = {u.order_id: u.fixes for u in plan.unassigned}
    assert set(fixes) == {"SKILL", "PART", "WINDOW", "LONG"}
    skill = [f for f in fixes["SKILL"] if f.kind == "skill"]
    assert {(f.technician_id, f.skill) for f in skill} == {("T1", "elevator"), ("T2", "hvac")}
    assert skill[0].text.startswith(f"{skill[0].technician_id} gains skill '{skill[0].skill}' and takes it as stop 1")
    (part,) = fixes["PART"]
    assert (part.kind, part.technician_id, part.part, part.quantity, part.store) == ("part", "T2", "VLV-300", 2, "STORE-S")
    assert part.text.startswith("T2's van gets 2 x VLV-300 from STORE-S")
    (window,) = fixes["WINDOW"]
    assert (window.kind, window.technician_id, window.window_start, window.window_end) == ("window", "T1", "07:01", "08:01")
    assert "window 07:01-08:01 instead of 06:00-07:00" in window.text
    overtime = [f for f in fixes["LONG"] if f.kind == "overtime"]
    assert [(f.technician_id, f.minutes) for f in overtime] == [("T1", 31)]
    assert overtime[0].text.startswith("T1 works 31 min longer (until 10:31)")
    for order_id, fs in fixes.items():
        for f in fs:
            assert_valid(*applied(day, plan, order_id, f))


def test_a_replans_fixes_count_the_stops_already_made() -> None:
    morning = plan_day(BUSY, POLICY)
    now = BUSY.midnight + timedelta(hours=11)
    events = executed(morning, now)
    parts = {p for o in BUSY.orders for p in o.required_parts}
    new = replan_day(BUSY, morning, events, now, POLICY, stores={p: [("CENTRAL", 99)] for p in parts})
    assert_valid_replan(BUSY, new, events, now, morning)
    assert all(f.store == "CENTRAL" for _, f in _all_fixes(new) if f.kind == "part")
    made = {r.technician_id: sum(s.fixed for s in r.stops) for r in new.routes}
    listed = _all_fixes(new)
    assert listed
    assert any(made.get(f.technician_id, 0) for _, f in listed)
    for _, f in listed:
        assert f.position >= made.get(f.technician_id, 0)
        assert f.eta >= now
