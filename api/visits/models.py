"""Visit rows: one technician at one order on one date (a crew job has one per member, the lead's marked) (arrival, service, outcome, customer score); day events:
what the phones report, as sent (the phone's time) and as received (the server's)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("customer_score IS NULL OR customer_score BETWEEN 1 AND 5", name="customer_score"),
        CheckConstraint("done_at IS NULL OR arrived_at IS NULL OR done_at >= arrived_at", name="done_after_arrival"),
        UniqueConstraint("order_id", "date", "technician_id", name="uq_visits_order_date_technician"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    technician_id: Mapped[str] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="RESTRICT"),
                                               index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    plan_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("plan_jobs.id", ondelete="SET NULL"))
    # the visit that speaks for the order: the only one, or a crew's lead (whose van gives the parts); its
    # outcome closes the order and the order-level figures count it, a member's visit counts as labour only
    lead: Mapped[bool] = mapped_column(default=True, server_default=true())
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # stops the response clock; default arrival
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    fixed_first_time: Mapped[bool | None]  # fixed on this visit, the order's first
    resolved: Mapped[bool | None]  # the customer's problem is solved (on this visit or, before, another)
    major_repair: Mapped[bool] = mapped_column(default=False)
    customer_score: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(String(2000))
    reason: Mapped[str | None] = mapped_column(String(32))  # why an unresolved visit needs another (Reason)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    @property
    def unresolved(self) -> bool:
        """Finished without solving the problem: the order needs another visit. A finish with no outcome
        said (neither fixed nor resolved given) counts as solved."""
        return self.done_at is not None and (
            self.resolved is False or (self.resolved is None and self.fixed_first_time is False))
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class Reason(StrEnum):
    """Why a finished visit left the order unresolved: the phone's short list."""

    part_missing = "part_missing"
    second_technician = "second_technician"
    customer_absent = "customer_absent"
    other = "other"


KINDS = ("departed", "arrived", "started", "done", "unresolved", "break", "absent", "cancelled")


class DayEvent(Base):
    """One event of the `events.csv` contract as a phone (or the office) reported it."""

    __tablename__ = "day_events"
    __table_args__ = (
        CheckConstraint("event IN ('" + "', '".join(KINDS) + "')", name="event"),
        CheckConstraint("reason IS NULL OR reason IN ('" + "', '".join(r.value for r in Reason) + "')",
                        name="reason"),
        Index("ix_day_events_date_time", "date", "time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    time: Mapped[datetime] = mapped_column(DateTime)  # the phone's local time of the event
    received_at: Mapped[datetime] = mapped_column(DateTime)  # the server's, when it arrived
    technician_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("technicians.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("orders.id", ondelete="RESTRICT"),
                                                 index=True)
    event: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(2000), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
