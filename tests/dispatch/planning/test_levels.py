"""Skill levels and the technicians a customer wants or refuses, from the Day to a checked Plan."""

from __future__ import annotations

import json

import pytest

from dispatch.analysis.checker import check_plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from tests.factories import assert_valid, make_day, make_order, make_tech

BOUNDED = Policy(time_limit=5, solution_limit=200)
# T1 lives next to the customer, T2 about 6 km further south.
NEAR, FAR = {"home_lat": 45.76}, {"home_lat": 45.70}


def served_by(plan, order_id="O1"):
    return next((r.technician_id for r in plan.routes for s in r.stops if s.order_id == order_id), None)


def reasons(plan):
    return {u.order_id: u.reason for u in plan.unassigned}


def test_an_order_needing_a_level_goes_to_the_far_senior_and_a_plain_one_to_the_near_junior():
    techs = [make_tech("T1", skills={"hvac"}, **NEAR), make_tech("T2", skills={"hvac"}, skill_levels={"hvac": 3}, **FAR)]
    day = make_day(techs, [make_order("O1", skill_levels={"hvac": 2})])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert served_by(plan) == "T2"  # T1 holds hvac at level 1 only
    # T2 holds level 3 for a level-2 job: one level over, at the default 1 per level
    assert plan.kpis.objective["over-qualification"] == pytest.approx(1.0)
    plain = make_day(techs, [make_order("O1")])
    plan = plan_day(plain, BOUNDED)
    assert_valid(plain, plan)
    assert served_by(plan) == "T1"
    assert plan.kpis.objective["over-qualification"] == 0


def test_the_over_qualification_cost_keeps_the_senior_free_when_it_outweighs_the_drive():
    techs = [make_tech("T1", skills={"hvac"}, skill_levels={"hvac": 5}, **NEAR), make_tech("T2", skills={"hvac"}, **FAR)]
    day = make_day(techs, [make_order("O1")])
    # 4 levels over x 100 = 400 > the ~15 km more T2 drives: T2 goes
    dear = plan_day(day, BOUNDED.updated(over_qualification_cost=100.0))
    assert_valid(day, dear)
    assert served_by(dear) == "T2"
    # switched off, the near senior goes
    free = plan_day(day, BOUNDED.updated(over_qualification_cost=0.0))
    assert_valid(day, free)
    assert served_by(free) == "T1"


def test_the_reason_names_the_level_needed_and_the_best_technician():
    day = make_day([make_tech("T1", skills={"hvac"}, skill_levels={"hvac": 2}), make_tech("T2", **FAR)],
                   [make_order("O1", skill_levels={"hvac": 3})])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert reasons(plan) == {"O1": "needs hvac level 3; the best is T1 at level 2"}


def test_a_refused_technician_never_serves_the_customer():
    techs = [make_tech("T1", **NEAR), make_tech("T2", **FAR)]
    day = make_day(techs, [make_order("O1", forbidden_technicians={"T1"})])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert served_by(plan) == "T2"
    unrefused = make_day(techs, [make_order("O1", forbidden_technicians={"T2"})])
    plan = plan_day(unrefused, BOUNDED)
    assert_valid(unrefused, plan)
    assert served_by(plan) == "T1"


def test_the_reason_names_the_only_qualified_technician_refused():
    day = make_day([make_tech("T1"), make_tech("T2", skills={"elevator"})],
                   [make_order("O1", forbidden_technicians={"T1"})])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    assert reasons(plan) == {"O1": "the only qualified technician, T1, is refused by this customer"}


def test_a_preferred_technician_is_worth_a_longer_drive_up_to_its_cost():
    techs = [make_tech("T1", **NEAR), make_tech("T2", **FAR)]
    day = make_day(techs, [make_order("O1", preferred_technician="T2")])
    wanted = plan_day(day, BOUNDED.updated(preferred_technician_cost=100.0))
    assert_valid(day, wanted)
    assert served_by(wanted) == "T2"
    assert wanted.kpis.objective["preferred technician"] == 0
    cheap = plan_day(day, BOUNDED.updated(preferred_technician_cost=1.0))
    assert_valid(day, cheap)
    assert served_by(cheap) == "T1"  # 1 unit does not pay ~15 km
    assert cheap.kpis.objective["preferred technician"] == pytest.approx(1.0)


def test_the_checker_flags_a_refused_technician_and_a_level_too_low():
    techs = [make_tech("T1", **NEAR), make_tech("T2", skills={"hvac"}, skill_levels={"hvac": 3}, **FAR)]
    day = make_day(techs, [make_order("O1", forbidden_technicians={"T1"}, skill_levels={"hvac": 2})])
    plan = plan_day(day, BOUNDED)
    assert_valid(day, plan)
    data = json.loads(json.dumps(plan.to_dict()))
    data["routes"] = [{**r, "technician_id": "T1"} if r["stops"] else {**r, "technician_id": "T2"}
                      for r in data["routes"]]
    rules = {v.rule for v in check_plan(day, data).violations}
    assert {"refused technician", "required skill"} <= rules


def test_a_pin_on_a_refused_technician_is_an_error():
    with pytest.raises(ValueError, match="forbidden_technicians"):
        make_order("O1", pinned_technician="T1", forbidden_technicians={"T1"})
