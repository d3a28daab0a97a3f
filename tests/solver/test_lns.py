"""Ruin and recreate (solver/lns.py) and how solve() uses it on dispatch days."""

from __future__ import annotations

import hashlib
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
from tests.solver.conftest import HOME2, MID, MID2, NEAR, NEAR2, NEAR3, VERY_FAR, hours, job, problem, tech


@cache
def field_day(orders: int = 60, technicians: int = 6, seed: int = 5) -> Problem:
    """A seeded dispatch day: breaks, skills, parts, priorities, more orders than the technicians can serve."""
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE)
    return build_problem(day, Policy(time_limit=10, seed=0)).problem


@cache
def busy_day(orders: int = 60, technicians: int = 6, seed: int = 5, city: str = "munich") -> Problem:
    """A seeded day with every rule a step meets: besides breaks, skills, van stock and priorities, crews,
    pinned, preferred and refused technicians, mandatory visits, senior technicians (levels above those
    asked for), order caps, jobs needing level 2, and a re-plan's costs."""
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE, city=city)
    p = build_problem(day, Policy(time_limit=10, seed=0)).problem
    n = len(p.vehicles)
    vs = list(p.visits)
    for j in range(0, len(vs), 17):
        vs[j] = replace(vs[j], crew=2, parts=(0,) * len(vs[j].parts))
    for j in range(3, len(vs), 23):
        vs[j] = replace(vs[j], pinned=j % n, forbidden=frozenset(), crew=1)
    for j in range(5, len(vs), 11):
        if vs[j].pinned is None:
            vs[j] = replace(vs[j], preferred=(j * 7) % n)
    for j in range(7, len(vs), 13):
        if vs[j].pinned is None:
            vs[j] = replace(vs[j], forbidden=frozenset({(j * 3) % n}))
    for j in range(2, len(vs), 29):
        vs[j] = replace(vs[j], drop_penalty=None)
    for j in range(1, len(vs), 9):
        vs[j] = replace(vs[j], previous_vehicle=j % n, previous_start=vs[j].window[0] if vs[j].window else 36000)
    for j in range(4, len(vs), 19):
        if vs[j].skills and vs[j].pinned is None:
            first = min(vs[j].skills)
            vs[j] = replace(vs[j], levels=tuple(2 if i == first else q for i, q in enumerate(vs[j].levels)))
    ks = list(p.vehicles)
    for k in range(0, n, 3):
        ks[k] = replace(ks[k], levels=tuple(3 if q else 0 for q in ks[k].levels))
    for k in range(1, n, 4):
        ks[k] = replace(ks[k], max_visits=3)
    return replace(p, visits=tuple(vs), vehicles=tuple(ks), balance_cost=1, reassign_cost=5000, shift_cost=2,
                   shift_tolerance=900, over_qualification_cost=700)


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


def _fingerprint(s: Solution) -> tuple[int, str]:
    routes = tuple((r.vehicle, r.visits, r.starts, r.break_start) for r in s.routes)
    return s.objective, hashlib.sha256(repr((routes, tuple(j for j, _ in s.unassigned), s.crews)).encode()).hexdigest()[:16]


# What these walks found before each step was made faster (issue 18), with the walk's settings of then: the
# work a step saves, and the options added since (worst removal, regret), must not change what it decides.
# Recorded anew, by the faster steps, when an overdue order's deadline became the day's opening (translate.py):
# the days changed, not the walk (the values before matched on the days before).
SETTINGS_BEFORE = {"REMOVED_SHARE": 0.08, "MAX_REMOVED": 40, "WORST_EVERY": 0, "REGRET": False}
RECORDED_BEFORE = {
    ("busy", 60, 6, 5, 0): (1001765395, "69e65275e1b99570"),
    ("busy", 60, 6, 5, 2): (1047626272, "4a9bb73131f35775"),
    ("busy", 200, 25, 12, 1): (1430606054, "c749188120ab2549"),
    ("field", 60, 6, 5, 0): (843241911, "f3ff52ee70df0227"),
    ("field", 60, 6, 5, 1): (820481204, "3d94565219d19d4b"),
    ("field", 200, 25, 11, 0): (805321685, "f3abd7cc889c2188"),
}
# The same walks with the settings tuned on the faster steps (larger removals, worst removal one step in three,
# regret-2 recreate), recorded when they were chosen: a deliberate change of the walk or of the insertion
# records them anew.
RECORDED = {
    ("busy", 60, 6, 5, 0): (1017086114, "09780876e45c3136"),
    ("busy", 60, 6, 5, 2): (1015852446, "faeb377acf57b59d"),
    ("busy", 200, 25, 12, 1): (1432793682, "132b8eeb203b33cb"),
    ("field", 60, 6, 5, 0): (812925296, "9db1f8d76d1f8b8d"),
    ("field", 60, 6, 5, 1): (800405951, "5a4e0c98926ba663"),
    ("field", 200, 25, 11, 0): (701197595, "2b6c1f643bb75925"),
}


def _recorded_walk(case: tuple[str, int, int, int, int]) -> Solution:
    kind, orders, technicians, day_seed, seed = case
    p = field_day(orders, technicians, day_seed) if kind == "field" else busy_day(orders, technicians, day_seed)
    walk = improve(p, greedy_solve(p), seed=seed, steps=120)
    assert_consistent(p, walk.best)
    return walk.best


