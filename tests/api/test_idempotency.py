"""Idempotency-Key on the POSTs that move stock: a retry replays the first response and moves nothing twice;
the same key with another body is refused; concurrent identical requests make one ledger row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Database, World
from tests.api.live import fire, live_server

V = "/api/v1"
CONSUME = {"part_id": "P-1", "order_id": "OA", "quantity": 2}


@pytest.fixture
def stocked(world: World) -> World:
    c, store, disp = world.client, world.as_("store"), world.as_("disp")
    assert c.post(f"{V}/parts", json={"id": "P-1", "name": "filter", "unit_cost": "3"},
                  headers=store).status_code == 201
    assert c.post(f"{V}/stock-locations", json={"id": "CS", "name": "central"}, headers=store).status_code == 201
    assert c.post(f"{V}/customers", json={"id": "C1", "name": "c"}, headers=disp).status_code == 201
    order = {"id": "OA", "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P2", "duration_min": 30,
             "required_skills": ["hvac"], "pinned_technician_id": "TA"}
    assert c.post(f"{V}/orders", json=order, headers=disp).status_code == 201
    r = c.post(f"{V}/stock/receipts", json={"part_id": "P-1", "location_id": "VAN-TA", "quantity": 10},
               headers=store)
    assert r.status_code == 201
    return world


def _post(world: World, path: str, body: dict[str, Any], who: str, key: str | None) -> Any:
    headers = dict(world.as_(who)) | ({"Idempotency-Key": key} if key else {})
    return world.client.post(f"{V}/stock/{path}", json=body, headers=headers)


def _van(world: World) -> int:
    r = world.client.get(f"{V}/stock", params={"location_id": "VAN-TA"}, headers=world.as_("store"))
    return r.json()["items"][0]["quantity"]


def _consumptions(world: World) -> int:
    r = world.client.get(f"{V}/stock/movements", params={"kind": "consume"}, headers=world.as_("store"))
    return r.json()["total"]


def test_a_retry_replays_the_first_response_and_moves_nothing(stocked: World) -> None:
    first = _post(stocked, "consumptions", CONSUME, "tech_a", "visit-7-try")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = _post(stocked, "consumptions", dict(reversed(CONSUME.items())), "tech_a", "visit-7-try")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (_van(stocked), _consumptions(stocked)) == (8, 1)
    # without a key every request is a new movement
    assert _post(stocked, "consumptions", CONSUME, "tech_a", None).status_code == 201
    assert _post(stocked, "consumptions", CONSUME, "tech_a", None).status_code == 201
    assert (_van(stocked), _consumptions(stocked)) == (4, 3)


def test_the_same_key_with_another_body_or_endpoint_is_refused_naming_the_key(stocked: World) -> None:
    assert _post(stocked, "consumptions", CONSUME, "tech_a", "k-1").status_code == 201
    r = _post(stocked, "consumptions", CONSUME | {"quantity": 3}, "tech_a", "k-1")
    assert r.status_code == 422
    assert "Idempotency-Key 'k-1' was already used for a different request" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert (_van(stocked), _consumptions(stocked)) == (8, 1)
    assert _post(stocked, "receipts", {"part_id": "P-1", "location_id": "CS", "quantity": 1}, "store",
                 "k-1").status_code == 201  # keys belong to their user: the storekeeper's k-1 is another key
    r = _post(stocked, "adjustments", {"part_id": "P-1", "location_id": "CS", "delta": 1, "reason": "count"},
              "store", "k-1")
    assert r.status_code == 422


def test_a_refused_request_is_not_remembered_so_its_retry_is_judged_again(stocked: World) -> None:
    big = CONSUME | {"quantity": 12}
    assert _post(stocked, "consumptions", big, "tech_a", "k-big").status_code == 409
    r = _post(stocked, "receipts", {"part_id": "P-1", "location_id": "VAN-TA", "quantity": 5}, "store", None)
    assert r.status_code == 201
    assert _post(stocked, "consumptions", big, "tech_a", "k-big").status_code == 201
    assert _van(stocked) == 3


@pytest.mark.parametrize("key", ["", "x" * 201, "has space"])
def test_malformed_keys_are_refused(stocked: World, key: str) -> None:
    headers = dict(stocked.as_("tech_a")) | {"Idempotency-Key": key}
    r = stocked.client.post(f"{V}/stock/consumptions", json=CONSUME, headers=headers)
    assert r.status_code == 422


@pytest.fixture(scope="module")
def server(database: Database) -> Iterator[str]:
    with live_server(database, workers=2) as url:
        yield url


@pytest.mark.parametrize("path", ["consumptions", "receipts"])
def test_concurrent_identical_requests_make_one_movement_and_identical_answers(
        server: str, stocked: World, path: str) -> None:
    body, who = (CONSUME, "tech_a") if path == "consumptions" else (
        {"part_id": "P-1", "location_id": "CS", "quantity": 4}, "store")
    headers = dict(stocked.as_(who)) | {"Idempotency-Key": f"same-{path}"}
    responses = fire(server, [{"method": "POST", "url": f"{V}/stock/{path}", "json": body,
                               "headers": headers}] * 20, connections=20)
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1, "every answer is the first answer"
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    kind = "consume" if path == "consumptions" else "receive"
    moves = stocked.client.get(f"{V}/stock/movements", params={"kind": kind, "part_id": "P-1"},
                               headers=stocked.as_("store")).json()
    expected = 1 if path == "consumptions" else 2  # the fixture's own receipt into the van is one
    assert moves["total"] == expected
    if path == "consumptions":
        assert _van(stocked) == 8
