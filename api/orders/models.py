"""Repair order rows. `created_at` is the order's own creation time: it starts the response clock."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class OrderStatus(StrEnum):
    # later issues add the states of a visit (planned, on the way, done, ...) after `open`
    open = "open"
    done = "done"  # a visit finished and solved it: it is not planned again
    cancelled = "cancelled"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon"),
        CheckConstraint("priority IN ('P1', 'P2', 'P3', 'P4')", name="priority"),
        CheckConstraint("duration_min >= 0", name="duration_min"),
        CheckConstraint("window_start IS NULL OR window_end IS NULL OR window_end >= window_start", name="window"),
        CheckConstraint("technicians_needed BETWEEN 1 AND 4", name="technicians_needed"),  # domain.MAX_CREW
        Index("ix_orders_status_priority_created", "status", "priority", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), ForeignKey("customers.id", ondelete="RESTRICT"),
                                             index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    address: Mapped[str | None] = mapped_column(String(300))
    priority: Mapped[str] = mapped_column(String(2))
    required_skills: Mapped[list[str]]
    # required skill -> level 2..5 needed (a skill not listed: level 1); NULL: none
    required_skill_levels: Mapped[dict[str, int] | None] = mapped_column(JSON)
    duration_min: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime)
    window_start: Mapped[datetime | None] = mapped_column(DateTime)
    window_end: Mapped[datetime | None] = mapped_column(DateTime)
    required_parts: Mapped[dict[str, int]]
    pinned_technician_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("technicians.id", ondelete="RESTRICT"), index=True)
    # the technician the customer asks for (soft) and those it refuses (hard); ids as the CSV gives them, so not
    # foreign keys: a plan ignores one who is not on that day's roster, as `dispatch solve` does
    preferred_technician_id: Mapped[str | None] = mapped_column(String(64))
    forbidden_technician_ids: Mapped[list[str] | None] = mapped_column(JSON)  # NULL: none
    window_date: Mapped[date | None] = mapped_column(Date)  # the day of the appointment window, when given
    technicians_needed: Mapped[int] = mapped_column(default=1, server_default="1")  # a crew of that many
    notes: Mapped[str | None] = mapped_column(String(2000))
    territory: Mapped[str | None] = mapped_column(String(64))  # the region a large day is split by
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.open.value)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(200), default="api")  # "api" or "import:<file name>"
    recorded_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
