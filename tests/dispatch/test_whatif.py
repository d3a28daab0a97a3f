"""Variations change what they say and nothing else; the runner checks every plan it makes."""

from __future__ import annotations

import json
import math
import pickle

import matplotlib
import pandas as pd
import pytest

from dispatch.demo_days import generate_day
from dispatch.domain import Priority
from dispatch.io.cells import parse_parts, parse_tags
from dispatch.policy import Policy, SlaPolicy, TravelModel, Weights
from dispatch.whatif import (
    Scenario,
    add_skill,
    add_technicians,
    apply_variations,
    close_part,
    compare,
    kpi_frame,
    load_study,
    plot_kpis,
    policy_frame,
    policy_from_tables,
    policy_tables,
    remove_technicians,
    run_scenarios,
    scale_demand,
    scale_durations,
    scenario_map,
    set_max_orders,
    set_sla_hours,
    set_solve_limits,
    set_travel,
    set_weights,
    shift_times,
    solve_scenarios,
)
from tests.factories import PLAN_DATE

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def base() -> Scenario:
    day = generate_day(orders=20, technicians=4, seed=3, plan_date=PLAN_DATE)
    return Scenario.from_day(day, policy=Policy(time_limit=5, solution_limit=20))


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.reset_index(drop=True).equals(b.reset_index(drop=True))


def test_add_technicians_copies_the_template_with_new_ids_and_skills(base):
    s = add_technicians(base, 2, skills="boiler;french", like="T002")
    new = s.technicians.iloc[len(base.technicians):]
    assert list(new["id"]) == ["X001", "X002"]
    assert set(new["skills"]) == {"boiler;french"}
    assert set(new["home_lat"]) == {base.technicians.loc[1, "home_lat"]}
    assert same(s.technicians.iloc[: len(base.technicians)], base.technicians)
    assert same(s.orders, base.orders)
    assert len(s.day().technicians) == 6


def test_add_technicians_rejects_an_unknown_template(base):
    with pytest.raises(ValueError, match="'T999'"):
        add_technicians(base, 1, like="T999")


def test_remove_technicians_by_id_and_by_count(base):
    assert list(remove_technicians(base, ["T001"]).technicians["id"]) == ["T002", "T003", "T004"]
    assert list(remove_technicians(base, n=2).technicians["id"]) == ["T001", "T002"]
    assert same(remove_technicians(base, n=0).technicians, base.technicians)


def test_remove_technicians_unpins_only_their_orders(base):
    pinned = base.orders.loc[base.orders["pinned_technician"] != "", ["id", "pinned_technician"]]
    assert not pinned.empty
    tech = pinned.iloc[0]["pinned_technician"]
    s = remove_technicians(base, [tech])
    assert (s.orders["pinned_technician"] != tech).all()
    assert same(s.orders.drop(columns="pinned_technician"), base.orders.drop(columns="pinned_technician"))
    s.day()  # still a valid day


def test_scale_demand_thins_to_a_seeded_subset(base):
    s = scale_demand(base, 0.5, seed=1)
    assert len(s.orders) == 10
    assert set(s.orders["id"]) <= set(base.orders["id"])
    assert same(scale_demand(base, 0.5, seed=1).orders, s.orders)
    assert same(s.technicians, base.technicians)


def test_scale_demand_replicates_with_new_unpinned_ids(base):
    s = scale_demand(base, 1.5, seed=2)
    copies = s.orders.iloc[len(base.orders):]
    assert len(s.orders) == 30
    assert copies["id"].str.contains("-R").all()
    assert (copies["pinned_technician"] == "").all()
    assert same(s.orders.iloc[: len(base.orders)], base.orders)
    assert len(s.day().orders) == 30


def test_set_sla_hours_changes_only_the_named_priorities(base):
    s = set_sla_hours(base, P1=2)
    assert s.policy.sla.hours[Priority.P1] == 2
    assert s.policy.sla.hours[Priority.P2] == base.policy.sla.hours[Priority.P2]
    assert s.policy.weights == base.policy.weights
    assert same(s.orders, base.orders)


def test_set_sla_hours_rejects_an_unknown_priority(base):
    with pytest.raises(ValueError, match="'P9'"):
        set_sla_hours(base, P9=1)


