"""Road travel from an OpenStreetMap extract (dispatch.roads): plans on the roads of the shipped Helsinki extract
agree with shortest paths computed independently, one-way streets and speed limits count, the prepared graph is
cached by the file's hash, and a location far from every road is refused naming its row."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest
from osmium.osm.mutable import Node, Way
from typer.testing import CliRunner

from dispatch import roads
from dispatch.analysis.checker import check_plan
from dispatch.analysis.mapping import _road_legs, plan_map
from dispatch.cli import app
from dispatch.demo_days import generate_day
from dispatch.io import read_day, write_orders_csv, write_technicians_csv
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.travel import parse_travel, travel_for
from tests.factories import PLAN_DATE, assert_valid

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki.osm.pbf"
runner = CliRunner()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Each test prepares into its own cache folder and starts with no network in memory."""
    folder = tmp_path / "roads-cache"
    monkeypatch.setenv(roads.CACHE_ENV, str(folder))
    roads.forget()
    yield folder
    roads.forget()


# --- an independent reading of the extract: every OSM node a vertex, networkx Dijkstra ------------------------

SPEEDS = {"motorway": 100, "motorway_link": 60, "trunk": 80, "trunk_link": 50, "primary": 50, "primary_link": 40,
          "secondary": 45, "secondary_link": 35, "tertiary": 40, "tertiary_link": 30, "unclassified": 30,
          "residential": 30, "living_street": 10, "service": 15}  # km/h, the README's table
WALK_KMH = 10.0  # the README: a location's distance to its road is driven at 10 km/h


def metres(lat1, lon1, lat2, lon2):
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


class _Ways(osmium.SimpleHandler):
    def __init__(self):
        super().__init__()
        self.graph = nx.DiGraph()
        self.where = {}

    def way(self, w):
        tags = dict(w.tags)
        if tags.get("highway") not in SPEEDS or tags.get("area") == "yes":
            return
        access = next((tags[k] for k in ("motorcar", "motor_vehicle", "vehicle", "access") if k in tags), "")
        if access in ("no", "private", "agricultural", "forestry", "emergency", "psv", "bus", "delivery"):
            return
        limit = tags.get("maxspeed", "")
        kmh = float(limit) if limit.isdigit() else SPEEDS[tags["highway"]]
        oneway = tags.get("oneway", "")
        forward = oneway != "-1"
        backward = oneway not in ("yes", "1", "true", "-1") and tags.get("junction") != "roundabout" \
            and tags["highway"] not in ("motorway", "motorway_link")
        if oneway == "-1":
            backward = True
        nodes = [(n.ref, n.location.lat, n.location.lon) for n in w.nodes if n.location.valid()]
        # a way clipped by the extract: only consecutive nodes with locations are roads
        valid = [n.location.valid() for n in w.nodes]
        refs = [n.ref for n in w.nodes]
        for k in range(len(refs) - 1):
            if not (valid[k] and valid[k + 1]):
                continue
            a, b = refs[k], refs[k + 1]
            la, lb = next(x for x in nodes if x[0] == a), next(x for x in nodes if x[0] == b)
            self.where[a], self.where[b] = la[1:], lb[1:]
            length = metres(*la[1:], *lb[1:])
            for u, v, ok in ((a, b, forward), (b, a, backward)):
                if ok and (not self.graph.has_edge(u, v) or self.graph[u][v]["time"] > length / (kmh / 3.6)):
                    self.graph.add_edge(u, v, time=length / (kmh / 3.6), length=length)


