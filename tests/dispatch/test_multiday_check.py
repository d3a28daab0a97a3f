"""A multi-day plan through the independent checker and the KPIs: each route on its date, by that day's rules.

The horizon: Tue 2026-11-24 (the plan date), Wed 25, Thu 26 (horizon_days 3; T1 works every day). Lyon, on
the meridian 4.84 (geodesic x 1.3 at 40 km/h): 0.02 degrees of latitude are 2.8898 km, 4.3347 min; 0.04 are
5.7796 km, 8.6695 min; 0.06 are 8.6695 km, 13.0042 min. The plan reports legs rounded (2.890 km, 4.33 min).
T1 home (45.76, 4.84), 08:00-17:00, 30 min break in 12:00-13:30, max 3 orders, van F1 x 1 (restocked
  overnight). T2 home (45.76, 4.90), 08:00-16:00, works Mon, Tue, Thu, Fri: not on Wednesday.
Orders, all created Tue 07:00 unless said:
  A P4 (45.82, 4.84) 60 min, F1 x 1, window_date Wed, window Wed 10:00-11:00.
  B P2 (45.80, 4.84) 60 min, F1 x 1, created 06:00 (deadline Tue 14:00).
  C P4 (45.80, 4.84) 60 min, window 09:00-12:00 without window_date: those hours on any day.
  D P3 (45.78, 4.84) 30 min (deadline Wed 07:00).
  E P1 (45.78, 4.90) 30 min (deadline Tue 11:00).
  F P4 needs skill boiler: nobody has it, unassigned.
Tue: T1 home 08:00 -> B arrive 08:08:40, serve 08:10-09:10, home 09:19; break 12:00-12:30 at home.
       km 5.7796 x 2 = 11.5592; work 60 + 2 x 8.6695 = 77.339 min (the plan's legs: 77.34).
     T2 home 08:00 -> E arrive 08:04:20, serve 08:05-08:35, home 08:40. km 5.7796; work 38.669 (38.66).
Wed: T1 home 08:00 -> D arrive 08:04:20, serve 08:05-08:35 (65 min late) -> C arrive 08:39:20, waits for
       its window on Wednesday, serve 09:00-10:00 -> A arrive 10:04:20, serve 10:05-11:05 -> home 11:18;
       break 12:00-12:30 at home (Wednesday's window). km 3 x 2.8898 + 8.6695 = 17.3389; work 150 + 3 x
       4.3347 + 13.0042 = 176.008 (the plan's legs: 175.99). F1: one on Tuesday (B), one on Wednesday (A).
       T2 does not work: the balance compares T1 alone (spread 0), not T1 against an idle T2.
Thu: nobody has a stop; both work, both idle: spread 0.
Objective (balance 1 per minute): unserved F (P4) 3,000 + lateness D 65 x 10 = 650 + travel 34.678 km (as
  reported; 34.6777 recomputed) + balance (Tue spread 77.34 - 38.66 = 38.68; Wed 0; Thu 0) = 3,723.358.
  Over the horizon instead the spread would be 253.33 - 38.66: the balance is per day.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.analysis.checker import (
    APPOINTMENT_WINDOW,
    COVERAGE,
    MAX_ORDERS,
    PLAN_DATE,
    VAN_STOCK,
    WORK_DAYS,
    check_plan,
    format_report,
)
from dispatch.analysis.kpis import TOTAL, compute_kpis, kpi_rows
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from dispatch.plan import Kpis, Plan, Workload
from dispatch.planning.solving import solve_day
from dispatch.planning.translate import SCALE, build_problem, to_plan
from dispatch.policy import Policy, Weights
from solver import SolveParams, solve
from solver.rules import RESPONSE_DEADLINE, TRAVEL, UNSERVED, WORKLOAD_BALANCE
from tests.factories import assert_valid, at, make_day, make_order, make_tech

TUE, WED, THU = datetime(2026, 11, 24), datetime(2026, 11, 25), datetime(2026, 11, 26)
POLICY = Policy(horizon_days=3, weights=Weights(balance_per_minute=1.0))


def the_day(tech: dict[str, dict[str, Any]] | None = None, order: dict[str, dict[str, Any]] | None = None) -> Day:
    """The days of the module docstring, with per-id field overrides."""
    tech, order = tech or {}, order or {}
    techs = {
        "T1": dict(break_start=at("12:00"), break_end=at("13:30"), break_minutes=30, max_orders=3,
                   van_stock={"F1": 1}),
        "T2": dict(home_lon=4.90, shift_end=at("16:00"), work_days=frozenset({0, 1, 3, 4})),
    }
    orders = {
        "A": dict(priority="P4", lat=45.82, lon=4.84, required_parts={"F1": 1}, window_date=WED.date(),
                  window_start=at("10:00", WED), window_end=at("11:00", WED)),
        "B": dict(priority="P2", lat=45.80, lon=4.84, required_parts={"F1": 1}, created_at=at("06:00")),
        "C": dict(priority="P4", lat=45.80, lon=4.84, window_start=at("09:00"), window_end=at("12:00")),
        "D": dict(priority="P3", lat=45.78, lon=4.84, duration_min=30),
        "E": dict(priority="P1", lat=45.78, lon=4.90, duration_min=30),
        "F": dict(priority="P4", required_skills={"boiler"}),
    }
    return make_day([make_tech(i, **(kw | tech.get(i, {}))) for i, kw in techs.items()],
                    [make_order(i, **(kw | order.get(i, {}))) for i, kw in orders.items()])


def stop(order_id: str, day: datetime, arrival: str, start: str, end: str, km: float, minutes: float,
         late: float = 0.0) -> dict[str, Any]:
    return {"order_id": order_id, "arrival": f"{day:%Y-%m-%d}T{arrival}", "start": at(start, day).isoformat(),
            "end": at(end, day).isoformat(), "travel_km": km, "travel_minutes": minutes, "late_minutes": late}


def route(tech: str, day: datetime, stops: list[dict[str, Any]], back: str, km: float, return_km: float,
          return_minutes: float, brk: bool) -> dict[str, Any]:
    return {"technician_id": tech, "date": day.date().isoformat(), "depart": at("08:00", day).isoformat(),
            "stops": stops, "back": at(back, day).isoformat(), "travel_km": km, "return_km": return_km,
            "return_minutes": return_minutes,
            "break": {"start": at("12:00", day).isoformat(), "end": at("12:30", day).isoformat()} if brk else None}


def valid_plan() -> dict[str, Any]:
    return {
        "date": "2026-11-24",
        "dates": ["2026-11-24", "2026-11-25", "2026-11-26"],
        "routes": [
            route("T1", TUE, [stop("B", TUE, "08:08:40", "08:10", "09:10", 5.780, 8.67)], "09:19", 11.559, 5.780,
                  8.67, brk=True),
            route("T2", TUE, [stop("E", TUE, "08:04:20", "08:05", "08:35", 2.890, 4.33)], "08:40", 5.780, 2.890,
                  4.33, brk=False),
            route("T1", WED, [stop("D", WED, "08:04:20", "08:05", "08:35", 2.890, 4.33, late=65.0),
                              stop("C", WED, "08:39:20", "09:00", "10:00", 2.890, 4.33),
                              stop("A", WED, "10:04:20", "10:05", "11:05", 2.890, 4.33)],
                  "11:18", 17.339, 8.669, 13.0, brk=True),
        ],
        "unassigned": [{"order_id": "F", "reason": "no technician has skill 'boiler'", "rule": "required skill"}],
        "objective": {"unserved": 3000.0, "response deadline": 650.0, "travel": 34.678, "workload balance": 38.68,
                      "total": 3723.358},
        "policy": POLICY.to_dict(),
    }


def moved(r: dict[str, Any], days: int, late: dict[str, float]) -> dict[str, Any]:
    """Route `r` on another day: every time `days` later, the stops' late minutes as given."""
    out = copy.deepcopy(r)
    step = timedelta(days=days)

    def later(value: str) -> str:
        return (datetime.fromisoformat(value) + step).isoformat()

    out["date"] = (date.fromisoformat(r["date"]) + step).isoformat()
    out["depart"], out["back"] = later(r["depart"]), later(r["back"])
    if r["break"]:
        out["break"] = {k: later(v) for k, v in r["break"].items()}
    for s in out["stops"]:
        s["arrival"], s["start"], s["end"] = later(s["arrival"]), later(s["start"]), later(s["end"])
        s["late_minutes"] = late[s["order_id"]]
    return out