def test_set_solve_limits_keeps_the_sla(base):
    s = set_solve_limits(base, solution_limit=5)
    assert s.policy.solution_limit == 5
    assert s.policy.sla == base.policy.sla


def test_shift_times_moves_only_the_given_technicians(base):
    s = shift_times(base, start="07:00", ids=["T001"])
    assert s.technicians.loc[0, "shift_start"] == "07:00"
    assert same(s.technicians.iloc[1:], base.technicians.iloc[1:])
    assert same(s.technicians.drop(columns="shift_start"), base.technicians.drop(columns="shift_start"))


def test_add_skill_to_the_first_n_who_lack_it(base):
    s = add_skill(base, "elevator", to=2)
    had = [("elevator" in parse_tags(t)) for t in base.technicians["skills"]]
    has = [("elevator" in parse_tags(t)) for t in s.technicians["skills"]]
    assert sum(has) == sum(had) + 2
    assert same(s.technicians.drop(columns="skills"), base.technicians.drop(columns="skills"))


def test_add_skill_to_named_technicians(base):
    s = add_skill(base, "boiler", to=["T003"])
    assert "boiler" in parse_tags(s.technicians.loc[2, "skills"])


def test_close_part_empties_it_from_every_van_and_nothing_else(base):
    s = close_part(base, "CAP-45")
    for before, after in zip(base.technicians["van_stock"], s.technicians["van_stock"], strict=True):
        old = parse_parts(before, min_qty=0)
        old.pop("CAP-45", None)
        assert parse_parts(after, min_qty=0) == old
    assert any("CAP-45" in v for v in base.technicians["van_stock"])


def test_apply_variations_by_name(base):
    s = apply_variations(base, "two", [("add_technicians", {"n": 2}), ("set_sla_hours", {"P1": 3})])
    assert s.name == "two"
    assert len(s.technicians) == 6


def test_apply_variations_rejects_an_unknown_name(base):
    with pytest.raises(ValueError, match="'hire'"):
        apply_variations(base, "x", [("hire", {})])


def test_run_scenarios_in_process_checks_every_plan_and_compares(base):
    df = run_scenarios([base, set_sla_hours(base, P1=1).named("tight")])
    assert list(df.index) == ["baseline", "tight"]
    assert df["valid"].all()
    diff = compare(df)
    assert diff.loc["baseline", "cost_diff"] == 0
    assert diff.loc["tight", "cost_diff"] == df.loc["tight", "cost"] - df.loc["baseline", "cost"]
    assert not math.isnan(df.loc["baseline", "on_time_P1_pct"])


def test_the_comparison_shows_the_workload_spread_of_each_scenario(base):
    results = solve_scenarios([base])
    w = results[0].plan.kpis.workload
    df = compare(kpi_frame(results))
    assert df.loc["baseline", "workload_spread_min"] == w.spread_minutes
    assert df.loc["baseline", "workload_max_mean"] == w.max_mean_minutes
    assert df.loc["baseline", "workload_spread_min_diff"] == 0


def test_compare_needs_the_baseline(base):
    df = run_scenarios([base.named("only")])
    with pytest.raises(ValueError, match="'baseline'"):
        compare(df)


def test_run_scenarios_rejects_duplicate_names(base):
    with pytest.raises(ValueError, match="used twice"):
        run_scenarios([base, base])


def test_plot_and_map_of_a_result(base):
    [result] = solve_scenarios([base])
    fig = plot_kpis(run_scenarios([base]))
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 6
    assert "leaflet" in scenario_map(result).get_root().render().lower()


# --- the policy as tables ---------------------------------------------------------------------------------

CUSTOM = Policy(sla=SlaPolicy({"P1": 2, "P2": 6, "P3": 20, "P4": 48}),
                weights=Weights(unserved={"P1": 200_000, "P2": 30_000, "P3": 5_000, "P4": 0},
                                late_per_minute={"P1": 150, "P2": 30, "P3": 1, "P4": 0.5},
                                per_km=2.5, balance_per_minute=0.2),
                travel=TravelModel(road_factor=1.4, speed_kmh=32), seed=7, time_limit=3, solution_limit=9)


