"""Each rule of solver/model.py: a case where it binds and one where it does not.

Road of conftest.py: 1 km = 1000 m = 60 s; HOME at km 0, NEAR 1, NEAR2 2, MID 5, MID2 8, HOME2 10,
FAR 30, VERY_FAR 60. distance_cost 1 per metre unless stated.
"""

from __future__ import annotations

from solver import Break
from solver.model import build_model
from solver.problem import (
    BREAK,
    FULLY_BOOKED,
    MAX_ORDERS,
    RESPONSE_DEADLINE,
    SHIFT,
    TRAVEL,
    UNSERVED,
    VAN_STOCK,
    WORKLOAD_BALANCE,
)
from solver.reasons import screen
from solver.tables import tables_of
from tests.solver.conftest import HOME2, MID, MID2, NEAR, NEAR2, VERY_FAR, hours, job, problem, run, tech


def served(solution, vehicle: int) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return solution.routes[vehicle].visits


# --- hard rules ---------------------------------------------------------------------------------------


def test_required_skill_binds_sends_the_job_to_the_farther_qualified_tech() -> None:
    s = run(problem([tech(), tech(HOME2, skills=frozenset({0}))], [job(NEAR, skills=frozenset({0}))]))
    assert served(s, 1) == (0,)


def test_required_skill_does_not_bind_nearest_tech_goes() -> None:
    s = run(problem([tech(), tech(HOME2, skills=frozenset({0}))], [job(NEAR)]))
    assert served(s, 0) == (0,)
    assert s.costs[TRAVEL] == 2000  # 1 km out and back


def test_appointment_window_binds_service_starts_when_it_opens() -> None:
    s = run(problem([tech()], [job(NEAR, window=(hours(10), hours(11)))]))
    assert s.routes[0].starts == (hours(10),)
    # Leaves just in time: 1 min drive before 10:00.
    assert s.routes[0].depart == hours(10) - 60


def test_appointment_window_does_not_bind_service_starts_on_arrival() -> None:
    s = run(problem([tech()], [job(NEAR, window=(hours(7), hours(11)))]))
    assert s.routes[0].arrivals == s.routes[0].starts == (hours(8) + 60,)


def test_appointment_windows_decide_the_order() -> None:
    # MID must start by 08:10, NEAR only from 09:00: MID first although NEAR is on the way.
    s = run(problem([tech()], [job(NEAR, window=(hours(9), hours(12))), job(MID, window=(hours(8), hours(8) + 600))]))
    assert served(s, 0) == (1, 0)


def test_shift_binds_two_jobs_do_not_fit_one_is_left_out() -> None:
    # 08:00-09:30 is 90 min; both 45-min jobs need 1 + 45 + 1 + 45 + 2 = 94 min; NEAR2 is worth more.
    s = run(problem([tech(shift=(8, 9.5))], [job(NEAR, minutes=45), job(NEAR2, minutes=45, drop_penalty=2_000_000)]))
    assert served(s, 0) == (1,)
    assert s.unassigned[0][0] == 0
    reason = s.unassigned[0][1]
    assert (reason.rule, reason.vehicle, reason.broken) == (FULLY_BOOKED, 0, (SHIFT,))


def test_shift_does_not_bind_both_fit_in_a_full_day() -> None:
    s = run(problem([tech()], [job(NEAR, minutes=45), job(NEAR2, minutes=45)]))
    assert sorted(served(s, 0)) == [0, 1]
    assert s.routes[0].back == hours(8) + 94 * 60


def test_break_binds_a_job_that_would_straddle_it_is_left_out() -> None:
    # The break is fixed at 12:00-12:30; a 30-min job starting 11:45..12:06 always overlaps it.
    lunch = Break(hours(12), hours(12.5), 1800)
    s = run(problem([tech(break_=lunch)], [job(NEAR, window=(hours(11.75), hours(12.1)))]))
    assert served(s, 0) == ()
    reason = s.unassigned[0][1]
    assert (reason.rule, reason.broken) == (FULLY_BOOKED, (BREAK,))


def test_break_does_not_bind_when_the_job_is_clear_of_it() -> None:
    lunch = Break(hours(13), hours(13.5), 1800)
    s = run(problem([tech(break_=lunch)], [job(NEAR, window=(hours(11.75), hours(12.1)))]))
    assert served(s, 0) == (0,)
    assert s.routes[0].break_start == hours(13)


def test_break_falls_between_two_jobs_and_delays_the_second() -> None:
    # Job A 11:00-11:30 at NEAR, job B at NEAR2 from 11:30; the break must end by 12:00 -> B starts 12:01.
    lunch = Break(hours(11.5), hours(12), 1800)
    s = run(problem([tech(break_=lunch)], [job(NEAR, window=(hours(11), hours(11))), job(NEAR2, window=(hours(11), hours(14)))]))
    r = s.routes[0]
    assert r.visits == (0, 1)
    assert r.break_start == hours(11.5)
    assert r.starts == (hours(11), hours(12) + 60)


