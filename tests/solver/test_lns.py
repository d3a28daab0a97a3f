"""Ruin and recreate (solver/lns.py) and how solve() uses it on dispatch days."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from functools import cache

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.planning.translate import build_problem
from dispatch.policy import Policy
from solver import Problem, Solution, SolveParams, solve
from solver.construct import greedy_solve
from solver.lns import can_fork, improve
from tests.solver.checker import assert_consistent
from tests.solver.conftest import MID2, NEAR, NEAR2, hours, job, problem, tech


@cache
def field_day(orders: int = 60, technicians: int = 6, seed: int = 5) -> Problem:
    """A seeded dispatch day: breaks, skills, parts, priorities, more orders than the technicians can serve."""
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE)
    return build_problem(day, Policy(time_limit=10, seed=0)).problem


def served(s: Solution) -> int:
    return sum(len(r.visits) for r in s.routes if r.visits)


def test_ruin_and_recreate_lowers_the_insertion_plans_cost_and_keeps_the_rules() -> None:
    p = field_day()
    start = greedy_solve(p)
    walk = improve(p, start, seed=0, steps=150)
    assert walk.steps == 150
    assert walk.best.objective < start.objective
    assert walk.improvements >= 1
    assert_consistent(p, walk.best)


def test_a_bounded_walk_repeats_with_its_seed() -> None:
    p = field_day()
    start = greedy_solve(p)
    a = improve(p, start, seed=3, steps=60)
    b = improve(p, start, seed=3, steps=60)
    assert [r.visits for r in a.best.routes] == [r.visits for r in b.best.routes]
    assert a.best.objective == b.best.objective


def test_the_walk_never_returns_a_worse_plan_than_its_start() -> None:
    p = field_day()
    start = solve(p, time_limit=10, seed=0, params=SolveParams(solution_limit=30, ruin_recreate=False))
    walk = improve(p, start, seed=1, steps=40)
    assert walk.best.objective <= start.objective
    assert_consistent(p, walk.best)


def test_the_walk_keeps_every_mandatory_visit() -> None:
    p = field_day()
    must = set(sorted(j for r in greedy_solve(p).routes for j in r.visits)[:3])  # three the insertion serves
    p = replace(p, visits=tuple(replace(v, drop_penalty=None) if j in must else v for j, v in enumerate(p.visits)))
    start = greedy_solve(p)
    assert not must & {j for j, _ in start.unassigned}
    walk = improve(p, start, seed=2, steps=80)
    assert not must & {j for j, _ in walk.best.unassigned}
    assert_consistent(p, walk.best)


def test_the_walk_needs_a_bound() -> None:
    p = field_day()
    with pytest.raises(ValueError, match="steps or a deadline"):
        improve(p, greedy_solve(p), seed=0)


def test_a_dispatch_day_plan_is_at_least_as_cheap_with_ruin_and_recreate() -> None:
    p = field_day()
    before = solve(p, time_limit=10, seed=0, params=SolveParams(solution_limit=40, ruin_recreate=False, cores=1))
    after = solve(p, time_limit=10, seed=0, params=SolveParams(solution_limit=40, cores=1))
    assert after.objective < before.objective
    assert served(after) >= served(before) - 2  # cheaper mostly by serving more or later-bound orders sooner
    assert_consistent(p, after)


@pytest.mark.determinism
@pytest.mark.skipif(not can_fork(), reason="a second core's walk needs the fork start method")
def test_two_cores_under_a_solution_limit_repeat_and_cost_no_more_than_one() -> None:
    p = field_day()
    params = SolveParams(solution_limit=40, cores=2)
    a = solve(p, time_limit=10, seed=0, params=params)
    b = solve(p, time_limit=10, seed=0, params=params)
    assert [r.visits for r in a.routes] == [r.visits for r in b.routes]
    one = solve(p, time_limit=10, seed=0, params=replace(params, cores=1))
    assert a.objective <= one.objective
    assert_consistent(p, a)
    # the second core's better plans are on the record too, in time order
    assert [q.wall for q in a.progress] == sorted(q.wall for q in a.progress)


def _solve_in_daemon(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    p = field_day(20, 3, 1)
    s = solve(p, time_limit=10, seed=0, params=SolveParams(solution_limit=20, cores=2))
    queue.put((can_fork(), served(s)))


@pytest.mark.skipif(not can_fork(), reason="needs the fork start method")
def test_a_daemon_process_asked_for_two_cores_searches_on_one() -> None:
    # service job processes and dask workers are daemons, which may not start children
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_solve_in_daemon, args=(queue,), daemon=True)
    child.start()
    forks, count = queue.get(timeout=120)
    child.join(timeout=10)
    assert forks is False
    assert count > 0


def test_cores_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cores 0"):
        SolveParams(cores=0)


def test_a_crew_stays_together_through_ruin_and_recreate() -> None:
    pair = job(NEAR2, crew=2, minutes=60)
    p = problem([tech(), tech(), tech()], [pair, job(NEAR), job(NEAR2), job(NEAR, deadline=hours(9), lateness_cost=5)])
    walk = improve(p, greedy_solve(p), seed=0, steps=30)
    assert len([r for r in walk.best.routes if 0 in r.visits]) == 2
    assert_consistent(p, walk.best)


def test_the_walk_weighs_the_most_urgent_lateness_as_the_local_search_does() -> None:
    from solver.lns import _urgent_extra
    from solver.model import URGENT_LATENESS_EMPHASIS

    urgent = job(MID2, deadline=hours(8), lateness_cost=100)  # late whoever goes
    routine = job(NEAR, deadline=hours(8), lateness_cost=1)
    two_classes = problem([tech()], [urgent, routine])
    s = greedy_solve(two_classes)
    late = sum(max(0, t - hours(8)) * 100 for r in s.routes for j, t in zip(r.visits, r.starts, strict=True) if j == 0)
    assert late > 0
    assert _urgent_extra(two_classes)(s) == (URGENT_LATENESS_EMPHASIS - 1) * late
    one_class = problem([tech()], [urgent])
    assert _urgent_extra(one_class)(greedy_solve(one_class)) == 0
