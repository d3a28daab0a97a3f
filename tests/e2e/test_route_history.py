"""A stop's customer history on the technician's route page: one line on the card (earlier visits, the last
outcome, the average score, open complaints) with the last visits on request, asked only when the card comes
into view, and still there when the phone opens the page again with no network."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Request, expect

import api.models  # noqa: F401  (every table registered: a visit's foreign keys resolve when this file runs alone)
from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.orders.models import Order
from api.visits.models import Visit
from dispatch.demo_days import generate_day
from tests.e2e.conftest import PHONE, Server, auth, axe_violations, watch
from tests.e2e.test_faces import sign_in

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
SMALL = {"time_limit": 30, "solution_limit": 3, "seed": 1}


@dataclass(frozen=True)
class Stage:
    stops: list[dict[str, Any]]
    tech_token: str
    customer: str  # the first stop's customer: visited yesterday, and an open complaint


@pytest.fixture(scope="module")
def stage(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Stage:
    """Today's day published; the first stop's order was visited yesterday without a fix (part missing, score 4),
    and its customer has an open complaint."""
    day = generate_day(orders=20, technicians=2, seed=3, plan_date=TODAY)
    server.add_user("desk", Role.dispatcher)
    server.add_user("head", Role.supervisor)
    desk = server.token("desk", Role.dispatcher)
    server.import_day(day, desk, tmp_path_factory.mktemp("csv"))
    plan = server.solve(desk, date=TODAY.isoformat(), **SMALL)
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(desk)).raise_for_status()
    route = max(plan["plan"]["routes"], key=lambda x: len(x["stops"]))
    assert len(route["stops"]) >= 5
    first = route["stops"][0]["order_id"]
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            order = session.get(Order, first)
            assert order is not None
            customer = order.customer_id
            begin = dt.datetime.combine(YESTERDAY, dt.time(14, 0))
            session.add(Visit(order_id=first, technician_id=route["technician_id"], date=YESTERDAY,
                              arrived_at=begin, started_at=begin, done_at=begin + dt.timedelta(minutes=40),
                              fixed_first_time=False, resolved=False, reason="part_missing", customer_score=4,
                              notes="bring the long ladder"))
            session.commit()
    finally:
        engine.dispose()
    r = httpx.post(f"{server.url}/api/v1/complaints", headers=auth(server.token("head", Role.supervisor)),
                   json={"customer_id": customer, "order_id": first, "channel": "email", "text": "Still broken."})
    assert r.status_code == 201, r.text
    server.add_user("roadie", Role.technician, technician_id=route["technician_id"])
    token = server.token("roadie", Role.technician)
    served = httpx.get(f"{server.url}/api/v1/me/route?date={TODAY}", headers=auth(token)).json()
    return Stage(served["stops"], token, customer)


def _history(server: Server, stage: Stage, customer: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/api/v1/customers/{customer}/history", headers=auth(stage.tech_token))
    assert r.is_success, r.text
    return dict(r.json())


def test_a_stop_shows_its_customers_history_and_keeps_it_offline(server: Server, browser: Browser,
                                                                 stage: Stage) -> None:
    w = watch(browser, PHONE)
    asked: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.endswith("/history"):
            asked.append(request.url.split("/customers/")[1].split("/")[0])

    w.page.on("request", on_request)
    sign_in(w, server, "roadie", "/route")
    page = w.page
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    first = page.locator(f'#stops > li[data-order="{stage.stops[0]["order_id"]}"]')
    history = _history(server, stage, stage.customer)
    s = history["summary"]
    assert (s["visits"], s["open_complaints"]) == (1, 1)
    average = str(Decimal(s["average_score"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    yesterday = YESTERDAY.strftime("%d %b").lstrip("0")
    line = f"1 earlier visit · last {yesterday} (needs another visit) · average score {average} · 1 open complaint"
    expect(first.locator(".history summary")).to_have_text(line)
    # asked lazily: a card far down the route has not asked for its customer yet
    last = stage.stops[-1]
    if last["customer_id"] not in {s["customer_id"] for s in stage.stops[:4]}:
        assert last["customer_id"] not in asked
    # the last visits open on request, with what the technician noted then
    first.locator(".history summary").click()
    expect(first.locator(".history li")).to_have_text(
        re.compile(rf"^{yesterday} · needs another visit · order {stage.stops[0]['order_id']} · part missing · "
                   r"score 4 · bring the long ladder$"))
    # a customer never visited before says so
    other = next(s for s in stage.stops if _history(server, stage, s["customer_id"])["summary"]["visits"] == 0)
    card = page.locator(f'#stops > li[data-order="{other["order_id"]}"]')
    card.scroll_into_view_if_needed()
    expect(card.locator(".history")).to_have_text("First visit to this customer")
    page.locator(f'#stops > li[data-order="{last["order_id"]}"]').scroll_into_view_if_needed()
    expect(page.locator(f'#stops > li[data-order="{last["order_id"]}"] .history')).not_to_be_empty()
    assert asked.count(stage.customer) == 1  # once per customer, not once per render
    assert axe_violations(page) == []
    assert w.errors == []

    # no network: the page opens again from the service worker and the phone's copy, history included
    before = len(asked)
    page.context.set_offline(True)
    page.reload()
    first = page.locator(f'#stops > li[data-order="{stage.stops[0]["order_id"]}"]')
    expect(page.locator("#route-status")).to_contain_text("Offline: showing your route as loaded at ")
    # the reload may keep the scroll at the last card: the first one asks when it comes into view again
    first.scroll_into_view_if_needed()
    expect(first.locator(".history summary")).to_have_text(line)
    assert len(asked) == before  # offline, the phone does not even try (no loop of failing asks)
    failed = [e for e in w.errors if not e.startswith(("Failed to load resource", "TypeError: Failed to fetch"))]
    assert failed == []
    page.context.set_offline(False)
