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
