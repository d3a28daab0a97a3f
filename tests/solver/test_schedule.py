"""The earliest schedule of a fixed route: break placement, just-in-time departure, broken rules."""

from __future__ import annotations

from solver import Break
from solver.problem import APPOINTMENT_WINDOW, BREAK, SHIFT
from solver.rules import broken_rules
from solver.schedule import earliest
from tests.solver.conftest import MID, NEAR, hours, job, problem, tech

LUNCH = Break(hours(8) + 120, hours(9), 1800)  # may start from 08:02, must end by 09:00


def test_break_that_starts_during_a_drive_adds_its_length_to_the_leg() -> None:
    # Leaves 08:00 for MID (5 min); the break may start 08:02: arrival 08:05 + 30 min = 08:35.
    p = problem([tech(break_=LUNCH)], [job(MID)])
    t = earliest(p, 0, [0], 0)
    assert (t.break_start, t.arrivals, t.starts) == (hours(8) + 120, (hours(8.5) + 300,), (hours(8.5) + 300,))


def test_greedy_takes_the_break_before_it_can_no_longer_fit() -> None:
    # NEAR then MID, 30 min each. After NEAR (08:01-08:31) the break would end 09:01, past 09:00, so it
    # goes on the leg to NEAR: 08:02-08:32, NEAR starts 08:32.
    p = problem([tech(break_=LUNCH)], [job(NEAR), job(MID)])
    t = earliest(p, 0, [0, 1])
    assert (t.break_leg, t.break_start, t.starts[0]) == (0, hours(8) + 120, hours(8) + 32 * 60)
    assert broken_rules(p, 0, [0, 1], t) == ()


def test_break_pushed_too_late_is_named() -> None:
    p = problem([tech(break_=LUNCH)], [job(NEAR), job(MID)])
    t = earliest(p, 0, [0, 1], 2)  # on the way home, ~09:07: past 09:00
    assert broken_rules(p, 0, [0, 1], t) == (BREAK,)


def test_just_in_time_departure_keeps_the_first_start() -> None:
    p = problem([tech()], [job(MID, window=(hours(10), hours(11)))])
    early, jit = earliest(p, 0, [0]), earliest(p, 0, [0], just_in_time=True)
    assert early.starts == jit.starts == (hours(10),)
    assert (early.depart, jit.depart, jit.arrivals) == (hours(8), hours(10) - 300, (hours(10),))


def test_window_and_shift_broken_by_an_overfull_route() -> None:
    p = problem([tech(shift=(8, 9))], [job(NEAR, minutes=50), job(MID, window=(hours(8), hours(8.5)))])
    t = earliest(p, 0, [0, 1])
    assert broken_rules(p, 0, [0, 1], t) == (APPOINTMENT_WINDOW, SHIFT)
