"""Faults: a service killed with SIGKILL in the middle of a write leaves nothing half-written, on SQLite and
PostgreSQL; a PostgreSQL restart under load answers 503 with Retry-After, never 500, and the service recovers by
itself.

The kill lands at a known point: the test-only setting TEST_HOLD_BEFORE_COMMIT (api.db.hold_before_commit)
stops each writing transaction just before its COMMIT, every write sent, and lists those writes in a file. The
test waits for that file, kills the server (kill -9), starts it again, finds the database exactly as before
(every row of every table, the ledger's totals) and makes the same request, which now succeeds once.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.auth.models import Role, User
from api.auth.security import create_access_token, hash_password
from api.config import Settings
from api.db import make_engine, make_sessionmaker, upgrade
from api.models import Base
from api.parts.models import StockBalance, StockMovement
from api.technicians import service as technicians
from api.technicians.schemas import TechnicianCreate
from tests.api.conftest import SECRET, TECH, Database, World, stock_van_for_an_order
from tests.api.live import server_env
from tests.api.planning import DATE, PINNED, seed_day, solve_and_publish, thread_runner, wait
from tests.private_postgres import PrivatePostgres, private_postgres
from tests.uvicorn_server import uvicorn_app, uvicorn_process

V = "/api/v1"
GIVE_UP_S = 60  # a bound against hanging, not a timing assertion
IMPORT_ROWS = 2000
HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
          "required_parts,pinned_technician")


def contents(world: World) -> dict[str, list[str]]:
    """Every row of every table, in a fixed order: 'exactly as before' is this, equal."""
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        return {t.name: sorted(repr(tuple(row)) for row in session.execute(select(t)))
                for t in Base.metadata.sorted_tables}


def ledger(world: World) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """The stock balances and the ledger's total per kind of movement."""
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        balances = {(b.part_id, b.location_id): b.quantity for b in session.scalars(select(StockBalance))}
        totals = {kind: int(total) for kind, total in session.execute(
            select(StockMovement.kind, func.sum(StockMovement.quantity)).group_by(StockMovement.kind)).all()}
    return balances, totals


def kill_before_commit(database: Database, tmp_path: Path, method: str, path: str, **request: Any) -> list[str]:
    """Send one request to a live server that holds its writing transaction before COMMIT, kill -9 the server
    there, and return the writes that transaction had sent (each `INSERT INTO table` and so on)."""
    marker = tmp_path / f"held-{uuid.uuid4().hex[:8]}"
    env = server_env(database, TEST_HOLD_BEFORE_COMMIT=str(marker), PLAN_EXECUTOR="thread")
    answer: dict[str, Any] = {}
    with uvicorn_process(env) as (url, proc):
        def send() -> None:
            try:
                answer["response"] = httpx.request(method, url + path, timeout=GIVE_UP_S * 2, **request)
            except httpx.HTTPError as e:  # the server died under the request
                answer["error"] = e

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        give_up = time.monotonic() + GIVE_UP_S
        while not marker.exists():
            assert "response" not in answer, f"answered before any commit: {answer['response'].text}"
            assert proc.poll() is None, f"the server exited with {proc.returncode}"
            assert time.monotonic() < give_up, "no transaction reached its COMMIT"
            time.sleep(0.02)
        writes = marker.read_text().splitlines()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=GIVE_UP_S) == -signal.SIGKILL
        sender.join(GIVE_UP_S)
    assert "response" not in answer, answer
    assert "error" in answer, answer
    return writes


