"""Every kind of Reason, before solving (screening) and after (cheapest insertion)."""

from __future__ import annotations

from solver import Break, Reason
from solver.problem import (
    APPOINTMENT_WINDOW,
    FULLY_BOOKED,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REQUIRED_SKILL,
    SHIFT,
    VAN_STOCK,
)
from solver.reasons import screen
from solver.tables import tables_of
from tests.solver.conftest import FAR, HOME2, MID, NEAR, NEAR2, hours, job, problem, run, tech


def reason_of(p, j: int = 0) -> Reason:  # type: ignore[no-untyped-def]
    return dict(run(p).unassigned)[j]


def test_required_skill_nobody_has_it() -> None:
    p = problem([tech(skills=frozenset({0}))], [job(NEAR, skills=frozenset({0, 2}))])
    assert reason_of(p) == Reason(REQUIRED_SKILL, skill=2, level=1)


def test_required_skill_nobody_has_the_combination() -> None:
    p = problem([tech(skills=frozenset({0})), tech(skills=frozenset({1}))], [job(NEAR, skills=frozenset({0, 1}))])
    assert reason_of(p) == Reason(REQUIRED_SKILL, skill=None)


def test_van_stock_no_qualified_van_carries_enough() -> None:
    # Vehicle 1 carries 3 of part 1 but lacks the skill; only vehicle 0 is qualified and it has 1.
    p = problem(
        [tech(skills=frozenset({0}), stock=(0, 1)), tech(stock=(0, 3))],
        [job(NEAR, skills=frozenset({0}), parts=(0, 2))],
    )
    assert reason_of(p) == Reason(VAN_STOCK, part=1, quantity=2, vehicles=(0,))


def test_shift_service_longer_than_any_shift() -> None:
    # 10-hour job, 9-hour shifts.
    p = problem([tech(), tech(HOME2)], [job(NEAR, minutes=600)])
    assert reason_of(p) == Reason(SHIFT, vehicles=(0, 1))


def test_shift_does_not_apply_when_one_tech_works_long_enough() -> None:
    p = problem([tech(), tech(HOME2, shift=(6, 18))], [job(NEAR, minutes=600)])
    s = run(p)
    assert s.routes[1].visits == (0,)


def test_appointment_window_unreachable_within_any_shift() -> None:
    # Window 08:00-08:20 at FAR (30 min drive from home): nobody leaving at 08:00 gets there in time.
    p = problem([tech()], [job(FAR, window=(hours(8), hours(8) + 1200))])
    assert reason_of(p) == Reason(APPOINTMENT_WINDOW, vehicles=(0,))


def test_appointment_window_reachable_by_an_early_starter() -> None:
    p = problem([tech(), tech(shift=(7, 15))], [job(FAR, window=(hours(8), hours(8) + 1200))])
    assert run(p).routes[1].visits == (0,)


def test_appointment_window_ending_too_late_to_get_home() -> None:
    # Opens 16:50; 30 min of service then 30 min home ends after the 17:00 shift end.
    p = problem([tech()], [job(FAR, window=(hours(16.83), hours(18)))])
    assert reason_of(p) == Reason(APPOINTMENT_WINDOW, vehicles=(0,))


def test_pinned_technician_lacks_skill_and_stock() -> None:
    p = problem(
        [tech(), tech(skills=frozenset({1}), stock=(1, 0))],
        [job(NEAR, skills=frozenset({1}), parts=(1, 0), pinned=0)],
    )
    assert reason_of(p) == Reason(PINNED_TECHNICIAN, vehicle=0, broken=(REQUIRED_SKILL, VAN_STOCK))


def test_fully_booked_names_cheapest_insertion_and_what_it_breaks() -> None:
    # Shift 08:00-09:30 holds one 60-min job at NEAR2 (2 + 60 + 2 = 64 min). Adding the NEAR job: after
    # NEAR2 going home via NEAR... cheapest by travel is on the way (extra 0 m): 1 + 60 + 1 + 60 + 2 = 124 min,
    # back 10:04 > 09:30 -> shift broken.
    p = problem([tech(shift=(8, 9.5))], [job(NEAR, minutes=60), job(NEAR2, minutes=60, drop_penalty=2_000_000)])
    s = run(p)
    assert s.routes[0].visits == (1,)
    assert dict(s.unassigned)[0] == Reason(FULLY_BOOKED, vehicle=0, vehicles=(0,), broken=(SHIFT,), extra_cost=0)


