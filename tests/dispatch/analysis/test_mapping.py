import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import folium
import pytest
from folium.elements import Element

from dispatch.analysis.mapping import PALETTE, UNASSIGNED_COLOUR, colour_of, plan_map, save_plan_map
from dispatch.demo_days import scenario
from dispatch.plan import Plan, Route, Stop, Unassigned
from tests.factories import PLAN_DATE, at, make_day, make_order, make_tech


def walk(el: Element) -> Iterator[Element]:
    yield el
    for child in el._children.values():
        yield from walk(child)


def of_type(m: folium.Map, kind: type) -> list:
    return [e for e in walk(m) if isinstance(e, kind)]


def stop(order_id: str, start: str, minutes: int = 60, late: float = 0.0) -> Stop:
    s = at(start)
    return Stop(order_id, arrival=s - timedelta(minutes=5), start=s, end=s + timedelta(minutes=minutes),
                travel_km=3.0, travel_minutes=5.0, late_minutes=late)


@pytest.fixture
def day():
    techs = [
        make_tech("T1", name="Ana Roux", home_lat=45.70, home_lon=4.80),
        make_tech("T2", name="Bo Weber", home_lat=45.80, home_lon=4.90),
        make_tech("T3", name="Cy Idle", home_lat=45.78, home_lon=4.78),
    ]
    orders = [
        make_order("O1", lat=45.72, lon=4.82, customer="Boulangerie Martin"),
        make_order("O2", lat=45.74, lon=4.84, priority="P1"),
        make_order("O3", lat=45.75, lon=4.86),
        make_order("O4", lat=45.79, lon=4.88),
        make_order("O5", lat=45.66, lon=4.95, customer="L'Atelier <b>` ${alert(1)}", required_skills={"escalator"}),
    ]
    return make_day(techs, orders)


@pytest.fixture
def plan():
    return Plan(
        date=PLAN_DATE,
        routes=(
            Route("T1", (stop("O1", "08:30"), stop("O2", "09:45", late=12.4), stop("O3", "11:00")), None, 18.0),
            Route("T2", (stop("O4", "08:20"),), (at("12:00"), at("12:30")), 6.0),
            Route("T3", (), None, 0.0),  # a technician without work: no line, home only
        ),
        unassigned=(Unassigned("O5", "no technician has skill 'escalator'", "required skill"),),
    )


def test_one_polyline_per_route_from_home_through_the_stops_and_back(day, plan):
    m = plan_map(day, plan)
    lines = of_type(m, folium.PolyLine)
    assert len(lines) == 2
    first = next(line for line in lines if line.options["color"] == colour_of(0))
    assert [tuple(p) for p in first.locations] == [
        (45.70, 4.80), (45.72, 4.82), (45.74, 4.84), (45.75, 4.86), (45.70, 4.80)]


def test_stops_are_numbered_in_route_order_with_popups(day, plan, tmp_path):
    m = plan_map(day, plan)
    icons = of_type(m, folium.DivIcon)
    numbers = sorted(int(re.search(r">(\d+)</div>", i.options["html"]).group(1)) for i in icons)
    assert numbers == [1, 1, 2, 3]
    html = save_plan_map(day, plan, tmp_path / "plan.html").read_text(encoding="utf-8")
    for text in ("Boulangerie Martin", "09:40", "09:45", "P1", "12 min"):  # ETA, start, priority, lateness
        assert text in html
    for oid in ("O1", "O2", "O3", "O4"):
        assert oid in html


