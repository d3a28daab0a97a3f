"""The board's timeline and map as a dispatcher uses them: an hour axis and names, visits reached by keyboard,
a visit chosen in the timeline opening on the map, a legend that focuses one technician, a visit dragged onto
another technician's row becoming a pin, and a board crossed in a few Tab presses. Every solve has a solution
limit; the map draws no tiles (MAP_TILE_URL=none), and no request leaves the machine."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from api.auth.models import Role
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from tests.e2e.conftest import PHONE, SECRET, Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import MARKERS_SHOWN, shown_plan_id, sign_in
from tests.uvicorn_server import uvicorn_app

BOARD_DESKTOP = {"width": 1440, "height": 900}
TODAY = dt.date.today()  # the "now" line is drawn on today's timeline
SMALL = {"time_limit": 30, "solution_limit": 3}
IDLE_TECH = 4  # the fifth technician takes no orders: an empty row


@pytest.fixture(scope="module")
def day() -> Day:
    base = generate_day(orders=24, technicians=5, seed=3, plan_date=TODAY)
    techs = list(base.technicians)
    techs[IDLE_TECH] = dataclasses.replace(techs[IDLE_TECH], max_orders=0)
    orders = tuple(dataclasses.replace(o, pinned_technician=None) for o in base.orders)
    return dataclasses.replace(base, technicians=tuple(techs), orders=orders)


@pytest.fixture(scope="module")
def plan(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The day imported and solved to done through the API."""
    server.add_user("mapper", Role.dispatcher)
    token = server.token("mapper", Role.dispatcher)
    server.import_day(day, token, tmp_path_factory.mktemp("csv"))
    return server.solve(token, date=TODAY.isoformat(), **SMALL)


