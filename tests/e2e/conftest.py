"""Browser tests: the app under uvicorn on a free localhost port (SQLite file), driven by Debian's Chromium.

Playwright's own browser download does not work here, so the browser is /usr/bin/chromium (installed by
.ci/run). Screenshots go to screenshots/ at the repository root, which git ignores.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import select

from api.auth import service as users
from api.auth.models import Role, User
from api.auth.schemas import UserCreate
from api.auth.security import create_access_token
from api.db import make_engine, make_sessionmaker
from api.plans.service import build_day
from api.visits.events import day_events
from dispatch.analysis.checker import format_report
from dispatch.analysis.replan_check import check_replan
from dispatch.domain import Day
from dispatch.io import write_orders_csv, write_technicians_csv
from tests.uvicorn_server import uvicorn_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
SECRET = "e2e-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 900}
# a busy 2-core machine draws a map's zoom or a solve's answer slowly: every expectation waits as long as a
# page action does before it gives up (it returns as soon as the page shows what is expected)
expect.set_options(timeout=20_000)
PHONE = {"width": 390, "height": 844}


@dataclass
class Server:
    url: str
    database_url: str

    def add_user(self, username: str, role: Role, technician_id: str | None = None) -> None:
        """A user straight into the database (there is no sign-up page: admins add users with the CLI)."""
        engine = make_engine(self.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                users.create(session, data=UserCreate(username=username, password=PASSWORD, role=role,
                                                      technician_id=technician_id, full_name=username.title()))
        finally:
            engine.dispose()

    def token(self, username: str, role: Role, minutes: int = 120) -> str:
        """A bearer token of an existing user, signed as the service signs them (no sign-in page needed)."""
        engine = make_engine(self.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                user_id = session.scalar(select(User.id).where(User.username == username))
        finally:
            engine.dispose()
        return create_access_token(subject=str(user_id), role=role.value, secret_key=SECRET, minutes=minutes)

    def import_day(self, day: Day, token: str, folder: Path) -> None:
        """The day's technicians.csv and orders.csv, written to `folder` and imported through the API."""
        techs, orders = folder / "technicians.csv", folder / "orders.csv"
        write_technicians_csv(day.technicians, techs, day.date)
        write_orders_csv(day.orders, orders, day.date)
        for path, file in (("/technicians/import", techs), ("/orders/import", orders)):
            with file.open("rb") as f:
                r = httpx.post(f"{self.url}/api/v1{path}?plan_date={day.date}",
                               files={"file": (file.name, f, "text/csv")}, headers=auth(token))
            r.raise_for_status()

    def finished(self, token: str, plan_id: str) -> dict[str, Any]:
        """The plan once its job is done (the poll is a bound against hanging, not a timing)."""
        for _ in range(1200):
            body = httpx.get(f"{self.url}/api/v1/plans/{plan_id}", headers=auth(token)).json()
            if body["status"] not in ("queued", "running"):
                assert body["status"] == "done", body
                return dict(body)
            time.sleep(0.1)
        raise AssertionError("the plan never finished")

    def solve(self, token: str, **request: Any) -> dict[str, Any]:
        """A plan requested through the API (date and search settings in `request`), once done."""
        r = httpx.post(f"{self.url}/api/v1/plans", json=request, headers=auth(token))
        r.raise_for_status()
        return self.finished(token, r.json()["id"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def serving(database_url: str) -> Iterator[Server]:
    """The app under uvicorn on `database_url` (a SQLite file, migrated as the app starts)."""
    # plan jobs on a thread: no solver process to start, so the small plans come back quickly; no map tiles, so
    # no request leaves the machine
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, ENVIRONMENT="test",
               PLAN_EXECUTOR="thread", RUN_MIGRATIONS_ON_STARTUP="true", MAP_TILE_URL="none")
    with uvicorn_app(env) as url:
        yield Server(url, database_url)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(f"sqlite:///{tmp_path_factory.mktemp('e2e')}/dispatch.sqlite") as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watched:
    """A page whose console errors and uncaught exceptions are collected, to assert there are none."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def watch(browser: Browser, viewport: dict[str, int]) -> Watched:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    watched = Watched(context.new_page())

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    watched.page.on("console", on_console)
    watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
    return watched


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
SETTLED = """async () => {
    // settled: twice running, no CSS transition or animation under way and no map panning or zooming (Leaflet
    // moves the map by script, then fades a popup in once the map stops)
    const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    const moving = () => document.querySelector('.leaflet-pan-anim, .leaflet-zoom-anim') !== null;
    const running = () => document.getAnimations().filter(
        a => a.playState === 'running' && Number.isFinite(a.effect?.getComputedTiming().endTime));
    for (let calm = 0, tries = 0; calm < 2 && tries < 60; tries++) {
        await frames();
        await new Promise(r => setTimeout(r, 50));
        const busy = running();
        await Promise.allSettled(busy.map(a => a.finished));
        calm = busy.length === 0 && !moving() ? calm + 1 : 0;
    }
}"""


def axe_violations(page: Page) -> list[str]:
    """The serious and critical accessibility violations axe-core finds on the page as it stands, one line each."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    # a popup fading in is half transparent for 0.2 s: judge the page as it settles, not mid-transition
    page.evaluate(SETTLED)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"] if v["impact"] in SERIOUS]


def check_live_plan(server: Server, day: dt.date, at: dt.datetime, plan: dict[str, Any],
                    previous: dict[str, Any]) -> None:
    """The plan made during the day keeps the day's facts and every rule, by the independent re-plan check."""
    engine = make_engine(server.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            the_day, events = build_day(session, day=day), day_events(session, day=day)
    finally:
        engine.dispose()
    report = check_replan(the_day, plan, events, at, previous)
    assert report.ok, format_report(report)
