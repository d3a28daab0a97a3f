"""The plan's fixes on the board, as a dispatcher meets them in a real browser: beside the reason of each order
left out, its fixes in words (the change, where and when it would start, its cost) with the action that takes it.
"Create the transfer" is refused in a sentence while the store is empty, then moves a part no van holds from the
store into the van, says so in words and offers a re-plan, which then serves the order; "Propose the window to
the customer" puts the message in the outbox, and once the customer agrees the window is moved and the re-plan
serves that order too. Every solve has a solution limit; every plan passes the independent checker against the
Day the job stored. No console errors but the refusal's own, no serious accessibility violation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.plans.models import PlanJob
from dispatch.analysis.checker import check_plan, format_report
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from dispatch.io.day_json import day_from_dict
from tests.e2e.conftest import Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import shown_plan_id, sign_in

DESKTOP = {"width": 1440, "height": 900}
DAY = dt.date.today() + dt.timedelta(days=3)  # not today: a re-plan plans the day afresh, from the ledger
SMALL = {"time_limit": 30, "solution_limit": 3, "seed": 1}
PART, STORE, ORDER, WINDOW = "P-FIX", "CS-FIX", "O-PART", "O-WIN"
SOLVE_WAIT = 120_000  # ms: a bound for a re-plan to finish on a busy machine, not a timing
V = "/api/v1"


def _at(hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hh, mm))


@pytest.fixture(scope="module")
def day() -> Day:
    """A small day with no pins; O-PART (P2, no skill, no window) needs one P-FIX, which no van holds; O-WIN (P3,
    no skill, no part) is promised 05:00-05:30, before anyone's shift."""
    base = generate_day(orders=20, technicians=3, seed=7, plan_date=DAY)
    orders = [dataclasses.replace(o, pinned_technician=None) for o in base.orders]
    part = dataclasses.replace(orders[0], id=ORDER, priority="P2", required_skills=frozenset(), required_parts={PART: 1},
                               window_start=None, window_end=None, duration_min=30, created_at=_at(7, 0))
    early = dataclasses.replace(orders[1], id=WINDOW, priority="P3", required_skills=frozenset(), required_parts={},
                                window_start=_at(5, 0), window_end=_at(5, 30), duration_min=30, created_at=_at(0, 0))
    return dataclasses.replace(base, orders=(*orders, part, early))


def _call(server: Server, token: str, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, f"{server.url}{V}{path}", headers=auth(token), timeout=60, **kw)
    assert r.is_success, r.text
    return r.json()


def _stored_day(server: Server, plan_id: str) -> Day:
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            job = session.get(PlanJob, plan_id)
            assert job is not None
            assert job.input is not None
            return day_from_dict(job.input)
    finally:
        engine.dispose()


def _checked(server: Server, token: str, plan_id: str) -> dict[str, Any]:
    """The plan of a done job, once the independent checker passed it against the Day the job stored."""
    plan = _call(server, token, "GET", f"/plans/{plan_id}")["plan"]
    report = check_plan(_stored_day(server, plan_id), plan)
    assert report.ok, format_report(report)
    return dict(plan)


