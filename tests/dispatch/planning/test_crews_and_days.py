"""Jobs for several technicians and plans of several days, from the domain to the checked plan.

Each plan goes through the independent checker; a corrupted crew is caught by it."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, timedelta

from dispatch.analysis.checker import CREW, check_plan
from dispatch.demo_days import generate_day
from dispatch.domain import Day, Order
from dispatch.plan import Plan
from dispatch.planning.solving import solve_day
from dispatch.policy import Policy
from tests.factories import assert_valid, at, make_day, make_order, make_tech

SMALL = {"solution_limit": 30, "seed": 1}


def crews_of(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """order -> (technician, start) of each route it is on, for the crew jobs."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in plan.routes:
        for s in r.stops:
            if s.crew:
                out.setdefault(s.order_id, []).append((r.technician_id, s.start.isoformat()))
    return out


def test_a_two_person_job_is_on_both_routes_at_the_same_start_with_its_crew() -> None:
    # one holds hvac, the other electrical: only together can they do the job
    day = make_day([make_tech("T1", skills=frozenset({"hvac"})), make_tech("T2", skills=frozenset({"electrical"}),
                                                                          home_lat=45.80, home_lon=4.90)],
                   [make_order("O1", required_skills=frozenset({"hvac", "electrical"}), technicians_needed=2),
                    make_order("O2", required_skills=frozenset({"hvac"}))])
    plan = solve_day(day, Policy(**SMALL))
    assert_valid(day, plan)
    on = crews_of(plan)["O1"]
    assert sorted(t for t, _ in on) == ["T1", "T2"]
    assert len({start for _, start in on}) == 1
    stop = next(s for r in plan.routes for s in r.stops if s.order_id == "O1")
    assert sorted(stop.crew) == ["T1", "T2"]
    assert plan.kpis is not None
    assert plan.kpis.served == 2  # the crew's order counts once


def test_a_job_nobody_can_staff_says_why() -> None:
    day = make_day([make_tech("T1", skills=frozenset({"hvac"}))],
                   [make_order("O1", required_skills=frozenset({"hvac"}), technicians_needed=2)])
    plan = solve_day(day, Policy(**SMALL))
    assert_valid(day, plan)
    (left,) = plan.unassigned
    assert left.rule == CREW
    assert left.reason.startswith("needs 2 technicians together who hold 'hvac'")


def test_the_checker_catches_a_crew_that_does_not_start_together_or_is_short() -> None:
    day = make_day([make_tech("T1"), make_tech("T2")], [make_order("O1", technicians_needed=2)])
    plan = solve_day(day, Policy(**SMALL))
    assert_valid(day, plan)
    apart = copy.deepcopy(plan.to_dict())
    moved = plan.routes[1].stops[0]
    apart["routes"][1]["stops"][0].update(
        {k: (getattr(moved, k) + timedelta(minutes=20)).isoformat() for k in ("arrival", "start", "end")})
    assert CREW in check_plan(day, apart).rules
    short = copy.deepcopy(plan.to_dict())
    short["routes"] = short["routes"][:1]
    assert CREW in check_plan(day, short).rules


def test_a_three_day_plan_with_levels_crews_and_refusals_keeps_every_rule() -> None:
    base = generate_day(orders=40, technicians=5, seed=7, plan_date=date(2026, 12, 1))
    techs = list(base.technicians)
    techs[0] = replace(techs[0], skills=techs[0].skills | {"hvac"}, skill_levels={**techs[0].skill_levels, "hvac": 3})
    techs[1] = replace(techs[1], work_days=frozenset({0, 1, 2, 3, 4}))
    orders: list[Order] = []
    for i, o in enumerate(base.orders):
        if i % 8 == 0:
            o = replace(o, technicians_needed=2, pinned_technician=None)
        if i % 9 == 1:
            o = replace(o, forbidden_technicians=frozenset({techs[2].id}) - {o.pinned_technician})
        if i % 11 == 2:
            o = replace(o, preferred_technician=techs[3].id)
        orders.append(o)
    day = Day(date=base.date, technicians=tuple(techs), orders=tuple(orders))
    plan = solve_day(day, Policy(horizon_days=3, **SMALL))
    assert_valid(day, plan)
    assert len(plan.dates) == 3
    assert {r.date for r in plan.routes} <= set(plan.dates)
    refused = {o.id: o.forbidden_technicians for o in orders}
    assert all(r.technician_id not in refused[s.order_id] for r in plan.routes for s in r.stops)
    for order_id, on in crews_of(plan).items():
        assert len(on) == 2, order_id
        assert len({start for _, start in on}) == 1
    assert crews_of(plan), "some two-person job is served"


def over_qualification(cost: float) -> int:
    """Levels held above the need over a day of plain hvac jobs, two seniors and two juniors at hand."""
    techs = [make_tech(f"T{k}", skills=frozenset({"hvac"}), skill_levels={"hvac": level}, home_lat=45.75 + k / 100)
             for k, level in enumerate((3, 1, 3, 1))]
    orders = [make_order(f"O{j}", lat=45.75 + (j % 4) / 100, required_skills=frozenset({"hvac"}),
                         created_at=at("07:00")) for j in range(8)]
    day = make_day(techs, orders)
    plan = solve_day(day, Policy(over_qualification_cost=cost, **SMALL))
    assert_valid(day, plan)
    assert plan.kpis is not None
    assert plan.kpis.served == len(orders)
    levels = {t.id: t.skill_levels.get("hvac", 1) for t in techs}
    return sum(levels[r.technician_id] - 1 for r in plan.routes for _ in r.stops)


def test_the_level_cost_lowers_over_qualification() -> None:
    assert over_qualification(1.0) < over_qualification(0.0)
