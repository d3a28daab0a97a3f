"""The board follows the day, as a dispatcher meets it: an emergency entered, placed where the service
recommends, previewed and published to the technician it changes; technicians' states and the orders at risk
after visits are recorded. The board looks at a fixed moment of the day (?at=10:30), the settable clock of
these tests: nothing waits for the wall clock. Every plan made goes through the independent re-plan check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from api.auth.models import Role, User
from api.db import make_engine, make_sessionmaker
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from tests.e2e.conftest import PHONE, Server, Watched, auth, axe_violations, check_live_plan, watch
from tests.e2e.test_faces import shown_plan_id, sign_in

BOARD = {"width": 1440, "height": 900}
EMERGENCY_DAY = dt.date.today() + dt.timedelta(days=2)
RISK_DAY = EMERGENCY_DAY + dt.timedelta(days=1)
REPLAN_DAY = EMERGENCY_DAY + dt.timedelta(days=2)
POLL_DAY = EMERGENCY_DAY + dt.timedelta(days=3)
AT = dt.time(10, 30)
SMALL = {"time_limit": 30, "solution_limit": 3}


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, AT)


@pytest.fixture(scope="module")
def dispatcher(server: Server) -> str:
    server.add_user("desk", Role.dispatcher)
    return server.token("desk", Role.dispatcher)


def _own(day: Day, prefix: str) -> Day:
    """The day with its own technician, order and customer ids (the module's service holds several days)."""
    techs = tuple(dataclasses.replace(t, id=prefix + t.id) for t in day.technicians)
    orders = tuple(dataclasses.replace(o, id=prefix + o.id, customer=prefix + o.customer,
                                       pinned_technician=o.pinned_technician and prefix + o.pinned_technician)
                   for o in day.orders)
    return Day(date=day.date, technicians=techs, orders=orders)


def _publish_day(server: Server, token: str, day: Day, folder: Any) -> dict[str, Any]:
    """The day imported, planned (bounded search) and published."""
    server.import_day(day, token, folder)
    plan = server.solve(token, date=day.date.isoformat(), **SMALL)
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(token)).raise_for_status()
    return plan


def _customer(server: Server, token: str, day: Day) -> dict[str, Any]:
    """The customer of the day's first order, as the import stored it."""
    r = httpx.get(f"{server.url}/api/v1/customers?limit=500", headers=auth(token))
    r.raise_for_status()
    return dict(next(c for c in r.json()["items"] if c["name"] == day.orders[0].customer))


def _tech_token(server: Server, technician_id: str) -> str:
    """A token of the technician's user, added the first time (days of this module share technicians)."""
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            exists = session.scalar(select(User.id).where(User.technician_id == technician_id)) is not None
    finally:
        engine.dispose()
    if not exists:
        server.add_user(technician_id.lower(), Role.technician, technician_id=technician_id)
    return server.token(technician_id.lower(), Role.technician)


def _board(browser: Browser, server: Server, day: dt.date) -> Watched:
    w = watch(browser, BOARD)
    sign_in(w, server, "desk", "/board")
    w.page.goto(f"{server.url}/board?date={day.isoformat()}&at={AT:%H:%M}")
    return w


def _no_axe(page: Page) -> None:
    assert axe_violations(page) == []


