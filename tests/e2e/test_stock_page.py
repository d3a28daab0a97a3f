"""The storekeeper's page in a real browser, at desktop and phone sizes: receive into the depot, transfer to a
van, read the ledger newest first with part names, set a threshold and see the alert, pick tomorrow's plan's
shortfall into a van, and be told in a sentence when asking for more than a van holds. No console errors,
no serious accessibility violation, no sideways scrolling on a phone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from api.auth.models import Role
from api.parts.demo import CATALOGUE
from dispatch.demo_days import generate_day
from dispatch.demo_details import PART_NAMES
from dispatch.domain import Day
from tests.e2e.conftest import PHONE, Server, Watched, axe_violations, watch
from tests.e2e.test_faces import sign_in

DESKTOP = {"width": 1440, "height": 900}
TOMORROW = dt.date.today() + dt.timedelta(days=1)
DEPOT = "DEPOT-E2E"
V = "/api/v1"


@pytest.fixture(scope="module")
def day() -> Day:
    return generate_day(orders=14, technicians=3, seed=11, plan_date=TOMORROW)


def _call(server: Server, token: str, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, f"{server.url}{V}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw)
    assert r.is_success, r.text
    return r.json()


@pytest.fixture(scope="module")
def world(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Tomorrow's day imported and its plan published (solution-limited), parts named, an empty depot, and one
    van emptied of a part its stops need, so the pick list has a shortfall."""
    server.add_user("boss", Role.dispatcher)
    server.add_user("keeper", Role.storekeeper)
    boss, keeper = server.token("boss", Role.dispatcher), server.token("keeper", Role.storekeeper)
    server.import_day(day, boss, tmp_path_factory.mktemp("csv"))
    for part in _call(server, keeper, "GET", "/parts?limit=500")["items"]:
        if part["id"] in CATALOGUE:
            _call(server, keeper, "PATCH", f"/parts/{part['id']}", json={"name": PART_NAMES[part["id"]]})
    _call(server, keeper, "POST", "/stock-locations", json={"id": DEPOT, "name": "E2E depot"})
    plan = server.solve(boss, date=TOMORROW.isoformat(), time_limit=30, solution_limit=3)
    _call(server, boss, "POST", f"/plans/{plan['id']}/publish")
    picks = _call(server, keeper, "GET", f"/stock/picklist?date={TOMORROW}")
    van, line = next((v, ln) for v in picks["vans"] for ln in v["lines"] if ln["on_van"] > 0)
    # empty the van of that part: the plan needs it, so the pick list shows the whole need as short
    _call(server, keeper, "POST", "/stock/adjustments", json={
        "part_id": line["part_id"], "location_id": van["van_location_id"], "delta": -line["on_van"],
        "reason": "e2e: van emptied"})
    _call(server, keeper, "POST", "/stock/receipts", json={"part_id": line["part_id"], "location_id": DEPOT,
                                                            "quantity": 10, "reason": "e2e: opening stock"})
    other = next(t.id for t in day.technicians if t.id != van["technician_id"])
    _call(server, keeper, "POST", "/stock/transfers", json={"part_id": line["part_id"], "from_location_id": DEPOT,
                                                             "to_location_id": f"VAN-{other}", "quantity": 1})
    # the pick list's van is left alone by the other tests; they work on another van
    return {"van": van["van_location_id"], "technician": van["technician_id"], "part": line["part_id"],
            "other_van": f"VAN-{other}", "name": PART_NAMES[line["part_id"]]}


def _open(browser: Browser, server: Server, size: dict[str, int]) -> Watched:
    w = watch(browser, size)
    sign_in(w, server, "keeper", "/stock")
    expect(w.page.locator("#ledger-status")).to_contain_text("newest first")
    expect(w.page.locator("#pick-status")).not_to_be_empty()
    return w


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") == PHONE["width"]


def _qty(page: Page, location: str, part: str) -> Any:
    return page.locator(f'#stock-table tr[data-location="{location}"][data-part="{part}"] td.qty')


