"""The technician's route page in the field, as a technician meets it on a phone (and on a desktop): each stop's
state (next, on site, done), the job card (address, job, call, directions, parts by name), a stop worked from
arrival to done, the count of stops done, errors that read as errors, no route yet, offline, the calendar."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Locator, Page, expect

from api.auth.models import Role
from api.commands import add_demo_details
from api.customers.models import Customer
from api.db import make_engine, make_sessionmaker
from api.orders.models import Order
from dispatch.demo_days import generate_day
from dispatch.demo_details import PART_NAMES
from dispatch.domain import Day
from tests.e2e.conftest import DESKTOP, PHONE, Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import sign_in

TODAY = dt.date.today()  # the page opens on today's route
NO_PLAN_DAY = TODAY + dt.timedelta(days=3)
SMALL = {"time_limit": 30, "solution_limit": 3, "seed": 1}
STREET = re.compile(r"\d+ .+, 69\d\d\d \w+")  # "12 rue Garibaldi, 69003 Lyon"


@dataclass(frozen=True)
class Stage:
    technician_id: str
    stops: list[dict[str, Any]]  # the technician's route as the API serves it
    tech_token: str
    plan_id: str


@pytest.fixture(scope="module")
def day() -> Day:
    return generate_day(orders=20, technicians=2, seed=3, plan_date=TODAY)


@pytest.fixture(scope="module")
def stage(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> Stage:
    """The demo's job-card details on an imported day, solved and published; the technician with the most stops
    signs in as "fieldtech". Their second stop has no street address (the page falls back to coordinates)."""
    server.add_user("boss", Role.dispatcher)
    boss = server.token("boss", Role.dispatcher)
    server.import_day(day, boss, tmp_path_factory.mktemp("csv"))
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            add_demo_details(session, day=day, city="lyon")
        r = httpx.post(f"{server.url}/api/v1/plans", json={"date": TODAY.isoformat(), **SMALL}, headers=auth(boss))
        r.raise_for_status()
        plan = server.finished(boss, r.json()["id"])
        route = max(plan["plan"]["routes"], key=lambda x: len(x["stops"]))
        assert len(route["stops"]) >= 6, "the day gives someone at least six stops"
        with make_sessionmaker(engine)() as session:  # before publishing: the route is a snapshot
            order = session.get(Order, route["stops"][1]["order_id"])
            assert order is not None
            order.address = None
            customer = session.get(Customer, order.customer_id)
            assert customer is not None
            customer.address = None
            session.commit()
    finally:
        engine.dispose()
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(boss)).raise_for_status()
    server.add_user("fieldtech", Role.technician, technician_id=route["technician_id"])
    token = server.token("fieldtech", Role.technician)
    served = httpx.get(f"{server.url}/api/v1/me/route?date={TODAY}", headers=auth(token)).json()
    return Stage(route["technician_id"], served["stops"], token, plan["id"])


def _open(browser: Browser, server: Server, size: dict[str, int] = PHONE, date: dt.date | None = None) -> Watched:
    w = watch(browser, size)
    sign_in(w, server, "fieldtech", "/route")
    if date is not None:
        w.page.goto(f"{server.url}/route?date={date.isoformat()}")
    return w


def _card(page: Page, stop: dict[str, Any]) -> Locator:
    return page.locator(f'#stops > li[data-order="{stop["order_id"]}"]')


def _tap_size(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["width"], box["height"]


def _both_sizes(w: Watched, name: str) -> None:
    w.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    w.screenshot(f"{name}-phone")
    w.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    w.screenshot(f"{name}-desktop")
    w.page.set_viewport_size(PHONE)  # type: ignore[arg-type]


def _only_expected(w: Watched) -> list[str]:
    """Console errors other than the browser's own line for an expected 4xx answer."""
    return [e for e in w.errors if not e.startswith("Failed to load resource: the server responded with a status of 4")]