def only(rule: str, day: Day, plan: dict[str, Any]) -> list[str]:
    """The violations of `plan`, which must all be of `rule`, as text."""
    report = check_plan(day, plan)
    assert report.rules == {rule}, format_report(report)
    return [str(v) for v in report.violations]


# --- the valid plan ---


def test_a_valid_three_day_plan_passes_with_each_day_recomputed() -> None:
    report = check_plan(the_day(), valid_plan())
    assert report.ok, format_report(report)
    tue, wed = TUE.date(), WED.date()
    assert report.km_by_day[tue] == pytest.approx({"T1": 11.5592, "T2": 5.7796}, abs=1e-3)
    assert report.km_by_day[wed] == pytest.approx({"T1": 17.3389}, abs=1e-3)
    assert report.route_km["T1"] == pytest.approx(11.5592 + 17.3389, abs=1e-3)  # summed over the days
    assert report.work_by_day[wed] == pytest.approx({"T1": 176.008}, abs=1e-2)
    # D, a P3 served on the second day, is late against its deadline whatever the day
    assert report.late_minutes == {"A": 0.0, "B": 0.0, "C": 0.0, "D": 65.0, "E": 0.0}
    obj = report.objective
    assert obj["work spread minutes"] == pytest.approx(77.339 - 38.669, abs=1e-2)  # Tuesday's; Wed, Thu 0
    assert obj["workload balance"] == pytest.approx(38.67, abs=1e-2)
    assert obj["total"] == pytest.approx(3000 + 650 + 34.6777 + 38.67, abs=1e-2)


