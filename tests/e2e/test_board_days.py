"""The board shows a plan of several days one day at a time: a labelled day selector lists the plan's dates with
their weekdays, and the timeline (and the map) follow the day chosen; a plan of one day has no selector. Every
plan made goes through the independent checker, one day at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.plans.models import PlanJob
from dispatch.analysis.checker import check_plan, format_report
from dispatch.io.day_json import day_from_dict
from tests.e2e.conftest import Server, auth, axe_violations, watch
from tests.e2e.test_faces import MARKERS_SHOWN, shown_plan_id, sign_in

BOARD = {"width": 1440, "height": 900}
# a Monday two weeks or more ahead: the plan covers Monday to Wednesday; Thursday's plan is of one day
MONDAY = dt.date.today() + dt.timedelta(days=14 + (7 - dt.date.today().weekday()) % 7)
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + dt.timedelta(days=n) for n in (1, 2, 3))
TECH = {"home_lat": 45.76, "home_lon": 4.84, "shift_start": "08:00", "shift_end": "17:00", "skills": ["hvac"]}
# order -> (day of its window, technician it is pinned to)
ORDERS = {"MON-1": (MONDAY, "E1"), "MON-2": (MONDAY, "E2"), "TUE-1": (TUESDAY, "E1"), "TUE-2": (TUESDAY, "E2"),
          "TUE-3": (TUESDAY, "E1"), "THU-1": (THURSDAY, "E2")}


@pytest.fixture(scope="module")
def desk(server: Server) -> str:
    server.add_user("days", Role.dispatcher)
    token = server.token("days", Role.dispatcher)
    h = auth(token)
    for tid in ("E1", "E2"):
        httpx.post(f"{server.url}/api/v1/technicians", json=TECH | {"id": tid, "name": f"Tech {tid}"},
                   headers=h).raise_for_status()
    httpx.post(f"{server.url}/api/v1/customers", json={"id": "CD", "name": "Depot"}, headers=h).raise_for_status()
    for n, (oid, (day, tech)) in enumerate(ORDERS.items()):
        start = dt.datetime.combine(day, dt.time(9 + 2 * (n % 3)))
        httpx.post(f"{server.url}/api/v1/orders", headers=h, json={
            "id": oid, "customer_id": "CD", "lat": 45.75 + n / 200, "lon": 4.83 + n / 200, "priority": "P4",
            "duration_min": 30, "required_skills": ["hvac"], "created_at": f"{MONDAY}T07:00:00",
            "window_start": start.isoformat(), "window_end": (start + dt.timedelta(hours=2)).isoformat(),
            "window_date": day.isoformat(), "pinned_technician_id": tech}).raise_for_status()
    return token


def _checked(server: Server, read: dict[str, Any]) -> dict[str, Any]:
    """The plan, after the checker passed it whole against the Day the job stored."""
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            day_input = session.scalar(select(PlanJob.input).where(PlanJob.id == read["id"]))
    finally:
        engine.dispose()
    plan = read["plan"]
    report = check_plan(day_from_dict(day_input), plan)
    assert report.ok, format_report(report)
    return dict(plan)


def _timeline(page: Page) -> list[str]:
    return sorted(page.locator("#timeline .seg-service").evaluate_all("bs => bs.map(b => b.dataset.order)"))


def test_the_board_shows_a_plan_of_three_days_one_day_at_a_time(server: Server, desk: str, browser: Browser) -> None:
    w = watch(browser, BOARD)
    sign_in(w, server, "days", "/board")
    page = w.page
    page.goto(f"{server.url}/board?date={MONDAY}")
    expect(page.locator("#plan-status")).to_contain_text("No plan for")
    page.get_by_text("Advanced settings").click()
    page.get_by_label("Stop after solutions").fill("3")
    page.get_by_label("Days ahead").fill("3")
    page.get_by_role("button", name="Request a plan").click()
    plan_id = shown_plan_id(page)
    plan = _checked(server, server.finished(desk, plan_id))
    assert plan["dates"] == [d.isoformat() for d in (MONDAY, TUESDAY, WEDNESDAY)]
    by_day = {d: sorted(s["order_id"] for r in plan["routes"] if r["date"] == d for s in r["stops"])
              for d in plan["dates"]}
    assert by_day == {MONDAY.isoformat(): ["MON-1", "MON-2"], TUESDAY.isoformat(): ["TUE-1", "TUE-2", "TUE-3"],
                      WEDNESDAY.isoformat(): []}

    select = page.get_by_label("Day shown")
    expect(select).to_be_visible()
    expect(select.locator("option")).to_have_text([f"Monday {MONDAY} (2 visits)", f"Tuesday {TUESDAY} (3 visits)",
                                                   f"Wednesday {WEDNESDAY} (0 visits)"])
    expect(select).to_have_value(MONDAY.isoformat())
    # recommendations, assignments and re-plans work on one day: not offered on a plan of several
    expect(page.locator("#emergency")).to_be_disabled()
    expect(page.locator("#timeline .seg-service")).to_have_count(2)
    assert _timeline(page) == by_day[MONDAY.isoformat()]
    page.wait_for_function(MARKERS_SHOWN, arg=2)  # the map shows Monday's two visits
    assert axe_violations(page) == []

    select.select_option(TUESDAY.isoformat())
    expect(page.locator("#timeline .seg-service")).to_have_count(3)
    assert _timeline(page) == by_day[TUESDAY.isoformat()]
    page.wait_for_function(MARKERS_SHOWN, arg=3)
    assert axe_violations(page) == []

    select.select_option(WEDNESDAY.isoformat())
    expect(page.locator("#timeline .seg-service")).to_have_count(0)
    expect(page.locator("#timeline .timeline-row")).to_have_count(2)  # both work that day, without visits
    assert w.errors == []


def test_a_plan_of_one_day_has_no_day_selector(server: Server, desk: str, browser: Browser) -> None:
    read = server.solve(desk, date=THURSDAY.isoformat(), time_limit=30, solution_limit=3)
    plan = _checked(server, read)
    assert plan["dates"] == [THURSDAY.isoformat()]
    w = watch(browser, BOARD)
    sign_in(w, server, "days", "/board")
    page = w.page
    page.goto(f"{server.url}/board?date={THURSDAY}")
    assert shown_plan_id(page) == read["id"]
    expect(page.locator('#timeline .seg-service[data-order="THU-1"]')).to_be_visible()
    expect(page.get_by_label("Day shown")).to_be_hidden()
    expect(page.locator("#emergency")).to_be_enabled()
    expect(page.locator("#day-row")).to_be_hidden()
    assert axe_violations(page) == []
    assert w.errors == []