class Outside:
    """Requests that leave 127.0.0.1 (map tiles, fonts, anything): there must be none."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host not in ("127.0.0.1", "localhost"):
            self.urls.append(request.url)


def _board(browser: Browser, server: Server, size: dict[str, int] = BOARD_DESKTOP,
           now: dt.datetime | None = None) -> tuple[Watched, Outside]:
    w = watch(browser, size)
    if now is not None:  # the page's clock (timers still run)
        w.page.context.clock.set_fixed_time(now)
    outside = Outside(w.page)
    sign_in(w, server, "mapper", "/board")
    w.page.goto(f"{server.url}/board?date={TODAY.isoformat()}")
    shown_plan_id(w.page)
    expect(w.page.locator("#timeline .seg-service").first).to_be_visible()
    w.page.wait_for_load_state("networkidle")  # the visits' live status is in: the timeline has settled
    return w, outside


def _both_sizes(w: Watched, name: str) -> None:
    w.page.set_viewport_size(BOARD_DESKTOP)  # type: ignore[arg-type]
    w.screenshot(f"{name}-desktop")
    w.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    w.screenshot(f"{name}-phone")
    w.page.set_viewport_size(BOARD_DESKTOP)  # type: ignore[arg-type]


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    def lum(h: str) -> float:
        c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hex(rgb: str) -> str:
    """'rgb(46, 125, 50)' as '#2e7d32'."""
    return "#" + "".join(f"{int(x):02x}" for x in re.findall(r"\d+", rgb)[:3])


def _customer(day: Day, order_id: str) -> str:
    return next(o.customer for o in day.orders if o.id == order_id)


def test_the_timeline_has_an_hour_axis_names_and_readable_visits(server: Server, browser: Browser, day: Day,
                                                                 plan: dict[str, Any]) -> None:
    w, outside = _board(browser, server, now=dt.datetime.combine(TODAY, dt.time(10, 30)))
    page = w.page
    # every hour of the day's span is labelled, in order, and the span holds every shift
    hours = [_minutes(t) for t in page.locator(".tl-hour").evaluate_all("ls => ls.map((l) => l.textContent)")]
    assert len(hours) >= 8
    assert hours == list(range(hours[0], hours[-1] + 1, 60))
    shifts = [(t.shift_start.hour * 60 + t.shift_start.minute, t.shift_end.hour * 60 + t.shift_end.minute)
              for t in day.technicians]
    assert hours[0] <= min(s for s, _ in shifts)
    assert hours[-1] >= max(e for _, e in shifts)
    # the "now" line crosses every row of today, and its label hides the hour labels it would cover
    expect(page.locator(".tl-now-label")).to_have_text("now 10:30")
    expect(page.locator(".timeline-row .tl-now")).to_have_count(len(day.technicians))
    # measured in one go in the page: the timeline may be redrawn (visits refreshed) between two reads
    covered = page.evaluate("""() => {
        const now = document.querySelector(".tl-now-label").getBoundingClientRect();
        return [...document.querySelectorAll(".tl-hour:not(.under-now)")]
            .map((h) => [h.textContent, h.getBoundingClientRect()])
            .filter(([, r]) => r.right > now.left && r.left < now.right).map(([t]) => t); }""")
    assert covered == []

    # a row per technician of the day, named, the one with no stops included
    rows = page.locator(".timeline-row")
    expect(rows).to_have_count(len(day.technicians))
    for t in day.technicians:
        expect(page.locator(f'.timeline-row[data-technician="{t.id}"] .timeline-label')).to_contain_text(t.name)
    idle = day.technicians[IDLE_TECH]
    expect(page.locator(f'.timeline-row[data-technician="{idle.id}"]')).to_contain_text("no visits")
    expect(page.locator(f'.timeline-row[data-technician="{idle.id}"] .seg-service')).to_have_count(0)

    # each visit is a button whose name says what, where, when, priority and lateness
    routes = {r["technician_id"]: r for r in plan["plan"]["routes"]}
    for tech, route in routes.items():
        buttons = page.locator(f'.timeline-row[data-technician="{tech}"] button.seg-service')
        expect(buttons).to_have_count(len(route["stops"]))
        for i, stop in enumerate(route["stops"]):
            name = buttons.nth(i).get_attribute("aria-label") or ""
            late = round(stop["late_minutes"])
            assert name.startswith(f"{stop['order_id']} at {_customer(day, stop['order_id'])}, "
                                   f"{stop['start'][11:16]}–{stop['end'][11:16]}, P"), name
            assert re.search(r", (\d+ h \d\d min|\d+ min) late$" if late > 0 else ", on time$", name), name
    late_visits = page.locator(".seg-service.late")
    if late_visits.count():  # late is told by a sign as well as the colour
        expect(late_visits.first.locator(".seg-text")).to_contain_text("!")
    # every kind of segment stands out from the bar (3:1 for graphics)
    colours = page.evaluate("""() => { const css = (sel, prop) => { const n = document.querySelector(sel);
            return n ? getComputedStyle(n)[prop] : null; };
        return {bar: css('.timeline-row .bar', 'backgroundColor'), service: css('.seg-service:not(.late):not(.done)', 'backgroundColor'),
                travel: css('.seg-travel', 'backgroundColor'), idle: css('.seg-idle', 'borderTopColor'),
                break: css('.seg-break', 'borderTopColor'), late: css('.key-late', 'backgroundImage')}; }""")
    bar = _hex(colours.pop("bar"))
    late = colours.pop("late")
    for kind, value in colours.items():
        if value is not None:  # a day without waiting has no idle segment
            assert _contrast(_hex(value), bar) >= 3, (kind, value)
    assert all(_contrast(_hex(c), bar) >= 3 for c in re.findall(r"rgb\([^)]*\)", late)), late
    # labels sit inside the visits wide enough to hold them
    wide = page.locator(".seg-service").first
    expect(wide.locator(".seg-text")).to_have_text(re.compile(r"^(! |✓ )?O"))
    _both_sizes(w, "board-timeline")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    # at phone width the plans table's scroller (the plan card, not these views) has no keyboard access yet
    assert axe_violations(page) == []
    assert w.errors == []
    assert outside.urls == []


def test_the_board_is_crossed_in_a_few_tab_presses(server: Server, browser: Browser, plan: dict[str, Any]) -> None:
    w, outside = _board(browser, server)
    page = w.page
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: dict[str, int] = {}
    for presses in range(1, 80):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const a = document.activeElement;
            return a.matches('.seg-service') ? 'segment' : a.id === 'replan' ? 'replan' : a.tagName; }""")
        reached.setdefault(focused, presses)
        if "replan" in reached and "segment" in reached:
            break
    # markers and route lines are out of the Tab order; the legend and the timeline are one stop each
    assert reached.get("segment", 99) < 40, reached
    assert reached.get("replan", 99) < 40, reached
    focusable_map = page.locator("#map .leaflet-marker-icon[tabindex='0'], #map path[tabindex]")
    expect(focusable_map).to_have_count(0)
    assert w.errors == []
    assert outside.urls == []


