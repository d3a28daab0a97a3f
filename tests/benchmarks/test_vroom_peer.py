"""The VROOM peer: a tiny Problem goes in, a Solution that keeps our rules comes back.

Road of test_greedy.py: location i at KM[i] km, 1 km = 1000 m = 60 s; h(8) is 08:00.
"""

from __future__ import annotations

from benchmarks.vroom_peer import _priorities, vroom_run, vroom_solve
from solver.problem import FULLY_BOOKED, REQUIRED_SKILL, Break, Problem, Solution
from tests.solver.checker import problems_of
from tests.solver.test_construct import (
    FAR,
    HOME2,
    MID,
    MID2,
    NEAR,
    NEAR2,
    VERY_FAR,
    h,
    job,
    make,
    van,
)


def solved(p: Problem) -> Solution:
    run = vroom_run(p, exploration_level=1)
    assert run.invalid_routes == 0, run.notes
    errors = problems_of(p, run.solution)
    assert not errors, "\n".join(errors)
    return run.solution


def served_by(s: Solution) -> dict[int, int]:
    return {j: r.vehicle for r in s.routes for j in r.visits}


def test_skills_decide_the_technician() -> None:
    vans = [van(skills=frozenset({0})), van(home=HOME2, skills=frozenset({1}))]
    visits = [job(NEAR, skills=frozenset({1})), job(MID2, skills=frozenset({0})), job(NEAR2, skills=frozenset({2}))]
    s = solved(make(vans, visits, num_skills=3))
    assert served_by(s) == {0: 1, 1: 0}
    assert s.unassigned[0][0] == 2
    assert s.unassigned[0][1].rule == REQUIRED_SKILL


def test_windows_are_kept_and_unreachable_ones_left_out() -> None:
    visits = [job(MID, window=(h(10), h(10.5))), job(NEAR, window=(h(9), h(9))), job(VERY_FAR, window=(h(8), h(8.5)))]
    s = solved(make([van()], visits))
    starts = {j: t for r in s.routes for j, t in zip(r.visits, r.starts, strict=True)}
    assert starts == {0: h(10), 1: h(9)}
    assert s.unassigned[0][0] == 2
    assert s.unassigned[0][1].rule == FULLY_BOOKED


def test_pins_stock_and_max_orders_hold() -> None:
    vans = [van(stock=(1,), max_visits=2), van(home=HOME2, stock=(3,))]
    visits = [job(NEAR, pinned=1), job(NEAR2, parts=(2,)), job(NEAR), job(NEAR2), job(MID)]
    s = solved(make(vans, visits, num_parts=1))
    by = served_by(s)
    assert by[0] == 1
    assert by[1] == 1  # only van 1 carries two parts
    assert sum(1 for k in by.values() if k == 0) <= 2


def test_break_is_scheduled_between_services() -> None:
    lunch = Break(earliest_start=h(12), latest_end=h(13.5), duration=30 * 60)
    s = solved(make([van(break_=lunch)], [job(NEAR + k % 3, minutes=90) for k in range(4)]))
    r = s.routes[0]
    assert len(r.visits) == 4
    assert r.break_start is not None
    assert h(12) <= r.break_start <= h(13)


def test_higher_priority_is_served_when_time_is_short() -> None:
    s = solved(make([van(end=10)], [job(NEAR, minutes=80, penalty=100), job(FAR, minutes=30, penalty=900)]))
    assert served_by(s) == {1: 0}


def test_priorities_scale_drop_penalties_to_vroom_range() -> None:
    p = make([van()], [job(NEAR, penalty=100_000), job(NEAR, penalty=30_000), job(NEAR, penalty=3_000),
                       job(NEAR, penalty=1)])
    assert _priorities(p) == [100, 30, 3, 1]


def test_vroom_solve_returns_the_solution() -> None:
    p = make([van()], [job(NEAR), job(MID)])
    assert sorted(served_by(vroom_solve(p, exploration_level=1))) == [0, 1]


def test_vroom_plan_of_a_generated_day_passes_the_independent_checker() -> None:
    from dispatch.demo_days import DEFAULT_DATE, generate_day
    from dispatch.planning.translate import build_problem, to_plan
    from tests.factories import assert_valid

    day = generate_day(orders=40, technicians=5, seed=2, plan_date=DEFAULT_DATE, city="lyon")
    built = build_problem(day)
    assert_valid(day, to_plan(built, solved(built.problem)))
