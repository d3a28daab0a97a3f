"""Signing in as people meet it in a real browser: a stranger guessing a password is slowed down, the user is
not; a technician who opens the dispatcher board is told why they landed on their route."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from api.auth.models import Role
from api.db import make_engine, make_sessionmaker
from api.technicians import service as technicians
from api.technicians.schemas import TechnicianCreate
from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, SECRET, Server, Watched, watch
from tests.uvicorn_server import uvicorn_app

# the stranger's browser comes through a proxy that names its address (uvicorn trusts 127.0.0.1's
# X-Forwarded-For), so the two browsers on this one machine are two clients to the service
STRANGER = {"X-Forwarded-For": "203.0.113.66"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e-signin')}/dispatch.sqlite"
    # a back-off far longer than the test, so which answers are refused never depends on how fast it runs
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET, ENVIRONMENT="test",
               PLAN_EXECUTOR="thread", RUN_MIGRATIONS_ON_STARTUP="true", MAP_TILE_URL="none", LOGIN_FREE_FAILURES="3",
               LOGIN_BACKOFF_SECONDS="600", LOGIN_BACKOFF_MAX_SECONDS="600", LOGIN_WINDOW_SECONDS="3600")
    with uvicorn_app(env, ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]) as url:
        server = Server(url, database_url)
        engine = make_engine(database_url)
        try:
            with make_sessionmaker(engine)() as session:
                technicians.create(session, data=TechnicianCreate(
                    id="T1", name="Tess Field", home_lat=45.76, home_lon=4.84, shift_start=dt.time(8),
                    shift_end=dt.time(17), skills=["hvac"]))
        finally:
            engine.dispose()
        server.add_user("disp", Role.dispatcher)
        server.add_user("tess", Role.technician, technician_id="T1")
        yield server


def try_sign_in(w: Watched, server: Server, username: str, password: str) -> None:
    w.page.goto(f"{server.url}/login")
    w.page.get_by_label("User name").fill(username)
    w.page.get_by_label("Password").fill(password)
    w.page.get_by_role("button", name="Sign in").click()


def only_expected_errors(w: Watched) -> list[str]:
    """Console errors other than the browser's own line for an expected 4xx answer."""
    return [e for e in w.errors if not e.startswith("Failed to load resource: the server responded with a status of 4")]


def test_a_stranger_guessing_cannot_lock_the_dispatcher_out(server: Server, browser: Browser) -> None:
    stranger = watch(browser, DESKTOP)
    stranger.page.context.set_extra_http_headers(STRANGER)
    alert = stranger.page.get_by_role("alert")
    for _ in range(3):
        try_sign_in(stranger, server, "disp", "guess")
        expect(alert).to_have_text("Sign-in failed: incorrect username or password")
        alert.evaluate("node => node.textContent = ''")  # so the next answer is seen to arrive
    try_sign_in(stranger, server, "disp", PASSWORD)  # even the right password: this browser must wait
    expect(alert).to_have_text(re.compile(r"too many failed sign-ins for 'disp' from this device; "
                                          r"try again in 10 minutes"))
    stranger.screenshot("signin-stranger-backed-off")

    dispatcher = watch(browser, DESKTOP)
    try_sign_in(dispatcher, server, "disp", PASSWORD)
    dispatcher.page.wait_for_url("**/board*")
    expect(dispatcher.page.locator("#who")).to_contain_text("disp")
    assert only_expected_errors(stranger) == []
    assert dispatcher.errors == []


@pytest.mark.parametrize(("name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_a_technician_sent_away_from_the_board_is_told_why(server: Server, browser: Browser, name: str,
                                                           size: dict[str, int]) -> None:
    t = watch(browser, size)
    try_sign_in(t, server, "tess", PASSWORD)
    t.page.wait_for_url("**/route*")
    expect(t.page.locator("#notice")).to_be_hidden()  # arriving on one's own page needs no explanation
    t.page.goto(f"{server.url}/board")
    t.page.wait_for_url("**/route*")
    notice = t.page.get_by_role("status").filter(has_text="dispatcher board")
    expect(notice).to_have_text("You were sent here from the dispatcher board: it is only for dispatchers and "
                                "planners, and you are signed in as a technician. This is your route.")
    t.screenshot(f"signin-technician-sent-from-board-{name}")
    t.page.reload()  # said once: not again on the next visit
    expect(t.page.locator("#notice")).to_be_hidden()
    # no plan is published in this world, so the route's own 404 is the one expected console line
    assert only_expected_errors(t) == []


def test_opening_the_board_signed_out_asks_to_sign_in(server: Server, browser: Browser) -> None:
    w = watch(browser, PHONE)
    w.page.goto(f"{server.url}/board")
    w.page.wait_for_url("**/login*")
    expect(w.page.locator("#notice")).to_have_text("Please sign in to open the dispatcher board.")
    assert w.errors == []