def test_a_one_day_plan_reads_the_same_with_or_without_dates() -> None:
    day = the_day()
    plan = valid_plan()
    plan["routes"] = plan["routes"][:2]
    plan["unassigned"] += [{"order_id": o, "reason": "no room", "rule": "fully booked"} for o in "ACD"]
    plan["dates"], plan["policy"] = ["2026-11-24"], Policy().to_dict()
    del plan["objective"]
    assert check_plan(day, plan).ok
    for r in plan["routes"]:
        del r["date"]
    del plan["dates"]
    assert check_plan(day, plan).ok


# --- each rule bites on the route's own day ---


def test_a_route_on_a_technicians_day_off_is_flagged() -> None:
    plan = valid_plan()
    # T2's Tuesday on Wednesday instead: E (deadline Tue 11:00) starts Wed 08:05, 21 h 5 min late
    plan["routes"][1] = moved(plan["routes"][1], 1, {"E": 1265.0})
    del plan["objective"]  # the lateness and balance change too
    assert only(WORK_DAYS, the_day(), plan) == [
        "work days: T2 2026-11-25: route on Wed 2026-11-25; the technician works Mon, Tue, Thu, Fri"]


def test_an_order_with_a_window_date_keeps_that_day() -> None:
    # A's appointment moved to Tuesday at the same hours: its Wednesday 10:05 start is a day late
    day = the_day(order={"A": dict(window_date=TUE.date(), window_start=at("10:00"), window_end=at("11:00"))})
    assert only(APPOINTMENT_WINDOW, day, valid_plan()) == [
        "appointment window: T1 2026-11-25 A: starts 2026-11-25 10:05, after the window closes 2026-11-24 11:00"]