class Independent:
    """Shortest paths on the extract, read and searched without dispatch.roads."""

    def __init__(self, path):
        h = _Ways()
        h.apply_file(str(path), locations=True)
        big = max(nx.strongly_connected_components(h.graph), key=len)
        self.graph = h.graph.subgraph(big).copy()
        self.where = h.where
        self.segments = [(u, v) for u, v in self.graph.edges if u < v or not self.graph.has_edge(v, u)]
        lat0 = math.radians(np.mean([p[0] for p in self.where.values()]))
        self.k = (math.cos(lat0) * 111_195.0, 111_195.0)

    def _snap(self, lat, lon):
        """The nearest point on any road segment: (segment, fraction along it, walk metres)."""
        kx, ky = self.k
        best = None
        for u, v in self.segments:
            (ya, xa), (yb, xb) = self.where[u], self.where[v]
            ax, ay, bx, by, px, py = xa * kx, ya * ky, xb * kx, yb * ky, lon * kx, lat * ky
            dx, dy = bx - ax, by - ay
            t = 0.0 if dx == dy == 0 else min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
            gap = math.hypot(ax + t * dx - px, ay + t * dy - py)
            if best is None or gap < best[0]:
                best = (gap, u, v, t)
        _, u, v, t = best
        (ya, xa), (yb, xb) = self.where[u], self.where[v]
        on = (ya + t * (yb - ya), xa + t * (xb - xa))
        return u, v, t, metres(lat, lon, *on)

    def leg(self, a, b):
        """(seconds, metres) of the fastest route from a to b, walks to and from the road included."""
        if a == b:
            return 0.0, 0.0
        g = self.graph.copy()
        for name, (lat, lon) in (("from", a), ("to", b)):
            u, v, t, walk = self._snap(lat, lon)
            g.add_node(name, walk=walk)
            for x, y, share in ((u, v, t), (v, u, 1 - t)):
                if g.has_edge(x, y):  # the point splits the segment x -> y
                    e = g[x][y]
                    if name == "from":
                        g.add_edge("from", y, time=e["time"] * (1 - share), length=e["length"] * (1 - share))
                    else:
                        g.add_edge(x, "to", time=e["time"] * share, length=e["length"] * share)
        seconds, path = nx.single_source_dijkstra(g, "from", "to", weight="time")
        length = sum(g[x][y]["length"] for x, y in itertools.pairwise(path))
        walk = g.nodes["from"]["walk"] + g.nodes["to"]["walk"]
        return seconds + walk / (WALK_KMH / 3.6), length + walk


def test_every_leg_of_a_road_plan_agrees_with_independent_shortest_paths_and_the_plan_checks(tmp_path):
    # an unseen day: a seed no other test or the demo uses, inside the extract
    day = generate_day(orders=24, technicians=4, seed=4242, plan_date=PLAN_DATE, city="helsinki")
    write_technicians_csv(day.technicians, tmp_path / "technicians.csv")
    write_orders_csv(day.orders, tmp_path / "orders.csv")
    files = ["-t", str(tmp_path / "technicians.csv"), "-o", str(tmp_path / "orders.csv"), "-d", PLAN_DATE.isoformat()]
    result = runner.invoke(app, ["solve", *files, "--time-limit", "60", "--solution-limit", "30", "--no-fixes",
                                 "--travel", f"osm:{EXTRACT}", "--out", str(tmp_path / "plan.json")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "plan.json").read_text())
    travel = data["policy"]["travel"]
    assert travel["model"] == "osm"
    assert Path(travel["file"]).name == "helsinki.osm.pbf"
    assert travel["sha256"] == roads.file_sha256(EXTRACT)

    checked = runner.invoke(app, ["check", *files, "--plan", str(tmp_path / "plan.json")])
    assert checked.exit_code == 0, checked.output
    assert "recomputed on the roads of helsinki.osm.pbf" in checked.output

    truth = Independent(EXTRACT)
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}
    legs = 0
    for route in data["routes"]:
        here = homes[route["technician_id"]]
        for stop in route["stops"]:
            there = where[stop["order_id"]]
            seconds, length = truth.leg(here, there)
            # within 5 %, and the plan's own rounding (whole metres and seconds, minutes to 2 decimals)
            assert stop["travel_minutes"] * 60 == pytest.approx(seconds, rel=0.05, abs=1.0), (route, stop)
            assert stop["travel_km"] * 1000 == pytest.approx(length, rel=0.05, abs=1.0), (route, stop)
            here = there
            legs += 1
    assert legs >= 10
    plan = Plan.from_json((tmp_path / "plan.json").read_text())
    assert_valid(day, plan)


def test_the_checker_recomputes_road_legs_and_catches_a_leg_that_is_not_the_road():
    day = generate_day(orders=10, technicians=2, seed=8, plan_date=PLAN_DATE, city="helsinki")
    policy = Policy(time_limit=30, solution_limit=10)
    plan = plan_day(day, policy, travel=parse_travel(f"osm:{EXTRACT}"), fixes=False)
    assert_valid(day, plan)
    data = json.loads(plan.to_json())
    stop = next(s for r in data["routes"] for s in r["stops"] if s["travel_minutes"] > 1)
    stop["travel_minutes"] *= 0.5  # as the straight line would have promised
    report = check_plan(day, data)
    assert "travel time" in report.rules


# --- a small town written here: a grid of 500 m blocks ---------------------------------------------------------

