"""Recommend and assign on a day with two-person jobs: a crew job not begun keeps its start on every member's
route (an insertion that would make a member late for it is not offered, one after it is), a crew job is never
bumped, and an order that needs two technicians is placed on two routes at one start, or gets the reason it
cannot be. Every plan goes through the independent re-plan check."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch.domain import Day
from dispatch.live import Recommender, assign, recommend
from dispatch.plan import Plan, Stop
from dispatch.planning import solve_day
from dispatch.policy import Policy
from tests.dispatch.live.test_replan import executed
from tests.factories import assert_valid, assert_valid_replan, at, make_day, make_order, make_tech

POLICY = Policy(solution_limit=30, seed=1)
DAY = make_day([make_tech("T1"), make_tech("T2", home_lat=45.80, home_lon=4.90), make_tech("T3", home_lat=45.70)],
               [make_order("K1", technicians_needed=2, lat=45.76, lon=4.86),
                make_order("K2", technicians_needed=2, lat=45.74, lon=4.82, duration_min=45),
                *(make_order(f"O{i}", lat=45.72 + 0.01 * i, lon=4.80 + 0.01 * i, duration_min=45) for i in range(8))])
AT = at("09:00")
EMERGENCY = make_order("E1", priority="P1", lat=45.77, lon=4.83, created_at=at("08:55"))
CREW_ORDER = make_order("K9", technicians_needed=2, lat=45.73, lon=4.84, created_at=at("08:55"))


@pytest.fixture(scope="module")
def morning() -> Plan:
    plan = solve_day(DAY, POLICY)
    assert_valid(DAY, plan)
    return plan


def crew_stops(plan: Plan, order_id: str) -> dict[str, Stop]:
    return {r.technician_id: s for r in plan.routes for s in r.stops if s.order_id == order_id}


def unbegun_crews(plan: Plan, at: datetime) -> dict[str, dict[str, Stop]]:
    """The crew jobs the plan starts after `at`, each with its stop per member."""
    return {s.order_id: crew_stops(plan, s.order_id) for r in plan.routes for s in r.stops if s.crew and s.start > at}


def test_an_emergency_is_placed_and_assigned_around_a_crew_job_not_begun(morning: Plan) -> None:
    crews = unbegun_crews(morning, AT)
    assert crews  # the day holds a crew job still to come
    day = Day(DAY.date, DAY.technicians, (*DAY.orders, EMERGENCY))
    events = executed(morning, AT)
    places = recommend(day, morning, events, AT, "E1", POLICY, top=None)
    assert places
    for place in places[:4]:
        new = assign(day, morning, events, AT, "E1", place.technician_id, place.position, POLICY)
        assert_valid_replan(day, new, events, AT, morning)
        assert crew_stops(new, "E1")[place.technician_id].start == place.eta
        for order_id, before in crews.items():
            after = crew_stops(new, order_id)
            # the same members, all at the planned start
            assert set(after) == set(before)
            assert {s.start for s in after.values()} == {s.start for s in before.values()}
            assert {s.crew for s in after.values()} == {s.crew for s in before.values()}


def _k_day(needed: int) -> tuple[Day, Plan]:
    """A and B at home; K (60 min, from 10:00), planned at 10:00; E, a P1 ten minutes away at 08:55. With K a
    two-person job, A and B meet there; with K one person's (pinned to A), B is free."""
    k = make_order("K", technicians_needed=needed, window_start=at("10:00"), window_end=at("14:00"), lat=45.76,
                   lon=4.86, **({} if needed > 1 else {"pinned_technician": "A"}))
    techs = [make_tech("A"), make_tech("B")]
    morning = solve_day(make_day(techs, [k]), POLICY)
    assert {s.start for r in morning.routes for s in r.stops} == {at("10:00")}
    e = make_order("E", priority="P1", lat=45.80, lon=4.84, created_at=at("08:55"))
    return make_day(techs, [k, e]), morning


def test_an_insertion_that_would_make_a_crew_member_late_is_not_offered() -> None:
    day, morning = _k_day(2)
    places = recommend(day, morning, [], at("09:00"), "E", POLICY, top=None)
    # E first (09:08 to 10:08) would bring either member to K after 10:00: only after K is offered
    assert {(p.technician_id, p.position) for p in places} == {("A", 1), ("B", 1)}
    assert all(p.eta > at("11:00") for p in places)
    with pytest.raises(ValueError, match="feasible positions: 1"):
        assign(day, morning, [], at("09:00"), "E", "A", 0, POLICY)
    new = assign(day, morning, [], at("09:00"), "E", "A", 1, POLICY)
    assert_valid_replan(day, new, [], at("09:00"), morning)
    assert {s.start for s in crew_stops(new, "K").values()} == {at("10:00")}
    # the rule does not bind a one-person job: K (pinned to A) may start later than planned
    day, morning = _k_day(1)
    places = recommend(day, morning, [], at("09:00"), "E", POLICY, top=None)
    assert ("A", 0) in {(p.technician_id, p.position) for p in places}