def test_a_visit_chosen_by_keyboard_opens_on_the_map(server: Server, browser: Browser, day: Day,
                                                     plan: dict[str, Any]) -> None:
    w, outside = _board(browser, server)
    page = w.page
    first = page.locator("#timeline .seg-service").first
    first.focus()
    expect(first).to_have_attribute("tabindex", "0")
    page.keyboard.press("ArrowRight")  # the next visit of the row takes the one Tab stop
    row = first.get_attribute("data-technician")
    second = page.locator(f'.timeline-row[data-technician="{row}"] .seg-service').nth(1)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("tabindex", "0")
    expect(first).to_have_attribute("tabindex", "-1")
    order_id = second.get_attribute("data-order") or ""
    page.keyboard.press("Enter")
    expect(second).to_have_attribute("aria-current", "true")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"Order {order_id}")
    expect(popup).to_contain_text(_customer(day, order_id))
    expect(popup).to_contain_text("Technician: ")
    expect(popup).to_contain_text(re.compile(r"Lateness: (on time|\d+ (h \d\d )?min late)"))
    expect(page.locator("#map .pin.selected")).to_have_count(1)
    _both_sizes(w, "board-timeline-selects-map")
    assert axe_violations(page) == []

    # and the other way: the popup of another stop, opened on the map, marks that visit in the timeline
    other = next(s["order_id"] for r in plan["plan"]["routes"] for s in r["stops"] if s["order_id"] != order_id)
    page.evaluate("id => Board.select(id, 'list')", other)
    popup = page.locator(".leaflet-popup-content", has_text=f"Order {other}")
    expect(popup).to_be_visible()
    popup.get_by_role("button", name="Select").click()
    expect(page.locator(f'.seg-service[data-order="{other}"]')).to_have_attribute("aria-current", "true")
    expect(second).not_to_have_attribute("aria-current", "true")
    assert w.errors == []
    assert outside.urls == []


def test_the_legend_focuses_one_technician_and_the_map_stays_readable(server: Server, browser: Browser,
                                                                      day: Day, plan: dict[str, Any]) -> None:
    w, outside = _board(browser, server)
    page = w.page
    routes = [r for r in plan["plan"]["routes"] if r["stops"]]
    # every stop and unassigned order is on the map: alone, or counted in a cluster where markers overlap
    page.wait_for_function(MARKERS_SHOWN, arg=sum(len(r["stops"]) for r in routes) + len(plan["plan"]["unassigned"]))
    expect(page.locator("path.route-line")).to_have_count(len(routes))
    # technicians' colours all differ, for a crew of any size, and each holds white digits (4.5:1) on the map
    colours = page.evaluate("() => Board.technicians.map((t) => Board.colourOf(t.id))")
    assert len(set(colours)) == len(colours)
    crew = page.evaluate("""() => { const real = Board.technicians;
        Board.technicians = Array.from({length: 60}, (_, i) => ({id: 'X' + i}));
        const out = Board.technicians.map((t) => Board.colourOf(t.id));
        Board.technicians = real; return out; }""")
    assert len(set(crew)) == 60
    assert all(_contrast(c, "#ffffff") >= 4.5 for c in crew), crew
    # the unassigned sign stands upright
    if plan["plan"]["unassigned"]:
        # (retried: a cluster may redraw its markers while it is read)
        expect(page.locator("#map .pin.unassigned b").first).to_have_css("transform", "none")

    tech = routes[0]["technician_id"]
    name = next(t.name for t in day.technicians if t.id == tech)
    button = page.locator(f'#legend button[data-technician="{tech}"]')
    expect(button).to_contain_text(name)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#map")).to_have_attribute("data-focus", tech)
    opacities = page.locator("path.route-line").evaluate_all("ps => ps.map((p) => p.getAttribute('stroke-opacity'))")
    assert sorted(opacities) == sorted(["0.85"] + ["0.2"] * (len(routes) - 1))
    # only the focused technician's stops stay markers; the others fade to dots
    expect(page.locator("#map .leaflet-marker-icon.stop")).not_to_have_count(0)
    shown = page.locator("#map .leaflet-marker-icon.stop span").evaluate_all(
        "ss => [...new Set(ss.map((s) => getComputedStyle(s).backgroundColor))]")
    focused = page.evaluate("""t => { const d = document.createElement('i'); d.style.color = Board.colourOf(t);
        document.body.append(d); const c = getComputedStyle(d).color; d.remove(); return c; }""", tech)
    assert shown == [focused]
    _both_sizes(w, "board-map-focus")
    assert axe_violations(page) == []

    button.click()  # again: everyone
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#legend button.legend-all")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#map")).to_have_attribute("data-focus", "")
    expect(page.locator("#map-note")).to_contain_text("MAP_TILE_URL=none")
    assert w.errors == []
    assert outside.urls == []