LAT0, LON0 = 60.0, 24.0
DLAT, DLON = 500 / 111_195.0, 500 / (111_195.0 * math.cos(math.radians(LAT0)))


def node_id(row, col):
    return 1 + row * 10 + col


def write_town(path, *, top_oneway=True, bottom_maxspeed="60"):
    """3 x 3 intersections. The top row's west block is one-way eastward; the bottom row's west block has a
    speed limit; every other block is a two-way residential street (30 km/h)."""
    Path(path).unlink(missing_ok=True)  # osmium does not overwrite
    w = osmium.SimpleWriter(str(path))
    for r in range(3):
        for c in range(3):
            w.add_node(Node(id=node_id(r, c), location=(LON0 + c * DLON, LAT0 + r * DLAT), tags={}))
    way = 1
    for r in range(3):
        for c in range(2):
            tags = {"highway": "residential"}
            if r == 2 and c == 0 and top_oneway:
                tags["oneway"] = "yes"
            if r == 0 and c == 0 and bottom_maxspeed:
                tags["maxspeed"] = bottom_maxspeed
            w.add_way(Way(id=way, nodes=[node_id(r, c), node_id(r, c + 1)], tags=tags))
            way += 1
    for c in range(3):
        for r in range(2):
            w.add_way(Way(id=way, nodes=[node_id(r, c), node_id(r + 1, c)], tags={"highway": "residential"}))
            way += 1
    w.close()
    return path


def corner(row, col):
    return LAT0 + row * DLAT, LON0 + col * DLON


def test_a_one_way_street_is_driven_its_way_only(tmp_path):
    town = roads.OsmTravel(write_town(tmp_path / "town.osm.pbf"))
    (la, lo), (lb, lob) = corner(2, 0), corner(2, 1)
    dist, dur = town.matrices([la, lb], [lo, lob])
    assert dist[0, 1] == pytest.approx(500, abs=2)  # along the one-way street
    assert dist[1, 0] == pytest.approx(1500, abs=5)  # back around the block
    assert dur[1, 0] == pytest.approx(1500 / (30 / 3.6), abs=2)


def test_a_speed_limit_is_used_where_tagged_and_the_class_speed_elsewhere(tmp_path):
    town = roads.OsmTravel(write_town(tmp_path / "town.osm.pbf", bottom_maxspeed="60"))
    lat, lon = zip(corner(0, 0), corner(0, 1), corner(0, 2), strict=True)
    dist, dur = town.matrices(list(lat), list(lon))
    assert dist[0, 1] == pytest.approx(dist[1, 2], abs=2)
    assert dur[0, 1] == pytest.approx(500 / (60 / 3.6), abs=1)  # maxspeed=60
    assert dur[1, 2] == pytest.approx(500 / (30 / 3.6), abs=1)  # residential, untagged


def test_the_walk_to_the_road_counts_at_the_slow_speed(tmp_path):
    town = roads.OsmTravel(write_town(tmp_path / "town.osm.pbf"))
    a = corner(1, 1)
    b = (corner(1, 2)[0] + 100 / 111_195.0 * 0.5, corner(1, 2)[1] - 250 / (111_195.0 * 0.5))  # 50 m off a street
    dist, dur = town.matrices([a[0], b[0]], [a[1], b[1]])
    assert dist[0, 1] == pytest.approx(250 + 50, abs=3)
    assert dur[0, 1] == pytest.approx(250 / (30 / 3.6) + 50 / (roads.SNAP_SPEED_KMH / 3.6), abs=2)


def test_the_prepared_graph_is_cached_by_the_files_hash_and_reused(tmp_path, cache):
    town = write_town(tmp_path / "town.osm.pbf")
    first = roads.prepare(town)
    cached = roads.cache_path(roads.file_sha256(town))
    assert cached.parent == cache
    assert cached.is_file()
    stamp = cached.stat().st_mtime_ns
    roads.forget()  # a new process: nothing in memory
    again = roads.prepare(town)
    assert again is not first
    assert cached.stat().st_mtime_ns == stamp  # read from the cache, not prepared and written again
    assert list(cache.iterdir()) == [cached]
    np.testing.assert_array_equal(again.data.length_m, first.data.length_m)
    # a copy elsewhere has the same hash, so the same cache; a changed file gets its own
    copy = tmp_path / "elsewhere.osm.pbf"
    shutil.copy(town, copy)
    roads.forget()
    roads.prepare(copy)
    assert list(cache.iterdir()) == [cached]
    other = write_town(tmp_path / "other.osm.pbf", bottom_maxspeed="")
    roads.prepare(other)
    assert len(list(cache.iterdir())) == 2


