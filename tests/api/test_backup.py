"""`dispatch db backup FILE` and `dispatch db restore FILE` on the embedded SQLite database.

Backups are taken while a live server records part consumptions without pause: each backup is a consistent
snapshot (the van's balance plus what the ledger says was used is what was received; one idempotency key per
consumption), later backups hold more, a backup taken once the writes stop holds exactly the source's rows, and
a restore into an empty database gives back the backup row for row, which a server then serves. A bad FILE,
a database that holds data, or a PostgreSQL DATABASE_URL is a clear error and exit status 2.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.cli import app
from api.config import get_settings
from tests.api.conftest import Database, World, stock_van_for_an_order
from tests.api.live import live_server

V = "/api/v1"
STOCK = 1_000_000
GIVE_UP_S = 60  # a bound against hanging, not a timing assertion


def dispatch_db(database_url: str, *args: str) -> Result:
    """`dispatch db ARGS` with DATABASE_URL set, as a user would run it beside the service."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["db", *args], env={"DATABASE_URL": database_url, "ENVIRONMENT": "test"})
    finally:
        get_settings.cache_clear()


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite file, in a fixed order."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def ledger(path: Path) -> dict[str, int]:
    """The van's balance, what the ledger received and consumed, and the idempotency keys kept."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0])

        return {"balance": one("SELECT quantity FROM stock_balances WHERE part_id = 'P-B' AND location_id = 'VAN-TA'"),
                "received": one("SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE kind = 'receive'"),
                "consumed": one("SELECT coalesce(sum(quantity), 0) FROM stock_movements WHERE kind = 'consume'"),
                "consumptions": one("SELECT count(*) FROM stock_movements WHERE kind = 'consume'"),
                "keys": one("SELECT count(*) FROM idempotency_keys")}


def consistent(figures: dict[str, int]) -> bool:
    return (figures["received"] == STOCK and figures["balance"] + figures["consumed"] == STOCK
            and figures["keys"] == figures["consumptions"])


@pytest.fixture
def sqlite_file(database: Database) -> Path:
    if database.kind != "sqlite":
        pytest.skip("dispatch db backup/restore serve the embedded SQLite database; PostgreSQL has pg_dump "
                    "(test_a_postgresql_database_is_sent_to_pg_dump)")
    return Path(database.url.removeprefix("sqlite:///"))


@pytest.fixture
def stocked(world: World, sqlite_file: Path) -> World:
    stock_van_for_an_order(world, "P-B", STOCK)
    return world


class Consumer:
    """A technician's phone recording one part at a time, each with its own Idempotency-Key, without pause."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self.recorded = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        body = {"part_id": "P-B", "order_id": "OA", "quantity": 1}
        with httpx.Client(base_url=self.url, timeout=GIVE_UP_S) as client:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                r = client.post(f"{V}/stock/consumptions", json=body,
                                headers=self.headers | {"Idempotency-Key": f"use-{n}"})
                if r.status_code != 201:
                    self.failures.append(f"{r.status_code} {r.text}")
                    return
                self.recorded += 1

    def wait_for(self, more: int) -> None:
        target, give_up = self.recorded + more, time.monotonic() + GIVE_UP_S
        while self.recorded < target:
            assert not self.failures, self.failures
            assert time.monotonic() < give_up, f"only {self.recorded} consumptions recorded"
            time.sleep(0.02)

    def __enter__(self) -> Consumer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(GIVE_UP_S)


