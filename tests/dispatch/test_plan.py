import json
from datetime import date, datetime

import pytest

from dispatch.plan import Change, Churn, Kpis, Plan, Route, Stop, Unassigned


def test_plan_json_round_trip_follows_the_contract():
    d = datetime(2026, 11, 24, 8, 21)
    stop = Stop("O0042", d, d, d.replace(hour=9), 7.9, 15.4, 0)
    route = Route("T001", (stop,), (datetime(2026, 11, 24, 12), datetime(2026, 11, 24, 12, 30)), 41.2)
    plan = Plan(date(2026, 11, 24), (route,), (Unassigned("O0077", "no technician has skill 'boiler'"),))
    data = plan.to_dict()
    assert data["routes"][0]["stops"][0] == {
        "order_id": "O0042", "arrival": "2026-11-24T08:21:00", "start": "2026-11-24T08:21:00",
        "end": "2026-11-24T09:21:00", "travel_km": 7.9, "travel_minutes": 15.4, "late_minutes": 0,
        "status": "planned",
    }
    assert data["routes"][0]["break"] == {"start": "2026-11-24T12:00:00", "end": "2026-11-24T12:30:00"}
    assert Plan.from_json(plan.to_json()) == plan


def test_stop_times_must_be_in_order():
    d = datetime(2026, 11, 24, 9)
    with pytest.raises(ValueError, match="out of order"):
        Stop("O1", d, d.replace(hour=8), d.replace(hour=10), 1.0, 2.0, 0)


def test_a_replan_round_trips_its_statuses_changes_and_churn_and_older_plans_still_load():
    d = datetime(2026, 11, 24, 8, 21)
    done = Stop("O1", d, d, d.replace(hour=9), 1.0, 2.0, 0, status="done")
    route = Route("T1", (done, Stop("O2", d.replace(hour=10), d.replace(hour=10), d.replace(hour=11), 1, 2, 0)),
                  None, 3.0)
    change = Change("O2", "reassigned", "T2", "T1", 25.0)
    kpis = Kpis(orders=2, served=2, unassigned=0, technicians=1, technicians_used=1, by_priority={},
                total_late_minutes=0, max_late_minutes=0, travel_km=3, travel_minutes=4, utilization={},
                mean_utilization=0, unassigned_by_reason={}, objective={},
                churn=Churn(reassigned=1, shifted_over_15_min=1, max_eta_shift_minutes=25, technicians_affected=2))
    plan = Plan(date(2026, 11, 24), (route,), (), kpis=kpis, changes=(change,), at=d.replace(hour=9, minute=30))
    data = json.loads(plan.to_json())
    assert [s["status"] for s in data["routes"][0]["stops"]] == ["done", "planned"]
    assert data["changes"] == [{"order_id": "O2", "change": "reassigned", "from_technician": "T2",
                                "to_technician": "T1", "eta_shift_minutes": 25.0}]
    assert data["kpis"]["churn"] == {"reassigned": 1, "shifted_over_15_min": 1, "max_eta_shift_minutes": 25.0,
                                     "technicians_affected": 2}
    assert Plan.from_json(plan.to_json()) == plan
    for stop in data["routes"][0]["stops"]:
        del stop["status"]
    del data["changes"], data["at"], data["kpis"]["churn"]
    older = Plan.from_dict(data)
    assert all(s.status == "planned" for s in older.routes[0].stops)
    assert older.changes == ()
    with pytest.raises(ValueError, match="status 'lost'"):
        Stop("O3", d, d, d, 0, 0, 0, status="lost")
