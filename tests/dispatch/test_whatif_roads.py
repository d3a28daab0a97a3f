"""What-if scenarios on roads: the policy tables carry the travel source (`geodesic` or `osm:FILE`, as
`dispatch solve --travel` takes it), and a scenario on roads is planned and checked on the extract's roads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dispatch import roads
from dispatch.demo_days import generate_day
from dispatch.errors import StudyError
from dispatch.policy import GEODESIC, OSM, Policy, TravelModel
from dispatch.whatif import Scenario, policy_from_tables, policy_tables, set_travel, solve_scenarios
from dispatch.whatif.study import load_study
from tests.factories import PLAN_DATE, assert_valid

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki.osm.pbf"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(roads.CACHE_ENV, str(tmp_path / "roads-cache"))
    roads.forget()
    yield
    roads.forget()


@pytest.fixture
def day():
    return generate_day(orders=8, technicians=2, seed=23, plan_date=PLAN_DATE, city="helsinki")


def test_the_tables_carry_a_road_source_and_give_it_back():
    policy = Policy(travel=TravelModel(source=OSM, file=str(EXTRACT), max_snap_m=400), solution_limit=5)
    priorities, settings = policy_tables(policy)
    assert settings["travel"] == f"osm:{EXTRACT}"
    assert settings["max_snap_m"] == 400
    back = policy_from_tables(priorities, settings)
    assert back.travel.source == OSM
    assert back.travel.file == str(EXTRACT)
    assert back.travel.max_snap_m == 400
    assert policy_tables(Policy())[1]["travel"] == GEODESIC


def test_a_scenario_on_roads_is_planned_on_the_roads_and_its_plan_checks(day):
    base = Scenario.from_day(day, policy=Policy(solution_limit=5))
    on_roads = set_travel(base, travel=f"osm:{EXTRACT}").named("roads")
    straight, road = solve_scenarios([base, on_roads])
    assert straight.plan.policy["travel"]["model"] == GEODESIC
    travel = road.plan.policy["travel"]
    assert travel["model"] == OSM
    assert travel["sha256"] == roads.file_sha256(EXTRACT)
    assert road.violations == ()
    assert_valid(day, road.plan)  # the checker recomputes every leg on the same roads
    # the legs are the roads' own figures, not the straight line's
    net = roads.OsmTravel(EXTRACT)
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}
    for r in road.plan.routes:
        here = homes[r.technician_id]
        for s in r.stops:
            there = where[s.order_id]
            metres, seconds = net.matrices([here[0], there[0]], [here[1], there[1]])
            assert s.travel_km * 1000 == pytest.approx(metres[0, 1], abs=1)
            assert s.travel_minutes * 60 == pytest.approx(seconds[0, 1], abs=1)
            here = there
    back = set_travel(on_roads, travel=GEODESIC)
    assert back.policy.travel.source == GEODESIC


def test_a_wrong_travel_setting_names_the_scenario_the_setting_and_the_value(day, tmp_path):
    base = Scenario.from_day(day)
    with pytest.raises(ValueError, match="scenario 'baseline': settings travel 'osrm:x': must be 'geodesic' or "):
        set_travel(base, travel="osrm:x")
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(ValueError, match=f"settings travel 'osm:{missing}': the OSM extract .* is not found"):
        set_travel(base, travel=f"osm:{missing}")


def test_a_study_takes_a_plans_road_policy():
    # the travel part of a plan's policy on roads, the extract's path relative to the study file's folder
    policy = {"travel": {"model": OSM, "file": EXTRACT.name, "sha256": roads.file_sha256(EXTRACT),
                         "max_snap_m": 300, "road_factor": 1.3, "speed_kmh": 40}}
    generate = {"orders": 8, "technicians": 2, "seed": 23, "city": "helsinki"}
    [baseline] = load_study({"base": {"generate": generate, "policy": policy}}, EXTRACT.parent)
    assert baseline.policy.travel.source == OSM
    assert baseline.policy.travel.file == str(EXTRACT)
    assert baseline.policy.travel.max_snap_m == 300
    changed = json.loads(json.dumps(policy))
    changed["travel"]["sha256"] = "0" * 64
    with pytest.raises(StudyError, match="has changed since the plan was made"):
        load_study({"base": {"generate": generate, "policy": changed}}, EXTRACT.parent)
