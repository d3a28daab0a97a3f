"""The saved map of a multi-day plan in a real browser: choosing a day shows that day's routes, and the
unassigned orders stay on the map whatever the day.

The page folium writes loads Leaflet and its marker plugin from CDNs; no request leaves the machine here:
Leaflet is the copy the web app ships, the marker plugin and jQuery are stand-ins (a plain marker; a popup's
HTML parsed), the rest (tiles, fonts, Bootstrap) is refused.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from dispatch.analysis.mapping import UNASSIGNED_COLOUR, colour_of, save_plan_map
from dispatch.plan import Plan, Stop, Unassigned
from dispatch.plan import Route as PlanRoute
from tests.e2e.conftest import DESKTOP, ROOT, watch
from tests.factories import PLAN_DATE, at, make_day, make_order, make_tech

LEAFLET = ROOT / "api" / "web" / "static" / "vendor" / "leaflet"
MARKERS_STAND_IN = "L.AwesomeMarkers = {icon: () => L.divIcon({className: 'awesome-marker'})};"
# folium builds each popup with jQuery's `$(html)[0]`, the one use it makes of jQuery
JQUERY_STAND_IN = ("window.$ = html => { const t = document.createElement('template'); t.innerHTML = html.trim(); "
                   "return [t.content.firstChild]; };")
TUESDAY, WEDNESDAY = PLAN_DATE, PLAN_DATE + timedelta(days=1)


def offline(route: Route) -> None:
    url = route.request.url
    if url.endswith("/leaflet.js"):
        route.fulfill(path=LEAFLET / "leaflet.js", content_type="text/javascript")
    elif url.endswith("/leaflet.css"):
        route.fulfill(path=LEAFLET / "leaflet.css", content_type="text/css")
    elif url.endswith("/leaflet.awesome-markers.js"):
        route.fulfill(body=MARKERS_STAND_IN, content_type="text/javascript")
    elif "/jquery" in url:
        route.fulfill(body=JQUERY_STAND_IN, content_type="text/javascript")
    else:
        route.abort()


def stop(order_id: str, start: str, on_day: int = 0) -> Stop:
    s = at(start) + timedelta(days=on_day)
    return Stop(order_id, arrival=s - timedelta(minutes=5), start=s, end=s + timedelta(minutes=60),
                travel_km=3.0, travel_minutes=5.0, late_minutes=0.0)


@pytest.fixture
def page_of_two_days(browser: Browser, tmp_path: Path) -> Page:
    day = make_day(
        [make_tech("T1", home_lat=45.70, home_lon=4.80), make_tech("T2", home_lat=45.80, home_lon=4.90)],
        [make_order(f"O{k}", lat=45.70 + k / 100, lon=4.80 + k / 100) for k in range(1, 6)])
    plan = Plan(date=TUESDAY, dates=(TUESDAY, WEDNESDAY), routes=(
        PlanRoute("T1", (stop("O1", "09:00"), stop("O2", "10:30")), None, 8.0, date=TUESDAY),
        PlanRoute("T2", (stop("O3", "09:00"),), None, 4.0, date=TUESDAY),
        PlanRoute("T1", (), None, 0.0, date=WEDNESDAY),
        PlanRoute("T2", (stop("O4", "09:00", on_day=1),), None, 5.0, date=WEDNESDAY),
    ), unassigned=(Unassigned("O5", "all qualified technicians are fully booked", "fully booked"),))
    path = save_plan_map(day, plan, tmp_path / "days.html")
    w = watch(browser, DESKTOP)
    w.page.route(re.compile(r"^https?://"), offline)
    w.page.goto(path.as_uri())
    return w.page


def lines(page: Page, colour: str):
    return page.locator(f".leaflet-overlay-pane path[stroke='{colour}']")


def test_choosing_a_day_shows_that_days_routes_and_keeps_the_unassigned(page_of_two_days: Page):
    page = page_of_two_days
    days = page.locator(".leaflet-control-layers-base label")
    expect(days).to_have_count(2)
    expect(days.nth(0)).to_contain_text("Tue 2026-11-24: 2 routes, 3 stops")
    expect(days.nth(1)).to_contain_text("Wed 2026-11-25: 1 routes, 1 stops")
    expect(days.nth(0).locator("input")).to_be_checked()
    # Tuesday: T1's and T2's lines and three numbered stops; the unassigned order in grey
    expect(page.locator(".dispatch-stop")).to_have_count(3)
    expect(lines(page, colour_of(0))).to_have_count(1)
    expect(lines(page, colour_of(1))).to_have_count(1)
    expect(lines(page, UNASSIGNED_COLOUR)).to_have_count(1)

    days.nth(1).click()
    expect(days.nth(1).locator("input")).to_be_checked()
    # Wednesday: only T2's one stop; T1 stays home; the unassigned order is still shown
    expect(page.locator(".dispatch-stop")).to_have_count(1)
    expect(page.locator(".dispatch-stop")).to_have_text("1")
    expect(lines(page, colour_of(0))).to_have_count(0)
    expect(lines(page, colour_of(1))).to_have_count(1)
    expect(lines(page, UNASSIGNED_COLOUR)).to_have_count(1)
    page.locator(".dispatch-stop").click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Wed 2026-11-25")
    expect(page.locator(".leaflet-popup-content")).to_contain_text("O4")

    days.nth(0).click()
    expect(page.locator(".dispatch-stop")).to_have_count(3)
