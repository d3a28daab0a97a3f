"""Day -> Problem -> Solution -> Plan: the translation keeps every fact the checker verifies."""

from __future__ import annotations

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.planning.translate import build_problem, to_plan
from solver.construct import greedy_solve
from tests.factories import assert_valid


@pytest.mark.parametrize(("seed", "city"), [(3, "lyon"), (4, "munich")])
def test_greedy_plans_of_generated_days_pass_the_independent_checker(seed: int, city: str) -> None:
    day = generate_day(orders=60, technicians=8, seed=seed, plan_date=DEFAULT_DATE, city=city)
    built = build_problem(day)
    plan = to_plan(built, greedy_solve(built.problem))
    assert plan.routes
    assert_valid(day, plan)
