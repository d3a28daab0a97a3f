"""The phone with no network: the technician taps Arrived and Done offline, the page (kept by its service worker)
opens again with no network and shows the last route with those taps, and once back online the taps reach the
API exactly once each, even when an answer is lost on the way and the phone sends the same tap again."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.plans.models import PlanJob
from dispatch.analysis.checker import check_plan
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from dispatch.io.day_json import day_from_dict
from tests.e2e.conftest import PHONE, Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import sign_in

TODAY = dt.date.today()  # the page opens on today's route; the taps carry the phone's time of today
SMALL = {"time_limit": 30, "solution_limit": 3, "seed": 1}


@dataclass(frozen=True)
class Stage:
    technician_id: str
    stops: list[dict[str, Any]]  # the technician's route as the API serves it
    tech_token: str
    boss_token: str


@pytest.fixture(scope="module")
def stage(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Stage:
    """A small day imported, planned (the independent checker passes the plan) and published; the technician
    with the most stops signs in as "roadtech"."""
    day: Day = generate_day(orders=12, technicians=2, seed=5, plan_date=TODAY)
    server.add_user("chief", Role.dispatcher)
    boss = server.token("chief", Role.dispatcher)
    server.import_day(day, boss, tmp_path_factory.mktemp("csv"))
    plan = server.solve(boss, date=TODAY.isoformat(), **SMALL)
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            job = session.get(PlanJob, plan["id"])
            assert job is not None
            assert job.input is not None
            report = check_plan(day_from_dict(job.input), plan["plan"])
    finally:
        engine.dispose()
    assert report.ok, report.violations
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(boss)).raise_for_status()
    route = max(plan["plan"]["routes"], key=lambda r: len(r["stops"]))
    assert len(route["stops"]) >= 2
    server.add_user("roadtech", Role.technician, technician_id=route["technician_id"])
    token = server.token("roadtech", Role.technician)
    served = httpx.get(f"{server.url}/api/v1/me/route?date={TODAY}", headers=auth(token)).json()
    return Stage(route["technician_id"], served["stops"], token, boss)


def _open(browser: Browser, server: Server) -> Watched:
    w = watch(browser, PHONE)
    w.errors.clear()
    sign_in(w, server, "roadtech", "/route")
    # the service worker in control: from now on the page opens with no network
    w.page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    return w


def _events(server: Server, stage: Stage) -> list[dict[str, Any]]:
    r = httpx.get(f"{server.url}/api/v1/days/{TODAY}/events", headers=auth(stage.boss_token))
    r.raise_for_status()
    return list(r.json())


def _uncaught(w: Watched) -> list[str]:
    """Errors other than the browser's own lines for requests that fail with no network (expected here)."""
    return [e for e in w.errors if not e.startswith(("Failed to load resource", "TypeError: Failed to fetch"))]


def test_taps_offline_reach_the_api_once_when_the_network_returns(server: Server, browser: Browser,
                                                                  stage: Stage) -> None:
    w = _open(browser, server)
    page: Page = w.page
    context = page.context
    stop = stage.stops[0]
    card = page.locator(f'#stops > li[data-order="{stop["order_id"]}"]')
    expect(page.locator("#stops > li")).to_have_count(len(stage.stops))

    context.set_offline(True)
    card.get_by_role("button", name="Arrived").click()
    # the stop moves on at once, and says its tap waits for the network
    expect(card).to_have_attribute("data-state", "on-site")
    expect(card.locator(".visit-state")).to_contain_text(re.compile(r"^Arrived at \d\d:\d\d · waiting to be sent$"))
    expect(page.locator("#route-status")).to_contain_text("Offline: 1 tap waits to be sent.")
    expect(card.get_by_role("radio", name="Fixed")).to_be_checked()
    expect(card.get_by_label("Why")).to_be_hidden()  # the reason is asked only for another visit
    for name in ("Done", "Start work"):
        box = card.get_by_role("button", name=name).bounding_box()
        assert box is not None
        assert box["height"] >= 44
    assert axe_violations(page) == []
    w.screenshot("route-offline-on-site-phone")
    card.get_by_role("button", name="Done").click()
    expect(card).to_have_attribute("data-state", "done")
    expect(page.locator("#route-status")).to_contain_text("Offline: 2 taps wait to be sent.")
    assert _events(server, stage) == []  # nothing has left the phone

    # the page opens again with no network: the service worker serves it, the phone's copy shows the taps
    page.reload()
    card = page.locator(f'#stops > li[data-order="{stop["order_id"]}"]')
    expect(page.locator("#stops > li")).to_have_count(len(stage.stops))
    expect(card).to_have_attribute("data-state", "done")
    expect(page.locator("#route-status")).to_contain_text("Offline: showing your route as loaded at ")
    expect(page.locator("#route-status")).to_contain_text("2 taps wait to be sent.")
    # the page itself came out of the service worker's cache, not the network
    assert page.evaluate("performance.getEntriesByType('navigation')[0].deliveryType") == "cache-storage"
    assert axe_violations(page) == []

    # back online, the first answer is lost on the way: the phone keeps the tap and sends it again, same key
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.request.headers.get("idempotency-key", ""))
        route.fetch()  # the server records it...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/api/v1/events", lose_first_answer)
    context.set_offline(False)
    expect(page.locator("#route-status")).to_contain_text("Back online: your taps are saved.")
    assert lost, "the first send went through the network"
    expect(card.locator(".summary")).to_have_text(re.compile(r"^Done at \d\d:\d\d$"))
    events = [e for e in _events(server, stage) if e["order_id"] == stop["order_id"]]
    assert [e["event"] for e in events] == ["arrived", "done"]
    assert {e["technician_id"] for e in events} == {stage.technician_id}
    order = httpx.get(f"{server.url}/api/v1/orders/{stop['order_id']}", headers=auth(stage.boss_token)).json()
    assert order["status"] == "done"
    assert order["last_outcome"]["event"] == "done"
    visits = httpx.get(f"{server.url}/api/v1/visits?date={TODAY}", headers=auth(stage.tech_token)).json()
    assert [v["order_id"] for v in visits if v["done_at"]] == [stop["order_id"]]  # done once

    # the network coming and going again sends nothing twice
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.reload()
    expect(card).to_have_attribute("data-state", "done")
    assert [e["event"] for e in _events(server, stage) if e["order_id"] == stop["order_id"]] == ["arrived", "done"]
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('dispatch.outbox.'))"
                         ".map((k) => JSON.parse(localStorage.getItem(k)).length)") == [0]
    assert _uncaught(w) == []
    page.context.close()


