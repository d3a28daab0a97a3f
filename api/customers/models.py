"""Customer rows; a contract may tighten the response deadlines of the default SLA policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps


class Customer(Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name="lat"),
        CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name="lon"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(String(40))
    # contract response deadlines in hours per priority, e.g. {"P1": 2}; missing priorities use the default
    sla_hours: Mapped[dict[str, Any] | None]
