"""Who could take an order: each rule of the screening offers or refuses a technician, in a dispatcher's words."""

from __future__ import annotations

from dispatch.planning.candidates import candidates
from solver import rules
from tests.factories import at, make_day, make_order, make_tech

# T1 is the one who fits; each of the others breaks one rule
TECHS = [
    make_tech("T1", skills={"hvac", "refrigeration"}, van_stock={"CMP-900": 1}),
    make_tech("T2", skills={"plumbing"}, van_stock={"CMP-900": 1}),
    make_tech("T3", skills={"hvac", "refrigeration"}),
    make_tech("T4", skills={"hvac", "refrigeration"}, van_stock={"CMP-900": 1}, shift_start=at("08:00"),
              shift_end=at("09:00")),
    make_tech("T5", skills={"hvac", "refrigeration"}, van_stock={"CMP-900": 1}, shift_start=at("13:00"),
              shift_end=at("17:00")),
]
ORDER = make_order("O59", required_skills={"hvac", "refrigeration"}, required_parts={"CMP-900": 1}, duration_min=90,
                   window_start=at("09:00"), window_end=at("11:00"), pinned_technician="T2")


def _by_id():
    return {c.technician_id: c for c in candidates(make_day(TECHS, [ORDER]), ORDER)}


def test_the_technician_who_has_everything_fits_despite_a_pin_elsewhere() -> None:
    t1 = _by_id()["T1"]
    assert t1.fits
    assert t1.reason is None
    assert t1.rules == ()


def test_each_rule_refuses_in_words() -> None:
    by_id = _by_id()
    assert by_id["T2"].reason == "lacks hvac and refrigeration"
    assert by_id["T2"].rules == (rules.REQUIRED_SKILL,)
    assert by_id["T3"].reason == "van holds 0 of 1 × CMP-900"
    assert by_id["T3"].rules == (rules.VAN_STOCK,)
    # a 90 min visit in a one-hour shift breaks the shift, and the window cannot be reached in it either
    assert by_id["T4"].rules == (rules.SHIFT, rules.APPOINTMENT_WINDOW)
    assert by_id["T4"].reason.startswith("the 90 min visit and the drive there and back do not fit in the shift "
                                         "08:00–09:00")
    assert by_id["T5"].rules == (rules.APPOINTMENT_WINDOW,)
    assert by_id["T5"].reason == "shift starts at 13:00, after the order's window 09:00–11:00"
    assert not any(by_id[t].fits for t in ("T2", "T3", "T4", "T5"))


def test_a_day_nobody_works_has_no_candidates() -> None:
    assert candidates(make_day([], []), ORDER) == ()
