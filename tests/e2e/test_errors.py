"""Errors a person can act on, on every page: an import's bad cells as a table, a refused value as a sentence,
a mistyped address as a page (never raw JSON)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from api.auth.models import Role
from dispatch.demo_days import generate_day
from dispatch.io import write_orders_csv, write_technicians_csv
from tests.e2e.conftest import DESKTOP, PHONE, Server, axe_violations, watch
from tests.e2e.test_faces import sign_in

DAY = dt.date.today() + dt.timedelta(days=3)


@pytest.fixture(scope="module")
def bad_orders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A good technicians.csv and an orders.csv whose second order has a latitude of 123.4 and a bad priority."""
    day = generate_day(orders=4, technicians=2, seed=5, plan_date=DAY)
    folder = tmp_path_factory.mktemp("bad")
    techs, orders = folder / "technicians.csv", folder / "orders.csv"
    write_technicians_csv(day.technicians, techs, day.date)
    write_orders_csv(day.orders, orders, day.date)
    lines = orders.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("lat")] = "123.4"
    cells[header.index("priority")] = "P9"
    lines[2] = ",".join(cells)
    orders.write_text("\n".join(lines) + "\n")
    return techs, orders


def test_a_bad_import_names_file_row_column_and_value_in_a_table(server: Server, browser: Browser,
                                                                 bad_orders: tuple[Path, Path]) -> None:
    server.add_user("importer", Role.dispatcher)
    for name, size in (("import-error-desktop", DESKTOP), ("import-error-phone", PHONE)):
        w = watch(browser, size)
        sign_in(w, server, "importer", "/board")
        page = w.page
        page.get_by_label("Date").fill(DAY.isoformat())
        page.get_by_label("orders.csv").set_input_files(bad_orders[1])
        page.get_by_role("button", name="Import").click()
        status = page.locator("#import-status")
        expect(status).to_contain_text("Import failed: 2 bad cell(s); nothing was imported")
        table = status.get_by_role("table")
        expect(table.get_by_role("columnheader")).to_have_text(["File", "Row", "Column", "Value", "Problem"])
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(2)
        lat = rows.filter(has_text="123.4")
        expect(lat.locator("td")).to_have_text(["orders.csv", "3", "lat", "123.4", "lat is outside -90..90"])
        expect(rows.filter(has_text="P9").locator("td").nth(2)).to_have_text("priority")
        assert axe_violations(page) == []
        w.screenshot(name)
        # the browser logs the 422 answer itself as a failed resource; nothing else may be logged
        assert [e for e in w.errors if "422" not in e] == []
        w.page.context.close()


def test_a_refused_value_reads_as_a_sentence(server: Server, browser: Browser) -> None:
    server.add_user("sentences", Role.dispatcher)
    w = watch(browser, DESKTOP)
    sign_in(w, server, "sentences", "/board")
    message = w.page.evaluate("""async () => {
        try { await Dispatch.api("/plans", {method: "POST", body: {date: "2026-12-01", time_limit: 1000}}); }
        catch (error) { return error.message; }
        return "accepted"; }""")
    assert message == "Search seconds must be at most 600 (you gave 1000)."
    message = w.page.evaluate("""async () => {
        try { await Dispatch.api("/plans", {method: "POST", body: {date: ""}}); }
        catch (error) { return error.message; }
        return "accepted"; }""")
    assert message.startswith("Date ")
    assert "{" not in message
    assert "[" not in message
    w.page.context.close()


def test_a_mistyped_address_gets_a_page_and_the_api_keeps_json(server: Server, browser: Browser) -> None:
    for name, size in (("not-found-desktop", DESKTOP), ("not-found-phone", PHONE)):
        w = watch(browser, size)
        answer = w.page.goto(f"{server.url}/bord")
        assert answer is not None
        assert answer.status == 404
        expect(w.page.get_by_role("heading", name="Page not found")).to_be_visible()
        expect(w.page.get_by_role("link", name="board")).to_have_attribute("href", "/board")
        assert axe_violations(w.page) == []
        w.screenshot(name)
        w.page.context.close()
    api = httpx.get(f"{server.url}/api/v1/nowhere", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


def test_the_sign_in_page_passes_the_accessibility_check(server: Server, browser: Browser) -> None:
    for size in (DESKTOP, PHONE):
        w = watch(browser, size)
        w.page.goto(f"{server.url}/login")
        w.page.get_by_label("User name").fill("nobody")
        w.page.get_by_label("Password").fill("wrong")
        w.page.get_by_role("button", name="Sign in").click()
        expect(w.page.locator("#login-error")).to_contain_text("Sign-in failed")
        assert axe_violations(w.page) == []
        w.page.context.close()
