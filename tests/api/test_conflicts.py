"""Conflicts are 409, never 500: the same import or create sent several times at once (a double-clicked upload,
a retried script) over real sockets against a two-worker server on each database.

Exactly one request creates; every other one gets a 409 naming the ids it collided on; nothing of a losing
import is kept. The same request sent again later gets the same 409.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.customers.models import Customer
from api.errors import conflict_of
from api.orders.models import Order
from api.parts.models import StockLocation, StockMovement
from api.technicians.models import ShiftDay, Technician
from tests.api.conftest import TECH, Database, World
from tests.api.live import fire, live_server
from tests.api.planning import DATE, PINNED, PLAN, seed_day, thread_runner, wait

V = "/api/v1"
AT_ONCE = 4  # the four concurrent uploads
REPETITIONS = 5
ORDERS_HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
                 "required_parts,pinned_technician\n")
ORDERS_CSV = ORDERS_HEADER + "".join(f"R{i},Cafe {i % 3},45.7{i},4.8{i},P{1 + i % 4},hvac,30,2026-11-24T07:0{i}:00,,,,\n"
                                     for i in range(8))
TECHNICIANS_CSV = ("id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
                   "max_orders,van_stock\n"
                   + "".join(f"N{i},New {i},hvac,45.7{i},4.8{i},08:00,17:00,,,,,P-N:{i + 1}\n" for i in range(5)))


@pytest.fixture(scope="module")
def server(database: Database) -> Iterator[str]:
    with live_server(database, workers=2) as url:
        yield url


def at_once(n: int, send: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """`send` from `n` threads released together, each on its own connection."""
    gate = threading.Barrier(n)

    def one(_: int) -> httpx.Response:
        with httpx.Client(timeout=120) as client:
            gate.wait()
            return send(client)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def upload(server: str, path: str, name: str, content: str, headers: dict[str, str]) -> Callable[..., Any]:
    def send(client: httpx.Client) -> httpx.Response:
        return client.post(f"{server}{V}{path}?plan_date=2026-11-24", headers=headers,
                           files={"file": (name, content.encode(), "text/csv")})
    return send


def count(world: World, column: Any, *where: Any) -> int:
    with world.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count(column)).where(*where)) or 0)


def named(body: dict[str, Any]) -> list[str]:
    """The ids a 409 names: cells of a file, fields of a body, or keys the database refused."""
    out: list[str] = []
    for e in body["errors"]:
        out += [e["value"]] if "value" in e else [e["input"]] if "input" in e else e["values"]
    return out


def one_created_the_rest_named(answers: list[Any], ids: list[str], *, created: int = 201) -> None:
    codes = Counter(a.status_code for a in answers)
    assert codes == {created: 1, 409: len(answers) - 1}, [a.text for a in answers if a.status_code != created]
    for a in answers:
        if a.status_code == 409:
            body = a.json()
            assert named(body) == ids, body
            assert all(i in body["detail"] for i in ids[:10]), body["detail"]


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_the_same_orders_csv_uploaded_at_once_imports_once(server: str, world: World, repetition: int) -> None:
    send = upload(server, "/orders/import", "orders.csv", ORDERS_CSV, world.as_("disp"))
    answers = at_once(AT_ONCE, send)
    ids = [f"R{i}" for i in range(8)]
    one_created_the_rest_named(answers, ids)
    [won] = [a.json() for a in answers if a.status_code == 201]
    assert won["order_ids"] == ids
    assert len(won["customers_created"]) == 3
    for a in answers:
        if a.status_code == 409:
            assert [(e["row"], e["column"]) for e in a.json()["errors"]] == [(n, "id") for n in range(2, 10)]
    # nothing half-imported: the winner's eight orders and three customers, no more
    assert count(world, Order.id) == 8
    assert count(world, Customer.id) == 3
    # sent again later, the same answer as the losers got
    with httpx.Client() as client:
        late = send(client)
    assert late.status_code == 409
    assert late.json() == next(a for a in answers if a.status_code == 409).json()


def test_two_files_naming_the_same_new_customer_both_import(server: str, world: World) -> None:
    first = ORDERS_HEADER + "A1,Cafe Neuf,45.75,4.85,P2,hvac,30,2026-11-24T07:00:00,,,,\n"
    second = ORDERS_HEADER + "A2,Cafe Neuf,45.75,4.85,P3,hvac,30,2026-11-24T07:00:00,,,,\n"
    files = [first, second] * 2
    answers = at_once(4, lambda c: c.post(f"{server}{V}/orders/import?plan_date=2026-11-24",
                                          headers=world.as_("disp"),
                                          files={"file": ("orders.csv", files.pop().encode(), "text/csv")}))
    # one of each file wins; the copies get a 409 naming their own order; the customer exists once
    codes = sorted((a.status_code, (a.json().get("order_ids") or named(a.json()))[0]) for a in answers)
    assert codes == [(201, "A1"), (201, "A2"), (409, "A1"), (409, "A2")], [a.text for a in answers]
    assert count(world, Customer.id) == 1
    assert count(world, Order.id) == 2


def test_the_same_technicians_csv_uploaded_at_once_imports_once(server: str, world: World) -> None:
    answers = at_once(AT_ONCE, upload(server, "/technicians/import", "technicians.csv", TECHNICIANS_CSV,
                                      world.as_("disp")))
    ids = [f"N{i}" for i in range(5)]
    one_created_the_rest_named(answers, ids)
    # the winner's technicians, their vans and one receipt each; nothing of the others
    assert count(world, Technician.id, Technician.id.like("N%")) == 5
    assert count(world, StockLocation.id, StockLocation.technician_id.like("N%")) == 5
    assert count(world, StockMovement.id, StockMovement.part_id == "P-N") == 5


@pytest.mark.parametrize(("path", "who", "what", "body"), [
    ("/technicians", "disp", "technician", {"id": "T-DUP", "name": "Twice", **TECH}),
    ("/customers", "disp", "customer", {"id": "C-DUP", "name": "Twice"}),
    ("/parts", "store", "part", {"id": "P-DUP", "name": "fuse", "unit_cost": "1.00"}),
    ("/stock-locations", "store", "stock location", {"id": "CS-DUP", "name": "Depot", "lat": 45.7, "lon": 4.8}),
])
def test_a_create_sent_at_once_creates_once(server: str, world: World, path: str, who: str, what: str,
                                            body: dict[str, Any]) -> None:
    answers = fire(server, [{"method": "POST", "url": f"{V}{path}", "json": body,
                             "headers": world.as_(who)}] * 8)
    one_created_the_rest_named(answers, [body["id"]])
    again = world.client.post(f"{V}{path}", json=body, headers=world.as_(who))
    assert again.status_code == 409
    message = f"{what} {body['id']!r} already exists"
    assert again.json() == {"detail": message, "errors": [{"loc": ["body", "id"], "msg": message,
                                                           "type": "conflict", "input": body["id"]}]}


def test_an_order_sent_at_once_is_created_once(server: str, world: World) -> None:
    assert world.client.post(f"{V}/customers", json={"id": "C1", "name": "c"},
                             headers=world.as_("disp")).status_code == 201
    order = {"id": "O-DUP", "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P2", "duration_min": 30,
             "required_skills": ["hvac"]}
    answers = fire(server, [{"method": "POST", "url": f"{V}/orders", "json": order,
                             "headers": world.as_("disp")}] * 8)
    one_created_the_rest_named(answers, ["O-DUP"])
    assert count(world, Order.id) == 1


def test_one_day_shift_changed_at_once_keeps_one(server: str, world: World) -> None:
    # two dispatchers give TA overtime on the same day at the same moment: both are told it is done, as they
    # would be one after the other, and one shift day is kept
    answers = fire(server, [{"method": "PUT", "url": f"{V}/technicians/TA/days/2026-11-24",
                             "json": {"shift_end": f"18:{i:02d}"}, "headers": world.as_("disp")} for i in range(8)])
    assert Counter(a.status_code for a in answers) == {200: 8}, [a.text for a in answers]
    assert count(world, ShiftDay.technician_id) == 1


def test_what_the_database_refuses_is_named(world: World) -> None:
    """The one mapping from a unique or foreign-key refusal to a 409, on the database's own error."""
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        session.add(Technician(id="TA", name="again", skills=[], home_lat=0, home_lon=0, shift_start=time(8),
                               shift_end=time(17), work_days=[1]))
        with pytest.raises(IntegrityError) as unique:
            session.flush()
        session.rollback()
        session.add(StockLocation(id="VAN-GHOST", name="ghost", kind="van", technician_id="T-GHOST"))
        with pytest.raises(IntegrityError) as foreign:
            session.flush()
        session.rollback()
    taken = conflict_of(unique.value)
    assert taken is not None
    assert taken.status_code == 409
    assert taken.errors == [{"table": "technicians", "columns": ["id"], "values": ["TA"],
                             "message": "technicians id 'TA' already exists: another request wrote it meanwhile"}]
    missing = conflict_of(foreign.value)
    assert missing is not None
    assert missing.status_code == 409
    assert "stock_locations" in missing.detail
    assert "does not exist" in missing.detail


def test_two_plans_of_one_date_published_at_once(server: str, world: World) -> None:
    """Two dispatchers publish two plans of the same date at the same moment: never a 500; each answer is the
    publication or a 409 naming the date, and the date has exactly one published plan, one of the two."""
    seed_day(world, PINNED)
    c, h = world.client, world.as_("disp")
    with thread_runner(c):
        plans = [c.post(f"{V}/plans", json=PLAN | {"seed": seed}, headers=h).json()["id"] for seed in (1, 2)]
        for plan_id in plans:
            assert wait(c, plan_id, h)["status"] == "done"
    answers = fire(server, [{"method": "POST", "url": f"{V}/plans/{plans[i % 2]}/publish", "headers": h}
                            for i in range(8)])
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    assert all(str(DATE) in a.json()["detail"] for a in answers if a.status_code == 409)
    assert 200 in {a.status_code for a in answers}
    published = c.get(f"{V}/me/route?date={DATE}", headers=world.as_("tech_a")).json()
    assert published["plan_id"] in plans