def _record(server: Server, stage: Stage, stop: dict[str, Any], **fields: str) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/api/v1/visits", json={"order_id": stop["order_id"], "date": TODAY.isoformat(), **fields},
                   headers=auth(stage.tech_token))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _finish(server: Server, stage: Stage, stop: dict[str, Any]) -> None:
    """The stop done, unless a visit of it is recorded already (tests of one module may share a server)."""
    visits = httpx.get(f"{server.url}/api/v1/visits?date={TODAY}", headers=auth(stage.tech_token)).json()
    if not any(v["order_id"] == stop["order_id"] for v in visits):
        now = dt.datetime.now().replace(microsecond=0).isoformat()
        _record(server, stage, stop, arrived_at=now, done_at=now)


def test_the_job_card_says_where_what_and_how(server: Server, browser: Browser, stage: Stage) -> None:
    w = _open(browser, server)
    page = w.page
    stops = page.locator("#stops > li")
    expect(stops).to_have_count(len(stage.stops))
    first, second = stage.stops[0], stage.stops[1]
    card = _card(page, first)
    expect(card.get_by_role("heading")).to_have_text(f"1. {first['customer_name']}")
    expect(card.locator(".address")).to_have_text(STREET)
    expect(card.locator(".job")).to_have_text(re.compile(r"^Job: .+\."))
    expect(card.locator(".when")).to_contain_text(f"ETA {first['eta'][11:16]} ·")
    expect(card.locator(".when")).to_contain_text(re.compile(r"P[1-4] (emergency|high|normal|low)"))
    assert not re.search(r"\d\d:\d\d:\d\d", card.locator(".when").inner_text())  # no seconds
    expect(card.locator(".needs")).to_contain_text("Needs: ")
    # the second stop has no street address: its place as coordinates
    expect(_card(page, second).locator(".address")).to_have_text(
        f"No street address: {second['lat']:.5f}, {second['lon']:.5f}")

    call = card.get_by_role("link", name=f"Call {first['phone']}, {first['customer_name']}")
    expect(call).to_have_attribute("href", "tel:" + first["phone"].replace(" ", ""))
    expect(call).to_contain_text(first["phone"])
    directions = card.get_by_role("link", name=re.compile("^Directions to stop 1"))
    expect(directions).to_have_attribute(
        "href", f"https://www.google.com/maps/dir/?api=1&destination={first['lat']:.6f}%2C{first['lon']:.6f}")
    for link in (call, directions):
        width, height = _tap_size(link)
        assert min(width, height) >= 44, (width, height)

    # parts by name, never "GSK-8 (GSK-8)"; the pickers are big and name the parts too
    with_parts = next((s for s in stage.stops if s["parts"]), None)
    if with_parts is not None:
        bring = _card(page, with_parts).locator(".parts")
        part = with_parts["parts"][0]
        expect(bring).to_contain_text(f"{part['quantity']} × {PART_NAMES[part['part_id']]}")
        assert part["part_id"] not in bring.inner_text()

    # the header keeps one line at 390 px, and the plan's id is not shown
    brand, out = page.locator(".top .brand").bounding_box(), page.get_by_role("button", name="Sign out").bounding_box()
    assert brand is not None
    assert out is not None
    assert abs((brand["y"] + brand["height"] / 2) - (out["y"] + out["height"] / 2)) < 4
    assert page.locator(".top").bounding_box()["height"] < 70  # type: ignore[index]
    assert stage.plan_id not in page.locator("body").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    _both_sizes(w, "route-card")
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_stop_from_arrival_to_done_collapses_and_locks(server: Server, browser: Browser, stage: Stage) -> None:
    w = _open(browser, server)
    page = w.page
    stop = stage.stops[0]
    card = _card(page, stop)
    total = len(stage.stops)
    expect(page.locator("#progress")).to_contain_text(f"0/{total} done")
    expect(card).to_have_attribute("data-state", "next")
    expect(card.locator(".state-badge")).to_have_text("Next")
    # nothing to finish before arriving (the button is disabled), nothing to record or score yet (not offered)
    expect(card.get_by_role("button", name="Done")).to_be_disabled()
    expect(card.get_by_role("button", name="Record part")).to_be_hidden()
    expect(card.get_by_label("Customer score")).to_be_hidden()
    expect(card.locator(".hint")).to_contain_text("Tap Arrived when you get there")
    assert axe_violations(page) == []

    card.get_by_role("button", name="Arrived").click()
    expect(card.locator(".visit-state")).to_contain_text(re.compile(r"Arrived at \d\d:\d\d$"))
    expect(card.get_by_role("button", name="Arrived")).to_be_disabled()  # a second tap is impossible
    expect(card.get_by_role("button", name="Done")).to_be_enabled()
    expect(card.get_by_role("button", name="Done")).to_be_focused()  # the keyboard moves on with the work
    expect(card.locator(".state-badge")).to_have_text("On site")

    picker = card.get_by_label("Part used")
    options = picker.locator("option").all_inner_texts()
    assert all(re.fullmatch(r".+ \((\d+ in van|none in van)\)", o) for o in options), options
    assert set(PART_NAMES.values()) & {o.rsplit(" (", 1)[0] for o in options}
    for control in (picker, card.get_by_label("Customer score"), card.get_by_label("Quantity"),
                    card.get_by_role("button", name="Record part")):
        assert _tap_size(control)[1] >= 44
    in_van = [o for o in picker.locator("option").all() if "in van)" in o.inner_text() and "none" not in o.inner_text()]
    assert in_van, "the van holds some part"
    part_id = in_van[0].get_attribute("value")
    assert part_id
    name = PART_NAMES[part_id]
    picker.select_option(part_id)
    card.get_by_label("Quantity").fill("1")
    card.get_by_role("button", name="Record part").click()
    expect(card.locator(".used")).to_have_text(f"Used: 1 × {name}")
    expect(card.locator(".visit-state")).to_contain_text(f"recorded 1 × {name}")
    _both_sizes(w, "route-on-site")
    assert axe_violations(page) == []

    card.get_by_label("Customer score").select_option("5")
    card.get_by_role("button", name="Done").click()
    expect(card).to_have_attribute("data-state", "done")
    expect(card.locator(".state-badge")).to_have_text("✓ Done")
    expect(card.locator(".summary")).to_have_text(re.compile(rf"^Done at \d\d:\d\d · customer score 5 · used 1 × {re.escape(name)}$"))
    # folded: the buttons and pickers are out of reach, and disabled when the details are opened
    expect(card.get_by_role("button", name="Arrived")).to_be_hidden()
    expect(page.locator("#progress")).to_contain_text(f"1/{total} done · next: {stage.stops[1]['customer_name']}")
    expect(_card(page, stage.stops[1])).to_have_attribute("data-state", "next")
    # the next stop comes up, its Arrived button ready
    expect(_card(page, stage.stops[1]).get_by_role("button", name="Arrived")).to_be_focused()
    expect(_card(page, stage.stops[1])).to_be_in_viewport()
    card.get_by_role("button", name="Show details").click()
    for button in ("Arrived", "Done"):
        expect(card.get_by_role("button", name=button)).to_be_disabled()
    expect(card.get_by_role("button", name="Record part")).to_be_hidden()
    expect(card.get_by_label("Customer score")).to_be_disabled()
    expect(card.get_by_label("Customer score")).to_have_value("5")
    assert _tap_size(card.get_by_role("button", name="Arrived"))[1] >= 44
    background = card.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background == "rgb(237, 247, 238)"  # green
    _both_sizes(w, "route-done")
    assert axe_violations(page) == []

    # the state comes from the visits the API records: a reload shows the same
    page.reload()
    card = _card(page, stop)
    expect(card).to_have_attribute("data-state", "done")
    expect(card.locator(".summary")).to_contain_text(f"customer score 5 · used 1 × {name}")
    expect(page.locator("#progress")).to_contain_text(f"1/{total} done")
    card.get_by_role("button", name="Show details").click()
    expect(card.locator(".used")).to_have_text(f"Used: 1 × {name}")
    expect(card.get_by_label("Customer score")).to_have_value("5")
    expect(card.get_by_role("button", name="Arrived")).to_be_disabled()
    assert w.errors == []