@pytest.mark.parametrize("case", sorted(RECORDED_BEFORE))
def test_a_walk_with_the_settings_before_plans_as_it_did_before_its_steps_were_made_faster(
        case: tuple[str, int, int, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    import solver.lns

    for name, value in SETTINGS_BEFORE.items():
        monkeypatch.setattr(solver.lns, name, value)
    assert _fingerprint(_recorded_walk(case)) == RECORDED_BEFORE[case]


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_a_walk_plans_as_recorded(case: tuple[str, int, int, int, int]) -> None:
    assert _fingerprint(_recorded_walk(case)) == RECORDED[case]


def test_regret_insertion_first_places_the_visit_with_most_to_lose() -> None:
    # Each technician takes one visit. In order, the first visit (equally far from both homes) takes the near
    # technician and the second, next to that technician's home, is driven to from the far one; regret-2
    # places the second first, where waiting would cost it most.
    p = problem([tech(max_visits=1), tech(HOME2, max_visits=1)], [job(MID), job(NEAR)])
    in_order = greedy_solve(p)
    by_regret = greedy_solve(p, regret=True)
    assert sum(r.distance for r in in_order.routes) == 28_000
    assert sum(r.distance for r in by_regret.routes) == 12_000
    assert [r.visits for r in by_regret.routes] == [(1,), (0,)]
    assert_consistent(p, by_regret)


def test_regret_insertion_keeps_every_rule_and_the_priority_classes_in_order() -> None:
    p = busy_day()
    s = greedy_solve(p, regret=True)
    assert_consistent(p, s)
    assert _fingerprint(s) == _fingerprint(greedy_solve(p, regret=True))
    # regret reorders visits within a class only: the mandatory visits, first of all, are placed exactly as in
    # order, before any optional one can take their room
    mandatory = {j for j, v in enumerate(p.visits) if v.drop_penalty is None}
    plain = greedy_solve(p)
    assert mandatory & {j for j, _ in s.unassigned} == mandatory & {j for j, _ in plain.unassigned}
    assert [tuple(j for j in r.visits if j in mandatory) for r in s.routes] == \
        [tuple(j for j in r.visits if j in mandatory) for r in plain.routes]


def test_worst_removal_ranks_the_visit_that_costs_most_where_it_is_first() -> None:
    from solver.lns import _gains

    p = problem([tech()], [job(NEAR), job(VERY_FAR), job(NEAR2)])
    s = greedy_solve(p)
    assert {j for r in s.routes for j in r.visits} == {0, 1, 2}
    assert max(_gains(p, s))[1] == 1


def test_on_a_working_time_objective_worst_removal_ranks_the_visit_that_makes_the_route_wait_first() -> None:
    from solver.lns import _gains

    # km 1 at 08:00, km 2 at noon (a wait of three and a half hours), then km 3 at any time: by distance the
    # last stop is the dearest (it alone is a detour), by working time the noon one
    jobs = [job(NEAR, window=(hours(8), hours(8) + 600)), job(NEAR2, window=(hours(12), hours(12) + 600)), job(NEAR3)]
    for costs, dearest in (({}, 2), ({"distance_cost": 0, "span_cost": 1}, 1)):
        p = problem([tech()], jobs, **costs)
        s = greedy_solve(p, [[0, 1, 2]])
        assert [r.visits for r in s.routes] == [(0, 1, 2)]
        assert max(_gains(p, s))[1] == dearest


@pytest.mark.parametrize("setting", [{"ROUTE_EVERY": 1}, {"WORST_EVERY": 1}, {"REGRET": True},
                                     {"SHORT_ROUTE_EVERY": 1, "span_cost": 1}])
def test_each_ruin_and_recreate_keeps_the_rules_and_repeats_with_its_seed(
        setting: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    import solver.lns

    for name, value in setting.items():
        if name != "span_cost":
            monkeypatch.setattr(solver.lns, name, value)
    p = busy_day()
    if "span_cost" in setting:
        p = replace(p, span_cost=setting["span_cost"])
    start = greedy_solve(p)
    a = improve(p, start, seed=4, steps=40)
    b = improve(p, start, seed=4, steps=40)
    assert _fingerprint(a.best) == _fingerprint(b.best)
    assert a.best.objective <= start.objective
    assert_consistent(p, a.best)


def test_on_a_working_time_objective_a_step_can_empty_the_shortest_route_and_keep_its_vehicle_out() -> None:
    import numpy as np

    from solver.lns import SHORT_ROUTE_EVERY, _ruin

    routes = [[0, 1, 2], [3], [], [4, 5]]
    near = np.tile(np.arange(6), (6, 1))
    step = SHORT_ROUTE_EVERY - 1
    emptied = set()
    for seed in range(20):
        ruined, again, closed = _ruin(routes, near, set(), np.random.default_rng(seed), step, short_routes=True)
        (k,) = closed
        assert routes[k]
        assert ruined[k] == []
        assert set(routes[k]) <= again
        emptied.add(k)
    assert 1 in emptied  # the shortest most often
    assert 2 not in emptied  # never an empty one
    # dispatch days (no working-time cost) never close a route
    assert _ruin(routes, near, set(), np.random.default_rng(0), step)[2] == set()


def test_the_insertion_puts_no_visit_on_a_closed_vehicle() -> None:
    p = problem([tech(), tech(home=HOME2)], [job(NEAR), job(MID2), job(NEAR2)])
    open_to_all = greedy_solve(p)
    assert all(r.visits for r in open_to_all.routes)
    s = greedy_solve(p, closed={1})
    assert s.routes[1].visits == ()
    assert sorted(s.routes[0].visits) == [0, 1, 2]
