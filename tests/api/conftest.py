"""API tests over real databases: every test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL is DISPATCH_TEST_POSTGRES_URL, else the machine's server (127.0.0.1:5432, database `test`). Each
test session works in a schema of its own, dropped at the end, so parallel runs never collide. When the server
does not answer the PostgreSQL leg is skipped with the reason, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, text

from api.auth.models import Role, User
from api.auth.security import create_access_token, hash_password
from api.config import Settings
from api.deps import service_now
from api.main import create_app
from api.models import Base

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery"


def postgres_url() -> str:
    return os.environ.get("DISPATCH_TEST_POSTGRES_URL") or PG_DEFAULT


def _postgres_problem(url: str) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as e:  # any failure to connect means "not answering"
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return None


@dataclass
class Database:
    kind: str
    url: str
    engine_args: dict[str, Any] = field(default_factory=dict)


@contextmanager
def fresh_database(kind: str, tmp_dir: Any) -> Iterator[Database]:
    """An empty database of `kind`: a new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield Database(kind, f"sqlite:///{tmp_dir}/dispatch-{uuid.uuid4().hex[:8]}.sqlite")
        return
    url = postgres_url()
    problem = _postgres_problem(url)
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL does not answer at {url} under CI=true: {problem}")
        pytest.skip(f"PostgreSQL does not answer at {url} ({problem}); set DISPATCH_TEST_POSTGRES_URL")
    schema = f"dispatch_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield Database(kind, url, {"connect_args": {"options": f"-csearch_path={schema}"}})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as db:
        yield db


def make_settings(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(environment="test", database_url=db.url, secret_key=SECRET,
                                  login_free_failures=3, login_backoff_seconds=10, login_backoff_max_seconds=40,
                                  login_window_seconds=120, watch_interval_seconds=0)
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def app_client(database: Database) -> Iterator[TestClient]:
    """One app per database for the whole session; start-up runs the migrations on the empty database."""
    app = create_app(make_settings(database), engine_args=database.engine_args)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once, reuse for every test user


@dataclass
class World:
    """A small named world: one user per role (supervisor: "super"), technicians A and B with a user each, and auth
    headers."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    users: dict[str, User]

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]


TECH = {"home_lat": 45.76, "home_lon": 4.84, "shift_start": "08:00", "shift_end": "17:00", "skills": ["hvac"]}


@pytest.fixture
def client(app_client: TestClient) -> TestClient:
    """The session's client over an emptied database."""
    maker = app_client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
        session.commit()
    return app_client


@pytest.fixture
def world(client: TestClient, password_hash: str) -> World:
    app = client.app
    maker = app.state.sessionmaker  # type: ignore[attr-defined]
    from api.technicians import service as technicians
    from api.technicians.schemas import TechnicianCreate

    users: dict[str, User] = {}
    with maker() as session:
        for tid in ("TA", "TB"):
            technicians.create(session, data=TechnicianCreate(id=tid, name=f"Tech {tid}", **TECH))
        for name, role, tech in (("disp", Role.dispatcher, None), ("store", Role.storekeeper, None),
                                 ("plan", Role.planner, None), ("super", Role.supervisor, None),
                                 ("tech_a", Role.technician, "TA"),
                                 ("tech_b", Role.technician, "TB")):
            user = User(username=name, role=role.value, technician_id=tech, hashed_password=password_hash)
            session.add(user)
            users[name] = user
        session.commit()
    headers = {
        name: {"Authorization": "Bearer " + create_access_token(
            subject=str(u.id), role=u.role, secret_key=SECRET, minutes=10)}
        for name, u in users.items()
    }
    return World(client, headers, users)


class ServiceClock:
    """The service's clock (`service_now`: complaint deadlines, follow-up calls, idempotency keys), set by a test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: str | datetime) -> None:
        self.now = datetime.fromisoformat(now) if isinstance(now, str) else now


@contextmanager
def service_clock(world: World, start: str | datetime) -> Iterator[ServiceClock]:
    """The service's clock held at `start` (naive local time) until the test moves it."""
    held = ServiceClock(datetime.fromisoformat(start) if isinstance(start, str) else start)
    overrides = world.client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[service_now] = lambda: held.now
    try:
        yield held
    finally:
        overrides.pop(service_now, None)


def stock_van_for_an_order(world: World, part_id: str, quantity: int) -> None:
    """Part `part_id` with `quantity` in technician TA's van, and order OA (customer C1) pinned to TA: what a
    consumption needs."""
    c, store, disp = world.client, world.as_("store"), world.as_("disp")
    assert c.post("/api/v1/parts", json={"id": part_id, "name": "fuse", "unit_cost": "2.5"},
                  headers=store).status_code == 201
    assert c.post("/api/v1/customers", json={"id": "C1", "name": "c"}, headers=disp).status_code == 201
    order = {"id": "OA", "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P1", "duration_min": 30,
             "required_skills": ["hvac"], "pinned_technician_id": "TA"}
    assert c.post("/api/v1/orders", json=order, headers=disp).status_code == 201
    r = c.post("/api/v1/stock/receipts", json={"part_id": part_id, "location_id": "VAN-TA", "quantity": quantity},
               headers=store)
    assert r.status_code == 201, r.text