def test_the_count_of_done_stops_and_the_next_one(server: Server, browser: Browser, stage: Stage) -> None:
    # the first three stops finished (on another phone, or the first one by the test above)
    for stop in stage.stops[:3]:
        _finish(server, stage, stop)
    w = _open(browser, server)
    page = w.page
    total = len(stage.stops)
    expect(page.locator("#progress")).to_have_text(
        f"3/{total} done · next: {stage.stops[3]['customer_name']} at {stage.stops[3]['eta'][11:16]}")
    expect(page.locator('#stops > li[data-state="done"]')).to_have_count(3)
    expect(page.locator('#stops > li[data-state="next"]')).to_have_count(1)
    expect(_card(page, stage.stops[3])).to_have_attribute("data-state", "next")
    expect(_card(page, stage.stops[3]).locator(".state-badge")).to_have_text("Next")
    expect(_card(page, stage.stops[4]).locator(".state-badge")).to_be_hidden()
    # the page opens at the next stop
    top = _card(page, stage.stops[3]).bounding_box()
    assert top is not None
    assert -2 <= top["y"] < PHONE["height"] / 2
    _both_sizes(w, "route-progress")
    assert axe_violations(page) == []
    assert w.errors == []


def test_refusals_read_as_errors_beside_the_stop_state(server: Server, browser: Browser, stage: Stage) -> None:
    w = _open(browser, server)
    page = w.page
    stop = stage.stops[4]
    card = _card(page, stop)
    card.get_by_role("button", name="Arrived").click()
    expect(card.locator(".visit-state")).to_contain_text("Arrived at")
    picker = card.get_by_label("Part used")
    part_id = picker.locator("option").first.get_attribute("value")
    assert part_id
    picker.select_option(part_id)
    card.get_by_label("Quantity").fill("999")
    card.get_by_role("button", name="Record part").click()
    alert = card.get_by_role("alert")
    expect(alert).to_contain_text(re.compile(
        rf"^Not enough in your van: it holds \d+ × {re.escape(PART_NAMES[part_id])}, you asked for 999\. "
        r"Nothing was recorded\.$"))
    assert alert.evaluate("node => getComputedStyle(node).color") == "rgb(176, 0, 32)"  # red
    expect(card.locator(".visit-state")).to_contain_text("Arrived at")  # the state is still shown
    expect(card.locator(".used")).to_be_hidden()
    _both_sizes(w, "route-error-stock")
    assert axe_violations(page) == []

    # a stop finished on another phone while this page still shows it untouched: the tap is refused in words
    # and the card catches up
    later = stage.stops[5]
    now = dt.datetime.now().replace(microsecond=0).isoformat()
    _record(server, stage, later, arrived_at=now, done_at=now)
    other = _card(page, later)
    other.get_by_role("button", name="Arrived").click()
    expect(other.get_by_role("alert")).to_have_text(
        "This stop was already recorded on another phone; the card now shows what was saved.")
    expect(other).to_have_attribute("data-state", "done")
    # the next successful tap clears the error
    card.get_by_label("Quantity").fill("1")
    card.get_by_role("button", name="Record part").click()
    expect(card.locator(".stop-error")).to_be_hidden()
    expect(card.locator(".used")).to_contain_text("Used: 1 × ")
    assert _only_expected(w) == []