def test_a_daily_window_holds_on_the_routes_day() -> None:
    # C's hours from 09:30: its 09:00 start on Wednesday is before they open that day
    day = the_day(order={"C": dict(window_start=at("09:30"))})
    assert only(APPOINTMENT_WINDOW, day, valid_plan()) == [
        "appointment window: T1 2026-11-25 C: starts 09:00, before the window opens 09:30"]


def test_van_stock_is_counted_within_each_day() -> None:
    # with C needing F1 too, Wednesday's route needs two; Tuesday's B does not count against Wednesday
    day = the_day(order={"C": dict(required_parts={"F1": 1})})
    assert only(VAN_STOCK, day, valid_plan()) == ["van stock: T1 2026-11-25: route needs 2 x F1, van carries 1"]


def test_max_orders_is_per_day() -> None:
    # T1 serves four orders over the horizon with a cap of 3 a day (valid); a cap of 2 bites on Wednesday
    assert only(MAX_ORDERS, the_day(tech={"T1": dict(max_orders=2)}), valid_plan()) == [
        "max orders: T1 2026-11-25: 3 orders, more than max_orders 2"]


def test_an_order_served_on_two_days_is_flagged() -> None:
    plan = valid_plan()
    # E again on Thursday, a day T2 works: 2 days less 2 h 55 min past its deadline
    plan["routes"].append(moved(plan["routes"][1], 2, {"E": 2705.0}))
    del plan["objective"]
    assert only(COVERAGE, the_day(), plan) == [
        "coverage: E: order appears 2 times: route T2 on 2026-11-24, route T2 on 2026-11-26"]


def test_two_routes_of_one_technician_on_one_day_are_flagged() -> None:
    plan = valid_plan()
    plan["routes"][2]["date"] = "2026-11-24"  # Wednesday's stops, said to be Tuesday's
    assert COVERAGE in check_plan(the_day(), plan).rules


def test_a_route_on_a_date_outside_the_plans_dates_is_flagged() -> None:
    plan = valid_plan()
    # T2's route on Friday 27, a day T2 works but the plan does not cover: 3 days less 2 h 55 min late
    plan["routes"][1] = moved(plan["routes"][1], 3, {"E": 4145.0})
    del plan["objective"]
    assert only(PLAN_DATE, the_day(), plan) == [
        "plan date: T2 2026-11-27: route date 2026-11-27 is not one of the plan's dates 2026-11-24, 2026-11-25, "
        "2026-11-26"]


@pytest.mark.parametrize(("dates", "horizon_days", "says"), [
    (["2026-11-24", "2026-11-26", "2026-11-25"], 3, "not strictly increasing"),
    (["2026-11-25", "2026-11-26"], 2, "not with the plan date"),
    (["2026-11-24", "2026-11-25"], 3, "should be 2026-11-24, 2026-11-25, 2026-11-26"),
    (["2026-11-24", "2026-11-25", "2026-11-26"], 2, "horizon_days 2"),
    (["2026-11-24", "2026-11-25", "Thursday"], 3, "'Thursday' is not an ISO date"),
])
def test_the_plans_dates_follow_the_horizon_rule(dates: list[str], horizon_days: int, says: str) -> None:
    plan = valid_plan()
    plan["dates"], plan["policy"]["horizon_days"] = dates, horizon_days
    plan["routes"] = [r for r in plan["routes"] if r["date"] in dates]
    del plan["objective"]
    report = check_plan(the_day(), plan)
    assert PLAN_DATE in report.rules
    assert any(says in v.message for v in report.violations if v.rule == PLAN_DATE), format_report(report)


