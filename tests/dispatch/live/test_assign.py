"""Assigning one order where recommend placed it: the order goes exactly there, the other visits keep their
technician and order, the plan is a valid re-plan, and a place that breaks a hard rule is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day
from dispatch.events import Event, EventKind
from dispatch.live import assign, recommend
from dispatch.live.changes import planned_stops
from dispatch.plan import Plan
from dispatch.planning import solve_day
from dispatch.policy import Policy
from tests.dispatch.live.test_replan import executed
from tests.factories import assert_valid_replan, make_order

POLICY = Policy(solution_limit=20, time_limit=600)
DAY = generate_day(orders=30, technicians=5, seed=4, plan_date=DEFAULT_DATE)
AT = DAY.midnight + timedelta(hours=10, minutes=30)


@pytest.fixture(scope="module")
def morning() -> Plan:
    return solve_day(DAY, POLICY)


def _with_emergency() -> tuple[Day, str]:
    hub = DAY.orders[0]
    p1 = make_order("P1-NEW", lat=hub.lat, lon=hub.lon, priority="P1", required_skills=set(hub.required_skills),
                    duration_min=45, created_at=AT - timedelta(minutes=5))
    return Day(DAY.date, DAY.technicians, (*DAY.orders, p1)), p1.id


def _order_of(plan: Plan) -> dict[str, list[str]]:
    return {r.technician_id: [s.order_id for s in r.stops if s.status == "planned"] for r in plan.routes}


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_the_order_goes_where_recommend_placed_it_and_nothing_else_moves_route(morning: Plan, rank: int) -> None:
    day, p1 = _with_emergency()
    events = executed(morning, AT)
    places = recommend(day, morning, events, AT, p1, POLICY, top=None)
    place = places[rank]
    new = assign(day, morning, events, AT, p1, place.technician_id, place.position, POLICY)
    assert_valid_replan(day, new, events, AT, morning)
    route = next(r for r in new.routes if r.technician_id == place.technician_id)
    assert route.stops[place.position].order_id == p1
    assert route.stops[place.position].start == place.eta
    before, after = planned_stops(morning), planned_stops(new)
    # every visit planned before and still to do keeps its technician (the bumped one, if any, is left out)
    assert all(after[o][0] == t for o, (t, _) in before.items() if o in after)
    assert [c.change for c in new.changes if c.order_id == p1] == ["added"]
    assert new.kpis is not None
    assert new.kpis.churn is not None
    assert new.kpis.churn.reassigned == 0


def test_without_a_position_the_cheapest_place_on_that_technicians_route(morning: Plan) -> None:
    day, p1 = _with_emergency()
    events = executed(morning, AT)
    place = recommend(day, morning, events, AT, p1, POLICY, top=1)[0]
    new = assign(day, morning, events, AT, p1, place.technician_id, None, POLICY)
    route = next(r for r in new.routes if r.technician_id == place.technician_id)
    assert route.stops[place.position].order_id == p1


def test_a_place_that_breaks_a_rule_is_refused_with_the_feasible_ones(morning: Plan) -> None:
    day, p1 = _with_emergency()
    events = executed(morning, AT)
    place = recommend(day, morning, events, AT, p1, POLICY, top=1)[0]
    with pytest.raises(ValueError, match="feasible positions"):
        assign(day, morning, events, AT, p1, place.technician_id, 0, POLICY)  # position 0 is a done visit
    with pytest.raises(ValueError, match="cannot take"):
        assign(day, morning, events, AT, p1, "NOBODY", None, POLICY)


def test_an_absent_technicians_visits_are_handed_over_in_a_replan_but_not_by_an_assign(morning: Plan) -> None:
    # absent at 10:30: the assign leaves their visits left out (it searches nothing), still a valid re-plan
    day, p1 = _with_emergency()
    gone = next(r.technician_id for r in morning.routes if any(s.start > AT for s in r.stops))
    events = [*executed(morning, AT), Event(AT - timedelta(minutes=10), EventKind.ABSENT, gone)]
    place = next(p for p in recommend(day, morning, events, AT, p1, POLICY, top=None) if p.technician_id != gone)
    new = assign(day, morning, events, AT, p1, place.technician_id, place.position, POLICY)
    assert_valid_replan(day, new, events, AT, morning)
    assert all(s.status != "planned" for r in new.routes if r.technician_id == gone for s in r.stops)
    assert _order_of(new)[place.technician_id][place.position - len(
        [s for r in new.routes if r.technician_id == place.technician_id for s in r.stops if s.status != "planned"])] == p1
