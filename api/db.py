"""Engine, sessions and the declarative base; Alembic (api/migrations) owns the schema."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, Connection, DateTime, Engine, MetaData, create_engine, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.orm import Session as Session

SessionFactory = sessionmaker[Session]  # makes the sessions of one engine (the app has one)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Stable constraint names, so migrations can refer to them on both SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON, list[int]: JSON, dict[str, int]: JSON}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


def make_engine(url: str, *, connect_args: Mapping[str, Any] | None = None, pool_size: int = 16,
                max_overflow: int = 8, pool_timeout: float = 30.0) -> Engine:
    """An engine for `url`; for SQLite it creates the file's folder and switches foreign keys on.

    A server database keeps `pool_size` connections, opens up to `max_overflow` more at a peak and lets a
    request wait `pool_timeout` seconds for one (the DATABASE_POOL_* settings); SQLite keeps SQLAlchemy's own
    pool."""
    u = make_url(url)
    args: dict[str, Any] = dict(connect_args or {})
    is_sqlite = u.get_backend_name() == "sqlite"
    if is_sqlite:
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        args.setdefault("check_same_thread", False)  # sessions hop threads in FastAPI's thread pool
    # A server database keeps as many connections as requests can run at once in a worker (the thread pool
    # runs about that many sync endpoints): with the default 5 kept, every request beyond them opened and
    # closed a fresh PostgreSQL connection under load.
    pool = {} if is_sqlite else {"pool_size": pool_size, "max_overflow": max_overflow,
                                   "pool_timeout": pool_timeout}
    engine = create_engine(u, connect_args=args, **pool)
    if not is_sqlite:
        _ping_when_idle(engine)
    if is_sqlite:
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    return engine


PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Pre-ping (a round trip) only connections that sat idle in the pool for a while.

    pool_pre_ping pings on every checkout, which under load was as many round trips as the route pull's own
    query. A connection handed back moments ago is alive; one idle for longer (the server restarted, a
    firewall dropped it) is tested first and replaced if dead, as pool_pre_ping would. A connection that dies
    mid-use fails that request either way, and SQLAlchemy then invalidates the pool.
    """
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned_at", 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)  # the dialect's ping: in autocommit, leaves no transaction open
        except Exception as e:  # the pool retries the checkout with a fresh connection
            raise DisconnectionError(str(e)) from e


HOLD_BEFORE_COMMIT_MAX_S = 60.0
_WRITE = re.compile(r"\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def hold_before_commit(engine: Engine, marker: Path) -> None:
    """Test only (the TEST_HOLD_BEFORE_COMMIT setting): stop each transaction that wrote just before its COMMIT.

    With every write of the transaction sent and none committed, the connection writes `marker` (one line per
    write statement: `INSERT INTO orders`) and waits while it exists, at most HOLD_BEFORE_COMMIT_MAX_S: a
    fault test kills the process there, or deletes the file to let the commit go on.
    """
    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        found = _WRITE.match(statement)
        if found:
            verb = " ".join(found.group(1).upper().split())
            conn.info.setdefault("writes", []).append(f"{verb} {found.group(2)}")

    @event.listens_for(engine, "rollback")
    def _forget(conn: Connection) -> None:
        conn.info.pop("writes", None)

    @event.listens_for(engine, "commit")
    def _hold(conn: Connection) -> None:
        writes = conn.info.pop("writes", None)
        if not writes:
            return
        written = marker.with_name(marker.name + ".part")
        written.write_text("".join(f"{w}\n" for w in writes))
        written.replace(marker)  # whole, or not there
        log.warning("holding a transaction before its COMMIT while %s exists", marker)
        give_up = time.monotonic() + HOLD_BEFORE_COMMIT_MAX_S
        while marker.exists() and time.monotonic() < give_up:
            time.sleep(0.02)


_WROTE = "dispatch.wrote"  # session.info: the open transaction has written (flushed or run a DML statement)


def make_sessionmaker(engine: Engine) -> SessionFactory:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    event.listen(factory, "after_flush", _mark_written)
    event.listen(factory, "do_orm_execute", _mark_dml)
    event.listen(factory, "after_transaction_end", _forget_writes)
    return factory


def _mark_written(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _mark_dml(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _forget_writes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: a savepoint's end changes nothing
        session.info.pop(_WROTE, None)


def end_read(session: Session) -> None:
    """Give a session's connection back to the pool if its transaction has only read (objects stay loaded).

    A request that holds a connection while it waits for a thread (FastAPI runs a sync view's dependencies, the
    view and the response's validation as separate thread-pool jobs) can deadlock with threads that wait for a
    connection; a transaction with writes is left to its owner (commit, or roll back at the request's end)."""
    if session.in_transaction() and not session.info.get(_WROTE):
        session.commit()


def close_quietly(session: Session) -> None:
    """Close a request's session. When its connection died under it (the database restarting), the rollback
    of the close fails: the connection is dropped from the pool and the failure logged, not raised, because the
    request has its answer by then (a 503 when the failure reached it), and an error raised after the response
    would cut the client's keep-alive connection."""
    try:
        session.close()
    except (OperationalError, InterfaceError) as e:
        reason = str(e.orig).strip().splitlines() if e.orig is not None else []
        log.warning("dropped a dead database connection at the end of a request: %s",
                    reason[0] if reason else type(e).__name__)
        session.invalidate()


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (start-up runs this; it is a no-op when already there)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    log.info("database schema at %s on %s", revision, engine.url.render_as_string(hide_password=True))


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