def test_a_horizon_skips_the_days_nobody_works() -> None:
    # nobody works on Wednesday: the three days are Tue, Thu, Fri
    day = the_day(tech={"T1": dict(work_days=frozenset({1, 3, 4})), "T2": dict(work_days=frozenset({1, 3, 4}))})
    plan = valid_plan()
    plan["routes"] = plan["routes"][:2]
    plan["unassigned"] += [{"order_id": o, "reason": "no room", "rule": "fully booked"} for o in "ACD"]
    del plan["objective"]
    assert PLAN_DATE in check_plan(day, plan).rules
    plan["dates"] = ["2026-11-24", "2026-11-26", "2026-11-27"]
    assert check_plan(day, plan).ok


@settings(max_examples=60, deadline=None)
@given(st.lists(st.frozensets(st.integers(0, 6)), max_size=3), st.integers(1, 14))
def test_a_horizon_is_the_plan_date_then_each_next_day_someone_works(work_days: list[frozenset[int]],
                                                                      days: int) -> None:
    day = make_day([make_tech(f"T{k}", work_days=w) for k, w in enumerate(work_days)], [])
    dates = day.horizon(days)
    assert dates[0] == day.date
    assert len(dates) <= days
    works = [d for d in (day.date + timedelta(n) for n in range(1, 7 * days + 40))
             if any(t.works_on(d) for t in day.technicians)]
    assert list(dates[1:]) == works[:len(dates) - 1]  # no working day skipped, no idle day taken
    assert len(dates) == days or not day.technicians or all(not t.works_on(d) for t in day.technicians
                                                            for d in (day.date + timedelta(n) for n in range(1, 8)))


# --- KPIs: totals over the horizon and per day ---


def workload(k: Kpis) -> Workload:
    assert k.workload is not None
    return k.workload


def test_kpis_total_the_horizon_and_break_it_down_by_day() -> None:
    day = the_day()
    k = compute_kpis(day, Plan.from_dict(valid_plan()), POLICY)
    assert (k.orders, k.served, k.unassigned, k.technicians, k.technicians_used) == (6, 5, 1, 2, 2)
    assert k.by_priority["P3"].to_dict() == {"orders": 1, "served": 1, "on_time": 0, "late": 1, "unserved": 0}
    assert k.by_priority["P4"].to_dict() == {"orders": 3, "served": 2, "on_time": 2, "late": 0, "unserved": 1}
    assert (k.total_late_minutes, k.max_late_minutes, k.travel_km) == (65.0, 65.0, 34.68)
    assert k.travel_minutes == pytest.approx(17.34 + 25.99 + 8.66, abs=0.05)
    # over the days each works: T1 (77.34 + 175.99) of 3 x 510 min, T2 38.66 of 2 x 480 (Tue, Thu)
    assert k.utilization == {"T1": 0.166, "T2": 0.04}
    assert k.objective == pytest.approx({UNSERVED: 3000.0, RESPONSE_DEADLINE: 650.0, TRAVEL: 34.678,
                                         WORKLOAD_BALANCE: 38.68, TOTAL: 3723.358} | {
        p: 0.0 for p in k.objective if p not in (UNSERVED, RESPONSE_DEADLINE, TRAVEL, WORKLOAD_BALANCE, TOTAL)})
    assert workload(k).per_technician["T1"].to_dict() == {"minutes": 253.3, "orders": 4}
    assert workload(k).spread_minutes == pytest.approx(253.3 - 38.7, abs=0.11)

    assert list(k.by_day) == ["2026-11-24", "2026-11-25", "2026-11-26"]
    tue, wed, thu = k.by_day.values()
    assert (tue.orders, tue.served, tue.unassigned, tue.technicians, tue.technicians_used) == (2, 2, 0, 2, 2)
    assert (wed.orders, wed.served, wed.technicians, wed.technicians_used) == (3, 3, 1, 1)  # T2 off
    assert (thu.orders, thu.served, thu.technicians, thu.technicians_used) == (0, 0, 2, 0)
    assert (wed.total_late_minutes, wed.by_priority["P3"].late, tue.total_late_minutes) == (65.0, 1, 0.0)
    assert wed.utilization == {"T1": 0.345}
    assert {t: w.to_dict() for t, w in workload(wed).per_technician.items()} == {"T1": {"minutes": 176.0,
                                                                                         "orders": 3}}
    assert workload(tue).spread_minutes == 38.6  # of the rounded 77.3 and 38.7
    assert workload(thu).working == 0
    # unassigned F belongs to no day: the days' objectives plus its cost make the total
    assert [d.objective[UNSERVED] for d in (tue, wed, thu)] == [0, 0, 0]
    assert [d.objective[WORKLOAD_BALANCE] for d in (tue, wed, thu)] == [38.68, 0, 0]
    assert sum(d.objective[TOTAL] for d in (tue, wed, thu)) + 3000 == pytest.approx(k.objective[TOTAL])
    assert Kpis.from_dict(k.to_dict()) == k
    rows = dict(kpi_rows(k))
    assert rows["day 2026-11-25"] == "served 3, late 65 min, 17.3 km, 1 of 1 technicians, spread 0 min"
    assert rows["day 2026-11-26"] == "served 0, late 0 min, 0.0 km, 0 of 2 technicians"


