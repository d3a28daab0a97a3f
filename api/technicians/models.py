"""Technician rows: the roster with a weekly shift pattern; times of day, turned into a day's shift on demand."""

from __future__ import annotations

from datetime import time

from sqlalchemy import CheckConstraint, String, Time
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
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[str]]
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

    @property
    def van_location_id(self) -> str:
        from api.parts.models import van_location_id

        return van_location_id(self.id)