def changes(a: Scenario, b: Scenario) -> set[str]:
    """What differs between two scenarios: 'technicians', 'orders', '<row>.<column>' of the priorities table
    and the names of changed settings."""
    out = {name for name in ("technicians", "orders") if not same(getattr(a, name), getattr(b, name))}
    out |= {f"{row}.{col}" for row in a.priorities.index for col in a.priorities.columns
            if a.priorities.at[row, col] != b.priorities.at[row, col]}
    return out | {k for k in a.settings if a.settings[k] != b.settings[k]}


@pytest.mark.parametrize("policy", [Policy(), CUSTOM], ids=["default", "custom"])
def test_policy_tables_round_trip_to_the_same_policy(policy, base):
    priorities, settings = policy_tables(policy)
    assert list(priorities.index) == ["P1", "P2", "P3", "P4"]
    assert list(priorities.columns) == ["sla_hours", "unserved_cost", "late_cost_per_minute"]
    assert policy_from_tables(priorities, settings) == policy
    assert policy_from_tables(priorities, pd.Series(settings, dtype=object)) == policy  # a Series works too
    s = Scenario.from_frames(base.technicians, base.orders, base.plan_date, policy=policy)
    assert s.policy == policy
    again = pickle.loads(pickle.dumps(s))  # what a dask worker receives
    assert again.policy == policy
    assert again.priorities.equals(s.priorities)


def test_custom_policy_reads_as_a_table():
    priorities, settings = policy_tables(CUSTOM)
    assert priorities.loc["P1"].to_dict() == {"sla_hours": 2, "unserved_cost": 200_000, "late_cost_per_minute": 150}
    assert priorities.loc["P4", "late_cost_per_minute"] == 0.5
    assert {k: settings[k] for k in ("per_km", "balance_per_minute", "road_factor", "speed_kmh", "time_limit",
                                     "solution_limit", "seed")} == {
        "per_km": 2.5, "balance_per_minute": 0.2, "road_factor": 1.4, "speed_kmh": 32, "time_limit": 3,
        "solution_limit": 9, "seed": 7}
    assert type(settings["seed"]) is int  # builtin numbers: the plan's policy goes to JSON


def test_editing_a_copy_of_the_priorities_makes_a_new_scenario(base):
    p = base.priorities.copy()
    p.loc["P1", "sla_hours"] = 2
    tight = base.updated(name="tight", priorities=p, settings={"speed_kmh": 30})
    assert tight.name == "tight"
    assert tight.policy.sla.hours[Priority.P1] == 2
    assert tight.policy.travel.speed_kmh == 30
    assert changes(base, tight) == {"P1.sla_hours", "speed_kmh"}
    assert base.policy == Policy(time_limit=5, solution_limit=20)  # the base is untouched
    p.loc["P2", "sla_hours"] = 1  # the scenario holds its own copy
    assert tight.priorities.loc["P2", "sla_hours"] == 8


def test_updated_with_a_policy_replaces_both_tables(base):
    s = base.updated(policy=CUSTOM)
    assert s.policy == CUSTOM
    assert same(s.technicians, base.technicians)
    with pytest.raises(ValueError, match="not both"):
        base.updated(policy=CUSTOM, settings={"seed": 1})


