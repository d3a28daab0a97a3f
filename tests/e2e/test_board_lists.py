"""The board's KPIs, unassigned and late tables, plan settings and pins, as a dispatcher meets them in a real
browser at both sizes. Plans are posted through the API with a solution limit (re-plans keep it), so every solve
is bounded by a count, not the clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from api.auth.models import Role
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from tests.e2e.conftest import PHONE, Server, Watched, auth, axe_violations, watch
from tests.e2e.test_faces import sign_in

DESKTOP = {"width": 1440, "height": 900}
DAY = dt.date.today() + dt.timedelta(days=2)
EMPTY_DAY = DAY - dt.timedelta(days=60)  # before any order was created: nothing to plan, a plan comes at once
SMALL = {"time_limit": 30, "solution_limit": 3, "seed": 1}
FRIDGE = "refrigeration"


def js_round(x: float) -> int:
    """As the page's Math.round: halves up (Python's round takes them to the even neighbour, 82.5 -> 82)."""
    return math.floor(x + 0.5)


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm))


@pytest.fixture(scope="module")
def day() -> Day:
    """A small day: four orders a technician at most, so some are left over; only the first technician holds
    refrigeration (O-FRIDGE); nobody holds a crane licence (O-CRANE); O-OLD is a P1 whose deadline passed the
    evening before the day (so late that serving it still costs less than leaving it out); no pins."""
    base = generate_day(orders=14, technicians=3, seed=5, plan_date=DAY)
    techs = [dataclasses.replace(t, max_orders=4, skills=(t.skills | {FRIDGE}) if i == 0 else (t.skills - {FRIDGE}))
             for i, t in enumerate(base.technicians)]
    orders = [dataclasses.replace(o, pinned_technician=None, required_skills=o.required_skills - {FRIDGE})
              for o in base.orders]
    first = orders[0]
    extra = [
        dataclasses.replace(first, id="O-FRIDGE", priority="P2", required_skills=frozenset({FRIDGE}),
                            required_parts={}, window_start=None, window_end=None, duration_min=30,
                            created_at=_at(DAY - dt.timedelta(days=1), "16:00")),
        dataclasses.replace(first, id="O-CRANE", priority="P3", required_skills=frozenset({"crane-licence"}),
                            required_parts={}, window_start=None, window_end=None),
        dataclasses.replace(first, id="O-OLD", priority="P1", required_skills=frozenset(), required_parts={},
                            window_start=None, window_end=None, duration_min=30,
                            created_at=_at(DAY - dt.timedelta(days=1), "19:17")),
    ]
    return dataclasses.replace(base, technicians=tuple(techs), orders=(*orders, *extra))


@pytest.fixture(scope="module")
def token(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A dispatcher's token, with the day imported."""
    server.add_user("lists", Role.dispatcher)
    token = server.token("lists", Role.dispatcher)
    server.import_day(day, token, tmp_path_factory.mktemp("csv"))
    return token


@pytest.fixture(scope="module")
def planned(server: Server, token: str) -> dict[str, Any]:
    """The first plan of DAY, solved through the API."""
    return _plan(server, token)


SOLVE_WAIT = 120_000  # ms: a bound for a plan or re-plan to finish on a busy machine, not a timing


def shown_plan_id(page: Page, instead_of: str | None = None) -> str:
    """The id of the done plan on screen (once it is no longer `instead_of`)."""
    status = page.locator("#plan-status")
    if instead_of is not None:
        expect(status).not_to_have_attribute("data-plan", instead_of, timeout=SOLVE_WAIT)
    expect(status).to_contain_text(re.compile(r"Plan of \S+, requested .*: done"), timeout=SOLVE_WAIT)
    plan_id = status.get_attribute("data-plan")
    assert plan_id
    return plan_id


def _get(server: Server, token: str, path: str) -> Any:
    r = httpx.get(f"{server.url}/api/v1{path}", headers=auth(token))
    r.raise_for_status()
    return r.json()


def _plan(server: Server, token: str) -> dict[str, Any]:
    return server.solve(token, date=DAY.isoformat(), **SMALL)


def _board(browser: Browser, server: Server, date: dt.date = DAY) -> Watched:
    w = watch(browser, DESKTOP)
    sign_in(w, server, "lists", "/board")
    w.page.goto(f"{server.url}/board?date={date.isoformat()}")
    return w