def test_a_plan_is_not_recomputed_on_a_changed_extract(tmp_path):
    town = write_town(tmp_path / "town.osm.pbf")
    model = roads.OsmTravel(town).model
    write_town(town, bottom_maxspeed="")  # the file changes under the same name
    roads.forget()
    with pytest.raises(ValueError, match="SHA-256"):
        travel_for(model)


def test_a_location_far_from_every_road_is_refused_naming_its_row(tmp_path):
    day = generate_day(orders=6, technicians=2, seed=5, plan_date=PLAN_DATE, city="helsinki")
    write_technicians_csv(day.technicians, tmp_path / "technicians.csv")
    write_orders_csv(day.orders, tmp_path / "orders.csv")
    lines = (tmp_path / "orders.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[4].split(",")  # the fourth order: row 5 as a spreadsheet counts (the header is row 1)
    cells[header.index("lat")] = f"{float(cells[header.index('lat')]) + 0.05:.6f}"  # 5.5 km north, in the sea
    lines[4] = ",".join(cells)
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n")
    far = read_day(tmp_path / "technicians.csv", tmp_path / "orders.csv", PLAN_DATE).orders[3]
    files = ["-t", str(tmp_path / "technicians.csv"), "-o", str(tmp_path / "orders.csv"), "-d", PLAN_DATE.isoformat()]
    result = runner.invoke(app, ["solve", *files, "--travel", f"osm:{EXTRACT}", "--out", str(tmp_path / "p.json")])
    assert result.exit_code == 2
    assert "orders.csv row 5, column lat" in result.output
    assert far.id in result.output
    assert "from the nearest road" in result.output
    assert not (tmp_path / "p.json").exists()
    # a larger limit lets it through the reading (the plan itself is not made here)
    with pytest.raises(roads.FarFromRoadError, match="point"):
        parse_travel(f"osm:{EXTRACT}").matrices([far.lat, day.orders[0].lat], [far.lon, day.orders[0].lon])


def test_the_map_draws_a_road_plans_legs_along_the_roads():
    day = generate_day(orders=8, technicians=2, seed=21, plan_date=PLAN_DATE, city="helsinki")
    plan = plan_day(day, Policy(time_limit=30, solution_limit=10), travel=parse_travel(f"osm:{EXTRACT}"),
                    fixes=False)
    assert_valid(day, plan)
    legs = _road_legs(day, plan, None)
    assert legs
    net = roads.prepare(EXTRACT)
    nodes = set(zip(net.data.lat.round(7), net.data.lon.round(7), strict=True))
    for (a, b), path in legs.items():
        assert path[0] == a
        assert path[-1] == b
        inner = path[2:-2]  # between the snapped ends, every point is a node of the roads
        assert all((round(p[0], 7), round(p[1], 7)) in nodes for p in inner)
    # the drawn length of each leg to a stop is the plan's road km (the walks drawn straight)
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}
    for r in plan.routes:
        here = homes[r.technician_id]
        for s in r.stops:
            path = legs[(here, where[s.order_id])]
            drawn = sum(metres(*p, *q) for p, q in itertools.pairwise(path))
            assert drawn == pytest.approx(s.travel_km * 1000, rel=0.02, abs=2)
            here = where[s.order_id]
    html = plan_map(day, plan).get_root().render()
    assert html.count("L.polyline") >= 1


def test_the_services_travel_setting_plans_its_days_on_the_roads(monkeypatch):
    from api.config import Settings

    monkeypatch.setenv("TRAVEL", f"osm:{EXTRACT}")
    monkeypatch.setenv("MAX_SNAP_M", "500")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    day = generate_day(orders=6, technicians=2, seed=31, plan_date=PLAN_DATE, city="helsinki")
    # the service hands its default policy to the one plan path; no travel source is passed
    plan = plan_day(day, settings.policy().updated(solution_limit=5), fixes=False)
    assert plan.policy["travel"]["model"] == "osm"
    assert plan.policy["travel"]["sha256"] == roads.file_sha256(EXTRACT)
    assert plan.policy["travel"]["max_snap_m"] == 500
    assert_valid(day, plan)
    with pytest.raises(ValueError, match="TRAVEL"):
        Settings(travel="osrm:x", _env_file=None)  # type: ignore[call-arg]
