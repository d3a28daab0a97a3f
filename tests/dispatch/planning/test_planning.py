"""The whole path: Day -> Problem -> solve -> Plan, each plan verified by the independent checker."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from dispatch.planning import plan_day
from dispatch.policy import Policy
from tests.factories import assert_valid, at, make_day, make_order, make_tech

BOUNDED = Policy(time_limit=5, solution_limit=200)


def stops_of(plan, tech_id):
    return [s.order_id for r in plan.routes if r.technician_id == tech_id for s in r.stops]


def reasons(plan):
    return {u.order_id: u.reason for u in plan.unassigned}


def test_an_order_goes_to_the_technician_with_the_required_skill():
    day = make_day(
        [make_tech("T1", skills={"hvac"}), make_tech("T2", skills={"elevator"}, home_lat=45.70)],
        [make_order("O1", required_skills={"elevator"})],
    )
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert stops_of(plan, "T2") == ["O1"]


def test_an_unknown_skill_is_reported_by_name():
    day = make_day([make_tech("T1")], [make_order("O1", required_skills={"boiler"}), make_order("O2")])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert reasons(plan) == {"O1": "no technician has skill 'boiler'"}
    assert stops_of(plan, "T1") == ["O2"]


def test_a_part_nobody_carries_is_reported_with_the_part():
    day = make_day(
        [make_tech("T1", van_stock={"FLT-100": 2})],
        [make_order("O1", required_parts={"VLV-300": 1}), make_order("O2", required_parts={"FLT-100": 2})],
    )
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert "VLV-300" in reasons(plan)["O1"]
    assert stops_of(plan, "T1") == ["O2"]


def test_van_stock_limits_how_many_orders_one_van_serves():
    # 3 orders need one filter each, the van holds 2: one order must stay out, for lack of stock.
    day = make_day(
        [make_tech("T1", van_stock={"FLT-100": 2})],
        [make_order(f"O{i}", required_parts={"FLT-100": 1}, lon=4.85 + i / 100) for i in range(3)],
    )
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert len(stops_of(plan, "T1")) == 2
    assert len(plan.unassigned) == 1


def test_the_appointment_window_sets_the_start_of_service():
    day = make_day([make_tech("T1")], [make_order("O1", window_start=at("13:00"), window_end=at("14:00"))])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    stop = plan.routes[0].stops[0]
    assert at("13:00") <= stop.start <= at("14:00")
    assert stop.arrival <= stop.start


def test_a_pinned_order_goes_to_its_technician_even_if_another_is_closer():
    day = make_day(
        [make_tech("T1", home_lat=45.75, home_lon=4.85), make_tech("T2", home_lat=45.60, home_lon=4.70)],
        [make_order("O1", pinned_technician="T2")],
    )
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert stops_of(plan, "T2") == ["O1"]


def test_emergencies_are_served_first_when_the_day_is_full():
    # One 8 h shift, four 3 h jobs: only two fit, and the P1 and P2 must be among them.
    orders = [make_order(f"O{p}", priority=f"P{p}", duration_min=180, lon=4.85 + p / 200) for p in (4, 3, 2, 1)]
    day = make_day([make_tech("T1", shift_end=at("16:00"))], orders)
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert set(stops_of(plan, "T1")) == {"O1", "O2"}
    assert all("fully booked" in r for r in reasons(plan).values())


def test_the_lunch_break_lies_inside_its_window_between_visits():
    techs = [make_tech("T1", break_start=at("11:30"), break_end=at("13:30"), break_minutes=45)]
    orders = [make_order(f"O{i}", duration_min=90, lon=4.85 + i / 100) for i in range(4)]
    day = make_day(techs, orders)
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    route = plan.routes[0]
    assert route.break_ is not None
    start, end = route.break_
    assert at("11:30") <= start
    assert end <= at("13:30")
    assert end - start == timedelta(minutes=45)


@pytest.mark.determinism
def test_same_seed_and_solution_limit_give_the_same_plan():
    orders = [make_order(f"O{i}", priority=f"P{1 + i % 4}", lat=45.70 + i / 150, lon=4.80 + (i * 7 % 11) / 100)
              for i in range(14)]
    day = make_day([make_tech("T1"), make_tech("T2", home_lat=45.80)], orders)
    first = plan_day(day, BOUNDED)
    again = plan_day(day, BOUNDED)
    assert_valid(day, first)
    assert first.routes == again.routes
    assert first.unassigned == again.unassigned


def test_every_order_is_on_a_route_once_or_unassigned_with_a_reason():
    from dispatch.demo_days import generate_day

    day = generate_day(orders=40, technicians=5, seed=3, plan_date=at("00:00").date())
    plan = plan_day(day, Policy(time_limit=10, solution_limit=100))
    assert_valid(day, plan)
    ids = plan.assigned_ids() + [u.order_id for u in plan.unassigned]
    assert sorted(ids) == sorted(o.id for o in day.orders)
    assert all(u.reason for u in plan.unassigned)
    assert plan.objective["total"] == plan.kpis.objective["total"]


class _Manhattan:
    """A travel source of the caller's own: 1 km per 0.01 degree of each axis, at 30 km/h."""

    name = "manhattan"

    def matrices(self, lats, lons):
        import numpy as np

        la, lo = np.asarray(lats, float), np.asarray(lons, float)
        km = (np.abs(la[:, None] - la[None, :]) + np.abs(lo[:, None] - lo[None, :])) * 100
        return np.rint(km * 1000).astype(np.int64), np.rint(km / 30 * 3600).astype(np.int64)