def test_backups_taken_during_writes_are_snapshots_and_restore_row_for_row(
        stocked: World, database: Database, sqlite_file: Path, tmp_path: Path) -> None:
    backups = [tmp_path / f"during-{i}.sqlite" for i in range(3)]
    with live_server(database) as url:
        with Consumer(url, stocked.as_("tech_a")) as phone:
            for path in backups:
                phone.wait_for(10)  # some writes before each backup, and more going on during it
                r = dispatch_db(database.url, "backup", str(path))
                assert r.exit_code == 0, r.output
                assert f"to {path}" in r.output
        assert not phone.failures, phone.failures
        recorded = phone.recorded
        quiet = tmp_path / "quiet.sqlite"
        assert dispatch_db(database.url, "backup", str(quiet)).exit_code == 0

    figures = [ledger(p) for p in backups]
    assert all(consistent(f) for f in figures), figures
    counts = [f["consumptions"] for f in figures]
    assert counts == sorted(set(counts)), counts  # each later backup holds more: the writes went on
    assert counts[0] >= 10
    assert counts[-1] <= recorded
    # with the writes stopped, a backup holds exactly what the source holds
    assert dump(quiet) == dump(sqlite_file)
    assert ledger(quiet)["consumptions"] == recorded

    restored = tmp_path / "restored" / "dispatch.sqlite"
    target = Database("sqlite", f"sqlite:///{restored}")
    r = dispatch_db(target.url, "restore", str(backups[1]))
    assert r.exit_code == 0, r.output
    assert dump(restored) == dump(backups[1])
    with live_server(target) as url:  # the service runs on the restored database, with its users
        r = httpx.get(f"{url}{V}/stock", params={"location_id": "VAN-TA", "part_id": "P-B"},
                      headers=stocked.as_("store"), timeout=GIVE_UP_S)
    assert r.status_code == 200, r.text
    assert [s["quantity"] for s in r.json()["items"]] == [figures[1]["balance"]]


def test_restore_refuses_a_database_that_holds_data(stocked: World, database: Database, tmp_path: Path) -> None:
    backup = tmp_path / "b.sqlite"
    r = dispatch_db(database.url, "backup", str(backup))
    assert r.exit_code == 0, r.output
    before = dump(Path(database.url.removeprefix("sqlite:///")))
    r = dispatch_db(database.url, "restore", str(backup))
    assert r.exit_code == 2
    assert "holds data" in r.output
    assert "restore only into an empty database" in r.output
    assert dump(Path(database.url.removeprefix("sqlite:///"))) == before
    # a migrated database without a row is empty: the service started once on it, nothing more
    empty = tmp_path / "empty.sqlite"
    url = f"sqlite:///{empty}"
    from api.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    r = dispatch_db(url, "restore", str(backup))
    assert r.exit_code == 0, r.output
    assert dump(empty) == dump(backup)


def test_a_bad_file_is_a_clear_error(stocked: World, database: Database, tmp_path: Path) -> None:
    existing = tmp_path / "taken.sqlite"
    existing.write_bytes(b"keep me")
    fresh = f"sqlite:///{tmp_path / f'new-{uuid.uuid4().hex[:6]}.sqlite'}"
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    foreign = tmp_path / "foreign.sqlite"
    with closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    newer = tmp_path / "newer.sqlite"
    assert dispatch_db(database.url, "backup", str(newer)).exit_code == 0
    with closing(sqlite3.connect(newer)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'")
        conn.commit()
    cases = [
        (database.url, "backup", tmp_path / "no" / "such" / "folder.sqlite", "folder"),
        (database.url, "backup", existing, "already exists"),
        (fresh, "restore", tmp_path / "missing.sqlite", "does not exist"),
        (fresh, "restore", text, "is not a SQLite database"),
        (fresh, "restore", foreign, "not one of this service"),
        (fresh, "restore", newer, "revision 'f0f0f0f0f0f0'"),
    ]
    for url, command, path, says in cases:
        r = dispatch_db(url, command, str(path))
        assert r.exit_code == 2, (command, path, r.output)
        assert "error:" in r.output
        assert str(path) in r.output
        assert says in r.output, r.output
    assert existing.read_bytes() == b"keep me"  # never overwritten
    assert not Path(fresh.removeprefix("sqlite:///")).exists()  # a refused restore creates nothing
    assert not list((tmp_path).glob(".*.part"))


def test_a_postgresql_database_is_sent_to_pg_dump(tmp_path: Path) -> None:
    for command in ("backup", "restore"):
        r = dispatch_db("postgresql+psycopg://dispatch@db.example/dispatch", command, str(tmp_path / "x.dump"))
        assert r.exit_code == 2
        assert "pg_dump" in r.output
        assert "pg_restore" in r.output

