"""The engine's priority-first insertion (also the rule-based peer): every rule binds where it should, and every schedule adds up.

Road: location i sits at KM[i] km on a straight line, driven at 1 km per minute (1000 m, 60 s per km).
Times are seconds from midnight; h(8) is 08:00.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.construct import Schedule, Timetable, greedy_solve, prepare
from solver.problem import (
    FULLY_BOOKED,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REQUIRED_SKILL,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    VAN_STOCK,
    Break,
    Problem,
    Solution,
    Vehicle,
    Visit,
)
from tests.solver.checker import problems_of

KM = (0, 1, 2, 3, 5, 8, 10, 30, 60)
HOME, NEAR, NEAR2, NEAR3, MID, MID2, HOME2, FAR, VERY_FAR = range(len(KM))


def h(hours: float) -> int:
    return round(hours * 3600)


def road(km: Sequence[float] = KM) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(km, dtype=float)
    gap = np.abs(x[:, None] - x[None, :])
    return np.rint(gap * 1000).astype(np.int64), np.rint(gap * 60).astype(np.int64)


def make(vehicles: Sequence[Vehicle], visits: Sequence[Visit], **kw: int) -> Problem:
    dist, dur = road()
    return Problem(distances=dist, durations=dur, vehicles=tuple(vehicles), visits=tuple(visits), **kw)


def van(home: int = HOME, start: float = 8, end: float = 17, **kw) -> Vehicle:  # type: ignore[no-untyped-def]
    return Vehicle(start=home, end=home, shift_start=h(start), shift_end=h(end), **kw)


def job(loc: int, minutes: int = 30, penalty: int = 1000, **kw) -> Visit:  # type: ignore[no-untyped-def]
    return Visit(location=loc, service=minutes * 60, drop_penalty=penalty, **kw)


def solved(p: Problem) -> Solution:
    s = greedy_solve(p)
    errors = problems_of(p, s)
    assert not errors, "\n".join(errors)
    return s


def served_by(s: Solution) -> dict[int, int]:
    return {j: r.vehicle for r in s.routes for j in r.visits}


def test_serves_everything_that_fits_at_the_cheapest_place() -> None:
    s = solved(make([van(), van(home=HOME2)], [job(NEAR), job(MID2), job(NEAR2)]))
    # NEAR and NEAR2 are on the way of the van at km 0; MID2 (km 8) is next to the van at km 10.
    assert served_by(s) == {0: 0, 2: 0, 1: 1}
    assert sorted(s.routes[0].visits) == [0, 2]
    assert s.costs[TRAVEL] == 2 * 2000 + 2 * 2000  # both vans drive out and back


def test_required_skill_binds_and_is_the_reason_when_nobody_has_it() -> None:
    vans = [van(skills=frozenset({0})), van(home=HOME2, skills=frozenset({1}))]
    s = solved(make(vans, [job(NEAR, skills=frozenset({1})), job(NEAR, skills=frozenset({2}))], num_skills=3))
    assert served_by(s) == {0: 1}  # the far van, the only one with skill 1
    assert s.unassigned[0][0] == 1
    assert s.unassigned[0][1].rule == REQUIRED_SKILL
    assert s.unassigned[0][1].skill == 2


def test_appointment_window_is_kept_and_unreachable_ones_are_left_out() -> None:
    s = solved(make([van()], [job(MID, window=(h(10), h(10.5))), job(VERY_FAR, window=(h(8), h(8.5)))]))
    assert served_by(s) == {0: 0}
    assert s.routes[0].starts == (h(10),)
    assert s.unassigned[0][0] == 1
    assert s.unassigned[0][1].rule == FULLY_BOOKED


def test_shift_counts_the_drive_home() -> None:
    # 60 km out is an hour each way: a 7-hour job fits a 9-hour shift only without the return, so it does not.
    s = solved(make([van()], [job(VERY_FAR, minutes=7 * 60 + 30)]))
    assert s.unassigned
    assert not s.routes[0].visits
    assert solved(make([van()], [job(VERY_FAR, minutes=6 * 60)])).routes[0].back == h(16)


def test_van_stock_is_used_up_along_the_route() -> None:
    vans = [van(stock=(1,)), van(home=HOME2, stock=(1,))]
    parts = (1,)
    s = solved(make(vans, [job(NEAR, parts=parts), job(NEAR2, parts=parts), job(NEAR3, parts=parts, penalty=10)],
                    num_parts=1))
    assert sorted(served_by(s)) == [0, 1]
    assert served_by(s)[0] != served_by(s)[1]
    assert s.unassigned[0][0] == 2
    lone = solved(make([van()], [job(NEAR, parts=(2,))], num_parts=1))
    assert lone.unassigned[0][1].rule == VAN_STOCK
    assert lone.unassigned[0][1].quantity == 2


def test_max_orders_caps_a_route() -> None:
    s = solved(make([van(max_visits=1)], [job(NEAR, penalty=5), job(NEAR2, penalty=9)]))
    assert served_by(s) == {1: 0}  # the more valuable one
    assert s.unassigned[0][1].rule == MAX_ORDERS


def test_pinned_visit_goes_to_its_technician_even_when_another_is_closer() -> None:
    # The visit at km 0 costs the van living there nothing, the other van 2 km more.
    s = solved(make([van(), van(home=HOME2)], [job(NEAR, pinned=1), job(HOME)]))
    assert served_by(s) == {0: 1, 1: 0}
    busy = solved(make([van(end=9)], [job(NEAR, minutes=50, penalty=900), job(NEAR2, minutes=50, penalty=5, pinned=0)]))
    assert busy.unassigned[0][0] == 1
    assert busy.unassigned[0][1].rule == PINNED_TECHNICIAN


def test_higher_priority_wins_when_capacity_is_short() -> None:
    # Two hours of shift, two 80-minute jobs: only one fits; the far, valuable one beats the near, cheap one.
    s = solved(make([van(end=10)], [job(NEAR, minutes=80, penalty=100), job(MID, minutes=80, penalty=900)]))
    assert served_by(s) == {1: 0}
    assert s.unassigned == ((0, s.unassigned[0][1]),)
    assert s.costs[UNSERVED] == 100


def test_earlier_deadline_first_within_a_priority() -> None:
    late_soon = job(NEAR, minutes=80, deadline=h(8.5), lateness_cost=1)
    late_later = job(NEAR2, minutes=80, deadline=h(12), lateness_cost=1)
    s = solved(make([van(end=10)], [late_later, late_soon]))
    assert served_by(s) == {1: 0}


def test_lateness_is_costed_per_second() -> None:
    s = solved(make([van()], [job(MID, deadline=h(8), lateness_cost=3)]))
    assert s.costs[RESPONSE_DEADLINE] == 3 * 5 * 60  # leaves at 08:00, 5 km = 5 min late


def test_break_lies_between_services_inside_its_window() -> None:
    lunch = Break(earliest_start=h(12), latest_end=h(13.5), duration=30 * 60)
    visits = [job(NEAR + k % 3, minutes=90) for k in range(5)]
    s = solved(make([van(break_=lunch)], visits))
    r = s.routes[0]
    assert len(r.visits) == 5
    assert r.break_start is not None
    assert h(12) <= r.break_start <= h(13)


def test_break_is_due_even_when_the_work_ends_before_its_window() -> None:
    lunch = Break(earliest_start=h(12), latest_end=h(14), duration=30 * 60)
    r = solved(make([van(break_=lunch)], [job(NEAR)])).routes[0]
    assert r.break_start == h(12)
    assert r.back == h(12.5)


def test_break_falls_back_to_an_earlier_leg_when_the_late_one_breaks_a_window() -> None:
    # Lunch 12:00-14:00 for 30 min. A must start 12:20-12:40 (60 min), B 13:30-13:40. Taking the break as
    # late as possible (before B) makes B start 13:50; taking it before A (12:00-12:30) keeps both.
    lunch = Break(earliest_start=h(12), latest_end=h(14), duration=30 * 60)
    a = job(NEAR, minutes=60, penalty=900, window=(h(12 + 20 / 60), h(12 + 40 / 60)))
    b = job(MID, minutes=10, penalty=800, window=(h(13.5), h(13 + 40 / 60)))
    r = solved(make([van(break_=lunch)], [a, b])).routes[0]
    assert r.visits == (0, 1)
    assert r.break_start is not None
    assert r.break_start + 30 * 60 <= r.starts[0]


@pytest.mark.determinism
def test_same_input_same_plan() -> None:
    p = make([van(), van(home=HOME2)], [job(k % 8 + 1, minutes=20 + k) for k in range(12)])
    assert greedy_solve(p).routes == greedy_solve(p).routes


@st.composite
def tiny_problems(draw: st.DrawFn) -> Problem:
    n_veh = draw(st.integers(1, 3))
    vehicles = []
    for _ in range(n_veh):
        start = draw(st.sampled_from([7, 8, 9]))
        brk = None
        if draw(st.booleans()):
            e = draw(st.sampled_from([11, 11.5, 12, 12.5]))
            brk = Break(earliest_start=h(e), latest_end=h(e + draw(st.sampled_from([0.5, 1, 2]))),
                        duration=draw(st.sampled_from([15, 30])) * 60)
        vehicles.append(van(home=draw(st.sampled_from([HOME, HOME2])), start=start,
                            end=start + draw(st.sampled_from([4, 6, 9])),
                            skills=frozenset(draw(st.sets(st.integers(0, 1)))),
                            stock=(draw(st.integers(0, 3)),), break_=brk,
                            max_visits=draw(st.one_of(st.none(), st.integers(0, 4)))))
    visits = []
    for _ in range(draw(st.integers(1, 9))):
        window = None
        if draw(st.booleans()):
            lo = draw(st.sampled_from([8, 9, 10, 11, 12, 13, 14]))
            window = (h(lo), h(lo + draw(st.sampled_from([0, 0.25, 1, 3]))))
        visits.append(job(draw(st.integers(1, len(KM) - 1)), minutes=draw(st.sampled_from([10, 30, 60, 120])),
                          penalty=draw(st.sampled_from([3, 10, 30, 100])) * 1000,
                          window=window, deadline=h(draw(st.sampled_from([6, 9, 12]))),
                          lateness_cost=draw(st.sampled_from([0, 1, 5])),
                          skills=frozenset(draw(st.sets(st.integers(0, 1), max_size=1))),
                          parts=(draw(st.integers(0, 1)),),
                          pinned=draw(st.one_of(st.none(), st.integers(0, n_veh - 1)))))
    return make(vehicles, visits, num_skills=2, num_parts=1)


@settings(max_examples=150, deadline=None)
@given(tiny_problems())
def test_every_greedy_schedule_is_consistent(p: Problem) -> None:
    solved(p)


def test_start_routes_are_kept_and_the_rest_is_inserted_into_them() -> None:
    p = make([van(), van(home=HOME2)], [job(NEAR), job(MID2), job(NEAR2), job(MID)])
    # a deliberately odd start: the van at km 10 does NEAR; the insertion must keep it there
    s = greedy_solve(p, start=[[], [0]])
    assert not problems_of(p, s)
    assert served_by(s)[0] == 1
    assert set(served_by(s)) == {0, 1, 2, 3}


def test_a_start_route_breaking_a_rule_is_not_kept() -> None:
    p = make([van(max_visits=1), van(home=HOME2)], [job(NEAR), job(NEAR2)])
    s = greedy_solve(p, start=[[0, 1], []])  # two visits for a van that takes one
    assert not problems_of(p, s)
    assert len(s.routes[0].visits) <= 1
    assert set(served_by(s)) == {0, 1}


def test_start_routes_must_name_each_visit_once() -> None:
    p = make([van(), van(home=HOME2)], [job(NEAR), job(NEAR2)])
    for bad in ([[0], [0]], [[0, 0], []], [[0]]):
        with pytest.raises(ValueError, match="start"):
            greedy_solve(p, start=bad)


def test_an_emergency_that_fits_nowhere_bumps_the_cheapest_less_urgent_visit_from_the_start_routes() -> None:
    # a 2-hour shift already full with two 50-minute jobs; the urgent one needs 50 minutes too
    p = make([van(end=10)], [job(NEAR, 50, penalty=3000), job(NEAR2, 50, penalty=1000),
                             job(NEAR3, 50, penalty=100_000)])
    kept = greedy_solve(p, [[0, 1]])
    assert served_by(kept) == {0: 0, 1: 0}
    bumped = greedy_solve(p, [[0, 1]], eject=True)
    assert not problems_of(p, bumped)
    assert served_by(bumped) == {0: 0, 2: 0}  # the 1,000 job goes, not the 3,000 one
    assert [j for j, _ in bumped.unassigned] == [1]
    assert bumped.objective < kept.objective


def test_an_emergency_never_bumps_a_visit_as_urgent_and_a_routine_job_bumps_nobody() -> None:
    p = make([van(end=10)], [job(NEAR, 50, penalty=3000), job(NEAR2, 50, penalty=3000),
                             job(NEAR3, 50, penalty=3000), job(MID, 50, penalty=2000)])
    s = greedy_solve(p, [[0, 1]], eject=True)
    assert served_by(s) == {0: 0, 1: 0}
    assert [j for j, _ in s.unassigned] == [2, 3]


def test_an_emergency_that_would_start_late_bumps_a_routine_job_rather_than_wait() -> None:
    # two 100-minute routine jobs whose windows hold them at 08:00 and by 09:50; the urgent one (due 09:00,
    # lateness 100 a second) fits only after both, two hours late, unless one of them makes room
    first = job(NEAR, 100, penalty=3000, window=(h(8), h(8) + 300))
    second = job(NEAR2, 100, penalty=2000, window=(h(8), h(9) + 50 * 60))
    urgent = job(NEAR3, 30, penalty=1_000_000, deadline=h(9), lateness_cost=100)
    p = make([van(end=13)], [first, second, urgent])
    late = greedy_solve(p, [[0, 1]])
    assert late.routes[0].visits == (0, 1, 2)
    assert late.routes[0].starts[2] > h(11)
    bumped = greedy_solve(p, [[0, 1]], eject=True)
    assert not problems_of(p, bumped)
    assert bumped.routes[0].visits == (2, 1)  # the 08:00 job goes, and the urgent one starts on time
    assert bumped.routes[0].starts[0] <= h(9)
    assert bumped.objective < late.objective


# --- the shortcuts of a search's insertion give what the plain walks give


def _every_break_position(table: Timetable, k: int, visits: Sequence[int]) -> Schedule | None:
    """The least late strict schedule as first written: the lazy one, then every break position in turn."""
    best = table.schedule(k, visits)
    if table.brk[k] is None:
        return best
    for gap in range(len(visits) + 1):
        s = table.schedule(k, visits, gap)
        if s is not None and (best is None or s.late_cost < best.late_cost):
            best = s
    return best


@st.composite
def break_days(draw: st.DrawFn) -> tuple[Problem, list[int]]:
    """One van with a break and a route of up to seven visits on the road, some with windows and deadlines."""
    start, end = draw(st.sampled_from([(8, 17), (8, 12), (10, 19)]))
    opens = draw(st.integers(h(start), h(end) - 1800))
    length = draw(st.sampled_from([1800, 2700]))
    brk = Break(earliest_start=opens, latest_end=opens + length + draw(st.integers(0, 3 * 3600)), duration=length)
    visits = []
    for _ in range(draw(st.integers(0, 7))):
        window = draw(st.none() | st.tuples(st.integers(h(8), h(16)), st.integers(0, 4 * 3600)))
        deadline = draw(st.none() | st.integers(h(8), h(18)))
        visits.append(job(draw(st.integers(1, len(KM) - 1)), draw(st.sampled_from([10, 30, 60, 90])),
                          window=None if window is None else (window[0], window[0] + window[1]),
                          deadline=deadline, lateness_cost=draw(st.integers(0, 3))))
    order = draw(st.permutations(range(len(visits))))
    return make([van(start=start, end=end, break_=brk)], visits), list(order)


@settings(max_examples=400, deadline=None)
@given(break_days())
def test_the_least_late_schedule_passes_over_only_break_positions_that_cannot_fit(day: tuple[Problem, list[int]]) -> None:
    p, order = day
    table = Timetable(p)
    assert table.best_schedule(0, order) == _every_break_position(table, 0, order)
    # the bounds the insertion tests positions with hold of every strict schedule, wherever the break is
    ends, latest = table.bounds(0, order)
    for gap in (None, *range(len(order) + 1)):
        s = table.schedule(0, order, gap)
        if s is not None:
            assert all(e >= b for e, b in zip(s.ends, ends, strict=True))
            assert all(t <= b for t, b in zip(s.starts, latest, strict=True))


def _plan(s: Solution) -> tuple[object, ...]:
    return (tuple((r.vehicle, r.visits, r.arrivals, r.starts, r.depart, r.back, r.break_start, r.distance)
                  for r in s.routes), s.unassigned, s.objective, tuple(sorted(s.costs.items())), s.crews)


def test_insertions_sharing_what_they_prepared_plan_as_each_alone() -> None:
    # a search inserts into mostly the same routes step after step and keeps what it found there: every plan
    # must be the one an insertion of its own makes (breaks, van stock, levels, pins, crews, refusals)
    from tests.solver.test_lns import busy_day

    p = busy_day()
    prepared = prepare(p)
    plan = greedy_solve(p)
    rng = np.random.default_rng(0)
    served = [j for r in plan.routes for j in r.visits]
    crews = {j for j, x in enumerate(p.visits) if x.crew > 1}
    assert crews & set(served)
    for _ in range(25):
        out = set(rng.choice(served, size=8, replace=False).tolist())
        # a crew's visit is on each member's route: it is placed again (as the walk does)
        start = [[j for j in r.visits if j not in out and p.visits[j].crew == 1] for r in plan.routes]
        only = out | set(rng.choice(len(p.visits), size=15, replace=False).tolist()) | crews
        again = greedy_solve(p, start, worth_it=True, only=only, prepared=prepared, explain=False)
        assert _plan(again) == _plan(greedy_solve(p, start, worth_it=True, only=only, explain=False))
        assert not problems_of(p, again)
        if again.objective < plan.objective or rng.random() < 0.3:
            plan, served = again, [j for r in again.routes for j in r.visits]
    with pytest.raises(ValueError, match="another problem"):
        greedy_solve(make([van()], [job(NEAR)]), prepared=prepared)


def test_on_a_working_time_objective_the_insertion_takes_the_technician_it_keeps_out_least() -> None:
    # travel costs nothing here (the Pillac convention): only each route's span does, so the job near the
    # second technician's home goes to them, not to the first one listed
    far, near = van(HOME), van(HOME2)
    s = solved(make([far, near], [job(MID2)], distance_cost=0, span_cost=1))
    assert [r.visits for r in s.routes] == [(), (0,)]
    assert s.objective == sum(r.back - r.depart for r in s.routes if r.visits) == 2 * 2 * 60 + 30 * 60


def test_on_a_working_time_objective_a_long_wait_costs_what_it_adds_to_the_span() -> None:
    # the first technician serves km 1 early, the second km 8 at noon; a noon job at km 2 adds 2 minutes of
    # driving to the first route but a wait of three and a half hours, 12 minutes to the second and no wait
    early, noon = van(HOME), van(HOME2)
    jobs = [job(NEAR, window=(h(8), h(8) + 600)), job(MID2, window=(h(12), h(12) + 600)),
            job(NEAR2, penalty=500, window=(h(12), h(17)))]
    s = solved(make([early, noon], jobs, distance_cost=0, span_cost=1))
    assert served_by(s) == {0: 0, 1: 1, 2: 1}
    assert s.routes[1].visits == (1, 2)
    assert s.objective == sum(r.back - r.depart for r in s.routes if r.visits) == (2 + 16) * 60 + 3 * 30 * 60


def test_on_a_working_time_objective_the_technician_leaves_as_late_as_keeps_the_time_back() -> None:
    # km 1 any time before noon, then km 2 at noon: leaving at 08:00 would wait 3 h 29 min before noon. Leaving
    # that much later serves km 1 at 11:29 and is back at the same 12:32: 4 minutes' driving and 60 of work.
    jobs = [job(NEAR, window=(h(8), h(12))), job(NEAR2, window=(h(12), h(12) + 600))]
    lean = solved(make([van()], jobs, distance_cost=0, span_cost=1)).routes[0]
    assert lean.visits == (0, 1)
    assert (lean.depart, lean.starts, lean.back) == (h(11) + 28 * 60, (h(11) + 29 * 60, h(12)), h(12) + 32 * 60)
    # a dispatch day (no working-time cost) keeps its times: the first start as early as it can be
    plain = solved(make([van()], jobs)).routes[0]
    assert (plain.depart, plain.starts, plain.back) == (h(8), (h(8) + 60, h(12)), h(12) + 32 * 60)


def test_a_table_with_another_vehicle_prices_its_own_levels() -> None:
    # the table remembers over-qualification per vehicle and visit: a vehicle swapped in is priced anew
    junior = van(skills=frozenset({0}), levels=(1,))
    senior = van(skills=frozenset({0}), levels=(3,))
    p = make([junior], [job(NEAR, skills=frozenset({0}), levels=(1,))], num_skills=1, over_qualification_cost=10)
    table = Timetable(p)
    assert table.over_qualification(0, 0) == 0
    assert table.with_vehicle(0, senior).over_qualification(0, 0) == 2 * 10
    assert table.over_qualification(0, 0) == 0
