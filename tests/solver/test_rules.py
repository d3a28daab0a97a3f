"""The rule book: each predicate where it binds and where it does not, the expected values worked out in
the comments. Times are seconds from midnight (hours(8) = 28,800)."""

from __future__ import annotations

import solver
import solver.problem
from solver import Break, rules
from solver.schedule import Timing
from tests.solver.conftest import MID, NEAR, hours, job, problem, tech

LUNCH = Break(hours(12), hours(13), 1800)  # 30 min between 12:00 and 13:00


def test_every_name_once_hard_rules_first() -> None:
    assert len(set(rules.ALL_RULES)) == len(rules.ALL_RULES) == 19
    assert rules.ALL_RULES[: len(rules.HARD_RULES)] == rules.HARD_RULES
    assert rules.ALL_RULES[-len(rules.SOFT_RULES):] == rules.SOFT_RULES
    assert rules.FULLY_BOOKED not in rules.HARD_RULES + rules.SOFT_RULES  # a reason, not a rule of the model


def test_the_names_stay_importable_from_problem_and_the_package() -> None:
    for name in ("REQUIRED_SKILL", "VAN_STOCK", "APPOINTMENT_WINDOW", "SHIFT", "BREAK", "MAX_ORDERS",
                 "PINNED_TECHNICIAN", "FULLY_BOOKED", "RESPONSE_DEADLINE", "UNSERVED", "TRAVEL", "WORKLOAD_BALANCE",
                 "REFUSED_TECHNICIAN", "OVER_QUALIFICATION", "PREFERRED_TECHNICIAN"):
        assert getattr(solver.problem, name) == getattr(solver, name) == getattr(solver.rules, name)
        assert getattr(solver.rules, name) in rules.ALL_RULES


def test_shift_binds_when_home_after_the_shift_end() -> None:
    v = tech(shift=(8, 17))
    assert rules.overruns_shift(v, hours(17) + 1)  # one second past 17:00
    assert not rules.overruns_shift(v, hours(17))  # home at 17:00 sharp is on time


def test_required_skill_binds_when_one_skill_is_missing() -> None:
    v = tech(skills=frozenset({0, 1}))
    assert not rules.qualified(v, job(NEAR, skills=frozenset({2})))  # {2} is not within {0, 1}
    assert rules.qualified(v, job(NEAR, skills=frozenset({0, 1})))
    assert rules.qualified(v, job(NEAR))  # no skill required


def test_pinned_technician_binds_on_every_other_vehicle() -> None:
    pinned = job(NEAR, pinned=1)
    assert not rules.pin_allows(pinned, 0)
    assert rules.pin_allows(pinned, 1)
    assert rules.pin_allows(job(NEAR), 0)  # not pinned: anyone


def test_appointment_window_binds_after_it_closes_not_before_it_opens() -> None:
    x = job(NEAR, window=(hours(9), hours(10)))
    assert rules.misses_window(x.window, hours(10) + 1)
    assert not rules.misses_window(x.window, hours(10))  # starting at the closing second is in time
    assert not rules.misses_window(x.window, hours(8))  # early: the technician waits, the scheduler starts at 09:00
    assert not rules.misses_window(job(NEAR).window, hours(23))  # no window


def test_break_is_due_only_when_its_window_overlaps_the_shift_by_its_length() -> None:
    assert rules.break_of(tech(break_=LUNCH)) == LUNCH
    # Shift 08:00-12:15, window 12:00-13:00: 15 min of overlap < 30 min, so no break can be due.
    assert rules.break_of(tech(shift=(8, 12.25), break_=LUNCH)) is None
    assert rules.break_of(tech()) is None


def test_break_binds_when_it_ends_after_its_window() -> None:
    assert rules.break_overruns(LUNCH, hours(12.5) + 1)  # 12:30:01 + 30 min = 13:00:01 > 13:00
    assert not rules.break_overruns(LUNCH, hours(12.5))  # ends 13:00 sharp


def test_van_stock_binds_on_the_sum_over_the_visits() -> None:
    v = tech(stock=(2, 0))
    one, two = job(NEAR, parts=(1,)), job(MID, parts=(1,))
    assert rules.parts_needed([one, two]) == {0: 2}
    assert rules.carries(v, [one, two])  # 1 + 1 = 2 <= 2
    assert not rules.carries(v, [one, two, job(NEAR, parts=(1,))])  # 3 > 2
    assert not rules.carries(v, [job(NEAR, parts=(0, 1))])  # part 1: 1 > 0
    assert rules.carries(tech(), [job(NEAR)])  # nothing needed


def test_max_orders_binds_above_the_cap() -> None:
    v = tech(max_visits=2)
    assert rules.over_max_orders(v, 3)
    assert not rules.over_max_orders(v, 2)
    assert not rules.over_max_orders(tech(), 1000)  # no cap


def test_response_deadline_costs_per_second_late() -> None:
    x = job(NEAR, deadline=hours(10), lateness_cost=3)
    assert rules.lateness(x, hours(10) + 600) == 1800  # 600 s late x 3 = 1,800
    assert rules.lateness(x, hours(10)) == 0
    assert rules.lateness(job(NEAR), hours(23)) == 0  # no deadline


def _timing(starts: tuple[int, ...], back: int, break_start: int | None = None) -> Timing:
    return Timing(depart=hours(8), arrivals=starts, starts=starts, back=back, break_start=break_start, break_leg=None)


def test_broken_rules_names_each_broken_rule_in_order() -> None:
    p = problem([tech(shift=(8, 12.5), stock=(1,), max_visits=1, break_=LUNCH)],
                [job(NEAR, window=(hours(9), hours(9)), parts=(1,)), job(MID, parts=(1,))])
    # Visit 0 starts 09:01 (window closes 09:00), home 12:31 (> 12:30), break 12:31 ends 13:01 (> 13:00),
    # parts 1 + 1 = 2 > 1, two visits > max 1: every rule in the stated order.
    bad = _timing((hours(9) + 60, hours(10)), hours(12.5) + 60, hours(12.5) + 60)
    assert rules.broken_rules(p, 0, [0, 1], bad) == (rules.APPOINTMENT_WINDOW, rules.SHIFT, rules.BREAK, rules.VAN_STOCK, rules.MAX_ORDERS)
    good = _timing((hours(9),), hours(10), hours(12))
    assert rules.broken_rules(p, 0, [0], good) == ()