def _stub_pin(page: Page) -> None:
    """Board.pin records its calls (the pins view defines the real one; here only the call matters)."""
    page.evaluate("""() => { window.pinCalls = [];
        Board.pin = (order, tech) => { window.pinCalls.push([order, tech]); return Promise.resolve(null); }; }""")


def _movable(day: Day, plan: dict[str, Any]) -> tuple[str, str, str]:
    """A served order, its technician, and another technician with its skills (the idle one takes no orders)."""
    skills = {t.id: t.skills for t in day.technicians}
    needs = {o.id: o.required_skills for o in day.orders}
    return next((s["order_id"], r["technician_id"], t) for r in plan["plan"]["routes"] for s in r["stops"]
                for t in skills if t != r["technician_id"] and needs[s["order_id"]] <= skills[t])


def test_dragging_a_visit_to_another_row_pins_it_there(server: Server, browser: Browser, day: Day,
                                                       plan: dict[str, Any]) -> None:
    w, outside = _board(browser, server)
    page = w.page
    _stub_pin(page)
    order_id, _, target = _movable(day, plan)
    visit = page.locator(f'.seg-service[data-order="{order_id}"]')
    expect(visit).to_have_attribute("draggable", "true")
    visit.drag_to(page.locator(f'.timeline-row[data-technician="{target}"] .bar'))
    page.wait_for_function("() => window.pinCalls.length > 0")
    assert page.evaluate("() => window.pinCalls") == [[order_id, target]]

    # a technician without the order's skills does not take it, and the status line says why
    skills = {t.id: t.skills for t in day.technicians}
    needs = {o.id: o.required_skills for o in day.orders}
    refused = next(((s["order_id"], t) for r in plan["plan"]["routes"] for s in r["stops"] for t in skills
                    if t != r["technician_id"] and not needs[s["order_id"]] <= skills[t]), None)
    if refused:
        page.locator(f'.seg-service[data-order="{refused[0]}"]').drag_to(
            page.locator(f'.timeline-row[data-technician="{refused[1]}"] .bar'))
        missing = sorted(needs[refused[0]] - skills[refused[1]])
        expect(page.locator("#plan-status")).to_contain_text(re.compile(
            rf"{refused[0]} not pinned: {refused[1]} \(.+\) lacks the skills? {', '.join(missing)} it needs"))
        assert len(page.evaluate("() => window.pinCalls")) == 1

    # the map popup's "Pin to…" does the same
    page.evaluate("id => Board.select(id, 'list')", order_id)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"Order {order_id}")
    popup.get_by_label("Pin to…").select_option(target)
    # from the keyboard: a click by coordinates can land beside a popup the map is still panning into view
    popup.get_by_role("button", name=f"Pin {order_id} and re-plan").press("Enter")
    page.wait_for_function("() => window.pinCalls.length > 1")
    assert page.evaluate("() => window.pinCalls")[1] == [order_id, target]
    assert w.errors == []
    assert outside.urls == []