def test_a_visit_that_needs_another_sends_the_order_back_with_its_reason(server: Server, browser: Browser,
                                                                         stage: Stage) -> None:
    w = _open(browser, server)
    page = w.page
    stop = stage.stops[1]
    card = page.locator(f'#stops > li[data-order="{stop["order_id"]}"]')
    card.get_by_role("button", name="On my way").click()
    expect(card).to_have_attribute("data-state", "en-route")
    expect(card.get_by_role("button", name="Arrived")).to_be_focused()
    card.get_by_role("button", name="Arrived").click()
    card.get_by_role("button", name="Start work").click()
    expect(card).to_have_attribute("data-state", "in-service")
    card.get_by_role("radio", name="Needs another visit").check()
    card.get_by_label("Why").select_option("part_missing")
    card.get_by_label("Note").fill("compressor not in the van")
    card.get_by_label("Customer score").select_option("4")
    assert axe_violations(page) == []
    w.screenshot("route-another-visit-phone")
    card.get_by_role("button", name="Done").click()
    expect(card).to_have_attribute("data-state", "unresolved")
    expect(card.locator(".summary")).to_have_text(
        re.compile(r"^Needs another visit \(part missing\), finished at \d\d:\d\d · customer score 4$"))
    expect(card.locator(".summary")).not_to_contain_text("waiting")  # sent
    events = [e for e in _events(server, stage) if e["order_id"] == stop["order_id"]]
    assert [(e["event"], e["reason"]) for e in events] == [
        ("departed", None), ("arrived", None), ("started", None), ("unresolved", "part_missing")]
    order = httpx.get(f"{server.url}/api/v1/orders/{stop['order_id']}", headers=auth(stage.boss_token)).json()
    assert order["status"] == "open"  # back to the pool
    assert order["last_outcome"]["reason"] == "part_missing"
    assert order["last_outcome"]["note"] == "compressor not in the van"
    assert _uncaught(w) == []
    page.context.close()


def test_a_new_version_of_the_route_says_what_changed(server: Server, browser: Browser, stage: Stage) -> None:
    """The route as a re-published plan serves it (version and changes): the page says what changed."""
    w = watch(browser, PHONE)
    first, second = stage.stops[0], stage.stops[1]
    changes = [
        {"order_id": first["order_id"], "change": "added", "from_technician": None,
         "to_technician": stage.technician_id, "eta_shift_minutes": None},
        {"order_id": "O0999", "change": "reassigned", "from_technician": stage.technician_id,
         "to_technician": "T-ALEX", "eta_shift_minutes": None},
        {"order_id": second["order_id"], "change": "shifted", "from_technician": stage.technician_id,
         "to_technician": stage.technician_id, "eta_shift_minutes": 25},
    ]

    def version_two(route: Route) -> None:
        answer = route.fetch()
        body = answer.json() | {"version": 2, "changes": changes}
        route.fulfill(response=answer, json=body)

    # the context's routing sees the service worker's requests too
    w.page.context.route("**/api/v1/me/route?*", version_two)
    sign_in(w, server, "roadtech", "/route")
    banner = w.page.locator("#route-changes")
    expect(banner).to_have_text(
        f"Route updated (version 2): {first['order_id']} added at {first['eta'][11:16]}, O0999 moved to T-ALEX, "
        f"{second['order_id']} later by 25 min (now {second['eta'][11:16]}).")
    assert axe_violations(w.page) == []
    w.screenshot("route-changed-version-phone")
    w.page.context.unroute("**/api/v1/me/route?*")
    w.page.reload()  # version 1 (or no version at all): no banner
    expect(w.page.locator("#stops > li")).to_have_count(len(stage.stops))
    expect(banner).to_be_hidden()
    assert _uncaught(w) == []
    w.page.context.close()