def _both_sizes(w: Watched, name: str) -> None:
    """Screenshots at both sizes; at phone width the tables scroll inside their boxes, not the page."""
    w.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    w.screenshot(f"{name}-desktop")
    w.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    w.screenshot(f"{name}-phone")
    # anything wider than the screen must sit in a box that scrolls (or clips) it, like a table or the legend
    wider = w.page.evaluate("""() => {
        const boxed = (e) => {
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true;
            }
            return false;
        };
        return [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !boxed(e))
            .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8); }""")
    assert wider == []
    assert w.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    w.page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]


def _rows(page: Page, table: str) -> list[str]:
    return [str(x) for x in page.locator(f"#{table} tbody tr[data-order]").evaluate_all(
        "rows => rows.map(r => r.dataset.order)")]


def _priorities(page: Page, table: str) -> list[str]:
    return [str(x) for x in page.locator(f"#{table} tbody tr[data-order]").evaluate_all(
        "rows => rows.map(r => r.dataset.priority)")]


def test_kpis_show_service_by_priority_hours_and_utilization_per_technician(
        server: Server, browser: Browser, token: str, planned: dict[str, Any]) -> None:
    w = _board(browser, server)
    page = w.page
    assert shown_plan_id(page) == planned["id"]
    kpis = planned["plan"]["kpis"]
    panel = page.locator("#kpis")
    expect(panel.locator('[data-kpi="Orders served"] dd')).to_have_text(f"{kpis['served']} of {kpis['orders']}")
    expect(panel.locator('[data-kpi="Late, all visits"] dd')).to_contain_text(" h")
    expect(panel.locator('[data-kpi="Mean utilization"] dd')).to_have_text(
        f"{js_round(kpis['mean_utilization'] * 100)} %")
    expect(panel.locator('[data-kpi="Travel"] dd')).to_contain_text(" km · ")
    # one row per priority: orders, served, on time, late, late hours, unserved
    for p, v in kpis["by_priority"].items():
        cells = panel.locator(f'#kpi-priority tr[data-priority="{p}"] td')
        expect(cells).to_have_count(6)
        expect(cells.nth(0)).to_have_text(str(v["orders"]))
        expect(cells.nth(1)).to_have_text(str(v["served"]))
        expect(cells.nth(2)).to_have_text(str(v["on_time"]))
        expect(cells.nth(4)).to_have_text(re.compile(r"^[\d.]+ h$"))
    # each technician by name with a share in %
    for tech in _get(server, token, "/technicians?limit=50")["items"]:
        share = kpis["utilization"][tech["id"]]
        expect(panel.locator(f'#utilization li[data-technician="{tech["id"]}"]')).to_contain_text(
            f"{tech['name']} ({tech['id']}){js_round(share * 100)} %")
    expect(panel.locator('#unassigned-reasons li[data-rule="required skill"]')).to_contain_text(
        "no technician has the skills")
    expect(panel.locator("#solver-status")).to_contain_text("Solver: ")
    assert axe_violations(page) == []
    _both_sizes(w, "board-kpis")
    assert w.errors == []


