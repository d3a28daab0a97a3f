"""Race: 200 concurrent consumptions of one part with stock 100, twenty times on each database.

Exactly 100 succeed, the other 100 get a clear 409, the balance ends at 0, the ledger sums to the balance,
and nothing ever went negative (the CHECK constraint would have turned that into a 500, which fails here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from api.parts.models import StockBalance, StockMovement
from tests.api.conftest import Database, World, stock_van_for_an_order
from tests.api.live import fire, live_server

V = "/api/v1"
STOCK, REQUESTS, REPETITIONS = 100, 200, 20


@pytest.fixture(scope="module")
def server(database: Database) -> Iterator[str]:
    with live_server(database, workers=2) as url:
        yield url


@pytest.fixture
def raceworld(world: World) -> World:
    stock_van_for_an_order(world, "P-R", STOCK)
    return world


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_concurrent_consumptions_never_oversell(server: str, raceworld: World, repetition: int) -> None:
    body = {"part_id": "P-R", "order_id": "OA", "quantity": 1}
    responses = fire(server, [{"method": "POST", "url": f"{V}/stock/consumptions", "json": body,
                               "headers": raceworld.as_("tech_a")}] * REQUESTS)
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: STOCK, 409: REQUESTS - STOCK}, f"repetition {repetition}: {codes}"
    for r in responses:
        if r.status_code == 409:
            assert r.json()["detail"] == "Not enough stock: VAN-TA holds 0 × fuse (P-R); you asked to use 1."
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == STOCK

    maker = raceworld.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        balance = session.get(StockBalance, ("P-R", "VAN-TA"))
        consumed = session.scalar(select(func.sum(StockMovement.quantity)).where(
            StockMovement.part_id == "P-R", StockMovement.kind == "consume"))
        received = session.scalar(select(func.sum(StockMovement.quantity)).where(
            StockMovement.part_id == "P-R", StockMovement.kind == "receive"))
    assert balance is not None
    assert (balance.quantity, consumed, received) == (0, STOCK, STOCK)
    assert balance.quantity + consumed == STOCK


def test_a_burst_larger_than_the_connection_pool_waits_its_turn(database: Database, world: World) -> None:
    # 50 requests at once on one worker with 2 connections. A request must not hold a connection while it
    # waits for a thread (between the sign-in check and the view, and before its response is validated), or
    # 40 threads wait for connections that requests waiting for a thread hold, until the pool's timeout
    # answers 503 (before the fix: 74 of 100 writes, 185 of 300 reads on PostgreSQL)
    stock_van_for_an_order(world, "P-R", 60)
    body = {"part_id": "P-R", "order_id": "OA", "quantity": 1}
    tech = world.as_("tech_a")
    with live_server(database, workers=1, DATABASE_POOL_SIZE="2", DATABASE_MAX_OVERFLOW="0",
                     DATABASE_POOL_TIMEOUT="15") as url:
        writes = fire(url, [{"method": "POST", "url": f"{V}/stock/consumptions", "json": body,
                             "headers": tech}] * 100)
        reads = fire(url, [{"method": "GET", "url": f"{V}/stock?part_id=P-R", "headers": tech}] * 300)
    assert Counter(r.status_code for r in writes) == {201: 60, 409: 40}
    assert Counter(r.status_code for r in reads) == {200: 300}
    assert {r.json()["items"][0]["quantity"] for r in reads} == {0}
