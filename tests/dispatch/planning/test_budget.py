"""One deadline for the whole plan request: out of time, a plan still comes back whole and valid and says what
was cut short; under a solution limit the deadline changes nothing (no decision depends on the clock)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day
from dispatch.plan import Plan
from dispatch.planning import plan_day, solve_params
from dispatch.planning.budget import UNTRIED, fixes_cut
from dispatch.planning.fixes import applied
from dispatch.planning.translate import build_problem
from dispatch.policy import Policy
from solver import fixes as solver_fixes
from solver import solve
from solver.reasons import capacity_reason, explain_dropped, screen
from solver.tables import tables_of
from tests.dispatch.planning.large import BY_REGION, LARGE  # a day planned region by region
from tests.factories import assert_valid

# more work than hands: orders are left out and stops are late
BUSY = generate_day(orders=45, technicians=4, seed=8, plan_date=DEFAULT_DATE)
BOUNDED = Policy(solution_limit=20, time_limit=600)
BOUNDED_PARAMS = solve_params(BOUNDED)


def _placed_once(day: Day, plan: Plan) -> None:
    placed = Counter([*plan.assigned_ids(), *(u.order_id for u in plan.unassigned)])
    assert placed == Counter(o.id for o in day.orders)
    assert all(u.reason for u in plan.unassigned)


def _notes(plan: Plan) -> tuple[str, ...]:
    assert plan.kpis is not None
    assert plan.kpis.solver is not None
    return plan.kpis.solver.notes


@pytest.fixture(scope="module")
def busy_plan() -> Plan:
    plan = plan_day(BUSY, BOUNDED)
    assert_valid(BUSY, plan)
    return plan


# each case: the day, its policy, and the fixture holding its plan without a deadline
CASES = {"one problem": (BUSY, BOUNDED, "busy_plan"), "by region": (LARGE, BY_REGION, "large_plan")}


@pytest.mark.determinism
@pytest.mark.parametrize("case", CASES)
def test_under_a_solution_limit_a_deadline_long_past_changes_nothing(case: str, request: pytest.FixtureRequest) -> None:
    day, policy, planned = CASES[case]
    plain = request.getfixturevalue(planned)
    late = plan_day(day, policy, deadline=time.monotonic() - 3600)
    assert_valid(day, late)
    assert late.to_dict()["routes"] == plain.to_dict()["routes"]
    assert late.unassigned == plain.unassigned  # reasons and fixes too
    assert not _notes(late)
    assert any(u.fixes for u in late.unassigned), "fixes are looked for in full"


def test_out_of_time_the_plan_comes_back_whole_and_says_the_fixes_were_cut_short() -> None:
    plan = plan_day(BUSY, Policy(time_limit=30), deadline=time.monotonic())
    assert_valid(BUSY, plan)
    _placed_once(BUSY, plan)
    assert plan.unassigned, "the day has more work than hands"
    assert fixes_cut(plan)
    assert any("the time limit ran out" in n for n in _notes(plan))
    assert not any(u.fixes for u in plan.unassigned)
    assert Plan.from_json(plan.to_json()).kpis.solver.notes == _notes(plan), "the notes are in the plan contract"


def test_out_of_time_a_large_day_skips_its_border_pass_and_fixes_and_says_so() -> None:
    plan = plan_day(LARGE, Policy(time_limit=30, region_orders=120), deadline=time.monotonic())
    assert_valid(LARGE, plan)
    _placed_once(LARGE, plan)
    notes = _notes(plan)
    assert any(n.startswith("border pass 1 skipped") for n in notes)
    assert fixes_cut(plan)
    assert not any(u.fixes for u in plan.unassigned)


def test_a_large_days_fixes_found_region_by_region_hold_on_the_whole_day(large_plan: Plan) -> None:
    plan = large_plan
    listed = [(u.order_id, f) for u in plan.unassigned for f in u.fixes] + \
             [(s.order_id, f) for r in plan.routes for s in r.stops for f in s.fixes]
    assert len(listed) >= 10
    for order_id, fix in listed:
        day, fixed = applied(LARGE, plan, order_id, fix)
        assert_valid(day, fixed)
        stop = next(r for r in fixed.routes if r.technician_id == fix.technician_id).stops[fix.position]
        assert stop.order_id == order_id


def test_visits_explained_after_the_deadline_get_their_rule_alone(busy_plan: Plan) -> None:
    built = build_problem(BUSY, BOUNDED)
    problem = built.problem
    solution = solve(problem, time_limit=600, params=BOUNDED_PARAMS)
    routes = [list(r.visits) for r in solution.routes]
    tables = tables_of(problem)
    screening = screen(problem, tables)
    dropped = [j for j, _ in solution.unassigned if j not in screening.reasons]
    assert dropped
    full = explain_dropped(problem, tables, screening, routes, dropped)
    assert explain_dropped(problem, tables, screening, routes, dropped, until=time.monotonic()) == {}
    for j in dropped:
        rough = capacity_reason(problem, screening, routes, j)
        assert (rough.rule, rough.vehicles) == (full[j].rule, full[j].vehicles)
    assert solution.unexplained == (), "under a solution limit every visit is explained in full"
    assert not any(u.reason.endswith(UNTRIED) for u in busy_plan.unassigned)


def test_fixes_past_their_deadline_are_not_looked_for() -> None:
    built = build_problem(BUSY, BOUNDED)
    solution = solve(built.problem, time_limit=600, params=BOUNDED_PARAMS)
    routes = [list(r.visits) for r in solution.routes]
    targets = [j for j, _ in solution.unassigned]
    assert solver_fixes.find_fixes(built.problem, routes, targets, until=time.monotonic()) == {}
    assert set(solver_fixes.find_fixes(built.problem, routes, targets)) == set(targets)

