"""Race: a phone that sends the same tap again while the first is still in flight, and two phones that report
the same stop at once, over real sockets against a two-worker server on each database.

The same Idempotency-Key records once and every answer is the first one; different keys for the same step
record once and the others get a clear 409; parts leave the van once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.api.conftest import Database, World
from tests.api.live import fire, live_server
from tests.api.planning import DATE, PINNED, seed_day, solve_and_publish, thread_runner

V = "/api/v1"
REQUESTS = 20


@pytest.fixture(scope="module")
def server(database: Database) -> Iterator[str]:
    with live_server(database, workers=2) as url:
        yield url


@pytest.fixture
def routes(world: World) -> World:
    """The small day planned (checked by the independent checker) and published: O1, O2 are TA's."""
    seed_day(world, PINNED)
    with thread_runner(world.client):
        solve_and_publish(world)
    c, store = world.client, world.as_("store")
    assert c.post(f"{V}/parts", json={"id": "P-R", "name": "fuse", "unit_cost": "2.5"},
                  headers=store).status_code == 201
    r = c.post(f"{V}/stock/receipts", json={"part_id": "P-R", "location_id": "VAN-TA", "quantity": 10},
               headers=store)
    assert r.status_code == 201, r.text
    return world


def _log(world: World) -> list[tuple[str, str]]:
    log = world.client.get(f"{V}/days/{DATE}/events", headers=world.as_("disp")).json()
    return [(e["order_id"], e["event"]) for e in log]


def test_the_same_tap_sent_again_while_in_flight_records_once(server: str, routes: World) -> None:
    a = routes.as_("tech_a")
    r = routes.client.post(f"{V}/events", json={"time": f"{DATE}T09:00:00", "event": "arrived", "order_id": "O1"},
                           headers=a)
    assert r.status_code == 201, r.text
    done = {"time": f"{DATE}T09:40:00", "event": "done", "order_id": "O1", "parts": [{"part_id": "P-R", "quantity": 3}]}
    answers = fire(server, [{"method": "POST", "url": f"{V}/events", "json": done,
                             "headers": a | {"Idempotency-Key": "phone-1-tap-7"}}] * REQUESTS)
    assert Counter(x.status_code for x in answers) == {201: REQUESTS}
    assert sum(x.headers.get("idempotent-replayed") != "true" for x in answers) == 1  # one did the work
    assert len({x.text for x in answers}) == 1  # every answer is the first one
    assert _log(routes) == [("O1", "arrived"), ("O1", "done")]
    stock = routes.client.get(f"{V}/stock?location_id=VAN-TA", headers=routes.as_("store")).json()["items"]
    assert {i["part_id"]: i["quantity"] for i in stock} == {"P-R": 7}
    assert routes.client.get(f"{V}/orders/O1", headers=routes.as_("disp")).json()["status"] == "done"


def test_two_phones_reporting_one_stop_record_it_once(server: str, routes: World) -> None:
    arrived = {"time": f"{DATE}T10:00:00", "event": "arrived", "order_id": "O2"}
    answers = fire(server, [{"method": "POST", "url": f"{V}/events", "json": arrived,
                             "headers": routes.as_("tech_a") | {"Idempotency-Key": f"phone-{i}"}}
                            for i in range(REQUESTS)])
    assert Counter(x.status_code for x in answers) == {201: 1, 409: REQUESTS - 1}
    for x in answers:
        if x.status_code == 409:
            assert "O2" in x.json()["detail"]
    assert _log(routes) == [("O2", "arrived")]
    visits = routes.client.get(f"{V}/visits?date={DATE}", headers=routes.as_("tech_a")).json()
    assert [(v["order_id"], v["arrived_at"]) for v in visits] == [("O2", f"{DATE}T10:00:00")]
