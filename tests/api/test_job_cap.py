"""A user may have MAX_PLAN_JOBS_PER_USER (default 2) plan jobs queued or running; one more is a 429 with
Retry-After. Other users, replays of an earlier request and jobs after a cancel are not held back; under a
race of concurrent requests the cap still holds (a live server, on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from api.auth.models import Role, User
from api.auth.security import create_access_token
from api.config import Settings
from api.plans import solving
from tests.api.conftest import SECRET, Database, World
from tests.api.live import fire, live_server
from tests.api.planning import PLAN, seed_day, thread_runner, wait

LONG = PLAN | {"solution_limit": None, "time_limit": 60}


@pytest.fixture
def day(world: World) -> World:
    seed_day(world)
    return world


def another_dispatcher(world: World, password_hash: str) -> dict[str, str]:
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        user = User(username="disp2", role=Role.dispatcher.value, hashed_password=password_hash)
        session.add(user)
        session.commit()
        token = create_access_token(subject=str(user.id), role=user.role, secret_key=SECRET, minutes=10)
    return {"Authorization": f"Bearer {token}"}


def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAX_PLAN_JOBS_PER_USER", raising=False)
    assert Settings(_env_file=None).max_plan_jobs_per_user == 2  # type: ignore[call-arg]
    monkeypatch.setenv("MAX_PLAN_JOBS_PER_USER", "5")
    assert Settings(_env_file=None).max_plan_jobs_per_user == 5  # type: ignore[call-arg]


def test_a_third_job_of_one_user_waits_with_429_and_retry_after(day: World, password_hash: str) -> None:
    c, h = day.client, day.as_("disp")
    release = threading.Event()

    def held(d: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        release.wait(60)
        return solving.solve(d, p)

    with thread_runner(c, solve=held):
        try:
            first = c.post("/api/v1/plans", json=PLAN, headers=h | {"Idempotency-Key": "first"})
            second = c.post("/api/v1/plans", json=PLAN, headers=h)
            assert (first.status_code, second.status_code) == (202, 202)
            third = c.post("/api/v1/plans", json=PLAN, headers=h)
            assert third.status_code == 429, third.text
            assert int(third.headers["Retry-After"]) >= 1
            assert "2 plan jobs queued or running" in third.json()["detail"]
            # a re-plan is a job too: refused, and its pin is not written
            r = c.post(f"/api/v1/plans/{first.json()['id']}/replan", json={"pins": {"O1": "TA"}}, headers=h)
            assert r.status_code == 429, r.text
            assert "Retry-After" in r.headers
            assert c.get("/api/v1/orders/O1", headers=h).json()["pinned_technician_id"] is None
            # the replay of a request already made starts nothing, so it is answered as before
            again = c.post("/api/v1/plans", json=PLAN, headers=h | {"Idempotency-Key": "first"})
            assert again.status_code == 202, again.text
            assert (again.json()["id"], again.headers["Idempotent-Replayed"]) == (first.json()["id"], "true")
            # another user is not held back
            other = c.post("/api/v1/plans", json=PLAN, headers=another_dispatcher(day, password_hash))
            assert other.status_code == 202, other.text
            # a cancelled job frees its place
            assert c.post(f"/api/v1/plans/{second.json()['id']}/cancel", headers=h).status_code == 200
            fourth = c.post("/api/v1/plans", json=PLAN, headers=h)
            assert fourth.status_code == 202, fourth.text
        finally:
            release.set()
        for job in (first, fourth):
            assert wait(c, job.json()["id"], h)["status"] == "done"
    # finished jobs do not count
    r = c.post("/api/v1/plans", json=PLAN, headers=h)
    assert r.status_code == 202, r.text
    assert wait(c, r.json()["id"], h)["status"] == "done"


def test_the_cap_holds_when_one_user_sends_many_requests_at_once(day: World, database: Database) -> None:
    h = day.as_("disp")
    with live_server(database) as url:
        answers = fire(url, [{"method": "POST", "url": "/api/v1/plans", "json": LONG, "headers": h}] * 6)
        codes = sorted(a.status_code for a in answers)
        assert codes == [202, 202, 429, 429, 429, 429], [a.text for a in answers]
        assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
        accepted = [a.json()["id"] for a in answers if a.status_code == 202]
        cancels = fire(url, [{"method": "POST", "url": f"/api/v1/plans/{i}/cancel", "headers": h} for i in accepted])
        assert [a.status_code for a in cancels] == [200, 200]
        assert fire(url, [{"method": "POST", "url": "/api/v1/plans", "json": PLAN, "headers": h}])[0].status_code == 202
