"""Login, tokens and their lifetime, the caller's own user, and the per-client back-off of failed logins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.auth.service import Backoff
from api.auth.views import login_clock
from api.config import Settings
from api.main import create_app
from tests.api.conftest import PASSWORD, SECRET, Database, World, make_settings

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/users/me"


def login(world: World, username: str, password: str):
    return world.client.post(TOKEN, data={"username": username, "password": password})


def test_login_gives_a_token_that_names_the_user(world: World) -> None:
    r = login(world, "disp", PASSWORD)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert r.json()["token_type"] == "bearer"
    me = world.client.get(ME, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "disp"
    assert me.json()["role"] == "dispatcher"
    assert "hashed_password" not in me.json()


def test_user_names_are_not_case_sensitive(world: World) -> None:
    assert login(world, "DISP", PASSWORD).status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(world: World) -> None:
    wrong = login(world, "disp", "not the password")
    unknown = login(world, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect username or password"}


def test_no_token_bad_token_and_expired_token_are_refused(world: World) -> None:
    assert world.client.get(ME).status_code == 401
    assert world.client.get(ME, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = jwt.encode({"sub": str(world.users["disp"].id), "iat": past, "exp": past + timedelta(minutes=5)},
                         SECRET, algorithm="HS256")
    r = world.client.get(ME, headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    forged = jwt.encode({"sub": str(world.users["disp"].id), "exp": datetime.now(UTC) + timedelta(hours=1)},
                        "another key of sufficient length 0123456789", algorithm="HS256")
    assert world.client.get(ME, headers={"Authorization": f"Bearer {forged}"}).status_code == 401


# conftest: 3 free failures, then 10 s doubling up to 40 s; failures are forgotten after 120 s
T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


class Clock:
    """The login's clock, moved by hand: the back-off is tested without sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(world: World) -> Iterator[Clock]:
    app = world.client.app
    at = Clock(T0)
    app.dependency_overrides[login_clock] = lambda: at  # type: ignore[attr-defined]
    yield at
    app.dependency_overrides.pop(login_clock, None)  # type: ignore[attr-defined]


@pytest.fixture
def stranger(world: World) -> TestClient:
    """Another client of the same app, from another address. The app is already started: no `with`, since
    entering the client would run the app's lifespan again and its exit would stop the app's plan runner
    for every later test of this app."""
    return TestClient(world.client.app, client=("203.0.113.66", 40000))


def login_from(client: TestClient, username: str, password: str):
    return client.post(TOKEN, data={"username": username, "password": password})


def test_a_stranger_guessing_never_locks_the_user_out(world: World, clock: Clock, stranger: TestClient) -> None:
    for _ in range(3):
        assert login_from(stranger, "disp", "guess").status_code == 401
    refused = login_from(stranger, "disp", "guess")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "10"
    assert refused.json()["detail"] == "too many failed sign-ins for 'disp' from this device; try again in 10 seconds"
    # the user, from their own device, signs in at once, with no wait and no failure counted against them
    assert login(world, "disp", PASSWORD).status_code == 200
    # still refused to the stranger (without the password being checked, even the right one)
    assert login_from(stranger, "disp", PASSWORD).status_code == 429
    # the stranger keeps hammering: the user still gets in every time
    for _ in range(20):
        clock.advance(60)
        login_from(stranger, "disp", "guess")
        assert login(world, "disp", PASSWORD).status_code == 200


