"""Alembic owns the schema: the migrations build it from nothing on both databases, matching the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.db import alembic_config, downgrade, make_engine, upgrade
from api.main import create_app
from api.models import Base
from tests.api.conftest import fresh_database, make_settings

KINDS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("kind", KINDS)
def test_migrations_create_the_schema_from_scratch(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as db:
        engine = make_engine(db.url, **db.engine_args)
        try:
            assert inspect(engine).get_table_names() == []
            upgrade(engine)
            assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            upgrade(engine)  # at head already: nothing to do
            downgrade(engine)
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            upgrade(engine)
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        finally:
            engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_the_schema_itself_refuses_broken_rows(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as db:
        engine = make_engine(db.url, **db.engine_args)
        try:
            upgrade(engine)
            broken = [
                "INSERT INTO users (username, hashed_password, role, is_active) VALUES ('t', 'h', 'technician', true)",
                "INSERT INTO users (username, hashed_password, role, is_active) VALUES ('x', 'h', 'admin', true)",
                "INSERT INTO stock_locations (id, name, kind) VALUES ('V1', 'van', 'van')",
                "INSERT INTO customers (id, name) VALUES ('C', 'c')",
            ]
            for sql in broken[:3]:
                with pytest.raises(IntegrityError), engine.begin() as conn:
                    conn.execute(text(sql))
            with engine.begin() as conn:
                conn.execute(text(broken[3]))
            order = ("INSERT INTO orders (id, customer_id, lat, lon, priority, required_skills, duration_min, "
                     "created_at, required_parts, status, source) VALUES "
                     "('O', '{c}', 45, 4, 'P1', '[]', 10, '2026-11-24 07:00:00', '{{}}', 'open', 'api')")
            with pytest.raises(IntegrityError), engine.begin() as conn:  # foreign keys are on, SQLite too
                conn.execute(text(order.format(c="NOPE")))
            with engine.begin() as conn:
                conn.execute(text(order.format(c="C")))
        finally:
            engine.dispose()


def test_start_up_creates_and_migrates_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "dispatch.sqlite"
    with fresh_database("sqlite", tmp_path) as db:
        db.url = f"sqlite:///{path}"
        with TestClient(create_app(make_settings(db))) as client:
            assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert path.exists()
    engine = make_engine(f"sqlite:///{path}")
    assert "orders" in inspect(engine).get_table_names()
    engine.dispose()
