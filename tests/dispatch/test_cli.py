"""The console commands as a dispatcher runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dispatch.cli import app, parse_sla
from dispatch.demo_days import generate_day
from dispatch.domain import Priority
from dispatch.io import read_day, write_orders_csv, write_technicians_csv
from tests.factories import PLAN_DATE, assert_valid

runner = CliRunner()


@pytest.fixture
def day_files(tmp_path):
    day = generate_day(orders=25, technicians=4, seed=11, plan_date=PLAN_DATE)
    write_technicians_csv(day.technicians, tmp_path / "technicians.csv")
    write_orders_csv(day.orders, tmp_path / "orders.csv")
    return tmp_path


def args(folder, *extra):
    return ["--technicians", str(folder / "technicians.csv"), "--orders", str(folder / "orders.csv"),
            "--date", PLAN_DATE.isoformat(), *extra]


def test_solve_reports_each_technicians_workload_and_prints_the_spread(day_files):
    out = day_files / "plan.json"
    result = runner.invoke(app, ["solve", *args(day_files, "--time-limit", "5", "--solution-limit", "20",
                                                "--no-fixes", "--out", str(out))])
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    w = plan["kpis"]["workload"]
    stops = {r["technician_id"]: len(r["stops"]) for r in plan["routes"]}
    assert {t: x["orders"] for t, x in w["per_technician"].items() if x["orders"]} == \
        {t: n for t, n in stops.items() if n}
    minutes = [x["minutes"] for x in w["per_technician"].values() if x["orders"]]
    assert w["working"] == len(minutes)
    assert w["spread_minutes"] == pytest.approx(max(minutes) - min(minutes), abs=0.11)
    assert w["max_mean_minutes"] == pytest.approx(max(minutes) / (sum(minutes) / len(minutes)), abs=0.002)
    assert f"{w['working']} working, busiest" in " ".join(result.output.split())


def test_solve_writes_a_valid_plan_and_map_and_prints_kpis(day_files):
    out = day_files / "plan.json"
    result = runner.invoke(app, ["solve", *args(day_files, "--time-limit", "5", "--solution-limit", "50",
                                                "--out", str(out), "--map", str(day_files / "plan.html"))])
    assert result.exit_code == 0, result.output
    assert "served" in result.output
    assert "weighted cost" in result.output
    day = read_day(day_files / "technicians.csv", day_files / "orders.csv", PLAN_DATE)
    assert_valid(day, json.loads(out.read_text()))
    assert "leaflet" in (day_files / "plan.html").read_text().lower()

    checked = runner.invoke(app, ["check", *args(day_files, "--plan", str(out))])
    assert checked.exit_code == 0, checked.output


def test_check_fails_a_tampered_plan(day_files):
    out = day_files / "plan.json"
    runner.invoke(app, ["solve", *args(day_files, "--time-limit", "5", "--solution-limit", "20", "--out", str(out))])
    plan = json.loads(out.read_text())
    victim = next(r for r in plan["routes"] if r["stops"])
    victim["stops"].pop()  # an order silently vanishes
    out.write_text(json.dumps(plan))
    result = runner.invoke(app, ["check", *args(day_files, "--plan", str(out))])
    assert result.exit_code == 1
    assert "coverage" in result.output


def test_bad_csv_exits_2_names_every_bad_cell_and_writes_nothing(day_files):
    orders = (day_files / "orders.csv").read_text().splitlines()
    header = orders[0].split(",")
    row2 = orders[1].split(",")
    row2[header.index("lat")] = "123.4"
    row3 = orders[2].split(",")
    row3[header.index("priority")] = "P9"
    (day_files / "orders.csv").write_text("\n".join([orders[0], ",".join(row2), ",".join(row3), *orders[3:]]))
    out = day_files / "plan.json"
    result = runner.invoke(app, ["solve", *args(day_files, "--out", str(out))])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "row 2, column lat, value '123.4'" in text
    assert "row 3, column priority, value 'P9'" in text
    assert not out.exists()


def test_bad_sla_option_exits_2(day_files):
    result = runner.invoke(app, ["solve", *args(day_files, "--sla", "P1=soon", "--out", str(day_files / "p.json"))])
    assert result.exit_code == 2
    assert "P1=soon" in result.output


def test_parse_sla_overrides_only_what_is_given():
    sla = parse_sla("P1=2h, P2=90m")
    assert sla.hours[Priority.P1] == 2
    assert sla.hours[Priority.P2] == 1.5
    assert sla.hours[Priority.P4] == 72


def test_solve_splits_a_large_day_into_regions_on_dask_workers(tmp_path):
    day = generate_day(orders=90, technicians=10, seed=2, plan_date=PLAN_DATE)
    write_technicians_csv(day.technicians, tmp_path / "technicians.csv")
    write_orders_csv(day.orders, tmp_path / "orders.csv")
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["solve", *args(tmp_path, "--time-limit", "60", "--solution-limit", "20",
                                                "--region-orders", "60", "--workers", "2", "--out", str(out))])
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    assert_valid(day, plan)
    assert len(plan["kpis"]["solver"]["regions"]) >= 3
    assert plan["policy"]["region_orders"] == 60


def test_solve_refuses_bad_region_options(day_files):
    for extra, message in ((("--region-orders", "5"), "region_orders 5"), (("--workers", "0"), "--workers 0")):
        result = runner.invoke(app, ["solve", *args(day_files, *extra, "--out", str(day_files / "p.json"))])
        assert result.exit_code == 2
        assert message in result.output
    assert not (day_files / "p.json").exists()


def test_generate_writes_a_day_into_a_new_folder(tmp_path):
    out = tmp_path / "new" / "day"
    result = runner.invoke(app, ["generate", "--orders", "12", "--technicians", "3", "--seed", "4",
                                 "--date", "2026-11-24", "--out", str(out)])
    assert result.exit_code == 0, result.output
    day = read_day(out / "technicians.csv", out / "orders.csv", PLAN_DATE)
    assert day == generate_day(orders=12, technicians=3, seed=4, plan_date=PLAN_DATE)


@pytest.mark.parametrize(("args", "named"), [
    (["--date", "24/11/2026"], "24/11/2026"),
    (["--city", "atlantis"], "atlantis"),
    (["--orders", "-1"], "orders -1"),
])
def test_generate_refuses_bad_options_with_exit_2(tmp_path, args, named):
    result = runner.invoke(app, ["generate", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert named in result.output
    assert not (tmp_path / "orders.csv").exists()


# --- check of a re-plan: --events, --at, --previous ---


@pytest.fixture
def replan_files(tmp_path):
    """The re-plan day of tests/dispatch/analysis/test_replan_check.py as files: CSVs, the morning plan,
    the events by 10:30 and a correct re-plan."""
    from dispatch.planning import solve_day
    from dispatch.policy import Policy
    from tests.dispatch.analysis.test_replan_check import DAY, TECHS, good_replan, morning_events, orders
    from tests.factories import make_day

    write_technicians_csv(DAY.technicians, tmp_path / "technicians.csv")
    write_orders_csv(DAY.orders, tmp_path / "orders.csv")
    morning = solve_day(make_day(TECHS, orders(with_o7=False)), Policy(time_limit=5, solution_limit=20)).to_dict()
    (tmp_path / "previous.json").write_text(json.dumps(morning))
    (tmp_path / "events.csv").write_text(morning_events(morning))
    (tmp_path / "new.json").write_text(json.dumps(good_replan(morning)))
    return tmp_path


def replan_args(folder, *extra):
    return ["check", *args(folder, "--plan", str(folder / "new.json"), "--events", str(folder / "events.csv"),
                           "--at", "10:30", "--previous", str(folder / "previous.json"), *extra)]


def test_check_passes_a_correct_replan(replan_files):
    result = runner.invoke(app, replan_args(replan_files))
    assert result.exit_code == 0, result.output
    assert "plan check: OK" in result.output


def test_check_takes_at_as_an_iso_datetime_too(replan_files):
    cmd = replan_args(replan_files)
    cmd[cmd.index("10:30")] = "2026-11-24T10:30:00"
    assert runner.invoke(app, cmd).exit_code == 0


def test_check_fails_a_replan_whose_done_visit_moved(replan_files):
    plan = json.loads((replan_files / "new.json").read_text())
    o1 = next(s for r in plan["routes"] for s in r["stops"] if s["order_id"] == "O1")
    o1["start"] = o1["arrival"] = "2026-11-24T08:20:00"
    (replan_files / "new.json").write_text(json.dumps(plan))
    result = runner.invoke(app, replan_args(replan_files))
    assert result.exit_code == 1
    assert "frozen: T1 O1" in result.output


def test_check_of_a_replan_with_bad_events_exits_2_naming_every_bad_cell(replan_files):
    events = replan_files / "events.csv"
    events.write_text(events.read_text() + "2026-11-24T10:25:00,T9,O1,arrived,\n2026-11-24T10:26:00,T1,O2,napping,\n")
    result = runner.invoke(app, replan_args(replan_files))
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "column technician_id, value 'T9'" in text
    assert "column event, value 'napping'" in text


def test_check_wants_events_at_and_previous_together(replan_files):
    result = runner.invoke(app, ["check", *args(replan_files, "--plan", str(replan_files / "new.json"),
                                                "--at", "10:30")])
    assert result.exit_code == 2
    assert "go together" in result.output


def test_check_refuses_a_bad_at(replan_files):
    cmd = replan_args(replan_files)
    cmd[cmd.index("10:30")] = "half past ten"
    result = runner.invoke(app, cmd)
    assert result.exit_code == 2
    assert "half past ten" in result.output