def test_one_address_guessing_many_names_is_slowed_as_a_whole(world: World, clock: Clock,
                                                              stranger: TestClient) -> None:
    # one failure per name never reaches a name's own allowance; twenty over all names reach the address's
    for n in range(20):
        assert login_from(stranger, f"guess{n}", "guess").status_code == 401
    refused = login_from(stranger, "disp", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["detail"] == "too many failed sign-ins from this device; try again in 10 seconds"
    assert login(world, "disp", PASSWORD).status_code == 200  # the user's own device is not slowed
    clock.advance(10)
    assert login_from(stranger, "disp", PASSWORD).status_code == 200


def test_the_back_off_doubles_with_each_failure_up_to_its_cap(world: World, clock: Clock) -> None:
    for _ in range(3):
        assert login(world, "disp", "guess").status_code == 401
    waits = []
    for _ in range(4):
        r = login(world, "disp", "guess")
        assert r.status_code == 429
        waits.append(int(r.headers["Retry-After"]))
        clock.advance(waits[-1] - 1)
        assert login(world, "disp", "guess").status_code == 429  # one second early
        clock.advance(1)
        assert login(world, "disp", "guess").status_code == 401  # on time: tried, and wrong again
    assert waits == [10, 20, 40, 40]


def test_the_back_off_decays_as_failures_age(world: World, clock: Clock) -> None:
    for _ in range(3):
        assert login(world, "disp", "guess").status_code == 401
    clock.advance(10)
    assert login(world, "disp", "guess").status_code == 401  # 4th failure: 20 s now
    assert login(world, "disp", PASSWORD).status_code == 429
    # 121 s after the first three they are forgotten: one failure left in the window, no wait
    clock.advance(111)
    assert login(world, "disp", PASSWORD).status_code == 200


def test_unknown_users_back_off_like_known_ones(world: World, clock: Clock) -> None:
    for _ in range(3):
        assert login(world, "nobody", "guess").status_code == 401
    assert login(world, "nobody", "guess").status_code == 429


def test_the_back_off_is_per_user_name(world: World, clock: Clock) -> None:
    for _ in range(3):
        assert login(world, "disp", "guess").status_code == 401
    assert login(world, "disp", PASSWORD).status_code == 429
    assert login(world, "plan", PASSWORD).status_code == 200


def test_a_success_clears_earlier_failures(world: World, clock: Clock) -> None:
    for _ in range(2):
        assert login(world, "disp", "guess").status_code == 401
    assert login(world, "disp", PASSWORD).status_code == 200
    for _ in range(2):
        assert login(world, "disp", "guess").status_code == 401
    assert login(world, "disp", PASSWORD).status_code == 200


def test_the_back_off_holds_across_app_instances(world: World, database: Database, clock: Clock) -> None:
    """A second app over the same database (as a second uvicorn worker would be) sees the same failures."""
    other_app = create_app(make_settings(database), engine_args=database.engine_args)
    other_app.dependency_overrides[login_clock] = lambda: clock
    with TestClient(other_app) as other:
        for _ in range(3):
            assert login_from(other, "disp", "guess").status_code == 401
        assert login(world, "disp", "guess").status_code == 429


def test_backoff_delays() -> None:
    b = Backoff(free_failures=2, first_delay=timedelta(seconds=3), max_delay=timedelta(seconds=20),
                window=timedelta(minutes=5))
    assert [b.delay(n).total_seconds() for n in range(1, 7)] == [0, 3, 6, 12, 20, 20]
    assert b.delay(10_000) == timedelta(seconds=20)


def _claims(token: str) -> dict[str, Any]:
    # read, not validated: the clock of these tests is not the wall clock
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})


def test_a_token_lasts_a_working_shift(world: World, clock: Clock) -> None:
    claims = _claims(login(world, "disp", PASSWORD).json()["access_token"])
    assert claims["exp"] - claims["iat"] == 10 * 3600  # the default TOKEN_HOURS
    assert claims["iat"] == int(T0.timestamp())


def test_the_token_lifetime_comes_from_the_settings(database: Database, world: World) -> None:
    app = create_app(make_settings(database, token_hours=9.5), engine_args=database.engine_args)
    with TestClient(app) as other:
        r = login_from(other, "disp", PASSWORD)
    claims = _claims(r.json()["access_token"])
    assert claims["exp"] - claims["iat"] == 9.5 * 3600


def test_token_hours_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_HOURS", "12")
    assert Settings(_env_file=None).token_minutes == 720  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="LOGIN_BACKOFF_MAX_SECONDS"):
        Settings(_env_file=None, login_backoff_seconds=60, login_backoff_max_seconds=30)  # type: ignore[call-arg]


def test_users_change_their_name_but_not_their_role(world: World) -> None:
    h = world.as_("tech_a")
    r = world.client.patch(ME, json={"full_name": "Ann Tech"}, headers=h)
    assert r.status_code == 200
    assert r.json()["full_name"] == "Ann Tech"
    for field, value in (("role", "dispatcher"), ("technician_id", "TB"), ("is_active", True)):
        r = world.client.patch(ME, json={field: value}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", field]
    assert world.client.get(ME, headers=h).json()["role"] == "technician"