def test_done_and_started_visits_show_on_the_timeline(server: Server, browser: Browser, plan: dict[str, Any]) -> None:
    """Live status from the technicians' visits: a tick on a done visit, "on site" on a begun one."""
    boss = server.token("mapper", Role.dispatcher)
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(boss)).raise_for_status()
    route = next(r for r in plan["plan"]["routes"] if len(r["stops"]) >= 2)
    server.add_user("fieldtech", Role.technician, technician_id=route["technician_id"])
    tech = server.token("fieldtech", Role.technician)
    done, begun = route["stops"][0], route["stops"][1]
    for stop, extra in ((done, {"done_at": stop_time(done["end"])}), (begun, {})):
        r = httpx.post(f"{server.url}/api/v1/visits", headers=auth(tech),
                       json={"order_id": stop["order_id"], "date": TODAY.isoformat(),
                             "arrived_at": stop_time(stop["arrival"]), **extra})
        assert r.status_code == 201, r.text
    w, outside = _board(browser, server)
    page = w.page
    ticked = page.locator(f'.seg-service[data-order="{done["order_id"]}"]')
    expect(ticked).to_have_class(re.compile(r"\bdone\b"))
    expect(ticked.locator(".seg-text")).to_have_text(f"✓ {done['order_id']}")
    expect(ticked).to_have_attribute("aria-label", re.compile(rf", done at {done['end'][11:16]}$"))
    on_site = page.locator(f'.seg-service[data-order="{begun["order_id"]}"]')
    expect(on_site).to_have_class(re.compile(r"\bonsite\b"))
    expect(on_site).to_have_attribute("aria-label", re.compile(rf", on site since {begun['arrival'][11:16]}$"))
    _both_sizes(w, "board-timeline-live-status")
    assert axe_violations(page) == []
    assert w.errors == []
    assert outside.urls == []


def stop_time(iso: str) -> str:
    """A plan time as the visit API takes it (to the minute)."""
    return iso[:16] + ":00"


# a transparent 1×1 PNG: the tiles the test serves in place of OpenStreetMap's
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


@pytest.fixture(scope="module")
def osm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app as deployed by default: MAP_TILE_URL unset, so OpenStreetMap's tiles."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-osm')}/dispatch.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "MAP_TILE_URL"}
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET, ENVIRONMENT="test", PLAN_EXECUTOR="thread",
               RUN_MIGRATIONS_ON_STARTUP="true")
    with uvicorn_app(env) as url:
        yield Server(url, database_url)


def test_the_default_map_is_a_street_map_credited_to_openstreetmap(osm_server: Server, browser: Browser) -> None:
    osm_server.add_user("streets", Role.dispatcher)
    w = watch(browser, BOARD_DESKTOP)
    page = w.page
    tiles: list[str] = []

    def serve_tile(route: Route) -> None:  # answered here: nothing leaves the machine
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route("https://tile.openstreetmap.org/**", serve_tile)
    outside = Outside(page)
    sign_in(w, osm_server, "streets", "/board")
    expect(page.locator("#map img.leaflet-tile").first).to_be_attached()
    page.wait_for_function("() => document.querySelectorAll('#map img.leaflet-tile-loaded').length > 0")
    assert tiles
    assert all(re.fullmatch(r"https://tile\.openstreetmap\.org/\d+/\d+/\d+\.png", u) for u in tiles), tiles
    assert set(outside.urls) <= set(tiles)  # the only requests off the machine were the tiles served above
    credit = page.locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("© OpenStreetMap contributors")
    expect(credit.get_by_role("link", name="OpenStreetMap")).to_have_attribute(
        "href", "https://www.openstreetmap.org/copyright")
    expect(page.locator("#map-note")).to_be_hidden()
    w.screenshot("board-osm-tiles-desktop")
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_site_that_cannot_reach_the_tile_server_is_told_why_the_streets_are_missing(
        osm_server: Server, browser: Browser) -> None:
    osm_server.add_user("offline", Role.dispatcher)
    w = watch(browser, BOARD_DESKTOP)
    page = w.page
    page.route("https://tile.openstreetmap.org/**", lambda route: route.abort("internetdisconnected"))
    sign_in(w, osm_server, "offline", "/board")
    expect(page.locator("#map-note")).to_have_text(re.compile(r"^The street map cannot be reached from here.*"
                                                              r"MAP_TILE_URL=none"))
    assert axe_violations(page) == []
    # one tile is tried, not a screenful: the browser logs that one refusal itself, and nothing else is logged
    assert w.errors == ["Failed to load resource: net::ERR_INTERNET_DISCONNECTED"]
