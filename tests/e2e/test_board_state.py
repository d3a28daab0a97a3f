"""The board's state, as a dispatcher meets it: change the date, reopen the board during a solve, double-click
"Request a plan", publish after seeing the change against the published plan. Every solve has a solution limit."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from api.auth.models import Role, User
from api.db import make_engine, make_sessionmaker
from api.plans.models import PlanJob
from dispatch.demo_days import generate_day
from dispatch.domain import Day
from tests.e2e.conftest import PHONE, Server, Watched, auth, watch
from tests.e2e.test_faces import shown_plan_id, sign_in

BOARD_DESKTOP = {"width": 1440, "height": 900}
DAY_A = dt.date.today() + dt.timedelta(days=1)  # the day with plans
DAY_B = DAY_A + dt.timedelta(days=1)  # a day with none
SMALL = {"time_limit": 30, "solution_limit": 3}


@pytest.fixture(scope="module")
def day() -> Day:
    return generate_day(orders=12, technicians=3, seed=11, plan_date=DAY_A)


@pytest.fixture(scope="module")
def dispatcher(server: Server, day: Day, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A dispatcher's token, with the day imported."""
    server.add_user("boss", Role.dispatcher)
    token = server.token("boss", Role.dispatcher)
    server.import_day(day, token, tmp_path_factory.mktemp("csv"))
    return token


def _plan(server: Server, token: str, **extra: Any) -> dict[str, Any]:
    """A plan of DAY_A solved to done through the API."""
    return server.solve(token, **({"date": DAY_A.isoformat()} | SMALL | extra))


def _board(browser: Browser, server: Server, size: dict[str, int] = BOARD_DESKTOP, date: dt.date = DAY_A) -> Watched:
    w = watch(browser, size)
    sign_in(w, server, "boss", "/board")
    w.page.goto(f"{server.url}/board?date={date.isoformat()}")
    return w


def _both_sizes(w: Watched, name: str) -> None:
    w.page.set_viewport_size(BOARD_DESKTOP)  # type: ignore[arg-type]
    w.screenshot(f"{name}-desktop")
    w.page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    w.screenshot(f"{name}-phone")
    w.page.set_viewport_size(BOARD_DESKTOP)  # type: ignore[arg-type]


def _plans_of(server: Server, token: str, date: dt.date) -> list[dict[str, Any]]:
    return list(httpx.get(f"{server.url}/api/v1/plans?date={date}", headers=auth(token)).json())


def _view(page: Page, plan_id: str) -> None:
    """The plan on screen, by its row's View button (the row of the plan on screen has none)."""
    row = page.locator(f'#plans tr[data-plan="{plan_id}"]')
    if row.get_attribute("aria-current") != "true":
        row.get_by_role("button", name="View").click()
    expect(row).to_have_attribute("aria-current", "true")
    assert shown_plan_id(page) == plan_id


def test_changing_the_date_never_leaves_the_other_days_plan(server: Server, browser: Browser,
                                                             dispatcher: str) -> None:
    plan = _plan(server, dispatcher)
    w = _board(browser, server)
    page = w.page
    assert shown_plan_id(page) == plan["id"]
    expect(page.locator("path.route-line")).not_to_have_count(0)
    expect(page.get_by_role("button", name="Publish")).to_be_enabled()

    page.get_by_label("Date").fill(DAY_B.isoformat())
    page.get_by_label("Date").dispatch_event("change")
    # nothing of the other day, but what this day holds: its open orders and who works
    expect(page.locator("#plan-status")).to_have_text(re.compile(
        rf"^No plan for {DAY_B.isoformat()} yet\. \d+ open orders \(\d+ P\d.*\) and \d+ technicians? working that "
        r"day; request a plan to schedule them\.$"))
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    expect(page.locator("path.route-line")).to_have_count(0)
    expect(page.locator(".leaflet-marker-icon.stop")).to_have_count(0)
    # the map still shows the day: homes of who works and the open orders (maybe in clusters)
    expect(page.locator(".leaflet-marker-icon.home").first).to_be_visible()
    expect(page.locator(".leaflet-marker-icon.open, .marker-cluster").first).to_be_visible()
    expect(page.locator(".timeline-row")).to_have_count(0)
    expect(page.locator("#unassigned tr")).to_have_count(0)
    expect(page.locator("#late tr")).to_have_count(0)
    expect(page.locator("#kpis dt")).to_have_count(0)
    expect(page.locator("#kpis")).to_have_text("No plan on screen.")
    expect(page.locator("#plans tbody")).to_contain_text(f"No plan for {DAY_B.isoformat()} yet.")
    assert page.locator("#plan-status").get_attribute("data-plan") is None
    _both_sizes(w, "board-other-date-empty")

    page.get_by_label("Date").fill(DAY_A.isoformat())
    page.get_by_label("Date").dispatch_event("change")
    assert shown_plan_id(page) == plan["id"]
    expect(page.locator("#plan-status")).to_contain_text(f"Plan of {DAY_A.isoformat()}, requested ")
    expect(page.locator("#plan-status")).to_contain_text("by Boss: done")
    expect(page.locator(f'#plans tr[data-plan="{plan["id"]}"]')).to_have_attribute("aria-current", "true")
    assert w.errors == []


