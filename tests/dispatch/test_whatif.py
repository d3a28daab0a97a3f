"""Variations change what they say and nothing else; the runner checks every plan it makes."""

from __future__ import annotations

import math

import matplotlib
import pandas as pd
import pytest

from dispatch.domain import Policy, Priority
from dispatch.io.cells import parse_parts, parse_tags
from dispatch.scenarios import generate_day
from dispatch.whatif import (
    Scenario,
    add_skill,
    add_technicians,
    apply_variations,
    close_part,
    compare,
    plot_kpis,
    remove_technicians,
    run_scenarios,
    scale_demand,
    scenario_map,
    set_sla_hours,
    set_solve_limits,
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
