from datetime import date, datetime

import pytest

from dispatch.domain import Day, Order, Priority, Technician

D = datetime(2026, 11, 24)


def tech(**kw):
    base = dict(id="T1", name="Ana", skills={"hvac"}, home_lat=45.76, home_lon=4.84,
                shift_start=D.replace(hour=8), shift_end=D.replace(hour=17))
    return Technician(**(base | kw))


def order(**kw):
    base = dict(id="O1", customer="Acme", lat=45.75, lon=4.85, priority="P2", required_skills={"hvac"},
                duration_min=60, created_at=D.replace(hour=7))
    return Order(**(base | kw))


def test_valid_technician_and_order_freeze_their_collections():
    t = tech(van_stock={"FLT-100": 3})
    o = order(required_parts={"FLT-100": 1})
    assert t.skills == frozenset({"hvac"})
    assert o.priority is Priority.P2
    with pytest.raises(TypeError):
        t.van_stock["FLT-100"] = 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(home_lat=123.4), "lat 123.4 is outside -90..90"),
        (dict(home_lon=-190.0), "lon -190.0 is outside -180..180"),
        (dict(shift_end=D.replace(hour=7)), "shift_end 07:00 is before shift_start 08:00"),
        (dict(break_start=D.replace(hour=12)), "break_start and break_end must be given together"),
        (dict(break_start=D.replace(hour=12), break_end=D.replace(hour=12, minute=20), break_minutes=30),
         "does not fit"),
        (dict(max_orders=-1), "max_orders -1 is negative"),
        (dict(van_stock={"FLT-100": -2}), "quantity -2 of FLT-100 is negative"),
    ],
)
def test_technician_rejects_bad_fields_naming_them(kw, message):
    with pytest.raises(ValueError, match=message):
        tech(**kw)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(lat=-91.0), "lat -91.0 is outside"),
        (dict(priority="P9"), "P9"),
        (dict(duration_min=-5), "duration_min -5 is negative"),
        (dict(window_start=D.replace(hour=12), window_end=D.replace(hour=11)), "window_end 11:00 is before"),
        (dict(sla_hours=0), "order O1: sla_hours 0 must be a number > 0"),
        (dict(sla_hours=float("nan")), "sla_hours nan must be"),
    ],
)
def test_order_rejects_bad_fields_naming_them(kw, message):
    with pytest.raises(ValueError, match=message):
        order(**kw)


def test_day_rejects_duplicate_ids_and_unknown_pins():
    with pytest.raises(ValueError, match="order id 'O1' is duplicated"):
        Day(date(2026, 11, 24), (tech(),), (order(), order()))
    with pytest.raises(ValueError, match="pinned_technician 'T9'"):
        Day(date(2026, 11, 24), (tech(),), (order(pinned_technician="T9"),))
    day = Day(date(2026, 11, 24), (tech(),), (order(pinned_technician="T1"),))
    assert day.midnight == D