def test_the_unassigned_and_late_tables_sort_filter_and_speak_hours(
        server: Server, browser: Browser, token: str, planned: dict[str, Any]) -> None:
    plan = planned["plan"]
    w = _board(browser, server)
    page = w.page
    shown_plan_id(page)
    # every unassigned order is a row with its priority, customer, deadline and a reason in words
    assert sorted(_rows(page, "unassigned")) == sorted(u["order_id"] for u in plan["unassigned"])
    crane = page.locator('#unassigned tr[data-order="O-CRANE"]')
    expect(crane).to_contain_text("no technician has skill 'crane-licence'")
    expect(crane.locator("td").nth(2)).to_have_text(re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d$"))
    expect(page.locator("#unassigned")).not_to_contain_text("plan's cost")
    # sorted by priority first; a click on the header turns the order round, and says so
    header = page.locator("#unassigned th", has=page.get_by_role("button", name="Priority"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert _priorities(page, "unassigned") == sorted(_priorities(page, "unassigned"))
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert _priorities(page, "unassigned") == sorted(_priorities(page, "unassigned"), reverse=True)
    # the text filter looks in customer and reason
    page.get_by_label("Customer or reason contains").fill("crane")
    expect(page.locator("#unassigned tbody tr[data-order]")).to_have_count(1)
    expect(page.locator("#unassigned-count")).to_contain_text("(1 of ")
    page.get_by_label("Customer or reason contains").fill("")

    # the late table: O-OLD's deadline passed before the day began; lateness in hours and minutes
    late = {s["order_id"]: s for r in plan["routes"] for s in r["stops"] if s["late_minutes"] > 0}
    assert "O-OLD" in late
    # the latest first, and the header says so
    expect(page.locator("#late th", has=page.get_by_role("button", name="Lateness"))).to_have_attribute(
        "aria-sort", "descending")
    assert _rows(page, "late") == sorted(late, key=lambda o: (-late[o]["late_minutes"], o))
    old = page.locator('#late tr[data-order="O-OLD"]')
    expect(old.locator("td.lateness")).to_contain_text(re.compile(r"^\d+ h \d\d min late"))
    deadline = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(23, 17))  # created 19:17, P1: 4 h
    expect(old.locator("td.lateness")).to_contain_text(f"deadline passed {deadline:%a} 23:17, before the day began")
    minutes = round(late["O-OLD"]["late_minutes"])
    expect(old.locator("td.lateness")).to_contain_text(f"{minutes // 60} h {minutes % 60:02d} min late")
    page.locator("#late-priority").select_option("P1")
    assert set(_priorities(page, "late")) == {"P1"}
    assert "O-OLD" in _rows(page, "late")

    # "Select" in a row selects the order in every view; a selection from another view marks the row
    crane.get_by_role("button", name="Select order O-CRANE").click()
    expect(crane).to_have_attribute("aria-current", "true")
    assert page.evaluate("Board.selected") == "O-CRANE"
    page.evaluate("Board.select('O-OLD', 'map')")
    expect(old).to_have_attribute("aria-current", "true")
    expect(crane).not_to_have_attribute("aria-current", "true")
    assert axe_violations(page) == []
    _both_sizes(w, "board-lists")
    assert w.errors == []


def test_advanced_settings_are_closed_and_the_request_carries_no_solution_cap(
        server: Server, browser: Browser, token: str) -> None:
    w = _board(browser, server, EMPTY_DAY)
    page = w.page
    expect(page.locator("#plan-status")).to_contain_text("No plan for")
    bodies: list[dict[str, Any]] = []

    def record(route: Route) -> None:
        if route.request.method == "POST":
            bodies.append(json.loads(route.request.post_data or "{}"))
        route.continue_()

    page.route("**/api/v1/plans", record)
    expect(page.locator("#advanced")).not_to_have_attribute("open", "")
    expect(page.get_by_label("Search seconds")).to_be_hidden()
    expect(page.locator("#advanced summary")).to_contain_text("the recommended time; no early stop")
    page.get_by_role("button", name="Request a plan").click()
    plan_id = shown_plan_id(page)
    assert bodies == [{"date": EMPTY_DAY.isoformat()}]
    policy = _get(server, token, f"/plans/{plan_id}")["plan"]["policy"]
    assert policy["solution_limit"] is None
    assert policy["time_limit"] == 10  # the service's recommended search

    # opened, each knob is explained; what is filled in is sent, and the summary says it
    page.locator("#advanced summary").click()
    expect(page.locator("#time-limit-help")).to_contain_text("recommended 10 s")
    expect(page.locator("#solution-limit-help")).to_contain_text("Leave empty for no early stop")
    page.get_by_label("Stop after solutions").fill("3")
    expect(page.locator("#advanced summary")).to_contain_text("stop after 3 solutions")
    assert axe_violations(page) == []
    _both_sizes(w, "board-advanced")
    page.get_by_role("button", name="Request a plan").click()
    shown_plan_id(page, instead_of=plan_id)
    assert bodies[-1] == {"date": EMPTY_DAY.isoformat(), "solution_limit": 3}
    assert w.errors == []


def _candidates(server: Server, token: str, order_id: str) -> list[dict[str, Any]]:
    return list(_get(server, token, f"/orders/{order_id}/candidates?date={DAY}"))


def test_pins_offer_only_who_can_take_the_order_say_the_outcome_and_can_be_undone(
        server: Server, browser: Browser, token: str, day: Day, planned: dict[str, Any]) -> None:
    fridge_tech, *others = [t.id for t in day.technicians]
    w = _board(browser, server)
    page = w.page
    first_id = shown_plan_id(page)
    expect(page.locator("#pins tbody")).to_contain_text("No open order of")

    # the order list reads "id · priority · customer", most urgent first
    labels = page.locator("#pin-order option").all_inner_texts()
    assert labels[0].startswith("O-OLD · P1 · ")
    ranks = [label.split(" · ")[1] for label in labels]
    assert ranks == sorted(ranks)

    # only the technician with refrigeration can be chosen for O-FRIDGE; the others are shown with the reason
    page.get_by_label("Order", exact=True).select_option("O-FRIDGE")
    expect(page.locator("#pin-note")).to_contain_text(f"1 of {len(day.technicians)} technicians can take O-FRIDGE")
    for tech in others:
        option = page.locator(f'#pin-technician option[value="{tech}"]')
        expect(option).to_be_disabled()
        expect(option).to_contain_text("lacks refrigeration")
    expect(page.locator(f'#pin-technician option[value="{fridge_tech}"]')).to_be_enabled()
    expect(page.get_by_label("Technician", exact=True)).to_have_value(fridge_tech)
    # the API refuses the unqualified pin with a sentence, and pins nothing
    r = httpx.post(f"{server.url}/api/v1/plans/{first_id}/replan", json={"pins": {"O-FRIDGE": others[0]}},
                   headers=auth(token))
    assert r.status_code == 422
    assert r.json()["detail"] == f"pins: order O-FRIDGE cannot be pinned to {others[0]} on {DAY}: lacks refrigeration"
    # and so does Board.pin (the map popup's and the timeline drag's way in), before any re-plan
    assert page.evaluate(f"Board.pin('O-FRIDGE', '{others[0]}')") is None
    expect(page.locator("#plan-status")).to_contain_text(f"Not pinned: O-FRIDGE cannot go to {others[0]}")
    expect(page.locator("#plan-status")).to_contain_text("lacks refrigeration. Nothing was changed.")
    assert _get(server, token, "/orders/O-FRIDGE")["pinned_technician_id"] is None

    # the qualified pin: the status line says where it went and what happened to the orders served
    page.get_by_role("button", name="Pin and re-plan").click()
    second_id = shown_plan_id(page, instead_of=first_id)
    second = _get(server, token, f"/plans/{second_id}")
    assert second["pins"] == {"O-FRIDGE": fridge_tech}
    status = page.locator("#plan-status")
    expect(status).to_contain_text(re.compile(
        rf"O-FRIDGE (pinned to {fridge_tech}: stop \d+ at \d\d:\d\d|not placed: .+); "
        r"(as many orders served as before|\d+ (fewer|more) orders? served than before) \(\d+\)\."))
    # the form keeps its choice; the pin is listed
    expect(page.get_by_label("Order", exact=True)).to_have_value("O-FRIDGE")
    expect(page.get_by_label("Technician", exact=True)).to_have_value(fridge_tech)
    pin_row = page.locator('#pins tr[data-order="O-FRIDGE"]')
    expect(pin_row).to_contain_text(fridge_tech)
    assert axe_violations(page) == []
    _both_sizes(w, "board-pins")

    # "Pin to…" on an unassigned row: the form takes the order and offers who can take it; the status line also
    # says what became of the pin made before
    unassigned = [u["order_id"] for u in second["plan"]["unassigned"]]
    order, tech = next((o, c["technician_id"]) for o in unassigned if o != "O-FRIDGE"
                       for c in _candidates(server, token, o) if c["fits"])
    page.locator(f'#unassigned tr[data-order="{order}"]').get_by_role("button", name="Pin to…").click()
    expect(page.get_by_label("Order", exact=True)).to_have_value(order)
    expect(page.get_by_label("Technician", exact=True)).to_be_focused()
    page.get_by_label("Technician", exact=True).select_option(tech)
    page.get_by_role("button", name="Pin and re-plan").click()
    third_id = shown_plan_id(page, instead_of=second_id)
    expect(status).to_contain_text(re.compile(rf"{order} (pinned to {tech}: stop \d+|not placed: )"))
    expect(status).to_contain_text(re.compile(rf"1 other pin kept|O-FRIDGE \(pinned to {fridge_tech}\) not placed"))
    assert _get(server, token, f"/plans/{third_id}")["pins"] == {"O-FRIDGE": fridge_tech, order: tech}
    expect(page.locator(f'#pins tr[data-order="{order}"]')).to_contain_text(tech)
    expect(page.locator("#pins-count")).to_have_text("(2)")

    # Unpin clears the pin on the order and re-plans
    pin_row.get_by_role("button", name=f"Unpin order O-FRIDGE from {fridge_tech}").click()
    fourth_id = shown_plan_id(page, instead_of=third_id)
    expect(status).to_contain_text("O-FRIDGE unpinned")
    expect(page.locator('#pins tr[data-order="O-FRIDGE"]')).to_have_count(0)
    assert _get(server, token, "/orders/O-FRIDGE")["pinned_technician_id"] is None
    assert _get(server, token, f"/plans/{fourth_id}")["pins"] == {order: tech}
    assert w.errors == []