def test_a_crew_job_is_never_bumped() -> None:
    capped = [make_tech("A", max_orders=1), make_tech("B", max_orders=1)]
    e = make_order("E", priority="P1", lat=45.80, lon=4.84, created_at=at("08:55"))
    # a one-person P4 job on each full route: the emergency takes the place of either
    jobs = [make_order("J", priority="P4", pinned_technician="A"), make_order("L", priority="P4", pinned_technician="B")]
    morning = solve_day(make_day(capped, jobs), POLICY)
    bumped = {p.bumps for p in recommend(make_day(capped, [*jobs, e]), morning, [], at("09:00"), "E", POLICY, top=None)}
    assert bumped == {"J", "L"}
    # a P4 crew job on both full routes: taking its place on one route would leave the other member alone
    crew = make_order("K", priority="P4", technicians_needed=2)
    morning = solve_day(make_day(capped, [crew]), POLICY)
    assert len(crew_stops(morning, "K")) == 2
    rec = Recommender(make_day(capped, [crew, e]), morning, [], at("09:00"), POLICY)
    assert rec.places("E", None) == []
    assert "no technician can take it" in rec.why_none("E")


def test_an_order_for_two_is_recommended_and_assigned_to_a_crew_starting_together(morning: Plan) -> None:
    day = Day(DAY.date, DAY.technicians, (*DAY.orders, CREW_ORDER))
    events = executed(morning, AT)
    places = recommend(day, morning, events, AT, "K9", POLICY, top=None)
    assert places
    totals = [p.added_cost["total"] for p in places]
    assert totals == sorted(totals)
    for place in places[:3]:
        assert len(place.members) == len(set(place.members)) == 2
        assert place.to_dict()["crew"] == [m.to_dict() for m in place.crew]
        new = assign(day, morning, events, AT, "K9", place.technician_id, place.position, POLICY,
                     crew=[m.technician_id for m in place.crew])
        assert_valid_replan(day, new, events, AT, morning)
        stops = crew_stops(new, "K9")
        assert set(stops) == set(place.members)
        assert {s.start for s in stops.values()} == {place.eta}
        assert {s.crew for s in stops.values()} == {place.members}  # the lead, whose van gives the parts, first
        for m in place.crew:
            route = next(r for r in new.routes if r.technician_id == m.technician_id)
            assert route.stops[m.position].order_id == "K9"
            assert route.stops[m.position].arrival == m.arrival
        # the crew jobs planned before keep their start
        for order_id, before in unbegun_crews(morning, AT).items():
            assert {s.start for s in crew_stops(new, order_id).values()} == {s.start for s in before.values()}
    # a member named alone gets the cheapest crew with them in it, at their position
    best = places[0]
    member = best.crew[0]
    new = assign(day, morning, events, AT, "K9", member.technician_id, member.position, POLICY)
    assert set(crew_stops(new, "K9")) == set(best.members)
    # a crew job planned before and not begun is placed again the same way: off every member's route, then on
    for order_id in unbegun_crews(morning, AT):
        again = recommend(day, morning, events, AT, order_id, POLICY, top=1)[0]
        new = assign(day, morning, events, AT, order_id, again.technician_id, again.position, POLICY,
                     crew=[m.technician_id for m in again.crew])
        assert_valid_replan(day, new, events, AT, morning)
        assert {s.start for s in crew_stops(new, order_id).values()} == {again.eta}
        assert set(crew_stops(new, order_id)) == set(again.members)


def test_a_crew_order_no_set_of_technicians_can_serve_gets_the_reason(morning: Plan) -> None:
    # nobody holds 'crane'; four are needed and three work; T1 and T2 are refused, T3 alone is left
    crane = make_order("K8", technicians_needed=2, required_skills={"crane"}, created_at=at("08:55"))
    four = make_order("K6", technicians_needed=4, created_at=at("08:55"))
    refused = make_order("K7", technicians_needed=2, forbidden_technicians={"T1", "T2"}, created_at=at("08:55"))
    day = Day(DAY.date, DAY.technicians, (*DAY.orders, crane, four, refused))
    events = executed(morning, AT)
    rec = Recommender(day, morning, events, AT, POLICY)
    assert [rec.places(i, None) for i in ("K8", "K6", "K7")] == [[], [], []]
    assert "needs 2 technicians together who hold 'crane'" in rec.why_none("K8")
    assert "needs 4 technicians together" in rec.why_none("K6")
    assert "free to go: T3)" in rec.why_none("K7")
    with pytest.raises(ValueError, match="cannot take K8 at 09:00 without breaking a hard rule: needs 2 technicians"):
        assign(day, morning, events, AT, "K8", "T1", None, POLICY)


def test_a_crew_of_two_needs_one_of_them_to_hold_each_skill(morning: Plan) -> None:
    # only T1 holds 'crane': every crew for the lift has T1 in it, whoever leads
    techs = tuple(t if t.id != "T1" else make_tech("T1", skills={"hvac", "crane"}) for t in DAY.technicians)
    lift = make_order("K8", technicians_needed=2, required_skills={"crane"}, created_at=at("08:55"))
    day = Day(DAY.date, techs, (*DAY.orders, lift))
    events = executed(morning, AT)
    places = recommend(day, morning, events, AT, "K8", POLICY, top=None)
    assert places
    assert all("T1" in p.members for p in places)
    new = assign(day, morning, events, AT, "K8", "T1", None, POLICY)
    assert_valid_replan(day, new, events, AT, morning)
    assert "T1" in crew_stops(new, "K8")


def test_a_refused_technician_is_never_offered(morning: Plan) -> None:
    refusing = make_order("E2", priority="P1", lat=45.77, lon=4.83, created_at=at("08:55"),
                          forbidden_technicians={"T1", "T2"})
    day = Day(DAY.date, DAY.technicians, (*DAY.orders, refusing))
    places = recommend(day, morning, executed(morning, AT), AT, "E2", POLICY, top=None)
    assert places
    assert {p.technician_id for p in places} == {"T3"}