def _edit(frame: pd.DataFrame, row: str, col: str, value: object) -> pd.DataFrame:
    out = frame.astype(object)
    out.loc[row, col] = value
    return out


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: {"priorities": _edit(p, "P1", "sla_hours", -2)},
     "scenario 'tight': priorities row P1, sla_hours -2: must be > 0"),
    (lambda p: {"priorities": _edit(p, "P3", "sla_hours", 0)},
     "scenario 'tight': priorities row P3, sla_hours 0: must be > 0"),
    (lambda p: {"priorities": _edit(p, "P3", "unserved_cost", -1.5)},
     "scenario 'tight': priorities row P3, unserved_cost -1.5: must be >= 0"),
    (lambda p: {"priorities": _edit(p, "P2", "late_cost_per_minute", "lots")},
     "scenario 'tight': priorities row P2, late_cost_per_minute 'lots': must be a number"),
    (lambda p: {"priorities": _edit(p, "P4", "sla_hours", float("nan"))},
     "scenario 'tight': priorities row P4, sla_hours nan: must be a number"),
    (lambda p: {"priorities": p.drop(index="P4")}, "scenario 'tight': priorities has no row P4"),
    (lambda p: {"priorities": p.rename(index={"P4": "P5"})}, "scenario 'tight': priorities row 'P5' is not a priority"),
    (lambda p: {"priorities": p.rename(columns={"sla_hours": "sla"})},
     "scenario 'tight': priorities column 'sla' is unknown"),
    (lambda p: {"settings": {"speed_kmh": 0}}, "scenario 'tight': settings speed_kmh 0: must be > 0"),
    (lambda p: {"settings": {"road_factor": 0.9}}, "scenario 'tight': settings road_factor 0.9: must be >= 1"),
    (lambda p: {"settings": {"per_km": -1}}, "scenario 'tight': settings per_km -1: must be >= 0"),
    (lambda p: {"settings": {"time_limit": 0}}, "scenario 'tight': settings time_limit 0: must be > 0"),
    (lambda p: {"settings": {"solution_limit": 0}}, "scenario 'tight': settings solution_limit 0: must be >= 1"),
    (lambda p: {"settings": {"seed": 1.5}}, "scenario 'tight': settings seed 1.5: must be an integer"),
    (lambda p: {"settings": {"speed": 30}}, "scenario 'tight': settings 'speed' is unknown"),
])
def test_a_bad_policy_cell_names_scenario_row_field_and_value(base, edit, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        base.updated(name="tight", **edit(base.priorities))


def test_an_in_place_edit_is_caught_before_anything_is_solved(base):
    s = base.updated(name="edited")
    s.priorities.loc["P2", "unserved_cost"] = -1  # in place, after the scenario was made

    class Refuses:
        def map(self, *args, **kwargs):
            raise AssertionError("sent to workers")

    with pytest.raises(ValueError, match="scenario 'edited': priorities row P2, unserved_cost -1: must be >= 0"):
        solve_scenarios([base, s], executor=Refuses())  # type: ignore[arg-type]


def test_policy_frame_puts_the_policies_side_by_side(base):
    df = policy_frame([base, set_sla_hours(base, P1=2).named("P1 2h"), set_travel(base, speed_kmh=30).named("slow")])
    assert list(df.index) == ["baseline", "P1 2h", "slow"]
    assert list(df.columns[:5]) == ["sla_hours_P1", "sla_hours_P2", "sla_hours_P3", "sla_hours_P4",
                                    "unserved_cost_P1"]
    assert {"late_cost_per_minute_P4", "per_km", "balance_per_minute", "road_factor", "speed_kmh", "time_limit",
            "solution_limit", "seed"} <= set(df.columns)
    assert list(df["sla_hours_P1"]) == [4, 2, 4]
    assert list(df["speed_kmh"]) == [40, 40, 30]
    varying = [c for c in df.columns if df[c].nunique(dropna=False) > 1]
    assert varying == ["sla_hours_P1", "speed_kmh"]


# --- the policy variations and the new roster/order variations change only what they say ------------------

@pytest.mark.parametrize(("vary", "expected"), [
    (lambda s: set_sla_hours(s, P1=2, P3=12), {"P1.sla_hours", "P3.sla_hours"}),
    (lambda s: set_weights(s, unserved={"P1": 200_000}), {"P1.unserved_cost"}),
    (lambda s: set_weights(s, late_per_minute={"P2": 60, "P4": 0}),
     {"P2.late_cost_per_minute", "P4.late_cost_per_minute"}),
    (lambda s: set_weights(s, per_km=2, balance_per_minute=0.5), {"per_km", "balance_per_minute"}),
    (lambda s: set_travel(s, road_factor=1.5), {"road_factor"}),
    (lambda s: set_travel(s, speed_kmh=30), {"speed_kmh"}),
    (lambda s: set_solve_limits(s, seed=7, time_limit=2), {"seed", "time_limit"}),
    (lambda s: scale_durations(s, 1.5), {"orders"}),
    (lambda s: set_max_orders(s, 3), {"technicians"}),
    (lambda s: add_technicians(s, 1), {"technicians"}),
    (lambda s: close_part(s, "CAP-45"), {"technicians"}),
    (lambda s: scale_demand(s, 0.5), {"orders"}),
], ids=["sla", "unserved", "late", "km-balance", "road", "speed", "limits", "durations", "max-orders",
        "add-techs", "close-part", "demand"])
def test_each_variation_changes_only_what_its_name_says(base, vary, expected):
    assert changes(base, vary(base)) == expected


def test_set_weights_reaches_the_resolved_policy(base):
    s = set_weights(base, unserved={"P1": 200_000}, late_per_minute={"P2": 60}, per_km=2)
    w = s.policy.weights
    assert (w.unserved[Priority.P1], w.late_per_minute[Priority.P2], w.per_km) == (200_000, 60, 2)
    assert w.unserved[Priority.P2] == base.policy.weights.unserved[Priority.P2]
    assert s.policy.sla == base.policy.sla
    assert s.policy.travel == base.policy.travel


def test_set_travel_reaches_the_resolved_policy(base):
    s = set_travel(base, road_factor=1.5, speed_kmh=30)
    assert s.policy.travel == TravelModel(road_factor=1.5, speed_kmh=30)
    assert s.policy.weights == base.policy.weights


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: set_weights(s), "set_weights: give"),
    (lambda s: set_weights(s, unserved={"P9": 1}), "set_weights: unserved: unknown priority 'P9'"),
    (lambda s: set_weights(s, late_per_minute={"P1": -5}),
     "scenario 'baseline': priorities row P1, late_cost_per_minute -5: must be >= 0"),
    (lambda s: set_weights(s, balance_per_minute=-1), "scenario 'baseline': settings balance_per_minute -1"),
    (lambda s: set_travel(s), "set_travel: give"),
    (lambda s: set_travel(s, speed_kmh=0), "scenario 'baseline': settings speed_kmh 0: must be > 0"),
    (lambda s: set_sla_hours(s, P2=-1), "scenario 'baseline': priorities row P2, sla_hours -1: must be > 0"),
    (lambda s: scale_durations(s, 0), "scale_durations: factor 0"),
    (lambda s: set_max_orders(s, -1), "set_max_orders: n -1"),
    (lambda s: set_max_orders(s, 2, ids=["T999"]), "'T999'"),
])
def test_variation_errors_name_what_is_wrong(base, call, message):
    with pytest.raises(ValueError, match=message):
        call(base)