def orders_csv(rows: int) -> bytes:
    lines = [HEADER] + [f"K{i:05d},Customer {i % 300},{45.70 + (i % 97) / 1000:.4f},{4.80 + (i % 89) / 1000:.4f},"
                        f"P{1 + i % 4},hvac,30,2026-11-24T07:00:00,,,," for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_kill_during_an_import_leaves_the_database_as_before(world: World, database: Database,
                                                               tmp_path: Path) -> None:
    c, disp = world.client, world.as_("disp")
    assert c.post(f"{V}/customers", json={"id": "C0", "name": "Customer 0"}, headers=disp).status_code == 201
    before = contents(world)
    upload = {"files": {"file": ("orders.csv", orders_csv(IMPORT_ROWS), "text/csv")}, "headers": disp}
    url = f"{V}/orders/import?plan_date={DATE}"

    writes = kill_before_commit(database, tmp_path, "POST", url, **upload)
    assert "INSERT INTO orders" in writes
    assert "INSERT INTO customers" in writes

    with uvicorn_app(server_env(database)) as server:  # started again on the same database
        assert contents(world) == before
        r = httpx.post(server + url, timeout=GIVE_UP_S, **upload)  # type: ignore[arg-type]
        assert r.status_code == 201, r.text
        assert r.json()["created"] == IMPORT_ROWS
        after = contents(world)
    assert len(after["orders"]) == len(before["orders"]) + IMPORT_ROWS
    assert len(after["customers"]) == len(before["customers"]) + 299  # "Customer 0" was there already


def test_a_kill_during_a_part_consumption_moves_no_stock(world: World, database: Database, tmp_path: Path) -> None:
    stock_van_for_an_order(world, "P-K", 10)
    before, totals = contents(world), ledger(world)
    assert totals == ({("P-K", "VAN-TA"): 10}, {"receive": 10})
    use = {"json": {"part_id": "P-K", "order_id": "OA", "quantity": 3},
           "headers": world.as_("tech_a") | {"Idempotency-Key": "fault-1"}}

    writes = kill_before_commit(database, tmp_path, "POST", f"{V}/stock/consumptions", **use)
    assert {"INSERT INTO idempotency_keys", "UPDATE stock_balances", "INSERT INTO stock_movements"} <= set(writes)

    with uvicorn_app(server_env(database)) as server:
        assert contents(world) == before
        assert ledger(world) == totals
        # the key was not kept either: the retry is done once, and its own retry replays it
        first = httpx.post(f"{server}{V}/stock/consumptions", timeout=GIVE_UP_S, **use)  # type: ignore[arg-type]
        again = httpx.post(f"{server}{V}/stock/consumptions", timeout=GIVE_UP_S, **use)  # type: ignore[arg-type]
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.json() == first.json()
    assert ledger(world) == ({("P-K", "VAN-TA"): 7}, {"receive": 10, "consume": 3})


def test_a_kill_during_a_publish_keeps_the_plan_published_before(world: World, database: Database,
                                                                 tmp_path: Path) -> None:
    c, disp = world.client, world.as_("disp")
    seed_day(world, PINNED)  # each technician has stops
    with thread_runner(c):
        first = solve_and_publish(world)
        r = c.post(f"{V}/plans", json={"date": DATE.isoformat(), "time_limit": 30, "seed": 2, "solution_limit": 5},
                   headers=disp)
        assert r.status_code == 202, r.text
        second = wait(c, r.json()["id"], disp)
    assert second["status"] == "done"
    before = contents(world)
    assert len(before["published_routes"]) == 2
    assert len(before["published_stops"]) == 4

    writes = kill_before_commit(database, tmp_path, "POST", f"{V}/plans/{second['id']}/publish", headers=disp)
    assert {"DELETE FROM published_routes", "DELETE FROM published_stops", "INSERT INTO published_routes",
            "INSERT INTO published_stops"} <= set(writes)

    with uvicorn_app(server_env(database)) as server:
        assert contents(world) == before
        route = httpx.get(f"{server}{V}/me/route?date={DATE}", headers=world.as_("tech_a"), timeout=GIVE_UP_S)
        assert route.status_code == 200
        assert route.json()["plan_id"] == first["id"]
        r = httpx.post(f"{server}{V}/plans/{second['id']}/publish", headers=disp, timeout=GIVE_UP_S)
        assert r.status_code == 200, r.text
        route = httpx.get(f"{server}{V}/me/route?date={DATE}", headers=world.as_("tech_a"), timeout=GIVE_UP_S)
    assert route.json()["plan_id"] == second["id"]
    assert route.json()["version"] == 2


def test_the_hold_before_commit_is_refused_outside_tests(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TEST_HOLD_BEFORE_COMMIT is a fault-test hook"):
        Settings(environment="production", secret_key="x" * 40, test_hold_before_commit=tmp_path / "held")


# --- PostgreSQL restarted under load ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as pg:
        yield pg


def _seed_users(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            technicians.create(session, data=TechnicianCreate.model_validate({"id": "TA", "name": "Tech TA", **TECH}))
            user = User(username="disp", role=Role.dispatcher.value, hashed_password=hash_password("x" * 12))
            session.add(user)
            session.commit()
            token = create_access_token(subject=str(user.id), role=user.role, secret_key=SECRET, minutes=30)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


class Load:
    """Clients reading and writing without pause, each answer filed under the phase it was sent and answered
    in (or 'changing')."""

    def __init__(self, url: str, headers: dict[str, str], clients: int = 3) -> None:
        self.url, self.headers = url, headers
        self.phase = "up"
        self.answers: list[tuple[str, str, int, str | None]] = []  # (phase, what, status, Retry-After)
        self.created: set[str] = set()
        self.dropped: list[str] = []  # requests that got no answer
        self._ids = itertools.count()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=GIVE_UP_S) as client:
            while not self._stop.is_set():
                phase, n = self.phase, next(self._ids)
                what = "write" if n % 2 == 0 else "read"
                try:
                    if what == "read":
                        r = client.get(f"{V}/technicians")
                    else:
                        r = client.post(f"{V}/customers", json={"id": f"L{n}", "name": f"load {n}"})
                except httpx.HTTPError as e:  # no answer at all: a failure the test reports
                    self.dropped.append(f"{phase} {what}: {e!r}")
                    continue
                if r.status_code == 201:
                    self.created.add(f"L{n}")
                # a request is filed under a phase only when sent and answered in it
                phase = phase if phase == self.phase else "changing"
                self.answers.append((phase, what, r.status_code, r.headers.get("retry-after")))

    def count(self, phase: str) -> int:
        return sum(1 for a in self.answers if a[0] == phase)

    def until(self, phase: str, answers: int) -> None:
        give_up = time.monotonic() + GIVE_UP_S
        while self.count(phase) < answers:
            assert time.monotonic() < give_up, f"only {self.count(phase)} answers while {phase}"
            time.sleep(0.05)

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(GIVE_UP_S)


def test_a_postgresql_restart_under_load_answers_503_then_recovers(cluster: PrivatePostgres) -> None:
    headers = _seed_users(cluster.url)
    env = server_env(Database("postgresql", cluster.url), PLAN_EXECUTOR="thread")
    with uvicorn_app(env) as url, Load(url, headers) as load:
        load.until("up", 20)
        cluster.stop()
        load.phase = "down"
        load.until("down", 30)
        load.phase = "starting"
        cluster.start()
        load.phase = "back"
        load.until("back", 30)
    by_phase = Counter((phase, status) for phase, _what, status, _retry in load.answers)
    assert not load.dropped, load.dropped
    assert not [a for a in load.answers if a[2] >= 500 and a[2] != 503], by_phase  # never a 500
    assert {s for p, s in by_phase if p == "down"} == {503}, by_phase
    assert all(retry is not None and int(retry) > 0 for _p, _w, status, retry in load.answers if status == 503)
    # back by itself: no restart of the service, every request after the database returned succeeds
    assert {s for p, s in by_phase if p == "back"} <= {200, 201}, by_phase
    assert {what for p, what, _s, _r in load.answers if p == "back"} == {"read", "write"}
    engine = make_engine(cluster.url)
    try:
        with engine.connect() as conn:
            from api.customers.models import Customer

            stored = set(conn.scalars(select(Customer.id).where(Customer.id.like("L%"))))
    finally:
        engine.dispose()
    assert load.created <= stored  # every write that was answered 201 is there