def test_an_emergency_is_placed_previewed_published_and_reaches_the_technician(
        server: Server, browser: Browser, dispatcher: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    day = _own(generate_day(orders=12, technicians=3, seed=21, plan_date=EMERGENCY_DAY), "E")
    published = _publish_day(server, dispatcher, day, tmp_path_factory.mktemp("emergency"))
    customer = _customer(server, dispatcher, day)

    w = _board(browser, server, EMERGENCY_DAY)
    page = w.page
    assert shown_plan_id(page) == published["id"]
    page.get_by_role("button", name="Emergency").click()
    dialog = page.get_by_role("dialog", name="Emergency")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Priority")).to_have_value("P1")
    dialog.get_by_label("Customer").select_option(customer["id"])
    # the place follows the customer's until the dispatcher types or picks another
    expect(dialog.get_by_label("Latitude")).to_have_value(re.compile(r"^-?\d+(\.\d+)?$"))
    dialog.get_by_label("Duration (minutes)").fill("45")
    dialog.get_by_label("What is wrong").fill("Cold room down")
    order_id = dialog.get_by_label("Order id").input_value()
    assert order_id.startswith("E")
    _no_axe(page)
    dialog.get_by_role("button", name="Create and find who can go").click()

    rows = dialog.locator("#em-placements tbody tr")
    expect(rows.first).to_be_visible()
    expect(dialog.locator("#em-results-summary")).to_contain_text(f"{order_id} (P1, {customer['name']})")
    expect(dialog.locator("#em-results-summary")).to_contain_text("as the day stands at 10:30, cheapest first")
    # the ranking is the service's, shown as it answered
    answer = httpx.get(f"{server.url}/api/v1/plans/{published['id']}/recommend",
                       params={"order_id": order_id, "at": _at(EMERGENCY_DAY).isoformat(), "top": 5},
                       headers=auth(dispatcher)).json()
    placements = answer["placements"]
    expect(rows).to_have_count(len(placements))
    best = placements[0]
    expect(rows.first).to_have_attribute("data-technician", best["technician_id"])
    expect(rows.first.locator("td.eta")).to_have_text(best["eta"][11:16])
    _no_axe(page)
    w.screenshot("board-emergency-recommendations")
    # the added cost as the dispatcher reads it (serving the order saves the same everywhere) keeps the ranking
    costs = [float(t.replace("−", "-").replace("±", "")) for t in rows.locator("td.cost strong").all_inner_texts()]
    assert costs == sorted(costs)
    rows.first.get_by_role("button", name=re.compile("^Assign")).click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#plan-status")).to_contain_text(f"{order_id} assigned to ")
    new_id = shown_plan_id(page)
    assert new_id != published["id"]
    new = server.finished(dispatcher, new_id)
    assert new["parent_id"] == published["id"]
    assert not new["published"]
    placed = {s["order_id"]: r["technician_id"] for r in new["plan"]["routes"] for s in r["stops"]}
    assert placed[order_id] == best["technician_id"]
    check_live_plan(server, EMERGENCY_DAY, _at(EMERGENCY_DAY), new["plan"], published["plan"])
    expect(page.locator(f'.seg-service[data-order="{order_id}"]')).to_have_attribute(
        "data-technician", best["technician_id"])

    # before publishing: what changes, for whom
    page.get_by_role("button", name="Publish").click()
    publish = page.get_by_role("dialog", name="Publish this plan?")
    expect(publish).to_be_visible()
    added = publish.locator(f'#publish-changes tr[data-order="{order_id}"]')
    expect(added).to_have_attribute("data-change", "added")
    expect(added).to_contain_text(best["technician_id"])
    for change in new["plan"].get("changes") or []:
        expect(publish.locator(f'#publish-changes tr[data-order="{change["order_id"]}"]')).to_have_attribute(
            "data-change", change["change"])
    expect(publish.locator("#publish-changes-summary")).to_contain_text(best["technician_id"])
    _no_axe(page)
    w.screenshot("board-emergency-publish-preview")
    publish.get_by_role("button", name="Send to technicians").click()
    expect(page.locator("#plan-status")).to_contain_text("sent to")

    # the technician it changes sees the new version of the route, with the emergency and what changed
    tech = _tech_token(server, best["technician_id"])
    route = httpx.get(f"{server.url}/api/v1/me/route", params={"date": EMERGENCY_DAY.isoformat()},
                      headers=auth(tech)).json()
    assert route["version"] == 2
    assert order_id in [s["order_id"] for s in route["stops"]]
    assert {"order_id": order_id, "change": "added", "to_technician": best["technician_id"]}.items() <= next(
        c for c in route["changes"] if c["order_id"] == order_id).items()
    assert w.errors == []
    # and on the phone: the route page says the route was updated, with the version and the emergency
    phone = watch(browser, PHONE)
    sign_in(phone, server, best["technician_id"].lower(), "/route")
    # the landing page asks for today's route, which nobody sent: a 404 it says in words
    expect(phone.page.locator("main")).to_contain_text("isn't ready yet")
    phone.errors.clear()
    phone.page.goto(f"{server.url}/route?date={EMERGENCY_DAY.isoformat()}")
    expect(phone.page.locator("#route-changes")).to_contain_text(f"Route updated (version 2): {order_id} added")
    assert phone.errors == []


def test_the_board_shows_states_risks_and_outcomes_as_visits_are_recorded(
        server: Server, browser: Browser, dispatcher: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    day = _own(generate_day(orders=10, technicians=3, seed=23, plan_date=RISK_DAY), "R")
    # a P1 whose 4 h response deadline (09:00) has passed by 10:30 with nobody there: at risk, late
    server.import_day(day, dispatcher, tmp_path_factory.mktemp("risk"))
    customer = _customer(server, dispatcher, day)
    urgent = "URG-1"
    httpx.post(f"{server.url}/api/v1/orders", headers=auth(dispatcher), json={
        "id": urgent, "customer_id": customer["id"], "lat": customer["lat"], "lon": customer["lon"],
        "priority": "P1", "duration_min": 30,
        "created_at": dt.datetime.combine(RISK_DAY, dt.time(5, 0)).isoformat()}).raise_for_status()
    plan = server.solve(dispatcher, date=RISK_DAY.isoformat(), **SMALL)
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(dispatcher)).raise_for_status()
    routes = [r for r in plan["plan"]["routes"] if r["stops"]]
    assert urgent in [s["order_id"] for r in routes for s in r["stops"]]
    # one technician in service since 10:15 on a first stop other than the P1, another left one unresolved
    busy = next(r for r in routes if r["stops"][0]["order_id"] != urgent)
    serving = busy["stops"][0]["order_id"]
    other = next((r for r in routes if r is not busy and r["stops"][0]["order_id"] != urgent), None)

    def record(technician_id: str, **body: Any) -> dict[str, Any]:
        r = httpx.post(f"{server.url}/api/v1/visits", headers=auth(_tech_token(server, technician_id)),
                       json={"date": RISK_DAY.isoformat()} | body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    on = lambda h, m: dt.datetime.combine(RISK_DAY, dt.time(h, m)).isoformat()  # noqa: E731
    visit = record(busy["technician_id"], order_id=serving, arrived_at=on(10, 10), started_at=on(10, 15))
    failed = None
    if other is not None:
        failed = other["stops"][0]["order_id"]
        # as the phone reports it: arrived, then finished unresolved with the reason from its short list
        for step in ({"time": on(8, 30), "event": "arrived"},
                     {"time": on(9, 10), "event": "unresolved", "reason": "part_missing", "note": "compressor"}):
            r = httpx.post(f"{server.url}/api/v1/events", json=step | {"order_id": failed},
                           headers=auth(_tech_token(server, other["technician_id"])) | {"Idempotency-Key": f"{failed}-{step['event']}"})
            assert r.status_code == 201, r.text

    status = httpx.get(f"{server.url}/api/v1/days/{RISK_DAY}/status", params={"at": _at(RISK_DAY).isoformat()},
                       headers=auth(dispatcher)).json()
    assert urgent in status["at_risk"]
    w = _board(browser, server, RISK_DAY)
    page = w.page
    assert shown_plan_id(page) == plan["id"]

    # the technician in service, in the list and beside their timeline row, with how far off plan they are
    row = page.locator(f'#live-technicians tr[data-technician="{busy["technician_id"]}"]')
    expect(row).to_have_attribute("data-state", "in_service")
    expect(row).to_contain_text(f"in service at {serving}")
    expect(row.locator("td.live-delay")).to_have_text(re.compile(r"behind plan|ahead of plan|on plan"))
    expect(page.locator(f'.timeline-row[data-technician="{busy["technician_id"]}"] .tl-live')).to_contain_text(
        f"in service at {serving}")

    # the P1 at risk: in the list with its predicted start against its deadline, on the timeline, on the map
    risk = next(o for o in status["orders"] if o["order_id"] == urgent)
    listed = page.locator(f'#at-risk tr[data-order="{urgent}"]')
    expect(listed.locator("td.deadline")).to_have_text("09:00")
    expect(listed.locator("td.predicted")).to_have_text(risk["predicted_start"][11:16])
    expect(page.locator(f'.seg-service.at-risk[data-order="{urgent}"]')).to_have_attribute(
        "aria-label", re.compile("at risk: predicted start"))
    listed.get_by_role("button", name=re.compile("^Select")).click()
    expect(page.locator("#map .leaflet-marker-icon.at-risk.selected")).to_be_visible()

    if failed is not None:
        unresolved = page.locator(f'#unresolved tr[data-order="{failed}"]')
        expect(unresolved).to_contain_text(other["technician_id"])
        expect(unresolved.locator("td.reason")).to_have_text("a part is missing — compressor")
        expect(unresolved).to_contain_text("09:10")
        expect(page.locator(f'.seg-service.unresolved[data-order="{failed}"]')).to_be_visible()
    _no_axe(page)
    w.screenshot("board-live-day")
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    _no_axe(page)
    w.screenshot("board-live-day-phone")
    page.set_viewport_size(BOARD)  # type: ignore[arg-type]

    # the technician finishes; the board shows it without a reload (asked now rather than waiting 15 s)
    httpx.patch(f"{server.url}/api/v1/visits/{visit['id']}", json={"done_at": on(10, 25), "resolved": True},
                headers=auth(_tech_token(server, busy["technician_id"]))).raise_for_status()
    page.get_by_role("button", name="Refresh status").click()
    expect(row).not_to_have_attribute("data-state", "in_service")
    expect(page.locator(f'.seg-service.done[data-order="{serving}"]')).to_be_visible()
    assert w.errors == []


def test_an_emergency_placed_on_the_map_can_be_re_planned_instead(
        server: Server, browser: Browser, dispatcher: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    day = _own(generate_day(orders=10, technicians=3, seed=25, plan_date=REPLAN_DAY), "P")
    published = _publish_day(server, dispatcher, day, tmp_path_factory.mktemp("replan"))
    customer = _customer(server, dispatcher, day)

    w = _board(browser, server, REPLAN_DAY)
    page = w.page
    assert shown_plan_id(page) == published["id"]
    page.locator("#advanced summary").click()
    page.get_by_label("Stop after solutions").fill("3")  # a bounded search: the same day gives the same plan
    page.get_by_role("button", name="Emergency").click()
    dialog = page.get_by_role("dialog", name="Emergency")
    dialog.get_by_label("Customer").select_option(customer["id"])
    expect(dialog.get_by_label("Latitude")).to_have_value(str(customer["lat"]))
    # the place picked on the map, not the customer's
    dialog.get_by_role("button", name="Pick on the map").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#map-note")).to_contain_text("Click the map where the emergency is")
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 24)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Latitude")).not_to_have_value(str(customer["lat"]))
    lat, lon = float(dialog.get_by_label("Latitude").input_value()), float(dialog.get_by_label("Longitude").input_value())
    expect(page.locator("#map-note")).not_to_contain_text("Click the map")
    order_id = dialog.get_by_label("Order id").input_value()
    dialog.get_by_role("button", name="Create and find who can go").click()
    expect(dialog.locator("#em-results-summary")).to_contain_text("as the day stands at 10:30")
    order = httpx.get(f"{server.url}/api/v1/orders/{order_id}", headers=auth(dispatcher)).json()
    assert (order["lat"], order["lon"], order["priority"]) == (lat, lon, "P1")
    assert order["created_at"] == _at(REPLAN_DAY).isoformat()  # the response clock starts at the board's moment

    dialog.get_by_role("button", name="Re-plan instead").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#plan-status")).to_contain_text(re.compile(rf"{order_id} (goes to|is not placed)"))
    new = server.finished(dispatcher, shown_plan_id(page))
    assert new["parent_id"] == published["id"]
    assert new["solution_limit"] == 3
    assert new["plan"]["at"] == _at(REPLAN_DAY).isoformat()
    placed = {s["order_id"] for r in new["plan"]["routes"] for s in r["stops"]}
    assert order_id in placed | {u["order_id"] for u in new["plan"]["unassigned"]}
    check_live_plan(server, REPLAN_DAY, _at(REPLAN_DAY), new["plan"], published["plan"])
    assert w.errors == []


def test_the_board_polls_the_day_every_15_s_and_waits_while_a_dialog_is_open(
        server: Server, browser: Browser, dispatcher: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The page's clock is Playwright's: 15 s pass when the test says so, not by waiting."""
    day = _own(generate_day(orders=8, technicians=2, seed=27, plan_date=POLL_DAY), "Q")
    published = _publish_day(server, dispatcher, day, tmp_path_factory.mktemp("poll"))
    w = watch(browser, BOARD)
    asked: list[str] = []
    w.page.on("request", lambda r: asked.append(r.url) if "/status" in r.url else None)
    w.page.clock.install()
    sign_in(w, server, "desk", "/board")
    w.page.goto(f"{server.url}/board?date={POLL_DAY.isoformat()}&at={AT:%H:%M}")
    page = w.page
    assert shown_plan_id(page) == published["id"]
    route = next(r for r in published["plan"]["routes"] if r["stops"])
    tech, first = route["technician_id"], route["stops"][0]["order_id"]
    row = page.locator(f'#live-technicians tr[data-technician="{tech}"]')
    expect(row).not_to_have_attribute("data-state", "in_service")
    page.wait_for_load_state("networkidle")
    page.clock.pause_at(dt.datetime.now() + dt.timedelta(minutes=1))
    before = len(asked)

    # the technician arrives; while the emergency dialog is open the board asks nothing
    on_site = {"date": POLL_DAY.isoformat(), "order_id": first,
               "arrived_at": dt.datetime.combine(POLL_DAY, dt.time(10, 20)).isoformat()}
    httpx.post(f"{server.url}/api/v1/visits", json=on_site, headers=auth(_tech_token(server, tech))).raise_for_status()
    page.get_by_role("button", name="Emergency").click()
    page.clock.run_for(31_000)
    assert len(asked) == before
    page.get_by_role("dialog", name="Emergency").get_by_role("button", name="Cancel").click()

    # nor while a visit is being dragged on the timeline
    visit = page.locator(f'.seg-service[data-order="{first}"]')
    carried = page.evaluate_handle("() => new DataTransfer()")
    visit.dispatch_event("dragstart", {"dataTransfer": carried})
    expect(page.locator(".timeline-row.drop-ok, .timeline-row.drop-no").first).to_be_attached()  # the drag is on
    page.clock.run_for(31_000)
    assert len(asked) == before
    visit.dispatch_event("dragend", {"dataTransfer": carried})

    # then the next 15 s bring the day as it stands, without a reload
    with page.expect_response(lambda r: "/status" in r.url):
        page.clock.run_for(15_000)
    expect(row).to_have_attribute("data-state", "in_service")  # service starts at the arrival unless told
    expect(row).to_contain_text(f"in service at {first}")
    assert len(asked) == before + 1
    assert w.errors == []
