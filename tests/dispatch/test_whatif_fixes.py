"""A plan's fixes grouped for planners: each change counts the orders it would serve once, by priority, and
says so in a sentence; a change applied to a scenario is exactly that change."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.io.cells import parse_parts, parse_tags
from dispatch.plan import Fix, Plan, Route, Stop, Unassigned
from dispatch.whatif import Scenario, apply_change, change_of, fix_groups, fix_sentences, fixes_frame
from tests.factories import PLAN_DATE, at, make_day, make_order, make_tech

DAY = make_day(
    [make_tech("T1"), make_tech("T2"), make_tech("T3", van_stock={"P-310": 1}), make_tech("T4"), make_tech("T5")],
    [make_order("O1", priority="P2"), make_order("O2", priority="P2"), make_order("O3", priority="P3"),
     make_order("O4", priority="P1"), make_order("O5", priority="P3"), make_order("O6", priority="P4"),
     make_order("O7", priority="P3"), make_order("O8", priority="P1"),
     make_order("O9", priority="P4", window_start=at("09:00"), window_end=at("10:00"))],
)


def fix(kind: str, tech: str, total: float, **kw) -> Fix:
    return Fix(kind=kind, technician_id=tech, position=0, arrival=at("10:00"), eta=at("10:00"), late_minutes=0.0,
               cost_delta={"travel": 5.0, "change": total - 5.0, "total": total}, text=f"{kind} for {tech}", **kw)


def skill(tech: str, total: float, name: str = "boiler") -> Fix:
    return fix("skill", tech, total, skill=name)


def part(tech: str, total: float, qty: int) -> Fix:
    return fix("part", tech, total, part="P-310", quantity=qty)


def overtime(tech: str, total: float, minutes: int) -> Fix:
    return fix("overtime", tech, total, minutes=minutes)


LEFT_OUT = (
    # O1: the boiler skill for T1 or for T2 would serve it; counted once in that group, with T1 (its cheapest)
    Unassigned("O1", "no technician has skill 'boiler'", "required skill", (skill("T1", 100), skill("T2", 150))),
    Unassigned("O2", "no technician has skill 'boiler'", "required skill", (skill("T2", 80), overtime("T2", 90, 30))),
    Unassigned("O3", "no technician has skill 'boiler'", "required skill", (skill("T1", 90),)),
    Unassigned("O4", "no van holds 2 of P-310", "van stock",
               (part("T3", 40, 2), fix("window", "T4", 60, window_start="13:00", window_end="14:00"))),
    Unassigned("O5", "all 5 qualified technicians are fully booked", "shift",
               (part("T1", 20, 1), overtime("T2", 70, 45), fix("swap", "T1", 300, swap_order_id="O9"))),
    Unassigned("O6", "all 5 qualified technicians are fully booked", "shift"),  # nothing one change would do
)


def plan_of(unassigned=LEFT_OUT, routes=()) -> Plan:
    return Plan(PLAN_DATE, tuple(routes), tuple(unassigned))


def test_each_change_counts_its_orders_once_by_priority_most_orders_first():
    groups = fix_groups(DAY, plan_of())
    assert list(groups.index) == ["skill boiler", "part P-310", "overtime T2", "window moves", "swaps"]
    boiler = groups.loc["skill boiler"]
    # O1 (P2, cheapest with T1), O2 (P2, T2), O3 (P3, T1): three orders, two technicians
    assert (boiler["orders"], boiler["P1"], boiler["P2"], boiler["P3"], boiler["P4"]) == (3, 0, 2, 1, 0)
    assert (boiler["technicians"], boiler["technician_ids"], boiler["order_ids"]) == (2, "T1, T2", "O1, O2, O3")
    assert boiler["cost_delta"] == 100 + 80 + 90
    parts = groups.loc["part P-310"]
    assert (parts["orders"], parts["P1"], parts["P3"], parts["quantity"], parts["technician_ids"]) == \
        (2, 1, 1, 3, "T3, T1")
    late_shift = groups.loc["overtime T2"]
    # the most any of its orders needs: O2 30 min, O5 45 min
    assert (late_shift["orders"], late_shift["P2"], late_shift["P3"], late_shift["minutes"]) == (2, 1, 1, 45)
    assert groups.loc["window moves", "P1"] == 1
    assert groups.loc["swaps", "order_ids"] == "O5"


def test_the_sentences_say_each_change_and_what_it_would_serve():
    assert fix_sentences(DAY, plan_of()) == [
        "skill boiler for 2 more technicians (T1, T2) would serve up to 3 more orders, 2 of them P2",
        "3 of part P-310 in 2 vans (T3, T1) would serve up to 2 more orders, 1 of them P1",
        "overtime for T2 (up to 45 min) would serve up to 2 more orders, 1 of them P2",
        "moving 1 appointment window would serve up to 1 more order (P1)",
        "swapping out 1 less urgent order would serve up to 1 order in its place (P3)",
    ]


def test_many_technicians_are_counted_and_one_is_named():
    many = tuple(Unassigned(f"O{i}", "no technician has skill 'gas'", "required skill",
                            (skill(f"T{i}", 10, "gas"),)) for i in range(1, 6))
    one = (Unassigned("O7", "x", "van stock", (part("T2", 10, 1),)),
           Unassigned("O8", "x", "van stock", (part("T2", 12, 2),)))
    assert fix_sentences(DAY, plan_of(many + one)) == [
        "skill gas for 5 more technicians would serve up to 5 more orders, 1 of them P1",  # O4
        "3 of part P-310 in the van of T2 would serve up to 2 more orders, 1 of them P1",
    ]


def test_an_order_needing_two_skills_counts_in_each_skill_group():
    both = Unassigned("O8", "x", "required skill", (skill("T1", 10, "gas"), skill("T2", 20, "boiler")))
    groups = fix_groups(DAY, plan_of((both,)))
    assert list(groups["orders"]) == [1, 1]
    assert sorted(groups.index) == ["skill boiler", "skill gas"]
    assert fix_sentences(DAY, plan_of((both,)))[0] == "skill gas for T1 would serve up to 1 more order (P1)"


def late_route() -> Route:
    stop = Stop("O7", at("11:00"), at("11:00"), at("12:00"), 3.0, 5.0, late_minutes=25.0,
                fixes=(overtime("T5", 15, 20), fix("window", "T5", 25, window_start="10:00", window_end="11:00")))
    on_time = Stop("O9", at("09:10"), at("09:10"), at("10:10"), 3.0, 5.0, late_minutes=0.0)
    return Route("T5", (on_time, stop), None, 10.0)


def test_late_stops_are_grouped_apart_and_put_on_time():
    plan = plan_of(routes=(late_route(),))
    assert "overtime T5" not in fix_groups(DAY, plan).index  # the orders left out only, by default
    assert fix_sentences(DAY, plan, late=True) == [  # as many orders each: the cheaper first
        "overtime for T5 (up to 20 min) would put up to 1 late order (P3) on time",
        "moving 1 appointment window would put up to 1 late order (P3) on time",
    ]


def test_a_plan_without_fixes_has_no_groups():
    groups = fix_groups(DAY, plan_of(LEFT_OUT[-1:]))
    assert groups.empty
    assert "sentence" in groups.columns
    assert fix_sentences(DAY, plan_of(())) == []


def test_fixes_frame_lists_every_fix_with_its_rank_and_change():
    frame = fixes_frame(DAY, plan_of(routes=(late_route(),)))
    assert len(frame) == 2 + 2 + 1 + 2 + 3 + 2  # O6 has no fix, so no row
    o5 = frame[frame["order_id"] == "O5"]
    assert list(o5["rank"]) == [1, 2, 3]
    assert list(o5["change"]) == ["part P-310", "overtime T2", "swaps"]
    assert list(o5["cost_delta"]) == [20, 70, 300]
    assert o5.iloc[2]["swap_order_id"] == "O9"
    late = frame[frame["status"] == "late"]
    assert list(late["order_id"]) == ["O7", "O7"]
    assert late.iloc[0]["reason"] == "25 min late with T5"
    assert set(frame["priority"]) == {"P1", "P2", "P3"}


def test_the_change_of_a_later_day_names_the_date():
    later = fix("tomorrow", "T1", 50, date=date(2026, 11, 25))
    assert change_of(later) == "later day 2026-11-25"
    plan = plan_of((Unassigned("O6", "x", "shift", (later,)), Unassigned("O9", "x", "shift", (later,))))
    assert fix_sentences(DAY, plan) == ["moving to 2026-11-25 would serve up to 2 orders, all P4"]


def test_an_order_the_day_does_not_have_is_named():
    with pytest.raises(ValueError, match="'O99'"):
        fix_groups(DAY, plan_of((Unassigned("O99", "x", "shift", (skill("T1", 1),)),)))
    with pytest.raises(ValueError, match="2026-11-25"):
        fix_groups(DAY, Plan(date(2026, 11, 25), (), LEFT_OUT))


# --- a change applied to a scenario, to re-plan it ---

BASE = Scenario.from_day(DAY)


def techs_of(s: Scenario) -> dict[str, dict]:
    return {row["id"]: dict(row) for _, row in s.technicians.iterrows()}


def test_apply_a_skill_gives_it_to_the_technicians_of_the_group_and_nothing_else():
    s = apply_change(BASE, plan_of(), "skill boiler")
    assert s.name == "baseline + skill boiler"
    after, before = techs_of(s), techs_of(BASE)
    assert {t for t in after if "boiler" in parse_tags(after[t]["skills"])} == {"T1", "T2"}
    assert all(after[t] == before[t] for t in ("T3", "T4", "T5"))
    assert s.orders.equals(BASE.orders)


def test_apply_a_part_adds_what_each_van_needs_to_what_it_carries():
    after = techs_of(apply_change(BASE, plan_of(), "part P-310"))
    assert parse_parts(after["T3"]["van_stock"], min_qty=0) == {"P-310": 1 + 2}
    assert parse_parts(after["T1"]["van_stock"], min_qty=0) == {"P-310": 1}
    assert after["T2"] == techs_of(BASE)["T2"]


def test_apply_overtime_ends_the_shift_later_by_the_most_any_order_needs():
    after = techs_of(apply_change(BASE, plan_of(), "overtime T2"))
    assert after["T2"]["shift_end"] == "17:45"
    assert after["T1"]["shift_end"] == "17:00"


def test_apply_window_moves_each_orders_window():
    s = apply_change(BASE, plan_of(), "window moves")
    o4 = s.orders.loc[s.orders["id"] == "O4"].iloc[0]
    assert (o4["window_start"], o4["window_end"]) == ("13:00", "14:00")
    assert s.technicians.equals(BASE.technicians)
    assert s.day().orders[3].window_start == at("13:00")


@pytest.mark.parametrize(("change", "message"), [("swaps", "choice per order"), ("skill gas", "'skill gas'")])
def test_apply_refuses_what_is_no_change_of_the_scenario(change, message):
    with pytest.raises(ValueError, match=message):
        apply_change(BASE, plan_of(), change)


# --- on a real solved day ---


def test_on_a_solved_day_the_groups_recount_the_plans_fixes_and_the_top_change_serves_more():
    from dispatch.demo_days import generate_day
    from dispatch.policy import Policy
    from dispatch.whatif import solve_scenario
    from tests.factories import assert_valid

    base = Scenario.from_day(generate_day(orders=30, technicians=4, seed=8, plan_date=PLAN_DATE),
                             policy=Policy(time_limit=60, solution_limit=20))
    before = solve_scenario(base)
    day = base.day()
    assert_valid(day, before.plan)
    groups = fix_groups(day, before.plan)
    assert not groups.empty
    # recounted from the plan: each order once under each change its fixes name, whichever technician
    label = {"skill": lambda f: f"skill {f.skill}", "part": lambda f: f"part {f.part}",
             "overtime": lambda f: f"overtime {f.technician_id}", "window": lambda f: "window moves",
             "swap": lambda f: "swaps"}
    expected: dict[str, set[str]] = {}
    for u in before.plan.unassigned:
        for f in u.fixes:
            expected.setdefault(label[f.kind](f), set()).add(u.order_id)
    assert {c: set(ids.split(", ")) for c, ids in groups["order_ids"].items()} == expected
    priority = {o.id: o.priority.value for o in day.orders}
    for change, row in groups.iterrows():
        assert row["orders"] == len(expected[change])
        assert [row[p] for p in ("P1", "P2", "P3", "P4")] == \
            [sum(priority[o] == p for o in expected[change]) for p in ("P1", "P2", "P3", "P4")]
    assert list(groups["orders"]) == sorted(groups["orders"], reverse=True)
    assert len(fix_sentences(day, before.plan)) == len(groups)

    top = next(c for c, kind in groups["kind"].items() if kind not in ("swap", "tomorrow"))
    after = solve_scenario(apply_change(base, before.plan, top))
    assert_valid(after.scenario.day(), after.plan)
    assert after.row["served"] > before.row["served"]
    assert set(groups.loc[top, "order_ids"].split(", ")) & set(after.plan.assigned_ids())
