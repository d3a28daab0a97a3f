"""The map of a multi-day plan: a layer per day, chosen like a base map, unassigned orders on every day."""

from dataclasses import replace

import folium
import pytest

from dispatch.analysis.checker import check_plan
from dispatch.analysis.mapping import colour_of, day_label, plan_map, save_plan_map
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.plan import Plan
from dispatch.planning.solving import solve_day
from dispatch.policy import Policy
from tests.dispatch.analysis.test_mapping import of_type


@pytest.fixture(scope="module")
def day():
    # four technicians for 40 orders: a Tuesday is not enough, the plan spills into Wednesday and Thursday
    return generate_day(orders=40, technicians=4, seed=3, plan_date=DEFAULT_DATE)


@pytest.fixture(scope="module")
def plan(day):
    return solve_day(day, Policy(horizon_days=3, solution_limit=30), fixes=False)


def day_layers(m: folium.Map) -> list[folium.FeatureGroup]:
    return [g for g in of_type(m, folium.FeatureGroup) if not g.overlay]


def test_the_plan_spans_three_days_with_routes_on_more_than_one(day, plan):
    assert len(plan.dates) == 3
    assert sum(1 for d in plan.dates if any(r.stops for r in plan.routes_on(d))) >= 2
    assert plan.unassigned  # so that the unassigned layer is part of the map below
    report = check_plan(day, plan)
    assert report.ok, report.violations


def test_one_layer_per_day_named_by_the_day_and_only_the_first_shown(day, plan):
    layers = day_layers(plan_map(day, plan))
    assert [g.layer_name.split(":")[0] for g in layers] == [day_label(d) for d in plan.dates]
    assert day_label(plan.dates[0]) == "Tue 2026-11-24"
    assert [g.show for g in layers] == [True, False, False]


def test_each_day_layer_holds_that_days_routes(day, plan):
    orders = {o.id: o for o in day.orders}
    colour = {t.id: colour_of(i) for i, t in enumerate(day.technicians)}
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    for d, layer in zip(plan.dates, day_layers(plan_map(day, plan)), strict=True):
        routes = [r for r in plan.routes_on(d) if r.stops]
        want = sorted((colour[r.technician_id],
                       (homes[r.technician_id], *((orders[s.order_id].lat, orders[s.order_id].lon)
                                                  for s in r.stops), homes[r.technician_id]))
                      for r in routes)
        lines = sorted((line.options["color"], tuple(tuple(p) for p in line.locations))
                       for line in of_type(layer, folium.PolyLine))
        assert lines == want
        assert len(of_type(layer, folium.DivIcon)) == sum(len(r.stops) for r in routes)
        assert f"{len(routes)} routes, {sum(len(r.stops) for r in routes)} stops" in layer.layer_name


def test_unassigned_orders_are_an_overlay_shown_whatever_the_day(day, plan):
    m = plan_map(day, plan)
    (unassigned,) = [g for g in of_type(m, folium.FeatureGroup) if g.overlay]
    assert unassigned.show
    assert sorted(tuple(c.location) for c in of_type(unassigned, folium.CircleMarker)) == sorted(
        (o.lat, o.lon) for o in day.orders if o.id in {u.order_id for u in plan.unassigned})
    for layer in day_layers(m):
        assert not of_type(layer, folium.CircleMarker)


def test_the_page_offers_the_days_and_keeps_the_tiles_out_of_the_choice(day, plan, tmp_path):
    html = save_plan_map(day, plan, tmp_path / "days.html").read_text(encoding="utf-8")
    (control,) = of_type(plan_map(day, plan), folium.LayerControl)
    assert control.options["collapsed"] is False
    for d in plan.dates:
        assert day_label(d) in html
    assert f"Plan 2026-11-24 to {plan.dates[-1]} (3 days)" in html
    (tiles,) = of_type(plan_map(day, plan), folium.TileLayer)
    assert not tiles.control


def test_a_route_on_a_day_outside_the_plan_is_refused(day, plan):
    stray = replace(plan.routes[0], date=plan.dates[-1].replace(year=2030))
    with pytest.raises(ValueError, match="not on a day of the plan"):
        plan_map(day, replace(plan, routes=(stray, *plan.routes[1:])))


def test_a_one_day_plan_keeps_a_layer_per_technician(day):
    one = Plan(date=DEFAULT_DATE, routes=(), unassigned=())
    m = plan_map(day, one)
    assert not day_layers(m)  # no day choice: the tiles are the only base layer, as before
    assert len(of_type(m, folium.FeatureGroup)) == len(day.technicians)