def test_no_published_plan_is_a_friendly_line(server: Server, browser: Browser, stage: Stage) -> None:
    w = _open(browser, server, date=NO_PLAN_DAY)
    page = w.page
    name = dt.datetime.combine(NO_PLAN_DAY, dt.time()).strftime("%a %-d %b")
    status = page.locator("#route-status")
    expect(status).to_have_text(f"Your route for {name} isn't ready yet. Your dispatcher has not sent it: "
                                "tap Refresh later.")
    assert "error" not in (status.get_attribute("class") or "")
    assert status.evaluate("node => getComputedStyle(node).color") != "rgb(176, 0, 32)"
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#stops > li")).to_have_count(0)
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.get_by_role("button", name="Add to calendar")).to_be_disabled()  # nothing to add yet
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Route for {name}")
    _both_sizes(w, "route-no-plan")
    assert axe_violations(page) == []
    assert _only_expected(w) == []  # the 404 that says "not published" is the browser's own line


def test_offline_the_route_loaded_last_with_its_local_time(server: Server, browser: Browser, stage: Stage) -> None:
    _finish(server, stage, stage.stops[2])
    # a phone set to a zone far from UTC: the notice must use its clock
    context = browser.new_context(viewport=PHONE, timezone_id="Pacific/Kiritimati")  # type: ignore[arg-type]
    w = Watched(context.new_page())
    # uncaught exceptions only: offline, the browser logs each failed request, as expected
    w.page.on("pageerror", lambda error: w.errors.append(str(error)))
    sign_in(w, server, "fieldtech", "/route")
    page = w.page
    page.goto(f"{server.url}/route?date={TODAY.isoformat()}")
    expect(page.locator("#stops > li")).to_have_count(len(stage.stops))
    context.set_offline(True)
    page.get_by_role("button", name="Refresh").click()
    status = page.locator("#route-status")
    expect(status).to_contain_text("Offline: showing your route as loaded at ")
    shown = re.search(r"loaded at (\d\d:\d\d)", status.inner_text())
    assert shown
    local = page.evaluate("(() => { const d = new Date(); return [d.getHours(), d.getMinutes()]; })()")
    utc = dt.datetime.now(dt.UTC)
    assert shown.group(1) != f"{utc:%H:%M}"  # Kiritimati is UTC+14
    hours, minutes = (int(x) for x in shown.group(1).split(":"))
    assert abs((local[0] * 60 + local[1]) - (hours * 60 + minutes)) % (24 * 60) in (0, 1, 24 * 60 - 1)
    assert "UTC" not in status.inner_text()
    expect(page.locator("#stops > li")).to_have_count(len(stage.stops))
    expect(page.locator('#stops > li[data-state="done"]')).not_to_have_count(0)  # the states were kept too
    _both_sizes(w, "route-offline")
    context.set_offline(False)
    assert w.errors == []
    context.close()


