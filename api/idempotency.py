"""Idempotency-Key for POSTs that move stock: a retried request replays the first response and moves nothing.

The key row is inserted first, in the same transaction as the work, so the unique constraint on (user, key)
decides between concurrent identical requests: the loser waits for the winner's commit, fails the insert,
rolls back and replays what the winner stored. Only successes are remembered: a refused request moved
nothing, so its retry is simply judged again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
IdempotencyKey = Annotated[str | None, Header(
    alias=KEY_HEADER, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="a client-chosen unique key: retrying with the same key and body replays the first response")]


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
