"""Supervisor alerts and follow-up calls: raised by what technicians record on their visits, and (deadline
alerts) by the escalation watch of api.live."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base

ALERT_KINDS = ("low customer score", "deadline at risk", "deadline missed",
               "complaint response overdue", "complaint resolution overdue")
ALERT_KIND_VALUES = ", ".join(f"'{k}'" for k in ALERT_KINDS)


class ServiceAlert(Base):
    """Something a supervisor must look at: one per visit and kind (a low score); raised by the escalation
    watch with no visit, one per order and kind (a deadline at risk, a deadline missed); one per complaint and
    kind when a complaint's clock runs out. Acknowledged: seen; closed: dealt with (it leaves the open list)."""

    __tablename__ = "service_alerts"
    __table_args__ = (
        CheckConstraint(f"kind IN ({ALERT_KIND_VALUES})", name="kind"),
        CheckConstraint("order_id IS NOT NULL OR complaint_id IS NOT NULL", name="subject"),
        UniqueConstraint("visit_id", "kind", name="uq_service_alerts_visit_kind"),
        Index("uq_service_alerts_order_kind", "order_id", "kind", unique=True,
              sqlite_where=text("visit_id IS NULL AND complaint_id IS NULL"),
              postgresql_where=text("visit_id IS NULL AND complaint_id IS NULL")),
        UniqueConstraint("complaint_id", "kind", name="uq_service_alerts_complaint_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    # a complaint whose clock ran out (its order, when it names one, is order_id)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("orders.id", ondelete="CASCADE"))
    # null for an order nobody is to visit
    technician_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class FollowUp(Base):
    """A call to the customer `days_after` days after a major repair."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        CheckConstraint("days_after > 0", name="days_after"),
        CheckConstraint("outcome IS NULL OR outcome IN ('satisfied', 'not_satisfied', 'no_answer')", name="outcome"),
        UniqueConstraint("visit_id", "days_after", name="uq_follow_ups_visit_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(String(64), ForeignKey("customers.id", ondelete="CASCADE"))
    days_after: Mapped[int]
    due_date: Mapped[date] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    # how the call went (satisfied, not_satisfied, no_answer) and what was said; set when it is completed
    outcome: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class KpiDay(Base):
    """A day's figures kept once the day is over (api/standards/history.py), so a report over months reads
    rows instead of recomputing every visit. `figures` holds what the period totals are summed from (counts
    and the response minutes per priority), so a week's or a month's medians stay exact."""

    __tablename__ = "kpi_days"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict[str, Any]]
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    # the figures' format: rows of an older format are computed again
    version: Mapped[int] = mapped_column(default=1)