def test_the_storekeeper_receives_transfers_and_reads_the_ledger(server: Server, browser: Browser,
                                                                 world: dict[str, Any]) -> None:
    w = _open(browser, server, DESKTOP)
    page, part, van, name = w.page, world["part"], world["other_van"], world["name"]
    w.screenshot("stock-page-desktop-top")
    depot = int(_qty(page, DEPOT, part).inner_text())
    on_van = int(_qty(page, van, part).inner_text()) if _qty(page, van, part).count() else 0

    receive = page.locator("#receive-form")
    receive.get_by_label("Part").select_option(part)
    receive.get_by_label("Into").select_option(DEPOT)
    receive.get_by_label("Quantity").fill("40")
    receive.get_by_label("Delivery note (optional)").fill("DN-4711")
    receive.get_by_role("button", name="Receive").click()
    expect(receive.locator(".act-status")).to_have_text(
        f"Received 40 × {name} ({part}) into {DEPOT}; it now holds {depot + 40}.")
    expect(_qty(page, DEPOT, part)).to_have_text(str(depot + 40))

    transfer = page.locator("#transfer-form")
    transfer.get_by_label("Part").select_option(part)
    transfer.get_by_label("From").select_option(DEPOT)
    transfer.get_by_label("To").select_option(van)
    expect(transfer.locator(".holds")).to_have_text(f"{DEPOT} holds {depot + 40} × {name} ({part}).")
    transfer.get_by_label("Quantity").fill("2")
    transfer.get_by_role("button", name="Transfer").click()
    expect(transfer.locator(".act-status")).to_have_text(
        f"Moved 2 × {name} ({part}) from {DEPOT} (now {depot + 38}) to {van} (now {on_van + 2}).")
    expect(_qty(page, van, part)).to_have_text(str(on_van + 2))

    # the ledger: the transfer is the first row, with the part's name and a readable time
    first = page.locator("#ledger-table tbody tr").first
    expect(first).to_have_attribute("data-kind", "transfer")
    expect(first.locator("td").nth(2)).to_contain_text(name)
    expect(first.locator("td").first).to_contain_text(re.compile(r"^Today \d\d:\d\d$"))
    expect(page.locator("#ledger-table tbody tr").nth(1)).to_have_attribute("data-kind", "receive")
    # filters are dropdowns; the order box ignores case
    ledger = page.locator("#ledger-form")
    ledger.get_by_label("Location").select_option(van)
    ledger.get_by_label("Part").select_option(part)
    keeper = server.token("keeper", Role.storekeeper)
    total = _call(server, keeper, "GET", f"/stock/movements?location_id={van}&part_id={part}")["total"]
    expect(page.locator("#ledger-status")).to_have_text(f"{total} movements, newest first.")
    rows = page.locator("#ledger-table tbody tr")
    expect(rows).to_have_count(total)
    expect(rows.filter(has_not_text=name)).to_have_count(0)
    expect(rows.first).to_have_attribute("data-kind", "transfer")
    page.get_by_role("button", name="Clear").click()
    ledger.get_by_label("Kind").select_option("receive")
    ledger.get_by_label("Order").fill("nothing-like-this")
    ledger.get_by_role("button", name="Filter").click()
    expect(page.locator("#ledger-status")).to_have_text("No movement matches these filters.")
    page.get_by_role("button", name="Clear").click()
    w.screenshot("stock-page-desktop")
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_move_larger_than_the_van_holds_is_refused_in_a_sentence(server: Server, browser: Browser,
                                                                  world: dict[str, Any]) -> None:
    w = _open(browser, server, PHONE)
    page, part, van, name = w.page, world["part"], world["other_van"], world["name"]
    _no_sideways_scroll(page)
    held = int(_qty(page, van, part).inner_text())
    back = page.locator("#return-form")
    back.get_by_label("Part").select_option(part)
    back.get_by_label("From van").select_option(van)
    back.get_by_label("To store").select_option(DEPOT)
    back.get_by_label("Quantity").fill("99")
    back.get_by_role("button", name="Return").click()
    status = back.locator(".act-status")
    expect(status).to_have_text(f"Not enough stock: {van} holds {held} × {name} ({part}); you asked to move 99.")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(_qty(page, van, part)).to_have_text(str(held))  # nothing moved
    # a count correction: the storekeeper enters what they counted, the page records the difference
    count = page.locator("#adjust-form")
    count.get_by_label("Part").select_option(part)
    count.get_by_label("At").select_option(van)
    count.get_by_label("Counted quantity").fill(str(held + 2))
    count.get_by_label("Reason").fill("found two in the glovebox")
    count.get_by_role("button", name="Record count").click()
    expect(count.locator(".act-status")).to_have_text(f"Count recorded: {van} now holds {held + 2} × {name} ({part}) (+2).")
    _no_sideways_scroll(page)
    w.screenshot("stock-page-phone-refused")
    assert axe_violations(page) == []
    # the browser's own line for the refused request (the 409 the page turned into the sentence), nothing else
    assert w.errors == ["Failed to load resource: the server responded with a status of 409 (Conflict)"]


def test_a_threshold_set_on_the_page_raises_the_alert(server: Server, browser: Browser,
                                                      world: dict[str, Any]) -> None:
    w = _open(browser, server, DESKTOP)
    page, part, van, name = w.page, world["part"], world["other_van"], world["name"]
    held = int(_qty(page, van, part).inner_text())
    alert = page.locator(f'#alerts li[data-location="{van}"][data-part="{part}"]')
    expect(alert).to_have_count(0)
    page.get_by_role("button", name=f"Edit the threshold of {name} ({part}) at {van}").click()
    form = page.locator("#threshold-form")
    expect(form.get_by_label("Threshold")).to_be_focused()
    form.get_by_label("Threshold").fill(str(held + 3))
    form.get_by_role("button", name="Save threshold").click()
    expect(form.locator(".act-status")).to_contain_text("below it: an alert is raised")
    expect(alert).to_have_text(re.compile(rf"{re.escape(name)} \({part}\) at {van}: {held} left \(threshold {held + 3}\)"))
    expect(page.locator(f'#stock-table tr.low[data-location="{van}"][data-part="{part}"]')).to_have_count(1)
    # "Refill" fills the transfer form with what is missing, from the store holding most
    alert.get_by_role("button").click()
    transfer = page.locator("#transfer-form")
    expect(transfer.get_by_label("Quantity")).to_have_value("3")
    expect(transfer.get_by_label("From")).to_have_value(DEPOT)
    expect(transfer.get_by_label("To")).to_have_value(van)
    w.screenshot("stock-page-desktop-alert")
    assert axe_violations(page) == []
    assert w.errors == []


