"""Visit rows: one technician at one order on one date (arrival, service, outcome, customer score)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("customer_score IS NULL OR customer_score BETWEEN 1 AND 5", name="customer_score"),
        CheckConstraint("done_at IS NULL OR arrived_at IS NULL OR done_at >= arrived_at", name="done_after_arrival"),
        UniqueConstraint("order_id", "date", name="uq_visits_order_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    technician_id: Mapped[str] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="RESTRICT"),
                                               index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    plan_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("plan_jobs.id", ondelete="SET NULL"))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # stops the response clock; default arrival
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    fixed_first_time: Mapped[bool | None]  # fixed on this visit, the order's first
    resolved: Mapped[bool | None]  # the customer's problem is solved (on this visit or, before, another)
    major_repair: Mapped[bool] = mapped_column(default=False)
    customer_score: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    @property
    def unresolved(self) -> bool:
        """Finished without solving the problem: the order needs another visit. A finish with no outcome
        said (neither fixed nor resolved given) counts as solved."""
        return self.done_at is not None and (
            self.resolved is False or (self.resolved is None and self.fixed_first_time is False))
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
