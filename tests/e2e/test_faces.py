"""A day through the three faces in a real browser: the dispatcher plans and publishes, a technician on a
phone works a stop, the storekeeper sees the van's stock drop. Every plan shown passes the plan checker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.auth.models import Role
from dispatch.analysis.checker import check_plan, format_report
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from dispatch.io import write_orders_csv, write_technicians_csv
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, Server, Watched, watch

TODAY = dt.date.today()  # the technician page opens on today's route
# an order no technician can take, so the board has a reason to show
NOBODY_SKILL = "crane-licence"


@pytest.fixture(scope="module")
def day() -> Day:
    base = generate_day(orders=20, technicians=4, seed=7, plan_date=TODAY)
    orphan = dataclasses.replace(base.orders[0], id="O-CRANE", required_skills=frozenset({NOBODY_SKILL}),
                                 pinned_technician=None)
    return dataclasses.replace(base, orders=(*base.orders, orphan))


@pytest.fixture(scope="module")
def csv_files(day: Day, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("csv")
    techs, orders = folder / "technicians.csv", folder / "orders.csv"
    write_technicians_csv(day.technicians, techs, day.date)
    write_orders_csv(day.orders, orders, day.date)
    return techs, orders


def sign_in(w: Watched, server: Server, username: str, landing: str, *, keyboard: bool = False) -> None:
    w.page.goto(f"{server.url}/login")
    w.page.get_by_label("User name").fill(username)
    w.page.get_by_label("Password").fill(PASSWORD)
    if keyboard:  # the form is sent with Enter, no pointer needed
        w.page.get_by_label("Password").press("Enter")
    else:
        w.page.get_by_role("button", name="Sign in").click()
    w.page.wait_for_url(f"**{landing}*")


def token_of(page: Page) -> str:
    return str(page.evaluate("sessionStorage.getItem('dispatch.token')"))


def plan_json(server: Server, token: str, plan_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/api/v1/plans/{plan_id}", headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return dict(answer.json())


def shown_plan_id(page: Page) -> str:
    """The id of the done plan on screen (the status line names its date, time and author; the id is data)."""
    expect(page.locator("#plan-status")).to_contain_text(re.compile(r"Plan of \S+, requested .*: done"))
    plan_id = page.locator("#plan-status").get_attribute("data-plan")
    assert plan_id
    return plan_id


# the map shows n orders: markers alone plus the counts of the clusters where markers overlap (polled, as the
# clusters settle after the map fits the plan)
MARKERS_SHOWN = """n => { const one = document.querySelectorAll('#map .leaflet-marker-icon.stop, #map .leaflet-marker-icon.unassigned').length;
        const piles = [...document.querySelectorAll('#map .map-cluster')].reduce((a, c) => a + Number(c.textContent), 0);
        return one + piles === n; }"""


def assert_board_matches(page: Page, day: Day, read: dict[str, Any]) -> None:
    """The map and the timeline show the plan JSON: a polyline per route, a service bar per stop."""
    plan = read["plan"]
    report = check_plan(day, plan)
    assert report.ok, format_report(report)
    routes = [r for r in plan["routes"] if r["stops"]]
    expect(page.locator("path.route-line")).to_have_count(len(routes))
    expect(page.locator(".timeline-row")).to_have_count(len(day.technicians))  # empty rows too
    for route in routes:
        row = page.locator(f'.timeline-row[data-technician="{route["technician_id"]}"]')
        services = row.locator(".seg-service")
        expect(services).to_have_count(len(route["stops"]))
        assert [services.nth(i).get_attribute("data-order") for i in range(len(route["stops"]))] == \
            [s["order_id"] for s in route["stops"]]
        late = [s["order_id"] for s in route["stops"] if s["late_minutes"] > 0]
        expect(row.locator(".seg-service.late")).to_have_count(len(late))
    # every stop and unassigned order is a marker, or counted in a cluster where markers overlap
    page.wait_for_function(MARKERS_SHOWN, arg=sum(len(r["stops"]) for r in routes) + len(plan["unassigned"]))
    # a stop's popup names the order, its ETA, priority and lateness; opened from the keyboard through the
    # timeline (markers stay out of the Tab order)
    stop = routes[0]["stops"][0]
    page.locator(f'.seg-service[data-order="{stop["order_id"]}"]').focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content", has_text=f"Order {stop['order_id']}")
    expect(popup).to_contain_text(f"Order {stop['order_id']}")
    expect(popup).to_contain_text(f"ETA: {stop['arrival'][11:16]}")
    expect(popup).to_contain_text("Priority: P")
    expect(popup).to_contain_text("Lateness:")
    page.keyboard.press("Escape")


def test_a_day_through_the_three_faces(server: Server, browser: Browser, day: Day,
                                       csv_files: tuple[Path, Path]) -> None:
    server.add_user("disp", Role.dispatcher)
    server.add_user("keeper", Role.storekeeper)

    # --- the dispatcher: import, plan, see the map and a reason, pin, re-plan, publish -------------------
    d = watch(browser, DESKTOP)
    # the board looks at 08:00 of today: the pin's re-plan starts the day there, whatever the clock says (a
    # re-plan from now late in the day has no room left for the pinned order)
    sign_in(d, server, "disp", "/board")
    page = d.page
    page.goto(f"{server.url}/board?at=08:00")
    page.get_by_label("Date").fill(TODAY.isoformat())
    page.get_by_label("technicians.csv").set_input_files(csv_files[0])
    page.get_by_label("orders.csv").set_input_files(csv_files[1])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-status")).to_contain_text(f"orders: {len(day.orders)} imported")
    page.locator("#advanced summary").click()  # the search settings are folded away by default
    page.get_by_label("Search seconds").fill("20")
    page.get_by_label("Stop after solutions").fill("10")
    page.get_by_role("button", name="Request a plan").click()
    first_id = shown_plan_id(page)
    token = token_of(page)
    first = plan_json(server, token, first_id)
    assert_board_matches(page, day, first)
    expect(page.locator('#unassigned tr[data-order="O-CRANE"]')).to_contain_text("skill")
    d.screenshot("board-desktop")

    # pin an assigned order to another technician who can take it (skills, van stock, shift: the board offers
    # only those, as GET /orders/{id}/candidates answers) and who has room for it at 08:00, where the board
    # looks (recommend places it on that route without taking anything off)
    def others_who_fit(order_id: str, now: str) -> list[str]:
        answer = httpx.get(f"{server.url}/api/v1/orders/{order_id}/candidates?date={TODAY}",
                           headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        fit = {c["technician_id"] for c in answer.json() if c["fits"] and c["technician_id"] != now}
        places = httpx.get(f"{server.url}/api/v1/plans/{first_id}/recommend", params={
            "order_id": order_id, "at": f"{TODAY}T08:00:00", "top": 50}, headers={"Authorization": f"Bearer {token}"})
        places.raise_for_status()
        return [p["technician_id"] for p in places.json()["placements"]
                if p["technician_id"] in fit and p["bumps"] is None]

    order_id, target = next((s["order_id"], t) for r in first["plan"]["routes"] for s in r["stops"]
                            for t in others_who_fit(s["order_id"], r["technician_id"]))
    page.get_by_label("Order", exact=True).select_option(order_id)
    page.get_by_label("Technician", exact=True).select_option(target)
    page.get_by_role("button", name="Pin and re-plan").click()
    expect(page.locator("#plan-status")).not_to_have_attribute("data-plan", first_id)
    second_id = shown_plan_id(page)
    second = plan_json(server, token, second_id)
    assert_board_matches(page, day, second)
    assert second["pins"][order_id] == target
    pinned_route = next(r for r in second["plan"]["routes"] if r["technician_id"] == target)
    assert order_id in [s["order_id"] for s in pinned_route["stops"]], [u for u in second["plan"]["unassigned"] if u["order_id"] == order_id]
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("button", name="Send to technicians").click()
    expect(page.locator("#plan-status")).to_contain_text("published")
    page.set_viewport_size(PHONE)
    d.screenshot("board-phone")
    assert d.errors == []

    # --- the technician on a phone: only their stops, a part used, the stop done ---------------------------
    mine = next(r for r in second["plan"]["routes"] if r["stops"])
    tech_id = mine["technician_id"]
    server.add_user("tech", Role.technician, technician_id=tech_id)
    keeper = watch(browser, DESKTOP)
    sign_in(keeper, server, "keeper", "/stock")
    van = f"VAN-{tech_id}"
    t = watch(browser, PHONE)
    sign_in(t, server, "tech", "/route", keyboard=True)
    stops = t.page.locator("ol#stops > li")
    expect(stops).to_have_count(len(mine["stops"]))
    expect(stops.first).to_have_attribute("data-order", mine["stops"][0]["order_id"])
    others = {s["order_id"] for r in second["plan"]["routes"] if r["technician_id"] != tech_id for s in r["stops"]}
    shown = {stops.nth(i).get_attribute("data-order") for i in range(len(mine["stops"]))}
    assert shown == {s["order_id"] for s in mine["stops"]}
    assert not shown & others
    first_stop = stops.first
    expect(first_stop.get_by_role("link", name=re.compile("^Directions"))).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/dir/\?api=1&destination="))
    part_id = first_stop.locator("select.part option").first.get_attribute("value")  # offered once on site
    assert part_id
    before_row = keeper.page.locator(f'#stock-table tr[data-location="{van}"][data-part="{part_id}"] td.qty')
    before = int(before_row.inner_text())
    # the van's threshold at today's quantity: one part used puts it below, so the alert must show
    answer = httpx.put(f"{server.url}/api/v1/stock/thresholds/{van}/{part_id}", json={"low_stock_threshold": before},
                       headers={"Authorization": f"Bearer {token_of(keeper.page)}"})
    answer.raise_for_status()
    keeper.screenshot("stock-desktop-before")

    first_stop.get_by_role("button", name="Arrived").click()
    expect(first_stop.locator(".visit-state")).to_contain_text("Arrived at")
    first_stop.get_by_label("Part used").select_option(part_id)
    first_stop.get_by_label("Quantity").fill("1")
    first_stop.get_by_role("button", name="Record part").click()
    expect(first_stop.locator(".used")).to_have_text(f"Used: 1 × {part_id}")  # imported parts are named by code
    first_stop.get_by_label("Customer score").select_option("5")
    first_stop.get_by_role("button", name="Done").click()
    expect(first_stop.locator(".summary")).to_contain_text("score 5")
    with t.page.expect_download() as download:
        t.page.get_by_role("button", name="Add to calendar").click()
    assert download.value.suggested_filename == f"route-{TODAY.isoformat()}.ics"
    t.screenshot("route-phone")
    t.page.set_viewport_size(DESKTOP)
    t.screenshot("route-desktop")
    assert t.errors == []

    # the network drops: the page keeps the route it loaded last (failed requests log errors, expected here)
    t.page.context.set_offline(True)
    t.page.get_by_role("button", name="Refresh").click()
    expect(t.page.locator("#route-status")).to_contain_text("Offline")
    expect(stops).to_have_count(len(mine["stops"]))
    t.page.context.set_offline(False)

    # --- the storekeeper: the van's stock dropped by one, the ledger shows the consumption ---------------
    keeper.page.reload()
    expect(keeper.page.locator(f'#stock-table tr[data-location="{van}"][data-part="{part_id}"] td.qty')) \
        .to_have_text(str(before - 1))
    expect(keeper.page.locator(f'#stock-table tr.low[data-location="{van}"][data-part="{part_id}"]')).to_have_count(1)
    expect(keeper.page.locator("#alerts")).to_contain_text(f"{part_id} at {van}: {before - 1} left")
    # by part alone: the import's receipt into every van carrying it, and the one consumption
    ledger = keeper.page.locator("#ledger-form")  # the part, location and technician filters are dropdowns
    ledger.get_by_label("Part").select_option(part_id)
    ledger.get_by_role("button", name="Filter").click()
    receipts = sum(1 for tech in day.technicians if part_id in tech.van_stock)
    expect(keeper.page.locator("#ledger-table tbody tr")).to_have_count(receipts + 1)
    assert set(keeper.page.locator("#ledger-table tbody tr td:nth-child(3)").all_inner_texts()) == {part_id}
    ledger.get_by_label("Order").fill(mine["stops"][0]["order_id"].lower())  # case does not matter
    ledger.get_by_role("button", name="Filter").click()
    expect(keeper.page.locator("#ledger-table tbody tr")).to_have_count(1)
    expect(keeper.page.locator("#ledger-table tbody tr").first).to_have_attribute("data-kind", "consume")
    ledger.get_by_label("Technician").select_option(tech_id)
    expect(keeper.page.locator("#ledger-table tbody tr")).to_have_count(1)
    keeper.screenshot("stock-desktop")
    keeper.page.set_viewport_size(PHONE)
    keeper.screenshot("stock-phone")
    assert keeper.errors == []


def test_login_page_at_both_sizes_has_no_console_errors(server: Server, browser: Browser) -> None:
    for name, size in (("login-desktop", DESKTOP), ("login-phone", PHONE)):
        w = watch(browser, size)
        w.page.goto(f"{server.url}/login")
        expect(w.page.get_by_role("button", name="Sign in")).to_be_visible()
        w.screenshot(name)
        assert w.errors == []