def test_the_calendar_download(server: Server, browser: Browser, stage: Stage) -> None:
    w = _open(browser, server)
    expect(w.page.locator("#stops > li")).to_have_count(len(stage.stops))
    with w.page.expect_download(timeout=60_000) as download:
        w.page.get_by_role("button", name="Add to calendar").click()
    assert download.value.suggested_filename == f"route-{TODAY.isoformat()}.ics"
    path = download.value.path()
    text = path.read_text(encoding="utf-8")
    assert "DTSTART;TZID=Europe/Paris:" in text
    events = list(Calendar.from_ical(text.encode()).walk("VEVENT"))
    assert len(events) == len(stage.stops)
    assert STREET.fullmatch(str(events[0]["LOCATION"]))
    assert w.errors == []


def test_a_route_published_again_reaches_the_open_page(server: Server, browser: Browser, stage: Stage) -> None:
    """Last in the module: it publishes another plan of the day."""
    w = _open(browser, server)
    page = w.page
    expect(page.locator("#stops > li")).not_to_have_count(0)
    boss = server.token("boss", Role.dispatcher)
    r = httpx.post(f"{server.url}/api/v1/plans", json={"date": TODAY.isoformat(), **SMALL}, headers=auth(boss))
    r.raise_for_status()
    plan = server.finished(boss, r.json()["id"])
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(boss)).raise_for_status()
    # the technician comes back to the page (from the maps app, say)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#route-status")).to_contain_text(
        re.compile(r"^Your dispatcher sent a new route at \d\d:\d\d: (your stops are the same|check your stops)\.$"))
    served = httpx.get(f"{server.url}/api/v1/me/route?date={TODAY}", headers=auth(stage.tech_token)).json()
    expect(page.locator("#stops > li")).to_have_count(len(served["stops"]))
    _both_sizes(w, "route-changed")
    assert axe_violations(page) == []
    assert w.errors == []
