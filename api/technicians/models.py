"""Technician rows: the roster with a weekly shift pattern; times of day, turned into a day's shift on demand.
A shift day overrides the pattern's start or end on one date (overtime agreed for that day)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Numeric, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps


class Technician(Timestamps, Base):
    __tablename__ = "technicians"
    __table_args__ = (
        CheckConstraint("home_lat BETWEEN -90 AND 90", name="home_lat"),
        CheckConstraint("home_lon BETWEEN -180 AND 180", name="home_lon"),
        CheckConstraint("shift_end >= shift_start", name="shift"),
        CheckConstraint("break_minutes IS NULL OR break_minutes >= 0", name="break_minutes"),
        CheckConstraint("max_orders IS NULL OR max_orders >= 0", name="max_orders"),
        CheckConstraint("hourly_cost IS NULL OR hourly_cost >= 0", name="hourly_cost"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]]
    skill_levels: Mapped[dict[str, int] | None] = mapped_column(JSON)  # skill -> level 2..5 (others 1); NULL: none
    home_lat: Mapped[float]
    home_lon: Mapped[float]
    home_address: Mapped[str | None] = mapped_column(String(300))
    shift_start: Mapped[time] = mapped_column(Time)
    shift_end: Mapped[time] = mapped_column(Time)
    break_start: Mapped[time | None] = mapped_column(Time)
    break_end: Mapped[time | None] = mapped_column(Time)
    break_minutes: Mapped[int | None]
    max_orders: Mapped[int | None]
    work_days: Mapped[list[int]]  # ISO weekdays the shift pattern applies to, 1 = Monday
    active: Mapped[bool] = mapped_column(default=True)
    territory: Mapped[str | None] = mapped_column(String(64))  # the region a large day is split by
    # what an hour of the technician's working time costs (the labour cost of the supervisor's report)
    hourly_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))

    @property
    def van_location_id(self) -> str:
        from api.parts.models import van_location_id

        return van_location_id(self.id)


class ShiftDay(Base):
    """One technician's shift on one date where it differs from the weekly pattern; a NULL side keeps the
    pattern's."""

    __tablename__ = "shift_days"
    __table_args__ = (
        CheckConstraint("shift_start IS NOT NULL OR shift_end IS NOT NULL", name="something"),
        CheckConstraint("shift_start IS NULL OR shift_end IS NULL OR shift_end >= shift_start", name="shift"),
    )

    technician_id: Mapped[str] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="CASCADE"),
                                               primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    shift_start: Mapped[time | None] = mapped_column(Time)
    shift_end: Mapped[time | None] = mapped_column(Time)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(DateTime)