def test_van_stock_binds_one_part_serves_one_job() -> None:
    s = run(problem([tech(stock=(1,))], [job(NEAR, parts=(1,)), job(NEAR2, parts=(1,), drop_penalty=2_000_000)]))
    assert served(s, 0) == (1,)
    reason = s.unassigned[0][1]
    assert (reason.rule, reason.broken) == (FULLY_BOOKED, (VAN_STOCK,))


def test_van_stock_does_not_bind_two_parts_serve_both() -> None:
    s = run(problem([tech(stock=(2,))], [job(NEAR, parts=(1,)), job(NEAR2, parts=(1,))]))
    assert sorted(served(s, 0)) == [0, 1]


def test_max_orders_binds() -> None:
    s = run(problem([tech(max_visits=1)], [job(NEAR), job(NEAR2, drop_penalty=2_000_000)]))
    assert served(s, 0) == (1,)
    reason = s.unassigned[0][1]
    assert (reason.rule, reason.vehicles, reason.broken) == (MAX_ORDERS, (0,), (MAX_ORDERS,))


def test_max_orders_does_not_bind() -> None:
    s = run(problem([tech(max_visits=2)], [job(NEAR), job(NEAR2)]))
    assert sorted(served(s, 0)) == [0, 1]


def test_pinned_technician_binds() -> None:
    s = run(problem([tech(), tech(HOME2)], [job(NEAR, pinned=1)]))
    assert served(s, 1) == (0,)


def test_pinned_technician_does_not_bind_without_a_pin() -> None:
    s = run(problem([tech(), tech(HOME2)], [job(NEAR)]))
    assert served(s, 0) == (0,)


# --- soft rules ---------------------------------------------------------------------------------------


def test_response_deadline_binds_urgent_job_first() -> None:
    # MID due 08:05 (reachable exactly if first); NEAR first would start MID at 08:35, 1800 s late.
    s = run(problem([tech()], [job(NEAR), job(MID, deadline=hours(8) + 300, lateness_cost=10)]))
    assert served(s, 0) == (1, 0)
    assert s.costs[RESPONSE_DEADLINE] == 0


def test_response_deadline_binds_unavoidable_lateness_is_charged() -> None:
    # Due 08:00, earliest start 08:05: 300 s x 7 = 2100.
    s = run(problem([tech()], [job(MID, deadline=hours(8), lateness_cost=7)]))
    assert s.costs[RESPONSE_DEADLINE] == 2100


def test_response_deadline_does_not_bind() -> None:
    s = run(problem([tech()], [job(NEAR), job(MID, deadline=hours(17), lateness_cost=10)]))
    assert s.costs[RESPONSE_DEADLINE] == 0


def test_response_deadline_from_yesterday_counts_from_its_own_time() -> None:
    # Due yesterday 00:00 (-86400 s); starts 08:05 at the earliest: late 86400 + 29100 = 115500 s x 1.
    # Serving costs 115500 + 10000 travel = 125500: dropping at 100000 is cheaper, at 200000 it is not.
    overdue = {"deadline": -hours(24), "lateness_cost": 1}
    dropped = run(problem([tech()], [job(MID, drop_penalty=100_000, **overdue)]))
    assert served(dropped, 0) == ()
    assert dropped.objective == 100_000
    kept = run(problem([tech()], [job(MID, drop_penalty=200_000, **overdue)]))
    assert served(kept, 0) == (0,)
    assert kept.costs[RESPONSE_DEADLINE] == 115_500
    assert kept.objective == 125_500


def test_unserved_binds_a_job_costing_more_to_reach_than_to_leave() -> None:
    # 60 km out and back = 120000 m at 1 per metre > penalty 100000.
    s = run(problem([tech()], [job(VERY_FAR, drop_penalty=100_000)]))
    assert served(s, 0) == ()
    assert s.costs[UNSERVED] == 100_000
    assert s.costs[TRAVEL] == 0


def test_unserved_does_not_bind_when_the_penalty_is_higher() -> None:
    s = run(problem([tech()], [job(VERY_FAR, drop_penalty=200_000)]))
    assert served(s, 0) == (0,)
    assert (s.costs[UNSERVED], s.costs[TRAVEL]) == (0, 120_000)


def test_mandatory_job_is_served_whatever_it_costs() -> None:
    s = run(problem([tech()], [job(VERY_FAR, drop_penalty=None)]))
    assert served(s, 0) == (0,)


def test_travel_binds_the_nearest_tech_goes() -> None:
    # MID2 is 2 km from HOME2 and 8 km from HOME.
    s = run(problem([tech(), tech(HOME2)], [job(MID2)]))
    assert served(s, 1) == (0,)
    assert s.costs[TRAVEL] == 4000


