"""Complaint rows. The two clocks are set at intake from the service's settings (a first response within 24 h,
a resolution within 3 working days by default) and kept on the row, so a later change of the settings does not
move the deadlines of complaints already received."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class Channel(StrEnum):
    phone = "phone"
    email = "email"
    web = "web"
    letter = "letter"
    in_person = "in_person"


class Outcome(StrEnum):
    """How a complaint ended."""

    upheld = "upheld"  # the customer was right; a remedy was given
    partly_upheld = "partly_upheld"
    not_upheld = "not_upheld"
    withdrawn = "withdrawn"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ('" + "', '".join(v.value for v in values) + "')"


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_one_of("channel", Channel), name="channel"),
        CheckConstraint(f"outcome IS NULL OR {_one_of('outcome', Outcome)}", name="outcome"),
        CheckConstraint("(outcome IS NULL) = (resolved_at IS NULL)", name="resolved"),
        Index("ix_complaints_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), ForeignKey("customers.id", ondelete="RESTRICT"),
                                             index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("orders.id", ondelete="RESTRICT"),
                                                 index=True)
    # the technician of the order's last visit, when the complaint names an order
    technician_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="SET NULL"),
                                                      index=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(4000))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    response_due: Mapped[datetime] = mapped_column(DateTime)
    resolution_due: Mapped[datetime] = mapped_column(DateTime)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    response: Mapped[str | None] = mapped_column(String(4000))  # what the customer was told first
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(4000))  # the remedy, or why not upheld
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
