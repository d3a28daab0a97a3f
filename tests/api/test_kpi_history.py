"""The standards over days (GET /api/v1/kpis): a small history built by hand, the figures worked out below.

The service clock is Friday 2026-11-20 12:00, so the days of the history are over and kept in kpi_days.

    order  prio cust created       deadline (policy)   visits
    O7     P3   C1   11-10 09:00   11-11 09:00         TA 11-11 08:30-09:00 unresolved (before the range)
    O1     P1   C1   11-16 08:00   11-16 12:00         TA 11-16 start 09:00 done 10:00 fixed, score 5
    O2     P2   C1   11-16 07:00   11-16 15:00         TA 11-16 start 16:00 done 17:00 unresolved, score 2;
                                                       TB 11-17 start 09:00 done 09:30 solved, score 4,
                                                       2 parts x 15.00 used by TB on 11-17
    O3     P3   C2   11-16 10:00   11-17 10:00         TB 11-17 arrived 08:00 done 08:30 fixed, score 3
    O5     P4   C2   11-16 12:00   -                   cancelled 11-16 13:00, never visited
    O4     P2   C2   11-17 08:00   11-17 16:00         never visited: missed on 11-17
    O6     P1   C1   11-18 08:00   11-18 12:00         TA 11-18 start 10:00 done 11:00 fixed, score 1

Published routes: TA on 11-16 (12.5 km, 30 travel minutes), TB on 11-17 (20 km, 45 minutes). Shifts 08:00-17:00,
no break: 540 available minutes a working day. Hourly costs TA 30.00, TB 24.00; a km costs 0.35. A complaint
of C1 about O2 (TA's) on 11-17. Resolution window: 7 days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from api import deps
from api.complaints.models import Complaint
from api.config import Settings
from api.customers.models import Customer
from api.orders.models import Order
from api.parts.models import Part, StockMovement
from api.plans.models import PlanJob, PublishedPlan, PublishedRoute, PublishedStop
from api.standards import service as standards
from api.standards.history import targets as history_targets
from api.standards.models import KpiDay
from api.visits.models import Visit
from tests.api.conftest import World

NOW = datetime(2026, 11, 20, 12, 0)
KPIS = "/api/v1/kpis"


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-{text}")


def _order(oid: str, prio: str, customer: str, created: str, **extra: Any) -> Order:
    return Order(id=oid, customer_id=customer, lat=45.76, lon=4.84, priority=prio, required_skills=["hvac"],
                 duration_min=30, created_at=at(created), required_parts={}, **extra)


def _publish(session: Any, day: date, tech: str, km: float, minutes: float, stops: list[str]) -> None:
    plan_id = f"PLAN-{day}"
    if session.get(PlanJob, plan_id) is None:
        session.add(PlanJob(id=plan_id, date=day, status="done", policy={}, pins={}, plan={},
                            deadline_at=datetime.combine(day, datetime.min.time())))
        session.flush()
        session.add(PublishedPlan(date=day, plan_id=plan_id, published_at=datetime.combine(day, datetime.min.time())))
        session.flush()
    session.add(PublishedRoute(date=day, technician_id=tech, plan_id=plan_id, published_at=NOW,
                               route={"travel_km": km, "travel_minutes": minutes,
                                      "stops": [{"order_id": o} for o in stops]}))
    for o in stops:
        session.add(PublishedStop(date=day, order_id=o, technician_id=tech))


def build_history(world: World) -> World:
    """The history of the module docstring (the world has a supervisor user, "super")."""
    c, h = world.client, world.as_("disp")
    assert c.patch("/api/v1/technicians/TA", json={"hourly_cost": "30.00"}, headers=h).status_code == 200
    assert c.patch("/api/v1/technicians/TB", json={"hourly_cost": "24"}, headers=h).status_code == 200
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as s:
        s.add_all([Customer(id="C1", name="Hôtel Dieu"), Customer(id="C2", name="Boulangerie")])
        s.flush()
        s.add_all([
            _order("O7", "P3", "C1", "11-10T09:00"), _order("O1", "P1", "C1", "11-16T08:00", status="done"),
            _order("O2", "P2", "C1", "11-16T07:00", status="done"), _order("O3", "P3", "C2", "11-16T10:00"),
            _order("O5", "P4", "C2", "11-16T12:00", status="cancelled", cancelled_at=at("11-16T13:00")),
            _order("O4", "P2", "C2", "11-17T08:00"), _order("O6", "P1", "C1", "11-18T08:00", status="done"),
            Part(id="P-VLV", name="valve", unit_cost=Decimal("15.00")),
        ])
        s.flush()
        _publish(s, date(2026, 11, 16), "TA", 12.5, 30, ["O1", "O2"])
        _publish(s, date(2026, 11, 17), "TB", 20.0, 45, ["O2", "O3"])
        visits = [
            Visit(order_id="O7", technician_id="TA", date=date(2026, 11, 11), started_at=at("11-11T08:30"),
                  done_at=at("11-11T09:00"), resolved=False, fixed_first_time=False, reason="part_missing"),
            Visit(order_id="O1", technician_id="TA", date=date(2026, 11, 16), arrived_at=at("11-16T08:55"),
                  started_at=at("11-16T09:00"), done_at=at("11-16T10:00"), fixed_first_time=True, resolved=True,
                  customer_score=5),
            Visit(order_id="O2", technician_id="TA", date=date(2026, 11, 16), started_at=at("11-16T16:00"),
                  done_at=at("11-16T17:00"), fixed_first_time=False, resolved=False, reason="part_missing",
                  customer_score=2),
            Visit(order_id="O2", technician_id="TB", date=date(2026, 11, 17), started_at=at("11-17T09:00"),
                  done_at=at("11-17T09:30"), resolved=True, customer_score=4),
            Visit(order_id="O3", technician_id="TB", date=date(2026, 11, 17), arrived_at=at("11-17T08:00"),
                  done_at=at("11-17T08:30"), fixed_first_time=True, resolved=True, customer_score=3),
            Visit(order_id="O6", technician_id="TA", date=date(2026, 11, 18), started_at=at("11-18T10:00"),
                  done_at=at("11-18T11:00"), fixed_first_time=True, resolved=True, customer_score=1),
        ]
        s.add_all(visits)
        s.flush()
        for v in visits:  # the alerts a low score raises, as recording the visit does
            standards.on_visit(s, visit=v, order=s.get(Order, v.order_id))  # type: ignore[arg-type]
        s.add(StockMovement(kind="consume", part_id="P-VLV", quantity=2, order_id="O2", technician_id="TB",
                            from_location_id="VAN-TB",
                            unit_cost=Decimal("15.00"), at=at("11-17T09:25")))
        s.add(Complaint(customer_id="C1", order_id="O2", technician_id="TA", channel="phone", text="came back twice",
                        received_at=at("11-17T14:00"), response_due=at("11-18T14:00"),
                        resolution_due=at("11-20T14:00")))
        s.commit()
    return world


@pytest.fixture(name="history")
def history_fixture(world: World) -> Iterator[World]:
    overrides = world.client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[deps.service_now] = lambda: NOW
    try:
        yield build_history(world)
    finally:
        overrides.pop(deps.service_now, None)


def _get(world: World, query: str, who: str = "super") -> dict[str, Any]:
    r = world.client.get(f"{KPIS}?{query}", headers=world.as_(who))
    assert r.status_code == 200, r.text
    return r.json()


def _sla(started: int, on_time: int, overdue: int, share: float | None, median: float | None,
         p90: float | None) -> dict[str, Any]:
    return {"started": started, "on_time": on_time, "overdue_unvisited": overdue, "share": share,
            "response_median_min": median, "response_p90_min": p90}


NO_SLA = _sla(0, 0, 0, None, None, None)


def test_each_day_worked_out_by_hand(history: World) -> None:
    k = _get(history, "from=2026-11-16&to=2026-11-18&by=day")
    assert (k["from"], k["to"], k["by"]) == ("2026-11-16", "2026-11-18", "day")
    assert k["targets"]["sla"] == {"P1": 0.95, "P2": 0.95, "P3": 0.9, "P4": 0.9}
    assert k["targets"]["first_time_fix"] == 0.8
    assert k["targets"]["cost_per_solved"] is None  # no default: a deployment sets what a solved order may cost
    d16, d17, d18 = k["rows"]
    assert [(r["key"], r["from"], r["to"]) for r in k["rows"]] == [
        ("2026-11-16", "2026-11-16", "2026-11-16"), ("2026-11-17", "2026-11-17", "2026-11-17"),
        ("2026-11-18", "2026-11-18", "2026-11-18")]

    # 11-16: O1, O2, O3 created (O5 cancelled before any visit is not counted); TA visits O1 and O2
    assert (d16["orders_created"], d16["visits"], d16["visits_done"], d16["repeat_visits"]) == (3, 2, 2, 0)
    # O1 P1 created 08:00, started 09:00: 60 min, by 12:00; O2 P2 created 07:00, started 16:00: 540 min, after 15:00
    assert d16["sla"] == {"P1": _sla(1, 1, 0, 1.0, 60.0, 60.0), "P2": _sla(1, 0, 0, 0.0, 540.0, 540.0),
                          "P3": NO_SLA, "P4": NO_SLA}
    assert d16["sla_share"] == 0.5
    assert d16["first_time_fix"] == {"first_visits_done": 2, "fixed": 1, "rate": 0.5}
    assert d16["resolution"] == {"orders": 1, "resolved": 1, "rate": 1.0, "within_days": 7}  # O1
    assert d16["score"] == {"count": 2, "average": 3.5, "low": 1, "low_share": 0.5}
    assert d16["low_score_alerts"] == 1
    assert d16["complaints"] == {"received": 0, "rate": 0.0}
    # TA: on site 60 + 60, travel 30 = 150 of 540 minutes
    assert d16["utilization"] == round(150 / 540, 4)
    assert d16["travel_km"] == 12.5
    # labour 150 min = 2.5 h x 30.00 = 75.00; travel 12.5 km x 0.35 = 4.375 -> 4.38
    assert d16["costs"] == {"labour": "75.00", "travel": "4.38", "parts": "0.00", "total": "79.38"}
    assert (d16["orders_solved"], d16["cost_per_solved"]) == (1, "79.38")

    # 11-17: O4 created; TB's repeat visit solves O2, first visit fixes O3; O4 (due 16:00) nobody visited
    assert (d17["orders_created"], d17["visits"], d17["visits_done"], d17["repeat_visits"]) == (1, 2, 2, 1)
    # O3 P3 created 11-16 10:00, service from its arrival 08:00: 22 h = 1320 min, by 10:00; O2 counted on 11-16
    assert d17["sla"] == {"P1": NO_SLA, "P2": _sla(0, 0, 1, 0.0, None, None),
                          "P3": _sla(1, 1, 0, 1.0, 1320.0, 1320.0), "P4": NO_SLA}
    assert d17["sla_share"] == 0.5
    assert d17["first_time_fix"] == {"first_visits_done": 1, "fixed": 1, "rate": 1.0}
    # O2 and O3 solved within 7 days; O7's window (11-10 09:00 + 7 days) closed on 11-17 unsolved
    assert d17["resolution"] == {"orders": 3, "resolved": 2, "rate": 0.6667, "within_days": 7}
    assert d17["score"] == {"count": 2, "average": 3.5, "low": 0, "low_share": 0.0}
    assert d17["complaints"] == {"received": 1, "rate": 0.5}
    # TB: on site 30 + 30, travel 45 = 105 of 540; labour 1.75 h x 24.00 = 42.00; travel 20 x 0.35 = 7.00
    assert d17["utilization"] == round(105 / 540, 4)
    assert d17["costs"] == {"labour": "42.00", "travel": "7.00", "parts": "30.00", "total": "79.00"}
    assert (d17["orders_solved"], d17["cost_per_solved"]) == (2, "39.50")

    # 11-18: O6 created and fixed by TA (started 10:00, 120 min), score 1; no published route that day
    assert d18["sla"]["P1"] == _sla(1, 1, 0, 1.0, 120.0, 120.0)
    assert d18["score"] == {"count": 1, "average": 1.0, "low": 1, "low_share": 1.0}
    assert d18["utilization"] == round(60 / 540, 4)
    assert d18["costs"] == {"labour": "30.00", "travel": "0.00", "parts": "0.00", "total": "30.00"}

    t = k["total"]
    # response minutes of the period: P1 [60, 120]: median 90, p90 60 + 0.9 x 60 = 114
    assert t["sla"]["P1"] == _sla(2, 2, 0, 1.0, 90.0, 114.0)
    assert t["sla"]["P2"] == _sla(1, 0, 1, 0.0, 540.0, 540.0)
    assert t["sla_share"] == 0.6  # 3 on time of 5 counted
    assert t["first_time_fix"] == {"first_visits_done": 4, "fixed": 3, "rate": 0.75}
    assert t["resolution"] == {"orders": 5, "resolved": 4, "rate": 0.8, "within_days": 7}
    assert t["score"] == {"count": 5, "average": 3.0, "low": 2, "low_share": 0.4}
    assert t["complaints"] == {"received": 1, "rate": 0.2}
    assert t["utilization"] == round(315 / 1620, 4)
    assert t["costs"] == {"labour": "147.00", "travel": "11.38", "parts": "30.00", "total": "188.38"}
    assert (t["orders_solved"], t["cost_per_solved"]) == (4, "47.10")  # 188.38 / 4 = 47.095
    # the totals are the sums of the rows
    for name in ("orders_created", "orders_visited", "visits", "visits_done", "repeat_visits", "low_score_alerts",
                 "orders_solved"):
        assert t[name] == sum(r[name] for r in k["rows"]), name
    for name in ("labour", "travel", "parts", "total"):
        assert Decimal(t["costs"][name]) == sum(Decimal(r["costs"][name]) for r in k["rows"]), name
    assert t["travel_km"] == pytest.approx(sum(r["travel_km"] for r in k["rows"]))


def test_empty_days_have_zero_counts_and_no_rates(history: World) -> None:
    k = _get(history, "from=2026-11-13&to=2026-11-14")
    assert [r["key"] for r in k["rows"]] == ["2026-11-13", "2026-11-14"]
    for row in [*k["rows"], k["total"]]:
        assert (row["visits"], row["orders_created"], row["travel_km"]) == (0, 0, 0.0)
        assert row["sla_share"] is None
        assert row["first_time_fix"]["rate"] is None
        assert row["utilization"] is None
        assert row["costs"]["total"] == "0.00"
        assert row["cost_per_solved"] is None


def test_weeks_months_technicians_and_customers(history: World) -> None:
    weeks = _get(history, "from=2026-11-13&to=2026-11-18&by=week")
    assert [(r["key"], r["from"], r["to"]) for r in weeks["rows"]] == [
        ("2026-W46", "2026-11-13", "2026-11-15"), ("2026-W47", "2026-11-16", "2026-11-18")]
    assert weeks["rows"][0]["visits"] == 0
    assert weeks["rows"][1]["costs"]["total"] == weeks["total"]["costs"]["total"] == "188.38"
    assert weeks["rows"][1]["sla"]["P1"]["response_p90_min"] == 114.0  # over the week's minutes, not days'

    months = _get(history, "from=2026-10-30&to=2026-11-18&by=month")
    assert [(r["key"], r["from"], r["to"]) for r in months["rows"]] == [
        ("2026-10", "2026-10-30", "2026-10-31"), ("2026-11", "2026-11-01", "2026-11-18")]
    # November from the 1st holds O7's visit of 11-11 too (TA, 30 min on site: 15.00 of labour)
    assert months["rows"][1]["visits"] == 6
    assert months["rows"][1]["costs"]["labour"] == "162.00"

    techs = {r["key"]: r for r in _get(history, "from=2026-11-16&to=2026-11-18&by=technician")["rows"]}
    assert list(techs) == ["TA", "TB"]
    ta, tb = techs["TA"], techs["TB"]
    assert (ta["label"], ta["from"], ta["to"]) == ("Tech TA", None, None)
    assert (ta["visits"], ta["repeat_visits"], ta["low_score_alerts"]) == (3, 0, 2)
    assert ta["first_time_fix"] == {"first_visits_done": 3, "fixed": 2, "rate": 0.6667}  # O1, O6 of O1, O2, O6
    assert ta["sla_share"] == 0.6667  # O1, O6 on time, O2 late
    # O1 and O6 solved; O7 (last visited by TA) closed its window unsolved
    assert ta["resolution"] == {"orders": 3, "resolved": 2, "rate": 0.6667, "within_days": 7}
    assert ta["score"] == {"count": 3, "average": 2.6667, "low": 2, "low_share": 0.6667}
    assert ta["complaints"]["received"] == 1
    assert ta["costs"] == {"labour": "105.00", "travel": "4.38", "parts": "0.00", "total": "109.38"}
    assert ta["utilization"] == round(210 / 1080, 4)
    assert (tb["visits"], tb["repeat_visits"], tb["first_time_fix"]["rate"], tb["sla_share"]) == (2, 1, 1.0, 1.0)
    assert tb["costs"] == {"labour": "42.00", "travel": "7.00", "parts": "30.00", "total": "79.00"}

    customers = {r["key"]: r for r in _get(history, "from=2026-11-16&to=2026-11-18&by=customer")["rows"]}
    c1, c2 = customers["C1"], customers["C2"]
    assert (c1["label"], c2["label"]) == ("Hôtel Dieu", "Boulangerie")
    assert (c1["orders_created"], c1["visits"], c1["complaints"]["received"]) == (3, 4, 1)
    assert c1["resolution"] == {"orders": 4, "resolved": 3, "rate": 0.75, "within_days": 7}  # O1, O2, O6; O7 not
    # C2: O3 on time, O4 missed; O5 cancelled before any visit is no order of the period
    assert (c2["orders_created"], c2["visits"], c2["sla_share"]) == (2, 1, 0.5)
    assert c2["sla"]["P2"]["overdue_unvisited"] == 1
    # customers carry on-site labour and their parts (travel belongs to routes, not to a customer)
    # O1 60 + O2 60 min of TA (30.00 an hour) and O2 30 min of TB (24.00): 102.00
    assert c1["costs"] == {"labour": "102.00", "travel": "0.00", "parts": "30.00", "total": "132.00"}


def test_past_days_are_kept_and_computed_again_when_a_visit_changes(history: World) -> None:
    c = history.client
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    _get(history, "from=2026-11-16&to=2026-11-20")
    with maker() as s:
        kept = {r.date: r for r in s.scalars(select(KpiDay))}
        # the days before today (11-20) are kept; today is live
        assert sorted(kept) == [date(2026, 11, d) for d in (16, 17, 18, 19)]
        assert kept[date(2026, 11, 18)].version == 1
        assert kept[date(2026, 11, 18)].figures["groups"][""]["score_sum"] == 1
        # a kept row is what is read: mark it (and age the rows it depends on, so nothing looks changed since)
        figures = dict(kept[date(2026, 11, 18)].figures)
        figures["groups"] = {**figures["groups"], "": {**figures["groups"][""], "visits": 99}}
        kept[date(2026, 11, 18)].figures = figures
        old = datetime(2026, 1, 1)
        for model in (Visit, Order, Complaint):
            s.execute(update(model).values(updated_at=old))
        s.commit()
    assert _get(history, "from=2026-11-18&to=2026-11-18")["total"]["visits"] == 99
    # TA corrects the score of O6 (11-18): the kept day is computed again
    o6 = next(v for v in c.get("/api/v1/visits?date=2026-11-18", headers=history.as_("tech_a")).json())
    r = c.patch(f"/api/v1/visits/{o6['id']}", json={"customer_score": 5}, headers=history.as_("tech_a"))
    assert r.status_code == 200, r.text
    again = _get(history, "from=2026-11-18&to=2026-11-18")["total"]
    assert again["visits"] == 1
    assert again["score"] == {"count": 1, "average": 5.0, "low": 0, "low_share": 0.0}
    with maker() as s:
        assert s.get(KpiDay, date(2026, 11, 18)).figures["groups"][""]["score_sum"] == 5  # type: ignore[union-attr]


def test_a_later_start_moves_a_missed_order_off_its_deadline_day(history: World) -> None:
    """O4 (due 11-17 16:00) was missed on 11-17; started on 11-19 it counts there, late, and no longer on 11-17."""
    _get(history, "from=2026-11-16&to=2026-11-19")
    maker = history.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as s:
        s.add(Visit(order_id="O4", technician_id="TB", date=date(2026, 11, 19), started_at=at("11-19T09:00")))
        s.commit()
    rows = {r["key"]: r for r in _get(history, "from=2026-11-16&to=2026-11-19")["rows"]}
    assert rows["2026-11-17"]["sla"]["P2"] == NO_SLA
    # created 11-17 08:00, started 11-19 09:00: 49 h = 2940 min, after its 16:00 deadline
    assert rows["2026-11-19"]["sla"]["P2"] == _sla(1, 0, 0, 0.0, 2940.0, 2940.0)


def test_roles_and_bad_ranges(history: World) -> None:
    c = history.client
    for who in ("super", "disp", "plan"):
        assert c.get(f"{KPIS}?from=2026-11-16&to=2026-11-16", headers=history.as_(who)).status_code == 200, who
        assert c.get("/api/v1/reports/monthly?from=2026-11", headers=history.as_(who)).status_code == 200, who
    for who in ("tech_a", "store"):
        assert c.get(KPIS, headers=history.as_(who)).status_code == 403, who
        assert c.get("/api/v1/reports/monthly", headers=history.as_(who)).status_code == 403, who
    r = c.get(f"{KPIS}?from=2026-11-18&to=2026-11-16", headers=history.as_("super"))
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": ["query", "from"], "msg": "2026-11-18 is after to 2026-11-16",
                                   "type": "value_error", "input": "2026-11-18"}]
    assert c.get(f"{KPIS}?from=2025-01-01&to=2026-11-16", headers=history.as_("super")).status_code == 422
    bad = c.get(f"{KPIS}?by=year", headers=history.as_("super"))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["input"] == "year"
    # by default the 30 days ending yesterday
    default = _get(history, "")
    assert (default["from"], default["to"], len(default["rows"])) == ("2026-10-21", "2026-11-19", 30)


def test_a_cost_target_is_configuration() -> None:
    settings = Settings(environment="test", target_cost_per_solved=60, target_sla={"P1": 0.99})
    got = history_targets(settings)
    assert got["cost_per_solved"] == 60
    assert got["sla"] == {"P1": 0.99, "P2": 0.95, "P3": 0.9, "P4": 0.9}  # the priorities not named keep theirs
