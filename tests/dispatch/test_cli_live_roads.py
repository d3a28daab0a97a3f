"""`dispatch replan` and `dispatch recommend` on a plan made on roads: a location further from every road than
the plan's limit is bad input naming its row, column and value (exit 2, nothing written), as in `dispatch
solve`; the re-plan of a reachable day stays on the same roads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch import roads
from dispatch.cli import app
from dispatch.demo_days import generate_day
from dispatch.io import write_orders_csv, write_technicians_csv
from dispatch.plan import Plan
from tests.factories import MIDNIGHT, PLAN_DATE, assert_valid, make_order

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki.osm.pbf"
runner = CliRunner()
DAY = generate_day(orders=8, technicians=2, seed=11, plan_date=PLAN_DATE, city="helsinki")


def emergency(north_deg):
    """A P1 called in at 10:20, `north_deg` north of the first order (0.05: 5.5 km out, in the sea)."""
    first = DAY.orders[0]
    return make_order("P1-NEW", lat=first.lat + north_deg, lon=first.lon, priority="P1",
                      required_skills=set(first.required_skills), duration_min=45,
                      created_at=MIDNIGHT + timedelta(hours=10, minutes=20))


@pytest.fixture(scope="module")
def morning(tmp_path_factory):
    """The morning plan of DAY made on the roads of the Helsinki extract; no event yet at 10:30."""
    folder = tmp_path_factory.mktemp("live-roads")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(roads.CACHE_ENV, str(folder / "cache"))
        write_technicians_csv(DAY.technicians, folder / "technicians.csv")
        write_orders_csv(DAY.orders, folder / "orders.csv")
        solved = runner.invoke(app, ["solve", *files(folder), "--solution-limit", "5", "--travel", f"osm:{EXTRACT}",
                                     "--out", str(folder / "morning.json")])
    assert solved.exit_code == 0, solved.output
    (folder / "events.csv").write_text("time,technician_id,order_id,event,note\n")
    return folder


def files(folder):
    return ["--technicians", str(folder / "technicians.csv"), "--orders", str(folder / "orders.csv"),
            "--date", PLAN_DATE.isoformat()]


def live(folder, orders, *extra):
    """The live command's arguments with `orders` as the day's orders file (the emergency added)."""
    write_orders_csv(orders, folder / "orders.csv")
    return [*files(folder), "--plan", str(folder / "morning.json"), "--events", str(folder / "events.csv"),
            "--at", "10:30", *extra]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(roads.CACHE_ENV, str(tmp_path / "cache"))
    roads.forget()
    yield
    roads.forget()


def assert_far_row_named(result):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())  # the console wraps long lines
    # the emergency is the ninth order: row 10 as a spreadsheet counts (the header is row 1)
    assert "orders.csv row 10, column lat, value" in text
    assert f"{emergency(0.05).lat:.6f}"[:8] in text
    assert "P1-NEW lies" in text
    assert "from the nearest road of helsinki.osm.pbf" in text
    assert "Traceback" not in result.output


def test_replan_refuses_a_location_far_from_every_road_naming_its_row(morning):
    out = morning / "replanned.json"
    result = runner.invoke(app, ["replan", *live(morning, (*DAY.orders, emergency(0.05)), "--solution-limit", "5",
                                                 "--out", str(out))])
    assert_far_row_named(result)
    assert not out.exists()


def test_recommend_refuses_a_location_far_from_every_road_naming_its_row(morning):
    out = morning / "places.json"
    result = runner.invoke(app, ["recommend", *live(morning, (*DAY.orders, emergency(0.05)), "--order", "P1-NEW",
                                                    "--json", str(out))])
    assert_far_row_named(result)
    assert not out.exists()


def test_replan_of_a_reachable_day_stays_on_the_same_roads(morning):
    out = morning / "replanned.json"
    result = runner.invoke(app, ["replan", *live(morning, (*DAY.orders, emergency(0.001)), "--solution-limit", "5",
                                                 "--out", str(out))])
    assert result.exit_code == 0, result.output
    plan = Plan.from_json(out.read_text())
    travel = json.loads(out.read_text())["policy"]["travel"]
    assert travel["model"] == "osm"
    assert travel["sha256"] == roads.file_sha256(EXTRACT)
    day = DAY.__class__(DAY.date, DAY.technicians, (*DAY.orders, emergency(0.001)))
    assert_valid(day, plan)
