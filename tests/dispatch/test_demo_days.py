import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dispatch.demo_days import (
    CITIES,
    DEFAULT_DATE,
    MISSING_PART,
    RARE_SKILL,
    SCENARIOS,
    TRADES,
    generate_day,
    scenario,
)
from dispatch.domain import Day, Priority
from dispatch.geo import haversine_km
from dispatch.io import ORDER_COLUMNS, TECHNICIAN_COLUMNS, day_to_frames

D = date(2026, 11, 24)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo() -> Day:
    return scenario("demo")


@pytest.fixture(scope="module")
def medium() -> Day:
    return scenario("medium")


def _frames_equal(a: Day, b: Day) -> bool:
    (ta, oa), (tb, ob) = day_to_frames(a), day_to_frames(b)
    return ta.equals(tb) and oa.equals(ob)


@pytest.mark.determinism
def test_same_arguments_give_identical_day_and_frames():
    a = generate_day(orders=60, technicians=8, seed=3, plan_date=D, city="munich")
    b = generate_day(orders=60, technicians=8, seed=3, plan_date=D, city="munich")
    assert a == b
    assert _frames_equal(a, b)


def test_frames_are_identical_in_a_fresh_process_with_other_hash_seed():
    # string hashing differs between processes; the generator must not depend on set order
    code = (
        "from datetime import date; from dispatch.demo_days import generate_day; from dispatch.io import day_to_frames;"
        "t, o = day_to_frames(generate_day(orders=40, technicians=6, seed=5, plan_date=date(2026, 11, 24)));"
        "print(t.to_csv(index=False) + o.to_csv(index=False))"
    )
    # this process hashes strings with a random seed, the child with a fixed one
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "1", "PYTHONPATH": str(ROOT)}).stdout
    t, o = day_to_frames(generate_day(orders=40, technicians=6, seed=5, plan_date=D))
    assert child == t.to_csv(index=False) + o.to_csv(index=False) + "\n"


def test_different_seed_gives_a_different_day():
    a = generate_day(orders=60, technicians=8, seed=3, plan_date=D)
    b = generate_day(orders=60, technicians=8, seed=4, plan_date=D)
    assert not _frames_equal(a, b)


def test_named_scenarios_have_their_sizes_and_default_date():
    for name, spec in SCENARIOS.items():
        if name == "large":
            continue  # covered below, once
        day = scenario(name)
        assert (len(day.orders), len(day.technicians)) == (spec["orders"], spec["technicians"])
        assert day.date == DEFAULT_DATE
    assert scenario("small", plan_date=date(2027, 1, 5)).date == date(2027, 1, 5)
    with pytest.raises(ValueError, match="nope"):
        scenario("nope")


def test_unknown_city_is_refused():
    with pytest.raises(ValueError, match="atlantis"):
        generate_day(orders=5, technicians=1, seed=0, plan_date=D, city="atlantis")


def test_priority_shares_match_the_intended_mix(demo: Day):
    shares = Counter(o.priority for o in demo.orders)
    for p, target in {Priority.P1: 0.10, Priority.P2: 0.20, Priority.P3: 0.45, Priority.P4: 0.25}.items():
        assert abs(shares[p] / len(demo.orders) - target) < 0.03


@pytest.mark.parametrize("city", sorted(CITIES))
def test_every_point_lies_within_the_city_radius(city: str):
    c = CITIES[city]
    day = generate_day(orders=300, technicians=30, seed=9, plan_date=D, city=city)
    points = [(t.home_lat, t.home_lon) for t in day.technicians] + [(o.lat, o.lon) for o in day.orders]
    assert max(haversine_km(c.lat, c.lon, lat, lon) for lat, lon in points) <= c.radius_km
    assert all(c.on_land(lat, lon) for lat, lon in points)


def test_orders_cluster_in_districts(demo: Day):
    # the discs of 1.5 km around the districts cover at most 20 % of the city, yet hold most of the orders
    c = CITIES["lyon"]
    area_share = len(c.hotspots) * 1.5**2 / c.radius_km**2
    near = sum(any(haversine_km(h.lat, h.lon, o.lat, o.lon) <= 1.5 for h in c.hotspots) for o in demo.orders)
    assert area_share <= 0.21
    assert near / len(demo.orders) > 0.45


def test_technicians_have_trades_languages_shifts_breaks_and_stock(demo: Day):
    local = CITIES["lyon"].language
    for t in demo.technicians:
        trades = t.skills & set(TRADES)
        assert 1 <= len(trades) <= 3
        assert local in t.skills
        assert (t.shift_start.hour, t.shift_end.hour) in {(8, 17), (7, 15), (10, 19)}
        assert t.break_minutes in (30, 45)
        assert t.shift_start <= t.break_start
        assert t.break_end <= t.shift_end
        assert t.van_stock
        assert MISSING_PART not in t.van_stock
    assert any(t.max_orders for t in demo.technicians)
    assert Counter((t.shift_start.hour, t.shift_end.hour) for t in demo.technicians).most_common(1)[0][0] == (8, 17)
    assert any(len(t.skills - set(TRADES)) >= 2 for t in demo.technicians)  # some speak a second language


