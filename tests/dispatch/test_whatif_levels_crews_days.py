"""Variations for skill levels, crews and the planning horizon: each changes what its name says, and where it
binds a small study shows it."""

from __future__ import annotations

import pytest

from dispatch.io.cells import parse_skills
from dispatch.whatif import (
    VARIATIONS,
    Scenario,
    add_skill,
    apply_variations,
    load_study,
    policy_frame,
    raise_skill_level,
    set_horizon_days,
    set_max_orders,
    set_technicians_needed,
    solve_scenarios,
)
from tests.dispatch.test_whatif import base as base  # the 20-order scenario fixture, shared
from tests.dispatch.test_whatif import changes, same


def levels(s: Scenario, skill: str) -> dict[str, int]:
    """Technician id -> the level they hold `skill` at (0: not held)."""
    return {tid: parse_skills(cell).get(skill, 0) for tid, cell in zip(s.technicians["id"], s.technicians["skills"],
                                                                         strict=True)}


# --- raise_skill_level ----------------------------------------------------------------------------------------

def test_raise_skill_level_on_named_technicians_changes_only_their_skill_cell(base):
    # the generated day: T001 and T004 hold hvac (level 1), T002 and T003 do not
    s = raise_skill_level(base, "hvac", 3, to=["T004"])
    assert levels(s, "hvac") == {"T001": 1, "T002": 0, "T003": 0, "T004": 3}
    assert s.technicians.loc[3, "skills"] == "electrical;english;french;hvac:3;refrigeration"
    assert changes(base, s) == {"technicians"}
    assert same(s.technicians.drop(index=3), base.technicians.drop(index=3))
    assert s.day().technicians[3].level("hvac") == 3


def test_raise_skill_level_on_the_first_n_who_hold_it_below_the_level(base):
    once = raise_skill_level(base, "hvac", 2, to=1)
    assert levels(once, "hvac") == {"T001": 2, "T002": 0, "T003": 0, "T004": 1}
    # T001 already holds level 2, so the next one raised is T004
    assert levels(raise_skill_level(once, "hvac", 2, to=1), "hvac") == {"T001": 2, "T002": 0, "T003": 0, "T004": 2}


def test_raise_skill_level_on_a_seeded_share_is_the_same_for_the_same_seed(base):
    half = [raise_skill_level(base, "french", 4, share=0.5, seed=k) for k in range(6)]
    assert all(sorted(levels(s, "french").values()) == [1, 1, 4, 4] for s in half)
    assert same(half[0].technicians, raise_skill_level(base, "french", 4, share=0.5, seed=0).technicians)
    assert len({tuple(levels(s, "french").values()) for s in half}) > 1  # the seed picks who
    assert levels(raise_skill_level(base, "french", 4, share=1.0), "french") == dict.fromkeys(levels(base, "french"), 4)


def test_raise_skill_level_never_lowers_a_level(base):
    high = raise_skill_level(base, "hvac", 4, to=["T001"])
    s = raise_skill_level(high, "hvac", 2, to=["T001", "T004"])
    assert levels(s, "hvac") == {"T001": 4, "T002": 0, "T003": 0, "T004": 2}


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: raise_skill_level(s, "hvac", 3, to=["T002"]), "technician 'T002' does not hold 'hvac'"),
    (lambda s: raise_skill_level(s, "hvac", 3, to=["T999"]), "'T999' is not in scenario"),
    (lambda s: raise_skill_level(s, "hvac", 3, to=3), "to=3, but only 2 technicians hold 'hvac' below level 3"),
    (lambda s: raise_skill_level(s, "hvac", 6, to=1), "level 6 must be a whole number 2..5"),
    (lambda s: raise_skill_level(s, "hvac", 1, to=1), "level 1 must be a whole number 2..5"),
    (lambda s: raise_skill_level(s, "hvac", 3), "give to .* or share, not neither"),
    (lambda s: raise_skill_level(s, "hvac", 3, to=1, share=0.5), "not both"),
    (lambda s: raise_skill_level(s, "hvac", 3, share=1.5), "share 1.5 must be between 0 and 1"),
])
def test_raise_skill_level_errors_name_what_is_wrong(base, call, message):
    with pytest.raises(ValueError, match=f"raise_skill_level: .*{message}"):
        call(base)


def test_add_skill_keeps_the_levels_held(base):
    s = add_skill(raise_skill_level(base, "hvac", 3, to=["T001"]), "hvac", to=["T001", "T002"])
    assert levels(s, "hvac") == {"T001": 3, "T002": 1, "T003": 0, "T004": 1}
    assert s.day().technicians[0].level("hvac") == 3


def test_a_higher_level_serves_the_order_that_needs_it(base):
    # O0004 (P2, pinned to T004) asks for hvac at level 3, which nobody on the roster holds: raising T004 to
    # level 3 is what lets it be served
    orders = base.orders.copy()
    orders.loc[orders["id"] == "O0004", "required_skills"] = "hvac:3"
    needs = base.updated(orders=orders)
    results = solve_scenarios([needs, apply_variations(needs, "hvac 3 for T004",
                                                       [("raise_skill_level", {"skill": "hvac", "level": 3,
                                                                               "to": ["T004"]})])])
    assert all(r.valid for r in results), [r.violations for r in results]
    before, after = (r.plan for r in results)
    (left,) = [u for u in before.unassigned if u.order_id == "O0004"]
    assert left.reason.endswith("required skill"), left.reason
    assert [r.technician_id for r in after.routes for st in r.stops if st.order_id == "O0004"] == ["T004"]


# --- set_technicians_needed -----------------------------------------------------------------------------------

