"""Idempotency-Key for POSTs that move stock: a retried request replays the first response and moves nothing.

The key row is inserted first, in the same transaction as the work, so the unique constraint on (user, key)
decides between concurrent identical requests: the loser waits for the winner's commit, fails the insert,
rolls back and replays what the winner stored. Only successes are remembered: a refused request moved
nothing, so its retry is simply judged again.

A key is remembered for IDEMPOTENCY_RETENTION_HOURS (default 24) on the service clock. Expired keys are purged
lazily: every request that carries a key first deletes all expired keys, in its own transaction, so the table
holds about one retention's worth of keys and no schedule is needed. A retry after expiry finds nothing and
runs again as a new request.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.db import Base
from api.deps import NowDep, SessionDep, SettingsDep
from api.errors import ConflictError, InvalidInputError

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
_EXPIRY = "idempotency expiry"  # the key of the session's `info` that holds an Expiry


@dataclass(frozen=True)
class Expiry:
    """The clock keys are stamped with, and how long they are kept."""

    now: datetime
    retention: timedelta


def use_clock(session: Session, *, now: datetime, retention: timedelta) -> None:
    """Stamp the keys `session` writes with `now` and purge those older than `retention` (see run_once)."""
    session.info[_EXPIRY] = Expiry(now=now, retention=retention)


async def _key(session: SessionDep, settings: SettingsDep, now: NowDep, key: Annotated[str | None, Header(
        alias=KEY_HEADER, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
        description="a client-chosen unique key: retrying with the same key and body within "
                    "IDEMPOTENCY_RETENTION_HOURS (default 24) replays the first response")] = None) -> str | None:
    # the request's session carries the service clock to run_once, which every keyed view reaches through it
    use_clock(session, now=now, retention=timedelta(hours=settings.idempotency_retention_hours))
    return key


IdempotencyKey = Annotated[str | None, Depends(_key)]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]  # None only inside the transaction that is doing the work
    response_body: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


@dataclass(frozen=True)
class Outcome:
    """What a stock-moving POST answers: the status and JSON body, and whether it is a replay of the first."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def request_hash(payload: Mapping[str, Any]) -> str:
    """A digest of a request's meaning (its validated fields), so key order or spacing make no difference."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer.

    On SQLite the transaction would otherwise begin as a reader and fail with "database is locked" when it
    tries to write after another writer; BEGIN IMMEDIATE takes the write lock up front, so concurrent writers
    wait their turn (busy_timeout) instead. PostgreSQL needs nothing: row locks serialise the writers.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:  # type: ignore[attr-defined]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _purge(session: Session, expiry: Expiry) -> None:
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= expiry.now - expiry.retention)
                    .execution_options(synchronize_session=False))


def _find(session: Session, *, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))


def _replay(row: IdempotencyRecord, *, endpoint: str, digest: str) -> Outcome:
    if row.endpoint != endpoint or row.request_hash != digest:
        msg = (f"{KEY_HEADER} {row.key!r} was already used for a different request ({row.endpoint}); "
               "use a new key for a new request")
        raise InvalidInputError(msg, errors=[{"loc": ["header", KEY_HEADER], "msg": msg,
                                              "type": "value_error", "input": row.key}])
    # both are written before the commit, so a row another request can see always has them
    return Outcome(row.status_code or 200, dict(row.response_body or {}), replayed=True)


def run_once(session: Session, *, key: str | None, user_id: int, endpoint: str, digest: str,
             work: Callable[[], dict[str, Any]], status_code: int = 201) -> Outcome:
    """Do `work` (writes, no commit; returns the JSON body) once per (user, key), and commit.

    Without a key the work simply runs in one write transaction. With a key already used by this user for
    the same `endpoint` and `digest`, the stored response comes back and nothing runs; with a different
    endpoint or digest the request is refused (422 naming the key). An ApiError from `work` rolls everything
    back, the key included. With a clock on the session (`use_clock`: every view taking IdempotencyKey sets
    it), keys are stamped by it and expired keys are purged first, so an expired key is a new key.
    """
    expiry: Expiry | None = session.info.get(_EXPIRY)
    for _ in range(3):
        begin_write(session)
        record: IdempotencyRecord | None = None
        if key is not None:
            if expiry is not None:
                _purge(session, expiry)  # first: on PostgreSQL, before this request holds any other row
            stored = _find(session, user_id=user_id, key=key)
            if stored is not None:
                try:
                    return _replay(stored, endpoint=endpoint, digest=digest)
                finally:
                    session.rollback()  # release SQLite's write lock now, not when the request ends
            record = IdempotencyRecord(user_id=user_id, key=key, endpoint=endpoint, request_hash=digest)
            if expiry is not None:
                record.created_at = expiry.now
            session.add(record)
            try:
                session.flush()  # PostgreSQL: waits here while a concurrent request holds the same key
            except IntegrityError:
                session.rollback()  # that request committed first: go round and replay its response
                log.info("idempotency key %r of user %s: concurrent duplicate, replaying", key, user_id)
                continue
        try:
            body = work()
            if record is not None:
                record.status_code, record.response_body = status_code, body
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return Outcome(status_code, body)
    raise ConflictError(f"{KEY_HEADER} {key!r} is in use by a concurrent request; retry")