def test_scale_durations_only_for_orders_needing_a_skill(base):
    s = scale_durations(base, 1.25, skills="hvac")
    needs = [("hvac" in parse_tags(t)) for t in base.orders["required_skills"]]
    assert any(needs)
    assert not all(needs)
    for need, before, after in zip(needs, base.orders["duration_min"], s.orders["duration_min"], strict=True):
        assert int(after) == (round(int(before) * 1.25) if need else int(before))
    assert same(s.orders.drop(columns="duration_min"), base.orders.drop(columns="duration_min"))
    assert len(s.day().orders) == len(base.orders)


def test_set_max_orders_for_some_and_back_to_no_cap(base):
    before = [t.max_orders for t in base.day().technicians]
    s = set_max_orders(base, 2, ids=["T002", "T003"])
    assert [t.max_orders for t in s.day().technicians] == [before[0], 2, 2, before[3]]
    assert [t.max_orders for t in set_max_orders(s, None).day().technicians] == [None] * 4


def test_apply_variations_errors_name_the_scenario_being_built(base):
    with pytest.raises(ValueError, match="^scenario 'slow': settings speed_kmh 0"):
        apply_variations(base, "slow", [("set_travel", {"speed_kmh": 0})])


def test_new_variations_are_solved_checked_and_compared_with_their_policy(base):
    scenarios = [
        base,
        set_weights(base, unserved={"P4": 0}, per_km=3).named("cheap P4"),
        set_travel(base, speed_kmh=25).named("slow roads"),
        scale_durations(base, 1.5).named("slow jobs"),
        set_max_orders(base, 2).named("cap 2"),
        set_sla_hours(base, P1=2).named("P1 2h"),
    ]
    results = solve_scenarios(scenarios)
    df = compare(run_table := pd.DataFrame([r.row for r in results]).set_index("scenario"),
                 policy=policy_frame(results))
    assert df["valid"].all()
    assert (df["violations"] == 0).all()
    assert df.loc["cap 2", "served"] <= 2 * 4  # the cap binds: 20 orders, 4 technicians
    assert df.loc["baseline", "served"] > 8  # and without it more are served
    assert list(run_table["sla_hours_P1"]) == [4, 4, 4, 4, 4, 2]  # in the KPI rows themselves
    assert df.loc["P1 2h", "sla_hours_P1_diff"] == -2
    assert df.loc["slow roads", "speed_kmh_diff"] == -15
    assert df.loc["cheap P4", "per_km"] == 3
    assert df.loc["cheap P4", "unserved_cost_P4_diff"] == -3_000
    # the plan of "slow jobs" books every visit for half as long again as in the base data
    minutes = dict(zip(base.orders["id"], base.orders["duration_min"].astype(int), strict=True))
    stops = [stop for route in results[3].plan.routes for stop in route.stops]
    assert stops
    assert all((st.end - st.start).total_seconds() == 60 * round(minutes[st.order_id] * 1.5) for st in stops)
    with pytest.raises(ValueError, match="scenario 'slow roads' has no row"):
        compare(df, policy=policy_frame(results[:2]))