def test_the_pick_list_shows_the_shortfall_and_transfers_it(server: Server, browser: Browser,
                                                            world: dict[str, Any]) -> None:
    w = _open(browser, server, DESKTOP)
    page, part, van, tech = w.page, world["part"], world["van"], world["technician"]
    expect(page.get_by_label("Plan date")).to_have_value(TOMORROW.isoformat())
    expect(page.locator("#pick-status")).to_contain_text("The plan published for")
    card = page.locator(f'.pick-van[data-technician="{tech}"]')
    row = card.locator(f'tr[data-part="{part}"]')
    short = int(row.locator("td.shortfall").inner_text())
    assert short > 0
    held = int(_qty(page, van, part).inner_text())
    w.screenshot("stock-page-picklist-desktop")
    row.get_by_role("button", name=re.compile(rf"^Move {short} from {DEPOT} to {van}: ")).click()
    expect(card.locator(".act-status")).to_contain_text(f"Moved {short} × ")
    expect(_qty(page, van, part)).to_have_text(str(held + short))
    expect(card.locator(f'tr[data-part="{part}"] td.shortfall')).to_have_text("0")
    # today is selectable too: no plan there, and the page says so
    page.get_by_role("button", name="Today").click()
    expect(page.locator("#pick-status")).to_contain_text("nothing to pick")
    page.get_by_role("button", name="Tomorrow").click()
    expect(page.locator("#pick-status")).to_contain_text("The plan published for")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    _no_sideways_scroll(page)
    w.screenshot("stock-page-phone")
    assert axe_violations(page) == []
    assert w.errors == []


def test_a_retry_after_a_lost_answer_moves_stock_once(server: Server, browser: Browser,
                                                      world: dict[str, Any]) -> None:
    """The server moves the stock but the answer never reaches the page (the connection drops): pressing
    again sends the same Idempotency-Key, so the server replays the first answer instead of moving twice."""
    w = _open(browser, server, DESKTOP)
    page, part, van, name = w.page, world["part"], world["other_van"], world["name"]
    depot, on_van = int(_qty(page, DEPOT, part).inner_text()), int(_qty(page, van, part).inner_text())
    keeper = server.token("keeper", Role.storekeeper)
    query = f"/stock/movements?location_id={van}&part_id={part}&kind=transfer"
    before = _call(server, keeper, "GET", query)["total"]
    lost: list[str] = []

    def drop_the_first_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the server does the work...
        lost.append(route.request.headers.get("idempotency-key", ""))
        route.abort("connectionreset")  # ...and the page never hears of it

    page.route("**/api/v1/stock/transfers", drop_the_first_answer)
    transfer = page.locator("#transfer-form")
    transfer.get_by_label("Part").select_option(part)
    transfer.get_by_label("From").select_option(DEPOT)
    transfer.get_by_label("To").select_option(van)
    transfer.get_by_label("Quantity").fill("3")
    transfer.get_by_role("button", name="Transfer").click()
    status = transfer.locator(".act-status")
    expect(status).to_contain_text("Not sure it was saved")
    transfer.get_by_role("button", name="Transfer").click()
    expect(status).to_have_text(f"Moved 3 × {name} ({part}) from {DEPOT} (now {depot - 3}) to {van} (now {on_van + 3}).")
    expect(_qty(page, van, part)).to_have_text(str(on_van + 3))
    assert lost[0].startswith("stock-")
    assert _call(server, keeper, "GET", query)["total"] == before + 1  # one movement, not two
    assert [e for e in w.errors if "ERR_CONNECTION_RESET" not in e] == []


def test_a_move_without_a_van_chosen_is_explained_not_sent(server: Server, browser: Browser,
                                                           world: dict[str, Any]) -> None:
    w = _open(browser, server, PHONE)
    transfer = w.page.locator("#transfer-form")
    expect(transfer.get_by_label("To")).to_have_value("")  # never a van by default: the storekeeper chooses
    transfer.get_by_label("Part").select_option(world["part"])
    transfer.get_by_label("Quantity").fill("1")
    transfer.get_by_role("button", name="Transfer").click()
    expect(transfer.locator(".act-status")).to_have_text("Choose where the parts go.")
    expect(transfer.locator(".act-status")).to_have_class(re.compile(r"\berror\b"))
    transfer.get_by_label("Quantity").fill("1.5")
    transfer.get_by_label("To").select_option(world["other_van"])
    transfer.get_by_role("button", name="Transfer").click()
    expect(transfer.locator(".act-status")).to_have_text("Quantity must be a whole number of at least 1 (you gave 1.5).")
    assert axe_violations(w.page) == []
    assert w.errors == []