@pytest.fixture(scope="module")
def planned(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The day imported, P-FIX in the catalogue with 3 in store CS-FIX, and the day planned (solution limit)."""
    server.add_user("fixer", Role.dispatcher)
    server.add_user("fixkeeper", Role.storekeeper)
    boss, keeper = server.token("fixer", Role.dispatcher), server.token("fixkeeper", Role.storekeeper)
    server.import_day(day, boss, tmp_path_factory.mktemp("csv"))
    _call(server, keeper, "POST", "/parts", json={"id": PART, "name": "fan motor"})
    _call(server, keeper, "POST", "/stock-locations", json={"id": STORE, "name": "Store for fixes"})
    _call(server, keeper, "POST", "/stock/receipts", json={"part_id": PART, "location_id": STORE, "quantity": 3})
    read = server.solve(boss, date=DAY.isoformat(), **SMALL)
    return {"id": read["id"], "plan": _checked(server, boss, read["id"]), "token": boss, "keeper": keeper}


def _held(server: Server, token: str, location: str) -> int:
    items = _call(server, token, "GET", f"/stock?location_id={location}&part_id={PART}")["items"]
    return int(items[0]["quantity"]) if items else 0


def _open(browser: Browser, server: Server) -> Watched:
    w = watch(browser, DESKTOP)
    sign_in(w, server, "fixer", "/board")
    w.page.goto(f"{server.url}/board?date={DAY.isoformat()}")
    shown_plan_id(w.page)
    return w


def _hhmm(iso: str) -> str:
    return iso[11:16]


def _row(page: Page, order_id: str) -> Any:
    return page.locator(f'#unassigned tbody tr[data-order="{order_id}"]')


def test_fixes_stand_beside_the_reasons_and_the_transfer_serves_the_order(
        server: Server, browser: Browser, planned: dict[str, Any]) -> None:
    plan, boss, keeper = planned["plan"], planned["token"], planned["keeper"]
    left = {u["order_id"]: u for u in plan["unassigned"]}
    assert ORDER in left, "O-PART needs a part no van holds: it is left out"
    fixes = left[ORDER]["fixes"]
    part_fix = next(f for f in fixes if f["kind"] == "part")
    assert (part_fix["part"], part_fix["quantity"], part_fix["store"]) == (PART, 1, STORE)
    tech = part_fix["technician_id"]

    w = _open(browser, server)
    page = w.page
    # every order left out with fixes lists them beside its reason, cheapest first, in the plan's words
    for order_id, u in left.items():
        items = _row(page, order_id).locator("ol.fixes > li")
        expect(items).to_have_count(len(u["fixes"]))
        for i, fix in enumerate(u["fixes"]):
            expect(items.nth(i).locator(".fix-text")).to_have_text(fix["text"])
            expect(items.nth(i).locator(".fix-facts")).to_contain_text("starts " if not fix.get("date") else "")
            expect(items.nth(i).locator(".fix-facts")).to_contain_text(_hhmm(fix["eta"]))
            expect(items.nth(i).locator(".fix-facts")).to_contain_text("on time" if round(fix["late_minutes"]) <= 0
                                                                      else "late")
    row = _row(page, ORDER)
    expect(row.locator("td.reason")).to_have_text(left[ORDER]["reason"])
    item = row.locator("ol.fixes > li").nth(fixes.index(part_fix))
    total = math.floor(part_fix["cost_delta"]["total"] + 0.5)  # rounded as the page's Math.round does
    expect(item.locator(".fix-facts")).to_contain_text(f"cost change {'−' if total < 0 else '+'}{abs(total):,}")
    assert axe_violations(page) == []
    w.screenshot("board-fixes-desktop")

    # a refusal is said in a sentence and the action stays offered: the store was emptied meanwhile
    _call(server, keeper, "POST", "/stock/adjustments", json={"part_id": PART, "location_id": STORE, "delta": -3,
                                                               "reason": "e2e: counted none"})
    item.get_by_role("button", name="Create the transfer").click()
    result = item.locator(".fix-result")
    expect(result).to_have_text(f"Not done: Not enough stock: {STORE} holds 0 × fan motor ({PART}); you asked to "
                                "move 1.")
    _call(server, keeper, "POST", "/stock/receipts", json={"part_id": PART, "location_id": STORE, "quantity": 3})

    # the action: the part goes from the store to the van, and the row says so
    item.get_by_role("button", name="Create the transfer").click()
    expect(result).to_contain_text(f"Transfer created: 1 × {PART} from {STORE} to the van of ")
    expect(result).to_contain_text(f"(VAN-{tech})")
    assert (_held(server, keeper, STORE), _held(server, keeper, f"VAN-{tech}")) == (2, 1)
    expect(item.get_by_role("button", name="Create the transfer")).to_be_disabled()
    assert axe_violations(page) == []

    # the re-plan it offers uses the van's new stock: the order is served
    first = shown_plan_id(page)
    result.get_by_role("button", name="Re-plan now").click()
    status = page.locator("#plan-status")
    expect(status).not_to_have_attribute("data-plan", first, timeout=SOLVE_WAIT)
    expect(status).to_contain_text(f"{ORDER} goes to ", timeout=SOLVE_WAIT)
    new_id = status.get_attribute("data-plan")
    assert new_id is not None
    replanned = _checked(server, boss, new_id)
    served_by = next(r["technician_id"] for r in replanned["routes"] for s in r["stops"] if s["order_id"] == ORDER)
    assert served_by == tech
    assert dict(next(t for t in _stored_day(server, new_id).technicians if t.id == tech).van_stock).get(PART) == 1
    expect(_row(page, ORDER)).to_have_count(0)

    # O-WIN, still out of reach at 05:00: its first fix proposes a window; the customer hears of it
    left = {u["order_id"]: u for u in replanned["unassigned"]}
    window_fix = next(f for f in left[WINDOW]["fixes"] if f["kind"] == "window")
    item = _row(page, WINDOW).locator("ol.fixes > li").nth(left[WINDOW]["fixes"].index(window_fix))
    expect(item.locator(".fix-text")).to_have_text(window_fix["text"])
    item.get_by_role("button", name="Propose the window to the customer").click()
    result = item.locator(".fix-result")
    start, end = window_fix["window_start"], window_fix["window_end"]
    expect(result).to_contain_text(f"Proposed to {_customer(server, boss, WINDOW)}: {start}–{end} for {WINDOW} "
                                   "(the message is in the outbox, to be sent).")
    sent = _call(server, boss, "GET", f"/notifications?order_id={WINDOW}")
    assert [(n["kind"], n["payload"]["window_start"], n["payload"]["window_end"]) for n in sent] == \
        [("window_proposed", f"{DAY}T{start}:00", f"{DAY}T{end}:00")]
    assert _call(server, boss, "GET", f"/orders/{WINDOW}")["window_start"] == f"{DAY}T05:00:00"  # not yet agreed
    assert axe_violations(page) == []

    # the customer agrees: the window moves and the re-plan serves the order
    second = shown_plan_id(page)
    result.get_by_role("button", name="The customer agrees: move the window and re-plan").click()
    expect(status).not_to_have_attribute("data-plan", second, timeout=SOLVE_WAIT)
    expect(status).to_contain_text(f"{WINDOW} goes to ", timeout=SOLVE_WAIT)
    third = status.get_attribute("data-plan")
    assert third is not None
    final = _checked(server, boss, third)
    stop = next(s for r in final["routes"] for s in r["stops"] if s["order_id"] == WINDOW)
    assert f"{DAY}T{start}:00" <= stop["start"] <= f"{DAY}T{end}:00"
    assert _call(server, boss, "GET", f"/orders/{WINDOW}")["window_start"] == f"{DAY}T{start}:00"
    assert w.errors == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]


def _customer(server: Server, token: str, order_id: str) -> str:
    order = _call(server, token, "GET", f"/orders/{order_id}")
    return str(_call(server, token, "GET", f"/customers/{order['customer_id']}")["name"])