# --- the `dispatch whatif` command ------------------------------------------------------------------------

STUDY = """\
base:
  technicians: technicians.csv
  orders: orders.csv
  date: 2026-11-24
  time_limit: 5
  solution_limit: 20
scenarios:
  - name: two more hvac
    variations:
      - add_technicians: {n: 2, skills: "hvac;french"}
  - name: P1 in 2h, no capacitors
    variations:
      - set_sla_hours: {P1: 2}
      - close_part: {part: CAP-45}
"""


@pytest.fixture
def study(tmp_path):
    from dispatch.io import write_orders_csv, write_technicians_csv

    day = generate_day(orders=15, technicians=3, seed=4, plan_date=PLAN_DATE)
    write_technicians_csv(day.technicians, tmp_path / "technicians.csv")
    write_orders_csv(day.orders, tmp_path / "orders.csv")
    (tmp_path / "study.yaml").write_text(STUDY)
    return tmp_path / "study.yaml"


def whatif(*args: str):
    from typer.testing import CliRunner

    from dispatch.cli import app

    return CliRunner().invoke(app, ["whatif", *args])


def test_cli_whatif_prints_the_comparison_and_writes_csv(study, tmp_path):
    result = whatif(str(study), "--out", str(tmp_path / "results.csv"), "--serial")
    assert result.exit_code == 0, result.output
    assert "two more hvac" in result.output
    df = pd.read_csv(tmp_path / "results.csv", index_col="scenario")
    assert list(df.index) == ["baseline", "two more hvac", "P1 in 2h, no capacitors"]
    assert df["valid"].all()
    assert df.loc["two more hvac", "technicians_diff"] == 2