def test_a_one_day_plans_kpis_have_no_by_day() -> None:
    plan = Plan.from_dict(valid_plan())
    one = replace(plan, dates=(plan.date,), routes=plan.routes_on(plan.date))
    k = compute_kpis(the_day(), one, Policy())
    assert k.by_day == {}
    assert "by_day" not in k.to_dict()
    assert not any(label.startswith("day ") for label, _ in kpi_rows(k))


# --- planned by the solver ---


def _week_day() -> Day:
    """A generated Friday: T001 does not work weekends and one windowed order's appointment is on Sunday."""
    day = generate_day(orders=30, technicians=4, seed=5, plan_date=date(2026, 12, 4))
    techs = (replace(day.technicians[0], work_days=frozenset(range(5))), *day.technicians[1:])
    k, o, opens, closes = next((k, o, o.window_start, o.window_end) for k, o in enumerate(day.orders)
                               if o.window_start is not None and o.window_end is not None)
    sunday = replace(o, window_date=date(2026, 12, 6), window_start=opens + timedelta(days=2),
                     window_end=closes + timedelta(days=2))
    return replace(day, technicians=techs, orders=(*day.orders[:k], sunday, *day.orders[k + 1:]))


def test_a_solved_three_day_plan_passes_the_checker() -> None:
    day = _week_day()
    plan = solve_day(day, Policy(horizon_days=3, solution_limit=30))
    assert_valid(day, plan)
    assert plan.dates == (date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6))
    assert {r.date for r in plan.routes if r.technician_id == "T001"} <= {date(2026, 12, 4)}
    assert plan.kpis is not None
    assert sum(d.served for d in plan.kpis.by_day.values()) == plan.kpis.served
    unserved = plan.kpis.objective[UNSERVED]
    assert sum(d.objective[TOTAL] for d in plan.kpis.by_day.values()) + unserved == pytest.approx(
        plan.kpis.objective[TOTAL], abs=0.01)


def test_the_plans_per_day_balance_is_the_solvers() -> None:
    day = _week_day()
    policy = Policy(horizon_days=3, weights=Weights(balance_per_minute=2.0), solution_limit=30)
    built = build_problem(day, policy)
    solution = solve(built.problem, time_limit=30, seed=0, params=SolveParams(solution_limit=30))
    plan = to_plan(built, solution)
    assert_valid(day, plan)  # the checker recomputes the balance per day too
    assert plan.objective[WORKLOAD_BALANCE] > 0
    assert solution.costs[WORKLOAD_BALANCE] / SCALE == pytest.approx(plan.objective[WORKLOAD_BALANCE], rel=0.002)
