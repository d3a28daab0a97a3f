"""Re-planning from where the day stands: the freeze holds, nothing new starts before `at`, every order is
placed once, an emergency gets in, an absent technician's visits are handed over, and nobody is reshuffled
for nothing."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day
from dispatch.errors import InputError
from dispatch.events import Event, EventKind
from dispatch.live import recommend, replan_day
from dispatch.live.changes import compare
from dispatch.plan import Plan, Route, Stop
from dispatch.planning import solve_day
from dispatch.planning.translate import Previously, build_problem
from dispatch.policy import Policy
from solver import SolveParams, solve
from solver.construct import greedy_solve
from tests.factories import assert_valid_replan, at, make_day, make_order, make_tech

POLICY = Policy(solution_limit=20, time_limit=600)
DAY = generate_day(orders=30, technicians=5, seed=4, plan_date=DEFAULT_DATE)
AT = DAY.midnight + timedelta(hours=10, minutes=30)


@pytest.fixture(scope="module")
def morning() -> Plan:
    return solve_day(DAY, POLICY)


def executed(plan: Plan, at: datetime) -> list[Event]:
    """Phones reporting the plan exactly as planned up to `at`."""
    events = []
    for r in plan.routes:
        for s in r.stops:
            if s.start > at:
                continue
            events += [Event(s.arrival, EventKind.ARRIVED, r.technician_id, s.order_id),
                       Event(s.start, EventKind.STARTED, r.technician_id, s.order_id)]
            if s.end <= at:
                events.append(Event(s.end, EventKind.DONE, r.technician_id, s.order_id))
    return events


def stops_of(plan: Plan) -> dict[str, tuple[str, object]]:
    return {s.order_id: (r.technician_id, s) for r in plan.routes for s in r.stops}


def test_a_replan_keeps_what_happened_and_starts_nothing_new_before_at(morning: Plan) -> None:
    events = executed(morning, AT)
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    before, after = stops_of(morning), stops_of(new)
    done = [e for e in events if e.kind is EventKind.DONE]
    assert done  # the day has begun
    for e in done:
        tech, stop = after[e.order_id]
        assert tech == e.technician_id
        assert stop.status == "done"
        assert (stop.start, stop.end) == (before[e.order_id][1].start, e.time)
    in_service = [s for _, s in after.values() if s.status == "in_service"]
    assert all(s.end >= AT for s in in_service)
    planned = [s for _, s in after.values() if s.status == "planned"]
    assert planned
    assert min(s.arrival for s in planned) >= AT
    for r in new.routes:
        statuses = [s.status for s in r.stops]
        assert statuses == sorted(statuses, key=lambda x: x == "planned")  # fixed stops first


def test_every_order_is_placed_exactly_once(morning: Plan) -> None:
    events = executed(morning, AT)
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    placed = Counter([*new.assigned_ids(), *(u.order_id for u in new.unassigned)])
    assert placed == Counter(o.id for o in DAY.orders)


def test_with_nothing_new_nobody_is_reassigned(morning: Plan) -> None:
    events = executed(morning, AT)
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    assert new.kpis is not None
    assert new.kpis.churn is not None
    assert new.kpis.churn.reassigned == 0
    assert new.changes == compare(morning, new)[0]


def _with_emergency(day: Day) -> tuple[Day, str]:
    hub = day.orders[0]
    p1 = make_order("P1-NEW", lat=hub.lat, lon=hub.lon, priority="P1", required_skills=set(hub.required_skills),
                    duration_min=45, created_at=AT - timedelta(minutes=5))
    return Day(day.date, day.technicians, (*day.orders, p1)), p1.id


def test_an_emergency_gets_a_technician_and_the_rest_barely_moves(morning: Plan) -> None:
    day, p1 = _with_emergency(DAY)
    events = executed(morning, AT)
    new = replan_day(day, morning, events, AT, POLICY)
    assert_valid_replan(day, new, events, AT, morning)
    tech, stop = stops_of(new)[p1]
    assert stop.status == "planned"
    assert stop.start >= AT
    assert stop.late_minutes == 0
    assert any(c.order_id == p1 and c.change == "added" and c.to_technician == tech for c in new.changes)
    begun = {s.order_id for r in morning.routes for s in r.stops if s.start <= AT}
    not_begun = [s for r in morning.routes for s in r.stops if s.order_id not in begun]
    assert new.kpis.churn.reassigned <= max(1, len(not_begun) // 20)


def test_an_absent_technician_gives_up_every_visit_not_begun(morning: Plan) -> None:
    busiest = max(morning.routes, key=lambda r: len(r.stops))
    events = [*executed(morning, AT), Event(AT - timedelta(minutes=10), EventKind.ABSENT, busiest.technician_id)]
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    route = next((r for r in new.routes if r.technician_id == busiest.technician_id), None)
    kept = [] if route is None else route.stops
    assert all(s.status != "planned" for s in kept)
    given_up = [c for c in new.changes if c.from_technician == busiest.technician_id]
    assert given_up
    assert {c.change for c in given_up} <= {"reassigned", "dropped"}
    assert new.kpis.churn.reassigned == sum(1 for c in new.changes if c.change == "reassigned")


def test_a_cancelled_order_is_left_out_with_the_customers_reason(morning: Plan) -> None:
    later = next(s for r in morning.routes for s in r.stops if s.start > AT + timedelta(hours=1))
    events = [*executed(morning, AT), Event(AT - timedelta(minutes=1), EventKind.CANCELLED, None, later.order_id)]
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    [left] = [u for u in new.unassigned if u.order_id == later.order_id]
    assert left.rule == "cancelled"
    assert [c.change for c in new.changes if c.order_id == later.order_id] == ["cancelled"]
    assert later.order_id not in new.assigned_ids()


def test_an_unresolved_visit_appears_twice_its_finished_visit_and_the_next(morning: Plan) -> None:
    events = executed(morning, AT)
    done = next(e for e in events if e.kind is EventKind.DONE)
    events = [e if e is not done else Event(e.time, EventKind.UNRESOLVED, e.technician_id, e.order_id, "part missing")
              for e in events]
    new = replan_day(DAY, morning, events, AT, POLICY)
    assert_valid_replan(DAY, new, events, AT, morning)
    visits = [s for r in new.routes for s in r.stops if s.order_id == done.order_id]
    left = [u for u in new.unassigned if u.order_id == done.order_id]
    assert visits[0].status == "unresolved"
    assert len(visits) + len(left) == 2


@pytest.mark.determinism
def test_same_day_events_and_seed_give_the_same_replan(morning: Plan) -> None:
    day, _ = _with_emergency(DAY)
    events = executed(morning, AT)
    one = replan_day(day, morning, events, AT, POLICY)
    assert_valid_replan(day, one, events, AT, morning)
    two = replan_day(day, morning, events, AT, POLICY)
    assert one.routes == two.routes
    assert one.changes == two.changes


def test_recommend_ranks_feasible_places_for_an_emergency_cheapest_first(morning: Plan) -> None:
    day, p1 = _with_emergency(DAY)
    events = executed(morning, AT)
    places = recommend(day, morning, events, AT, p1, POLICY, top=None)
    assert places
    totals = [pl.added_cost["total"] for pl in places]
    assert totals == sorted(totals)
    order = next(o for o in day.orders if o.id == p1)
    techs = {t.id: t for t in day.technicians}
    assert all(order.required_skills <= techs[pl.technician_id].skills for pl in places)
    assert min(pl.eta for pl in places) >= AT
    best = places[0]
    # serving the P1 saves its unserved cost, less that of the order it takes the place of on a full route
    weights = POLICY.weights.unserved
    bumped = next((o for o in day.orders if o.id == best.bumps), None)
    assert best.added_cost["unserved"] == -weights["P1"] + (0 if bumped is None else weights[bumped.priority])
    assert best.added_cost["total"] == pytest.approx(sum(v for k, v in best.added_cost.items() if k != "total"))
    # a re-plan that inserts it puts it at least as early as the best on-time place allows
    new = replan_day(day, morning, events, AT, POLICY)
    assert_valid_replan(day, new, events, AT, morning)
    if any(pl.late_minutes == 0 for pl in places):
        assert stops_of(new)[p1][1].late_minutes == 0


def test_recommend_refuses_an_order_that_is_not_open(morning: Plan) -> None:
    events = executed(morning, AT)
    done = next(e.order_id for e in events if e.kind is EventKind.DONE)
    with pytest.raises(InputError, match=done):
        recommend(DAY, morning, events, AT, done, POLICY)
    with pytest.raises(InputError, match="NOPE"):
        recommend(DAY, morning, events, AT, "NOPE", POLICY)


def test_the_search_starts_from_the_previous_routes_breaks_and_all_and_never_ends_worse(morning: Plan, caplog) -> None:
    # the previous plan's routes, with an emergency to fit in: the repaired start is the insertion plan
    day, p1 = _with_emergency(DAY)
    assert any(t.has_break for t in day.technicians)
    index = {o.id: j for j, o in enumerate(day.orders)}
    previous = {s.order_id: Previously(r.technician_id, s.start) for r in morning.routes for s in r.stops}
    built = build_problem(day, POLICY, previous=previous)
    start = [next(([index[s.order_id] for s in r.stops] for r in morning.routes if r.technician_id == t.id), [])
             for t in day.technicians]
    # as the live re-plan does: the emergency may bump a less urgent visit off the full routes
    repaired = greedy_solve(built.problem, start, eject=True)
    with caplog.at_level(logging.INFO, logger="solver.solve"):
        result = solve(built.problem, time_limit=600, params=SolveParams(solution_limit=20), start=start, eject=True)
    assert "do not load" not in caplog.text
    assert "searching from scratch" not in caplog.text
    assert result.objective <= repaired.objective
    assert index[p1] in {j for r in result.routes for j in r.visits}


def test_a_technician_on_a_planned_break_at_the_replan_goes_on_once_it_is_over() -> None:
    tech = make_tech("T1", break_start=at("10:00"), break_end=at("11:30"), break_minutes=30)
    day = make_day([tech], [make_order("O1", lat=45.75), make_order("O2", lat=45.74)])
    stop = lambda i, a, b: Stop(i, at(a), at(a), at(b), 1.0, 2.0, 0.0)  # noqa: E731
    previous = Plan(day.date, (Route("T1", (stop("O1", "08:30", "09:30"), stop("O2", "10:50", "11:50")),
                                     (at("10:15"), at("10:45")), 4.0, at("08:25"), at("12:00")),), (),
                    policy=POLICY.to_dict())
    events = [Event(at("08:30"), EventKind.STARTED, "T1", "O1"), Event(at("09:30"), EventKind.DONE, "T1", "O1")]
    new = replan_day(day, previous, events, at("10:30"), POLICY)
    assert_valid_replan(day, new, events, at("10:30"), previous)
    [route] = new.routes
    assert route.break_ == (at("10:15"), at("10:45"))
    [planned] = [s for s in route.stops if s.status == "planned"]
    assert planned.arrival >= at("10:45")


def test_on_a_full_route_recommend_offers_to_bump_a_less_urgent_visit() -> None:
    # T1 works 08:00-11:00 and already has two 80-minute P4 visits; a P1 fits only in place of one of them
    tech = make_tech("T1", shift_end=at("11:00"))
    day = make_day([tech], [make_order("A", lat=45.75, priority="P4", duration_min=80),
                            make_order("B", lat=45.751, priority="P4", duration_min=80),
                            make_order("URGENT", lat=45.752, priority="P1", duration_min=80,
                                       created_at=at("07:30"))])
    current = solve_day(make_day(day.technicians, day.orders[:2]), POLICY)
    assert sorted(current.assigned_ids()) == ["A", "B"]
    places = recommend(day, current, [], at("07:45"), "URGENT", POLICY, top=None)
    assert places
    assert {p.bumps for p in places} == {"A", "B"}
    best = places[0]
    assert best.added_cost["unserved"] == pytest.approx(3_000 - 100_000)  # a P4's cost for a P1's
    new = replan_day(day, current, [], at("07:45"), POLICY)
    assert_valid_replan(day, new, [], at("07:45"), current)
    assert "URGENT" in new.assigned_ids()
    assert [c.change for c in new.changes if c.order_id == "URGENT"] == ["added"]
    assert len([c for c in new.changes if c.change == "dropped"]) == 1


def test_a_break_the_day_left_no_room_for_is_not_due_from_where_the_technician_stands() -> None:
    # in service 11:00-13:40 at 12:45; the 45 min break had to fit in 11:30-14:00: it no longer can
    tech = make_tech("T1", break_start=at("11:30"), break_end=at("14:00"), break_minutes=45)
    day = make_day([tech], [make_order("LONG", lat=45.75, duration_min=160), make_order("NEXT", lat=45.751)])
    previous = solve_day(make_day([tech], day.orders[:1]), POLICY)
    events = [Event(at("11:00"), EventKind.STARTED, "T1", "LONG")]
    new = replan_day(day, previous, events, at("12:45"), POLICY)
    assert_valid_replan(day, new, events, at("12:45"), previous)
    [route] = new.routes
    assert [s.status for s in route.stops] == ["in_service", "planned"]
    assert route.break_ is None


def test_an_absent_technician_goes_home_after_the_visit_in_hand_with_no_break_to_fit() -> None:
    tech = make_tech("T1", break_start=at("11:30"), break_end=at("14:00"), break_minutes=30)
    day = make_day([tech, make_tech("T2")], [make_order("A", lat=45.75), make_order("B", lat=45.74)])
    previous = solve_day(day, POLICY)
    events = [Event(at("10:00"), EventKind.STARTED, "T1", "A"), Event(at("11:00"), EventKind.DONE, "T1", "A"),
              Event(at("11:05"), EventKind.ABSENT, "T1")]
    new = replan_day(day, previous, events, at("11:15"), POLICY)
    assert_valid_replan(day, new, events, at("11:15"), previous)
    [t1] = [r for r in new.routes if r.technician_id == "T1"]
    assert [s.status for s in t1.stops] == ["done"]
    assert t1.break_ is None


def test_a_break_due_right_at_the_replan_comes_before_the_drive_home() -> None:
    tech = make_tech("T1", break_start=at("11:30"), break_end=at("13:00"), break_minutes=30,
                     shift_end=at("13:00"))
    day = make_day([tech], [make_order("A", lat=45.75)])
    stop = Stop("A", at("10:25"), at("10:25"), at("11:25"), 1.3, 2.0, 0.0)
    previous = Plan(day.date, (Route("T1", (stop,), (at("11:30"), at("12:00")), 2.6, at("10:23"), at("12:02")),),
                    (), policy=POLICY.to_dict())
    events = [Event(at("10:25"), EventKind.STARTED, "T1", "A"), Event(at("11:28"), EventKind.DONE, "T1", "A")]
    new = replan_day(day, previous, events, at("11:30"), POLICY)
    assert_valid_replan(day, new, events, at("11:30"), previous)
    [route] = new.routes
    assert route.break_ == (at("11:30"), at("12:00"))
    assert route.back is not None
    assert route.back > at("12:00")


def test_an_order_too_long_for_what_is_left_of_the_day_says_so() -> None:
    day = make_day([make_tech("T1", shift_end=at("17:00"))],
                   [make_order("LATE", lat=45.75, duration_min=120, created_at=at("15:30"))])
    previous = solve_day(make_day(day.technicians, ()), POLICY)
    new = replan_day(day, previous, [], at("15:45"), POLICY)
    assert_valid_replan(day, new, [], at("15:45"), previous)
    [left] = new.unassigned
    assert "what is left of any qualified technician's shift" in left.reason
