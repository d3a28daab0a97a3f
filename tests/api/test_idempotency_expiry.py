"""Idempotency keys expire: within IDEMPOTENCY_RETENTION_HOURS (24 by default) of its first request a retry
replays the stored answer; afterwards the key has been purged and the retry runs again as a new request.
The service clock is the test's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from api.auth.models import Role, User
from api.auth.security import create_access_token
from api.idempotency import IdempotencyRecord
from tests.api.conftest import SECRET, ServiceClock, World, service_clock

V = "/api/v1"
T0 = datetime(2026, 11, 24, 9, 0)
RECEIPT = {"part_id": "P-1", "location_id": "CS", "quantity": 4}


@pytest.fixture
def clock(world: World) -> Iterator[ServiceClock]:
    with service_clock(world, T0) as held:
        yield held


@pytest.fixture
def store(world: World, clock: ServiceClock) -> World:
    c, h = world.client, world.as_("store")
    assert c.post(f"{V}/parts", json={"id": "P-1", "name": "filter", "unit_cost": "3"}, headers=h).status_code == 201
    assert c.post(f"{V}/stock-locations", json={"id": "CS", "name": "central"}, headers=h).status_code == 201
    return world


def _receive(world: World, key: str, who: str = "store") -> Any:
    return world.client.post(f"{V}/stock/receipts", json=RECEIPT,
                             headers=world.as_(who) | {"Idempotency-Key": key})


def _stock(world: World) -> int:
    r = world.client.get(f"{V}/stock", params={"location_id": "CS"}, headers=world.as_("store"))
    return r.json()["items"][0]["quantity"]


def _keys(world: World) -> list[tuple[str, datetime]]:
    with world.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = session.execute(select(IdempotencyRecord.key, IdempotencyRecord.created_at)
                               .order_by(IdempotencyRecord.key))
        return [(key, created) for key, created in rows]


def test_within_retention_a_retry_replays_and_after_it_runs_again(store: World, clock: ServiceClock) -> None:
    first = _receive(store, "delivery-17")
    assert first.status_code == 201
    clock.now = T0 + timedelta(hours=24) - timedelta(seconds=1)
    again = _receive(store, "delivery-17")
    assert (again.status_code, again.json(), again.headers.get("Idempotent-Replayed")) == (201, first.json(), "true")
    assert _stock(store) == 4

    clock.now = T0 + timedelta(hours=24)  # expired: the key is gone and the receipt is a new one
    late = _receive(store, "delivery-17")
    assert late.status_code == 201
    assert "Idempotent-Replayed" not in late.headers
    assert late.json()["id"] != first.json()["id"]
    assert _stock(store) == 8
    assert _keys(store) == [("delivery-17", clock.now)]

    clock.now += timedelta(hours=1)  # the new request's key counts from its own time
    assert _receive(store, "delivery-17").json() == late.json()
    assert _stock(store) == 8


def test_expired_keys_of_every_user_are_purged_by_the_next_keyed_write(store: World, clock: ServiceClock,
                                                                        password_hash: str) -> None:
    with store.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        other = User(username="store2", role=Role.storekeeper.value, hashed_password=password_hash)
        session.add(other)
        session.commit()
        token = create_access_token(subject=str(other.id), role=other.role, secret_key=SECRET, minutes=10)
    store.headers["store2"] = {"Authorization": f"Bearer {token}"}

    assert _receive(store, "old").status_code == 201
    clock.now = T0 + timedelta(hours=12)
    assert _receive(store, "recent").status_code == 201
    clock.now = T0 + timedelta(hours=25)
    assert _receive(store, "new", who="store2").status_code == 201  # another user's write purges them too
    assert [key for key, _ in _keys(store)] == ["new", "recent"]
    # a write without a key purges nothing (and stores nothing)
    clock.now = T0 + timedelta(hours=40)
    assert store.client.post(f"{V}/stock/receipts", json=RECEIPT, headers=store.as_("store")).status_code == 201
    assert [key for key, _ in _keys(store)] == ["new", "recent"]
    assert _stock(store) == 16


def test_the_retention_is_a_setting(store: World, clock: ServiceClock) -> None:
    settings = store.client.app.state.settings  # type: ignore[attr-defined]
    kept = settings.idempotency_retention_hours
    settings.idempotency_retention_hours = 0.5
    try:
        first = _receive(store, "k")
        clock.now = T0 + timedelta(minutes=29)
        assert _receive(store, "k").headers.get("Idempotent-Replayed") == "true"
        clock.now = T0 + timedelta(minutes=30)
        assert _receive(store, "k").json()["id"] != first.json()["id"]
    finally:
        settings.idempotency_retention_hours = kept
    assert _stock(store) == 8