def test_cli_whatif_runs_on_the_local_cluster(study, monkeypatch):
    monkeypatch.delenv("DISPATCH_SCHEDULER", raising=False)
    result = whatif(str(study), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "P1 in 2h" in result.output


@pytest.mark.parametrize(("text", "named"), [
    ("base: {scenario: small}\nscenarios:\n  - name: hire\n    variations:\n      - hire_people: {n: 2}\n",
     "scenarios[0] 'hire': unknown variation 'hire_people'"),
    ("base: {scenario: small}\nscenarios:\n  - name: x\n    variations:\n      - add_technicians: {count: 2}\n",
     "scenarios[0] 'x'"),
    ("base: {scenario: small}\nscenarios:\n  - name: ok\n  - variations: []\n", "scenarios[1]"),
    ("base: {scenario: tiny}\n", "base: scenario 'tiny'"),
    ("base: [unclosed\n", "not valid YAML"),
    ("scenarios: []\n", "'base'"),
    ("base: {scenario: small, policy: {sla: {P1: 2}}}\n", "base: policy: unknown key 'sla'"),
    ("base: {scenario: small, policy: {travel: {speed_kmh: -5}}}\n",
     "base: scenario 'baseline': settings speed_kmh -5: must be > 0"),
    ("base: {scenario: small}\nscenarios:\n  - name: slow\n    variations:\n      - set_travel: {speed_kmh: 0}\n",
     "scenarios[0] 'slow': scenario 'slow': settings speed_kmh 0: must be > 0"),
    ("base: {scenario: small}\nscenarios:\n  - name: w\n    variations:\n"
     "      - set_weights: {unserved: {P1: -1}}\n",
     "scenarios[0] 'w': scenario 'w': priorities row P1, unserved_cost -1: must be >= 0"),
])
def test_cli_whatif_bad_study_exits_2_naming_the_entry(tmp_path, text, named):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = whatif(str(path), "--serial")
    assert result.exit_code == 2
    assert named in " ".join(result.output.split())


def test_the_shipped_study_files_load():
    from pathlib import Path

    from dispatch.whatif import read_study

    for path in sorted((Path(__file__).resolve().parents[2] / "notebooks" / "studies").glob("*.yaml")):
        scenarios = read_study(path)
        assert len(scenarios) == 8
        assert all(len(s.day().orders) > 0 for s in scenarios)


POLICY_STUDY = """\
base:
  technicians: technicians.csv
  orders: orders.csv
  date: 2026-11-24
  policy:                       # as a plan's JSON records it; what is left out keeps the default
    sla_hours: {P1: 3}
    weights: {per_km: 2, late_per_minute: {P2: 40}}
    travel: {model: geodesic, speed_kmh: 35}
  solution_limit: 20
  time_limit: 5
scenarios:
  - name: P4 may wait
    variations:
      - set_weights: {unserved: {P4: 0}, late_per_minute: {P4: 0}}
  - name: rush hour
    variations:
      - set_travel: {speed_kmh: 25, road_factor: 1.5}
  - name: slower hvac jobs
    variations:
      - scale_durations: {factor: 1.3, skills: hvac}
  - name: four a day
    variations:
      - set_max_orders: {n: 4}
"""


def test_a_study_with_a_base_policy_and_the_new_variations(study, tmp_path):
    import yaml

    (tmp_path / "policy.yaml").write_text(POLICY_STUDY)
    scenarios = load_study(yaml.safe_load(POLICY_STUDY), tmp_path)
    base, p4, rush, hvac, four = scenarios
    assert base.policy == Policy(sla=SlaPolicy({"P1": 3, "P2": 8, "P3": 24, "P4": 72}),
                                 weights=Weights(late_per_minute={"P1": 100, "P2": 40, "P3": 10, "P4": 3}, per_km=2),
                                 travel=TravelModel(speed_kmh=35), time_limit=5, solution_limit=20)
    assert changes(base, p4) == {"P4.unserved_cost", "P4.late_cost_per_minute"}
    assert changes(base, rush) == {"speed_kmh", "road_factor"}
    assert changes(base, hvac) == {"orders"}
    assert changes(base, four) == {"technicians"}

    result = whatif(str(tmp_path / "policy.yaml"), "--out", str(tmp_path / "policy.csv"), "--serial")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(tmp_path / "policy.csv", index_col="scenario")
    assert list(df.index) == ["baseline", "P4 may wait", "rush hour", "slower hvac jobs", "four a day"]
    assert df["valid"].all()
    assert (df["violations"] == 0).all()
    assert (df["sla_hours_P1"] == 3).all()  # the CSV records each scenario's policy
    assert df.loc["rush hour", "speed_kmh_diff"] == -10
    assert df.loc["P4 may wait", "unserved_cost_P4"] == 0
    assert df.loc["four a day", "served"] <= 4 * 3


def test_a_study_policy_accepts_every_policy_field(study, tmp_path):
    import yaml

    every = Policy(seed=3, time_limit=7, solution_limit=9, region_orders=300,
                   weights=Weights(balance_per_minute=0.5)).to_dict()
    text = POLICY_STUDY.replace("  solution_limit: 20\n  time_limit: 5\n", "").replace(
        "  policy:                       # as a plan's JSON records it; what is left out keeps the default\n"
        "    sla_hours: {P1: 3}\n    weights: {per_km: 2, late_per_minute: {P2: 40}}\n"
        "    travel: {model: geodesic, speed_kmh: 35}\n",
        "  policy: " + json.dumps(every) + "\n")
    base = load_study(yaml.safe_load(text), tmp_path)[0]
    assert base.policy == Policy.from_dict(every)
    assert base.policy.region_orders == 300
