"""`dispatch replan` and `dispatch recommend` as a dispatcher runs them: files in, a plan or a ranking out,
exit 2 with every bad cell named and nothing written on bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from dispatch.cli import app, parse_at
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from dispatch.io import write_orders_csv, write_technicians_csv
from dispatch.plan import Plan
from tests.factories import MIDNIGHT, PLAN_DATE, assert_valid, make_order

runner = CliRunner()
DAY = generate_day(orders=25, technicians=4, seed=11, plan_date=PLAN_DATE)
# an emergency called in at 10:20, at the first order's address
P1 = make_order("P1-NEW", lat=DAY.orders[0].lat, lon=DAY.orders[0].lon, priority="P1",
                required_skills=set(DAY.orders[0].required_skills), duration_min=45,
                created_at=MIDNIGHT + timedelta(hours=10, minutes=20))
FULL = Day(DAY.date, DAY.technicians, (*DAY.orders, P1))


def args(folder, *extra):
    return ["--technicians", str(folder / "technicians.csv"), "--orders", str(folder / "orders.csv"),
            "--date", PLAN_DATE.isoformat(), *extra]


@pytest.fixture(scope="module")
def live_files(tmp_path_factory):
    """The morning plan of DAY, the orders file with the emergency added, and the events up to 10:30."""
    folder = tmp_path_factory.mktemp("live")
    write_technicians_csv(DAY.technicians, folder / "technicians.csv")
    write_orders_csv(DAY.orders, folder / "orders.csv")
    solved = runner.invoke(app, ["solve", *args(folder, "--solution-limit", "20", "--time-limit", "60",
                                                "--out", str(folder / "morning.json"))])
    assert solved.exit_code == 0, solved.output
    write_orders_csv(FULL.orders, folder / "orders.csv")
    morning = Plan.from_json((folder / "morning.json").read_text())
    at = MIDNIGHT + timedelta(hours=10, minutes=30)
    rows = ["time,technician_id,order_id,event,note"]
    for r in morning.routes:
        for s in r.stops:
            if s.start <= at:
                rows += [f"{s.arrival.isoformat()},{r.technician_id},{s.order_id},arrived,",
                         f"{s.start.isoformat()},{r.technician_id},{s.order_id},started,"]
            if s.end <= at:
                rows.append(f"{s.end.isoformat()},{r.technician_id},{s.order_id},done,")
    (folder / "events.csv").write_text("\n".join(rows) + "\n")
    return folder


def live_args(folder, *extra):
    return args(folder, "--plan", str(folder / "morning.json"), "--events", str(folder / "events.csv"),
                "--at", "10:30", *extra)


def test_replan_writes_the_whole_day_with_the_emergency_and_its_changes(live_files):
    out = live_files / "new.json"
    result = runner.invoke(app, ["replan", *live_args(live_files, "--solution-limit", "20", "--out", str(out),
                                                      "--map", str(live_files / "new.html"))])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    new = Plan.from_dict(data)
    assert_valid(FULL, new)
    assert data["at"] == "2026-11-24T10:30:00"
    statuses = {s["status"] for r in data["routes"] for s in r["stops"]}
    assert {"done", "planned"} <= statuses
    assert any(c["order_id"] == "P1-NEW" and c["change"] == "added" for c in data["changes"])
    assert set(data["kpis"]["churn"]) == {"reassigned", "shifted_over_15_min", "max_eta_shift_minutes",
                                          "technicians_affected"}
    assert (live_files / "new.html").exists()
    assert "Re-plan at 10:30" in result.output
    checked = runner.invoke(app, ["check", *args(live_files, "--plan", str(out), "--events",
                                                 str(live_files / "events.csv"), "--at", "10:30", "--previous",
                                                 str(live_files / "morning.json"))])
    assert checked.exit_code == 0, checked.output


def test_recommend_prints_the_ranked_places_and_writes_them_as_json(live_files):
    out = live_files / "places.json"
    result = runner.invoke(app, ["recommend", *live_args(live_files, "--order", "P1-NEW", "--top", "3",
                                                         "--json", str(out))])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["order_id"] == "P1-NEW"
    assert 1 <= len(data["placements"]) <= 3
    totals = [p["added_cost"]["total"] for p in data["placements"]]
    assert totals == sorted(totals)
    assert set(data["placements"][0]) == {"technician_id", "position", "arrival", "eta", "late_minutes",
                                          "added_cost", "bumps", "crew"}
    assert data["placements"][0]["crew"] == []  # a one-person order
    assert data["placements"][0]["technician_id"] in result.output


def test_bad_events_exit_2_name_each_bad_cell_and_write_nothing(live_files):
    bad = live_files / "bad_events.csv"
    bad.write_text("time,technician_id,order_id,event,note\n"
                   "2026-11-24T09:00,T001,NOPE,started,\n"
                   "2026-11-24T09:10,T001,O0001,teleported,\n"
                   "half past nine,T001,O0002,started,\n"
                   "2026-11-24T09:00,T002,O0003,done,\n")
    out = live_files / "never.json"
    result = runner.invoke(app, ["replan", *args(live_files, "--plan", str(live_files / "morning.json"),
                                                 "--events", str(bad), "--at", "10:30", "--out", str(out))])
    assert result.exit_code == 2
    for named in ("row 2, column order_id, value 'NOPE'", "row 3, column event, value 'teleported'",
                  "row 4, column time, value 'half past nine'", "row 5"):
        assert named in result.output
    assert not out.exists()


@pytest.mark.parametrize(("extra", "named"), [
    (["--at", "25:00"], "--at '25:00'"),
    (["--at", "2026-11-25T10:00"], "plan date"),
])
def test_a_bad_moment_exits_2(live_files, extra, named):
    result = runner.invoke(app, ["replan", *args(live_files, "--plan", str(live_files / "morning.json"),
                                                 "--events", str(live_files / "events.csv"), *extra,
                                                 "--out", str(live_files / "x.json"))])
    assert result.exit_code == 2
    assert named in result.output


def test_recommend_an_order_that_is_done_exits_2(live_files):
    done = next(line.split(",")[2] for line in (live_files / "events.csv").read_text().splitlines()
                if line.endswith(",done,"))
    result = runner.invoke(app, ["recommend", *live_args(live_files, "--order", done)])
    assert result.exit_code == 2
    assert done in result.output


def test_parse_at_takes_a_clock_time_on_the_plan_date():
    assert parse_at("9:05", PLAN_DATE) == MIDNIGHT.replace(hour=9, minute=5)
    assert parse_at("2026-11-24T10:30", PLAN_DATE) == MIDNIGHT.replace(hour=10, minute=30)
