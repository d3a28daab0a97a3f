"""solve(): edge cases, reproducibility, and random small days with every rule at once."""

from __future__ import annotations

import numpy as np
import pytest

from solver import Break, Problem, Solution, SolveParams, Vehicle, Visit, solve
from solver.problem import MAX_ORDERS, UNSERVED
from solver.rules import SOFT_RULES
from tests.solver.checker import assert_consistent, problems_of
from tests.solver.conftest import MID, NEAR, NEAR2, hours, job, problem, run, tech


def random_day(seed: int, visits: int = 14, vehicles: int = 3) -> Problem:
    """A small day with skills, stock, windows, breaks, caps, pins and overdue deadlines."""
    rng = np.random.default_rng(seed)
    homes = rng.uniform(0, 20_000, (vehicles, 2))
    sites = rng.uniform(0, 20_000, (visits, 2))
    pts = np.vstack([homes, sites])
    dist = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)) * 1.3).astype(np.int64)
    dur = np.rint(dist / 11.1).astype(np.int64)  # 40 km/h
    vs = tuple(
        Vehicle(
            start=k, end=k, shift_start=hours(8), shift_end=hours(16 + k),
            skills=frozenset({0, 1} if k % 2 else {0}), stock=(int(rng.integers(1, 4)), 1),
            max_visits=6 if k == 0 else None,
            break_=Break(hours(11.5), hours(13.5), 1800) if k != 1 else None,
        )
        for k in range(vehicles)
    )
    xs = []
    for j in range(visits):
        w0 = int(rng.integers(8, 15)) * 3600
        xs.append(Visit(
            location=vehicles + j, service=int(rng.integers(2, 7)) * 900,
            window=(w0, w0 + 7200) if j % 3 == 0 else None,
            deadline=int(rng.integers(-24, 14)) * 3600, lateness_cost=int(rng.integers(0, 5)),
            drop_penalty=int(rng.integers(50_000, 500_000)),
            skills=frozenset({1}) if j % 4 == 0 else frozenset({0}),
            parts=(1, 0) if j % 5 == 0 else (0, 1) if j % 7 == 0 else (),
            pinned=2 if j == 5 else None,
        ))
    return Problem(dist, dur, vs, tuple(xs), balance_cost=seed % 2, num_skills=2, num_parts=2)


def test_no_visits_gives_idle_routes() -> None:
    s = run(problem([tech(), tech()], []))
    assert [r.visits for r in s.routes] == [(), ()]
    assert s.objective == 0
    assert s.costs == dict.fromkeys(SOFT_RULES, 0)


def test_no_vehicles_leaves_every_visit_out() -> None:
    s = run(problem([], [job(NEAR, drop_penalty=5), job(MID, drop_penalty=7)]))
    assert s.routes == ()
    assert [j for j, _ in s.unassigned] == [0, 1]
    assert s.objective == 12


def test_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="time_limit 0"):
        solve(problem([tech()], []), time_limit=0)


def test_mandatory_visits_that_cannot_all_fit_give_an_infeasible_status_and_a_best_effort_plan() -> None:
    # One visit allowed; the other mandatory visit is explained rather than the whole day failing.
    s = run(problem([tech(max_visits=1)], [job(NEAR, drop_penalty=None), job(NEAR2, drop_penalty=None)]))
    assert s.status == "infeasible"
    assert len(s.routes[0].visits) == 1
    assert [r.rule for _, r in s.unassigned] == [MAX_ORDERS]
    assert s.costs[UNSERVED] == 0  # a mandatory visit has no penalty to report


def test_mandatory_visit_screened_out_makes_the_status_infeasible() -> None:
    s = run(problem([tech()], [job(NEAR, drop_penalty=None, skills=frozenset({2}))]))
    assert s.status == "infeasible"


def test_mandatory_visits_all_served_is_not_infeasible() -> None:
    s = run(problem([tech()], [job(NEAR, drop_penalty=None), job(NEAR2, drop_penalty=None)]))
    assert s.status in ("feasible", "optimal")
    assert s.unassigned == ()


def test_idle_technician_reports_no_break_and_no_drive() -> None:
    s = run(problem([tech(break_=Break(hours(12), hours(13), 1800)), tech()], [job(NEAR, pinned=1)]))
    idle = s.routes[0]
    assert (idle.visits, idle.break_start, idle.distance) == ((), None, 0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_days_are_consistent_with_every_rule(seed: int) -> None:
    p = random_day(seed)
    s = solve(p, time_limit=5.0, seed=seed, params=SolveParams(solution_limit=15))
    assert problems_of(p, s) == []
    assert sum(len(r.visits) for r in s.routes) > 0


@pytest.mark.determinism
def test_same_seed_and_solution_limit_give_the_same_solution() -> None:
    p = random_day(7, visits=20)
    params = SolveParams(solution_limit=20)
    a = solve(p, time_limit=10.0, seed=3, params=params)
    b = solve(p, time_limit=10.0, seed=3, params=params)
    assert (a.routes, a.unassigned, a.costs, a.objective) == (b.routes, b.unassigned, b.costs, b.objective)
    assert_consistent(p, a)


def test_reported_objective_never_exceeds_leaving_everything_out() -> None:
    # The search starts from a feasible plan and only improves it; dropping all is always feasible here.
    p = random_day(11)
    s = solve(p, time_limit=5.0, params=SolveParams(solution_limit=15))
    assert s.objective <= sum(x.drop_penalty or 0 for x in p.visits)


def test_a_shift_starting_the_day_before_solves_in_negative_seconds() -> None:
    # Shift 22:00 (yesterday) to 06:00; the job's window opens 23:00 yesterday = -3600 s.
    s = run(problem([tech(shift=(-2, 6))], [job(NEAR, window=(-hours(1), hours(1)))]))
    assert s.routes[0].starts == (-hours(1),)
    assert s.routes[0].depart == -hours(1) - 60


def _plan(s: Solution) -> tuple[object, ...]:
    """What a dispatcher sees (not the wall time)."""
    return s.routes, s.unassigned, s.objective, s.costs, s.status, s.solutions_found


@pytest.mark.determinism
@pytest.mark.parametrize("seed", [1, 2])
def test_with_a_solution_limit_the_time_limit_does_not_act(seed: int) -> None:
    # A time limit far too short for any search gives the same plan as a generous one: the count alone
    # bounds the search, so the plan cannot depend on the machine's load.
    day = random_day(seed, visits=20, vehicles=3)
    params = SolveParams(solution_limit=40)
    tiny = solve(day, time_limit=0.001, seed=seed, params=params)
    large = solve(day, time_limit=600.0, seed=seed, params=params)
    assert _plan(tiny) == _plan(large)
    assert tiny.solutions_found > 1  # it really searched


def test_a_search_whose_solutions_dry_up_still_ends_under_a_solution_limit() -> None:
    # Guided local search on a single visit finds one solution, then only updates its penalties: no
    # clock acts under a solution limit, so the failure count (1,000 per solution asked for) ends it.
    s = solve(problem([tech()], [job(NEAR)]), time_limit=600.0, params=SolveParams(solution_limit=200))
    assert [r.visits for r in s.routes] == [(0,)]
    assert s.solutions_found < 200