def test_unassigned_orders_are_grey_with_their_reason(day, plan, tmp_path):
    m = plan_map(day, plan)
    grey = [c for c in of_type(m, folium.CircleMarker) if c.options["color"] == UNASSIGNED_COLOUR]
    assert len(grey) == 1
    assert grey[0].location == [45.66, 4.95]
    html = save_plan_map(day, plan, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "no technician has skill &#x27;escalator&#x27;" in html
    assert "Unassigned (1)" in html


def test_input_text_is_escaped(day, plan, tmp_path):
    html = save_plan_map(day, plan, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "<b>` ${alert" not in html
    assert "${alert" not in html
    assert "L&#x27;Atelier &lt;b&gt;&#96; &#36;{alert(1)}" in html


def test_every_technician_home_is_shown_with_the_name(day, plan, tmp_path):
    m = plan_map(day, plan)
    homes = [i for i in of_type(m, folium.Icon) if i.options.get("icon") == "home"]
    assert len(homes) == 3
    html = save_plan_map(day, plan, tmp_path / "plan.html").read_text(encoding="utf-8")
    for name in ("Ana Roux", "Bo Weber", "Cy Idle"):
        assert name in html


def test_a_layer_per_technician_a_layer_control_and_a_legend(day, plan, tmp_path):
    m = plan_map(day, plan)
    groups = of_type(m, folium.FeatureGroup)
    assert len(groups) == 4  # three technicians and the unassigned orders
    assert len(of_type(m, folium.LayerControl)) == 1
    html = save_plan_map(day, plan, tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "dispatch-legend" in html
    assert "T1 Ana Roux (3 stops)" in html
    assert "4 served, 1 unassigned" in html


def test_bounds_fit_all_homes_stops_and_unassigned(day, plan):
    m = plan_map(day, plan)
    (bounds,) = [e for e in walk(m) if type(e).__name__ == "FitBounds"]
    assert bounds.bounds == [(45.66, 4.78), (45.80, 4.95)]


def test_works_without_routes_or_unassigned_orders(day, tmp_path):
    empty = Plan(date=PLAN_DATE, routes=(), unassigned=())
    m = plan_map(day, empty)
    assert not of_type(m, folium.PolyLine)
    assert not of_type(m, folium.CircleMarker)
    assert save_plan_map(day, empty, tmp_path / "sub" / "p.html").exists()
    assert plan_map(make_day([], []), empty) is not None


def test_an_order_unknown_to_the_day_is_refused(day):
    bad = Plan(date=PLAN_DATE, routes=(), unassigned=(Unassigned("O99", "?"),))
    with pytest.raises(ValueError, match="O99"):
        plan_map(day, bad)


def test_palette_gives_distinct_colours_then_cycles():
    assert len({colour_of(i) for i in range(len(PALETTE))}) == len(PALETTE)
    assert colour_of(len(PALETTE) + 3) == colour_of(3)
    assert UNASSIGNED_COLOUR not in PALETTE


def test_map_of_a_generated_day_with_a_hand_made_plan(tmp_path):
    # round-robin the first orders over the technicians: not a good plan, just a full map
    day = scenario("small")
    served = day.orders[:9]
    routes = []
    for k, tech in enumerate(day.technicians):
        mine = served[k::len(day.technicians)]
        routes.append(Route(tech.id, tuple(stop(o.id, f"{9 + 2 * j:02d}:00") for j, o in enumerate(mine)), None, 10.0))
    plan = Plan(PLAN_DATE, tuple(routes), tuple(Unassigned(o.id, "all qualified technicians are fully booked")
                                                for o in day.orders[9:]))
    m = plan_map(day, plan)
    assert len(of_type(m, folium.PolyLine)) == 3
    assert len(of_type(m, folium.DivIcon)) == 9
    html = save_plan_map(day, plan, tmp_path / "small.html").read_text(encoding="utf-8")
    assert all(o.id in html for o in day.orders)


def test_hostile_text_keeps_the_page_script_valid(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    day = make_day([make_tech("T1", name="Ana `${x}` </script><script>alert(1)</script>")],
                   [make_order("O1", customer="L'Atelier <b>` ${alert(1)} \\` \" '"), make_order("O2")])
    plan = Plan(PLAN_DATE, (Route("T1", (stop("O1", "09:00"),), None, 2.0),),
                (Unassigned("O2", "bad `${a}` </script>"),))
    html = save_plan_map(day, plan, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    script = tmp_path / "p.js"
    script.write_text("\n".join(re.findall(r"<script>(.*?)</script>", html, re.S)), encoding="utf-8")
    subprocess.run([node, "--check", str(script)], check=True, capture_output=True)