def test_travel_does_not_bind_when_it_costs_nothing() -> None:
    s = run(problem([tech(), tech(HOME2)], [job(MID2)], distance_cost=0))
    assert s.costs[TRAVEL] == 0
    assert s.routes[0].distance + s.routes[1].distance in (4000, 16000)


def test_workload_balance_binds_splits_the_work() -> None:
    # Four 1-hour jobs at NEAR. One tech: 242 min of work vs 0 -> spread 14520 s x 10 = 145200,
    # far above the 2000 m a second trip costs; split 2/2 both work 122 min, spread 0.
    jobs = [job(NEAR, minutes=60) for _ in range(4)]
    s = run(problem([tech(), tech()], jobs, balance_cost=10))
    assert (len(served(s, 0)), len(served(s, 1))) == (2, 2)
    assert s.costs[WORKLOAD_BALANCE] == 0
    assert s.costs[TRAVEL] == 4000


def test_workload_balance_does_not_bind_when_off() -> None:
    jobs = [job(NEAR, minutes=60) for _ in range(4)]
    s = run(problem([tech(), tech()], jobs))
    assert sorted([len(served(s, 0)), len(served(s, 1))]) == [0, 4]
    assert s.costs[WORKLOAD_BALANCE] == 0
    assert s.costs[TRAVEL] == 2000


def test_workload_balance_reports_the_spread_it_could_not_avoid() -> None:
    # One tech, one job: 2 min drive + 60 min service = 3720 s of work vs 0 for nobody else -> 3720 x 10.
    s = run(problem([tech()], [job(NEAR, minutes=60)], balance_cost=10))
    assert s.costs[WORKLOAD_BALANCE] == 0  # a single technician has no spread
    s2 = run(problem([tech(), tech()], [job(NEAR, minutes=60)], balance_cost=10))
    assert s2.costs[WORKLOAD_BALANCE] == 37_200
    assert s2.costs[TRAVEL] == 2000


# --- a rule is only in the model when the data needs it (STYLE rule 5) ---------------------------------


def built(p):  # type: ignore[no-untyped-def]
    t = tables_of(p)
    sc = screen(p, t)
    return build_model(p, t, [j for j in range(len(p.visits)) if j not in sc.reasons], sc)


def test_plain_day_has_only_the_time_dimension() -> None:
    m = built(problem([tech(stock=(5,), max_visits=9)], [job(NEAR, parts=(1,)), job(NEAR2)]))
    assert m.dimensions == ["time"]
    assert m.breaks == {}


def test_binding_data_adds_stock_caps_breaks_and_balance() -> None:
    lunch = Break(hours(12), hours(13), 1800)
    p = problem([tech(stock=(1,), max_visits=1, break_=lunch), tech()], [job(NEAR, parts=(1,)), job(NEAR2, parts=(1,))],
                balance_cost=1)
    m = built(p)
    assert m.dimensions == ["time", "stock 0", "count", "work"]
    assert list(m.breaks) == [0]


def test_times_before_midnight_shift_the_model_origin() -> None:
    # A night shift from 22:00 the day before: model time 0 is that shift start.
    m = built(problem([tech(shift=(-2, 6))], [job(NEAR)]))
    assert (m.origin, m.horizon) == (-hours(2), hours(8))


def test_break_due_after_the_day_is_done_does_not_delay_the_return() -> None:
    # One job 08:01-08:31 at NEAR, home 08:32; lunch 12:00-13:00 falls after: it is off the clock.
    s = run(problem([tech(break_=Break(hours(12), hours(13), 1800))], [job(NEAR)]))
    r = s.routes[0]
    assert (r.back, r.break_start) == (hours(8) + 32 * 60, hours(12))


def test_urgent_lateness_emphasis_leaves_the_reported_costs_alone():
    # One technician from 08:00, two 60-min visits at home's spot, both due at 08:30: whichever goes second
    # starts 09:00, 30 min late. P1 second costs 1,800 s x 100, P4 second 1,800 x 3 = 5,400: P1 goes first,
    # and the reported lateness uses the problem's own weight, not the search's emphasised one.
    import numpy as np

    from solver import SolveParams, Vehicle, Visit, solve
    from solver.problem import Problem

    dist = np.zeros((2, 2), dtype=np.int64)
    half_past_eight = 8 * 3600 + 1800
    visits = (
        Visit(location=1, service=3600, deadline=half_past_eight, lateness_cost=3, drop_penalty=10**9),
        Visit(location=1, service=3600, deadline=half_past_eight, lateness_cost=100, drop_penalty=10**9),
    )
    p = Problem(dist, dist, (Vehicle(0, 0, 8 * 3600, 17 * 3600),), visits)
    s = solve(p, time_limit=2, params=SolveParams(solution_limit=20))
    assert s.routes[0].visits[0] == 1
    assert s.costs["response deadline"] == 1800 * 3