def test_reopening_the_board_during_a_solve_follows_it_to_the_end(server: Server, browser: Browser,
                                                                   dispatcher: str) -> None:
    """A job running when the board opens is watched: "running" first, then its plan, with no reload."""
    solved = _plan(server, dispatcher)
    engine = make_engine(server.database_url)
    maker = make_sessionmaker(engine)
    job_id = str(uuid.uuid4())
    now = dt.datetime.now().replace(microsecond=0)
    try:
        with maker() as session:  # a solve under way, as the service's runner leaves it mid-search
            boss = session.scalar(select(User.id).where(User.username == "boss"))
            session.add(PlanJob(id=job_id, date=DAY_A, status="running", phase="solving", policy=solved["plan"]["policy"],
                                requested_by=boss, pins={}, created_at=now + dt.timedelta(seconds=1),
                                started_at=now, deadline_at=now + dt.timedelta(hours=1)))
            session.commit()
        w = _board(browser, server)
        page = w.page
        expect(page.locator("#plan-status")).to_contain_text("running — solving")
        expect(page.locator("#plan-status")).to_have_attribute("data-plan", job_id)
        expect(page.get_by_role("button", name="Request a plan")).to_be_disabled()
        expect(page.get_by_role("button", name="Publish")).to_be_disabled()
        _both_sizes(w, "board-reopened-while-running")

        with maker() as session:  # the solve ends: the board, still open, shows its plan
            session.execute(update(PlanJob).where(PlanJob.id == job_id).values(
                status="done", phase="done", plan=solved["plan"], finished_at=dt.datetime.now().replace(microsecond=0)))
            session.commit()
    finally:
        engine.dispose()
    assert shown_plan_id(page) == job_id
    expect(page.locator("path.route-line")).not_to_have_count(0)
    expect(page.get_by_role("button", name="Request a plan")).to_be_enabled()
    expect(page.get_by_role("button", name="Publish")).to_be_enabled()
    _both_sizes(w, "board-reopened-done")
    assert w.errors == []


def test_a_double_click_on_request_a_plan_starts_one_job(server: Server, browser: Browser, dispatcher: str) -> None:
    _plan(server, dispatcher)  # the board opens on a plan of its own (tests may run alone, in any order)
    w = _board(browser, server)
    page = w.page
    expect(page.locator("#plan-status")).not_to_contain_text("Loading")
    before = {p["id"] for p in _plans_of(server, dispatcher, DAY_A)}
    shown = page.locator("#plan-status").get_attribute("data-plan")
    assert shown in before
    page.locator("#advanced summary").click()  # the search settings are folded away by default
    page.get_by_label("Search seconds").fill(str(SMALL["time_limit"]))
    page.get_by_label("Stop after solutions").fill(str(SMALL["solution_limit"]))
    page.get_by_role("button", name="Request a plan").dblclick()
    expect(page.locator("#plan-status")).not_to_have_attribute("data-plan", shown or "")
    new_id = shown_plan_id(page)
    assert new_id not in before
    after = {p["id"] for p in _plans_of(server, dispatcher, DAY_A)}
    assert after - before == {new_id}
    expect(page.locator("#plans tbody tr")).to_have_count(len(after))
    expect(page.get_by_role("button", name="Request a plan")).to_be_enabled()
    _both_sizes(w, "board-after-double-click")
    assert w.errors == []


def test_publish_shows_the_change_against_the_published_plan_and_asks_first(server: Server, browser: Browser,
                                                                            dispatcher: str) -> None:
    live = _plan(server, dispatcher, seed=5)
    httpx.post(f"{server.url}/api/v1/plans/{live['id']}/publish", headers=auth(dispatcher)).raise_for_status()
    new = _plan(server, dispatcher, seed=6, solution_limit=1)
    w = _board(browser, server)
    page = w.page
    shown_plan_id(page)  # the newest (plans made within one second of each other may come in either order)
    # the published one is marked and can be viewed
    live_row = page.locator(f'#plans tr[data-plan="{live["id"]}"]')
    expect(live_row).to_contain_text("Published")
    _view(page, live["id"])
    expect(page.locator("#plan-status")).to_contain_text("(published: technicians see it)")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    _view(page, new["id"])
    expect(page.get_by_role("button", name="Publish")).to_be_enabled()

    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("dialog", name="Publish this plan?")
    expect(dialog).to_be_visible()
    mine, theirs = new["plan"]["kpis"], live["plan"]["kpis"]
    served = dialog.locator('tr[data-kpi="Orders served"] td')
    expect(served.nth(0)).to_have_text(str(theirs["served"]))
    expect(served.nth(1)).to_have_text(str(mine["served"]))
    for p, k in mine["by_priority"].items():
        expect(dialog.locator(f'tr[data-kpi="{p} on time"] td').nth(1)).to_have_text(f"{k['on_time']} of {k['orders']}")
    late = dialog.locator('tr[data-kpi="Late (hours)"] td')
    expect(late.nth(1)).to_have_text(str(round(mine["total_late_minutes"] / 60 * 10) / 10).removesuffix(".0"))
    km = dialog.locator('tr[data-kpi="Travel (km)"] td')
    expect(km.nth(0)).to_have_text(str(round(theirs["travel_km"] * 10) / 10).removesuffix(".0"))
    _both_sizes(w, "board-publish-diff")

    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#plan-status")).to_contain_text("not published")
    assert {p["id"] for p in _plans_of(server, dispatcher, DAY_A) if p["published"]} == {live["id"]}

    page.get_by_role("button", name="Publish").click()
    dialog.get_by_role("button", name="Send to technicians").click()
    expect(page.locator("#plan-status")).to_contain_text("sent to")
    expect(page.locator(f'#plans tr[data-plan="{new["id"]}"]')).to_contain_text("Published")
    expect(live_row).not_to_contain_text("Published")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    assert {p["id"] for p in _plans_of(server, dispatcher, DAY_A) if p["published"]} == {new["id"]}
    _both_sizes(w, "board-published")
    assert w.errors == []

