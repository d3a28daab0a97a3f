"""KPIs and the objective of a plan: counts per priority, on time, utilization, each cost part by rule name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.analysis.kpis import TOTAL, compute_kpis, kpi_rows, objective_of, work_minutes
from dispatch.plan import Kpis, Plan, Route, SolverStats, Stop, Unassigned
from dispatch.planning.translate import SCALE, build_problem, to_plan
from dispatch.policy import Policy, Weights
from solver import SolveParams, rules, solve
from solver.rules import (
    ETA_SHIFT,
    OVER_QUALIFICATION,
    PREFERRED_TECHNICIAN,
    REASSIGNMENT,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    WORKLOAD_BALANCE,
)
from solver.schedule import solution_costs
from tests.factories import PLAN_DATE, assert_valid, at, make_day, make_order, make_tech

# T1 serves O1 (P1, on time) 08:10-09:10 after a 10 min, 5 km drive, and O2 (P3, 0.4 min late: still on time)
# 09:20-10:20 after 10 min and 5 km, then drives home 20 min and 10 km. Work: 120 min service + 40 min
# driving = 160 min of a 540 min shift (08:00-17:00, no break): utilization 160 / 540 = 0.296.
# O3 (P2) is left out. Cost: unserved P2 30,000 + lateness 0.4 x 10 = 4 + travel 20 km x 1 = 30,024.
DAY = make_day([make_tech("T1"), make_tech("T2")],
               [make_order("O1", priority="P1"), make_order("O2"), make_order("O3", priority="P2")])


def _stop(order_id: str, start: str, late: float) -> Stop:
    s = at(start)
    return Stop(order_id=order_id, arrival=s, start=s, end=s + timedelta(minutes=60), travel_km=5.0,
                travel_minutes=10.0, late_minutes=late)


PLAN = Plan(
    date=PLAN_DATE,
    routes=(Route(technician_id="T1", stops=(_stop("O1", "08:10", 0.0), _stop("O2", "09:20", 0.4)), break_=None,
                  travel_km=20.0, depart=at("08:00"), back=at("10:40"), return_km=10.0, return_minutes=20.0),),
    unassigned=(Unassigned("O3", "all 2 qualified technicians are fully booked", rule="fully booked"),),
)


def test_counts_per_priority_and_on_time_to_the_half_minute() -> None:
    k = compute_kpis(DAY, PLAN, Policy())
    assert (k.orders, k.served, k.unassigned, k.technicians, k.technicians_used) == (3, 2, 1, 2, 1)
    assert k.by_priority["P1"].to_dict() == {"orders": 1, "served": 1, "on_time": 1, "late": 0, "unserved": 0}
    assert k.by_priority["P2"].to_dict() == {"orders": 1, "served": 0, "on_time": 0, "late": 0, "unserved": 1}
    assert k.by_priority["P3"].on_time == 1  # 0.4 min late is on time
    assert k.total_late_minutes == 0.4
    assert k.unassigned_by_reason == {"fully booked": 1}


def test_utilization_counts_service_and_driving_of_the_shift() -> None:
    k = compute_kpis(DAY, PLAN, Policy())
    assert work_minutes(PLAN.routes[0]) == 160.0
    assert k.utilization == {"T1": round(160 / 540, 3), "T2": 0.0}
    assert k.travel_minutes == 40.0
    assert k.travel_km == 20.0


def test_objective_parts_are_named_by_rule_and_add_up_to_the_total() -> None:
    obj = objective_of(DAY, PLAN, Policy())
    assert obj == {UNSERVED: 30_000.0, RESPONSE_DEADLINE: 4.0, TRAVEL: 20.0, WORKLOAD_BALANCE: 0.0,
                   REASSIGNMENT: 0.0, ETA_SHIFT: 0.0, OVER_QUALIFICATION: 0.0, PREFERRED_TECHNICIAN: 0.0,
                   TOTAL: 30_024.0}


def test_workload_balance_is_the_spread_of_work_including_idle_technicians() -> None:
    # T1 works 160 min, T2 is idle: spread 160 min x 2 per minute = 320
    policy = Policy(weights=Weights(balance_per_minute=2.0))
    obj = objective_of(DAY, PLAN, policy)
    assert obj[WORKLOAD_BALANCE] == 320.0
    assert obj[TOTAL] == 30_344.0


def test_the_objective_reports_every_part_the_solver_costs() -> None:
    built = build_problem(DAY, Policy())
    solution = solve(built.problem, time_limit=30, seed=0, params=SolveParams(solution_limit=5))
    # working time is a benchmark's objective (Problem.span_cost): no dispatch policy costs it
    solver_parts = set(solution_costs(built.problem, solution.routes, solution.unassigned)) - {rules.WORKING_TIME}
    assert set(objective_of(DAY, PLAN, Policy())) == solver_parts | {TOTAL} \
        == set(rules.SOFT_RULES) - {rules.WORKING_TIME} | {TOTAL}


def test_the_plans_balance_cost_is_the_solvers() -> None:
    orders = [make_order(f"O{i}", lat=45.70 + i / 100, priority=f"P{1 + i % 4}") for i in range(6)]
    day = make_day([make_tech("T1"), make_tech("T2", home_lat=45.80)], orders)
    policy = Policy(weights=Weights(balance_per_minute=5.0), time_limit=30, solution_limit=30)
    built = build_problem(day, policy)
    solution = solve(built.problem, time_limit=30, seed=0, params=SolveParams(solution_limit=30))
    plan = to_plan(built, solution)
    assert_valid(day, plan)  # the checker recomputes the balance too
    assert plan.objective[WORKLOAD_BALANCE] > 0
    # the solver counts whole seconds in objective units of 1 / SCALE
    assert solution.costs[WORKLOAD_BALANCE] / SCALE == pytest.approx(plan.objective[WORKLOAD_BALANCE], rel=0.002)


def test_kpis_round_trip_through_the_plan_json() -> None:
    k = compute_kpis(DAY, PLAN, Policy(), solver=SolverStats("feasible", 1.5, 12))
    again = Kpis.from_dict(k.to_dict())
    assert again == k
    assert k.to_dict()["solver"] == {"status": "feasible", "wall_time_s": 1.5, "solutions_found": 12}


def test_kpi_rows_read_like_a_report() -> None:
    rows = dict(kpi_rows(compute_kpis(DAY, PLAN, Policy())))
    assert rows["served"] == "2 (67%)"
    assert rows["P1 served / on time"] == "1/1 served, 1 on time"
    assert rows["weighted cost"].startswith("30,024.0 (unserved 30,000")


# Fairness: T1 works 160 min on 2 orders (as above); T2 one order, 60 min service + 15 min there + 15 min
# home = 90 min; T3 stays home and is not part of the spread. Over the two who work: spread 160 - 90 = 70 min,
# mean (160 + 90) / 2 = 125, max/mean 160 / 125 = 1.28; orders spread 2 - 1 = 1, max/mean 2 / 1.5 = 1.333.
FAIR_DAY = make_day([make_tech("T1"), make_tech("T2"), make_tech("T3")],
                    [make_order("O1", priority="P1"), make_order("O2"), make_order("O3", priority="P2")])
_T2_STOP = Stop(order_id="O3", arrival=at("08:15"), start=at("08:15"), end=at("09:15"), travel_km=7.5,
                travel_minutes=15.0, late_minutes=0.0)
FAIR_PLAN = Plan(
    date=PLAN_DATE,
    routes=(*PLAN.routes, Route(technician_id="T2", stops=(_T2_STOP,), break_=None, travel_km=15.0,
                                depart=at("08:00"), back=at("09:30"), return_km=7.5, return_minutes=15.0)),
    unassigned=(),
)


def test_workload_reports_each_technician_and_the_spread_among_those_who_work() -> None:
    w = compute_kpis(FAIR_DAY, FAIR_PLAN, Policy()).workload
    assert w is not None
    assert {t: (x.minutes, x.orders) for t, x in w.per_technician.items()} == {
        "T1": (160.0, 2), "T2": (90.0, 1), "T3": (0.0, 0)}
    assert (w.working, w.spread_minutes, w.max_mean_minutes) == (2, 70.0, 1.28)
    assert (w.spread_orders, w.max_mean_orders) == (1, 1.333)
    # the objective's balance term still counts the idle T3: 160 - 0 minutes
    assert objective_of(FAIR_DAY, FAIR_PLAN, Policy(weights=Weights(balance_per_minute=1.0)))[WORKLOAD_BALANCE] \
        == 160.0


def test_workload_of_a_day_with_one_worker_is_even_and_of_an_empty_day_is_zero() -> None:
    w = compute_kpis(DAY, PLAN, Policy()).workload
    assert w is not None
    assert (w.working, w.spread_minutes, w.max_mean_minutes, w.max_mean_orders) == (1, 0, 1.0, 1.0)
    empty = Plan(date=PLAN_DATE, routes=(), unassigned=tuple(Unassigned(o.id, "x") for o in DAY.orders))
    w = compute_kpis(DAY, empty, Policy()).workload
    assert w is not None
    assert (w.working, w.spread_minutes, w.max_mean_minutes, w.spread_orders) == (0, 0, 0, 0)
    assert "workload" not in dict(kpi_rows(compute_kpis(DAY, empty, Policy())))


def test_workload_is_in_the_plan_json_and_optional_there() -> None:
    k = compute_kpis(FAIR_DAY, FAIR_PLAN, Policy())
    d = k.to_dict()
    assert d["workload"] == {"per_technician": {"T1": {"minutes": 160.0, "orders": 2},
                                                "T2": {"minutes": 90.0, "orders": 1},
                                                "T3": {"minutes": 0.0, "orders": 0}},
                             "working": 2, "spread_minutes": 70.0, "max_mean_minutes": 1.28,
                             "spread_orders": 1, "max_mean_orders": 1.333}
    assert Kpis.from_dict(d) == k
    del d["workload"]  # a plan stored before workload was reported still reads
    assert Kpis.from_dict(d).workload is None


def test_the_report_line_names_the_busiest_and_the_least_busy() -> None:
    rows = dict(kpi_rows(compute_kpis(FAIR_DAY, FAIR_PLAN, Policy())))
    assert rows["workload"] == ("2 working, busiest T1 160 min, least T2 90 min: spread 70 min (max/mean 1.28), "
                                "1 orders (max/mean 1.33)")
