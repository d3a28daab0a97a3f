"""Login, tokens, the caller's own user, and throttling of repeated failed logins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from tests.api.conftest import PASSWORD, SECRET, World

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


def test_repeated_failures_are_throttled_even_with_the_right_password(world: World) -> None:
    # conftest sets login_max_failures=3 within 60 s
    for _ in range(3):
        assert login(world, "disp", "guess").status_code == 401
    r = login(world, "disp", PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert "too many failed logins" in r.json()["detail"]
    # another user is not affected
    assert login(world, "plan", PASSWORD).status_code == 200


def test_a_success_clears_earlier_failures(world: World) -> None:
    for _ in range(2):
        assert login(world, "disp", "guess").status_code == 401
    assert login(world, "disp", PASSWORD).status_code == 200
    for _ in range(2):
        assert login(world, "disp", "guess").status_code == 401
    assert login(world, "disp", PASSWORD).status_code == 200


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