def test_two_person_jobs_on_a_seeded_share_of_the_orders(base):
    s = set_technicians_needed(base, 2, share=0.25, seed=4)
    assert changes(base, s) == {"orders"}
    needed = s.orders["technicians_needed"]
    assert sorted(needed) == ["1"] * 15 + ["2"] * 5
    assert same(s.orders.drop(columns="technicians_needed"), base.orders)
    assert needed.equals(set_technicians_needed(base, 2, share=0.25, seed=4).orders["technicians_needed"])
    assert not needed.equals(set_technicians_needed(base, 2, share=0.25, seed=5).orders["technicians_needed"])
    crews = {o.id: o.technicians_needed for o in s.day().orders}
    assert crews == dict(zip(s.orders["id"], map(int, needed), strict=True))


def test_two_person_jobs_on_named_orders_keep_the_others(base):
    s = set_technicians_needed(base, 2, ids=["O0003", "O0007"])
    s = set_technicians_needed(s, 3, ids="O0007")
    crews = {o.id: o.technicians_needed for o in s.day().orders}
    assert {k: v for k, v in crews.items() if v > 1} == {"O0003": 2, "O0007": 3}
    assert set_technicians_needed(base, 2, share=0.0).day().orders == base.day().orders


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: set_technicians_needed(s, 2, ids=["O9999"]), "order 'O9999' is not in scenario"),
    (lambda s: set_technicians_needed(s, 5, ids="O0001"), "needed 5 must be a whole number 1..4"),
    (lambda s: set_technicians_needed(s, 2), "give ids or share, not neither"),
    (lambda s: set_technicians_needed(s, 2, ids="O0001", share=0.1), "give ids or share, not both"),
    (lambda s: set_technicians_needed(s, 2, share=-0.1), "share -0.1 must be between 0 and 1"),
])
def test_set_technicians_needed_errors_name_what_is_wrong(base, call, message):
    with pytest.raises(ValueError, match=f"set_technicians_needed: {message}"):
        call(base)


def test_two_person_jobs_are_planned_with_their_crews_together(base):
    crewed = set_technicians_needed(base, 2, share=0.2, seed=4)
    (result,) = solve_scenarios([crewed])
    assert result.valid, result.violations
    needed = {o.id for o in crewed.day().orders if o.technicians_needed == 2}
    on: dict[str, list] = {}
    for r in result.plan.routes:
        for stop in r.stops:
            if stop.order_id in needed:
                on.setdefault(stop.order_id, []).append((r.technician_id, stop.start))
    assert on, "some two-person job is served"
    for order_id, places in on.items():
        assert len({t for t, _ in places}) == 2, order_id
        assert len({start for _, start in places}) == 1, order_id


# --- set_horizon_days -----------------------------------------------------------------------------------------

def test_set_horizon_days_changes_only_the_horizon(base):
    s = set_horizon_days(base, 3)
    assert changes(base, s) == {"horizon_days"}
    assert s.policy == base.policy.updated(horizon_days=3)
    assert policy_frame([base, s.named("3 days")])["horizon_days"].to_dict() == {"baseline": 1, "3 days": 3}


def test_set_horizon_days_refuses_a_horizon_outside_two_weeks(base):
    with pytest.raises(ValueError, match="horizon_days 15 must be 1..14"):
        set_horizon_days(base, 15)


def test_three_days_serve_what_one_day_leaves_for_lack_of_room(base):
    # at most two orders a day each: the plan date alone has room for eight of the twenty orders
    capped = set_max_orders(base, 2)
    results = solve_scenarios([capped, apply_variations(capped, "3 days", [("set_horizon_days", {"days": 3})])])
    one, three = (r.plan for r in results)
    assert results[0].valid, results[0].violations
    assert one.dates == (capped.plan_date,)
    assert len(three.dates) == 3
    assert any(r.stops for r in three.routes if r.date != three.dates[0])
    assert len(three.assigned_ids()) > len(one.assigned_ids())
    assert any(u.rule == "max orders" for u in one.unassigned)
    assert not any(u.rule == "max orders" for u in three.unassigned)
    for d in three.dates:
        assert all(len(r.stops) <= 2 for r in three.routes_on(d))
    assert results[1].valid, results[1].violations


def test_the_new_variations_are_known_by_name():
    assert {"raise_skill_level", "set_technicians_needed", "set_horizon_days"} <= set(VARIATIONS)


def test_the_base_is_unchanged_by_the_new_variations(base):
    before = base.technicians.copy(), base.orders.copy(), dict(base.settings)
    raise_skill_level(base, "hvac", 3, to=2)
    set_technicians_needed(base, 2, share=0.5)
    set_horizon_days(base, 5)
    assert same(base.technicians, before[0])
    assert same(base.orders, before[1])
    assert base.settings == before[2]
    assert "technicians_needed" not in base.orders.columns


def test_a_study_file_names_the_new_variations():
    scenarios = load_study({
        "base": {"generate": {"orders": 10, "technicians": 3, "seed": 3}, "solution_limit": 10},
        "scenarios": [
            {"name": "hvac 3", "variations": [{"raise_skill_level": {"skill": "hvac", "level": 3, "to": 1}}]},
            {"name": "crews", "variations": [{"set_technicians_needed": {"share": 0.3, "seed": 1}}]},
            {"name": "3 days", "variations": [{"set_horizon_days": {"days": 3}}]},
        ]})
    base, hvac, crews, days = scenarios
    assert levels(base, "hvac") == {"T001": 0, "T002": 0, "T003": 1}
    assert levels(hvac, "hvac") == {"T001": 0, "T002": 0, "T003": 3}
    assert sum(o.technicians_needed == 2 for o in crews.day().orders) == 3
    assert days.policy.horizon_days == 3
