"""The one-change fixes of a visit left out or late, on the straight road of conftest: each kind found where
it is the missing change, the smallest of it, and every fix re-checked on the changed problem."""

from __future__ import annotations

from dataclasses import replace

from solver import Problem, Solution
from solver.fixes import OVERTIME, PART, SKILL, SWAP, WINDOW, ChangeCosts, Fix, find_fixes
from solver.problem import Reason, RouteSolution
from solver.schedule import Timetable
from tests.solver.checker import problems_of
from tests.solver.conftest import FAR, HOME2, MID, NEAR, NEAR2, hours, job, problem, tech

COSTS = ChangeCosts(overtime=1, window_move=1, skill=1000, part=100)


def changed(p: Problem, f: Fix) -> Problem:
    """The problem with the fix's one change made, as a user would make it in the input."""
    vehicles, visits = list(p.vehicles), list(p.visits)
    v = vehicles[f.vehicle]
    if f.kind == OVERTIME:
        assert f.overtime is not None
        vehicles[f.vehicle] = replace(v, shift_end=v.shift_end + f.overtime)
    elif f.kind == SKILL:
        assert f.skill is not None
        vehicles[f.vehicle] = replace(v, skills=v.skills | {f.skill})
    elif f.kind == PART:
        assert f.part is not None
        assert f.quantity is not None
        stock = [v.stock_of(i) for i in range(p.num_parts)]
        stock[f.part] += f.quantity
        vehicles[f.vehicle] = replace(v, stock=tuple(stock))
    elif f.kind == WINDOW:
        visits[f.visit] = replace(visits[f.visit], window=f.window)
    return replace(p, vehicles=tuple(vehicles), visits=tuple(visits))


def holds(p: Problem, routes: list[list[int]], f: Fix) -> list[str]:
    """What the independent solution check finds wrong with the routes once the fix is applied."""
    q = changed(p, f)
    table = Timetable(q)
    new = [[x for x in r if x not in (f.visit, f.swap)] for r in routes]
    new[f.vehicle].insert(f.position, f.visit)
    out = []
    for k, seq in enumerate(new):
        s = table.schedule(k, seq)
        if s is None:
            return [f"vehicle {k}: the route breaks a hard rule"]
        out.append(table.route_solution(k, s))
    served = {j for r in new for j in r}
    left = tuple((j, Reason("fully booked")) for j in range(len(q.visits)) if j not in served)
    solution = Solution(routes=tuple(out), unassigned=left, objective=0, costs={}, status="feasible")
    assert isinstance(solution.routes[f.vehicle], RouteSolution)
    assert out[f.vehicle].starts[f.position] == f.start
    return [e for e in problems_of(q, solution) if "cost" not in e and "objective" not in e]


def fixes_of(p: Problem, routes: list[list[int]], j: int) -> list[Fix]:
    found = find_fixes(p, routes, [j], costs=COSTS)[j]
    for f in found:
        assert holds(p, routes, f) == [], f
    return found


def test_overtime_is_the_smallest_that_fits() -> None:
    # a one-hour shift holds the 30 min job at NEAR; the one at MID needs 10 more minutes
    p = problem([tech(shift=(8, 9))], [job(NEAR), job(MID)])
    (f,) = fixes_of(p, [[0]], 1)
    assert (f.kind, f.overtime, f.vehicle) == (OVERTIME, 600, 0)
    one_less = replace(f, overtime=540)
    assert holds(p, [[0]], one_less) != []


def test_a_window_moves_to_the_nearest_time_that_fits() -> None:
    # the customer asked for 07:00-07:30, before the shift: the earliest arrival is 08:01
    p = problem([tech()], [job(NEAR, window=(hours(7), hours(7.5)))])
    found = fixes_of(p, [[]], 0)
    assert [(f.kind, f.window, f.start) for f in found] == [(WINDOW, (hours(7) + 31 * 60, hours(8) + 60), hours(8) + 60)]


def test_a_technician_lacking_one_skill_gains_it_and_none_lacking_two() -> None:
    p = problem([tech(skills=frozenset({0})), tech(HOME2)], [job(NEAR, skills=frozenset({0, 1}))])
    found = fixes_of(p, [[], []], 0)
    assert [(f.kind, f.vehicle, f.skill) for f in found] == [(SKILL, 0, 1)]


def test_a_van_gets_the_parts_its_route_and_the_order_need_together() -> None:
    # the van holds 1 of part 1, its route uses it, the order needs 2 more
    p = problem([tech(stock=(0, 1))], [job(NEAR, parts=(0, 1)), job(NEAR2, parts=(0, 2))])
    found = fixes_of(p, [[0]], 1)
    assert [(f.kind, f.part, f.quantity) for f in found] == [(PART, 1, 2)]


def test_a_swap_takes_off_only_a_less_urgent_visit() -> None:
    # a full shift to 09:30: the job at MID takes the place of the minor one, never of the more urgent one
    minor, urgent = job(NEAR, drop_penalty=1_000), job(NEAR2, drop_penalty=100_000)
    p = problem([tech(shift=(8, 9.5))], [minor, urgent, job(MID, minutes=40, drop_penalty=50_000)])
    found = fixes_of(p, [[0, 1]], 2)
    swaps = [f for f in found if f.kind == SWAP]
    assert [f.swap for f in swaps] == [0]
    assert swaps[0].costs["unserved"] == 1_000 - 50_000


def test_a_pinned_visit_is_fixed_only_on_its_technician() -> None:
    p = problem([tech(skills=frozenset({1})), tech(HOME2, skills=frozenset({0}))],
                [job(NEAR, skills=frozenset({1}), pinned=1)])
    found = fixes_of(p, [[], []], 0)
    assert [(f.kind, f.vehicle) for f in found] == [(SKILL, 1)]


def test_a_late_visit_gets_fixes_that_start_it_on_time() -> None:
    # the job at FAR is due by 08:45; its technician lives at 0 and starts at 08:00 (30 min away, fine), but
    # is busy until 09:00; the technician at 10 km lacks its skill
    busy = job(NEAR, minutes=55)
    far = job(FAR, skills=frozenset({2}), deadline=hours(8.75), lateness_cost=10)
    p = problem([tech(skills=frozenset({2})), tech(HOME2)], [busy, far])
    routes = [[0, 1], []]
    found = fixes_of(p, routes, 1)
    assert found, "the technician nearer to FAR could take it with the skill"
    assert all(f.late == 0 and f.start <= hours(8.75) for f in found)
    assert (found[0].kind, found[0].vehicle, found[0].skill) == (SKILL, 1, 2)
    assert found[0].costs["response deadline"] < 0  # the lateness it removes


def test_at_most_three_fixes_cheapest_first() -> None:
    # four qualified technicians need 40 min more; the fifth has the time but not the skill
    techs = [tech(skills=frozenset({0}), shift=(8, 8.5)) for _ in range(4)] + [tech(HOME2)]
    p = problem(techs, [job(MID, skills=frozenset({0}), minutes=60)])
    found = fixes_of(p, [[] for _ in techs], 0)
    assert len(found) == 3
    totals = [f.costs["total"] for f in found]
    assert totals == sorted(totals)
    assert [(f.kind, f.vehicle) for f in found] == [(SKILL, 4), (OVERTIME, 0), (OVERTIME, 1)]
