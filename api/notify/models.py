"""The outbox: one row per notification a customer is to hear, from generation to delivery."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class Kind(StrEnum):
    visit_confirmed = "visit_confirmed"  # about an hour before the predicted ETA
    visit_delayed = "visit_delayed"  # the predicted ETA slipped past the ETA last told
    visit_done = "visit_done"  # with an invitation to score the visit 1 to 5
    part_missing = "part_missing"  # the visit ended unresolved for a missing part: the new expected date
    window_proposed = "window_proposed"  # a dispatcher proposes another appointment window (a plan's fix)


class Status(StrEnum):
    pending = "pending"  # to be sent (at next_attempt_at)
    delivered = "delivered"  # the webhook answered 2xx
    failed = "failed"  # every attempt failed; a dispatcher may resend it


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind IN ('visit_confirmed', 'visit_delayed', 'visit_done', 'part_missing', "
                        "'window_proposed')", name="kind"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_date_order_id", "date", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # sent along: receivers drop duplicates by it
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[date] = mapped_column(Date)
    order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(64), ForeignKey("customers.id", ondelete="CASCADE"))
    eta: Mapped[datetime | None] = mapped_column(DateTime)  # the ETA this notification tells the customer
    payload: Mapped[dict[str, Any]]  # the body's fields beyond id, kind, date, order_id and customer_id
    # what makes it the same notification (kind, date, order, and for a delay the ETA it corrects): a second
    # generation of it, by another worker or a later scan, inserts nothing
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=Status.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    # a worker sending it holds it until claimed_until (then another may take it over: at least once)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
