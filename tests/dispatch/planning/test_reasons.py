"""The sentence a dispatcher reads for each rule that leaves an order out, with and without the detail."""

from __future__ import annotations

import pytest

from dispatch.planning.reasons import reason_text
from dispatch.planning.translate import build_problem
from solver import rules
from solver.problem import Reason
from tests.factories import at, make_day, make_order, make_tech

# T1..T8 have hvac; the day also knows skill "boiler" (O2) and part F1 (T1's van, O3's need)
TECHS = [make_tech("T1", van_stock={"F1": 1})] + [make_tech(f"T{i}") for i in range(2, 9)]
ORDERS = [
    make_order("O1", window_start=at("06:00"), window_end=at("07:00")),
    make_order("O2", required_skills={"hvac", "boiler"}),
    make_order("O3", required_parts={"F1": 2}),
    make_order("O4", duration_min=700, pinned_technician="T2"),
]
BUILT = build_problem(make_day(TECHS, ORDERS))
ORDER = {o.id: o for o in ORDERS}


def text(order_id: str, reason: Reason) -> str:
    return reason_text(BUILT, ORDER[order_id], reason)


def test_required_skill_names_the_missing_skill_or_all_of_them() -> None:
    boiler = BUILT.skills.index("boiler")
    assert text("O2", Reason(rules.REQUIRED_SKILL, skill=boiler)) == "no technician has skill 'boiler'"
    assert text("O2", Reason(rules.REQUIRED_SKILL)) == "no technician has all of the skills 'boiler', 'hvac'"


def test_van_stock_names_the_part_and_quantity_or_the_parts() -> None:
    f1 = BUILT.parts.index("F1")
    assert text("O3", Reason(rules.VAN_STOCK, part=f1, quantity=2)) == "no qualified technician carries 2 x F1"
    # the quantity comes from the order when the reason does not give it
    assert text("O3", Reason(rules.VAN_STOCK, part=f1)) == "no qualified technician carries 2 x F1"
    assert text("O3", Reason(rules.VAN_STOCK)) == "no qualified technician carries the required parts"


def test_appointment_window_and_shift_say_what_cannot_fit() -> None:
    assert text("O1", Reason(rules.APPOINTMENT_WINDOW)) == (
        "appointment window 06:00-07:00 cannot be reached within any qualified technician's shift")
    assert text("O4", Reason(rules.SHIFT)) == "service of 700 min is longer than any qualified technician's shift"


def test_pinned_technician_names_the_technician_and_why() -> None:
    assert text("O4", Reason(rules.PINNED_TECHNICIAN, vehicle=1, broken=(rules.SHIFT,))) == (
        "pinned technician T2 cannot take it: shift")
    assert text("O4", Reason(rules.PINNED_TECHNICIAN)) == (
        "pinned technician T2 cannot take it: it does not fit the route")


def test_fully_booked_names_the_qualified_technicians_and_the_cheapest_insertion() -> None:
    assert text("O1", Reason(rules.FULLY_BOOKED, vehicles=(0,))) == (
        "the only qualified technician (T1) is fully booked")
    many = text("O1", Reason(rules.FULLY_BOOKED, vehicles=tuple(range(8))))
    assert many == "all 8 qualified technicians (T1, T2, T3, T4, T5, T6 and 2 more) are fully booked"
    # the insertion's cost (solver units) is not shown, only the rule it would break
    with_insertion = text("O1", Reason(rules.FULLY_BOOKED, vehicles=(0, 1), vehicle=1, extra_cost=4500,
                                       broken=(rules.RESPONSE_DEADLINE,)))
    assert with_insertion == ("all 2 qualified technicians (T1, T2) are fully booked; fitting it in at the best "
                              "place, on T2's route, would break response deadline")
    assert "cost" not in with_insertion
    assert text("O1", Reason(rules.FULLY_BOOKED, vehicles=(0, 1), vehicle=0)).endswith(
        "on T1's route, would push out a higher-priority visit")


@pytest.mark.parametrize(("vehicles", "expected"), [
    ((0,), "the only qualified technician (T1) has reached max orders"),
    ((0, 2), "all 2 qualified technicians (T1, T3) have reached their max orders"),
])
def test_max_orders_says_the_day_is_full_by_count(vehicles, expected) -> None:
    assert text("O1", Reason(rules.MAX_ORDERS, vehicles=vehicles)) == expected