def test_orders_carry_windows_parts_deadlines_and_pins(demo: Day):
    n = len(demo.orders)
    windows = [o for o in demo.orders if o.window_start is not None]
    assert 0.2 < len(windows) / n < 0.45
    for o in windows:
        hours = (o.window_end - o.window_start).total_seconds() / 3600
        assert 2 <= hours <= 4
    assert 0.2 < sum(bool(o.required_parts) for o in demo.orders) / n < 0.5
    assert all(20 <= o.duration_min <= 180 for o in demo.orders)
    midnight = demo.midnight
    for o in demo.orders:
        if o.priority in (Priority.P1, Priority.P2):
            assert midnight <= o.created_at < midnight + timedelta(hours=9)
        else:
            assert o.created_at < midnight + timedelta(hours=9)
    # some routine orders are already past their response deadline before the day starts
    deadline = {Priority.P3: 24, Priority.P4: 72}
    overdue = [o for o in demo.orders if o.priority in deadline
               and o.created_at + timedelta(hours=deadline[o.priority]) < midnight + timedelta(hours=8)]
    assert overdue
    pinned = [o for o in demo.orders if o.pinned_technician]
    assert 1 <= len(pinned) <= 0.03 * n
    for o in pinned:
        assert o.required_skills <= demo.technician(o.pinned_technician).skills


@pytest.mark.parametrize("name", ["demo", "medium"])
def test_some_orders_cannot_be_served_by_design(name: str, request: pytest.FixtureRequest):
    day: Day = request.getfixturevalue(name)
    skills = set().union(*(t.skills for t in day.technicians))
    parts = set().union(*(t.van_stock for t in day.technicians))
    assert any(not o.required_skills <= skills for o in day.orders)
    assert any(RARE_SKILL in o.required_skills for o in day.orders)
    assert any(set(o.required_parts) - parts for o in day.orders)


@pytest.mark.parametrize("name", ["demo", "medium"])
def test_demand_exceeds_capacity(name: str, request: pytest.FixtureRequest):
    day: Day = request.getfixturevalue(name)
    service = sum(o.duration_min for o in day.orders)
    shift = sum((t.shift_end - t.shift_start).total_seconds() / 60 for t in day.technicians)
    assert service > 0.9 * shift
    assert service < 1.3 * shift  # too much work, not absurdly much


def test_large_scenario_is_valid_and_quick_to_build():
    day = scenario("large")
    assert (len(day.orders), len(day.technicians)) == (1000, 100)
    assert {o.id for o in day.orders} == {f"O{i:04d}" for i in range(1, 1001)}
    assert set(TRADES) <= set().union(*(t.skills for t in day.technicians))


def test_tiny_and_empty_days_validate():
    assert generate_day(orders=0, technicians=0, seed=1, plan_date=D).orders == ()
    day = generate_day(orders=3, technicians=1, seed=1, plan_date=D, city="manchester")
    assert len(day.orders) == 3


def test_frames_follow_the_csv_contract(demo: Day):
    techs, orders = day_to_frames(demo)
    assert list(techs.columns) == list(TECHNICIAN_COLUMNS)
    assert list(orders.columns) == list(ORDER_COLUMNS)
    assert len(techs) == len(demo.technicians)
    assert len(orders) == len(demo.orders)
    for frame in (techs, orders):
        assert all(isinstance(v, str) for v in frame.to_numpy().ravel())
    t = techs.iloc[0]
    assert t["shift_start"] in {"07:00", "08:00", "10:00"}
    assert t["break_start"] == "11:30"
    assert pd.Series(techs["skills"]).str.fullmatch(r"[a-z]+(;[a-z]+)*").all()
    assert pd.Series(techs["van_stock"]).str.fullmatch(r"([A-Z]+-\d+:\d+)(;[A-Z]+-\d+:\d+)*").all()
    assert set(techs["max_orders"]) - {""}
    assert "" in set(techs["max_orders"])
    assert orders["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00").all()
    assert orders["window_start"].str.fullmatch(r"(\d\d:\d\d)?").all()
    assert orders["required_parts"].str.fullmatch(r"(([A-Z]+-\d+:\d+)(;[A-Z]+-\d+:\d+)*)?").all()
    assert set(orders["priority"]) == {"P1", "P2", "P3", "P4"}
    o = demo.orders[0]
    row = orders.iloc[0]
    assert (float(row["lat"]), float(row["lon"]), int(row["duration_min"])) == (o.lat, o.lon, o.duration_min)


def test_frames_written_as_csv_read_back_to_the_same_day(tmp_path, medium: Day):
    io = pytest.importorskip("dispatch.io")
    techs, orders = day_to_frames(medium)
    techs.to_csv(tmp_path / "technicians.csv", index=False)
    orders.to_csv(tmp_path / "orders.csv", index=False)
    assert io.read_day(tmp_path / "technicians.csv", tmp_path / "orders.csv", medium.date) == medium