def test_fully_booked_extra_cost_counts_travel_and_lateness() -> None:
    # Route: NEAR2 (km 2) 08:02-09:02, due 09:05. Inserting MID (km 5) adds 5 + 3 - 2 = 6 km = 6000 m
    # either way. Before NEAR2: MID 08:05 on time, NEAR2 starts 09:08, 180 s late x 2 = 360 -> 6360.
    # After NEAR2: MID starts 09:05, due 08:30, 2100 s late x 2 = 4200 -> 10200. Both end after 09:30.
    p = problem(
        [tech(shift=(8, 9.5))],
        [
            job(MID, minutes=60, deadline=hours(8.5), lateness_cost=2),
            job(NEAR2, minutes=60, deadline=hours(9) + 300, lateness_cost=2, drop_penalty=2_000_000),
        ],
    )
    r = reason_of(p)
    assert (r.rule, r.vehicle, r.broken, r.extra_cost) == (FULLY_BOOKED, 0, (SHIFT,), 6360)


def test_fully_booked_prefers_an_insertion_that_breaks_nothing() -> None:
    # Worth too little to serve (penalty 1000 < 2000 m round trip) but fits: nothing broken, cost shown.
    p = problem([tech()], [job(NEAR, drop_penalty=1000)])
    assert reason_of(p) == Reason(FULLY_BOOKED, vehicle=0, vehicles=(0,), broken=(), extra_cost=2000)


def test_fully_booked_by_the_break() -> None:
    lunch = Break(hours(12), hours(12.5), 1800)
    p = problem([tech(break_=lunch)], [job(NEAR, window=(hours(11.75), hours(12.1)))])
    assert reason_of(p).broken == ("break",)


def test_max_orders_every_qualified_tech_is_at_its_cap() -> None:
    p = problem(
        [tech(max_visits=1), tech(HOME2, max_visits=1)],
        [job(NEAR, drop_penalty=3_000_000), job(NEAR2, drop_penalty=2_000_000), job(MID)],
    )
    s = run(p)
    r = dict(s.unassigned)[2]
    assert (r.rule, r.vehicles, r.broken) == (MAX_ORDERS, (0, 1), (MAX_ORDERS,))


def test_not_max_orders_when_one_qualified_tech_has_room() -> None:
    # Vehicle 0 may take one job, vehicle 1 has no cap but only 72 min: one 60-min job each; the cheapest
    # job to leave (MID) is out because vehicle 1 has no time left, not because of a cap.
    p = problem(
        [tech(max_visits=1), tech(shift=(8, 9.2))],
        [job(NEAR, minutes=60, drop_penalty=3_000_000), job(NEAR2, minutes=60, drop_penalty=2_000_000),
         job(MID, minutes=60)],
    )
    r = reason_of(p, 2)
    assert (r.rule, r.vehicles) == (FULLY_BOOKED, (0, 1))


def test_screening_allows_only_vehicles_that_could_ever_serve() -> None:
    p = problem(
        [tech(skills=frozenset({0})), tech(stock=(1,)), tech(shift=(8, 8.1))],
        [job(NEAR, skills=frozenset({0})), job(NEAR2, parts=(1,)), job(MID, minutes=5)],
    )
    allowed = screen(p, tables_of(p)).allowed
    # Vehicle 2 works 6 min: too short for anything but the 5-min job? MID needs 5 + 5 + 5 = 15 min: no.
    assert allowed.tolist() == [[True, False, False], [False, True, False], [True, True, False]]


def test_screening_of_a_day_with_no_technicians() -> None:
    p = problem([], [job(NEAR)])
    s = run(p)
    assert s.unassigned == ((0, Reason(FULLY_BOOKED)),)


def test_pinned_technician_whose_day_is_full() -> None:
    # Pinned to vehicle 0, whose 90-min shift already holds the more valuable 60-min job at NEAR2.
    p = problem(
        [tech(shift=(8, 9.5)), tech()],
        [job(NEAR, minutes=60, pinned=0), job(NEAR2, minutes=60, pinned=0, drop_penalty=2_000_000)],
    )
    r = reason_of(p)
    assert (r.rule, r.vehicle, r.vehicles, r.broken) == (PINNED_TECHNICIAN, 0, (0,), (SHIFT,))
