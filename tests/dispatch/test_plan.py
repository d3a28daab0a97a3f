from datetime import date, datetime

import pytest

from dispatch.plan import Plan, Route, Stop, Unassigned


def test_plan_json_round_trip_follows_the_contract():
    d = datetime(2026, 11, 24, 8, 21)
    stop = Stop("O0042", d, d, d.replace(hour=9), 7.9, 15.4, 0)
    route = Route("T001", (stop,), (datetime(2026, 11, 24, 12), datetime(2026, 11, 24, 12, 30)), 41.2)
    plan = Plan(date(2026, 11, 24), (route,), (Unassigned("O0077", "no technician has skill 'boiler'"),))
    data = plan.to_dict()
    assert data["routes"][0]["stops"][0] == {
        "order_id": "O0042", "arrival": "2026-11-24T08:21:00", "start": "2026-11-24T08:21:00",
        "end": "2026-11-24T09:21:00", "travel_km": 7.9, "travel_minutes": 15.4, "late_minutes": 0,
    }
    assert data["routes"][0]["break"] == {"start": "2026-11-24T12:00:00", "end": "2026-11-24T12:30:00"}
    assert Plan.from_json(plan.to_json()) == plan


def test_stop_times_must_be_in_order():
    d = datetime(2026, 11, 24, 9)
    with pytest.raises(ValueError, match="out of order"):
        Stop("O1", d, d.replace(hour=8), d.replace(hour=10), 1.0, 2.0, 0)
