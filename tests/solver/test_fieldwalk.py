"""The compiled walk for dispatch days (solver/fieldwalk.py) and how solve() uses it."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from dispatch.analysis.checker import check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.planning.translate import Built, build_problem, to_plan
from dispatch.policy import Policy
from solver import Problem, Solution, SolveParams, fieldwalk, solve
from solver.construct import greedy_solve
from solver.lns import _urgent_extra
from solver.model import URGENT_LATENESS_EMPHASIS
from solver.rules import break_of, lateness
from tests.solver.checker import assert_consistent
from tests.solver.test_lns import _fingerprint, busy_day


@cache
def built_day(orders: int = 60, technicians: int = 6, seed: int = 5, city: str = "lyon") -> Built:
    """A seeded dispatch day: breaks, skills at levels, parts of many types, windows, deadlines, priorities."""
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE, city=city)
    return build_problem(day, Policy(time_limit=10, seed=0))


@cache
def named_day() -> Problem:
    """The seeded day with the rules that name technicians: pinned, refused and preferred technicians, order
    caps, senior technicians."""
    p = built_day().problem
    n = len(p.vehicles)
    vs = list(p.visits)
    for j in range(3, len(vs), 11):
        vs[j] = replace(vs[j], pinned=j % n, forbidden=frozenset())
    for j in range(5, len(vs), 7):
        if vs[j].pinned is None:
            vs[j] = replace(vs[j], preferred=(j * 7) % n, forbidden=frozenset({(j * 3 + 1) % n}) - {(j * 7) % n})
    ks = list(p.vehicles)
    for k in range(0, n, 3):
        ks[k] = replace(ks[k], levels=tuple(3 if q else 0 for q in ks[k].levels))
    for k in range(1, n, 4):
        ks[k] = replace(ks[k], max_visits=3)
    return replace(p, visits=tuple(vs), vehicles=tuple(ks), over_qualification_cost=700)


def _checked(built: Built, s: Solution) -> None:
    report = check_plan(built.day, to_plan(built, s))
    assert report.ok, report


def test_a_walk_keeps_every_rule_of_a_dispatch_day_and_lowers_the_insertion_plans_cost() -> None:
    built = built_day()
    p = built.problem
    assert fieldwalk.fits(p)
    assert all(break_of(v) is not None for v in p.vehicles)
    assert p.num_parts > 1
    assert p.num_skills > 0
    start = greedy_solve(p)
    walk = fieldwalk.improve(p, start, seed=0, steps=3000)
    assert_consistent(p, walk.best)
    _checked(built, walk.best)
    assert walk.best.objective < start.objective


def test_a_walk_keeps_pins_refusals_and_order_caps_and_prices_preferences() -> None:
    p = named_day()
    assert fieldwalk.fits(p)
    start = greedy_solve(p)
    walk = fieldwalk.improve(p, start, seed=1, steps=3000)
    assert_consistent(p, walk.best)  # prices over-qualification and preferences, checks the caps
    extra = _urgent_extra(p)
    assert walk.best.objective + extra(walk.best) <= start.objective + extra(start)
    for r in walk.best.routes:
        for j in r.visits:
            x = p.visits[j]
            assert x.pinned is None or x.pinned == r.vehicle
            assert r.vehicle not in x.forbidden
        cap = p.vehicles[r.vehicle].max_visits
        assert cap is None or len(r.visits) <= cap


def test_the_walk_prices_a_route_as_the_rule_book_does() -> None:
    """Travel, who serves (over-qualification, preferences) and the lateness of each route of a walked plan,
    the break placed by the rule book's scheduler, as the walk's compiled loop reckons them."""
    from solver import _field_kernel as kernel

    p = named_day()
    plan = fieldwalk.improve(p, greedy_solve(p), seed=2, steps=2000).best
    a = fieldwalk._Arrays(p, [r.visits for r in plan.routes])
    urgent = max(x.lateness_cost for x in p.visits)
    for r in plan.routes:
        k = r.vehicle
        kernel._retime(k, a.rt, a.ln, a.ld, a.ee, a.ls, a.rc, a.rl, *a.timing())
        late = sum(lateness(p.visits[j], s) * (URGENT_LATENESS_EMPHASIS if p.visits[j].lateness_cost == urgent else 1)
                   for j, s in zip(r.visits, r.starts, strict=True))
        assign = sum(int(a.asg[j, k]) for j in r.visits)
        assert int(a.rl[k]) == late
        assert int(a.rc[k]) == p.distance_cost * r.distance + assign


def test_a_bounded_walk_repeats_with_its_seed() -> None:
    p = named_day()
    start = greedy_solve(p)
    one = fieldwalk.improve(p, start, seed=3, steps=1500)
    two = fieldwalk.improve(p, start, seed=3, steps=1500)
    assert _fingerprint(one.best) == _fingerprint(two.best)
    assert one.steps == two.steps == 1500


def test_days_with_crews_or_a_re_plans_costs_are_not_for_it() -> None:
    p = busy_day()
    assert not fieldwalk.fits(p)
    with pytest.raises(ValueError, match="does not serve this day"):
        fieldwalk.improve(p, greedy_solve(p), seed=0, steps=10)
    assert not fieldwalk.fits(replace(built_day().problem, span_cost=1))


def test_a_dispatch_day_solve_under_a_solution_limit_repeats_and_walks_no_worse_than_the_general_walk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("solver.solve")  # the package's `solve` is the function
    built = built_day(120, 15, 12, "manchester")
    p = built.problem
    params = SolveParams(solution_limit=40, cores=2)
    a = solve(p, time_limit=10, seed=0, params=params)
    b = solve(p, time_limit=10, seed=0, params=params)
    assert _fingerprint(a) == _fingerprint(b)
    _checked(built, a)
    monkeypatch.setattr(module, "_FIELD_WALK", False)
    general = solve(p, time_limit=10, seed=0, params=params)
    _checked(built, general)
    assert a.objective <= general.objective


def test_warm_loads_the_loop_once() -> None:
    fieldwalk.warm()
    assert fieldwalk.warmed()
    fieldwalk.warm()



def test_a_timed_dispatch_day_solve_in_a_warmed_process_walks_on_both_cores_without_the_local_search(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module = importlib.import_module("solver.solve")
    fieldwalk.warm()
    built = built_day()
    params = SolveParams(cores=2)
    walked = solve(built.problem, time_limit=3, seed=0, params=params)
    _checked(built, walked)
    assert walked.solutions_found <= 1  # OR-Tools found none; the walk's plan counts once
    monkeypatch.setattr(module, "_FIELD_SEARCH", True)
    searched = solve(built.problem, time_limit=3, seed=0, params=params)
    _checked(built, searched)
    assert searched.solutions_found > 1