def test_a_plan_made_with_a_custom_travel_source_records_it():
    day = make_day([make_tech("T1")], [make_order("O1")])
    plan = plan_day(day, BOUNDED, travel=_Manhattan())
    assert plan.policy["travel"]["model"] == "manhattan"
    assert plan_day(day, BOUNDED).policy["travel"]["model"] == "geodesic"
    # a geodesic source with its own factors records those factors
    from dispatch.policy import TravelModel
    from dispatch.travel import GeodesicTravel

    slow = plan_day(day, BOUNDED, travel=GeodesicTravel(TravelModel(road_factor=1.5, speed_kmh=30)))
    assert slow.policy["travel"] == {"model": "geodesic", "road_factor": 1.5, "speed_kmh": 30}
    assert_valid(day, slow)


def test_a_plan_made_by_region_records_its_travel_source_too():
    from dispatch.demo_days import generate_day

    day = generate_day(orders=30, technicians=4, seed=3, plan_date=at("00:00").date())
    policy = Policy(time_limit=60, solution_limit=20, region_orders=20)
    assert policy.by_region(len(day.orders))
    plan = plan_day(day, policy, travel=_Manhattan())
    assert plan.kpis.solver.regions  # it was planned by region
    assert plan.policy["travel"]["model"] == "manhattan"


def test_a_deadline_margin_plans_an_emergency_early_enough_to_absorb_a_late_morning() -> None:
    # one technician from 08:00; a P3 already overdue next door, a P1 due at 10:00 some 4 km away
    tech = make_tech("T1", home_lat=45.76, home_lon=4.84)
    p3 = make_order("OLD", lat=45.761, lon=4.84, priority="P3", created_at=at("07:00") - timedelta(days=1))
    p1 = make_order("URGENT", lat=45.76, lon=4.89, priority="P1", created_at=at("06:00"))
    day = make_day([tech], [p3, p1])
    policy = Policy(solution_limit=50, time_limit=600)
    aimed_at_deadline = plan_day(day, policy)
    assert_valid(day, aimed_at_deadline)
    assert aimed_at_deadline.assigned_ids() == ["OLD", "URGENT"]  # the P1 still starts before 10:00
    with_margin = plan_day(day, policy.updated(deadline_margin_minutes=60))
    assert_valid(day, with_margin)
    assert with_margin.assigned_ids() == ["URGENT", "OLD"]
    assert with_margin.policy["deadline_margin_minutes"] == 60
    assert with_margin.routes[0].stops[0].late_minutes == 0  # lateness is reported against the real deadline


def test_a_customer_contract_brings_its_order_forward() -> None:
    # one technician from 08:00; a 2 h P4 already overdue next door, a 1 h P2 created 07:00 some 4 km away
    tech = make_tech("T1", home_lat=45.76, home_lon=4.84)
    p4 = make_order("OLD", lat=45.761, lon=4.84, priority="P4", duration_min=120,
                    created_at=at("05:00") - timedelta(days=3))
    p2 = make_order("HOSPITAL", lat=45.76, lon=4.89, priority="P2", created_at=at("07:00"))
    policy = Policy(solution_limit=50, time_limit=600)
    # by the policy the P2 is due 15:00: the overdue P4 goes first and the P2 still starts at about 10:08
    day = make_day([tech], [p4, p2])
    plan = plan_day(day, policy)
    assert_valid(day, plan)
    assert plan.assigned_ids() == ["OLD", "HOSPITAL"]
    assert plan.routes[0].stops[1].deadline == at("15:00")
    # a 2 h contract makes it due 09:00: it goes first (about 68 min late x 30 if second, against the P4's
    # 76 min more x 3)
    day = make_day([tech], [p4, replace(p2, sla_hours=2)])
    plan = plan_day(day, policy)
    assert_valid(day, plan)
    assert plan.assigned_ids() == ["HOSPITAL", "OLD"]
    first = plan.routes[0].stops[0]
    assert first.deadline == at("09:00")
    assert first.late_minutes == 0
